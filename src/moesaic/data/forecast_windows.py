"""The long-horizon forecasting protocol: Informer split, per-channel scaling, sliding windows.

Protocol (Zhou et al., Informer, AAAI 2021; kept by PatchTST, DLinear and FITS): the first
12 months of the file train, the next 4 validate, the next 4 test, a month being 30 days. On
hourly ETTh1 that is rows 8640 / 2880 / 2880; rows after the test period are unused. The
validation and test segments start ``context_length`` rows *before* their period
(``border1s = [0, n_train - L, n_train + n_val - L]``), so the first window of a period may take
its context from the period before, and every step of the period is forecast: a test segment of
``n_test`` rows gives ``n_test - H + 1`` windows for horizon H. Channels are standardised with
the mean and standard deviation of the training rows only; metrics are reported on that scale.

Axes: T time steps, C channels, W windows, L context length, H horizon.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import Tensor

from moesaic.data.batch import Batch
from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked, row_line
from moesaic.data.times import time_column

logger = logging.getLogger(__name__)

MONTH_DAYS = 30
INFORMER_MONTHS = (12, 4, 4)
"""Train, validation and test months of the protocol."""


@dataclass(frozen=True)
class SplitSizes:
    """Rows of each period; ``protocol`` says how they were chosen (shown in benchmark settings).

    Attributes:
        train: rows that train (and fit the scaler).
        val: rows whose steps are forecast for validation.
        test: rows whose steps are forecast for the test.
        protocol: ``"informer"`` (12/4/4 months of 30 days) or ``"ratio"`` (the same 60/20/20
            shares of a file too short for 20 months).
    """

    train: int
    val: int
    test: int
    protocol: str = "informer"

    def __post_init__(self) -> None:
        for name in ("train", "val", "test"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1 row, got {getattr(self, name)}")

    @property
    def total(self) -> int:
        return self.train + self.val + self.test


ETTH1_SIZES = SplitSizes(train=8640, val=2880, test=2880)


def read_dated_csv(path: Path, *, time_column_name: str = "date") -> Series:
    """A file in the ETT format: a ``date`` column, then one numeric column per channel.

    Empty cells are missing readings (NaN). Timestamps must be unique and increasing.

    Raises:
        DataFormatError: naming the file, line and column of the first problem.
    """
    path = Path(path)
    frame = read_csv_checked(path, required=(time_column_name,), dtype=str)
    channels = [c for c in frame.columns if c != time_column_name]
    if not channels:
        raise DataFormatError(
            path, f"expected numeric channel columns after {time_column_name!r}, found none"
        )
    time = time_column(frame, time_column_name, path)
    backwards = np.flatnonzero(np.diff(time) <= np.timedelta64(0))
    if len(backwards):
        raise DataFormatError(
            path,
            f"timestamps must increase; {time[backwards[0] + 1]} follows {time[backwards[0]]}",
            line=row_line(frame, int(backwards[0]) + 1),
            column=time_column_name,
        )
    values = pd.DataFrame({c: numeric_column(frame, c, path) for c in channels})
    return Series.from_frame(
        values, series_id=path.stem, asset_id=path.stem, time=time, meta={"source": str(path)}
    )


def informer_sizes(num_rows: int, *, step_seconds: float) -> SplitSizes:
    """The 12/4/4-month split of a file of ``num_rows`` rows sampled every ``step_seconds``.

    A file shorter than 20 months is split in the same 60/20/20 shares of its rows instead, and
    the returned ``protocol`` says so (the benchmark setting then reads ``split=ratio``).

    Raises:
        ValueError: a step that does not divide a day, or too few rows to split at all.
    """
    if step_seconds <= 0 or (86400 / step_seconds) % 1:
        raise ValueError(f"the sampling step must divide a day, got {step_seconds} seconds")
    rows_per_month = MONTH_DAYS * round(86400 / step_seconds)
    train, val, test = (months * rows_per_month for months in INFORMER_MONTHS)
    if train + val + test <= num_rows:
        return SplitSizes(train=train, val=val, test=test)
    if num_rows < 10:
        raise ValueError(f"a forecasting split needs at least 10 rows, got {num_rows}")
    val = test = num_rows // 5
    logger.warning(
        "%d rows are fewer than the %d of 20 months: splitting 60/20/20 instead",
        num_rows,
        sum(m * rows_per_month for m in INFORMER_MONTHS),
    )
    return SplitSizes(train=num_rows - val - test, val=val, test=test, protocol="ratio")


class ChannelStandardizer:
    """Per-channel standardisation over observed (finite) values; ``fit`` returns self.

    Learned state: ``mean_`` and ``std_``, each (C,). A constant or empty channel gets std 1.
    """

    @classmethod
    def from_arrays(cls, mean: np.ndarray, std: np.ndarray) -> ChannelStandardizer:
        """A fitted scaler with the given (C,) statistics (to restore a saved one)."""
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        if mean.ndim != 1 or mean.shape != std.shape or not (std > 0).all():
            raise ValueError(
                f"expected (C,) mean and positive (C,) std, got shapes {mean.shape} and {std.shape}"
            )
        scaler = cls()
        scaler.mean_, scaler.std_ = mean, std
        return scaler

    def fit(self, values: np.ndarray) -> ChannelStandardizer:
        """Learn the mean and standard deviation of each channel of ``values`` (T, C)."""
        values = _check_2d(values, "values")
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        if (count == 0).any():
            empty = np.flatnonzero(count == 0).tolist()
            logger.warning("channels %s have no observed value in the scaler's rows", empty)
        filled = np.where(finite, values, 0.0)
        mean = filled.sum(axis=0) / np.maximum(count, 1)
        var = (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1)
        std = np.sqrt(var)
        self.mean_ = mean.astype(np.float64)
        self.std_ = np.where(std > 1e-8, std, 1.0).astype(np.float64)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(..., C) values to the standardised scale, float32; NaN stays NaN."""
        self._check_fitted(values)
        return ((values - self.mean_) / self.std_).astype(np.float32)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """(..., C) standardised values back to the data scale, float32."""
        self._check_fitted(values)
        return (values * self.std_ + self.mean_).astype(np.float32)

    def _check_fitted(self, values: np.ndarray) -> None:
        if not hasattr(self, "mean_"):
            raise AttributeError("This ChannelStandardizer is not fitted yet. Call `fit` first.")
        if values.shape[-1] != self.mean_.shape[0]:
            raise ValueError(
                f"expected {self.mean_.shape[0]} channels in the last axis, got shape {values.shape}"
            )


class ForecastSplit(NamedTuple):
    """The three segments of a split, already standardised with the training rows' scaler.

    ``val`` and ``test`` hold ``context_length`` rows of the previous period before their own.
    """

    train: np.ndarray  # (sizes.train, C) float32
    val: np.ndarray  # (L + sizes.val, C)
    test: np.ndarray  # (L + sizes.test, C)
    sizes: SplitSizes
    scaler: ChannelStandardizer


def split_informer(values: np.ndarray, *, context_length: int, sizes: SplitSizes) -> ForecastSplit:
    """Cut ``values`` (T, C) by the Informer borders and standardise with the training rows.

    Raises:
        ValueError: fewer rows than ``sizes.total``, or a context longer than the training period.
    """
    values = _check_2d(values, "values")
    L = context_length
    if L < 1:
        raise ValueError(f"`context_length` must be >= 1, got {L}")
    if values.shape[0] < sizes.total:
        raise ValueError(f"the split needs {sizes.total} rows, the series has {values.shape[0]}")
    if sizes.train < L:
        raise ValueError(f"`context_length`={L} is longer than the {sizes.train} training rows")
    border1 = (0, sizes.train - L, sizes.train + sizes.val - L)
    border2 = (sizes.train, sizes.train + sizes.val, sizes.total)
    scaler = ChannelStandardizer().fit(values[: sizes.train])
    train, val, test = (scaler.transform(values[a:b]) for a, b in zip(border1, border2, strict=True))
    return ForecastSplit(train, val, test, sizes, scaler)


def count_windows(num_rows: int, *, context_length: int, horizon: int) -> int:
    """Windows of ``context_length + horizon`` consecutive rows in ``num_rows``: T - L - H + 1."""
    return max(0, num_rows - context_length - horizon + 1)


class Windows(NamedTuple):
    """All sliding windows of a segment, as read-only views (no copy of the data)."""

    context: np.ndarray  # (W, L, C)
    target: np.ndarray  # (W, H, C)


def sliding_windows(values: np.ndarray, *, context_length: int, horizon: int) -> Windows:
    """Every window of ``values`` (T, C), stride 1: window w has context ``values[w : w + L]``.

    Raises:
        ValueError: the segment is too short for one window.
    """
    values = _check_2d(values, "values")
    W = count_windows(values.shape[0], context_length=context_length, horizon=horizon)
    if W < 1:
        raise ValueError(
            f"a segment of {values.shape[0]} rows has no window of context_length={context_length} "
            f"+ horizon={horizon}"
        )
    view = sliding_window_view(values, context_length + horizon, axis=0)  # (T - L - H + 1, C, L + H)
    view = view.transpose(0, 2, 1)  # (W, L + H, C)
    return Windows(view[:, :context_length], view[:, context_length:])


def make_forecast_batch(
    context: np.ndarray,
    *,
    target: np.ndarray | None = None,
    covariates: np.ndarray | None = None,
    static: np.ndarray | None = None,
) -> Batch:
    """The :class:`Batch` every forecast model reads; NaN marks a missing value anywhere.

    Args:
        context: (B, L, C) past values of the C forecast channels.
        target: (B, H, C) future values, for training and validation.
        covariates: (B, L, K) past values of K covariate channels, aligned with ``context``.
        static: (B, F) numeric attributes of each window's asset.
    Returns:
        A batch with ``series`` (B, L, C + K) (forecast channels first, zero-filled),
        ``observed``, ``numeric`` (NaN kept, the batch masks it) and the targets ``future`` (B, H, C)
        (zero-filled) and ``future_observed``.
    """
    # NaN handling in numpy: a few whole-array passes, no tiny multi-threaded torch ops per batch.
    series = context if covariates is None else np.concatenate([context, covariates], axis=-1)
    series = np.asarray(series, dtype=np.float32)
    observed = np.isfinite(series)
    targets = {}
    if target is not None:
        future = np.asarray(target, dtype=np.float32)
        seen = np.isfinite(future)
        targets = {
            "future": torch.from_numpy(np.where(seen, future, np.float32(0.0))),
            "future_observed": torch.from_numpy(seen),
        }
    numeric = None if static is None else torch.from_numpy(np.array(static, dtype=np.float32))
    return Batch(
        series=torch.from_numpy(np.where(observed, series, np.float32(0.0))),
        observed=torch.from_numpy(observed),
        numeric=numeric,
        targets=targets,
    )


def forecast_inputs(batch: Batch, num_channels: int) -> tuple[Tensor, Tensor]:
    """The (B, L, C) forecast channels of ``batch`` and their observed mask, NaN counted as missing."""
    if batch.series is None:
        raise ValueError("a forecasting batch needs `series` (batch, context, channels)")
    series = batch.series[..., :num_channels].float()
    observed = batch.observed[..., :num_channels]  # type: ignore[index]  # Batch fills it
    observed = observed & torch.isfinite(series)
    return torch.where(observed, series, torch.zeros(())), observed


def _check_2d(values: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"`{name}` must be (time, channels), got shape {values.shape}")
    return values
