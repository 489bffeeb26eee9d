"""Fidelity of synthetic windows: the TimeGAN / Diffusion-TS scores, implemented here in torch.

All functions take windows as (W, T, C) float arrays, already on the protocol's scale (min-max to
[0, 1] in the standard protocol), and are pure apart from the seeded training of their post-hoc
networks:

- :func:`discriminative_score` (Yoon et al. 2019): a post-hoc GRU classifier learns real vs
  synthetic on 80 % of each, and the score is ``|accuracy - 0.5|`` on the other 20 %. 0 means the
  classifier cannot tell them apart. With held-out *real* windows in place of the synthetic ones it
  gives the floor a perfect generator would reach with the same classifier.
- :func:`predictive_score` (train on synthetic, test on real): a post-hoc GRU predicts the next
  value of the last channel from the previous steps of the other channels; the score is its mean
  absolute error on all real windows. Trained on real windows, it gives the real-data reference.
- :func:`correlational_score` (Diffusion-TS): the absolute difference of the lag-0
  cross-correlation matrices of the channels, summed and divided by 10.
- :func:`memorisation`: nearest-neighbour distances to the training windows, to tell a generator
  from a copier.

Context-FID lives in :mod:`moesaic.tasks.synth.context_fid`. Axes: W windows, T steps, C channels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

logger = logging.getLogger(__name__)

TRAIN_SHARE = 0.8  # the 80/20 split of TimeGAN's discriminative score


def check_windows(name: str, windows: object, *, channels: int | None = None) -> np.ndarray:
    """``windows`` as a finite float32 (W, T, C) array, or a ValueError naming ``name``."""
    array = np.asarray(windows, dtype=np.float32)
    if array.ndim != 3 or min(array.shape) < 1:
        raise ValueError(f"`{name}` must be windows of shape (windows, time, channels), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` holds {int((~np.isfinite(array)).sum())} non-finite values")
    if channels is not None and array.shape[2] != channels:
        raise ValueError(
            f"`{name}` must have {channels} channels like the real windows, got {array.shape[2]}"
        )
    return array


class PosthocGRU(nn.Module):
    """A GRU read by a linear layer: the post-hoc network of both scores.

    TimeGAN's reference metrics use one GRU layer of ``C // 2`` units; ``layers`` keeps that default.

    Args:
        channels: C inputs per step.
        hidden: GRU width; TimeGAN uses ``C // 2`` (at least 1 here).
        outputs: values per step (``per_step``) or per window.
        per_step: one output per step (prediction) instead of one per window (classification).
        layers: stacked GRU layers.
    """

    def __init__(self, *, channels: int, hidden: int, outputs: int, per_step: bool, layers: int = 1) -> None:
        super().__init__()
        self.gru = nn.GRU(channels, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, outputs)
        self.per_step = per_step

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, outputs) if per_step else (B, outputs)."""
        states, last = self.gru(x)  # (B, T, H), (layers, B, H)
        return self.out(states if self.per_step else last[-1])


def _hidden(channels: int) -> int:
    return max(1, channels // 2)


def _fit(
    net: nn.Module,
    loss_of: Callable[[Tensor], Tensor],
    count: int,
    *,
    iterations: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
) -> None:
    """Adam (the reference uses its default rate, 1e-3) on random mini-batches of indices < count."""
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for _ in range(iterations):
        index = torch.randint(count, (min(batch_size, count),), generator=generator)
        loss = loss_of(index)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    net.eval()


class DiscriminativeResult(NamedTuple):
    score: float  # |accuracy - 0.5| on the held-out 20 %
    accuracy: float  # balanced: the mean of the two accuracies below
    real_accuracy: float  # share of held-out real windows called real
    synthetic_accuracy: float  # share of held-out synthetic windows called synthetic


def discriminative_score(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    iterations: int = 2000,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
) -> DiscriminativeResult:
    """Post-hoc real-vs-synthetic classification, after TimeGAN's ``discriminative_metrics``.

    Args:
        real: (W, T, C) real windows.
        synthetic: (W', T, C) synthetic (or held-out real) windows.
        iterations: Adam steps of the classifier (2000 in the reference).
        batch_size: windows of each kind per step (128 in the reference).
        lr: Adam learning rate (1e-3 in the reference).
        seed: seeds the split, the initialisation and the batches.
    """
    real = check_windows("real", real)
    synthetic = check_windows("synthetic", synthetic, channels=real.shape[2])
    if synthetic.shape[1] != real.shape[1]:
        raise ValueError(
            f"`synthetic` windows have {synthetic.shape[1]} steps, the real ones {real.shape[1]}"
        )
    if min(len(real), len(synthetic)) < 2:
        raise ValueError("the discriminative score needs at least 2 real and 2 synthetic windows")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    parts = []
    for windows in (real, synthetic):
        order = torch.randperm(len(windows), generator=generator)
        cut = max(1, min(len(windows) - 1, int(TRAIN_SHARE * len(windows))))
        parts.append(
            (torch.from_numpy(windows[order[:cut].numpy()]), torch.from_numpy(windows[order[cut:].numpy()]))
        )
    (real_fit, real_test), (synth_fit, synth_test) = parts
    net = PosthocGRU(channels=real.shape[2], hidden=_hidden(real.shape[2]), outputs=1, per_step=False)

    def loss_of(index: Tensor) -> Tensor:
        # Each step draws a batch of each kind, as the reference does, so classes stay balanced.
        other = torch.randint(len(synth_fit), (len(index),), generator=generator)
        x = torch.cat([real_fit[index], synth_fit[other]])
        y = torch.cat([torch.ones(len(index)), torch.zeros(len(index))])
        return F.binary_cross_entropy_with_logits(net(x).squeeze(-1), y)

    _fit(
        net, loss_of, len(real_fit), iterations=iterations, batch_size=batch_size, lr=lr, generator=generator
    )
    with torch.no_grad():
        real_right = (net(real_test).squeeze(-1) > 0).float().mean().item()
        synth_right = (net(synth_test).squeeze(-1) <= 0).float().mean().item()
    # The mean of the two per-class accuracies: the reference's plain accuracy when both sides have
    # as many windows (as in the protocol), and not inflated by the larger side when they differ.
    accuracy = 0.5 * (real_right + synth_right)
    return DiscriminativeResult(abs(accuracy - 0.5), accuracy, real_right, synth_right)


def predictive_score(
    train: np.ndarray,
    test: np.ndarray,
    *,
    iterations: int = 5000,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
) -> float:
    """One-step-ahead MAE of the last channel, trained on ``train``, measured on all of ``test``.

    After TimeGAN's ``predictive_metrics``: inputs are the first C - 1 channels at steps 0..T-2,
    targets the last channel at steps 1..T-1. Train on synthetic and test on real for the score;
    train on real for the reference value.

    Args:
        train: (W, T, C) windows to fit on, C >= 2.
        test: (W', T, C) windows to measure on.
        iterations, batch_size, lr: Adam steps, batch and rate (5000, 128, 1e-3 in the reference).
        seed: seeds the initialisation and the batches.
    """
    train = check_windows("train", train)
    test = check_windows("test", test, channels=train.shape[2])
    C = train.shape[2]
    if C < 2 or train.shape[1] < 2:
        raise ValueError(f"the predictive score needs >= 2 channels and >= 2 steps, got shape {train.shape}")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x_fit, y_fit = torch.from_numpy(train[:, :-1, : C - 1]), torch.from_numpy(train[:, 1:, C - 1 :])
    net = PosthocGRU(channels=C - 1, hidden=_hidden(C), outputs=1, per_step=True)

    def loss_of(index: Tensor) -> Tensor:
        return (net(x_fit[index]) - y_fit[index]).abs().mean()

    _fit(net, loss_of, len(train), iterations=iterations, batch_size=batch_size, lr=lr, generator=generator)
    with torch.no_grad():
        error = (net(torch.from_numpy(test[:, :-1, : C - 1])) - torch.from_numpy(test[:, 1:, C - 1 :])).abs()
    return float(error.mean())


def cross_correlation(windows: np.ndarray) -> np.ndarray:
    """Lag-0 cross-correlations of the channel pairs (i >= j), as Diffusion-TS's ``cacf``.

    Each channel is standardised over all windows and steps; the products of every pair are
    averaged over steps, then over windows. Returns (C (C + 1) / 2,).
    """
    windows = check_windows("windows", windows).astype(np.float64)
    spread = windows.std(axis=(0, 1), keepdims=True)
    z = (windows - windows.mean(axis=(0, 1), keepdims=True)) / np.where(spread > 0, spread, 1.0)
    rows, cols = np.tril_indices(windows.shape[2])
    return (z[..., rows] * z[..., cols]).mean(axis=(0, 1))


def correlational_score(real: np.ndarray, synthetic: np.ndarray) -> float:
    """``sum |corr(real) - corr(synthetic)| / 10`` over the channel pairs (Diffusion-TS)."""
    real = check_windows("real", real)
    synthetic = check_windows("synthetic", synthetic, channels=real.shape[2])
    return float(np.abs(cross_correlation(real) - cross_correlation(synthetic)).sum() / 10.0)


class Memorisation(NamedTuple):
    synthetic_distance: float  # median distance of a synthetic window to its nearest training window
    heldout_distance: float  # the same for held-out real windows: the distance of a new real window
    ratio: float  # synthetic / held-out; well below 1 means copies of training windows
    copy_fraction: float  # share of synthetic windows nearer to a training window than ``tolerance``


def nearest_distances(queries: np.ndarray, reference: np.ndarray, *, chunk: int = 1024) -> np.ndarray:
    """Euclidean distance of each (T, C) query window to its nearest reference window. Returns (W,)."""
    ref = torch.from_numpy(check_windows("reference", reference)).flatten(1)
    out = []
    for start in range(0, len(queries), chunk):
        q = torch.from_numpy(np.asarray(queries[start : start + chunk], dtype=np.float32)).flatten(1)
        out.append(torch.cdist(q, ref, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values)
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def memorisation(
    train: np.ndarray, synthetic: np.ndarray, heldout: np.ndarray, *, tolerance: float = 1e-3
) -> Memorisation:
    """Are synthetic windows new, or copies of training windows?

    Args:
        train: (W, T, C) windows the generator was fitted on.
        synthetic: (W', T, C) its samples.
        heldout: (W'', T, C) real windows it never saw, for the scale of a genuinely new window.
        tolerance: a synthetic window nearer than this (Euclidean, over all T x C values) to a
            training window counts as a copy.
    """
    train = check_windows("train", train)
    synthetic = check_windows("synthetic", synthetic, channels=train.shape[2])
    heldout = check_windows("heldout", heldout, channels=train.shape[2])
    synth = nearest_distances(synthetic, train)
    held = nearest_distances(heldout, train)
    s, h = float(np.median(synth)), float(np.median(held))
    return Memorisation(s, h, s / h if h > 0 else float("inf"), float((synth < tolerance).mean()))
