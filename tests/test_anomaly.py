"""The backbone AnomalyDetector, the detector registry, the `detect` command and the `anomaly` suite."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.checkpoint import CheckpointError, model_kind, save_model
from moesaic.cli.detect import detect
from moesaic.config import ConfigError
from moesaic.encoders import EncoderConfig, NotFittedError
from moesaic.eval.bench import suites
from moesaic.eval.metrics import false_alarm_rate, point_f1
from moesaic.heads.anomaly import AnomalyModel, window_table
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.anomaly import (
    AnomalyConfig,
    AnomalyDetector,
    forecast_windows,
    pretrain_anomaly_model,
    training_rows,
)
from moesaic.tasks.detector_fit import stuck_readings
from moesaic.tasks.detector_registry import DETECTORS, load_detector, make_detector
from moesaic.train import TrainConfig

TINY_MODEL = ModelConfig(
    encoders=EncoderConfig(dim=16, patch_len=4),
    moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
    num_layers=1,
)
TINY = AnomalyConfig(
    smooth=5,
    context_length=16,
    horizon=4,
    model=TINY_MODEL,
    train=TrainConfig(lr=5e-3, warmup_steps=0, max_steps=40, batch_size=32, num_threads=1, log_every=20),
)


@pytest.fixture
def shifted_sine() -> tuple[np.ndarray, np.ndarray]:
    """(300, 2) noisy sine and noise; channel 1 steps up by 4 at rows 220-259."""
    rng = np.random.default_rng(0)
    t = np.arange(300)
    x = np.stack([np.sin(2 * np.pi * t / 16), np.zeros(300)], axis=1) + 0.1 * rng.standard_normal((300, 2))
    labels = np.zeros(300, dtype=bool)
    labels[220:260] = True
    x[labels, 1] += 4.0
    return x, labels


@pytest.fixture(scope="module")
def fitted() -> AnomalyDetector:
    rng = np.random.default_rng(1)
    t = np.arange(300)
    x = np.stack([np.sin(2 * np.pi * t / 16), np.zeros(300)], axis=1) + 0.1 * rng.standard_normal((300, 2))
    torch.manual_seed(0)
    return AnomalyDetector(TINY).fit(x[:160], channels=["sine", "noise"])


def test_contract_state_ends_in_underscore_and_predict_before_fit_raises(fitted: AnomalyDetector) -> None:
    assert {"model_", "model_config_", "threshold_", "scale_", "train_result_"} <= set(vars(fitted))
    assert all(k in ("config", "pretrained") or k.endswith("_") for k in vars(fitted))
    with pytest.raises(NotFittedError, match="AnomalyDetector is not fitted yet"):
        AnomalyDetector(TINY).predict(np.zeros((10, 2)))


def test_level_shift_is_detected_and_blamed_on_its_channel(
    fitted: AnomalyDetector, shifted_sine: tuple
) -> None:
    x, labels = shifted_sine
    detection = fitted.predict(x)
    assert detection.score.shape == (300,) and detection.contributions.shape == (300, 2)
    np.testing.assert_allclose(detection.contributions.sum(axis=1), detection.score, rtol=1e-9)
    assert detection.alarm[labels].mean() > 0.5
    assert detection.alarm[:160].mean() < 0.05
    assert detection.top_channels(1)[240] == ("noise",)


def test_save_load_reproduces_scores(fitted: AnomalyDetector, shifted_sine: tuple, tmp_path: Path) -> None:
    fitted.save(tmp_path / "det")
    loaded = load_detector(tmp_path / "det")
    assert isinstance(loaded, AnomalyDetector) and loaded.channels_ == ("sine", "noise")
    np.testing.assert_array_equal(loaded.score(shifted_sine[0]).score, fitted.score(shifted_sine[0]).score)
    assert {p.name for p in (tmp_path / "det").iterdir()} == {"model.safetensors", "config.json"}


def test_when_folder_is_not_a_detector_then_load_detector_refuses(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"config\.json: file missing; .* is not a model checkpoint"):
        load_detector(tmp_path)
    save_model(tmp_path / "other", torch.nn.Linear(1, 1), {"kind": "moesaic.Synthesizer"})
    with pytest.raises(CheckpointError, match=r"unknown detector kind 'moesaic\.Synthesizer'; known: "):
        load_detector(tmp_path / "other")


def test_pretrained_model_is_copied_serves_any_width_and_is_checked(shifted_sine: tuple) -> None:
    x = shifted_sine[0]
    quick = dataclasses.replace(TINY, train=dataclasses.replace(TINY.train, max_steps=5))
    model = pretrain_anomaly_model([x[:100], x[100:200] + 5.0], quick)
    detector = AnomalyDetector(quick, pretrained=model).fit(x[:200])
    assert detector.model_ is not model and not hasattr(detector, "train_result_")
    three = np.random.default_rng(0).standard_normal((60, 3))  # one channel per sample: any width fits
    assert AnomalyDetector(quick, pretrained=model).fit(three).score(three).contributions.shape == (60, 3)
    with pytest.raises(ValueError, match="pretrained model does not match this config"):
        AnomalyDetector(dataclasses.replace(quick, context_length=8), pretrained=model).fit(three)


def test_forecast_windows_put_context_before_future() -> None:
    z = np.arange(10, dtype=float)[:, None]
    w = forecast_windows(z, np.array([1, 5]), context_length=3, horizon=2, levels=True)
    assert w.context.shape == (2, 3, 1) and w.future.shape == (2, 2, 1)
    np.testing.assert_array_equal(w.observed[0, :, 0].numpy(), [False, False, True])
    np.testing.assert_array_equal(w.future[1, :, 0].numpy(), [5.0, 6.0])
    np.testing.assert_allclose(w.table[1].numpy(), [3.0, 0.5 * np.log(2 / 3 + 1e-4)], rtol=1e-5)


def test_window_table_masks_a_channel_without_readings() -> None:
    table = window_table(np.array([[[1.0, np.nan], [3.0, np.nan]]]))
    assert table[0, 0] == 2.0 and np.isnan(table[0, 1]) and np.isnan(table[0, 3])


def test_model_needs_timeseries_first() -> None:
    config = dataclasses.replace(
        TINY_MODEL, encoders=EncoderConfig(dim=16, modalities=("tabular", "timeseries"))
    )
    with pytest.raises(ValueError, match="needs 'timeseries' as first modality"):
        AnomalyModel(config, horizon=4)


def test_registry_builds_every_detector_and_rejects_unknown_names() -> None:
    assert set(DETECTORS) == {"moesaic", "zscore", "pca", "iforest", "kmeans", "ar", "consensus"}
    assert make_detector("pca", variance=0.5).config.variance == 0.5
    with pytest.raises(ValueError, match="unknown detector 'lstm'"):
        make_detector("lstm")


@pytest.mark.parametrize(
    ("spec", "expected"), [("5", 5), ("2020-01-01 00:00:03", 4), ("2020-01-01T00:00:03.5", 4)]
)
def test_training_rows_from_a_count_or_a_time(spec: str, expected: int) -> None:
    time = pd.date_range("2020-01-01", periods=8, freq="s").to_numpy()
    assert training_rows(time, spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("8", "gives 8 training rows out of 8"),
        ("yesterday", "is not a time .*, or a row count"),
        ("05/01/2020", "ambiguous"),
    ],
)
def test_training_rows_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        training_rows(pd.date_range("2020-01-01", periods=8, freq="s").to_numpy(), spec)


def test_a_date_that_reads_two_ways_is_read_the_way_that_falls_within_the_file() -> None:
    days = pd.date_range("2025-03-01", "2025-05-31", freq="D").to_numpy()  # walk-through: day first
    assert training_rows(days, "01/04/2025") == 32  # 1 April (4 January lies before the file)
    assert training_rows(days, "01.04.2025 12:00") == 32
    with pytest.raises(ValueError, match="ambiguous"):
        training_rows(pd.date_range("2025-01-01", "2025-05-31", freq="D").to_numpy(), "01/04/2025")


def test_too_few_training_rows_in_the_command_say_what_a_detector_needs(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    for until in ("0", "2"):  # it said "expected at least 2" for 0, then "needs at least 30" for 2
        result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv", until=until))
        assert "needs at least 30 normal rows" in result.output and "at least 2" not in result.output


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(detect)
    return app


def _write_csv(path: Path, rows: int = 120, bad: bool = False) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "time": pd.date_range("2024-01-01", periods=rows, freq="min").astype(str),
        "pump_temp": 20 + rng.standard_normal(rows),
        "pump_flow": 5 + 0.1 * rng.standard_normal(rows),
    })  # fmt: skip
    frame.loc[100:, "pump_flow"] += 3.0
    if bad:
        frame["pump_flow"] = frame["pump_flow"].astype(object)
        frame.loc[7, "pump_flow"] = "n/a?"
    frame.to_csv(path, index=False)


def _zscore_args(tmp_path: Path, out: Path, *, until: str = "80") -> list[str]:
    """``moesaic detect`` with the z-score detector on ``plant.csv``, trained until ``until``."""
    return [
        "--csv",
        str(tmp_path / "plant.csv"),
        "--train-until",
        until,
        "--out",
        str(out),
        "--detector",
        "zscore",
    ]


def test_detect_command_writes_scores_alarms_and_channels(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    args = ["--csv", str(tmp_path / "plant.csv"), "--train-until", "80", "--out", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(_app(), [*args, "--detector", "zscore", "--top", "1"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["time", "score", "alarm", "top_channels"] and len(out) == 120
    assert out["alarm"][105:].mean() > 0.9 and (out["top_channels"][110:] == "pump_flow").all()


def test_detect_command_runs_the_consensus_with_its_backbone_steps_and_saves_it(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    args = ["--csv", str(tmp_path / "plant.csv"), "--train-until", "80", "--out", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(
        _app(), [*args, "--detector", "consensus", "--steps", "3", "--save", str(tmp_path / "det")]
    )
    assert result.exit_code == 0, result.output
    loaded = load_detector(tmp_path / "det")
    assert loaded.config.backbone.train.max_steps == 3  # type: ignore[attr-defined]
    assert pd.read_csv(tmp_path / "out.csv")["alarm"][110:].mean() > 0.9


def test_detect_command_takes_detector_settings_and_names_the_valid_ones(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    out, saved = tmp_path / "out.csv", tmp_path / "det"
    settings = ["--set", "min_run=5", "--set", "backdate=true", "--set", "smooth=3", "--save", str(saved)]
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), *settings])
    assert result.exit_code == 0, result.output
    config = load_detector(saved).config
    assert (config.min_run, config.backdate, config.smooth) == (5, True, 3)
    alarm = pd.read_csv(out)["alarm"]
    assert alarm[100] == 1 and alarm[:100].sum() == 0  # backdated to the shift's first row
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--plot", str(tmp_path / "a.jpg")])
    assert result.exit_code == 2 and "ending in .png" in result.output and not (tmp_path / "a.jpg").exists()
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--steps", "5"])
    assert result.exit_code == 2 and "the zscore detector has no backbone" in result.output
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--set", "window=3"])
    assert result.exit_code == 2 and "unknown key 'window'" in result.output and "min_run" in result.output


def test_the_threshold_comes_from_training_rows_held_out_of_the_fit_and_a_saved_detector_scores_alone(
    tmp_path: Path,
) -> None:
    _write_csv(tmp_path / "plant.csv", rows=400)  # pump_flow steps up from row 100
    out, saved = tmp_path / "out.csv", tmp_path / "det"
    settings = ["--set", "smooth=5", "--set", "members=ar,zscore", "--save", str(saved)]
    args = [*_zscore_args(tmp_path, out, until="90")[:-1], "consensus", *settings]
    result = CliRunner().invoke(_app(), args)  # 19 rows: 20 %, at least 4 warm-up + 3 windows of 5
    assert result.exit_code == 0 and "fitted on rows 1-71, threshold from rows 72-90" in result.output
    plain = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "z.csv", until="90"))
    assert "fitted on 90 rows, threshold from the same rows" in plain.output  # a z-score learns no rows
    first = pd.read_csv(out)
    again = CliRunner().invoke(
        _app(),
        ["--csv", str(tmp_path / "plant.csv"), "--out", str(tmp_path / "o2.csv"), "--load", str(saved)],
    )
    assert again.exit_code == 0 and f"loaded from {saved}" in " ".join(again.output.split())
    second = pd.read_csv(tmp_path / "o2.csv")
    np.testing.assert_allclose(second["score"], first["score"])
    assert (second["alarm"] == first["alarm"]).all()
    both = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--load", str(saved)])
    assert both.exit_code == 2 and "not both" in both.output
    refit = [
        "--csv",
        str(tmp_path / "plant.csv"),
        "--out",
        str(out),
        "--load",
        str(saved),
        "--set",
        "smooth=3",
    ]
    assert "takes no --steps, --set, --save or --channels" in " ".join(
        CliRunner().invoke(_app(), refit).output.split()
    )


def test_few_training_rows_still_hold_the_threshold_rows_apart(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv", rows=200)
    out = tmp_path / "out.csv"
    settings = ["--detector", "consensus", "--set", "smooth=5", "--set", "members=ar,zscore"]
    for until, learnt in (
        ("45", "rows 1-30, threshold from rows 31-45"),
        ("44", "rows 1-30, threshold from rows 31-44"),
    ):
        result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out, until=until)[:-2], *settings])
        assert result.exit_code == 0 and f"fitted on {learnt}" in result.output  # 30 + 4 warm-up + 10
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame.loc[43:, ["pump_temp", "pump_flow"]] += 10.0  # every later row is off
    frame.to_csv(tmp_path / "plant.csv", index=False)
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out, until="43")[:-2], *settings])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "fitted on 43 rows, threshold from the same rows" in text
    assert "set on the rows the detector learnt" in text and "at least 44 training rows" in text


def test_a_reading_stuck_longer_than_any_repeat_in_training_is_in_alarm_and_named(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv", rows=200)
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame.loc[150:179, "pump_temp"] = 20.25  # a frozen transmitter, at a normal value
    frame["pump_flow"] = frame["pump_flow"].round(1)  # repeats of a coarse reading are normal
    frame.to_csv(tmp_path / "plant.csv", index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--top", "1"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "stuck reading: pump_temp stays at 20.25 from 2024-01-01 02:30" in text
    assert "(30 rows)" in text and "stuck reading: pump_flow" not in text
    table = pd.read_csv(out)
    assert (table["alarm"][150:180] == 1).all() and (table["top_channels"][150:180] == "pump_temp").all()
    assert (table["rule"][150:180] == "stuck reading").all() and table["rule"][:150].isna().all()
    threshold = float(re.search(r"threshold ([0-9.e+-]+);", text).group(1))  # type: ignore[union-attr]
    assert table["score"][150:180].min() >= threshold
    held = np.full((200, 1), 3.0)
    assert stuck_readings(held, 80).runs == ()  # a set point held through the training rows
    moved = held.copy()
    moved[:40, 0] = np.arange(40)  # it varied, then froze at row 40 for longer than twice its 40 rows
    assert stuck_readings(moved, 80).runs == ((0, 80, 199),)
    # walk-through: 0 kW in calm weather and a curtailment set point were "stuck sensors"
    power = np.r_[np.zeros(8), np.linspace(1.0, 60.0, 72), np.zeros(50), np.linspace(1.0, 70.0, 70)]
    assert stuck_readings(power[:, None], 80).runs == ()  # 0 kW held for 8 training rows: a state
    power[100:150] = 33.3  # a value the training rows never held: frozen
    assert stuck_readings(power[:, None], 80).runs == ((0, 100, 149),)
    off = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--set", "stuck=0"])
    assert off.exit_code == 0 and "stuck reading" not in off.output
    assert (pd.read_csv(out)["top_channels"][150:180] != "pump_temp").any()  # not all the rule's
    bad = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--set", "stuck=maybe"])
    assert bad.exit_code == 2 and "stuck takes 1" in " ".join(bad.output.split())
    frame["time"] = pd.to_datetime(frame["time"]).dt.strftime("%Y-%m-%dT%H:%M:%S+01:00")
    frame.to_csv(tmp_path / "plant.csv", index=False)  # times with an offset: the output marks UTC
    zoned = " ".join(CliRunner().invoke(_app(), _zscore_args(tmp_path, out)).output.split())
    assert "stuck reading: pump_temp stays at 20.25 from 2024-01-01 01:30+00:00" in zoned, zoned


def test_too_few_training_rows_or_a_channel_unread_in_them_name_the_option_file_and_column(
    tmp_path: Path,
) -> None:
    _write_csv(tmp_path / "plant.csv")
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv", until="12"))
    assert result.exit_code == 2 and "--train-until gives 12 training rows" in result.output
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame.loc[:85, "pump_temp"] = np.nan
    frame.to_csv(tmp_path / "plant.csv", index=False)
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv"))
    assert result.exit_code == 2 and "plant.csv" in result.output
    assert "column(s) ['pump_temp'] have no reading in the 80 training rows" in " ".join(
        result.output.split()
    )


def test_a_gap_in_time_is_warned_about(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame["time"] = pd.to_datetime(frame["time"])
    frame.loc[60:, "time"] += pd.Timedelta(hours=10)  # the logger was off for ten hours
    frame.to_csv(tmp_path / "plant.csv", index=False)
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv"))
    message = " ".join(result.output.split())
    assert (
        result.exit_code == 0
        and "1 gap(s) in time, the widest 0 days 10:01:00 between data rows 60 and 61" in message
        and "read as neighbours" in message  # ten hours of minutes: more empty rows than the file has
    )
    frame.loc[60:, "time"] -= pd.Timedelta(hours=10) - pd.Timedelta(minutes=40)  # a 40-minute gap
    frame.to_csv(tmp_path / "plant.csv", index=False)
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv"))
    message = " ".join(result.output.split())
    assert result.exit_code == 0 and "empty rows are put in the gaps" in message, message
    # the 80 training rows are the file's, with the empty rows among them; the output is the file's rows
    assert "fitted on 120 rows" in message and f"of {len(frame) - 80} later rows" in message, message
    written = pd.read_csv(tmp_path / "o.csv", parse_dates=["time"])
    assert written["time"].tolist() == frame["time"].tolist()
    _write_csv(tmp_path / "plant.csv")
    assert (
        "gap(s) in time" not in CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv")).output
    )


def test_brackets_in_file_names_and_values_print_as_written(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    out = tmp_path / "alarms[v2].csv"
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, out))
    assert result.exit_code == 0 and "alarms[v2].csv" in " ".join(result.output.split())
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--set", "smooth=[bold]x"])
    assert result.exit_code == 2 and "[bold]x" in result.output


def test_detect_command_scores_against_a_label_column_and_plots(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame["Anomaly"] = (np.arange(120) >= 100).astype(float)  # as SKAB writes it: 0.0 / 1.0
    frame["changepoint"] = (np.arange(120) == 100).astype(int)
    frame.to_csv(tmp_path / "plant.csv", index=False)
    out, plot = tmp_path / "out.csv", tmp_path / "alarms.png"
    args = [
        "--csv",
        str(tmp_path / "plant.csv"),
        "--train-until",
        "80",
        "--out",
        str(out),
        "--plot",
        str(plot),
    ]
    result = CliRunner().invoke(_app(), [*args, "--detector", "zscore", "--top", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "label columns, not read as channels: Anomaly, changepoint (--channels to use them)" in text
    alarm = pd.read_csv(out)["alarm"].to_numpy()[80:].astype(bool)
    truth = frame["Anomaly"].to_numpy()[80:].astype(bool)
    f1, far = point_f1(truth, alarm), false_alarm_rate(truth, alarm)
    assert (
        f"against column 'Anomaly' on the 40 rows after the training rows (20 anomalous): point F1 {f1:.3f}"
        in text
    )
    assert f"false alarms {far:.1%}" in text and f1 > 0.5
    assert plot.read_bytes().startswith(b"\x89PNG")
    saved = CliRunner().invoke(_app(), [*args, "--detector", "zscore", "--save", str(tmp_path / "det")])
    assert saved.exit_code == 0, saved.output
    loaded = CliRunner().invoke(  # walk-through: a saved detector scored a labelled file without F1
        _app(), ["--csv", str(tmp_path / "plant.csv"), "--load", str(tmp_path / "det"), "--out", str(out)]
    )
    assert "against column 'Anomaly' on the 120 rows (20 anomalous): point F1" in " ".join(
        loaded.output.split()
    )


def test_times_with_utc_offsets_come_back_marked_utc(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame["time"] = pd.date_range("2024-03-01", periods=120, freq="min", tz="Europe/Berlin").astype(str)
    frame.to_csv(tmp_path / "plant.csv", index=False)
    out = tmp_path / "out.csv"
    until = "2024-03-01T01:19:00+01:00"  # the 80th row, as the file writes it
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, out, until=until))
    assert result.exit_code == 0 and "fitted on 80 rows" in result.output, result.output
    assert pd.read_csv(out)["time"].iloc[0] == "2024-02-29 23:00:00+00:00"  # midnight in Berlin, in UTC


def test_detect_command_on_a_bad_column_gives_one_clear_error(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv", bad=True)
    args = ["--csv", str(tmp_path / "plant.csv"), "--train-until", "80", "--out", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert "line 9, column 'pump_flow'" in result.output and "n/a?" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.csv").exists()


def test_a_channel_without_any_reading_is_left_out_or_refused_when_named(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame["dead"] = np.nan
    frame.to_csv(tmp_path / "plant.csv", index=False)
    out = tmp_path / "out.csv"
    base = _zscore_args(tmp_path, out)
    result = CliRunner().invoke(_app(), base)
    assert result.exit_code == 0 and "with no reading at all, left out: dead" in result.output, result.output
    named = CliRunner().invoke(_app(), [*base, "--channels", "pump_flow,dead"])
    assert named.exit_code == 2
    assert "plant.csv, column 'dead': no reading at all in this column" in " ".join(named.output.split())


def test_detect_command_rejects_unknown_channels_and_detectors(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    base = ["--csv", str(tmp_path / "plant.csv"), "--train-until", "80", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(_app(), [*base, "--channels", "pump_speed"])
    assert result.exit_code == 2 and "missing column(s) ['pump_speed']" in result.output
    result = CliRunner().invoke(_app(), [*base, "--detector", "lstm"])
    assert result.exit_code == 2 and "choose one of moesaic" in result.output


def test_anomaly_suite_is_registered() -> None:
    assert "anomaly" in suites()


def test_detect_never_saves_over_a_checkpoint_of_another_kind(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    save_model(tmp_path / "pretrained", torch.nn.Linear(2, 2), {"kind": "moesaic.pretrained_forecaster"})
    args = [*_zscore_args(tmp_path, tmp_path / "o.csv"), "--save", str(tmp_path / "pretrained")]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code != 0 and "kind 'moesaic.pretrained_forecaster'" in result.output
    assert not (tmp_path / "o.csv").exists()
    assert model_kind(tmp_path / "pretrained") == "moesaic.pretrained_forecaster"


def _repairing(detector: AnomalyDetector, repair: float) -> AnomalyDetector:
    copied = copy.copy(detector)
    copied.config = dataclasses.replace(detector.config, repair=repair)
    return copied


def test_repair_forecasts_block_by_block_as_the_batch_does_when_nothing_departs(
    fitted: AnomalyDetector, shifted_sine: tuple
) -> None:
    z = fitted.scaler_.transform(shifted_sine[0])
    np.testing.assert_allclose(_repairing(fitted, 1e9).forecast(z), fitted.forecast(z), rtol=1e-5, atol=1e-6)


def test_a_repaired_spike_no_longer_drags_the_forecasts_after_it(
    fitted: AnomalyDetector, shifted_sine: tuple
) -> None:
    clean = fitted.scaler_.transform(shifted_sine[0][:200])
    spiked = clean.copy()
    spiked[170:174, 0] += 8.0  # four wild readings of the sine
    after = slice(174, 174 + TINY.context_length)
    plain = np.abs(fitted.forecast(spiked)[after] - fitted.forecast(clean)[after]).max()
    repaired = np.abs(_repairing(fitted, 3.0).forecast(spiked)[after] - fitted.forecast(clean)[after]).max()
    assert plain > 0.5 and repaired < 0.2 * plain


def test_rows_forecast_from_under_half_a_context_have_no_forecast(
    fitted: AnomalyDetector, shifted_sine: tuple
) -> None:
    x = shifted_sine[0][:220].copy()
    x[100:140] = np.nan  # a gap longer than the context: the readings after it start afresh
    unforecast = np.isnan(fitted.forecast(fitted.scaler_.transform(x))).all(axis=1)
    # L = 16, blocks of H = 4 from row 1: the blocks from 1 and 5 read 1 and 5 rows (under 8), the
    # one from 9 reads 9; in the gap, the block from 109 reads 7 readings (93-99), and after it
    # the one from 149 is the first to read 8 or more (140-148)
    assert TINY.context_length == 16 and TINY.horizon == 4
    assert unforecast[:9].all() and not unforecast[9:109].any()
    assert unforecast[109:149].all() and not unforecast[149:].any()
    both = _repairing(fitted, 3.0).forecast(fitted.scaler_.transform(x))
    assert (np.isnan(both).all(axis=1) == unforecast).all()


def test_repair_must_be_a_non_negative_bound() -> None:
    with pytest.raises(ConfigError, match="`repair` must be >= 0, got -1"):
        AnomalyConfig(repair=-1.0)


def test_detect_leaves_the_warm_up_rows_unscored_and_warns_of_a_short_training_span(tmp_path: Path) -> None:
    _write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(_app(), [*_zscore_args(tmp_path, out), "--set", "smooth=5"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)["score"]
    assert scores[:4].isna().all() and scores[4:].notna().all()  # the first smooth - 1 rows
    assert "span 1.32 hours, less than two days" in " ".join(result.output.split())


def test_a_training_span_of_two_days_or_daily_rows_raise_no_warning() -> None:
    from moesaic.cli.detect import _short_training

    hourly = np.arange("2024-01-01T00", "2024-01-04T00", dtype="datetime64[h]").astype("datetime64[ns]")
    assert _short_training(hourly, 49) == "" and "48 training rows" in _short_training(hourly, 48)
    daily = np.arange("2024-01-01", "2024-01-20", dtype="datetime64[D]").astype("datetime64[ns]")
    assert _short_training(daily, 2) == ""
    assert _short_training(np.arange(100), 10) == ""  # step numbers: no day to speak of


def test_a_status_column_of_text_is_left_out_of_the_channels_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # walk-through: a SCADA export's RUN / STOP column refused the whole file
    _write_csv(tmp_path / "plant.csv")
    frame = pd.read_csv(tmp_path / "plant.csv")
    frame["Status"] = np.where(np.arange(len(frame)) % 7 == 0, "STOP", "RUN")
    frame.to_csv(tmp_path / "plant.csv", index=False)
    result = CliRunner().invoke(_app(), _zscore_args(tmp_path, tmp_path / "o.csv"))
    assert result.exit_code == 0, result.output
    assert "column(s) ['Status'] hold text only; they are left out of the channels" in caplog.text
