"""FMEA questions about the kind of a control or action: only a check, or more than a check."""

from __future__ import annotations

import pytest

from moesaic.reports.qa.fmea import FmeaAnswerer, analyse
from moesaic.reports.qa.kinds import Kind, kind_matches, read_kind
from moesaic.reports.qa.table import FmeaRow


def _row(n: int, sub: str, control: str = "", action: str = "") -> FmeaRow:
    return FmeaRow(
        row_id=f"r{n}", subsystem="Power Unit", component="Fuel System", sub_component=sub,
        failure_mode="Leaking", effect="Fuel loss", cause="General wear and tear",
        control=control, action=action, severity=2, occurrence=2, detection=2, rpn=8,
    )  # fmt: skip


ROWS = (
    _row(
        1,
        "Fuel Tank",
        control="Daily visual inspection",
        action="Drain and flush fuel tank at 1000 hour service",
    ),
    _row(2, "Fuel Pump", control="Investigated upon component failure", action="Check pump function"),
    _row(
        3,
        "Fuel Filter",
        control="Scheduled change out on 250 hour service",
        action="Perform operational test",
    ),
    _row(4, "Fuel Lines", control="Inspect lines every 500 hour service"),
    _row(5, "Fuel Cooler", control="No current controls"),
)


@pytest.mark.parametrize(
    ("question", "kind", "interval"),
    [
        ("Which recommended actions go past just a check?", "beyond", False),
        ("Are there controls that are more than an inspection?", "beyond", False),
        ("Which actions do other than simply inspecting?", "beyond", False),
        ("Which current controls are just to perform a check on a regular interval?", "check", True),
        ("Which actions only involve inspecting?", "check", False),
        ("Which controls are merely a visual check, done routinely?", "check", True),
    ],
)
def test_kind_phrases_are_read(question: str, kind: str, interval: bool) -> None:
    found = read_kind(question)
    assert found is not None and (found.kind, found.interval) == (kind, interval)


@pytest.mark.parametrize(
    "question", ["What is the RPN of the fuel tank?", "Which parts are checked daily?", "Only the pump?"]
)
def test_no_kind_without_a_kind_phrase(question: str) -> None:
    assert read_kind(question) is None


def test_cells_are_sorted_by_the_verbs_they_name() -> None:
    check, timed, beyond = Kind("check", False, ()), Kind("check", True, ()), Kind("beyond", False, ())
    assert kind_matches(check, "Investigated upon component failure")
    assert not kind_matches(timed, "Investigated upon component failure")  # says no interval
    assert kind_matches(timed, "Visual inspection on 125 hour services")  # "service" says when
    assert not kind_matches(check, "Scheduled change out on 125 hour service")
    assert kind_matches(beyond, "Drain and flush fuel tank")
    assert not kind_matches(beyond, "No current controls") and not kind_matches(check, "")


def test_answers_list_the_rows_of_the_kind_asked() -> None:
    answerer = FmeaAnswerer(ROWS, threshold=0.5, semantic="none")
    query = analyse("Which current controls in the Fuel System are just a check on a regular interval?", ROWS)
    assert query.kind == Kind("check", True, query.kind.spans) and "check" not in query.content
    answer = answerer.answer(
        "Which current controls in the Fuel System are just a check on a regular interval?"
    )
    assert answer.row_ids == ("r1", "r4")
    assert "a current control that is only a check at a stated interval" in answer.text
    beyond = answerer.answer("Are there any recommended actions past just a check in the fuel system?")
    assert beyond.row_ids == ("r1",)
    none = answerer.answer("Which recommended actions for the Fuel Cooler go beyond a check?")
    assert none.row_ids == () and "No failure mode" in none.text


def test_an_abstention_about_named_parts_shows_what_the_sheet_holds_for_them() -> None:
    answerer = FmeaAnswerer(ROWS, threshold=0.9, semantic="none")
    answer = answerer.answer(
        "Is the leaking of the Fuel Tank more likely caused by lightning or by sabotage?"
    )
    assert answer.abstained and answer.row_ids == ()
    assert "What the FMEA holds for sub-component Fuel Tank" in answer.text
    assert "[r1] Power Unit > Fuel System > Fuel Tank" in answer.text
    unknown = answerer.answer("What is the RPN of the flux capacitor?")
    assert unknown.abstained and "What the FMEA holds" not in unknown.text


def test_no_controls_and_timed_visual_checks_are_kinds_too() -> None:
    absent = read_kind("Which failure modes of the fuel system have no current controls?")
    assert absent is not None and (absent.kind, absent.column) == ("none", "control")
    assert kind_matches(absent, "No current controls") and kind_matches(absent, "")
    assert not kind_matches(absent, "Daily visual inspection")
    answer = FmeaAnswerer(ROWS, threshold=0.5, semantic="none").answer(
        "Which failure modes of the fuel system have no current controls?"
    )
    assert answer.row_ids == ("r5",)
    weekly = read_kind("Which controls are only weekly visual inspections?")
    assert weekly is not None and (weekly.kind, weekly.interval) == ("check", True)
