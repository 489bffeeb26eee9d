"""How many words an FMEA row shares with a situation written in a technician's shorthand
("DE brg replcd, spalled outer race" for a crankshaft bearing's spalling)."""

from __future__ import annotations

from moesaic.reports.qa.table import terms
from moesaic.reports.scenarios.similarity import sheet_overlap, shorthand_tokens


def _overlap(row: str, situation: str) -> int:
    words = set(row.lower().split())
    return sheet_overlap(set(terms(row)), words, set(terms(situation)), shorthand_tokens(situation))


def test_shorthand_adds_to_a_word_written_in_full_but_names_nothing_alone() -> None:
    row = "Crankshaft bearing spalling"
    assert _overlap(row, "DE brg replcd, spalled outer race") == 2  # spall + brg
    assert _overlap(row, "DE brg replcd") == 0  # "brg" alone is no evidence
    assert _overlap("Discharge outlet blockage", "pump out of service, blockage") == 1
    assert _overlap("Discharge outlet blockage", "the pump and the motor, blockage") == 1
