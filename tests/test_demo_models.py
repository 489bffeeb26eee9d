"""The demo's trained sections, with a few training steps on a small simulated plant."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.demo_models import (
    detect_faults,
    detection_section,
    forecast_asset,
    forecast_section,
    healthy_rows,
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


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> MaintenanceData:
    folder = tmp_path_factory.mktemp("plant") / "plant"
    simulate_to(SimulatorConfig(num_assets=4, days=20, seed=2, fault_rate=30.0), folder)
    return load_plant(folder)


def test_healthy_rows_stop_at_the_first_fault(plant: MaintenanceData) -> None:
    faults = [e for e in plant.events if e.kind == "fault"]
    for series in plant.series:
        rows = healthy_rows(series, faults)
        own = [np.datetime64(e.start) for e in faults if e.asset_id == series.asset_id]
        if own:
            assert series.time[rows - 1] < min(own) <= series.time[rows]
        else:
            assert rows == len(series.time)


def test_detections_score_every_step_and_render(plant: MaintenanceData) -> None:
    items = detect_faults(plant, steps=3)
    for item in items:
        assert item.detection.score.shape == (len(item.series.time),)
        assert item.faults and all(e.asset_id == item.series.asset_id for e in item.faults)
    assert "Alarms of the sparse-MoE detector" in detection_section(items).heading


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
