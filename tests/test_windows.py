"""Multimodal windows of linked maintenance data: shapes, labels, texts, tables, drawings, splits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from moesaic.config import ConfigError
from moesaic.data.schema import Asset, Document, Drawing, MaintenanceData, Series
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.data.tables import DataFormatError
from moesaic.data.windows import WindowConfig, WindowSet, make_windows, to_batches

STEPS = 40
TIMES = pd.date_range("2024-01-01", periods=STEPS, freq="h").to_numpy()
CONFIG = WindowConfig(context_length=8, stride=4, val_fraction=0.25, max_text_length=6, image_size=16)


def _series(asset_id: str, channels: tuple[str, ...], fault: np.ndarray) -> Series:
    values = np.stack([np.arange(STEPS, dtype=np.float32) * (c + 1) for c in range(len(channels))], axis=1)
    return Series(
        series_id=asset_id,
        asset_id=asset_id,
        time=TIMES,
        values=values,
        channels=channels,
        observed=np.ones_like(values, dtype=bool),
        labels={"fault": fault},
        meta={"fault_type": {0: "normal", 1: "bearing_wear", 2: "seal_leak"}},
    )


@pytest.fixture
def plant(tmp_path: Path) -> MaintenanceData:
    """Two pumps and a fan; P-1 has a bearing fault on steps 20-29; one pump drawing."""
    fault = np.zeros(STEPS, dtype=np.int16)
    fault[20:30] = 1
    png = tmp_path / "pump.png"
    Image.new("L", (40, 30), color=255).save(png)
    at = pd.Timestamp
    return MaintenanceData(
        name="tiny",
        assets=(
            Asset("P-1", "pump", {"rated_power_kw": 10, "model": "A", "serial_number": "S1"}),
            Asset("P-2", "pump", {"rated_power_kw": 30, "model": "B", "serial_number": "S2"}),
            Asset("F-1", "fan", {"rated_power_kw": None, "model": "A", "serial_number": "S3"}),
        ),
        series=(
            _series("P-1", ("flow", "vib"), fault),
            _series("P-2", ("flow", "vib"), np.zeros(STEPS, dtype=np.int16)),
            _series("F-1", ("speed", "vib"), np.zeros(STEPS, dtype=np.int16)),
        ),
        documents=(
            Document("W1", "work_order", "first check ok", "P-1", at("2024-01-01 05:00")),
            Document("W2", "work_order", "bearing noisy", "P-1", at("2024-01-01 10:30")),
            Document("W3", "work_order", "zzzunique fan note", "F-1", at("2024-01-02 11:00")),
            Document("FM1", "fmea", "pump bearing wear", "", None),
        ),
        drawings=(Drawing("DWG-1", png, fields={"asset_type": "pump"}),),
    )


def _rows(windows: WindowSet, asset_id: str) -> list[int]:
    return [i for i, a in enumerate(windows.asset_ids) if a == asset_id]


def test_windows_hold_every_modality_with_the_union_of_channels(plant: MaintenanceData) -> None:
    data = make_windows(plant, CONFIG)
    assert data.channels == ("flow", "speed", "vib")
    # Time split at step 30: training windows start at 0, 4, ..., 20 (6 per asset); validation at 30.
    assert data.train.series.shape == (18, 8, 3)
    assert data.val.series.shape == (3, 8, 3)
    fan = _rows(data.train, "F-1")
    assert not data.train.observed[fan][:, :, 0].any()  # a fan has no flow channel
    assert data.train.observed[fan][:, :, 1:].all()
    p1 = _rows(data.train, "P-1")
    torch.testing.assert_close(data.train.series[p1[0], :, 2], torch.arange(8, dtype=torch.float32) * 2)
    assert data.class_names == ("normal", "bearing_wear", "seal_leak")
    assert data.train.labels[p1].tolist() == [0, 0, 0, 0, 1, 1]  # window ends at steps 7, 11, ..., 27


def test_text_is_the_latest_work_order_before_the_window_end(plant: MaintenanceData) -> None:
    data = make_windows(plant, CONFIG)
    p1 = _rows(data.train, "P-1")
    assert [data.train.texts[i] for i in p1[:3]] == ["first check ok", "bearing noisy", "bearing noisy"]
    assert all(data.train.texts[i] == "" for i in _rows(data.train, "P-2"))
    assert data.val.texts[_rows(data.val, "F-1")[0]] == "zzzunique fan note"  # step 35, window ends at 37
    assert "zzzunique" not in data.tokenizer.words_  # written after the cut: never seen in training
    assert (data.train.text_ids[p1[0]] > 0).sum() == 3
    assert data.train.text_ids[_rows(data.train, "P-2")].eq(0).all()


def test_table_is_standardised_on_training_assets_and_drawings_follow_the_type(
    plant: MaintenanceData,
) -> None:
    data = make_windows(plant, CONFIG)
    assert data.numeric_names == ("rated_power_kw",)
    assert data.categorical_names == ("asset_type", "model")  # serial_number is excluded
    assert data.categorical_cardinalities == (2, 2)
    first = {a: _rows(data.train, a)[0] for a in ("P-1", "P-2", "F-1")}
    assert data.train.numeric[first["P-1"]].tolist() == [-1.0]  # (10 - 20) / 10
    assert data.train.numeric[first["P-2"]].tolist() == [1.0]
    assert not data.train.numeric_observed[first["F-1"]].any()
    assert data.train.categorical[first["F-1"]].tolist() == [1, 1]  # fan, model A
    assert data.train.categorical[first["P-2"]].tolist() == [2, 2]  # pump, model B
    assert data.train.images.shape == (1, 1, 16, 16)
    assert data.train.drawing_index[first["P-1"]] == 0 and data.train.drawing_index[first["F-1"]] == -1


def test_time_split_never_shares_a_step(plant: MaintenanceData) -> None:
    data = make_windows(plant, CONFIG)
    assert data.train.end_times.max() <= TIMES[29]
    assert (data.val.end_times - np.timedelta64(7, "h")).min() >= TIMES[30]


def test_asset_split_holds_out_whole_assets(plant: MaintenanceData) -> None:
    data = make_windows(plant, WindowConfig(context_length=8, stride=4, split="asset", val_fraction=0.5))
    train, val = set(data.train.asset_ids), set(data.val.asset_ids)
    assert not train & val
    assert len(val) == 1 and val <= {"P-1", "P-2"}  # the lone fan stays in training
    assert len(data.val) == 9  # starts 0, 4, ..., 32


def test_to_batches_keeps_order_and_targets(plant: MaintenanceData) -> None:
    data = make_windows(plant, CONFIG)
    batches = to_batches(data.train, 5)
    assert [b.size for b in batches] == [5, 5, 5, 3]  # the last, smaller batch is kept
    torch.testing.assert_close(torch.cat([b.targets["label"] for b in batches]), data.train.labels)
    assert batches[0].modalities() == ["timeseries", "tabular", "text", "drawing"]
    present = torch.cat([b.images_present for b in batches if b.images_present is not None])
    assert present.tolist() == (data.train.drawing_index >= 0).tolist()


def test_balanced_batches_oversample_rare_classes_reproducibly(plant: MaintenanceData) -> None:
    data = make_windows(plant, CONFIG)

    def labels(seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        batches = to_batches(data.train, 4, generator=generator, balance=True)
        return torch.cat([b.targets["label"] for b in batches]).tolist()

    assert len(labels(0)) == len(data.train)
    assert labels(0) == labels(0)
    drawn = sum(sum(labels(seed)) for seed in range(20)) / (20 * len(data.train))
    # 2 fault windows of 18: drawn with weight 1/sqrt(2) against 1/sqrt(16), about 26 % of draws.
    assert 0.18 < drawn < 0.36
    with pytest.raises(ValueError, match="pass a `generator`"):
        to_batches(data.train, 4, balance=True)


def test_bad_configs_and_data_are_reported(plant: MaintenanceData, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="`context_length` must be an integer >= 1") as err:
        WindowConfig(context_length=0, split="random")
    assert "`split` must be one of ['time', 'asset'], got 'random'" in str(err.value)
    with pytest.raises(ValueError, match=r"shorter than context_length=50"):
        make_windows(plant, WindowConfig(context_length=50))
    unlabelled = plant.replace(series=tuple(dataclasses.replace(s, labels={}) for s in plant.series))
    with pytest.raises(ValueError, match="no series carries a per-step `fault` label"):
        make_windows(unlabelled, CONFIG)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    drawing = Drawing("DWG-1", broken, fields={"asset_type": "pump"})
    with pytest.raises(DataFormatError, match="cannot read the drawing as an image"):
        make_windows(plant.replace(drawings=(drawing,)), CONFIG)


def test_simulated_plant_becomes_windows(tmp_path: Path) -> None:
    simulate_to(SimulatorConfig(num_assets=4, days=10, seed=0, fault_rate=24.0), tmp_path / "plant")
    data = make_windows(load_plant(tmp_path / "plant"), WindowConfig(context_length=32, stride=16))
    assert len(data.train) > 0 and len(data.val) > 0
    assert data.class_names[0] == "normal" and len(data.class_names) == 9
    assert data.train.images.shape[1:] == (1, 64, 64)
    assert bool((data.train.drawing_index >= 0).all())  # every asset type has a drawing
    assert set(data.train.labels.tolist()) <= set(range(len(data.class_names)))
