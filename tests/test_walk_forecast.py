"""Forecast findings of the user walk-through: point forecasters claim no band (A10), and a file too
short to fit and check is refused (A11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.forecast import forecast
from moesaic.config import apply_overrides
from moesaic.tasks.forecast import FORECAST_MODELS, POINT_FORECAST_MODELS, ForecastConfig, Forecaster
from moesaic.tasks.forecast_check import check_origins

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = [
    "patchtst.dim=8", "patchtst.num_layers=1", "patchtst.ffn_hidden=8", "train.max_steps=2",
    "train.warmup_steps=0", "train.num_threads=1", "moesaic.dim=8", "moesaic.num_layers=1",
    "moesaic.num_heads=2", "moesaic.patch_len=8", "moesaic.expert_hidden=8", "moesaic.stage_steps=2",
]  # fmt: skip


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(forecast)
    return app


def _csv(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2024-01-01", periods=rows, freq="min")
    values = np.column_stack([np.sin(np.arange(rows) / 4), rng.standard_normal(rows)])
    pd.DataFrame({"time": stamps, "a": values[:, 0].round(4), "b": values[:, 1].round(4)}).to_csv(
        path, index=False
    )
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), list(args))
    return result.exit_code, " ".join(result.output.split())


# ---------------------------------------------------------------- A10: no band from a point forecaster


@pytest.mark.parametrize("model", sorted(POINT_FORECAST_MODELS))
def test_point_forecasters_repeat_one_value_at_every_level(model: str) -> None:
    # the registry's claim, checked on the models themselves: their "quantiles" are no band
    config = apply_overrides(
        ForecastConfig(model=model, context_length=24, horizon=4, seasonal_period=12), TINY
    )
    series = np.sin(np.arange(120) / 4)[:, None].repeat(2, axis=1)
    forecast = Forecaster(config).fit(series).predict(series)
    assert np.array_equal(forecast.quantiles.min(-1), forecast.quantiles.max(-1))


def test_point_forecast_models_are_registered_models() -> None:
    assert set(FORECAST_MODELS) >= POINT_FORECAST_MODELS
    assert "moesaic" not in POINT_FORECAST_MODELS and "fracast" not in POINT_FORECAST_MODELS


@pytest.mark.parametrize("model", ["seasonal_naive", "dlinear"])
def test_cli_writes_a_point_forecast_without_quantile_columns(tmp_path: Path, model: str) -> None:
    out, plot = tmp_path / "f.csv", tmp_path / "f.png"
    code, output = _run(
        "--csv", str(_csv(tmp_path / "s.csv", 200)), "--horizon", "6", "--out", str(out), "--model", model,
        "--set", "seasonal_period=12", "--set", "train.max_steps=2", "--set", "train.warmup_steps=0",
        "--plot", str(plot),
    )  # fmt: skip
    assert code == 0, output
    assert list(pd.read_csv(out).columns) == ["time", "a", "b"]  # the file's time column
    assert f"a point forecast ({model} gives no quantiles)" in output and "quantiles [" not in output
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_cli_fills_a_gap_in_time_with_empty_rows_and_steps_on_from_the_last_row(tmp_path: Path) -> None:
    frame = pd.read_csv(_csv(tmp_path / "s.csv", 200))
    frame["time"] = pd.to_datetime(frame["time"])
    frame.loc[100:, "time"] += pd.Timedelta(minutes=30)  # the logger was off for half an hour
    frame.to_csv(tmp_path / "s.csv", index=False)
    out = tmp_path / "f.csv"
    code, output = _run(
        "--csv", str(tmp_path / "s.csv"), "--horizon", "3", "--out", str(out), "--model", "dlinear",
        "--set", "train.max_steps=2", "--set", "train.warmup_steps=0",
    )  # fmt: skip
    assert code == 0, output
    assert "1 gap(s) in time" in output and "empty rows are put in the gaps" in output
    times = pd.to_datetime(pd.read_csv(out)["time"])
    assert list(times) == list(pd.date_range("2024-01-01 03:50", periods=3, freq="min"))


def test_cli_keeps_the_quantiles_of_a_probabilistic_forecaster(tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    settings = [arg for key in TINY for arg in ("--set", key)]
    code, output = _run(
        "--csv", str(_csv(tmp_path / "s.csv", 120)), "--horizon", "6", "--out", str(out), *settings
    )
    assert code == 0, output
    assert "a_q0.1" in pd.read_csv(out).columns and "quantiles [0.1," in output


# ---------------------------------------------------------------- A11: too short to fit and check


def test_cli_refuses_a_file_too_short_to_fit_and_check(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "short.csv", 10)
    code, output = _run("--csv", str(csv), "--horizon", "5", "--out", str(tmp_path / "f.csv"))
    assert code == 2 and not (tmp_path / "f.csv").exists()
    assert f"{csv} has 10 rows; a forecast of 5 steps needs at least 21:" in output
    assert "the last 20% of the rows must hold one whole horizon to check the fitted model on" in output
    assert "a context of 5 steps (one horizon) twice over" in output and "--horizon 2 or less" in output


def test_the_shortest_accepted_file_is_fitted_and_checked(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "s.csv", 21)  # the 21 rows the refusal above asks for
    settings = [arg for key in TINY for arg in ("--set", key)]
    code, output = _run("--csv", str(csv), "--horizon", "5", "--out", str(tmp_path / "f.csv"), *settings)
    assert code == 0, output
    assert "context 5 steps" in output and "check on the last 20% of the rows (1 forecasts;" in output


def test_cli_refuses_a_chosen_context_the_file_cannot_hold(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "s.csv", 40)
    code, output = _run(
        "--csv", str(csv), "--horizon", "5", "--context", "100", "--model", "dlinear",
        "--out", str(tmp_path / "f.csv"),
    )  # fmt: skip
    assert code == 2
    assert "has 40 rows; a forecast of 5 steps needs at least 132" in output
    assert "a context of 100 steps (the chosen --context) plus one horizon" in output
    assert "or a shorter --context" in output


def test_seasonal_naive_needs_one_season_of_context(tmp_path: Path) -> None:
    code, output = _run(
        "--csv", str(_csv(tmp_path / "s.csv", 40)), "--horizon", "5", "--model", "seasonal_naive",
        "--out", str(tmp_path / "f.csv"), "--set", "seasonal_period=24",  # minutely rows: a day is 1440
    )  # fmt: skip
    assert (
        code == 2
        and "needs at least 67" in output
        and "a context of 24 steps (one seasonal period)" in output
    )


def test_a_fit_without_a_hold_out_says_it_is_not_checked(tmp_path: Path) -> None:
    settings = [arg for key in TINY for arg in ("--set", key)]
    code, output = _run(
        "--csv", str(_csv(tmp_path / "s.csv", 40)), "--horizon", "5", "--out", str(tmp_path / "f.csv"),
        "--set", "val_fraction=0", *settings,
    )  # fmt: skip
    assert code == 0, output
    assert "warning: the forecast is not checked (val_fraction=0 holds no rows out)" in output


def test_check_origins_start_at_the_cut_and_need_a_whole_horizon() -> None:
    assert check_origins(100, horizon=8, fraction=0.2).tolist() == [80, 88]  # 96 + 8 > 100
    assert check_origins(21, horizon=5, fraction=0.2).tolist() == [16]
    assert check_origins(20, horizon=5, fraction=0.2).tolist() == []  # cut 16, 16 + 5 > 20
    assert check_origins(100, horizon=8, fraction=0.0).tolist() == []
