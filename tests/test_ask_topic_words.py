"""Record questions whose topic is no field's value: "corrective" for work types written as codes,
a technician among many, the pumps of two types, the words of a part and an action, a thing no
record mentions, and amounts written with thousands commas and a currency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ask_support import answerer_over, cited
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.reports.ask import KbAnswerer

ASSETS = (
    Asset("P-201", "centrifugal_pump", {"site": "North"}),
    Asset("P-202", "dosing_pump", {"site": "North"}),
    Asset("B-301", "blower", {"site": "South"}),
)
PEOPLE = ("S. Dubois", "A. Martin", "J. Peeters", "L. Janssens", "M. Claes", "K. Wouters", "T. Maes",
          "R. Jacobs", "E. Mertens", "N. Willems", "F. Goossens", "H. Smets", "D. Lambert")  # fmt: skip
# (id, asset, date, type, technician, cost, text)
ORDERS = (
    ("W01", "P-201", "2024-11-02", "CM", "S. Dubois", 1200.0, "bearing noisy, replaced DE bearing"),
    ("W02", "P-201", "2025-01-10", "PM", "A. Martin", 150.0, "routine lubrication"),
    ("W03", "P-202", "2025-02-11", "CM", "S. Dubois", 400.0, "diaphragm torn, replaced diaphragm"),
    ("W04", "B-301", "2025-03-05", "EM", "J. Peeters", 2500.0, "blower tripped, changed motor bearing"),
    ("W05", "B-301", "2025-04-20", "PM", "S. Dubois", 90.0, "filter inspection"),
    ("W06", "P-202", "2025-05-01", "PM", "L. Janssens", 80.0, "calibration check"),
    *(
        (f"W{7 + i:02d}", "B-301", f"2025-06-{1 + i:02d}", "PM", person, 50.0, "belt tension check")
        for i, person in enumerate(PEOPLE[3:])
    ),
)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    documents = tuple(
        Document(wo, "work_order", text, asset, pd.Timestamp(day),
                 {"order_type": kind, "technician": person, "cost": cost})
        for wo, asset, day, kind, person, cost, text in ORDERS
    )  # fmt: skip
    data = MaintenanceData("site", assets=ASSETS, documents=documents)
    return answerer_over(tmp_path_factory.mktemp("kb"), data)


@pytest.mark.parametrize(
    ("question", "orders"),
    [
        ("How many corrective work orders were raised in 2025?", {"W03", "W04"}),
        (
            "how many preventive work orders did B-301 get in 2025?",
            {"W05", *(f"W{n:02d}" for n in range(7, 17))},
        ),
        ("How many work orders did S. Dubois do?", {"W01", "W03", "W05"}),
        ("How many work orders on the pumps?", {"W01", "W02", "W03", "W06"}),
        ("How many work orders cost more than 1,000?", {"W01", "W04"}),
        ("how many bearing replacements were there?", {"W01", "W04"}),
    ],
)
def test_a_count_keeps_every_word_of_its_topic(answerer: KbAnswerer, question: str, orders: set[str]) -> None:
    answer = answerer.answer(question)
    assert not answer.abstained and answer.kind == "records", answer.text
    assert answer.text.startswith(f"{len(orders)} "), answer.text
    assert cited(answer.citations) == orders


def test_a_total_over_the_words_of_a_part_and_an_action(answerer: KbAnswerer) -> None:
    for question in (
        "What did the bearing replacements cost in total?",
        "What did the bearing replacements cost?",
    ):
        answer = answerer.answer(question)
        assert "The total cost over 2 work orders" in answer.text and "is 3700" in answer.text, answer.text
    answer = answerer.answer("What is the total cost in EUR of the work orders on B-301?")
    assert "The total cost over 12 work orders" in answer.text and "is 3090" in answer.text, answer.text


def test_a_total_on_a_thing_no_record_mentions_is_not_the_total_of_everything(answerer: KbAnswerer) -> None:
    answer = answerer.answer("What was the total cost of work on the chlorine analyser?")
    assert answer.text.startswith("No work orders mention 'chlorine' or 'analyser'"), answer.text
    assert not answer.citations


def test_words_that_only_phrase_the_question_filter_nothing(answerer: KbAnswerer) -> None:
    answer = answerer.answer("How many work orders were raised across the whole site in 2025?")
    assert answer.text.startswith("15 work orders"), answer.text


def test_assets_asked_for_by_the_records_they_lack(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which assets have no work orders in 2024?")
    assert answer.text.startswith("2 of the 3 assets have no work orders in 2024"), answer.text
    assert answer.text.endswith(": site:B-301, site:P-202."), answer.text
    answer = answerer.answer("which pumps had no corrective work orders?")
    assert answer.text.startswith(
        "Each of the 2 assets has work orders with asset type centrifugal_pump or "
    ), answer.text


def test_who_fixed_a_fault_needs_no_order_saying_fixed(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Who fixed the torn diaphragm on P-202?")
    assert "technician of 1 work order" in answer.text and "S. Dubois: [site:W03]" in answer.text, answer.text


def test_a_coded_word_a_person_and_a_verb_for_a_status(tmp_path: Path) -> None:
    orders = (  # (id, asset, date, type, status, technician, failure code, text)
        ("K1", "K-1", "2024-03-01", "CM", "Closed", "A. Berg", "LEAK", "oil leak at shaft seal, resealed"),
        ("C1", "C-1", "2024-04-01", "CM", "Closed", "F. Costa", "", "refrigerant leak at TXV, repaired"),
        ("C2", "C-1", "2024-05-01", "CM", "Open", "P. Schmidt", "", "condenser fan noisy"),
        (
            "C3",
            "C-1",
            "2024-06-01",
            "CM",
            "Closed",
            "P. Schmidt",
            "",
            "condenser fan bearing, new bearing fitted",
        ),
        ("C4", "C-1", "2024-07-01", "PM", "Closed", "P. Schmidt", "", "monthly PM, all ok"),
        ("K2", "K-1", "2024-08-01", "CM", "Closed", "R. Vos", "", "motor brg noisy, replaced DE brg"),
        ("K3", "K-1", "2024-09-01", "PM", "Closed", "R. Vos", "", "dew point analyser recalibrated"),
    )
    documents = tuple(
        Document(wo, "work_order", text, asset, pd.Timestamp(day),
                 {"wo_type": kind, "status": status, "technician": who, "failure_code": code or None})
        for wo, asset, day, kind, status, who, code, text in orders
    )  # fmt: skip
    data = MaintenanceData(
        "plant", assets=(Asset("K-1", "compressor"), Asset("C-1", "chiller")), documents=documents
    )
    answerer = answerer_over(tmp_path, data)
    answer = answerer.answer("Who fixed the refrigerant leak on C-1?")  # "leak" is no code LEAK here
    assert "F. Costa: [plant:C1]" in answer.text, answer.text
    answer = answerer.answer("How many work orders did J. Smith do?")
    assert answer.text.startswith("No work orders mention 'J. Smith'"), answer.text
    answer = answerer.answer("How many CM work orders did P. Schmidt close?")
    assert answer.text.startswith("1 work order with technician P. Schmidt with status Closed"), answer.text
    answer = answerer.answer("which tech did the most CMs?")
    assert "the most frequent technician is P. Schmidt with 2 records" in answer.text, answer.text
    answer = answerer.answer("when was the bearing on C-1 last replaced?")  # "new bearing fitted"
    assert cited(answer.citations) == {"C3"}, answer.text
    answer = answerer.answer("when was the bearing on K-1 last replaced?")  # "replaced DE brg"
    assert cited(answer.citations) == {"K2"}, answer.text
    answer = answerer.answer("How many work orders on the dew point analyzer?")  # American spelling
    assert answer.text.startswith("1 work order mentioning dew point analyzer"), answer.text
    answer = answerer.answer("how many work orders on the compressors?")  # the type, in the plural
    assert answer.text.startswith("3 work orders with asset type compressor"), answer.text
