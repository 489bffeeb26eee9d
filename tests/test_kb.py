"""The knowledge base on a tiny simulated plant: ingestion, idempotence, atomicity, lookups, search."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Document, Drawing, MaintenanceData
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.knowledge import AmbiguousIdError, KnowledgeBase, KnowledgeBaseError, UnknownIdError
from moesaic.knowledge import ingest as kb_ingest

TABLES = ("assets", "series", "events", "documents", "drawings")


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> MaintenanceData:
    folder = tmp_path_factory.mktemp("plant") / "p"
    # No rendered drawings (seconds of CPU): one drawing record is added by hand instead.
    simulate_to(SimulatorConfig(num_assets=2, days=30, seed=0, fault_rate=12.0, drawings=False), folder)
    data = load_plant(folder)
    drawing = Drawing(
        drawing_id="DWG-PU-SH-1001",
        path=folder / "drawings" / "DWG-PU-SH-1001.png",
        width=1600,
        height=1100,
        title_block={"part_number": "PU-SH-1001", "part_name": "PUMP SHAFT", "material": "1.4301"},
        boxes=({"kind": "note", "text": "REMOVE BURRS AND SHARP EDGES", "box": [48, 970, 324, 985]},),
        fields={
            "bom": [{"item": 1, "part_number": "PU-BR-6309", "description": "BALL BEARING 6309-2Z"}],
            "asset_ids": [data.assets[0].asset_id],
        },
    )
    return data.replace(drawings=(drawing,))


@pytest.fixture
def kb(tmp_path: Path, plant: MaintenanceData) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing")
    base.ingest(plant, source="plant")
    return base


def _snapshot(kb: KnowledgeBase) -> tuple[dict[str, int], list[tuple[str, str]], list[str]]:
    hashes = [
        row
        for t in TABLES
        for row in kb.connection.execute(f"SELECT key, hash FROM {t} ORDER BY key").fetchall()
    ]
    files = sorted(str(p.relative_to(kb.folder)) for p in kb.folder.rglob("*.parquet"))
    return kb.stats(), hashes, files


def test_ingest_stores_every_record(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    counts = plant.counts()
    stats = kb.stats()
    assert {t: stats[t] for t in TABLES} == {t: counts[t] for t in TABLES}
    assert stats["series_steps"] == counts["series_steps"]
    assert stats["sources"] == 1
    assert len(list(kb.folder.rglob("*.parquet"))) == counts["series"]


def test_second_ingest_adds_nothing(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    before = _snapshot(kb)
    report = kb.ingest(plant, source="plant")
    assert report.changed == 0
    assert dict(report.skipped) == {t: plant.counts()[t] for t in TABLES}
    assert _snapshot(kb) == before


def test_changed_record_is_updated_not_added(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    first = next(d for d in plant.documents if d.kind == "work_order")
    changed = Document(
        doc_id=first.doc_id,
        kind=first.kind,
        text="zanzibar gearbox rattle",
        asset_id=first.asset_id,
        time=first.time,
        fields=first.fields,
    )
    docs = tuple(changed if d.doc_id == first.doc_id else d for d in plant.documents)
    stray = kb.folder / "series" / "plant" / "0123abcd.parquet"  # as left by a killed ingestion
    stray.write_bytes(b"half a file")
    report = kb.ingest(plant.replace(documents=docs), source="plant")
    assert not stray.exists()
    assert report.updated["documents"] == 1 and report.changed == 1
    assert kb.stats()["documents"] == plant.counts()["documents"]
    hits = kb.search("zanzibar", mode="lexical")
    assert [h.record_id for h in hits] == [f"plant:{first.doc_id}"]
    old_word = max(re.findall(r"[a-z]{4,}", first.text.lower()), key=len)
    assert all(h.record_id != f"plant:{first.doc_id}" for h in kb.search(old_word, mode="lexical", k=50))


def test_interrupted_ingest_leaves_the_base_unchanged(
    kb: KnowledgeBase, plant: MaintenanceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(kb)
    real = kb_ingest._write_rows

    def fail_at_documents(connection, table, rows):  # type: ignore[no-untyped-def]
        if table == "documents":
            raise RuntimeError("power cut")
        real(connection, table, rows)

    monkeypatch.setattr(kb_ingest, "_write_rows", fail_at_documents)
    # A second source (new rows and new Parquet files) and a changed series of the first one.
    series = plant.series[0]
    bumped = type(series)(
        series_id=series.series_id,
        asset_id=series.asset_id,
        time=series.time,
        values=series.values + 1,
        channels=series.channels,
        observed=series.observed,
        labels=series.labels,
        meta=series.meta,
    )
    with pytest.raises(RuntimeError, match="power cut"):
        kb.ingest(plant, source="other")
    with pytest.raises(RuntimeError, match="power cut"):
        kb.ingest(plant.replace(series=(bumped, *plant.series[1:])), source="plant")
    assert _snapshot(kb) == before
    monkeypatch.setattr(kb_ingest, "_write_rows", real)
    assert kb.ingest(plant, source="other").added["documents"] == plant.counts()["documents"]


def test_open_without_create_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"not a knowledge base \(no such folder\)"):
        KnowledgeBase.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KnowledgeBaseError, match=r"no kb\.sqlite in it"):
        KnowledgeBase.open(tmp_path / "empty")


def test_context_manager_closes(tmp_path: Path) -> None:
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        assert base.stats()["documents"] == 0
    with pytest.raises(KnowledgeBaseError, match="closed"):
        base.stats()


def test_identifiers_found_and_not_found(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    wo = next(d for d in plant.documents if d.kind == "work_order")
    part = "PU-BR-6309"  # in the BOM of the drawing
    code = next(d.fields["failure_code"] for d in plant.documents if d.kind == "fmea")
    for token in (wo.doc_id, f"plant:{wo.doc_id}", wo.doc_id.lower(), part, code, plant.assets[0].asset_id):
        assert kb.identifier_exists(token), token
    for token in ("ZZ-9999", "plant:WO999999", "", "PN-4471"):
        assert not kb.identifier_exists(token), token


def test_search_finds_a_work_order_by_a_word_and_by_its_id(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    orders = [d for d in plant.documents if d.kind == "work_order"]
    # A word that one work order holds and no other record: both rankings must put it first.
    texts = [t for (t,) in kb.connection.execute("SELECT text FROM entries")]
    counts = Counter(w for t in texts for w in set(re.findall(r"[a-z]{5,}", t.lower())))
    word, target = next(
        (w, d) for d in orders for w in re.findall(r"[a-z]{5,}", d.text.lower()) if counts[w] == 1
    )
    hits = kb.search(word, kinds=["work_order"], mode="lexical", k=3)
    assert hits[0].record_id == f"plant:{target.doc_id}"
    assert kb.search(word, k=5)[0].record_id == f"plant:{target.doc_id}"
    exact = kb.search(f"what happened in {target.doc_id}?", k=3)
    assert exact[0].record_id == f"plant:{target.doc_id}" and exact[0].score > 1.0
    assert exact[0].table == "documents" and exact[0].kind == "work_order"
    assert all(h.score <= 1.0 for h in exact[1:])


def test_search_filters_and_fts_syntax(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    for query in ('"bearing* NEAR( -OR', "AND OR NOT", "", "^^^ ::", 'bearing\'s "seal" (leak)'):
        for mode in ("lexical", "dense", "hybrid"):
            assert isinstance(kb.search(query, mode=mode), list)
    asset = plant.assets[0].asset_id
    hits = kb.search("bearing seal vibration", k=20, asset_id=asset)
    assert hits and all(h.asset_id == f"plant:{asset}" for h in hits)
    assert all(h.kind == "fmea" for h in kb.search("bearing", kinds=["fmea"], k=20))
    assert all(h.table == "drawings" for h in kb.search("shaft", tables=["drawings"], k=20))
    with pytest.raises(ValueError, match="`mode` must be one of"):
        kb.search("x", mode="semantic")
    with pytest.raises(ValueError, match="unknown table 'parts'"):
        kb.search("x", tables=["parts"])


def test_asset_data_cuts_the_window(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    fault = next(e for e in plant.events if e.kind == "fault")
    start, end = pd.Timestamp(fault.start) - pd.Timedelta("1D"), pd.Timestamp(fault.end) + pd.Timedelta("1D")
    window = kb.asset_data(fault.asset_id, start=start, end=end)
    original = next(s for s in plant.series if s.asset_id == fault.asset_id)
    keep = (original.time >= start.to_datetime64()) & (original.time <= end.to_datetime64())
    (series,) = window.series
    assert series.length == int(keep.sum()) > 0
    np.testing.assert_array_equal(series.values, original.values[keep])
    np.testing.assert_array_equal(series.observed, original.observed[keep])
    np.testing.assert_array_equal(series.labels["fault"], original.labels["fault"][keep])
    assert f"plant:{fault.event_id}" in {e.event_id for e in window.events}
    assert all(pd.Timestamp(e.start) <= end and pd.Timestamp(e.end) >= start for e in window.events)
    assert {d.doc_id for d in window.documents} == {
        f"plant:{d.doc_id}" for d in plant.documents if d.asset_id == fault.asset_id
    }
    assert window.drawings and window.assets[0].asset_id == f"plant:{fault.asset_id}"
    with pytest.raises(UnknownIdError, match="unknown asset 'NOPE-1'") as info:
        kb.asset_data("NOPE-1")
    assert isinstance(info.value, KeyError)


def test_records_round_trip(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    wo = next(d for d in plant.documents if d.kind == "work_order")
    row = kb.record("documents", wo.doc_id)
    assert row is not None and row["key"] == f"plant:{wo.doc_id}" and row["original_id"] == wo.doc_id
    assert row["text"] == wo.text and row["t_time"] == wo.time and row["asset_key"] == f"plant:{wo.asset_id}"
    assert row["fields"]["finished"] == wo.fields["finished"]
    assert kb.record("documents", "WO-NONE") is None
    assert len(kb.documents(kind="fmea")) == sum(d.kind == "fmea" for d in plant.documents)
    assert len(kb.events(kind="fault")) == sum(e.kind == "fault" for e in plant.events)
    assert {a.asset_id for a in kb.assets()} == {f"plant:{a.asset_id}" for a in plant.assets}


def test_links_follow_codes_parts_and_assets(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    fmea = next(d for d in plant.documents if d.kind == "fmea")
    links = kb.links("documents", fmea.doc_id)
    assert links["failure_code"] == [fmea.fields["failure_code"]]
    assert links["component"] == [fmea.fields["component"]]
    naming = {r.record_id for r in kb.linked("failure_code", fmea.fields["failure_code"].lower())}
    expected = [d for d in plant.documents if d.fields.get("failure_code") == fmea.fields["failure_code"]]
    assert naming == {f"plant:{d.doc_id}" for d in expected}
    drawing = kb.linked("part_number", "PU-BR-6309", table="drawings")
    assert [r.record_id for r in drawing] == ["plant:DWG-PU-SH-1001"]
    assert kb.links("drawings", "DWG-PU-SH-1001")["asset"] == [f"plant:{plant.assets[0].asset_id}"]
    with pytest.raises(ValueError, match="unknown link 'colour'"):
        kb.linked("colour", "red")


def test_two_sources_keep_their_records_apart(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    kb.ingest(plant, source="copy")
    assert kb.stats()["assets"] == 2 * len(plant.assets)
    asset = plant.assets[0].asset_id
    with pytest.raises(AmbiguousIdError, match="several sources"):
        kb.asset_data(asset)
    assert kb.record("assets", f"copy:{asset}") is not None
    assert kb.asset_data(f"copy:{asset}").assets[0].asset_id == f"copy:{asset}"


def test_source_names_are_checked(tmp_path: Path, plant: MaintenanceData) -> None:
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        with pytest.raises(ValueError, match="`source` must be a name of letters"):
            base.ingest(plant, source="my plant:1")
        assert base.stats()["documents"] == 0


def test_updated_series_replaces_its_file(kb: KnowledgeBase, plant: MaintenanceData) -> None:
    first = plant.series[0]
    old_file = kb.record("series", first.series_id)["file"]  # type: ignore[index]
    bumped = type(first)(
        series_id=first.series_id,
        asset_id=first.asset_id,
        time=first.time,
        values=first.values * 2,
        channels=first.channels,
        observed=first.observed,
        labels=first.labels,
        meta=first.meta,
    )
    report = kb.ingest(plant.replace(series=(bumped, *plant.series[1:])), source="plant")
    assert report.updated["series"] == 1 and report.changed == 1
    assert not (kb.folder / old_file).exists()
    assert len(list(kb.folder.rglob("*.parquet"))) == len(plant.series)
    (back,) = kb.series(asset_id=first.asset_id)
    np.testing.assert_array_equal(back.values, first.values * 2)
