"""``moesaic ask`` for the value of a field of the work orders that did something: "which
technician replaced the seal", "who repaired the leak"; a topic word no record holds is said, not
dropped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswer, KbAnswerer, RecordCitation

ASSETS = (Asset("P-1", "pump", {}), Asset("C-1", "compressor", {}))
# (id, asset, date, text, technician)
ORDERS = (
    ("W1", "P-1", "2024-02-01", "seal leak, changed mechanical seal", "T07"),
    ("W2", "P-1", "2024-05-01", "PM lube and alignment check", "T02"),
    ("W3", "C-1", "2024-06-01", "Repaired oil leak at sight glass", "T11"),
    ("W4", "P-1", "2024-07-01", "replaced blown fuse in local control station", "T02"),
    ("W5", "C-1", "2024-08-01", "PM FILT: AIR FILTER C/O", "T05"),
)


def _base(tmp_path_factory: pytest.TempPathFactory, field: str) -> KbAnswerer:
    documents = tuple(
        Document(wo, "work_order", text, asset, pd.Timestamp(day), {field: who, "priority": "2"})
        for wo, asset, day, text, who in ORDERS
    )
    path = Path(tmp_path_factory.mktemp("kb")) / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(MaintenanceData("plant", assets=ASSETS, documents=documents), source="plant")
    return KbAnswerer(KnowledgeBase.open(path))


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    return _base(tmp_path_factory, "technician")


def _cited(answer: KbAnswer) -> set[str]:
    return {c.record_id.partition(":")[2] for c in answer.citations if isinstance(c, RecordCitation)}


def test_which_technician_names_the_technician_of_the_orders_that_did_it(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which technician replaced the seal on P-1?")
    assert not answer.abstained and _cited(answer) == {"W1"}, answer.text
    assert answer.text.startswith("The technician of 1 work order") and "T07: [plant:W1]" in answer.text


def test_who_reads_the_field_naming_a_person_and_another_word_for_the_action(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Who fixed the oil leak on C-1?")
    assert _cited(answer) == {"W3"} and "T11" in answer.text, answer.text


def test_a_topic_word_no_record_holds_is_said_instead_of_answering_with_other_orders(
    answerer: KbAnswerer,
) -> None:
    answer = answerer.answer("Which technician replaced the impeller on P-1?")
    assert answer.text.startswith("No work orders of plant:P-1 mention 'impeller'."), answer.text
    # the orders that did replace something are shown as such, not as the answer
    assert "2 work orders mentioning replaced" in answer.text and "T02" in answer.text


def test_the_latest_order_names_the_asked_field(answerer: KbAnswerer) -> None:
    answer = answerer.answer("which technician last worked on P-1?")
    assert _cited(answer) == {"W4"} and answer.text.endswith("technician: T02."), answer.text


def test_who_abstains_when_no_field_names_a_person(tmp_path_factory: pytest.TempPathFactory) -> None:
    answer = _base(tmp_path_factory, "shift").answer("Who repaired the oil leak on C-1?")
    assert answer.abstained and "no field of the records names a person" in answer.text, answer.text
    assert "shift" in answer.text


def test_when_an_asset_last_had_a_part_changed_is_a_record_question_and_c_o_is_a_change(
    answerer: KbAnswerer,
) -> None:
    answer = answerer.answer("When did C-1 last have its air filter changed?")
    assert answer.kind == "records" and _cited(answer) == {"W5"}, answer.text  # "C/O": change out


def test_who_reads_the_technician_not_a_completed_column_of_dates(tmp_path: Path) -> None:
    # "Completed" sorts before "Technician" and says when the work was done, not who did it.
    documents = tuple(
        Document(
            wo,
            "work_order",
            text,
            asset,
            pd.Timestamp(day),
            {"Completed": f"{day[8:]}/{day[5:7]}/2024 16:00", "Technician": who},
        )
        for wo, asset, day, text, who in ORDERS
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(MaintenanceData("plant", assets=ASSETS, documents=documents), source="plant")
        fixed = KbAnswerer(base).answer("Who fixed the oil leak on C-1?")
        last = KbAnswerer(base).answer("Who did the last work order on P-1?")
    assert "T11" in fixed.text and "16:00" not in fixed.text, fixed.text
    assert last.text.endswith("technician: T02."), last.text
