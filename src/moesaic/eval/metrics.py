"""Forecasting, anomaly-detection and RUL metrics as pure numpy functions.

Every metric takes arrays and returns a Python ``float`` (``quantile_loss`` returns the per-point
array). Inputs are checked here, at the boundary: mismatched shapes, empty arrays, non-binary
labels and quantiles outside (0, 1) raise ``ValueError`` naming the argument, what was expected and
what was found.

Forecasting: NaN in ``y`` marks a missing target and is left out of every sum and mean; the
forecast must be finite wherever ``y`` is observed.

Anomaly detection: ``labels`` and ``pred`` are binary (T,) arrays (True = anomalous), ``scores``
are finite floats (T,) where higher means more anomalous. Thresholds come from
``threshold_from_scores`` on training or validation scores, never from the scores being evaluated.
Where a ratio has an empty denominator (no predicted positives, no anomalies, no normal points)
it is 0.0, as scikit-learn's ``zero_division=0``. Random scores give about ``labels.mean()`` AUC-PR
and 0.5 AUC-ROC; ``flag_all_f1`` is the flag-everything reference for F1.

The metrics live in :mod:`moesaic.eval.metrics_forecast` (forecasting and RUL),
:mod:`moesaic.eval.metrics_anomaly` (thresholded anomaly detection and ``threshold_from_scores``)
and :mod:`moesaic.eval.metrics_ranking` (AUC and VUS), their input checks in
:mod:`moesaic.eval.metrics_checks`; every public name is re-exported here.
"""

from __future__ import annotations

from moesaic.eval.metrics_anomaly import (
    DEFAULT_QUANTILE as DEFAULT_QUANTILE,
)
from moesaic.eval.metrics_anomaly import (
    PRF,
    event_f1,
    false_alarm_rate,
    flag_all_f1,
    missed_alarm_rate,
    point_adjusted_f1,
    point_f1,
    precision_recall_f1,
    threshold_from_scores,
)
from moesaic.eval.metrics_anomaly import (
    THRESHOLD_METHODS as THRESHOLD_METHODS,
)
from moesaic.eval.metrics_forecast import (
    crps_from_quantiles,
    mae,
    mse,
    nasa_score,
    quantile_loss,
    rmse,
    weighted_quantile_loss,
)
from moesaic.eval.metrics_ranking import auc_pr, auc_roc, vus_pr, vus_roc

__all__ = [
    "PRF",
    "auc_pr",
    "auc_roc",
    "crps_from_quantiles",
    "event_f1",
    "false_alarm_rate",
    "flag_all_f1",
    "mae",
    "missed_alarm_rate",
    "mse",
    "nasa_score",
    "point_adjusted_f1",
    "point_f1",
    "precision_recall_f1",
    "quantile_loss",
    "rmse",
    "threshold_from_scores",
    "vus_pr",
    "vus_roc",
    "weighted_quantile_loss",
]
