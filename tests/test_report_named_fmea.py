"""The FMEA rows a window's own work orders name, in a technician's shorthand.

Dairy walkthrough, findings 1 to 4: on a plant the fault model never saw, the condenser, impeller,
bearing and leak reports said "No FMEA row or past work order gives an action for this case",
beside orders that wrote "suspect fouled evap condensr", "imp was rubbing" and "Replaced
crankshaft brg DE (spalling on outer race)".
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from moesaic.data.schema import Document
from moesaic.reports.diagnose.compose import compose
from moesaic.reports.diagnose.evidence import Evidence
from moesaic.reports.diagnose.forms import FormChecker
from moesaic.reports.diagnose.named import NamedRow, named_rows, row_words
from moesaic.reports.shorthand import writes


def _row(doc_id: str, component: str, sub: str, mode: str, action: str = "") -> Document:
    fields = {
        "Component": component,
        "Sub-Component": sub,
        "Potential Failure Mode": mode,
        "Recommended Action": action,
    }
    return Document(doc_id, "fmea", f"{component} {sub} {mode}", fields=fields)


def _order(doc_id: str, text: str, day: int) -> Document:
    return Document(doc_id, "work_order", text, "site:HG-01", pd.Timestamp(2024, 5, day))


BEARING = _row(
    "site:fmea-11", "Homogenizer", "Crankshaft bearing", "Bearing wear / spalling", "Replace bearing"
)
VALVE = _row("site:fmea-13", "Homogenizer", "Homogenizing valve", "Valve seat wear", "Replace valve seat")
PACKING = _row("site:fmea-12", "Homogenizer", "Plunger packing", "Packing leak")


@pytest.mark.parametrize(
    ("token", "word"),
    [("brg", "bearing"), ("imp", "impeller"), ("condensr", "condenser"), ("evap", "evaporative"),
     ("fouled", "fouling"), ("spalling", "spalling"), ("mech", "mechanical")],
)  # fmt: skip
def test_a_technicians_shorthand_writes_the_sheets_word(token: str, word: str) -> None:
    assert writes(token, word)


@pytest.mark.parametrize(
    ("token", "word"),
    [("br", "bearing"), ("gear", "bearing"), ("seat", "sensor"), ("b", "bearing"), ("bg", "bearing")],
)
def test_a_short_or_unrelated_token_writes_nothing(token: str, word: str) -> None:
    assert not writes(token, word)


def test_rows_are_named_by_orders_that_write_two_of_their_own_words() -> None:
    orders = (
        _order("site:WO-1", "HG-01 vib incr on crankcase DE side, brg noise audible", 6),
        _order("site:WO-2", "Replaced crankshaft brg DE on HG-01 (spalling on outer race)", 12),
        _order("site:WO-3", "HG-01 homog valve wear, press fluctuating", 3),
    )
    assert row_words(BEARING) == {"homogenizer", "crankshaft", "bearing", "wear", "spalling"}
    named = named_rows((BEARING, VALVE, PACKING), orders, "homogenizer")
    assert named[0] == NamedRow(BEARING, (orders[1],)) or named[1] == NamedRow(BEARING, (orders[1],))
    assert NamedRow(VALVE, (orders[2],)) in named  # valve and wear
    assert all(n.row is not PACKING for n in named)
    # the asset's own type is no word of a row: "homog" and "wear" do not name the bearing
    alone = named_rows((BEARING, PACKING), (orders[2],), "homogenizer")
    assert alone == ()
    assert named_rows((BEARING,), (), "homogenizer") == ()


def _evidence(named: tuple[NamedRow, ...]) -> Evidence:
    start, end = pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-13")
    return Evidence(
        asset_id="site:HG-01", asset_type="homogenizer", start=start, end=end,
        baseline_start=start - pd.Timedelta(days=14), baseline_end=start, read_from=start, after_fault="",
        steps_per_day=24.0, changes=(), detector=None, fault=None, onset=None, onset_shape="",
        outlook=None, episodes=(), fmea=(), work_orders=(), alarms=(), problems=("no evidence",), named=named,
    )  # fmt: skip


def test_an_abstaining_report_still_gives_the_named_row_and_its_action() -> None:
    order = _order("site:WO-2", "Replaced crankshaft brg DE on HG-01 (spalling on outer race)", 12)
    diagnosis, sentences = compose(_evidence((NamedRow(BEARING, (order,)),)))
    assert diagnosis.abstained
    texts = {s.section: s.text for s in sentences if s.section in ("causes", "actions")}
    assert texts == {
        "causes": "Work order WO-2 of the window names FMEA row fmea-11 (Bearing wear / spalling).",
        "actions": "FMEA row fmea-11 recommends: Replace bearing.",
    }
    cause = next(s for s in sentences if s.section == "causes")
    cited = {c.record_id for c in cause.citations}  # type: ignore[union-attr]
    assert cited == {"site:fmea-11", "site:WO-2"}
    assert FormChecker({}).check(cause).form == "named_fmea"
    assert not FormChecker({}).check(cause).problems
    forged = dataclasses.replace(cause, template=cause.template.replace("fmea-11", "fmea-13"))
    assert FormChecker({}).check(forged).problems  # names a row it does not cite


def test_without_named_rows_an_abstaining_report_proposes_no_action() -> None:
    _, sentences = compose(_evidence(()))
    assert [s.text for s in sentences if s.section == "actions"] == [
        "No FMEA row or past work order gives an action for this case; none is suggested."
    ]


def test_a_row_naming_another_types_part_is_not_cited() -> None:
    # bottling walkthrough: an air compressor's bearing-wear report cited a conveyor roller's row
    from moesaic.data.schema import Asset, MaintenanceData
    from moesaic.reports.diagnose import MemoryBase
    from moesaic.reports.diagnose.history import matching_fmea

    airend = _row("site:fmea-1", "Screw compressor airend", "DE bearing", "Bearing wear / spalling")
    airend = dataclasses.replace(airend, fields={**airend.fields, "Subsystem": "Compressed air"})
    roller = _row("site:fmea-9", "Conveyor rollers", "Return roller", "Bearing wear")
    assets = (Asset("AC-01", "Air Compressor", {}), Asset("CV-01", "Belt Conveyor", {}))
    base = MemoryBase(MaintenanceData("site", assets=assets, documents=(airend, roller)))
    assert [d.doc_id for d in matching_fmea(base, "Air Compressor", "bearing_wear")] == ["site:fmea-1"]
    assert [d.doc_id for d in matching_fmea(base, "Belt Conveyor", "bearing_wear")] == ["site:fmea-9"]


def test_an_inflected_word_writes_the_sheets_and_the_module_imports_first() -> None:
    """Water-station walkthrough: "DP1 diaphragm ruptured" named no row "Diaphragm rupture" (the
    stem of "ruptured" is "ruptur", of "rupture" "rupture"); and importing the shorthand module
    before any other failed on an import cycle through the FMEA answerer."""
    assert writes("ruptured", "rupture") and writes("valves", "valve") and writes("seized", "seize")
    # a root's noun and verb: a paper mill's "oxidised oil" for the row "Oil degradation / oxidation"
    assert (
        writes("oxidised", "oxidation")
        and writes("degraded", "degradation")
        and writes("insulated", "insulation")
    )
    assert not writes("used", "user") and not writes("rupture", "rapture")
    import subprocess
    import sys

    code = "import moesaic.reports.shorthand"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-400:]


def test_a_row_whose_subsystem_describes_other_assets_is_not_cited_for_this_one() -> None:
    """Water-station walkthrough: the register types raw-water and high-lift pumps alike
    (centrifugal_pump) and the dosing pumps as dosing_pump; the dosing pump's report cited the
    raw-water pumps' "Temperature transmitter" row, its subsystem "Raw water pump" ending in pump."""
    from moesaic.data.schema import Asset, MaintenanceData
    from moesaic.reports.diagnose import MemoryBase
    from moesaic.reports.diagnose.history import fmea_of_type

    def row(doc_id: str, subsystem: str, component: str, mode: str) -> Document:
        fields = {"Subsystem": subsystem, "Component": component, "Potential Failure Mode": mode}
        return Document(doc_id, "fmea", mode, fields=fields)

    rows = (
        row("raw", "Raw water pump", "Temperature transmitter", "Sensor stuck"),
        row("lift", "High-lift pump", "Check valve", "Valve slam"),
        row("dose", "Dosing pump", "Diaphragm", "Diaphragm rupture"),
        row("any", "Pump", "Motor", "Overload"),
    )
    assets = (
        Asset("RWP-1", "centrifugal_pump", {"Description": "Raw water pump 1"}),
        Asset("HLP-1", "centrifugal_pump", {"Description": "High-lift pump 1"}),
        Asset("DP-1", "dosing_pump", {"Description": "Hypochlorite dosing pump duty"}),
    )
    base = MemoryBase(MaintenanceData("site", assets=assets, documents=rows))

    def ids(kind: str, asset: str = "") -> list[str]:
        return [d.doc_id for d in fmea_of_type(base, kind, asset)]

    assert ids("dosing_pump", "DP-1") == ["dose", "any"]
    assert ids("centrifugal_pump", "RWP-1") == ["raw", "any"]  # not the high-lift pumps' row
    assert ids("dosing_pump") == ["raw", "lift", "dose", "any"]  # without an asset: by type only


def test_the_summary_says_an_order_names_another_failure_than_the_readings() -> None:
    from moesaic.reports.diagnose.faults import FaultPrediction

    order = _order("site:WO-2", "Replaced crankshaft brg DE on HG-01 (spalling on outer race)", 12)
    evidence = _evidence((NamedRow(BEARING, (order,)),))
    normal = FaultPrediction("normal", 0.9, (("normal", 0.9), ("bearing_wear", 0.1)))
    calm = dataclasses.replace(evidence, problems=(), fault=normal)
    _, sentences = compose(calm)
    summary = [s.text for s in sentences if s.section == "summary"]
    assert summary[1] == (
        "Work order WO-2 of the window names FMEA row fmea-11 (Bearing wear / spalling), a failure the "
        "readings do not show clearly."
    )
    unknown = dataclasses.replace(calm, fault=FaultPrediction("normal", 0.9, (("normal", 0.9),)))
    _, sentences = compose(unknown)
    assert (
        "a failure the fault model may not know" in [s.text for s in sentences if s.section == "summary"][1]
    )
