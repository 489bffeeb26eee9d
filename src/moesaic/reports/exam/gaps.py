"""Missing values (NaN) in a question's series: filling them, and keeping them out of evidence.

Most tests read a series with its gaps filled linearly. The anomaly tests cannot: a filled gap
is a smooth ramp (or, at either end, a flat run) that reads like a cutoff or a change of scale,
and it can smear a spike beside it or hide an anomaly inside it. They take evidence from
observed steps only, with the helpers below, and say where a gap touches the answer.
"""

from __future__ import annotations

import numpy as np

# A detection counts only where at least this share of the steps around it was observed.
OBSERVED_SHARE = 0.5


def fill_gaps(x: np.ndarray) -> np.ndarray:
    """(T,) ``x`` with NaN steps filled linearly from the nearest observed ones (held flat at the ends)."""
    missing = np.isnan(x)
    if not missing.any():
        return x
    steps = np.arange(x.size)
    filled = x.copy()
    filled[missing] = np.interp(steps[missing], steps[~missing], x[~missing])
    return filled


def gap_spans(missing: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [start, stop) of missing steps, in order."""
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def window_missing(missing: np.ndarray, width: int) -> np.ndarray:
    """(T - width + 1,) the share of missing steps in each window of ``width`` steps."""
    counts = np.convolve(missing.astype(np.float64), np.ones(width), mode="valid")
    return np.asarray(counts / width)


def observed_around(missing: np.ndarray, step: int, reach: int) -> bool:
    """Whether at least :data:`OBSERVED_SHARE` of the steps within ``reach`` of ``step`` were observed."""
    around = missing[max(step - reach, 0) : step + reach + 1]
    return bool(around.size) and float(np.mean(~around)) >= OBSERVED_SHARE


def nearest_observed(missing: np.ndarray, step: int) -> int:
    """The observed step closest to ``step`` (the earlier one on a tie)."""
    observed = np.flatnonzero(~missing)
    return int(observed[int(np.argmin(np.abs(observed - step)))])


def spans_near(spans: list[tuple[int, int]], step: int, reach: int) -> list[tuple[int, int]]:
    """The gaps that start or stop within ``reach`` steps of ``step``."""
    return [(a, b) for a, b in spans if a - reach <= step <= b - 1 + reach]


def describe(spans: list[tuple[int, int]]) -> str:
    """'steps 110-159' / 'steps 110-159 and 200-209' (inclusive, 0-based)."""
    parts = [f"{a}" if b - a == 1 else f"{a}-{b - 1}" for a, b in spans]
    return "step" + ("s " if len(spans) > 1 or spans[0][1] - spans[0][0] > 1 else " ") + " and ".join(parts)
