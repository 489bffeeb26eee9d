"""The demo's model sections: the backbone trained on the simulated plant, its alarms and forecasts.

Detection: one :class:`~moesaic.tasks.anomaly.AnomalyDetector` model is pretrained on the
healthy history of every asset (the rows before its first recorded fault, as an engineer would
pick a known-good period), then each faulty asset's detector fits its scales and threshold on its
own healthy rows only and scores the whole history. Forecast: one moesaic
:class:`~moesaic.tasks.forecast.Forecaster` is trained on the first part of every asset's
history and forecasts the next day of one asset, with its quantile band, beside what happened.

The sizes are the demo's: small models and few steps, so the page is written in about a minute.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from moesaic.atomic import atomic_directory, write_text_atomic
from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.demo_folder import KB, REPORT
from moesaic.reports.html import Section
from moesaic.reports.plots import detection_figure, forecast_figure
from moesaic.tasks.anomaly import AnomalyConfig, AnomalyDetector, pretrain_anomaly_model
from moesaic.tasks.detectors import Detection
from moesaic.tasks.forecast import ForecastConfig, Forecaster

log = logging.getLogger(__name__)

Step = Callable[[str], None]

MIN_HEALTHY_ROWS = 96
"""An asset needs this many rows before its first fault to calibrate a detector on."""


class AssetDetection(NamedTuple):
    series: Series
    faults: list[Event]
    detection: Detection
    healthy_rows: int


def healthy_rows(series: Series, faults: Sequence[Event]) -> int:
    """Rows of ``series`` before the first fault of its asset (all of them without a fault)."""
    starts = [
        pd.Timestamp(e.start).to_datetime64()
        for e in faults
        if e.asset_id == series.asset_id and e.start is not None
    ]
    if not starts:
        return len(series.time)
    return int(np.searchsorted(series.time, min(starts)))


def detect_faults(
    data: MaintenanceData, *, max_assets: int = 3, steps: int = 150, step: Step = lambda m: None
) -> list[AssetDetection]:
    """Pretrain one detector model on every asset's healthy rows; score up to ``max_assets`` faulty ones."""
    faults = [e for e in data.events if e.kind == "fault"]
    base = AnomalyConfig()
    train = dataclasses.replace(
        base.train, max_steps=steps, warmup_steps=min(base.train.warmup_steps, steps // 10)
    )
    config = dataclasses.replace(base, train=train)
    by_width: dict[int, list[np.ndarray]] = {}
    for series in data.series:
        rows = healthy_rows(series, faults)
        if rows >= MIN_HEALTHY_ROWS:
            by_width.setdefault(series.values.shape[1], []).append(series.values[:rows])
    faulty = {e.asset_id for e in faults}
    targets = [
        s for s in data.series if s.asset_id in faulty and healthy_rows(s, faults) >= MIN_HEALTHY_ROWS
    ][:max_assets]
    models = {}
    out = []
    for series in targets:
        width = series.values.shape[1]
        if width not in models:
            step(f"pretraining the anomaly model on {len(by_width[width])} healthy histories")
            models[width] = pretrain_anomaly_model(by_width[width], config)
        rows = healthy_rows(series, faults)
        detector = AnomalyDetector(config, pretrained=models[width])
        detector.fit(series.values[:rows], channels=series.channels)
        asset_faults = [e for e in faults if e.asset_id == series.asset_id]
        out.append(AssetDetection(series, asset_faults, detector.predict(series.values), rows))
    return out


def plot_detection(item: AssetDetection, *, channels: int = 3) -> plt.Figure:
    """Score and threshold over time, alarms and true faults shaded, and the top contributing channels."""
    title = (
        f"{item.series.asset_id}: anomaly score (dashed: threshold), alarms orange, true faults red; "
        "calibrated on the rows left of the green line"
    )
    spans = [(event.start, event.end) for event in item.faults]
    series = item.series
    return detection_figure(
        series.time, series.values, item.detection, calibrated_rows=item.healthy_rows, title=title,
        spans=spans, channels=channels,
    )  # fmt: skip


def detection_section(items: Sequence[AssetDetection]) -> Section:
    section = Section("Alarms of the sparse-MoE detector").text(
        "One backbone model forecasts every channel from its recent past; the deviation from the "
        "forecast is the anomaly score. Each asset's threshold is fitted on its healthy rows only."
    )
    rows = []
    for item in items:
        alarm, truth = item.detection.alarm, _truth(item)
        after = slice(item.healthy_rows, None)
        rows.append(
            {
                "asset": item.series.asset_id,
                "faults": ", ".join(sorted({e.label for e in item.faults})),
                "alarm steps": int(alarm[after].sum()),
                "fault steps flagged": f"{_share(alarm[after], truth[after]):.0%}",
                "healthy steps flagged": f"{_share(alarm[after], ~truth[after]):.0%}",
            }
        )
    if rows:
        section.table(pd.DataFrame(rows))
    else:
        section.text("No faulty asset has enough healthy history before its first fault to calibrate on.")
    for item in items:
        section.figure(plot_detection(item), alt=f"alarms of {item.series.asset_id}")
    return section


def _truth(item: AssetDetection) -> np.ndarray:
    truth = np.zeros(len(item.series.time), dtype=bool)
    for event in item.faults:
        if event.start is not None and event.end is not None:  # simulated faults always have both
            start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
            truth |= (item.series.time >= start.to_datetime64()) & (item.series.time <= end.to_datetime64())
    return truth


def _share(alarm: np.ndarray, where: np.ndarray) -> float:
    return float(alarm[where].mean()) if where.any() else 0.0


class DemoForecast(NamedTuple):
    series: Series
    context: int
    horizon: int
    median: np.ndarray  # (H, C)
    lower: np.ndarray  # (H, C), 10 % quantile
    upper: np.ndarray  # (H, C), 90 % quantile


def forecast_asset(
    data: MaintenanceData, asset_id: str, *, context: int = 168, horizon: int = 24, steps: int = 150
) -> DemoForecast:
    """Train the moesaic forecaster on the first 80 % of every same-width series; forecast ``asset_id``.

    The forecast starts where the training rows end, so the page compares it with unseen data.
    """
    target = next(s for s in data.series if s.asset_id == asset_id)
    width = target.values.shape[1]
    cut = int(0.8 * len(target.time))
    history = [s.values[:cut] for s in data.series if s.values.shape[1] == width and len(s.time) > cut]
    base = ForecastConfig(model="moesaic", context_length=context, horizon=horizon)
    train = dataclasses.replace(base.train, max_steps=steps, warmup_steps=steps // 10, num_threads=1)
    moesaic = dataclasses.replace(base.moesaic, stage_steps=steps)
    forecaster = Forecaster(dataclasses.replace(base, train=train, moesaic=moesaic)).fit(history)
    out = forecaster.predict(target.values[:cut])
    levels = list(out.levels)
    return DemoForecast(
        target,
        cut,
        horizon,
        out.median,
        out.quantiles[..., levels.index(0.1)],
        out.quantiles[..., levels.index(0.9)],
    )


def forecast_section(item: DemoForecast, *, channels: int = 4) -> Section:
    series, cut, H = item.series, item.context, item.horizon
    past = slice(max(0, cut - 3 * H), cut)
    future = series.time[cut : cut + H]
    actual = series.values[cut : cut + H]
    fig = forecast_figure(
        series.time[past], series.values[past], future, item.median[: len(future)],
        (item.lower[: len(future)], item.upper[: len(future)]), names=series.channels,
        title=f"{series.asset_id}: next {H} steps, median and 10-90 % band (blue), actual (black)",
        actual=actual, channels=channels,
    )  # fmt: skip
    mae = float(np.nanmean(np.abs(actual - item.median[: len(actual)])))
    inside = float(np.nanmean((actual >= item.lower[: len(actual)]) & (actual <= item.upper[: len(actual)])))
    return (
        Section("Forecast of the sparse-MoE forecaster")
        .text(
            f"Trained on the first 80 % of every asset's history; on the next {H} unseen steps of "
            f"{series.asset_id} the median is off by {mae:.3g} on average, and {inside:.0%} of the actual "
            "values fall inside the 10-90 % band."
        )
        .figure(fig, alt=f"forecast of {series.asset_id}")
    )


class DemoReport(NamedTuple):
    page: Path
    truth: str  # the simulated fault's label, to show beside the diagnosis
    diagnosis_text: str
    summary: list[str]


def report_fault(
    data: MaintenanceData, out: Path, *, min_history_days: float = 6.0, **models: Any
) -> DemoReport | None:
    """Ingest the plant into a new knowledge base ``out/kb`` (replacing the one there) and write a
    grounded report of one fault to ``out/moesaic-report.html``.

    The fault is the first one with ``min_history_days`` of history before it (the report
    compares the window with a baseline before it); None when no fault qualifies. ``models``
    (``classifier``, ``channel_model``, ``onset_shapes``) go to :func:`moesaic.reports.diagnose.diagnose`;
    by default it fits them on its own training plant (cached after the first run).
    """
    from moesaic.knowledge import KnowledgeBase
    from moesaic.reports.diagnose import diagnose, render

    starts = {s.asset_id: pd.Timestamp(s.time[0]) for s in data.series}
    history = pd.Timedelta(days=min_history_days)
    spans = sorted(
        ((e.start, e.end, e) for e in data.events
         if e.kind == "fault" and isinstance(e.start, pd.Timestamp) and isinstance(e.end, pd.Timestamp)),
        key=lambda span: (span[0], span[2].event_id),
    )  # fmt: skip
    chosen = next(
        (
            span
            for span in spans
            if span[2].asset_id in starts and span[0] - starts[span[2].asset_id] >= history
        ),
        None,
    )
    if chosen is None:
        return None
    start, end, event = chosen
    # A fresh base, swapped in whole: the previous demo's records never mix with this plant's.
    with atomic_directory(out / KB) as tmp, KnowledgeBase.open(tmp, create=True, embedder="hashing") as kb:
        kb.ingest(data, source="plant")
    with KnowledgeBase.open(out / KB) as kb:
        report = diagnose(kb, event.asset_id, start - pd.Timedelta(days=1), end, **models)
    page = out / REPORT
    write_text_atomic(page, render(report, "html"))
    d = report.diagnosis
    verdict = (
        f"abstained: {d.reason}"
        if d.abstained
        else f"{d.fault_type} (confidence {d.confidence:.2f}) on {', '.join(d.channels)}"
    )
    return DemoReport(page, event.label, verdict, [s.text for s in report.section("summary")])


def report_section(item: DemoReport) -> Section:
    section = Section("Diagnostic report of one fault").text(
        "The plant was ingested into a knowledge base and one fault window diagnosed "
        f"(true fault: {item.truth}). "
        f"Diagnosis: {item.diagnosis_text}. Every sentence of the report cites its evidence and every "
        f"number in it was recomputed by the verifier; the full report is {item.page.name}."
    )
    for sentence in item.summary:
        section.text(sentence)
    return section
