"""Deterministic evidence about one asset over one window, read from the knowledge base.

:func:`gather_evidence` reads the asset's series over the window and the baseline before it, and
computes, with no randomness: the anomaly detector's alarms and contributing channels (a detector
fitted on the baseline only), the change statistics of every channel, the channels that moved,
the stretch of each channel that departs most from the baseline level (an excursion, however
short), the fault type and its onset, a seasonal-naive outlook, the past labelled episodes most like this
one, the matching FMEA rows and the related work orders and alarms. Everything a report says is
computed here; the report only phrases it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.schema import Document, Event, Series
from moesaic.data.standstill import Standstill
from moesaic.data.tables import column_key
from moesaic.data.times import parse_time_argument
from moesaic.reports.diagnose.channels import ChannelModel
from moesaic.reports.diagnose.claims import as_time
from moesaic.reports.diagnose.drift import BaselineDrift, baseline_drift
from moesaic.reports.diagnose.episodes import (
    AFTER_FAULT,
    BASELINE_DAYS,
    MIN_BASELINE_DAYS,
    Interval,
    healthy_baseline,
    healthy_history,
    known_faults,
    order_spans,
    read_from,
    window_from_series,
)
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier, FaultPrediction, Window
from moesaic.reports.diagnose.history import (
    DrawingOnFile,
    PastEpisode,
    asset_drawings,
    corrective_orders,
    fmea_of_type,
    matching_fmea,
    past_episodes,
    related_alarms,
    related_work_orders,
    window_orders,
)
from moesaic.reports.diagnose.named import MAX_NAMED, NamedRow, named_rows
from moesaic.reports.diagnose.onset import estimate_onset
from moesaic.reports.diagnose.source import EvidenceBase
from moesaic.reports.diagnose.stats import STATISTICS, excursion
from moesaic.tasks.detectors_classical import CLASSICAL
from moesaic.tasks.detectors_pipeline import configure

logger = logging.getLogger(__name__)

DETECTOR = "pca"


class EvidenceError(ValueError):
    """The request cannot be answered from the base (unknown asset, empty window, no series)."""


@dataclass(frozen=True)
class ChannelChange:
    """The change statistics of one channel (window against baseline), by :data:`STATISTICS` name."""

    channel: str
    unit: str
    values: dict[str, float]
    contribution: float  # share of the detector score over the window due to this channel
    moved: bool
    excursion: tuple[pd.Timestamp, pd.Timestamp] | None = None  # first and last reading of
    # the strongest stretch away from the baseline level (:func:`stats.excursion`), if any


@dataclass(frozen=True)
class DetectorFinding:
    """The anomaly detector over the window (fitted on the baseline only)."""

    name: str
    threshold: float
    alarm_hours: float
    first_alarm: pd.Timestamp | None
    peak_score: float


@dataclass(frozen=True)
class Outlook:
    """Seasonal-naive forecast of one channel over the day after the window."""

    channel: str
    hours: float
    median: float
    running: bool = False  # a machine that starts and stops: the median of its last day's runs


@dataclass(frozen=True)
class Evidence:
    """Everything known about ``asset_id`` over ``[start, end]``.

    The readings of ``[read_from, end]`` are compared with those of ``[baseline_start,
    baseline_end)``; ``read_from`` is after ``start`` when a known fault still ran at ``start``
    (``after_fault`` names it), or ``start`` when the fault runs too far into the window to skip
    (``open_fault`` is then that fault: a change it explains began before the window, so no onset
    inside the window is estimated for a fault of its type). The onset is placed against a
    healthy model fitted on the ``history`` stretches (the weeks before, between known faults)
    when there are any, else on the baseline.
    """

    asset_id: str
    asset_type: str
    start: pd.Timestamp
    end: pd.Timestamp
    baseline_start: pd.Timestamp
    baseline_end: pd.Timestamp
    read_from: pd.Timestamp
    after_fault: str
    steps_per_day: float
    changes: tuple[ChannelChange, ...]
    detector: DetectorFinding | None
    fault: FaultPrediction | None
    onset: pd.Timestamp | None
    onset_shape: str
    outlook: Outlook | None
    episodes: tuple[PastEpisode, ...]
    fmea: tuple[Document, ...]
    work_orders: tuple[Document, ...]
    alarms: tuple[Event, ...]
    problems: tuple[str, ...]  # why some evidence is missing
    drawings: tuple[DrawingOnFile, ...] = ()  # the asset's drawings on file
    history: tuple[Interval, ...] = ()  # the onset's healthy stretches [a, b)
    readings: bool = True  # the window holds a reading: a sentence can cite it
    open_fault: Event | None = None  # a known fault running across the window's start, read anyway
    # in a base that labels no fault, the corrective work orders that moved the baseline back
    # (latest first): their fault may have run between the baseline and the window
    baseline_orders: tuple[Document, ...] = ()
    onset_from: pd.Timestamp | None = None  # where the onset was looked for, when before ``read_from``
    drift: tuple[BaselineDrift, ...] = ()  # moved channels already moving inside the baseline
    standstill: Standstill | None = None  # a machine that starts and stops: its stopped readings,
    # left out of every figure (:mod:`moesaic.data.standstill`)
    named: tuple[NamedRow, ...] = ()  # FMEA rows the window's work orders name, beside ``fmea``

    @property
    def moved(self) -> tuple[str, ...]:
        """Channels that moved, largest detector contribution first."""
        ranked = sorted((c for c in self.changes if c.moved), key=lambda c: -c.contribution)
        return tuple(c.channel for c in ranked)


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value)
    try:
        return parse_time_argument(str(value), f"`{name}`")
    except ValueError as err:
        raise EvidenceError(str(err)) from None


def check_window(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window ``[start, end]`` as timestamps (anything ``pandas.Timestamp`` reads).

    Raises:
        EvidenceError: a bound that is no time, or ``end`` not after ``start``.
    """
    t0, t1 = _timestamp(start, "start"), _timestamp(end, "end")
    if t1 <= t0:
        raise EvidenceError(f"`end` {t1} must be after `start` {t0}")
    return t0, t1


def detector_finding(window: Window, time: np.ndarray) -> tuple[DetectorFinding, np.ndarray]:
    """Fit the detector on the baseline, score baseline + window; the finding and (C,) score shares."""
    spd = window.steps_per_day
    baseline, values = window.baseline, window.values
    running = np.ones(len(values), dtype=bool)
    if window.standstill is not None:
        # a machine that starts and stops is scored on its running readings, one after the other,
        # its smoothing over a day's running: a stopped row is no reading, and averaging the
        # runs' departures with stopped hours' nothing would dilute them
        spd *= 1.0 - window.standstill.baseline_share
        baseline = baseline[np.isfinite(baseline).any(axis=1)]
        running = np.isfinite(values).any(axis=1)
        values = values[running]
    kind = CLASSICAL[DETECTOR]  # a classical detector: numpy only, no torch in a report process
    detector = kind(configure(kind, smooth=max(1, round(spd)), min_run=3))
    detector.fit(baseline, channels=window.channels)
    detection = detector.predict(np.concatenate([baseline, values]))
    part = slice(len(baseline), None)
    alarm, score = _spread(detection.alarm[part], running), _spread(detection.score[part], running)
    contributions = _spread(detection.contributions[part], running)
    spd = window.steps_per_day
    total = contributions.sum(axis=0)
    shares = total / max(float(total.sum()), 1e-12)
    first = pd.Timestamp(time[int(np.argmax(alarm))]) if alarm.any() else None
    finding = DetectorFinding(
        name=DETECTOR,
        threshold=float(detection.threshold),
        alarm_hours=float(alarm.sum()) * 24.0 / spd,
        first_alarm=first,
        peak_score=float(score.max()) if score.size else 0.0,
    )
    return finding, shares


def _spread(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``x`` (R, ...) of the ``rows`` (T,) bool that are True, spread back over all T rows, zero
    (False) elsewhere."""
    out = np.zeros((len(rows), *x.shape[1:]), dtype=x.dtype)
    out[rows] = x
    return out


def channel_changes(
    window: Window, shares: np.ndarray, units: dict[str, str], moved: np.ndarray, time: np.ndarray
) -> tuple[ChannelChange, ...]:
    """The statistics of every channel; ``moved`` (C,) bool says which ones a fault moved;
    ``time`` (T,) datetime64 stamps the window's rows."""
    out = []
    for c, name in enumerate(window.channels):
        w, b = window.values[:, c], window.baseline[:, c]
        values = {key: fn(w, b, window.steps_per_day) for key, fn in STATISTICS.items()}
        found = excursion(w, b, window.steps_per_day)
        stretch = None if found is None else (pd.Timestamp(time[found.first]), pd.Timestamp(time[found.last]))
        out.append(
            ChannelChange(name, units.get(name, ""), values, float(shares[c]), bool(moved[c]), stretch)
        )
    return tuple(out)


def seasonal_outlook(
    series_values: np.ndarray, channel_index: int, channel: str, spd: float, *, running: bool = False
) -> Outlook | None:
    """The seasonal-naive median at the end of the next day, from the last day of the window.

    With a season of one day, the seasonal-naive forecast of the end of the next day is the
    reading one season before it: the window's last reading, or the last one observed in its
    final day when readings are missing (as :class:`moesaic.tasks.forecast.Forecaster` with
    ``model="seasonal_naive"`` fills them). With ``running`` (a machine that starts and stops, its
    stopped readings missing), the day's end may find it stopped, and its last running reading is
    a stop in passing: the outlook is then the median of the final day's running readings, the
    level it runs at if the day repeats. None when the final day holds no reading or the window is
    shorter than two days. Plain numpy: a report needs no torch for it.
    """
    period = max(1, round(spd))
    x = series_values[:, channel_index].astype(np.float32)
    seen = np.flatnonzero(np.isfinite(x[-period:]))
    if len(x) < 2 * period or not len(seen):
        return None
    if running:
        return Outlook(channel, 24.0, float(np.median(x[-period:][seen])), running=True)
    return Outlook(channel=channel, hours=24.0, median=float(x[-period:][seen[-1]]))


def gather_evidence(
    base: EvidenceBase,
    asset_id: str,
    start: Any,
    end: Any,
    *,
    classifier: FaultClassifier,
    channel_model: ChannelModel,
    onset_shapes: dict[str, str],
    baseline_days: float = BASELINE_DAYS,
) -> Evidence:
    """All the evidence about ``asset_id`` over ``[start, end]``.

    Raises:
        EvidenceError: unknown asset, ``end`` before ``start``, or no series for the asset.
    """
    t0, t1 = check_window(start, end)
    known = {a.asset_id: a for a in base.assets()}
    if asset_id not in known:
        try:
            asset_id = base.resolve_asset(asset_id)
        except (KeyError, LookupError) as err:
            raise EvidenceError(str(err).strip("\"'")) from None
    faults = base.events(asset_id=asset_id, kind="fault")
    busy = known_faults(faults, asset_id, t0)
    orders = () if base.events(kind="fault") else corrective_orders(base, asset_id, t0)
    # the baselines to try, in order: clear of the corrective orders' spans, then of known faults only
    choices: list[tuple[pd.Timestamp, pd.Timestamp, list[Interval]]] = []
    for shunned in (busy + order_spans([as_time(o.time) for o in orders], t0), busy):
        b0, b1 = healthy_baseline(t0, shunned, days=baseline_days)
        if (b0, b1) not in [c[:2] for c in choices]:
            choices.append((b0, b1, healthy_history(t0, shunned)))
    b0, b1, history = choices[0]
    first = read_from(t0, t1, busy)
    running = _running_fault(faults, t0, first) if first > t0 else None
    after = running.event_id if running is not None else ""
    still = _running_fault(faults, t0) if first == t0 else None
    since = min(a for c in choices for a in [c[0], *(h for h, _ in c[2])])
    data = base.asset_data(asset_id, start=since, end=t1)
    asset_type = known[asset_id].asset_type
    series: Series | None = max(data.series, key=lambda s: s.length, default=None)
    empty = Evidence(
        asset_id,
        asset_type,
        t0,
        t1,
        b0,
        b1,
        first,
        after,
        steps_per_day=24.0,
        changes=(),
        detector=None,
        fault=None,
        onset=None,
        onset_shape="",
        outlook=None,
        episodes=(),
        fmea=(),
        work_orders=(),
        alarms=(),
        problems=(),
        baseline_orders=_skipped_orders(orders, b1, t0) if len(choices) > 1 else (),
    )
    if series is None or series.length < 2 or not np.issubdtype(series.time.dtype, np.datetime64):
        blind = dataclasses.replace(empty, readings=False)
        return _with_records(base, blind, [_no_series(base, asset_id, t0, t1)])
    window = window_from_series(
        series, asset_type, first, t1, baseline_start=b0, baseline_end=b1, history=history
    )
    if len(choices) > 1 and len(window.baseline) < MIN_BASELINE_DAYS * window.steps_per_day:
        b0, b1, history = choices[1]  # the series starts too late for the earlier baseline
        empty = dataclasses.replace(empty, baseline_start=b0, baseline_end=b1, baseline_orders=())
        window = window_from_series(
            series, asset_type, first, t1, baseline_start=b0, baseline_end=b1, history=history
        )
    time = series.time[(series.time >= np.datetime64(first)) & (series.time <= np.datetime64(t1))]
    spd = window.steps_per_day
    empty = dataclasses.replace(empty, steps_per_day=spd)
    if len(window.values) < 2:
        few = dataclasses.replace(empty, readings=len(window.values) > 0)
        return _with_records(
            base,
            few,
            ["the window holds too few readings" if len(window.values) else "the window holds no reading"],
        )
    if len(window.baseline) < MIN_BASELINE_DAYS * spd:
        return _with_records(base, empty, ["not enough history before the window to compare with"])
    units = dict(series.meta.get("units", {}))
    finding, shares = detector_finding(window, time)
    model_answer = classifier.predict(window, calibrated=False)  # what the channel model learned from
    changes = channel_changes(window, shares, units, channel_model.moved(window, model_answer), time)
    fault = classifier.calibrate(model_answer)  # the probabilities the report states
    moved_idx = [i for i, c in enumerate(changes) if c.moved]
    onset, shape = None, ""
    if fault.label != NORMAL and moved_idx and not same_fault(still, fault.label):
        shape = onset_shapes.get(fault.label, "drift")
        searched, searched_time = window, time
        if empty.baseline_orders:  # the fault may have begun between the baseline and the window
            searched = window_from_series(
                series, asset_type, b1, t1, baseline_start=b0, baseline_end=b1, history=history
            )
            searched_time = series.time[
                (series.time >= np.datetime64(b1)) & (series.time <= np.datetime64(t1))
            ]
            empty = dataclasses.replace(empty, onset_from=b1)
        at = estimate_onset(searched.values, searched.healthy, moved_idx, shape, smooth=round(spd))
        onset = pd.Timestamp(searched_time[at]) if at is not None else None
    drift: tuple[BaselineDrift, ...] = ()
    if fault.label != NORMAL and moved_idx:  # a slow fault may have begun inside the baseline
        moved = [
            (changes[i].channel, changes[i].values["median"] - changes[i].values["baseline_median"])
            for i in moved_idx
        ]
        drift = baseline_drift(series, asset_type, empty.baseline_start, empty.baseline_end, moved)
    outlook = None
    if moved_idx:
        top = max(moved_idx, key=lambda i: changes[i].contribution)
        stops = window.standstill is not None
        outlook = seasonal_outlook(window.values, top, changes[top].channel, spd, running=stops)
    evidence = dataclasses.replace(
        empty,
        changes=changes,
        detector=finding,
        fault=fault,
        onset=onset,
        onset_shape=shape,
        outlook=outlook,
        history=tuple(history),
        open_fault=still,
        standstill=window.standstill,
        drift=drift,
    )
    return _with_records(base, evidence, [])


def _skipped_orders(
    orders: tuple[Document, ...], baseline_end: pd.Timestamp, start: pd.Timestamp
) -> tuple[Document, ...]:
    """The ``orders`` whose spans (:func:`order_spans`) lie between the baseline's end and the
    window's ``start``: those that moved the baseline back, latest first."""
    spans = order_spans([as_time(o.time) for o in orders], start)
    moved = [
        o for o, (a, b) in zip(orders, spans, strict=True) if a < start and b + AFTER_FAULT > baseline_end
    ]
    return tuple(reversed(moved))


def same_fault(event: Event | None, label: str) -> bool:
    """True when the known fault ``event`` is recorded as the fault type ``label`` ("Bearing
    wear" and "bearing-wear" are ``bearing_wear``)."""
    if event is None:
        return False
    return column_key(event.label) == label


def _running_fault(
    faults: tuple[Event, ...], start: pd.Timestamp, until: pd.Timestamp | None = None
) -> Event | None:
    """The known fault that started before ``start`` and ran latest past it (ending by ``until``
    when given), or None."""
    running = [
        e
        for e in faults
        if isinstance(e.start, pd.Timestamp)
        and isinstance(e.end, pd.Timestamp)
        and as_time(e.start) < start <= as_time(e.end)
        and (until is None or as_time(e.end) <= until)
    ]
    return max(running, key=lambda e: (as_time(e.end), e.event_id), default=None)


def _no_series(base: EvidenceBase, asset_id: str, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Why no series of ``asset_id`` covers the window: it has none with timestamps, or they lie
    elsewhere (said without dates or numbers, which a summary sentence could not cite)."""
    dated = [
        s for s in base.series(asset_id=asset_id) if s.length and np.issubdtype(s.time.dtype, np.datetime64)
    ]
    if not dated:
        return f"no time-stamped sensor series of {asset_id} in the base"
    if start > max(pd.Timestamp(s.time[-1]) for s in dated):
        where = "after the last reading of its series"
    elif end < min(pd.Timestamp(s.time[0]) for s in dated):
        where = "before the first reading of its series"
    else:
        where = "in a gap of its series"
    return f"no reading of {asset_id} in the window, which lies {where}"


def _with_records(base: EvidenceBase, evidence: Evidence, problems: list[str]) -> Evidence:
    label = evidence.fault.label if evidence.fault is not None else NORMAL
    fmea = matching_fmea(base, evidence.asset_type, label, evidence.asset_id) if label != NORMAL else ()
    said = {r.doc_id for r in fmea}
    others = [r for r in fmea_of_type(base, evidence.asset_type, evidence.asset_id) if r.doc_id not in said]
    orders = window_orders(base, evidence.asset_id, evidence.start, evidence.end)
    episodes = past_episodes(base, evidence.asset_id, evidence.start, evidence.end, label=label, k=3)
    return dataclasses.replace(
        evidence,
        episodes=episodes,
        fmea=fmea,
        work_orders=related_work_orders(base, evidence.asset_id, evidence.start, evidence.end),
        alarms=related_alarms(base, evidence.asset_id, evidence.start, evidence.end),
        problems=tuple(problems),
        drawings=asset_drawings(base, evidence.asset_id, fmea),
        named=named_rows(others, orders, evidence.asset_type)[:MAX_NAMED],
    )
