"""Answering TimeSeriesExam-style questions: parse, measure, score every option, pick the best.

    documents = read_exam_json(path)
    answers = answer_exam(documents)          # {question id: chosen option text}

Each question goes through :func:`~moesaic.reports.exam.parse.parse_question` to a topic, the
topic's solver measures the series (tests and fits from :mod:`~moesaic.reports.exam.stats` and
:mod:`~moesaic.reports.exam.waves`) and scores the options; the highest score wins. Ties go to
the first option *in sorted text order*, never to an option's position, so shuffling the
options cannot change an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from moesaic.data.schema import Document
from moesaic.reports.exam import anomaly_qa, causality, cycle, moments, noise, pairs, phases, shifts, trend
from moesaic.reports.exam.gaps import fill_gaps
from moesaic.reports.exam.parse import Intent, parse_question
from moesaic.reports.exam.verdict import Solver, Verdict, abstain, invert, settle

logger = logging.getLogger(__name__)

# The shortest series the tests can read: the speed test compares windows of 24 steps, and the
# anomaly-free fit keeps at least a third of the steps and needs 8 of them (Ljung-Box, with 10
# lags, needs 11). The exam's own series have 128 steps or more.
MIN_STEPS = 24
# Larger values overflow float64 when squared (variances, sums of squares): such a question is
# refused rather than answered from overflowed statistics.
MAX_ABS = 1e150

SOLVERS: dict[str, Solver] = {
    **trend.SOLVERS,
    **cycle.SOLVERS,
    **moments.SOLVERS,
    **noise.SOLVERS,
    **anomaly_qa.SOLVERS,
    **pairs.SOLVERS,
    **causality.SOLVERS,
    **shifts.SOLVERS,
    **phases.SOLVERS,
}


class Answer(NamedTuple):
    question_id: str
    option: str  # the chosen option's text
    topic: str
    scores: tuple[float, ...]  # per option, in the question's option order
    rationale: str


def answer_question(
    question: str,
    options: Sequence[str],
    series: Sequence[np.ndarray],
    *,
    question_id: str = "",
    convention: str = "auto",
) -> Answer:
    """Answer one multiple-choice question about one or two series.

    Args:
        question: the question text.
        options: the option texts (at least 2).
        series: the series, (T,) each; "time series 1" is ``series[0]``. Missing values (NaN)
            are filled by linear interpolation between their observed neighbours, except for
            the anomaly solvers, which read observed steps only
            (:data:`~moesaic.reports.exam.anomaly_qa.READS_GAPS`).
        question_id: carried into the answer.
        convention: the sense of lead-lag words, see :func:`~moesaic.reports.exam.parse.parse_question`.
    Raises:
        ValueError: fewer than 2 options, no series, a series with fewer than :data:`MIN_STEPS`
            observed steps, or an infinite value.
    """
    if len(options) < 2:
        raise ValueError(f"question {question_id!r}: expected at least 2 options, found {len(options)}")
    if not series:
        raise ValueError(f"question {question_id!r}: expected 1 or 2 series, found none")
    arrays = [np.asarray(s, dtype=np.float64).ravel() for s in series]
    if not all(answerable_values(a) for a in arrays):
        raise ValueError(
            f"question {question_id!r}: expected finite values within ±{MAX_ABS:g} (or NaN for missing)"
        )
    observed = [int(np.isfinite(a).sum()) for a in arrays]
    if min(observed) < MIN_STEPS:
        raise ValueError(
            f"question {question_id!r}: expected series of at least {MIN_STEPS} observed steps, "
            f"found {observed}"
        )
    intent = parse_question(question, tuple(options), len(series), convention=convention)
    raw = intent.topic in anomaly_qa.READS_GAPS
    verdict = _solve(intent, arrays if raw else [fill_gaps(a) for a in arrays], question_id)
    if intent.negated:
        verdict = invert(verdict)
    verdict = settle(intent, verdict)
    gaps = sum(a.size for a in arrays) - sum(observed)
    if gaps:
        done = "left out of the anomaly evidence" if raw else "interpolated"
        verdict = verdict._replace(rationale=f"{gaps} missing values {done}; {verdict.rationale}")
    # Ties break on the option text, so the answer never depends on where an option is listed.
    order = sorted(range(len(options)), key=lambda i: (-verdict.scores[i], options[i]))
    return Answer(question_id, options[order[0]], intent.topic, verdict.scores, verdict.rationale)


def answerable_values(x: np.ndarray) -> bool:
    """No infinite value and none too large to square (NaN, a missing value, is allowed)."""
    return not bool(np.any(np.abs(x[~np.isnan(x)]) > MAX_ABS))


def _solve(intent: Intent, series: list[np.ndarray], question_id: str) -> Verdict:
    solver = SOLVERS.get(intent.topic)
    if solver is None:
        logger.warning("question %s: no solver for topic %r; abstaining", question_id, intent.topic)
        return abstain(intent, f"no solver for topic {intent.topic!r}")
    verdict = solver(intent, series)
    assert len(verdict.scores) == len(intent.choices), intent.topic
    return verdict


def answer_documents(documents: Iterable[Document], *, convention: str = "auto") -> list[Answer]:
    """Answer every question Document (kind "qa", as read by ``read_exam_json``)."""
    answers = []
    for doc in documents:
        series = list(doc.fields["series"].values())
        answers.append(
            answer_question(
                doc.text, doc.fields["options"], series, question_id=doc.doc_id, convention=convention
            )
        )
    return answers


def answer_exam(documents: Iterable[Document]) -> dict[str, str]:
    """Question id -> the chosen option's text, for every question."""
    return {a.question_id: a.option for a in answer_documents(documents)}


class Score(NamedTuple):
    accuracy: float
    correct: int
    total: int


def score_answers(
    documents: Iterable[Document], answers: Mapping[str, str], *, by: str = "category"
) -> dict[str, Score]:
    """Accuracy overall (key "overall") and per value of the field ``by``, on labelled questions."""
    tally: dict[str, list[int]] = {}
    for doc in documents:
        truth = doc.fields.get("answer")
        if truth is None:
            continue
        hit = int(answers.get(doc.doc_id) == truth)
        for key in ("overall", str(doc.fields.get(by, ""))):
            tally.setdefault(key, []).append(hit)
    return {k: Score(sum(v) / len(v), sum(v), len(v)) for k, v in tally.items()}
