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
    Request,
    choose_onset_shapes,
    onset_candidates,
    sample_requests,
)
from moesaic.reports.diagnose.episodes_onset import _onset_errors
from moesaic.reports.diagnose.faults import Window
from moesaic.reports.diagnose.hinge import hinge_onset
from moesaic.reports.diagnose.onset import (
    departure_curves,
    estimate_onset,
    parse_shape,
    shape_onset,
)


def test_shapes_parse_with_their_options() -> None:
    assert parse_shape("load-ramp1.5/a/h@-3") == ("load-ramp1.5", True, True, -3.0, False, False, False)
    assert parse_shape("ramp1") == ("ramp1", False, False, 0.0, False, False, False)
    assert parse_shape("load2-ramp1/a@6").offset_hours == 6.0
    assert parse_shape("ramp1.5/a/c/l@-2") == ("ramp1.5", True, False, -2.0, True, True, False)
    assert parse_shape("ramp1.5/a/c/l/w@1").likeliest
    for bad in ("wobble", "ramp1/x", "spike/a", "spike/c", "ramp1@soon"):
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


def test_channels_fitted_each_with_its_own_size_place_a_shared_onset() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(500, dtype=float)
    ramp = np.clip(t - 180, 0, None) ** 1.5
    y = np.stack([ramp / 400, ramp / 4000], axis=1) + 0.5 * rng.standard_normal((500, 2))
    assert abs(hinge_onset(y, (1.5,), anchored=True) - 180) <= 12
    # A channel that falls adds nothing: the rising one still places the onset.
    y[:, 1] = -ramp / 1000 + 0.5 * rng.standard_normal(500)
    assert abs(hinge_onset(y, (1.5,), anchored=True) - 180) <= 12


def test_a_level_that_follows_the_load_is_not_read_as_the_change() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(600, dtype=float)
    load = np.repeat(rng.choice([-1.5, 0.0, 1.5], size=12), 50)  # regimes of two days
    load[250:350] = 2.0  # a high-load stretch before the change: a step up that is not it
    y = 3.0 * load + np.clip(t - 400, 0, None) ** 1.5 / 300 + 0.3 * rng.standard_normal(600)
    curves = y[:, None]
    assert abs(shape_onset(curves, "ramp1.5/a/c/l", load=load) - 400) <= 12
    assert abs(shape_onset(curves, "ramp1.5/a/c", load=load) - 400) > 48  # without /l: misled
    with pytest.raises(ValueError, match="needs the load"):
        shape_onset(curves, "ramp1.5/a/c/l")
    with pytest.raises(ValueError, match="departure_curves"):
        shape_onset(y, "ramp1.5/a/c/l", load=load)  # a /c shape fits one curve per channel


def test_a_per_channel_shape_finds_a_wear_ramp_and_nothing_in_flat_readings() -> None:
    rng = np.random.default_rng(5)
    T, onset = 24 * 20, 24 * 4
    speed = 1.0 + 0.3 * np.repeat(rng.choice([-1.0, 0.0, 1.0], size=T // 24), 24)  # daily regimes
    base_speed = 1.0 + 0.3 * np.repeat(rng.choice([-1.0, 0.0, 1.0], size=14), 24)

    def readings(s: np.ndarray) -> np.ndarray:  # (T, 3): speed, vibration, temperature
        return np.stack([100 * s, 1 + s, 40 + 10 * s], axis=1) + rng.normal(0, [1.0, 0.02, 0.2], (len(s), 3))

    baseline, values = readings(base_speed), readings(speed)
    wear = np.clip((np.arange(T) - onset) / (10 * 24), 0, 1) ** 1.5  # wear over ten days
    values[:, 1] *= 1 + 4 * wear
    values[:, 2] += 20 * wear
    assert departure_curves(values, baseline, [1, 2], smooth=24).shape == (T, 2)
    at = estimate_onset(values, baseline, [1, 2], "ramp1.5/a/c/l", smooth=24)
    assert at is not None and abs(at - onset) <= 12
    flat = np.full((T, 3), 5.0)
    assert estimate_onset(flat, np.full((100, 3), 5.0), [1, 2], "ramp1.5/a/c/l", smooth=24) is None
    assert estimate_onset(flat, np.full((100, 3), 5.0), [1], "ramp1/a", smooth=24) is None


def test_training_errors_find_no_hinge_onset_in_a_flat_departure() -> None:
    flat = Window(np.full((24 * 6, 2), 5.0), np.full((24 * 3, 2), 5.0), ("x", "y"), "pump", 24.0)
    t0 = pd.Timestamp("2024-01-01")
    request = Request("P-1", t0, t0 + pd.Timedelta(days=6), "wear", t0 + pd.Timedelta(days=2), ("x",), "F1")
    errors = _onset_errors(flat, request, ["ramp1/a", "ramp1/a/w", "ramp1.5/a/c/l/w", "frozen"])
    assert all(np.isnan(errors[s]) for s in ("ramp1/a", "ramp1/a/w", "ramp1.5/a/c/l/w"))
    # The frozen run starts at the first reading; the last reading is the end, 4 days after the onset.
    assert errors["frozen"] == -(24 * 6 - 1 - 24 * 4)


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
    assert "ramp1.5/a/c/l" in shapes and "load2-ramp1/a/c/l" in shapes  # every hinge shape, every option
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


def test_training_cache_ready_only_when_features_shapes_and_models_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moesaic.reports.diagnose import episodes

    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path))
    assert episodes.cache_dir() == tmp_path
    assert not episodes.training_cache_ready(7)
    (tmp_path / f"fault-training-seed7-{episodes.CACHE_VERSION}.npz").write_bytes(b"")
    assert not episodes.training_cache_ready(7)
    (tmp_path / f"fault-onsets-seed7-{episodes.ONSET_VERSION}.json").write_text("{}")
    assert not episodes.training_cache_ready(7)  # the models of this version are not fitted yet
    old = tmp_path / f"fault-models-seed7-{episodes.CACHE_VERSION}-v0-abc" / "classifier"
    old.mkdir(parents=True)
    (old / "state.json").write_text("{}")
    assert not episodes.training_cache_ready(7)  # an older version's models do not count
    version = f"{episodes.CACHE_VERSION}-{episodes.MODELS_VERSION}"
    now = tmp_path / f"fault-models-seed7-{version}-abc" / "classifier"
    now.mkdir(parents=True)
    (now / "state.json").write_text("{}")
    assert episodes.training_cache_ready(7)
