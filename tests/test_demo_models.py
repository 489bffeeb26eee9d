"""The demo's trained sections, with a few training steps on a small simulated plant."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.demo_models import (
    FIT_SHARE,
    RECOVERY_DAYS,
    VALIDATION_SHARE,
    AssetDetection,
    detect_faults,
    detection_section,
    fault_mask,
    fit_rows,
    forecast_asset,
    forecast_section,
    report_fault,
    report_section,
)
from moesaic.reports.diagnose import ChannelModel
from moesaic.reports.diagnose.episodes import (
    fit_onset_shapes,
    sample_requests,
    simulated_plant,
    training_windows,
)
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.tasks.detectors import Detection


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> MaintenanceData:
    folder = tmp_path_factory.mktemp("plant") / "plant"
    simulate_to(SimulatorConfig(num_assets=4, days=20, seed=4, fault_rate=30.0), folder)
    return load_plant(folder)


def test_the_detector_learns_from_healthy_rows_of_the_first_part_only(plant: MaintenanceData) -> None:
    faults = [e for e in plant.events if e.kind == "fault"]
    for series in plant.series:
        rows = fit_rows(series, faults)
        T = len(series.time)
        assert rows.fitted_rows == int(FIT_SHARE * T)
        held = int((1 - VALIDATION_SHARE) * rows.fitted_rows)
        healthy = ~fault_mask(series, faults, recovery_days=RECOVERY_DAYS)
        np.testing.assert_array_equal(rows.train, series.values[:held][healthy[:held]])
        np.testing.assert_array_equal(
            rows.validation, series.values[held : rows.fitted_rows][healthy[held : rows.fitted_rows]]
        )


def _hourly(rows: int) -> Series:
    time = pd.date_range("2024-01-01", periods=rows, freq="h").to_numpy()
    return Series(
        "s", "P-1", time, np.zeros((rows, 1), dtype=np.float32), ("flow",), np.ones((rows, 1), bool)
    )


def test_fault_mask_covers_the_fault_and_its_recovery() -> None:
    series = _hourly(10)
    fault = Event(
        "F1", "P-1", "fault", "seal_leak", pd.Timestamp(series.time[3]), pd.Timestamp(series.time[4])
    )
    other = dataclasses.replace(fault, event_id="F2", asset_id="P-2")
    assert np.flatnonzero(fault_mask(series, [fault, other])).tolist() == [3, 4]
    assert np.flatnonzero(fault_mask(series, [fault], recovery_days=2 / 24)).tolist() == [3, 4, 5, 6]


def test_detections_score_every_step_and_render(plant: MaintenanceData) -> None:
    items = detect_faults(plant, steps=3)
    assert items, "the test plant has an asset with a fault in the judged rows"
    for item in items:
        assert item.detection.score.shape == (len(item.series.time),)
        assert item.faults and all(e.asset_id == item.series.asset_id for e in item.faults)
        assert fault_mask(item.series, item.faults)[item.fitted_rows :].any()
    assert "Alarms of the sparse-MoE detector" in detection_section(items).heading


def test_the_detection_section_states_the_false_alarm_rate_of_the_judged_rows() -> None:
    series = _hourly(10)
    fault = Event(
        "F1", "P-1", "fault", "seal_leak", pd.Timestamp(series.time[7]), pd.Timestamp(series.time[8])
    )
    alarm = np.zeros(10, dtype=bool)
    alarm[[1, 5, 7]] = True  # row 1 is before the judged rows: it does not count
    detection = Detection(np.zeros(10), alarm, np.zeros((10, 1)), 1.0, ("flow",))
    html = "".join(detection_section([AssetDetection(series, [fault], detection, 5)]).parts)
    said = " ".join(html.split())
    assert (
        "1 of 3 healthy steps raised an alarm (false-alarm rate 33.3%), and 1 of 2 fault steps did (50.0%)"
        in said
    )


def test_forecast_starts_where_training_ends(plant: MaintenanceData) -> None:
    asset = plant.series[0].asset_id
    item = forecast_asset(plant, asset, context=48, horizon=12, steps=3)
    assert item.median.shape == (12, plant.series[0].values.shape[1])
    assert (item.lower <= item.median).all() and (item.median <= item.upper).all()
    assert item.context == int(0.8 * len(plant.series[0].time))
    assert "Forecast" in forecast_section(item).heading


def test_the_demo_report_is_written_and_grounded(plant: MaintenanceData, tmp_path: Path) -> None:
    training = simulated_plant(3, num_assets=6, days=90.0, fault_rate=24.0)  # tiny models: plumbing only
    requests = sample_requests(training, np.random.default_rng(0), normal_per_fault=0.5)
    windows, labels = training_windows(training, requests)
    models = {
        "classifier": FaultClassifier(num_trees=10).fit(windows, labels),
        "channel_model": ChannelModel(num_trees=10).fit(windows, [r.channels for r in requests]),
        "onset_shapes": fit_onset_shapes(windows, requests, per_type=2),
    }
    item = report_fault(plant, tmp_path, min_history_days=3.0, **models)
    assert item is not None, "the test plant has a fault with 3 days of history before it"
    assert item.page.exists() and item.page.read_text().startswith("<!")
    assert item.truth in {e.label for e in plant.events if e.kind == "fault"}
    assert "Diagnostic report" in report_section(item).heading
