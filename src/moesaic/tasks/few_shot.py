"""Few-shot adaptation of a pretrained model on a labelled share of a target's windows.

The pretrained models are :mod:`moesaic.tasks.pretrain`'s fault classifier and
:mod:`moesaic.tasks.pretrain_forecast`'s forecaster; which parameters each method trains is
decided by :mod:`moesaic.adapt.methods`. With no target validation set at these label budgets,
every method runs the same fixed number of steps and keeps its last weights.

A forecaster's adapter records the sha256 of the pretrained weights it was adapted from
(:data:`BASE_DIGEST`); :func:`load_forecaster_adapter` loads it onto no other checkpoint, since a
folder can be moved or overwritten while the digest still names the weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from moesaic.adapt.methods import (
    ADAPTER_KIND,
    Adaptation,
    AdaptConfig,
    LoadedAdapter,
    load_adapter,
    prepare_adaptation,
)
from moesaic.checkpoint import MODEL_FILE, CheckpointError, load_model_state
from moesaic.data.batch import Batch
from moesaic.data.windows import WindowSet
from moesaic.heads import FaultClassifier
from moesaic.heads.forecast import MoesaicForecastModel
from moesaic.tasks.pretrain import series_batches
from moesaic.tasks.univariate_windows import Windows
from moesaic.train import TrainConfig, TrainResult, train


class AdaptResult(NamedTuple):
    adaptation: Adaptation
    run: TrainResult | None  # None for zero-shot
    shots: int  # labelled target windows used


def adapt_classifier(
    model: FaultClassifier,
    windows: WindowSet,
    *,
    adapt: AdaptConfig,
    train_config: TrainConfig,
    labelled: torch.Tensor,
) -> AdaptResult:
    """Adapt ``model`` in place on the windows at (K,) ``labelled`` indices of ``windows``.

    The caller chooses which windows carry labels:
    :func:`moesaic.adapt.methods.few_shot_indices` draws a stratified share of the windows,
    :func:`moesaic.tasks.engines.engine_shots` every window of a few engines. There is no target
    validation set at this label budget: every method runs the same fixed number of steps
    (``train_config.max_steps``) and keeps its last weights.

    Raises:
        ValueError: ``labelled`` is empty or holds an index outside ``windows``.
    """
    return _adapt(
        model, len(windows), adapt=adapt, train_config=train_config, labelled=labelled,
        batches=lambda generator: series_batches(windows.take(labelled), train_config.batch_size,
                                                 generator=generator, balance=True),
    )  # fmt: skip


def check_labelled(labelled: torch.Tensor, count: int) -> None:
    """Raise ValueError unless (K,) ``labelled`` is a non-empty index into ``count`` windows."""
    if labelled.ndim != 1 or labelled.numel() == 0:
        raise ValueError(f"`labelled` must be a non-empty (K,) index, got shape {tuple(labelled.shape)}")
    if int(labelled.min()) < 0 or int(labelled.max()) >= count:
        raise ValueError(
            f"`labelled` indices must be in [0, {count}), found "
            f"[{int(labelled.min())}, {int(labelled.max())}]"
        )


def adapt_forecaster(
    model: MoesaicForecastModel,
    windows: Windows,
    *,
    adapt: AdaptConfig,
    train_config: TrainConfig,
    labelled: torch.Tensor,
) -> AdaptResult:
    """Adapt ``model`` in place on the windows at (K,) ``labelled`` indices of ``windows``.

    As :func:`adapt_classifier`: no target validation set, every method
    runs ``train_config.max_steps`` steps and keeps its last weights.

    Raises:
        ValueError: ``labelled`` is empty or holds an index outside ``windows``.
    """
    return _adapt(
        model, len(windows), adapt=adapt, train_config=train_config, labelled=labelled,
        batches=lambda generator: windows.take(labelled).batches(train_config.batch_size,
                                                                 generator=generator),
    )  # fmt: skip


def _adapt(
    model: nn.Module,
    count: int,
    *,
    adapt: AdaptConfig,
    train_config: TrainConfig,
    labelled: torch.Tensor,
    batches: Callable[[torch.Generator], list[Batch]],
) -> AdaptResult:
    """Check ``labelled`` against ``count`` windows, prepare the method, train on ``batches`` each epoch."""
    check_labelled(labelled, count)
    adaptation = prepare_adaptation(model, adapt)
    if adapt.method == "zeroshot":
        return AdaptResult(adaptation, None, int(labelled.numel()))
    run = train(model, lambda epoch, generator: batches(generator),
                config=dataclasses.replace(train_config, patience=None))  # fmt: skip
    model.eval()
    return AdaptResult(adaptation, run, int(labelled.numel()))


def window_shots(windows: Windows, *, fraction: float, seed: int) -> torch.Tensor:
    """(K,) sorted indices of a random ``fraction`` of ``windows`` (at least one), drawn with ``seed``."""
    if not 0 < fraction <= 1:
        raise ValueError(f"`fraction` must be in (0, 1], got {fraction}")
    take = max(1, round(fraction * len(windows)))
    return torch.randperm(len(windows), generator=torch.Generator().manual_seed(seed))[:take].sort().values


BASE_DIGEST = "pretrained_sha256"  # adapter config key: the sha256 of the pretrained weights file


def pretrained_digest(folder: Path) -> str:
    """The sha256 of the weights file of the pretrained checkpoint in ``folder`` (:data:`BASE_DIGEST`).

    Raises:
        CheckpointError: the weights file cannot be read.
    """
    path = Path(folder) / MODEL_FILE
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the pretrained weights ({err})") from err


def load_forecaster_adapter(folder: Path, model: MoesaicForecastModel, *, digest: str) -> LoadedAdapter:
    """Load a forecaster's adapter onto ``model`` in place, the pretrained forecaster whose weights
    file has sha256 ``digest`` (:func:`pretrained_digest`).

    Raises:
        CheckpointError: ``folder`` holds no adapter, an adapter of a fault classifier, one adapted
            from other pretrained weights (or that does not say from which), or tensors that do not
            fit ``model``.
    """
    config = load_model_state(Path(folder), kind=ADAPTER_KIND, what="an adapter").config
    if config.get("task") != "forecasting":
        raise CheckpointError(
            f"{folder}: an adapter of a pretrained fault classifier (target {config.get('target')!r}), "
            "not of a forecaster"
        )
    recorded = config.get(BASE_DIGEST)
    if recorded is None:
        raise CheckpointError(
            f"{folder}: the adapter does not record which pretrained weights it was adapted from "
            f"(no {BASE_DIGEST!r}; it predates that record); adapt the forecaster again"
        )
    if recorded != digest:
        raise CheckpointError(
            f"{folder}: adapted from the pretrained checkpoint {config.get('pretrained')!r} (weights "
            f"sha256 {str(recorded)[:12]}...), not from the one given (sha256 {digest[:12]}...); "
            "give the checkpoint it was adapted from"
        )
    return load_adapter(Path(folder), model)
