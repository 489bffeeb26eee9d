"""A plant's own FMEA sheet: read as by ``ask --fmea``, checked as strictly as the simulated plant's,
and reachable from a knowledge base when it is a folder's ``fmea.csv`` (user report items 8, 15, 16)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moesaic.data.readers import read_user_folder
from moesaic.data.readers_fmea import COLUMNS, read_fmea
from moesaic.data.simulator.records import read_fmea as read_plant_fmea
from moesaic.data.tables import DataFormatError
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer
from moesaic.reports.scenarios import plan_scenarios

HEADER = ";".join(COLUMNS)
# Subsystem; Component; Sub-Component; Mode; Effect; S; Cause; O; Controls; D; RPN; Action
ROWS = [
    "Kühlwasserkreis;Pumpe;Gleitringdichtung;Fuite garniture;Perte de débit;8;Usure;4;Ronde;3;96;Remplacer",
    ";;Roulement;Usure roulement;Vibration;7,0;Graissage insuffisant;5;Analyse;4;140;Plan de graissage",
    "Druckluft;Verdichter;Dichtung;Ölleck;Ölverlust;9;Alterung;3;Sichtprüfung;4;108;Dichtungen tauschen",
]


def _sheet(folder: Path, rows: list[str], header: str = HEADER, name: str = "fmea.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\ufeff" + "\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return path


def test_a_user_sheet_reads_with_merged_cells_decimal_commas_and_any_case(tmp_path: Path) -> None:
    rows = read_fmea(_sheet(tmp_path, ROWS, header=HEADER.upper().replace(";", " ; "))).documents
    assert [d.doc_id for d in rows] == ["fmea-1", "fmea-2", "fmea-3"]
    second = rows[1].fields
    assert (second["Subsystem"], second["Component"], second["Severity"], second["RPN"]) == (
        "Kühlwasserkreis",
        "Pumpe",
        7,
        140,
    )


def test_a_score_written_n_a_is_quoted_not_called_empty(tmp_path: Path) -> None:
    rows = [*ROWS[:2], ROWS[2].replace(";108;", ";n/a;")]
    with pytest.raises(DataFormatError, match=r"line 4, column 'RPN': expected a number, found 'n/a'$"):
        read_fmea(_sheet(tmp_path, rows))
    rows = [*ROWS[:2], ROWS[2].replace(";9;", ";;")]
    with pytest.raises(
        DataFormatError, match=r"line 4, column 'Severity': expected a number, found an empty"
    ):
        read_fmea(_sheet(tmp_path, rows))


@pytest.mark.parametrize(
    ("column", "cell", "found"), [("Severity", ";12;", "12"), ("Occurrence", ";0;", "0")]
)
def test_scores_outside_1_to_10_are_refused_like_the_simulated_plants(
    tmp_path: Path, column: str, cell: str, found: str
) -> None:
    rows = [ROWS[0], ROWS[1], ROWS[2].replace(";9;" if column == "Severity" else ";3;", cell, 1)]
    message = rf"fmea\.csv, line 4, column '{column}': expected a score from 1 to 10, found {found}$"
    with pytest.raises(DataFormatError, match=message):
        read_fmea(_sheet(tmp_path, rows))
    plant = tmp_path / "plant.csv"
    plant.write_text(f"asset_type,failure_mode,{column.lower()}\npump,leak,{found}\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=rf"line 2, column '{column.lower()}': expected a score from 1 to 10"
    ):
        read_plant_fmea(plant)


def test_an_rpn_other_than_s_o_d_is_kept_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [ROWS[0], ROWS[1].replace(";140;", ";150;"), ROWS[2]]
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers_fmea"):
        sheet = read_fmea(_sheet(tmp_path, rows))
    assert sheet.rpn_mismatches == ("fmea-2",) and sheet.documents[1].fields["RPN"] == 150
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "on line 3 (RPN 150, S x O x D = 140)" in record.getMessage()


def test_a_folder_fmea_csv_reaches_fmea_questions_and_scenario_risks(tmp_path: Path) -> None:
    folder = tmp_path / "plantF"
    _sheet(folder, ROWS)
    (folder / "assets.csv").write_text("asset_id,asset_type\nP-101,Pumpe\n", encoding="utf-8")
    (folder / "work_orders.csv").write_text(
        "wo_id,asset_id,text,failure_code\nWO-1,P-101,Fuite garniture pompe côté accouplement,SEAL\n",
        encoding="utf-8",
    )
    data = read_user_folder(folder)
    assert [d.kind for d in data.documents] == ["work_order", "fmea", "fmea", "fmea"]
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(data, source="plantF")
        answer = KbAnswerer(kb).answer("Which failure modes have an RPN above 100?")
        assert (answer.kind, answer.abstained) == ("fmea", False)
        assert {c.to_json()["id"] for c in answer.citations} == {"plantF:fmea-2", "plantF:fmea-3"}
        plan = plan_scenarios(kb, asset_id="P-101", text="Fuite garniture pompe")
    assert any(s.severity == 8 for s in plan.scenarios), plan.scenarios  # the seal row's risk
