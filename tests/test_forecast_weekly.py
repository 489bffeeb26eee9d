"""A plant that idles at weekends: `moesaic forecast` repeats a week when the history does.

A bottling plant's chiller (10-minute rows, production Monday to Friday, idle at weekends) was
forecast for a Saturday with a weekday's load, by default and with ``--set seasonal_period=1008``:
the season was a day, the context (512 rows) held no week, and the set season never reached the
moesaic model's periodic path (it kept the config's 24 steps). Here, hourly rows: a week is 168.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.forecast import forecast
from moesaic.eval.season import weekly_ratio, weekly_season
from moesaic.tasks.forecast import Forecaster

pytestmark = pytest.mark.usefixtures("one_thread")

DAY, WEEK = 24, 168
TINY = [
    "train.max_steps=20",
    "train.warmup_steps=0",
    "train.num_threads=1",
    "moesaic.dim=8",
    "moesaic.num_layers=1",
    "moesaic.num_heads=2",
    "moesaic.patch_len=8",
    "moesaic.expert_hidden=8",
    "moesaic.stage_steps=20",
    "moesaic.stages=[periodic,ridge]",
]
START = "2024-03-04"  # a Monday


def _weekly(rows: int, *, seed: int = 0, weekends: bool = True) -> np.ndarray:
    """Hourly load: a working day's hump, idle nights, and (``weekends``) idle Saturdays and Sundays."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    hour, weekday = t % DAY, (t // DAY) % 7
    working = (hour >= 6) & (hour < 22) & ((weekday < 5) | (not weekends))
    return np.where(working, 50 + 5 * np.sin(np.pi * (hour - 6) / 16), 4.0) + rng.normal(0, 0.5, rows)


def _csv(path: Path, load: np.ndarray, *, start: str = START) -> Path:
    stamps = pd.date_range(start, periods=len(load), freq="h")
    pd.DataFrame({"time": stamps, "power": load.round(3)}).to_csv(path, index=False)
    return path


def _run(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(forecast)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def _times(rows: int) -> np.ndarray:
    return pd.date_range(START, periods=rows, freq="h").to_numpy()


# ---------------------------------------------------------------- the weekly cycle, from the rows


def test_a_week_ago_forecasts_idle_weekends_better_than_a_day_ago() -> None:
    idle = weekly_ratio(_weekly(6 * WEEK)[:, None], DAY)
    assert idle is not None and idle < 0.5
    # every day alike: the week-ago and day-ago forecasts err alike (noise against noise)
    assert weekly_ratio(_weekly(6 * WEEK, weekends=False)[:, None], DAY) == pytest.approx(1.0, abs=0.1)
    assert weekly_ratio(_weekly(WEEK)[:, None], DAY) is None  # no second week to score


def test_weekly_season_needs_three_clear_weeks_with_timestamps() -> None:
    load = _weekly(6 * WEEK)[:, None]
    season = weekly_season(_times(len(load)), load)
    assert season is not None and season.period == WEEK and "one week of rows every hour" in season.why
    assert weekly_season(_times(3 * WEEK - 1), load[: 3 * WEEK - 1]) is None
    assert weekly_season(np.arange(len(load)), load) is None  # step numbers: no calendar
    walk = np.cumsum(np.random.default_rng(1).normal(size=(6 * WEEK, 2)), axis=0)
    assert weekly_season(_times(len(walk)), walk) is None  # drifts: a week ago is further off
    flat = _weekly(6 * WEEK, weekends=False)[:, None]
    assert weekly_season(_times(len(flat)), flat) is None


# ---------------------------------------------------------------- the command


def test_default_forecast_of_a_saturday_is_idle_when_the_history_idles_at_weekends(tmp_path: Path) -> None:
    rows = 8 * WEEK - 2 * DAY  # ends on a Friday night: the next day is a Saturday
    csv, out = _csv(tmp_path / "ch.csv", _weekly(rows)), tmp_path / "f.csv"
    code, words = _run(
        "--csv", str(csv), "--horizon", str(DAY), "--out", str(out), "--model", "seasonal_naive"
    )
    assert code == 0, words
    assert "season of 168 steps: one week of rows every hour" in words
    saturday = pd.read_csv(out)
    assert pd.Timestamp(saturday["time"].iloc[0]).day_name() == "Saturday"
    assert saturday["power"].max() < 10  # idle, not the weekday's 50


def test_weekly_season_reaches_the_moesaic_model_and_its_forecast(tmp_path: Path) -> None:
    rows = 8 * WEEK - 2 * DAY
    csv, out, saved = _csv(tmp_path / "ch.csv", _weekly(rows)), tmp_path / "f.csv", tmp_path / "model"
    sets = [item for s in TINY for item in ("--set", s)]
    code, words = _run(
        "--csv",
        str(csv),
        "--horizon",
        str(DAY),
        "--out",
        str(out),
        "--save",
        str(saved),
        "--context",
        str(2 * WEEK),
        *sets,
    )
    assert code == 0, words
    config = Forecaster.load(saved).config
    assert (config.seasonal_period, config.moesaic.period, config.context_length) == (WEEK, WEEK, 2 * WEEK)
    assert pd.read_csv(out)["power"].max() < 25  # a Saturday, far below the weekday's 50


def test_a_set_season_reaches_the_moesaic_models_periodic_path(tmp_path: Path) -> None:
    csv, saved = _csv(tmp_path / "ch.csv", _weekly(8 * WEEK)), tmp_path / "model"
    sets = [item for s in [*TINY, "seasonal_period=168"] for item in ("--set", s)]
    code, words = _run(
        "--csv",
        str(csv),
        "--horizon",
        "12",
        "--out",
        str(tmp_path / "f.csv"),
        "--save",
        str(saved),
        "--context",
        str(2 * WEEK),
        *sets,
    )
    assert code == 0, words
    assert "season: 168 steps (--set seasonal_period)" in words
    config = Forecaster.load(saved).config
    assert (config.seasonal_period, config.moesaic.period) == (WEEK, WEEK)  # was the config's 24


def test_a_set_season_longer_than_the_default_context_grows_the_context(tmp_path: Path) -> None:
    csv, saved = _csv(tmp_path / "long.csv", _weekly(24 * WEEK)), tmp_path / "model"
    code, words = _run(
        "--csv",
        str(csv),
        "--horizon",
        "12",
        "--out",
        str(tmp_path / "f.csv"),
        "--save",
        str(saved),
        "--model",
        "seasonal_naive",
        "--set",
        "seasonal_period=600",
    )
    assert code == 0, words
    assert "context 1200 steps: 2 seasons (--context sets it)" in words
    assert "longer than the context" not in words
    assert Forecaster.load(saved).config.context_length == 1200


def test_a_chosen_context_shorter_than_a_set_season_is_warned_about(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "ch.csv", _weekly(8 * WEEK))
    code, words = _run(
        "--csv",
        str(csv),
        "--horizon",
        "12",
        "--out",
        str(tmp_path / "f.csv"),
        "--context",
        "96",
        "--model",
        "dlinear",
        "--set",
        "seasonal_period=168",
        "--set",
        "train.max_steps=2",
    )
    assert code == 0, words
    assert "the season of 168 steps is longer than the context of 96" in words


def _late_weekends(rows: int) -> np.ndarray:
    """Every day alike, but weekends idle in the last 20 % (the rows that check the fit)."""
    load = _weekly(rows, weekends=False)
    late = int(rows * 0.8)
    load[late:] = _weekly(rows)[late:]
    return load


@pytest.mark.parametrize(
    "load",
    [_weekly(8 * WEEK, weekends=False), _late_weekends(10 * WEEK)],
    ids=["no-weekly-cycle", "weekly-only-in-the-checked-rows"],
)
def test_without_a_weekly_cycle_in_the_training_rows_the_season_stays_a_day(
    tmp_path: Path, load: np.ndarray
) -> None:
    # the season is decided on the training rows alone, never on the rows that check the fit
    csv, out = _csv(tmp_path / "plant.csv", load), str(tmp_path / "f.csv")
    code, words = _run("--csv", str(csv), "--horizon", str(DAY), "--out", out, "--model", "seasonal_naive")
    assert code == 0, words
    assert "season of 24 steps: one day of rows every hour" in words
    assert "one week" not in words and "2 seasons" not in words
