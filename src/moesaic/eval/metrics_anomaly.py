"""Thresholded anomaly-detection metrics (point, event and point-adjusted F1, alarm rates) and the
threshold fitted on training or validation scores.

Conventions (binary (T,) labels and predictions, 0.0 for an empty denominator) are stated in
:mod:`moesaic.eval.metrics`, which re-exports every public name here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.eval.metrics_checks import _array, _binary, _finite, _pair, _quantile_levels

DEFAULT_QUANTILE = 0.99
THRESHOLD_METHODS = ("quantile", "max")


class PRF(NamedTuple):
    precision: float
    recall: float
    f1: float


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def precision_recall_f1(labels: np.ndarray, pred: np.ndarray) -> PRF:
    """Point-wise precision, recall and F1. labels, pred: (T,) binary."""
    lab, prd = _pair(labels, pred, "pred")
    tp = float((lab & prd).sum())
    precision, recall = _ratio(tp, float(prd.sum())), _ratio(tp, float(lab.sum()))
    return PRF(precision, recall, _ratio(2 * precision * recall, precision + recall))


def point_f1(labels: np.ndarray, pred: np.ndarray) -> float:
    """Point-wise F1. labels, pred: (T,) binary."""
    return precision_recall_f1(labels, pred).f1


def false_alarm_rate(labels: np.ndarray, pred: np.ndarray) -> float:
    """FP / (FP + TN): the share of normal points flagged (the SKAB definition)."""
    lab, prd = _pair(labels, pred, "pred")
    return _ratio(float((prd & ~lab).sum()), float((~lab).sum()))


def missed_alarm_rate(labels: np.ndarray, pred: np.ndarray) -> float:
    """FN / (FN + TP): the share of anomalous points not flagged (the SKAB definition)."""
    lab, prd = _pair(labels, pred, "pred")
    return _ratio(float((lab & ~prd).sum()), float(lab.sum()))


def flag_all_f1(labels: np.ndarray) -> float:
    """Point F1 of the flag-everything detector, 2 r / (1 + r) with r the anomaly ratio: a reference."""
    lab = _binary("labels", labels)
    return point_f1(lab, np.ones_like(lab))


class _Segments(NamedTuple):
    starts: np.ndarray  # (S,) first index of each run of True
    stops: np.ndarray  # (S,) one past the last index


def _segments(mask: np.ndarray) -> _Segments:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return _Segments(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))


def _span_max(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Max of values[starts[i]:stops[i]] for each i in O(T); spans may overlap but must be non-empty."""
    padded = np.append(values, -np.inf)  # reduceat needs every index < len, and stops may equal T
    bounds = np.column_stack((starts, stops)).ravel()
    return np.maximum.reduceat(padded, bounds)[::2]


def event_f1(labels: np.ndarray, pred: np.ndarray) -> float:
    """Event-wise F1 over contiguous segments.

    Recall: the share of true events (runs of anomalous labels) holding at least one predicted
    point. Precision: the share of predicted segments (runs of predicted points) that overlap at
    least one true event. A long alarm over several events counts once in precision, and every
    event it touches counts as detected.
    """
    lab, prd = _pair(labels, pred, "pred")
    events, alarms = _segments(lab), _segments(prd)
    if events.starts.size == 0 or alarms.starts.size == 0:
        return 0.0
    detected = _span_max(prd.astype(float), events.starts, events.stops) > 0
    useful = _span_max(lab.astype(float), alarms.starts, alarms.stops) > 0
    precision, recall = float(useful.mean()), float(detected.mean())
    return _ratio(2 * precision * recall, precision + recall)


def point_adjusted_f1(labels: np.ndarray, pred: np.ndarray) -> float:
    """Point F1 after point adjustment: one flagged point marks its whole true event as detected.

    Risky protocol variant, reported only under this name: it inflates scores (a random detector
    can look excellent on long events), so it is never a default metric here.
    """
    lab, prd = _pair(labels, pred, "pred")
    adjusted = prd.copy()
    events = _segments(lab)
    if events.starts.size:
        hit = _span_max(prd.astype(float), events.starts, events.stops) > 0
        for start, stop in zip(events.starts[hit], events.stops[hit], strict=True):
            adjusted[start:stop] = True
    return point_f1(lab, adjusted)


def threshold_from_scores(
    train_scores: np.ndarray,
    *,
    quantile: float | None = None,
    contamination: float | None = None,
    method: str = "quantile",
) -> float:
    """Fit an anomaly threshold on training or validation scores; predict ``scores > threshold``.

    The threshold must never see the scores being evaluated: fitting it on test scores leaks the
    test labels' base rate into the detector and inflates every thresholded metric.

    Args:
        train_scores: (T,) finite anomaly scores of training or validation data only.
        quantile: for ``method="quantile"``, the level of the threshold in (0, 1); default 0.99.
        contamination: alternative to ``quantile``: the expected share of anomalies in (0, 1),
            giving the level ``1 - contamination``. Give at most one of the two.
        method: ``"quantile"`` (empirical quantile, linear interpolation) or ``"max"`` (the largest
            training score: no training point is flagged).
    """
    scores = _array("train_scores", train_scores)
    if scores.ndim != 1:
        raise ValueError(f"`train_scores` must be 1-D (T,), got shape {scores.shape}")
    _finite("train_scores", scores)
    if method not in THRESHOLD_METHODS:
        raise ValueError(f"unknown `method` {method!r}; choose one of {list(THRESHOLD_METHODS)}")
    if quantile is not None and contamination is not None:
        raise ValueError(f"give `quantile` or `contamination`, not both (got {quantile} and {contamination})")
    if method == "max":
        if quantile is not None or contamination is not None:
            raise ValueError('`quantile` and `contamination` do not apply to method="max"')
        return float(scores.max())
    if contamination is not None:
        level = 1.0 - float(_quantile_levels("contamination", contamination)[0])
    else:
        level = float(_quantile_levels("quantile", DEFAULT_QUANTILE if quantile is None else quantile)[0])
    return float(np.quantile(scores, level))
