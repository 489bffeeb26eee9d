"""Classical augmentation and the pieces of the synthesis and augmentation suites."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.eval.suites.augmentation import NUM_CLASSES, WindowCNN, _arm_rows
from moesaic.eval.suites.synthesis import PUBLISHED, _mean_ci, published_rows
from moesaic.tasks.synth.augment import augment_classical, jitter, magnitude_warp, scaling, smote, window_warp


@pytest.fixture
def windows() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 12)
    base = np.stack([np.sin(t), np.cos(t)], axis=1)
    return np.stack([base * (1 + 0.1 * i) for i in range(6)]).astype(np.float32)  # (6, 12, 2)


def test_transforms_keep_shape_and_change_values(windows: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    for transform in (jitter, scaling, magnitude_warp, window_warp):
        out = transform(windows, rng)
        assert out.shape == windows.shape, transform.__name__
        assert np.isfinite(out).all() and not np.allclose(out, windows), transform.__name__


def test_scaling_and_magnitude_warp_keep_window_means(windows: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(scaling(windows, rng).mean(axis=1), windows.mean(axis=1), atol=1e-5)


def test_smote_points_lie_between_real_windows(windows: np.ndarray) -> None:
    made = smote(windows, np.random.default_rng(0), count=20, neighbours=2)
    assert made.shape == (20, 12, 2)
    # every window is a convex mix of two real ones: its scale factor lies within the real range
    ratio = made[:, 0, 1] / windows[0, 0, 1]
    assert ratio.min() >= 1.0 - 1e-5 and ratio.max() <= 1.5 + 1e-5


def test_augment_classical_makes_per_class_windows_of_each_class(windows: np.ndarray) -> None:
    labels = np.array([0, 0, 0, 1, 1, 2])
    out = augment_classical(windows, labels, [1, 2], per_class=10, seed=0)
    assert out.windows.shape == (20, 12, 2)
    assert sorted(np.unique(out.labels, return_counts=True)[1]) == [10, 10]
    with pytest.raises(ValueError, match="class 7 has no window"):
        augment_classical(windows, labels, [7], per_class=3)


def test_mean_ci_is_the_student_interval() -> None:
    mean, half = _mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)
    assert _mean_ci([0.5]) == (0.5, None)


def test_published_rows_quote_the_issue_values() -> None:
    rows = published_rows(("sines", "stocks", "etth1"))
    assert [r.value for r in rows if r.system == "diffusion-ts"] == [0.006, 0.067, 0.061]
    assert {r.system for r in rows} == set(PUBLISHED) == {"diffusion-ts", "timegan", "timevae"}
    assert all(r.source.startswith("published:") and r.params_total is None for r in rows)


def test_classifier_and_arm_rows() -> None:
    net = WindowCNN(channels=3, classes=NUM_CLASSES)
    assert net(torch.zeros(4, 24, 3)).shape == (4, NUM_CLASSES)
    cost = {"params_total": 1, "params_active": 1, "peak_rss_mb": 1.0, "train_seconds": 1.0}
    per_seed = [{"real_only": ({"macro_f1": 0.2}, cost)}, {"real_only": ({"macro_f1": 0.4}, cost)}]
    (row,) = _arm_rows(per_seed, setting="k=5,seeds=2")
    assert row.value == pytest.approx(0.3) and row.metric == "macro_f1" and row.system == "real_only"


def test_synthesis_suite_fits_the_flow_with_the_grid_power_asked_for() -> None:
    from moesaic.eval.suites.synthesis import fit_system, plan

    quick, full = plan(quick=True), plan(quick=False)
    assert quick.grid_power == full.grid_power == 2.0 and quick.calibration == full.calibration == "auto"
    windows = np.random.default_rng(0).random((40, 24, 2)).astype(np.float32)
    even, packed = (
        fit_system(
            "moesaic-flow", windows, steps=2, seed=0, p=full._replace(grid_power=g, calibration="none")
        )
        for g in (1.0, 2.0)
    )
    assert even.nfe == packed.nfe == 10 and even.draw(3, 0).shape == (3, 24, 2)
    # the same weights (same seed) and noise: only where the Euler steps fall differs
    assert not np.allclose(even.draw(3, 0), packed.draw(3, 0))
