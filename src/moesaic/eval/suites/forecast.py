"""Suite ``forecast``: long-horizon forecasting on ETTh1 (or any ETT-format CSV), every test window.

Protocol: the Informer split (train / val / test = 12 / 4 / 4 months = rows 8640 / 2880 / 2880 on
ETTh1, ``border1s = [0, 8640 - L, 11520 - L]``), per-channel standardisation fitted on the
training rows, all seven channels forecast, MSE and MAE on the standardised scale over every
test window (2880 - H + 1 of them: no dropped last batch). Every system goes through the same
:class:`~moesaic.tasks.forecast.Forecaster`; the trainable ones stop early on the validation
months.

The zero-shot ``fracast`` model costs about 0.3 s per channel and 48-step block on two cores,
hours for every window of the four horizons, so it is scored on every ``fracast_stride``-th test
window. Those rows carry ``stride=<n>`` in their setting, next to the rows of every other system
recomputed on the same windows, so that the comparison stays like for like.

``moesaic-ensemble`` averages the quantile forecasts of ``members`` moesaic forecasters (default
3) trained alike but for their seeds (the run's seed and the next ones); its parameter counts,
training and inference times are those of all its members together. It is left out of the quick
run's default systems.

Season: seasonal naive repeats the last day, and the moesaic head's periodic path uses the same
period: one day of rows at the file's time step (24 hourly, 96 every 15 minutes, 1440 every
minute); when a day is longer than the context, the longest whole fraction of a day that fits (a
minutely file with L = 512: 480 rows, 8 hours). ``-o seasonal_period=N`` sets it instead.

Settings: ``L=<context>,H=<horizon>``, then ``split=ratio`` when the file is shorter than the 20
months of the Informer split, ``season=<rows>`` when the season is not the 24 rows of hourly data,
``steps=<n>`` when ``max_steps`` differs from the full run's, ``stride=<n>`` on the strided rows
(and ``quick=1`` from the runner in a quick run).

Published anchors (:mod:`~moesaic.eval.suites.forecast_anchors`) are added only when the run is the
protocol they were measured on, decided from the data, not the file's name: the file holds ETTh1's
values (its first 20 months match a fingerprint), split the Informer way, at the suite's L = 512. Their
setting states the paper's own protocol, ``L=<the paper's L>,H=<horizon>,eval=paper``: scored by
the paper's code (which may drop the last incomplete batch of test windows), never re-run here.
The data set is ``etth1`` for ETTh1's values whatever the file's name, else the file's name
(``etth1-modified`` for a file called ETTh1 that does not hold them).

Refused before anything trains (one :class:`~moesaic.eval.bench.OptionError` naming the file or
option): a test part without any reading, test windows whose context holds no reading, a season
longer than the context. A channel with no reading in the test part is noted in the log and the
Markdown: the metrics average the other channels.

Options (``-o KEY=VALUE``): ``csv`` (an ETT-format file instead of ETTh1), ``context`` (L),
``horizons`` (comma-separated), ``systems`` (comma-separated), ``fracast_stride``, ``max_steps``
(training steps of the trainable systems), ``threads`` (torch threads, default 2), ``members``,
``seasonal_period`` (rows), ``ridge_study`` (``1``: see below).

``-o ridge_study=1`` adds, for moesaic and each horizon, a validation-only study of how its
closed-form path chooses (span, penalty) (:func:`~moesaic.heads.ridge.cross_half_errors`): one
pair for every horizon step (``moesaic-ridge-one_pair``), one per block of 2, 4 or 8 equal blocks
of steps (``moesaic-ridge-blocks<n>``) or one per step (``moesaic-ridge-per_step``, the path's own
way), each chosen on one half of the validation windows and scored on the other, both ways;
metric ``val_mse_cross_half``, setting ``...,study=ridge_choice``. No test window is read. The
rows exist only when the kept model has a "ridge" stage run.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.config import ConfigError
from moesaic.data.forecast_windows import (
    ForecastSplit,
    SplitSizes,
    informer_sizes,
    read_dated_csv,
    sliding_windows,
    split_informer,
)
from moesaic.data.schema import time_gaps
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, add_to_setting, register_suite
from moesaic.eval.meters import count_parameters, peak_rss_mb, reset_peak_rss, torch_threads
from moesaic.eval.metrics import crps_from_quantiles, mae, mse
from moesaic.eval.season import Season, daily_season
from moesaic.eval.suites.forecast_anchors import PUBLISHED, is_etth1
from moesaic.heads.ridge import cross_half_errors
from moesaic.tasks.forecast import ForecastConfig, Forecaster

logger = logging.getLogger(__name__)

ENSEMBLE = "moesaic-ensemble"
MEMBERS = 3  # forecasters averaged by moesaic-ensemble
STUDY_BLOCKS = (1, 2, 4, 8)  # with the horizon (a choice per step): the blocks of -o ridge_study=1
SYSTEMS = ("moesaic", ENSEMBLE, "patchtst", "dlinear", "seasonal_naive", "fracast")
QUICK_SYSTEMS = tuple(s for s in SYSTEMS if s != ENSEMBLE)
HORIZONS = (96, 192, 336, 720)
QUICK_HORIZONS = (96,)
OPTIONS = (
    "csv", "context", "horizons", "systems", "fracast_stride", "max_steps", "threads", "members",
    "seasonal_period", "ridge_study",
)  # fmt: skip
PROTOCOL_CONTEXT = 512  # the suite's L, the one the published anchors are shown next to
# the others repeat a point forecast at every level
PROBABILISTIC = ("moesaic", ENSEMBLE, "fracast")


class _Settings(NamedTuple):
    dataset: str
    values: np.ndarray  # (T, C)
    channels: tuple[str, ...]
    sizes: SplitSizes
    context: int
    horizons: tuple[int, ...]
    systems: tuple[str, ...]
    fracast_stride: int
    max_steps: int | None
    threads: int
    members: int
    season: Season
    ridge_study: bool  # -o ridge_study=1: rows of moesaic's span and penalty choice (module docstring)
    path: Path  # the file read
    etth1: bool  # the file holds ETTh1's values (not judged by its name)


class _Scored(NamedTuple):
    quantiles: np.ndarray  # (W, H, C, Q) standardised
    windows: np.ndarray  # (W,) indices of the scored test windows
    costs: dict[str, float | int | None]
    study: tuple[
        tuple[int, float], ...
    ] = ()  # (blocks of horizon steps, cross-half validation MSE): ridge_study


DESCRIPTION = (
    "ETTh1 long-horizon forecasting, every test window: moesaic vs PatchTST, DLinear, seasonal naive "
    "and zero-shot fracast, with published anchors"
)


@register_suite("forecast", DESCRIPTION, options=OPTIONS)
def run(ctx: SuiteContext) -> list[BenchRow]:
    settings = _settings(ctx)
    rows: list[BenchRow] = []
    try:
        split = split_informer(settings.values, context_length=settings.context, sizes=settings.sizes)
        for H in settings.horizons:  # every horizon must fit before anything is trained
            sliding_windows(split.test, context_length=settings.context, horizon=H)
    except ValueError as err:
        raise OptionError(
            f"suite forecast: {settings.path}: {err}; a shorter context (-o context=N) or shorter "
            "horizons (-o horizons=H1,H2) may fit"
        ) from None
    _check_test_part(ctx, settings, split)
    for system in settings.systems:  # every configuration must hold before anything is trained
        for H in settings.horizons:
            _config(ctx, settings, "moesaic" if system == ENSEMBLE else system, H)
    with torch_threads(settings.threads):
        for H in settings.horizons:
            rows += _run_horizon(ctx, settings, split, H)
    return rows


def _setting(settings: _Settings, H: int) -> str:
    """The protocol knobs of the measured rows for horizon ``H`` (module docstring)."""
    cut = settings.max_steps is not None and settings.max_steps != FULL_STEPS
    return add_to_setting(
        f"L={settings.context},H={H}",
        split=None if settings.sizes.protocol == "informer" else settings.sizes.protocol,
        season=None if settings.season.period == HOURLY_SEASON else settings.season.period,
        steps=settings.max_steps if cut else None,
    )


def _run_horizon(ctx: SuiteContext, settings: _Settings, split: ForecastSplit, H: int) -> list[BenchRow]:
    L = settings.context
    test = sliding_windows(split.test, context_length=L, horizon=H)
    every = np.arange(len(test.context))
    strided = every[:: settings.fracast_stride]
    setting = _setting(settings, H)
    strided_setting = f"{setting},stride={settings.fracast_stride}"
    rows: list[BenchRow] = []
    for system in ctx.progress(settings.systems, f"forecast H={H}", total=len(settings.systems)):
        windows = strided if system == "fracast" else every
        scored = _score(ctx, settings, split, system, H, windows)
        target = np.asarray(test.target)
        if system != "fracast":
            rows += _rows(system, settings.dataset, setting, target, scored, levels=_levels(), windows=every)
        rows += _study_rows(settings.dataset, setting, H, scored.study)
        if "fracast" in settings.systems:
            sub = np.searchsorted(scored.windows, strided)
            part = scored._replace(quantiles=scored.quantiles[sub], windows=strided)
            rows += _rows(
                system, settings.dataset, strided_setting, target, part, levels=_levels(), windows=strided
            )
        gc.collect()
    if _anchored(settings):
        for system, anchor in PUBLISHED.items():
            if H in anchor.mse:
                paper = f"L={anchor.context},H={H},eval=paper"
                rows.append(
                    BenchRow(system, "etth1", "forecast", paper, "mse", anchor.mse[H], source=anchor.source)
                )
    return rows


def _anchored(settings: _Settings) -> bool:
    """True when the run is the protocol of the published anchors (module docstring)."""
    return settings.etth1 and settings.sizes.protocol == "informer" and settings.context == PROTOCOL_CONTEXT


def _check_test_part(ctx: SuiteContext, settings: _Settings, split: ForecastSplit) -> None:
    """Refuse a test part that cannot be scored; note the channels it leaves out (module docstring)."""
    L, path = settings.context, settings.path
    first = settings.sizes.train + settings.sizes.val + 1  # data rows, from 1
    rows = f"data rows {first}-{first + settings.sizes.test - 1}"
    seen = np.isfinite(split.test[L:])  # (test, C)
    if not seen.any():
        raise OptionError(f"suite forecast: {path}: no reading in the test part ({rows}): nothing to score")
    for c in np.flatnonzero(~seen.any(axis=0)):
        ctx.note(
            f"{path.name}: channel {settings.channels[c]} has no reading in the test part ({rows}); "
            "mse, mae and crps average the other channels"
        )
    observed = np.isfinite(split.test).any(axis=1)  # (L + test,)
    for H in settings.horizons:
        context = sliding_windows(observed[:, None], context_length=L, horizon=H).context  # (W, L, 1)
        blind = np.flatnonzero(~context.any(axis=(1, 2)))
        if len(blind):
            end = first + int(blind[0])
            raise OptionError(
                f"suite forecast: {path}: {len(blind)} of the {len(context)} test windows of H={H} have "
                f"no reading in their {L}-step context (the first ends before data row {end}); nothing to "
                "forecast them from: fill the gap, or give a longer context (-o context=N)"
            )


def _score(
    ctx: SuiteContext, settings: _Settings, split: ForecastSplit, system: str, H: int, windows: np.ndarray
) -> _Scored:
    """Fit ``system`` on the training months and forecast the given test windows (the members of
    ``moesaic-ensemble`` one after the other, their quantiles averaged and their costs added)."""
    seeds = [ctx.seed + k for k in range(settings.members)] if system == ENSEMBLE else [ctx.seed]
    model = "moesaic" if system == ENSEMBLE else system
    reset_peak_rss()  # this system's own peak, not one of the systems before it
    scored = [
        _fit_predict(dataclasses.replace(ctx, seed=seed), settings, split, model, H, windows)
        for seed in seeds
    ]
    costs: dict[str, float | int | None] = {
        key: sum(int(s.costs[key] or 0) for s in scored) for key in ("params_total", "params_active")
    }
    for key in ("train_seconds", "infer_ms_per_window"):
        costs[key] = round(sum(float(s.costs[key] or 0) for s in scored), 3)
    costs["peak_rss_mb"] = round(peak_rss_mb(), 1)  # since the reset above: this system's own
    quantiles = scored[0].quantiles if len(scored) == 1 else np.mean([s.quantiles for s in scored], axis=0)
    return _Scored(quantiles, windows, costs, scored[0].study if len(scored) == 1 else ())


def _fit_predict(
    ctx: SuiteContext, settings: _Settings, split: ForecastSplit, system: str, H: int, windows: np.ndarray
) -> _Scored:
    config = _config(ctx, settings, system, H)
    logger.info("forecast: fitting %s for H=%d (seed %d)", system, H, ctx.seed)
    forecaster = Forecaster(config).fit(split.train, val=split.val)
    test = sliding_windows(split.test, context_length=settings.context, horizon=H)
    start = time.perf_counter()
    forecast = forecaster.predict(np.ascontiguousarray(test.context[windows]))
    seconds = time.perf_counter() - start
    model = forecaster.model_
    pretrained = getattr(model, "parameter_count", None)
    if pretrained is not None:
        total = active = int(pretrained())
    else:
        count = count_parameters(model)
        total, active = count.total, count.active
    costs: dict[str, float | int | None] = {
        "params_total": total,
        "params_active": active,
        "train_seconds": round(forecaster.train_seconds_, 2),
        "infer_ms_per_window": round(1000 * seconds / len(windows), 3),
    }
    # The suite feeds standardised data, so the Forecaster's own scaler is the identity up to
    # rounding; map back through it anyway so the metrics are on the protocol's scale exactly.
    scaled = np.moveaxis(forecaster.scaler_.transform(np.moveaxis(forecast.quantiles, -1, -2)), -1, -2)
    study: tuple[tuple[int, float], ...] = ()
    if settings.ridge_study and system == "moesaic" and forecaster.ridge_terms_ is not None:
        study = tuple(cross_half_errors(*forecaster.ridge_terms_, blocks=(*STUDY_BLOCKS, H)).items())
    return _Scored(scaled, windows, costs, study)


def _study_rows(dataset: str, setting: str, H: int, study: tuple[tuple[int, float], ...]) -> list[BenchRow]:
    """The rows of ``-o ridge_study=1``: one per way of choosing the closed-form path's (span,
    penalty), metric ``val_mse_cross_half`` (module docstring)."""
    names = {1: "one_pair", H: "per_step"}
    return [
        BenchRow(
            f"moesaic-ridge-{names.get(count, f'blocks{count}')}",
            dataset,
            "forecast",
            f"{setting},study=ridge_choice",
            "val_mse_cross_half",
            round(value, 5),
        )
        for count, value in study
    ]


def _rows(
    system: str,
    dataset: str,
    setting: str,
    target: np.ndarray,
    scored: _Scored,
    *,
    levels: tuple[float, ...],
    windows: np.ndarray,
) -> list[BenchRow]:
    y = target[windows]  # (W, H, C)
    median = scored.quantiles[..., levels.index(0.5)]
    metrics = {"mse": mse(y, median), "mae": mae(y, median)}
    if system in PROBABILISTIC:
        metrics["crps"] = crps_from_quantiles(y, scored.quantiles, levels)
    return [
        BenchRow(system, dataset, "forecast", setting, name, round(value, 5), **scored.costs)  # type: ignore[arg-type]
        for name, value in metrics.items()
    ]


def _levels() -> tuple[float, ...]:
    return ForecastConfig().quantiles


def _config(ctx: SuiteContext, settings: _Settings, system: str, H: int) -> ForecastConfig:
    """ForecastConfig's defaults within the suite's budget (quick: fewer steps and validation windows)
    and with the run's season (:class:`OptionError` naming the option when they do not hold)."""
    steps = settings.max_steps or (QUICK_STEPS if ctx.quick else FULL_STEPS)
    period = settings.season.period
    try:
        config = ForecastConfig(
            model=system, context_length=settings.context, horizon=H, seasonal_period=period
        )
        train = dataclasses.replace(
            config.train,
            seed=ctx.seed,
            num_threads=settings.threads,
            max_steps=steps,
            warmup_steps=min(config.train.warmup_steps, steps // 10),
            lr=SYSTEM_LR.get(system, config.train.lr),
        )
        moesaic = dataclasses.replace(
            config.moesaic, stage_steps=min(config.moesaic.stage_steps, steps), period=period
        )
    except ConfigError as err:
        raise OptionError(f"suite forecast: {system} cannot run with these options: {err}") from None
    return dataclasses.replace(
        config,
        train=train,
        moesaic=moesaic,
        val_stride=2 * config.val_stride if ctx.quick else config.val_stride,
    )


FULL_STEPS = 300
"""Training steps per stage of the full run: the same as the quick one. At H = 336, 2,000 steps
(each stage's schedule stretched over them) left a worse validation loss than 300 (the kept
model's 1.130 against 1.125; BENCHMARKS.md, forecast)."""
QUICK_STEPS = 300
HOURLY_SEASON = 24  # the season of hourly data, ETTh1's: left out of the setting
SYSTEM_LR = {"dlinear": 5e-3}
"""Learning rates that differ from ForecastConfig's default (DLinear's, from its paper's scripts)."""


def _settings(ctx: SuiteContext) -> _Settings:
    """The run's data and options, every one checked (:class:`OptionError`) before anything trains."""
    options = ctx.options
    path = Path(options["csv"]) if "csv" in options else ctx.data_root() / "ett" / "ETTh1.csv"
    series = read_dated_csv(path)
    etth1 = is_etth1(series)
    try:
        step = _step_seconds(series.time)
        sizes = informer_sizes(len(series.values), step_seconds=step)
    except ValueError as err:
        raise OptionError(f"suite forecast: {path}: {err}") from None
    _warn_gaps(path, series.time)
    dead = [name for c, name in enumerate(series.channels) if not series.observed[:, c].any()]
    if dead:
        raise OptionError(f"suite forecast: {path}: columns {dead} hold no reading at all; remove them")
    context = ctx.integer("context", PROTOCOL_CONTEXT, minimum=1)
    season = _season(ctx, step, context)
    logger.info("forecast: %s", season.why)
    return _Settings(
        dataset=_dataset_name(path, etth1),
        values=series.values,
        channels=series.channels,
        sizes=sizes,
        path=path,
        context=context,
        horizons=ctx.integers("horizons", QUICK_HORIZONS if ctx.quick else HORIZONS),
        systems=ctx.names("systems", QUICK_SYSTEMS if ctx.quick else SYSTEMS, choices=SYSTEMS),
        fracast_stride=ctx.integer("fracast_stride", 720 if ctx.quick else 240, minimum=1),
        max_steps=ctx.integer("max_steps", 0, minimum=1) if "max_steps" in options else None,
        threads=ctx.integer("threads", 2, minimum=1),
        members=ctx.integer("members", MEMBERS, minimum=1),
        season=season,
        ridge_study=ctx.options.get("ridge_study", "0") == "1",
        etth1=etth1,
    )


def _dataset_name(path: Path, etth1: bool) -> str:
    """``etth1`` for ETTh1's values whatever the file is called; else the file's name, with
    ``-modified`` when it claims to be ETTh1 (a cut or edited copy) without its values."""
    name = path.stem.lower()
    if etth1:
        return "etth1"
    return f"{name}-modified" if name == "etth1" else name


def _season(ctx: SuiteContext, step_seconds: float, context: int) -> Season:
    """``-o seasonal_period`` (no longer than the context), else a day of rows (module docstring)."""
    if "seasonal_period" not in ctx.options:
        return daily_season(step_seconds, context)
    period = ctx.integer("seasonal_period", HOURLY_SEASON, minimum=1)
    if period > context:
        raise OptionError(
            f"option seasonal_period={period}: longer than the context ({context} steps), which must "
            "hold one season; give a shorter period or a longer context (-o context=N)"
        )
    return Season(period, f"season of {period} steps (-o seasonal_period)")


def _warn_gaps(path: Path, time: np.ndarray) -> None:
    """Log the gaps of the time column: the protocol cuts windows by rows, as if they were contiguous."""
    gaps = time_gaps(time, 1.5)
    if gaps is not None:
        logger.warning(
            "%s: %d gap(s) in the time column (the longest %s); windows are cut by rows, across them",
            path, gaps.number, np.timedelta64(int(gaps.widest_seconds), "s").astype("timedelta64[h]"),
        )  # fmt: skip


def _step_seconds(time: np.ndarray) -> float:
    """The median sampling step of a datetime64 time column, in seconds."""
    steps = np.diff(time.astype("datetime64[s]").astype(np.int64))
    if not len(steps):
        raise ValueError("the series has fewer than two timestamps")
    return float(np.median(steps))
