"""Suite ``qa``: work-order text understanding and question answering.

Datasets and rows (``value`` in [0, 1]):

- ``fmc_mwo2kg``: failure-mode classification, ``micro_f1`` and ``macro_f1`` on the test split.
  The model and its C are chosen by 3-fold cross-validation on the train split only; it is then
  fitted on train (setting ``fit=train``) and, as a second row, on train + dev
  (``fit=train+dev``). Next to it: ``moesaic-text-nn``, the project's small trained text model
  (:mod:`moesaic.text.neural`, epochs chosen by 3-fold CV on train), the majority class, and
  the published fine-tuned GPT-3.5.
- ``excavator_mwo``: the same classifier on the expert ``FM`` codes of the excavator work
  orders, chronological split (the last 20 % of dated orders are the test set).
- ``maintnorm``: lexical normalisation, ``error_reduction_rate``, ``precision``, ``recall`` on
  the test split, learned from the train split; leave-as-is baseline; published MaintNorm,
  most-frequent-replacement and UFAL rows.
- ``fmea_qa``: the FMEA questions answered extractively from the FMEA rows (or from a knowledge
  base with ``-o kb=DIR``): ``nugget_recall`` (essential nuggets present) and
  ``complete_answers`` (answers holding all their essential nuggets), scored by
  :mod:`moesaic.reports.qa.nuggets`, beside the same scores of the model answers of the data set (how
  far the matcher itself can go); ``abstention_recall`` and ``false_abstention`` on the
  evaluation half of the paired set of :mod:`moesaic.reports.qa.abstain`, the threshold fitted on the
  development half; ``rows_per_answer`` (rows quoted per answer).
- ``timeseriesexam``: the rows of suite ``exam`` (skip them with ``-o exam=0``).

``--quick``: a smaller C grid, one template question per third FMEA row, and the exam's quick mode.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sklearn.model_selection import KFold

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Document
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.reports.qa.abstain import (
    abstention_scores,
    benchmark_pairs,
    fit_threshold,
    split_pairs,
    template_pairs,
)
from moesaic.reports.qa.fmea import FmeaAnswerer
from moesaic.reports.qa.nuggets import WORD_SHARE, score_nuggets
from moesaic.reports.qa.table import FmeaRow, rows_from_documents
from moesaic.text.failure_modes import (
    FailureModeClassifier,
    FailureModeConfig,
    classification_f1,
    default_grid,
    tune_by_cv,
)
from moesaic.text.neural import NeuralFailureModeClassifier, NeuralFmcConfig
from moesaic.text.normalise import TechTextNormaliser, score_normalisation

logger = logging.getLogger(__name__)

FMC_PUBLISHED = (
    "published: Stewart, Hodkiewicz & Li 2023, LLMs for failure mode classification (fine-tuned GPT-3.5)"
)
MAINTNORM_PUBLISHED = "published: Bikaun, Hodkiewicz & Liu, MaintNorm, W-NUT 2024, A+B+C test"


def _row(
    system: str, dataset: str, task: str, setting: str, metric: str, value: float, **extra: Any
) -> BenchRow:
    return BenchRow(
        system=system, dataset=dataset, task=task, setting=setting, metric=metric, value=value, **extra
    )


def _split(documents: Sequence[Document], split: str) -> tuple[list[str], list[str]]:
    chosen = [d for d in documents if d.fields["split"] == split]
    return [d.text for d in chosen], [str(d.fields["label"]) for d in chosen]


def _classifier_rows(
    dataset: str,
    setting: str,
    model: FailureModeClassifier,
    texts: list[str],
    labels: list[str],
    seconds: float,
) -> list[BenchRow]:
    with Stopwatch() as watch:
        predicted = model.predict(texts)
    score = classification_f1(labels, predicted)
    coef = model.pipeline_.named_steps["model"].coef_
    cost = {
        "params_total": int(coef.size),
        "params_active": int(coef.size),
        "train_seconds": seconds,
        "infer_ms_per_window": 1000.0 * watch.seconds / len(texts),
        "peak_rss_mb": peak_rss_mb(),
    }
    task = "failure_mode_classification"
    return [
        _row("moesaic-fmc", dataset, task, setting, "micro_f1", score.micro, **cost),
        _row("moesaic-fmc", dataset, task, setting, "macro_f1", score.macro, **cost),
    ]


def _majority_rows(dataset: str, setting: str, train: list[str], test: list[str]) -> list[BenchRow]:
    common = Counter(train).most_common(1)[0][0]
    score = classification_f1(test, [common] * len(test))
    task = "failure_mode_classification"
    return [
        _row("majority_class", dataset, task, setting, "micro_f1", score.micro),
        _row("majority_class", dataset, task, setting, "macro_f1", score.macro),
    ]


def _grid(quick: bool, seed: int) -> list[FailureModeConfig]:
    grid = default_grid(seed)
    return [g for g in grid if g.model == "linear_svm"] if quick else grid


def run_fmc(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("fmc_mwo2kg", ctx.data_root())
    (x, y), (xd, yd), (xt, yt) = (_split(data.documents, s) for s in ("train", "dev", "test"))
    choice = tune_by_cv(x, y, grid=_grid(ctx.quick, ctx.seed), folds=3, seed=ctx.seed)
    rows = []
    for setting, texts, labels in (("fit=train", x, y), ("fit=train+dev", x + xd, y + yd)):
        with Stopwatch() as watch:
            model = FailureModeClassifier(choice.config).fit(texts, labels)
        full = f"{setting},cv=3,{choice.config.label()}"
        rows += _classifier_rows("fmc_mwo2kg", full, model, xt, yt, watch.seconds)
        rows += _majority_rows("fmc_mwo2kg", full, labels, yt)
    rows += _neural_rows(ctx, x, y, xt, yt)
    rows.append(
        _row(
            "gpt-3.5-finetuned",
            "fmc_mwo2kg",
            "failure_mode_classification",
            "test",
            "micro_f1",
            0.80,
            source=FMC_PUBLISHED,
        )
    )
    return rows


def _neural_rows(
    ctx: SuiteContext, x: list[str], y: list[str], xt: list[str], yt: list[str]
) -> list[BenchRow]:
    """The project's small trained text model; its epochs chosen by 3-fold CV on train."""
    grid = [NeuralFmcConfig(epochs=30, seed=ctx.seed)]
    if not ctx.quick:
        grid.append(NeuralFmcConfig(epochs=60, seed=ctx.seed))
    scores = {}
    for cfg in grid:
        folds = []
        for train, held in KFold(3, shuffle=True, random_state=ctx.seed).split(x):
            model = NeuralFailureModeClassifier(cfg).fit([x[i] for i in train], [y[i] for i in train])
            predicted = model.predict([x[i] for i in held])
            folds.append(classification_f1([y[i] for i in held], predicted).micro)
        scores[cfg.epochs] = sum(folds) / len(folds)
    best = max(grid, key=lambda cfg: scores[cfg.epochs])
    logger.info("neural failure-mode CV: %s", scores)
    with Stopwatch() as fit_watch:
        model = NeuralFailureModeClassifier(best).fit(x, y)
    with Stopwatch() as watch:
        score = classification_f1(yt, model.predict(xt))
    cost = {
        "params_total": model.num_parameters(),
        "params_active": model.num_parameters(),
        "train_seconds": fit_watch.seconds,
        "infer_ms_per_window": 1000.0 * watch.seconds / len(xt),
        "peak_rss_mb": peak_rss_mb(),
    }
    setting = f"fit=train,cv=3,epochs={best.epochs},dim={best.dim}"
    task = "failure_mode_classification"
    return [
        _row("moesaic-text-nn", "fmc_mwo2kg", task, setting, "micro_f1", score.micro, **cost),
        _row("moesaic-text-nn", "fmc_mwo2kg", task, setting, "macro_f1", score.macro, **cost),
    ]


def run_excavator(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("excavator_mwo", ctx.data_root())
    coded = sorted((d for d in data.documents if d.fields["FM"]), key=lambda d: (d.time, d.doc_id))
    cut = int(0.8 * len(coded))
    x, y = [d.text for d in coded[:cut]], [str(d.fields["FM"]) for d in coded[:cut]]
    xt, yt = [d.text for d in coded[cut:]], [str(d.fields["FM"]) for d in coded[cut:]]
    grid = [
        FailureModeConfig(model="linear_svm", c=c, seed=ctx.seed)
        for c in ((1.0,) if ctx.quick else (0.3, 1.0, 3.0))
    ]
    choice = tune_by_cv(x, y, grid=grid, folds=3, seed=ctx.seed)
    with Stopwatch() as watch:
        model = FailureModeClassifier(choice.config).fit(x, y)
    setting = f"split=chronological_80_20,cv=3,{choice.config.label()}"
    return _classifier_rows("excavator_mwo", setting, model, xt, yt, watch.seconds) + _majority_rows(
        "excavator_mwo", setting, y, yt
    )


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


def fmea_rows(ctx: SuiteContext) -> tuple[tuple[FmeaRow, ...], list[Document]]:
    """The FMEA rows (from ``-o kb=DIR`` when given) and the benchmark questions."""
    data = load_dataset("fmea_mining_truck", ctx.data_root())
    questions = [d for d in data.documents if d.kind == "qa"]
    if "kb" in ctx.options:
        from moesaic.knowledge import KnowledgeBase

        with KnowledgeBase.open(ctx.options["kb"]) as kb:
            return rows_from_documents(kb.documents(kind="fmea")), questions
    return rows_from_documents(data.documents), questions


def run_fmea(ctx: SuiteContext) -> list[BenchRow]:
    rows, questions = fmea_rows(ctx)
    probe = FmeaAnswerer(rows, threshold=0.0)
    pairs = template_pairs(rows)
    if ctx.quick:
        pairs = pairs[::3]
    pairs += benchmark_pairs([(q.doc_id, str(q.fields["Question"])) for q in questions], rows)
    halves = split_pairs(pairs)
    dev_a = [probe.support(p.answerable) for p in halves.dev]
    dev_u = [probe.support(p.unanswerable) for p in halves.dev]
    fit = fit_threshold(dev_a, dev_u, max_false_abstention=0.05)
    answerer = FmeaAnswerer(rows, threshold=fit.threshold)
    with Stopwatch() as watch:
        test_a = [answerer.support(p.answerable) for p in halves.test]
        test_u = [answerer.support(p.unanswerable) for p in halves.test]
        answers = {q.doc_id: answerer.answer(str(q.fields["Question"])) for q in questions}
    abstain = abstention_scores(test_a, test_u, fit.threshold)
    nuggets = {
        q.doc_id: [n["nugget"] for n in q.fields["Nuggets"] if n["status"].upper() == "ESSENTIAL"]
        for q in questions
    }
    ours = score_nuggets(nuggets, {k: a.text for k, a in answers.items()})
    reference = score_nuggets(nuggets, {q.doc_id: str(q.fields["Answer"]) for q in questions})
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
    q_setting = f"questions={len(questions)},matcher=word_share_{WORD_SHARE:g}"
    a_setting = f"pairs_eval={len(halves.test)},pairs_dev={len(halves.dev)},threshold={fit.threshold:.3f}"
    shown = sum(len(a.row_ids) for a in answers.values()) / len(answers)
    return [
        _row("moesaic-qa", "fmea_qa", task, q_setting, "nugget_recall", ours.nugget_recall, **cost),
        _row("moesaic-qa", "fmea_qa", task, q_setting, "complete_answers", ours.complete_answers, **cost),
        _row("moesaic-qa", "fmea_qa", task, q_setting, "rows_per_answer", shown, **cost),
        _row("model_answer", "fmea_qa", task, q_setting, "nugget_recall", reference.nugget_recall),
        _row("model_answer", "fmea_qa", task, q_setting, "complete_answers", reference.complete_answers),
        _row(
            "moesaic-qa", "fmea_qa", task, a_setting, "abstention_recall", abstain.abstention_recall, **cost
        ),
        _row("moesaic-qa", "fmea_qa", task, a_setting, "false_abstention", abstain.false_abstention, **cost),
    ]


@register_suite(
    "qa", "Work-order text (failure modes, normalisation), FMEA QA with abstention, TimeSeriesExam"
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    rows: list[BenchRow] = []
    parts = [
        ("fmc_mwo2kg", run_fmc),
        ("excavator_mwo", run_excavator),
        ("maintnorm", run_maintnorm),
        ("fmea_qa", run_fmea),
    ]
    for name, part in ctx.progress(parts, "qa datasets", total=len(parts)):
        with Stopwatch() as watch:
            rows += part(ctx)
        logger.info("qa/%s done in %.1f s", name, watch.seconds)
    if ctx.options.get("exam", "1") != "0":
        from moesaic.eval.suites import qa_exam

        rows += qa_exam.run(ctx)
    return rows
