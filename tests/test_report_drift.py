"""A baseline that was already drifting is said so, with medians the verifier recomputes.

Bottling walkthrough: a compressor worn from 2024-04-08 was compared with the fortnight 04-08..04-22,
and its wear was placed on 04-23 with no word that the baseline itself was moving.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from moesaic.data.schema import Asset, MaintenanceData, Series
from moesaic.reports.diagnose import MemoryBase
from moesaic.reports.diagnose.claims import Quantity, SeriesCitation
from moesaic.reports.diagnose.drift import baseline_drift
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.reports.diagnose.recompute import WindowReader, recompute

START = pd.Timestamp("2024-04-08")


def _series(slope_per_day: float) -> Series:
    """Hourly vibration over 14 days, rising by ``slope_per_day`` from the first, and a flat temperature."""
    rng = np.random.default_rng(0)
    hours = np.arange(14 * 24)
    vib = 2.2 + slope_per_day * hours / 24 + 0.05 * rng.standard_normal(hours.size)
    temp = 50.0 + 0.5 * rng.standard_normal(hours.size)
    frame = pd.DataFrame({"vib": vib, "temp": temp})
    time = pd.date_range(START, periods=hours.size, freq="h").to_numpy()
    return Series.from_frame(frame, series_id="AC-1/s", asset_id="AC-1", time=time)


def test_a_channel_rising_through_the_baseline_is_a_drift_the_verifier_recomputes() -> None:
    series = _series(0.05)
    end = START + pd.Timedelta(days=14)
    found = baseline_drift(series, "compressor", START, end, [("vib", 1.5), ("temp", 0.3)])
    assert [d.channel for d in found] == ["vib"]  # the temperature held its level
    (drift,) = found
    assert drift.split == pd.Timestamp("2024-04-15 00:00") and drift.last == pd.Timestamp("2024-04-21 23:00")
    assert drift.second - drift.first > 0.25
    base = MemoryBase(MaintenanceData("s", assets=(Asset("AC-1", "compressor"),), series=(series,)))
    late = SeriesCitation("AC-1", "vib", drift.split, drift.last)
    early = SeriesCitation("AC-1", "vib", drift.start, drift.split)
    reader = WindowReader(base)
    for value, statistic in ((drift.second, "median"), (drift.first, "baseline_median")):
        q = Quantity(f"{value:.3g}", value, statistic, late, early, {}, 0.01)
        assert abs(recompute(reader, q, FaultClassifier()) - value) < 1e-9


def test_no_drift_on_a_steady_baseline_or_against_the_windows_move() -> None:
    end = START + pd.Timedelta(days=14)
    assert baseline_drift(_series(0.0), "compressor", START, end, [("vib", 1.5)]) == ()
    assert baseline_drift(_series(0.05), "compressor", START, end, [("vib", -1.5)]) == ()  # the window fell
    short = START + pd.Timedelta(days=5)  # halves under 3 days: nothing is looked for
    assert baseline_drift(_series(0.05), "compressor", START, short, [("vib", 1.5)]) == ()
