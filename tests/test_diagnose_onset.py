"""Onset shapes with options (anchored level, hourly departure, offsets), the shape choice on
training errors, and the lead of fault requests (moesaic.reports.diagnose), on hand-made arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.reports.diagnose.episodes import (
    LEAD_HOURS,
    choose_onset_shapes,
    onset_candidates,
    sample_requests,
)
from moesaic.reports.diagnose.onset import estimate_onset, hinge_onset, parse_shape, shape_onset


def test_shapes_parse_with_their_options() -> None:
    assert parse_shape("load-ramp1.5/a/h@-3") == ("load-ramp1.5", True, True, -3.0)
    assert parse_shape("ramp1") == ("ramp1", False, False, 0.0)
    assert parse_shape("load2-ramp1/a@6").offset_hours == 6.0
    for bad in ("wobble", "ramp1/x", "spike/a", "ramp1@soon"):
        with pytest.raises(ValueError):
            parse_shape(bad)


def test_an_anchored_fit_places_a_ramp_that_starts_right_after_the_window_opens() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(300, dtype=float)
    y = np.clip(t - 12, 0, None) ** 1.5 / 400 + 0.3 * rng.standard_normal(300)  # starts at step 12
    assert abs(hinge_onset(y, (1.5,), anchored=True) - 12) <= 8
    # A level shifted away from the baseline's is read as part of the change by the anchored fit.
    assert hinge_onset(y + 5.0, (1.5,), anchored=True) < hinge_onset(y + 5.0, (1.5,))


def test_a_change_with_the_square_of_the_load_is_placed_by_the_load2_ramp() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(600, dtype=float)
    load = 1.0 + 0.6 * np.sign(np.sin(t / 30.0))
    y = np.clip(t - 250, 0, None) / 100 * load**2 + 0.05 * rng.standard_normal(600)
    assert abs(shape_onset(y, "load2-ramp1", load=load) - 250) <= 6
    assert abs(shape_onset(y, "load2-ramp1/a", load=load) - 250) <= 6


def test_an_offset_moves_the_onset_by_hours_at_the_window_rate() -> None:
    rng = np.random.default_rng(2)
    baseline = rng.standard_normal((200, 2))
    values = rng.standard_normal((300, 2))
    values[100:, 0] += np.linspace(0, 20, 200)
    plain = estimate_onset(values, baseline, [0], "ramp1/a", smooth=24)
    moved = estimate_onset(values, baseline, [0], "ramp1/a@-5", smooth=24)
    assert plain is not None and abs(plain - 100) <= 8 and moved == plain - 5
    assert estimate_onset(values, baseline, [0], "ramp1/a@-1000", smooth=24) == 0  # clipped to the window


def test_the_shape_choice_reads_errors_after_the_median_offset() -> None:
    shapes = onset_candidates()
    assert "load-ramp1.5/a" in shapes and "spike" in shapes and not any(s.startswith("drift") for s in shapes)
    # Every shape misses by days either way ...
    rows = [{**dict.fromkeys(shapes, d * 10.0), "ramp1.5/a": 30.0 + d} for d in (-10.0, 0.0, 10.0)]
    chosen = choose_onset_shapes({"wear": rows})
    assert chosen == {"wear": "ramp1.5/a@-30"}  # ... but one hinge shape is only late, by 30 hours
    rows = [
        {**dict.fromkeys(shapes, d * 10.0), "spike": 0.0, "ramp1": float("nan")} for d in (-10.0, 0.0, 10.0)
    ]
    assert choose_onset_shapes({"zap": rows}) == {"zap": "spike"}


def _plant(onsets: list[int]) -> MaintenanceData:
    time = pd.date_range("2024-01-01", periods=24 * 200, freq="h").to_numpy()
    values = np.zeros((len(time), 1), dtype=np.float32)
    series = Series("s", "P-1", time, values, ("x",), np.ones_like(values, dtype=bool))
    t0 = pd.Timestamp("2024-01-01")
    events = tuple(
        Event(
            f"F{i}", "P-1", "fault", "wear", t0 + pd.Timedelta(days=d), t0 + pd.Timedelta(days=d + 3), ("x",)
        )
        for i, d in enumerate(onsets)
    )
    return MaintenanceData(name="toy", series=(series,), events=events)


def test_fault_requests_open_one_to_seven_days_before_the_onset() -> None:
    requests = sample_requests(
        _plant(list(range(20, 190, 6))), np.random.default_rng(0), normal_per_fault=0.0
    )
    leads = np.array([(r.onset - r.start) / pd.Timedelta(hours=1) for r in requests if r.onset is not None])
    assert len(leads) >= 20 and LEAD_HOURS == (24, 168)
    assert leads.min() >= 24 and leads.max() <= 168
    assert leads.max() - leads.min() > 96  # wide: a guess that reads no data is often a day off


def test_training_cache_ready_only_when_both_files_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moesaic.reports.diagnose import episodes

    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path))
    assert episodes.cache_dir() == tmp_path
    assert not episodes.training_cache_ready(7)
    (tmp_path / f"fault-training-seed7-{episodes.CACHE_VERSION}.npz").write_bytes(b"")
    assert not episodes.training_cache_ready(7)
    (tmp_path / f"fault-onsets-seed7-{episodes.ONSET_VERSION}.json").write_text("{}")
    assert episodes.training_cache_ready(7)
