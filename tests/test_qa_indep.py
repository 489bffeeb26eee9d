"""FMEA question readings found on the independent question set (its floor is in
tests/test_qa_generality.py)."""

from __future__ import annotations

import pytest

from moesaic.reports.qa.fmea import FmeaAnswerer, analyse
from moesaic.reports.qa.table import FmeaRow, link_mentions, normal_terms
from moesaic.reports.qa.topic import asked_columns, clause_positions, raw_words


def _row(
    n: int, sys: str, comp: str, sub: str, mode: str, effect: str, cause: str, s: int, o: int
) -> FmeaRow:
    return FmeaRow(f"r{n}", sys, comp, sub, mode, effect, cause, "inspection", "", s, o, 2, s * o * 2)


ROWS = (
    _row(1, "Power Train", "Wheelends", "Tyre", "Balding", "Tyres wearing", "Wearing over time", 3, 4),
    _row(2, "Power Train", "Wheelends", "Brakes", "Wearing", "Safety compromised", "Wearing over time", 3, 2),
    _row(3, "Power Train", "Upbox", "Lubrication", "Degradation", "Heating", "Mixing of oils", 1, 2),
    _row(4, "Power Unit", "Air Intake System", "Turbocharger", "Mechanical failure", "Loss of power",
         "Contaminated air flow, lack of lubrication", 3, 3),
    _row(5, "Power Unit", "Air Intake System", "Turbocharger", "Corrosion", "Loss of power",
         "Exposure to contaminants", 2, 3),
    _row(6, "Power Frame", "Cabin", "Seatbelt", "Wearing", "Unsafe working environment",
         "General wear", 3, 3),
)  # fmt: skip


@pytest.fixture
def answerer() -> FmeaAnswerer:
    return FmeaAnswerer(ROWS, threshold=0.85, semantic="none")


def test_a_one_word_name_written_as_two_words_is_linked() -> None:
    names = {(m.name, m.words) for m in link_mentions("what are the parts of the wheel ends", ROWS)}
    assert ("Wheelends", frozenset({6, 7})) in names
    assert {m.name for m in link_mentions("rpn of the seat belt", ROWS)} == {"Seatbelt"}
    assert link_mentions("the wheel is worn at both ends", ROWS) == []  # not neighbours: no name


def test_the_parts_of_a_name_are_the_level_below_it(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("what are the parts of the wheel ends")
    assert "2 sub-components, called Tyre (1), Brakes (1)." in answer.text
    assert (
        "2 components, called Wheelends (2), Upbox (1)."
        in answerer.answer("what parts does the power train have").text
    )


def test_alternatives_of_a_more_likely_question_are_causes_not_places(answerer: FmeaAnswerer) -> None:
    question = (
        "turbocharger mechanical failure, is it more likley from lack of lubrication or from a software fault"
    )
    assert asked_columns(question) == ("cause",)
    words = raw_words(question)
    assert [words[i] for i in sorted(clause_positions(question))] == [
        "lack",
        "of",
        "lubrication",
        "software",
        "fault",
    ]
    query = analyse(question, ROWS)
    assert {m.name for m in query.mentions} == {"Turbocharger", "Mechanical failure"}  # not "Lubrication"
    assert "likley" not in query.content  # a typo of "likely", two letters swapped, is no topic
    answer = answerer.answer(question)
    assert not answer.abstained and answer.row_ids == ("r4",)
    # A name among the alternatives ("corrosion") no longer empties the selection.
    answer = answerer.answer(
        "the turbocharger has mechanical failure - is lubrication or corrosion the more likely cause?"
    )
    assert not answer.abstained and answer.row_ids == ("r4",)


def test_or_outside_a_more_likely_question_is_no_clause() -> None:
    assert clause_positions("what is the rpn of the tyre or the brakes") == frozenset()


def test_what_happens_asks_for_the_effect(answerer: FmeaAnswerer) -> None:
    question = "what happens if the seatbelt wears out"
    assert asked_columns(question) == ("effect",)
    assert analyse(question, ROWS).content == []
    answer = answerer.answer(question)
    assert not answer.abstained and answer.row_ids == ("r6",)


def test_a_ranking_by_most_says_highest(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("what has the most occurrence in the wheelends")
    assert "the highest occurrence value is 4" in answer.text


def test_swapped_letters_in_a_sheet_word_stay_a_topic() -> None:
    assert analyse("which failure is from mixnig of oils", ROWS).content == normal_terms("mixnig oils")
