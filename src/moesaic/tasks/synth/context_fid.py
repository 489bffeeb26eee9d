"""Context-FID (Jeha et al. 2022, used by Diffusion-TS): the Fréchet distance of window embeddings.

The reference embeds windows with a TS2Vec encoder trained on the real data. Here the encoder is
our own, smaller, TS2Vec-like network: a dilated convolutional encoder trained on the real windows
only, by instance contrast between two randomly masked and cropped views of each window, and
max-pooled over time. Values are therefore comparable between systems of one run, not with the
published Context-FID numbers.

Axes: W windows, T steps, C channels, H hidden width, E embedding width.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.tasks.synth.fidelity import check_windows


class DilatedBlock(nn.Module):
    """Two dilated 'same' convolutions with GELU and a residual connection."""

    def __init__(self, *, width: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:  # (B, H, T)
        return x + self.conv2(F.gelu(self.conv1(F.gelu(x))))


class WindowEncoder(nn.Module):
    """(B, T, C) windows -> (B, E) embeddings: input projection, dilated blocks, max over time."""

    def __init__(self, *, channels: int, hidden: int = 32, embedding: int = 64, depth: int = 3) -> None:
        super().__init__()
        self.project = nn.Linear(channels, hidden)
        self.blocks = nn.Sequential(*(DilatedBlock(width=hidden, dilation=2**i) for i in range(depth)))
        self.head = nn.Conv1d(hidden, embedding, 1)

    def forward(self, x: Tensor, keep: Tensor | None = None) -> Tensor:
        """``keep`` (B, T) bool masks time steps out of the projected input (TS2Vec's masking)."""
        h = self.project(x)  # (B, T, H)
        if keep is not None:
            h = h * keep.unsqueeze(-1)
        z = self.head(self.blocks(h.transpose(1, 2)))  # (B, E, T)
        return z.max(dim=2).values


def _view(x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """A random crop of at least half the window, and a mask keeping about 90 % of its steps."""
    T = x.shape[1]
    length = int(torch.randint(max(1, T // 2), T + 1, (1,), generator=generator))
    start = int(torch.randint(0, T - length + 1, (1,), generator=generator))
    crop = x[:, start : start + length]
    keep = torch.rand(crop.shape[:2], generator=generator) > 0.1
    return crop, keep


def fit_window_encoder(
    real: np.ndarray, *, steps: int = 300, batch_size: int = 64, temperature: float = 0.2, seed: int = 0
) -> WindowEncoder:
    """Train a :class:`WindowEncoder` on real windows by InfoNCE between two views of each window."""
    real = check_windows("real", real)
    if len(real) < 2:
        raise ValueError("the encoder needs at least 2 real windows")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    data = torch.from_numpy(real)
    encoder = WindowEncoder(channels=real.shape[2])
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=1e-3)
    for _ in range(steps):
        x = data[torch.randint(len(data), (min(batch_size, len(data)),), generator=generator)]
        a = F.normalize(encoder(*_view(x, generator)), dim=-1)  # (B, E)
        b = F.normalize(encoder(*_view(x, generator)), dim=-1)
        logits = a @ b.T / temperature  # the other windows of the batch are the negatives
        target = torch.arange(len(x))
        loss = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return encoder.eval()


def embed(encoder: WindowEncoder, windows: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """(W, T, C) windows -> (W, E) float64 embeddings."""
    windows = check_windows("windows", windows)
    with torch.no_grad():
        parts = [encoder(torch.from_numpy(windows[i : i + chunk])) for i in range(0, len(windows), chunk)]
    return torch.cat(parts).double().numpy()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` of two (W, E) samples of embeddings."""
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"expected two (samples, features) arrays of equal width, got {a.shape} and {b.shape}"
        )
    if min(len(a), len(b)) < 2:
        raise ValueError("the Fréchet distance needs at least 2 samples on each side")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    # sqrtm of a product of covariance matrices is real up to rounding; drop the rounding's imaginary part.
    root = np.real(root)
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * root))
    return max(value, 0.0)


class ContextFID(NamedTuple):
    value: float
    encoder: WindowEncoder


def context_fid(
    real: np.ndarray, synthetic: np.ndarray, *, encoder: WindowEncoder | None = None, seed: int = 0
) -> ContextFID:
    """Fréchet distance between the embeddings of real and synthetic windows.

    Args:
        real: (W, T, C) real windows; the encoder is trained on them when not given.
        synthetic: (W', T, C) synthetic windows.
        encoder: a :class:`WindowEncoder` from :func:`fit_window_encoder`, to share between systems.
        seed: seeds the encoder's training.
    """
    real = check_windows("real", real)
    synthetic = check_windows("synthetic", synthetic, channels=real.shape[2])
    encoder = encoder if encoder is not None else fit_window_encoder(real, seed=seed)
    return ContextFID(frechet_distance(embed(encoder, real), embed(encoder, synthetic)), encoder)
