"""The fidelity metrics of moesaic.tasks.synth: hand-computable values and behaviour on tiny data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.tasks.synth.baseline import GaussianWindows
from moesaic.tasks.synth.context_fid import context_fid, fit_window_encoder, frechet_distance
from moesaic.tasks.synth.fidelity import (
    correlational_score,
    cross_correlation,
    discriminative_score,
    memorisation,
    predictive_score,
)
from moesaic.tasks.synth.protocol import make_sines, minmax_scale, protocol_windows, sliding_windows


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(1)


def test_sines_follow_timegan_definition() -> None:
    x = make_sines(50, length=24, channels=5, seed=1)
    assert x.shape == (50, 24, 5) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    # frequency and phase in [0, 0.1): the first step is sin(phase) mapped to [0.5, 0.55)
    assert np.all((x[:, 0] >= 0.5) & (x[:, 0] < 0.5 + np.sin(0.1) / 2 + 1e-6))


def test_protocol_windows_are_minmax_stride_one_and_shuffled() -> None:
    values = np.arange(30, dtype=np.float64).reshape(15, 2)
    assert sliding_windows(values, length=4).shape == (12, 4, 2)
    scaled = minmax_scale(values)
    assert scaled.min() == 0.0 and scaled.max() == pytest.approx(1.0)
    windows = protocol_windows(values, length=4, reverse=True, seed=0)
    assert windows.shape == (12, 4, 2)
    assert all(np.all(np.diff(w[:, 0]) < 0) for w in windows)  # flipped rows decrease


def test_when_windows_are_not_3d_then_error_names_argument() -> None:
    with pytest.raises(ValueError, match="`real` must be windows of shape"):
        discriminative_score(np.zeros((4, 5)), np.zeros((4, 5, 1)))
    with pytest.raises(ValueError, match="`synthetic` must have 2 channels"):
        correlational_score(np.zeros((4, 5, 2)), np.zeros((4, 5, 3)))


def test_discriminative_score_separates_different_data_and_not_same_data() -> None:
    rng = np.random.default_rng(0)
    real = (0.8 + 0.05 * rng.standard_normal((300, 4, 2))).astype(np.float32)
    other = (0.2 + 0.05 * rng.standard_normal((300, 4, 2))).astype(np.float32)
    same = (0.8 + 0.05 * rng.standard_normal((300, 4, 2))).astype(np.float32)
    far = discriminative_score(real, other, iterations=60, batch_size=32, lr=1e-2, seed=0)
    near = discriminative_score(real, same, iterations=60, batch_size=32, lr=1e-2, seed=0)
    unbalanced = discriminative_score(real, same[:40], iterations=60, batch_size=32, lr=1e-2, seed=0)
    assert far.score > 0.4
    assert near.score < 0.15
    assert unbalanced.score < 0.2  # the larger side does not inflate the accuracy
    assert far.score == pytest.approx(abs(far.accuracy - 0.5))


def test_predictive_score_is_lower_when_trained_on_the_real_relation() -> None:
    rng = np.random.default_rng(0)
    first = rng.uniform(0, 1, (200, 5, 1)).astype(np.float32)
    real = np.concatenate([first, np.roll(first, 1, axis=1)], axis=2)  # last channel lags the first
    noise = rng.uniform(0, 1, real.shape).astype(np.float32)
    trained_on_real = predictive_score(real, real, iterations=60, batch_size=32, lr=1e-2, seed=0)
    trained_on_noise = predictive_score(noise, real, iterations=60, batch_size=32, lr=1e-2, seed=0)
    assert trained_on_real < trained_on_noise


def test_correlational_score_is_hand_computable() -> None:
    t = np.linspace(0, 1, 10)
    x = np.sin(6 * t)[None, :, None].repeat(3, axis=0)
    same = np.concatenate([x, x], axis=2)
    opposite = np.concatenate([x, -x], axis=2)
    np.testing.assert_allclose(cross_correlation(same), [1.0, 1.0, 1.0], atol=1e-6)
    assert correlational_score(same, same) == pytest.approx(0.0, abs=1e-9)
    assert correlational_score(same, opposite) == pytest.approx(0.2, abs=1e-6)  # |1 - (-1)| / 10


def test_memorisation_flags_copies_and_passes_new_windows() -> None:
    rng = np.random.default_rng(0)
    train = rng.standard_normal((200, 6, 2)).astype(np.float32)
    heldout = rng.standard_normal((50, 6, 2)).astype(np.float32)
    copies = memorisation(train, train[:50], heldout)
    fresh = memorisation(train, rng.standard_normal((50, 6, 2)).astype(np.float32), heldout)
    assert copies.copy_fraction == 1.0 and copies.ratio == 0.0
    assert fresh.copy_fraction == 0.0 and 0.7 < fresh.ratio < 1.4


def test_frechet_distance_of_a_shift_is_the_squared_shift() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + 1.0) == pytest.approx(3.0, rel=1e-6)


def test_context_fid_is_larger_for_other_data_than_for_the_same_distribution() -> None:
    real = make_sines(200, length=8, channels=2, seed=0)
    same = make_sines(200, length=8, channels=2, seed=1)
    noise = np.random.default_rng(0).uniform(0, 1, real.shape).astype(np.float32)
    encoder = fit_window_encoder(real, steps=15, batch_size=32, seed=0)
    assert context_fid(real, same, encoder=encoder).value < context_fid(real, noise, encoder=encoder).value


def test_gaussian_baseline_reproduces_mean_and_covariance() -> None:
    rng = np.random.default_rng(0)
    windows = (rng.standard_normal((2000, 3, 2)) * [1.0, 2.0] + [0.5, -1.0]).astype(np.float32)
    model = GaussianWindows.fit(windows)
    samples = model.sample(4000, seed=1)
    assert samples.shape == (4000, 3, 2)
    np.testing.assert_allclose(samples.mean(axis=(0, 1)), [0.5, -1.0], atol=0.1)
    np.testing.assert_allclose(samples.std(axis=(0, 1)), [1.0, 2.0], rtol=0.1)
