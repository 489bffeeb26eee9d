"""The paired answerable / unanswerable set, the split, and the abstention threshold."""

from __future__ import annotations

import pytest

from moesaic.reports.qa.abstain import (
    absent_names,
    abstention_scores,
    benchmark_pairs,
    fit_threshold,
    split_pairs,
    template_pairs,
)
from moesaic.reports.qa.table import FmeaRow


def _row(n: int, sub: str, mode: str) -> FmeaRow:
    return FmeaRow(
        f"r{n}", "Power Unit", "Cooling System", sub, mode, "leak", "wear", "check", "", 2, 2, 2, 8
    )


ROWS = tuple(
    _row(i, sub, mode) for i, (sub, mode) in enumerate([("Radiator", "Leaks"), ("Fan", "Wearing")] * 3)
)


def test_absent_names_drop_names_the_sheet_holds() -> None:
    assert absent_names(["radiator", "cooling system", "pantograph", "fan"], ROWS) == ["pantograph"]


def test_template_pairs_are_deterministic_and_twins_differ() -> None:
    pairs = template_pairs(ROWS)
    assert pairs == template_pairs(ROWS) and len(pairs) == len(ROWS)
    for pair in pairs:
        assert pair.answerable != pair.unanswerable
    assert "Radiator" in pairs[0].answerable and "Radiator" not in pairs[0].unanswerable


def test_benchmark_pairs_swap_a_named_part() -> None:
    pairs = benchmark_pairs([("q1", "What is the RPN of the radiator?"), ("q2", "How are you?")], ROWS)
    assert [p.pair_id for p in pairs] == ["benchmark-q1"]
    assert "radiator" not in pairs[0].unanswerable.lower()


def test_split_keeps_pairs_whole() -> None:
    halves = split_pairs(template_pairs(ROWS))
    assert len(halves.dev) == 3 and len(halves.test) == 3
    assert not {p.pair_id for p in halves.dev} & {p.pair_id for p in halves.test}


def test_fit_threshold_respects_false_abstention_budget() -> None:
    answerable = [1.0, 1.0, 0.9, 0.4]
    unanswerable = [0.0, 0.3, 0.5, 0.95]
    strict = fit_threshold(answerable, unanswerable, max_false_abstention=0.0)
    assert strict.threshold == pytest.approx(0.35)  # below 0.4, the lowest answerable support
    assert strict.dev.false_abstention == 0.0 and strict.dev.abstention_recall == 0.5
    loose = fit_threshold(answerable, unanswerable, max_false_abstention=0.25)
    assert loose.dev.abstention_recall == 0.75 and loose.dev.false_abstention == 0.25
    scores = abstention_scores(answerable, unanswerable, 0.6)
    assert scores == (0.75, 0.25)
    with pytest.raises(ValueError, match="both answerable and unanswerable"):
        abstention_scores([], [0.1], 0.5)
