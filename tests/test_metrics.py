from __future__ import annotations

import math
import time

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from moesaic.eval import metrics as m

NAN = float("nan")


# --------------------------------------------------------------------------- forecasting


def test_mse_mae_rmse_ignore_missing_targets() -> None:
    y, y_hat = np.array([1.0, 2.0, NAN, 4.0]), np.array([2.0, 2.0, 100.0, 2.0])  # errors 1, 0, -, 2
    assert m.mse(y, y_hat) == pytest.approx(5 / 3)
    assert m.mae(y, y_hat) == pytest.approx(1.0)
    assert m.rmse(y, y_hat) == pytest.approx(math.sqrt(5 / 3))
    assert m.rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))


def test_quantile_loss_per_point() -> None:
    np.testing.assert_allclose(m.quantile_loss(np.array([1.0, 3.0]), np.array([2.0, 2.0]), 0.9), [0.1, 0.9])
    out = m.quantile_loss(np.array([1.0, NAN]), np.array([1.0, 1.0]), 0.5)
    assert out[0] == 0.0 and np.isnan(out[1])


def test_weighted_quantile_loss_and_crps_by_hand_with_a_missing_target() -> None:
    # q=0.1: pinball 0.1 and 0.9 (sum 1.0); q=0.9: 0.1 and 0.2 (sum 0.3); sum |y| = 6.
    y = np.array([2.0, 4.0, NAN])
    y_q = np.array([[1.0, 3.0], [5.0, 6.0], [0.0, 0.0]])
    assert m.weighted_quantile_loss(y, y_q, [0.1, 0.9]) == pytest.approx((2 * 1.0 / 6 + 2 * 0.3 / 6) / 2)
    # per point 2 * mean_q pinball: 2 * 0.1 = 0.2 and 2 * 0.55 = 1.1
    assert m.crps_from_quantiles(y, y_q, [0.1, 0.9]) == pytest.approx(0.65)


def test_perfect_quantile_forecast_has_zero_loss() -> None:
    y = np.arange(1.0, 7.0).reshape(2, 3)
    y_q = np.repeat(y[..., None], 3, axis=-1)
    assert m.weighted_quantile_loss(y, y_q, [0.1, 0.5, 0.9]) == 0.0
    assert m.crps_from_quantiles(y, y_q, [0.1, 0.5, 0.9]) == 0.0


def test_nasa_score_by_hand() -> None:
    # d = -10 (early), 0, +10 (late): late costs more.
    expected = math.exp(10 / 13) - 1 + 0.0 + math.exp(1.0) - 1
    assert m.nasa_score([10.0, 10.0, 10.0], [0.0, 10.0, 20.0]) == pytest.approx(expected)
    assert m.nasa_score([5.0], [5.0]) == 0.0


# --------------------------------------------------------------------------- thresholded anomaly metrics


def test_confusion_metrics_by_hand() -> None:
    labels, pred = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 1])  # TP = FP = FN = TN = 1
    assert m.precision_recall_f1(labels, pred) == (0.5, 0.5, 0.5)
    assert m.point_f1(labels, pred) == 0.5
    assert m.false_alarm_rate(labels, pred) == 0.5
    assert m.missed_alarm_rate(labels, pred) == 0.5


def test_perfect_and_worst_detectors() -> None:
    labels = np.array([0, 1, 1, 0, 0, 1], dtype=bool)
    assert m.precision_recall_f1(labels, labels) == (1.0, 1.0, 1.0)
    assert (m.false_alarm_rate(labels, labels), m.missed_alarm_rate(labels, labels)) == (0.0, 0.0)
    assert m.event_f1(labels, labels) == 1.0
    assert m.precision_recall_f1(labels, ~labels) == (0.0, 0.0, 0.0)
    assert (m.false_alarm_rate(labels, ~labels), m.missed_alarm_rate(labels, ~labels)) == (1.0, 1.0)
    assert m.event_f1(labels, ~labels) == 0.0


def test_empty_denominators_give_zero() -> None:
    normal = np.zeros(4, dtype=bool)
    assert m.precision_recall_f1(normal, normal) == (0.0, 0.0, 0.0)
    assert m.missed_alarm_rate(normal, normal) == 0.0
    assert m.false_alarm_rate(~normal, ~normal) == 0.0
    assert m.event_f1(normal, ~normal) == 0.0


def test_flag_all_f1_is_two_r_over_one_plus_r() -> None:
    assert m.flag_all_f1([0, 0, 0, 1]) == pytest.approx(2 * 0.25 / 1.25)


def test_event_f1_by_hand() -> None:
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0, 1, 0])  # events [0, 2), [4, 6), [8, 9)
    pred = np.array([0, 1, 0, 0, 0, 0, 1, 1, 0, 0])  # alarms [1, 2) (hits event 0) and [6, 8) (false)
    precision, recall = 1 / 2, 1 / 3
    assert m.event_f1(labels, pred) == pytest.approx(2 * precision * recall / (precision + recall))
    # one long alarm over two events: both detected, one useful alarm
    assert m.event_f1([1, 0, 1, 0], [1, 1, 1, 0]) == 1.0


def test_point_adjusted_f1_by_hand_and_never_below_point_f1() -> None:
    labels, pred = np.array([0, 1, 1, 1, 0, 0]), np.array([0, 0, 1, 0, 0, 1])
    assert m.point_f1(labels, pred) == pytest.approx(0.4)  # P = 1/2, R = 1/3
    assert m.point_adjusted_f1(labels, pred) == pytest.approx(6 / 7)  # P = 3/4, R = 1
    rng = np.random.default_rng(0)
    for _ in range(50):
        labels = rng.random(60) < 0.2
        pred = rng.random(60) < 0.1
        assert m.point_adjusted_f1(labels, pred) >= m.point_f1(labels, pred)


def test_threshold_from_training_scores() -> None:
    train = np.arange(101.0)
    assert m.threshold_from_scores(train, quantile=0.9) == pytest.approx(90.0)
    assert m.threshold_from_scores(train, contamination=0.05) == pytest.approx(95.0)
    assert m.threshold_from_scores(train) == pytest.approx(99.0)
    assert m.threshold_from_scores(train, method="max") == 100.0
    with pytest.raises(ValueError, match="not both"):
        m.threshold_from_scores(train, quantile=0.9, contamination=0.1)
    with pytest.raises(ValueError, match="unknown `method` 'pot'"):
        m.threshold_from_scores(train, method="pot")
    with pytest.raises(ValueError, match='do not apply to method="max"'):
        m.threshold_from_scores(train, method="max", quantile=0.9)


# --------------------------------------------------------------------------- ranking anomaly metrics


def test_auc_by_hand() -> None:
    labels, scores = np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.8, 0.3])
    assert m.auc_pr(labels, scores) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert m.auc_roc(labels, scores) == pytest.approx(3 / 4)  # 3 of 4 (anomaly, normal) pairs ordered


@pytest.mark.parametrize("ties", [False, True])
def test_auc_matches_sklearn(ties: bool) -> None:
    rng = np.random.default_rng(1)
    labels = rng.random(500) < 0.1
    scores = rng.normal(size=500) + labels
    if ties:
        scores = np.round(scores, 1)
    assert m.auc_pr(labels, scores) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert m.auc_roc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def _reference_range_auc(labels: np.ndarray, scores: np.ndarray, buffer: int) -> tuple[float, float]:
    """The documented range-based AP and ROC AUC, directly: one pass over the series per threshold."""
    size, half = labels.size, buffer // 2
    distance = np.abs(np.arange(size)[:, None] - np.flatnonzero(labels)[None, :]).min(axis=1)
    soft = np.where(distance <= half, np.sqrt(np.clip(1 - distance / max(buffer, 1), 0, 1)), 0.0)
    events, start = [], None
    for t, flag in enumerate([*labels.tolist(), False]):
        if flag and start is None:
            start = t
        if not flag and start is not None:
            events.append((start, t))
            start = None
    extended = (labels.sum() + soft.sum()) / 2
    tprs, fprs, precisions = [0.0], [0.0], []
    for threshold in np.unique(scores)[::-1]:
        pred = scores >= threshold
        tp = float((soft * pred).sum())
        found = np.mean([pred[max(s - half, 0) : e + half].any() for s, e in events])
        tprs.append(min(tp / extended, 1.0) * found)
        fprs.append((pred.sum() - tp) / (size - extended))
        precisions.append(tp / pred.sum())
    ap = float(np.sum(np.diff(tprs) * precisions))
    roc = float(np.trapezoid([*tprs, 1.0], [*fprs, 1.0]))
    return ap, roc


def test_vus_matches_the_direct_definition_with_close_events() -> None:
    rng = np.random.default_rng(2)
    labels = np.zeros(120, dtype=bool)
    labels[[10, 11, 12, 20, 21, 60, 61, 62, 63, 64, 65, 100]] = True  # events 3, 2, 6, 1 long
    scores = rng.random(120) + 0.8 * labels
    for max_buffer in (0, 3, 8):
        refs = [_reference_range_auc(labels, scores, l) for l in range(max_buffer + 1)]
        assert m.vus_pr(labels, scores, max_buffer=max_buffer) == pytest.approx(np.mean([r[0] for r in refs]))
        assert m.vus_roc(labels, scores, max_buffer=max_buffer) == pytest.approx(
            np.mean([r[1] for r in refs])
        )


def test_vus_without_buffer_on_one_event_is_the_point_auc() -> None:
    rng = np.random.default_rng(3)
    labels = np.zeros(200, dtype=bool)
    labels[80:95] = True
    scores = rng.normal(size=200) + labels
    assert m.vus_pr(labels, scores, max_buffer=0) == pytest.approx(average_precision_score(labels, scores))
    assert m.vus_roc(labels, scores, max_buffer=0) == pytest.approx(roc_auc_score(labels, scores))


def test_vus_of_a_perfect_point_detector_by_hand() -> None:
    # Buffers l = 0, 1 add nothing (area 1); l = 2 gives the neighbours weight w = sqrt(1/2).
    labels, scores = np.array([0, 0, 1, 0, 0]), np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    w = math.sqrt(0.5)
    extended = (1 + (1 + 2 * w)) / 2
    tpr_top = 1 / extended
    fpr_all = (5 - (1 + 2 * w)) / (5 - extended)
    roc = fpr_all * (tpr_top + 1) / 2 + (1 - fpr_all)
    ap = tpr_top * 1.0 + (1 - tpr_top) * (1 + 2 * w) / 5
    assert m.vus_roc(labels, scores, max_buffer=2) == pytest.approx((1 + 1 + roc) / 3)
    assert m.vus_pr(labels, scores, max_buffer=2) == pytest.approx((1 + 1 + ap) / 3)


def test_vus_default_buffer_and_speed_on_a_long_series() -> None:
    rng = np.random.default_rng(4)
    labels = np.zeros(50_000, dtype=bool)
    for start in rng.choice(49_000, 30, replace=False):
        labels[start : start + rng.integers(10, 150)] = True
    scores = rng.normal(size=labels.size) + labels
    started = time.perf_counter()
    pr, roc = m.vus_pr(labels, scores), m.vus_roc(labels, scores)
    assert time.perf_counter() - started < 2.0  # ~0.1 s measured; loose for shared CPUs
    assert 0 < pr < 1 and 0.5 < roc < 1
    # 250 score quantiles as thresholds stay close to a finer grid
    assert pr == pytest.approx(m.vus_pr(labels, scores, num_thresholds=2000), abs=0.01)


def test_every_metric_returns_a_python_float() -> None:
    y, labels, scores = np.array([1.0, 2.0]), np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.4, 0.3])
    values = [
        m.mse(y, y),
        m.mae(y, y),
        m.rmse(y, y),
        m.nasa_score(y, y),
        m.weighted_quantile_loss(y, y[:, None], [0.5]),
        m.crps_from_quantiles(y, y[:, None], [0.5]),
        *m.precision_recall_f1(labels, labels),
        m.point_f1(labels, labels),
        m.false_alarm_rate(labels, labels),
        m.missed_alarm_rate(labels, labels),
        m.event_f1(labels, labels),
        m.point_adjusted_f1(labels, labels),
        m.flag_all_f1(labels),
        m.auc_pr(labels, scores),
        m.auc_roc(labels, scores),
        m.vus_pr(labels, scores),
        m.vus_roc(labels, scores),
        m.threshold_from_scores(scores),
    ]
    assert all(type(v) is float for v in values)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: m.mse([1.0, 2.0, 3.0], [1.0, 2.0]),
            r"`y_hat` must have the shape of `y` \(3,\), got \(2,\)",
        ),
        (lambda: m.mae([], []), r"`y` must not be empty, got shape \(0,\)"),
        (lambda: m.mse([NAN, NAN], [1.0, 1.0]), "`y` has no observed"),
        (lambda: m.mse([1.0, 2.0], [NAN, 1.0]), "`y_hat` must be finite where `y` is observed"),
        (
            lambda: m.quantile_loss([1.0], [1.0], 1.0),
            r"`q` must lie in the open interval \(0, 1\), found \[1.0\]",
        ),
        (
            lambda: m.weighted_quantile_loss([1.0, 2.0], [[1.0], [2.0]], [0.5, 1.5]),
            r"`quantiles` must lie in the open interval \(0, 1\), found \[1.5\]",
        ),
        (
            lambda: m.crps_from_quantiles([1.0, 2.0], [[1.0], [2.0]], [0.1, 0.9]),
            r"`y_quantiles` must have shape `y.shape \+ \(Q,\)` = \(2, 2\), got \(2, 1\)",
        ),
        (lambda: m.weighted_quantile_loss([0.0], [[0.0]], [0.5]), "wQL is undefined"),
        (lambda: m.nasa_score([1.0], [NAN]), "`y_pred` must be finite, found 1 non-finite"),
        (
            lambda: m.point_f1([0, 1, 2], [0, 1, 1]),
            r"`labels` must be binary \(bool or 0/1\), found values \[0, 1, 2\]",
        ),
        (lambda: m.point_f1([0, 1], [0, 1, 1]), r"`pred` must have the shape of `labels` \(2,\), got \(3,\)"),
        (lambda: m.event_f1([[0, 1]], [[0, 1]]), r"`labels` must be 1-D \(T,\), got shape \(1, 2\)"),
        (lambda: m.flag_all_f1([]), "`labels` must not be empty"),
        (lambda: m.auc_pr([0, 1], [0.1, NAN]), "`scores` must be finite, found 1 non-finite"),
        (lambda: m.auc_roc([1, 1], [0.1, 0.2]), "`labels` has no normal point"),
        (lambda: m.vus_pr([0, 0], [0.1, 0.2]), "`labels` has no anomalous point"),
        (lambda: m.vus_roc([0, 1], [0.1, 0.2], max_buffer=-1), "`max_buffer` must be >= 0, got -1"),
        (lambda: m.threshold_from_scores([0.1, 0.2], contamination=0.0), "`contamination` must lie in"),
        (lambda: m.threshold_from_scores(np.zeros((2, 2))), r"`train_scores` must be 1-D \(T,\)"),
    ],
)
def test_bad_input_raises_naming_the_argument(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
