"""Fitting a detector on a series' first rows, keeping the threshold's rows apart when it memorises.

The policy of ``moesaic detect --train-until`` and of the NAB part of ``moesaic bench anomaly``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.data.tables import DataFormatError
from moesaic.tasks.detectors_pipeline import MIN_FIT_ROWS, MIN_SETTLED_ROWS, BaseDetector

CALIBRATION_SHARE = 0.2
"""Least share of the training rows held out of fitting to set the channel scales and the threshold,
for detectors whose model can learn its training rows by heart (``BaseDetector.memorises``): the
backbone detector, trained from scratch on a few hundred rows of white noise and calibrated on
them, flagged a good share of the next rows."""
SETTLED_WINDOWS = 3
"""Smoothing windows of settled rows the held-out part needs: a quantile of fewer, strongly
overlapping averages is too low, and the threshold with it."""


def least_rows_held_apart(smooth: int) -> int:
    """The fewest training rows with which a detector that memorises still sets its threshold on rows
    it did not learn: :data:`MIN_FIT_ROWS` to fit, then a smoothing warm-up and
    :data:`MIN_SETTLED_ROWS` settled rows to calibrate."""
    return MIN_FIT_ROWS + smooth - 1 + MIN_SETTLED_ROWS


def fit_on_training_rows(
    fitted: BaseDetector,
    values: np.ndarray,
    count: int,
    channels: Sequence[str],
    path: Path | str,
    *,
    rows: np.ndarray | None = None,
) -> str:
    """Fit ``fitted`` on the first ``count`` rows. A detector that ``memorises`` fits its model on
    the earlier rows and its threshold on the later ones (:data:`CALIBRATION_SHARE` and
    :data:`SETTLED_WINDOWS` smoothing windows after the warm-up, fewer when the fitting part would
    be left with under :data:`MIN_FIT_ROWS`), when there are at least
    :func:`least_rows_held_apart` rows and every channel has readings in both parts; otherwise both
    on every training row, where the threshold can be too low, since the model may score the rows
    it learnt better than new ones (the split used to need 238 rows with the backbone's smoothing
    of 30).
    Returns what was done, for the summary line.

    Args:
        fitted: an unfitted detector.
        values: (T, C) readings, NaN where missing; only the first ``count`` rows are read.
        count: the training rows.
        channels: the C channel names.
        path: the file the readings come from, named in errors.
        rows: (T,) the file's row (from 0) of each row of ``values`` when they are some of its rows
            (a machine's running rows), named in what was done; None: the file's first T rows.

    Raises:
        ValueError: fewer than :data:`MIN_FIT_ROWS` training rows, or a channel without a reading in
            them (naming the file and the columns).
    """
    if count < MIN_FIT_ROWS:
        raise ValueError(f"{count} training rows; a detector needs at least {MIN_FIT_ROWS} normal rows")
    empty = [name for c, name in enumerate(channels) if np.isnan(values[:count, c]).all()]
    if empty:
        raise DataFormatError(
            path,
            f"column(s) {empty} have no reading in the {count} training rows: nothing says what normal is "
            "there; leave them out of the channels or train on more rows",
        )
    smooth = fitted.config.smooth
    held = max(int(count * CALIBRATION_SHARE), smooth - 1 + max(SETTLED_WINDOWS * smooth, MIN_SETTLED_ROWS))
    cut = max(count - held, MIN_FIT_ROWS)
    both_read = all(np.isfinite(p).any(axis=0).all() for p in (values[:cut], values[cut:count]))
    if fitted.memorises and count >= least_rows_held_apart(smooth) and both_read:
        fitted.fit(values[:cut], validation=values[cut:count], channels=channels)
        if rows is not None:
            return (
                f"fitted on the {cut} running rows of rows 1-{rows[cut - 1] + 1}, threshold from the "
                f"{count - cut} of rows {rows[cut - 1] + 2}-{rows[count - 1] + 1}"
            )
        return f"fitted on rows 1-{cut}, threshold from rows {cut + 1}-{count}"
    fitted.fit(values[:count], channels=channels)
    if rows is not None:
        last = rows[count - 1] + 1
        return f"fitted on the {count} running rows of rows 1-{last}, threshold from the same rows"
    return f"fitted on {count} rows, threshold from the same rows"


STUCK_ROWS = 12
"""Fewest repeats of one reading that read as a stuck sensor, however often the training rows repeat."""


class Stuck(NamedTuple):
    """Runs of one reading repeated for longer than any in the training rows."""

    steps: np.ndarray  # (T, C) bool: the steps of such runs after the training rows
    runs: tuple[tuple[int, int, int], ...]  # (channel, first step, last step) of each run


def stuck_readings(values: np.ndarray, count: int, least: int = STUCK_ROWS) -> Stuck:
    """The runs of one channel's reading repeated exactly, after the first ``count`` rows, longer
    than twice the longest such run in them and than ``least`` rows: a frozen sensor or a stuck
    transmitter, which a detector of departures sees as normal (its value is). A missing reading
    ends a run; a channel held at one value through every training row (a set point) has none,
    and a run at a value held for ``least // 2`` rows or more within the training rows is a state of
    the machine, not a frozen sensor (0 kW in calm weather, a curtailment set point).

    Args:
        values: (T, C) readings, NaN where missing.
        count: the training rows.
        least: the fewest repeats that count.
    """
    T, C = values.shape
    steps = np.zeros((T, C), dtype=bool)
    runs = []
    for c in range(C):
        x = values[:, c]
        same = np.r_[False, (x[1:] == x[:-1]) & np.isfinite(x[1:])]  # NaN == NaN is False
        starts = [int(s) for s in np.flatnonzero(~same)]
        ends = [*starts[1:], T]  # runs x[starts[i]:ends[i]] of one value
        trained = [min(e, count) - s for s, e in zip(starts, ends, strict=True) if s < count]
        if max(trained, default=0) >= count:
            continue  # held through the training rows: a set point, not a stuck sensor
        limit = max(least, 2 * max(trained, default=1))
        # values held within the training rows (not by a run going on past them): states
        states = {
            float(x[s])
            for s, e in zip(starts, ends, strict=True)
            if e <= count and e - s >= max(3, least // 2)
        }
        for s, e in zip(starts, ends, strict=True):
            if e - s > limit and e > count and np.isfinite(x[s]) and float(x[s]) not in states:
                first = max(s, count)
                steps[first:e, c] = True
                runs.append((c, first, e - 1))
    return Stuck(steps, tuple(runs))
