"""ConsensusDetector: the smallest of its members' calibrated scores, saved and loaded whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moesaic.config import ConfigError
from moesaic.encoders import EncoderConfig, NotFittedError
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.anomaly import AnomalyConfig, AnomalyDetector
from moesaic.tasks.detector_registry import load_detector, make_detector
from moesaic.tasks.detectors_consensus import ConsensusConfig, ConsensusDetector
from moesaic.train import TrainConfig

TINY_BACKBONE = AnomalyConfig(
    context_length=16,
    horizon=4,
    model=ModelConfig(
        encoders=EncoderConfig(dim=16, patch_len=4),
        moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
        num_layers=1,
    ),
    train=TrainConfig(lr=5e-3, warmup_steps=0, max_steps=30, batch_size=32, num_threads=1, log_every=30),
)


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    """(400, 2) noisy sine and noise; channel 1 steps up by 4 at rows 300-349."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    x = np.stack([np.sin(2 * np.pi * t / 16), np.zeros(400)], axis=1) + 0.1 * rng.standard_normal((400, 2))
    x[300:350, 1] += 4.0
    return x


@pytest.fixture(scope="module")
def fitted(series: np.ndarray) -> ConsensusDetector:
    torch.manual_seed(0)
    config = ConsensusConfig(smooth=5, factor=1.5, min_run=5, backbone=TINY_BACKBONE)
    return ConsensusDetector(config).fit(series[:200], channels=["sine", "noise"])


def test_score_is_the_smallest_member_score_in_its_calibration_units(
    fitted: ConsensusDetector, series: np.ndarray
) -> None:
    assert list(fitted.members_) == ["moesaic", "ar", "zscore"]
    assert isinstance(fitted.members_["moesaic"], AnomalyDetector)
    units = {n: m.threshold_ / m.config.factor for n, m in fitted.members_.items()}
    each = np.stack([m.score(series).score / units[n] for n, m in fitted.members_.items()])
    scores = fitted.score(series)
    np.testing.assert_allclose(scores.score, each.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scores.contributions.sum(axis=1), scores.score, rtol=1e-9)
    for member in fitted.members_.values():  # members share the consensus's smoothing, no factor
        assert member.config.smooth == 5 and member.config.factor == 1.0


def test_a_shift_every_member_sees_is_an_alarm_and_normal_rows_are_quiet(
    fitted: ConsensusDetector, series: np.ndarray
) -> None:
    detection = fitted.predict(series)
    assert detection.alarm[310:350].mean() > 0.8
    assert detection.alarm[:300].mean() < 0.02
    assert detection.top_channels(1)[330] == ("noise",)


def test_save_and_load_reproduce_the_alarms(
    fitted: ConsensusDetector, series: np.ndarray, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "consensus")
    assert {p.name for p in (tmp_path / "consensus").iterdir()} == {"model.safetensors", "config.json"}
    loaded = load_detector(tmp_path / "consensus")
    assert isinstance(loaded, ConsensusDetector) and loaded.channels_ == ("sine", "noise")
    expected, got = fitted.predict(series), loaded.predict(series)
    np.testing.assert_array_equal(got.score, expected.score)
    np.testing.assert_array_equal(got.alarm, expected.alarm)
    assert loaded.parameter_count() == fitted.parameter_count()


def test_members_are_checked_and_scoring_before_fit_raises() -> None:
    with pytest.raises(ConfigError, match=r"unknown detectors \['lstm'\]"):
        ConsensusConfig(members=("moesaic", "lstm"))
    with pytest.raises(ConfigError, match="at least two distinct detectors"):
        ConsensusConfig(members=("ar", "ar"))
    with pytest.raises(NotFittedError, match="ConsensusDetector is not fitted yet"):
        ConsensusDetector().predict(np.zeros((40, 2)))


def test_classical_members_only_need_no_backbone_training(series: np.ndarray) -> None:
    detector = make_detector("consensus", members=("ar", "zscore"), smooth=5, min_run=5)
    detection = detector.fit(series[:200]).predict(series)
    assert set(detector.members_) == {"ar", "zscore"}
    assert detection.alarm[310:350].mean() > 0.8 and detection.alarm[:300].mean() < 0.02
