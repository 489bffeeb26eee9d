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

The configuration, the :data:`FORECAST_MODELS` registry and the result types live in
:mod:`moesaic.tasks.forecast_config`; the input checks, hold-out split and window sampling in
:mod:`moesaic.tasks.forecast_segments`. The public names are re-exported here.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.checkpoint import CheckpointError, load_model_state, load_weights, save_model
from moesaic.config import from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import ChannelStandardizer, make_forecast_batch
from moesaic.encoders import NotFittedError
from moesaic.heads.forecast import ForecastSpec
from moesaic.heads.ridge import RidgeTerms, fit_ridge
from moesaic.tasks.forecast_config import (
    DEFAULT_QUANTILES,
    FORECAST_MODELS,
    POINT_FORECAST_MODELS,
    ForecastConfig,
    ForecastModel,
    QuantileForecast,
    StageOutcome,
)
from moesaic.tasks.forecast_segments import (
    _aligned,
    _as_series_list,
    _check_windows,
    _fit_length,
    _hold_out,
    _Segment,
    _static_rows,
    _window_index,
    _WindowSampler,
)
from moesaic.train import Progress, TrainConfig, TrainResult, evaluate, train

__all__ = [
    "DEFAULT_QUANTILES",
    "FORECAST_MODELS",
    "POINT_FORECAST_MODELS",
    "ForecastConfig",
    "ForecastModel",
    "Forecaster",
    "QuantileForecast",
    "StageOutcome",
]

logger = logging.getLogger(__name__)


def _stage_progress(progress: Progress | None, index: int, stages: int, steps: int) -> Progress | None:
    """``progress`` told, with each step's record, which of the ``stages`` training runs it is in
    (``stage``, from 1, and ``stages``) and how many ``steps`` that run may take."""
    if progress is None:
        return None
    told = progress

    def report(number: int, record: dict[str, float]) -> None:
        told(number, {**record, "stage": float(index + 1), "stages": float(stages), "steps": float(steps)})

    return report


class Forecaster:
    """Fit, predict, save and load any system of :data:`FORECAST_MODELS` (scikit-learn contract).

    Learned state: ``spec_`` (:class:`ForecastSpec`), ``scaler_`` and ``covariate_scaler_``
    (per-channel standardisation of the training series), ``model_``, ``train_result_`` (of the
    last training stage; None for untrained models), ``train_seconds_`` (all stages) and
    ``ridge_terms_`` (the normal equations of the "ridge" stage: the training windows, then the
    first and the second half of the validation windows; None without that stage; not saved),
    which :func:`moesaic.heads.ridge.cross_half_errors` reads.

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
        seen = np.isfinite(np.concatenate(train_values)).any(axis=0)
        if not seen.all():
            raise ValueError(
                f"channels {np.flatnonzero(~seen).tolist()} of `series` hold no reading at all (only NaN); "
                "leave them out"
            )
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
        self.ridge_terms_: tuple[RidgeTerms, RidgeTerms, RidgeTerms] | None = None
        start = time.perf_counter()
        if any(p.requires_grad for p in self.model_.parameters()):
            val_batches = self._batches(val_parts, stride=cfg.val_stride)
            self.stages_ = self._train_stages(train_parts, val_parts, val_batches, progress)
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
                cut to its last ``context_length`` steps, a shorter one padded with missing steps;
                a window without any observed value there is refused.
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
        blind = ~np.isfinite(scaled).any(axis=(1, 2))
        if blind.any():
            raise ValueError(
                f"context window {int(np.flatnonzero(blind)[0])} has no observed value in its last "
                f"{spec.context_length} steps: nothing to forecast from"
            )
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
        quantiles = _held_constant(quantiles, values[:, -spec.context_length :], self.scaler_.mean_)
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
        if "kind" in state.config:  # a Forecaster's config has none; every other checkpoint names its kind
            raise CheckpointError(
                f"{folder}: not a Forecaster checkpoint of `moesaic forecast --save` "
                f"(kind {state.config['kind']!r})"
            )
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
        load_weights(forecaster.model_, state.state_dict, Path(folder))
        if stage is not None:
            forecaster.model_.set_stage(stage)  # type: ignore[operator]
        forecaster.train_result_, forecaster.train_seconds_ = None, seconds
        return forecaster

    # ---------------------------------------------------------------- internals

    def _train_stages(
        self,
        parts: list[_Segment],
        val_parts: list[_Segment],
        val_batches: list[Batch],
        progress: Progress | None,
    ) -> list[StageOutcome]:
        """Train each stage the model asks for; roll back a stage that does not lower the validation loss."""
        model, cfg = self.model_, self.config
        staged = getattr(model, "training_stages", None)
        stages = staged(cfg.train) if staged else [("all", cfg.train)]
        outcomes: list[StageOutcome] = []
        best: tuple[float, dict[str, Tensor], str] | None = None
        for index, (stage, stage_config) in enumerate(stages):
            if staged:
                model.set_stage(stage)  # type: ignore[operator]
            told = _stage_progress(progress, index, len(stages), stage_config.max_steps)
            logger.info("training %s: stage %s, up to %d steps", cfg.model, stage, stage_config.max_steps)
            if stage == "ridge":
                if not any(o.stage in ("periodic", "linear") for o in outcomes):
                    model.clear_periodic_path()  # type: ignore[operator]
                result = self._solve_linear_path(parts, val_parts, val_batches, stage_config, told)
            else:
                result = train(
                    model, _WindowSampler(self, parts), config=stage_config, val_batches=val_batches or None,
                    progress=told,
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

    def _solve_linear_path(
        self,
        parts: list[_Segment],
        val_parts: list[_Segment],
        val_batches: list[Batch],
        config: TrainConfig,
        progress: Progress | None,
    ) -> TrainResult:
        """The "ridge" stage: the full linear path in closed form on every training window, fitted
        to what the periodic path leaves (its spans and penalties chosen on every validation
        window, not only the ``val_stride``-th ones that steer stopping), then the quantile spreads
        around it by gradient steps. Its validation loss is the solved model's, measured as the
        trained stages' is, so the rollback keeps it only when it beats the path an earlier
        "linear" stage learnt by gradient steps."""
        model, spec = self.model_, self.spec_
        terms = RidgeTerms(spec.context_length, spec.horizon)
        with torch.no_grad():
            for batch in self._batches(parts, stride=1):
                terms.add(model.ridge_samples(batch))  # type: ignore[operator]
            val_windows = self._batches(val_parts, stride=1) if val_batches else []
            val_samples = [model.ridge_samples(batch) for batch in val_windows]  # type: ignore[operator]
        halves = RidgeTerms.halves(val_samples, spec.context_length, spec.horizon)  # windows in time order
        self.ridge_terms_ = (terms, *halves)
        solved = fit_ridge(terms, halves[0] + halves[1])
        model.set_linear_path(solved.weight, solved.bias)  # type: ignore[operator]
        by_span = {
            span: min(float(e.mean()) for (s, _), e in solved.scores.items() if s == span)
            for span in dict.fromkeys(s for s, _ in solved.scores)
        }
        logger.info(
            "ridge: %d samples; horizon steps by context steps read %s, penalties %g to %g (best "
            "validation MSE by span, one penalty for every step: %s)",
            terms.count, dict(Counter(solved.span)), min(solved.alpha), max(solved.alpha),
            {s: round(e, 4) for s, e in by_span.items()},
        )  # fmt: skip
        result = train(model, _WindowSampler(self, parts), config=config, val_batches=None, progress=progress)
        loss = evaluate(model, val_batches) if val_batches else None
        return result._replace(best_val_loss=loss)

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
        """Every ``stride``-th window of each part, in order, in batches of at most
        ``predict_batch_size`` whose sizes differ by one at most (not 256, 256 and then 29, as at
        H = 720 on ETTh1 before)."""
        index = _window_index(parts, self.spec_, stride=stride)
        count = -(-len(index) // self.config.predict_batch_size)
        return [self._window_batch(parts, chunk) for chunk in np.array_split(index, count)] if count else []

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


def _held_constant(quantiles: np.ndarray, context: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``quantiles`` (B, H, C, Q) with every channel that holds one value over its whole context, the
    value it held in training (a set point, a closed valve), forecast at exactly that value: a model's
    tiny errors would otherwise move a set point of 75 to 74.99993 with a band around it."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an unobserved channel: all-NaN
        low, high = np.nanmin(context, axis=1), np.nanmax(context, axis=1)  # (B, C)
    held = np.isfinite(low) & (low == high) & np.isclose(low, mean[None, :], rtol=1e-6, atol=1e-9)
    if not held.any():
        return quantiles
    out = quantiles.copy()
    b, c = np.nonzero(held)
    out[b, :, c, :] = low[b, c][:, None, None]  # advanced indices first: (n, H, Q)
    return out
