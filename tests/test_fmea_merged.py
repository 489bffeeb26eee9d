"""An FMEA sheet exported with merged cells: blank hierarchy cells are filled down, scores never."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moesaic.data.sets.fmea_mining_truck import COLUMNS, read_fmea
from moesaic.data.tables import DataFormatError
from moesaic.reports.qa.fmea import FmeaAnswerer
from moesaic.reports.qa.table import rows_from_documents

HEADER = ",".join(f'"{c}"' if "," in c else c for c in COLUMNS)
# Subsystem, Component, Sub-Component, Mode, Effect, S, Cause, O, Controls, D, RPN, Action
MERGED = [
    "Power Unit,Fuel System,Fuel Tank,Cracked,Fuel loss,4,Wear,1,Visual check,2,8,Flush tank",
    ",,,,,4,Impact,1,Visual check,2,8,",  # a second cause of the same failure mode
    ",,Fuel Filter,Blocked,Loss of power,4,Dirty fuel,2,Change out,2,16,",
    ",Pumps,,Leaking,Pressure loss,2,Wear,3,Visual check,2,12,",  # a component without sub-components
    ",,,Wearing,Pressure loss,2,Impact,2,Visual check,2,8,",
]
FILLED = [
    "Power Unit,Fuel System,Fuel Tank,Cracked,Fuel loss,4,Wear,1,Visual check,2,8,Flush tank",
    "Power Unit,Fuel System,Fuel Tank,Cracked,Fuel loss,4,Impact,1,Visual check,2,8,",
    "Power Unit,Fuel System,Fuel Filter,Blocked,Loss of power,4,Dirty fuel,2,Change out,2,16,",
    "Power Unit,Pumps,,Leaking,Pressure loss,2,Wear,3,Visual check,2,12,",
    "Power Unit,Pumps,,Wearing,Pressure loss,2,Impact,2,Visual check,2,8,",
]
LEVELS = (
    "Subsystem",
    "Component",
    "Sub-Component",
    "Potential Failure Mode",
    "Potential Effect(s) of Failure",
)


def _sheet(tmp_path: Path, rows: list[str], name: str = "fmea.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_merged_cells_read_as_the_filled_sheet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="moesaic.data.readers_fmea"):
        merged = read_fmea(_sheet(tmp_path, MERGED)).documents
    filled = read_fmea(_sheet(tmp_path, FILLED, "filled.csv")).documents
    assert [d.fields for d in merged] == [d.fields for d in filled]
    assert [d.text for d in merged] == [d.text for d in filled]
    # 4 Subsystem + 2 Component + 2 Sub-Component + 1 mode + 1 effect; the Pumps rows' blank
    # sub-component is not taken from the Fuel System above.
    assert "filled 10 blank hierarchy cells" in caplog.text
    assert [d.fields["Sub-Component"] for d in merged] == ["Fuel Tank", "Fuel Tank", "Fuel Filter", "", ""]


def test_only_hierarchy_cells_are_filled(tmp_path: Path) -> None:
    (_, second, *_) = read_fmea(_sheet(tmp_path, MERGED)).documents
    assert second.fields["Recommended Action"] == ""  # not a hierarchy column: stays blank
    assert (second.fields["Potential Cause(s) of Failure"], second.fields["RPN"]) == ("Impact", 8)


def test_a_merged_sheet_answers_like_the_filled_one(tmp_path: Path) -> None:
    question = "Which failure modes of the fuel system have an RPN above 5?"
    answers = [
        FmeaAnswerer(rows_from_documents(read_fmea(_sheet(tmp_path, rows, name)).documents)).answer(question)
        for rows, name in ((MERGED, "merged.csv"), (FILLED, "filled.csv"))
    ]
    assert answers[0] == answers[1]
    assert answers[0].text.startswith("Component Fuel System: 3 matching failure modes")


def test_a_blank_subsystem_in_the_first_row_is_refused(tmp_path: Path) -> None:
    path = _sheet(tmp_path, [",Fuel System,Fuel Tank,Cracked,Fuel loss,4,Wear,1,Check,2,8,", *MERGED[1:]])
    with pytest.raises(
        DataFormatError, match=r"fmea\.csv, line 2, column 'Subsystem': expected a `Subsystem`"
    ):
        read_fmea(path)


def test_a_blank_score_on_a_merged_row_is_still_refused(tmp_path: Path) -> None:
    rows = [*MERGED]
    rows[1] = ",,,,,,Impact,1,Visual check,2,8,"
    with pytest.raises(
        DataFormatError, match=r"line 3, column 'Severity': expected a number, found an empty cell"
    ):
        read_fmea(_sheet(tmp_path, rows))
