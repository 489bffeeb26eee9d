"""Scenario plans read right: titles, an FMEA action as written, honest citations, windows read from
their series (walkthrough: a bottling plant's noisy compressor bearing)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from moesaic.data.readers import read_user_folder
from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.qa.table import FmeaRow
from moesaic.reports.scenarios.actions import instruction_verb
from moesaic.reports.scenarios.candidates import ScenarioGenerator
from moesaic.reports.scenarios.planner import NoScenario, SeriesReading, window_situation
from moesaic.reports.scenarios.scenario import Scenario, Situation
from moesaic.reports.scenarios.scope import types_named

BEARING = FmeaRow(
    "fmea-1", "Compressed air", "Screw compressor airend", "DE bearing", "Bearing wear / spalling",
    "High vibration", "Lubrication breakdown", "Vibration round", "Install online vibration monitoring",
    8, 4, 5, 160,
)  # fmt: skip


def _order(doc_id: str, text: str, code: str = "") -> Document:
    return Document(doc_id, "work_order", text, asset_id="AC-1", fields={"failure_code": code})


def _generator(orders: list[Document], rows: list[FmeaRow]) -> ScenarioGenerator:
    return ScenarioGenerator(
        work_orders=orders, fmea=rows, search=lambda text, k: [(d.doc_id, 1.0) for d in orders][:k]
    )


def test_an_instruction_to_install_monitoring_is_monitoring_not_a_replacement() -> None:
    assert instruction_verb("Install online vibration monitoring") == "monitor"
    assert instruction_verb("Replace bearing; install vibration monitoring") == "replace"
    assert instruction_verb("Install new bearing, check alignment") == "replace"
    assert instruction_verb("Fit self-tracking idlers") == "replace"


def test_an_fmea_plan_writes_its_action_as_is_and_labels_an_unrelated_nearest_order() -> None:
    # walkthrough: "replace:Bearing wear / spalling" with the step "replace: Install online vibration
    # monitoring", citing another compressor's PT100 sensor order as its "nearest past order"
    sensor = _order("WO-47", "AC-3 temp sensor fault alarm, replaced PT100 on airend", "SENSOR")
    (plan,) = _generator([sensor], [BEARING]).propose(Situation("AC-1", "AC-1 DE bearing noisy, vib high"))
    assert plan.key == "monitor:Bearing wear / spalling"
    assert plan.title == "Install online vibration monitoring (DE bearing: Bearing wear / spalling)"
    assert plan.steps == (
        "inspect Screw compressor airend (DE bearing)",
        "Install online vibration monitoring",
    )
    why = plan.citations[1].why
    assert why.startswith("nearest past order, not support: it names neither de bearing nor bearing wear"), (
        why
    )
    assert "no similar past order of AC-1" in plan.reason


def test_a_plan_from_past_orders_is_titled_by_its_verb_part_and_failure_mode() -> None:
    orders = [
        _order("WO-1", "DE bearing noisy, replaced bearing", "BRG"),
        _order("WO-2", "bearing worn, vib high, replaced DE bearing", "BRG"),
    ]
    row = BEARING.__class__(**{**BEARING.__dict__, "action": "Replace bearing"})
    plans = _generator(orders, [row]).propose(Situation("AC-1", "DE bearing noisy, vib high"))
    assert plans[0].title == "replace DE bearing (Bearing wear / spalling)", [p.title for p in plans]
    assert Scenario.from_json(plans[0].to_json()).title == plans[0].title


def test_a_conveyor_roller_row_is_no_air_compressors() -> None:
    roller = Document(
        "fmea-9", "fmea", "Return roller bearing wear",
        fields={"Subsystem": "", "Component": "Conveyor rollers", "Sub-Component": "Return roller"},
    )  # fmt: skip
    assert types_named(roller, ["Belt Conveyor", "Air Compressor"]) == {"Belt Conveyor"}


def _kb(tmp_path: Path) -> Path:
    folder = tmp_path / "uf"
    folder.mkdir()
    (folder / "assets.csv").write_text("asset_id,asset_type\nAC-1,Air Compressor\n")
    (folder / "work_orders.csv").write_text(
        "wo_id,asset_id,created,text,wo_type\n"
        'WO-1,AC-1,2024-01-10 08:00,"Monthly PM, drained condensate, cleaned filter",PM\n'
        'WO-2,AC-1,2024-03-05 08:00,"Monthly PM, drained condensate, cleaned filter",PM\n'
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="uf")
    return tmp_path / "kb"


def test_a_window_without_orders_is_read_from_its_series(tmp_path: Path) -> None:
    # walkthrough: a window of the wear's first weeks, before any order, gave "no scenario"
    start, end = pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-10")
    wear = SeriesReading("readings: probable bearing wear on Vib DE", False, "", "the diagnosis")
    with KnowledgeBase.open(_kb(tmp_path)) as kb:
        with pytest.raises(ValueError, match="no events or work orders"):
            window_situation(kb, "AC-1", start, end)
        situation = window_situation(kb, "AC-1", start, end, read_series=lambda *_: wear)
        assert situation.text == "readings: probable bearing wear on Vib DE"
        assert situation.readings is not None and situation.readings.table == "series"


def test_a_calm_window_says_there_is_nothing_to_plan_and_why(tmp_path: Path) -> None:
    calm = SeriesReading("", True, "the window looks normal", "the diagnosis")
    window = (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10"))  # holds a PM order only
    with KnowledgeBase.open(_kb(tmp_path)) as kb:
        with pytest.raises(NoScenario, match="nothing to plan for uf:AC-1") as caught:
            window_situation(kb, "AC-1", *window, read_series=lambda *_: calm)
        assert "only preventive work orders (uf:WO-2" in str(caught.value)
        assert "the window looks normal" in str(caught.value)
        # readings that cannot tell leave the window to its preventive orders, as before
        blind = SeriesReading("", False, "no series", "the diagnosis")
        assert "cleaned filter" in window_situation(kb, "AC-1", *window, read_series=lambda *_: blind).text


def test_reading_a_window_says_first_that_it_fits_the_diagnosis_models_when_they_are_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # walkthrough: an order-less window fitted the models for 15 minutes without a word
    from moesaic.cli.scenarios import warned

    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path / "empty"))
    calm = SeriesReading("", True, "the window looks normal", "the diagnosis")
    read = warned(lambda *_: calm)
    assert capsys.readouterr().err == ""  # nothing said until the series are read
    window = (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10"))
    with KnowledgeBase.open(_kb(tmp_path)) as kb, pytest.raises(NoScenario):
        window_situation(kb, "AC-1", *window, read_series=read)
    said = capsys.readouterr()
    assert "fitting them" in said.err and str(tmp_path / "empty") in said.err.replace("\n", "")
    assert said.out == ""


def test_a_series_reading_that_points_below_points_at_the_report() -> None:
    """Paper-mill walkthrough: 'the diagnosis of its series says nothing of it (... raised alarms
    (below))', with nothing below."""
    from moesaic.reports.diagnose.claims import Diagnosis
    from moesaic.reports.diagnose.forms import UNKNOWN_BUT_ALARMED
    from moesaic.reports.scenarios.readings import reading_of

    start, end = pd.Timestamp("2024-11-01"), pd.Timestamp("2024-11-14")
    said = Diagnosis("GB-101", start, end, None, None, (), None, True, UNKNOWN_BUT_ALARMED)
    reading = reading_of(said)
    assert "(below)" in UNKNOWN_BUT_ALARMED and "(below)" not in reading.reason
    assert reading.reason.endswith("(`moesaic report` lists them)")
