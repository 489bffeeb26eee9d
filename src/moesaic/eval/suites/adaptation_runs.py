"""The machinery of suite ``adaptation`` shared by its tasks: a target, one method's run, its rows.

A :class:`Target` says how each system starts, which windows a draw labels, how a model is
adapted on them and how it is scored; :func:`run_method` adapts and scores one system on one
draw and measures its costs; :func:`method_rows` turns the draws into bench rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from moesaic.adapt.methods import AdaptConfig
from moesaic.data.batch import Batch
from moesaic.eval.bench import BenchRow
from moesaic.eval.meters import count_parameters, measure_latency, peak_rss_mb, reset_peak_rss
from moesaic.tasks.few_shot import AdaptResult
from moesaic.tasks.pretrain import LEARNING_RATES
from moesaic.train import TrainConfig


class Target(NamedTuple):
    """One adaptation target of one task: how each system starts, is labelled, trained and scored."""

    name: str
    dataset: str
    task: str
    systems: tuple[str, ...]
    start: Callable[[str], nn.Module]  # system -> the model it starts from (a fresh copy)
    labelled: Callable[[float, int], torch.Tensor]  # (fraction, seed) -> (K,) labelled indices
    adapt: Callable[[str], AdaptConfig]  # method -> its configuration
    fit: Callable[[nn.Module, AdaptConfig, TrainConfig, torch.Tensor], AdaptResult]  # on the labelled windows
    score: Callable[[nn.Module], dict[str, float]]  # metric -> value on the scored windows
    example: Batch  # scored windows, for the latency


class MethodRun(NamedTuple):
    scores: dict[str, float]  # metric -> value
    trainable_params: int
    params_total: int
    params_active: int
    train_seconds: float
    infer_ms_per_window: float
    peak_rss_mb: float
    shots: int  # labelled windows


def run_method(
    system: str, target: Target, *, steps: int, fraction: float, seed: int, threads: int
) -> MethodRun:
    """Adapt the system's starting model on a draw of labelled windows and score it with ``target.score``."""
    reset_peak_rss()  # this run's own peak, where the kernel allows (see moesaic.eval.meters)
    model = target.start(system)
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
    result = target.fit(model, target.adapt(method), train_config, target.labelled(fraction, seed))
    scores = target.score(model)
    batch = target.example
    with torch.no_grad():
        latency = measure_latency(lambda: model(batch), repeats=5)
    params = count_parameters(model)
    return MethodRun(
        scores=scores,
        trainable_params=result.adaptation.trainable_params,
        params_total=params.total,
        params_active=params.active,
        train_seconds=result.run.seconds if result.run else 0.0,
        infer_ms_per_window=latency.p50_ms / batch.size,
        peak_rss_mb=peak_rss_mb(),
        shots=result.shots,
    )


def method_rows(system: str, runs: list[MethodRun], *, target: Target, setting: str) -> list[BenchRow]:
    first = runs[0]
    cost: dict[str, Any] = {
        "params_total": first.params_total,
        "params_active": first.params_active,
        "train_seconds": round(float(np.mean([r.train_seconds for r in runs])), 2),
        "infer_ms_per_window": round(float(np.mean([r.infer_ms_per_window for r in runs])), 4),
        "peak_rss_mb": round(max(r.peak_rss_mb for r in runs), 1),
    }

    def row(metric: str, value: float) -> BenchRow:
        return BenchRow(system=f"moesaic-{system}", dataset=target.dataset, task=target.task, setting=setting,
                        metric=metric, value=value, **cost)  # fmt: skip

    rows = []
    for metric in first.scores:
        values = [r.scores[metric] for r in runs]
        rows.append(row(metric, float(np.mean(values))))
        if len(runs) > 1:
            rows.append(row(f"{metric}_std", float(np.std(values))))
    rows.append(row("trainable_params", float(first.trainable_params)))
    rows.append(row("labelled_windows", float(np.mean([r.shots for r in runs]))))
    return rows
