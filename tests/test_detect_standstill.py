"""``moesaic detect`` on a machine that starts and stops: fitted, thresholded and scored on running rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from typer.testing import CliRunner

from moesaic.cli.detect import detect
from moesaic.tasks.detector_standstill import running_rows, spread
from moesaic.tasks.detectors import Detection

ROWS, TRAIN = 1400, 800
LEAK = slice(1000, 1200)  # rows of the seal leak; the pump runs for some of them only
STOP = 810  # the first stopped row after the training rows


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(detect)
    return app


def _runs(rows: int = ROWS) -> np.ndarray:
    """(T,) bool: 40 rows running, then 30 stopped, over and over."""
    return np.arange(rows) % 70 < 40


def _pump(path: Path, *, stops: bool = True, blank_at_stop: bool = False) -> pd.DataFrame:
    """A pump's flow, discharge pressure and current, near 0 when stopped; a seal leak over
    :data:`LEAK` drops the pressure by 1.3 bar and the flow by 1.6 while it runs."""
    rng = np.random.default_rng(0)
    run = _runs() if stops else np.ones(ROWS, dtype=bool)
    leak = np.zeros(ROWS, dtype=bool)
    leak[LEAK] = True
    frame = pd.DataFrame({
        "time": pd.date_range("2024-01-01", periods=ROWS, freq="10min").astype(str),
        "flow": np.where(run, 12 + 0.25 * rng.standard_normal(ROWS) - 1.6 * leak, 0.0),
        "pressure": np.where(run, 9.5 + 0.08 * rng.standard_normal(ROWS) - 1.3 * leak, 0.4),
        "amps": np.where(run, 18.2 + 0.3 * rng.standard_normal(ROWS), 0.0),
    })  # fmt: skip
    if blank_at_stop:  # flow and current missed at the first stopped row after the training rows
        frame = frame.astype({"flow": object, "amps": object})
        frame.loc[STOP, ["flow", "amps"]] = ""
    frame.to_csv(path, index=False)
    return frame


def _detect(tmp_path: Path, *extra: str) -> tuple[str, pd.DataFrame]:
    out = tmp_path / "alarms.csv"
    args = ["--csv", str(tmp_path / "pump.csv"), "--train-until", str(TRAIN), "--out", str(out)]
    result = CliRunner().invoke(_app(), [*args, "--detector", "zscore", *extra])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), pd.read_csv(out, keep_default_na=False)


def test_a_leak_is_caught_on_the_running_rows_and_the_stopped_rows_are_not_scored(tmp_path: Path) -> None:
    _pump(tmp_path / "pump.csv")
    said, out = _detect(tmp_path)
    run = _runs()
    leak = np.zeros(ROWS, dtype=bool)
    leak[LEAK] = True
    alarm = out["alarm"].to_numpy() == 1
    assert alarm[leak & run].mean() > 0.9  # over all rows, the standstill hid it: no alarm
    assert not alarm[TRAIN:][~leak[TRAIN:]].any()  # no start or stop raised one
    assert list(out.columns) == ["time", "score", "alarm", "top_channels", "state"]
    assert (out["state"] == np.where(run, "running", "stopped")).all()
    assert (out["score"][~run] == "").all() and (out["top_channels"][~run] == "").all()
    running, stopped = int(run[TRAIN:].sum()), int((~run[TRAIN:]).sum())
    assert f"of {running} later running rows in alarm ({stopped} stopped later rows not scored)" in said
    training_share = f"{(~run[:TRAIN]).mean():.0%}"
    assert "the machine starts and stops: 'flow' at or under 1.2" in said
    assert f"reads stopped, {training_share} of the training rows" in said


def test_a_machine_that_never_stops_and_standstill_0_read_every_row_as_before(tmp_path: Path) -> None:
    _pump(tmp_path / "pump.csv", stops=False)
    said, out = _detect(tmp_path)
    assert list(out.columns) == ["time", "score", "alarm", "top_channels"] and "starts and stops" not in said
    assert f"of {ROWS - TRAIN} later rows in alarm;" in said
    _pump(tmp_path / "pump.csv")
    said, out = _detect(tmp_path, "--set", "standstill=0")
    assert list(out.columns) == ["time", "score", "alarm", "top_channels"] and "starts and stops" not in said
    bad = CliRunner().invoke(_app(), ["--csv", str(tmp_path / "pump.csv"), "--train-until", "800", "--out",
                                      str(tmp_path / "o.csv"), "--set", "standstill=maybe"])  # fmt: skip
    assert bad.exit_code == 2 and "standstill takes 1" in " ".join(bad.output.split())


def test_a_state_reading_missing_at_a_stop_is_read_from_another_channel(tmp_path: Path) -> None:
    frame = _pump(tmp_path / "pump.csv", blank_at_stop=True)
    values = frame[["flow", "pressure", "amps"]].apply(pd.to_numeric, errors="coerce").to_numpy()
    state = running_rows(values, TRAIN, ["flow", "pressure", "amps"])
    assert state is not None and state.standstill.channel in ("flow", "amps")
    assert (state.running == _runs()).all()  # pressure, 0.4 bar, says the blank row is stopped
    _, out = _detect(tmp_path)
    assert out["state"][STOP] == "stopped" and out["alarm"][TRAIN : LEAK.start].eq(0).all()


def test_too_few_running_training_rows_are_refused_by_name(tmp_path: Path) -> None:
    frame = _pump(tmp_path / "pump.csv")
    frame[40:].to_csv(tmp_path / "pump.csv", index=False)  # 30 rows stopped, then 40 running, ...
    args = ["--csv", str(tmp_path / "pump.csv"), "--train-until", "55", "--out", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(_app(), [*args, "--detector", "zscore"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "55 training rows, of which 25 running" in said
    assert "standstill=0" in said


def test_a_saved_detector_reads_the_state_from_the_file_it_scores(tmp_path: Path) -> None:
    _pump(tmp_path / "pump.csv")
    _detect(tmp_path, "--save", str(tmp_path / "saved"))
    out = tmp_path / "loaded.csv"
    args = ["--csv", str(tmp_path / "pump.csv"), "--load", str(tmp_path / "saved"), "--out", str(out)]
    result = CliRunner().invoke(_app(), args)
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "judged from this file" in said, result.output
    loaded = pd.read_csv(out, keep_default_na=False)
    assert (loaded["state"] == np.where(_runs(), "running", "stopped")).all()


def test_spread_puts_a_running_rows_detection_back_on_every_row() -> None:
    running = np.array([True, False, True, True, False])
    score, alarm = np.array([1.0, 2.0, 3.0]), np.array([False, True, True])
    detection = Detection(score, alarm, np.ones((3, 2)), threshold=1.5, channels=("a", "b"))
    every = spread(detection, running)
    assert np.array_equal(every.score, [1.0, np.nan, 2.0, 3.0, np.nan], equal_nan=True)
    assert every.alarm.tolist() == [False, False, True, True, False]
    assert every.contributions[~running].sum() == 0 and every.threshold == 1.5
