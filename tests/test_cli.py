from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app

runner = CliRunner()


def test_data_list_names_every_set_and_its_licence(shared_data: Path) -> None:
    result = runner.invoke(app, ["data", "list", "--data", str(shared_data)])
    assert result.exit_code == 0, result.output
    for name in ("skab", "tep", "assetopsbench", "timegan_stocks"):
        assert name in result.output
    assert "CC BY-ND" in result.output


def test_data_show_prints_citation(shared_data: Path) -> None:
    result = runner.invoke(app, ["data", "show", "ett", "--data", str(shared_data)])
    assert result.exit_code == 0, result.output
    assert "Informer" in result.output and "ETTh1.csv" in result.output


def test_data_validate_one_set(shared_data: Path) -> None:
    result = runner.invoke(app, ["data", "validate", "ett", "fmc_mwo2kg", "--data", str(shared_data)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok") >= 2


def test_unknown_set_is_one_clear_error(shared_data: Path) -> None:
    result = runner.invoke(app, ["data", "show", "nope", "--data", str(shared_data)])
    assert result.exit_code == 2
    assert "unknown data set 'nope'" in result.output


def test_missing_data_folder_says_how_to_point_at_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "validate", "--data", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no such folder" in result.output


def test_bench_list_and_unknown_suite() -> None:
    listing = runner.invoke(app, ["bench", "list"])
    assert listing.exit_code == 0 and "data" in listing.output
    unknown = runner.invoke(app, ["bench", "nope"])
    assert unknown.exit_code == 2 and "unknown suite 'nope'" in unknown.output


def test_bench_option_a_suite_cannot_use_is_one_clear_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "synthesis_conditions", "-o", "seeds=0", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "options seeds, steps, assets must be >= 1" in result.output
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())


def test_bench_data_writes_contract_files(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    from moesaic.data import registry

    only_small = {k: v for k, v in registry.datasets().items() if k in ("fmc_mwo2kg", "timegan_stocks")}
    monkeypatch.setattr("moesaic.eval.suites.data.datasets", lambda: only_small)
    result = runner.invoke(
        app, ["bench", "data", "--quick", "--data", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "data.json").read_text())
    metrics = {(r["dataset"], r["metric"]) for r in doc["rows"]}
    assert ("timegan_stocks", "load_seconds") in metrics and ("fmc_mwo2kg", "records") in metrics
    assert (tmp_path / "data.md").read_text().startswith("# Benchmark `data`")


def test_simulate_then_demo(tmp_path: Path) -> None:
    sim = runner.invoke(
        app, ["simulate", "--assets", "3", "--days", "5", "--seed", "3", "--out", str(tmp_path / "plant")]
    )
    assert sim.exit_code == 0, sim.output
    assert (tmp_path / "plant" / "manifest.json").exists()
    demo = runner.invoke(
        app, ["demo", "--out", str(tmp_path / "demo"), "--assets", "4", "--days", "20", "--no-models"]
    )
    assert demo.exit_code == 0, demo.output
    page = (tmp_path / "demo" / "moesaic-demo.html").read_text()
    assert "<img" in page and "The plant" in page
    assert "demo: simulating 4 assets over 20 days (0 s)" in demo.output  # not a terminal: one line per step
    assert (tmp_path / "demo" / "moesaic-demo.json").is_file()  # marks the folder as the demo's
    again = runner.invoke(
        app, ["demo", "--out", str(tmp_path / "demo"), "--assets", "3", "--days", "5", "--no-models"]
    )
    assert again.exit_code == 0, again.output  # an earlier demo's folder is replaced


def test_simulate_and_demo_refuse_to_replace_a_users_files(tmp_path: Path) -> None:
    plant = tmp_path / "plant"
    args = ["simulate", "--assets", "2", "--days", "3", "--no-drawings", "--out", str(plant)]
    assert runner.invoke(app, args).exit_code == 0
    (plant / "notes.txt").write_text("mine")
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "Traceback" not in again.output
    said = " ".join(again.output.split())
    assert f"{plant} holds files the simulator did not write (or changed since): notes.txt" in said
    assert (plant / "notes.txt").read_text() == "mine"
    before = sorted(p.relative_to(plant) for p in plant.rglob("*"))
    demo = runner.invoke(app, ["demo", "--out", str(plant), "--no-models"])
    assert demo.exit_code == 2 and "was not written by moesaic demo" in " ".join(demo.output.split())
    assert sorted(p.relative_to(plant) for p in plant.rglob("*")) == before  # nothing written


def test_simulate_rejects_bad_arguments(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--assets", "0", "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "--assets must be an integer >= 1, got 0" in result.output  # the option, not the config field
    assert not (tmp_path / "p").exists()
    short = runner.invoke(app, ["simulate", "--days", "0.5", "--out", str(tmp_path / "p")])
    assert short.exit_code == 2 and "gives 12 readings per asset" in " ".join(short.output.split())


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--assets", "-1"], "--assets must be at least 1, got -1"),
        (["--days", "0", "--no-models"], "--days must be at least 2 (48 hourly readings"),
        (["--days", "5"], "--days 5 is too short for the demo's models: they need at least 14 days"),
    ],
)
def test_demo_rejects_a_plant_too_small_before_writing(tmp_path: Path, args: list[str], said: str) -> None:
    # user report: `demo --assets -1` printed a traceback and left a demo folder behind
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), *args])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert said in " ".join(result.output.split())
    assert not (tmp_path / "d").exists()


def test_a_command_is_run_from_an_app_holding_only_it() -> None:
    from moesaic.cli import app as app_module

    assert app_module._command_of(["-v", "drawing", "summarize", "x.png"]) == "drawing"
    assert app_module._command_of(["--help"]) is None
    assert app_module._command_of(["nonsense"]) is None
    lean = app_module.build_app(["data"])
    result = runner.invoke(lean, ["--help"])
    assert result.exit_code == 0, result.output
    assert "data" in result.output and "report" not in result.output
    with pytest.raises(ValueError, match="unknown commands"):
        app_module.build_app(["nonsense"])


def test_reading_a_drawing_does_not_import_torch() -> None:
    code = (
        "import sys; from moesaic.cli.app import build_app; build_app(['drawing']); "
        "print('torch' in sys.modules, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_registered_command_is_in_the_full_app() -> None:
    from moesaic.cli.app import COMMANDS, GROUPS

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in [*COMMANDS, *GROUPS]:
        assert name in result.output


def test_an_unwritable_out_is_one_line_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def refuse(*args: object, dir: object = None, **kwargs: object) -> str:
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(dir))

    monkeypatch.setattr("moesaic.atomic.tempfile.mkdtemp", refuse)  # the test may run as root
    for command in (["simulate", "--assets", "1", "--days", "3"], ["demo", "--no-models"], ["bench", "data"]):
        result = runner.invoke(app, [*command, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2, (command, result.output)
        said = " ".join(result.output.split())
        assert f"cannot write {tmp_path / 'out'}: permission denied (in {tmp_path})" in said
        assert "Traceback" not in said
    assert not list(tmp_path.iterdir())


def test_an_os_error_met_late_is_one_line_from_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import os

    from moesaic.cli import app as app_module

    def late(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "plant" / "x"))

    monkeypatch.setattr("moesaic.cli.simulate.simulate_to", late)
    argv = ["moesaic", "simulate", "--assets", "1", "--days", "3", "--out", str(tmp_path / "plant")]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as stop:
        app_module.main()
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert (
        said.endswith(f"\nerror: {tmp_path / 'plant' / 'x'}: read-only file system\n")
        and "Traceback" not in said
    )


@pytest.mark.skipif(
    not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs, where no one may make a folder"
)
def test_simulate_into_sysfs_says_why_without_a_traceback(tmp_path: Path) -> None:
    moesaic = Path(sys.executable).with_name("moesaic")
    out = subprocess.run([str(moesaic), "simulate", "--out", "/sys/plant"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "cannot write /sys/plant: operation not permitted (in /sys)" in " ".join(out.stderr.split())


def test_progress_off_a_terminal_is_one_plain_line_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    from moesaic.cli.console import progress

    with progress("job") as step:
        step("reading [a, b]")
    assert capsys.readouterr().err == "job: started\njob: reading [a, b] (0 s)\njob: done (0 s)\n"
    with pytest.raises(RuntimeError), progress("job"):
        raise RuntimeError("broken")
    assert capsys.readouterr().err == "job: started\n"  # no "done" when it fails


def test_a_long_step_off_a_terminal_says_when_it_starts_and_ends_but_not_ends_when_it_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from moesaic.cli.console import working

    with working("fitting [x]"):
        pass
    assert capsys.readouterr().err == "fitting [x] ...\nfitting [x]: done (0 s)\n"
    with pytest.raises(ValueError, match="bad"), working("fitting"):
        raise ValueError("bad")
    assert capsys.readouterr().err == "fitting ...\n"


def test_track_off_a_terminal_prints_the_count_done(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import moesaic.cli.console as console_module

    assert list(console_module.track(iter("abc"), "answering", total=3)) == ["a", "b", "c"]
    assert capsys.readouterr().err == "answering: 3/3 done (0 s)\n"
    monkeypatch.setattr(console_module, "PLAIN_EVERY_S", 0.0)  # a line after every item
    assert list(console_module.track(iter("ab"), "validating")) == ["a", "b"]
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["validating: 1 (0 s)", "validating: 2 (0 s)", "validating: 2 done (0 s)"]


def test_short_help_and_version() -> None:
    import moesaic

    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output == f"moesaic {moesaic.__version__}\n"
    for args in (["-h"], ["simulate", "-h"], ["kb", "search", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage: moesaic" in result.output, (args, result.output)


def test_help_texts_wrap_whole_sentences_not_the_source_lines() -> None:
    from moesaic.cli.app import reflow

    doc = "First line\n    goes on.\n\n    A second\n    paragraph."
    assert reflow(doc) == "First line goes on.\n\nA second paragraph."
    assert reflow(None) is None
    wide = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["forecast", "-h"])
    assert wide.exit_code == 0
    # the docstring's second paragraph wraps at "and" in the source; at 200 columns it is one line
    assert "seasonal_naive, dlinear and patchtst forecast one value per step" in wide.output


def test_training_steps_are_told_at_most_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from moesaic.cli import console

    told: list[str] = []
    monkeypatch.setattr(console, "STEP_EVERY_S", 3600.0)
    quiet = console.every_few_seconds(told.append)
    quiet(1, {"loss": 0.5})
    assert told == []  # within the interval: nothing
    monkeypatch.setattr(console, "STEP_EVERY_S", 0.0)
    chatty = console.every_few_seconds(told.append)
    chatty(7, {"loss": 0.25, "lr": 1e-3})
    chatty(40, {"loss": 0.125, "stage": 2.0, "stages": 5.0, "steps": 300.0})
    assert told == ["training step 7, loss 0.25", "run 2 of 5: training step 40 of at most 300, loss 0.125"]


def test_a_forecasters_progress_names_the_training_run_of_each_stage() -> None:
    from moesaic.tasks.forecast import ForecastConfig, Forecaster

    records: list[dict[str, float]] = []
    config = ForecastConfig(model="moesaic", context_length=16, horizon=4)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, max_steps=5, warmup_steps=1))
    values = np.sin(np.arange(300, dtype=np.float32) / 5)[:, None]
    fitted = Forecaster(config).fit(values, progress=lambda step, record: records.append(record))
    runs = len(fitted.stages_)
    assert runs > 1 and {(r["stage"], r["stages"]) for r in records} == {(i + 1.0, runs) for i in range(runs)}
    assert records[-1]["steps"] == 5.0  # the last run's own bound
