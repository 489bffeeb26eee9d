"""A site's channel and asset-type names read as the names the diagnosis models learnt (a user test:
the same bearing fault was diagnosed under the simulator's names and missed under the plant's)."""

from __future__ import annotations

from moesaic.data.schema import Asset, Document
from moesaic.reports.diagnose.history import fmea_field, matching_fmea
from moesaic.reports.diagnose.naming import known_asset_type, known_channel_names

KNOWN = ("bearing_temp", "current", "discharge_pressure", "flow", "motor_temp", "suction_pressure",
         "vibration_rms", "speed", "power")  # fmt: skip


def test_units_and_abbreviations_do_not_hide_a_known_channel() -> None:
    site = ("vibration_mm_s", "bearing_temp_c", "motor_amps", "Flow [m3/h]", "Disch Press (bar)", "pump_rpm")
    assert known_channel_names(site, KNOWN) == (
        "vibration_rms", "bearing_temp", "current", "flow", "discharge_pressure", "speed",
    )  # fmt: skip


def test_a_known_name_is_taken_once_and_unknown_names_stay() -> None:
    site = ("bearing_temp", "Brg Temp DE", "ambient_temp", "pressure")
    assert known_channel_names(site, KNOWN) == ("bearing_temp", "Brg Temp DE", "ambient_temp", "pressure")
    assert known_channel_names(("Brg Temp DE", "motor winding temp"), KNOWN) == ("bearing_temp", "motor_temp")


def test_an_asset_type_reads_as_the_known_type_among_its_words() -> None:
    types = ("pump", "compressor", "motor", "fan")
    assert known_asset_type("centrifugal_pump", types) == "pump"
    assert known_asset_type("Centrifugal Pump", types) == "pump"
    assert known_asset_type("pump_motor_set", types) == "pump_motor_set"  # two known types: neither
    assert known_asset_type("conveyor", types) == "conveyor"


class _Base:
    def __init__(self, rows: list[Document]) -> None:
        self.rows = rows

    def documents(self, kind: str) -> list[Document]:
        return [d for d in self.rows if d.kind == kind]

    def assets(self) -> list[Asset]:
        return [Asset("P-1", "pump"), Asset("F-1", "fan"), Asset("B-1", "blower fan")]


def _sheet_row(doc_id: str, component: str, mode: str, action: str) -> Document:
    fields = {"Component": component, "Sub-Component": "", "Potential Failure Mode": mode,
              "Recommended Action": action, "Potential Effect(s) of Failure": "trip"}  # fmt: skip
    return Document(doc_id=doc_id, kind="fmea", text=mode, fields=fields)


def test_a_sites_fmea_sheet_row_matches_the_fault_it_names() -> None:
    rows = [
        _sheet_row("f1", "Centrifugal pump", "Bearing wear / spalling", "Replace bearing"),
        _sheet_row("f2", "Mechanical seal", "Leaking", "Replace seal"),
        _sheet_row("f3", "Impeller", "Unbalance", "Balance impeller"),
        _sheet_row("f4", "Bearing", "Overheating", "Regrease"),
    ]
    base = _Base(rows)
    labels = ("bearing_wear", "seal_leak", "imbalance", "overheating", "cavitation")
    found = {label: [d.doc_id for d in matching_fmea(base, "pump", label)]  # type: ignore[arg-type]
             for label in labels}  # fmt: skip
    assert found == {"bearing_wear": ["f1"], "seal_leak": ["f2"], "imbalance": ["f3"], "overheating": ["f4"],
                     "cavitation": []}  # fmt: skip
    assert fmea_field(rows[0], "recommended_action") == "Replace bearing"
    assert fmea_field(rows[0], "effects") == "trip"


def test_a_sites_row_about_another_asset_type_is_not_cited_for_this_one() -> None:
    # user report: a fan's report cited a pump's bearing row of the site sheet
    rows = [
        _sheet_row("pump", "Centrifugal pump bearings", "Bearing wear", "Replace bearing"),
        _sheet_row("fan", "Fan bearing", "Bearing wear", "Regrease"),
        _sheet_row("any", "Bearing", "Bearing wear", "Check lubrication"),
        _sheet_row("blower", "Blower fan bearing", "Bearing wear", "Replace"),
    ]
    base = _Base(rows)
    found = {kind: [d.doc_id for d in matching_fmea(base, kind, "bearing_wear")]  # type: ignore[arg-type]
             for kind in ("fan", "pump", "blower fan")}  # fmt: skip
    # "Blower fan bearing" names the fan type too (every word of it): a fan may use it
    assert found["fan"] == ["fan", "any", "blower"] and found["pump"] == ["pump", "any"]
    assert found["blower fan"] == ["any", "blower"]


def test_a_sites_row_whose_subsystem_is_another_types_last_word_is_not_cited_for_this_one() -> None:
    # walk-through: a blower's report recommended the pump row ("Pump" for centrifugal_pump, dosing_pump)
    def row(doc_id: str, subsystem: str) -> Document:
        fields = {"Subsystem": subsystem, "Component": "Bearing", "Potential Failure Mode": "Bearing wear"}
        return Document(doc_id=doc_id, kind="fmea", text="Bearing wear", fields=fields)

    base = _Base([row("pump", "Pump"), row("blower", "Blower"), row("any", "")])
    base.assets = lambda: [
        Asset("P-1", "centrifugal_pump"),
        Asset("P-2", "dosing_pump"),
        Asset("B-1", "blower"),
    ]  # type: ignore[method-assign]
    found = {kind: [d.doc_id for d in matching_fmea(base, kind, "bearing_wear")]  # type: ignore[arg-type]
             for kind in ("blower", "centrifugal_pump")}  # fmt: skip
    assert found == {"blower": ["blower", "any"], "centrifugal_pump": ["pump", "any"]}


def test_a_sites_row_whose_component_ends_in_another_types_last_word_is_not_cited_for_this_one() -> None:
    # walk-through: a backwash blower's report cited the "Centrifugal pump" seal row of a water works
    fields = {"Subsystem": "Pumping", "Component": "Centrifugal pump", "Sub-Component": "Mechanical seal",
              "Potential Failure Mode": "Seal leak"}  # fmt: skip
    base = _Base([Document(doc_id="seal", kind="fmea", text="Seal leak", fields=fields)])
    base.assets = lambda: [Asset("IP-1", "Intake Pump"), Asset("BW-1", "Backwash Blower")]  # type: ignore[method-assign]
    found = {kind: [d.doc_id for d in matching_fmea(base, kind, "seal_leak")]  # type: ignore[arg-type]
             for kind in ("Backwash Blower", "Intake Pump")}  # fmt: skip
    assert found == {"Backwash Blower": [], "Intake Pump": ["seal"]}
