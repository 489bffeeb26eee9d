"""Threshold-free anomaly metrics: point-wise AUC-PR and AUC-ROC, and the range-based volumes
VUS-PR and VUS-ROC (Paparrizos et al., PVLDB 15(11), 2022).

Re-exported by :mod:`moesaic.eval.metrics`, where the conventions are stated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.eval.metrics_anomaly import _segments, _span_max
from moesaic.eval.metrics_checks import _pair


class _Curve(NamedTuple):
    tpr: np.ndarray  # (K,) recall at each threshold, thresholds in decreasing order
    fpr: np.ndarray  # (K,)
    precision: np.ndarray  # (K,)


def _roc_area(curve: _Curve) -> float:
    fpr = np.concatenate(([0.0], curve.fpr, [1.0]))
    tpr = np.concatenate(([0.0], curve.tpr, [1.0]))
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def _pr_area(curve: _Curve) -> float:
    # Step-wise average precision: sum_k (R_k - R_{k-1}) P_k with R_0 = 0, never interpolated.
    return float(np.sum(np.diff(curve.tpr, prepend=0.0) * curve.precision))


class _Ranking(NamedTuple):
    thresholds: np.ndarray  # (K,) decreasing; a threshold flags the points with score >= it
    first: np.ndarray  # (T,) index of the first (largest) threshold that flags each point
    flagged: np.ndarray  # (K,) number of points flagged at each threshold


def _rank(scores: np.ndarray, num_thresholds: int | None) -> _Ranking:
    """Thresholds and, for each point, when it gets flagged (ties are flagged together)."""
    ascending = np.sort(scores)
    thresholds = np.unique(ascending)
    if num_thresholds is not None and thresholds.size > num_thresholds:
        # Evenly spaced order statistics (score quantiles, as TSB-UAD) bound the cost; the lowest
        # score stays a threshold so the curves end with every point flagged.
        positions = np.linspace(0, scores.size - 1, num_thresholds).round().astype(int)
        thresholds = np.unique(ascending[positions])
    num = thresholds.size
    first = num - np.searchsorted(thresholds, scores, side="right")  # (T,) in [0, K)
    flagged = np.cumsum(np.bincount(first, minlength=num))
    return _Ranking(thresholds[::-1], first, flagged)


def _flagged_counts(rank: _Ranking, points: np.ndarray) -> np.ndarray:
    """(K,) how many of the selected points are flagged at each threshold."""
    return np.cumsum(np.bincount(rank.first[points], minlength=rank.thresholds.size)).astype(float)


def _point_curve(labels: np.ndarray, scores: np.ndarray) -> _Curve:
    rank = _rank(scores, None)
    tp = _flagged_counts(rank, labels)
    negatives = float((~labels).sum())
    fpr = (rank.flagged - tp) / negatives if negatives else np.zeros_like(tp)
    return _Curve(tp / float(labels.sum()), fpr, tp / rank.flagged)


def _check_classes(labels: np.ndarray, *, need_normal: bool) -> None:
    if not labels.any():
        raise ValueError("`labels` has no anomalous point; the curve is undefined")
    if need_normal and labels.all():
        raise ValueError("`labels` has no normal point; the ROC curve is undefined")


def auc_pr(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the point-wise precision-recall curve as step-wise average precision.

    Same definition as scikit-learn's ``average_precision_score``. labels: (T,) binary with at
    least one anomaly; scores: (T,) finite, higher = more anomalous.
    """
    lab, sc = _pair(labels, scores, "scores")
    _check_classes(lab, need_normal=False)
    return _pr_area(_point_curve(lab, sc))


def auc_roc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the point-wise ROC curve (trapezoids); labels need both classes."""
    lab, sc = _pair(labels, scores, "scores")
    _check_classes(lab, need_normal=True)
    return _roc_area(_point_curve(lab, sc))


def _distance_to_anomaly(labels: np.ndarray) -> np.ndarray:
    """(T,) distance of each point to the nearest anomalous point (0 inside events)."""
    idx = np.arange(labels.size, dtype=float)
    last = np.maximum.accumulate(np.where(labels, idx, -np.inf))
    next_ = np.minimum.accumulate(np.where(labels, idx, np.inf)[::-1])[::-1]
    return np.minimum(idx - last, next_ - idx)


def _range_curves(
    labels: np.ndarray, scores: np.ndarray, max_buffer: int | None, num_thresholds: int
) -> list[_Curve]:
    """Range-based curves (Paparrizos et al., VLDB 2022) for buffers l = 0..max_buffer."""
    events = _segments(labels)
    if max_buffer is None:
        max_buffer = round(float((events.stops - events.starts).mean()))
    if max_buffer < 0:
        raise ValueError(f"`max_buffer` must be >= 0, got {max_buffer}")
    if num_thresholds < 2:
        raise ValueError(f"`num_thresholds` must be >= 2, got {num_thresholds}")
    rank = _rank(scores, num_thresholds)
    num, reach = rank.thresholds.size, max_buffer // 2
    # A buffer point's soft label depends only on its distance d to the nearest event, so count
    # once, per threshold and per d, the flagged points at distance d: each buffer length then
    # costs O(K * l) instead of a pass over the series.
    distance = _distance_to_anomaly(labels).astype(int)  # finite: labels hold an anomaly
    near = (distance >= 1) & (distance <= reach)
    cell = rank.first[near] * reach + distance[near] - 1  # (threshold, distance) of each buffer point
    by_distance = np.bincount(cell, minlength=num * reach).reshape(num, reach)
    by_distance = np.cumsum(by_distance, axis=0).astype(float)  # (K, reach) flagged counts
    hard_tp = _flagged_counts(rank, labels)  # (K,)
    positives, size, num_events = float(labels.sum()), float(labels.size), events.starts.size
    best = _span_max(scores, events.starts, events.stops)  # (S,) best score in each (buffered) event
    left, right = events.starts, events.stops - 1
    curves = []
    for buffer in range(max_buffer + 1):
        half = buffer // 2
        weight = np.sqrt(1.0 - np.arange(1, half + 1) / max(buffer, 1))  # (half,) sqrt(1 - d / l)
        tp = hard_tp + by_distance[:, :half] @ weight  # (K,) soft-label mass of the flagged points
        soft_mass = positives + float(by_distance[-1, :half] @ weight)
        extended = (positives + soft_mass) / 2  # between the hard and the soft positive mass
        if half:  # half grows by at most 1 per step: add the points at distance `half` to each span
            best = np.maximum(best, scores[np.maximum(left - half, 0)])
            best = np.maximum(best, scores[np.minimum(right + half, labels.size - 1)])
        found = (num_events - np.searchsorted(np.sort(best), rank.thresholds, side="left")) / num_events
        tpr = np.minimum(tp / extended, 1.0) * found  # existence reward
        fpr = (rank.flagged - tp) / (size - extended) if size > extended else np.zeros_like(tp)
        curves.append(_Curve(tpr, fpr, tp / rank.flagged))
    return curves


def vus_pr(
    labels: np.ndarray, scores: np.ndarray, *, max_buffer: int | None = None, num_thresholds: int = 250
) -> float:
    """Volume under the range-based PR surface: VUS-PR (Paparrizos et al., PVLDB 15(11), 2022).

    For each buffer length l = 0..max_buffer, labels become soft: 1 inside each true event and
    sqrt(1 - d / l) at distance d = 1..l // 2 on either side of it. At each threshold, with TP the
    soft-label mass of the flagged points and P = (hard positives + soft positives) / 2:
    recall = min(TP / P, 1) * (share of events with a flagged point within their buffer),
    precision = TP / flagged. Range-AUC-PR(l) is the step-wise average precision of that curve and
    VUS-PR its mean over l. Differences from the reference code, following TimeEval (Wenig et al.,
    2022): buffers are symmetric, overlapping buffers take the maximum weight rather than the sum,
    and events are counted separately for the existence reward even when their buffers touch.

    Args:
        labels: (T,) binary, at least one anomaly.
        scores: (T,) finite, higher = more anomalous.
        max_buffer: largest buffer length l; default the mean event length rounded, so buffers
            reach up to half a mean event on each side (point anomalies get no buffer). 0 gives
            the range-AUC without buffer.
        num_thresholds: thresholds are the unique scores, or this many evenly spaced order
            statistics (score quantiles) when there are more. Cost O(T log T) once, then
            O(num_thresholds * l + events) per buffer length: ~0.1 s for T = 50,000.
    """
    lab, sc = _pair(labels, scores, "scores")
    _check_classes(lab, need_normal=False)
    return float(np.mean([_pr_area(c) for c in _range_curves(lab, sc, max_buffer, num_thresholds)]))


def vus_roc(
    labels: np.ndarray, scores: np.ndarray, *, max_buffer: int | None = None, num_thresholds: int = 250
) -> float:
    """Volume under the range-based ROC surface: VUS-ROC (Paparrizos et al., PVLDB 15(11), 2022).

    Recall as in ``vus_pr``; FPR = (flagged - TP) / (T - P). Range-AUC-ROC(l) is the trapezoidal
    area of the curve from (0, 0) to (1, 1) and VUS-ROC its mean over l = 0..max_buffer. Arguments
    as in ``vus_pr``; labels need both classes.
    """
    lab, sc = _pair(labels, scores, "scores")
    _check_classes(lab, need_normal=True)
    return float(np.mean([_roc_area(c) for c in _range_curves(lab, sc, max_buffer, num_thresholds)]))
