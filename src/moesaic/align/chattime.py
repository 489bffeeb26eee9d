"""ChatTime (Wang et al., AAAI 2025): a language model trained to forecast with new value tokens.

Each window is min-max scaled so its history spans [-0.5, 0.5], the values are cut into
``num_bins`` uniform bins over [-1, 1], and each bin is a new token ``###<centre>###`` added to the
vocabulary (:class:`ValueVocabulary`): its embedding is a new, trainable row of the (tied)
embedding matrix. The new rows and LoRA on the first ``num_layers`` decoder layers are trained to
continue the history's tokens with the target's, after a short instruction; forecasting decodes
value tokens greedily (only the value tokens are candidates) and maps them back to bin centres.
The zero-shot text forecasters beside it are in :mod:`moesaic.align.series_text`.

Axes: W windows, B batch, L context length, H horizon, T tokens, V vocabulary, K value bins,
D LM width.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.adapt.lora import LoRAConfig, apply_lora
from moesaic.align.llama import LORA_TARGETS, LlamaStack, generate
from moesaic.align.serialisation import check_contexts
from moesaic.align.trained_state import load_trained_tensors, read_trained, save_trained
from moesaic.checkpoint import CheckpointError
from moesaic.config import ConfigError, from_dict
from moesaic.text.language_model import LanguageModel
from moesaic.train import LossOutput


@dataclass(frozen=True)
class ChatTimeConfig:
    """ChatTime's value tokens and what is trained (new embeddings + LoRA on the first layers).

    Attributes:
        context_length: L.
        horizon: H.
        num_bins: K value tokens over [-1, 1] (ChatTime uses about 10,000).
        num_layers: decoder layers kept.
        lora_rank: rank of LoRA on the query and value projections.
        lora_alpha: LoRA scale numerator.
        instruction: the text before the history's value tokens.
        response: the text between the history and the forecast.
    """

    context_length: int = 96
    horizon: int = 24
    num_bins: int = 256
    num_layers: int = 6
    lora_rank: int = 8
    lora_alpha: float = 16.0
    instruction: str = "### Instruction: Predict the next values of the series.\n### Input: "
    response: str = "\n### Response: "

    def __post_init__(self) -> None:
        problems = [
            f"`{n}` must be >= 1, got {getattr(self, n)}"
            for n in ("context_length", "horizon", "num_layers", "lora_rank")
            if getattr(self, n) < 1
        ]
        if self.num_bins < 2:
            problems.append(f"`num_bins` must be >= 2, got {self.num_bins}")
        if problems:
            raise ConfigError(problems)


class MinMaxScaling(NamedTuple):
    """``scaled = (x - centre) / span`` per window; ``centre`` and ``span`` are (W, 1)."""

    centre: np.ndarray
    span: np.ndarray

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.centre) / self.span

    def invert(self, scaled: np.ndarray) -> np.ndarray:
        return np.asarray(scaled, dtype=np.float64) * self.span + self.centre


class ValueVocabulary:
    """K uniform bins over [-1, 1], each one token ``###<centre>###``; histories span [-0.5, 0.5]."""

    def __init__(self, num_bins: int) -> None:
        self.num_bins = num_bins
        self.centres = -1.0 + (np.arange(num_bins) + 0.5) * (2.0 / num_bins)  # (K,)
        self.tokens = [f"###{c:.4f}###" for c in self.centres]
        self._by_token = {t: i for i, t in enumerate(self.tokens)}

    @staticmethod
    def fit_scaling(history: np.ndarray) -> MinMaxScaling:
        """Min-max scaling of each context (W, L) onto [-0.5, 0.5]; a constant one gets range 1."""
        history = np.asarray(history, dtype=np.float64)
        low, high = history.min(-1, keepdims=True), history.max(-1, keepdims=True)
        span = np.where(high - low > 1e-8, high - low, 1.0)
        return MinMaxScaling((low + high) / 2, span)

    def to_bins(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled values -> bin indices in [0, K); values beyond [-1, 1] fall into the edge bins."""
        index = np.floor((np.asarray(scaled, dtype=np.float64) + 1.0) / 2.0 * self.num_bins)
        return np.clip(index, 0, self.num_bins - 1).astype(np.int64)

    def to_values(self, bins: np.ndarray) -> np.ndarray:
        """Bin indices -> their centres."""
        return self.centres[np.asarray(bins)]

    def to_text(self, bins: np.ndarray) -> str:
        return "".join(self.tokens[int(b)] for b in bins)

    def from_tokens(self, tokens: list[str]) -> np.ndarray:
        """Token strings -> bin indices; a string that is not a value token is a ValueError."""
        unknown = [t for t in tokens if t not in self._by_token]
        if unknown:
            raise ValueError(f"not value tokens: {unknown[:5]}")
        return np.array([self._by_token[t] for t in tokens], dtype=np.int64)


def extend_tokenizer(tokenizer: Any, vocabulary: ValueVocabulary, base_size: int) -> Any:
    """A copy of ``tokenizer`` with the value tokens added as ids ``base_size .. base_size + K - 1``.

    Raises:
        ValueError: the tokenizer's size differs from ``base_size`` (the embedding rows), so the
            new ids would not follow the existing embeddings.
    """
    if len(tokenizer) != base_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but the embedding has {base_size} rows")
    extended = copy.deepcopy(tokenizer)
    extended.add_tokens(vocabulary.tokens)
    assert extended.convert_tokens_to_ids(vocabulary.tokens[-1]) == base_size + vocabulary.num_bins - 1
    return extended


class TokenBatch(NamedTuple):
    """Bin indices of windows: ``history`` (B, L) and ``target`` (B, H), int64."""

    history: Tensor
    target: Tensor


class ChatTime(nn.Module):
    """The language model with K value tokens appended to its tied embedding, and LoRA."""

    kind = "chattime"
    instruction: Tensor  # (1, T) ids of the instruction text (buffer)
    response: Tensor  # (1, T) ids of the response marker (buffer)

    def __init__(self, config: ChatTimeConfig, lm: LanguageModel) -> None:
        super().__init__()
        self.config = config
        self.vocabulary = ValueVocabulary(config.num_bins)
        self.words = lm.model.get_input_embeddings()  # shared, frozen (V, D)
        V, D = self.words.weight.shape
        self.base_size = V
        with torch.no_grad():  # new rows start near the old ones, as transformers' resizing does
            mean, std = self.words.weight.mean(0), self.words.weight.std(0)
            self.values = nn.Parameter(mean + std * torch.randn(config.num_bins, D) * 0.1)  # (K, D)
        self.stack = LlamaStack.from_causal_lm(lm.model, config.num_layers)
        apply_lora(
            self.stack, LoRAConfig(rank=config.lora_rank, alpha=config.lora_alpha, targets=LORA_TARGETS)
        )
        tokenize = lm.tokenizer
        self.register_buffer("instruction", _ids(tokenize, config.instruction), persistent=False)
        self.register_buffer("response", _ids(tokenize, config.response), persistent=False)

    def embed(self, ids: Tensor) -> Tensor:
        """(B, T) ids of the extended vocabulary [0, V + K) -> (B, T, D)."""
        is_value = ids >= self.base_size
        words = self.words(ids.clamp(max=self.base_size - 1))
        values = self.values[(ids - self.base_size).clamp(min=0)]
        return torch.where(is_value[..., None], values, words)

    def prompt(self, history: Tensor) -> Tensor:
        """(B, L) history bins -> (B, T) ids: instruction, value tokens, response marker."""
        B = history.shape[0]
        return torch.cat(
            [self.instruction.expand(B, -1), history + self.base_size, self.response.expand(B, -1)], dim=1
        )

    def loss(self, batch: TokenBatch) -> LossOutput:
        """Cross-entropy of each target value token given the prompt and the targets before it."""
        H = batch.target.shape[1]
        ids = torch.cat([self.prompt(batch.history), batch.target[:, :-1] + self.base_size], dim=1)
        hidden = self.stack(self.embed(ids))[:, -H:]  # (B, H, D): the positions that predict targets
        logits = hidden @ self.values.T  # (B, H, K)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.target.reshape(-1))
        return LossOutput(loss, {"cross_entropy": loss.detach()})

    @torch.inference_mode()
    def forecast_bins(self, history: Tensor, horizon: int) -> Tensor:
        """(B, L) history bins -> (B, H) greedily decoded bins."""
        self.eval()
        prompts = [row.tolist() for row in self.prompt(history)]
        candidates = torch.arange(self.config.num_bins) + self.base_size
        tokens = generate(
            self.stack, self.embed, self.values, prompts, candidates=candidates, max_new_tokens=horizon,
            finished=lambda t: torch.full((t.shape[0],), t.shape[1] >= horizon),
        )  # fmt: skip
        return tokens - self.base_size

    def predict(self, contexts: np.ndarray, *, batch_size: int = 32) -> np.ndarray:
        """(W, L) contexts -> (W, H) forecasts on the same scale."""
        contexts = check_contexts(contexts)
        scaling = self.vocabulary.fit_scaling(contexts)
        bins = torch.from_numpy(self.vocabulary.to_bins(scaling.apply(contexts)))
        out = torch.cat([self.forecast_bins(part, self.config.horizon) for part in bins.split(batch_size)])
        return scaling.invert(self.vocabulary.to_values(out.numpy()))

    def token_batch(self, context: np.ndarray, target: np.ndarray) -> TokenBatch:
        """Windows (B, L) and (B, H) -> their bins, each window scaled by its own history."""
        scaling = self.vocabulary.fit_scaling(context)
        return TokenBatch(
            torch.from_numpy(self.vocabulary.to_bins(scaling.apply(context))),
            torch.from_numpy(self.vocabulary.to_bins(scaling.apply(target))),
        )


def _ids(tokenizer: Any, text: str) -> Tensor:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"the text {text!r} has no tokens")
    return torch.tensor(ids, dtype=torch.long)[None]  # (1, T)


def save_chattime(folder: Path, model: ChatTime) -> None:
    """The new embeddings and LoRA tensors (safetensors) with the config (JSON)."""
    save_trained(folder, model, kind=ChatTime.kind, config=model.config)


def load_chattime(folder: Path, lm: LanguageModel) -> ChatTime:
    """Rebuild a :class:`ChatTime` saved by :func:`save_chattime` on the same language model."""
    saved = read_trained(Path(folder))
    if saved.kind != ChatTime.kind:
        raise CheckpointError(f"{folder}: holds a {saved.kind!r} model, not {ChatTime.kind!r}")
    try:
        config = from_dict(ChatTimeConfig, saved.settings)
    except ConfigError as err:
        raise CheckpointError(f"{folder}: cannot read the ChatTime settings ({err})") from err
    model = ChatTime(config, lm)
    load_trained_tensors(model, saved.tensors, Path(folder))
    return model.eval()
