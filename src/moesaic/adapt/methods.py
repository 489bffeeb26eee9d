"""Which parameters an adaptation method trains, few-shot selection, and adapter checkpoints.

Methods, all on a pretrained model with a task head (parameters named ``head.*`` by default):

- ``zeroshot``: nothing is trained; the pretrained model is evaluated as it is;
- ``head``: only the head trains (a linear probe when the head is linear);
- ``lora``: LoRA updates (:mod:`moesaic.adapt.lora`) and the head train;
- ``prefix``: prefix key/value tokens (:mod:`moesaic.adapt.prefix`) and the head train;
- ``full``: every parameter trains.

Training from scratch is ``full`` on a freshly initialised model; it is the caller's choice of
model, not a method here. Asking for a method never silently falls back to another: a LoRA or
prefix target that matches nothing is an error.

An adapter checkpoint holds only the trained tensors (safetensors) and the
:class:`AdaptConfig` that recreates their modules on the same base (JSON), in the layout of
:func:`moesaic.checkpoint.save_model`, so :func:`moesaic.checkpoint.load_model_state` reads it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import safetensors.torch
import torch
from torch import Tensor, nn

from moesaic.adapt.lora import LoRAConfig, apply_lora
from moesaic.adapt.prefix import PrefixConfig, apply_prefix
from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import (
    CONFIG_JSON,
    FORMAT_VERSION,
    MODEL_FILE,
    CheckpointError,
    check_model_folder,
    load_model_state,
)
from moesaic.config import ConfigError, from_dict, to_dict

METHODS = ("zeroshot", "head", "lora", "prefix", "full")
ADAPTER_KIND = "moesaic.adapter"


@dataclass(frozen=True)
class AdaptConfig:
    """One adaptation method and its settings.

    Attributes:
        method: one of :data:`METHODS`.
        lora: used when ``method == "lora"``.
        prefix: used when ``method == "prefix"``.
        head: ``fnmatch`` patterns over parameter names of the task head, trained by every method
            but ``zeroshot``; empty trains no head beside LoRA or the prefix.
    """

    method: str = "lora"
    lora: LoRAConfig = field(default_factory=LoRAConfig)
    prefix: PrefixConfig = field(default_factory=PrefixConfig)
    head: tuple[str, ...] = ("head.*",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "head", tuple(self.head))
        if self.method not in METHODS:
            raise ConfigError([f"`method` must be one of {list(METHODS)}, got {self.method!r}"])


class Adaptation(NamedTuple):
    """What :func:`prepare_adaptation` did to a model."""

    method: str
    adapted: list[str]  # modules that received LoRA or a prefix; [] for the other methods
    trainable: list[str]  # parameter names that require gradients
    trainable_params: int
    total_params: int


def prepare_adaptation(model: nn.Module, config: AdaptConfig) -> Adaptation:
    """Add the method's adapters to ``model`` in place and set ``requires_grad`` accordingly.

    Raises:
        ValueError: the head patterns match no parameter (for every method but ``zeroshot`` and
            ``full``), or the LoRA / prefix targets match no module.
    """
    adapted: list[str] = []
    if config.method == "lora":
        adapted = apply_lora(model, config.lora)
    elif config.method == "prefix":
        adapted = apply_prefix(model, config.prefix)
    else:
        full = config.method == "full"
        for param in model.parameters():
            param.requires_grad_(full)
    if config.method in ("head", "lora", "prefix") and (config.head or config.method == "head"):
        names = [n for n, _ in model.named_parameters()]
        head = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in config.head)]
        if not head:
            tops = sorted({n.partition(".")[0] for n in names})
            raise ValueError(
                f"no parameter matches the head patterns {list(config.head)}; top-level modules: {tops}"
            )
        for name, param in model.named_parameters():
            if name in head:
                param.requires_grad_(True)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    return Adaptation(
        method=config.method,
        adapted=adapted,
        trainable=trainable,
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        total_params=sum(p.numel() for p in model.parameters()),
    )


def few_shot_indices(labels: Tensor, *, fraction: float, seed: int) -> Tensor:
    """A stratified sample of ``fraction`` of the windows, at least one of every class present.

    Each class keeps ``round(fraction * n_class)`` windows (at least 1), drawn without
    replacement with ``seed``; the result is sorted.

    Args:
        labels: (W,) int64 class ids.
        fraction: share of the labels to keep, in (0, 1].
        seed: the draw.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"`fraction` must be in (0, 1], got {fraction}")
    if labels.ndim != 1 or labels.numel() == 0:
        raise ValueError(f"`labels` must be a non-empty (W,) tensor, got shape {tuple(labels.shape)}")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in torch.unique(labels).tolist():
        members = (labels == label).nonzero(as_tuple=True)[0]
        take = max(1, round(fraction * members.numel()))
        chosen.append(members[torch.randperm(members.numel(), generator=generator)[:take]])
    return torch.cat(chosen).sort().values


def adapter_state(model: nn.Module) -> dict[str, Tensor]:
    """The trainable tensors of an adapted model (adapters and head), detached and contiguous."""
    return {n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def save_adapter(
    folder: Path, model: nn.Module, config: AdaptConfig, *, extra: Mapping[str, Any] | None = None
) -> None:
    """Write the trainable tensors of ``model`` and ``config`` (plus ``extra`` JSON data) to ``folder``.

    Raises:
        CheckpointError: ``folder`` holds other files, or another kind of checkpoint (such as the
            pretrained one adapted), which saving would delete.
    """
    check_model_folder(Path(folder), ADAPTER_KIND)
    tensors = adapter_state(model)
    if not tensors:
        raise ValueError("the model has no trainable tensor to save; was it prepared for adaptation?")
    blob = safetensors.torch.save(tensors)
    document = {
        "format_version": FORMAT_VERSION,
        "config": {"kind": ADAPTER_KIND, "adapt": to_dict(config), **dict(extra or {})},
        "sha256": {MODEL_FILE: hashlib.sha256(blob).hexdigest()},
    }
    with atomic_directory(Path(folder)) as tmp:
        write_bytes_atomic(tmp / MODEL_FILE, blob)
        write_text_atomic(tmp / CONFIG_JSON, json.dumps(document, indent=1))


class LoadedAdapter(NamedTuple):
    adaptation: Adaptation
    config: dict[str, Any]  # as saved, with "adapt" and the caller's extra keys


def load_adapter(folder: Path, model: nn.Module) -> LoadedAdapter:
    """Prepare the base ``model`` as the saved adapter says and load its tensors.

    Raises:
        CheckpointError: not an adapter checkpoint, or tensors that do not fit ``model``.
    """
    state = load_model_state(Path(folder), kind=ADAPTER_KIND, what="an adapter")
    try:
        config = from_dict(AdaptConfig, state.config["adapt"])
    except (ConfigError, KeyError, TypeError) as err:
        raise CheckpointError(f"{folder}: cannot read the adapter config ({err})") from err
    adaptation = prepare_adaptation(model, config)
    missing = sorted(set(adaptation.trainable) - set(state.state_dict))
    extra = sorted(set(state.state_dict) - set(adaptation.trainable))
    if missing or extra:
        raise CheckpointError(
            f"{folder}: the adapter does not fit this model: missing tensors {missing}, unexpected {extra}"
        )
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in state.state_dict.items():
            if params[name].shape != tensor.shape:
                raise CheckpointError(
                    f"{folder}: tensor {name} has shape {tuple(tensor.shape)}, the model expects "
                    f"{tuple(params[name].shape)}"
                )
            params[name].copy_(tensor)
    return LoadedAdapter(adaptation, state.config)
