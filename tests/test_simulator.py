"""The plant simulator: config checks, determinism, ground-truth consistency, linked records, loading."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator import (
    FAULT_CODES,
    FAULT_TYPES,
    Plant,
    SimulatorConfig,
    load_plant,
    simulate,
    simulate_to,
    write_plant,
)
from moesaic.data.simulator.assets import STREAM_SENSORS, make_assets, stream
from moesaic.data.simulator.faults import BY_NAME, Fault, inject_faults
from moesaic.data.simulator.sensors import simulate_sensors
from moesaic.data.simulator.writer import foreign_files
from moesaic.data.tables import DataFormatError

FAULTY = SimulatorConfig(num_assets=8, days=40, seed=3, fault_rate=30.0, missing_rate=0.0, drawings=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def faulty() -> Plant:
    return simulate(FAULTY)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plant, Path]:
    config = SimulatorConfig(num_assets=6, days=20, seed=5, fault_rate=12.0, asset_types=("pump", "motor"))
    plant = simulate(config)
    out = tmp_path_factory.mktemp("plant") / "plant"
    write_plant(plant, out)
    return plant, out


# --- config ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_assets": 0}, "`num_assets` must be an integer >= 1, got 0"),
        ({"days": 0}, "`days` must be a number > 0, got 0"),
        ({"days": float("nan")}, "`days` must be a number > 0"),
        ({"seed": -1}, "`seed` must be an integer >= 0"),
        ({"freq_minutes": 7}, "`freq_minutes` must be a positive integer that divides 1440"),
        ({"fault_rate": -1.0}, "`fault_rate` must be a number of faults per asset-year"),
        ({"missing_rate": 0.6}, r"`missing_rate` must be in \[0, 0.5\)"),
        ({"asset_types": ("pump", "turbine")}, "`asset_types` must be a non-empty subset"),
        ({"asset_types": ()}, "`asset_types` must be a non-empty subset"),
        ({"start": "yesterday"}, "`start` must be a date YYYY-MM-DD"),
    ],
)
def test_when_config_is_invalid_then_message_names_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatorConfig(**kwargs)


def test_config_steps_follow_days_and_frequency() -> None:
    assert SimulatorConfig(days=2, freq_minutes=30).num_steps == 96
    assert SimulatorConfig(days=1.5).num_steps == 36


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    config = SimulatorConfig(num_assets=3, days=4, seed=11, asset_types=("pump", "fan", "motor"))
    simulate_to(config, tmp_path / "a")
    simulate_to(config, tmp_path / "b")
    simulate_to(
        SimulatorConfig(num_assets=3, days=4, seed=12, asset_types=("pump", "fan", "motor")), tmp_path / "c"
    )
    a, b, c = _digests(tmp_path / "a"), _digests(tmp_path / "b"), _digests(tmp_path / "c")
    assert a == b
    assert any(p.endswith(".png") for p in a) and "series/P-101.parquet" in a
    assert a["series/P-101.parquet"] != c["series/P-101.parquet"]
    assert a["work_orders.csv"] != c["work_orders.csv"]


def test_an_asset_does_not_change_when_the_fleet_grows() -> None:
    small = simulate(SimulatorConfig(num_assets=4, days=5, seed=2, drawings=False))
    large = simulate(SimulatorConfig(num_assets=9, days=5, seed=2, drawings=False))
    np.testing.assert_array_equal(small.series[3].values, large.series[3].values)
    assert small.series[3].asset_id == large.series[3].asset_id


# --- ground truth ---------------------------------------------------------------------------------


def test_fault_label_is_non_zero_exactly_within_fault_spans(faulty: Plant) -> None:
    assert len(faulty.ground_truth) >= 4
    for s in faulty.series:
        expected = np.zeros(len(faulty.time), dtype=np.int16)
        for row in faulty.ground_truth[faulty.ground_truth["asset_id"] == s.asset_id].itertuples():
            inside = (faulty.time >= np.datetime64(row.onset)) & (faulty.time <= np.datetime64(row.end))
            assert not expected[inside].any(), "faults of one asset overlap"
            expected[inside] = FAULT_CODES[row.fault_type]
        np.testing.assert_array_equal(s.fault, expected)


def test_faults_change_their_channels_inside_their_spans_and_nothing_else(faulty: Plant) -> None:
    times = FAULTY.times()
    for asset, s in zip(make_assets(FAULTY), faulty.series, strict=True):
        healthy = simulate_sensors(
            asset, times, FAULTY.steps_per_day, stream(FAULTY.seed, STREAM_SENSORS, asset.index)
        ).values
        decimals = np.array([c.decimals for c in asset.kind.channels])
        changed = np.abs(s.values - healthy) > 0.5 * 10.0**-decimals + 1e-3 * np.abs(healthy)
        touched = np.zeros_like(changed)
        for row in faulty.ground_truth[faulty.ground_truth["asset_id"] == s.asset_id].itertuples():
            inside = (faulty.time >= np.datetime64(row.onset)) & (faulty.time <= np.datetime64(row.end))
            for channel in row.channels.split(";"):
                c = s.channels.index(channel)
                touched[inside, c] = True
                if row.fault_type != "sensor_stuck":  # a stuck sensor may freeze at a typical value
                    assert changed[inside, c].any(), f"{row.fault_id} leaves {channel} unchanged"
        assert not (changed & ~touched).any(), f"{s.asset_id} changes outside its faults"


@pytest.mark.parametrize("fault_type", FAULT_TYPES)
def test_each_fault_type_deviates_from_the_pre_onset_baseline(fault_type: str) -> None:
    kind = BY_NAME[fault_type]
    config = SimulatorConfig(num_assets=4, days=30, seed=0, drawings=False)
    asset = next(a for a in make_assets(config) if a.kind.name in kind.asset_types)
    rng = stream(0, STREAM_SENSORS, asset.index)
    trace = simulate_sensors(asset, config.times(), config.steps_per_day, rng)
    onset, develop = 240, 120  # a fully developed fault: 5 days of growth, then 5 days more
    channels = {
        "bearing_wear": ("vibration_rms", "bearing_temp"),
        "seal_leak": ("discharge_pressure", "flow"),
        "cavitation": ("vibration_rms", "discharge_pressure", "flow", "suction_pressure"),
        "overheating": ("motor_temp", "current"),
        "misalignment": ("vibration_rms", "bearing_temp", "current"),
        "imbalance": ("vibration_rms",),
        "sensor_stuck": ("bearing_temp",),
        "sensor_spike": ("bearing_temp",),
    }[fault_type]
    fault = Fault(
        asset_id=asset.asset_id,
        fault_type=fault_type,
        onset=onset,
        end=onset + 2 * develop,
        develop=develop,
        severity=0.6,
        cause=kind.causes[0],
        component="x",
        channels=channels,
        detect_step=-1,
        priority=2,
    )
    names = asset.kind.channel_names
    values = inject_faults(trace.values, names, [fault], load=trace.load, rng=rng)
    for channel in channels:
        c = names.index(channel)
        pre = trace.values[onset - 72 : onset, c]
        developed = values[onset + develop : fault.end, c]
        if fault_type == "sensor_stuck":
            assert np.ptp(values[onset : fault.end, c]) == 0
            continue
        step = np.abs(np.diff(pre))
        noise = 1.4826 * np.median(step) / np.sqrt(2)  # robust sensor-level noise, not the load swings
        effect = np.abs(developed - trace.values[onset + develop : fault.end, c])
        z = effect.max() / noise
        assert z > 4, f"{fault_type} on {channel}: largest deviation only {z:.1f} noise sigmas"
        # the primary symptom of a slow fault shifts the level by more than the load swings before it
        if fault_type in ("bearing_wear", "seal_leak", "overheating", "imbalance") and channel == channels[0]:
            shift = abs((developed - trace.values[onset + develop : fault.end, c]).mean()) / pre.std()
            assert shift > 1, f"{fault_type} on {channel}: mean moves only {shift:.2f} pre-onset sd"


# --- linked records -------------------------------------------------------------------------------


def test_work_orders_link_to_existing_assets_and_faults(faulty: Plant) -> None:
    wo, truth = faulty.work_orders, faulty.ground_truth
    assert set(wo["asset_id"]) <= set(faulty.assets["asset_id"])
    assert {"PM", "CM"} == set(wo["wo_type"])
    assert wo["wo_id"].is_unique and (wo["finished"] >= wo["created"]).all()
    linked = wo[wo["fault_id"] != ""]
    assert set(linked["wo_type"]) == {"CM"}
    by_id = truth.set_index("fault_id")
    for row in linked.itertuples():
        assert by_id.loc[row.fault_id, "asset_id"] == row.asset_id
        assert by_id.loc[row.fault_id, "onset"] <= row.created
    assert set(truth.loc[truth["detected_by_wo"], "fault_id"]) == set(linked["fault_id"])


def test_fmea_covers_every_fault_type_with_consistent_rpn(faulty: Plant) -> None:
    fmea = faulty.fmea
    assert set(FAULT_TYPES) <= set(fmea["fault_type"])
    assert (fmea["rpn"] == fmea["severity"] * fmea["occurrence"] * fmea["detection"]).all()
    assert set(fmea["asset_type"]) == {"pump", "compressor", "motor", "fan"}
    assert fmea["fmea_id"].is_unique


def test_events_hold_every_fault_and_alarms_point_at_real_faults(faulty: Plant) -> None:
    events = faulty.events
    assert set(events.loc[events["kind"] == "fault", "event_id"]) == set(faulty.ground_truth["fault_id"])
    alarms = events[events["kind"] == "alarm"]
    assert len(alarms) > 0
    assert set(alarms["fault_id"]) - {""} <= set(faulty.ground_truth["fault_id"])


# --- writing and loading --------------------------------------------------------------------------


def test_load_plant_round_trips_counts_labels_and_masks(written: tuple[Plant, Path]) -> None:
    plant, out = written
    data = load_plant(out)
    assert isinstance(data, MaintenanceData)
    counts = plant.counts()
    assert data.counts() == {
        "assets": counts["assets"],
        "series": counts["series"],
        "series_steps": counts["series_steps"],
        "events": counts["events"],
        "documents": counts["work_orders"] + counts["fmea_rows"],
        "drawings": counts["drawings"],
    }
    by_id = {s.asset_id: s for s in data.series}
    for s in plant.series:
        loaded = by_id[s.asset_id]
        np.testing.assert_array_equal(loaded.time, plant.time)
        np.testing.assert_array_equal(loaded.values, s.values)
        np.testing.assert_array_equal(loaded.observed, ~np.isnan(s.values))
        np.testing.assert_array_equal(loaded.labels["fault"], s.fault)
        assert loaded.meta["fault_type"][0] == "normal"
    kinds = {d.kind for d in data.documents}
    assert kinds == {"work_order", "fmea"}
    assert {e.kind for e in data.events} <= {"fault", "alarm"}
    assert all(d.path.is_file() and d.width == 1600 for d in data.drawings)


def test_missing_readings_are_nan_and_unobserved(written: tuple[Plant, Path]) -> None:
    plant, out = written
    lost = sum(int(np.isnan(s.values).sum()) for s in plant.series)
    assert lost > 0
    data = load_plant(out)
    assert sum(int((~s.observed).sum()) for s in data.series) == lost


def _copy(out: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(out, target)
    return target


def test_assets_csv_missing_a_column_names_file_and_column(
    written: tuple[Plant, Path], tmp_path: Path
) -> None:
    folder = _copy(written[1], tmp_path)
    frame = pd.read_csv(folder / "assets.csv", dtype=str).drop(columns=["asset_type"])
    frame.to_csv(folder / "assets.csv", index=False)
    with pytest.raises(DataFormatError, match=r"assets\.csv, column 'asset_type': missing required column"):
        load_plant(folder)


def test_work_order_with_a_bad_date_names_file_line_and_column(
    written: tuple[Plant, Path], tmp_path: Path
) -> None:
    folder = _copy(written[1], tmp_path)
    lines = (folder / "work_orders.csv").read_text(encoding="utf-8").split("\n")
    cells = lines[2].split(",")
    cells[2] = "2024-13-45 25:00:00"
    lines[2] = ",".join(cells)
    (folder / "work_orders.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"work_orders\.csv, line 3, column 'created': expected a timestamp"
    ):
        load_plant(folder)


def test_series_with_a_text_channel_names_file_and_column(
    written: tuple[Plant, Path], tmp_path: Path
) -> None:
    folder = _copy(written[1], tmp_path)
    path = folder / "series" / "P-101.parquet"
    table = pq.read_table(path)
    table = table.set_column(1, table.column_names[1], pa.array(["high"] * table.num_rows))
    pq.write_table(table, path)
    with pytest.raises(
        DataFormatError, match=r"P-101\.parquet, column 'flow': expected numbers, found string"
    ):
        load_plant(folder)


def test_event_for_an_unknown_asset_names_the_line(written: tuple[Plant, Path], tmp_path: Path) -> None:
    folder = _copy(written[1], tmp_path)
    frame = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "asset_id"] = "X-999"
    frame.to_csv(folder / "events.csv", index=False)
    with pytest.raises(
        DataFormatError, match=r"events\.csv, line 2, column 'asset_id': unknown asset 'X-999'"
    ):
        load_plant(folder)


def test_a_users_minimal_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "series").mkdir()
    (tmp_path / "assets.csv").write_text(
        "asset_id,asset_type,install_year\nK-1,kiln,2001\n", encoding="utf-8"
    )
    (tmp_path / "series" / "K-1.csv").write_text(
        "time,temp\n2024-01-01 00:00,800\n2024-01-01 01:00,\n", encoding="utf-8"
    )
    data = load_plant(tmp_path)
    assert data.counts()["series_steps"] == 2 and data.assets[0].attributes["install_year"] == 2001
    assert data.series[0].observed.tolist() == [[True], [False]]


def test_write_refuses_to_replace_a_folder_that_is_not_a_plant(faulty: Plant, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="refusing to replace it"):
        write_plant(faulty, tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_rewriting_a_plant_keeps_files_a_user_added_or_changed(faulty: Plant, tmp_path: Path) -> None:
    out = tmp_path / "plant"
    write_plant(faulty, out)
    write_plant(faulty, out)  # an untouched earlier plant is replaced
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "series" / "extra.csv").write_text("a,b", encoding="utf-8")
    with (out / "assets.csv").open("a", encoding="utf-8") as handle:
        handle.write("# my comment\n")
    assert foreign_files(out) == ["assets.csv (changed)", "notes.txt", "series/extra.csv"]
    with pytest.raises(
        FileExistsError, match=r"did not write \(or changed since\): assets\.csv \(changed\), notes"
    ):
        write_plant(faulty, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "assets.csv").read_text(encoding="utf-8").endswith("# my comment\n")


def test_an_interrupted_write_leaves_nothing(
    faulty: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moesaic.data.simulator.writer as writer

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_write_series", broken)
    with pytest.raises(OSError, match="disk full"):
        write_plant(faulty, tmp_path / "plant")
    assert list(tmp_path.iterdir()) == []


def test_a_plant_without_faults_writes_and_loads(tmp_path: Path) -> None:
    config = SimulatorConfig(num_assets=2, days=3, fault_rate=0.0, missing_rate=0.0, drawings=False)
    simulate_to(config, tmp_path / "plant")
    data = load_plant(tmp_path / "plant")
    assert not [e for e in data.events if e.kind == "fault"]
    assert all(not s.labels["fault"].any() and s.observed.all() for s in data.series)


def test_config_round_trips_through_its_plain_form() -> None:
    from moesaic.config import from_dict, to_dict

    config = SimulatorConfig(num_assets=5, asset_types=("fan", "pump"))
    assert from_dict(SimulatorConfig, to_dict(config)) == config
