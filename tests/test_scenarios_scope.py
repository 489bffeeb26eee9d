"""Scenarios take their FMEA risk only from rows written for the asset's type or its own source."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import plan_scenarios
from moesaic.reports.scenarios.scope import FmeaScope, fmea_applies

SEAL = {  # a pump's FMEA row, as the simulator writes it: its asset type, no sub-component
    "asset_type": "pump",
    "component": "mechanical seal",
    "failure_mode": "External leakage at shaft seal",
    "effects": "Leak",
    "causes": "Dry running",
    "current_controls": "Walk-around",
    "recommended_action": "Keep seal kit in stock; check flush plan",
    "severity": 6,
    "occurrence": 6,
    "detection": 3,
}


def _orders(asset: str, texts: list[str], fm: str) -> list[Document]:
    start = pd.Timestamp("2023-01-01")
    return [
        Document(
            f"{asset}-{i}",
            "work_order",
            text,
            asset,
            start + pd.Timedelta(days=9 * i),
            {"Action": "Repair", "FM": fm},
        )
        for i, text in enumerate(texts)
    ]


@pytest.fixture()
def kb_folder(tmp_path: Path) -> Path:
    pumps = MaintenanceData(
        "plant",
        assets=(Asset("P-1", "pump"), Asset("P-2", "pump")),
        documents=(
            *_orders("P-1", ["shaft seal leaking", "repair shaft seal leakage"], "Leak"),
            *_orders("P-2", ["seal leaking at shaft", "shaft seal leak repaired"], "Leak"),
            Document("FM-P-02", "fmea", "mechanical seal: External leakage at shaft seal", fields=SEAL),
        ),
    )
    excavators = MaintenanceData(
        "exc",
        assets=(Asset("A", "Hydraulic excavator"), Asset("B", "Hydraulic excavator")),
        documents=(
            *_orders("A", ["hose on boom leaking", "repair leaking hose at boom"], "Leak"),
            *_orders("B", ["boom hose leak", "hydraulic hose leaking on boom"], "Leak"),
        ),
    )
    folder = tmp_path / "kb"
    with KnowledgeBase.open(folder, create=True, embedder="hashing") as kb:
        kb.ingest(pumps, source="plant")
        kb.ingest(excavators, source="exc")
    return folder


def test_another_sources_pump_fmea_gives_an_excavator_no_risk(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        plan = plan_scenarios(kb, asset_id="exc:A", text="hydraulic hose leaking at boom at the shaft seal")
    assert plan.scenarios
    for scenario in plan.scenarios:
        assert scenario.risk().startswith("unknown"), scenario
        assert all(c.record_id != "plant:FM-P-02" for c in scenario.citations)


def test_the_pumps_own_fmea_gives_its_risk_and_clean_steps(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        plan = plan_scenarios(kb, asset_id="plant:P-1", text="mechanical seal leaking at the shaft")
    assert any(s.risk() == "severity 6, occurrence 6 (FMEA)" for s in plan.scenarios)
    steps = [step for s in plan.scenarios for step in s.steps]
    assert "inspect mechanical seal" in steps and not any("()" in step for step in steps)


def test_fmea_applies_by_type_else_by_source() -> None:
    assert fmea_applies(FmeaScope("fmea", "excavator"), "exc", "Hydraulic excavator")
    assert not fmea_applies(FmeaScope("plant", "pump"), "exc", "Hydraulic excavator")
    assert not fmea_applies(FmeaScope("plant", "pump"), "plant", "motor")
    assert fmea_applies(FmeaScope("exc", ""), "exc", "Hydraulic excavator")  # no type: its own source
    assert not fmea_applies(FmeaScope("fmea", ""), "exc", "Hydraulic excavator")
    assert fmea_applies(FmeaScope("plant", "pump"), "plant", "")  # the asset's type is unknown


def test_a_site_sheets_row_naming_another_asset_type_is_not_proposed(tmp_path: Path) -> None:
    # walk-through: a screw compressor's refrigerant-leak row was proposed for a CIP pump, and the
    # centrifugal pump's seal row for a compressor; the sheet has no asset-type column
    def row(key: str, component: str, mode: str, action: str) -> Document:
        fields = {"Subsystem": "Utilities", "Component": component, "Potential Failure Mode": mode,
                  "Recommended Action": action, "Severity": 8, "Occurrence": 3, "Detection": 3}  # fmt: skip
        return Document(key, "fmea", f"{component}: {mode}", fields=fields)

    plant = MaintenanceData(
        "plant",
        assets=(Asset("RC-1", "screw compressor"), Asset("CP-1", "centrifugal pump")),
        documents=(
            *_orders("RC-1", ["shaft seal leaking", "seal leak at shaft, seal replaced"], "Leak"),
            *_orders("CP-1", ["pump seal leak", "shaft seal leaking, seal replaced"], "Leak"),
            row("fm-1", "Screw compressor", "Refrigerant leak at shaft seal", "Replace shaft seal"),
            row("fm-2", "Centrifugal pump", "Seal leak", "Replace mechanical seal"),
            row("fm-3", "Electric motor", "Seal leak at terminal box", "Reseal terminal box"),
        ),
    )
    folder = tmp_path / "kb"
    with KnowledgeBase.open(folder, create=True, embedder="hashing") as kb:
        kb.ingest(plant, source="plant")
        for asset, own in (("plant:RC-1", "plant:fm-1"), ("plant:CP-1", "plant:fm-2")):
            plan = plan_scenarios(kb, asset_id=asset, text="seal leak at the shaft seal")
            cited = {c.record_id for s in plan.scenarios for c in s.citations}
            assert own in cited and "plant:fm-3" in cited  # a motor is no asset type of this base
            assert not cited & ({"plant:fm-1", "plant:fm-2"} - {own}), (asset, cited)
