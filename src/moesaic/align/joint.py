"""Joint series-text encoding (VisualBERT): one transformer over series and caption tokens together.

Li et al. (2019) feed image regions and words to a single BERT; here the series patch tokens of the
project's :class:`~moesaic.encoders.PatchEncoder` (RevIN, channel and patch-position embeddings) and
the caption tokens of its :class:`~moesaic.encoders.TextEncoder` (word and position embeddings) form
one sequence, after a learned [CLS] token, each token plus a learned segment (modality) embedding.
Every token of a channel also carries the mean embedding of the words of the channel's name (the
caption word table, shared), so that a caption word can find the channel it names by content.
Blocks are the backbone's own attention + sparse MoE blocks, so every token attends to both
modalities from the first layer.

Three objectives, on every batch:

- series-text matching: the [CLS] state says whether the caption describes the window (binary
  cross-entropy). Each window is paired with its own caption and with one negative: with
  probability ``hard_share`` a *hard* negative, its caption with one attribute changed (the kind
  of an event, its channel, or an event added or removed), otherwise another caption of the batch;
- masked language modelling of the caption given the series: each caption hides k of its n words,
  k uniform in [1, n] (as the conditional masked LM of Ghazvininejad et al. 2019), so that a fully
  masked caption, which the captioner of :mod:`moesaic.align.bootstrap` decodes, is a training input.
  Masked words become the reserved id ``vocab_size`` (no 80/10/10 replacement);
- the caption's length in words from the window alone (the series-only [CLS]), which the
  captioner needs to compare captions of different lengths (the length prediction of a CMLM).

Scoring is the cost of this design: a window and a caption meet only inside the network, so ranking
Q captions against W windows takes Q x W forward passes, where CLIP embeds each side once.

The training pairs (hard negatives, masked captions, batches) are made in
:mod:`moesaic.align.joint_pairs`; the names the callers use are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.align.joint_pairs import (
    IGNORE,
    PairSet,
    concat_pair_sets,
    joint_batches,
    make_pair_set,
    mask_words,
    perturb,
    trim,
)
from moesaic.checkpoint import load_model_state, save_model
from moesaic.config import ConfigError, to_dict
from moesaic.data.batch import Batch
from moesaic.encoders import MODALITY_IDS, TextEncoder, Tokens, encode, make_encoders
from moesaic.encoders.config import EncoderConfig
from moesaic.model import Block, ModelConfig
from moesaic.moe import MoEConfig, sum_aux_losses
from moesaic.train import LossOutput

__all__ = [
    "IGNORE",
    "JointConfig",
    "JointOutput",
    "PairSet",
    "SeriesTextJoint",
    "concat_pair_sets",
    "joint_batches",
    "load_joint",
    "make_pair_set",
    "mask_words",
    "match_scores",
    "perturb",
    "query_recall_at_k",
    "save_joint",
    "score_matrix",
    "trim",
]

_TEXT = MODALITY_IDS["text"]


@dataclass(frozen=True)
class JointConfig:
    """The single-stream model.

    Attributes:
        dim: D, token width.
        length: T, steps of every series window.
        channels: C, the most channels a window may have (fewer are fine).
        patch_len: steps per series token (T must be a multiple).
        vocab_size: caption ids are in [0, vocab_size) (``TextTokenizer.vocab_size``); the model
            adds one id, ``vocab_size`` itself, for [MASK].
        max_text_length: L, ids per caption.
        name_words: the most words of a channel name (see :meth:`SeriesTextJoint.set_channel_names`).
        num_layers: attention + sparse MoE blocks.
        num_experts: E of every MoE layer.
        top_k: K of every MoE layer.
        hard_share: share of negatives that are hard (one attribute changed) rather than in-batch.
        mlm_weight: weight of the masked LM and length losses next to the matching loss.
    """

    dim: int = 64
    length: int = 32
    channels: int = 52
    patch_len: int = 32
    vocab_size: int = 512
    max_text_length: int = 32
    name_words: int = 8
    num_layers: int = 2
    num_experts: int = 4
    top_k: int = 2
    hard_share: float = 0.5
    mlm_weight: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        for name in ("dim", "length", "channels", "patch_len", "vocab_size", "max_text_length", "name_words",
                     "num_layers"):  # fmt: skip
            if getattr(self, name) < 1:
                problems.append(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if self.patch_len >= 1 and self.length % self.patch_len:
            problems.append(f"`length` must be a multiple of patch_len={self.patch_len}, got {self.length}")
        if not 0.0 <= self.hard_share <= 1.0:
            problems.append(f"`hard_share` must be in [0, 1], got {self.hard_share}")
        if self.mlm_weight < 0:
            problems.append(f"`mlm_weight` must be >= 0, got {self.mlm_weight}")
        if problems:
            raise ConfigError(problems)
        MoEConfig(num_experts=self.num_experts, top_k=self.top_k)  # raises on a bad E or K

    @property
    def mask_id(self) -> int:
        """The [MASK] id, one past the tokenizer's ids."""
        return self.vocab_size

    def backbone(self) -> ModelConfig:
        """The configuration of the encoders and blocks (series first, then text)."""
        encoders = EncoderConfig(
            dim=self.dim, modalities=("timeseries", "text"), patch_len=self.patch_len,
            max_patches=self.length // self.patch_len, max_channels=self.channels,
            vocab_size=self.vocab_size + 1, max_text_length=self.max_text_length,
        )  # fmt: skip
        moe = MoEConfig(num_experts=self.num_experts, top_k=self.top_k, expert_hidden=2 * self.dim)
        return ModelConfig(
            encoders=encoders, moe=moe, num_layers=self.num_layers, num_heads=4 if self.dim % 4 == 0 else 1
        )


class JointOutput(NamedTuple):
    tokens: Tensor  # (B, 1 + N, D): [CLS], series tokens, text tokens; 0 at padding
    mask: Tensor  # (B, 1 + N) bool
    match_logit: Tensor  # (B,) > 0: the caption describes the window
    aux_losses: dict[str, Tensor]  # unweighted MoE aux losses, summed over layers


class SeriesTextJoint(nn.Module):
    """[CLS] + series tokens + caption tokens -> blocks -> matching head and masked LM head.

    Either modality may be absent from a batch (its tokens are then simply missing); [CLS] keeps
    the sequence non-empty.
    """

    channel_words: Tensor  # (C, name_words) buffer

    def __init__(self, config: JointConfig) -> None:
        super().__init__()
        self.config = config
        backbone = config.backbone()
        self.aux_weights = backbone.moe.aux_loss_weights
        D = config.dim
        self.encoders = make_encoders(backbone.encoders)
        self.cls = nn.Parameter(torch.randn(D) * 0.02)
        self.segment = nn.Embedding(len(MODALITY_IDS), D)
        nn.init.normal_(self.segment.weight, std=0.02)
        self.name_norm = nn.LayerNorm(D)  # name vectors on the scale of the (normalised) tokens
        # Word ids of each channel's name, 0 = padding; all padding until set_channel_names.
        self.register_buffer(
            "channel_words", torch.zeros(config.channels, config.name_words, dtype=torch.long)
        )
        self.blocks = nn.ModuleList(Block(backbone) for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(D)
        self.match_head = nn.Linear(D, 1)
        # Caption length (in words) from the series alone: the captioner's p(n | series).
        self.length_head = nn.Linear(D, config.max_text_length + 1)
        # BERT's LM head: a transform, then the word embeddings transposed (tied) plus a bias.
        self.mlm_transform = nn.Sequential(nn.Linear(D, D), nn.GELU(), nn.LayerNorm(D))
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size + 1))

    def forward(self, batch: Batch) -> JointOutput:
        x, mask, modality = self._embed(batch)  # (B, 1 + N, D), (B, 1 + N), (B, 1 + N)
        aux: dict[str, Tensor] = {}
        for block in self.blocks:
            x, block_aux, _ = block(x, mask, modality)
            for name, value in block_aux.items():
                aux[name] = aux.get(name, torch.zeros(())) + value
        x = self.norm(x) * mask[..., None]
        return JointOutput(x, mask, self.match_head(x[:, 0]).squeeze(-1), aux)

    def _embed(self, batch: Batch) -> Tokens:
        """[CLS] then the encoders' tokens, plus segment embeddings and, for series, channel names."""
        patches = self.config.length // self.config.patch_len
        if batch.series is not None:
            C = batch.series.shape[2]
            if batch.series.shape[1] != self.config.length or self.config.channels < C:
                raise ValueError(
                    f"`series` must have shape (batch, {self.config.length}, at most {self.config.channels}"
                    f" channels), got {tuple(batch.series.shape)}"
                )
        tokens = encode(self.encoders, batch)  # series tokens (channel-major), then text tokens
        x = tokens.x + self.segment(tokens.modality) * tokens.mask[..., None]  # (B, N, D)
        if batch.series is not None:
            names = self._channel_names(C).repeat_interleave(patches, dim=0)  # (C P, D)
            x = torch.cat([x[:, : C * patches] + names * tokens.mask[:, : C * patches, None],
                           x[:, C * patches :]], dim=1)  # fmt: skip
        B = batch.size
        return Tokens(
            torch.cat([self.cls.expand(B, 1, -1), x], dim=1),
            torch.cat([torch.ones(B, 1, dtype=torch.bool), tokens.mask], dim=1),
            torch.cat([torch.full((B, 1), _TEXT, dtype=torch.long), tokens.modality], dim=1),
        )

    def set_channel_names(self, word_ids: Tensor) -> None:
        """Give each channel the words of its name: (C, W) ids of the caption tokenizer, 0 = padding.

        Every token of channel c then carries the mean embedding of its name's words (the text
        embedding table, shared), so a caption word can find the channel it names by content.
        """
        C, W = self.channel_words.shape
        if word_ids.ndim != 2 or word_ids.shape[0] > C or word_ids.shape[1] > W:
            raise ValueError(
                f"`word_ids` must be (at most {C} channels, at most {W} words), got {tuple(word_ids.shape)}"
            )
        if int(word_ids.min()) < 0 or int(word_ids.max()) >= self.config.vocab_size:
            raise ValueError(f"`word_ids` must be in [0, vocab_size={self.config.vocab_size})")
        self.channel_words.zero_()
        self.channel_words[: word_ids.shape[0], : word_ids.shape[1]] = word_ids

    def _channel_names(self, channels: int) -> Tensor:
        """(channels, D) mean word embedding of each channel's name (0 for an unnamed channel)."""
        words = self.channel_words[:channels]  # (C, W)
        embedded = self._words()(words)  # (C, W, D), 0 at padding
        count = (words != 0).sum(dim=1, keepdim=True)  # (C, 1)
        names = self.name_norm(embedded.sum(dim=1) / count.clamp(min=1))
        return names * (count > 0)

    def _words(self) -> nn.Embedding:
        """The caption word embeddings (shared by the text tokens, channel names and the LM head)."""
        encoder = self.encoders["text"]
        assert isinstance(encoder, TextEncoder)
        return encoder.embedding

    def mlm_logits(self, out: JointOutput, text_length: int) -> Tensor:
        """(B, L, vocab_size + 1) word logits at the last ``text_length`` (caption) positions."""
        hidden = self.mlm_transform(out.tokens[:, -text_length:])  # (B, L, D)
        return hidden @ self._words().weight.T + self.mlm_bias

    def length_logits(self, series: Tensor) -> Tensor:
        """(B, max_text_length + 1) logits of the caption's word count, from (B, T, C) windows alone."""
        return self.length_head(self(Batch(series=series)).tokens[:, 0])

    def loss(self, batch: Batch) -> LossOutput:
        """Matching on (window, caption) and (window, negative), the masked LM and the caption length.

        Needs ``batch.series`` (B, T, C), ``batch.text_ids`` (B, L) and targets ``negative_ids``,
        ``masked_ids`` and ``mlm_labels``, all (B, L), as made by :func:`joint_batches`.
        """
        needed = ("negative_ids", "masked_ids", "mlm_labels")
        if batch.series is None or batch.text_ids is None or any(k not in batch.targets for k in needed):
            raise ValueError(f"a joint batch needs `series`, `text_ids` and targets {list(needed)}")
        B, L = batch.text_ids.shape
        t = batch.targets
        # The three views of each window share one forward pass: matched, mismatched, masked.
        out = self(
            Batch(
                series=batch.series.repeat(3, 1, 1),
                text_ids=torch.cat([batch.text_ids, t["negative_ids"], t["masked_ids"]]),
            )
        )
        labels = torch.cat([torch.ones(B), torch.zeros(B)])
        matching = F.binary_cross_entropy_with_logits(out.match_logit[: 2 * B], labels)
        masked = out._replace(tokens=out.tokens[2 * B :])
        logits = self.mlm_logits(masked, L)  # (B, L, V + 1)
        mlm = F.cross_entropy(logits.flatten(0, 1), t["mlm_labels"].flatten(), ignore_index=IGNORE)
        series_only = self(Batch(series=batch.series))
        words = (batch.text_ids != 0).sum(dim=1)  # (B,)
        length = F.cross_entropy(self.length_head(series_only.tokens[:, 0]), words)
        aux = sum_aux_losses(out.aux_losses, self.aux_weights) + sum_aux_losses(
            series_only.aux_losses, self.aux_weights
        )
        total = matching + self.config.mlm_weight * (mlm + length) + aux
        return LossOutput(
            total, {"matching": matching.detach(), "mlm": mlm.detach(), "length": length.detach()}
        )

    def active_parameter_fraction(self, name: str) -> float:
        """K / E for routed experts, 1 otherwise."""
        if ".ffn.experts." in f".{name}":
            return self.config.top_k / self.config.num_experts
        return 1.0


@torch.no_grad()
def match_scores(model: SeriesTextJoint, series: Tensor, text_ids: Tensor, *, chunk: int = 512) -> Tensor:
    """(S,) matching logits of window i with caption i, in eval mode and in chunks.

    Args:
        series: (S, T, C) windows.
        text_ids: (S, L) caption ids.
    """
    if series.shape[0] != text_ids.shape[0]:
        raise ValueError(f"{series.shape[0]} windows but {text_ids.shape[0]} captions: pair them one to one")
    was_training = model.training
    model.eval()
    text_ids = trim(text_ids)
    out = [
        model(Batch(series=s, text_ids=t)).match_logit
        for s, t in zip(series.split(chunk), text_ids.split(chunk), strict=True)
    ]
    model.train(was_training)
    return torch.cat(out)


@torch.no_grad()
def score_matrix(model: SeriesTextJoint, series: Tensor, text_ids: Tensor, *, chunk: int = 512) -> Tensor:
    """(Q, W) matching logits of every caption against every window: Q x W forward passes.

    Args:
        series: (W, T, C) windows.
        text_ids: (Q, L) caption ids.
    """
    W = series.shape[0]
    rows = [
        match_scores(model, series, ids.expand(W, -1), chunk=chunk) for ids in text_ids
    ]  # one caption each
    return torch.stack(rows) if rows else torch.zeros(0, W)


def query_recall_at_k(scores: np.ndarray, own: np.ndarray, k: int) -> float:
    """Share of queries whose own item ranks in the top ``k`` of all items.

    Args:
        scores: (Q, W) score of query q against item w.
        own: (Q,) index of each query's own item.
        k: the rank cut-off.

    Ties count against the query, as :func:`moesaic.align.clip.recall_at_k` (its square case).
    """
    if scores.ndim != 2 or own.shape != (scores.shape[0],):
        raise ValueError(f"`scores` must be (Q, W) and `own` (Q,), got {scores.shape} and {own.shape}")
    if k < 1:
        raise ValueError(f"`k` must be >= 1, got {k}")
    mine = scores[np.arange(scores.shape[0]), own][:, None]
    rank = (scores >= mine).sum(axis=1)  # 1 when the own item is strictly best
    return float((rank <= k).mean())


def save_joint(folder: Path, model: SeriesTextJoint) -> None:
    """An inference checkpoint: ``model.safetensors`` + ``config.json`` (the tokenizer is saved apart)."""
    save_model(folder, model, to_dict(model.config))


def load_joint(folder: Path) -> SeriesTextJoint:
    """The model written by :func:`save_joint`, in eval mode.

    Raises:
        CheckpointError: a missing, modified or incomplete checkpoint.
        ConfigError: a config that is not a :class:`JointConfig`.
    """
    state = load_model_state(folder)
    try:
        config = JointConfig(**state.config)
    except TypeError as err:
        raise ConfigError([f"{folder}: config.json is not a JointConfig ({err})"]) from err
    model = SeriesTextJoint(config)
    model.load_state_dict(state.state_dict)
    return model.eval()
