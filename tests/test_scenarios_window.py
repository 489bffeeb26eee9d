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


def _window_plan(tmp_path: Path) -> ScenarioPlan:
    folder = tmp_path / "uf"
    folder.mkdir()
    (folder / "assets.csv").write_text(ASSETS)
    (folder / "work_orders.csv").write_text(ORDERS)
    (folder / "fmea.csv").write_text(FMEA)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="uf")
        window = (pd.Timestamp("2024-02-10"), pd.Timestamp("2024-02-20"))
        return plan_scenarios(kb, asset_id="P-1", window=window)


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
