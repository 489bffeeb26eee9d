"""The simulator's configuration: one frozen dataclass that checks itself."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

ASSET_TYPES = ("pump", "compressor", "motor", "fan")
MIN_STEPS = 48
"""Readings per asset below which a simulated history holds nothing to learn from."""


@dataclass(frozen=True)
class SimulatorConfig:
    """What plant to simulate.

    Attributes:
        num_assets: assets in the fleet (>= 1).
        days: days of sensor history (> 0; fractions allowed).
        seed: the random seed; the same config gives byte-identical files.
        freq_minutes: sampling period of the sensors, in minutes (divides a day).
        fault_rate: expected faults per asset and year (>= 0); real fleets see 0-2.
        missing_rate: share of readings lost to missing stretches and logger gaps, in [0, 0.5).
        drawings: render the part drawings (PNG) and their ground truth.
        asset_types: the asset types to draw the fleet from, a non-empty subset of ASSET_TYPES.
        start: first timestamp of the series, "YYYY-MM-DD" (fixed, never "now", so runs repeat).
    """

    num_assets: int = 12
    days: float = 60.0
    seed: int = 0
    freq_minutes: int = 60
    fault_rate: float = 2.0
    missing_rate: float = 0.01
    drawings: bool = True
    asset_types: tuple[str, ...] = ASSET_TYPES
    start: str = "2024-01-01"

    def __post_init__(self) -> None:
        problems = []
        if isinstance(self.num_assets, bool) or not isinstance(self.num_assets, int) or self.num_assets < 1:
            problems.append(f"`num_assets` must be an integer >= 1, got {self.num_assets!r}")
        if (
            isinstance(self.days, bool)
            or not isinstance(self.days, int | float)
            or not (math.isfinite(self.days) and self.days > 0)
        ):
            problems.append(f"`days` must be a number > 0, got {self.days!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            problems.append(f"`seed` must be an integer >= 0, got {self.seed!r}")
        if (
            isinstance(self.freq_minutes, bool)
            or not isinstance(self.freq_minutes, int)
            or self.freq_minutes < 1
            or 1440 % self.freq_minutes
        ):
            problems.append(
                f"`freq_minutes` must be a positive integer that divides 1440 (a day), "
                f"got {self.freq_minutes!r}"
            )
        if not isinstance(self.fault_rate, int | float) or not (
            math.isfinite(self.fault_rate) and 0 <= self.fault_rate <= 365
        ):
            problems.append(
                f"`fault_rate` must be a number of faults per asset-year in [0, 365], got {self.fault_rate!r}"
            )
        if not isinstance(self.missing_rate, int | float) or not 0 <= self.missing_rate < 0.5:
            problems.append(f"`missing_rate` must be in [0, 0.5), got {self.missing_rate!r}")
        if not isinstance(self.drawings, bool):
            problems.append(f"`drawings` must be true or false, got {self.drawings!r}")
        types = tuple(self.asset_types) if isinstance(self.asset_types, tuple | list) else None
        if not types or any(t not in ASSET_TYPES for t in types) or len(set(types)) != len(types):
            problems.append(
                f"`asset_types` must be a non-empty subset of {list(ASSET_TYPES)} without "
                f"repeats, got {self.asset_types!r}"
            )
        else:
            object.__setattr__(self, "asset_types", types)
        try:
            pd.Timestamp(str(self.start))
            ok = len(str(self.start)) == 10
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"`start` must be a date YYYY-MM-DD, got {self.start!r}")
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "days", float(self.days))  # 30 and 30.0 write the same manifest

    @property
    def num_steps(self) -> int:
        """Time steps per series: ``days`` at ``freq_minutes`` (at least 2)."""
        return max(2, round(self.days * 1440 / self.freq_minutes))

    @property
    def steps_per_day(self) -> int:
        return 1440 // self.freq_minutes

    def times(self) -> pd.DatetimeIndex:
        """The (T,) sampling times shared by every asset."""
        return pd.date_range(self.start, periods=self.num_steps, freq=f"{self.freq_minutes}min")
