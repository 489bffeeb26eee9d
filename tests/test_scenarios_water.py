"""Scenarios on a small water station: sheet rows scoped by the assets' descriptions, failure codes
naming rows by shorthand, PM rounds against a corrective order, unlike jobs' figures, and the FMEA
row a similar corrective order of the asset names."""

from __future__ import annotations

from pathlib import Path

from moesaic.data.readers import read_user_folder
from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import ScenarioPlan, plan_scenarios
from moesaic.reports.scenarios.coding import median_figure

ASSETS = """asset_id,asset_type,description
RWP-1,centrifugal_pump,Raw water pump 1
HLP-1,centrifugal_pump,High-lift pump 1
DP-1,dosing_pump,Hypochlorite dosing pump duty
UV-1,uv_reactor,UV disinfection reactor
"""
FMEA = """\
Subsystem,Component,Sub-Component,Potential Failure Mode,Severity,Occurrence,Detection,Recommended Action
Raw water pump,Impeller,,Impeller wear / erosion,6,5,3,Replace impeller and wear rings
Raw water pump,Suction strainer,,Strainer blockage,6,7,3,Clean strainer weekly
Raw water pump,Temperature transmitter,,Sensor stuck / frozen reading,7,3,3,Calibrate transmitters yearly
High-lift pump,Check valve,,Check valve slam,7,3,3,Replace check valve with non-slam type
Dosing pump,Diaphragm,,Diaphragm rupture,10,3,3,Replace diaphragm every 2 years
UV reactor,Quartz sleeve,,Sleeve fouling,8,6,3,Clean sleeves
UV reactor,UV lamp,,Lamp failure,9,5,3,Replace lamps at 12000 h
"""
HEADER = "wo_id,asset_id,created,wo_type,text,failure_code,cost,downtime_hours\n"
ORDERS = HEADER + "\n".join(
    [
        *(
            f"WO-{i},RWP-1,2023-{i:02d}-03 00:00,PM,monthly PM round - grease brgs chk vib,,85,0"
            for i in range(1, 11)
        ),
        "WO-20,RWP-1,2023-11-14 10:00,CM,RWP-1 vib high DE brg grease + recheck,,0,0",
        "WO-21,RWP-1,2023-12-01 08:00,CM,RWP1 strainer blocked - low flow - cleaned,BLOCK,90,1.5",
        "WO-22,RWP-1,2023-12-20 08:00,CM,RWP1 low flow again - strainer cleaned,BLOCK,90,1.5",
        "WO-23,RWP-1,2024-01-10 08:00,CM,low flow RWP-1 perf test below curve susp impeller wear,,240,0",
        "WO-24,RWP-1,2024-02-10 08:00,CM,RWP1 impeller worn at vane tips - new imp,WEAR,3850,14",
        "WO-30,DP-1,2024-01-16 09:00,PM,DP1 diaphragm replaced (preventive 2 yrs),,310,0",
        "WO-31,DP-1,2024-01-20 09:00,PM,DP-1 quarterly service chk diaphragm clean foot valve,,95,0",
        "WO-32,DP-1,2024-02-20 09:00,PM,DP-1 quarterly service chk diaphragm clean foot valve,,95,0",
        "WO-33,DP-1,2024-03-28 16:30,EM,DP1 diaphragm ruptured - replcd diaphragm,DIAPH,760,18.5",
        "WO-40,UV-1,2023-12-18 09:00,CM,UV1 low intensity alarm - sleeves fouled - cleaned,FOUL,150,4",
        "WO-41,UV-1,2024-03-05 08:00,PM,annual lamp change all 8 lamps UV-1 replaced 8 lamps,,4400,7",
        "WO-42,UV-1,2024-04-02 10:00,CM,UV intensity sensor drift suspected - swapped sensor,,90,0",
    ]
)


def _plan(tmp_path: Path, asset: str, text: str) -> ScenarioPlan:
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    (folder / "assets.csv").write_text(ASSETS)
    (folder / "work_orders.csv").write_text(ORDERS + "\n")
    (folder / "fmea.csv").write_text(FMEA)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="site")
        return plan_scenarios(kb, asset_id=f"site:{asset}", text=text)


def test_a_subsystem_written_in_other_assets_descriptions_is_not_this_assets_row(tmp_path: Path) -> None:
    # both rows share "check valve" words; the High-lift pump's row is no dosing pump's, though
    # both types end in "pump"
    plan = _plan(tmp_path, "DP-1", "DP1 diaphragm ruptured, replcd diaphragm and check valves")
    titles = [s.title for s in plan.scenarios]
    assert not any("Check valve slam" in t for t in titles), titles
    assert "Diaphragm rupture" in plan.scenarios[0].title
    assert plan.scenarios[0].severity == 10


def test_pm_rounds_do_not_outvote_the_row_the_situation_names(tmp_path: Path) -> None:
    # ten greasing rounds and one corrective greasing share "brg" with a stuck transmitter
    plan = _plan(tmp_path, "RWP-1", "DE brg temp high, reading flat on SCADA, chk temperature transmitter")
    first = plan.scenarios[0]
    assert "Sensor stuck" in first.title, [s.title for s in plan.scenarios]
    lubricate = next(s for s in plan.scenarios if s.key.startswith("lubricate:"))
    assert 0.5 < lubricate.features["routine"] < 1.0  # a share of the vote, not all or nothing


def test_a_failure_code_names_its_row_by_shorthand_and_the_orders_name_the_part(tmp_path: Path) -> None:
    # "BLOCK" writes "blockage"; the strainer is named by the orders that cleaned it
    plan = _plan(tmp_path, "RWP-1", "low flow on RWP-1")
    clean = next(s for s in plan.scenarios if s.key == "clean:BLOCK")
    assert (clean.severity, clean.occurrence) == (6, 7)


def test_the_row_a_similar_corrective_order_names_is_proposed_with_its_precedent(tmp_path: Path) -> None:
    # "low flow" names no part; the asset's own "low flow ... susp impeller wear" names the impeller
    plan = _plan(tmp_path, "RWP-1", "low flow on RWP-1")
    impeller = next(s for s in plan.scenarios if "Impeller wear" in s.title)
    assert "site:WO-23" in impeller.reason and impeller.cost == 3850
    assert "site:WO-24" in {c.record_id for c in impeller.citations}


def test_a_symptom_is_planned_from_its_precedents_row_not_a_median_of_unlike_jobs(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "UV-1", "UV intensity low alarm")
    assert "Sleeve fouling" in plan.scenarios[0].title, [s.title for s in plan.scenarios]
    assert plan.scenarios[0].cost == 150
    replace = next(s for s in plan.scenarios if s.key == "replace:uncoded")
    assert replace.cost is None and replace.cost_range == (90.0, 4400.0)
    assert "too unlike for a median" in replace.reason


def test_median_figure_gives_the_range_of_unlike_jobs_only() -> None:
    def orders(*costs: float) -> list[Document]:
        return [
            Document(doc_id=str(i), kind="work_order", text="x", fields={"cost": c})
            for i, c in enumerate(costs)
        ]

    assert median_figure(orders(310, 760), ("cost",)) == (535.0, "cost", None)  # within a factor 3
    assert median_figure(orders(90, 4400), ("cost",)) == (None, "cost", (90.0, 4400.0))
    assert median_figure(orders(90, 100, 4400), ("cost",)).value == 100.0  # two of three near it
    assert median_figure(orders(0, 0, 85), ("cost",)).value == 0.0
