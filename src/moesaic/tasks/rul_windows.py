"""RUL data preparation: channel scaling and selection, the series split, windows and batches.

The steps of the protocol in the docstring of :mod:`moesaic.tasks.rul` that turn labelled
run-to-failure series into model inputs, all fitted on the training series only; the estimator
that calls them is :class:`moesaic.tasks.rul.RULEstimator`.

Axes: S series, W windows, T window steps, C channels, B batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.data.batch import Batch
from moesaic.data.schema import Series

SCALINGS = ("minmax", "zscore")


class ChannelScaler(NamedTuple):
    """Per-channel affine scaling ``(x - offset) / scale``, fitted on training values."""

    offset: np.ndarray  # (C,)
    scale: np.ndarray  # (C,)

    @classmethod
    def fit(cls, values: np.ndarray, kind: str) -> ChannelScaler:
        """Min-max or z-score statistics of (N, C) ``values``, NaN ignored; constant channels get scale 1."""
        if kind not in SCALINGS:
            raise ValueError(f"`kind` must be one of {list(SCALINGS)}, got {kind!r}")
        if kind == "minmax":
            offset, spread = np.nanmin(values, axis=0), np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
        else:
            offset, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        scale = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
        return cls(np.nan_to_num(offset).astype(np.float64), scale.astype(np.float64))

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(..., C) values on the training scale, float32."""
        return ((values - self.offset) / self.scale).astype(np.float32)


class RULWindows(NamedTuple):
    """Windows ending at chosen steps of several series."""

    series: Tensor  # (W, T, C) scaled values, 0 where unobserved
    observed: Tensor  # (W, T, C) bool
    levels: Tensor  # (W, 2C) mean, then standard deviation, of each channel's observed scaled values
    rul: Tensor  # (W,) capped RUL at the window's end, in steps (NaN without a label)
    source: Tensor  # (W,) int64 index of the series each window comes from
    age: Tensor  # (W,) float32 steps of the series seen up to the window's end, that end included

    def __len__(self) -> int:
        return int(self.rul.shape[0])


def split_series(
    series: Sequence[Series], *, val_fraction: float, seed: int
) -> tuple[list[Series], list[Series]]:
    """Training and validation series: ``round(val_fraction * S)`` whole series drawn with ``seed``."""
    count = round(val_fraction * len(series))
    if val_fraction > 0 and not 1 <= count < len(series):
        raise ValueError(
            f"`val_fraction`={val_fraction} of {len(series)} series leaves no series to validate or to "
            "train on; give more series or set val_fraction=0"
        )
    held = set(np.random.default_rng(seed).permutation(len(series))[:count].tolist())
    return [s for i, s in enumerate(series) if i not in held], [s for i, s in enumerate(series) if i in held]


def series_values(series: Series, channels: Sequence[str]) -> np.ndarray:
    """(T, C) values of ``channels`` in that order, NaN where unobserved."""
    missing = [c for c in channels if c not in series.channels]
    if missing:
        raise ValueError(
            f"series {series.series_id!r} lacks channels {missing}; it has {list(series.channels)}"
        )
    index = [series.channels.index(c) for c in channels]
    return np.where(series.observed[:, index], series.values[:, index], np.nan).astype(np.float64)


def capped_rul(series: Series, cap: float) -> np.ndarray:
    """(T,) ``min(rul, cap)`` from the series' ``rul`` label."""
    if "rul" not in series.labels:
        raise ValueError(
            f"series {series.series_id!r} has no 'rul' label; its labels are {sorted(series.labels)}"
        )
    rul = np.asarray(series.labels["rul"], dtype=np.float64)
    if not np.isfinite(rul).all() or (rul < 0).any():
        raise ValueError(f"the 'rul' label of series {series.series_id!r} must be finite and >= 0")
    return np.minimum(rul, cap)


def select_channels(
    series: Sequence[Series], *, rul_cap: float, min_distinct: int, min_correlation: float
) -> tuple[str, ...]:
    """The channels of ``series`` (all alike) that vary and follow the capped RUL (module docstring)."""
    channels = series[0].channels
    values = np.concatenate([series_values(s, channels) for s in series])  # (N, C)
    rul = np.concatenate([capped_rul(s, rul_cap) for s in series])  # (N,)
    keep = []
    for c, name in enumerate(channels):
        seen = np.isfinite(values[:, c])
        x, y = values[seen, c], rul[seen]
        if np.unique(x).size < min_distinct or y.std() == 0:
            continue
        if abs(float(np.corrcoef(x, y)[0, 1])) >= min_correlation:
            keep.append(name)
    if not keep:
        raise ValueError(
            f"no channel of {list(channels)} varies (>= {min_distinct} distinct values) and correlates "
            f"with the capped RUL (|r| >= {min_correlation}); lower min_correlation or pass `channels`"
        )
    return tuple(keep)


def make_windows(
    values: Sequence[np.ndarray], *, window: int, rul: Sequence[np.ndarray] | None = None,
    last_only: bool = False, min_history: int | None = None,
) -> RULWindows:  # fmt: skip
    """Windows of scaled (T_s, C) ``values`` (NaN = unobserved), padded at the start when too short.

    Args:
        values: one array per series, already scaled.
        window: T.
        rul: the capped RUL of each series, (T_s,); None for unlabelled series.
        last_only: only the window ending at the last step of each series (prediction); otherwise
            every window ending at step ``min(min_history, T_s) - 1`` or later (training).
        min_history: see above; default ``window``.
    """
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for s, x in enumerate(values):
        if x.shape[0] == 0:
            raise ValueError(f"series {s} has no step; every series needs at least one")
        padded = np.concatenate([np.full((window - 1, x.shape[1]), np.nan), x])  # (T_s + window - 1, C)
        views = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)  # (T_s, C, window)
        first = min(min_history or window, x.shape[0]) - 1
        ends = np.array([x.shape[0] - 1]) if last_only else np.arange(first, x.shape[0])
        target = np.full(ends.shape, np.nan) if rul is None else rul[s][ends]
        parts.append((views[ends].transpose(0, 2, 1), target, np.full(ends.shape, s), ends + 1))
    stacked = np.concatenate([p[0] for p in parts]).astype(np.float32)  # (W, T, C)
    observed = np.isfinite(stacked)
    filled = np.where(observed, stacked, 0.0)
    count = np.maximum(observed.sum(axis=1), 1)  # (W, C)
    mean = filled.sum(axis=1) / count
    std = np.sqrt((np.where(observed, stacked - mean[:, None], 0.0) ** 2).sum(axis=1) / count)
    levels = np.concatenate([mean, std], axis=1)  # (W, 2C)
    return RULWindows(
        series=torch.from_numpy(filled),
        observed=torch.from_numpy(observed),
        levels=torch.from_numpy(levels.astype(np.float32)),
        rul=torch.from_numpy(np.concatenate([p[1] for p in parts]).astype(np.float32)),
        source=torch.from_numpy(np.concatenate([p[2] for p in parts]).astype(np.int64)),
        age=torch.from_numpy(np.concatenate([p[3] for p in parts]).astype(np.float32)),
    )


def rul_batches(
    windows: RULWindows, batch_size: int, *, rul_cap: float, levels: bool, age: bool = False,
    generator: torch.Generator | None = None,
) -> list[Batch]:  # fmt: skip
    """Batches with target ``{"rul": (B,) RUL / rul_cap}``, shuffled by ``generator`` if given.

    The numeric features are the channel ``levels`` (2C) if asked for, then the series' ``age`` at
    the window's end divided by ``rul_cap`` if asked for; None when neither is.
    """
    W = len(windows)
    order = torch.randperm(W, generator=generator) if generator is not None else torch.arange(W)
    parts = ([windows.levels] if levels else []) + ([windows.age[:, None] / rul_cap] if age else [])
    numeric = torch.cat(parts, dim=1) if parts else None  # (W, 2C + 1 | 2C | 1)
    batches = []
    for start in range(0, W, batch_size):
        index = order[start : start + batch_size]
        batches.append(
            Batch(
                series=windows.series[index],
                observed=windows.observed[index],
                numeric=numeric[index] if numeric is not None else None,
                targets={"rul": windows.rul[index] / rul_cap},
            )
        )
    return batches
