"""The demo's synthesis section: real and synthetic windows of one fault, side by side.

A small flow-matching :class:`~moesaic.tasks.synth.Synthesizer` (10 network evaluations per
sample) is trained on windows of the demo plant conditioned on the fault active in each window,
then asked for windows of the fault with the most real examples. The page shows real and
synthetic windows of that fault next to each other, and how far each channel's mean moves from
normal operation in the real windows and in the synthetic ones (the fault signature the
generator has to reproduce). Synthetic windows are labelled as such on the page.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from moesaic.data.schema import MaintenanceData
from moesaic.eval.meters import Stopwatch
from moesaic.reports.html import Section
from moesaic.tasks.synth import SynthConfig, Synthesizer, condition_windows
from moesaic.tasks.synth.conditions import most_common_channels

log = logging.getLogger(__name__)

WINDOW = 48
STRIDE = 6
SHOWN = 3


class SynthDemo(NamedTuple):
    """What the section shows: one fault's real and synthetic windows and the normal ones."""

    fault: str
    channels: tuple[str, ...]
    real: np.ndarray  # (W, T, C) real windows of the fault, NaN where unobserved
    synthetic: np.ndarray  # (S, T, C)
    normal: np.ndarray  # (N, T, C) real windows of normal operation, NaN where unobserved
    seconds: float
    steps: int
    series: tuple[str, ...] = ()  # the series trained on: those with the most common channel set
    others: int = 0  # series with other channels (another kind of asset), not trained on


def synthesize_fault(data: MaintenanceData, *, steps: int = 400, seed: int = 0) -> SynthDemo | None:
    """Train on the plant's windows by fault and sample the best-represented fault; None without faults.

    One generator learns one set of channels: it trains on the series with the plant's most common
    channel set, chosen here (and said on the page) rather than warned about.
    """
    channels = most_common_channels(data.series) if data.series else ()
    chosen = [s for s in data.series if s.channels == channels]
    cut = condition_windows(chosen, window=WINDOW, stride=STRIDE, by=("fault",))
    names = _fault_names(data)
    labels = [names.get(str(c.get("fault", "")), str(c.get("fault", ""))) for c in cut.conditions]
    counts = Counter(label for label in labels if label != "normal")
    if not counts or "normal" not in labels:
        return None
    fault = counts.most_common(1)[0][0]
    conditions = [{"fault": label} for label in labels]
    quarter = max(1, steps // 4)
    train = dataclasses.replace(
        SynthConfig().train, max_steps=steps, warmup_steps=min(50, steps // 10), eval_every=quarter,
        seed=seed, checkpoint_every=steps, log_every=quarter,
    )  # fmt: skip
    with Stopwatch() as watch:
        model = Synthesizer(SynthConfig(train=train)).fit(
            cut.windows, conditions, observed=cut.observed, channel_names=cut.channels
        )
    pick = np.asarray(labels)
    real = cut.windows[pick == fault]  # NaN where a value is missing
    normal = cut.windows[pick == "normal"]
    samples = model.sample(max(SHOWN, min(len(real), 64)), {"fault": fault}, seed=seed)
    log.info("synthesis demo: %s, %d real windows, trained in %.1f s", fault, len(real), watch.seconds)
    return SynthDemo(
        fault, cut.channels, real, samples.series, normal, watch.seconds, steps,
        series=tuple(s.series_id for s in chosen), others=len(data.series) - len(chosen),
    )  # fmt: skip


def _fault_names(data: MaintenanceData) -> dict[str, str]:
    """Fault code (as a category string) -> name, from the series' metadata when it has them."""
    names: dict[str, str] = {}
    for s in data.series:
        for code, name in dict(s.meta.get("fault_type", {})).items():
            names[str(code)] = str(name)
    return names


def signature(demo: SynthDemo) -> pd.DataFrame:
    """Per channel: the shift of the mean from normal operation, in normal standard deviations."""
    mean = np.nanmean(demo.normal, axis=(0, 1))
    spread = np.nanstd(demo.normal, axis=(0, 1)) + 1e-9
    real = (np.nanmean(demo.real, axis=(0, 1)) - mean) / spread
    synthetic = (demo.synthetic.mean(axis=(0, 1)) - mean) / spread
    return pd.DataFrame(
        {
            "channel": demo.channels,
            "real shift (sd)": real.round(2),
            "synthetic shift (sd)": synthetic.round(2),
        }
    )


def plot_side_by_side(demo: SynthDemo, *, channels: int = 3) -> plt.Figure:
    """Rows: the channels that move most in the real fault windows; columns: real | synthetic."""
    table = signature(demo)
    order = np.argsort(-np.abs(table["real shift (sd)"].to_numpy()))[:channels]
    fig, axes = plt.subplots(len(order), 2, figsize=(10, 2.2 * len(order)), sharex=True, squeeze=False)
    for row, c in enumerate(order):
        for col, (title, windows) in enumerate((("real", demo.real), ("synthetic", demo.synthetic))):
            ax = axes[row, col]
            for w in windows[:SHOWN]:
                ax.plot(w[:, c], linewidth=1)
            ax.set_ylabel(demo.channels[c], fontsize=8)
            if row == 0:
                ax.set_title(f"{title}: {demo.fault}", fontsize=10)
        lo = min(axes[row, 0].get_ylim()[0], axes[row, 1].get_ylim()[0])
        hi = max(axes[row, 0].get_ylim()[1], axes[row, 1].get_ylim()[1])
        for ax in axes[row]:
            ax.set_ylim(lo, hi)
    axes[-1, 0].set_xlabel("step in window")
    axes[-1, 1].set_xlabel("step in window")
    fig.tight_layout()
    return fig


def _trained_on(demo: SynthDemo) -> str:
    """Which series the generator learnt from, when the plant has series of other channels."""
    if not demo.others:
        return ""
    return (
        f", from the {len(demo.series)} series that share its {len(demo.channels)} channels "
        f"({', '.join(demo.series)}; the plant's {demo.others} other series have other sensors, "
        "and one generator learns one set of channels)"
    )


def synthesis_section(demo: SynthDemo | None) -> Section:
    section = Section("Synthetic faults")
    if demo is None:
        return section.text("The plant has no fault windows long enough to learn a fault from.")
    section.text(
        f"A flow-matching synthesizer (10 network evaluations per sample) trained for {demo.steps} steps "
        f"in {demo.seconds:.0f} s on the plant's {WINDOW}-step windows, conditioned on the fault"
        f"{_trained_on(demo)}. Left: "
        f"{min(SHOWN, len(demo.real))} of the {len(demo.real)} real windows of {demo.fault}; right: "
        f"synthetic windows asked for fault={demo.fault} (SYNTHETIC, not measured data)."
    )
    section.figure(plot_side_by_side(demo), alt=f"real and synthetic windows of {demo.fault}")
    return section.text(
        "How far each channel's mean moves from normal operation (in normal standard deviations), "
        f"in the {len(demo.real)} real and {len(demo.synthetic)} synthetic windows of {demo.fault}:"
    ).table(signature(demo))
