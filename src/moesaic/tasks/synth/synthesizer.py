"""The :class:`Synthesizer` task: fit a conditional generator of windows, then sample from it.

``fit(windows, conditions)`` learns per-channel standardisation and the factors of the conditions
on the training windows, holds out ``val_fraction`` of them for early stopping, and trains one of
two generator designs (:data:`moesaic.tasks.synth.config.DESIGNS`; settings in
:class:`~moesaic.tasks.synth.config.SynthConfig`) on the sparse-MoE trunk with the project's
training loop. ``fit`` also takes one free text per window (a work order, an operator's note;
"" for none): the text is embedded by a frozen embedder (``SynthConfig.text_embedder``) and read
by the generator as one more condition token, so ``sample(n, texts=...)`` can be asked in words
the factors do not name. ``sample(n, condition=...)`` returns windows on the training scale with
their observed masks (all True: generated values are complete) and the condition of each sample;
with no condition the factors are masked and sampling is unconditional. A combination of factor
values never seen together in training is accepted (each factor is its own token, and the
value with the fewest windows is composed by transfer, :mod:`.transfer`); an unknown value is
refused.

Axes: W windows, T steps, C channels.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.checkpoint import load_model_state, save_model
from moesaic.config import from_dict, to_dict
from moesaic.data.bounds import never_negative
from moesaic.encoders import NotFittedError
from moesaic.tasks.synth.calibration import SCOPES, MomentCalibration, choose_scope
from moesaic.tasks.synth.conditions import Condition, ConditionSpec, EncodedConditions, category
from moesaic.tasks.synth.config import SynthConfig
from moesaic.tasks.synth.generators import GeneratorBatch, SeriesFlow, SeriesVAE
from moesaic.tasks.synth.texts import TextEmbedding, checked_texts, kept_texts, requested_texts
from moesaic.tasks.synth.transfer import ConditionTransfer, is_seen
from moesaic.train import TrainResult, train

logger = logging.getLogger(__name__)

CHECKPOINT_KIND = "moesaic.Synthesizer"
_SAMPLE_CHUNK = 2048
_CALIBRATION_DRAW = 8192  # samples drawn to estimate the calibration (at least 4 per mapped value)


class Samples(NamedTuple):
    """Synthetic windows; ``conditions[i]`` is what sample i was conditioned on ({} = unconditional)
    and ``transferred[i]`` the factors whose value it took by transfer (:mod:`.transfer`), empty
    when the generator drew it alone."""

    series: np.ndarray  # (n, T, C) float32 on the training scale
    observed: np.ndarray  # (n, T, C) bool
    conditions: list[dict[str, Any]]
    transferred: list[tuple[str, ...]]
    texts: list[str]  # the text each sample was conditioned on ("" = none)


class Synthesizer:
    """Conditional generator of multichannel windows (sklearn contract: ``fit`` returns ``self``)."""

    _texts: TextEmbedding | None = None  # loaded on first use, never saved (frozen, rebuilt by name)

    def __init__(self, config: SynthConfig | None = None) -> None:
        self.config = config if config is not None else SynthConfig()

    # ---- fitting -----------------------------------------------------------------------------
    def fit(
        self,
        windows: np.ndarray,
        conditions: Sequence[Condition] | None = None,
        *,
        observed: np.ndarray | None = None,
        channel_names: Sequence[str] | None = None,
        value_names: Mapping[str, Mapping[str, str]] | None = None,
        texts: Sequence[str] | None = None,
    ) -> Synthesizer:
        """Learn to generate ``windows`` given their ``conditions``.

        Args:
            windows: (W, T, C) training windows; NaN marks a missing value.
            conditions: W mappings factor -> value (strings: categorical, numbers: numeric); None
                trains an unconditional model.
            observed: (W, T, C) bool, False where a value is missing (default: the finite values).
            channel_names: C names, kept with the model (default ``channel_0``, ...).
            value_names: factor -> category -> a readable name (a fault code's fault type), kept
                with the model so that a condition can be asked for in words
                (:mod:`.text_condition`).
            texts: W free texts, one per window ("" where a window has none); None fits a model
                that reads no text. At least one must be non-empty.
        """
        values = np.asarray(windows, dtype=np.float32)
        if values.ndim != 3 or min(values.shape) < 1:
            raise ValueError(f"`windows` must have shape (windows, time, channels), got {values.shape}")
        mask = np.isfinite(values) if observed is None else np.asarray(observed, dtype=bool)
        if mask.shape != values.shape:
            raise ValueError(f"`observed` must have shape {values.shape}, got {mask.shape}")
        mask = mask & np.isfinite(values)
        if conditions is not None and len(conditions) != len(values):
            raise ValueError(f"got {len(values)} windows but {len(conditions)} conditions")
        if len(values) < 2:
            raise ValueError("`fit` needs at least 2 windows (one is held out for validation)")
        if values.shape[1] % self.config.patch_len:
            raise ValueError(
                f"the window length {values.shape[1]} must be a multiple of patch_len={self.config.patch_len}"
            )
        rows = list(conditions) if conditions is not None else [{} for _ in range(len(values))]
        choice = self.config.text_embedder
        self.text_embedder_ = None if texts is None else checked_texts(texts, len(values), choice)
        self.training_texts_ = () if texts is None else kept_texts(texts)
        self.spec_ = ConditionSpec.fit(rows)
        self.length_, self.channels_ = values.shape[1], values.shape[2]
        names = (
            [f"channel_{c}" for c in range(self.channels_)] if channel_names is None else list(channel_names)
        )
        if len(names) != self.channels_:
            raise ValueError(f"got {len(names)} channel names for {self.channels_} channels")
        self.channel_names_ = tuple(str(n) for n in names)
        known = dict(self.spec_.categorical)
        self.value_names_ = {
            str(f): {str(c): str(n) for c, n in m.items() if str(c) in known[str(f)]}
            for f, m in (value_names or {}).items()
            if str(f) in known
        }
        self.mean_, self.std_ = _channel_stats(values, mask, self.channel_names_)
        self.never_negative_ = never_negative(np.where(mask, values, np.nan))  # floored by `moesaic synth`
        self.model_ = self._build()
        standard = np.where(mask, (np.nan_to_num(values) - self.mean_) / self.std_, 0.0).astype(np.float32)
        encoded = self._encode(rows, texts)
        self.training_combinations_ = sorted({self.spec_.combination(r) for r in rows})
        self.train_result_ = self._train(torch.from_numpy(standard), torch.from_numpy(mask), encoded)
        complete = np.asarray(mask.all(axis=(1, 2)))
        self._calibrate(standard[complete], encoded)
        self._warn_incomplete(rows, complete)
        if self.config.rare_windows:
            transfer = ConditionTransfer.fit(
                standard,
                complete,
                encoded.categorical.numpy(),
                rare=self.config.rare_windows,
                seed=self.config.train.seed,
            )
            if transfer is not None:
                self._fitted().add_module("transfer", transfer)
                logger.info("%d condition values can be sampled by transfer", len(transfer.pairs()))
        return self

    def _warn_incomplete(self, rows: Sequence[Condition], complete: np.ndarray) -> None:
        """Warn of a categorical value none of whose windows is complete: the calibration and the
        transfer of rare values read complete windows only, so that value's samples come from the
        generator alone."""
        for name, _ in self.spec_.categorical:
            values = {category(r[name]) for r in rows if name in r}
            for value in sorted(values):
                mine = np.array([name in r and category(r[name]) == value for r in rows])
                if mine.any() and not complete[mine].any():
                    logger.warning(
                        "none of the %d windows with %s=%s has every reading: its samples come from the "
                        "generator alone (no transfer, no calibration); fill or drop the missing readings "
                        "to use them",
                        int(mine.sum()), name, value,
                    )  # fmt: skip

    def _calibrate(self, complete: np.ndarray, encoded: EncodedConditions) -> None:
        """Fit the moment calibration on the complete standardised training windows (W, T, C)."""
        setting = self.config.calibration
        if setting == "none":
            return
        scope = widest = choose_scope(complete)
        if setting != "auto":
            if widest is None or SCOPES.index(setting) < SCOPES.index(widest):
                raise ValueError(
                    f"calibration={setting!r} needs more complete training windows than the "
                    f"{len(complete)} given; use calibration='auto' or 'none'"
                )
            scope = setting  # a narrower scope than the data allow
        if scope is None:
            logger.info("too few complete training windows (%d) to calibrate the samples", len(complete))
            return
        size = complete.shape[1] * complete.shape[2] if scope == "window" else complete.shape[2]
        count = max(_CALIBRATION_DRAW, 4 * size)
        # the training windows' conditions, so that the draw has their mix of conditions
        rng = np.random.default_rng(self.config.train.seed)
        picks = torch.from_numpy(rng.integers(0, len(encoded[0]), count))
        drawn = self._draw(EncodedConditions(*(t[picks] for t in encoded)), self.config.train.seed + 1)
        calibration = MomentCalibration.fit(drawn.numpy(), complete, scope)
        self._fitted().add_module("calibration", calibration)
        logger.info("calibrated the samples' moments over each %s (%d values)", scope, size)

    def _build(self) -> SeriesFlow | SeriesVAE:
        config = self.config
        encoders = dataclasses.replace(
            config.model.encoders,
            modalities=("tabular",),
            num_numeric=len(self.spec_.numeric),
            categorical_cardinalities=self.spec_.cardinalities,
        )
        model = dataclasses.replace(config.model, encoders=encoders)
        text_dim = 0 if self.text_embedder_ is None else TextEmbedding(self.text_embedder_).dim
        torch.manual_seed(config.train.seed)
        if config.design == "vae":
            return SeriesVAE(
                model, length=self.length_, channels=self.channels_, patch=config.patch_len,
                latent=config.latent, condition_dropout=config.condition_dropout, text_dim=text_dim,
            )  # fmt: skip
        return SeriesFlow(
            model, length=self.length_, channels=self.channels_, patch=config.patch_len,
            steps=config.steps, grid_power=config.grid_power, condition_dropout=config.condition_dropout,
            text_dim=text_dim,
        )  # fmt: skip

    def _train(self, series: Tensor, observed: Tensor, conditions: EncodedConditions) -> TrainResult:
        cfg = self.config.train
        order = torch.randperm(len(series), generator=torch.Generator().manual_seed(cfg.seed))
        held = round(self.config.val_fraction * len(series))
        held = min(held, len(series) - 1)
        val_index, fit_index = order[:held], order[held:]

        def take(index: Tensor) -> GeneratorBatch:
            c = EncodedConditions(*(t[index] for t in conditions))
            return GeneratorBatch(series[index], observed[index], c)

        def source(epoch: int, generator: torch.Generator) -> list[GeneratorBatch]:
            shuffled = fit_index[torch.randperm(len(fit_index), generator=generator)]
            return [take(shuffled[i : i + cfg.batch_size]) for i in range(0, len(shuffled), cfg.batch_size)]

        val = [take(val_index[i : i + 1024]) for i in range(0, held, 1024)] or None
        logger.info(
            "fitting the %s synthesizer on %d windows (%d held out)", self.config.design, len(fit_index), held
        )
        return train(self.model_, source, config=cfg, val_batches=val)

    # ---- sampling ----------------------------------------------------------------------------
    @property
    def nfe_per_sample(self) -> int:
        """Network evaluations per sample (the whole batch of samples shares each evaluation)."""
        return int(self._fitted().nfe_per_sample)

    def sample(
        self,
        n: int,
        condition: Condition | Sequence[Condition] | None = None,
        *,
        texts: str | Sequence[str] | None = None,
        seed: int = 0,
        transfer: bool = True,
        guidance: float = 1.0,
    ) -> Samples:
        """``n`` synthetic windows; ``condition`` is one condition for all, n conditions, or None.

        A condition may name any subset of the training factors (in any letter case); the rest
        are left free.
        ``texts`` (one text for all, or n texts; "" or None leaves the text free) is only for a
        model fitted with texts.
        ``transfer=False`` draws rare values and unseen combinations from the generator alone,
        as ``rare_windows=0`` would, for comparison. ``guidance`` above 1 (flow design only) makes
        the samples follow their condition more closely, at twice the network evaluations
        (:meth:`SeriesFlow.sample`).
        """
        model = self._fitted()
        if n < 1:
            raise ValueError(f"`n` must be >= 1, got {n}")
        if condition is None or isinstance(condition, Mapping):
            rows = [self.spec_.canonical(condition or {}) for _ in range(n)]
        else:
            rows = [self.spec_.canonical(c) for c in condition if isinstance(c, Mapping)]
            if len(rows) != n:
                raise ValueError(f"got {len(rows)} conditions for n={n} samples")
        wording = requested_texts(texts, n, reads_text=self.text_embedder_ is not None)
        encoded = self._encode(rows, wording)
        seen = self._seen_ids()
        asked = {self.spec_.combination(r): ids for r, ids in zip(rows, encoded.categorical, strict=True)}
        unseen = {key for key, ids in asked.items() if not is_seen(ids, seen)}
        if unseen:
            logger.info(
                "sampling %d condition combination(s) never seen in training: %s", len(unseen), sorted(unseen)
            )
        lender = getattr(model, "transfer", None) if transfer else None
        names = [name for name, _ in self.spec_.categorical]
        transferred: list[tuple[str, ...]] = [() for _ in rows]
        if lender is None:
            drawn = self._draw(encoded, seed, guidance)
        else:  # rare values and unseen combinations: a reference sample moved by the value's effect
            lent, replaced = lender.lend(encoded.categorical, seen, rare=self.config.rare_windows)
            drawn = self._draw(encoded._replace(categorical=lent), seed, guidance)
            transferred = [
                tuple(n for n, r in zip(names, row, strict=True) if r) for row in replaced.tolist()
            ]
        calibration = getattr(model, "calibration", None)
        if calibration is not None:
            drawn = calibration(drawn)
        if lender is not None:
            drawn = drawn + lender.effects(encoded.categorical, replaced, seed)
        values = drawn.numpy() * self.std_ + self.mean_
        return Samples(
            values.astype(np.float32), np.ones(values.shape, dtype=bool), rows, transferred, wording
        )

    def closest_texts(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` kept training texts most like ``text`` in the model's embedding, with their cosine
        similarity: what a request in words resembles among the texts the model learned from.

        Raises:
            ValueError: the model was fitted without texts.
        """
        self._fitted()
        if self.text_embedder_ is None:
            raise ValueError("this synthesizer was fitted without texts")
        return self._embedding().closest(text, self.training_texts_, k)

    def _embedding(self) -> TextEmbedding:
        assert self.text_embedder_ is not None
        if self._texts is None or self._texts.name != self.text_embedder_:
            self._texts = TextEmbedding(self.text_embedder_)
        return self._texts

    def _encode(self, rows: Sequence[Condition], texts: Sequence[str] | None) -> EncodedConditions:
        """The condition tensors of ``rows``, with the embeddings of ``texts`` for a model that reads text."""
        encoded = self.spec_.encode(rows, self.value_names_)
        if self.text_embedder_ is None:
            return encoded
        wording = list(texts) if texts is not None else [""] * len(rows)
        return encoded._replace(text=self._embedding()(wording))

    def _seen_ids(self) -> Tensor:
        """(S, G) the category ids of the training combinations (0: factor not given)."""
        return self.spec_.encode([dict(key) for key in self.training_combinations_]).categorical

    def _draw(self, encoded: EncodedConditions, seed: int, guidance: float = 1.0) -> Tensor:
        """(n, T, C) standardised samples of the generator, one per row of ``encoded``."""
        model = self._fitted()
        torch.manual_seed(seed)
        model.eval()
        n, parts = len(encoded[0]), []
        for start in range(0, n, _SAMPLE_CHUNK):
            index = slice(start, min(n, start + _SAMPLE_CHUNK))
            chunk = EncodedConditions(*(t[index] for t in encoded))
            parts.append(
                model.sample(chunk, count=index.stop - index.start, length=self.length_, guidance=guidance)
            )
        return torch.cat(parts)

    def _fitted(self) -> SeriesFlow | SeriesVAE:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call `fit` or `Synthesizer.load` first."
            )
        return self.model_

    # ---- persistence -------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` and ``config.json`` (settings, condition factors, scaling)."""
        model = self._fitted()
        document = {
            "kind": CHECKPOINT_KIND,
            "synth": to_dict(self.config),
            "spec": {"categorical": [[n, list(c)] for n, c in self.spec_.categorical],
                     "numeric": [list(x) for x in self.spec_.numeric]},
            "length": self.length_,
            "channels": self.channels_,
            "channel_names": list(self.channel_names_),
            "mean": self.mean_.tolist(),
            "std": self.std_.tolist(),
            "never_negative": self.never_negative_.tolist(),
            "combinations": [[list(p) for p in key] for key in self.training_combinations_],
            "value_names": self.value_names_,
            "text_embedder": self.text_embedder_,
            "training_texts": list(self.training_texts_),
        }  # fmt: skip
        save_model(Path(folder), model, document)

    @classmethod
    def load(cls, folder: Path) -> Synthesizer:
        """A fitted synthesizer from a folder written by :meth:`save`."""
        state = load_model_state(Path(folder), kind=CHECKPOINT_KIND, what="a Synthesizer")
        document = state.config
        # a model saved before the step grid, the calibration and the transfer were settings
        # sampled on the even grid without calibration or transfer, and still does
        defaults = {"grid_power": 1.0, "calibration": "none", "rare_windows": 0}
        synth = cls(from_dict(SynthConfig, {**defaults, **document["synth"]}))
        synth.spec_ = ConditionSpec(
            tuple((n, tuple(c)) for n, c in document["spec"]["categorical"]),
            tuple(tuple(x) for x in document["spec"]["numeric"]),
        )
        synth.length_, synth.channels_ = int(document["length"]), int(document["channels"])
        synth.channel_names_ = tuple(document["channel_names"])
        synth.mean_ = np.asarray(document["mean"], dtype=np.float32)
        synth.std_ = np.asarray(document["std"], dtype=np.float32)
        # a model saved before the bound was kept bounds no channel
        synth.never_negative_ = np.asarray(
            document.get("never_negative", [False] * synth.channels_), dtype=bool
        )
        synth.training_combinations_ = sorted(
            tuple(tuple(p) for p in key) for key in document["combinations"]
        )
        synth.value_names_ = {f: dict(m) for f, m in document.get("value_names", {}).items()}
        synth.text_embedder_ = document.get("text_embedder")
        synth.training_texts_ = tuple(document.get("training_texts", ()))
        model = synth._build()
        if "calibration.transport" in state.state_dict:
            model.add_module("calibration", MomentCalibration(len(state.state_dict["calibration.transport"])))
        if "transfer.departures" in state.state_dict:
            N, T, C = state.state_dict["transfer.departures"].shape
            G, K = state.state_dict["transfer.counts"].shape
            model.add_module("transfer", ConditionTransfer(N, T, C, G, K - 1))
        model.load_state_dict(state.state_dict)
        synth.model_ = model.eval()
        return synth

    def parameter_module(self) -> nn.Module:
        """The trained network (for counting parameters)."""
        return self._fitted()


def _channel_stats(
    values: np.ndarray, mask: np.ndarray, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of the observed values (std 1 for a constant channel)."""
    flat = np.where(mask, values, np.nan).reshape(-1, values.shape[2])
    empty = np.flatnonzero((~np.isfinite(flat)).all(axis=0))
    if len(empty):
        blank = ", ".join(repr(names[int(c)]) for c in empty)
        raise ValueError(
            f"every channel needs at least one observed value to fit the synthesizer; {blank} has none"
        )
    mean, std = np.nanmean(flat, axis=0), np.nanstd(flat, axis=0)
    return mean.astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)
