"""Contrastive series-text alignment (CLIP): two sparse towers projected into one space.

The series tower is a :class:`moesaic.model.Backbone` over the time-series modality only (patch
tokens with RevIN, attention + sparse MoE blocks); the text tower is another over the text
modality (ids of the project's :class:`TextTokenizer`). Each pooled vector (for the series, mean
and max over the tokens) is linearly projected and L2-normalised; the loss is the symmetric
InfoNCE of Radford et al. (2021) with a learned temperature. Captions that repeat inside a batch
(two normal windows, two windows of the same fault) are all positives of each other: their target
mass is shared instead of calling identical texts negatives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.model import Backbone, BackboneOutput, ModelConfig
from moesaic.moe import MoEConfig
from moesaic.train import LossOutput

_MAX_LOGIT_SCALE = 100.0  # CLIP's clamp: beyond it the softmax saturates and training stalls


@dataclass(frozen=True)
class CLIPConfig:
    """Both towers and the shared space.

    Attributes:
        dim: D, width of both towers.
        embed_dim: width of the shared space.
        length: T, steps of every series window.
        channels: C, channels of every series window.
        patch_len: steps per series token (T must be a multiple).
        vocab_size: text ids are in [0, vocab_size): ``TextTokenizer.vocab_size``.
        max_text_length: L, ids per caption.
        series_layers: blocks of the series tower.
        text_layers: blocks of the text tower.
        num_experts: E of every MoE layer.
        top_k: K of every MoE layer.
        temperature: initial softmax temperature (learned afterwards).
    """

    dim: int = 64
    embed_dim: int = 64
    length: int = 32
    channels: int = 52
    patch_len: int = 16
    vocab_size: int = 512
    max_text_length: int = 32
    series_layers: int = 2
    text_layers: int = 1
    num_experts: int = 4
    top_k: int = 2
    temperature: float = 0.07

    def __post_init__(self) -> None:
        problems = []
        for name in ("dim", "embed_dim", "length", "channels", "patch_len", "vocab_size", "max_text_length",
                     "series_layers", "text_layers"):  # fmt: skip
            if getattr(self, name) < 1:
                problems.append(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if self.patch_len >= 1 and self.length % self.patch_len:
            problems.append(f"`length` must be a multiple of patch_len={self.patch_len}, got {self.length}")
        if not 0.0 < self.temperature < 1.0:
            problems.append(f"`temperature` must be in (0, 1), got {self.temperature}")
        if problems:
            raise ConfigError(problems)
        MoEConfig(num_experts=self.num_experts, top_k=self.top_k)  # raises on a bad E or K

    def tower(self, modality: str) -> ModelConfig:
        """The backbone configuration of one tower ("timeseries" or "text")."""
        encoders = EncoderConfig(
            dim=self.dim, modalities=(modality,), patch_len=self.patch_len,
            max_patches=self.length // self.patch_len, max_channels=self.channels,
            vocab_size=self.vocab_size, max_text_length=self.max_text_length,
        )  # fmt: skip
        layers = self.series_layers if modality == "timeseries" else self.text_layers
        moe = MoEConfig(num_experts=self.num_experts, top_k=self.top_k, expert_hidden=2 * self.dim)
        return ModelConfig(
            encoders=encoders, moe=moe, num_layers=layers, num_heads=4 if self.dim % 4 == 0 else 1
        )


class SeriesTextCLIP(nn.Module):
    """Series tower + text tower + projections + learned temperature.

    ``loss(batch)`` needs ``batch.series`` (B, T, C), ``batch.text_ids`` (B, L) and
    ``batch.targets["caption"]`` (B,) int64, equal for identical captions.
    """

    def __init__(self, config: CLIPConfig) -> None:
        super().__init__()
        self.config = config
        self.series_tower = Backbone(config.tower("timeseries"))
        self.text_tower = Backbone(config.tower("text"))
        # Mean and max of the series tokens: an event hits one channel of many, which the mean alone dilutes.
        self.series_proj = nn.Linear(2 * config.dim, config.embed_dim, bias=False)
        self.text_proj = nn.Linear(config.dim, config.embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.temperature)))

    def embed_series(self, series: Tensor) -> Tensor:
        """(B, T, C) windows -> (B, embed_dim) unit vectors."""
        expected = (self.config.length, self.config.channels)
        if series.ndim != 3 or tuple(series.shape[1:]) != expected:
            raise ValueError(
                f"`series` must have shape (batch, {expected[0]}, {expected[1]}), got {tuple(series.shape)}"
            )
        return F.normalize(self.series_proj(_mean_max(self.series_tower(Batch(series=series)))), dim=-1)

    def embed_text(self, text_ids: Tensor) -> Tensor:
        """(B, L) token ids -> (B, embed_dim) unit vectors."""
        return F.normalize(self.text_proj(self.text_tower(Batch(text_ids=text_ids)).pooled), dim=-1)

    def loss(self, batch: Batch) -> LossOutput:
        if batch.series is None or batch.text_ids is None or "caption" not in batch.targets:
            raise ValueError("a CLIP batch needs `series`, `text_ids` and targets['caption']")
        series_out = self.series_tower(batch.without("text"))
        text_out = self.text_tower(batch.without("timeseries"))
        s = F.normalize(self.series_proj(_mean_max(series_out)), dim=-1)  # (B, E)
        t = F.normalize(self.text_proj(text_out.pooled), dim=-1)  # (B, E)
        scale = self.logit_scale.clamp(max=math.log(_MAX_LOGIT_SCALE)).exp()
        logits = scale * s @ t.T  # (B, B): series i against caption j
        same = batch.targets["caption"][:, None] == batch.targets["caption"][None, :]
        target = same.float() / same.sum(dim=1, keepdim=True)  # symmetric, so it serves both ways
        contrastive = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
        aux = self.series_tower.aux_loss(series_out.aux_losses) + self.text_tower.aux_loss(
            text_out.aux_losses
        )
        return LossOutput(contrastive + aux, {"contrastive": contrastive.detach(), "scale": scale.detach()})

    def active_parameter_fraction(self, name: str) -> float:
        """K / E for routed experts of either tower, 1 otherwise."""
        tower, _, rest = name.partition(".")
        if tower in ("series_tower", "text_tower"):
            return float(getattr(self, tower).active_parameter_fraction(rest))
        return 1.0


def _mean_max(out: BackboneOutput) -> Tensor:
    """(B, 2 D): the backbone's masked mean, then the max over its real tokens."""
    masked = out.tokens.masked_fill(~out.mask[..., None], float("-inf"))
    top = masked.max(dim=1).values  # (B, D)
    top = torch.where(torch.isfinite(top), top, torch.zeros((), dtype=top.dtype))  # no real token: 0
    return torch.cat([out.pooled, top], dim=-1)


def pair_batches(
    series: Tensor,
    text_ids: Tensor,
    caption: Tensor,
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
) -> list[Batch]:
    """Batches of (window, caption) pairs, shuffled when a generator is given.

    Args:
        series: (S, T, C) windows.
        text_ids: (S, L) caption ids of each window.
        caption: (S,) int64, equal for identical captions.
        batch_size: pairs per batch; the last batch may be smaller (none is dropped).
        generator: shuffles the pairs; None keeps their order.
    """
    if not series.shape[0] == text_ids.shape[0] == caption.shape[0]:
        raise ValueError(
            f"`series`, `text_ids` and `caption` must hold the same number of pairs, got "
            f"{series.shape[0]}, {text_ids.shape[0]} and {caption.shape[0]}"
        )
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}")
    S = series.shape[0]
    order = torch.randperm(S, generator=generator) if generator is not None else torch.arange(S)
    return [
        Batch(series=series[i], text_ids=text_ids[i], targets={"caption": caption[i]})
        for i in order.split(batch_size)
    ]


def caption_keys(captions: Sequence[str]) -> Tensor:
    """(S,) int64 ids, equal exactly for equal captions (first-seen order)."""
    index: dict[str, int] = {}
    return torch.tensor([index.setdefault(c, len(index)) for c in captions], dtype=torch.long)


@torch.no_grad()
def embed_in_chunks(model: SeriesTextCLIP, series: Tensor, *, chunk: int = 256) -> Tensor:
    """(S, T, C) -> (S, embed_dim) series embeddings, computed in eval mode in chunks."""
    was_training = model.training
    model.eval()
    out = torch.cat([model.embed_series(part) for part in series.split(chunk)])
    model.train(was_training)
    return out


def recall_at_k(similarity: np.ndarray, k: int) -> float:
    """Share of queries whose own item ranks in the top ``k``.

    Args:
        similarity: (Q, Q) scores of query i against item j; item i is query i's match.
        k: the rank cut-off.

    Ties count against the query: its item must beat every other item, not just equal it.
    """
    if similarity.ndim != 2 or similarity.shape[0] != similarity.shape[1]:
        raise ValueError(f"`similarity` must be square (queries, items), got shape {similarity.shape}")
    if k < 1:
        raise ValueError(f"`k` must be >= 1, got {k}")
    own = np.diag(similarity)[:, None]
    rank = (similarity >= own).sum(axis=1)  # 1 when the own item is strictly best
    return float((rank <= k).mean())
