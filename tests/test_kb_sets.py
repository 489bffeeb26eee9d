"""The knowledge base on real public data: excavator work orders and the haul-truck FMEA."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from moesaic.data.registry import load_dataset
from moesaic.data.schema import MaintenanceData
from moesaic.knowledge import KnowledgeBase

SETS = ("excavator_mwo", "fmea_mining_truck")


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> dict[str, MaintenanceData]:
    return {name: load_dataset(name, shared_data) for name in SETS}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, loaded: dict[str, MaintenanceData]) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path_factory.mktemp("kb") / "kb", create=True, embedder="hashing")
    for name, data in loaded.items():
        base.ingest(data, source=name)
    return base


def test_counts_equal_the_loaders(kb: KnowledgeBase, loaded: dict[str, MaintenanceData]) -> None:
    stats = kb.stats()
    for table in ("assets", "series", "events", "documents", "drawings"):
        assert stats[table] == sum(data.counts()[table] for data in loaded.values()), table
    kinds = Counter(d.kind for data in loaded.values() for d in data.documents)
    for kind, count in kinds.items():
        assert len(kb.documents(kind=kind)) == count, kind
    assert len(kb.documents(asset_id="excavator_mwo:A")) == loaded["excavator_mwo"].meta["counts"]["Asset=A"]
    assert set(kb.sources()) == set(SETS)


def test_reingesting_a_set_adds_nothing(kb: KnowledgeBase, loaded: dict[str, MaintenanceData]) -> None:
    report = kb.ingest(loaded["fmea_mining_truck"], source="fmea_mining_truck")
    assert report.changed == 0 and report.skipped["documents"] == 355


def test_search_and_identifiers_on_real_text(kb: KnowledgeBase) -> None:
    hits = kb.search("hydraulic hose leak", k=5, kinds=["work_order"])
    assert len(hits) == 5 and all(h.record_id.startswith("excavator_mwo:") for h in hits)
    assert all("HOSE" in h.text.upper() or "LEAK" in h.text.upper() for h in hits)
    fmea = kb.search("fire suppression system", k=5, kinds=["fmea"], mode="lexical")
    assert fmea and all("fire" in h.text.lower() for h in fmea)
    assert kb.identifier_exists("PM01") and kb.identifier_exists("fmea_mining_truck:qa-1")
    assert not kb.identifier_exists("PM99")
