"""``moesaic ask`` phrasings a user's tester typed: a phrase naming records instead of a question,
a misspelt "highest", the cost of orders in a year that has none, "who is the manufacturer",
"which component ... after a leak" over orders that record no component, "how many missing
readings"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, MaintenanceData, Series
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswer, KbAnswerer, RecordCitation

ASSETS = (
    Asset("P7", "pump", {"Manufacturer": "KSB"}),
    Asset("V12", "fan", {"Manufacturer": "Ziehl-Abegg"}),
)
# (id, asset, date, text, failure code, cost, Techniker)
ORDERS = (
    ("40001", "P7", "2025-02-03", "Gleitringdichtung undicht, Dichtung getauscht", "LEAK", 1850.0, "Müller"),
    ("40002", "P7", "2025-02-10", "Monatliche Inspektion, alles i.O.", "", 120.0, "Schmidt"),
    ("40003", "V12", "2025-02-14", "Lager laut, Lager gewechselt", "BRG", 640.5, "Müller"),
    ("40004", "V12", "2025-02-20", "Kupplungselement ersetzt", "", 310.0, "Weber"),
)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    documents = tuple(
        Document(
            wo, "work_order", text, asset, pd.Timestamp(day),
            {"cost": cost, "Techniker": who, "downtime_hours": 2.0}
            | ({"failure_code": code} if code else {}),
        )
        for wo, asset, day, text, code, cost, who in ORDERS
    )  # fmt: skip
    hours = pd.date_range("2025-03-01", periods=48, freq="h")
    pressure = np.linspace(4.0, 4.5, 48).astype(np.float32)[:, None]
    pressure[[10, 11, 30]] = np.nan  # three empty cells
    series = Series("P7", "P7", hours.to_numpy(), pressure, ("Druck_bar",), ~np.isnan(pressure))
    data = MaintenanceData("site", assets=ASSETS, documents=documents, series=(series,))
    path = Path(tmp_path_factory.mktemp("kb")) / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
    return KbAnswerer(KnowledgeBase.open(path))


def _cited(answer: KbAnswer) -> set[str]:
    return {c.record_id.partition(":")[2] for c in answer.citations if isinstance(c, RecordCitation)}


def test_a_phrase_naming_records_lists_them(answerer: KbAnswerer) -> None:
    answer = answerer.answer("work orders that cost more than 500")
    assert answer.kind == "records" and _cited(answer) == {"40001", "40003"}, answer.text
    assert answer.text.startswith("2 work orders with cost > 500")


def test_a_misspelt_highest_still_ranks(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Wich asset had the higest total cost?")
    assert "the asset with the highest total cost is site:P7 (1970)" in answer.text, answer.text


def test_the_cost_of_orders_in_a_year_without_any_is_none(answerer: KbAnswerer) -> None:
    answer = answerer.answer("What was the cost of the work orders on V12 in 2023?")
    assert not answer.abstained and answer.text.startswith("No work orders of site:V12 in 2023"), answer.text
    total = answerer.answer("What was the cost of the work orders on V12 in 2025?")
    assert "The total cost over 2 work orders of site:V12" in total.text and "950.5" in total.text


def test_who_is_the_manufacturer_does_not_ask_for_a_person(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Who is the manufacturer of V12?")
    assert "names a person" not in answer.text and "Ziehl-Abegg" in answer.text, answer.text


def test_a_field_named_in_german_names_the_person(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Who did the work orders of V12?")
    assert "Müller" in answer.text and "Weber" in answer.text, answer.text


def test_a_component_after_a_leak_abstains_when_no_order_records_a_component(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which component is replaced most often after a leak?")
    assert answer.abstained and "no dated record of the base gives a component" in answer.text, answer.text


def test_missing_readings_of_a_channel_are_counted(answerer: KbAnswerer) -> None:
    answer = answerer.answer("How many missing readings does Druck_bar of P7 have?")
    assert answer.kind == "series", answer.text
    assert "3 of 48 readings missing (empty cells), the first at 2025-03-01 10:00" in answer.text


def test_a_code_in_capitals_that_nothing_holds_is_said_not_dropped(answerer: KbAnswerer) -> None:
    answer = answerer.answer("EM work orders on P7")
    assert answer.text == "No work orders of site:P7 mention 'EM'.", answer.text
    coded = answerer.answer("How many BRG work orders in Q1 2025?")  # a failure code; Q1 is a time
    assert coded.text.startswith("1 work order with failure code BRG"), coded.text


def test_a_total_downtime_from_a_field_in_hours_is_stated_in_hours(answerer: KbAnswerer) -> None:
    answer = answerer.answer("total downtime of V12")
    assert answer.text == "The total duration over 2 work orders of site:V12 is 4 hours.", answer.text
