"""Safe checkpoints: tensors in safetensors files, everything else in JSON; no code-executing formats.

A training checkpoint is one folder, written whole to a temporary sibling and renamed into place,
so an interrupted save leaves the previous checkpoint as it was::

    model.safetensors       module state (parameters and buffers)
    optimizer.safetensors   optimizer state tensors, flattened as "state.<param_index>.<name>"
    rng.safetensors         the torch CPU generator state (uint8)
    best.safetensors        best weights so far (optional; early stopping)
    checkpoint.json         format version, step, config, scheduler state, optimizer
                            param groups, numpy/python RNG states, extra, sha256 of each file

An inference checkpoint is ``model.safetensors`` plus ``config.json`` (format version, model config,
sha256). Loading verifies every checksum before parsing a tensor, so a modified or truncated file
is reported by name instead of loading garbage.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import safetensors.torch
import torch
from torch import nn

from moesaic.atomic import atomic_directory, os_error_reason, write_bytes_atomic, write_text_atomic
from moesaic.errors import CheckpointError  # defined apart so torch-free code can raise it

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)

CHECKPOINT_JSON = "checkpoint.json"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
RNG_FILE = "rng.safetensors"
BEST_FILE = "best.safetensors"
CONFIG_JSON = "config.json"
_CHECKPOINT_FILES = frozenset({CHECKPOINT_JSON, MODEL_FILE, OPTIMIZER_FILE, RNG_FILE, BEST_FILE})
_MODEL_FILES = frozenset({CONFIG_JSON, MODEL_FILE})


class RngState(NamedTuple):
    """The random generators a training run draws from."""

    torch: torch.Tensor  # uint8, torch.get_rng_state()
    numpy: list[Any]  # np.random.get_state() as JSON-compatible lists
    python: list[Any]  # random.getstate() as JSON-compatible lists


class Checkpoint(NamedTuple):
    """Everything :func:`save_checkpoint` wrote, verified and parsed."""

    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any]  # in the form of torch.optim.Optimizer.state_dict()
    scheduler_state: dict[str, Any]
    step: int
    rng_state: RngState
    config: dict[str, Any]
    extra: dict[str, Any]
    best_state: dict[str, torch.Tensor] | None


class ModelState(NamedTuple):
    """An inference checkpoint: the module state and the config that builds the module."""

    state_dict: dict[str, torch.Tensor]
    config: dict[str, Any]


def capture_rng_state() -> RngState:
    """The current torch CPU, numpy and python global generator states."""
    name, keys, pos, has_gauss, cached = np.random.get_state()  # type: ignore[misc]
    version, internal, gauss_next = random.getstate()
    return RngState(
        torch=torch.get_rng_state(),
        numpy=[name, np.asarray(keys).tolist(), int(pos), int(has_gauss), float(cached)],
        python=[version, list(internal), gauss_next],
    )


def restore_rng_state(state: RngState) -> None:
    """Put the global generators back exactly where :func:`capture_rng_state` found them."""
    torch.set_rng_state(state.torch)
    name, keys, pos, has_gauss, cached = state.numpy
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, internal, gauss_next = state.python
    random.setstate((version, tuple(internal), gauss_next))


def has_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds a training checkpoint (it may still fail verification)."""
    return (Path(folder) / CHECKPOINT_JSON).is_file()


def save_checkpoint(
    folder: Path,
    *,
    model_state: Mapping[str, torch.Tensor],
    optimizer_state: Mapping[str, Any],
    scheduler_state: Mapping[str, Any],
    step: int,
    rng_state: RngState,
    config: Mapping[str, Any],
    extra: Mapping[str, Any],
    best_state: Mapping[str, torch.Tensor] | None = None,
) -> None:
    """Write a training checkpoint to ``folder``, replacing the previous one atomically.

    Args:
        folder: the checkpoint folder; it must be empty, absent or an earlier checkpoint.
        model_state: ``module.state_dict()``.
        optimizer_state: ``optimizer.state_dict()``; state values must be tensors or numbers.
        scheduler_state: ``scheduler.state_dict()`` made of plain numbers, lists and None.
        step: optimizer steps taken.
        rng_state: :func:`capture_rng_state` at the moment of saving.
        config: the plain-data training config.
        extra: any JSON-compatible state of the caller (data position, early stopping, history).
        best_state: the best weights so far, if the caller tracks them.
    """
    folder = Path(folder)
    _refuse_foreign_files(folder, _CHECKPOINT_FILES)
    blobs = {
        MODEL_FILE: _tensor_bytes(model_state),
        OPTIMIZER_FILE: _tensor_bytes(_flatten_optimizer_state(optimizer_state)),
        RNG_FILE: _tensor_bytes({"torch": rng_state.torch}),
    }
    if best_state is not None:
        blobs[BEST_FILE] = _tensor_bytes(best_state)
    document = {
        "format_version": FORMAT_VERSION,
        "step": int(step),
        "config": dict(config),
        "scheduler": dict(scheduler_state),
        "optimizer_param_groups": [
            {k: list(v) if isinstance(v, tuple) else v for k, v in group.items()}
            for group in optimizer_state["param_groups"]
        ],
        "rng": {"numpy": rng_state.numpy, "python": rng_state.python},
        "extra": dict(extra),
        "sha256": {name: hashlib.sha256(blob).hexdigest() for name, blob in blobs.items()},
    }
    text = json.dumps(document, indent=1)  # before touching the disk: a bad value fails here
    with atomic_directory(folder) as tmp:
        for name, blob in blobs.items():
            write_bytes_atomic(tmp / name, blob)
        write_text_atomic(tmp / CHECKPOINT_JSON, text)


def load_checkpoint(folder: Path) -> Checkpoint:
    """Read and verify the checkpoint in ``folder``.

    Raises:
        CheckpointError: no checkpoint, invalid JSON, unknown format version, a missing file or key,
            a key of the wrong JSON type, a checksum mismatch or an unparsable safetensors file; the
            message names the file.
    """
    folder = Path(folder)
    document = _read_json(folder / CHECKPOINT_JSON, what="a training checkpoint")
    path = folder / CHECKPOINT_JSON
    expected = {"step": int, "config": dict, "scheduler": dict, "optimizer_param_groups": list, "rng": dict}
    for key, kind in {**expected, "extra": dict, "sha256": dict}.items():
        if key not in document:
            raise CheckpointError(f"{path}: missing key {key!r}; the file is incomplete")
        _expect_json_type(document[key], kind, path, key)
    checksums = document["sha256"]
    for name in (MODEL_FILE, OPTIMIZER_FILE, RNG_FILE):
        if name not in checksums:
            raise CheckpointError(f"{path}: no sha256 recorded for {name}; the file is incomplete")
    unknown = sorted(set(checksums) - (_CHECKPOINT_FILES - {CHECKPOINT_JSON}))
    if unknown:
        raise CheckpointError(f"{path}: sha256 lists unknown files {unknown}")
    rng = document["rng"]
    for key in ("numpy", "python"):
        _expect_json_type(rng.get(key), list, path, f"rng.{key}")
    tensors = {name: _read_tensors(folder / name, checksums[name]) for name in checksums}
    optimizer_state = _unflatten_optimizer_state(
        tensors[OPTIMIZER_FILE], document["optimizer_param_groups"], folder / OPTIMIZER_FILE
    )
    if "torch" not in tensors[RNG_FILE]:
        raise CheckpointError(f"{folder / RNG_FILE}: no 'torch' generator state inside")
    return Checkpoint(
        model_state=tensors[MODEL_FILE],
        optimizer_state=optimizer_state,
        scheduler_state=document["scheduler"],
        step=int(document["step"]),
        rng_state=RngState(torch=tensors[RNG_FILE]["torch"], numpy=rng["numpy"], python=rng["python"]),
        config=document["config"],
        extra=document["extra"],
        best_state=tensors.get(BEST_FILE),
    )


def save_training_state(
    folder: Path,
    *,
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    step: int,
    config: Mapping[str, Any],
    extra: Mapping[str, Any],
    best_state: Mapping[str, torch.Tensor] | None = None,
) -> None:
    """:func:`save_checkpoint` of live training objects and the current global RNG states."""
    save_checkpoint(
        folder,
        model_state=module.state_dict(),
        optimizer_state=optimizer.state_dict(),
        scheduler_state=scheduler.state_dict(),
        step=step,
        rng_state=capture_rng_state(),
        config=config,
        extra=extra,
        best_state=best_state,
    )


def restore_training_state(
    folder: Path,
    *,
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> Checkpoint:
    """Load the checkpoint in ``folder`` into live training objects and the global RNGs.

    Returns:
        The checkpoint, for its step, config, extra and best weights.

    Raises:
        CheckpointError: as :func:`load_checkpoint`, or the state does not fit these objects.
    """
    checkpoint = load_checkpoint(folder)
    try:
        module.load_state_dict(checkpoint.model_state)
        optimizer.load_state_dict(checkpoint.optimizer_state)
        scheduler.load_state_dict(checkpoint.scheduler_state)
    except (RuntimeError, ValueError, KeyError) as err:
        raise CheckpointError(
            f"{folder}: the checkpoint does not fit this module and optimizer ({err})"
        ) from err
    restore_rng_state(checkpoint.rng_state)
    return checkpoint


def save_model(folder: Path, module: nn.Module, config: Mapping[str, Any]) -> None:
    """Write an inference checkpoint: ``model.safetensors`` and ``config.json``, atomically.

    Args:
        folder: the output folder; it must be empty, absent or an earlier model checkpoint of the
            same ``"kind"`` (:func:`check_model_folder`).
        module: the trained module.
        config: the plain-data config that rebuilds ``module`` (JSON-compatible).
    """
    folder = Path(folder)
    check_model_folder(folder, config.get("kind"))
    blob = _tensor_bytes(module.state_dict())
    document = {
        "format_version": FORMAT_VERSION,
        "config": dict(config),
        "sha256": {MODEL_FILE: hashlib.sha256(blob).hexdigest()},
    }
    text = json.dumps(document, indent=1)
    with atomic_directory(folder) as tmp:
        write_bytes_atomic(tmp / MODEL_FILE, blob)
        write_text_atomic(tmp / CONFIG_JSON, text)


def load_model_state(folder: Path, *, kind: str | None = None, what: str = "") -> ModelState:
    """Read and verify an inference checkpoint written by :func:`save_model`.

    With ``kind``, the config's ``"kind"`` must be it; ``what`` names that kind in the error, with
    its article ("an adapter").

    Raises:
        CheckpointError: as :func:`load_checkpoint`, a checkpoint of another kind, or weights that
            hold NaN (a model that diverged, or an edited file: it would forecast and score NaN).
    """
    folder = Path(folder)
    path = folder / CONFIG_JSON
    document = _read_json(path, what="a model checkpoint")
    checksums = document.get("sha256")
    if not isinstance(checksums, dict) or MODEL_FILE not in checksums or "config" not in document:
        raise CheckpointError(f"{path}: expected keys 'config' and 'sha256.{MODEL_FILE}'; it is incomplete")
    config = document["config"]
    _expect_json_type(config, dict, path, "config")
    if kind is not None and config.get("kind") != kind:
        raise CheckpointError(f"{folder}: not {what or repr(kind)} checkpoint (kind {config.get('kind')!r})")
    tensors = _read_tensors(folder / MODEL_FILE, checksums[MODEL_FILE])
    nan = [name for name, t in tensors.items() if t.is_floating_point() and bool(torch.isnan(t).any())]
    if nan:
        raise CheckpointError(
            f"{folder / MODEL_FILE}: {len(nan)} tensor(s) hold NaN ({_some(nan)}); the model "
            "diverged or the file was edited: train it again"
        )
    return ModelState(tensors, config)


def load_weights(module: nn.Module, state_dict: Mapping[str, torch.Tensor], folder: Path) -> None:
    """``module.load_state_dict(state_dict)`` (strict) of the checkpoint in ``folder``.

    Raises:
        CheckpointError: one line naming the tensors missing, unexpected or of another shape than
            the module that the checkpoint's config builds.
    """
    try:
        module.load_state_dict(state_dict)
    except RuntimeError as err:
        wanted = module.state_dict()
        missing = sorted(set(wanted) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(wanted))
        shapes = [
            f"{k} saved {tuple(state_dict[k].shape)}, built {tuple(v.shape)}"
            for k, v in wanted.items()
            if k in state_dict and state_dict[k].shape != v.shape
        ]
        found = [
            f"{len(names)} {what} ({_some(names)})"
            for names, what in (
                (missing, "missing"),
                (unexpected, "unexpected"),
                (shapes, "of another shape"),
            )
            if names
        ]
        raise CheckpointError(
            f"{Path(folder) / MODEL_FILE}: the weights do not fit the model its {CONFIG_JSON} builds: "
            + ("; ".join(found) or str(err))
        ) from err


def model_kind(folder: Path) -> str | None:
    """The ``"kind"`` of a :func:`save_model` checkpoint's config, read without its weights.

    Raises:
        CheckpointError: no readable checkpoint config in ``folder``.
    """
    document = _read_json(Path(folder) / CONFIG_JSON, what="a model checkpoint")
    config = document.get("config")
    return config.get("kind") if isinstance(config, dict) else None


def check_model_folder(folder: Path, kind: str | None) -> None:
    """Raise CheckpointError now if :func:`save_model` of a ``kind`` model to ``folder`` would be
    refused: the folder holds other files, or a readable checkpoint of another kind (saving an
    adapter over the pretrained checkpoint it adapts would lose that checkpoint)."""
    folder = Path(folder)
    _refuse_foreign_files(folder, _MODEL_FILES)
    if not (folder / CONFIG_JSON).is_file():
        return
    try:
        existing = model_kind(folder)
    except CheckpointError:
        return  # a damaged checkpoint: replacing it loses nothing that could be loaded
    if existing != kind:
        raise CheckpointError(
            f"{folder}: holds a checkpoint of kind {existing!r}; saving one of kind {kind!r} would "
            "replace it: give another folder (or delete that one first)"
        )


def check_checkpoint_folder(folder: Path) -> None:
    """Raise CheckpointError now if saving a training checkpoint to ``folder`` would later be refused."""
    _refuse_foreign_files(Path(folder), _CHECKPOINT_FILES)


def _refuse_foreign_files(folder: Path, allowed: frozenset[str]) -> None:
    """Replacing the folder would delete anything else in it: refuse rather than lose a user's files."""
    if not folder.is_dir():
        return
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in allowed)
    if foreign:
        raise CheckpointError(
            f"{folder}: holds files that are not part of a checkpoint {foreign}; "
            "a checkpoint replaces its whole folder, so give it a folder of its own"
        )


def _tensor_bytes(tensors: Mapping[str, torch.Tensor]) -> bytes:
    """Serialise to safetensors; tensors sharing memory (tied weights) are copied, as it requires."""
    seen: set[int] = set()
    plain = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu()
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in seen or not tensor.is_contiguous():
            tensor = tensor.clone(memory_format=torch.contiguous_format)
        seen.add(pointer)
        plain[name] = tensor
    return safetensors.torch.save(plain)


def _read_json(path: Path, *, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"{path}: file missing; {path.parent} is not {what}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read it ({os_error_reason(err)})") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from err
    except UnicodeDecodeError as err:
        raise CheckpointError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    if not isinstance(document, dict):
        raise CheckpointError(f"{path}: expected a JSON object, found {type(document).__name__}")
    version = document.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise CheckpointError(
            f"{path}: unknown format_version {version!r}; this moesaic reads {list(SUPPORTED_VERSIONS)}. "
            "Upgrade moesaic or re-create the checkpoint"
        )
    return document


def _expect_json_type(value: Any, kind: type, path: Path, key: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool):
        names = {dict: "an object", list: "an array", int: "an integer", str: "a string"}
        raise CheckpointError(
            f"{path}: {key!r} is {_json_name(value)}; expected {names.get(kind, kind.__name__)}"
        )


def _json_name(value: Any) -> str:
    """The JSON type of a parsed value, with its article."""
    if value is None:
        return "null"
    kinds = ((bool, "a boolean"), (dict, "an object"), (list, "an array"), (str, "a string"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "a number")


def _some(names: list[str], shown: int = 3) -> str:
    """The first ``shown`` names, and how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _read_tensors(path: Path, sha256: str) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"{path}: file missing; the checkpoint is incomplete")
    try:
        blob = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read it ({os_error_reason(err)})") from err
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise CheckpointError(f"{path}: checksum mismatch, the file was modified or truncated")
    try:
        return safetensors.torch.load(blob)
    except Exception as err:  # SafetensorError is not importable under a stable name
        raise CheckpointError(f"{path}: not a valid safetensors file ({err})") from err


def _flatten_optimizer_state(state: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    flat = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            key = f"state.{index}.{name}"
            if isinstance(value, torch.Tensor):
                flat[key] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                flat[key] = torch.tensor(value)  # numbers come back as 0-d tensors
            else:
                raise TypeError(f"optimizer state {key} is a {type(value).__name__}; expected a tensor")
    return flat


def _unflatten_optimizer_state(
    flat: Mapping[str, torch.Tensor], param_groups: list[dict[str, Any]], path: Path
) -> dict[str, Any]:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        prefix, index, name = [*key.split(".", 2), "", ""][:3]
        if prefix != "state" or not index.isdigit() or not name:
            raise CheckpointError(f"{path}: unexpected tensor name {key!r}; expected state.<index>.<name>")
        state.setdefault(int(index), {})[name] = value
    groups = [
        {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}
        for group in param_groups
    ]
    return {"state": state, "param_groups": groups}
