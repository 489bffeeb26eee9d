"""Scenarios on a base built from a user's folder (README "Your own files"), and windows that start
before the history does."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app
from moesaic.data.readers import read_user_folder
from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import CandidateConfig, ScenarioPlan, plan_scenarios
from moesaic.reports.scenarios.coding import OrderCoding, read_coding

ASSETS = "asset_id,asset_type\nP-1,pump\nP-2,pump\nP-3,compressor\n"
ORDERS = """wo_id,asset_id,created,text,failure_code,cost,labour_hours
WO-1,P-1,2024-01-10 08:00,"Bearing noise on P-1, replaced bearing 6309",BRG,1200,6
WO-2,P-1,2024-02-20 09:00,"High vibration, bearing temperature rising; replaced bearing",BRG,1500,8
WO-3,P-1,2024-02-25 10:00,"Seal leak at discharge side, replaced mechanical seal",SEAL,800,4
WO-4,P-2,2024-02-10 03:00,"Overheating, cleaned cooler",OHT,300,2
WO-5,P-3,2024-01-05 07:00,"Compressor bearing noise, replaced valve plate",VLV,900,5
WO-6,P-3,2024-01-28 07:00,"Compressor bearing noise again, replaced valve plate",VLV,950,5
"""


def _base(tmp_path: Path, orders: str) -> Path:
    folder = tmp_path / "uf"
    folder.mkdir()
    (folder / "assets.csv").write_text(ASSETS)
    (folder / "work_orders.csv").write_text(orders)
    kb_folder = tmp_path / "kb"
    with KnowledgeBase.open(kb_folder, create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="uf")
    return kb_folder


def _plan_with_fmea(tmp_path: Path, orders: str, fmea: str, text: str) -> ScenarioPlan:
    """The plan for P-1 in the situation ``text``, over a base of ``orders`` and the FMEA sheet ``fmea``."""
    kb_folder = _base(tmp_path, orders)
    (tmp_path / "uf" / "fmea.csv").write_text(fmea)
    with KnowledgeBase.open(kb_folder) as kb:
        kb.ingest(read_user_folder(tmp_path / "uf"), source="uf")
        return plan_scenarios(kb, asset_id="P-1", text=text)


def test_coding_is_read_from_excavator_fields_first_then_user_columns_and_text() -> None:
    def order(text: str, **fields: object) -> Document:
        return Document(doc_id="1", kind="work_order", text=text, fields=fields)

    # An empty expert code is the expert's verdict: the text does not override it.
    assert read_coding(order("REPLACE HOSE", Action="", FM="")) == OrderCoding(
        "inspect", "uncoded", "Action", "FM"
    )
    assert read_coding(order("x", Action="Replace", FM="Leak", failure_code="SEAL")).key == "replace:Leak"
    # A user's order: failure_code, and the most invasive verb of the text.
    user = read_coding(order("checked bearing, replaced it", failure_code="BRG", cost=10.0))
    assert user == OrderCoding("replace", "BRG", "text", "failure_code")
    assert read_coding(order("pump noisy", failure_code=None)) == OrderCoding(
        "inspect", "uncoded", "text", "failure_code"
    )
    assert read_coding(order("pump noisy")).mode_from is None


def test_user_orders_give_failure_code_cost_and_labour_hours(tmp_path: Path) -> None:
    with KnowledgeBase.open(_base(tmp_path, ORDERS)) as kb:
        plan = plan_scenarios(kb, asset_id="P-1", text="bearing noise and high vibration")
    best = plan.scenarios[0]
    assert best.key == "replace:BRG"
    assert best.cost == pytest.approx(1350.0) and best.downtime_h == pytest.approx(7.0)
    assert "failure mode BRG (failure_code)" in best.reason and "labour_hours" in best.reason
    assert "inspect:uncoded" not in best.reason
    # P-1 is a pump: the compressor's bearing-noise orders (WO-5, WO-6) do not vote.
    cited = {c.record_id for s in plan.scenarios for c in s.citations}
    assert cited <= {"uf:WO-1", "uf:WO-2", "uf:WO-3", "uf:WO-4"}
    assert "2 of the 2 similar past orders (all on uf:P-1)" in best.reason  # WO-3, WO-4 share no word


def test_a_downtime_column_is_the_downtime_and_a_row_backing_a_history_plan_is_not_proposed_again(
    tmp_path: Path,
) -> None:
    orders = ORDERS.replace("labour_hours\n", "labour_hours,Downtime (h)\n").replace(",BRG,", ",BEARING,")
    orders = "\n".join(f"{line},{3 * i}" if i else line for i, line in enumerate(orders.splitlines())) + "\n"
    folder = tmp_path / "uf"
    kb_folder = _base(tmp_path, orders)  # WO-1 and WO-2 are down 3 h and 6 h
    (folder / "fmea.csv").write_text(
        "Component,Failure Mode,S,O,D,Recommended Action\n"
        "Pump bearing,Bearing noise and vibration,7,5,4,Replace bearing and check alignment\n"
    )
    with KnowledgeBase.open(kb_folder) as kb:
        kb.ingest(read_user_folder(folder), source="uf")
        plan = plan_scenarios(kb, asset_id="P-1", text="bearing noise and high vibration")
    best = plan.scenarios[0]
    assert best.downtime_h == pytest.approx(4.5) and "downtime_hours" in best.reason
    assert best.severity == 7  # the FMEA row backs the history's plan ...
    replacing = [s for s in plan.scenarios if s.key.startswith("replace:")]
    assert [s.key for s in replacing] == ["replace:BEARING"]  # ... and is not a second replacement plan


def test_orders_without_any_coding_say_so(tmp_path: Path) -> None:
    orders = """wo_id,asset_id,text
WO-1,P-1,Bearing noise on P-1 replaced bearing
WO-2,P-2,Bearing noise on P-2 replaced bearing
"""
    with KnowledgeBase.open(_base(tmp_path, orders)) as kb:
        (scenario,) = plan_scenarios(kb, asset_id="P-1", text="bearing noise").scenarios
    assert scenario.key == "replace:uncoded"
    assert "no coding the planner can read" in scenario.reason and "were coded" not in scenario.reason
    assert "(1 on uf:P-1, 1 on the other pump assets)" in scenario.reason
    assert scenario.cost is None and scenario.downtime_h is None


def test_a_window_before_any_history_says_so(tmp_path: Path) -> None:
    kb_folder = _base(tmp_path, ORDERS)
    january = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    with KnowledgeBase.open(kb_folder) as kb, pytest.raises(ValueError) as err:
        plan_scenarios(kb, asset_id="P-1", window=january)
    message = str(err.value)
    assert "no work orders before 2024-01-01 to learn from" in message and "choose a later window" in message
    assert "meaningful word" not in message
    result = CliRunner().invoke(
        app, ["scenarios", "--kb", str(kb_folder), "--asset", "P-1", "--window", "2024-01-01..2024-01-31"]
    )
    assert result.exit_code == 0 and "choose a later window" in result.output


def test_a_short_history_is_not_crowded_out_by_later_orders(tmp_path: Path) -> None:
    # Two early bearing replacements, then many later orders nearer the situation's words: the
    # nearest hits of the whole base are all after the window's start.
    later = "".join(
        f"WO-{i},P-2,2024-03-{i:02d} 08:00,Bearing noise high vibration noise on P-2,BRG,1,1\n"
        for i in range(10, 30)
    )
    orders = (
        "wo_id,asset_id,created,text,failure_code,cost,labour_hours\n"
        "WO-1,P-1,2024-01-05 08:00,Bearing replaced,BRG,100,2\n"
        "WO-2,P-2,2024-01-08 08:00,Bearing replaced again,BRG,300,4\n"
        "WO-3,P-1,2024-02-05 08:00,Bearing noise high vibration noise,,,\n" + later
    )
    with KnowledgeBase.open(_base(tmp_path, orders)) as kb:
        plan = plan_scenarios(
            kb,
            asset_id="P-1",
            window=(pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-28")),
            config=CandidateConfig(neighbours=2),
        )
    assert [s.key for s in plan.scenarios] == ["replace:BRG"]
    assert plan.scenarios[0].cost == pytest.approx(200.0)


def test_an_abstention_is_stated_with_its_reason_not_as_an_error(tmp_path: Path) -> None:
    kb_folder = _base(tmp_path, ORDERS)
    args = ["scenarios", "--kb", str(kb_folder), "--asset", "P-1", "--json", "--work-order"]
    none = CliRunner().invoke(app, [*args, "peinture écaillée sur le capot"])
    assert none.exit_code == 0, none.output
    payload = json.loads(none.stdout)
    assert payload["abstained"] is True and payload["scenarios"] == [] and "no scenario" in payload["reason"]
    some = json.loads(CliRunner().invoke(app, [*args, "bearing noise, replaced bearing"]).stdout)
    assert some["abstained"] is False and some["scenarios"]
    said = CliRunner().invoke(app, [*args[:-2], "--work-order", "peinture écaillée sur le capot"])
    assert said.exit_code == 0, said.output
    assert "\nNo scenario for 'peinture" in said.stdout and "error" not in said.output
    # the figures are the median of the orders its "why" names, not always of "similar orders"
    text = CliRunner().invoke(app, [*args[:-2], "--work-order", "bearing noise, replaced bearing"]).stdout
    assert "(median of the orders in 'why')" in text and "similar orders)" not in text


ROUNDS = """wo_id,asset_id,created,wo_type,text,failure_code,cost,labour_hours
WO-1,P-1,2024-01-05 08:00,PM,"Monthly round P-1: chk vib, temps, noise. all ok",,40,1
WO-2,P-2,2024-01-12 08:00,PM,"Monthly round P-2: chk vib, temps, noise. all ok",,40,1
WO-3,P-1,2024-01-20 08:00,PM,"PM LUBE P-1: greased bearings, vib ok",,60,1
WO-4,P-2,2024-01-27 08:00,PM,"PM LUBE P-2: greased bearings, vib ok",,60,1
WO-5,P-1,2024-02-12 08:00,PM,"Monthly round P-1: chk vib, temps. all ok",,40,1
WO-6,P-1,2024-02-14 09:00,CM,"High vib and bearing temp on P-1",BRG,0,1
"""


def test_routine_checks_vote_for_nothing_and_a_plan_from_the_fmea_ends_with_a_test(tmp_path: Path) -> None:
    # user report: monthly rounds "all ok" ranked "inspect:uncoded" first for a bearing alarm, and
    # the FMEA's replacement plan ended without a test
    folder = tmp_path / "uf"
    kb_folder = _base(tmp_path, ROUNDS)
    (folder / "fmea.csv").write_text(
        "Component,Failure Mode,S,O,D,Recommended Action\n"
        "Pump bearing,Bearing wear and high vib,7,5,4,Replace bearing; check alignment\n"
    )  # a replacement, though it also checks (walkthrough: "inspect: Replace seal kit; check flush")
    window = (pd.Timestamp("2024-02-10"), pd.Timestamp("2024-02-20"))
    with KnowledgeBase.open(kb_folder) as kb:
        kb.ingest(read_user_folder(folder), source="uf")
        plan = plan_scenarios(kb, asset_id="P-1", window=window)
        assert "Monthly round" not in plan.situation.text and "High vib" in plan.situation.text
        keys = [s.key for s in plan.scenarios]
        assert "inspect:uncoded" not in keys
        assert "lubricate:uncoded" in keys  # a preventive order that did something still votes
        fmea = next(s for s in plan.scenarios if s.key.startswith("replace:"))
        assert fmea.steps[:2] == ("inspect Pump bearing", "Replace bearing; check alignment")  # as written
        assert fmea.steps[2:] == ("test Pump bearing under load before release",)
        with pytest.raises(ValueError, match="3 of them routine checks that did nothing but inspect"):
            plan_scenarios(kb, asset_id="P-1", text="monthly round chk temps")


def test_a_failure_code_written_as_an_abbreviation_finds_its_fmea_row(tmp_path: Path) -> None:
    header = (
        "Subsystem;Component;Sub-Component;Potential Failure Mode;Potential Effect(s) of Failure;Severity;"
        "Potential Cause(s) of Failure;Occurrence;Current Controls;Detection;RPN;Recommended Action"
    )
    row = "Pump;Bearing;DE bearing;Bearing wear;Seizure;7;Poor lubrication;5;Vibration route;4;140;Regrease"
    kb_folder = _base(tmp_path, ORDERS)
    with KnowledgeBase.open(kb_folder) as kb:
        (tmp_path / "uf" / "fmea.csv").write_text(f"{header}\n{row}\n")
        kb.ingest(read_user_folder(tmp_path / "uf"), source="uf")
        plan = plan_scenarios(kb, asset_id="P-1", text="bearing noise and high vibration")
    best = plan.scenarios[0]
    assert best.key == "replace:BRG"
    assert any(c.why.startswith("FMEA: ") and "Bearing wear" in c.why for c in best.citations), best.citations


def test_an_fmea_row_is_proposed_when_no_past_order_is_similar(tmp_path: Path) -> None:
    # walkthrough: a window whose only similar order was its own (left out of the history) abstained
    # although the FMEA had the row; the plan cites the nearest past order as its second record
    fmea = (
        "Component,Failure Mode,S,O,D,Recommended Action\n"
        "Level transmitter,Sensor failure (stuck / frozen reading),7,3,4,Replace transmitter; loop check\n"
    )
    plan = _plan_with_fmea(tmp_path, ORDERS, fmea, "level transmitter reading frozen, flat line on DCS")
    best = plan.scenarios[0]
    assert best.key == "replace:Sensor failure (stuck / frozen reading)", [s.key for s in plan.scenarios]
    cited = [c.why.split(":")[0] for c in best.citations]
    assert cited == ["FMEA recommended action", "nearest past order, not support"]  # and says so


def test_an_fmea_plan_takes_its_cost_from_past_orders_that_did_its_action_on_its_part(tmp_path: Path) -> None:
    # walkthrough: the FMEA bearing plan said "cost: unknown (not in the history)" beside a past
    # bearing replacement of 1840
    orders = ORDERS + 'WO-7,P-2,2024-01-15 09:00,"level transmitter dead, replaced transmitter",INST,650,3\n'
    fmea = (
        "Component,Failure Mode,S,O,D,Recommended Action\n"
        "Level transmitter,Sensor failure (stuck / frozen reading),7,3,4,Replace transmitter; loop check\n"
    )
    plan = _plan_with_fmea(tmp_path, orders, fmea, "level transmitter reading frozen, flat line on DCS")
    fmea = next(s for s in plan.scenarios if s.key.startswith("replace:Sensor failure"))
    assert fmea.cost == pytest.approx(650.0) and fmea.downtime_h == pytest.approx(3.0)
    assert "from 1 past replace order(s) naming its part or failure (uf:WO-7)" in fmea.reason
    assert "uf:WO-7" in {c.record_id for c in fmea.citations}


def test_a_word_the_technician_rules_out_does_not_match_an_fmea_row(tmp_path: Path) -> None:
    # walkthrough: a PM order's "checked seal, no leak" put the seal-leak plan first for a bearing fault
    fmea = (
        "Component,Failure Mode,S,O,D,Recommended Action\nMechanical seal,Seal leak,6,5,3,Replace seal kit\n"
    )
    plan = _plan_with_fmea(tmp_path, ORDERS, fmea, "bearing noise and high vibration; checked seal, no leak")
    assert not any("Seal leak" in s.key for s in plan.scenarios), [s.key for s in plan.scenarios]


def test_a_situation_and_orders_in_abbreviations_find_the_replacement_and_its_fmea_row(
    tmp_path: Path,
) -> None:
    # walk-through: "replcd NDE brg, realigned motor" was an adjustment, and "NDE brg noisy" shared
    # no word with the row "Bearing wear / spalling", so the risk if deferred was unknown
    orders = ORDERS + (
        'WO-8,P-2,2024-03-01 08:00,"NDE brg noisy. replcd NDE brg SKF 6316, realigned motor",BRG,2300,9\n'
        'WO-9,P-1,2024-03-09 08:00,"brg noisy NDE. replcd brg, aligned",BRG,2100,7\n'
    )
    fmea = (
        "Subsystem,Component,Sub-Component,Potential Failure Mode,Severity,Occurrence,Detection,RPN\n"
        "Pumping,Centrifugal pump,Bearing,Bearing wear / spalling,8,5,4,160\n"
    )
    plan = _plan_with_fmea(tmp_path, orders, fmea, "NDE brg noisy, temp hi")
    assert [s.key for s in plan.scenarios][:1] == ["replace:BRG"] and "adjust:BRG" not in [
        s.key for s in plan.scenarios
    ]
    assert plan.scenarios[0].risk() == "severity 8, occurrence 5 (FMEA)"
