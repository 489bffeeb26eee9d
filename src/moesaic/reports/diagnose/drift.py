"""A baseline that was already drifting: a fault that began inside the fortnight a window is compared with.

A report compares the window with the latest healthy fortnight before it. When a slow fault (bearing
wear) began inside that fortnight, the baseline holds its first days: the changes the report states
are smaller than the fault's, and its onset falls late (a bottling plant's compressor, worn from
2024-04-08, was compared with 04-08..04-22 and its wear placed on 04-23). A moved channel whose
median over the baseline's second half left its first half's level, beyond :data:`DRIFT_SPREADS`
of the first half's spreads and the way the window moved, is such a channel; the report says so.

Both halves are read as the verifier reads a cited window (:func:`window_from_series`: the second
half is the window, the first its baseline, a machine's standstill told from the first), so the
medians stated recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.schema import Series
from moesaic.reports.diagnose.episodes_windows import window_from_series
from moesaic.reports.diagnose.stats import day_spread, level_spread, median

DRIFT_SPREADS = 2.0
"""The baseline's halves differ by more than this many spreads of its first half (the smaller of
its readings' and its daily medians' spread) before a drift is said."""
MIN_HALF_DAYS = 3.0
"""A half of the baseline holds at least this many days of readings, or no drift is looked for."""


class BaselineDrift(NamedTuple):
    """A channel that moved inside the baseline: its median over ``[start, split)`` and over
    ``[split, last]`` (``last`` the baseline's last reading)."""

    channel: str
    first: float
    second: float
    start: pd.Timestamp
    split: pd.Timestamp
    last: pd.Timestamp


def baseline_drift(
    series: Series,
    asset_type: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    moved: Sequence[tuple[str, float]],
) -> tuple[BaselineDrift, ...]:
    """The ``moved`` channels (name, the window's median minus the baseline's) that were already
    moving the same way inside the baseline ``[start, end)``."""
    time = series.time
    inside = (time >= np.datetime64(start)) & (time < np.datetime64(end))
    if inside.sum() < 4 or not np.issubdtype(time.dtype, np.datetime64):
        return ()
    stamps = time[inside]
    first, last = pd.Timestamp(stamps[0]), pd.Timestamp(stamps[-1])
    # the second half starts at the first reading past the middle: a time the citations can show
    split = pd.Timestamp(stamps[np.searchsorted(stamps, np.datetime64(first + (last - first) / 2))])
    if split - first < pd.Timedelta(days=MIN_HALF_DAYS):
        return ()
    halves = window_from_series(series, asset_type, split, last, baseline_start=start, baseline_end=split)
    out = []
    for name, change in moved:
        c = halves.channels.index(name)
        before, after = halves.baseline[:, c], halves.values[:, c]
        spreads = [
            s for s in (level_spread(before), day_spread(before, halves.steps_per_day)) if np.isfinite(s)
        ]
        m1, m2 = median(before), median(after)
        if not spreads or not (np.isfinite(m1) and np.isfinite(m2)):
            continue
        if abs(m2 - m1) > DRIFT_SPREADS * min(spreads) and np.sign(m2 - m1) == np.sign(change) != 0:
            out.append(BaselineDrift(name, m1, m2, start, split, last))
    return tuple(out)
