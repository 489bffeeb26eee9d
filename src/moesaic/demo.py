"""``moesaic demo``: simulate a small plant, load it back, train the backbone on it, one HTML page.

The demo composes library pieces only: the plant and its records, then the sparse-MoE detector's
alarms and forecaster's outlook (:mod:`moesaic.demo_models`); each later capability adds its
section here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from moesaic.atomic import write_text_atomic
from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.data.simulator.config import MIN_STEPS
from moesaic.demo_drawings import drawing_section
from moesaic.demo_folder import PAGE, PLANT, check_demo_folder, record_demo_files
from moesaic.demo_models import (
    detect_faults,
    detection_section,
    forecast_asset,
    forecast_section,
    report_fault,
    report_section,
)
from moesaic.demo_synth import synthesis_section, synthesize_fault
from moesaic.reports.html import Section, render_page

log = logging.getLogger(__name__)

Step = Callable[[str], None]

FIRST_RUN = "about 4 minutes more on 2 cores"
"""What the first demo on a machine adds to its minute: the diagnosis models are fitted and cached,
spread over the cores (the whole first demo measured 4 min 54 s on an idle 2-core machine)."""


MODEL_DAYS = 14
"""The shortest history the demo trains its models on: the forecaster needs 168 + 24 hourly
readings in the first 80 % of a series less its validation share (13 days was the shortest that
ran, 12 failed)."""


def check_demo_size(assets: int, days: float, *, models: bool) -> None:
    """Raise ValueError, naming the option, its value and what is expected, unless the demo can
    run with ``assets`` assets over ``days`` days of hourly readings (``models``: and train its
    models on them)."""
    if assets < 1:
        raise ValueError(f"--assets must be at least 1, got {assets}")
    if not (math.isfinite(days) and days * 24 >= MIN_STEPS):
        raise ValueError(
            f"--days must be at least {MIN_STEPS / 24:g} ({MIN_STEPS} hourly readings for a healthy "
            f"stretch and a fault), got {days:g}"
        )
    if models and days < MODEL_DAYS:
        raise ValueError(
            f"--days {days:g} is too short for the demo's models: they need at least {MODEL_DAYS} "
            "days of hourly history (--no-models runs on less)"
        )


@dataclass(frozen=True)
class DemoResult:
    page: Path
    plant: Path
    counts: dict[str, int]
    faults_by_type: dict[str, int]


def _fault_events(data: MaintenanceData) -> list[Event]:
    return [e for e in data.events if e.kind == "fault"]


def plot_asset(series: Series, faults: list[Event], *, max_channels: int = 8) -> plt.Figure:
    """Every channel of one asset, standardised and stacked, with its fault spans shaded."""
    channels = series.channels[:max_channels]
    fig, axes = plt.subplots(len(channels), 1, figsize=(11, 1.1 * len(channels) + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    colours = plt.get_cmap("tab10")
    for i, (ax, name) in enumerate(zip(axes, channels, strict=False)):
        ax.plot(series.time, series.values[:, i], lw=0.6, color=colours(i % 10))
        ax.set_ylabel(name, rotation=0, ha="right", fontsize=7)
        ax.tick_params(labelsize=6)
        for event in faults:
            touched = not event.channels or name in event.channels
            ax.axvspan(
                event.start, event.end, color="red" if touched else "orange", alpha=0.25 if touched else 0.08
            )
    labels = ", ".join(f"{e.label} (severity {e.severity:.2f})" for e in faults if e.severity is not None)
    axes[0].set_title(f"{series.asset_id}: {labels or 'no fault'}", fontsize=9)
    fig.tight_layout()
    return fig


def build_page(
    data: MaintenanceData,
    *,
    max_assets: int = 4,
    models: Sequence[Section] = (),
    drawings: Section | None = None,
) -> str:
    """The demo page for a loaded plant.

    ``models`` are the trained models' sections, shown after the data; ``drawings`` the section of
    a drawing read by OCR (without it, the first sheet is shown as an image only).
    """
    counts = data.counts()
    faults = _fault_events(data)
    by_type = pd.Series([e.label for e in faults], dtype=str).value_counts().sort_index()
    overview = Section("The plant").text(
        f"{counts['assets']} assets, {counts['series']} sensor series "
        f"({counts['series_steps']:,} time steps), "
        f"{len(faults)} injected faults, {counts['documents']} documents (work orders and FMEA rows), "
        f"{counts['drawings']} drawings."
    )
    overview.table(data.assets_frame(), max_rows=15)
    fault_section = Section("Faults (ground truth)")
    if len(by_type):
        fault_section.table(by_type.rename_axis("fault type").reset_index(name="count"))
    events = data.events_frame()
    if len(events):
        fault_section.table(events[events["kind"] == "fault"], max_rows=15)
    else:
        fault_section.text("No fault was injected in this plant; simulate more assets or days.")
    plots = Section("Sensors of faulty assets").text(
        "Each channel over time; red spans mark a fault on that channel, orange a fault on another channel."
    )
    faulty = sorted({e.asset_id for e in faults})[:max_assets]
    by_asset = {s.asset_id: s for s in data.series}
    for asset_id in faulty:
        if asset_id in by_asset:
            asset_faults = [e for e in faults if e.asset_id == asset_id]
            plots.figure(plot_asset(by_asset[asset_id], asset_faults), alt=f"sensors of {asset_id}")
    docs = data.documents_frame()
    text = Section("Maintenance records")
    if len(docs):
        work_orders = docs[docs["kind"] == "work_order"]
        text.text(f"{len(work_orders)} work orders; corrective ones linked to faults shown first.")
        columns = [c for c in ("doc_id", "asset_id", "time", "text") if c in work_orders.columns]
        text.table(work_orders[columns], max_rows=12)
        fmea = docs[docs["kind"] == "fmea"]
        if len(fmea):
            text.text(f"{len(fmea)} FMEA rows.")
            text.table(fmea[["doc_id", "text"]], max_rows=8)
    sections = [overview, fault_section, plots, *models, text]
    if drawings is not None:
        sections.append(drawings)
    elif data.drawings:
        drawing = data.drawings[0]
        sheet = Section("Drawings").text(
            f"{len(data.drawings)} drawings; the first one, {drawing.drawing_id}:"
        )
        sheet.image(Path(drawing.path).read_bytes(), alt=f"drawing {drawing.drawing_id}")
        sections.append(sheet)
    return render_page(
        "moesaic demo: a simulated plant",
        sections,
        subtitle=f"data set {data.name}; every number on this page is computed from the files",
    )


def _first_report() -> str:
    """What the report step adds on a first run, when the diagnosis models are not cached yet."""
    from moesaic.reports.diagnose.episodes import training_cache_ready

    if training_cache_ready():
        return ""
    return f" (first run on this machine: fitting the diagnosis models first, {FIRST_RUN}, once)"


def run_demo(
    out: Path,
    *,
    assets: int = 12,
    days: float = 60,
    seed: int = 0,
    fault_rate: float = 12.0,
    models: bool = True,
    step: Step = lambda message: None,
) -> DemoResult:
    """Simulate a small plant under ``out/plant``, load it and write ``out/moesaic-demo.html``.

    The demo plant fails more often than a real fleet (``fault_rate`` faults per asset-year) so
    that two months of history show several kinds of fault. ``models=False`` leaves out the
    trained detector and forecaster, the synthetic faults, the report and the OCR reading of a
    drawing (the page then only shows the data). ``out`` is the demo's own folder
    (:mod:`moesaic.demo_folder`): new, empty or an earlier demo's, never a user's.

    Raises:
        DemoFolderError: ``out`` holds files no demo wrote, or files changed since one did.
        ValueError: too few assets or days (:func:`check_demo_size`); nothing is written.
        OutputPathError: ``out`` (or a parent) is a file.
    """
    out = Path(out)
    check_demo_size(assets, days, models=models)
    check_demo_folder(out)
    record_demo_files(out)  # marks the folder as the demo's before anything else is written
    plant_dir = out / PLANT
    step(f"simulating {assets} assets over {days:g} days")
    simulate_to(SimulatorConfig(num_assets=assets, days=days, seed=seed, fault_rate=fault_rate), plant_dir)
    step("loading the plant back through the validated readers")
    data = load_plant(plant_dir)
    sections = []
    if models:
        sections.append(detection_section(detect_faults(data, step=step)))
        faulty = sorted({e.asset_id for e in _fault_events(data)}) or [data.series[0].asset_id]
        step(f"training the forecaster and forecasting {faulty[0]}")
        sections.append(forecast_section(forecast_asset(data, faulty[0])))
        step("training a conditional synthesizer and sampling the most frequent fault")
        sections.append(synthesis_section(synthesize_fault(data, seed=seed)))
        step("ingesting the plant into a knowledge base and writing a diagnostic report" + _first_report())
        reported = report_fault(data, out)
        record_demo_files(out)
        if reported is not None:
            sections.append(report_section(reported))
    drawings = None
    if models and data.drawings:
        step(f"reading drawing {data.drawings[0].drawing_id} by OCR and checking it against its BOM")
        drawings = drawing_section(data.drawings)
    step("writing the HTML page")
    page = out / PAGE
    write_text_atomic(page, build_page(data, models=sections, drawings=drawings))
    record_demo_files(out)
    by_type = pd.Series([e.label for e in _fault_events(data)], dtype=str).value_counts()
    return DemoResult(
        page=page,
        plant=plant_dir,
        counts=data.counts(),
        faults_by_type={str(k): int(v) for k, v in by_type.items()},
    )
