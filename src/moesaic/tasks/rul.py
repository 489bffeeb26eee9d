"""Remaining useful life (RUL) of run-to-failure series, with the sparse backbone and a regression head.

The protocol is the usual one of C-MAPSS, and everything is fitted on the training series only:

- channels: a channel is dropped when it is constant (fewer than ``min_distinct`` distinct values)
  or barely related to the capped RUL (``|Pearson r| < min_correlation``); on C-MAPSS FD001 this
  keeps the 14 informative sensors of the literature;
- scaling: min-max to [0, 1] or z-score, per channel;
- target: the piecewise-linear RUL ``min(rul, rul_cap)``: no sensor can tell how far from failure
  a still healthy engine is, so its early life is flat;
- windows: the last ``window`` steps, ending at every step of a training series from step
  ``min_history`` on (and at the last step of a series to predict); a shorter history is padded at
  its start with unobserved steps, which the encoders mask. Training on padded windows too matters
  when ``window`` exceeds the shortest series to predict;
- model: the backbone sees a window twice, as series patches (its shape) and as a table of channel
  levels (each channel's mean and standard deviation over the window, on the training scale). The
  patch encoder normalises every window by its own mean and standard deviation (RevIN); the table
  gives them back, without which the absolute degradation level, the strongest RUL signal, would
  be lost;
- early stopping on whole series held out from training (``val_fraction``), never on test data;
- averaging (:mod:`moesaic.tasks.rul_ensemble`): ``members`` models trained with consecutive
  seeds on the same split, the ``snapshots`` best validation weights of each, and the last
  ``smooth`` windows of a series to predict (each earlier prediction shifted by its lag), their
  number chosen on the validation series when ``smooth=0``.

Axes: S series, W windows, T window steps, C channels, B batch, D model width.

The scaler, channel selection, series split, windows and batches live in
:mod:`moesaic.tasks.rul_windows`, the model :class:`RULRegressor` in :mod:`moesaic.tasks.rul_regressor`;
they are re-exported here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.checkpoint import CheckpointError, load_model_state, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.schema import Series
from moesaic.encoders import EncoderConfig, NotFittedError
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.rul_ensemble import BestSnapshots, RegressorMean, shifted_mean
from moesaic.tasks.rul_regressor import RULRegressor
from moesaic.tasks.rul_windows import (
    SCALINGS,
    ChannelScaler,
    RULWindows,
    capped_rul,
    make_windows,
    rul_batches,
    select_channels,
    series_values,
    split_series,
)
from moesaic.train import TrainConfig, TrainResult, train

__all__ = [
    "CHECKPOINT_KIND",
    "SCALINGS",
    "SMOOTH_CHOICES",
    "ChannelScaler",
    "RULConfig",
    "RULEstimator",
    "RULRegressor",
    "RULWindows",
    "capped_rul",
    "make_windows",
    "rul_batches",
    "select_channels",
    "series_values",
    "split_series",
]

logger = logging.getLogger(__name__)

CHECKPOINT_KIND = "moesaic.RULEstimator"
_PREDICT_BATCH = 1024
SMOOTH_CHOICES = (1, 2, 4, 8, 16)  # trailing windows averaged, tried on the validation series (smooth=0)


def _default_model() -> ModelConfig:
    # One patch per window: each channel's whole window is one token (as in iTransformer), so a
    # 50-step window of 14 channels is 14 series + 28 level tokens, cheap enough for a CPU.
    encoders = EncoderConfig(dim=32, patch_len=50, modalities=("timeseries", "tabular"))
    moe = MoEConfig(num_experts=4, top_k=2, expert_hidden=64)
    return ModelConfig(encoders=encoders, moe=moe, num_layers=2, num_heads=2)


def _default_train() -> TrainConfig:
    return TrainConfig(lr=1e-3, warmup_steps=100, max_steps=1500, batch_size=128, eval_every=50, patience=10)


@dataclass(frozen=True)
class RULConfig:
    """Settings of :class:`RULEstimator`.

    Attributes:
        window: T, steps of history per prediction.
        min_history: training windows end at step ``min_history - 1`` or later (all steps are used
            for a series shorter than that); shorter histories are padded.
        rul_cap: the piecewise-linear target ``min(rul, rul_cap)``; predictions lie in [0, rul_cap].
        scaling: one of :data:`SCALINGS`, fitted per channel on the training series.
        channels: the channels to use; empty selects them on the training series (module docstring).
        min_distinct: channels with fewer distinct training values are constant and dropped.
        min_correlation: channels whose ``|Pearson r|`` with the capped RUL is lower are dropped.
        levels: add the table of channel means and standard deviations (module docstring).
        age: add the steps of the series seen so far (its cycles since the record began), divided
            by ``rul_cap``; meaningful only when every series starts at the asset's first cycle.
        val_fraction: share of training series held out, whole, for early stopping (0: none).
        members: models trained with seeds ``train.seed``, ``train.seed + 1``, ...; all hold out
            the same validation series (drawn with ``train.seed``); predictions are averaged.
        snapshots: weights kept per model, those of the validations with the lowest loss
            (needs ``val_fraction > 0`` when above 1); predictions are averaged.
        smooth: the prediction for a series averages those of its last ``smooth`` windows, each
            shifted by its lag (:func:`moesaic.tasks.rul_ensemble.shifted_mean`); 1: last only;
            0: the entry of :data:`SMOOTH_CHOICES` with the lowest RMSE on the validation series.
        model: the backbone; ``fit`` sets the encoder sizes that depend on the data
            (``modalities``, ``max_channels``, ``max_patches``, ``num_numeric``).
        train: optimisation settings; ``train.seed`` also draws the validation series.
    """

    window: int = 50
    min_history: int = 30
    rul_cap: float = 125.0
    scaling: str = "minmax"
    channels: tuple[str, ...] = ()
    min_distinct: int = 3
    min_correlation: float = 0.2
    levels: bool = True
    age: bool = False
    val_fraction: float = 0.2
    members: int = 1
    snapshots: int = 1
    smooth: int = 1
    model: ModelConfig = field(default_factory=_default_model)
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        checks = [
            ("window", self.window >= 1, ">= 1"),
            ("min_history", self.min_history >= 1, ">= 1"),
            ("rul_cap", self.rul_cap > 0, "> 0"),
            ("scaling", self.scaling in SCALINGS, f"one of {list(SCALINGS)}"),
            ("min_distinct", self.min_distinct >= 1, ">= 1"),
            ("min_correlation", 0 <= self.min_correlation < 1, "in [0, 1)"),
            ("val_fraction", 0 <= self.val_fraction < 1, "in [0, 1)"),
            ("members", self.members >= 1, ">= 1"),
            ("snapshots", self.snapshots == 1 or (self.snapshots > 1 and self.val_fraction > 0),
             ">= 1, and 1 without validation series (val_fraction=0)"),
            ("smooth", self.smooth >= 1 or (self.smooth == 0 and self.val_fraction > 0),
             ">= 1, or 0 (choose) with validation series (val_fraction > 0)"),
        ]  # fmt: skip
        problems = [
            f"`{name}` must be {rule}, got {getattr(self, name)!r}" for name, ok, rule in checks if not ok
        ]
        if len(set(self.channels)) != len(self.channels):
            problems.append(f"`channels` must not repeat a channel, got {list(self.channels)}")
        if problems:
            raise ConfigError(problems)


class RULEstimator:
    """Fit on run-to-failure series with a ``rul`` label; predict the RUL at the last step of new series.

    Learned state: ``channels_``, ``scaler_``, ``model_config_``, ``model_`` (a
    :class:`RULRegressor`, or a :class:`~moesaic.tasks.rul_ensemble.RegressorMean` of
    ``members * snapshots`` of them, grouped by member, each member's best weights first),
    ``train_result_`` (the first member's), ``train_results_`` (every member's) and ``smooth_``
    (the trailing windows averaged).

    Example:
        >>> estimator = RULEstimator(RULConfig()).fit(train_series)
        >>> estimator.predict(test_series)  # (S,) RUL after the last step of each series
    """

    def __init__(self, config: RULConfig | None = None) -> None:
        self.config = config if config is not None else RULConfig()

    def fit(self, series: Sequence[Series]) -> RULEstimator:
        """Select channels, fit the scaler and train the models with early stopping; returns ``self``."""
        cfg = self.config
        if not series:
            raise ValueError("`series` is empty; fit needs run-to-failure series with a 'rul' label")
        train_part, val_part = split_series(series, val_fraction=cfg.val_fraction, seed=cfg.train.seed)
        channels = cfg.channels or select_channels(
            train_part,
            rul_cap=cfg.rul_cap,
            min_distinct=cfg.min_distinct,
            min_correlation=cfg.min_correlation,
        )
        self.channels_ = channels
        self.scaler_ = ChannelScaler.fit(
            np.concatenate([series_values(s, channels) for s in train_part]), cfg.scaling
        )
        train_windows = self.windows(train_part, labelled=True)
        val_windows = self.windows(val_part, labelled=True) if val_part else None
        encoders = dataclasses.replace(
            cfg.model.encoders,
            modalities=("timeseries", "tabular") if cfg.levels or cfg.age else ("timeseries",),
            max_channels=len(channels),
            max_patches=-(-cfg.window // cfg.model.encoders.patch_len),
            num_numeric=(2 * len(channels) if cfg.levels else 0) + int(cfg.age),
        )
        self.model_config_ = dataclasses.replace(cfg.model, encoders=encoders)

        def source(epoch: int, generator: torch.Generator) -> list[Batch]:
            return self.batches(train_windows, cfg.train.batch_size, generator=generator)

        val_batches = None if val_windows is None else self.batches(val_windows)
        logger.info(
            "RUL: channels %s, %d training and %d validation windows, %d member(s) x %d snapshot(s)",
            list(channels), len(train_windows), 0 if val_windows is None else len(val_windows),
            cfg.members, cfg.snapshots,
        )  # fmt: skip
        regressors: list[nn.Module] = []
        results: list[TrainResult] = []
        for member in range(cfg.members):
            config = dataclasses.replace(cfg.train, seed=cfg.train.seed + member)
            torch.manual_seed(config.seed)
            model = RULRegressor(self.model_config_)
            snapshots = BestSnapshots(cfg.snapshots)
            callbacks = [snapshots] if cfg.snapshots > 1 else []
            results.append(train(model, source, config=config, val_batches=val_batches, callbacks=callbacks))
            regressors.append(model.eval())
            for state in snapshots.states()[1:] if callbacks else []:  # the first is the best: `model`
                regressors.append(self._regressor(state))
        self.train_result_: TrainResult = results[0]
        self.train_results_: tuple[TrainResult, ...] = tuple(results)
        self.model_ = self._combine(regressors)
        self.smooth_ = cfg.smooth or self._choose_smooth(val_part)
        return self

    def windows(self, series: Sequence[Series], *, labelled: bool, last_only: bool = False) -> RULWindows:
        """Windows of ``series`` on the fitted channels and scale (every window, or the last of each)."""
        self._check_fitted("scaler_")
        if not series:
            raise ValueError("`series` is empty; give at least one series")
        values = [self.scaler_.transform(series_values(s, self.channels_)) for s in series]
        rul = [capped_rul(s, self.config.rul_cap) for s in series] if labelled else None
        cfg = self.config
        return make_windows(
            values, window=cfg.window, rul=rul, last_only=last_only, min_history=cfg.min_history
        )

    def batches(
        self, windows: RULWindows, size: int = _PREDICT_BATCH, *, generator: torch.Generator | None = None
    ) -> list[Batch]:
        """Model inputs of ``windows`` with the numeric features this estimator's config asks for."""
        cfg = self.config
        cap, levels, age = cfg.rul_cap, cfg.levels, cfg.age
        return rul_batches(windows, size, rul_cap=cap, levels=levels, age=age, generator=generator)

    def predict(self, series: Sequence[Series]) -> np.ndarray:
        """(S,) RUL after the last step of each series, in [0, rul_cap], float64.

        The mean of the models, over the last ``smooth`` windows of each series (see the config).
        """
        self._check_fitted("model_")
        lagged = self.member_predictions(series, lags=self.smooth_).mean(axis=0)  # (S, K)
        return shifted_mean(lagged, self.config.rul_cap)

    def member_predictions(self, series: Sequence[Series], *, lags: int = 1) -> np.ndarray:
        """(M, S, K) RUL of each model, at the last step of each series and ``K = lags - 1`` steps earlier.

        Entry ``[m, s, k]`` is model ``m``'s RUL at ``k`` steps before the end of series ``s`` (NaN
        where the series is shorter than ``k + 1`` steps), in [0, rul_cap]. Models are ordered as
        in ``model_`` (module docstring); a single model gives M = 1.
        """
        self._check_fitted("model_")
        if lags < 1:
            raise ValueError(f"`lags` must be >= 1, got {lags}")
        if not series:
            raise ValueError("`series` is empty; give at least one series")
        cfg = self.config
        ends = [[len(s.time) - 1 - k for k in range(lags)] for s in series]
        values = [self.scaler_.transform(series_values(s, self.channels_)) for s in series]
        # Windows ending at the lagged steps: cut each series there and keep its last window.
        cuts = [v[: e + 1] for v, row in zip(values, ends, strict=True) for e in row if e >= 0]
        batches = self.batches(make_windows(cuts, window=cfg.window, last_only=True))
        model = self.model_
        with torch.no_grad():
            if isinstance(model, RegressorMean):
                outputs = torch.cat([model.member_outputs(b) for b in batches], dim=1)  # (M, W)
            else:
                outputs = torch.cat([model(b) for b in batches])[None]
        flat = outputs.clamp(0.0, 1.0).double().numpy() * cfg.rul_cap
        result = np.full((flat.shape[0], len(series), lags), np.nan)
        mask = np.array([[e >= 0 for e in row] for row in ends])  # (S, K)
        result[:, mask] = flat
        return result

    def _choose_smooth(self, series: Sequence[Series]) -> int:
        """The entry of :data:`SMOOTH_CHOICES` with the lowest RMSE against the capped RUL of
        ``series``, over every step from ``min_history`` on, each predicted from the steps before."""
        cfg = self.config
        values = [self.scaler_.transform(series_values(s, self.channels_)) for s in series]
        rul = [capped_rul(s, cfg.rul_cap) for s in series]
        windows = make_windows(values, window=cfg.window, rul=rul, min_history=1)  # every step
        batches = self.batches(windows)
        with torch.no_grad():
            every = (
                torch.cat([self.model_(b) for b in batches]).clamp(0.0, 1.0).double().numpy() * cfg.rul_cap
            )
        source, target = windows.source.numpy(), windows.rul.numpy().astype(np.float64)
        errors = {}
        for lags in SMOOTH_CHOICES:
            squared = []
            for s in range(len(series)):
                own, truth = every[source == s], target[source == s]
                ends = np.arange(min(cfg.min_history, own.size) - 1, own.size)
                steps = ends[:, None] - np.arange(lags)[None]  # (E, K)
                lagged = np.where(steps >= 0, own[np.maximum(steps, 0)], np.nan)
                squared.append((shifted_mean(lagged, cfg.rul_cap) - truth[ends]) ** 2)
            errors[lags] = float(np.sqrt(np.concatenate(squared).mean()))
        logger.info(
            "RUL: validation RMSE by trailing windows averaged %s",
            {k: round(v, 3) for k, v in errors.items()},
        )
        return min(errors, key=errors.__getitem__)

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` and ``config.json`` (settings, channels, scaler) to ``folder``."""
        self._check_fitted("model_")
        save_model(Path(folder), self.model_, {
            "kind": CHECKPOINT_KIND, "config": to_dict(self.config), "model": to_dict(self.model_config_),
            "channels": list(self.channels_), "regressors": self._count(), "smooth": self.smooth_,
            "scaler": {"offset": self.scaler_.offset.tolist(), "scale": self.scaler_.scale.tolist()},
        })  # fmt: skip

    @classmethod
    def load(cls, folder: Path) -> RULEstimator:
        """An estimator saved by :meth:`save`, ready to predict.

        Raises:
            CheckpointError: missing, modified or foreign checkpoint, or one that does not rebuild.
        """
        state = load_model_state(Path(folder), kind=CHECKPOINT_KIND, what="an RULEstimator")
        saved: dict[str, Any] = state.config
        try:
            estimator = cls(from_dict(RULConfig, saved["config"]))
            estimator.model_config_ = from_dict(ModelConfig, saved["model"])
            estimator.channels_ = tuple(saved["channels"])
            estimator.scaler_ = ChannelScaler(
                np.asarray(saved["scaler"]["offset"], dtype=np.float64),
                np.asarray(saved["scaler"]["scale"], dtype=np.float64),
            )
            count = int(saved.get("regressors", 1))
            estimator.smooth_ = int(saved.get("smooth", estimator.config.smooth or 1))
            model = estimator._combine([RULRegressor(estimator.model_config_) for _ in range(count)])
            model.load_state_dict(state.state_dict)
        except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{folder}: cannot rebuild the RUL estimator ({err})") from err
        estimator.model_ = model.eval()
        return estimator

    def _regressor(self, state: dict[str, Tensor]) -> RULRegressor:
        model = RULRegressor(self.model_config_)
        model.load_state_dict(state)
        return model.eval()

    @staticmethod
    def _combine(regressors: list[nn.Module]) -> nn.Module:
        """One regressor as it is (the checkpoint layout of a single model), several averaged."""
        return regressors[0] if len(regressors) == 1 else RegressorMean(regressors)

    def _count(self) -> int:
        return len(self.model_.members) if isinstance(self.model_, RegressorMean) else 1

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            name = type(self).__name__
            raise NotFittedError(f"This {name} is not fitted yet. Call `fit` or `{name}.load` first.")
