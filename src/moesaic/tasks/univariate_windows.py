"""Univariate forecasting windows: every channel of a series cut into (context, future) pairs.

The pretrained forecaster (:mod:`moesaic.tasks.pretrain_forecast`) reads one channel per sample,
so a (T, C) series gives C windows per start. :func:`cut_windows` cuts them every ``stride``
steps and keeps those with a reading in both their context and their future, :func:`concat` joins
the windows of several series, and :meth:`Windows.batches` hands them to the model as batches of
one channel each. :func:`zscore` standardises each channel on reference rows before cutting.

Axes: T time steps, C channels, W windows, L context length, H horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from moesaic.data.batch import Batch
from moesaic.tasks.rul_windows import ChannelScaler


class Windows(NamedTuple):
    """W univariate windows: context, future and their observed masks, and the series each comes from."""

    context: torch.Tensor  # (W, L) float32, 0 where unobserved
    context_observed: torch.Tensor  # (W, L) bool
    future: torch.Tensor  # (W, H)
    future_observed: torch.Tensor  # (W, H) bool
    groups: tuple[str, ...]  # W asset or engine ids

    def __len__(self) -> int:
        return int(self.context.shape[0])

    def take(self, index: torch.Tensor) -> Windows:
        chosen = index.tolist()
        return Windows(self.context[index], self.context_observed[index], self.future[index],
                       self.future_observed[index], tuple(self.groups[i] for i in chosen))  # fmt: skip

    def batches(self, batch_size: int, *, generator: torch.Generator | None = None) -> list[Batch]:
        """Batches of one channel each, targets ``future`` and ``future_observed`` (B, H, 1)."""
        order = (
            torch.randperm(len(self), generator=generator)
            if generator is not None
            else torch.arange(len(self))
        )
        out = []
        for start in range(0, len(self), batch_size):
            i = order[start : start + batch_size]
            targets = {"future": self.future[i, :, None], "future_observed": self.future_observed[i, :, None]}
            out.append(Batch(series=self.context[i, :, None], observed=self.context_observed[i, :, None],
                             targets=targets))  # fmt: skip
        return out


def cut_windows(values: np.ndarray, group: str, *, context_length: int, horizon: int, stride: int) -> Windows:
    """Windows of every channel of (T, C) ``values`` (NaN = unobserved) every ``stride`` steps."""
    T = values.shape[0]
    length = context_length + horizon
    starts = np.arange(0, T - length + 1, stride)
    if values.ndim != 2 or starts.size == 0:
        return _empty(context_length, horizon)
    cut = np.stack([values[s : s + length] for s in starts])  # (S, L + H, C)
    cut = cut.transpose(0, 2, 1).reshape(-1, length)  # (S * C, L + H)
    observed = np.isfinite(cut)
    filled = torch.from_numpy(np.where(observed, cut, 0.0).astype(np.float32))
    seen = torch.from_numpy(observed)
    keep = seen[:, :context_length].any(dim=1) & seen[:, context_length:].any(dim=1)
    W = int(keep.sum())
    return Windows(filled[keep, :context_length], seen[keep, :context_length], filled[keep, context_length:],
                   seen[keep, context_length:], (group,) * W)  # fmt: skip


def concat(parts: Sequence[Windows], *, context_length: int, horizon: int) -> Windows:
    """The windows of every part, in order."""
    if not parts:
        return _empty(context_length, horizon)
    return Windows(
        torch.cat([p.context for p in parts]),
        torch.cat([p.context_observed for p in parts]),
        torch.cat([p.future for p in parts]),
        torch.cat([p.future_observed for p in parts]),
        tuple(g for p in parts for g in p.groups),
    )


def _empty(context_length: int, horizon: int) -> Windows:
    zeros = torch.zeros(0, context_length)
    later = torch.zeros(0, horizon)
    return Windows(zeros, zeros.bool(), later, later.bool(), ())


def zscore(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(T, C) ``values`` standardised per channel with the mean and std of (N, C) ``reference``."""
    return ChannelScaler.fit(reference, "zscore").transform(values)
