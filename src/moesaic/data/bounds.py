"""Channels read as never negative, so that what moesaic generates for them stays at or above 0.

A forecast band or a synthetic sample of active power, flow or wind speed below 0 is impossible,
and a generator that knows only means and spreads draws it. A channel whose every reading is at or
above 0 and whose lowest reading lies within :data:`NEAR_ZERO_SHARE` of its range from 0 (it rests
at or near 0: a stopped machine, calm weather) is read as never negative; a temperature between
15 and 80 is not (elsewhere, or in winter, it may go below 0).
"""

from __future__ import annotations

import numpy as np

NEAR_ZERO_SHARE = 0.05
"""How close to 0, as a share of its range, a channel's lowest reading must lie to bound it at 0."""


def never_negative(values: np.ndarray) -> np.ndarray:
    """(C,) bool: the channels of readings (..., C) (NaN = missing) that are never negative."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1, np.shape(values)[-1])
    read = np.isfinite(flat)
    low = np.where(read, flat, np.inf).min(axis=0)
    high = np.where(read, flat, -np.inf).max(axis=0)
    return read.any(axis=0) & (low >= 0) & (low <= NEAR_ZERO_SHARE * (high - low))


def floored(values: np.ndarray, bounded: np.ndarray) -> np.ndarray:
    """``values`` (..., C) with the ``bounded`` (C,) channels raised to 0 where below it."""
    return np.where(bounded, np.maximum(values, 0), values)
