"""How FMEA answers name failure modes: one name however it is typed, and named in a look-up."""

from __future__ import annotations

from moesaic.data.schema import Document
from moesaic.reports.qa.fmea import FmeaAnswerer
from moesaic.reports.qa.table import rows_from_documents


def _doc(n: int, sub: str, mode: str, rpn: int) -> Document:
    fields = {"Subsystem": "Power Unit", "Component": "Cooling System", "Sub-Component": sub,
              "Potential Failure Mode": mode, "Potential Effect(s) of Failure": "Overheating",
              "Potential Cause(s) of Failure": "Wear", "Current Controls": "Visual inspection",
              "Severity": 2, "Occurrence": 3, "Detection": 1, "RPN": rpn}  # fmt: skip
    return Document(doc_id=f"r{n}", kind="fmea", text="", fields=fields)


ROWS = rows_from_documents(
    [_doc(1, "Fan", "Wearing,", 6), _doc(2, "Fan", "Wearing", 6), _doc(3, "Radiator", "Leaking", 6)]
)


def test_a_trailing_comma_does_not_make_another_name() -> None:
    assert [r.failure_mode for r in ROWS] == ["Wearing", "Wearing", "Leaking"]


def test_a_look_up_of_a_named_part_says_what_its_failure_modes_are_called() -> None:
    answerer = FmeaAnswerer(ROWS, threshold=0.5, semantic="none")
    assert answerer.answer("What is the RPN of the radiator?").text.startswith(
        "Sub-component Radiator: 1 matching failure mode, called Leaking."
    )
    assert "2 matching failure modes, called Wearing (2)." in answerer.answer("rpn of the fan?").text


def test_maintenance_shorthand_is_written_out_before_reading() -> None:
    from moesaic.reports.qa.query import analyse, expand_shorthand
    from moesaic.reports.qa.topic import asked_columns

    assert expand_shorthand("avg sev of the lube pump w/ hyd cyl") == (
        "average severity of the lubrication pump with hydraulic cylinder"
    )
    assert expand_shorthand("altitude, average, TEMP") == "altitude, average, temperature"
    query = analyse("avg sev of the fan?", ROWS)
    assert query.mean == "severity" and not query.content
    assert asked_columns("which failure modes come from poor fitting?") == ("cause",)


def test_a_weighing_question_is_told_which_alternative_the_sheet_gives() -> None:
    from moesaic.reports.qa.topic import weighed_alternatives

    assert weighed_alternatives("Is the fan wearing more likely caused by physical impact or by wear?") == [
        "physical impact",
        "wear",
    ]
    assert weighed_alternatives("Is dust or heat the likelier cause of pump wear?") == ["dust", "heat"]
    assert weighed_alternatives("What is the RPN or the severity of the fan?") == []
    answerer = FmeaAnswerer(ROWS, threshold=0.5, semantic="none")
    text = answerer.answer("Is the radiator leaking more likely caused by ageing or by sabotage?").text
    assert "Of ageing and sabotage, the FMEA gives ageing as a cause (r3), not sabotage." in text  # Wear
    text = answerer.answer("Is the radiator leaking more likely caused by lightning or by sabotage?").text
    assert "The FMEA gives neither lightning nor sabotage as a cause" in text


def test_a_word_found_through_its_concept_is_named_and_due_is_no_topic() -> None:
    # user report: "due to natural degradation" led with "49 about ;" (the rows held "wear",
    # not "degradation") and also counted every row holding "due"
    impact = _doc(3, "Hose", "Burst", 6)
    impact.fields["Potential Cause(s) of Failure"] = "Damage due to impact"
    rows = rows_from_documents([_doc(1, "Fan", "Wearing", 6), _doc(2, "Radiator", "Leaking", 6), impact])
    answerer = FmeaAnswerer(rows, threshold=0.0, semantic="none")
    text = answerer.answer("Which failure modes are due to natural degradation?").text
    assert "2 matching failure modes (2 about degradation)" in text
    assert "Hose" not in text


def _sheet_row(n: int, comp: str, sub: str, mode: str, s: int, o: int, d: int) -> Document:
    fields = {"Subsystem": "Plant", "Component": comp, "Sub-Component": sub, "Potential Failure Mode": mode,
              "Severity": s, "Occurrence": o, "Detection": d, "RPN": s * o * d}  # fmt: skip
    return Document(doc_id=f"b{n}", kind="fmea", text="", fields=fields)


BOTTLING = rows_from_documents(
    [_sheet_row(1, "Screw compressor airend", "DE bearing", "Bearing wear / spalling", 8, 4, 5),
     _sheet_row(2, "Screw compressor airend", "Oil separator", "Separator element blocked", 5, 5, 3),
     _sheet_row(3, "Glue system", "Glue pump", "Blockage", 5, 7, 3),
     _sheet_row(4, "Conveyor rollers", "Return roller", "Bearing wear", 3, 4, 5)]
)  # fmt: skip


def test_a_part_named_by_most_of_its_words_is_that_part() -> None:
    # bottling walkthrough: "the screw compressor" got the glue pump's row, the closest in meaning
    answerer = FmeaAnswerer(BOTTLING, threshold=0.85, semantic="none")
    answer = answerer.answer("Which failure mode of the screw compressor has the highest RPN?")
    assert answer.row_ids == ("b1",) and "RPN value is 160" in answer.text, answer.text


def test_a_failure_mode_named_whole_also_names_the_modes_that_write_it() -> None:
    # "bearing wear on the compressor airend": the airend's mode is "Bearing wear / spalling"
    answerer = FmeaAnswerer(BOTTLING, threshold=0.85, semantic="none")
    answer = answerer.answer("What is the severity of bearing wear on the compressor airend?")
    assert answer.row_ids == ("b1",) and not answer.abstained, answer.text
    assert "failure-mode Bearing wear or failure-mode Bearing wear / spalling" in answer.text
