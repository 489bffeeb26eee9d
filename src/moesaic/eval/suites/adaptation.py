"""Suite ``adaptation``: few-shot adaptation of a pretrained backbone to a plant type it never saw.

Protocol (:mod:`moesaic.tasks.pretrain`): a fault classifier (D=64, 2 blocks of 8 experts, 2
active; sensor series plus a table of per-channel shifts from each asset's own baseline) is
pretrained on a simulated plant of pumps, compressors and motors; the target is another
simulation of fans only. A stratified 5 % of the target's training windows
(its first 70 % in time) are labelled; every system is scored on all of the target's later
windows, which no system and no setting ever trained or tuned on. Systems, each starting from a
copy of the same pretrained model unless said otherwise:

- ``moesaic-zeroshot``: the pretrained classifier as it is (fault codes are shared by all types);
- ``moesaic-scratch``: the same architecture freshly initialised, every parameter trained;
- ``moesaic-head``: only the classification head trains;
- ``moesaic-lora``: LoRA of rank 4 on every attention projection, plus the head;
- ``moesaic-prefix``: 8 prefix key/value tokens per attention layer, plus the head;
- ``moesaic-full``: every parameter fine-tuned.

With no target validation set at this label budget, every trained system runs the same fixed
number of steps and keeps its last weights. Learning rates are fixed per family beforehand, as
is usual: 2e-3 from scratch (the pretraining rate), 1e-3 for full fine-tuning, 5e-3 for the
small parameter sets (head, LoRA, prefix). Few-shot results depend on which windows are
labelled, so the labelled set is drawn ``draws`` times (seeds 0, 1, ...) and the rows give the
mean; ``<metric>_std`` rows give the standard deviation over draws.

Rows: ``macro_f1`` (over the fault classes present in the evaluated windows) and ``accuracy``
per system, ``trainable_params`` per system, and the pretraining run itself
(``moesaic-pretrain`` on the corpus' later period). Costs: ``train_seconds`` is the
adaptation's training time (mean over draws; pretraining has its own row), ``params_total``
and ``params_active`` count the adapted model, ``peak_rss_mb`` is the process peak so far.

Options (``-o KEY=VALUE``): ``pretrained=DIR`` reuse a checkpoint of ``moesaic pretrain``
instead of pretraining; ``steps=N`` adaptation steps; ``pretrain_steps=N``; ``draws=N``;
``fraction=F`` the labelled share; ``threads=N`` torch threads (default 1).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from moesaic.adapt.methods import AdaptConfig
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import count_parameters, measure_latency, peak_rss_mb, torch_threads
from moesaic.heads import FaultClassifier
from moesaic.tasks.pretrain import (
    CLASS_NAMES,
    LEARNING_RATES,
    PretrainConfig,
    adapt_classifier,
    evaluate_classifier,
    load_pretrained,
    model_config,
    plant_windows,
    pretrain,
    series_batches,
)
from moesaic.train import TrainConfig

logger = logging.getLogger(__name__)

TASK = "fault_classification"
SYSTEMS = ("zeroshot", "scratch", "head", "lora", "prefix", "full")


class Protocol(NamedTuple):
    pretrain: PretrainConfig
    target_assets: int
    fraction: float
    steps: int
    draws: int


def protocol(quick: bool, seed: int) -> Protocol:
    """Quick: a 96-asset corpus, 600 pretraining steps; a 24-asset target, 150 adaptation steps, 3 draws.

    Full: a 192-asset corpus, 1500 pretraining steps; a 32-asset target, 300 adaptation steps, 3 draws.
    """
    base = PretrainConfig(seed=seed)
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


class MethodRun(NamedTuple):
    macro_f1: float
    accuracy: float
    trainable_params: int
    params_total: int
    params_active: int
    train_seconds: float
    infer_ms_per_window: float
    shots: int


def run_method(
    system: str,
    pretrained: FaultClassifier,
    config: PretrainConfig,
    target: Any,
    *,
    steps: int,
    fraction: float,
    seed: int,
    threads: int,
) -> MethodRun:
    """Adapt a copy of ``pretrained`` (or a fresh model for ``scratch``) and score it on ``target.val``."""
    if system == "scratch":
        torch.manual_seed(config.seed)
        model = FaultClassifier(model_config(config), num_classes=len(CLASS_NAMES))
    else:
        model = copy.deepcopy(pretrained)
    method = "full" if system == "scratch" else system
    train_config = TrainConfig(
        lr=LEARNING_RATES.get(system, 1e-3),
        warmup_steps=min(10, steps - 1),
        max_steps=steps,
        batch_size=32,
        seed=seed,
        num_threads=threads,
        log_every=max(1, steps // 3),
        checkpoint_every=steps,
    )
    result = adapt_classifier(
        model,
        target.train,
        adapt=AdaptConfig(method=method),
        train_config=train_config,
        fraction=fraction,
        seed=seed,
    )
    scores = evaluate_classifier(model, target.val)
    batch = series_batches(target.val, 64)[0]
    with torch.no_grad():
        latency = measure_latency(lambda: model(batch), repeats=5)
    params = count_parameters(model)
    return MethodRun(
        macro_f1=scores.macro_f1,
        accuracy=scores.accuracy,
        trainable_params=result.adaptation.trainable_params,
        params_total=params.total,
        params_active=params.active,
        train_seconds=result.run.seconds if result.run else 0.0,
        infer_ms_per_window=latency.p50_ms / batch.size,
        shots=result.shots,
    )


def _rows(system: str, runs: list[MethodRun], *, dataset: str, setting: str) -> list[BenchRow]:
    first = runs[0]
    cost: dict[str, Any] = {
        "params_total": first.params_total,
        "params_active": first.params_active,
        "train_seconds": round(float(np.mean([r.train_seconds for r in runs])), 2),
        "infer_ms_per_window": round(float(np.mean([r.infer_ms_per_window for r in runs])), 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }

    def row(metric: str, value: float) -> BenchRow:
        return BenchRow(system=f"moesaic-{system}", dataset=dataset, task=TASK, setting=setting,
                        metric=metric, value=value, **cost)  # fmt: skip

    rows = []
    for metric in ("macro_f1", "accuracy"):
        values = [getattr(r, metric) for r in runs]
        rows.append(row(metric, float(np.mean(values))))
        if len(runs) > 1:
            rows.append(row(f"{metric}_std", float(np.std(values))))
    rows.append(row("trainable_params", float(first.trainable_params)))
    return rows


@register_suite("adaptation", "few-shot adaptation of the pretrained backbone to a held-out plant type")
def run(ctx: SuiteContext) -> list[BenchRow]:
    plan = protocol(ctx.quick, ctx.seed)
    steps = int(ctx.options.get("steps", plan.steps))
    draws = int(ctx.options.get("draws", plan.draws))
    fraction = float(ctx.options.get("fraction", plan.fraction))
    threads = int(ctx.options.get("threads", 1))
    rows: list[BenchRow] = []
    with torch_threads(threads), threadpool_limits(threads):
        if "pretrained" in ctx.options:
            pretrained, config = load_pretrained(Path(ctx.options["pretrained"]))
            logger.info("reusing the pretrained model of %s", ctx.options["pretrained"])
        else:
            config = plan.pretrain
            if "pretrain_steps" in ctx.options:
                train = dataclasses.replace(config.train, max_steps=int(ctx.options["pretrain_steps"]))
                config = dataclasses.replace(config, train=train)
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, num_threads=threads))
            result = pretrain(config)
            pretrained = result.model
            types = "+".join(config.corpus_plant().asset_types)
            cost = count_parameters(pretrained)
            for metric, value in result.scores._asdict().items():
                rows.append(
                    BenchRow(
                        system="moesaic-pretrain",
                        dataset="simulated_plant",
                        task=TASK,
                        setting=f"types={types}",
                        metric=metric,
                        value=value,
                        params_total=cost.total,
                        params_active=cost.active,
                        train_seconds=round(result.run.seconds, 2),
                        peak_rss_mb=round(peak_rss_mb(), 1),
                    )
                )
        target = plant_windows(
            config.target_plant(num_assets=plan.target_assets, seed=ctx.seed), config.windows
        )
        dataset = f"simulated_{config.held_out}"
        shots = None
        for system in ctx.progress(SYSTEMS, "adaptation", total=len(SYSTEMS)):
            runs = [
                run_method(
                    system,
                    pretrained,
                    config,
                    target,
                    steps=steps,
                    fraction=fraction,
                    seed=ctx.seed + d,
                    threads=threads,
                )
                for d in range(draws)
            ]
            shots = runs[0].shots
            logger.info(
                "%s: macro-F1 %.3f accuracy %.3f (%d trainable parameters)",
                system,
                np.mean([r.macro_f1 for r in runs]),
                np.mean([r.accuracy for r in runs]),
                runs[0].trainable_params,
            )
            setting = f"target={config.held_out},shots={shots},labels={fraction:g}"
            rows += _rows(system, runs, dataset=dataset, setting=setting)
    return rows
