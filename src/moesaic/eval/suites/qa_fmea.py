"""Suite ``qa``, part ``fmea_qa``: FMEA questions answered extractively, with abstention.

The answers of :class:`~moesaic.reports.qa.fmea.FmeaAnswerer` scored by the strict and lenient
nugget matchers of :mod:`moesaic.reports.qa.nuggets` beside the data set's model answers, and its
abstention on the paired questions of :mod:`moesaic.reports.qa.abstain`; see
:mod:`moesaic.eval.suites.qa` for the rows and settings.
"""

from __future__ import annotations

import logging
from pathlib import Path

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Document
from moesaic.data.sets.fmea_mining_truck import read_fmea_qa
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.eval.suites.qa_fmc import _row
from moesaic.reports.qa.abstain import (
    abstention_scores,
    benchmark_pairs,
    fit_threshold,
    split_pairs,
    template_pairs,
)
from moesaic.reports.qa.fmea import FmeaAnswerer
from moesaic.reports.qa.nuggets import WORD_SHARE, score_nuggets
from moesaic.reports.qa.table import FmeaRow, rows_from_documents, terms
from moesaic.reports.qa.topic import resolve_semantic

logger = logging.getLogger(__name__)

UNANSWERABLE = "unanswerable"
"""The category (any case) that marks a question the sheet cannot answer."""


def fmea_rows(ctx: SuiteContext) -> tuple[tuple[FmeaRow, ...], list[Document]]:
    """The FMEA rows (from ``-o kb=DIR`` when given) and the benchmark questions (from ``-o
    fmea_questions=FILE`` when given: a CSV in the layout of ``fmea_qa_model.csv``)."""
    data = load_dataset("fmea_mining_truck", ctx.data_root())
    questions = [d for d in data.documents if d.kind == "qa"]
    if "fmea_questions" in ctx.options:
        questions = list(read_fmea_qa(Path(ctx.options["fmea_questions"])).documents)
    if "kb" in ctx.options:
        from moesaic.knowledge import KnowledgeBase

        with KnowledgeBase.open(ctx.options["kb"]) as kb:
            return rows_from_documents(kb.documents(kind="fmea")), questions
    return rows_from_documents(data.documents), questions


def question_set(ctx: SuiteContext) -> str:
    """The ``dataset`` of the question rows: ``fmea_qa``, or ``fmea_qa:STEM`` for ``-o fmea_questions``."""
    path = ctx.options.get("fmea_questions")
    return "fmea_qa" if path is None else f"fmea_qa:{Path(path).stem}"


def run_fmea(ctx: SuiteContext) -> list[BenchRow]:
    rows, questions = fmea_rows(ctx)
    dataset = question_set(ctx)
    probe = FmeaAnswerer(rows, threshold=0.0)
    pairs = template_pairs(rows)
    if ctx.quick:
        pairs = pairs[::3]
    unanswerable = {
        q.doc_id for q in questions if UNANSWERABLE in {c.lower() for c in q.fields["Categories"]}
    }
    # a question the set marks unanswerable is no answerable half of a pair
    asked = [(q.doc_id, str(q.fields["Question"])) for q in questions if q.doc_id not in unanswerable]
    pairs += benchmark_pairs(asked, rows)
    halves = split_pairs(pairs)
    dev_a = [probe.support(p.answerable) for p in halves.dev]
    dev_u = [probe.support(p.unanswerable) for p in halves.dev]
    fit = fit_threshold(dev_a, dev_u, max_false_abstention=0.05)
    semantic = ctx.options.get("qa_semantic", "auto")
    answerer = FmeaAnswerer(rows, threshold=fit.threshold, semantic=semantic)
    with Stopwatch() as watch:
        test_a = [answerer.support(p.answerable) for p in halves.test]
        test_u = [answerer.support(p.unanswerable) for p in halves.test]
        answers = {q.doc_id: answerer.answer(str(q.fields["Question"])) for q in questions}
    abstain = abstention_scores(test_a, test_u, fit.threshold)
    nuggets = {
        q.doc_id: [n["nugget"] for n in q.fields["Nuggets"] if n["status"].upper() == "ESSENTIAL"]
        for q in questions
    }
    ours_text = {k: a.text for k, a in answers.items()}
    reference_text = {q.doc_id: str(q.fields["Answer"]) for q in questions}
    ours = score_nuggets(nuggets, ours_text)
    reference = score_nuggets(nuggets, reference_text)
    sheet = set().union(*(terms(r.text()) for r in rows))  # the words nugget scoring compares
    grounded = {q.doc_id: sheet | set(terms(str(q.fields["Question"]))) for q in questions}
    ours_lenient = score_nuggets(nuggets, ours_text, grounded=grounded)
    reference_lenient = score_nuggets(nuggets, reference_text, grounded=grounded)
    logger.info(
        "abstention threshold %.3f (dev: %s); benchmark abstentions: %s",
        fit.threshold,
        fit.dev,
        [k for k, a in answers.items() if a.abstained],
    )
    cost = {
        "infer_ms_per_window": 1000.0 * watch.seconds / (len(questions) + 2 * len(halves.test)),
        "peak_rss_mb": peak_rss_mb(),
    }
    task = "fmea_qa"
    q_setting = (
        f"questions={len(questions)},matcher=word_share_{WORD_SHARE:g},topics={resolve_semantic(semantic)}"
    )
    a_setting = f"pairs_eval={len(halves.test)},pairs_dev={len(halves.dev)},threshold={fit.threshold:.3f}"
    shown = sum(len(a.row_ids) for a in answers.values()) / len(answers)
    return [
        _row("moesaic-qa", dataset, task, q_setting, "nugget_recall", ours.nugget_recall, **cost),
        _row("moesaic-qa", dataset, task, q_setting, "complete_answers", ours.complete_answers, **cost),
        _row("moesaic-qa", dataset, task, q_setting, "rows_per_answer", shown, **cost),
        _row("model_answer", dataset, task, q_setting, "nugget_recall", reference.nugget_recall),
        _row("model_answer", dataset, task, q_setting, "complete_answers", reference.complete_answers),
        # The lenient matcher of moesaic.reports.qa.nuggets, beside (never instead of) the strict one.
        _row(
            "moesaic-qa",
            dataset,
            task,
            q_setting,
            "nugget_recall_lenient",
            ours_lenient.nugget_recall,
            **cost,
        ),
        _row(
            "moesaic-qa",
            dataset,
            task,
            q_setting,
            "complete_answers_lenient",
            ours_lenient.complete_answers,
            **cost,
        ),
        _row(
            "model_answer",
            dataset,
            task,
            q_setting,
            "nugget_recall_lenient",
            reference_lenient.nugget_recall,
        ),
        _row(
            "model_answer",
            dataset,
            task,
            q_setting,
            "complete_answers_lenient",
            reference_lenient.complete_answers,
        ),
        _row("moesaic-qa", dataset, task, a_setting, "abstention_recall", abstain.abstention_recall, **cost),
        _row("moesaic-qa", dataset, task, a_setting, "false_abstention", abstain.false_abstention, **cost),
        *_unanswerable_rows(
            dataset, q_setting, {k: answers[k].abstained for k in sorted(unanswerable)}, cost
        ),
    ]


def _unanswerable_rows(
    dataset: str, setting: str, abstained: dict[str, bool], cost: dict[str, float]
) -> list[BenchRow]:
    """``unanswerable_abstained``: the share of the set's unanswerable questions abstained on
    (their nuggets share no words with an abstention, so ``complete_answers`` counts them wrong
    whatever the answer); no row when the set marks none."""
    if not abstained:
        return []
    share = sum(abstained.values()) / len(abstained)
    logger.info("unanswerable questions not abstained on: %s", [k for k, a in abstained.items() if not a])
    return [_row("moesaic-qa", dataset, "fmea_qa", setting, "unanswerable_abstained", share, **cost)]
