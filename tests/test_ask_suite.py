"""The ``ask`` bench suite: contract rows on a tiny plant, and gold answers on a hand-made plant."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.eval.bench import SuiteContext, run_suite
from moesaic.eval.suites.ask_questions import (
    PlantFiles,
    Question,
    count_questions,
    drawing_questions,
    onset_questions,
    retrieval_questions,
    sequence_questions,
    top_questions,
    unknown_questions,
)
from moesaic.reports.ask.answer import KbAnswer, RecordCitation


def _says(text: str, *cites: str, abstained: bool = False) -> KbAnswer:
    return KbAnswer(text, tuple(RecordCitation("documents", c) for c in cites), abstained, "records")


def _plant(tmp: Path) -> PlantFiles:
    """Two assets; P-101 has three orders (two on its bearing), two alarms and one bearing fault."""
    t = pd.Timestamp
    assets = pd.DataFrame(
        {
            "asset_id": ["P-101", "F-401"],
            "asset_type": ["pump", "fan"],
            "channels": ["flow;bearing_temp", "speed"],
        }
    )
    work_orders = pd.DataFrame(
        {
            "wo_id": ["WO1", "WO2", "WO3", "WO4"],
            "asset_id": ["P-101", "P-101", "P-101", "F-401"],
            "created": [t("2024-01-03 08:00"), t("2024-01-20 09:00"), t("2024-02-02 10:00"), t("2024-02-05")],
            "failure_code": [None, "VIB", "VIB", "ELP"],
            "component": ["seal", "bearing", "bearing", "belt"],
            "action": ["INSP", "REPL", "ADJ", "REPL"],
            "text": ["check seal", "replace bearing", "adjust bearing", "new belt"],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": ["A1", "A2", "A3"],
            "asset_id": ["P-101", "P-101", "F-401"],
            "kind": ["alarm", "alarm", "fault"],
            "start": [t("2024-01-10"), t("2024-01-11"), t("2024-01-12")],
        }
    )
    truth = pd.DataFrame(
        {
            "asset_id": ["P-101"],
            "fault_type": ["bearing_wear"],
            "onset": [t("2024-01-05 02:00")],
            "end": [t("2024-01-25 00:00")],
            "channels": ["bearing_temp;flow"],
        }
    )
    drawings = {
        "DWG-PU-1": {
            "asset_type": "pump",
            "title_block": {"part_number": "PU-1", "material": "GG25", "revision": "C"},
        },
        "DWG-FA-2": {
            "asset_type": "fan",
            "title_block": {"part_number": "FA-2", "material": "S235", "revision": "A"},
        },
    }
    fmea = pd.DataFrame({"fmea_id": ["FM-1"], "asset_type": ["pump"], "component": ["bearing"], "rpn": [120]})
    return PlantFiles(tmp, assets, work_orders, events, truth, fmea, drawings)


def _by_text(questions: list[Question]) -> dict[str, Question]:
    return {q.text: q for q in questions}


def test_count_gold_on_hand_made_plant(tmp_path: Path) -> None:
    qs = _by_text(count_questions(_plant(tmp_path)))
    q = qs["How many work orders for asset P-101?"]
    assert q.check(_says("3 work orders of plant:P-101"))
    assert not q.check(_says("2 work orders of plant:P-101"))
    assert not q.check(_says("3 work orders", abstained=True))
    assert qs["How many work orders in January 2024?"].check(_says("2 work orders in 2024-01"))
    assert qs["How many work orders in February 2024?"].check(_says("2 work orders in 2024-02"))
    assert qs["How many alarms for P-101?"].check(_says("2 alarms of plant:P-101"))
    assert qs["How many alarms for F-401?"].check(_says("0 alarms of plant:F-401"))  # its event is a fault
    assert qs["How many work orders with failure code VIB?"].check(_says("2 work orders with VIB"))


def test_most_frequent_sequence_and_onset_gold(tmp_path: Path) -> None:
    plant = _plant(tmp_path)
    top = _by_text(top_questions(plant))
    assert top["What is the most common failure code in work orders?"].check(
        _says("The most frequent failure code is VIB (2 of 3 work orders).")
    )
    component = top["Which component appears most often in work orders of asset P-101?"]
    assert component.check(_says("The most frequent component is bearing (2 of 3)."))
    assert not component.check(_says("The most frequent component is seal (1 of 3)."))
    assert "Which component appears most often in work orders of asset F-401?" not in top  # one order only
    # Only WO2 replaces within 30 days of the onset (WO3 is an adjustment).
    (seq,) = sequence_questions(plant)
    assert seq.text == "Which component is replaced most often after a bearing_wear fault?"
    assert seq.check(_says("The component replaced most often is bearing: 1 of 1 orders."))
    onsets = onset_questions(plant)
    events = [q for q in onsets if q.kind == "onset_events"]
    assert [q.text for q in events] == ["When did the anomaly start on P-101?"]
    assert events[0].check(_says("The latest fault of P-101 started at 2024-01-05 02:00."))
    assert not events[0].check(_says("The latest fault of P-101 started at 2024-01-06 02:00."))
    (computed,) = [q for q in onsets if q.kind == "onset_computed"]
    assert computed.blind and computed.onset == pd.Timestamp("2024-01-05 02:00")
    assert (
        computed.text
        == "When did the anomaly in bearing_temp start on P-101 between 2023-12-26 and 2024-01-25?"
    )
    assert computed.check(_says("computed: the change in bearing_temp starts at 2024-01-06 01:00 (fit)"))
    assert not computed.check(_says("computed: the change in bearing_temp starts at 2024-01-06 03:00 (fit)"))


def test_drawing_gold_and_unknown_names(tmp_path: Path) -> None:
    qs = _by_text(drawing_questions(_plant(tmp_path), "plant"))
    material = qs["What material is part PU-1?"]
    assert material.check(_says("Part PU-1 is drawn in material GG25.", "plant:DWG-PU-1"))
    assert not material.check(_says("Part PU-1 is drawn in material GG25.", "plant:DWG-FA-2"))
    assert qs["Which drawings cover asset F-401?"].check(_says("1 drawing", "plant:DWG-FA-2"))
    assert not qs["Which drawings cover asset F-401?"].check(
        _says("2 drawings", "plant:DWG-FA-2", "plant:DWG-PU-1")
    )
    taken = {"P-101", "F-401", "Q-123"}
    unknown = unknown_questions(np.random.default_rng(0), taken, "P-101", "flow")
    assert len(unknown) == 8 and not any(q.answerable for q in unknown)
    assert all(
        q.check(_says("I cannot answer", abstained=True)) and not q.check(_says("3 work orders"))
        for q in unknown
    )


@pytest.mark.timeout(60)
def test_quick_suite_writes_contract_rows(tmp_path: Path, contract_keys: set[str]) -> None:
    options = {"assets": "2", "days": "12", "aob": "no", "per_kind": "2", "seed": "33"}
    ctx = SuiteContext(quick=True, options=options, out=tmp_path)
    result = run_suite("ask", ctx, out=tmp_path, command="moesaic bench ask --quick")
    document = json.loads(result.json_path.read_text())
    assert set(document) == {"suite", "created", "command", "machine", "rows"}
    assert document["suite"] == "ask" and result.markdown_path.exists()
    rows = document["rows"]
    assert rows and all(set(r) == contract_keys for r in rows)
    assert {r["system"] for r in rows} == {"moesaic-ask"}
    assert {r["dataset"] for r in rows} == {"simulated_plant"}
    metrics = {r["metric"] for r in rows}
    assert {"accuracy", "abstention_recall", "false_abstention", "latency_p95_ms"} <= metrics
    settings = {r["setting"].split(",")[0] for r in rows}
    assert {"kind=overall", "kind=unknown_names", "kind=off_topic", "kind=count"} <= settings
    assert all("seed=33" in r["setting"] and "embedder=hashing" in r["setting"] for r in rows)
    for r in rows:
        if r["metric"] in ("accuracy", "abstention_recall", "false_abstention", "onset_within_24h"):
            assert 0.0 <= r["value"] <= 1.0
    unknown = next(
        r for r in rows if r["setting"].startswith("kind=unknown_names") and r["metric"] == "accuracy"
    )
    assert unknown["value"] == 1.0  # made-up asset ids are refused by name
    assert (tmp_path / "ask_answers_simulated_plant.jsonl").exists()


def test_retrieval_gold_accepts_every_record_with_all_words() -> None:
    texts = {
        "p:1": "replace bearing on pump",
        "p:2": "bearing replace and pump check",
        "p:3": "check seal",
        "p:4": "grease bearing",
    }
    questions = retrieval_questions(np.random.default_rng(3), texts, 4, "Any work order about")
    assert questions and all(q.text.startswith("Any work order about ") for q in questions)
    for q in questions:
        asked = set(q.text.removeprefix("Any work order about ").rstrip("?").split())
        for key, text in texts.items():
            holds_all = asked <= set(text.split())
            assert q.check(_says("closest records", key)) == holds_all, (q.text, key)
        assert not q.check(_says("nothing", abstained=True))
