"""Forecasting in suite ``adaptation``: the pretrained forecaster adapted to fans and to engines.

The forecaster (:mod:`moesaic.tasks.pretrain_forecast`: the sparse-MoE backbone and a quantile
head, one sensor per sample) is pretrained to forecast 16 steps from 64 on the simulated plant
without fans and on the training data of ETTh1, Tennessee Eastman and SKAB. Targets, each with a
5 % label budget, scored on data no system trained or tuned on:

- ``fan``: a simulation of fans only; a random 5 % of the windows of the first 70 % of each
  fan's history are given, the last 30 % is scored;
- ``cmapss``: FD001's 14 informative sensors; every window of 5 % of the training engines is
  given, every window of the test engines is scored.

Systems as for classification (``zeroshot`` is the pretrained forecaster as it is: a sensor is a
univariate series on any machine), plus ``naive``: the last context value repeated, the
reference every forecaster must beat. Rows: task ``forecasting``, metrics ``mse`` and ``mae`` of
the median on the target's z-scored scale (and ``<metric>_std`` over draws), and the
pretraining run's own (``moesaic-pretrain`` on dataset ``simulated_plant``, its validation
period).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path

import torch
from torch import nn

from moesaic.adapt.methods import AdaptConfig
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import count_parameters, peak_rss_mb
from moesaic.eval.suites.adaptation_runs import Target
from moesaic.heads.forecast import MoesaicForecastModel
from moesaic.tasks.engines import engine_shots
from moesaic.tasks.few_shot import AdaptResult, adapt_forecaster, window_shots
from moesaic.tasks.forecast_targets import forecast_target
from moesaic.tasks.pretrain_forecast import (
    ForecastPretrainConfig,
    evaluate_forecaster,
    load_pretrained_forecaster,
    naive_scores,
    new_forecaster,
    pretrain_forecaster,
)
from moesaic.train import TrainConfig

logger = logging.getLogger(__name__)

TASK = "forecasting"
DATASETS = {"cmapss": "cmapss_fd001"}  # target -> dataset; otherwise simulated_<target>


def forecast_config(quick: bool, seed: int, public: tuple[str, ...]) -> ForecastPretrainConfig:
    """Quick: a 96-asset corpus, 1500 pretraining steps. Full: 192 assets, 3000 steps."""
    base = ForecastPretrainConfig(seed=seed, public=public)
    if quick:
        return base
    return dataclasses.replace(base, num_assets=192, train=dataclasses.replace(base.train, max_steps=3000))


def pretrained_forecaster(
    ctx: SuiteContext, config: ForecastPretrainConfig, *, steps: int | None, threads: int, setting: str
) -> tuple[MoesaicForecastModel, ForecastPretrainConfig, list[BenchRow]]:
    """The checkpoint of ``-o forecaster=DIR``, or a pretraining run and its rows."""
    if "forecaster" in ctx.options:
        model, config = load_pretrained_forecaster(Path(ctx.options["forecaster"]))
        logger.info("reusing the pretrained forecaster of %s", ctx.options["forecaster"])
        return model, config, []
    train = dataclasses.replace(config.train, num_threads=threads)
    if steps is not None:
        train = dataclasses.replace(train, max_steps=steps, warmup_steps=min(train.warmup_steps, steps - 1))
    config = dataclasses.replace(config, train=train)
    result = pretrain_forecaster(config, data_root=ctx.data_root())
    logger.info("forecasting corpus: %s training windows", result.corpus.sources)
    cost = count_parameters(result.model)
    rows = [
        BenchRow(system="moesaic-pretrain", dataset="simulated_plant", task=TASK, setting=setting,
                 metric=metric, value=value, params_total=cost.total, params_active=cost.active,
                 train_seconds=round(result.run.seconds, 2), peak_rss_mb=round(peak_rss_mb(), 1))
        for metric, value in result.scores._asdict().items()
    ]  # fmt: skip
    return result.model, config, rows


def forecast_target_rows(
    pretrained: MoesaicForecastModel,
    config: ForecastPretrainConfig,
    name: str,
    *,
    target_assets: int,
    systems: tuple[str, ...],
    ctx: SuiteContext,
    setting: str,
) -> tuple[Target, list[BenchRow]]:
    """The suite target of forecasting target ``name`` and the naive forecast's rows on it."""
    target = forecast_target(config, name, num_assets=target_assets, seed=ctx.seed, data_root=ctx.data_root())
    logger.info("forecasting target %s: %d training and %d scored windows", name, len(target.train),
                len(target.test))  # fmt: skip

    def start(system: str) -> nn.Module:
        if system == "scratch":
            return new_forecaster(config, seed=config.seed)
        return copy.deepcopy(pretrained)

    def fit(
        model: nn.Module, adapt: AdaptConfig, train_config: TrainConfig, index: torch.Tensor
    ) -> AdaptResult:
        assert isinstance(model, MoesaicForecastModel)
        return adapt_forecaster(model, target.train, adapt=adapt, train_config=train_config, labelled=index)

    def labelled(fraction: float, seed: int) -> torch.Tensor:
        if name == "cmapss":  # labels come by whole engines, as for classification
            return engine_shots(target.train.groups, fraction=fraction, seed=seed)
        return window_shots(target.train, fraction=fraction, seed=seed)

    def score(model: nn.Module) -> dict[str, float]:
        assert isinstance(model, MoesaicForecastModel)
        return evaluate_forecaster(model, target.test)._asdict()

    dataset = DATASETS.get(name, f"simulated_{name}")
    example = target.test.batches(64)[0]
    suite_target = Target(
        name,
        dataset,
        TASK,
        systems,
        start,
        labelled,
        lambda method: AdaptConfig(method=method),
        fit,
        score,
        example,
    )
    rows = [BenchRow(system="naive", dataset=dataset, task=TASK, setting=setting, metric=metric, value=value,
                     params_total=0, params_active=0, train_seconds=0.0)
            for metric, value in naive_scores(target.test)._asdict().items()]  # fmt: skip
    return suite_target, rows
