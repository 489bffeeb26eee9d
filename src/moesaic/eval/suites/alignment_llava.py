"""Rows of ``moesaic bench alignment`` for a projector into the language model (LLaVA, CogVLM expert).

Protocol (issue 8): single-channel simulated series with known attributes
(:mod:`moesaic.align.attributes`), separate seeds for training (``ctx.seed``), validation
(``ctx.seed + 1``: early stopping on the validation loss) and test (``ctx.seed + 2``). Systems:

* ``template-classifier``: the series encoder with attribute heads (stage 0 of the pipeline) whose
  predictions fill caption template 0; no language model. It shows what the LM adds.
* ``llava``: that encoder -> projector -> soft tokens in SmolLM2-135M-Instruct (first
  ``lm_layers`` layers), followed by the number tokens of the encoder's heads with a copy head
  (:mod:`moesaic.align.number_tokens`); stage 1 trains the projector (and copy head) with the LM
  frozen, stage 2 adds LoRA.
* ``cogvlm``: the same stage-1 model; stage 2 adds LoRA and series-position experts.

Each LM system greedily captions every test series ("Describe this series.") and answers the three
questions of :data:`~moesaic.align.attributes.QUESTIONS` on the first ``question_series`` of them.
Metrics: ``caption_attribute_accuracy`` (trend direction, seasonality, anomaly type and position
all right; position within 4 steps), ``caption_verified_accuracy`` (and every stated number
recomputable), the per-attribute accuracies, ``recomputed_number_share`` (of all stated numbers),
``answer_accuracy`` (pooled) and one per question kind, and ``trainable_parameters``.

Costs: ``train_seconds`` covers every stage a system needs (the LM systems include the encoder
pretraining and the shared stage 1); ``infer_ms_per_window`` is the caption generation time per
series; ``params_total`` counts the kept LM layers, embeddings, encoder, projector and adapters.
Options (``-o KEY=VALUE``): ``encoder_steps``, ``stage1_steps``, ``stage2_steps``, ``lm_layers``,
``number_tokens`` (1, the default: numbers handed over as digit embeddings; 0: soft tokens only),
``threads`` (default 1).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from moesaic.align.attributes import (
    QUESTIONS,
    Attributes,
    Measured,
    SimulatedSeries,
    answer,
    answer_correct,
    caption,
    generate,
    measure,
    score_caption,
    transform,
)
from moesaic.align.projector import (
    CAPTION_INSTRUCTIONS,
    AttributeBatch,
    ProjectorConfig,
    SeriesCaptioner,
    TemplateClassifier,
    attribute_batch,
    instruction_batches,
)
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.text.language_model import load_language_model
from moesaic.train import TrainConfig, train

logger = logging.getLogger(__name__)

SYSTEMS = ("llava", "cogvlm")
ADAPTER = {"llava": "lora", "cogvlm": "expert"}
BASELINE = "template-classifier"
DATASET = "simulated-captions"
_GENERATION_BATCH = 50


class Plan(NamedTuple):
    """Sizes of one run."""

    train_series: int
    val_series: int
    test_series: int
    question_series: int  # test series each question kind is asked about
    encoder_steps: int
    stage1_steps: int
    stage2_steps: int
    batch_size: int  # LM stages (the encoder pretraining uses 64)


def plan(quick: bool) -> Plan:
    """Quick: 6,000 training series, 200 test captions; full: 20,000 and 1,000."""
    if quick:
        return Plan(6000, 256, 200, 100, 2000, 100, 600, 8)
    return Plan(20000, 512, 1000, 500, 6000, 400, 1500, 8)


class Splits(NamedTuple):
    train: SimulatedSeries
    val: SimulatedSeries
    test: SimulatedSeries


class Outcome(NamedTuple):
    """What a system produced on the test split, and what it cost."""

    captions: list[str]
    answers: dict[str, list[str]]  # question kind -> answers for the first question_series
    params_total: int
    trainable: int
    train_seconds: float
    infer_ms: float


def make_splits(ctx: SuiteContext, p: Plan) -> Splits:
    return Splits(
        generate(p.train_series, seed=ctx.seed),
        generate(p.val_series, seed=ctx.seed + 1),
        generate(p.test_series, seed=ctx.seed + 2),
    )


def _train_config(steps: int, lr: float, batch_size: int, ctx: SuiteContext, threads: int) -> TrainConfig:
    return TrainConfig(
        lr=lr, warmup_steps=min(20, steps // 10), max_steps=steps, batch_size=batch_size,
        eval_every=max(1, min(50, steps)), patience=4, seed=ctx.seed, num_threads=threads,
        log_every=10, checkpoint_every=steps,
    )  # fmt: skip


def augmented(train_set: SimulatedSeries, generator: torch.Generator) -> tuple[np.ndarray, list[Attributes]]:
    """Every training series once, each negated / time-reversed with probability 1/2, rescaled by a
    log-uniform factor in [0.7, 1.4] and shifted by up to 3 (attributes follow: :func:`transform`)."""
    rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
    series, attributes = [], []
    for values, truth in zip(train_set.series, train_set.attributes, strict=True):
        new, changed = transform(values, truth, scale=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
                                 offset=float(rng.uniform(-3, 3)), negate=bool(rng.random() < 0.5),
                                 reverse=bool(rng.random() < 0.5))  # fmt: skip
        series.append(new)
        attributes.append(changed)
    return np.stack(series), attributes


def fit_template_classifier(
    splits: Splits, config: ProjectorConfig, steps: int, ctx: SuiteContext, threads: int
) -> tuple[TemplateClassifier, float]:
    """Stage 0: encoder + attribute heads on augmented training series; also its wall time."""
    tc = dataclasses.replace(_train_config(steps, 2e-3, 64, ctx, threads), eval_every=200, patience=5)
    val = [attribute_batch(splits.val.series[i : i + 64], splits.val.attributes[i : i + 64])
           for i in range(0, len(splits.val.attributes), 64)]  # fmt: skip

    def source(epoch: int, generator: torch.Generator) -> list[AttributeBatch]:
        series, attributes = augmented(splits.train, generator)
        order = torch.randperm(len(attributes), generator=generator).numpy()
        return [attribute_batch(series[order[i : i + 64]], [attributes[j] for j in order[i : i + 64]])
                for i in range(0, len(order), 64)]  # fmt: skip

    with Stopwatch() as watch:
        torch.manual_seed(ctx.seed)
        model = TemplateClassifier(config)
        train(model, source, config=tc, val_batches=val)
    model.eval()
    return model, watch.seconds


def _instruction_val(splits: Splits, batch_size: int, seed: int) -> list[Any]:
    """Fixed validation batches: the first 48 validation series with a seeded instruction mix."""
    count = min(48, len(splits.val.attributes))
    generator = torch.Generator().manual_seed(seed)
    return instruction_batches(
        splits.val.series[:count], splits.val.attributes[:count], batch_size, generator
    )


def fit_stage1(
    splits: Splits,
    config: ProjectorConfig,
    pretrained: TemplateClassifier,
    p: Plan,
    ctx: SuiteContext,
    threads: int,
) -> tuple[SeriesCaptioner, float]:
    """Stage 1: encoder and heads (from stage 0) + projector trained with the LM frozen; also the wall
    time."""
    lm = load_language_model()
    with Stopwatch() as watch:
        torch.manual_seed(ctx.seed)
        model = SeriesCaptioner(config, lm, pretrained=pretrained)
        _tune(model, splits, ctx.integer("stage1_steps", p.stage1_steps), p, ctx, threads)
    return model, watch.seconds


def fit_stage2(
    stage1: SeriesCaptioner, adapter: str, splits: Splits, p: Plan, ctx: SuiteContext, threads: int
) -> tuple[SeriesCaptioner, float]:
    """Stage 2 on a copy of the stage-1 model: ``adapter`` added, everything trainable tuned."""
    with Stopwatch() as watch:
        model = copy.deepcopy(stage1)
        torch.manual_seed(ctx.seed)
        model.add_adapters(adapter)
        _tune(model, splits, ctx.integer("stage2_steps", p.stage2_steps), p, ctx, threads)
    return model, watch.seconds


def _tune(
    model: SeriesCaptioner, splits: Splits, steps: int, p: Plan, ctx: SuiteContext, threads: int
) -> None:
    tc = _train_config(steps, ctx.number("lm_lr", 2e-3), p.batch_size, ctx, threads)
    train_set = splits.train

    def source(epoch: int, generator: torch.Generator) -> list[Any]:
        return instruction_batches(train_set.series, train_set.attributes, p.batch_size, generator)

    train(model, source, config=tc, val_batches=_instruction_val(splits, p.batch_size, ctx.seed + 1))
    model.eval()


def _respond(
    generate_fn: Callable[[torch.Tensor, str], list[str]], series: np.ndarray, instruction: str
) -> list[str]:
    out: list[str] = []
    for start in range(0, len(series), _GENERATION_BATCH):
        out += generate_fn(torch.as_tensor(series[start : start + _GENERATION_BATCH]), instruction)
    return out


def run_captioner(model: SeriesCaptioner, test: SimulatedSeries, p: Plan, train_seconds: float) -> Outcome:
    """Captions of every test series and answers on the first ``question_series``, with costs."""
    with Stopwatch() as watch:
        captions = _respond(model.generate, test.series, CAPTION_INSTRUCTIONS[0])
    asked = test.series[: p.question_series]
    answers = {kind: _respond(model.generate, asked, question) for kind, question in QUESTIONS.items()}
    params = count_parameters(model)
    trainable = sum(int(t.numel()) for t in model.parameters() if t.requires_grad)
    return Outcome(
        captions, answers, params.total, trainable, train_seconds, 1000 * watch.seconds / len(captions)
    )


def run_classifier(
    model: TemplateClassifier, test: SimulatedSeries, p: Plan, train_seconds: float
) -> Outcome:
    """Template captions and answers from the classifier's predicted attributes."""
    with Stopwatch() as watch, torch.no_grad():
        predicted = model.predict(torch.as_tensor(test.series))
        captions = [caption(a) for a in predicted]
    answers = {kind: [answer(a, kind) for a in predicted[: p.question_series]] for kind in QUESTIONS}
    params = count_parameters(model).total
    return Outcome(captions, answers, params, params, train_seconds, 1000 * watch.seconds / len(captions))


def score(outcome: Outcome, test: SimulatedSeries, measured: Sequence[Measured]) -> dict[str, float]:
    """Metric name -> value over the test split (see the module docstring)."""
    cases = zip(outcome.captions, test.attributes, test.series, measured, strict=True)
    scores = [score_caption(c, a, s, measured=m) for c, a, s, m in cases]
    stated = sum(s.numbers_stated for s in scores)
    values: dict[str, Any] = {
        "caption_attribute_accuracy": np.mean([s.attributes for s in scores]),
        "caption_verified_accuracy": np.mean([s.verified for s in scores]),
        "trend_accuracy": np.mean([s.trend for s in scores]),
        "seasonality_accuracy": np.mean([s.seasonality for s in scores]),
        "anomaly_type_accuracy": np.mean([s.anomaly_type for s in scores]),
        "anomaly_position_accuracy": np.mean([s.anomaly_position for s in scores]),
        "recomputed_number_share": sum(s.numbers_recomputed for s in scores) / stated if stated else 0.0,
    }
    correct: list[bool] = []
    for kind, texts in outcome.answers.items():
        right = [
            answer_correct(t, kind, a, m) for t, a, m in zip(texts, test.attributes, measured, strict=False)
        ]
        values[f"answer_{kind}_accuracy"] = np.mean(right)
        correct += right
    values["answer_accuracy"] = np.mean(correct)
    values["trainable_parameters"] = outcome.trainable
    return {k: float(v) for k, v in values.items()}


def _rows(system: str, outcome: Outcome, values: dict[str, float], setting: str) -> list[BenchRow]:
    cost: dict[str, Any] = {
        "params_total": outcome.params_total,
        "params_active": outcome.params_total,
        "train_seconds": round(outcome.train_seconds, 2),
        "infer_ms_per_window": round(outcome.infer_ms, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    for metric, value in values.items():
        logger.info("%s %s: %.4g", system, metric, value)
    return [BenchRow(system=system, dataset=DATASET, task="captioning", setting=setting, metric=metric,
                     value=round(value, 4), **cost) for metric, value in values.items()]  # fmt: skip


def rows(ctx: SuiteContext, systems: Sequence[str]) -> list[BenchRow]:
    """Train and score ``template-classifier`` and the requested LM ``systems`` (of :data:`SYSTEMS`).

    Raises:
        ValueError: an unknown system.
    """
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown systems {unknown}; choose among {list(SYSTEMS)}")
    p = plan(ctx.quick)
    threads = ctx.integer("threads", 1)
    lm_layers = ctx.integer("lm_layers", 6)
    number_tokens = bool(ctx.integer("number_tokens", 1))
    config = ProjectorConfig(lm_layers=lm_layers, number_tokens=number_tokens)
    with torch_threads(threads):
        with Stopwatch() as data_watch:
            splits = make_splits(ctx, p)
        logger.info("generated the splits in %.1f s (%d redrawn)", data_watch.seconds,
                    splits.train.redrawn + splits.val.redrawn + splits.test.redrawn)  # fmt: skip
        measured = [measure(s) for s in splits.test.series]
        setting = (f"T={config.length},train={p.train_series},test={p.test_series},"
                   f"questions={p.question_series},lm_layers={lm_layers},tolerance=4,"
                   f"number_tokens={int(number_tokens)}")  # fmt: skip
        encoder_steps = ctx.integer("encoder_steps", p.encoder_steps)
        classifier, classifier_seconds = fit_template_classifier(splits, config, encoder_steps, ctx, threads)
        outcome = run_classifier(classifier, splits.test, p, classifier_seconds)
        out = _rows(BASELINE, outcome, score(outcome, splits.test, measured), setting)
        if not systems:
            return out
        stage1, stage1_seconds = fit_stage1(splits, config, classifier, p, ctx, threads)
        for system in systems:
            model, stage2_seconds = fit_stage2(stage1, ADAPTER[system], splits, p, ctx, threads)
            seconds = classifier_seconds + stage1_seconds + stage2_seconds
            outcome = run_captioner(model, splits.test, p, seconds)
            logger.info("%s example captions: %s", system, outcome.captions[:3])
            out += _rows(system, outcome, score(outcome, splits.test, measured), setting)
    return out
