"""The NAB score on hand-computable alerts: one window of rows 10-19 in a file of 40 rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moesaic.eval.metrics_nab import (
    NAB_PROFILES,
    NabScore,
    alert_onsets,
    nab_file_score,
    nab_normalised,
    nab_probation,
    scaled_sigmoid,
    windows_from_mask,
)

WINDOW = np.array([[10, 19]])


def _sigma(p: float) -> float:
    return 2.0 / (1.0 + math.exp(5.0 * p)) - 1.0


def _alerts(*rows: int, length: int = 40) -> np.ndarray:
    alert = np.zeros(length, dtype=bool)
    alert[list(rows)] = True
    return alert


def test_scaled_sigmoid_matches_nab_reference_points() -> None:
    values = scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 3.0, 7.0]))
    np.testing.assert_allclose(values, [0.98661, 0.84828, 0.0, -0.98661, -1.0, -1.0], atol=1e-5)


def test_probation_is_fifteen_percent_capped_at_750() -> None:
    assert nab_probation(1000) == 150
    assert nab_probation(4032) == 604
    assert nab_probation(22695) == 750
    with pytest.raises(ValueError, match="length"):
        nab_probation(-1)


def test_alert_at_first_window_row_earns_full_reward() -> None:
    score = nab_file_score(WINDOW, _alerts(10, 12), probation=0)
    assert score == NabScore(raw=1.0, perfect=1.0, null=-1.0, windows=1, detected=1, false_alerts=0)
    assert nab_normalised([score]) == pytest.approx(100.0)


def test_late_alert_earns_less_and_only_the_earliest_counts() -> None:
    late = nab_file_score(WINDOW, _alerts(19), probation=0)
    assert late.raw == pytest.approx(_sigma(-0.1) / _sigma(-1.0))  # 0.2482
    both = nab_file_score(WINDOW, _alerts(15, 19), probation=0)
    assert both.raw == pytest.approx(_sigma(-0.5) / _sigma(-1.0))  # 15 sits at -(19 - 15 + 1) / 10


def test_false_alerts_cost_less_just_after_a_window() -> None:
    before = nab_file_score(WINDOW, _alerts(5), probation=0)
    assert before.raw == pytest.approx(-1.0 - 0.11)  # missed window, full-cost false alert
    assert before.false_alerts == 1
    just_after = nab_file_score(WINDOW, _alerts(10, 20), probation=0)
    assert just_after.raw == pytest.approx(1.0 + 0.11 * _sigma(1 / 9))  # -0.0298
    far_after = nab_file_score(WINDOW, _alerts(10, 39), probation=0)
    assert far_after.raw == pytest.approx(1.0 + 0.11 * _sigma(20 / 9))


def test_profiles_weigh_misses_and_false_alerts() -> None:
    alert = _alerts(5)
    assert nab_file_score(WINDOW, alert, 0, "reward_low_fp").raw == pytest.approx(-1.0 - 0.22)
    low_fn = nab_file_score(WINDOW, alert, 0, NAB_PROFILES["reward_low_fn"])
    assert (low_fn.raw, low_fn.null) == (pytest.approx(-2.0 - 0.11), -2.0)
    with pytest.raises(ValueError, match="unknown NAB profile 'strict'"):
        nab_file_score(WINDOW, alert, 0, "strict")


def test_probation_hides_alerts_and_windows() -> None:
    hidden = nab_file_score(WINDOW, _alerts(5), probation=8)
    assert (hidden.raw, hidden.false_alerts) == (-1.0, 0)
    cut = nab_file_score(WINDOW, _alerts(15), probation=15)  # the window's scored part starts at 15
    assert cut.perfect == pytest.approx(_sigma(-0.5) / _sigma(-1.0))
    assert cut.raw == pytest.approx(cut.perfect)
    inside = nab_file_score(WINDOW, _alerts(30), probation=25)
    assert (inside.windows, inside.null, inside.perfect) == (0, 0.0, 0.0)
    with pytest.raises(ValueError, match="no anomaly window"):
        nab_normalised([inside])


def test_corpus_score_pools_files_null_is_zero() -> None:
    perfect = nab_file_score(WINDOW, _alerts(10), 0)
    missed = nab_file_score(WINDOW, _alerts(), 0)
    assert nab_normalised([missed, missed]) == 0.0
    assert nab_normalised([perfect, missed]) == pytest.approx(50.0)


def test_windows_are_checked() -> None:
    with pytest.raises(ValueError, match=r"not within rows 0\.\.39"):
        nab_file_score(np.array([[30, 45]]), _alerts(), 0)
    with pytest.raises(ValueError, match="sorted and must not overlap"):
        nab_file_score(np.array([[10, 20], [15, 25]]), _alerts(), 0)
    with pytest.raises(ValueError, match=r"\(W, 2\)"):
        nab_file_score(np.array([1, 2, 3]), _alerts(), 0)
    assert nab_file_score(np.zeros((0, 2)), _alerts(3), 0).false_alerts == 1


def test_onsets_and_windows_from_runs() -> None:
    alarm = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=bool)
    np.testing.assert_array_equal(alert_onsets(alarm), [0, 1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(windows_from_mask(alarm), [[1, 2], [4, 4], [7, 7]])
    assert windows_from_mask(np.zeros(4, dtype=bool)).shape == (0, 2)
