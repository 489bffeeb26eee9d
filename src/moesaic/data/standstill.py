"""A machine that starts and stops: tell its stopped readings from its running ones.

A CIP pump runs a few hours a day and a homogenizer stops at night. Over all their readings, the
median of a current or a vibration is mostly the standstill's, every start is an excursion and the
stopped hours are a "repeated reading"; a fault that shows only while the machine runs (a rubbing
impeller's extra amps) is hidden. When the baseline itself holds both states, a report compares
running readings with running readings: the stopped rows are set missing in every channel.

The state is read from one channel of the baseline (the healthy reference), never from the window
asked about: a machine that stopped in the window and never before has stopped for a reason, and
that stop stays a finding. A channel tells the state when its readings fall cleanly into two
groups: near zero (at most :data:`STOPPED_LEVEL` of its running level) and well above it, with few
readings between (a start or a stop), the running group holding at least :data:`MIN_SHARE` of
the baseline and the stopped one :data:`MIN_STOPPED_SHARE` and :data:`MIN_STOPPED` readings (a
day's stop in three months counts). A temperature or a signed flow that passes through zero fills
the band between and tells nothing. Of the channels that tell it, the one with the fewest readings
between the states and then the most readings decides; where it has no reading, a blank between
two stopped readings is stopped, and otherwise the next channel that tells the state and has a
reading decides (a flow meter's blank cell at the evening's stop would otherwise keep that row's
near-zero pressure among the running readings). Reports, ``ask`` and ``detect`` read the state the
same way.

Axis names: T time steps, C channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

RUNNING_QUANTILE = 0.95  # a channel's running level: this quantile of its magnitude
STOPPED_LEVEL = 0.1  # a reading at most this share of the running level is a standstill
BETWEEN_LEVEL = 0.5  # readings from STOPPED_LEVEL to this share are a start or a stop in passing
MIN_SHARE = 0.1  # the running state holds at least this share of the baseline's readings (and the
# window runs for at least this share of its own, or there is nothing running to compare) ...
MIN_STOPPED_SHARE = 0.01  # ... and the stopped state this share, and MIN_STOPPED readings: a paper
# mill's 36-hour stop, 2 % of three months of hourly readings, set a detector's threshold and hid a
# gearbox's oil fault when a tenth was asked
MAX_BETWEEN = 0.1  # at most this share of the readings lie between the states ...
BETWEEN_RATIO = 0.5  # ... and at most this share of the smaller state's
MIN_READINGS = 24  # fewer baseline readings of a channel tell no state
MIN_STOPPED = 6  # fewer stopped readings are a sensor's glitches, not a standstill


class Standstill(NamedTuple):
    """How a machine's stopped readings are told from its running ones.

    Attributes:
        channel: the channel that tells the state.
        level: a reading of that channel at or under this magnitude is a standstill.
        baseline_share: share of the baseline's observed readings of the channel that are stopped.
        window_share: the same share over the window.
        others: the other channels that tell the state, with their levels, in the order they
            decide a row the first one has no reading for.
    """

    channel: str
    level: float
    baseline_share: float
    window_share: float
    others: tuple[tuple[str, float], ...] = ()


def _states(x: np.ndarray) -> tuple[float, float, float] | None:
    """(level, stopped share, between share) of one channel's baseline readings, or None when it
    does not fall into a stopped and a running group."""
    v = np.abs(x[np.isfinite(x)])
    if v.size < MIN_READINGS:
        return None
    top = float(np.quantile(v, RUNNING_QUANTILE))
    if not top > 0.0:
        return None
    level = STOPPED_LEVEL * top
    stopped = float(np.mean(v <= level))
    between = float(np.mean((v > level) & (v < BETWEEN_LEVEL * top)))
    running = 1.0 - stopped - between
    if running < MIN_SHARE or stopped < MIN_STOPPED_SHARE or stopped * v.size < MIN_STOPPED:
        return None
    if between > min(MAX_BETWEEN, BETWEEN_RATIO * min(stopped, running)):
        return None
    return level, stopped, between


def stopped_rows(x: np.ndarray, level: float) -> np.ndarray:
    """(T,) bool: readings of the state channel ``x`` (T,) at or under ``level``.

    A missing reading between two stopped ones is stopped too: a flow meter's blank cell in the
    night's standstill would otherwise keep that row's other channels (a pressure near zero) among
    the running readings. A missing one next to a running reading, or at either end, is not known
    to be stopped.
    """
    x = np.asarray(x, dtype=np.float64)
    seen = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        stopped = seen & (np.abs(x) <= level)
    idx = np.flatnonzero(seen)
    if idx.size == 0 or seen.all():
        return stopped
    rows = np.arange(len(x))
    before = np.searchsorted(idx, rows, side="right") - 1
    after = np.searchsorted(idx, rows, side="left")
    inside = ~seen & (before >= 0) & (after < idx.size)
    prev = stopped[idx[np.clip(before, 0, None)]]
    nxt = stopped[idx[np.clip(after, None, idx.size - 1)]]
    return stopped | (inside & prev & nxt)


def find_standstill(values: np.ndarray, baseline: np.ndarray, channels: Sequence[str]) -> Standstill | None:
    """The standstill of a machine whose ``baseline`` (T', C) readings start and stop, judged for
    the window ``values`` (T, C); None when no channel tells a stopped from a running state, or
    when the window hardly runs (under :data:`MIN_SHARE` of its readings).

    Of the channels that tell the state, the one with the fewest readings between the states and
    then the most readings does; the others are kept, in that order, for its missing readings.
    """
    found = []
    for c, name in enumerate(channels):
        x = np.asarray(baseline[:, c], dtype=np.float64) if len(baseline) else np.zeros(0)
        states = _states(x) if len(baseline) else None
        if states is not None:
            found.append((states[2], -int(np.isfinite(x).sum()), c, name, states[0], states[1]))
    if not found:
        return None
    found.sort(key=lambda f: f[:3])
    _, _, c, name, level, baseline_share = found[0]
    seen = np.isfinite(np.asarray(values[:, c], dtype=np.float64))
    if not seen.any():
        return None
    window_share = float(stopped_rows(values[:, c], level)[seen].mean())
    if 1.0 - window_share < MIN_SHARE:
        return None
    others = tuple((f[3], f[4]) for f in found[1:])
    return Standstill(name, level, baseline_share, window_share, others)


def stopped_in(x: np.ndarray, channels: Sequence[str], gate: Standstill) -> np.ndarray:
    """(T,) bool: the rows of ``x`` (T, C) where the machine stands still by ``gate``: its channel
    at or under its level (:func:`stopped_rows`); where that channel has no reading and no stopped
    readings either side, the first of ``gate.others`` with a reading decides."""
    names = list(channels)
    stopped = stopped_rows(x[:, names.index(gate.channel)], gate.level)
    unknown = ~np.isfinite(np.asarray(x[:, names.index(gate.channel)], dtype=np.float64)) & ~stopped
    for name, level in gate.others:
        if not unknown.any():
            break
        if name not in names:
            continue
        other = np.asarray(x[:, names.index(name)], dtype=np.float64)
        read = unknown & np.isfinite(other)
        stopped[read] = np.abs(other[read]) <= level
        unknown &= ~read
    return stopped


def running_only(x: np.ndarray, channels: Sequence[str], gate: Standstill) -> np.ndarray:
    """A copy of ``x`` (T, C) with every channel missing (NaN) where the machine stands still
    (:func:`stopped_in`)."""
    out = np.array(x, dtype=np.float64, copy=True)
    if len(out):
        out[stopped_in(out, channels, gate)] = np.nan
    return out
