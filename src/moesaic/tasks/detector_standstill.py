"""A detector on a machine that starts and stops: fitted, thresholded and scored on its running rows.

A boiler feed pump that runs from 05:00 to 22:00 on weekdays reads near 0 in every channel at night.
Fitted over all its rows, a detector's "normal" spans the standstill and the running level, every
start and stop departs by the whole running level, and the channel scales and the threshold grow so
large that a leak dropping the discharge pressure from 9.5 to 8.2 bar shows for a few hours only.
When the training rows hold both states (:func:`moesaic.data.standstill.find_standstill`
decides from one channel), the detector sees the running rows only, end to end: its moving average
runs on from one day's last running rows to the next day's first ones, as the fault does. A stopped
row is not scored.

Axes: T steps, C channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.data.standstill import Standstill, find_standstill, stopped_in
from moesaic.tasks.detector_fit import Stuck
from moesaic.tasks.detectors import Detection


class RunningRows(NamedTuple):
    """The rows a detector of a machine that starts and stops reads.

    Attributes:
        standstill: the channel that tells the state and its stopped level.
        running: (T,) bool, the rows not read as stopped (a row whose state reading is missing
            counts as running unless it lies between stopped ones).
        training_share: share of the training rows read as stopped.
    """

    standstill: Standstill
    running: np.ndarray
    training_share: float


def running_rows(values: np.ndarray, count: int, channels: Sequence[str]) -> RunningRows | None:
    """The running rows of ``values`` (T, C) when its first ``count`` rows (every row when
    ``count`` is 0: a saved detector scoring a file) show a machine that starts and stops; None
    when they do not, or when the rows hardly run.

    Where the channel that tells the state has no reading, a blank between two stopped readings is
    stopped and otherwise the next channel that also tells it does
    (:func:`moesaic.data.standstill.stopped_in`): a flow meter's blank cell at the evening's stop,
    read as running, put a row of standstill (a pressure of 0.4 bar instead of 9.5) among the
    running rows, and its alarm ran on into the next morning through the detector's context and
    moving average.
    """
    baseline = values[:count] if count else values
    found = find_standstill(values, baseline, channels)
    if found is None:
        return None
    stopped = stopped_in(values, channels, found)
    training = stopped[:count] if count else stopped
    return RunningRows(found, ~stopped, float(training.mean()))


def spread(detection: Detection, running: np.ndarray) -> Detection:
    """A ``detection`` of the running rows only, put back on every row (T,): a stopped row has no
    score (NaN), no alarm and no contribution."""
    assert len(detection.score) == int(running.sum())
    T, C = len(running), len(detection.channels)
    score = np.full(T, np.nan)
    alarm = np.zeros(T, dtype=bool)
    contributions = np.zeros((T, C))
    score[running], alarm[running], contributions[running] = (
        detection.score,
        detection.alarm,
        detection.contributions,
    )
    return detection._replace(score=score, alarm=alarm, contributions=contributions)


def spread_stuck(stuck: Stuck, running: np.ndarray) -> Stuck:
    """``stuck`` readings found on the running rows only, put back on every row (T,)."""
    rows = np.flatnonzero(running)
    steps = np.zeros((len(running), stuck.steps.shape[1]), dtype=bool)
    steps[rows] = stuck.steps
    return Stuck(steps, tuple((c, int(rows[first]), int(rows[last])) for c, first, last in stuck.runs))
