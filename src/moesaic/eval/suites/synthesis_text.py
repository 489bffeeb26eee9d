"""Suite ``synthesis_text``: synthetic windows asked for by a work order's words alone.

Protocol. A simulated fleet of pumps (:func:`moesaic.data.simulator.simulate`, a high fault rate)
is cut into windows of 24 hourly steps (stride 12). Every window of a fault that an operator
reported gets that fault's report as its text: the first work order linked to the fault, written
in the simulator's CMMS style (abbreviations, typos, readings, the asset tag, such as "P-106
making graavel noise, flow unstable"). Other windows have no text. A report names symptoms more
often than the fault. The synthesizer is fitted on these windows and texts, with no factor at
all. It is then asked for windows from the reports of *another* plant (another seed, other
assets, texts never seen in training), one report at a time, ``SAMPLES`` windows each. Channels
are standardised with the training windows' means and spreads.

Scores, averaged over the reported faults of the evaluation plant (setting ``texts=unseen``):

- ``fault_accuracy``: the share of the generated windows that a fault classifier trained on the
  real training windows (every class drawn equally often;
  :class:`moesaic.eval.suites.augmentation.WindowCNN`) assigns to the reported fault;
- ``signature_error``: the mean absolute difference, over channels, between the channel means of
  the generated windows and of the fault's own real windows (in training spreads).

Rows: ``moesaic-text`` (the synthesizer's default embedder, hashed words and character trigrams)
and ``moesaic-text-minilm`` (the MiniLM sentence encoder of the ``language`` extra, when installed)
given the report; ``moesaic-text-guided`` (the first model with classifier-free guidance
:data:`GUIDANCE`: the samples follow the words more closely, at 20 network evaluations per
sample instead of 10); ``moesaic-no-text`` (the first model with the text left free: what it makes
without the words); ``parse_text`` (a synthesizer fitted with the true fault as a factor, asked
for the fault that :func:`moesaic.tasks.synth.text_condition.parse_text_condition` reads in the
report, unconditional when it reads none; ``read_share`` is the share of reports it reads a
fault in); ``moesaic-fault`` (the same factor model given the true fault: the fault named
outright); ``real_fault`` (the fault's real windows: what the classifier makes of the truth);
``nearest_report`` (retrieval instead of generation: the real training windows of the training
report most like the asked one in the text model's embedding; real, but only ever the windows
already seen).

Quick mode: one seed, 600 synthesizer steps; full: seeds 0-2, 3,000 steps. Options
(``-o KEY=VALUE``): ``seeds=N``, ``steps=N``, ``assets=N``, ``days=D``, ``minilm=yes|no``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.simulator import SimulatorConfig, simulate
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.eval.suites.augmentation import predict, synth_config, train_classifier
from moesaic.eval.suites.synthesis_conditions import CLASSES, STRIDE, WINDOW, balance_classes, signature_error
from moesaic.knowledge.embed import minilm_available
from moesaic.tasks.synth.synthesizer import Synthesizer
from moesaic.tasks.synth.text_condition import parse_text_condition

logger = logging.getLogger(__name__)

TASK = "synthesis_text"
DATASET = "simulated_pumps"
SAMPLES = 50  # generated windows per report
GUIDANCE = 2.0  # classifier-free guidance of the moesaic-text-guided row (twice the evaluations)
EVAL_SEED_OFFSET = 1000  # the evaluation plant's seed: another plant, never the training one
COST_KEYS = ("train_seconds", "params", "params_active")


class ReportedWindows(NamedTuple):
    windows: np.ndarray  # (W, T, C) raw readings, NaN where unobserved
    fault: np.ndarray  # (W,) str, the fault active over most of the window ("none" when healthy)
    episode: np.ndarray  # (W,) str, the fault id of that fault ("" when healthy)
    texts: list[str]  # the fault's report, "" when healthy or never reported


def reported_windows(*, assets: int, days: float, seed: int) -> ReportedWindows:
    """Every window of a simulated fleet of pumps, with its fault and the fault's report as text."""
    config = SimulatorConfig(
        num_assets=assets, days=days, seed=seed, fault_rate=12.0, drawings=False, asset_types=("pump",)
    )
    plant = simulate(config)
    linked = plant.work_orders[plant.work_orders.fault_id != ""].sort_values("created")
    reports = linked.groupby("fault_id").text.first().to_dict()
    truth, time = plant.ground_truth, pd.to_datetime(plant.time)
    windows, faults, episodes, texts = [], [], [], []
    for s in plant.series:
        mine = truth[truth.asset_id == s.asset_id]
        for start in range(0, len(s.values) - WINDOW + 1, STRIDE):
            part = slice(start, start + WINDOW)
            fault = CLASSES[int(np.bincount(s.fault[part]).argmax())]
            first, last = time[start], time[start + WINDOW - 1]
            hit = mine[(mine.fault_type == fault) & (mine.onset <= last) & (mine.end >= first)]
            episode = str(hit.fault_id.iloc[0]) if fault != "none" and len(hit) else ""
            windows.append(s.values[part])
            faults.append(fault)
            episodes.append(episode)
            texts.append(str(reports.get(episode, "")) if episode else "")
    return ReportedWindows(
        np.stack(windows).astype(np.float32), np.asarray(faults), np.asarray(episodes), texts
    )


def _filled(windows: np.ndarray) -> np.ndarray:
    return np.nan_to_num(windows, nan=0.0)


def run_seed(seed: int, *, steps: int, assets: int, days: float, minilm: bool) -> dict[str, dict[str, float]]:
    """system -> metric -> value, averaged over the reported faults of the evaluation plant."""
    train = reported_windows(assets=assets, days=days, seed=seed)
    test = reported_windows(assets=max(1, assets // 2), days=days, seed=seed + EVAL_SEED_OFFSET)
    mean, spread = np.nanmean(train.windows, axis=(0, 1)), np.nanstd(train.windows, axis=(0, 1))
    spread = np.where(spread > 0, spread, 1.0)
    x, x_test = (train.windows - mean) / spread, (test.windows - mean) / spread
    ids = np.asarray([CLASSES.index(f) for f in train.fault])
    index = balance_classes(ids, np.random.default_rng(seed))
    net = train_classifier(_filled(x[index]), ids[index], classes=len(CLASSES), seed=seed)
    config = synth_config(steps=steps, seed=seed)
    with Stopwatch() as watch:
        by_text = Synthesizer(config).fit(x, texts=train.texts)
    logger.info("seed %d: text synthesizer fitted on %d windows in %.0f s", seed, len(x), watch.seconds)
    by_text_minilm = (
        Synthesizer(dataclasses.replace(config, text_embedder="minilm")).fit(x, texts=train.texts)
        if minilm
        else None
    )
    by_fault = Synthesizer(config).fit(x, [{"fault": f} for f in train.fault])
    reports = {e: t for e, t in zip(test.episode, test.texts, strict=True) if e and t}
    if not reports:
        raise OptionError("the evaluation plant has no reported fault; raise the options assets or days")
    per_report: dict[str, list[dict[str, float]]] = {}
    read = 0
    for r, (episode, text) in enumerate(sorted(reports.items())):
        pool = test.episode == episode
        fault, real = str(test.fault[pool][0]), x_test[pool]
        try:
            asked = parse_text_condition(text, by_fault.spec_).condition
        except ValueError:  # the words name no fault: the factor model samples unconditionally
            asked = {}
        read += "fault" in asked
        answers = {
            "moesaic-text": by_text.sample(SAMPLES, texts=text, seed=seed + r).series,
            "moesaic-text-guided": by_text.sample(
                SAMPLES, texts=text, seed=seed + r, guidance=GUIDANCE
            ).series,
            "moesaic-no-text": by_text.sample(SAMPLES, seed=seed + r).series,
            "parse_text": by_fault.sample(SAMPLES, condition=asked or None, seed=seed + r).series,
            "moesaic-fault": by_fault.sample(SAMPLES, condition={"fault": fault}, seed=seed + r).series,
            "real_fault": real,
            "nearest_report": x[np.asarray(train.texts) == by_text.closest_texts(text, k=1)[0][0]],
        }
        if by_text_minilm is not None:
            answers["moesaic-text-minilm"] = by_text_minilm.sample(SAMPLES, texts=text, seed=seed + r).series
        for system, windows in answers.items():
            per_report.setdefault(system, []).append(
                {
                    "fault_accuracy": float((predict(net, _filled(windows)) == CLASSES.index(fault)).mean()),
                    "signature_error": signature_error(windows, real),
                }
            )
    result = {
        system: {metric: float(np.mean([p[metric] for p in scores])) for metric in scores[0]}
        for system, scores in per_report.items()
    }
    result["parse_text"]["read_share"] = read / len(reports)
    result["moesaic-text"]["reports"] = float(len(reports))
    count = count_parameters(by_text.model_, active_fraction=by_text.model_.trunk.active_parameter_fraction)
    result["moesaic-text"].update(
        train_seconds=watch.seconds, params=float(count.total), params_active=float(count.active)
    )
    return result


@register_suite(
    TASK,
    "synthetic windows asked for by unseen work-order texts alone (simulated pumps)",
    options=("seeds", "steps", "assets", "days", "minilm", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    seeds = ctx.integer("seeds", 1 if ctx.quick else 3)
    steps = ctx.integer("steps", 600 if ctx.quick else 3000)
    assets = ctx.integer("assets", 24)
    days = ctx.number("days", 180)
    wanted = ctx.options.get("minilm", "yes")
    if wanted not in ("yes", "no"):
        raise OptionError(f"option minilm must be yes or no, got {wanted!r}")
    minilm = wanted == "yes" and minilm_available()
    if wanted == "yes" and not minilm:
        logger.warning("the MiniLM extra is not installed: no moesaic-text-minilm rows")
    if min(seeds, steps) < 1 or assets < 2 or days <= 0:
        raise OptionError(
            f"options seeds and steps must be >= 1, assets >= 2 and days > 0, got {seeds}, {steps}, "
            f"{assets}, {days}"
        )
    with torch_threads(ctx.integer("threads", 1)):
        runs = [
            run_seed(ctx.seed + s, steps=steps, assets=assets, days=days, minilm=minilm)
            for s in ctx.progress(range(seeds), "seeds", seeds)
        ]
    first = runs[0]["moesaic-text"]
    cost: dict[str, Any] = {
        "params_total": int(first["params"]),
        "params_active": int(first["params_active"]),
        "train_seconds": round(float(np.mean([r["moesaic-text"]["train_seconds"] for r in runs])), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    rows = []
    for system, metrics in runs[0].items():
        for metric in (m for m in metrics if m not in COST_KEYS):
            rows.append(
                BenchRow(
                    system=system,
                    dataset=DATASET,
                    task=TASK,
                    setting=f"texts=unseen,seeds={seeds}",
                    metric=metric,
                    value=round(float(np.mean([r[system][metric] for r in runs])), 4),
                    **(cost if system == "moesaic-text" else {}),
                )
            )
    return rows
