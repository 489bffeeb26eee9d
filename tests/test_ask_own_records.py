"""``moesaic ask`` over a plant's own work orders: accented words, comparisons on costs and hours,
the plant's own columns as facets, a "most" over nothing the records hold, and "1 work order"."""

from __future__ import annotations

import pandas as pd
import pytest

from ask_support import answerer_over, cited
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge.links import fold
from moesaic.reports.ask import KbAnswerer

# (id, day, text, cost, labour hours, failure code, Priorität, Techniker)
ORDERS = (
    ("WO-1", 3, "Garniture mécanique fuit, remplacement garniture", 1250.5, 6.0, "Leckage", "hoch", "Dupont"),
    ("WO-2", 13, "Roulement bruyant, température élevée", 180.0, 2.5, "Lagerschaden", "mittel", "Müller"),
    ("WO-3", 15, "Ölleck am Verdichter, Dichtung getauscht", 540.0, None, "Leckage", "hoch", "Müller"),
    ("WO-4", 20, "Motor heiß, Lüfter gereinigt", 95.0, 1.0, "Überhitzung", "niedrig", "Schäfer"),
    ("WO-5", 25, "Motor heiß", None, 0.5, "Überhitzung", "hoch", "Müller"),
)  # fmt: skip


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    documents = tuple(
        Document(
            wo, "work_order", text, "P-1", pd.Timestamp("2024-02-01") + pd.Timedelta(days=day),
            {k: v for k, v in zip(("cost", "labour_hours", "failure_code", "Priorität", "Techniker"),
                                  rest, strict=True) if v is not None},
        )
        for wo, day, text, *rest in ORDERS
    )  # fmt: skip
    data = MaintenanceData("usine", assets=(Asset("P-1", "pump"),), documents=documents)
    return answerer_over(tmp_path_factory.mktemp("kb"), data)


def test_fold_drops_accents_and_case() -> None:
    assert fold("Überhitzung heiß TEMPÉRATURE") == "uberhitzung heiss temperature"


@pytest.mark.parametrize(
    ("question", "orders"),
    [
        ("How many work orders mention température?", {"WO-2"}),
        ("How many work orders mention temperature?", {"WO-2"}),
        ("How many work orders mention Ölleck?", {"WO-3"}),
        ("How many work orders mention heiß?", {"WO-4", "WO-5"}),
        ("How many work orders have failure code Überhitzung?", {"WO-4", "WO-5"}),
        ("Which work orders cost more than 500?", {"WO-1", "WO-3"}),
        ("How many work orders have a cost above 500?", {"WO-1", "WO-3"}),
        ("List work orders with labour_hours greater than 4", {"WO-1"}),
        ("work orders with labour hours at most 1", {"WO-4", "WO-5"}),
        ("How many work orders with Priorität hoch?", {"WO-1", "WO-3", "WO-5"}),
        ("How many work orders with priorität hoch and failure code Leckage?", {"WO-1", "WO-3"}),
    ],
)
def test_filters_count_what_a_direct_look_at_the_orders_gives(
    answerer: KbAnswerer, question: str, orders: set[str]
) -> None:
    answer = answerer.answer(question)
    assert not answer.abstained and answer.kind == "records", answer.text
    assert answer.text.startswith(f"{len(orders)} work order"), answer.text
    assert cited(answer.citations) == orders


def test_the_answer_quotes_words_and_field_names_as_written(answerer: KbAnswerer) -> None:
    assert answerer.answer("How many work orders mention Ölleck?").text.startswith(
        "1 work order mentioning Ölleck."
    )
    assert "with Priorität hoch" in answerer.answer("How many work orders with Priorität hoch?").text
    assert "with cost > 500" in answerer.answer("Which work orders cost more than 500?").text


def test_the_plants_own_column_can_be_grouped_by(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which Techniker did the most work orders?")
    assert not answer.abstained and "the most frequent Techniker is Müller with 3 records" in answer.text


def test_unreadable_comparisons_abstain_and_a_technician_is_the_field_naming_who(
    answerer: KbAnswerer,
) -> None:
    around = answerer.answer("Which work orders cost around 500?")
    assert around.abstained and "'cost around 500' cannot be read" in around.text
    who = answerer.answer("Which technician did the most work orders?")  # the Techniker field
    assert not who.abstained and "the most frequent Techniker is Müller with 3 records" in who.text, who.text
    duration = answerer.answer("Which work orders had a downtime above 5?")
    assert duration.abstained and "no record of the base gives a duration" in duration.text


def test_most_recent_is_a_time_not_a_frequency(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which was the most recent work order?")
    assert not answer.abstained and answer.kind == "records" and "WO-5" in answer.text


def test_an_install_year_bound_in_a_base_without_install_years_abstains(answerer: KbAnswerer) -> None:
    answer = answerer.answer("How many work orders on assets installed before 2012?")
    assert answer.abstained and "no record of the base gives an install year" in answer.text, answer.text
