"""Which past orders a plan's downtime and cost come from: those that did its work on its part."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from moesaic.data.readers import read_user_folder
from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.qa.table import FmeaRow
from moesaic.reports.scenarios import ScenarioPlan, plan_scenarios
from moesaic.reports.scenarios.candidates import ScenarioGenerator
from moesaic.reports.scenarios.coding import read_coding
from moesaic.reports.scenarios.figures import does_the_work, done_before
from moesaic.reports.scenarios.scenario import Situation

BEARING = FmeaRow(
    "fmea-1", "Compressed air", "Screw compressor airend", "DE bearing", "Bearing wear / spalling",
    "High vibration", "Lubrication breakdown", "Vibration round", "Install online vibration monitoring",
    8, 4, 5, 160,
)  # fmt: skip
HEADER = "wo_id,asset_id,created,wo_type,text,failure_code,cost,labour_hours,downtime_hours\n"
SHEET = (
    "Subsystem,Component,Sub-Component,Potential Failure Mode,Severity,Occurrence,Detection,RPN,"
    "Recommended Action\n"
)


def _plan(tmp_path: Path, orders: str, fmea: str, asset: str, text: str) -> ScenarioPlan:
    folder = tmp_path / "uf"
    folder.mkdir()
    (folder / "assets.csv").write_text("asset_id,asset_type\nRC-1,screw compressor\nHG-1,homogenizer\n")
    (folder / "work_orders.csv").write_text(HEADER + orders)
    (folder / "fmea.csv").write_text(SHEET + fmea)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(read_user_folder(folder), source="uf")
        return plan_scenarios(kb, asset_id=asset, text=text)


def test_an_order_that_only_schedules_the_work_did_not_do_it() -> None:
    def verb(text: str) -> str:
        return read_coding(Document("d", "work_order", text, fields={"failure_code": "OHE"})).verb

    assert verb("hi disch temp alarm, suspect fouled condenser, sched cleaning") == "inspect"
    assert verb("Lager soll getauscht werden") == "inspect"
    assert verb("planned outage: condenser cleaned + descaled") == "clean"


def test_a_fault_report_that_scheduled_the_cleaning_does_not_halve_its_cost(tmp_path: Path) -> None:
    # walkthrough: "sched cleaning" (0 h, 0 cost) counted as a cleaning order: 1,175 for a 2,350 cleaning
    orders = (
        'WO-1,RC-1,2024-04-12 07:40,CM,"RC-1 hi disch temp alarm, suspect fouled condenser, sched cleaning",'
        "OHE,0,1.5,0\n"
        'WO-2,RC-1,2024-04-15 10:00,CM,"condenser RC-1 cleaned + descaled, nozzles blocked w/ scale",'
        "OHE,2350,9,6\n"
    )
    fmea = (
        "Refrigeration,Evaporative condenser,Spray nozzles / coil,Condenser fouling / scaling,7,5,4,140,"
        "Clean and descale condenser coil and nozzles\n"
    )
    plan = _plan(tmp_path, orders, fmea, "RC-1", "high discharge temperature, condenser fouled with scale")
    cleaning = [s for s in plan.scenarios if s.key.startswith("clean:")]
    assert cleaning and all((s.cost, s.downtime_h) == (2350.0, 6.0) for s in cleaning), plan.scenarios


def test_an_order_on_another_part_of_the_sheet_does_not_count_for_a_plan(tmp_path: Path) -> None:
    # walkthrough: a valve-seat replacement ("valve wear") entered the crankshaft bearing plan's median
    orders = (
        'WO-1,HG-1,2024-04-29 13:45,CM,"HG-1 homog valve wear, replcd homogenizing valve seat",PDE,1200,4,4\n'
        'WO-2,HG-1,2024-05-12 08:00,CM,"Replaced crankshaft brg DE on HG-1 (spalling)",BRG,3900,14,10\n'
    )
    fmea = (
        "Homogenization,Homogenizer,Crankshaft bearing,Bearing wear / spalling,8,3,5,120,"
        "Vibration trending; replace crankshaft bearing\n"
        "Homogenization,Homogenizer,Homogenizing valve,Valve seat wear,7,4,3,84,Replace valve seat\n"
    )
    plan = _plan(tmp_path, orders, fmea, "HG-1", "vibration rising on crankshaft bearing, bearing noise")
    bearing = next(s for s in plan.scenarios if s.failure_mode == "Bearing wear / spalling")
    assert (bearing.cost, bearing.downtime_h) == (3900.0, 10.0)
    assert "uf:WO-1" not in {c.record_id for c in bearing.citations}


def test_a_windows_inspection_that_cost_nothing_gives_no_figures_to_an_fmea_plan() -> None:
    # walkthrough: "Install online vibration monitoring" showed "0 h / 0" from the window's own
    # inspect-and-monitor order (no cost, no downtime), which says nothing of what the plan takes
    looked = Document(
        "WO-64", "work_order", "AC-1 noisy, vib high on DE. inspected, brg noise DE side - monitor",
        asset_id="AC-1", fields={"wo_type": "CM", "cost": 0.0, "downtime_hours": 0.0},
    )  # fmt: skip
    sensor = Document(
        "WO-47", "work_order", "AC-3 temp sensor fault alarm, replaced PT100 on airend",
        asset_id="AC-1", fields={"failure_code": "SENSOR", "cost": 180.0},
    )  # fmt: skip
    generator = ScenarioGenerator(
        work_orders=[sensor], fmea=[BEARING], search=lambda text, k: [("WO-47", 1.0)]
    )
    (plan,) = generator.propose(Situation("AC-1", looked.text, orders=(looked,)))
    assert plan.key == "monitor:Bearing wear / spalling"
    assert (plan.downtime_h, plan.cost) == (None, None)
    assert "downtime and cost unknown" in plan.reason and "WO-64" in plan.reason


def test_a_windows_order_that_did_the_work_and_recorded_it_gives_its_figures() -> None:
    def done(text: str, cost: float, hours: float) -> list[str]:
        order = Document("W", "work_order", text, fields={"cost": cost, "downtime_hours": hours})
        replace = dataclasses.replace(BEARING, action="Replace DE bearing")
        return [
            d.doc_id
            for d in done_before("replace", replace, [replace], own=[order], past=[], codings={}).done
        ]

    assert done("replaced DE bearing", 2150.0, 8.0) == ["W"]
    assert done("replaced DE bearing", 0.0, 0.0) == []  # not yet costed: no figure
    assert done("DE bearing noisy, monitor", 300.0, 1.0) == []  # other work
    # an order that kept watching did not install monitoring; one that fitted it did
    assert not does_the_work(
        Document("W", "work_order", "vib high on DE brg, monitor"), "monitor", BEARING.action
    )
    assert does_the_work(
        Document("W", "work_order", "fitted online vib monitoring on DE brg"), "monitor", BEARING.action
    )
