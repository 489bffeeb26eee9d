from __future__ import annotations

import json
from pathlib import Path

import pytest

from moesaic.eval import bench
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite, render_markdown, run_suite


@register_suite("_toy", "a toy suite for the runner tests")
def _toy(ctx: SuiteContext) -> list[BenchRow]:
    rows = [
        BenchRow(
            system="moesaic",
            dataset="toy",
            task="forecast",
            setting=f"quick={ctx.quick}",
            metric="mse",
            value=0.5,
            params_total=10,
            params_active=5,
            train_seconds=1.0,
            infer_ms_per_window=0.1,
            peak_rss_mb=100.0,
        )
    ]
    rows.append(
        BenchRow(
            system="patchtst",
            dataset="toy",
            task="forecast",
            setting=f"quick={ctx.quick}",
            metric="mse",
            value=0.6,
            source="published: Nie et al. 2023, Table 3",
        )
    )
    return rows


def test_run_suite_writes_json_in_the_contract_shape(tmp_path: Path, contract_keys: set[str]) -> None:
    result = run_suite("_toy", SuiteContext(quick=True), out=tmp_path, command="moesaic bench _toy --quick")
    doc = json.loads(result.json_path.read_text())
    assert set(doc) == {"suite", "created", "command", "machine", "rows"}
    assert doc["suite"] == "_toy" and doc["command"] == "moesaic bench _toy --quick"
    assert set(doc["machine"]) == {"cpus", "torch", "python"}
    assert all(set(row) == contract_keys for row in doc["rows"])
    assert doc["rows"][0]["value"] == 0.5
    md = result.markdown_path.read_text()
    assert "## toy — quick=True" in md
    assert md.index("| moesaic |") < md.index("| patchtst |")


@register_suite("_reads_steps", "a suite reading one option, for the unread-options test")
def _reads_steps(ctx: SuiteContext) -> list[BenchRow]:
    steps = ctx.integer("steps", 1)
    ctx.options.get("seed_list")
    return [BenchRow(system="moesaic", dataset="toy", task="forecast", setting="", metric="mse", value=steps)]


def test_options_the_suite_never_reads_are_named(tmp_path: Path) -> None:
    options = {"steps": "3", "stepz": "4", "seed_list": "1"}
    result = run_suite("_reads_steps", SuiteContext(options=options), out=tmp_path, command="x")
    assert result.rows[0].value == 3 and result.unread_options == ("stepz",)


def test_unknown_suite_lists_available_ones(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"available suites: .*data"):
        run_suite("nope", SuiteContext(), out=tmp_path, command="x")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": float("nan")}, "`value` must be a finite number"),
        ({"metric": "MSE"}, "`metric` must be snake_case"),
        ({"source": "paper"}, "`source` must be 'measured' or start with 'published:'"),
        ({"source": "published: x", "train_seconds": 3.0}, "published rows carry no measured cost fields"),
    ],
)
def test_invalid_rows_are_rejected(changes: dict, message: str) -> None:
    base = {"system": "s", "dataset": "d", "task": "t", "setting": "", "metric": "mse", "value": 1.0}
    with pytest.raises(ValueError, match=message):
        BenchRow(**{**base, **changes})


def test_markdown_groups_by_dataset_and_setting() -> None:
    rows = [
        BenchRow(system="a", dataset=d, task="t", setting=s, metric="mae", value=1.0)
        for d in ("x", "y")
        for s in ("H=96", "H=192")
    ]
    md = render_markdown("t", rows, command="c", created="now")
    assert md.count("## ") == 4 and "## y — H=192" in md


def test_data_suite_is_registered() -> None:
    assert "data" in bench.suites()


def test_numeric_options_are_read_or_refused_with_their_name() -> None:
    ctx = SuiteContext(options={"seeds": "3", "days": "1.5", "bad": "abc", "half": "2.5"})
    assert ctx.integer("seeds", 1) == 3 and ctx.integer("absent", 7) == 7 and ctx.number("days", 0) == 1.5
    with pytest.raises(OptionError, match="option bad='abc': expected a number"):
        ctx.number("bad", 0)
    with pytest.raises(OptionError, match=r"option half='2\.5': expected an integer"):
        ctx.integer("half", 0)
    with pytest.raises(OptionError, match="option bad='abc': expected an integer"):
        ctx.integer("bad", 0)
