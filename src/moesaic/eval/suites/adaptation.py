"""Suite ``adaptation``: few-shot adaptation of a pretrained backbone to targets it never saw.

Two tasks (``-o tasks=classification|forecasting|all``, default all), each with its own
pretrained model and the same targets, systems and label budget. Forecasting is described in
:mod:`moesaic.eval.suites.adaptation_forecast`; the rest of this docstring is classification.

Pretraining (:mod:`moesaic.tasks.pretrain`): a fault classifier (D=64, 2 blocks of 8 experts, 2
active; sensor series plus a table of per-channel shifts from each asset's own baseline) is
pretrained on a simulated plant of pumps, compressors and motors and, by default, on the training
data of the public sensor sets Tennessee Eastman and SKAB, each as a fault classification task
with its own channels and classes (:mod:`moesaic.tasks.public_corpus`; ``-o public=none``
pretrains on the simulator alone). Two targets, each with a fixed 5 % label budget and scored
on data that no system and no setting ever trained or tuned on:

- ``fan``: another simulation, of fans only. A stratified 5 % of the target's training windows
  (its first 70 % in time) are labelled; every later window is scored (task
  ``fault_classification``, the simulator's 9 fault codes);
- ``cmapss``: the C-MAPSS FD001 turbofan engines (:mod:`moesaic.tasks.engines`): the health
  stage (healthy RUL > 125, degrading, critical RUL <= 30) of windows of 14 sensors, none of
  them a corpus channel. Every window of 5 % of the 100 training engines (5 run-to-failure
  histories) is labelled; every window of the 100 test engines is scored (task
  ``health_stage``).

Systems (rows name them ``moesaic-<system>``, the bench contract's prefix for the project's own
systems), each starting from a copy of the same pretrained model unless said otherwise:

- ``zeroshot``: the pretrained classifier as it is (fan only: fault codes are shared by all
  asset types). There is no ``cmapss`` row: the pretrained head knows fault types, not health
  stages, and the engines' sensors have no pretrained input rows, so a zero-shot prediction
  would need labels to map classes and channels, which is what adaptation does;
- ``scratch``: the same architecture freshly initialised, every parameter trained;
- ``head``: only the classification head trains;
- ``lora``: LoRA of rank 4 on every attention projection, plus the head;
- ``prefix``: 8 prefix key/value tokens per attention layer, plus the head;
- ``full``: every parameter fine-tuned.

On ``cmapss`` every pretrained system also trains the engines' own input rows (channel and table
feature embeddings, started from the corpus channel of the same physical quantity): they did not
exist in pretraining. ``trainable_params`` counts them.

With no target validation set at this label budget, every trained system runs the same fixed
number of steps and keeps its last weights. Learning rates are fixed per family beforehand, as
is usual: 2e-3 from scratch (the pretraining rate), 1e-3 for full fine-tuning, 5e-3 for the
small parameter sets (head, LoRA, prefix). Few-shot results depend on which windows are
labelled, so the labelled set is drawn ``draws`` times (seeds 0, 1, ...) and the rows give the
mean; ``<metric>_std`` rows give the standard deviation over draws.

Rows, with setting ``target=<name>,shots=<fraction>``: ``macro_f1`` (over the classes present
in the scored windows) and ``accuracy``, ``trainable_params`` and ``labelled_windows`` (mean over
draws) per system, and the pretraining run itself (``pretrain`` on the corpus' later period).
Costs: ``train_seconds`` is the adaptation's training time (mean over draws; pretraining has its
own row), ``params_total`` and ``params_active`` count the adapted model, ``peak_rss_mb`` is the
peak resident memory of the process while the system ran, the highest of its draws (Linux: the
high-water mark is reset to the current resident memory before each draw, so it includes the
windows and the pretrained model the suite holds; elsewhere it is the process peak so far),
``infer_ms_per_window`` the median time of a batch of 64 windows, per window.

Forecasting settings carry ``,task=forecasting`` (a row is unique by system, dataset, setting and
metric). With public sets in the corpus, every setting ends in ``,public=<sets>`` (``+``-joined).

Options (``-o KEY=VALUE``): ``tasks``; ``target=fan|cmapss|all`` (default all);
``public=ett,skab,tep|none`` the public sets of the corpora (default all three; classification
uses the labelled ones, skab and tep); ``pretrained=DIR`` and ``forecaster=DIR`` reuse a
checkpoint of ``moesaic pretrain`` (``--task forecasting`` for the second) instead of
pretraining; ``steps=N`` adaptation steps; ``pretrain_steps=N`` (both pretrainings);
``draws=N``; ``fraction=F`` the labelled share; ``threads=N`` torch threads (default 1).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from moesaic.adapt.methods import AdaptConfig, few_shot_indices
from moesaic.data.windows import WindowSet
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import count_parameters, peak_rss_mb, torch_threads
from moesaic.eval.suites.adaptation_forecast import (
    forecast_config,
    forecast_target_rows,
    pretrained_forecaster,
)
from moesaic.eval.suites.adaptation_runs import Target, method_rows, run_method
from moesaic.heads import FaultClassifier
from moesaic.tasks.engines import (
    DATASET as ENGINES_DATASET,
)
from moesaic.tasks.engines import (
    EngineConfig,
    check_window,
    engine_adapt_config,
    engine_model,
    engine_shots,
    load_engine_target,
    scratch_model,
)
from moesaic.tasks.few_shot import AdaptResult, adapt_classifier
from moesaic.tasks.pretrain import (
    CLASS_NAMES,
    PretrainConfig,
    evaluate_classifier,
    load_pretrained,
    model_config,
    plant_windows,
    pretrain,
    series_batches,
)
from moesaic.tasks.pretrain_forecast import FORECAST_PUBLIC_SETS, ForecastPretrainConfig
from moesaic.tasks.public_corpus import PUBLIC_SETS
from moesaic.train import TrainConfig

logger = logging.getLogger(__name__)

SYSTEMS = ("zeroshot", "scratch", "head", "lora", "prefix", "full")
TARGETS = ("fan", "cmapss")
TASKS = ("classification", "forecasting")


class Protocol(NamedTuple):
    pretrain: PretrainConfig
    target_assets: int  # fans of the simulated target plant
    fraction: float
    steps: int
    draws: int
    engines: EngineConfig = EngineConfig()


def protocol(quick: bool, seed: int, public: tuple[str, ...] = PUBLIC_SETS) -> Protocol:
    """Quick: a 96-asset corpus, 600 pretraining steps; a 24-asset target, 150 adaptation steps, 3 draws.

    Full: a 192-asset corpus, 1500 pretraining steps; a 32-asset target, 300 adaptation steps, 3 draws.
    The engines are FD001's either way. ``public`` names the public sets of the corpus.
    """
    base = PretrainConfig(seed=seed, public=public)
    if quick:
        return Protocol(base, target_assets=24, fraction=0.05, steps=150, draws=3)
    train = dataclasses.replace(base.train, max_steps=1500, eval_every=100)
    return Protocol(
        dataclasses.replace(base, num_assets=192, train=train),
        target_assets=32,
        fraction=0.05,
        steps=300,
        draws=3,
    )


def fan_target(pretrained: FaultClassifier, config: PretrainConfig, plan: Protocol, seed: int) -> Target:
    """The simulated plant of ``config.held_out`` assets, labelled by a stratified share of windows."""
    windows = plant_windows(config.target_plant(num_assets=plan.target_assets, seed=seed), config.windows)

    def start(system: str) -> FaultClassifier:
        if system != "scratch":
            return copy.deepcopy(pretrained)
        torch.manual_seed(config.seed)
        return FaultClassifier(model_config(config), num_classes=len(CLASS_NAMES))

    return classification_target(
        config.held_out,
        f"simulated_{config.held_out}",
        windows.train,
        windows.val,
        systems=SYSTEMS,
        start=start,
        labelled=lambda fraction, s: few_shot_indices(windows.train.labels, fraction=fraction, seed=s),
        adapt=lambda method: AdaptConfig(method=method),
    )


def cmapss_target(
    pretrained: FaultClassifier, config: PretrainConfig, plan: Protocol, ctx: SuiteContext
) -> Target:
    """FD001 engines, labelled by every window of a share of the training engines."""
    check_window(config, plan.engines)
    engines = load_engine_target(plan.engines, ctx.data_root())

    def start(system: str) -> FaultClassifier:
        if system == "scratch":
            return scratch_model(config, len(engines.sensors), seed=config.seed)
        return engine_model(pretrained, config, engines.sensors, seed=config.seed)

    return classification_target(
        "cmapss",
        ENGINES_DATASET,
        engines.train,
        engines.test,
        task="health_stage",
        systems=tuple(s for s in SYSTEMS if s != "zeroshot"),
        start=start,
        labelled=lambda fraction, s: engine_shots(engines.train.asset_ids, fraction=fraction, seed=s),
        adapt=engine_adapt_config,
    )


def classification_target(
    name: str,
    dataset: str,
    train: WindowSet,
    test: WindowSet,
    *,
    task: str = "fault_classification",
    systems: tuple[str, ...],
    start: Callable[[str], nn.Module],
    labelled: Callable[[float, int], torch.Tensor],
    adapt: Callable[[str], AdaptConfig],
) -> Target:
    """A target whose labels are drawn from ``train`` windows and whose ``test`` windows are scored."""

    def fit(
        model: nn.Module, adapt: AdaptConfig, train_config: TrainConfig, index: torch.Tensor
    ) -> AdaptResult:
        assert isinstance(model, FaultClassifier)
        return adapt_classifier(model, train, adapt=adapt, train_config=train_config, labelled=index)

    def score(model: nn.Module) -> dict[str, float]:
        return evaluate_classifier(model, test)._asdict()

    return Target(
        name, dataset, task, systems, start, labelled, adapt, fit, score, series_batches(test, 64)[0]
    )


def _choice(option: str, names: tuple[str, ...], key: str) -> tuple[str, ...]:
    if option == "all":
        return names
    if option not in names:
        raise OptionError(f"option {key}={option!r}: expected one of {[*names, 'all']}")
    return (option,)


def _public(option: str) -> tuple[str, ...]:
    if option == "none":
        return ()
    names = tuple(option.split(","))
    if any(name not in FORECAST_PUBLIC_SETS for name in names) or len(set(names)) < len(names):
        raise OptionError(
            f"option public={option!r}: expected distinct names of {list(FORECAST_PUBLIC_SETS)}, or none"
        )
    return names


def _public_setting(config: PretrainConfig | ForecastPretrainConfig) -> str:
    return ",public=" + "+".join(config.public) if config.public else ""


def _pretrained(
    ctx: SuiteContext, plan: Protocol, threads: int, pretrain_steps: int | None
) -> tuple[FaultClassifier, PretrainConfig, list[BenchRow]]:
    """The checkpoint of ``-o pretrained=DIR``, or a pretraining run (``pretrain_steps`` steps, None:
    the plan's) and its rows."""
    if "pretrained" in ctx.options:
        model, config = load_pretrained(Path(ctx.options["pretrained"]))
        logger.info("reusing the pretrained model of %s", ctx.options["pretrained"])
        return model, config, []
    config = plan.pretrain
    if pretrain_steps is not None:
        longer = dataclasses.replace(config.train, max_steps=pretrain_steps)
        config = dataclasses.replace(config, train=longer)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
    result = pretrain(config, data_root=ctx.data_root())
    cost = count_parameters(result.model)
    setting = "types=" + "+".join(config.corpus_plant().asset_types) + _public_setting(config)
    rows = [
        BenchRow(system="moesaic-pretrain", dataset="simulated_plant", task="fault_classification",
                 setting=setting,
                 metric=metric, value=value, params_total=cost.total, params_active=cost.active,
                 train_seconds=round(result.run.seconds, 2), peak_rss_mb=round(peak_rss_mb(), 1))
        for metric, value in result.scores._asdict().items()
    ]  # fmt: skip
    return result.model, config, rows


@register_suite(
    "adaptation",
    "few-shot adaptation of the pretrained backbone to a held-out plant type and to engines",
    options=(
        "public", "tasks", "target", "draws", "fraction", "steps", "threads", "pretrain_steps", "pretrained",
        "forecaster",
    ),
)  # fmt: skip
def run(ctx: SuiteContext) -> list[BenchRow]:
    public = _public(ctx.options.get("public", ",".join(FORECAST_PUBLIC_SETS)))
    tasks = _choice(ctx.options.get("tasks", "all"), TASKS, "tasks")
    targets = _choice(ctx.options.get("target", "all"), TARGETS, "target")
    plan = protocol(ctx.quick, ctx.seed, tuple(name for name in public if name in PUBLIC_SETS))
    steps = ctx.integer("steps", plan.steps)
    draws = ctx.integer("draws", plan.draws)
    fraction = ctx.number("fraction", plan.fraction)
    threads = ctx.integer("threads", 1)
    pretrain_steps = ctx.integer("pretrain_steps", 0) if "pretrain_steps" in ctx.options else None
    rows: list[BenchRow] = []

    def run_target(target: Target, setting: str) -> None:
        for system in ctx.progress(
            target.systems, f"{target.task} on {target.name}", total=len(target.systems)
        ):
            runs = [
                run_method(system, target, steps=steps, fraction=fraction, seed=ctx.seed + d, threads=threads)
                for d in range(draws)
            ]
            means = ", ".join(f"{m} {np.mean([r.scores[m] for r in runs]):.3f}" for m in runs[0].scores)
            logger.info("%s on %s (%s): %s (%d trainable parameters)", system, target.name, target.task,
                        means, runs[0].trainable_params)  # fmt: skip
            rows.extend(method_rows(system, runs, target=target, setting=setting))

    with torch_threads(threads), threadpool_limits(threads):
        if "classification" in tasks:
            pretrained, config, pretrain_rows = _pretrained(ctx, plan, threads, pretrain_steps)
            rows += pretrain_rows
            for name in targets:
                if name == "fan":
                    target = fan_target(pretrained, config, plan, ctx.seed)
                else:
                    target = cmapss_target(pretrained, config, plan, ctx)
                run_target(target, f"target={target.name},shots={fraction:g}" + _public_setting(config))
        if "forecasting" in tasks:
            forecast = forecast_config(ctx.quick, ctx.seed, public)
            types = "types=" + "+".join(forecast.plant().asset_types) + ",task=forecasting"
            corpus = types + _public_setting(forecast)
            model, forecast, pretrain_rows = pretrained_forecaster(
                ctx, forecast, steps=pretrain_steps, threads=threads, setting=corpus
            )
            rows += pretrain_rows
            for name in targets:
                setting = f"target={name},shots={fraction:g},task=forecasting" + _public_setting(forecast)
                target, naive_rows = forecast_target_rows(
                    model,
                    forecast,
                    name,
                    target_assets=plan.target_assets,
                    systems=SYSTEMS,
                    ctx=ctx,
                    setting=setting,
                )
                rows += naive_rows
                run_target(target, setting)
    return rows
