"""A small trained text model for failure modes: the project's text encoder plus a linear head.

The second system beside the n-gram classifier of :mod:`moesaic.text.failure_modes`: the
observation is cleaned and stemmed, tokenised by :class:`~moesaic.data.tokenizer.TextTokenizer`
(frequent words plus hashed buckets for the rest), embedded by
:class:`~moesaic.encoders.text.TextEncoder`, mean-pooled over its real tokens and classified by
one linear layer, trained with AdamW and cross-entropy on one CPU thread.

It also holds :class:`PretrainedTextFeatures`, the frozen pretrained sentence features (MiniLM,
the first layers of SmolLM2) that the n-gram classifier appends to its TF-IDF blocks when its
config names them; both encoders come from the optional ``language`` extra.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.data.tokenizer import TextTokenizer
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.text import TextEncoder
from moesaic.eval.meters import torch_threads
from moesaic.text.failure_modes import ENCODERS, NotFittedError
from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words

if TYPE_CHECKING:
    from moesaic.knowledge.embed import MiniLMEmbedder

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


# --- Frozen pretrained sentence features, appended to the n-grams of the linear classifier ---

_FEATURE_CACHE: dict[tuple[str, str], np.ndarray] = {}  # (encoder key, text) -> (F,) frozen features
_CACHE_LIMIT = 200_000  # texts kept per process (at 576 floats: 460 MB at most)


def clear_feature_cache() -> None:
    """Forget the cached frozen features (so that a timed fit or prediction pays for them)."""
    _FEATURE_CACHE.clear()


def encoder_available(name: str) -> bool:
    """Whether the optional packages of encoder ``name`` are installed (nothing is loaded)."""
    if name == "minilm":
        from moesaic.knowledge.embed import minilm_available

        return minilm_available()
    if name == "smollm2":
        from moesaic.text.language_model import language_model_available

        return language_model_available()
    raise ValueError(f"unknown encoder {name!r}; choose from {ENCODERS}")


def available_encoders(wanted: Sequence[str] = ENCODERS) -> tuple[str, ...]:
    """The encoders of ``wanted`` that are installed; each missing one is logged with its extra."""
    found = tuple(name for name in wanted if encoder_available(name))
    for name in wanted:
        if name not in found:
            logger.warning(
                "failure-mode features: encoder %r is not installed (the `language` extra); "
                "the classifier uses the other features only",
                name,
            )
    return found


class _StopForward(Exception):
    """Raised by a forward hook once the wanted layer has run: the layers above it are skipped."""


class PretrainedTextFeatures:
    """Frozen sentence features of short texts, as a scikit-learn transformer.

    ``minilm`` is the all-MiniLM-L6-v2 sentence embedding (mean-pooled, unit norm);
    ``smollm2`` is the hidden state of SmolLM2-135M-Instruct after its first ``lm_layers``
    layers (the layers above are never run, as GPT4TS uses the first layers of GPT-2),
    mean-pooled over the real tokens, standardised with the training texts' mean and standard
    deviation (a few dimensions of a causal LM have huge activations that would drown the rest),
    then of unit norm. Each block is multiplied by ``weight`` and the blocks are concatenated.

    Args:
        encoders: names from :data:`ENCODERS`, at least one.
        weight: scale of every block relative to the unit-norm TF-IDF blocks, > 0.
        lm_layers: how many SmolLM2 layers run, in [1, 30].

    Raises:
        ImportError: (at ``fit``) an encoder's optional packages are missing, with the command.
    """

    def __init__(self, encoders: Sequence[str], weight: float = 1.0, lm_layers: int = 6) -> None:
        if not encoders or any(e not in ENCODERS for e in encoders):
            raise ValueError(f"`encoders` must be a non-empty subset of {ENCODERS}, got {tuple(encoders)}")
        if not weight > 0:
            raise ValueError(f"`weight` must be > 0, got {weight}")
        if not 1 <= lm_layers <= 30:
            raise ValueError(f"`lm_layers` must be in [1, 30], got {lm_layers}")
        self.encoders = tuple(encoders)
        self.weight = weight
        self.lm_layers = lm_layers

    def _key(self, encoder: str) -> str:
        return f"smollm2-l{self.lm_layers}" if encoder == "smollm2" else encoder

    def _raw(self, encoder: str, texts: Sequence[str]) -> np.ndarray:
        """(N, F) features of one encoder; texts seen before come from the process-wide cache."""
        key = self._key(encoder)
        todo = sorted({t for t in texts if (key, t) not in _FEATURE_CACHE})
        fresh: dict[str, np.ndarray] = {}
        if todo:
            computed = _minilm(todo) if encoder == "minilm" else _smollm2(todo, self.lm_layers)
            fresh = dict(zip(todo, computed, strict=True))
        out = np.stack([fresh[t] if t in fresh else _FEATURE_CACHE[(key, t)] for t in texts])
        if len(_FEATURE_CACHE) + len(fresh) > _CACHE_LIMIT:
            _FEATURE_CACHE.clear()
        _FEATURE_CACHE.update({(key, t): v for t, v in fresh.items()})
        return out

    def fit(self, texts: Sequence[str], labels: Sequence[str] | None = None) -> PretrainedTextFeatures:
        """Compute the training texts' features and the standardisation of the SmolLM2 block."""
        del labels  # the features are frozen: labels are not used
        self.scale_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if "smollm2" in self.encoders:
            raw = self._raw("smollm2", list(texts))
            self.scale_["smollm2"] = (raw.mean(0), raw.std(0) + 1e-6)
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """(N, F) float32: the weighted blocks side by side."""
        if not hasattr(self, "scale_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        blocks = []
        for encoder in self.encoders:
            block = self._raw(encoder, list(texts))
            if encoder in self.scale_:
                mean, std = self.scale_[encoder]
                block = (block - mean) / std
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            blocks.append(self.weight * block / np.maximum(norms, 1e-12))
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def fit_transform(self, texts: Sequence[str], labels: Sequence[str] | None = None) -> np.ndarray:
        return self.fit(texts, labels).transform(texts)

    def get_params(self, deep: bool = True) -> dict[str, object]:
        del deep
        return {"encoders": self.encoders, "weight": self.weight, "lm_layers": self.lm_layers}

    def num_parameters(self) -> int:
        """Frozen encoder parameters that run (SmolLM2: its embeddings and first ``lm_layers``)."""
        total = 0
        if "minilm" in self.encoders:
            total += sum(p.numel() for p in _minilm_embedder()._model.parameters())  # the SentenceTransformer
        if "smollm2" in self.encoders:
            from moesaic.text.language_model import load_language_model

            body = load_language_model().model.model
            used = [body.embed_tokens, *body.layers[: self.lm_layers]]
            total += sum(p.numel() for m in used for p in m.parameters())
        return total


@functools.lru_cache(maxsize=1)
def _minilm_embedder() -> MiniLMEmbedder:
    from moesaic.knowledge.embed import MiniLMEmbedder

    return MiniLMEmbedder()  # loaded once per process


def _minilm(texts: Sequence[str]) -> np.ndarray:
    """(N, 384) unit-norm MiniLM sentence embeddings."""
    with torch_threads(1):
        return _minilm_embedder().embed(list(texts))


def _smollm2(texts: Sequence[str], layers: int, batch_size: int = 32) -> np.ndarray:
    """(N, 576) SmolLM2 hidden states after ``layers`` layers, mean-pooled over real tokens."""
    from moesaic.text.language_model import load_language_model

    lm = load_language_model()
    body = lm.model.model
    captured: list[Tensor] = []

    def keep(module: nn.Module, args: object, output: Tensor | tuple[Tensor, ...]) -> None:
        captured.append(output[0] if isinstance(output, tuple) else output)
        raise _StopForward

    out = []
    handle = body.layers[layers - 1].register_forward_hook(keep)
    try:
        with torch.no_grad(), torch_threads(1):
            for start in range(0, len(texts), batch_size):
                enc = lm.tokenizer(list(texts[start : start + batch_size]), return_tensors="pt", padding=True)
                captured.clear()
                with contextlib.suppress(_StopForward):  # the layers above `layers` never run
                    body(**enc, use_cache=False)
                mask = enc["attention_mask"].unsqueeze(-1).to(captured[0].dtype)  # (B, L, 1)
                out.append(((captured[0] * mask).sum(1) / mask.sum(1).clamp_min(1.0)).numpy())  # (B, D)
    finally:
        handle.remove()
    return np.concatenate(out).astype(np.float32)
