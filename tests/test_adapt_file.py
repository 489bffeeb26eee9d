"""Adapting a pretrained forecaster to a user's series file, and forecasting with its adapter.

The pretrained forecaster is freshly initialised and tiny (L = 32, H = 8): what is tested is the
split, the standardisation, the saved adapter and the errors, not forecast quality.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.adapt.methods import AdaptConfig, load_adapter, prepare_adaptation, save_adapter
from moesaic.checkpoint import CheckpointError
from moesaic.cli.adapt import adapt as adapt_command
from moesaic.cli.forecast import forecast as forecast_command
from moesaic.data.readers import read_series_file
from moesaic.data.tables import DataFormatError
from moesaic.heads import FaultClassifier
from moesaic.heads.forecast import MoesaicForecastConfig
from moesaic.tasks.few_shot import BASE_DIGEST, load_forecaster_adapter, pretrained_digest
from moesaic.tasks.forecast_pretrained import pretrained_forecast
from moesaic.tasks.forecast_targets import file_rows_needed, file_target
from moesaic.tasks.pretrain import PretrainConfig, model_config, save_pretrained
from moesaic.tasks.pretrain_forecast import (
    ForecastPretrainConfig,
    evaluate_forecaster,
    load_pretrained_forecaster,
    new_forecaster,
    save_pretrained_forecaster,
)
from moesaic.train import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ForecastPretrainConfig(
    public=(),
    context_length=32,
    horizon=8,
    model=MoesaicForecastConfig(
        dim=16, num_heads=2, num_experts=2, top_k=1, expert_hidden=16, period=0, stages=("all",)
    ),
    train=TrainConfig(lr=1e-2, max_steps=3, batch_size=32, num_threads=1),
)
CLASSIFIER = PretrainConfig()  # only its kind and its adapter's record are read, never trained


def _write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """A CSV with an hourly ``date`` column and the given channels."""
    rows = len(next(iter(columns.values())))
    dates = np.datetime64("2024-01-01T00") + np.arange(rows) * np.timedelta64(1, "h")
    pd.DataFrame({"date": dates.astype(str), **columns}).to_csv(path, index=False)
    return path


def _sensors(rows: int) -> dict[str, np.ndarray]:
    """Two sensors: a noisy daily cycle and a slow drift."""
    t = np.arange(rows)
    rng = np.random.default_rng(0)
    return {
        "temp": np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=rows),
        "load": 5 + 0.02 * t + 0.1 * rng.normal(size=rows),
    }


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command(name="adapt")(adapt_command)
    app.command(name="forecast")(forecast_command)
    return app


def test_split_trains_on_the_first_70_percent_and_scores_only_the_rest(tmp_path: Path) -> None:
    rows = 100  # 70 adaptation rows, 30 scored
    t = np.arange(rows, dtype=np.float64)
    level = 0.5 * t  # half its row number (a plain 0, 1, 2 ... column would be read as row numbers)
    series = read_series_file(_write_csv(tmp_path / "s.csv", {"level": level, "square": t**2}))
    assert series.channels == ("level", "square")
    target = file_target(TINY, series)
    mean, std = level[:70].mean(), level[:70].std()  # the first part only

    def row(scaled: torch.Tensor) -> np.ndarray:  # the row a scaled "level" value comes from
        return np.round((scaled.numpy() * std + mean) / 0.5)

    # windows alternate channels: "level" windows are the even ones
    assert len(target.train) == 2 * (70 - 40 + 1)  # stride 1, every window inside rows 0-69
    assert len(target.test) == 2 * 3  # futures from rows 70, 78, 86 (rows 94-99 make no whole horizon)
    assert row(target.train.future[0::2]).max() == 69 and row(target.train.context[0::2]).min() == 0
    np.testing.assert_array_equal(row(target.test.future[0::2])[:, 0], [70, 78, 86])
    assert row(target.test.context[0::2]).min() == 70 - 32  # a scored context reaches into the first part
    np.testing.assert_allclose(target.train.context[0].numpy(), (level[:32] - mean) / std, atol=1e-5)
    # standardised on the whole file, row 70 would be (35 - 24.75) / 14.43 = 0.71, not 1.76
    assert target.test.future[0, 0].item() == pytest.approx((35 - mean) / std, abs=1e-5)
    square = (t[:32] ** 2 - (t[:70] ** 2).mean()) / (t[:70] ** 2).std()
    np.testing.assert_allclose(target.train.context[1].numpy(), square, atol=1e-5)


def test_file_target_refuses_short_files_and_channels_unseen_in_the_first_part(tmp_path: Path) -> None:
    needed = file_rows_needed(TINY)
    assert needed == 58  # int(0.7 * 58) = 40 = L + H; int(0.7 * 57) = 39
    short = read_series_file(_write_csv(tmp_path / "short.csv", _sensors(needed - 1)))
    with pytest.raises(DataFormatError, match=r"short\.csv: 57 rows; .* needs at least 58 rows"):
        file_target(TINY, short)
    assert len(file_target(TINY, read_series_file(_write_csv(tmp_path / "ok.csv", _sensors(needed)))).test)
    late = _sensors(100)
    late["load"][:70] = np.nan  # the sensor was installed after the adaptation rows
    with pytest.raises(DataFormatError, match=r"late\.csv, column 'load': no reading in the first 70 rows"):
        file_target(TINY, read_series_file(_write_csv(tmp_path / "late.csv", late)))


def test_a_channel_constant_in_the_first_part_is_left_out_of_the_scores(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its windows would be forecast perfectly and flatter every score (a third lower MSE)."""
    plain = file_target(TINY, read_series_file(_write_csv(tmp_path / "p.csv", _sensors(100))))
    with_set_point = {**_sensors(100), "set_point": np.full(100, 5.0)}
    with caplog.at_level(logging.WARNING):
        target = file_target(TINY, read_series_file(_write_csv(tmp_path / "k.csv", with_set_point)))
    assert len(target.train) == len(plain.train) and len(target.test) == len(plain.test)
    assert "['set_point'] are constant in the first 70 rows; left out" in caplog.text
    flat = {"a": np.full(100, 1.0), "b": np.full(100, 2.0)}
    with pytest.raises(DataFormatError, match="every channel is constant"):
        file_target(TINY, read_series_file(_write_csv(tmp_path / "flat.csv", flat)))


def test_cli_adapts_to_a_file_and_forecasts_with_the_adapter(tmp_path: Path) -> None:
    model = new_forecaster(TINY, seed=0)
    save_pretrained_forecaster(tmp_path / "pre", model, TINY)
    csv = _write_csv(tmp_path / "plant.csv", _sensors(200))
    runner, app = CliRunner(), _app()
    command = ["adapt", "--pretrained", str(tmp_path / "pre"), "--target", str(csv), "--method", "lora",
               "--shots", "50%", "--steps", "20", "--out", str(tmp_path / "ad")]  # fmt: skip
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "the first 140 adapt (202 windows), the last 60 are scored (14 windows)" in output
    untouched = evaluate_forecaster(model, file_target(TINY, read_series_file(csv)).test)
    shown = re.search(r"zero-shot \(the pretrained forecaster untouched\): MSE ([\d.]+)", output)
    assert shown is not None and float(shown.group(1)) == pytest.approx(untouched.mse, abs=1e-3)
    adapted = re.search(r"8-step forecasts of the scored rows: MSE ([\d.]+)", output)
    assert adapted is not None and float(adapted.group(1)) != pytest.approx(untouched.mse, abs=1e-3)
    assert "lora: 101 windows given" in output and "last-value forecast MSE" in output
    assert ("adapting made the forecasts worse" in output) == (float(adapted.group(1)) > untouched.mse)
    torch.manual_seed(12345)  # another global generator state: the adapter must not depend on it
    again = runner.invoke(app, [*command[:-1], str(tmp_path / "ad2")])
    assert (
        again.exit_code == 0
        and (tmp_path / "ad2" / "model.safetensors").read_bytes()
        == (tmp_path / "ad" / "model.safetensors").read_bytes()
    )  # the same seed gives the same adapter

    network, _ = load_pretrained_forecaster(tmp_path / "pre")
    loaded = load_adapter(tmp_path / "ad", network)
    assert loaded.config["target"] == str(csv) and loaded.config["channels"] == ["temp", "load"]
    assert loaded.config["split"] == {
        "rows": 200,
        "adaptation_rows": 140,
        "scored_rows": 60,
        "train_share": 0.7,
    }
    assert loaded.config["task"] == "forecasting"
    assert loaded.config[BASE_DIGEST] == pretrained_digest(tmp_path / "pre")
    values = read_series_file(csv).values

    forecast = ["forecast", "--csv", str(csv), "--pretrained", str(tmp_path / "pre"), "--horizon", "12"]
    result = runner.invoke(
        app, [*forecast, "--adapter", str(tmp_path / "ad"), "--out", str(tmp_path / "a.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "lora adapter" in result.output
    result = runner.invoke(app, [*forecast, "--out", str(tmp_path / "z.csv")])
    assert result.exit_code == 0, result.output
    with_adapter, zero_shot = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "z.csv")
    expected = pretrained_forecast(network, values, 12).median  # the adapter loaded by hand
    np.testing.assert_allclose(with_adapter[["temp", "load"]].to_numpy(), expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(with_adapter[["temp", "load"]], zero_shot[["temp", "load"]], atol=1e-3)
    other = _write_csv(
        tmp_path / "other.csv", {"temp": _sensors(200)["temp"], "pressure": _sensors(200)["load"]}
    )
    swapped = [*forecast[:2], str(other), *forecast[3:], "--adapter", str(tmp_path / "ad")]
    result = runner.invoke(app, [*swapped, "--out", str(tmp_path / "o.csv")])
    message = " ".join(result.output.split())
    assert result.exit_code == 0 and "the adapter never saw column(s) ['pressure']" in message
    short = _write_csv(tmp_path / "short.csv", _sensors(20))
    result = runner.invoke(app, [*forecast[:2], str(short), *forecast[3:], "--out", str(tmp_path / "s.csv")])
    message = " ".join(result.output.split())
    assert (
        result.exit_code == 2 and "short.csv: 20 rows; the pretrained forecaster reads the last 32" in message
    )


def test_an_adapter_that_forecasts_worse_than_the_untouched_model_is_warned_about(tmp_path: Path) -> None:
    save_pretrained_forecaster(tmp_path / "pre", new_forecaster(TINY, seed=0), TINY)
    csv = _write_csv(tmp_path / "plant.csv", _sensors(200))
    command = ["adapt", "--pretrained", str(tmp_path / "pre"), "--target", str(csv), "--method", "full",
               "--shots", "50%", "--steps", "20", "--lr", "5", "--out", str(tmp_path / "ad")]  # fmt: skip
    result = CliRunner().invoke(_app(), command)  # a learning rate far too large spoils the forecaster
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "warning: adapting made the forecasts worse on the scored rows" in output and "[/]" not in output
    assert f"the adapter in {tmp_path / 'ad'} is the worse one" in output


def test_adapt_refuses_a_classifier_with_a_file_target(tmp_path: Path) -> None:
    save_pretrained(tmp_path / "cls", FaultClassifier(model_config(CLASSIFIER), num_classes=9), CLASSIFIER)
    csv = _write_csv(tmp_path / "plant.csv", _sensors(200))
    result = CliRunner().invoke(
        _app(), ["adapt", "--pretrained", str(tmp_path / "cls"), "--target", str(csv), "--steps", "2"]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "does not hold a pretrained forecaster (kind 'moesaic.pretrained_classifier')" in output
    assert "which a file's own labels" in output and "moesaic pretrain --task forecasting" in output


def test_adapt_refuses_short_files_missing_files_and_file_options_on_built_in_targets(tmp_path: Path) -> None:
    save_pretrained_forecaster(tmp_path / "pre", new_forecaster(TINY, seed=0), TINY)
    short = _write_csv(tmp_path / "short.csv", _sensors(40))
    base = ["adapt", "--pretrained", str(tmp_path / "pre"), "--steps", "2"]
    runner, app = CliRunner(), _app()
    result = runner.invoke(app, [*base, "--target", str(short)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and f"{short}: 40 rows;" in output and "at least 58 rows" in output
    result = runner.invoke(app, [*base, "--target", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2 and "is no such file" in result.output
    result = runner.invoke(app, [*base, "--target", "fan", "--channels", "temp"])
    assert result.exit_code == 2 and "--target fan takes neither" in result.output


def test_adapt_never_writes_its_adapter_over_the_pretrained_forecaster(tmp_path: Path) -> None:
    save_pretrained_forecaster(tmp_path / "pre", new_forecaster(TINY, seed=0), TINY)
    before = (tmp_path / "pre" / "model.safetensors").read_bytes()
    csv = _write_csv(tmp_path / "plant.csv", _sensors(200))
    args = ["adapt", "--pretrained", str(tmp_path / "pre"), "--target", str(csv), "--steps", "2"]
    result = CliRunner().invoke(_app(), [*args, "--method", "lora", "--out", str(tmp_path / "pre")])
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and "kind 'moesaic.pretrained_forecaster'" in output, output
    assert "would replace it" in output
    assert (tmp_path / "pre" / "model.safetensors").read_bytes() == before


def test_forecast_refuses_an_adapter_without_its_pretrained_forecaster(tmp_path: Path) -> None:
    network = new_forecaster(TINY, seed=0)
    save_pretrained_forecaster(tmp_path / "pre", network, TINY)
    save_pretrained_forecaster(tmp_path / "other", new_forecaster(TINY, seed=1), TINY)
    prepare_adaptation(network, AdaptConfig(method="head"))
    extra = {"pretrained": str(tmp_path / "pre"), "target": "x.csv", "task": "forecasting"}
    save_adapter(tmp_path / "ad", network, AdaptConfig(method="head"),
                 extra={**extra, BASE_DIGEST: pretrained_digest(tmp_path / "pre")})  # fmt: skip
    save_adapter(tmp_path / "old", network, AdaptConfig(method="head"), extra=extra)  # no digest
    classifier = FaultClassifier(model_config(CLASSIFIER), num_classes=9)
    prepare_adaptation(classifier, AdaptConfig(method="head"))
    save_adapter(tmp_path / "cls", classifier, AdaptConfig(method="head"), extra={"target": "fan"})
    csv = _write_csv(tmp_path / "plant.csv", _sensors(60))
    base = ["forecast", "--csv", str(csv), "--horizon", "4", "--out", str(tmp_path / "f.csv")]
    runner, app = CliRunner(), _app()

    result = runner.invoke(app, [*base, "--adapter", str(tmp_path / "ad")])
    assert result.exit_code == 2 and "give --pretrained FOLDER" in result.output
    cases = {
        "other": ("ad", "adapted from the pretrained checkpoint"),
        "pre": ("cls", "an adapter of a pretrained fault classifier (target 'fan'), not of a forecaster"),
    }
    for pretrained, (adapter, message) in cases.items():
        command = [*base, "--pretrained", str(tmp_path / pretrained), "--adapter", str(tmp_path / adapter)]
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not (tmp_path / "f.csv").exists()
    result = runner.invoke(
        app, [*base, "--pretrained", str(tmp_path / "pre"), "--adapter", str(tmp_path / "ad")]
    )
    assert result.exit_code == 0, result.output
    fresh, _ = load_pretrained_forecaster(tmp_path / "pre")
    with pytest.raises(CheckpointError, match="does not record which pretrained weights"):
        load_forecaster_adapter(tmp_path / "old", fresh, digest=pretrained_digest(tmp_path / "pre"))
