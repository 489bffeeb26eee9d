"""How long an asset ran: its running hours over a period, read from its series.

"How many hours was RWP-02 running in March 2024?" is no count of work orders: the answer is in
the readings. A machine's running rows are those its state channel does not read as stopped
(:mod:`moesaic.data.standstill`, the series read being its own reference); each counts for the
usual step between readings. A series that never reads a standstill ran at every reading it holds,
and the answer says it could tell no stop.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask.answer import KbAnswer, SeriesCitation, abstain, fmt_number, fmt_time
from moesaic.reports.ask.reading import standstill_of
from moesaic.reports.ask.timewords import Window

RUNNING_WORDS = re.compile(
    r"\bhow (?:many|much) (?:hours?|time|days?)\b.*\b(?:run|running|ran|operat\w*|in operation|in service)\b"
    r"|\brunning (?:hours|time)\b|\brun ?(?:hours|time)\b|\boperating (?:hours|time)\b|\bhours of operation\b"
)
"""A question asking how long an asset ran."""


def answer_running(base: KnowledgeBase, asset: str, window: Window | None) -> KbAnswer:
    """The hours ``asset`` ran over ``window`` (or its whole series), from its longest series."""
    start = window.start if window else None
    end = window.end if window else None
    dated = [
        s
        for s in base.series(asset_id=asset, start=start, end=end)
        if np.issubdtype(s.time.dtype, np.datetime64) and s.length >= 2
    ]
    where = window.describe() if window else "in the base"
    if not dated:
        return abstain("series", f"no time-stamped reading of {asset} {where} to count running hours from.")
    series = max(dated, key=lambda s: s.length)
    seen = series.observed.any(axis=1)
    if seen.sum() < 2:
        return abstain("series", f"too few readings of {asset} {where} to count running hours from.")
    step = pd.Timedelta(pd.Series(series.time[seen]).diff().median())
    found = standstill_of(series)
    stopped, gate = found if found is not None else (np.zeros(series.length, bool), None)
    running = seen & ~stopped
    hours = float(running.sum()) * step / pd.Timedelta(hours=1)
    span = f"{fmt_time(pd.Timestamp(series.time[0]))} to {fmt_time(pd.Timestamp(series.time[-1]))}"
    apart = _duration(step)
    if gate is None:
        text = (
            f"{asset} ran for about {fmt_number(round(hours, 1))} h {where}: its readings show no "
            f"standstill (no channel reads near zero for a tenth of them), so each of its "
            f"{int(seen.sum())} readings, {apart} apart, counts as running ({span})."
        )
        channel = series.channels[0]
    else:
        text = (
            f"{asset} ran for about {fmt_number(round(hours, 1))} h {where}: {int(running.sum())} of its "
            f"{int(seen.sum())} readings, {apart} apart, show it running; it stands still when "
            f"{gate.channel} reads at or under {fmt_number(round(gate.level, 4))} ({span})."
        )
        channel = gate.channel
    cited = SeriesCitation(asset, channel, pd.Timestamp(series.time[0]), pd.Timestamp(series.time[-1]))
    return KbAnswer(text, (cited,), False, "series")


def _duration(step: pd.Timedelta) -> str:
    """ "10 min", "1 h", "30 s": the step between readings, as a person says it."""
    seconds = step.total_seconds()
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{fmt_number(round(seconds, 3))} s"
