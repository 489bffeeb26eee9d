"""FMEA answers to questions phrased as technicians type them, and the project's own question set."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from moesaic.reports.qa.fmea import FmeaAnswerer, analyse
from moesaic.reports.qa.nuggets import nugget_present, nugget_present_lenient
from moesaic.reports.qa.table import FmeaRow, link_mentions, normal_terms, rows_from_documents, terms

OWN_QUESTIONS = Path(__file__).parent / "data" / "fmea_questions_own.csv"
INDEP_QUESTIONS = Path(__file__).parent / "data" / "fmea_questions_indep.csv"
PUMP_CONVEYOR = Path(__file__).parent / "data" / "fmea_pump_conveyor"


def _row(
    n: int, sys: str, comp: str, sub: str, mode: str, s: int, o: int, d: int, cause: str = ""
) -> FmeaRow:
    return FmeaRow(
        f"r{n}",
        sys,
        comp,
        sub,
        mode,
        "loss of function",
        cause or "wear",
        "inspection",
        "",
        s,
        o,
        d,
        s * o * d,
    )


ROWS = (
    _row(1, "Power Train", "Wheelends", "Tyre", "Balding", 3, 4, 2, "wearing over time"),
    _row(2, "Power Train", "Wheelends", "Brakes", "Wearing", 3, 2, 2),
    _row(3, "Power Train", "Drivelines", "Drivelines Centre Bearing", "Wearing", 3, 3, 3),
    _row(4, "Electrical System", "Component Box", "Fuses", "Overloading", 3, 2, 2),
    _row(5, "Electrical System", "Cabin Controls", "Horn", "Corrosion", 2, 2, 2),
    _row(6, "Electrical System", "Cabin Controls", "Wiper motor", "Corrosion", 2, 2, 2),
    _row(7, "Electrical System", "Cabin Controls", "Wiper switch", "Wearing", 2, 3, 2),
    _row(8, "Power Unit", "Electrical System", "Sensors", "Corrosion", 3, 3, 2),
    _row(9, "Power Unit", "Electrical System", "Actuators", "Wearing", 3, 2, 2),
)


@pytest.fixture
def answerer() -> FmeaAnswerer:
    return FmeaAnswerer(ROWS, threshold=0.85, semantic="none")


def test_american_spelling_and_es_plurals_read_as_the_sheet_writes_them() -> None:
    assert normal_terms("tires centers utilized") == normal_terms("tyre centre utilised")
    assert normal_terms("hoses caused") == normal_terms("hose cause")
    assert normal_terms("size seized") == ["siz", "seiz"]  # "-ize" only after a stem of four letters
    assert terms("tires") == ["tir"]  # nugget scoring keeps the words as written
    names = {m.name for m in link_mentions("what causes balding of the tires", ROWS)}
    assert names == {"Tyre", "Balding"}
    names = {m.name for m in link_mentions("RPN of the drivelines center bearing", ROWS)}
    assert names == {"Drivelines Centre Bearing"}


@pytest.mark.parametrize(
    "question",
    [
        "Which component does the horn belong to",
        "What current controls are in place for corrosion on the horn?",
        "wat is the occurence of balding on the tyre",  # shorthand and a one-letter typo
        "What is the maximum severity in the Wheelends?",
        "What is the average RPN over the whole sheet?",
    ],
)
def test_words_of_asking_are_no_topic(answerer: FmeaAnswerer, question: str) -> None:
    assert analyse(question, ROWS).content == []
    assert not answerer.answer(question).abstained


def test_a_typo_of_a_question_word_is_no_topic_but_a_sheet_word_stays_one() -> None:
    rows = (*ROWS, _row(10, "Power Unit", "Engine", "Block", "Cracking", 3, 2, 2, "casting defect"))
    assert analyse("which failure has a defect", rows).content == normal_terms("defect")


def test_answer_says_back_the_word_of_the_ranking(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("What is the maximum occurrence in the Wheelends?")
    assert "the maximum occurrence value is 4" in answer.text and answer.row_ids == ("r1",)


def test_most_and_fewest_failure_modes_count_per_level_asked(answerer: FmeaAnswerer) -> None:
    most = answerer.answer("Which subsystem has the most failure modes?")
    assert "the subsystem with the most failure modes is Electrical System, with 4" in most.text
    fewest = answerer.answer(
        "Which component in the Electrical System subsystem has the fewest failure modes?"
    )
    assert "the component with the fewest failure modes is Component Box, with 1" in fewest.text
    assert fewest.row_ids == ("r4",)
    ties = answerer.answer("which components have the fewest failure modes")
    assert "are Drivelines, Component Box, with 1 each" in ties.text


def test_level_word_after_a_name_chooses_between_levels() -> None:
    both = analyse("What fails in the electrical system?", ROWS).mentions
    assert {m.level for m in both} == {"subsystem", "component"}
    only = analyse("What fails in the electrical system subsystem?", ROWS).mentions
    assert [(m.level, m.name) for m in only] == [("subsystem", "Electrical System")]
    comp = analyse("What fails in the Electrical System component?", ROWS).mentions
    assert [m.level for m in comp] == ["component"]


def test_a_name_written_out_with_its_acronym_is_one_name() -> None:
    rows = (
        _row(1, "Power Train", "Transmission", "Electronic control unit (ECU)", "Wearing", 4, 3, 3),
        _row(2, "Power Train", "Transmission Electronic Control Unit (ECU)", "ECU", "Corrosion", 3, 2, 2),
    )
    question = "What is the RPN of Wearing on the Electronic control unit (ECU)?"
    assert {m.name for m in link_mentions(question, rows)} == {"Electronic control unit (ECU)", "Wearing"}
    answer = FmeaAnswerer(rows, threshold=0.85, semantic="none").answer(question)
    assert not answer.abstained and answer.row_ids[0] == "r1"
    assert {m.name for m in link_mentions("corrosion of the ECU", rows)} >= {"ECU"}  # the acronym alone


def test_a_name_gathered_from_scattered_words_borrows_none_of_a_written_name() -> None:
    rows = (
        _row(1, "Power Unit", "Air Intake System", "Air filter housing", "Physical damage", 3, 2, 2),
        _row(2, "Electrical System", "Air-conditioning", "Filter Housing", "Wearing", 2, 2, 2),
    )
    question = "What causes Wearing in the Filter Housing of the Air-conditioning?"
    assert {m.name for m in link_mentions(question, rows)} == {
        "Filter Housing",
        "Air-conditioning",
        "Wearing",
    }
    assert FmeaAnswerer(rows, threshold=0.85, semantic="none").answer(question).row_ids[0] == "r2"
    # a run the scattered name holds whole does not stop it: "the housing of the air filter"
    assert "Air filter housing" in {
        m.name for m in link_mentions("damage to the housing of the air filter", rows)
    }


def test_a_part_number_is_asked_of_no_column_an_fmea_has(answerer: FmeaAnswerer) -> None:
    for question in ("What is the part number of the horn?", "part no. for the wiper motor"):
        answer = answerer.answer(question)
        assert answer.abstained and "'partnumber'" in answer.text
    assert not answerer.answer("What is the RPN of the horn?").abstained
    person = answerer.answer("who supplies the wiper motor?")
    assert (
        person.abstained
        and "asks for a person" in person.text
        and answerer.support("who fixes the horn") == 0
    )


def test_words_naming_the_sheet_are_no_topic() -> None:
    rows = tuple(dataclasses.replace(r, row_id=f"fmea_mining_truck:{r.row_id}") for r in ROWS)
    answerer = FmeaAnswerer(rows, threshold=0.85, semantic="none")
    for question in (
        "RPN for tyre balding on the mining truck?",
        "severity of tyre balding (mining truck)?",
        "recommended action for the tyre in the haul truck FMEA",
        "RPN for a balding tyre on the haul truck?",
    ):
        assert analyse(question, rows).content == [] and not answerer.answer(question).abstained
    # a word of the source's name that a cell holds is still a topic
    assert "wear" in analyse("which failure modes of the mining truck are caused by wear?", rows).content


@pytest.mark.parametrize(
    ("question", "columns"),
    [
        ("What makes the wiper motor corrode?", ("cause",)),
        ("What could make the horn fail?", ("cause",)),
        ("What sub-components make up the wheelends?", ()),
        ("What sub-components make up the cabin controls?", ()),
        ("What controls are there for the cabin controls?", ("control",)),
        ("What do the cabin controls lead to?", ("effect",)),
    ],
)
def test_what_makes_asks_for_causes_and_a_column_word_inside_a_name_asks_for_none(
    question: str, columns: tuple[str, ...]
) -> None:
    query = analyse(question, ROWS)
    assert query.columns == columns and not {"mak", "make"} & set(query.content)


def test_how_many_names_are_counted(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("How many sub-components does the cabin controls have?")
    assert "3 sub-components, called Horn (1), Wiper motor (1), Wiper switch (1)." in answer.text


def test_no_row_about_the_topic_is_said_plainly(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("Is there a failure mode of the Wheelends caused by corrosion?")
    assert not answer.abstained and "no row mentions corrosion;" in answer.text
    assert nugget_present("There is no Wheelends failure mode caused by corrosion.", answer.text)


def _complete_answers(shared_data: Path, path: Path) -> tuple[int, int, int]:
    """Questions in ``path``, and how many are answered with every essential nugget, by the
    strict and the lenient matcher."""
    from moesaic.data.sets.fmea_mining_truck import read_fmea, read_fmea_qa

    sheet = read_fmea(shared_data / "fmea_mining_truck" / "fmea_dataset_filled.csv").documents
    rows = rows_from_documents(sheet)
    answerer = FmeaAnswerer(rows, semantic="none")
    words = set().union(*(terms(r.text()) for r in rows))
    questions = read_fmea_qa(path).documents
    strict = lenient = 0
    for item in questions:
        question = str(item.fields["Question"])
        text = answerer.answer(question).text
        nuggets = [n["nugget"] for n in item.fields["Nuggets"] if n["status"] == "ESSENTIAL"]
        strict += all(nugget_present(n, text) for n in nuggets)
        lenient += all(nugget_present_lenient(n, text, words | set(terms(question))) for n in nuggets)
    return len(questions), strict, lenient


def test_own_questions_floor(shared_data: Path) -> None:
    """The project's own questions (tests/data/README.md), references computed with pandas from the
    sheet: the strict share of complete answers must not fall below what the fixes reached (50/50)."""
    count, strict, lenient = _complete_answers(shared_data, OWN_QUESTIONS)
    assert count == 50
    assert strict / count >= 0.94 and lenient / count >= 0.94


def test_independent_questions_floor(shared_data: Path) -> None:
    """The independent set (tests/data/README.md), written without reading the own set: 45/49
    complete by both matchers before the fixes it prompted, 49/49 after; the floor is 47/49."""
    count, strict, lenient = _complete_answers(shared_data, INDEP_QUESTIONS)
    assert count == 49
    assert strict >= 47 and lenient >= 47


@pytest.mark.parametrize(
    ("folder", "least_complete", "least_abstained"),
    [(PUMP_CONVEYOR, 27, 6), (PUMP_CONVEYOR.parent / "fmea_wind_turbine", 23, 5)],
)
def test_other_plants_sheets_floor(folder: Path, least_complete: int, least_abstained: int) -> None:
    """Two other plants' sheets and their 40 questions each (tests/data/README.md), written by helpers
    who read none of the answerer; their unanswerable questions count wrong by their nuggets, so
    they are counted as abstentions too. First readings (the bench: MiniLM topics, a threshold
    fitted on the paired set) 27/40 and 21/40; here (words only, the default threshold), after the
    fixes they prompted, 28/40 with 6/6 abstentions and 24/40 with 5/5."""
    from moesaic.data.sets.fmea_mining_truck import read_fmea, read_fmea_qa

    rows = rows_from_documents(read_fmea(folder / "sheet" / "fmea.csv").documents)
    answerer = FmeaAnswerer(rows, semantic="none")
    complete = abstained = 0
    for item in read_fmea_qa(folder / "questions.csv").documents:
        answer = answerer.answer(str(item.fields["Question"]))
        nuggets = [n["nugget"] for n in item.fields["Nuggets"] if n["status"] == "ESSENTIAL"]
        complete += all(nugget_present(n, answer.text) for n in nuggets)
        abstained += "Unanswerable" in item.fields["Categories"] and answer.abstained
    assert complete >= least_complete and abstained >= least_abstained


def test_ampersands_typed_question_words_made_of_top_n_and_ies_plurals() -> None:
    rows = (
        _row(1, "Tower and Foundation", "Tower", "Tower Shell", "Cracking", 8, 2, 4),
        _row(2, "Tower and Foundation", "Foundation", "Anchor Bolts", "Loss of preload", 6, 3, 5),
        _row(3, "Rotor", "Pitch System", "Backup Battery", "Insufficient capacity", 9, 3, 6),
        _row(4, "Rotor", "Pitch System", "Pitch Motor", "Overheating", 5, 4, 3),
    )
    answerer = FmeaAnswerer(rows, threshold=0.85, semantic="none")
    lowest = answerer.answer("lowest severity failure in tower & foundation")
    assert not lowest.abstained and "Loss of preload" in lowest.text  # "&" reads as "and"
    for question in (
        "wat components make up the tower and foundation",
        "what does the pitch system consist of",
    ):
        answer = answerer.answer(question)
        assert not answer.abstained and "called" in answer.text, (question, answer.text)
    assert (
        "called Backup Battery (1), Pitch Motor (1)"
        in answerer.answer("what does the pitch system consist of").text
    )
    top = answerer.answer("top 2 rpn's in the sheet")
    assert not top.abstained and top.row_ids[:2] == ("r3", "r2") and "the top 2: 162, 90" in top.text
    assert normal_terms("batteries assemblies series") == normal_terms("battery assembly series")
    assert answerer.answer("capacity of the pitch batteries").row_ids == ("r3",)
