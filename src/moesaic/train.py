"""The one training loop: any module exposing ``loss(batch)``.

The module owns its loss, so the loop stays thin: AdamW with weight decay on matrices only, linear
warm-up then cosine decay to 10 % of ``lr``, gradient clipping, periodic validation with early
stopping that restores the best weights, and checkpoints from which a run resumes *exactly*: an
interrupted run continued with ``resume=True`` ends with the same weights, bit for bit, as an
uninterrupted one.

Exact resume needs the order of the data to be reproducible. Each epoch gets its own generator
seeded from ``(seed, epoch)``; a checkpoint stores the epoch and how many of its batches were
consumed, and resuming regenerates that epoch and skips them. So ``train_batches`` must draw all of
its randomness from the generator it is given (a callable) or be a sequence that the loop shuffles.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from moesaic.checkpoint import (
    CheckpointError,
    check_checkpoint_folder,
    has_checkpoint,
    restore_training_state,
    save_training_state,
)
from moesaic.config import ConfigError, to_dict
from moesaic.data.batch import Batch

logger = logging.getLogger(__name__)

_MAX_AUTO_THREADS = 8  # small models stop gaining from more threads well before this
_FINAL_LR_FACTOR = 0.1
_INT_FIELDS = ("warmup_steps", "max_steps", "batch_size", "eval_every", "patience", "seed", "num_threads",
               "checkpoint_every", "log_every")  # fmt: skip
_SOURCE_HINT = {True: "a callable (epoch, generator) -> batches", False: "another re-iterable"}
_RESERVED = frozenset({"step", "loss", "lr", "grad_norm", "val_loss", "seconds"})

BatchSource = Callable[[int, torch.Generator], Iterable[Any]] | Iterable[Any]
Callback = Callable[[int, nn.Module, dict[str, float]], None]
Progress = Callable[[int, dict[str, float]], None]


class LossOutput(NamedTuple):
    """What ``module.loss(batch)`` may return instead of a bare scalar."""

    loss: Tensor  # scalar to optimise: task loss plus weighted auxiliary losses
    parts: dict[str, float | Tensor]  # named pieces, for logging only (e.g. "task", "balance")


class TrainResult(NamedTuple):
    """The outcome of :func:`train`; ``history`` holds one record per logged or evaluated step."""

    steps: int
    best_val_loss: float | None
    best_step: int | None
    history: list[dict[str, float]]
    stopped_early: bool
    seconds: float


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of :func:`train`.

    Attributes:
        lr: peak learning rate, reached after warm-up.
        weight_decay: AdamW decoupled weight decay, applied to tensors of 2 or more dimensions.
        warmup_steps: steps of linear warm-up; cosine decay to 10 % of ``lr`` follows.
        max_steps: optimizer steps in total.
        batch_size: read by batch makers; the loop itself treats batches as opaque.
        grad_clip: maximum global gradient norm; None disables clipping.
        eval_every: validate every this many steps (and at the last step).
        patience: stop after this many validations without improvement; None never stops early.
        seed: seeds torch, numpy, python and the per-epoch data generators.
        num_threads: torch CPU threads; None uses the usable cores, at most 8.
        checkpoint_every: save a checkpoint every this many steps (and at the end).
        log_every: log and keep a history record every this many steps.
    """

    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 0
    max_steps: int = 1000
    batch_size: int = 32
    grad_clip: float | None = 1.0
    eval_every: int = 100
    patience: int | None = None
    seed: int = 0
    num_threads: int | None = None
    checkpoint_every: int = 100
    log_every: int = 10

    def __post_init__(self) -> None:
        # YAML may hand over 1.5 or true where an integer belongs: check types before ranges.
        wrong = [n for n in _INT_FIELDS if getattr(self, n) is not None and type(getattr(self, n)) is not int]
        if wrong:
            raise ConfigError([f"`{n}` must be an integer, got {getattr(self, n)!r}" for n in wrong])
        checks = [
            ("lr", self.lr > 0, "> 0"),
            ("weight_decay", self.weight_decay >= 0, ">= 0"),
            ("warmup_steps", 0 <= self.warmup_steps < self.max_steps, f"in [0, max_steps={self.max_steps})"),
            ("max_steps", self.max_steps >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("grad_clip", self.grad_clip is None or self.grad_clip > 0, "> 0 or None"),
            ("eval_every", self.eval_every >= 1, ">= 1"),
            ("patience", self.patience is None or self.patience >= 1, ">= 1 or None"),
            ("seed", self.seed >= 0, ">= 0"),
            ("num_threads", self.num_threads is None or self.num_threads >= 1, ">= 1 or None"),
            ("checkpoint_every", self.checkpoint_every >= 1, ">= 1"),
            ("log_every", self.log_every >= 1, ">= 1"),
        ]
        bad = [f"`{name}` must be {rule}, got {getattr(self, name)}" for name, ok, rule in checks if not ok]
        if bad:
            raise ConfigError(bad)


def lr_factor(step: int, *, warmup_steps: int, max_steps: int) -> float:
    """Multiplier of ``lr`` for the optimizer step after ``step`` steps (0-based).

    Linear warm-up ``(step + 1) / warmup_steps``, then cosine decay from 1 at ``warmup_steps`` to
    0.1 at the last step, ``max_steps - 1``.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - 1 - warmup_steps))
    return _FINAL_LR_FACTOR + (1 - _FINAL_LR_FACTOR) * 0.5 * (1 + math.cos(math.pi * progress))


def resolve_num_threads(requested: int | None) -> int:
    """``requested``, or the cores this process may use (its CPU affinity), capped at 8."""
    if requested is not None:
        return requested
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity API on macOS and Windows
        usable = os.cpu_count() or 1
    return max(1, min(usable, _MAX_AUTO_THREADS))


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The data generator of one epoch, derived from (seed, epoch) so any epoch can be replayed."""
    derived = int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])
    return torch.Generator().manual_seed(derived)


def batch_rows(batch: Any) -> int:
    """How many examples ``batch`` holds: the leading size of its first tensor (1 if it has none).

    Reads a :class:`~moesaic.data.batch.Batch`, a tensor, and a tuple, list or mapping whose items
    include a tensor with at least one dimension.
    """
    if isinstance(batch, Batch):
        return batch.size
    if isinstance(batch, Tensor):
        return int(batch.shape[0]) if batch.ndim else 1
    items = batch.values() if isinstance(batch, Mapping) else batch if isinstance(batch, tuple | list) else ()
    for item in items:
        if isinstance(item, Tensor) and item.ndim:
            return int(item.shape[0])
    return 1


def evaluate(module: nn.Module, batches: Iterable[Any]) -> float:
    """Mean ``module.loss`` per example over ``batches``, in eval mode, without gradients or the global RNG.

    Each batch's loss (a mean over its examples) weighs as many examples as it holds
    (:func:`batch_rows`), so a short last batch counts for no more than its share.
    """
    was_training = module.training
    module.eval()
    total, count = 0.0, 0
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        for batch in batches:
            rows = batch_rows(batch)
            total += float(_loss(module, batch).loss) * rows
            count += rows
    module.train(was_training)
    if count == 0:
        raise ValueError("`val_batches` yielded no batches")
    return total / count


def train(
    module: nn.Module,
    train_batches: BatchSource,
    *,
    config: TrainConfig,
    val_batches: Iterable[Any] | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = True,
    callbacks: Sequence[Callback] = (),
    progress: Progress | None = None,
) -> TrainResult:
    """Train ``module`` by minimising ``module.loss(batch)``.

    Args:
        module: any module with ``loss(batch) -> Tensor | LossOutput``.
        train_batches: ``(epoch, generator) -> iterable of batches``, drawing its randomness from
            ``generator`` only; or a sequence of batches, shuffled each epoch.
        config: optimisation settings.
        val_batches: a re-iterable of validation batches; enables early stopping, and the best
            weights are loaded into ``module`` at the end.
        checkpoint_dir: a folder of its own for the checkpoint, rewritten every
            ``config.checkpoint_every`` steps and at the end.
        resume: continue from the checkpoint in ``checkpoint_dir`` when there is one.
        callbacks: called as ``callback(step, module, record)`` after each step; a callback may
            add numbers to ``record``, which are then logged and kept in the history.
        progress: called as ``progress(step, record)`` after each step (e.g. to advance a bar).

    Raises:
        TypeError: ``module`` has no ``loss`` or the batch sources are one-shot iterators.
        FloatingPointError: a non-finite training or validation loss.
        CheckpointError: the checkpoint to resume from is damaged or does not fit ``module``.
    """
    if not callable(getattr(module, "loss", None)):
        raise TypeError(
            f"`module` must define loss(batch) -> Tensor | LossOutput; {type(module).__name__} has none"
        )
    _check_reiterable(train_batches, "train_batches", allow_callable=True)
    if val_batches is not None:
        _check_reiterable(val_batches, "val_batches", allow_callable=False)
    if checkpoint_dir is not None:
        check_checkpoint_folder(checkpoint_dir)  # fail before training, not at the first checkpoint
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(module).__name__} has no trainable parameters")
    previous_threads = torch.get_num_threads()  # a process-wide setting: put it back afterwards
    torch.set_num_threads(resolve_num_threads(config.num_threads))
    try:
        torch.manual_seed(config.seed)
        np.random.seed(config.seed)
        random.seed(config.seed)
        optimizer = torch.optim.AdamW(
            [
                {"params": [p for p in params if p.ndim >= 2], "weight_decay": config.weight_decay},
                {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},  # biases, norms
            ],
            lr=config.lr,
        )
        schedule = functools.partial(lr_factor, warmup_steps=config.warmup_steps, max_steps=config.max_steps)
        scheduler = LambdaLR(optimizer, schedule)
        folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
        run = _RunState()
        if folder is not None and resume and has_checkpoint(folder):
            run = _resume(folder, module, optimizer, scheduler, config)

        start = time.perf_counter() - run.seconds
        stream = _stream(train_batches, config.seed, run.epoch, run.consumed)
        while run.step < config.max_steps and not run.stopped_early:
            run.epoch, index, batch = next(stream)
            run.consumed, run.step = index + 1, run.step + 1
            module.train()
            optimizer.zero_grad(set_to_none=True)
            out = _loss(module, batch)
            record: dict[str, float] = {"step": run.step, "loss": out.loss.item()}
            if not math.isfinite(record["loss"]):
                raise FloatingPointError(f"training loss is {record['loss']} at step {run.step}; lower `lr`")
            out.loss.backward()
            record |= {k: float(v.detach() if isinstance(v, Tensor) else v) for k, v in out.parts.items()}
            if config.grad_clip is not None:  # the norm logged is the one before clipping
                record["grad_norm"] = float(nn.utils.clip_grad_norm_(params, config.grad_clip))
            record["lr"] = float(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()

            if val_batches is not None and (
                run.step % config.eval_every == 0 or run.step == config.max_steps
            ):
                record["val_loss"] = _validate(module, val_batches, run, config.patience)
            record["seconds"] = time.perf_counter() - start
            for callback in callbacks:
                callback(run.step, module, record)
            finished = run.step >= config.max_steps or run.stopped_early
            if run.step % config.log_every == 0 or "val_loss" in record or finished:
                run.history.append(record)
                _log(record, config.max_steps)
            if progress is not None:
                progress(run.step, record)
            if folder is not None and (run.step % config.checkpoint_every == 0 or finished):
                run.seconds = time.perf_counter() - start
                save_training_state(
                    folder, module=module, optimizer=optimizer, scheduler=scheduler, step=run.step,
                    config=to_dict(config), extra=run.extra(), best_state=run.best_state,
                )  # fmt: skip
    finally:
        torch.set_num_threads(previous_threads)
    if run.stopped_early:
        logger.info(
            "stopped early at step %d; best val loss %.4g at step %s",
            run.step,
            run.best_val_loss,
            run.best_step,
        )
    if run.best_state is not None:
        module.load_state_dict(run.best_state)
    seconds = time.perf_counter() - start
    return TrainResult(run.step, run.best_val_loss, run.best_step, run.history, run.stopped_early, seconds)


@dataclass
class _RunState:
    """Everything besides module, optimizer, scheduler and RNG that a resumed run needs."""

    step: int = 0
    epoch: int = 0
    consumed: int = 0  # batches of `epoch` already used
    best_val_loss: float | None = None
    best_step: int | None = None
    bad_evals: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best_state: dict[str, Tensor] | None = dataclasses.field(default=None, repr=False)

    def extra(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "best_state"}


def _validate(module: nn.Module, val_batches: Iterable[Any], run: _RunState, patience: int | None) -> float:
    """Evaluate and update the early-stopping state in ``run``."""
    val_loss = evaluate(module, val_batches)
    if not math.isfinite(val_loss):
        raise FloatingPointError(f"validation loss is {val_loss} at step {run.step}; lower `lr`")
    if run.best_val_loss is None or val_loss < run.best_val_loss:
        run.best_val_loss, run.best_step, run.bad_evals = val_loss, run.step, 0
        run.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    else:
        run.bad_evals += 1
        run.stopped_early = patience is not None and run.bad_evals >= patience
    return val_loss


def _resume(
    folder: Path, module: nn.Module, optimizer: Optimizer, scheduler: LambdaLR, config: TrainConfig
) -> _RunState:
    checkpoint = restore_training_state(folder, module=module, optimizer=optimizer, scheduler=scheduler)
    changed = sorted(k for k, v in to_dict(config).items() if checkpoint.config.get(k) != v)
    if changed:
        logger.warning(
            "resuming %s with changed settings %s: it will differ from an uninterrupted run", folder, changed
        )
    try:
        run = _RunState(**checkpoint.extra, best_state=checkpoint.best_state)
    except TypeError as err:
        raise CheckpointError(
            f"{folder}: checkpoint.json holds the training state of another version ({err})"
        ) from err
    logger.info("resumed from %s at step %d (epoch %d, batch %d)", folder, run.step, run.epoch, run.consumed)
    return run


def _stream(source: BatchSource, seed: int, epoch: int, skip: int) -> Iterator[tuple[int, int, Any]]:
    """Yield (epoch, index in epoch, batch) forever, starting after ``skip`` batches of ``epoch``."""
    while True:
        generator = epoch_generator(seed, epoch)
        if callable(source):
            batches: Iterable[Any] = source(epoch, generator)
        elif isinstance(source, Sequence):
            batches = (source[i] for i in torch.randperm(len(source), generator=generator).tolist())
        else:
            batches = source
        count = 0
        for index, batch in enumerate(batches):  # skipped batches are still drawn: same generator state
            count = index + 1
            if index >= skip:
                yield epoch, index, batch
        if count == 0:
            raise ValueError(f"`train_batches` yielded no batches for epoch {epoch}")
        if count < skip:
            raise ValueError(
                f"`train_batches` yielded {count} batches for epoch {epoch}, but the checkpoint had "
                f"already consumed {skip}: the training data changed since the checkpoint"
            )
        epoch, skip = epoch + 1, 0


def _loss(module: nn.Module, batch: Any) -> LossOutput:
    value = module.loss(batch)  # type: ignore[operator]  # checked callable at the boundary
    if isinstance(value, LossOutput):
        out = value
    elif isinstance(value, Tensor):
        out = LossOutput(value, {})
    else:
        raise TypeError(
            f"`module.loss(batch)` must return a Tensor or LossOutput, not {type(value).__name__}"
        )
    if out.loss.numel() != 1:
        raise ValueError(f"`module.loss(batch)` must be a scalar, got shape {tuple(out.loss.shape)}")
    clash = sorted(_RESERVED & set(out.parts))
    if clash:
        raise ValueError(f"LossOutput.parts may not use the reserved names {clash}; rename them")
    return out


def _check_reiterable(source: Any, name: str, *, allow_callable: bool) -> None:
    if allow_callable and callable(source):
        return
    if not isinstance(source, Iterable) or iter(source) is source:  # an iterator is empty after one pass
        kind = "a one-shot iterator" if isinstance(source, Iterable) else type(source).__name__
        raise TypeError(f"`{name}` must be a list of batches or {_SOURCE_HINT[allow_callable]}, got {kind}")


def _log(record: dict[str, float], max_steps: int) -> None:
    shown = " ".join(f"{k} {v:.4g}" for k, v in record.items() if k not in {"step", "loss", "seconds"})
    logger.info("step %d/%d loss %.4g %s", record["step"], max_steps, record["loss"], shown)
