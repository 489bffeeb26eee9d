"""Suite ``collapse``: does the sparse model collapse, with which router, and what prevents it?

The same small fault classifier (D=64, 2 blocks, 8 experts, 2 active, about 0.2-0.3 M parameters)
is trained on the same windows of a simulated plant, with the same seed and number of steps, once
per configuration:

- ``moesaic-topk``: softmax top-2 with the default load-balance loss; with setting
  ``balance_loss=0`` the balance loss is switched off (the classic recipe for collapse); ``top_k=1``
  and ``top_k=1,balance_loss=0`` do the same with Switch-style top-1 routing, where only the chosen
  expert's gate learns and the rich get richer fastest; with setting ``text=label`` every window's
  text names its label, so one modality dominates;
- ``moesaic-shared`` (one shared expert + top-1 of 8: same active size), ``moesaic-competition``,
  ``moesaic-hyper``, ``moesaic-modality`` (2/2/1/1 experts reserved for series/table/text/drawing
  + 2 open to all);
- ``moesaic-dense``: a dense feed-forward layer of the same active size as top-2.

Rows (one per configuration and metric, all with cost fields): ``task_loss`` (validation
cross-entropy), ``utilisation_min``, ``utilisation_max``, ``dead_experts``, ``load_gini``,
``expert_cosine``, ``expert_cka``, ``effective_rank`` aggregated over layers as
:func:`moesaic.eval.collapse_study.collapse_scalars` says (worst-case utilisation, dead experts
summed, the rest averaged; per-layer values are in the checkpoint, see ``moesaic inspect``), and
``modality_contribution`` once per modality with ``modality=<name>`` in the setting. The dense
model has one "expert": its utilisation is 1 and it has no expert-similarity rows.

Options (``-o KEY=VALUE``): ``checkpoints=DIR`` where each configuration's model goes, as
``DIR/<system>[-<setting>]`` (default ``bench/results/checkpoints``); ``steps=N`` to override the
training steps; ``threads=N`` torch and BLAS threads (default 1: this model is too small to gain from more,
and one thread keeps timings stable on a shared machine).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, NamedTuple

from threadpoolctl import threadpool_limits

from moesaic.data.simulator import SimulatorConfig
from moesaic.data.windows import WindowConfig, WindowData
from moesaic.encoders.config import EncoderConfig
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.collapse_study import (
    StudyData,
    StudyResult,
    build_windows,
    collapse_scalars,
    prepare_data,
    run_configuration,
    save_study_checkpoint,
)
from moesaic.eval.meters import torch_threads
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.train import TrainConfig

logger = logging.getLogger(__name__)

DATASET = "simulated_plant"
TASK = "fault_classification"
DEFAULT_CHECKPOINTS = Path("bench/results/checkpoints")


class Configuration(NamedTuple):
    system: str
    setting: str  # "" for the default
    moe: dict[str, Any]  # changes to the shared MoEConfig
    dense: bool = False
    variant: str = ""  # data variant, see collapse_study.VARIANTS


CONFIGURATIONS = (
    Configuration("moesaic-topk", "", {}),
    Configuration("moesaic-topk", "balance_loss=0", {"balance_loss_weight": 0.0}),
    Configuration("moesaic-topk", "top_k=1", {"top_k": 1}),
    Configuration("moesaic-topk", "top_k=1,balance_loss=0", {"top_k": 1, "balance_loss_weight": 0.0}),
    Configuration("moesaic-topk", "text=label", {}, variant="text=label"),
    Configuration("moesaic-shared", "", {"router": "shared", "num_shared": 1, "top_k": 1}),
    Configuration("moesaic-competition", "", {"router": "competition"}),
    Configuration("moesaic-hyper", "", {"router": "hyper"}),
    Configuration(
        "moesaic-modality", "", {"router": "modality", "modality_groups": (2, 2, 1, 1), "modality_shared": 2}
    ),
    Configuration("moesaic-dense", "", {}, dense=True),
)


class Protocol(NamedTuple):
    plant: SimulatorConfig
    windows: WindowConfig
    steps: int
    batch_size: int
    log_every: int
    probe_size: int


def protocol(quick: bool, seed: int) -> Protocol:
    """Quick: 16 assets x 60 days, 150 steps; full: 48 assets x 120 days, denser windows, 600 steps."""
    if quick:
        plant = SimulatorConfig(num_assets=16, days=60, seed=seed, fault_rate=24.0)
        windows = WindowConfig(stride=16, max_text_length=16, seed=seed)
        return Protocol(plant, windows, steps=150, batch_size=32, log_every=50, probe_size=32)
    plant = SimulatorConfig(num_assets=48, days=120, seed=seed, fault_rate=24.0)
    windows = WindowConfig(stride=8, max_text_length=16, seed=seed)
    return Protocol(plant, windows, steps=600, batch_size=32, log_every=100, probe_size=64)


def model_config(windows: WindowData, configuration: Configuration) -> ModelConfig:
    """The study's backbone for these windows, with the configuration's router."""
    encoders = EncoderConfig(
        dim=64,
        patch_len=16,
        max_patches=-(-windows.config.context_length // 16),
        max_channels=max(len(windows.channels), 1),
        num_numeric=len(windows.numeric_names),
        categorical_cardinalities=windows.categorical_cardinalities,
        vocab_size=windows.tokenizer.vocab_size,
        max_text_length=windows.config.max_text_length,
        image_size=windows.config.image_size,
        image_patch=16,
        stem_channels=8,
    )
    moe = dataclasses.replace(MoEConfig(num_experts=8, top_k=2, expert_hidden=64), **configuration.moe)
    return ModelConfig(encoders=encoders, moe=moe, num_layers=2, num_heads=4, dense=configuration.dense)


def result_rows(result: StudyResult) -> list[BenchRow]:
    """The benchmark rows of one configuration (see the module docstring)."""
    cost: dict[str, Any] = {
        "params_total": result.params.total,
        "params_active": result.params.active,
        "train_seconds": round(result.train_seconds, 2),
        "infer_ms_per_window": round(result.infer_ms_per_window, 4),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
    }
    metrics = {"task_loss": result.task_loss, **collapse_scalars(result.reports)}
    rows = [
        BenchRow(system=result.name, dataset=DATASET, task=TASK, setting=result.setting, metric=metric,
                 value=value, **cost)
        for metric, value in metrics.items()
    ]  # fmt: skip
    for modality, value in result.modality_contribution.items():
        setting = ",".join(s for s in (result.setting, f"modality={modality}") if s)
        rows.append(BenchRow(system=result.name, dataset=DATASET, task=TASK, setting=setting,
                             metric="modality_contribution", value=value, **cost))  # fmt: skip
    return rows


@register_suite(
    "collapse",
    "expert collapse per router vs dense, on linked multimodal plant data",
    options=("steps", "checkpoints", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    plan = protocol(ctx.quick, ctx.seed)
    steps = ctx.integer("steps", plan.steps)
    if "checkpoints" in ctx.options:
        folder = Path(ctx.options["checkpoints"])
    else:  # next to the results when the runner tells the suite its --out folder
        folder = ctx.out / "checkpoints" if ctx.out else DEFAULT_CHECKPOINTS
    train_config = TrainConfig(
        lr=2e-3, warmup_steps=min(10, steps - 1), max_steps=steps, batch_size=plan.batch_size,
        seed=ctx.seed, num_threads=ctx.integer("threads", 1), log_every=plan.log_every,
        checkpoint_every=steps,
    )  # fmt: skip
    rows: list[BenchRow] = []
    data_by_variant: dict[str, StudyData] = {}
    # numpy's BLAS threads too: the collapse metrics are numpy, and idle BLAS threads spinning on a
    # busy machine made them 10-50x slower than one thread.
    with torch_threads(train_config.num_threads), threadpool_limits(train_config.num_threads):
        for configuration in ctx.progress(CONFIGURATIONS, "collapse study", total=len(CONFIGURATIONS)):
            if configuration.variant not in data_by_variant:
                windows = build_windows(plan.plant, plan.windows, variant=configuration.variant)
                data_by_variant[configuration.variant] = prepare_data(
                    windows, batch_size=plan.batch_size, probe_size=plan.probe_size
                )
            data = data_by_variant[configuration.variant]
            result = run_configuration(
                configuration.system, configuration.setting, model_config(data.windows, configuration), data,
                train_config,
            )  # fmt: skip
            logger.info(
                "%s %s: task loss %.4f", configuration.system, configuration.setting, result.task_loss
            )
            name = "-".join(s for s in (configuration.system, configuration.setting) if s)
            save_study_checkpoint(
                folder / name, result, plant=plan.plant, windows=plan.windows, variant=configuration.variant,
                probe_size=plan.probe_size,
            )  # fmt: skip
            rows += result_rows(result)
    return rows
