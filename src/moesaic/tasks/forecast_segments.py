"""The Forecaster's series segments: input checks, the hold-out split and window sampling.

Private helpers of :class:`moesaic.tasks.forecast.Forecaster`: they check and align the series it
is given, split each at its end for validation, index the (part, start) windows of the
standardised segments and draw the shuffled training batches.

Axes: B windows, T steps, C forecast channels, K covariates, F static features, W windows indexed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch

from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import count_windows
from moesaic.heads.forecast import ForecastSpec

if TYPE_CHECKING:
    from moesaic.tasks.forecast import Forecaster


class _Segment(NamedTuple):
    """One standardised series, ready to be cut into windows."""

    values: np.ndarray  # (T, C)
    covariates: np.ndarray | None  # (T, K)
    static: np.ndarray | None  # (F,)


class _WindowSampler:
    """The training batch source: every window of every part once per epoch, shuffled."""

    def __init__(self, forecaster: Forecaster, parts: list[_Segment]) -> None:
        self.forecaster, self.parts = forecaster, parts
        self.index = _window_index(parts, forecaster.spec_, stride=1)
        if not len(self.index):
            spec = forecaster.spec_
            raise ValueError(
                f"no training window: each series needs context_length + horizon = "
                f"{spec.context_length + spec.horizon} steps; lengths are {[len(p.values) for p in parts]} "
                "(after the last share of each series is held out for validation, `val_fraction`)"
            )

    def __call__(self, epoch: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(len(self.index), generator=generator).numpy()
        size = self.forecaster.config.train.batch_size
        for i in range(0, len(order), size):
            yield self.forecaster._window_batch(self.parts, self.index[order[i : i + size]])


def _window_index(parts: list[_Segment], spec: ForecastSpec, *, stride: int) -> np.ndarray:
    """(W, 2) (part, start) of every ``stride``-th window of every part."""
    rows = []
    for p, part in enumerate(parts):
        n = count_windows(len(part.values), context_length=spec.context_length, horizon=spec.horizon)
        starts = np.arange(0, n, stride)
        rows.append(np.column_stack([np.full(len(starts), p), starts]))
    return np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 2), np.int64)


def _hold_out(
    parts: list[_Segment], fraction: float, context_length: int
) -> tuple[list[_Segment], list[_Segment]]:
    """Split each part at ``1 - fraction`` of its length; validation keeps the context before the cut."""
    if fraction == 0:
        return parts, []
    train_parts, val_parts = [], []
    for part in parts:
        cut = int(len(part.values) * (1 - fraction))
        start = max(cut - context_length, 0)
        train_parts.append(
            _Segment(
                part.values[:cut], None if part.covariates is None else part.covariates[:cut], part.static
            )
        )
        val_parts.append(
            _Segment(
                part.values[start:], None if part.covariates is None else part.covariates[start:], part.static
            )
        )
    return train_parts, val_parts


def _as_series_list(series: np.ndarray | Sequence[np.ndarray], name: str) -> list[np.ndarray]:
    if isinstance(series, np.ndarray) and series.ndim != 3:
        if series.ndim != 2:
            raise ValueError(f"`{name}` must be (time, channels) or a list of them, got shape {series.shape}")
        items = [series]
    else:
        items = list(series)
    if not items:
        raise ValueError(f"`{name}` holds no series")
    out: list[np.ndarray] = []
    for i, item in enumerate(items):
        arr = np.asarray(item, dtype=np.float32)
        if arr.ndim != 2:
            raise ValueError(f"`{name}`[{i}] must be (time, channels), got shape {arr.shape}")
        if np.isinf(arr).any():
            raise ValueError(f"`{name}`[{i}] holds infinite values; mark missing readings with NaN")
        if out and arr.shape[1] != out[0].shape[1]:
            raise ValueError(f"`{name}`[{i}] has {arr.shape[1]} channels, `{name}`[0] has {out[0].shape[1]}")
        out.append(arr)
    return out


def _aligned(
    covariates: np.ndarray | Sequence[np.ndarray] | None, values: list[np.ndarray], name: str
) -> list[np.ndarray] | None:
    if covariates is None:
        return None
    cov = _as_series_list(covariates, name)
    if len(cov) != len(values) or any(len(c) != len(v) for c, v in zip(cov, values, strict=False)):
        raise ValueError(
            f"`{name}` must align with the series: lengths {[len(v) for v in values]}, "
            f"got {[len(c) for c in cov]}"
        )
    if len({c.shape[1] for c in cov}) > 1:
        raise ValueError(
            f"every entry of `{name}` must have the same channels, got {[c.shape[1] for c in cov]}"
        )
    return cov


def _static_rows(static: np.ndarray | None, num_series: int) -> np.ndarray | None:
    if static is None:
        return None
    rows = np.asarray(static, dtype=np.float32)
    rows = rows[None] if rows.ndim == 1 else rows
    if rows.ndim != 2 or len(rows) != num_series:
        raise ValueError(
            f"`static` must be (series, features) with {num_series} rows, got shape {rows.shape}"
        )
    return rows


def _check_windows(values: np.ndarray, channels: int, name: str) -> np.ndarray:
    if values.ndim != 3 or values.shape[-1] != channels:
        raise ValueError(
            f"`{name}` must be (steps, {channels}) or (windows, steps, {channels}), got shape {values.shape}"
        )
    return values


def _fit_length(values: np.ndarray, length: int) -> np.ndarray:
    """(B, T, C) -> (B, length, C): the last ``length`` steps, or NaN (missing) steps before them."""
    T = values.shape[1]
    if length <= T:
        return np.ascontiguousarray(values[:, T - length :])
    pad = np.full((values.shape[0], length - T, values.shape[2]), np.nan, dtype=values.dtype)
    return np.concatenate([pad, values], axis=1)
