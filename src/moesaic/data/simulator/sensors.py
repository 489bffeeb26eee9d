"""Healthy sensor histories: load regimes, seasonality, thermal lag, process and sensor noise, gaps.

Everything is vectorised over time: one asset-year at hourly sampling is a handful of array
operations and a few IIR filters (``scipy.signal.lfilter``), never a Python loop per step.
Axis names: T time steps, C channels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from moesaic.data.simulator.assets import AssetSpec

REGIMES = ("low", "normal", "high")
_LEVELS = np.array([0.55, 0.8, 1.0])
# duty -> (mean dwell in days, probabilities of low/normal/high, daily swing, weekend factor)
_DUTY = {
    "continuous": (5.0, (0.15, 0.6, 0.25), 0.04, 0.93),
    "variable": (1.0, (0.35, 0.35, 0.3), 0.08, 0.9),
    "batch": (2.0, (0.2, 0.5, 0.3), 0.0, 1.0),
}


class SensorTrace(NamedTuple):
    """The healthy history of one asset.

    Attributes:
        values: (T, C) float64 noisy healthy readings, before faults and missing data.
        load: (T,) float64 relative load (1 = rated).
        regime: (T,) int8 index into REGIMES.
        noise: (C,) standard deviation of the white sensor noise per channel.
    """

    values: np.ndarray
    load: np.ndarray
    regime: np.ndarray
    noise: np.ndarray


def _first_order(x: np.ndarray, tau_steps: float) -> np.ndarray:
    """A first-order lag with time constant ``tau_steps``, starting settled at ``x[0]``."""
    if tau_steps <= 0:
        return x
    alpha = 1.0 - np.exp(-1.0 / tau_steps)
    # the filter state that makes y[-1] == x[0]: no start-up transient
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], x, axis=0, zi=np.array([(1.0 - alpha) * x[0]]))
    return np.asarray(out)


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], tau_steps: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0 with correlation time ``tau_steps``."""
    phi = float(np.exp(-1.0 / tau_steps))
    eps = rng.standard_normal(shape) * np.sqrt(1.0 - phi * phi)
    start = rng.standard_normal(shape[1:])
    out, _ = lfilter([1.0], [1.0, -phi], eps, axis=0, zi=(phi * start)[None, ...])
    return np.asarray(out)


def simulate_load(
    duty: str, times: pd.DatetimeIndex, steps_per_day: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Relative load (T,) and regime index (T,) from regime switches, daily and weekly patterns."""
    T = len(times)
    dwell_days, probs, swing, weekend = _DUTY[duty]
    mean_steps = dwell_days * steps_per_day
    count = int(T / mean_steps * 2) + 8
    lengths = np.maximum(1, rng.exponential(mean_steps, size=count).astype(np.int64) + 1)
    while lengths.sum() < T:  # rare: draw more segments until the history is covered
        lengths = np.concatenate(
            [lengths, np.maximum(1, rng.exponential(mean_steps, size=count).astype(np.int64))]
        )
    segments = rng.choice(len(REGIMES), size=len(lengths), p=probs)
    regime = np.repeat(segments, lengths)[:T].astype(np.int8)
    levels = _LEVELS * rng.uniform(0.95, 1.05)
    hour = (times.hour + times.minute / 60.0).to_numpy()
    weekday = times.day_of_week.to_numpy()
    if duty == "batch":
        # Two shifts on weekdays; nights and weekends run at a low base load.
        on_shift = (hour >= 6) & (hour < 22) & (weekday < 5)
        pattern = np.where(on_shift, 1.0, 0.65)
    else:
        pattern = 1.0 + swing * np.sin(2 * np.pi * (hour - 8.0) / 24.0)
        pattern = np.where(weekday >= 5, pattern * weekend, pattern)
    target = levels[regime] * pattern
    load = _first_order(target, tau_steps=1.5 * steps_per_day / 24.0)
    load = load + 0.025 * _ar1(rng, (T,), tau_steps=max(2.0, 6.0 * steps_per_day / 24.0))
    return np.clip(load, 0.2, 1.15), regime


def ambient_temperature(times: pd.DatetimeIndex, steps_per_day: int, rng: np.random.Generator) -> np.ndarray:
    """Outdoor temperature in degC (T,): a yearly and a daily cycle plus weather."""
    doy = times.day_of_year.to_numpy() + times.hour.to_numpy() / 24.0
    hour = (times.hour + times.minute / 60.0).to_numpy()
    base = 11.0 + rng.normal(0, 1.0) + 9.0 * np.sin(2 * np.pi * (doy - 110.0) / 365.25)
    daily = 4.0 * np.sin(2 * np.pi * (hour - 9.0) / 24.0)
    weather = 2.5 * _ar1(rng, (len(times),), tau_steps=max(2.0, 2.0 * steps_per_day))
    return np.asarray(base + daily + weather)


def simulate_sensors(
    asset: AssetSpec, times: pd.DatetimeIndex, steps_per_day: int, rng: np.random.Generator
) -> SensorTrace:
    """The healthy (T, C) history of ``asset``: load-driven, correlated channels with noise."""
    T = len(times)
    load, regime = simulate_load(asset.duty, times, steps_per_day, rng)
    ambient = ambient_temperature(times, steps_per_day, rng)
    specs = asset.kind.channels
    C = len(specs)
    values = np.empty((T, C))
    step_hours = 24.0 / steps_per_day
    # Each asset differs a little from the catalogue: manufacturing spread and installation.
    spread = rng.uniform(0.93, 1.07, size=C)
    for c, spec in enumerate(specs):
        factor = asset.size**spec.scale
        clean = factor * spread[c] * (spec.base + spec.gain * load**spec.power) + spec.ambient * (
            ambient - 15.0
        )
        values[:, c] = _first_order(clean, spec.lag_hours / step_hours)
    ar_std = np.array([s.ar * asset.size**s.scale for s in specs])
    noise = np.array([s.noise * asset.size**s.scale for s in specs])
    values += ar_std * _ar1(rng, (T, C), tau_steps=max(2.0, 4.0 / step_hours))
    values += noise * rng.standard_normal((T, C))
    return SensorTrace(values=values, load=load, regime=regime, noise=noise)


def _spans(rng: np.random.Generator, T: int, count: int, mean_length: float) -> tuple[np.ndarray, np.ndarray]:
    starts = rng.integers(0, T, size=count)
    lengths = np.maximum(1, rng.geometric(1.0 / max(mean_length, 1.0), size=count))
    return starts, np.minimum(starts + lengths, T)


def observed_mask(
    T: int, C: int, *, missing_rate: float, steps_per_day: int, rng: np.random.Generator
) -> np.ndarray:
    """(T, C) bool, False where a reading is lost.

    About ``missing_rate`` of all readings are lost: a third in logger gaps (every channel at
    once, hours to a day), half in stretches of one channel (a few hours), the rest as
    isolated points.
    """
    lost = np.zeros((T + 1, C), dtype=np.int32)
    if missing_rate <= 0:
        return np.ones((T, C), dtype=bool)
    gap_length = max(2.0, steps_per_day / 2)
    starts, ends = _spans(rng, T, rng.poisson(0.3 * missing_rate * T / gap_length), gap_length)
    np.add.at(lost, starts, 1)  # whole rows: every channel
    np.add.at(lost, ends, -1)
    stretch_length = max(2.0, steps_per_day / 4)
    starts, ends = _spans(rng, T, rng.poisson(0.5 * missing_rate * T * C / stretch_length), stretch_length)
    channel = rng.integers(0, C, size=len(starts))
    np.add.at(lost, (starts, channel), 1)
    np.add.at(lost, (ends, channel), -1)
    missing = np.cumsum(lost, axis=0)[:T] > 0
    missing |= rng.random((T, C)) < 0.2 * missing_rate
    return ~missing
