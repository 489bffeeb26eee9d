"""The demo's model sections: the backbone trained on the simulated plant, its alarms and forecasts.

Detection: one :class:`~moesaic.tasks.anomaly.AnomalyDetector` model is pretrained on the
healthy rows (outside every recorded fault) of the first part of every asset's history, then
each faulty asset's detector fits its scales and threshold on later healthy rows that no model
trained on (:func:`fit_rows`), and is judged on the rest of the history, which it never saw.
Forecast: one moesaic :class:`~moesaic.tasks.forecast.Forecaster` is trained on the first part
of every asset's history and forecasts the next day of one asset, with its quantile band, beside
what happened.

The sizes are the demo's: small models and few steps, so that these sections take about 40 s
of a 2-core machine (the report's diagnosis models, fitted once per machine, not counted).
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

FIT_SHARE = 0.6
"""The detector learns from the first 60 % of every history; the page judges it on the rest."""
VALIDATION_SHARE = 0.4
"""The last 40 % of those rows train no model: each threshold is fitted on their healthy rows."""
RECOVERY_DAYS = 1.0
"""Days after a fault's end that are no healthy rows to learn from (the readings settle back)."""
MIN_TRAIN_ROWS = 96
"""Healthy rows an asset needs to train on (the model's windows and the channel scaling)."""
MIN_VALIDATION_ROWS = 48
"""Held-out healthy rows an asset needs to fit its threshold on."""


class AssetDetection(NamedTuple):
    series: Series
    faults: list[Event]
    detection: Detection
    fitted_rows: int  # the detector learnt from healthy rows of [0, fitted_rows); the page judges the rest


class FitRows(NamedTuple):
    """The healthy rows a detector learns from, in two parts that share no row."""

    train: np.ndarray  # (T1, C): trains the model, standardises the channels
    validation: np.ndarray  # (T2, C): later rows no model trains on; the scales and the threshold
    fitted_rows: int  # rows [0, fitted_rows) of the series hold both parts


def fault_mask(series: Series, faults: Sequence[Event], *, recovery_days: float = 0.0) -> np.ndarray:
    """(T,) bool: rows of ``series`` inside a fault of its asset, or up to ``recovery_days`` after one."""
    mask = np.zeros(len(series.time), dtype=bool)
    after = pd.Timedelta(days=recovery_days)
    for event in faults:
        if event.asset_id == series.asset_id and event.start is not None and event.end is not None:
            start, end = pd.Timestamp(event.start), pd.Timestamp(event.end) + after
            mask |= (series.time >= start.to_datetime64()) & (series.time <= end.to_datetime64())
    return mask


def fit_rows(series: Series, faults: Sequence[Event]) -> FitRows:
    """The healthy rows of the first :data:`FIT_SHARE` of ``series``: the last
    :data:`VALIDATION_SHARE` of them held out to fit the threshold on.

    Healthy rows are those outside every fault and its :data:`RECOVERY_DAYS`; the stretches
    between faults are joined end to end (the few rows after a join deviate more, which can only
    raise the threshold). Weeks of rows, not the days before a first fault: the threshold must
    have seen the asset's load regimes, each of which shifts the levels for days.
    """
    fitted = int(FIT_SHARE * len(series.time))
    held = int((1 - VALIDATION_SHARE) * fitted)
    healthy = ~fault_mask(series, faults, recovery_days=RECOVERY_DAYS)
    values = series.values
    return FitRows(values[:held][healthy[:held]], values[held:fitted][healthy[held:fitted]], fitted)


def detect_faults(
    data: MaintenanceData, *, max_assets: int = 3, steps: int = 150, step: Step = lambda m: None
) -> list[AssetDetection]:
    """Pretrain one detector model on every asset's healthy training rows (:func:`fit_rows`); fit
    the threshold of up to ``max_assets`` assets with a fault in the judged part on their held-out
    healthy rows, and score their whole history."""
    faults = [e for e in data.events if e.kind == "fault"]
    base = AnomalyConfig()
    train = dataclasses.replace(
        base.train, max_steps=steps, warmup_steps=min(base.train.warmup_steps, steps // 10)
    )
    config = dataclasses.replace(base, train=train)
    rows = {s.asset_id: fit_rows(s, faults) for s in data.series}
    by_width: dict[int, list[np.ndarray]] = {}
    for series in data.series:
        if len(rows[series.asset_id].train) >= MIN_TRAIN_ROWS:
            by_width.setdefault(series.values.shape[1], []).append(rows[series.asset_id].train)
    targets = [
        s
        for s in data.series
        if fault_mask(s, faults)[rows[s.asset_id].fitted_rows :].any()
        and len(rows[s.asset_id].train) >= MIN_TRAIN_ROWS
        and len(rows[s.asset_id].validation) >= MIN_VALIDATION_ROWS
    ][:max_assets]
    models = {}
    out = []
    for series in targets:
        width = series.values.shape[1]
        if width not in models:
            step(f"pretraining the anomaly model on {len(by_width[width])} healthy histories")
            models[width] = pretrain_anomaly_model(by_width[width], config)
        fit = rows[series.asset_id]
        detector = AnomalyDetector(config, pretrained=models[width])
        detector.fit(fit.train, validation=fit.validation, channels=series.channels)
        asset_faults = [e for e in faults if e.asset_id == series.asset_id]
        out.append(AssetDetection(series, asset_faults, detector.predict(series.values), fit.fitted_rows))
    return out


def plot_detection(item: AssetDetection, *, channels: int = 3) -> plt.Figure:
    """Score and threshold over time, alarms and true faults shaded, and the top contributing channels."""
    title = (
        f"{item.series.asset_id}: anomaly score (dashed: threshold), alarms orange, true faults red; "
        "fitted on the healthy rows left of the green line, judged on the rows right of it"
    )
    spans = [(event.start, event.end) for event in item.faults]
    series = item.series
    return detection_figure(
        series.time, series.values, item.detection, calibrated_rows=item.fitted_rows, title=title,
        spans=spans, channels=channels,
    )  # fmt: skip


def detection_section(items: Sequence[AssetDetection]) -> Section:
    """The detector's alarms on the judged rows: per asset and pooled, the share of fault steps
    flagged and of healthy steps flagged (false alarms)."""
    held = FIT_SHARE * (1 - VALIDATION_SHARE)
    section = Section("Alarms of the sparse-MoE detector").text(
        "One backbone model forecasts every channel from its recent past; the deviation from the "
        f"forecast is the anomaly score. The detector learns from the first {FIT_SHARE:.0%} of each "
        "history, faults and the day after each left out: the model from the first "
        f"{held:.0%}, each asset's threshold from the healthy rows between {held:.0%} and "
        f"{FIT_SHARE:.0%}, which no model trained on. It is judged on the last {1 - FIT_SHARE:.0%}, "
        "which it never saw."
    )
    rows = []
    flagged = {"fault": [0, 0], "healthy": [0, 0]}  # kind -> [steps in alarm, steps]
    for item in items:
        alarm, truth = item.detection.alarm[item.fitted_rows :], fault_mask(item.series, item.faults)
        truth = truth[item.fitted_rows :]
        for kind, where in (("fault", truth), ("healthy", ~truth)):
            flagged[kind][0] += int(alarm[where].sum())
            flagged[kind][1] += int(where.sum())
        rows.append(
            {
                "asset": item.series.asset_id,
                "faults": ", ".join(sorted({e.label for e in item.faults})),
                "alarm steps": int(alarm.sum()),
                "fault steps flagged": f"{_share(alarm, truth):.0%}",
                "healthy steps flagged": f"{_share(alarm, ~truth):.0%}",
            }
        )
    if not rows:
        return section.text(
            "No faulty asset has a fault in the judged rows and enough healthy rows to learn from."
        )
    (fault_alarms, fault_steps), (false_alarms, healthy_steps) = flagged["fault"], flagged["healthy"]
    section.text(
        f"On the judged rows, {false_alarms:,} of {healthy_steps:,} healthy steps raised an alarm "
        f"(false-alarm rate {_rate(false_alarms, healthy_steps)}), and {fault_alarms:,} of "
        f"{fault_steps:,} fault steps did ({_rate(fault_alarms, fault_steps)}). A load regime absent "
        "from the healthy rows it learnt from moves the levels too, and raises alarms."
    )
    section.table(pd.DataFrame(rows))
    for item in items:
        section.figure(plot_detection(item), alt=f"alarms of {item.series.asset_id}")
    return section


def _share(alarm: np.ndarray, where: np.ndarray) -> float:
    return float(alarm[where].mean()) if where.any() else 0.0


def _rate(count: int, total: int) -> str:
    return f"{count / total:.1%}" if total else "none to judge"


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
