"""Moment calibration of synthetic windows: the Gaussian transport map (its use: tests/test_synth.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.tasks.synth.calibration import MomentCalibration, choose_scope, gaussian_transport


def _spd(size: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((size, size))
    return a @ a.T + 0.1 * np.eye(size)


def test_transport_is_symmetric_and_carries_one_covariance_onto_the_other() -> None:
    source, target = _spd(6, 0), _spd(6, 1)
    a = gaussian_transport(source, target)
    np.testing.assert_allclose(a, a.T, atol=1e-9)
    np.testing.assert_allclose(a @ source @ a, target, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gaussian_transport(target, target), np.eye(6), atol=1e-6)


def test_a_direction_the_target_does_not_vary_in_is_flattened_not_amplified() -> None:
    """Collinear channels (open and close prices) give a singular target covariance."""
    mixing = np.random.default_rng(3).standard_normal((2, 5))
    target = mixing.T @ mixing  # rank 2 of 5
    source = target + 0.01 * np.eye(5)  # the samples add a little noise in every direction
    a = gaussian_transport(source, target)
    np.testing.assert_allclose(a @ source @ a, target, atol=1e-6)
    assert np.linalg.norm(a, 2) < 1.5


def test_window_calibration_gives_the_samples_the_training_mean_and_covariance() -> None:
    rng = np.random.default_rng(0)
    T, C = 3, 2
    real = rng.multivariate_normal(np.arange(6.0), _spd(6, 2), size=20000).reshape(-1, T, C)
    fake = rng.standard_normal((20000, T, C))  # right shape, wrong moments
    calibration = MomentCalibration.fit(fake, real, "window")
    fresh = rng.standard_normal((20000, T, C))
    out = calibration(torch.from_numpy(fresh).float()).numpy().reshape(len(fresh), -1)
    np.testing.assert_allclose(out.mean(axis=0), np.arange(6.0), atol=0.1)
    target = np.cov(real.reshape(len(real), -1), rowvar=False)
    assert np.linalg.norm(np.cov(out, rowvar=False) - target) < 0.05 * np.linalg.norm(target)


def test_channel_calibration_maps_each_time_step_with_one_channel_map() -> None:
    rng = np.random.default_rng(1)
    mixing = np.array([[1.0, 0.9], [0.0, 0.45]])
    real = rng.standard_normal((4000, 8, 2)) @ mixing + np.array([5.0, -1.0])
    calibration = MomentCalibration.fit(rng.standard_normal((4000, 8, 2)), real, "channel")
    assert calibration.transport.shape == (2, 2)
    out = calibration(torch.randn(4000, 8, 2)).numpy().reshape(-1, 2)
    np.testing.assert_allclose(out.mean(axis=0), [5.0, -1.0], atol=0.05)
    assert np.corrcoef(out.T)[0, 1] == pytest.approx(np.corrcoef(real.reshape(-1, 2).T)[0, 1], abs=0.02)


def test_one_channel_one_step_is_scaled_and_shifted() -> None:
    """A single sensor with ``channel`` scope: a (1, 1) map, where np.cov gives a scalar."""
    rng = np.random.default_rng(2)
    real = 3.0 * rng.standard_normal((5000, 6, 1)) + 7.0
    calibration = MomentCalibration.fit(rng.standard_normal((5000, 6, 1)), real, "channel")
    assert calibration.transport.shape == (1, 1)
    out = calibration(torch.randn(5000, 6, 1)).numpy()
    assert out.mean() == pytest.approx(7.0, abs=0.1) and out.std() == pytest.approx(3.0, abs=0.1)


def test_the_scope_is_the_widest_the_complete_windows_allow() -> None:
    assert choose_scope(np.zeros((96, 12, 2))) == "window"  # 4 windows per value
    assert choose_scope(np.zeros((95, 12, 2))) == "channel"
    assert choose_scope(np.zeros((1, 4, 2))) is None
    wide = np.broadcast_to(np.float64(0.0), (10000, 64, 40))  # 2,560 values: too wide to map whole
    assert choose_scope(wide) == "channel"
