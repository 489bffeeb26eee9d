"""Suite ``qa``, parts ``fmc_mwo2kg`` and ``excavator_mwo``: failure-mode classification rows.

The n-gram and frozen-encoder classifiers of :mod:`moesaic.text.failure_modes`, the small trained
text model of :mod:`moesaic.text.neural` and the majority class, scored by micro and macro F1 on
the test split (FMC-MWO2KG) or the last 20 % of dated orders (excavator work orders); see
:mod:`moesaic.eval.suites.qa` for the rows and settings. Also holds :func:`_row`, the row helper
of every part of the suite.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from sklearn.model_selection import KFold

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Document
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, peak_rss_mb
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

logger = logging.getLogger(__name__)

FMC_PUBLISHED = (
    "published: Stewart, Hodkiewicz & Li 2023, LLMs for failure mode classification (fine-tuned GPT-3.5)"
)


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
