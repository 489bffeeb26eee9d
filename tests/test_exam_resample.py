"""The TimeSeriesExam's own question texts on freshly generated series (tests/data/exam_resample):
the closest stand-in for the questions kept aside, which share the file's templates."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moesaic.reports.exam.questions import read_questions
from moesaic.reports.exam.solve import answer_exam, answer_question, score_answers

RESAMPLE_SET = Path(__file__).parent / "data" / "exam_resample" / "exam_resample.json"


def test_the_resampled_set_stays_above_its_floor() -> None:
    """100 seeded questions written without seeing the solver: 92 right at the first reading."""
    documents = read_questions(RESAMPLE_SET).documents
    scores = score_answers(documents, answer_exam(documents))
    assert scores["overall"].total == 100
    assert scores["overall"].correct >= 88


BREAK = "The time series shows a structural break. What is the most likely cause of this break?"
CAUSES = [
    "Sudden shift in trend direction",
    "Abrupt frequency change",
    "Change in variance in underlying distribution",
]


def test_the_cause_of_a_structural_break() -> None:
    """A faster or slower cycle changes the spread of the steps but not of the values; noise has a
    strongest period too, so a frequency change needs a cycle on each side."""
    rng = np.random.default_rng(0)
    t = np.arange(128)
    faster = np.where(t < 60, 2 * np.sin(2 * np.pi * t / 8), 2 * np.sin(2 * np.pi * t / 40))
    cases = [
        (faster + rng.normal(0, 0.1, 128), CAUSES[1]),
        (np.r_[rng.normal(0, 1, 64), rng.normal(0, 2, 64)], CAUSES[2]),
        (2 * np.sin(2 * np.pi * t / 16) + np.r_[rng.normal(0, 0.3, 64), rng.normal(0, 1.5, 64)], CAUSES[2]),
        (np.where(t < 64, 0.1 * t, 6.4 - 0.1 * (t - 64)) + rng.normal(0, 0.3, 128), CAUSES[0]),
    ]
    for x, expected in cases:
        assert answer_question(BREAK, CAUSES, [x]).option == expected
