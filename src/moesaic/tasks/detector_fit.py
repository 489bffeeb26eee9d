"""Fitting a detector on a series' first rows, keeping the threshold's rows apart when it memorises.

The policy of ``moesaic detect --train-until`` and of the NAB part of ``moesaic bench anomaly``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    fitted: BaseDetector, values: np.ndarray, count: int, channels: Sequence[str], path: Path | str
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
        return f"fitted on rows 1-{cut}, threshold from rows {cut + 1}-{count}"
    fitted.fit(values[:count], channels=channels)
    return f"fitted on {count} rows, threshold from the same rows"
