"""Moment calibration: the affine map that gives a generator's samples the training windows' mean
and covariance.

A flow with ten Euler steps and a small trunk gets the joint second-order structure of a window
only roughly (on ETTh1 the cross-channel correlations come out too weak; on Stocks the windows
come out rougher than the real ones), and the post-hoc discriminator of the TimeGAN protocol
reads much of that: one Gaussian over whole windows already scores well on ETTh1 and Sines. The
fix is the optimal transport map between two Gaussians: with ``S`` the covariance of the samples
and ``R`` that of the training windows,

    x -> m_R + A (x - m_S),   A = S^-1/2 (S^1/2 R S^1/2)^1/2 S^-1/2,

the symmetric linear map of least displacement that turns covariance ``S`` into ``R``. It keeps
what the flow learnt beyond second moments (the shape of each window), and stays near the
identity when the flow is already right. Both moments are estimated on the training windows and
on one fixed draw of samples made at the end of ``fit``; nothing is fitted on evaluation data.

Scopes: ``window`` maps whole windows (T x C values together) and needs many complete windows per
value (:data:`WINDOWS_PER_VALUE`) and at most :data:`MAX_WINDOW_VALUES` values; ``channel`` maps
each time step's C values with one C x C map; ``fit`` picks the widest scope the data allow. The
map is fitted on the training windows' mix of conditions, and a conditional sample is moved by
the same map.

Axes: W windows, T steps, C channels, D values per mapped vector (T * C or C).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

SCOPES = ("window", "channel")
WINDOWS_PER_VALUE = 4  # complete vectors needed per mapped value before a scope is estimated
MAX_WINDOW_VALUES = 2048  # above this, a (D, D) covariance and its roots cost too much: per time step
_EIGEN_FLOOR = 1e-6  # eigenvalues below this share of the largest are floored (rank-deficient data)


class MomentCalibration(nn.Module):
    """``x -> target_mean + (x - source_mean) @ transport`` on windows or on time steps.

    Buffers (saved with the generator): ``source_mean`` and ``target_mean`` (D,), ``transport``
    (D, D), symmetric. The scope follows from D: the window's T * C values, or its C channels.
    """

    source_mean: Tensor
    target_mean: Tensor
    transport: Tensor

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("source_mean", torch.zeros(size))
        self.register_buffer("target_mean", torch.zeros(size))
        self.register_buffer("transport", torch.eye(size))

    @classmethod
    def fit(cls, samples: np.ndarray, windows: np.ndarray, scope: str) -> MomentCalibration:
        """The map from ``samples`` (W', T, C) to complete training ``windows`` (W, T, C)."""
        if scope not in SCOPES:
            raise ValueError(f"`scope` must be one of {list(SCOPES)}, got {scope!r}")
        source, target = _vectors(samples, scope), _vectors(windows, scope)
        calibration = cls(source.shape[1])
        s_mean, t_mean = source.mean(axis=0), target.mean(axis=0)
        # np.cov of one variable is a scalar: keep it (1, 1)
        covariances = (np.atleast_2d(np.cov(v, rowvar=False)) for v in (source, target))
        transport = gaussian_transport(*covariances)
        for name, value in (("source_mean", s_mean), ("target_mean", t_mean), ("transport", transport)):
            getattr(calibration, name).copy_(torch.from_numpy(np.asarray(value, dtype=np.float32)))
        return calibration

    def forward(self, x: Tensor) -> Tensor:
        """(n, T, C) samples -> (n, T, C) calibrated samples."""
        size = self.transport.shape[0]
        flat = x.reshape(len(x), size) if size == x.shape[1] * x.shape[2] else x.reshape(-1, size)
        return ((flat - self.source_mean) @ self.transport + self.target_mean).reshape(x.shape)


def gaussian_transport(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The symmetric matrix A with A @ source @ A = target (both (D, D) covariances).

    >>> a = gaussian_transport(np.diag([1.0, 4.0]), np.diag([4.0, 1.0]))
    >>> np.round(a, 6).tolist()
    [[2.0, 0.0], [0.0, 0.5]]
    """
    root, inverse_root = _roots(source)
    # no floor here: a direction the target does not vary in (collinear channels) must map to ~0
    middle = _roots(root @ target @ root, floor=0.0)[0]
    return inverse_root @ middle @ inverse_root


def choose_scope(windows: np.ndarray) -> str | None:
    """The widest scope that the complete training ``windows`` (W, T, C) can estimate, or None."""
    W, T, C = windows.shape
    if W >= WINDOWS_PER_VALUE * T * C and T * C <= MAX_WINDOW_VALUES:
        return "window"
    if W * T >= WINDOWS_PER_VALUE * C:
        return "channel"
    return None


def _vectors(x: np.ndarray, scope: str) -> np.ndarray:
    values = np.asarray(x, dtype=np.float64)
    return values.reshape(len(values), -1) if scope == "window" else values.reshape(-1, values.shape[2])


def _roots(matrix: np.ndarray, floor: float = _EIGEN_FLOOR) -> tuple[np.ndarray, np.ndarray]:
    """The square root and inverse square root of a symmetric positive semi-definite matrix; the
    eigenvalues are raised to ``floor`` times the largest (the inverse root: at least 1e-12 times)."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    top = max(float(eigenvalues.max()), 1e-12)
    kept = np.clip(eigenvalues, floor * top, None)
    inverse = np.clip(eigenvalues, max(floor, 1e-12) * top, None)
    return (vectors * np.sqrt(kept)) @ vectors.T, (vectors / np.sqrt(inverse)) @ vectors.T
