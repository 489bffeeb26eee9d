"""Temperature scaling of the fault classifier's probabilities (moesaic.reports.diagnose.calibration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moesaic.reports.diagnose.calibration import fit_temperature, log_loss, soften
from moesaic.reports.diagnose.faults import FaultClassifier


def test_soften_by_hand() -> None:
    p = np.array([0.8, 0.2])
    assert np.allclose(soften(p, 1.0), p)
    assert np.allclose(soften(p, 2.0), np.sqrt(p) / np.sqrt(p).sum())  # p ** (1/2), renormalised
    assert np.allclose(soften(p, 0.5), p**2 / (p**2).sum())
    assert np.argmax(soften(np.array([0.1, 0.6, 0.3]), 5.0)) == 1  # the order never changes
    with pytest.raises(ValueError, match="`temperature` must be > 0"):
        soften(p, 0.0)


def test_log_loss_by_hand() -> None:
    p = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert log_loss(p, np.array([0, 1])) == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)


def test_an_over_confident_model_gets_a_temperature_above_one() -> None:
    rng = np.random.default_rng(0)
    n, k = 4000, 3
    logits = rng.normal(0, 1.5, (n, k))
    calibrated = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(k, p=row) for row in calibrated])
    over = soften(calibrated, 1 / 3)  # three times too sure
    t = fit_temperature(over, truth)
    assert 2.4 < t < 3.8
    assert log_loss(soften(over, t), truth) < log_loss(over, truth)
    assert fit_temperature(np.zeros((3, k)), truth[:3]) == 1.0  # no held-out answer at all


def test_the_classifier_states_calibrated_probabilities_in_the_model_order(
    tmp_path: Path, two_channel_window: Any, stuck_or_normal: Any
) -> None:
    windows, labels = stuck_or_normal(6, 40)
    rng = np.random.default_rng(106)
    clf = FaultClassifier(num_trees=20).fit(windows, labels)
    assert clf.temperature_ > 0
    probe = two_channel_window(rng, stuck=True)
    raw, stated = clf.predict(probe, calibrated=False), clf.predict(probe)
    assert stated == clf.calibrate(raw) and stated.label == raw.label
    assert [c for c, _ in stated.ranked] == [c for c, _ in raw.ranked]
    softened = soften(np.array([p for _, p in raw.ranked]), clf.temperature_)
    assert stated.confidence == pytest.approx(softened[0])
    clf.save(tmp_path / "clf")
    again = FaultClassifier.load(tmp_path / "clf")
    assert again.temperature_ == clf.temperature_ and again.predict(probe) == stated


def test_calibration_keeps_the_model_order_even_among_negligible_classes() -> None:
    from moesaic.reports.diagnose.faults import FaultPrediction

    clf = FaultClassifier()
    clf.channels_, clf.classes_, clf.temperature_ = ("a",), ("w", "x", "y", "z"), 2.0
    answer = FaultPrediction("z", 0.9, (("z", 0.9), ("y", 0.1), ("x", 1e-8), ("w", 0.0)))
    stated = clf.calibrate(answer)
    # x and w are both raised to the same floor; x still comes before w, as the model had them.
    assert [c for c, _ in stated.ranked] == ["z", "y", "x", "w"]
    assert stated.label == "z" and 0.5 < stated.confidence < 0.9  # softened
