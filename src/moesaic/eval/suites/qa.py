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
  development half; ``rows_per_answer`` (rows quoted per answer).
- ``timeseriesexam``: the rows of suite ``exam`` (skip them with ``-o exam=0``).

``--quick``: a smaller C grid, one template question per third FMEA row, and the exam's quick mode.
``-o parts=fmc_mwo2kg,fmea_qa`` runs only the named parts (default: all four).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

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
from moesaic.reports.qa.table import FmeaRow, rows_from_documents, terms
from moesaic.reports.qa.topic import resolve_semantic
from moesaic.text.failure_modes import (
    ENCODERS,
    CvChoice,
    FailureModeClassifier,
    FailureModeConfig,
    classification_f1,
    default_grid,
    tune_by_cv,
    tune_on_dev,
)
from moesaic.text.neural import (
    NeuralFailureModeClassifier,
    NeuralFmcConfig,
    available_encoders,
    clear_feature_cache,
)
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
    """(texts, labels) of one split of FMC-MWO2KG."""
    chosen = [d for d in documents if d.fields["split"] == split]
    return [d.text for d in chosen], [str(d.fields["label"]) for d in chosen]


class _Classifier(Protocol):
    def predict(self, texts: Sequence[str]) -> list[str]: ...

    def num_parameters(self) -> int: ...


def _classifier_rows(
    dataset: str,
    setting: str,
    model: _Classifier,
    texts: list[str],
    labels: list[str],
    seconds: float,
    system: str = "moesaic-fmc",
) -> list[BenchRow]:
    clear_feature_cache()  # the latency includes the frozen encoders' features
    with Stopwatch() as watch:
        predicted = model.predict(texts)
    score = classification_f1(labels, predicted)
    cost = {
        "params_total": model.num_parameters(),
        "params_active": model.num_parameters(),
        "train_seconds": seconds,
        "infer_ms_per_window": 1000.0 * watch.seconds / len(texts),
        "peak_rss_mb": peak_rss_mb(),
    }
    task = "failure_mode_classification"
    return [
        _row(system, dataset, task, setting, "micro_f1", score.micro, **cost),
        _row(system, dataset, task, setting, "macro_f1", score.macro, **cost),
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


def _fmc_encoders(ctx: SuiteContext) -> tuple[str, ...]:
    """The encoders of ``-o fmc_encoders`` (default: every installed one; ``none``: n-grams only)."""
    wanted = ctx.options.get("fmc_encoders", "minilm,smollm2")
    if wanted == "none":
        return ()
    names = tuple(w.strip() for w in wanted.split(",") if w.strip())
    unknown = [n for n in names if n not in ENCODERS]
    if unknown:
        raise ValueError(f"-o fmc_encoders: unknown encoders {unknown}; choose from {ENCODERS} or 'none'")
    return available_encoders(names)


class _Splits(NamedTuple):
    train: tuple[list[str], list[str]]  # (texts, labels)
    dev: tuple[list[str], list[str]]
    test: tuple[list[str], list[str]]


def _fmc_system_rows(system: str, choice: CvChoice, splits: _Splits, chosen_on: str) -> list[BenchRow]:
    """Test rows of ``choice`` fitted on train and on train + dev (with the majority class
    beside the n-gram system)."""
    (x, y), (xd, yd), (xt, yt) = splits
    rows = []
    for setting, texts, labels in (("fit=train", x, y), ("fit=train+dev", x + xd, y + yd)):
        clear_feature_cache()  # the training time includes the frozen encoders' features
        with Stopwatch() as watch:
            model = FailureModeClassifier(choice.config).fit(texts, labels)
        full = f"{setting},{chosen_on},{choice.config.label()}"
        rows += _classifier_rows("fmc_mwo2kg", full, model, xt, yt, watch.seconds, system)
        if not choice.config.encoders:
            rows += _majority_rows("fmc_mwo2kg", full, labels, yt)
    return rows


def run_fmc(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("fmc_mwo2kg", ctx.data_root())
    splits = _Splits(*(_split(data.documents, s) for s in ("train", "dev", "test")))
    (x, y), (xd, yd), (xt, yt) = splits
    choice = tune_by_cv(x, y, grid=_grid(ctx.quick, ctx.seed), folds=3, seed=ctx.seed)
    rows = _fmc_system_rows("moesaic-fmc-ngrams", choice, splits, "cv=3")
    encoders = _fmc_encoders(ctx)
    linear: CvChoice | None = None
    if encoders:
        # The design (linear SVM, each encoder block weighing as much as an n-gram block, SmolLM2
        # cut after 6 layers) was chosen on the dev split and 5-fold CV on train; C on dev here.
        cs = (1.0,) if ctx.quick else (0.3, 1.0, 3.0)
        grid = [FailureModeConfig(model="linear_svm", c=c, encoders=encoders, seed=ctx.seed) for c in cs]
        linear = tune_on_dev(x, y, xd, yd, grid=grid)
        rows += _fmc_system_rows("moesaic-fmc", linear, splits, "dev")
    rows += _neural_rows(ctx, x, y, xt, yt)
    if ctx.options.get("fmc_tuned", "0") == "1":
        from moesaic.eval.suites import qa_fmc_tuned

        rows += qa_fmc_tuned.tuned_rows(ctx, splits, linear.config if linear else None)
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
    sheet = set().union(*(r.terms() for r in rows))
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
        _row("moesaic-qa", "fmea_qa", task, q_setting, "nugget_recall", ours.nugget_recall, **cost),
        _row("moesaic-qa", "fmea_qa", task, q_setting, "complete_answers", ours.complete_answers, **cost),
        _row("moesaic-qa", "fmea_qa", task, q_setting, "rows_per_answer", shown, **cost),
        _row("model_answer", "fmea_qa", task, q_setting, "nugget_recall", reference.nugget_recall),
        _row("model_answer", "fmea_qa", task, q_setting, "complete_answers", reference.complete_answers),
        # The lenient matcher of moesaic.reports.qa.nuggets, beside (never instead of) the strict one.
        _row(
            "moesaic-qa",
            "fmea_qa",
            task,
            q_setting,
            "nugget_recall_lenient",
            ours_lenient.nugget_recall,
            **cost,
        ),
        _row(
            "moesaic-qa",
            "fmea_qa",
            task,
            q_setting,
            "complete_answers_lenient",
            ours_lenient.complete_answers,
            **cost,
        ),
        _row(
            "model_answer",
            "fmea_qa",
            task,
            q_setting,
            "nugget_recall_lenient",
            reference_lenient.nugget_recall,
        ),
        _row(
            "model_answer",
            "fmea_qa",
            task,
            q_setting,
            "complete_answers_lenient",
            reference_lenient.complete_answers,
        ),
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
