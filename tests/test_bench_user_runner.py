"""The benchmark runner against the user report's items 1, 6, 10 and 11: one row per key, declared
options checked before a suite runs, quick runs marked, notes in the Markdown, a data folder
without data refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app
from moesaic.data.registry import DataNotFoundError
from moesaic.eval.bench import (
    BenchRow,
    OptionError,
    SuiteContext,
    SuiteOutputError,
    add_to_setting,
    register_suite,
    run_suite,
)

CALLS: list[str] = []


def _row(system: str = "moesaic", setting: str = "H=8", **fields: object) -> BenchRow:
    return BenchRow(
        system=system, dataset="toy", task="t", setting=setting, metric="mse", value=1.0, **fields
    )  # type: ignore[arg-type]


@register_suite("_user_dup", "returns the same key twice", options=())
def _dup(ctx: SuiteContext) -> list[BenchRow]:
    return [_row(), _row(), _row(system="other")]


@register_suite("_user_empty", "returns no row", options=())
def _empty(ctx: SuiteContext) -> list[BenchRow]:
    return []


@register_suite("_user_declared", "reads steps and notes something", options=("steps",))
def _declared(ctx: SuiteContext) -> list[BenchRow]:
    CALLS.append("ran")
    ctx.note("channel OT has no reading in the test part")
    published = _row(system="paper", setting="H=8,eval=paper", source="published: a paper")
    return [
        _row(setting=f"H=8,steps={ctx.integer('steps', 1)}"),
        _row(system="own", setting="quick=0"),
        published,
    ]


def test_duplicate_keys_are_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(SuiteOutputError, match=r"moesaic/toy/H=8/mse; the contract allows one row per key"):
        run_suite("_user_dup", SuiteContext(), out=tmp_path / "out", command="x")
    with pytest.raises(SuiteOutputError, match="produced no rows"):
        run_suite("_user_empty", SuiteContext(), out=tmp_path / "out", command="x")
    assert not (tmp_path / "out").exists()


def test_undeclared_options_are_refused_before_the_suite_runs(tmp_path: Path) -> None:
    CALLS.clear()
    with pytest.raises(
        OptionError, match=r"suite _user_declared: unknown options \['stpes'\]; valid .*\['steps'\]"
    ):
        run_suite("_user_declared", SuiteContext(options={"stpes": "3"}), out=tmp_path, command="x")
    assert CALLS == [] and not list(tmp_path.iterdir())


def test_quick_runs_mark_measured_rows_and_notes_reach_the_markdown(tmp_path: Path) -> None:
    result = run_suite("_user_declared", SuiteContext(quick=True), out=tmp_path, command="x")
    settings = {r.system: r.setting for r in result.rows}
    assert settings == {"moesaic": "H=8,steps=1,quick=1", "own": "quick=0", "paper": "H=8,eval=paper"}
    assert result.notes == ("channel OT has no reading in the test part",)
    assert "- channel OT has no reading in the test part" in result.markdown_path.read_text()
    full = run_suite("_user_declared", SuiteContext(options={"steps": "3"}), out=tmp_path, command="x")
    assert full.rows[0].setting == "H=8,steps=3"


def test_add_to_setting_appends_only_new_keys() -> None:
    assert add_to_setting("L=512,H=96", steps=60, quick=None) == "L=512,H=96,steps=60"
    assert add_to_setting("quick=0", quick=1) == "quick=0"
    assert add_to_setting("", quick=1) == "quick=1"


@pytest.mark.parametrize(
    ("options", "call", "message"),
    [
        ({"threads": "1,8"}, lambda c: c.integer("threads", 1), r"option threads='1,8': expected an integer"),
        ({"threads": "0"}, lambda c: c.integer("threads", 1, minimum=1), r"expected an integer >= 1"),
        (
            {"h": "96,96"},
            lambda c: c.integers("h", (96,)),
            r"option h='96,96': \['96'\] given more than once",
        ),
        ({"h": "96,x"}, lambda c: c.integers("h", (96,)), r"expected integers >= 1 separated by commas"),
        ({"s": "a,a"}, lambda c: c.names("s", ("a",), choices=("a", "b")), r"\['a'\] given more than once"),
        ({"s": "a,c"}, lambda c: c.names("s", ("a",), choices=("a", "b")), r"unknown \['c'\]; choose among"),
    ],
)
def test_option_readers_refuse_lists_repeats_and_small_values(options: dict, call, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        call(SuiteContext(options=options))


def test_option_readers_read_good_values() -> None:
    ctx = SuiteContext(options={"h": "96,192", "s": "b,a", "n": "3"})
    assert ctx.integers("h", (1,)) == (96, 192) and ctx.names("s", (), choices=("a", "b")) == ("b", "a")
    assert ctx.integer("n", 1, minimum=1) == 3 and ctx.integers("absent", (7,)) == (7,)


def test_data_suite_refuses_a_folder_without_data_sets(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="holds none of the registered data sets"):
        run_suite("data", SuiteContext(data=tmp_path), out=tmp_path / "out", command="x")
    assert not (tmp_path / "out").exists()


def test_cli_lists_suite_options_and_refuses_a_repeated_option(tmp_path: Path) -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["bench", "list"])
    assert listing.exit_code == 0 and "fracast_stride" in listing.output
    twice = runner.invoke(
        app, ["bench", "forecast", "-o", "context=24", "-o", "context=48", "--out", str(tmp_path)]
    )
    assert twice.exit_code == 2 and "--option context given twice" in twice.output
    typo = runner.invoke(app, ["bench", "anomaly", "-o", "stpes=60", "--out", str(tmp_path)])
    assert (
        typo.exit_code == 2 and "unknown options ['stpes']" in typo.output and "Traceback" not in typo.output
    )
    assert not list(tmp_path.iterdir())


def test_cli_csv_is_the_csv_option_of_the_suites_that_take_one(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(
        app, ["bench", "forecast", "--csv", "a.csv", "-o", "csv=b.csv", "--out", str(tmp_path)]
    )
    assert both.exit_code == 2 and "--csv a.csv and --option csv=b.csv both given" in both.output
    other = runner.invoke(app, ["bench", "collapse", "--csv", "a.csv", "--out", str(tmp_path)])
    assert other.exit_code == 2 and "unknown options ['csv']" in other.output
    missing = runner.invoke(
        app, ["bench", "forecast", "--csv", str(tmp_path / "none.csv"), "--out", str(tmp_path)]
    )
    assert missing.exit_code == 2 and "none.csv" in missing.output and "Traceback" not in missing.output
    assert not list(tmp_path.iterdir())
