"""FMEA question answering: linking, structured answers with citations, abstention, nuggets."""

from __future__ import annotations

from pathlib import Path

import pytest

from moesaic.data.schema import Document
from moesaic.reports.qa.fmea import FmeaAnswerer, analyse
from moesaic.reports.qa.nuggets import nugget_present, nugget_present_lenient, score_nuggets
from moesaic.reports.qa.table import FmeaRow, link_mentions, rows_from_documents, terms


def _row(n: int, sub: str, comp: str, sys: str, mode: str, s: int, o: int, d: int, **text: str) -> FmeaRow:
    return FmeaRow(
        row_id=f"r{n}",
        subsystem=sys,
        component=comp,
        sub_component=sub,
        failure_mode=mode,
        effect=text.get("effect", "loss of function"),
        cause=text.get("cause", "general wear and tear"),
        control=text.get("control", "visual inspection"),
        action=text.get("action", ""),
        severity=s,
        occurrence=o,
        detection=d,
        rpn=s * o * d,
    )


ROWS = (
    _row(1, "Radiator", "Cooling System", "Power Unit", "Leaks", 3, 4, 2,
         effect="loss of coolant, overheating"),
    _row(2, "Water Pump", "Cooling System", "Power Unit", "Mechanical failure", 4, 3, 3),
    _row(3, "Condenser", "Air-conditioning", "Electrical System", "Leaking", 2, 3, 3),
    _row(4, "Electronic control unit (ECU)", "Transmission", "Power Train", "Overloading", 4, 2, 4,
         cause="shorting of sensor power surge"),
    _row(5, "Fuel Tank", "Fuel System", "Power Unit", "Cracked or leaking", 4, 1, 2,
         effect="fuel loss, fire"),
)  # fmt: skip


@pytest.fixture
def answerer() -> FmeaAnswerer:
    return FmeaAnswerer(ROWS, threshold=0.75)


def test_linking_tolerates_spelling_acronyms_and_inflection() -> None:
    names = {(m.level, m.name) for m in link_mentions("Condensor leaks on the airconditioner", ROWS)}
    assert ("sub_component", "Condenser") in names
    assert ("component", "Air-conditioning") in names
    assert ("failure_mode", "Leaking") in names
    ecu = {m.name for m in link_mentions("Why is the ECU overloading?", ROWS)}
    assert {"Electronic control unit (ECU)", "Overloading"} <= ecu


def test_answer_cites_rows_and_copies_numbers(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("What is the RPN for the condenser?")
    assert not answer.abstained and answer.row_ids == ("r3",)
    assert "RPN 18" in answer.text and "[r3]" in answer.text


def test_numeric_filter_ranking_and_mean(answerer: FmeaAnswerer) -> None:
    over = answerer.answer("Which failure modes have an RPN over 30?")
    assert set(over.row_ids) == {"r2", "r4"}
    none = answerer.answer("What components have an RPN value over 40")
    assert none.row_ids == () and "No failure mode" in none.text
    top = answerer.answer("What component in the Power Unit has the highest occurrence value?")
    assert top.row_ids == ("r1",)
    mean = answerer.answer("What is the average detection value over the full dataset?")
    assert "over the whole FMEA (5 failure modes) is 2.80" in mean.text  # (2 + 3 + 3 + 4 + 2) / 5
    q = analyse("failure modes with severity of at least 4", ROWS)
    assert q.numeric is not None and (q.numeric.score, q.numeric.op, q.numeric.value) == (
        "severity",
        ">=",
        4.0,
    )


def test_abstains_on_absent_parts_and_says_why(answerer: FmeaAnswerer) -> None:
    answer = answerer.answer("What is the RPN for the pantograph?")
    assert answer.abstained and answer.row_ids == ()
    assert "pantograph" in answer.text and "cannot answer" in answer.text
    assert answerer.support("What causes cavitation in the water pump?") < 0.75
    assert answerer.support("What causes mechanical failure in the water pump?") == 1.0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="at least one FMEA row"):
        FmeaAnswerer(())
    with pytest.raises(ValueError, match="`threshold` must be in"):
        FmeaAnswerer(ROWS, threshold=1.5)
    with pytest.raises(ValueError, match="non-empty"):
        FmeaAnswerer(ROWS).answer("  ")
    doc = Document(doc_id="x", kind="fmea", text="", fields={"Subsystem": "A"})
    with pytest.raises(ValueError, match="lacks the fields"):
        rows_from_documents([doc])


def test_nugget_matching_rules() -> None:
    answer = "[r3] Condenser: failure mode Leaking; severity 2, occurrence 3, detection 3, RPN 18."
    assert nugget_present("The RPN for the condenser leaking failure mode is 18.", answer)
    assert not nugget_present("The RPN for the condenser leaking failure mode is 19.", answer)
    assert not nugget_present("The failure effect is 'loss of hydraulic oil.'", answer)
    assert not nugget_present("There is no condenser failure mode caused by software bugs.", answer)
    score = score_nuggets({"q": ["The RPN of the condenser is 18.", "It is 99."]}, {"q": answer})
    assert (score.nugget_recall, score.complete_answers, score.nuggets) == (0.5, 0.0, 2)
    with pytest.raises(ValueError, match="no answer for questions"):
        score_nuggets({"q": ["x"]}, {})


def test_lenient_nuggets_forgive_phrasing_typos_and_rounding_but_not_facts() -> None:
    answer = "[r3] Condenser: failure mode Leaking; effect: air-conditioning inoperable; RPN 18; mean 2.4455."
    grounded = set(terms("condenser leaking air conditioning inoperable rpn 18 failure mode"))
    # "called" is no word of the sheet or the question: phrasing, not a fact.
    assert not nugget_present("The condenser has a failure mode called Leaking.", answer)
    assert nugget_present_lenient("The condenser has a failure mode called Leaking.", answer, grounded)
    # A one-letter typo of a sheet word is still that word; a decimal within 0.01 is the same number.
    assert nugget_present_lenient("The Condensor has the faillure mode Leaking.", answer, grounded)
    assert nugget_present_lenient("The mean is 2.44.", answer, grounded)
    # Facts stay strict: a wrong number, a missing grounded word, a missing negation.
    assert not nugget_present_lenient("The RPN of the condenser is 19.", answer, grounded)
    assert not nugget_present_lenient(
        "The condenser effect is 'loss of hydraulic oil'.",
        answer,
        grounded | set(terms("loss of hydraulic oil")),
    )
    assert not nugget_present_lenient("There is no condenser failure mode.", answer, grounded)
    score = score_nuggets(
        {"q": ["The condenser is called Leaking."]}, {"q": answer}, grounded={"q": grounded}
    )
    assert score.complete_answers == 1.0
    with pytest.raises(ValueError, match="no grounded words"):
        score_nuggets({"q": ["x"]}, {"q": answer}, grounded={})


def test_real_fmea_answers(shared_data: Path) -> None:
    from moesaic.data.sets.fmea_mining_truck import read_fmea

    rows = rows_from_documents(
        read_fmea(shared_data / "fmea_mining_truck" / "fmea_dataset_filled.csv").documents
    )
    answerer = FmeaAnswerer(rows)
    answer = answerer.answer("What is the subsystem for the engine?")
    assert not answer.abstained and "Power Unit > Engine" in answer.text
    assert answerer.answer("What is the RPN of the conveyor idler?").abstained


def test_sheets_with_other_column_names_read_and_a_missing_rpn_is_computed() -> None:
    fields = {
        "asset_type": "pump", "component": "mechanical seal", "failure_mode": "External leakage",
        "effects": "Loss of pressure", "causes": "dry running", "current_controls": "rounds",
        "recommended_action": "keep seal kit", "severity": "6", "occurrence": 5, "detection": 3,
    }  # fmt: skip
    (row,) = rows_from_documents([Document(doc_id="FM-1", kind="fmea", text="", fields=fields)])
    assert (row.subsystem, row.component, row.failure_mode) == ("pump", "mechanical seal", "External leakage")
    assert (row.effect, row.cause, row.action, row.sub_component) == (
        "Loss of pressure", "dry running", "keep seal kit", ""
    )  # fmt: skip
    assert row.rpn == 90.0
