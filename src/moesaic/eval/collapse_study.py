"""The collapse study: train one small fault classifier per router and measure its experts.

Every configuration sees the same windows of the same simulated plant, the same seed and the same
number of steps. After training, the inputs of every block's feed-forward layer are captured on a
fixed probe batch with forward hooks and :func:`moesaic.moe.measure_collapse` runs on them. A
dense feed-forward layer is reported as one expert that every token uses (utilisation 1, Gini 0,
no pairwise similarity), so dense and sparse rows share one table.

Modality contribution (:func:`modality_contribution`) is an ablation on validation data: the mean
cross-entropy per window with the modality removed (:meth:`Batch.without`) minus the mean
cross-entropy with everything. Positive means the model relies on it; near 0, the modality is
ignored; negative, it hurts. Aux losses are left out, so routers are compared on the task alone.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.checkpoint import CheckpointError, load_model_state, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.data.windows import WindowConfig, WindowData, WindowSet, make_windows, to_batches
from moesaic.eval.meters import ParamCount, count_parameters, measure_latency, peak_rss_mb
from moesaic.heads import FaultClassifier
from moesaic.model import Backbone, ModelConfig
from moesaic.moe import CollapseReport, DenseFFN, RoutingEntropy, SparseMoE, measure_collapse
from moesaic.moe.collapse import effective_rank, modality_expert_matrix
from moesaic.moe.modality import MODALITIES
from moesaic.train import TrainConfig, train

CHECKPOINT_KIND = "moesaic.collapse_study"
VARIANTS = ("", "text=label")
"""Data variants: "" the plant as simulated; "text=label" every window's text names its label, so
one modality dominates (the label leaks through the text)."""


class LayerInputs(NamedTuple):
    """What one block fed its feed-forward layer."""

    tokens: Tensor  # (B, N, D), after the pre-norm
    mask: Tensor  # (B, N) bool
    modality: Tensor  # (B, N) int64


class StudyData(NamedTuple):
    """The data every configuration of one study shares."""

    windows: WindowData
    train: Callable[[int, torch.Generator], list[Batch]]  # (epoch, generator) -> balanced batches
    val: list[Batch]
    probe: Batch  # the first validation windows, in order


class StudyResult(NamedTuple):
    """Everything one configuration produced, for the benchmark rows and the checkpoint."""

    name: str
    setting: str
    model: FaultClassifier
    params: ParamCount
    task_loss: float  # mean validation cross-entropy per window
    train_seconds: float  # wall time of training, without the collapse logging
    infer_ms_per_window: float
    peak_rss_mb: float
    reports: list[CollapseReport]  # one per layer, on the probe batch
    modality_contribution: dict[str, float]
    history: list[dict[str, float]]


def backbone_of(model: nn.Module) -> Backbone:
    """The backbone of a FaultClassifier, or the model itself when it is one."""
    found = model if isinstance(model, Backbone) else getattr(model, "backbone", None)
    if not isinstance(found, Backbone):
        raise TypeError(f"expected a Backbone or a model with a `.backbone`, got {type(model).__name__}")
    return found


def _ffn_layers(model: nn.Module) -> list[nn.Module]:
    """The feed-forward layer (SparseMoE or DenseFFN) of every block, in order."""
    layers = []
    for block in backbone_of(model).blocks:
        layer = block.ffn
        assert isinstance(layer, nn.Module)
        layers.append(layer)
    return layers


@torch.no_grad()
def collect_layer_inputs(model: nn.Module, batch: Batch) -> list[LayerInputs]:
    """Run ``model`` in eval mode on ``batch`` and capture every block's feed-forward input."""
    captured: list[LayerInputs] = []

    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        captured.append(LayerInputs(args[0].detach(), kwargs["mask"], kwargs["modality"]))

    handles = [layer.register_forward_hook(hook, with_kwargs=True) for layer in _ffn_layers(model)]
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]):  # measuring must not change a run's random stream
            model(batch)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return captured


def collapse_per_layer(
    model: nn.Module, probe_batch: Batch, *, previous: Sequence[CollapseReport] | None = None
) -> list[CollapseReport]:
    """One :class:`CollapseReport` per block, on the probe batch.

    Args:
        model: a FaultClassifier or Backbone, sparse or dense.
        probe_batch: the same batch for every checkpoint compared.
        previous: reports of an earlier checkpoint on the same probe, for routing consistency.
    """
    layers = _ffn_layers(model)
    inputs = collect_layer_inputs(model, probe_batch)
    assert len(inputs) == len(layers)  # one hook call per block
    reports = []
    with torch.random.fork_rng(devices=[]):
        for i, (layer, seen) in enumerate(zip(layers, inputs, strict=True)):
            before = previous[i] if previous is not None else None
            if isinstance(layer, SparseMoE):
                report = measure_collapse(
                    layer, seen.tokens, mask=seen.mask, modality=seen.modality, previous=before
                )
            else:
                report = _dense_report(layer, seen)
            reports.append(report)
    return reports


def expert_similarity(model: nn.Module, probe_batch: Batch) -> list[np.ndarray]:
    """Per sparse layer, the (E, E) cosine similarity of expert outputs averaged over probe tokens."""
    out = []
    for layer, seen in zip(_ffn_layers(model), collect_layer_inputs(model, probe_batch), strict=True):
        if not isinstance(layer, SparseMoE):
            continue
        tokens = seen.tokens[seen.mask]  # (n, D)
        with torch.no_grad():
            outputs = F.normalize(torch.stack([e(tokens) for e in layer.experts]).double(), dim=-1)
        out.append(torch.einsum("ind,jnd->ij", outputs, outputs).numpy() / max(tokens.shape[0], 1))
    return out


def collapse_scalars(reports: Sequence[CollapseReport]) -> dict[str, float]:
    """The study's metrics over layers: worst-case utilisation, dead experts summed, the rest averaged.

    ``utilisation_min`` is the smallest expert share in any layer and ``utilisation_max`` the
    largest (one collapsed layer must not hide behind a healthy one); ``dead_experts`` counts dead
    experts over all layers; ``load_gini``, ``expert_cosine``, ``expert_cka`` and
    ``effective_rank`` are means over layers. Metrics undefined for every layer (pairwise
    similarity of a dense layer) are left out.
    """
    values = {
        "utilisation_min": min(float(r.utilisation.min()) for r in reports),
        "utilisation_max": max(float(r.utilisation.max()) for r in reports),
        "dead_experts": float(sum(int(r.dead.sum()) for r in reports)),
    }
    for name, attribute in (("load_gini", "gini"), ("expert_cosine", "expert_cosine"),
                            ("expert_cka", "expert_cka"), ("effective_rank", "effective_rank")):  # fmt: skip
        numbers = [float(getattr(r, attribute)) for r in reports]
        finite = [x for x in numbers if math.isfinite(x)]
        if finite:
            values[name] = float(np.mean(finite))
    return values


@torch.no_grad()
def task_loss(model: nn.Module, batches: Iterable[Batch]) -> float:
    """Mean cross-entropy per window of ``model(batch)`` against ``targets["label"]``, in eval mode."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for batch in batches:
            labels = batch.targets["label"]
            total += float(F.cross_entropy(model(batch), labels, reduction="sum"))
            count += int(labels.shape[0])
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("`batches` holds no window")
    return total / count


def modality_contribution(model: nn.Module, batches: Sequence[Batch]) -> dict[str, float]:
    """Increase of the validation cross-entropy when each modality is removed (see the module doc)."""
    if not batches:
        raise ValueError("`batches` holds no batch")
    base = task_loss(model, batches)
    present = [m for m in MODALITIES if any(m in b.modalities() for b in batches)]
    return {m: task_loss(model, [b.without(m) for b in batches]) - base for m in present}


class CollapseLogger:
    """A :func:`moesaic.train.train` callback adding per-layer collapse scalars every ``every`` steps.

    Keys are ``l{layer}.{metric}`` (utilisation_min, utilisation_max, num_dead, gini,
    expert_cosine, expert_cka, effective_rank, consistency with the previous measurement). Make
    ``every`` a multiple of ``TrainConfig.log_every`` so the values reach the history.
    """

    def __init__(self, probe: Batch, *, every: int) -> None:
        if every < 1:
            raise ValueError(f"`every` must be >= 1, got {every}")
        self.probe, self.every = probe, every
        self.previous: list[CollapseReport] | None = None
        self.seconds = 0.0  # time spent measuring, to take out of the training time

    def __call__(self, step: int, module: nn.Module, record: dict[str, float]) -> None:
        if step % self.every:
            return
        start = time.perf_counter()
        reports = collapse_per_layer(module, self.probe, previous=self.previous)
        self.previous = reports
        self.seconds += time.perf_counter() - start
        for i, report in enumerate(reports):
            values = {"utilisation_min": float(report.utilisation.min()),
                      "utilisation_max": float(report.utilisation.max()), **report.scalars()}  # fmt: skip
            record.update({f"l{i}.{k}": v for k, v in values.items() if math.isfinite(v)})


def build_windows(plant: SimulatorConfig, windows: WindowConfig, *, variant: str = "") -> WindowData:
    """Simulate ``plant`` (in a temporary folder), cut it into windows and apply a data variant."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown data variant {variant!r}; choose one of {list(VARIANTS)}")
    with tempfile.TemporaryDirectory(prefix="moesaic-plant-") as folder:
        simulate_to(plant, Path(folder) / "plant")
        data = make_windows(load_plant(Path(folder) / "plant"), windows)  # drawings are read here
    if variant == "text=label":
        data = data._replace(train=_leak(data, data.train), val=_leak(data, data.val))
    return data


def prepare_data(windows: WindowData, *, batch_size: int, probe_size: int) -> StudyData:
    """Balanced training batches per epoch, ordered validation batches and the probe batch."""

    def source(epoch: int, generator: torch.Generator) -> list[Batch]:
        return to_batches(windows.train, batch_size, generator=generator, balance=True)

    probe = to_batches(windows.val, min(probe_size, len(windows.val)))[0]
    return StudyData(windows, source, to_batches(windows.val, batch_size), probe)


def run_configuration(
    name: str,
    setting: str,
    model_config: ModelConfig,
    data: StudyData,
    train_config: TrainConfig,
    *,
    log_every: int | None = None,
) -> StudyResult:
    """Train a fresh :class:`FaultClassifier` and measure task loss, cost and collapse.

    Args:
        name: the system name of the rows (``moesaic-topk``, ...).
        setting: the variant's ``key=value`` knobs ("" for the default).
        model_config: the backbone.
        data: the shared data of the study.
        train_config: the shared optimisation settings (same seed and steps for all).
        log_every: collapse logging period in steps; default ``train_config.log_every``.
    """
    torch.manual_seed(train_config.seed)  # the same initial weights wherever the shapes agree
    model = FaultClassifier(model_config, num_classes=len(data.windows.class_names))
    logger = CollapseLogger(data.probe, every=log_every or train_config.log_every)
    result = train(model, data.train, config=train_config, callbacks=[logger])
    model.eval()
    batch = data.val[0]
    with torch.no_grad():
        latency = measure_latency(lambda: model(batch), repeats=10)
    return StudyResult(
        name=name,
        setting=setting,
        model=model,
        params=count_parameters(model),
        task_loss=task_loss(model, data.val),
        train_seconds=result.seconds - logger.seconds,
        infer_ms_per_window=latency.p50_ms / batch.size,
        peak_rss_mb=peak_rss_mb(),
        reports=collapse_per_layer(model, data.probe),
        modality_contribution=modality_contribution(model, data.val),
        history=result.history,
    )


def save_study_checkpoint(
    folder: Path,
    result: StudyResult,
    *,
    plant: SimulatorConfig,
    windows: WindowConfig,
    variant: str,
    probe_size: int,
) -> None:
    """An inference checkpoint of ``result.model`` with what rebuilds it and its probe batch."""
    collapse_log = [{k: v for k, v in r.items() if k == "step" or k.startswith("l")} for r in result.history]
    save_model(folder, result.model, {
        "kind": CHECKPOINT_KIND, "system": result.name, "setting": result.setting,
        "model": to_dict(result.model.config), "num_classes": result.model.num_classes,
        "plant": to_dict(plant), "windows": to_dict(windows), "variant": variant, "probe_size": probe_size,
        "collapse_log": [r for r in collapse_log if len(r) > 1],
    })  # fmt: skip


class StudyCheckpoint(NamedTuple):
    model: FaultClassifier
    probe: Batch
    class_names: tuple[str, ...]
    config: dict[str, Any]  # as saved: system, setting, collapse_log, ...


def load_study_checkpoint(folder: Path) -> StudyCheckpoint:
    """Load a checkpoint of :func:`save_study_checkpoint` and rebuild its probe batch.

    Raises:
        CheckpointError: missing, modified or foreign checkpoint, or one that no longer fits the
            rebuilt model or data.
    """
    state = load_model_state(folder, kind=CHECKPOINT_KIND, what="a collapse-study")
    config = state.config
    try:
        model_config = from_dict(ModelConfig, config["model"])
        plant = from_dict(SimulatorConfig, config["plant"])
        window_config = from_dict(WindowConfig, config["windows"])
        windows = build_windows(plant, window_config, variant=config["variant"])
        model = FaultClassifier(model_config, num_classes=int(config["num_classes"]))
        model.load_state_dict(state.state_dict)
    except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{folder}: cannot rebuild the model and its probe data ({err})") from err
    model.eval()
    probe = to_batches(windows.val, min(int(config["probe_size"]), len(windows.val)))[0]
    return StudyCheckpoint(model, probe, windows.class_names, config)


def _dense_report(layer: nn.Module, seen: LayerInputs) -> CollapseReport:
    """A dense layer as one expert every real token uses."""
    assert isinstance(layer, DenseFFN)
    real = seen.mask.reshape(-1)
    with torch.no_grad():
        y = layer(seen.tokens, modality=seen.modality, mask=seen.mask).y.reshape(-1, seen.tokens.shape[-1])[
            real
        ]
    n = int(real.sum())
    modality = seen.modality.reshape(-1)[real].numpy()
    return CollapseReport(
        utilisation=np.ones(1), dead=np.zeros(1, dtype=bool), gini=0.0,
        entropy=RoutingEntropy(0.0, 0.0, 0.0), expert_cosine=float("nan"), expert_cka=float("nan"),
        effective_rank=effective_rank(y.double().numpy()),
        modality_matrix=modality_expert_matrix(modality, np.zeros((n, 1), dtype=np.int64),
                                               num_modalities=len(MODALITIES), num_experts=1),
        consistency=None, top1=np.zeros(n, dtype=np.int64),
    )  # fmt: skip


def _leak(data: WindowData, windows: WindowSet) -> WindowSet:
    """The windows with each text replaced by the name of its label (one modality dominating)."""
    texts = [f"fault {data.class_names[int(label)].replace('_', ' ')}" for label in windows.labels]
    return windows.replace_texts(texts, data.tokenizer)
