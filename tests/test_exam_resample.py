"""The TimeSeriesExam's own question texts on freshly generated series (tests/data/exam_resample):
the closest stand-in for the questions kept aside, which share the file's templates."""

from __future__ import annotations

from pathlib import Path

from moesaic.reports.exam.questions import read_questions
from moesaic.reports.exam.solve import answer_exam, score_answers

RESAMPLE_SET = Path(__file__).parent / "data" / "exam_resample" / "exam_resample.json"


def test_the_resampled_set_stays_above_its_floor() -> None:
    """100 seeded questions written without seeing the solver: 92 right at the first reading."""
    documents = read_questions(RESAMPLE_SET).documents
    scores = score_answers(documents, answer_exam(documents))
    assert scores["overall"].total == 100
    assert scores["overall"].correct >= 88
