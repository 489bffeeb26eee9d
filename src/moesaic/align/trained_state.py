"""Checkpoints of the trained tensors only, for models built around a frozen language model.

:func:`save_trained` writes the trainable tensors (safetensors) with the model's name and config
(JSON) in the layout of :func:`moesaic.checkpoint.save_model`; :func:`read_trained` verifies and
reads them back, and :func:`load_trained_tensors` copies them into a model rebuilt on the same
language model. The forecasters of :mod:`moesaic.align.reprogramming` and ChatTime
(:mod:`moesaic.align.chattime`) are saved this way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

import safetensors.torch
import torch
from torch import Tensor, nn

from moesaic.adapt.methods import adapter_state
from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import (
    CONFIG_JSON,
    FORMAT_VERSION,
    MODEL_FILE,
    CheckpointError,
    check_model_folder,
    load_model_state,
)
from moesaic.config import to_dict

TRAINED_KIND = "lm-forecaster"


def save_trained(folder: Path, model: nn.Module, *, kind: str, config: Any) -> None:
    """Write the trainable tensors of ``model`` (safetensors) and its kind and config (JSON) to ``folder``.

    The layout is :func:`moesaic.checkpoint.save_model`'s, so ``load_model_state`` verifies it.
    """
    check_model_folder(Path(folder), TRAINED_KIND)
    tensors = adapter_state(model)
    if not tensors:
        raise ValueError(f"{type(model).__name__} has no trainable tensor to save")
    blob = safetensors.torch.save(tensors)
    document = {
        "format_version": FORMAT_VERSION,
        "config": {"kind": TRAINED_KIND, "model": kind, "settings": to_dict(config)},
        "sha256": {MODEL_FILE: hashlib.sha256(blob).hexdigest()},
    }
    with atomic_directory(Path(folder)) as tmp:
        write_bytes_atomic(tmp / MODEL_FILE, blob)
        write_text_atomic(tmp / CONFIG_JSON, json.dumps(document, indent=1))


class SavedModel(NamedTuple):
    """What :func:`read_trained` found: the model name, its settings and the trained tensors."""

    kind: str
    settings: dict[str, Any]
    tensors: dict[str, Tensor]


def read_trained(folder: Path) -> SavedModel:
    """Verify and read a checkpoint of :func:`save_trained`.

    Raises:
        CheckpointError: not such a checkpoint.
    """
    state = load_model_state(Path(folder), kind=TRAINED_KIND, what="a trained-layers")
    return SavedModel(str(state.config["model"]), dict(state.config["settings"]), state.state_dict)


def load_trained_tensors(model: nn.Module, tensors: dict[str, Tensor], folder: Path) -> None:
    """Copy saved trainable tensors into ``model``, checking names and shapes."""
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    missing, extra = sorted(set(trainable) - set(tensors)), sorted(set(tensors) - set(trainable))
    if missing or extra:
        raise CheckpointError(
            f"{folder}: tensors do not fit the model: missing {missing}, unexpected {extra}"
        )
    with torch.no_grad():
        for name, tensor in tensors.items():
            if trainable[name].shape != tensor.shape:
                raise CheckpointError(
                    f"{folder}: tensor {name} has shape {tuple(tensor.shape)}, the model expects "
                    f"{tuple(trainable[name].shape)}"
                )
            trainable[name].copy_(tensor)
