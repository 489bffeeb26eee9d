"""The accuracy table of ``moesaic exam``: one row per category, none for an absent category."""

from __future__ import annotations

from moesaic.cli.exam import _category_rows
from moesaic.reports.exam.solve import Score


def test_a_file_without_categories_shows_the_overall_row_only() -> None:
    scores = {"overall": Score(0.5, 1, 2), "": Score(0.5, 1, 2)}
    assert [name for name, _ in _category_rows(scores)] == ["overall"]


def test_uncategorised_questions_beside_categories_get_a_named_row() -> None:
    scores = {
        "overall": Score(0.75, 3, 4),
        "Trend": Score(1.0, 1, 1),
        "": Score(1.0, 1, 1),
        "Noise": Score(0.5, 1, 2),
    }
    rows = _category_rows(scores)
    assert [name for name, _ in rows] == ["overall", "Noise", "Trend", "(no category)"]
    assert rows[-1][1] == Score(1.0, 1, 1)
