"""Suite ``synthesis``: unconditional fidelity of synthetic windows on the TimeGAN protocol.

Data (:mod:`moesaic.tasks.synth.protocol`): ``sines`` (TimeGAN's 10,000 windows of 5 channels, drawn
in code), ``stocks`` (``timegan_stocks``, rows flipped as the reference loader does) and ``etth1``
(``ett``, all 7 channels); each series min-max scaled per channel, cut into stride-1 windows of
24 steps and shuffled. A random 10 % of the windows is held out from the generators, for the
held-out-real discriminative score and the memorisation check.

Systems:

- ``moesaic-flow`` and ``moesaic-vae``: the two designs of :class:`moesaic.tasks.synth.Synthesizer`
  (flow matching with 10 Euler steps; conditional VAE with one evaluation), fitted on the other
  90 %; ``synthesizer`` is the default design;
- ``gaussian``: :class:`moesaic.tasks.synth.baseline.GaussianWindows`, the classical baseline;
- ``real_heldout``: held-out real windows in place of synthetic ones (the floor of the
  discriminative score with this classifier) and ``real_data``: the predictive score trained on
  real windows (the value a perfect generator matches);
- ``published:`` rows: the discriminative scores of Diffusion-TS quoted by the issue, and those of
  TimeGAN and TimeVAE from the same table.

Every system generates as many windows as there are real ones, and the scores compare them with
all real windows (:mod:`moesaic.tasks.synth.fidelity`, :mod:`moesaic.tasks.synth.context_fid`). A repeat
draws new samples and retrains the post-hoc networks with a new seed (the generator is trained
once per data set); rows give the mean over repeats and, with 2 or more, the half-width of the
95 % Student interval as ``<metric>_ci95``.

Quick mode (``--quick``): 1 repeat, generators trained for 600 steps, post-hoc networks for 500
(discriminative) and 1000 (predictive) steps instead of the reference's 2000 and 5000, and only the
default moesaic design. Options (``-o KEY=VALUE``): ``datasets=sines,stocks``,
``systems=moesaic-flow,moesaic-vae,gaussian``, ``repeats=N``, ``steps=N`` (generator training),
``grid_power=P`` (where the flow's Euler steps fall, :class:`SynthConfig`; 1 spaces them evenly),
``calibration=auto|window|channel|none`` (the moment calibration of the moesaic samples,
:mod:`moesaic.tasks.synth.calibration`; ``none`` shows the generator alone).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.stats
import torch

from moesaic.data.registry import load_dataset
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.tasks.synth.baseline import GaussianWindows
from moesaic.tasks.synth.config import CALIBRATIONS, SynthConfig
from moesaic.tasks.synth.context_fid import context_fid, fit_window_encoder
from moesaic.tasks.synth.fidelity import (
    correlational_score,
    discriminative_score,
    memorisation,
    predictive_score,
)
from moesaic.tasks.synth.protocol import WINDOW, make_sines, protocol_windows
from moesaic.tasks.synth.synthesizer import Synthesizer

logger = logging.getLogger(__name__)

TASK = "synthesis"
DATASETS = ("sines", "stocks", "etth1")
SYSTEMS = ("moesaic-flow", "moesaic-vae", "gaussian")
HELDOUT_SHARE = 0.1
SETTING = f"window={WINDOW}"
PUBLISHED = {  # discriminative scores, Yuan & Qiao 2024 (Diffusion-TS, ICLR), Table 1
    "diffusion-ts": {"sines": 0.006, "stocks": 0.067, "etth1": 0.061},
    "timegan": {"sines": 0.011, "stocks": 0.102, "etth1": 0.114},
    "timevae": {"sines": 0.041, "stocks": 0.145, "etth1": 0.209},
}
PUBLISHED_SOURCE = "published: Yuan & Qiao 2024, Diffusion-TS (ICLR), Table 1, discriminative score"


class Plan(NamedTuple):
    repeats: int
    steps: int
    grid_power: float
    calibration: str
    disc_iterations: int
    pred_iterations: int
    systems: tuple[str, ...]


def plan(quick: bool) -> Plan:
    base = SynthConfig()
    if quick:
        return Plan(
            1, 600, base.grid_power, base.calibration, 500, 1000, (f"moesaic-{base.design}", "gaussian")
        )
    return Plan(5, 3000, base.grid_power, base.calibration, 2000, 5000, SYSTEMS)


def real_windows(name: str, ctx: SuiteContext) -> np.ndarray:
    """The protocol's (W, 24, C) windows of data set ``name`` in [0, 1]."""
    if name == "sines":
        return make_sines(10000, seed=ctx.seed)
    if name == "stocks":
        series = load_dataset("timegan_stocks", ctx.data_root()).series[0]
        return protocol_windows(series.values, reverse=True, seed=ctx.seed)
    if name == "etth1":
        series = next(s for s in load_dataset("ett", ctx.data_root()).series if "ETTh1" in s.series_id)
        return protocol_windows(series.values, seed=ctx.seed)
    raise ValueError(f"unknown data set {name!r}; choose from {list(DATASETS)}")


class Generated(NamedTuple):
    """A fitted system: how to draw n samples with a seed, and its costs."""

    draw: Callable[[int, int], np.ndarray]
    params: tuple[int | None, int | None]
    train_seconds: float
    nfe: int | None


def fit_system(system: str, train: np.ndarray, steps: int, seed: int, p: Plan) -> Generated:
    with Stopwatch() as watch:
        if system == "gaussian":
            gauss = GaussianWindows.fit(train)
        else:
            base = SynthConfig(
                design=system.removeprefix("moesaic-"), grid_power=p.grid_power, calibration=p.calibration
            )
            config = dataclasses.replace(
                base,
                train=dataclasses.replace(base.train, max_steps=steps, seed=seed,
                                          warmup_steps=min(base.train.warmup_steps, steps // 10)),
            )  # fmt: skip
            synth = Synthesizer(config).fit(train)
    if system == "gaussian":
        return Generated(
            lambda n, s: gauss.sample(n, seed=s), (gauss.num_parameters,) * 2, watch.seconds, None
        )
    count = count_parameters(synth.model_, active_fraction=synth.model_.trunk.active_parameter_fraction)
    return Generated(
        lambda n, s: synth.sample(n, seed=s).series, (count.total, count.active), watch.seconds,
        synth.nfe_per_sample,
    )  # fmt: skip


def _mean_ci(values: list[float]) -> tuple[float, float | None]:
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, None
    half = scipy.stats.t.ppf(0.975, len(values) - 1) * float(np.std(values, ddof=1)) / np.sqrt(len(values))
    return mean, float(half)


def _rows(system: str, dataset: str, metrics: dict[str, list[float]], cost: dict[str, Any]) -> list[BenchRow]:
    rows = []
    for metric, values in metrics.items():
        mean, half = _mean_ci(values)
        rows.append(BenchRow(system=system, dataset=dataset, task=TASK, setting=SETTING, metric=metric,
                             value=round(mean, 6), **cost))  # fmt: skip
        if half is not None:
            rows.append(BenchRow(system=system, dataset=dataset, task=TASK, setting=SETTING,
                                 metric=f"{metric}_ci95", value=round(half, 6), **cost))  # fmt: skip
    return rows


def run_dataset(dataset: str, ctx: SuiteContext, p: Plan) -> list[BenchRow]:
    real = real_windows(dataset, ctx)
    order = np.random.default_rng(ctx.seed).permutation(len(real))
    cut = int(HELDOUT_SHARE * len(real))
    heldout, train = real[order[:cut]], real[order[cut:]]
    n = len(real)
    seeds = [ctx.seed + 1000 * r for r in range(p.repeats)]
    encoders = [fit_window_encoder(real, seed=s) for s in seeds]
    rows: list[BenchRow] = []
    reference: dict[str, list[float]] = {"discriminative_score": [], "predictive_score": []}
    for s in seeds:
        reference["discriminative_score"].append(
            discriminative_score(train, heldout, iterations=p.disc_iterations, seed=s).score
        )
    rows += _rows("real_heldout", dataset, {"discriminative_score": reference["discriminative_score"]},
                  {"source": "measured"})  # fmt: skip
    real_pred = [predictive_score(real, real, iterations=p.pred_iterations, seed=s) for s in seeds]
    rows += _rows("real_data", dataset, {"predictive_score": real_pred}, {"source": "measured"})
    for system in ctx.progress(p.systems, f"{dataset}: systems", total=len(p.systems)):
        fitted = fit_system(system, train, p.steps, ctx.seed, p)
        metrics: dict[str, list[float]] = {k: [] for k in ("discriminative_score", "predictive_score",
                                                             "context_fid", "correlational_score",
                                                             "memorisation_ratio", "copy_fraction",
                                                             "samples_per_second")}  # fmt: skip
        for s, encoder in zip(seeds, encoders, strict=True):
            start = time.perf_counter()
            fake = fitted.draw(n, s)
            metrics["samples_per_second"].append(n / (time.perf_counter() - start))
            metrics["discriminative_score"].append(
                discriminative_score(real, fake, iterations=p.disc_iterations, seed=s).score
            )
            metrics["predictive_score"].append(
                predictive_score(fake, real, iterations=p.pred_iterations, seed=s)
            )
            metrics["context_fid"].append(context_fid(real, fake, encoder=encoder).value)
            metrics["correlational_score"].append(correlational_score(real, fake))
            check = memorisation(train, fake[: len(heldout)], heldout)
            metrics["memorisation_ratio"].append(check.ratio)
            metrics["copy_fraction"].append(check.copy_fraction)
        if fitted.nfe is not None:
            metrics["nfe_per_sample"] = [float(fitted.nfe)]
        cost = {"params_total": fitted.params[0], "params_active": fitted.params[1],
                "train_seconds": round(fitted.train_seconds, 2), "infer_ms_per_window":
                round(1000.0 / float(np.mean(metrics["samples_per_second"])), 4),
                "peak_rss_mb": round(peak_rss_mb(), 1)}  # fmt: skip
        logger.info("%s %s: discriminative %.4f, predictive %.4f (real %.4f), train %.0f s", dataset, system,
                    np.mean(metrics["discriminative_score"]), np.mean(metrics["predictive_score"]),
                    np.mean(real_pred), fitted.train_seconds)  # fmt: skip
        rows += _rows(system, dataset, metrics, cost)
    return rows


def published_rows(datasets: tuple[str, ...]) -> list[BenchRow]:
    """Quoted discriminative scores: Diffusion-TS, and TimeGAN and TimeVAE as its Table 1 gives them."""
    return [
        BenchRow(
            system=system,
            dataset=d,
            task=TASK,
            setting=SETTING,
            metric="discriminative_score",
            value=values[d],
            source=PUBLISHED_SOURCE,
        )
        for system, values in PUBLISHED.items()
        for d in datasets
    ]


def _choice(
    ctx: SuiteContext, key: str, default: tuple[str, ...], allowed: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in ctx.options:
        return default
    chosen = tuple(x.strip() for x in ctx.options[key].split(",") if x.strip())
    unknown = sorted(set(chosen) - set(allowed))
    if unknown or not chosen:
        raise OptionError(
            f"option {key}={ctx.options[key]!r}: unknown {unknown}; choose from {list(allowed)}"
        )
    return chosen


@register_suite(
    "synthesis",
    "synthetic windows on Sines, Stocks, ETTh1: discriminative/predictive/Context-FID",
    options=("systems", "datasets", "repeats", "steps", "grid_power", "calibration", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    p = plan(ctx.quick)
    p = p._replace(
        systems=_choice(ctx, "systems", p.systems, SYSTEMS),
        repeats=ctx.integer("repeats", p.repeats),
        steps=ctx.integer("steps", p.steps),
        grid_power=ctx.number("grid_power", p.grid_power),
        calibration=_choice(ctx, "calibration", (p.calibration,), CALIBRATIONS)[0],
    )
    if p.repeats < 1 or p.steps < 1:
        raise OptionError(f"options repeats and steps must be >= 1, got {p.repeats} and {p.steps}")
    datasets = _choice(ctx, "datasets", DATASETS, DATASETS)
    rows: list[BenchRow] = []
    with torch_threads(ctx.integer("threads", 1)):
        torch.manual_seed(ctx.seed)
        for dataset in ctx.progress(datasets, "synthesis data sets", total=len(datasets)):
            rows += run_dataset(dataset, ctx, p)
    return rows + published_rows(datasets)
