"""``moesaic ask`` over a small FMEA sheet: an answer with citations, an abstention, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.ask import ask
from moesaic.data.sets.fmea_mining_truck import COLUMNS

app = typer.Typer()
app.command()(ask)


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    rows = [
        ["Power Unit", "Cooling System", "Radiator", "Leaks", "Loss of coolant", 3, "Broken pipes", 4,
         "Daily visual inspection", 2, 24, "Inspect hoses at 250 hour service"],
        ["Power Unit", "Cooling System", "Water Pump", "Mechanical Failure", "Engine shutdown", 4,
         "Collapsed bearing", 3, "Inspected every 125 hour service", 3, 36, ""],
    ]  # fmt: skip
    path = tmp_path / "fmea.csv"
    pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(path, index=False)
    return path


def test_ask_answers_with_cited_rows(sheet: Path) -> None:
    result = CliRunner().invoke(app, ["What is the RPN of the water pump?", "--fmea", str(sheet), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["rows"] == ["fmea-2"] and not payload["abstained"]
    assert "RPN 36" in payload["answer"]


def test_ask_abstains_explicitly(sheet: Path) -> None:
    result = CliRunner().invoke(app, ["What causes cavitation in the conveyor idler?", "--fmea", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "cannot answer" in result.output and "conveyor" in result.output


def test_ask_rejects_two_sources_and_bad_sheets(sheet: Path, tmp_path: Path) -> None:
    both = CliRunner().invoke(app, ["q?", "--fmea", str(sheet), "--kb", str(tmp_path)])
    assert both.exit_code == 2 and "either --kb or --fmea" in both.output
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(app, ["q?", "--fmea", str(bad)])
    assert result.exit_code == 2 and "Potential Failure Mode" in result.output
