"""Answering TimeSeriesExam-style multiple-choice questions about one or two series.

A question is parsed into an intent (which property the options are about), the series are
measured with classical tests and fits, and every option is scored by how well the evidence
supports it. No model is trained; nothing keys on question ids, templates or option order.
"""

from moesaic.reports.exam.parse import Choice, Intent, parse_question
from moesaic.reports.exam.solve import (
    MAX_ABS,
    MIN_STEPS,
    Answer,
    Score,
    answer_documents,
    answer_exam,
    answer_question,
    score_answers,
)

__all__ = [
    "MAX_ABS",
    "MIN_STEPS",
    "Answer",
    "Choice",
    "Intent",
    "Score",
    "answer_documents",
    "answer_exam",
    "answer_question",
    "parse_question",
    "score_answers",
]
