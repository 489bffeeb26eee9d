"""``AnomalyDetector``: per-step anomaly scores from the sparse backbone's forecast residuals.

The backbone (:class:`moesaic.heads.anomaly.AnomalyModel`) forecasts the next ``horizon`` steps
of every channel from the ``context_length`` steps before, on the training scale; the deviation of
a step is what it was minus what was forecast. Everything after that is the pipeline every
detector shares (:mod:`moesaic.tasks.detectors`): causal smoothing, per-channel scales and a
threshold fitted on training or validation rows only, per-channel contributions.

The model can be trained on the rows given to ``fit``, or pretrained once on many normal
segments (:func:`pretrain_anomaly_model`, each segment standardised by its own statistics, as
each experiment of a test bench has its own operating point) and handed to several detectors,
each of which then only fits its scaler, scales and threshold on its own training rows.

Axes: T steps, C channels, W windows, L context steps, H horizon.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from moesaic.config import from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.times import parse_time_argument
from moesaic.encoders import EncoderConfig
from moesaic.heads.anomaly import AnomalyModel, window_table
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.detectors import (
    BaseDetector,
    Detection,
    ScoringConfig,
    Standardiser,
    check_values,
)
from moesaic.train import TrainConfig, TrainResult, train

logger = logging.getLogger(__name__)

_PREDICT_BATCH = 512


def _default_model() -> ModelConfig:
    encoders = EncoderConfig(dim=32, patch_len=8, modalities=("timeseries", "tabular"))
    return ModelConfig(
        encoders=encoders, moe=MoEConfig(num_experts=4, top_k=2, expert_hidden=64), num_layers=2
    )


def _default_train() -> TrainConfig:
    return TrainConfig(
        lr=2e-3,
        warmup_steps=50,
        max_steps=600,
        batch_size=512,
        num_threads=1,
        log_every=50,
        checkpoint_every=10**6,
    )


@dataclass(frozen=True)
class AnomalyConfig(ScoringConfig):
    """Settings of :class:`AnomalyDetector` (the scoring fields are those of ScoringConfig).

    Attributes:
        context_length: L, steps the model sees before the steps it forecasts.
        horizon: H, steps forecast from one context; scoring cuts the series into blocks of H.
        levels: also give the model the table of window levels (modality ``tabular``).
        persistence_penalty: training cost of carrying a channel's level on (see
            :mod:`moesaic.heads.anomaly`): a noisy channel's forecast then returns to its training
            mean, so a level shift keeps a residual; a smooth channel pays it to be forecast well.
        finetune_steps: optimizer steps on the rows given to ``fit`` when a pretrained model is given.
        repair: a step whose value departs from its forecast by more than ``repair`` (in the
            channel's training standard deviations) enters later contexts as its forecast, so that
            an anomaly neither drags the forecasts after it off (false alarms once it has ended)
            nor becomes the new normal while it lasts (missed steps); 0 leaves contexts as read.
            Scoring then runs block by block, ``horizon`` steps at a time.
        model: the backbone; :meth:`resolved_model` sets its encoders to one channel per sample.
        train: optimisation settings when the model is trained by ``fit`` or pretrained;
            ``train.batch_size`` counts channel samples (a window of C channels makes C of them).
    """

    context_length: int = 32
    horizon: int = 8
    levels: bool = True
    persistence_penalty: float = 0.1
    finetune_steps: int = 0
    repair: float = 0.0
    model: ModelConfig = field(default_factory=_default_model)
    train: TrainConfig = field(default_factory=_default_train)

    def _problems(self) -> list[str]:
        problems = super()._problems()
        problems += [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in ("context_length", "horizon")
                     if getattr(self, n) < 1]  # fmt: skip
        if self.finetune_steps < 0:
            problems.append(f"`finetune_steps` must be >= 0, got {self.finetune_steps}")
        for name in ("persistence_penalty", "repair"):
            if not getattr(self, name) >= 0:
                problems.append(f"`{name}` must be >= 0, got {getattr(self, name)}")
        return problems

    def resolved_model(self) -> ModelConfig:
        """The backbone config: one channel per sample, and its two level features with ``levels``."""
        encoders = dataclasses.replace(
            self.model.encoders,
            modalities=("timeseries", "tabular") if self.levels else ("timeseries",),
            max_channels=1,
            max_patches=-(-self.context_length // self.model.encoders.patch_len),
            num_numeric=2 if self.levels else 0,
        )
        return dataclasses.replace(self.model, encoders=encoders)


class ForecastWindows(NamedTuple):
    context: Tensor  # (W, L, C) standardised, 0 where unobserved
    observed: Tensor  # (W, L, C) bool
    table: Tensor | None  # (W, 2C) window means and log standard deviations
    future: Tensor  # (W, H, C), NaN where unobserved or past the end

    def batches(self, size: int, generator: torch.Generator | None = None) -> list[Batch]:
        count = self.context.shape[0]
        order = torch.randperm(count, generator=generator) if generator is not None else torch.arange(count)
        return [
            Batch(
                series=self.context[index],
                observed=self.observed[index],
                numeric=None if self.table is None else self.table[index],
                targets={"future": self.future[index]},
            )
            for index in (order[s : s + size] for s in range(0, count, size))
        ]


def forecast_windows(
    z: np.ndarray, starts: np.ndarray, *, context_length: int, horizon: int, levels: bool
) -> ForecastWindows:
    """Windows forecasting rows ``[s, s + H)`` from rows ``[s - L, s)`` of (T, C) ``z`` (NaN = missing)."""
    L, H = context_length, horizon
    padded = np.concatenate([np.full((L, z.shape[1]), np.nan), z, np.full((H, z.shape[1]), np.nan)])
    index = starts[:, None] + np.arange(L + H)[None, :]  # rows of `padded`: z row s sits at s + L
    block = padded[index].astype(np.float32)  # (W, L + H, C)
    context, future = block[:, :L], block[:, L:]
    observed = np.isfinite(context)
    return ForecastWindows(
        context=torch.from_numpy(np.where(observed, context, 0.0)),
        observed=torch.from_numpy(observed),
        table=torch.from_numpy(window_table(context)) if levels else None,
        future=torch.from_numpy(future),
    )


def pretrain_anomaly_model(segments: Sequence[Any], config: AnomalyConfig | None = None) -> AnomalyModel:
    """Train one anomaly model on normal ``segments`` (each (T_i, C), standardised by its own statistics).

    Returns the trained model, to hand to ``AnomalyDetector(config, pretrained=model)``.
    """
    config = config if config is not None else AnomalyConfig()
    if not segments:
        raise ValueError("`segments` is empty; give at least one (T, C) normal segment")
    arrays = [check_values(s, f"segments[{i}]") for i, s in enumerate(segments)]
    widths = {a.shape[1] for a in arrays}
    if len(widths) != 1:
        raise ValueError(f"every segment must have the same channels, got widths {sorted(widths)}")
    model, result = _train_model(
        [Standardiser.fit(a).transform(a) for a in arrays], config, None, config.train
    )
    logger.info("pretrained the anomaly model: %d steps in %.1f s", result.steps, result.seconds)
    return model


def _train_model(
    standardised: list[np.ndarray],
    config: AnomalyConfig,
    model: AnomalyModel | None,
    train_config: TrainConfig,
) -> tuple[AnomalyModel, TrainResult]:
    parts = [
        forecast_windows(z, np.arange(1, len(z)), context_length=config.context_length,
                         horizon=config.horizon, levels=config.levels)
        for z in standardised if len(z) > 1
    ]  # fmt: skip
    windows = ForecastWindows(
        context=torch.cat([p.context for p in parts]),
        observed=torch.cat([p.observed for p in parts]),
        table=torch.cat([p.table for p in parts]) if config.levels else None,  # type: ignore[misc]
        future=torch.cat([p.future for p in parts]),
    )
    if model is None:
        torch.manual_seed(train_config.seed)
        model = AnomalyModel(
            config.resolved_model(),
            horizon=config.horizon,
            persistence_penalty=config.persistence_penalty,
        )

    # The backbone sees one channel per sample: `batch_size` counts channel samples, not windows.
    per_batch = max(1, round(train_config.batch_size / windows.context.shape[2]))

    def source(epoch: int, generator: torch.Generator) -> list[Batch]:
        return windows.batches(per_batch, generator)

    result = train(model, source, config=train_config)
    return model.eval(), result


class AnomalyDetector(BaseDetector):
    """Forecast-residual anomaly detector on the sparse multimodal backbone.

    Learned state (besides the shared ``channels_``, ``scaler_``, ``scale_``, ``threshold_``):
    ``model_`` and ``model_config_``; ``train_result_`` when ``fit`` trained the model.

    Args:
        config: settings; defaults to ``AnomalyConfig()``.
        pretrained: a model from :func:`pretrain_anomaly_model` to use (copied, then fine-tuned for
            ``config.finetune_steps`` steps) instead of training one on the rows given to ``fit``.

    Example:
        >>> detector = AnomalyDetector().fit(train_rows, channels=names)
        >>> detection = detector.predict(new_rows)  # scores, alarms, contributions
    """

    name = "moesaic"
    memorises: ClassVar[bool] = True
    config_class = AnomalyConfig
    config: AnomalyConfig

    def __init__(
        self, config: AnomalyConfig | None = None, *, pretrained: AnomalyModel | None = None
    ) -> None:
        super().__init__(config)
        self.pretrained = pretrained

    def _fit_model(self, z: np.ndarray) -> None:
        cfg = self.config
        if self.pretrained is None:
            model, self.train_result_ = _train_model([z], cfg, None, cfg.train)
        else:
            if self.pretrained.config != cfg.resolved_model() or self.pretrained.horizon != cfg.horizon:
                raise ValueError(
                    "the pretrained model does not match this config (context_length, horizon, levels, "
                    "model); pretrain it with the same AnomalyConfig"
                )
            model = copy.deepcopy(self.pretrained)
            if cfg.finetune_steps:
                steps = dataclasses.replace(cfg.train, max_steps=cfg.finetune_steps, warmup_steps=0)
                model, self.train_result_ = _train_model([z], cfg, model, steps)
        self.model_config_ = model.config
        self.model_ = model.eval()

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        return np.nan_to_num(z - self.forecast(z), nan=0.0)[:, None, :]

    def forecast(self, z: np.ndarray) -> np.ndarray:
        """(T, C) forecast of every standardised row from the rows before it; with ``repair``, from
        contexts in which the departing rows before it are replaced by their forecasts. A row whose
        channel had fewer than half a context of readings before its block (the file's first rows,
        the rows after a gap) has no forecast (NaN): a guess from almost nothing departs several
        times more than a forecast does, which raised alarms after every long gap and, in a
        calibration's first rows, lifted the threshold."""
        if self.config.repair > 0:
            forecast = self._forecast_repairing(z)
        else:
            forecast = np.full_like(z, np.nan)
            forecast[1:] = self._forecast_blocks(z, np.arange(1, len(z), self.config.horizon))[: len(z) - 1]
        return np.where(self._read_too_little(z), np.nan, forecast)

    def _read_too_little(self, z: np.ndarray) -> np.ndarray:
        """(T, C) bool: the rows whose block of H was forecast from under L / 2 readings of their
        channel (blocks start at rows 1, 1 + H, ... as in :meth:`forecast`; row 0 has no context)."""
        L, H = self.config.context_length, self.config.horizon
        read = np.concatenate([np.zeros((1, z.shape[1])), np.cumsum(np.isfinite(z), axis=0)])
        starts = np.arange(1, len(z), H)
        few = read[starts] - read[np.maximum(starts - L, 0)] < L / 2  # (blocks, C)
        rows = np.ones(z.shape, dtype=bool)
        rows[1:] = np.repeat(few, H, axis=0)[: len(z) - 1]
        return rows

    def _forecast_blocks(self, z: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """(W * H, C): the H rows forecast from each of the W ``starts`` of ``z``, in order."""
        cfg = self.config
        windows = forecast_windows(
            z, starts, context_length=cfg.context_length, horizon=cfg.horizon, levels=cfg.levels
        )
        with torch.no_grad():
            out = torch.cat([self.model_(b) for b in windows.batches(_PREDICT_BATCH)]).double().numpy()
        return out.reshape(-1, z.shape[1])

    def _forecast_repairing(self, z: np.ndarray) -> np.ndarray:
        """:meth:`forecast` block by block: each block of H rows is forecast from the repaired rows
        before it, then its rows departing by more than ``repair`` are repaired in turn."""
        L, H, bound = self.config.context_length, self.config.horizon, self.config.repair
        repaired, forecast, thin = z.copy(), np.full_like(z, np.nan), self._read_too_little(z)
        for start in range(1, len(z), H):
            stop, first = min(start + H, len(z)), max(0, start - L)  # the rows its window reads
            block = self._forecast_blocks(repaired[first:stop], np.array([start - first]))[: stop - start]
            forecast[start:stop] = block
            departs = (np.abs(z[start:stop] - block) > bound) & ~thin[start:stop]  # NaN never departs
            repaired[start:stop] = np.where(departs, block, z[start:stop])
        return forecast

    def parameter_count(self) -> tuple[int, int]:
        """(total, active per token) parameters of the backbone model."""
        self._check_fitted()
        named = list(self.model_.named_parameters())
        active = sum(p.numel() * self.model_.active_parameter_fraction(name) for name, p in named)
        return sum(p.numel() for _, p in named), round(active)

    def _module(self) -> nn.Module | None:
        return self.model_

    def _extra_config(self) -> dict[str, Any]:
        return {"model": to_dict(self.model_config_)}

    def _restore(
        self, arrays: dict[str, np.ndarray], weights: dict[str, Tensor], saved: dict[str, Any]
    ) -> None:
        self.model_config_ = from_dict(ModelConfig, saved["model"])
        model = AnomalyModel(
            self.model_config_,
            horizon=self.config.horizon,
            persistence_penalty=self.config.persistence_penalty,
        )
        model.load_state_dict(weights)
        self.model_ = model.eval()


def training_rows(time: np.ndarray, train_until: str, least: int = 2) -> int:
    """How many leading rows ``train_until`` names as training rows.

    A whole number N means the first N rows; anything else is a time, and the training rows are
    those at or before it (``time`` must then hold timestamps); a numbers-only date that reads two
    ways is read the way that falls within the file.

    Raises:
        ValueError: an unparsable time, or a split leaving fewer than ``least`` training rows or no
            row after.
    """
    text = train_until.strip()
    if text.isdigit():
        count = int(text)
    elif not np.issubdtype(time.dtype, np.datetime64):
        raise ValueError(
            f"`train_until` {train_until!r}: the time column holds steps, not timestamps; give a count"
        )
    else:
        try:
            span = (pd.Timestamp(time[0]), pd.Timestamp(time[-1])) if len(time) else None
            limit = parse_time_argument(text, "`train_until`", span).to_datetime64()
        except ValueError as err:
            raise ValueError(f"{err}, or a row count") from None
        count = int(np.searchsorted(time, limit, side="right"))
    if not least <= count < len(time):
        wanted = f"at least {least}" if count < least else "at least one row after them"
        raise ValueError(
            f"`train_until` {train_until!r} gives {count} training rows out of {len(time)}; expected {wanted}"
        )
    return count


def detection_table(time: np.ndarray, detection: Detection, *, top: int = 3) -> pd.DataFrame:
    """One row per step: ``time``, ``score``, ``alarm`` (0/1), ``top_channels`` (``;``-joined)."""
    return pd.DataFrame({
        "time": time,
        "score": detection.score,
        "alarm": detection.alarm.astype(np.int8),
        "top_channels": [";".join(names) for names in detection.top_channels(top)],
    })  # fmt: skip
