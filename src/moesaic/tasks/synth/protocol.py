"""The standard protocol of synthetic time-series benchmarks (TimeGAN, TimeVAE, Diffusion-TS).

Min-max scaling of the whole series per channel, stride-1 windows of 24 steps, shuffled; Sines
generated in code exactly as TimeGAN's ``sine_data_generation``. Axes: W windows, T steps, C channels.
"""

from __future__ import annotations

import numpy as np

WINDOW = 24


def make_sines(count: int = 10000, *, length: int = WINDOW, channels: int = 5, seed: int = 0) -> np.ndarray:
    """TimeGAN's Sines: each channel ``sin(f t + p)``, ``f, p ~ U(0, 0.1)`` per window and channel.

    Values are mapped to [0, 1] by ``(x + 1) / 2`` as in the reference. Returns (count, length, channels).
    """
    if min(count, length, channels) < 1:
        raise ValueError(f"`count`, `length` and `channels` must be >= 1, got {count}, {length}, {channels}")
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.0, 0.1, size=(count, 1, channels))
    phase = rng.uniform(0.0, 0.1, size=(count, 1, channels))
    t = np.arange(length, dtype=np.float64).reshape(1, length, 1)
    return ((np.sin(freq * t + phase) + 1.0) / 2.0).astype(np.float32)


def minmax_scale(values: np.ndarray) -> np.ndarray:
    """(N, C) values to [0, 1] per channel, with the reference's 1e-7 guard against constant channels."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"`values` must be (time, channels), got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("`values` must be finite for min-max scaling")
    low = values.min(axis=0)
    return ((values - low) / (values.max(axis=0) - low + 1e-7)).astype(np.float32)


def sliding_windows(values: np.ndarray, *, length: int = WINDOW, stride: int = 1) -> np.ndarray:
    """All windows of ``length`` steps every ``stride`` steps of a (N, C) series. Returns (W, length, C)."""
    if values.ndim != 2:
        raise ValueError(f"`values` must be (time, channels), got shape {values.shape}")
    if length < 1 or stride < 1:
        raise ValueError(f"`length` and `stride` must be >= 1, got {length} and {stride}")
    if len(values) < length:
        raise ValueError(f"a series of {len(values)} steps has no window of {length}")
    starts = np.arange(0, len(values) - length + 1, stride)
    return np.stack([values[s : s + length] for s in starts]).astype(np.float32)


def protocol_windows(
    values: np.ndarray, *, length: int = WINDOW, reverse: bool = False, seed: int = 0
) -> np.ndarray:
    """Min-max scale a (N, C) series, cut stride-1 windows and shuffle them (TimeGAN's ``real_data_loading``).

    ``reverse`` flips the rows first, as the reference loader does for Stocks.
    """
    values = np.asarray(values)[::-1] if reverse else np.asarray(values)
    windows = sliding_windows(minmax_scale(values), length=length)
    return windows[np.random.default_rng(seed).permutation(len(windows))]
