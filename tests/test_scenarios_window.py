"""Scenarios for a window of a user's plant: the maintenance plan's orders in it, and the orders
that did the work."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from moesaic.data.readers import read_user_folder
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import ScenarioPlan, plan_scenarios
from moesaic.reports.scenarios.ranker import ScenarioRanker
from moesaic.reports.scenarios.scenario import Citation, Scenario

ASSETS = "asset_id,asset_type\nP-1,pump\nP-2,pump\n"
ORDERS = """wo_id,asset_id,created,wo_type,text,failure_code,cost,labour_hours,downtime_hours
WO-1,P-1,2024-01-05 08:00,PM,"P-1 greased motor brgs",,80,1,0
WO-2,P-2,2024-01-12 08:00,PM,"greased motor brgs",,80,1,0
WO-3,P-2,2024-01-20 08:00,CM,"P-2 small leak at mech seal, replcd seal",LEA,420,3,2
WO-4,P-1,2024-02-12 08:00,PM,"greased motor brgs",,0,1,0
WO-5,P-1,2024-02-13 08:00,CM,"P-1 motor amps high, scraping noise at pump head. chk impeller",VIB,0,1,0
WO-6,P-1,2024-02-14 09:00,CM,"replcd impeller on P-1, imp was rubbing on casing",VIB,1480,5,4
"""
FMEA = (
    "Component,Sub-Component,Failure Mode,S,O,D,Recommended Action\n"
    "Centrifugal pump,Impeller,Impeller rubbing / wear,6,3,5,Inspect impeller clearance; replace impeller\n"
)

HG_ASSETS = "asset_id,asset_type\nHG-01,homogenizer\nHG-02,homogenizer\n"
HG_ORDERS = """wo_id,asset_id,created,wo_type,text,failure_code,cost,labour_hours,downtime_hours
WO-1,HG-01,2024-01-05 08:00,PM,"HG-01 changed crankcase oil",,120,2,0
WO-2,HG-02,2024-01-12 08:00,CM,"homog valve wear, lapped seat",,300,3,2
WO-3,HG-02,2024-01-20 08:00,CM,"plunger packing leaking, repacked",,420,3,2
WO-4,HG-01,2024-02-13 08:00,CM,"HG-01 knocking noise from crankcase, vib high",,0,1,0
WO-5,HG-01,2024-02-14 09:00,CM,"HG-01 DE brg replcd, spalled outer race",,2300,8,6
"""
HG_FMEA = (
    "Component,Sub-Component,Failure Mode,S,O,D,Recommended Action\n"
    "Homogenizer,Crankshaft bearing,Bearing wear / spalling,7,3,5,Monitor vibration; replace bearing\n"
    "Homogenizer,Homogenizing valve,Valve seat wear,5,5,4,Lap or replace valve seat\n"
    "Homogenizer,Plunger packing,Packing leak,4,6,3,Replace packing\n"
)


def _window_plan(
    tmp_path: Path, asset_id: str = "P-1", files: tuple[str, str, str] = (ASSETS, ORDERS, FMEA)
) -> ScenarioPlan:
    """The plan for ``asset_id`` over 2024-02-10..20 of a user folder (assets, orders, FMEA)."""
    folder = tmp_path / "uf"
    folder.mkdir()
    for name, text in zip(("assets.csv", "work_orders.csv", "fmea.csv"), files, strict=True):
        (folder / name).write_text(text)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="uf")
        window = (pd.Timestamp("2024-02-10"), pd.Timestamp("2024-02-20"))
        return plan_scenarios(kb, asset_id=asset_id, window=window)


def _scenario(key: str, features: dict[str, float]) -> Scenario:
    cited = (Citation("documents", "a", ""), Citation("documents", "b", ""))
    return Scenario(key, key, key, (), "", None, None, None, None, cited, features)


def test_a_plan_voted_only_by_preventive_orders_ranks_after_an_fmea_plan() -> None:
    # walkthrough: "lubricate" from PM greasing orders ranked above the FMEA's impeller replacement
    greasing = _scenario("lubricate:uncoded", {"vote": 0.6, "routine": 1.0})
    corrective = _scenario("replace:LEA", {"vote": 0.3, "routine": 0.0})
    fmea = _scenario("replace:Impeller rubbing / wear", {"fmea": 1.0})
    ranked = ScenarioRanker().rank([greasing, fmea, corrective])
    assert [s.key for s in ranked] == ["replace:LEA", "replace:Impeller rubbing / wear", "lubricate:uncoded"]


def test_a_window_leaves_out_its_preventive_orders_and_puts_the_corrective_plan_first(tmp_path: Path) -> None:
    plan = _window_plan(tmp_path)
    assert "greased" not in plan.situation.text and "scraping noise" in plan.situation.text
    assert plan.scenarios[0].key == "replace:Impeller rubbing / wear", [s.key for s in plan.scenarios]


def test_a_corrective_plan_takes_downtime_and_cost_from_the_order_in_the_window_that_did_it(
    tmp_path: Path,
) -> None:
    # walkthrough: the impeller plan said "downtime: unknown" beside the impeller replacement in the window
    best = _window_plan(tmp_path).scenarios[0]
    assert (best.downtime_h, best.cost) == (4.0, 1480.0)
    assert "from 1 replace order(s) naming its part or failure (uf:WO-6 in the window)" in best.reason
    assert "uf:WO-6" in {c.record_id for c in best.citations}


def test_a_window_writing_a_bearing_as_brg_gets_the_bearing_rows_plan(tmp_path: Path) -> None:
    # walkthrough: a dairy homogenizer's window gave no scenario, its orders wrote "brg" for bearing
    plan = _window_plan(tmp_path, "HG-01", (HG_ASSETS, HG_ORDERS, HG_FMEA))
    best = plan.scenarios[0]
    assert best.key == "replace:Bearing wear / spalling", [s.key for s in plan.scenarios]
    assert (best.downtime_h, best.cost) == (6.0, 2300.0)
