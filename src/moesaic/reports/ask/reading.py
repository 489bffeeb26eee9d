"""One channel's readings as the series answers read them: the values, their times and unit, and,
for a machine that starts and stops, which rows are its standstill
(:mod:`moesaic.data.standstill`), with the citations an answer gives for them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.schema import Series
from moesaic.data.standstill import Standstill, find_standstill, stopped_in
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask.answer import SeriesCitation, fmt_number, fmt_time
from moesaic.reports.ask.timewords import Window


class Reading(NamedTuple):
    asset: str
    channel: str
    time: np.ndarray  # (T,)
    values: np.ndarray  # (T,)
    unit: str
    window: Window | None
    stopped: np.ndarray | None = None  # (T,) bool: the machine stands still (None: it always runs)
    gate: str = ""  # how a standstill is told, e.g. "Flow at or under 1.2"

    def running(self) -> Reading:
        """The reading with its standstill rows missing: a change, a trend or a mean of a
        machine that starts and stops compares its runs, not its runs with its stops."""
        if self.stopped is None:
            return self
        return self._replace(values=np.where(self.stopped, np.nan, self.values))

    def stands_still(self) -> str:
        """The clause saying which readings a running figure leaves out, "site:P-1 stands still in
        29% of the rows: Flow at or under 1.2" ("" for a machine that runs throughout)."""
        if self.stopped is None:
            return ""
        share = float(self.stopped.mean()) if self.stopped.size else 0.0
        return f"{self.asset} stands still in {share:.0%} of the rows: {self.gate}"


def read_channel(base: KnowledgeBase, asset: str, channel: str, window: Window | None) -> Reading:
    start = window.start if window else None
    end = window.end if window else None
    parts: list[Series] = [
        s for s in base.series(asset_id=asset, start=start, end=end) if channel in s.channels
    ]
    times = [s.time for s in parts]
    values = [s.values[:, s.channels.index(channel)].astype(np.float64) for s in parts]
    unit = next(
        (
            str(s.meta.get("units", {}).get(channel, ""))
            for s in parts
            if isinstance(s.meta.get("units"), dict)
        ),
        "",
    )
    if not parts:
        return Reading(asset, channel, np.array([], "datetime64[ns]"), np.array([]), unit, window)
    time, x = np.concatenate(times), np.concatenate(values)
    order = np.argsort(time, kind="stable")
    gates = [standstill_of(s) for s in parts]
    if not any(g is not None for g in gates):
        return Reading(asset, channel, time[order], x[order], unit, window)
    stopped = np.concatenate(
        [np.zeros(s.length, bool) if g is None else g[0] for s, g in zip(parts, gates, strict=True)]
    )
    gate = "; ".join(dict.fromkeys(told_by(g[1]) for g in gates if g is not None))
    return Reading(asset, channel, time[order], x[order], unit, window, stopped[order], gate)


def standstill_of(s: Series) -> tuple[np.ndarray, Standstill] | None:
    """(T,) bool rows where the machine of ``s`` stands still, and how that is told, when one of its
    channels holds a stopped and a running state over the readings read
    (:func:`moesaic.data.standstill.find_standstill`, the series its own baseline); None
    when it runs throughout."""
    values = np.where(s.observed, s.values, np.nan).astype(np.float64)
    gate = find_standstill(values, values, s.channels)
    return None if gate is None else (stopped_in(values, s.channels, gate), gate)


def told_by(gate: Standstill) -> str:
    """How a standstill is told, "Flow at or under 1.2"."""
    return f"{gate.channel} at or under {fmt_number(round(gate.level, 4))}"


def cite(reading: Reading, lo: int = 0, hi: int | None = None) -> SeriesCitation:
    t = reading.time
    hi = t.size - 1 if hi is None else hi

    def at(i: int) -> pd.Timestamp | int:
        return pd.Timestamp(t[i]) if np.issubdtype(t.dtype, np.datetime64) else int(t[i])

    return SeriesCitation(reading.asset, reading.channel, at(lo), at(hi))


def span(reading: Reading) -> str:
    return f"{fmt_time(cite(reading).start)} to {fmt_time(cite(reading).end)}"
