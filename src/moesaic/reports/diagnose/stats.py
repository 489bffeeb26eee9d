"""Change statistics of one channel over a window, each recomputable from the window alone.

Every number a diagnostic report states about a series is one of :data:`STATISTICS`, applied to
the readings of a cited window (and, for the statistics that compare, to the readings of a cited
baseline window before it). The verifier re-reads both windows from the base and calls the same
function, so a report cannot state a number that its evidence does not give.

Axis names: T time steps. NaN marks a missing reading and is ignored.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

SPIKE_SIGMAS = 6.0  # a spike departs from its neighbours by this many baseline step noises
EXCURSION_SPREADS = 6.0  # an excursion's smoothed level lies this many baseline spreads from its median
EXCURSION_HOURS = 3.0  # ... for at least this long (and at least 3 readings)
BASELINE_RANGE = 0.02  # ... and outside the central 96 % of the baseline's own smoothed levels
RANGE_SLACK = 0.1  # ... widened by this share of its width on either side
_FLOOR = 1e-9


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[np.isfinite(x)]


def median(x: np.ndarray) -> float:
    """Median of the observed readings (NaN when there is none)."""
    v = _finite(x)
    return float(np.median(v)) if v.size else float("nan")


def step_noise(x: np.ndarray) -> float:
    """Robust spread of the step-to-step changes: 1.4826 * MAD of the first differences."""
    v = _finite(x)
    if v.size < 3:
        return float("nan")
    d = np.diff(v)
    return float(1.4826 * np.median(np.abs(d - np.median(d))))


def level_spread(x: np.ndarray) -> float:
    """Robust spread of the observed readings themselves: 1.4826 * MAD (NaN under 3 readings)."""
    v = _finite(x)
    if v.size < 3:
        return float("nan")
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def running_median(x: np.ndarray, width: int) -> np.ndarray:
    """(T,) centred running median of ``x`` over ``width`` (odd) readings, of the observed ones
    among them (NaN where none is)."""
    half = width // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, half, constant_values=np.nan), width)
    ordered = np.sort(windows, axis=1)  # (T, width), NaN last
    count = np.isfinite(windows).sum(axis=1)
    low = np.take_along_axis(ordered, ((count - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (count // 2)[:, None], axis=1)[:, 0]
    return np.where(count > 0, (low + high) / 2.0, np.nan)


class Excursion(NamedTuple):
    """A stretch of a window whose level departs strongly from the baseline's."""

    first: int  # index of its first reading
    last: int  # index of its last reading (inclusive)
    mean: float  # mean of its readings


def excursion(x: np.ndarray, baseline: np.ndarray, steps_per_day: float) -> Excursion | None:
    """The strongest stretch of ``x`` (T,) whose level departs from the ``baseline`` readings.

    The window's readings are smoothed by a centred running median over :data:`EXCURSION_HOURS`
    (an isolated spike is no stretch); a reading departs when its smoothed level lies over
    :data:`EXCURSION_SPREADS` scales from the baseline median, the scale being the larger of the
    baseline's level spread and its step noise, and outside the range of levels the baseline
    itself held (:data:`BASELINE_RANGE` and :data:`RANGE_SLACK`, smoothed alike). A stretch is a
    run of departing readings on one side, at least :data:`EXCURSION_HOURS` (and 3 readings) of
    them, across gaps of missing readings between two on the same side (:func:`_bridged`); the
    strongest has the largest summed departure. A short stretch counts: a median over the
    whole window hides it. None when no stretch departs.
    """
    x = np.asarray(x, dtype=np.float64)
    level = median(baseline)
    if x.size == 0 or not math.isfinite(level):
        return None
    scale = float(np.nanmax([level_spread(baseline), step_noise(baseline), 1e-6 * max(abs(level), 1.0)]))
    steps = max(3, math.ceil(EXCURSION_HOURS * steps_per_day / 24.0 - 1e-9))
    width = steps + 1 - steps % 2
    smooth = running_median(x, width)
    departure = np.where(np.isfinite(x), (smooth - level) / scale, 0.0)
    # a level the baseline itself held for hours (a pump's run among stopped hours, a day shift's
    # load) is the machine's own state, not a departure from it; a tenth of that range is slack,
    # as one run's flow is a little above another's
    held = _finite(running_median(np.asarray(baseline, dtype=np.float64), width))
    if held.size:
        low, high = np.quantile(held, [BASELINE_RANGE, 1.0 - BASELINE_RANGE])
        slack = RANGE_SLACK * (high - low)
        departure = np.where((smooth >= low - slack) & (smooth <= high + slack), 0.0, departure)
    seen = np.isfinite(x)
    side = _bridged(np.sign(departure) * (np.abs(departure) > EXCURSION_SPREADS), seen)
    bounds = [0, *(np.flatnonzero(np.diff(side)) + 1).tolist(), len(x)]
    runs = [(a, b) for a, b in itertools.pairwise(bounds) if side[a] and seen[a:b].sum() >= steps]
    if not runs:
        return None
    a, b = max(runs, key=lambda r: float(np.abs(departure[r[0] : r[1]]).sum()))
    return Excursion(a, b - 1, float(np.nanmean(x[a:b])))


def _bridged(side: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """``side`` (T,) with each gap of missing readings (``seen`` False) taking the side of the
    readings either side of it when both depart the same way: a stopped machine's hours, or a
    logger's gap, inside a stretch do not cut it in two."""
    idx = np.flatnonzero(seen)
    if idx.size == 0:
        return side
    before = idx[np.clip(np.searchsorted(idx, np.arange(len(side)), side="right") - 1, 0, None)]
    after = idx[np.clip(np.searchsorted(idx, np.arange(len(side)), side="left"), None, idx.size - 1)]
    inside = ~seen & (before < np.arange(len(side))) & (after > np.arange(len(side)))
    same = side[before] == side[after]
    return np.where(inside & same, side[before], side)


def slope_per_day(x: np.ndarray, steps_per_day: float) -> float:
    """Least-squares trend of the observed readings, in units per day."""
    x = np.asarray(x, dtype=np.float64)
    keep = np.isfinite(x)
    if keep.sum() < 3:
        return float("nan")
    t = np.flatnonzero(keep) / steps_per_day
    return float(np.polyfit(t, x[keep], 1)[0])


def spike_steps(x: np.ndarray, noise: float) -> np.ndarray:
    """(T,) bool: readings that depart from both neighbours, in the same direction, by over
    ``SPIKE_SIGMAS * noise`` (an isolated jump, not a step: a step departs from one side only)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape, dtype=bool)
    if x.size < 3 or not np.isfinite(noise):
        return out
    limit = SPIKE_SIGMAS * max(noise, _FLOOR)
    before, here, after = x[:-2], x[1:-1], x[2:]
    up = (here - before > limit) & (here - after > limit)
    down = (before - here > limit) & (after - here > limit)
    out[1:-1] = np.nan_to_num(up | down, nan=False)
    return out


def flat_share(x: np.ndarray) -> float:
    """Share of consecutive observed readings that are exactly equal (a frozen signal gives 1)."""
    v = _finite(x)
    if v.size < 2:
        return float("nan")
    return float(np.mean(np.diff(v) == 0.0))


def longest_flat_steps(x: np.ndarray) -> int:
    """Length of the longest run of exactly repeated observed readings (counted in readings)."""
    v = _finite(x)
    if v.size < 2:
        return 0
    same = np.diff(v) == 0.0
    best = run = 0
    for flag in same.tolist():
        run = run + 1 if flag else 0
        best = max(best, run)
    return best + 1 if best else 0


# --- the statistics a report may state: fn(window, baseline, steps_per_day) -> float ---------------

Statistic = Callable[[np.ndarray, np.ndarray, float], float]


def _median(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return median(w)


def _baseline_median(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return median(b)


def _change_percent(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    base = median(b)
    return 100.0 * (median(w) - base) / max(abs(base), _FLOOR)


def _slope(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return slope_per_day(w, spd)


def _noise_ratio(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return step_noise(w) / max(step_noise(b), _FLOOR)


def _spikes(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return float(spike_steps(w, step_noise(b)).sum())


def _flat_hours(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    # n equal readings span n - 1 steps: 31 hourly readings are 30 hours of the same value.
    return max(longest_flat_steps(w) - 1, 0) * 24.0 / spd


def _baseline_spikes(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    """The baseline's isolated spikes, counted as :func:`_spikes` counts the window's, scaled to
    the window's length: how many a window as long held before."""
    return float(spike_steps(b, step_noise(b)).sum()) * w.size / max(b.size, 1)


def _baseline_flat_hours(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return _flat_hours(b, b, spd)


def _baseline_spread(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return level_spread(b)


def _baseline_day_spread(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    return day_spread(b, spd)


def _excursion_mean(w: np.ndarray, b: np.ndarray, spd: float) -> float:
    found = excursion(w, b, spd)
    return float("nan") if found is None else found.mean


def day_spread(x: np.ndarray, steps_per_day: float) -> float:
    """Robust spread (1.4826 * MAD) of the daily medians of ``x`` (T,): how far one day's level
    strays from another's, a daily swing aside. Days are runs of one day's readings counted back
    from the last; a day with under half its readings observed is left out. NaN under 3 days."""
    x = np.asarray(x, dtype=np.float64)
    per_day = max(1, round(steps_per_day))
    days = x[x.size % per_day :].reshape(-1, per_day)
    kept = days[np.isfinite(days).sum(axis=1) * 2 >= per_day]
    if len(kept) < 3:
        return float("nan")
    return level_spread(np.nanmedian(kept, axis=1))


def level_held(median_now: float, median_before: float, spread_before: float, day_spread: float) -> bool:
    """True when a window's median lies within one baseline spread of the baseline's: only then may
    a report say a channel shows no marked change (a flow 14 % down, under the 6 spreads of an
    excursion because of its daily swing, was said unchanged). The spread is the smaller of the
    readings' and the daily medians' (:func:`day_spread`): a daily swing widens the first, and a
    condenser's discharge temperature 6 degC up for a week, within its 8 degC swing, was said
    unchanged. NaN spreads are left out; both NaN (too few readings): False."""
    spreads = [s for s in (spread_before, day_spread) if math.isfinite(s)]
    return bool(spreads) and bool(abs(median_now - median_before) <= min(spreads))


STATISTICS: dict[str, Statistic] = {
    "median": _median,
    "baseline_median": _baseline_median,
    "change_percent": _change_percent,
    "slope_per_day": _slope,
    "noise_ratio": _noise_ratio,
    "spike_count": _spikes,
    "flat_hours": _flat_hours,
    "baseline_spread": _baseline_spread,
    "baseline_day_spread": _baseline_day_spread,
    "excursion_mean": _excursion_mean,
    "baseline_spike_count": _baseline_spikes,
    "baseline_flat_hours": _baseline_flat_hours,
}
"""Statistic name -> function of (window readings, baseline readings, steps per day)."""


def steps_per_day(time: np.ndarray) -> float:
    """Sampling rate of datetime64 ``time`` (T,), from its median step."""
    if time.size < 2:
        raise ValueError("need at least 2 time stamps to know the sampling rate")
    step = float(np.median(np.diff(time.astype("datetime64[ns]").astype(np.int64))))
    return 86400e9 / max(step, 1.0)
