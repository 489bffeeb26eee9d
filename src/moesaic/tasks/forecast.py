"""Probabilistic multivariate forecasting: the :class:`Forecaster` and the models it drives.

One object fits, predicts, saves and loads every forecasting system, the moesaic model and the
baselines alike (``ForecastConfig.model`` picks one of :data:`FORECAST_MODELS`), so they are
compared through one interface. It follows the scikit-learn contract: ``__init__`` only stores,
``fit`` returns ``self``, learned state ends in ``_``, and predicting before fitting raises
:class:`NotFittedError`.

The moesaic model runs on the multimodal sparse-MoE backbone, channel-independently: each forecast
channel of each window is one sample whose series holds that channel first and the covariate
channels after it, so attention and the experts see the target's patch tokens next to the
covariates' (and next to the asset's table tokens when static attributes are given). The
:class:`~moesaic.heads.forecast.QuantileForecastHead` reads the target's patch tokens and returns
non-crossing quantiles on the RevIN scale, mapped back with the encoder's statistics.

Axes: B windows, L context length, H horizon, C forecast channels, K covariates, F static
features, Q quantiles, P patches, D model width.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from moesaic.checkpoint import CheckpointError, load_model_state, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import ChannelStandardizer, count_windows, make_forecast_batch
from moesaic.encoders import NotFittedError
from moesaic.heads.forecast import ForecastSpec, MoesaicForecastConfig, MoesaicForecastModel, check_quantiles
from moesaic.tasks.baselines import (
    DLinear,
    DLinearConfig,
    FracastForecaster,
    PatchTST,
    PatchTSTConfig,
    SeasonalNaive,
)
from moesaic.train import Progress, TrainConfig, TrainResult, train

logger = logging.getLogger(__name__)

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
        val_stride: validate on every ``val_stride``-th window (validation only steers stopping).
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
            lr=1e-3, weight_decay=0.05, warmup_steps=100, max_steps=2000, batch_size=32, eval_every=100,
            patience=4, log_every=50, checkpoint_every=10**9,
        )
    )  # fmt: skip
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


def _dlinear(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
    return DLinear(
        context_length=spec.context_length,
        horizon=spec.horizon,
        num_channels=spec.num_channels,
        num_quantiles=len(spec.quantiles),
        config=config.dlinear,
    )


def _patchtst(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
    return PatchTST(
        context_length=spec.context_length,
        horizon=spec.horizon,
        num_channels=spec.num_channels,
        num_quantiles=len(spec.quantiles),
        config=config.patchtst,
    )


def _fracast(config: ForecastConfig, spec: ForecastSpec) -> nn.Module:
    return FracastForecaster(
        num_channels=spec.num_channels,
        horizon=spec.horizon,
        quantiles=spec.quantiles,
        weights=config.fracast_weights,
    )


FORECAST_MODELS: dict[str, Callable[[ForecastConfig, ForecastSpec], nn.Module]] = {
    "moesaic": lambda config, spec: MoesaicForecastModel(spec, config.moesaic),
    "patchtst": _patchtst,
    "dlinear": _dlinear,
    "seasonal_naive": _seasonal_naive,
    "fracast": _fracast,
}
"""Forecast model builders by name: ``builder(config, spec) -> module with forecast(batch)``."""


class QuantileForecast(NamedTuple):
    """A probabilistic forecast on the data's scale.

    ``median`` (B, H, C), the point forecast, and ``quantiles`` (B, H, C, Q); without the leading
    B when ``predict`` got a single (T, C) context.
    """

    median: np.ndarray
    quantiles: np.ndarray
    levels: tuple[float, ...]

    def to_frame(self, channels: Sequence[str], time: np.ndarray) -> pd.DataFrame:
        """One forecast (H, C) as a table: ``date``, then per channel its median and ``<ch>_q<level>``.

        Args:
            channels: C channel names.
            time: (H,) timestamps of the forecast steps.
        """
        if self.median.ndim != 2 or self.median.shape != (len(time), len(channels)):
            raise ValueError(
                f"expected one forecast of shape ({len(time)}, {len(channels)}), got {self.median.shape}"
            )
        columns: dict[str, np.ndarray] = {"date": time}
        for c, name in enumerate(channels):
            columns[name] = self.median[:, c]
            for q, level in enumerate(self.levels):
                columns[f"{name}_q{level:g}"] = self.quantiles[:, c, q]
        return pd.DataFrame(columns)


class StageOutcome(NamedTuple):
    """One training stage of ``Forecaster.fit``: its result and whether its weights were kept."""

    stage: str
    result: TrainResult
    kept: bool


class _Segment(NamedTuple):
    """One standardised series, ready to be cut into windows."""

    values: np.ndarray  # (T, C)
    covariates: np.ndarray | None  # (T, K)
    static: np.ndarray | None  # (F,)


class Forecaster:
    """Fit, predict, save and load any system of :data:`FORECAST_MODELS` (scikit-learn contract).

    Learned state: ``spec_`` (:class:`ForecastSpec`), ``scaler_`` and ``covariate_scaler_``
    (per-channel standardisation of the training series), ``model_``, ``train_result_`` (of the
    last training stage; None for untrained models) and ``train_seconds_`` (all stages).

    A model may train in stages: if it has ``training_stages(train_config)`` returning
    ``[(stage, TrainConfig), ...]`` and ``set_stage(stage)``, each stage is one call of
    :func:`moesaic.train.train`, in order, with early stopping on the same validation windows.

    Example:
        >>> forecaster = Forecaster(ForecastConfig(context_length=96, horizon=24)).fit(train, val=val)
        >>> forecast = forecaster.predict(train[-96:], horizon=48)  # rolls out past 24 steps
        >>> forecast.median.shape, forecast.quantiles.shape
        ((48, 7), (48, 7, 9))
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()

    def fit(
        self,
        series: np.ndarray | Sequence[np.ndarray],
        *,
        val: np.ndarray | Sequence[np.ndarray] | None = None,
        covariates: np.ndarray | Sequence[np.ndarray] | None = None,
        val_covariates: np.ndarray | Sequence[np.ndarray] | None = None,
        static: np.ndarray | None = None,
        progress: Progress | None = None,
    ) -> Forecaster:
        """Learn the scalers and train the model (a no-op training for untrained baselines).

        Args:
            series: (T, C) values, or a list of them (one per asset, same C); NaN = missing.
            val: validation series, laid out as ``series`` (its first ``context_length`` steps
                are context only). None holds out the last ``config.val_fraction`` of each series.
            covariates: (T, K) past-only covariates aligned with each series, or None.
            val_covariates: covariates aligned with ``val``.
            static: (S, F) numeric attributes, one row per series (or (F,) for one series).
            progress: called after each training step, see :func:`moesaic.train.train`.
        """
        cfg = self.config
        train_values = _as_series_list(series, "series")
        num_channels = train_values[0].shape[1]
        train_cov = _aligned(covariates, train_values, "covariates")
        static_rows = _static_rows(static, len(train_values))
        self.scaler_ = ChannelStandardizer().fit(np.concatenate(train_values))
        self.covariate_scaler_ = (
            None if train_cov is None else ChannelStandardizer().fit(np.concatenate(train_cov))
        )
        self.spec_ = ForecastSpec(
            context_length=cfg.context_length,
            horizon=cfg.horizon,
            quantiles=cfg.quantiles,
            num_channels=num_channels,
            num_covariates=0 if train_cov is None else train_cov[0].shape[1],
            num_static=0 if static_rows is None else static_rows.shape[1],
        )
        train_parts = self._segments(train_values, train_cov, static_rows)
        if val is not None:
            val_values = _as_series_list(val, "val")
            val_parts = self._segments(
                val_values, _aligned(val_covariates, val_values, "val_covariates"), static_rows
            )
        else:
            train_parts, val_parts = _hold_out(train_parts, cfg.val_fraction, cfg.context_length)
        torch.manual_seed(cfg.train.seed)
        self.model_: nn.Module = FORECAST_MODELS[cfg.model](cfg, self.spec_)
        self.train_result_: TrainResult | None = None
        self.stages_: list[StageOutcome] = []
        start = time.perf_counter()
        if any(p.requires_grad for p in self.model_.parameters()):
            val_batches = self._batches(val_parts, stride=cfg.val_stride)
            self.stages_ = self._train_stages(train_parts, val_batches, progress)
        self.train_seconds_ = time.perf_counter() - start
        return self

    def predict(
        self,
        context: np.ndarray,
        *,
        horizon: int | None = None,
        covariates: np.ndarray | None = None,
        static: np.ndarray | None = None,
    ) -> QuantileForecast:
        """Forecast the next ``horizon`` steps after each context.

        Args:
            context: (T, C) or (B, T, C) on the data's scale, NaN = missing. A longer context is
                cut to its last ``context_length`` steps, a shorter one padded with missing steps.
            horizon: steps to forecast (default ``config.horizon``); beyond the trained horizon the
                forecast is rolled out on its own median, unknown covariates counted as missing.
            covariates: (T, K) or (B, T, K), aligned with ``context``.
            static: (F,) or (B, F).
        """
        spec = self._fitted_spec()
        h = spec.horizon if horizon is None else horizon
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"`horizon` must be an integer >= 1, got {horizon!r}")
        values = np.asarray(context, dtype=np.float32)
        single = values.ndim == 2
        values = _check_windows(values[None] if single else values, spec.num_channels, "context")
        scaled = _fit_length(self.scaler_.transform(values), spec.context_length)
        cov = self._predict_covariates(covariates, values.shape[:2], single)
        rows = (
            None
            if static is None
            else np.broadcast_to(np.asarray(static, np.float32), (len(values), spec.num_static))
        )
        pieces, produced = [], 0
        while produced < h:
            q = self._forecast_scaled(scaled, cov, rows)  # (B, H, C, Q)
            pieces.append(q)
            produced += spec.horizon
            if produced < h:  # roll out: the median becomes context
                median = q[..., spec.quantiles.index(0.5)]
                scaled = np.concatenate([scaled, median], axis=1)[:, -spec.context_length :]
                if cov is not None:
                    unknown = np.full((len(cov), spec.horizon, cov.shape[2]), np.nan, np.float32)
                    cov = np.concatenate([cov, unknown], axis=1)[:, -spec.context_length :]
        scaled_q = np.concatenate(pieces, axis=1)[:, :h]  # (B, h, C, Q)
        quantiles = np.moveaxis(self.scaler_.inverse_transform(np.moveaxis(scaled_q, -1, -2)), -1, -2)
        median = quantiles[..., spec.quantiles.index(0.5)]
        if single:
            return QuantileForecast(median[0], quantiles[0], spec.quantiles)
        return QuantileForecast(median, quantiles, spec.quantiles)

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` and ``config.json`` (config, spec, scalers) to ``folder``."""
        spec = self._fitted_spec()
        cov = self.covariate_scaler_
        document = {
            "forecast": to_dict(self.config),
            "spec": to_dict(spec),
            "scaler": {"mean": self.scaler_.mean_.tolist(), "std": self.scaler_.std_.tolist()},
            "covariate_scaler": None
            if cov is None
            else {"mean": cov.mean_.tolist(), "std": cov.std_.tolist()},
            "train_seconds": self.train_seconds_,
            "stage": getattr(self.model_, "stage", None),  # a staged model forecasts as its kept stage
        }
        save_model(Path(folder), self.model_, document)

    @classmethod
    def load(cls, folder: Path) -> Forecaster:
        """A fitted Forecaster from a folder written by :meth:`save`.

        Raises:
            CheckpointError: a missing, modified or incompatible checkpoint, naming the file.
        """
        state = load_model_state(Path(folder))
        try:
            config = from_dict(ForecastConfig, state.config["forecast"])
            spec = from_dict(ForecastSpec, state.config["spec"])
            scaler = ChannelStandardizer.from_arrays(**state.config["scaler"])
            cov = state.config["covariate_scaler"]
            seconds = float(state.config["train_seconds"])
            stage = state.config.get("stage")
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{folder}: config.json does not describe a Forecaster ({err!r})") from err
        forecaster = cls(config)
        forecaster.spec_, forecaster.scaler_ = spec, scaler
        forecaster.covariate_scaler_ = None if cov is None else ChannelStandardizer.from_arrays(**cov)
        forecaster.model_ = FORECAST_MODELS[config.model](config, spec)
        try:
            forecaster.model_.load_state_dict(state.state_dict)
        except RuntimeError as err:
            raise CheckpointError(f"{folder}: the weights do not fit a {config.model} model ({err})") from err
        if stage is not None:
            forecaster.model_.set_stage(stage)  # type: ignore[operator]
        forecaster.train_result_, forecaster.train_seconds_ = None, seconds
        return forecaster

    # ---------------------------------------------------------------- internals

    def _train_stages(
        self, parts: list[_Segment], val_batches: list[Batch], progress: Progress | None
    ) -> list[StageOutcome]:
        """Train each stage the model asks for; roll back a stage that does not lower the validation loss."""
        model, cfg = self.model_, self.config
        staged = getattr(model, "training_stages", None)
        stages = staged(cfg.train) if staged else [("all", cfg.train)]
        outcomes: list[StageOutcome] = []
        best: tuple[float, dict[str, Tensor], str] | None = None
        for stage, stage_config in stages:
            if staged:
                model.set_stage(stage)  # type: ignore[operator]
            logger.info("training %s: stage %s, up to %d steps", cfg.model, stage, stage_config.max_steps)
            result = train(
                model, _WindowSampler(self, parts), config=stage_config, val_batches=val_batches or None,
                progress=progress,
            )  # fmt: skip
            self.train_result_ = result
            kept = True
            if result.best_val_loss is not None:
                if best is None or result.best_val_loss < best[0]:
                    best = (result.best_val_loss, copy.deepcopy(model.state_dict()), stage)
                else:
                    kept = False
                    logger.info(
                        "stage %s: validation loss %.4g is not below %.4g of stage %s; rolled back",
                        stage, result.best_val_loss, best[0], best[2],
                    )  # fmt: skip
                    model.load_state_dict(best[1])
                    model.set_stage(best[2])  # type: ignore[operator]
            outcomes.append(StageOutcome(stage, result, kept))
        return outcomes

    def _fitted_spec(self) -> ForecastSpec:
        if not hasattr(self, "model_"):
            name = type(self).__name__
            raise NotFittedError(f"This {name} is not fitted yet. Call `fit` or `{name}.load` first.")
        return self.spec_

    def _segments(
        self, values: list[np.ndarray], covariates: list[np.ndarray] | None, static: np.ndarray | None
    ) -> list[_Segment]:
        C = self.spec_.num_channels
        parts = []
        for i, v in enumerate(values):
            if v.shape[1] != C:
                raise ValueError(f"series {i} has {v.shape[1]} channels, the first one has {C}")
            cov = None
            if covariates is not None:
                assert self.covariate_scaler_ is not None
                cov = self.covariate_scaler_.transform(covariates[i])
            parts.append(_Segment(self.scaler_.transform(v), cov, None if static is None else static[i]))
        return parts

    def _batches(self, parts: list[_Segment], *, stride: int) -> list[Batch]:
        """Every ``stride``-th window of each part, in order, in batches of ``predict_batch_size``."""
        index = _window_index(parts, self.spec_, stride=stride)
        size = self.config.predict_batch_size
        return [self._window_batch(parts, index[i : i + size]) for i in range(0, len(index), size)]

    def _window_batch(self, parts: list[_Segment], index: np.ndarray) -> Batch:
        """Batch of the windows ``index`` (W, 2) = (part, start) rows."""
        L, H = self.spec_.context_length, self.spec_.horizon
        steps = np.arange(L + H)
        context, target, cov, static = [], [], [], []
        for p in np.unique(index[:, 0]):
            starts = index[index[:, 0] == p, 1]
            rows = starts[:, None] + steps  # (w, L + H)
            part = parts[p]
            context.append(part.values[rows[:, :L]])
            target.append(part.values[rows[:, L:]])
            if part.covariates is not None:
                cov.append(part.covariates[rows[:, :L]])
            if part.static is not None:
                static.append(np.broadcast_to(part.static, (len(starts), part.static.shape[0])))
        return make_forecast_batch(
            np.concatenate(context),
            target=np.concatenate(target),
            covariates=np.concatenate(cov) if cov else None,
            static=np.concatenate(static) if static else None,
        )

    def _predict_covariates(
        self, covariates: np.ndarray | None, shape: tuple[int, int], single: bool
    ) -> np.ndarray | None:
        K = self.spec_.num_covariates
        if covariates is None:
            if K:
                raise ValueError(f"this Forecaster was fitted with {K} covariates: pass `covariates`")
            return None
        if not K or self.covariate_scaler_ is None:
            raise ValueError("this Forecaster was fitted without covariates; do not pass `covariates`")
        cov = np.asarray(covariates, dtype=np.float32)
        cov = _check_windows(cov[None] if single else cov, K, "covariates")
        if cov.shape[:2] != shape:
            raise ValueError(
                f"`covariates` must cover the context's (windows, steps) {shape}, got {cov.shape[:2]}"
            )
        return _fit_length(self.covariate_scaler_.transform(cov), self.spec_.context_length)

    def _forecast_scaled(
        self, context: np.ndarray, cov: np.ndarray | None, static: np.ndarray | None
    ) -> np.ndarray:
        """(B, L, C) standardised contexts -> (B, H, C, Q) standardised quantiles."""
        model = self.model_.eval()
        size = self.config.predict_batch_size
        out = []
        with torch.inference_mode():
            for i in range(0, len(context), size):
                batch = make_forecast_batch(
                    context[i : i + size],
                    covariates=None if cov is None else cov[i : i + size],
                    static=None if static is None else static[i : i + size],
                )
                out.append(model.forecast(batch).numpy())  # type: ignore[operator]
        return np.concatenate(out)


class _WindowSampler:
    """The training batch source: every window of every part once per epoch, shuffled."""

    def __init__(self, forecaster: Forecaster, parts: list[_Segment]) -> None:
        self.forecaster, self.parts = forecaster, parts
        self.index = _window_index(parts, forecaster.spec_, stride=1)
        if not len(self.index):
            spec = forecaster.spec_
            raise ValueError(
                f"no training window: each series needs context_length + horizon = "
                f"{spec.context_length + spec.horizon} steps; lengths are {[len(p.values) for p in parts]}"
            )

    def __call__(self, epoch: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(len(self.index), generator=generator).numpy()
        size = self.forecaster.config.train.batch_size
        for i in range(0, len(order), size):
            yield self.forecaster._window_batch(self.parts, self.index[order[i : i + size]])


def _window_index(parts: list[_Segment], spec: ForecastSpec, *, stride: int) -> np.ndarray:
    """(W, 2) (part, start) of every ``stride``-th window of every part."""
    rows = []
    for p, part in enumerate(parts):
        n = count_windows(len(part.values), context_length=spec.context_length, horizon=spec.horizon)
        starts = np.arange(0, n, stride)
        rows.append(np.column_stack([np.full(len(starts), p), starts]))
    return np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 2), np.int64)


def _hold_out(
    parts: list[_Segment], fraction: float, context_length: int
) -> tuple[list[_Segment], list[_Segment]]:
    """Split each part at ``1 - fraction`` of its length; validation keeps the context before the cut."""
    if fraction == 0:
        return parts, []
    train_parts, val_parts = [], []
    for part in parts:
        cut = int(len(part.values) * (1 - fraction))
        start = max(cut - context_length, 0)
        train_parts.append(
            _Segment(
                part.values[:cut], None if part.covariates is None else part.covariates[:cut], part.static
            )
        )
        val_parts.append(
            _Segment(
                part.values[start:], None if part.covariates is None else part.covariates[start:], part.static
            )
        )
    return train_parts, val_parts


def _as_series_list(series: np.ndarray | Sequence[np.ndarray], name: str) -> list[np.ndarray]:
    items = [series] if isinstance(series, np.ndarray) and series.ndim == 2 else list(series)
    if not items:
        raise ValueError(f"`{name}` holds no series")
    out = []
    for i, item in enumerate(items):
        arr = np.asarray(item, dtype=np.float32)
        if arr.ndim != 2:
            raise ValueError(f"`{name}`[{i}] must be (time, channels), got shape {arr.shape}")
        if np.isinf(arr).any():
            raise ValueError(f"`{name}`[{i}] holds infinite values; mark missing readings with NaN")
        out.append(arr)
    return out


def _aligned(
    covariates: np.ndarray | Sequence[np.ndarray] | None, values: list[np.ndarray], name: str
) -> list[np.ndarray] | None:
    if covariates is None:
        return None
    cov = _as_series_list(covariates, name)
    if len(cov) != len(values) or any(len(c) != len(v) for c, v in zip(cov, values, strict=False)):
        raise ValueError(
            f"`{name}` must align with the series: lengths {[len(v) for v in values]}, "
            f"got {[len(c) for c in cov]}"
        )
    if len({c.shape[1] for c in cov}) > 1:
        raise ValueError(
            f"every entry of `{name}` must have the same channels, got {[c.shape[1] for c in cov]}"
        )
    return cov


def _static_rows(static: np.ndarray | None, num_series: int) -> np.ndarray | None:
    if static is None:
        return None
    rows = np.asarray(static, dtype=np.float32)
    rows = rows[None] if rows.ndim == 1 else rows
    if rows.ndim != 2 or len(rows) != num_series:
        raise ValueError(
            f"`static` must be (series, features) with {num_series} rows, got shape {rows.shape}"
        )
    return rows


def _check_windows(values: np.ndarray, channels: int, name: str) -> np.ndarray:
    if values.ndim != 3 or values.shape[-1] != channels:
        raise ValueError(
            f"`{name}` must be (steps, {channels}) or (windows, steps, {channels}), got shape {values.shape}"
        )
    return values


def _fit_length(values: np.ndarray, length: int) -> np.ndarray:
    """(B, T, C) -> (B, length, C): the last ``length`` steps, or NaN (missing) steps before them."""
    T = values.shape[1]
    if length <= T:
        return np.ascontiguousarray(values[:, T - length :])
    pad = np.full((values.shape[0], length - T, values.shape[2]), np.nan, dtype=values.dtype)
    return np.concatenate([pad, values], axis=1)
