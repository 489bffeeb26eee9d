"""A small trained text model for failure modes: the project's text encoder plus a linear head.

The second system beside the n-gram classifier of :mod:`moesaic.text.failure_modes`: the
observation is cleaned and stemmed, tokenised by :class:`~moesaic.data.tokenizer.TextTokenizer`
(frequent words plus hashed buckets for the rest), embedded by
:class:`~moesaic.encoders.text.TextEncoder`, mean-pooled over its real tokens and classified by
one linear layer, trained with AdamW and cross-entropy on one CPU thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.data.tokenizer import TextTokenizer
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.text import TextEncoder
from moesaic.eval.meters import torch_threads
from moesaic.text.failure_modes import NotFittedError
from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NeuralFmcConfig:
    """Size and training of the neural failure-mode classifier.

    Attributes:
        dim: D, the embedding width.
        max_length: L, words kept per observation.
        epochs: passes over the training texts.
        batch_size: texts per step.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        seed: seeds the initialisation and the shuffling.
    """

    dim: int = 64
    max_length: int = 12
    epochs: int = 60
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-2
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("dim", "max_length", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")


class _Model(nn.Module):
    def __init__(self, config: EncoderConfig, num_classes: int) -> None:
        super().__init__()
        self.encoder = TextEncoder(config)
        self.head = nn.Linear(config.dim, num_classes)

    def forward(self, ids: Tensor) -> Tensor:
        """ids: (B, L) int64 -> logits (B, num_classes)."""
        tokens = self.encoder(Batch(text_ids=ids))
        mask = tokens.mask.unsqueeze(-1).to(tokens.x.dtype)  # (B, L, 1)
        pooled = (tokens.x * mask).sum(1) / mask.sum(1).clamp_min(1.0)  # (B, D)
        return self.head(pooled)


class NeuralFailureModeClassifier:
    """Fit on labelled observations, predict a failure-mode class per text."""

    def __init__(self, config: NeuralFmcConfig | None = None) -> None:
        self.config = config or NeuralFmcConfig()

    def _prepare(self, texts: Sequence[str]) -> Tensor:
        cleaned = [stem_words(self.cleaner_.clean(t)) for t in texts]
        return self.tokenizer_.encode(cleaned, self.config.max_length)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NeuralFailureModeClassifier:
        """Train the encoder and head from scratch; returns ``self``."""
        if isinstance(texts, str) or len(texts) != len(labels) or len(set(labels)) < 2:
            raise ValueError(
                f"need as many texts as labels and at least 2 classes, got {len(texts)} texts, "
                f"{len(labels)} labels, {len(set(labels))} classes"
            )
        cfg = self.config
        self.cleaner_ = ObservationCleaner(vocabulary=build_vocabulary(texts))
        self.tokenizer_ = TextTokenizer(num_buckets=256).fit(
            stem_words(self.cleaner_.clean(t)) for t in texts
        )
        self.classes_ = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes_)}
        generator = torch.Generator().manual_seed(cfg.seed)
        with torch_threads(1):
            torch.manual_seed(cfg.seed)
            encoder = EncoderConfig(
                dim=cfg.dim, vocab_size=self.tokenizer_.vocab_size, max_text_length=cfg.max_length
            )
            self.model_ = _Model(encoder, len(self.classes_))
            ids = self._prepare(texts)  # (N, L)
            y = torch.tensor([index[label] for label in labels])  # (N,)
            optimiser = torch.optim.AdamW(self.model_.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            self.model_.train()
            for epoch in range(cfg.epochs):
                order = torch.randperm(len(y), generator=generator)
                total = 0.0
                for start in range(0, len(y), cfg.batch_size):
                    batch = order[start : start + cfg.batch_size]
                    loss = nn.functional.cross_entropy(self.model_(ids[batch]), y[batch])
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(batch)
                if epoch % 20 == 0 or epoch == cfg.epochs - 1:
                    logger.info("neural fmc epoch %d: loss %.4f", epoch, total / len(y))
        self.model_.eval()
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The predicted class of each text."""
        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        if not texts:
            return []
        with torch.no_grad(), torch_threads(1):
            logits = self.model_(self._prepare(texts))
        return [self.classes_[int(i)] for i in logits.argmax(dim=-1)]

    def num_parameters(self) -> int:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        return sum(p.numel() for p in self.model_.parameters())
