"""Suite ``synthesis_conditions``: conditional samples for combinations the synthesizer never saw.

Protocol. A simulated fleet of pumps (:func:`moesaic.data.simulator.simulate`, a high fault rate so
that every fault type has examples) is cut into windows of 24 hourly steps (stride 12), each with
the condition ``{fault, regime}``: the fault active over most of the window (``none`` when
healthy) and the load regime over most of it (``low``, ``normal``, ``high``). Every faulty window
at high load is held out: the synthesizer learns the faults at low and normal load and normal
operation at every load, and is then asked for each fault *at high load*, a combination it never
saw. Channels are standardised with the training windows' means and spreads.

Scores, per fault type (a type is left out with fewer than :data:`MIN_WINDOWS` real windows of the
asked combination, or none at another load), then averaged over the fault types (setting
``combination=unseen``):

- ``signature_error``: the mean absolute difference, over channels, between the channel means of
  the generated windows and of the real held-out windows of the combination (in training spreads);
- ``fault_accuracy``: the share of generated windows that a fault classifier trained on the real
  training windows (every class drawn equally often) assigns to the asked fault;
- ``regime_accuracy``: the same with a regime classifier (is the sample at high load?).

Both classifiers are :class:`moesaic.eval.suites.augmentation.WindowCNN`. Rows: ``moesaic-flow``
(the synthesizer's defaults: the unseen combination is a generated healthy window at the asked
load plus the departure of one of the fault's windows, :mod:`moesaic.tasks.synth.transfer`);
``moesaic-flow-tokens`` (the same model with ``transfer=False``: the flow composes the two
condition tokens alone); ``moesaic-flow-tokens-guided`` (the same with classifier-free guidance
:data:`GUIDANCE`, twice the network evaluations); ``real_heldout`` (the real held-out windows
themselves: what the two classifiers make of the truth); two naive answers built from real
training windows: ``other_regime`` (the fault's windows at the loads seen, ignoring the regime
asked for) and ``normal_same_regime`` (healthy windows at high load, ignoring the fault). Setting
``combination=seen`` asks for each fault at normal load and compares with the training windows
of that combination, for reference.

Quick mode: one seed, 600 synthesizer steps; full: seeds 0-2, 3,000 steps. Options
(``-o KEY=VALUE``): ``seeds=N``, ``steps=N``, ``assets=N``, ``days=D``.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import numpy as np

from moesaic.data.simulator import FAULT_TYPES, SimulatorConfig, simulate
from moesaic.data.simulator.sensors import REGIMES
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.eval.suites.augmentation import predict, synth_config, train_classifier
from moesaic.tasks.synth.synthesizer import Synthesizer

logger = logging.getLogger(__name__)

TASK = "synthesis_conditions"
DATASET = "simulated_pumps"
WINDOW, STRIDE = 24, 12
HELD_REGIME, SEEN_REGIME = "high", "normal"
MIN_WINDOWS = 10  # a fault type needs this many held-out windows to be scored
SAMPLES = 200  # generated windows per asked combination
GUIDANCE = 2.0  # classifier-free guidance of the moesaic-flow-tokens-guided row
CLASSES = ("none", *FAULT_TYPES)
COST_KEYS = ("train_seconds", "params", "params_active")  # kept beside the scores, written as costs


class PlantWindows(NamedTuple):
    windows: np.ndarray  # (W, T, C) raw readings, NaN where unobserved
    fault: np.ndarray  # (W,) str
    regime: np.ndarray  # (W,) str


def plant_windows(*, assets: int, days: float, seed: int) -> PlantWindows:
    """Every window of a simulated fleet of pumps with its majority fault and regime."""
    config = SimulatorConfig(
        num_assets=assets, days=days, seed=seed, fault_rate=12.0, drawings=False, asset_types=("pump",)
    )
    windows, faults, regimes = [], [], []
    for s in simulate(config).series:
        for start in range(0, len(s.values) - WINDOW + 1, STRIDE):
            part = slice(start, start + WINDOW)
            windows.append(s.values[part])
            faults.append(CLASSES[int(np.bincount(s.fault[part]).argmax())])
            regimes.append(REGIMES[int(np.bincount(s.regime[part]).argmax())])
    return PlantWindows(np.stack(windows).astype(np.float32), np.asarray(faults), np.asarray(regimes))


def _filled(windows: np.ndarray) -> np.ndarray:
    return np.nan_to_num(windows, nan=0.0)


def balance_classes(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices that draw every class of ``labels`` equally often (as many as there are labels)."""
    classes = np.unique(labels)
    per = -(-len(labels) // len(classes))
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), size=per) for c in classes])


def signature_error(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean over channels of |channel mean of ``generated`` - that of ``real``| (standardised)."""
    return float(np.nanmean(np.abs(np.nanmean(generated, axis=(0, 1)) - np.nanmean(real, axis=(0, 1)))))


def run_seed(seed: int, *, steps: int, assets: int, days: float) -> dict[str, dict[str, dict[str, float]]]:
    """setting -> system -> metric -> value, averaged over the scored fault types."""
    data = plant_windows(assets=assets, days=days, seed=seed)
    held = (data.fault != "none") & (data.regime == HELD_REGIME)
    train_x = data.windows[~held]
    mean, spread = np.nanmean(train_x, axis=(0, 1)), np.nanstd(train_x, axis=(0, 1))
    spread = np.where(spread > 0, spread, 1.0)
    x = (data.windows - mean) / spread
    fault_ids = np.asarray([CLASSES.index(f) for f in data.fault])
    regime_ids = np.asarray([REGIMES.index(r) for r in data.regime])
    rng = np.random.default_rng(seed)
    nets = {}
    for name, ids, size in (("fault", fault_ids, len(CLASSES)), ("regime", regime_ids, len(REGIMES))):
        index = np.flatnonzero(~held)[balance_classes(ids[~held], rng)]
        nets[name] = train_classifier(_filled(x[index]), ids[index], classes=size, seed=seed)
    conditions = [
        {"fault": f, "regime": r} for f, r in zip(data.fault[~held], data.regime[~held], strict=True)
    ]
    with Stopwatch() as watch:
        synth = Synthesizer(synth_config(steps=steps, seed=seed)).fit(x[~held], conditions)
    logger.info(
        "seed %d: synthesizer fitted on %d windows in %.0f s", seed, int((~held).sum()), watch.seconds
    )

    def scores(windows: np.ndarray, real: np.ndarray, fault: str, regime: str) -> dict[str, float]:
        return {
            "signature_error": signature_error(windows, real),
            "fault_accuracy": float(
                (predict(nets["fault"], _filled(windows)) == CLASSES.index(fault)).mean()
            ),
            "regime_accuracy": float(
                (predict(nets["regime"], _filled(windows)) == REGIMES.index(regime)).mean()
            ),
        }

    out: dict[str, dict[str, list[dict[str, float]]]] = {}
    for setting, regime, pool in (("unseen", HELD_REGIME, held), ("seen", SEEN_REGIME, ~held)):
        for f, fault in enumerate(FAULT_TYPES, start=1):
            real = x[pool & (data.fault == fault) & (data.regime == regime)]
            other = x[~held & (data.fault == fault) & (data.regime != regime)]
            if len(real) < MIN_WINDOWS or not len(other):
                continue
            asked = {"fault": fault, "regime": regime}
            answers = {
                "moesaic-flow": synth.sample(SAMPLES, condition=asked, seed=seed + f).series,
                "moesaic-flow-tokens": synth.sample(
                    SAMPLES, condition=asked, seed=seed + f, transfer=False
                ).series,
                "moesaic-flow-tokens-guided": synth.sample(
                    SAMPLES, condition=asked, seed=seed + f, transfer=False, guidance=GUIDANCE
                ).series,
                "real_heldout": real,
                "other_regime": other,
                "normal_same_regime": x[~held & (data.fault == "none") & (data.regime == regime)],
            }
            for system, windows in answers.items():
                out.setdefault(setting, {}).setdefault(system, []).append(
                    scores(windows, real, fault, regime)
                )
    if set(out) != {"unseen", "seen"}:
        raise OptionError(
            f"no fault type has {MIN_WINDOWS} windows at {HELD_REGIME} and at {SEEN_REGIME} load and "
            "some at another load in this plant; raise the options assets or days"
        )
    result: dict[str, dict[str, dict[str, float]]] = {}
    for setting, systems in out.items():
        for system, per_fault in systems.items():
            result.setdefault(setting, {})[system] = {
                metric: float(np.mean([p[metric] for p in per_fault])) for metric in per_fault[0]
            }
            result[setting][system]["fault_types"] = float(len(per_fault))
    count = count_parameters(synth.model_, active_fraction=synth.model_.trunk.active_parameter_fraction)
    result["unseen"]["moesaic-flow"].update(
        train_seconds=watch.seconds, params=float(count.total), params_active=float(count.active)
    )
    return result


@register_suite(
    TASK,
    "conditional synthesis of fault x load combinations never seen in training (simulated pumps)",
    options=("seeds", "steps", "assets", "days", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    seeds = ctx.integer("seeds", 1 if ctx.quick else 3)
    steps = ctx.integer("steps", 600 if ctx.quick else 3000)
    assets = ctx.integer("assets", 24)
    days = ctx.number("days", 180)
    if min(seeds, steps, assets) < 1 or days <= 0:
        raise OptionError(
            f"options seeds, steps, assets must be >= 1 and days > 0, got {seeds}, {steps}, {assets}, {days}"
        )
    with torch_threads(ctx.integer("threads", 1)):
        runs = [
            run_seed(ctx.seed + s, steps=steps, assets=assets, days=days)
            for s in ctx.progress(range(seeds), "seeds", seeds)
        ]
    flow = [r["unseen"]["moesaic-flow"] for r in runs]
    cost: dict[str, Any] = {
        "params_total": int(flow[0]["params"]),
        "params_active": int(flow[0]["params_active"]),
        "train_seconds": round(float(np.mean([f["train_seconds"] for f in flow])), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    rows = []
    for setting, systems in runs[0].items():
        for system, metrics in systems.items():
            for metric in (m for m in metrics if m not in COST_KEYS):
                value = float(np.mean([r[setting][system][metric] for r in runs]))
                rows.append(
                    BenchRow(
                        system=system,
                        dataset=DATASET,
                        task=TASK,
                        setting=f"combination={setting},seeds={seeds}",
                        metric=metric,
                        value=round(value, 4),
                        **(cost if system == "moesaic-flow" else {}),
                    )
                )
    return rows
