"""Classical augmentation of labelled windows (Um et al. 2017; Le Guennec et al. 2016; SMOTE).

Every function takes (W, T, C) windows and a numpy Generator and returns new (W, T, C) windows;
:func:`augment_classical` draws a balanced mix of them for each rare class. Axes: W windows,
T steps, C channels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.interpolate import CubicSpline

from moesaic.tasks.synth.fidelity import check_windows


def jitter(windows: np.ndarray, rng: np.random.Generator, *, sigma: float = 0.03) -> np.ndarray:
    """Add Gaussian noise of ``sigma`` times each channel's spread over the batch."""
    spread = windows.std(axis=(0, 1), keepdims=True) + 1e-8
    return windows + sigma * spread * rng.standard_normal(windows.shape)


def scaling(windows: np.ndarray, rng: np.random.Generator, *, sigma: float = 0.1) -> np.ndarray:
    """Multiply each window's channels by factors ~ N(1, sigma) around the channel mean."""
    mean = windows.mean(axis=1, keepdims=True)
    factor = rng.normal(1.0, sigma, (len(windows), 1, windows.shape[2]))
    return mean + (windows - mean) * factor


def _smooth_curves(
    rng: np.random.Generator, count: int, length: int, channels: int, sigma: float, knots: int
) -> np.ndarray:
    """(count, length, channels) smooth random curves around 1: cubic splines through ``knots`` points."""
    at = np.linspace(0, length - 1, knots + 2)
    values = rng.normal(1.0, sigma, (count, knots + 2, channels))
    return CubicSpline(at, values, axis=1)(np.arange(length))


def magnitude_warp(
    windows: np.ndarray, rng: np.random.Generator, *, sigma: float = 0.2, knots: int = 4
) -> np.ndarray:
    """Multiply deviations from the window mean by a smooth random curve around 1."""
    W, T, C = windows.shape
    mean = windows.mean(axis=1, keepdims=True)
    return mean + (windows - mean) * _smooth_curves(rng, W, T, C, sigma, knots)


def window_warp(
    windows: np.ndarray,
    rng: np.random.Generator,
    *,
    ratio: float = 0.1,
    scales: tuple[float, ...] = (0.5, 2.0),
) -> np.ndarray:
    """Speed up or slow down a random slice of ``ratio`` of the window, then resample to T steps."""
    _W, T, C = windows.shape
    out = np.empty_like(windows)
    width = max(2, round(ratio * T))
    for i, window in enumerate(windows):
        start = int(rng.integers(0, T - width + 1))
        scale = float(rng.choice(scales))
        warped_width = max(2, round(width * scale))
        middle = np.stack(
            [
                np.interp(
                    np.linspace(0, width - 1, warped_width),
                    np.arange(width),
                    window[start : start + width, c],
                )
                for c in range(C)
            ],
            axis=1,
        )
        joined = np.concatenate([window[:start], middle, window[start + width :]])
        grid = np.linspace(0, len(joined) - 1, T)
        out[i] = np.stack([np.interp(grid, np.arange(len(joined)), joined[:, c]) for c in range(C)], axis=1)
    return out


def smote(windows: np.ndarray, rng: np.random.Generator, *, count: int, neighbours: int = 5) -> np.ndarray:
    """SMOTE on whole windows: points on the segment between a window and one of its nearest neighbours."""
    W = len(windows)
    if W < 2:
        return windows[rng.integers(0, W, count)]
    flat = windows.reshape(W, -1)
    distance = ((flat[:, None] - flat[None]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    near = np.argsort(distance, axis=1)[:, : min(neighbours, W - 1)]
    base = rng.integers(0, W, count)
    other = near[base, rng.integers(0, near.shape[1], count)]
    gap = rng.uniform(0, 1, (count, 1, 1))
    return windows[base] + gap * (windows[other] - windows[base])


Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]
TRANSFORMS: dict[str, Transform] = {
    "jitter": jitter,
    "scaling": scaling,
    "magnitude_warp": magnitude_warp,
    "window_warp": window_warp,
}


class Augmented(NamedTuple):
    windows: np.ndarray  # (W', T, C)
    labels: np.ndarray  # (W',) int64


def augment_classical(
    windows: np.ndarray, labels: np.ndarray, classes: list[int] | np.ndarray, *, per_class: int, seed: int = 0
) -> Augmented:
    """``per_class`` new windows for each class of ``classes``: equal shares of SMOTE and the four transforms.

    Args:
        windows: (W, T, C) real windows.
        labels: (W,) int class of each window.
        classes: the classes to augment (each must have at least one window).
        per_class: new windows per class.
        seed: seeds every random choice.
    """
    windows = check_windows("windows", windows)
    labels = np.asarray(labels)
    if labels.shape != (len(windows),):
        raise ValueError(f"`labels` must have shape ({len(windows)},), got {labels.shape}")
    if per_class < 1:
        raise ValueError(f"`per_class` must be >= 1, got {per_class}")
    rng = np.random.default_rng(seed)
    new_windows, new_labels = [], []
    methods = [*TRANSFORMS, "smote"]
    for label in classes:
        own = windows[labels == label]
        if not len(own):
            raise ValueError(f"class {label} has no window to augment")
        shares = np.diff(np.linspace(0, per_class, len(methods) + 1).round().astype(int))
        for method, share in zip(methods, shares, strict=True):
            if share == 0:
                continue
            if method == "smote":
                made = smote(own, rng, count=int(share))
            else:
                made = TRANSFORMS[method](own[rng.integers(0, len(own), int(share))], rng)
            new_windows.append(made.astype(np.float32))
            new_labels.append(np.full(int(share), label, dtype=np.int64))
    return Augmented(np.concatenate(new_windows), np.concatenate(new_labels))
