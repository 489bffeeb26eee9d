"""The NAB score: the Numenta Anomaly Benchmark's reward for early alerts (Lavin & Ahmad, 2015).

Each labelled anomaly is a window of rows. A detector's alerts are scored row by row:

- an alert inside a window scores by how early it comes: with the window's last row b and width
  w, an alert at row i sits at position p = -(b - i + 1) / w (-1 at the first row, near 0 at the
  last) and earns ``tp * sigma(p) / sigma(-1)``, where sigma(p) = 2 / (1 + exp(5 p)) - 1; only
  the best (earliest) alert of a window counts, and a window without one costs ``fn``;
- an alert outside every window costs ``fp * sigma(p)``: before the first window p = 3
  (sigma = -1, the full cost); after a window of width w ending at row b, p = (i - b) / (w - 1),
  so an alert just after a window costs little and one far after it the full ``fp``;
- the first rows of each file are its probationary period, min(floor(0.15 T), 750), where the
  detector learns: nothing there is scored, and a window inside it counts for nothing.

A file's raw score sums these; the corpus score is 100 (S - S_null) / (S_perfect - S_null) over
all files, where the null detector never alerts (every window costs ``fn``) and the perfect one
alerts at the first scored row of every window. Profiles (NAB's ``config/profiles.json``):
``standard`` (tp 1, fp 0.11, fn 1), ``reward_low_fp`` (fp 0.22), ``reward_low_fn`` (fn 2).

Alerts are what an operator would receive: :func:`alert_onsets` turns a detector's alarm (a run of
rows in alarm) into one alert at the run's first row. Unlike NAB's own scorer, no threshold is
optimised on the labels here: the alarm comes from the detector's training-only threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from moesaic.eval.metrics_anomaly import _segments
from moesaic.eval.metrics_checks import _binary


class NabProfile(NamedTuple):
    """The weights of one NAB application profile."""

    tp: float
    fp: float
    fn: float


NAB_PROFILES: Mapping[str, NabProfile] = {
    "standard": NabProfile(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_fp": NabProfile(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_fn": NabProfile(tp=1.0, fp=0.11, fn=2.0),
}
PROBATION_SHARE = 0.15
PROBATION_CAP = 750  # NAB: 0.15 x 5000 rows at most


class NabScore(NamedTuple):
    """One file's NAB score parts under one profile.

    Attributes:
        raw: the detector's score.
        perfect: the score of alerts at the first scored row of every window.
        null: the score of no alert at all (-fn per scored window).
        windows: windows with at least one row after the probationary period.
        detected: those with an alert.
        false_alerts: scored alerts outside every window.
    """

    raw: float
    perfect: float
    null: float
    windows: int
    detected: int
    false_alerts: int


def nab_probation(length: int) -> int:
    """NAB's probationary period of a file of ``length`` rows: min(floor(0.15 T), 750)."""
    if length < 0:
        raise ValueError(f"`length` must be >= 0, got {length}")
    return min(math.floor(PROBATION_SHARE * length), PROBATION_CAP)


def scaled_sigmoid(position: np.ndarray) -> np.ndarray:
    """NAB's reward curve: 2 / (1 + exp(5 p)) - 1, and -1 from p = 3 on. position: any shape."""
    p = np.asarray(position, dtype=np.float64)
    return np.where(p >= 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * np.minimum(p, 3.0))) - 1.0)


def alert_onsets(alarm: np.ndarray) -> np.ndarray:
    """(T,) bool: True at the first row of each run of rows in ``alarm`` (T,) binary."""
    on = _binary("alarm", alarm)
    return on & ~np.concatenate(([False], on[:-1]))


def windows_from_mask(mask: np.ndarray) -> np.ndarray:
    """(W, 2) int64 first and last rows (inclusive) of each run of True in ``mask`` (T,) binary."""
    runs = _segments(_binary("mask", mask))
    return np.column_stack((runs.starts, runs.stops - 1)).astype(np.int64)


def _check_windows(windows: np.ndarray, length: int) -> np.ndarray:
    found = np.asarray(windows, dtype=np.int64)
    if found.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if found.ndim != 2 or found.shape[1] != 2:
        raise ValueError(f"`windows` must be (W, 2) first and last rows, got shape {found.shape}")
    bad = (found[:, 0] > found[:, 1]) | (found[:, 0] < 0) | (found[:, 1] >= length)
    if bad.any():
        first, last = found[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"`windows`: window [{first}, {last}] is not within rows 0..{length - 1} in order")
    if (found[1:, 0] <= found[:-1, 1]).any():
        raise ValueError("`windows` must be sorted and must not overlap")
    return found


def sweep_scores(windows: np.ndarray, length: int, profile: NabProfile) -> np.ndarray:
    """(T,) the score an alert would earn at each row (module docstring), before probation."""
    found = _check_windows(windows, length)
    rows = np.arange(length)
    score = np.empty(length)
    # The last window ending before each row: -1 where none has ended yet.
    before = np.searchsorted(found[:, 1], rows, side="left") - 1
    inside = np.zeros(length, dtype=bool)
    for first, last in found:
        inside[first : last + 1] = True
        width = last - first + 1
        position = -(last - rows[first : last + 1] + 1) / width
        score[first : last + 1] = profile.tp * scaled_sigmoid(position) / scaled_sigmoid(np.array(-1.0))
    outside = ~inside
    past = before[outside]
    position = np.full(past.shape, 3.0)
    ended = past >= 0
    last_row = found[past[ended], 1]
    width = found[past[ended], 1] - found[past[ended], 0] + 1
    position[ended] = (rows[outside][ended] - last_row) / np.maximum(width - 1, 1)
    score[outside] = profile.fp * scaled_sigmoid(position)
    return score


def nab_file_score(
    windows: np.ndarray, alerts: np.ndarray, probation: int, profile: NabProfile | str = "standard"
) -> NabScore:
    """One file's NAB score parts.

    Args:
        windows: (W, 2) first and last rows (inclusive) of each anomaly window, sorted, disjoint.
        alerts: (T,) binary, True where the detector alerts (see :func:`alert_onsets`).
        probation: rows at the start that are not scored (see :func:`nab_probation`).
        profile: a :class:`NabProfile` or a name in :data:`NAB_PROFILES`.
    """
    weights = _profile(profile)
    alert = _binary("alerts", alerts)
    if not 0 <= probation <= alert.size:
        raise ValueError(f"`probation` must be within 0..{alert.size}, got {probation}")
    found = _check_windows(windows, alert.size)
    sweep = sweep_scores(found, alert.size, weights)
    scored = np.arange(alert.size) >= probation
    inside = np.zeros(alert.size, dtype=bool)
    raw = perfect = null = 0.0
    count = detected = 0
    for first, last in found:
        inside[first : last + 1] = True
        start = max(int(first), probation)
        if start > last:
            continue  # a window inside the probationary period counts for nothing
        count += 1
        perfect += sweep[start]
        null -= weights.fn
        hits = np.flatnonzero(alert[start : last + 1])
        if hits.size:
            detected += 1
            raw += sweep[start + hits[0]]
        else:
            raw -= weights.fn
    false = alert & scored & ~inside
    raw += float(sweep[false].sum())
    return NabScore(float(raw), float(perfect), float(null), count, detected, int(false.sum()))


def nab_normalised(scores: Sequence[NabScore]) -> float:
    """100 (S - S_null) / (S_perfect - S_null) over files: 100 perfect, 0 the null detector.

    Raises:
        ValueError: no file has a window after its probationary period.
    """
    raw = sum(s.raw for s in scores)
    perfect = sum(s.perfect for s in scores)
    null = sum(s.null for s in scores)
    if perfect - null <= 0:
        raise ValueError("no anomaly window after the probationary period: the NAB score is undefined")
    return float(100.0 * (raw - null) / (perfect - null))


def _profile(profile: NabProfile | str) -> NabProfile:
    if isinstance(profile, NabProfile):
        return profile
    if profile not in NAB_PROFILES:
        raise ValueError(f"unknown NAB profile {profile!r}; choose one of {', '.join(NAB_PROFILES)}")
    return NAB_PROFILES[profile]
