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
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

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

DEFAULT_QUANTILE = 0.99
THRESHOLD_METHODS = ("quantile", "max")


class PRF(NamedTuple):
    precision: float
    recall: float
    f1: float


# --------------------------------------------------------------------------- input checks


def _array(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    return arr


def _same_shape(name: str, a: np.ndarray, ref_name: str, ref: np.ndarray) -> None:
    if a.shape != ref.shape:
        raise ValueError(f"`{name}` must have the shape of `{ref_name}` {ref.shape}, got {a.shape}")


def _observed(y: np.ndarray, name: str, forecast: np.ndarray) -> np.ndarray:
    """Mask of observed targets (broadcast to `forecast`); the forecast must be finite there."""
    mask = ~np.isnan(y)
    if not mask.any():
        raise ValueError(f"`y` has no observed (non-NaN) target among its {y.size} values")
    mask_f = np.broadcast_to(mask[..., None], forecast.shape) if forecast.ndim > y.ndim else mask
    bad = int((~np.isfinite(forecast) & mask_f).sum())
    if bad:
        raise ValueError(f"`{name}` must be finite where `y` is observed, found {bad} non-finite values")
    return mask


def _finite(name: str, a: np.ndarray) -> None:
    bad = int((~np.isfinite(a)).sum())
    if bad:
        raise ValueError(f"`{name}` must be finite, found {bad} non-finite values")


def _quantile_levels(name: str, q: object) -> np.ndarray:
    levels = np.atleast_1d(np.asarray(q, dtype=float))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D sequence of levels, got shape {levels.shape}")
    outside = levels[~((levels > 0) & (levels < 1))]
    if outside.size:
        raise ValueError(f"`{name}` must lie in the open interval (0, 1), found {outside.tolist()}")
    return levels


def _binary(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D (T,), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    if arr.dtype != bool:
        values = np.unique(arr)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f"`{name}` must be binary (bool or 0/1), found values {values[:10].tolist()}")
    return arr.astype(bool)


def _pair(labels: object, other: object, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    lab = _binary("labels", labels)
    if other_name == "scores":
        oth = np.asarray(other, dtype=float)
        if oth.shape == lab.shape:
            _finite("scores", oth)
    else:
        oth = _binary(other_name, other)
    _same_shape(other_name, oth, "labels", lab)
    return lab, oth


# --------------------------------------------------------------------------- forecasting


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean squared error over observed targets. y, y_hat: any matching shape; NaN in y is ignored."""
    yy, ff = _array("y", y), _array("y_hat", y_hat)
    _same_shape("y_hat", ff, "y", yy)
    mask = _observed(yy, "y_hat", ff)
    return float(np.mean((yy[mask] - ff[mask]) ** 2))


def mae(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute error over observed targets. y, y_hat: any matching shape; NaN in y is ignored."""
    yy, ff = _array("y", y), _array("y_hat", y_hat)
    _same_shape("y_hat", ff, "y", yy)
    mask = _observed(yy, "y_hat", ff)
    return float(np.mean(np.abs(yy[mask] - ff[mask])))


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error (used for RUL); NaN in y is ignored."""
    return float(np.sqrt(mse(y, y_hat)))


def _pinball(y: np.ndarray, y_q: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    diff = y - y_q
    return np.maximum(q * diff, (q - 1.0) * diff)


def quantile_loss(y: np.ndarray, y_q: np.ndarray, q: float) -> np.ndarray:
    """Pinball loss per point: max(q (y - y_q), (q - 1) (y - y_q)).

    Args:
        y: targets, any shape; NaN = missing.
        y_q: forecast of the q-quantile, same shape as ``y``.
        q: quantile level in (0, 1).
    Returns:
        Array of the shape of ``y``, NaN where ``y`` is missing.
    """
    yy, ff = _array("y", y), _array("y_q", y_q)
    _same_shape("y_q", ff, "y", yy)
    if np.ndim(q) != 0:
        raise ValueError(f"`q` must be a single level, got shape {np.shape(q)}")
    level = float(_quantile_levels("q", q)[0])
    if not np.isnan(yy).all():
        _observed(yy, "y_q", ff)
    return _pinball(yy, ff, level)


def _quantile_inputs(
    y: np.ndarray, y_quantiles: np.ndarray, quantiles: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked (y, pinball (..., Q), observed mask) for the multi-quantile metrics."""
    yy, ff = _array("y", y), _array("y_quantiles", y_quantiles)
    levels = _quantile_levels("quantiles", quantiles)
    expected = (*yy.shape, levels.size)
    if ff.shape != expected:
        raise ValueError(f"`y_quantiles` must have shape `y.shape + (Q,)` = {expected}, got {ff.shape}")
    mask = _observed(yy, "y_quantiles", ff)
    return yy, _pinball(yy[..., None], ff, levels), mask


def weighted_quantile_loss(y: np.ndarray, y_quantiles: np.ndarray, quantiles: object) -> float:
    """Weighted quantile loss (wQL), as in GluonTS and Chronos.

    wQL = mean over q of 2 * sum_t pinball_q(t) / sum_t |y_t|, sums over observed targets.

    Args:
        y: targets, any shape S; NaN = missing.
        y_quantiles: (*S, Q) quantile forecasts.
        quantiles: (Q,) levels in (0, 1).
    """
    yy, pin, mask = _quantile_inputs(y, y_quantiles, quantiles)
    scale = float(np.abs(yy[mask]).sum())
    if scale == 0.0:
        raise ValueError("`y` sums to 0 in absolute value over observed targets; wQL is undefined")
    per_quantile = 2.0 * pin[mask].sum(axis=0) / scale  # (Q,)
    return float(per_quantile.mean())


def crps_from_quantiles(y: np.ndarray, y_quantiles: np.ndarray, quantiles: object) -> float:
    """CRPS approximated from quantiles: mean over observed points of 2 * mean_q pinball_q.

    Shapes as in ``weighted_quantile_loss``; unscaled, in the units of ``y``.
    """
    _, pin, mask = _quantile_inputs(y, y_quantiles, quantiles)
    return float((2.0 * pin[mask].mean(axis=-1)).mean())


def nasa_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """PHM08 asymmetric RUL score (lower is better); late predictions cost more than early ones.

    With d = y_pred - y_true: sum of exp(-d / 13) - 1 where d < 0, and exp(d / 10) - 1 where d >= 0.
    """
    yt, yp = _array("y_true", y_true), _array("y_pred", y_pred)
    _same_shape("y_pred", yp, "y_true", yt)
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        _finite(name, arr)
    d = yp - yt
    return float(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0)).sum())


# --------------------------------------------------------------------------- anomaly: thresholded


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


# --------------------------------------------------------------------------- anomaly: ranking


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
