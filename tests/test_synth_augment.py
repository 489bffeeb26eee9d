"""Classical augmentation and the pieces of the synthesis and augmentation suites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moesaic.data.sets import skab
from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites.augmentation import TEP_CLASSES, WindowCNN, _arm_rows, skab_windows
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
    net = WindowCNN(channels=3, classes=TEP_CLASSES)
    assert net(torch.zeros(4, 24, 3)).shape == (4, TEP_CLASSES)
    cost = {"params_total": 1, "params_active": 1, "peak_rss_mb": 1.0, "train_seconds": 1.0}
    per_seed = [{"real_only": ({"macro_f1": 0.2}, cost)}, {"real_only": ({"macro_f1": 0.4}, cost)}]
    (row,) = _arm_rows(per_seed, dataset="tep", setting="k=5,seeds=2")
    assert row.value == pytest.approx(0.3) and row.metric == "macro_f1" and row.system == "real_only"
    assert row.dataset == "tep"


def write_skab(path: Path, rows: int, anomaly_from: int | None) -> None:
    """A SKAB-format file whose every channel is the row number."""
    path.parent.mkdir(parents=True, exist_ok=True)
    label = ";anomaly;changepoint" if anomaly_from is not None else ""
    lines = ["datetime;" + ";".join(skab.CHANNELS) + label]
    for i in range(rows):
        flags = f";{int(i >= anomaly_from)};0" if anomaly_from is not None else ""
        lines.append(
            f"2020-01-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d};" + ";".join([str(i)] * 8) + flags
        )
    path.write_text("\n".join(lines) + "\n")


def test_skab_windows_split_every_labelled_stretch_in_time(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write_skab(root / "skab" / "anomaly-free" / "anomaly-free.csv", 200, None)
    for folder, stem in (("valve1", "0"), ("valve2", "0"), ("other", "14")):
        write_skab(root / "skab" / folder / f"{stem}.csv", 200, 100)
    data = skab_windows(SuiteContext(data=root))
    assert data.classes == (
        "none", "valve inlet closing", "valve outlet closing", "water supply at increased temperature"
    )  # fmt: skip
    # the fault segment is rows 100-199: training windows from rows 100-159, test windows from 160 on
    assert len(data.train[1]) == 2 and len(data.dense[1]) == 10
    test = data.test_x[data.test_y == 1]
    assert len(test) == 1 and data.train[1][..., 0].max() < test[..., 0].min()
    # normal: rows 0-119 of the anomaly-free file (5 windows) and 0-59 of each fault file (2 each)
    assert len(data.train[0]) == 5 + 3 * 2
    assert data.runs is not None and data.runs[0].tolist() == [0] * 5 + [1, 1, 2, 2, 3, 3]  # the files
    assert data.runs[1].tolist() == [1, 1]


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
