"""Recompute a stated number from the base: re-read the cited windows, run the same statistic.

The statistics of :data:`moesaic.reports.diagnose.stats.STATISTICS` take one channel; :data:`DERIVED`
ones take every channel of the asset (the detector, the classifier, the onset, the outlook) or
the times of the readings (where a channel's excursion starts and ends).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.schema import Series
from moesaic.reports.diagnose.claims import Quantity, SeriesCitation
from moesaic.reports.diagnose.episodes import Interval, window_from_series
from moesaic.reports.diagnose.faults import FaultClassifier, Window
from moesaic.reports.diagnose.onset import estimate_onset
from moesaic.reports.diagnose.source import EvidenceBase
from moesaic.reports.diagnose.stats import STATISTICS, excursion


class CitedWindow(NamedTuple):
    window: Window
    time: np.ndarray  # (T,) datetime64 of the window rows
    units: dict[str, str]
    memo: dict[str, Any]  # results shared by the quantities of one window (the fitted detector)


class WindowReader:
    """Reads cited windows from the base, each asset's series once per report.

    Args:
        base: the base.
        span: the widest window the report may cite; an asset's series is read over it once and
            cut in memory for every citation inside it (reading Parquet dominates the cost).
    """

    def __init__(self, base: EvidenceBase, *, span: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> None:
        self.base, self.span = base, span
        self._series: dict[str, tuple[Series | None, str]] = {}
        self._windows: dict[Any, CitedWindow] = {}

    def _read(self, asset_id: str, start: pd.Timestamp, end: pd.Timestamp) -> tuple[Series | None, str]:
        inside = self.span is not None and self.span[0] <= start and end <= self.span[1]
        if inside and asset_id in self._series:
            return self._series[asset_id]
        lo, hi = self.span if inside and self.span is not None else (start, end)
        try:
            data = self.base.asset_data(asset_id, start=lo, end=hi)
        except (KeyError, ValueError) as err:
            raise LookupError(f"asset {asset_id!r} is not in the base ({err})") from None
        found = (
            max(data.series, key=lambda s: s.length, default=None),
            data.assets[0].asset_type if data.assets else "",
        )
        if inside:
            self._series[asset_id] = found
        return found

    def window(
        self,
        source: SeriesCitation,
        baseline: SeriesCitation | None,
        history: tuple[Interval, ...] = (),
    ) -> CitedWindow:
        """The readings of ``source`` (every channel) and of ``baseline`` (``[start, end)``) before it,
        with those of the ``history`` stretches ``[a, b)`` (the window's ``history``) when given.

        Raises:
            LookupError: the asset or its series is not in the base, or the window holds no reading.
        """
        first = baseline.start if baseline is not None else source.start
        last = baseline.end if baseline is not None else source.start
        key = (source.asset_id, source.start, source.end, first, last, history)
        if key not in self._windows:
            oldest = min([pd.Timestamp(first), *(pd.Timestamp(a) for a, _ in history)])
            series, asset_type = self._read(source.asset_id, oldest, source.end)
            missing = f"no readings of {source.asset_id} between {source.start} and {source.end}"
            if series is None or series.length == 0:
                raise LookupError(missing)
            window = window_from_series(
                series,
                asset_type,
                source.start,
                source.end,
                baseline_start=first,
                baseline_end=last,
                history=history,
            )
            if len(window.values) == 0:
                raise LookupError(missing)
            inside = (series.time >= np.datetime64(source.start)) & (series.time <= np.datetime64(source.end))
            self._windows[key] = CitedWindow(
                window, series.time[inside], dict(series.meta.get("units", {})), {}
            )
        return self._windows[key]


def _column(window: Window, channel: str) -> int:
    if channel not in window.channels:
        raise LookupError(f"channel {channel!r} is not a channel of the cited series {list(window.channels)}")
    return window.channels.index(channel)


def _onset(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
    idx = sorted(_column(cited.window, c) for c in q.params.get("channels", ()))
    w = cited.window
    at = estimate_onset(w.values, w.healthy, idx, str(q.params["shape"]), smooth=round(w.steps_per_day))
    return float("nan") if at is None else pd.Timestamp(cited.time[at]).timestamp()


def _excursion(field: str) -> Callable[[CitedWindow, Quantity, FaultClassifier], float]:
    """The time of the ``first`` or ``last`` reading of the cited channel's excursion."""

    def compute(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
        c = _column(cited.window, q.source.channel)
        w = cited.window
        found = excursion(w.values[:, c], w.baseline[:, c], w.steps_per_day)
        return float("nan") if found is None else pd.Timestamp(cited.time[getattr(found, field)]).timestamp()

    return compute


def _detector(field: str) -> Callable[[CitedWindow, Quantity, FaultClassifier], float]:
    def compute(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
        from moesaic.reports.diagnose.evidence import detector_finding

        if cited.memo.get("detector") is None:
            cited.memo["detector"] = detector_finding(cited.window, cited.time)[0]
        return float(getattr(cited.memo["detector"], field))

    return compute


def _confidence(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
    if cited.memo.get("fault") is None:
        cited.memo["fault"] = classifier.predict(cited.window)
    ranked = dict(cited.memo["fault"].ranked)
    return ranked.get(str(q.params["fault_type"]), 0.0)


def _outlook(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
    from moesaic.reports.diagnose.evidence import seasonal_outlook

    channel = str(q.params["channel"])
    outlook = seasonal_outlook(
        cited.window.values,
        _column(cited.window, channel),
        channel,
        cited.window.steps_per_day,
        running=q.statistic == "outlook_running",
    )
    return float("nan") if outlook is None else outlook.median


def _standstill(field: str, scale: float) -> Callable[[CitedWindow, Quantity, FaultClassifier], float]:
    """A figure of the cited window's standstill (NaN when the window has none, or it is told by
    another channel than the one cited)."""

    def compute(cited: CitedWindow, q: Quantity, classifier: FaultClassifier) -> float:
        gate = cited.window.standstill
        if gate is None or gate.channel != q.source.channel:
            return float("nan")
        return scale * float(getattr(gate, field))

    return compute


DERIVED: dict[str, Callable[[CitedWindow, Quantity, FaultClassifier], float]] = {
    "onset": _onset,
    "alarm_hours": _detector("alarm_hours"),
    "peak_score": _detector("peak_score"),
    "threshold": _detector("threshold"),
    "fault_confidence": _confidence,
    "outlook": _outlook,
    "outlook_running": _outlook,
    "excursion_start": _excursion("first"),
    "excursion_end": _excursion("last"),
    "standstill_level": _standstill("level", 1.0),
    "baseline_stopped_percent": _standstill("baseline_share", 100.0),
    "stopped_percent": _standstill("window_share", 100.0),
}
"""Statistics over every channel of the asset, or that need the time of a reading:
name -> fn(cited window, quantity, classifier)."""


def _history(q: Quantity) -> tuple[Interval, ...]:
    """The healthy stretches ``q`` was computed against (its ``history`` parameter: pairs of times).

    Raises:
        LookupError: the parameter is not a list of [start, end] times.
    """
    spans = q.params.get("history", ())
    try:
        return tuple((pd.Timestamp(a), pd.Timestamp(b)) for a, b in spans)
    except (TypeError, ValueError):
        raise LookupError(
            f"the history {spans!r} of a {q.statistic} is not a list of [start, end] times"
        ) from None


def recompute(reader: WindowReader, q: Quantity, classifier: FaultClassifier) -> float:
    """The value of ``q`` recomputed from the base ``reader`` reads.

    Raises:
        LookupError: a cited window or channel does not resolve.
        ValueError: an unknown statistic.
    """
    cited = reader.window(q.source, q.baseline, _history(q))
    if q.statistic in STATISTICS:
        c = _column(cited.window, q.source.channel)
        return STATISTICS[q.statistic](
            cited.window.values[:, c], cited.window.baseline[:, c], cited.window.steps_per_day
        )
    if q.statistic in DERIVED:
        return DERIVED[q.statistic](cited, q, classifier)
    raise ValueError(f"unknown statistic {q.statistic!r}; known: {sorted([*STATISTICS, *DERIVED])}")
