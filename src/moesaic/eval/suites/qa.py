"""Suite ``qa``: work-order text understanding and question answering.

Datasets and rows (``value`` in [0, 1]):

- ``fmc_mwo2kg``: failure-mode classification, ``micro_f1`` and ``macro_f1`` on the test split.
  ``moesaic-fmc``: linear SVM over character and word n-grams plus the frozen sentence features
  of MiniLM and of the first 6 layers of SmolLM2 (the encoders installed; ``-o
  fmc_encoders=minilm`` or ``=none`` to choose); this design was chosen on the dev split and by
  cross-validation on train, never on test, and its C is chosen on the dev split (setting
  ``dev``); it is fitted on train (setting ``fit=train``) and, as a second row, on train + dev
  (``fit=train+dev``). ``moesaic-fmc-ngrams``: the n-grams alone, model and C by 3-fold
  cross-validation on train (setting ``cv=3``).
  Next to them: ``moesaic-text-nn``, the project's small trained text model
  (:mod:`moesaic.text.neural`, epochs chosen by 3-fold CV on train), the majority class, and
  the published fine-tuned GPT-3.5. With the ``language`` extra also ``moesaic-fmc-tuned``
  (MiniLM fine-tuned end to end, epochs chosen on dev) and ``moesaic-fmc-blend`` (its scores
  blended with ``moesaic-fmc``, the weight chosen on dev); see
  :mod:`moesaic.eval.suites.qa_fmc_tuned` (off by default, ``-o fmc_tuned=1`` runs them: they
  score below ``moesaic-fmc`` and add about 20 minutes).
- ``excavator_mwo``: the same classifier on the expert ``FM`` codes of the excavator work
  orders, chronological split (the last 20 % of dated orders are the test set).
- ``maintnorm``: lexical normalisation, ``error_reduction_rate``, ``precision``, ``recall`` on
  the test split, learned from the train split; leave-as-is baseline; published MaintNorm,
  most-frequent-replacement and UFAL rows.
- ``fmea_qa``: the FMEA questions answered extractively from the FMEA rows (or from a knowledge
  base with ``-o kb=DIR``): ``nugget_recall`` (essential nuggets present) and
  ``complete_answers`` (answers holding all their essential nuggets), scored by
  :mod:`moesaic.reports.qa.nuggets`, beside the same scores of the model answers of the data set (how
  far the matcher itself can go), and the same two scores under the lenient matcher
  (``nugget_recall_lenient``, ``complete_answers_lenient``: only words grounded in the sheet or
  the question count, one-letter typos and 0.01 on decimals forgiven; the strict rows stay the
  reference). Topic words also find rows by MiniLM similarity when it is installed (``-o
  qa_semantic=none``: words only). ``abstention_recall`` and ``false_abstention`` on the
  evaluation half of the paired set of :mod:`moesaic.reports.qa.abstain`, the threshold fitted on the
  development half; ``rows_per_answer`` (rows quoted per answer). ``-o fmea_questions=FILE``
  asks the questions of FILE instead (the layout of ``fmea_qa_model.csv``: ID, Question,
  Answer, Categories, Nuggets), for example the project's own sets in ``tests/data``; its rows
  carry the dataset ``fmea_qa:STEM``. Questions whose categories include ``Unanswerable`` are
  left out of the paired set and scored by ``unanswerable_abstained`` (the share abstained on).
- ``timeseriesexam``: the rows of suite ``exam`` (skip them with ``-o exam=0``).

``--quick``: a smaller C grid, one template question per third FMEA row, and the exam's quick mode.
``-o parts=fmc_mwo2kg,fmea_qa`` runs only the named parts (default: all four).

The failure-mode rows are measured in :mod:`moesaic.eval.suites.qa_fmc` and the FMEA rows in
:mod:`moesaic.eval.suites.qa_fmea`; their names used elsewhere are re-exported here.
"""

from __future__ import annotations

import logging

from moesaic.data.registry import load_dataset
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.eval.suites.qa_exam import OPTIONS as EXAM_OPTIONS
from moesaic.eval.suites.qa_fmc import (
    FMC_PUBLISHED,
    _fmc_encoders,
    _row,
    _Splits,
    run_excavator,
    run_fmc,
)
from moesaic.eval.suites.qa_fmea import fmea_rows, run_fmea
from moesaic.text.normalise import TechTextNormaliser, score_normalisation

__all__ = [
    "FMC_PUBLISHED",
    "MAINTNORM_PUBLISHED",
    "_Splits",
    "_fmc_encoders",
    "fmea_rows",
    "run",
    "run_excavator",
    "run_fmc",
    "run_fmea",
    "run_maintnorm",
]

logger = logging.getLogger(__name__)

MAINTNORM_PUBLISHED = "published: Bikaun, Hodkiewicz & Liu, MaintNorm, W-NUT 2024, A+B+C test"


def run_maintnorm(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("maintnorm", ctx.data_root())
    train = [d for d in data.documents if d.fields["split"] == "train"]
    test = [d for d in data.documents if d.fields["split"] == "test"]
    raw = [list(d.fields["tokens"]) for d in test]
    gold = [list(d.fields["normalised"]) for d in test]
    with Stopwatch() as fit_watch:
        model = TechTextNormaliser().fit(
            [d.fields["tokens"] for d in train], [d.fields["normalised"] for d in train]
        )
    with Stopwatch() as watch:
        predicted = [model.normalise_tokens(t) for t in raw]
    score = score_normalisation(raw, gold, predicted)
    cost = {
        "params_total": len(model.exact_) + len(model.context_) + len(model.shapes_),
        "params_active": None,
        "train_seconds": fit_watch.seconds,
        "infer_ms_per_window": 1000.0 * watch.seconds / len(raw),
        "peak_rss_mb": peak_rss_mb(),
    }
    task, setting = "lexical_normalisation", "train->test,case_sensitive"
    rows = [
        _row("moesaic-norm", "maintnorm", task, setting, metric, getattr(score, metric), **cost)
        for metric in ("error_reduction_rate", "precision", "recall")
    ]
    lai = score_normalisation(raw, gold, raw)
    rows.append(
        _row("leave_as_is", "maintnorm", task, setting, "error_reduction_rate", lai.error_reduction_rate)
    )
    for system, err in (("maintnorm-seq2seq", 0.958), ("most_frequent_replacement", 0.894), ("ufal", 0.850)):
        rows.append(
            _row(system, "maintnorm", task, "test", "error_reduction_rate", err, source=MAINTNORM_PUBLISHED)
        )
    return rows


@register_suite(
    "qa",
    "Work-order text (failure modes, normalisation), FMEA QA with abstention, TimeSeriesExam",
    options=(
        "parts", "exam", "fmc_encoders", "fmc_tuned", "fmc_tuned_save", "kb", "qa_semantic",
        "fmea_questions", *EXAM_OPTIONS,
    ),
)  # fmt: skip
def run(ctx: SuiteContext) -> list[BenchRow]:
    rows: list[BenchRow] = []
    parts = [
        ("fmc_mwo2kg", run_fmc),
        ("excavator_mwo", run_excavator),
        ("maintnorm", run_maintnorm),
        ("fmea_qa", run_fmea),
    ]
    if "parts" in ctx.options:
        wanted = [p.strip() for p in ctx.options["parts"].split(",") if p.strip()]
        unknown = sorted(set(wanted) - {name for name, _ in parts})
        if unknown:
            raise ValueError(f"-o parts: unknown parts {unknown}; choose from {[n for n, _ in parts]}")
        parts = [(name, part) for name, part in parts if name in wanted]
    for name, part in ctx.progress(parts, "qa datasets", total=len(parts)):
        with Stopwatch() as watch:
            rows += part(ctx)
        logger.info("qa/%s done in %.1f s", name, watch.seconds)
    if ctx.options.get("exam", "1") != "0":
        from moesaic.eval.suites import qa_exam

        rows += qa_exam.run(ctx)
    return rows
