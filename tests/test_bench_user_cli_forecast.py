"""``moesaic forecast`` against the user report's items 3, 7 and 8: the season read from the time
step, no silent forecast for a channel without recent readings, and ``train.max_steps`` bounding
every training stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli import forecast as command
from moesaic.config import apply_overrides
from moesaic.tasks.forecast import ForecastConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(command.forecast)
    return app


def _csv(path: Path, rows: int, *, minutes: int, empty_tail: int = 0) -> Path:
    t = np.arange(rows)
    day = 24 * 60 // minutes
    stamps = np.datetime64("2020-01-01T00:00") + t * np.timedelta64(minutes, "m")
    lines = ["date,load,temp"]
    for i, stamp in zip(t, stamps, strict=True):
        temp = "" if i >= rows - empty_tail else f"{np.cos(2 * np.pi * i / day):.4f}"
        lines.append(f"{str(stamp).replace('T', ' ')}:00,{np.sin(2 * np.pi * i / day):.4f},{temp}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_seasonal_naive_repeats_a_day_of_fifteen_minute_rows(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "m15.csv", 1200, minutes=15)
    args = [
        "--csv",
        str(csv),
        "--model",
        "seasonal_naive",
        "--horizon",
        "96",
        "--out",
        str(tmp_path / "f.csv"),
    ]
    result = CliRunner().invoke(_app(), args)
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 0, result.output
    assert "season of 96 steps: one day of rows every 15 minutes" in output
    assert "mean absolute error 0.000 standardised" in output
    assert "against" not in output and "chose when training stopped" not in output  # not with itself
    chosen = CliRunner().invoke(_app(), [*args, "--set", "seasonal_period=24"])
    output = " ".join(chosen.output.split())
    assert chosen.exit_code == 0 and "season: 24 steps (--set seasonal_period)" in output
    assert "mean absolute error 1." in output  # a quarter of a day off


def test_a_channel_without_readings_in_the_context_is_refused(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "tail.csv", 400, minutes=60, empty_tail=200)
    args = ["--csv", str(csv), "--model", "seasonal_naive", "--horizon", "24", "--context", "48"]
    result = CliRunner().invoke(_app(), [*args, "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (
        "no reading in the last 48 rows" in result.output
        and "temp (its last 200 rows are empty)" in result.output
    )
    assert not (tmp_path / "f.csv").exists()


def test_train_max_steps_bounds_every_stage_unless_the_stages_are_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    overrides = ["train.max_steps=20"]
    bounded = command._bounded_stages(apply_overrides(ForecastConfig(), overrides), overrides)
    assert bounded.moesaic.stage_steps == 20 and "moesaic.stage_steps 300 -> 20" in capsys.readouterr().out
    both = [*overrides, "moesaic.stage_steps=50"]
    assert command._bounded_stages(apply_overrides(ForecastConfig(), both), both).moesaic.stage_steps == 50
    assert command._bounded_stages(ForecastConfig(), []).moesaic.stage_steps == 300
