"""The classical generator baseline: one multivariate Gaussian over whole windows.

Each (T, C) window is flattened to T x C values; their mean and covariance (with a small ridge
so that the Cholesky factor exists) are fitted on the training windows, and samples are drawn
from that Gaussian. It reproduces every linear auto- and cross-correlation inside a window, with
one network-free evaluation per sample, and copies no window.

Axes: W windows, T steps, C channels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.tasks.synth.fidelity import check_windows


class GaussianWindows(NamedTuple):
    """A fitted window Gaussian; build it with :meth:`fit`."""

    mean: np.ndarray  # (T * C,)
    factor: np.ndarray  # (T * C, T * C) lower Cholesky factor of the covariance
    shape: tuple[int, int]  # (T, C)

    @classmethod
    def fit(cls, windows: np.ndarray, *, ridge: float = 1e-6) -> GaussianWindows:
        """Mean and ridge-regularised covariance of (W, T, C) windows, W >= 2."""
        windows = check_windows("windows", windows)
        if len(windows) < 2:
            raise ValueError("the Gaussian baseline needs at least 2 windows")
        flat = windows.reshape(len(windows), -1).astype(np.float64)
        cov = np.cov(flat, rowvar=False) + ridge * np.eye(flat.shape[1])
        return cls(flat.mean(axis=0), np.linalg.cholesky(cov), (windows.shape[1], windows.shape[2]))

    def sample(self, n: int, *, seed: int = 0) -> np.ndarray:
        """(n, T, C) float32 samples."""
        if n < 1:
            raise ValueError(f"`n` must be >= 1, got {n}")
        noise = np.random.default_rng(seed).standard_normal((n, self.mean.size))
        return (self.mean + noise @ self.factor.T).reshape(n, *self.shape).astype(np.float32)

    @property
    def num_parameters(self) -> int:
        d = self.mean.size
        return d + d * (d + 1) // 2
