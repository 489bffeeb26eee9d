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

Options (``-o KEY=VALUE``): ``csv`` (an ETT-format file instead of ETTh1), ``context`` (L),
``horizons`` (comma-separated), ``systems`` (comma-separated), ``fracast_stride``, ``max_steps``
(training steps of the trainable systems), ``threads`` (torch threads, default 2), ``members``.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.data.forecast_windows import (
    ForecastSplit,
    SplitSizes,
    informer_sizes,
    read_dated_csv,
    sliding_windows,
    split_informer,
)
from moesaic.data.schema import time_gaps
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import count_parameters, peak_rss_mb, torch_threads
from moesaic.eval.metrics import crps_from_quantiles, mae, mse
from moesaic.tasks.forecast import ForecastConfig, Forecaster

logger = logging.getLogger(__name__)

ENSEMBLE = "moesaic-ensemble"
MEMBERS = 3  # forecasters averaged by moesaic-ensemble
SYSTEMS = ("moesaic", ENSEMBLE, "patchtst", "dlinear", "seasonal_naive", "fracast")
QUICK_SYSTEMS = tuple(s for s in SYSTEMS if s != ENSEMBLE)
HORIZONS = (96, 192, 336, 720)
QUICK_HORIZONS = (96,)
OPTIONS = ("csv", "context", "horizons", "systems", "fracast_stride", "max_steps", "threads", "members")
# the others repeat a point forecast at every level
PROBABILISTIC = ("moesaic", ENSEMBLE, "fracast")

PUBLISHED: dict[str, tuple[str, dict[int, float]]] = {
    "patchtst": (
        "published: Nie et al. 2023 ICLR, Table 3 (PatchTST/64, L=512), as quoted in issue 4",
        {96: 0.385, 192: 0.413, 336: 0.440, 720: 0.456},
    ),
    "dlinear": (
        "published: Zeng et al. AAAI 2023 (L=336), as quoted in issue 4",
        {96: 0.384, 192: 0.443, 336: 0.446, 720: 0.504},
    ),
    "fits": (
        "published: Xu et al. ICLR 2024 (about 10k parameters), as quoted in issue 4",
        {96: 0.372, 192: 0.404, 336: 0.427, 720: 0.424},
    ),
}
"""ETTh1 MSE of the anchors, as their papers report them (possibly with the dropped last batch)."""


class _Settings(NamedTuple):
    dataset: str
    values: np.ndarray  # (T, C)
    sizes: SplitSizes
    context: int
    horizons: tuple[int, ...]
    systems: tuple[str, ...]
    fracast_stride: int
    max_steps: int | None
    threads: int
    members: int
    path: Path  # the file read


class _Scored(NamedTuple):
    quantiles: np.ndarray  # (W, H, C, Q) standardised
    windows: np.ndarray  # (W,) indices of the scored test windows
    costs: dict[str, float | int | None]


DESCRIPTION = (
    "ETTh1 long-horizon forecasting, every test window: moesaic vs PatchTST, DLinear, seasonal naive "
    "and zero-shot fracast, with published anchors"
)


@register_suite("forecast", DESCRIPTION)
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
    with torch_threads(settings.threads):
        for H in settings.horizons:
            rows += _run_horizon(ctx, settings, split, H)
    return rows


def _run_horizon(ctx: SuiteContext, settings: _Settings, split: ForecastSplit, H: int) -> list[BenchRow]:
    L = settings.context
    test = sliding_windows(split.test, context_length=L, horizon=H)
    every = np.arange(len(test.context))
    strided = every[:: settings.fracast_stride]
    note = "" if settings.sizes.protocol == "informer" else f",split={settings.sizes.protocol}"
    setting = f"L={L},H={H}{note}"
    strided_setting = f"{setting},stride={settings.fracast_stride}"
    rows: list[BenchRow] = []
    for system in ctx.progress(settings.systems, f"forecast H={H}", total=len(settings.systems)):
        windows = strided if system == "fracast" else every
        scored = _score(ctx, settings, split, system, H, windows)
        target = np.asarray(test.target)
        if system != "fracast":
            rows += _rows(system, settings.dataset, setting, target, scored, levels=_levels(), windows=every)
        if "fracast" in settings.systems:
            sub = np.searchsorted(scored.windows, strided)
            part = scored._replace(quantiles=scored.quantiles[sub], windows=strided)
            rows += _rows(
                system, settings.dataset, strided_setting, target, part, levels=_levels(), windows=strided
            )
        gc.collect()
    if settings.dataset == "etth1":
        for system, (source, values) in PUBLISHED.items():
            if H in values:
                rows.append(BenchRow(system, "etth1", "forecast", setting, "mse", values[H], source=source))
    return rows


def _score(
    ctx: SuiteContext, settings: _Settings, split: ForecastSplit, system: str, H: int, windows: np.ndarray
) -> _Scored:
    """Fit ``system`` on the training months and forecast the given test windows (the members of
    ``moesaic-ensemble`` one after the other, their quantiles averaged and their costs added)."""
    seeds = [ctx.seed + k for k in range(settings.members)] if system == ENSEMBLE else [ctx.seed]
    model = "moesaic" if system == ENSEMBLE else system
    scored = [
        _fit_predict(dataclasses.replace(ctx, seed=seed), settings, split, model, H, windows)
        for seed in seeds
    ]
    costs: dict[str, float | int | None] = {
        key: sum(int(s.costs[key] or 0) for s in scored) for key in ("params_total", "params_active")
    }
    for key in ("train_seconds", "infer_ms_per_window"):
        costs[key] = round(sum(float(s.costs[key] or 0) for s in scored), 3)
    costs["peak_rss_mb"] = round(peak_rss_mb(), 1)
    quantiles = scored[0].quantiles if len(scored) == 1 else np.mean([s.quantiles for s in scored], axis=0)
    return _Scored(quantiles, windows, costs)


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
    return _Scored(scaled, windows, costs)


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
    """ForecastConfig's defaults within the suite's budget (quick: fewer steps and validation windows)."""
    config = ForecastConfig(model=system, context_length=settings.context, horizon=H)
    steps = settings.max_steps or (QUICK_STEPS if ctx.quick else FULL_STEPS)
    train = dataclasses.replace(
        config.train,
        seed=ctx.seed,
        num_threads=settings.threads,
        max_steps=steps,
        warmup_steps=min(config.train.warmup_steps, steps // 10),
        lr=SYSTEM_LR.get(system, config.train.lr),
    )
    moesaic = dataclasses.replace(config.moesaic, stage_steps=min(config.moesaic.stage_steps, steps))
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
SYSTEM_LR = {"dlinear": 5e-3}
"""Learning rates that differ from ForecastConfig's default (DLinear's, from its paper's scripts)."""


def _settings(ctx: SuiteContext) -> _Settings:
    options: Mapping[str, str] = ctx.options
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise OptionError(f"suite forecast: unknown options {unknown}; valid options are {list(OPTIONS)}")
    path = Path(options["csv"]) if "csv" in options else ctx.data_root() / "ett" / "ETTh1.csv"
    series = read_dated_csv(path)
    dataset = path.stem.lower()
    try:
        sizes = informer_sizes(len(series.values), step_seconds=_step_seconds(series.time))
    except ValueError as err:
        raise OptionError(f"suite forecast: {path}: {err}") from None
    _warn_gaps(path, series.time)
    dead = [name for c, name in enumerate(series.channels) if not series.observed[:, c].any()]
    if dead:
        raise OptionError(f"suite forecast: {path}: columns {dead} hold no reading at all; remove them")
    horizons = _ints(options.get("horizons"), QUICK_HORIZONS if ctx.quick else HORIZONS, "horizons")
    default = QUICK_SYSTEMS if ctx.quick else SYSTEMS
    systems = tuple(options["systems"].split(",")) if "systems" in options else default
    bad = sorted(set(systems) - set(SYSTEMS))
    if bad:
        raise OptionError(f"suite forecast: unknown systems {bad}; valid systems are {list(SYSTEMS)}")
    return _Settings(
        dataset=dataset,
        values=series.values,
        sizes=sizes,
        path=path,
        context=_ints(options.get("context"), (512,), "context")[0],
        horizons=horizons,
        systems=systems,
        fracast_stride=_ints(options.get("fracast_stride"), (720 if ctx.quick else 240,), "fracast_stride")[
            0
        ],
        max_steps=_ints(options["max_steps"], (0,), "max_steps")[0] if "max_steps" in options else None,
        threads=_ints(options.get("threads"), (2,), "threads")[0],
        members=_ints(options.get("members"), (MEMBERS,), "members")[0],
    )


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


def _ints(raw: str | None, default: tuple[int, ...], name: str) -> tuple[int, ...]:
    if raw is None:
        return default
    try:
        values = tuple(int(v) for v in raw.split(","))
    except ValueError:
        raise OptionError(
            f"suite forecast: option {name} must be integers separated by commas, got {raw!r}"
        ) from None
    if any(v < 1 for v in values):
        raise OptionError(f"suite forecast: option {name} must be >= 1, got {raw!r}")
    return values
