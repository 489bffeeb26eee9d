"""What the :class:`~moesaic.tasks.forecast.Forecaster` is configured with and what it returns.

:class:`ForecastConfig`, the :data:`FORECAST_MODELS` registry of model builders with the
:class:`ForecastModel` protocol they satisfy (:data:`POINT_FORECAST_MODELS` names those without a
band), and the results :class:`QuantileForecast` and :class:`StageOutcome`.

Axes: B windows, L context length, H horizon, C forecast channels, Q quantiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.heads.forecast import ForecastSpec, MoesaicForecastConfig, MoesaicForecastModel, check_quantiles
from moesaic.tasks.baselines import (
    DLinear,
    DLinearConfig,
    FracastForecaster,
    PatchTST,
    PatchTSTConfig,
    SeasonalNaive,
)
from moesaic.train import TrainConfig, TrainResult

DEFAULT_QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class ForecastModel(Protocol):
    """What the :class:`Forecaster` drives: an ``nn.Module`` built by a :data:`FORECAST_MODELS` entry.

    ``forecast`` reads a batch of :func:`moesaic.data.forecast_windows.make_forecast_batch` on the
    Forecaster's standardised scale and returns (B, H, C, Q) quantiles, increasing along Q. A model
    with trainable parameters also defines ``loss(batch)`` for :func:`moesaic.train.train`; one
    without (seasonal naive, zero-shot fracast) is used as built.
    """

    def forecast(self, batch: Batch) -> Tensor: ...

    def state_dict(self) -> dict[str, Tensor]: ...


@dataclass(frozen=True)
class ForecastConfig:
    """A forecasting system and how it is trained.

    Attributes:
        model: a key of :data:`FORECAST_MODELS`.
        context_length: L steps of context.
        horizon: H steps one forward pass forecasts (``predict`` rolls out further).
        quantiles: Q increasing levels holding 0.5.
        moesaic: the moesaic model ("moesaic").
        patchtst: the PatchTST baseline ("patchtst").
        dlinear: the DLinear baseline ("dlinear").
        seasonal_period: the season of "seasonal_naive", in steps.
        fracast_weights: "fp32" or "w8" ("fracast").
        train: optimisation; ``train.batch_size`` counts windows (each gives C samples).
        val_fraction: share of each series held out (at its end) for early stopping when ``fit``
            gets no validation series; 0 disables it.
        val_stride: validate on every ``val_stride``-th window when steering stopping and the
            stages' rollback (the "ridge" stage chooses its penalties on every window).
        predict_batch_size: windows per forward pass in ``predict``.
    """

    model: str = "moesaic"
    context_length: int = 512
    horizon: int = 96
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    moesaic: MoesaicForecastConfig = field(default_factory=MoesaicForecastConfig)
    patchtst: PatchTSTConfig = field(default_factory=PatchTSTConfig)
    dlinear: DLinearConfig = field(default_factory=DLinearConfig)
    seasonal_period: int = 24
    fracast_weights: str = "fp32"
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(
            lr=1e-3, weight_decay=0.05, warmup_steps=30, max_steps=300, batch_size=32, eval_every=100,
            patience=4, log_every=50, checkpoint_every=10**9,
        )
    )  # fmt: skip  # 300 steps per stage: on ETTh1's validation months 2,000 did worse (BENCHMARKS.md)
    val_fraction: float = 0.2
    val_stride: int = 4
    predict_batch_size: int = 256

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantiles", tuple(self.quantiles))
        problems = []
        if self.model not in FORECAST_MODELS:
            problems.append(f"`model` must be one of {sorted(FORECAST_MODELS)}, got {self.model!r}")
        for name in ("context_length", "horizon", "seasonal_period", "val_stride", "predict_batch_size"):
            if getattr(self, name) < 1:
                problems.append(f"`{name}` must be >= 1, got {getattr(self, name)}")
        try:
            check_quantiles(self.quantiles)
        except ValueError as err:
            problems.append(str(err))
        if not 0.0 <= self.val_fraction < 1.0:
            problems.append(f"`val_fraction` must be in [0, 1), got {self.val_fraction}")
        if self.fracast_weights not in ("fp32", "w8"):
            problems.append(f"`fracast_weights` must be 'fp32' or 'w8', got {self.fracast_weights!r}")
        if problems:
            raise ConfigError(problems)


def _seasonal_naive(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
    return SeasonalNaive(
        num_channels=spec.num_channels,
        horizon=spec.horizon,
        num_quantiles=len(spec.quantiles),
        period=config.seasonal_period,
    )


def _over_context(
    model: Callable[..., nn.Module], section: str
) -> Callable[[ForecastConfig, ForecastSpec], nn.Module]:
    """The builder of a baseline that reads the whole context, set by its ``section`` of the config."""

    def build(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
        return model(
            context_length=spec.context_length,
            horizon=spec.horizon,
            num_channels=spec.num_channels,
            num_quantiles=len(spec.quantiles),
            config=getattr(config, section),
        )

    return build


def _fracast(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
    return FracastForecaster(
        num_channels=spec.num_channels,
        horizon=spec.horizon,
        quantiles=spec.quantiles,
        weights=config.fracast_weights,
    )


FORECAST_MODELS: dict[str, Callable[[ForecastConfig, ForecastSpec], nn.Module]] = {
    "moesaic": lambda config, spec: MoesaicForecastModel(spec, config.moesaic),
    "patchtst": _over_context(PatchTST, "patchtst"),
    "dlinear": _over_context(DLinear, "dlinear"),
    "seasonal_naive": _seasonal_naive,
    "fracast": _fracast,
}
"""Forecast model builders by name: ``builder(config, spec) -> module with forecast(batch)``."""

POINT_FORECAST_MODELS = frozenset({"seasonal_naive", "dlinear", "patchtst"})
"""The models of :data:`FORECAST_MODELS` that forecast one value per step and repeat it at every
quantile level: their "quantiles" are no band, so a forecast of theirs is written and shown
without one."""


class QuantileForecast(NamedTuple):
    """A probabilistic forecast on the data's scale.

    ``median`` (B, H, C), the point forecast, and ``quantiles`` (B, H, C, Q); without the leading
    B when ``predict`` got a single (T, C) context.
    """

    median: np.ndarray
    quantiles: np.ndarray
    levels: tuple[float, ...]

    def to_frame(self, channels: Sequence[str], time: np.ndarray, *, quantiles: bool = True) -> pd.DataFrame:
        """One forecast (H, C) as a table: ``date``, then per channel its median and ``<ch>_q<level>``.

        Args:
            channels: C channel names.
            time: (H,) timestamps of the forecast steps.
            quantiles: False leaves the ``<ch>_q<level>`` columns out (a point forecast: see
                :data:`POINT_FORECAST_MODELS`).
        """
        if self.median.ndim != 2 or self.median.shape != (len(time), len(channels)):
            raise ValueError(
                f"expected one forecast of shape ({len(time)}, {len(channels)}), got {self.median.shape}"
            )
        columns: dict[str, np.ndarray] = {"date": time}
        for c, name in enumerate(channels):
            columns[name] = self.median[:, c]
            for q, level in enumerate(self.levels if quantiles else ()):
                columns[f"{name}_q{level:g}"] = self.quantiles[:, c, q]
        return pd.DataFrame(columns)

    def band(
        self, lower: float = 0.1, upper: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """The quantiles at the levels nearest ``lower`` and ``upper``, and those two levels."""
        levels = np.asarray(self.levels)
        low, high = (int(np.argmin(np.abs(levels - level))) for level in (lower, upper))
        return self.quantiles[..., low], self.quantiles[..., high], (self.levels[low], self.levels[high])


class StageOutcome(NamedTuple):
    """One training stage of ``Forecaster.fit``: its result and whether its weights were kept."""

    stage: str
    result: TrainResult
    kept: bool
