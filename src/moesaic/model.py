"""The backbone: modality encoders -> blocks of attention + sparse MoE -> pooled representation.

Axis glossary, used in shape comments across moesaic:
B batch, T time steps, C channels, N tokens, D model width, E experts, K active experts,
Q quantiles, F table features, L text tokens.

One backbone takes any subset of the four modalities (time series, table, text, drawing);
every block routes each token to K of E experts. Aux losses of every layer are returned, not
hidden: the caller weighs them with :meth:`Backbone.aux_loss`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.encoders import encode, make_encoders
from moesaic.encoders.config import EncoderConfig
from moesaic.moe import MoEConfig, Routing, build_dense_ffn, build_moe, sum_aux_losses


@dataclass(frozen=True)
class ModelConfig:
    """The whole backbone.

    Attributes:
        encoders: sizes of the modality encoders; ``encoders.dim`` is the model width D.
        moe: the sparse feed-forward layer of every block.
        num_layers: attention + MoE blocks.
        num_heads: attention heads (must divide D).
        dropout: dropout on attention and block outputs.
        dense: replace every MoE layer by a dense feed-forward of the same active size (baseline).
    """

    encoders: EncoderConfig = field(default_factory=EncoderConfig)
    moe: MoEConfig = field(default_factory=MoEConfig)
    num_layers: int = 2
    num_heads: int = 4
    dropout: float = 0.0
    dense: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.num_layers < 1:
            problems.append(f"`num_layers` must be >= 1, got {self.num_layers}")
        if self.num_heads < 1 or self.encoders.dim % self.num_heads:
            problems.append(f"`num_heads` must divide encoders.dim={self.encoders.dim}, got {self.num_heads}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"`dropout` must be in [0, 1), got {self.dropout}")
        if problems:
            raise ConfigError(problems)

    @property
    def dim(self) -> int:
        return self.encoders.dim


class BlockOutput(NamedTuple):
    x: Tensor  # (B, N, D)
    aux_losses: dict[str, Tensor]
    routing: Routing


class Block(nn.Module):
    """Pre-norm attention over all tokens, then the (sparse) feed-forward."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        D = config.dim
        self.norm_attn = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, config.num_heads, dropout=config.dropout, batch_first=True)
        self.norm_ffn = nn.LayerNorm(D)
        self.ffn = build_dense_ffn(config.moe, dim=D) if config.dense else build_moe(config.moe, dim=D)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, mask: Tensor, modality: Tensor) -> BlockOutput:
        h = self.norm_attn(x)
        # A sample with no real token would make attention NaN; let it attend to its padding instead.
        empty = ~mask.any(dim=1, keepdim=True)
        key_padding = ~(mask | empty)  # (B, N), True = ignore
        attended, _ = self.attn(h, h, h, key_padding_mask=key_padding, need_weights=False)
        x = x + self.drop(attended)
        out = self.ffn(self.norm_ffn(x), modality=modality, mask=mask)
        x = x + self.drop(out.y)
        return BlockOutput(x * mask.unsqueeze(-1), out.aux_losses, out.routing)


class BackboneOutput(NamedTuple):
    tokens: Tensor  # (B, N, D) final token states, 0 at padding
    mask: Tensor  # (B, N) bool
    modality: Tensor  # (B, N) int64
    pooled: Tensor  # (B, D) mean of the real tokens
    aux_losses: dict[str, Tensor]  # unweighted, summed over layers
    routings: list[Routing]  # one per layer


class Backbone(nn.Module):
    """Encoders -> ``num_layers`` blocks -> final norm and masked mean pooling."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoders = make_encoders(config.encoders)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, batch: Batch) -> BackboneOutput:
        tokens = encode(self.encoders, batch)
        x, mask, modality = tokens.x, tokens.mask, tokens.modality  # (B, N, D), (B, N), (B, N)
        aux: dict[str, Tensor] = {}
        routings = []
        for block in self.blocks:
            x, block_aux, routing = block(x, mask, modality)
            for name, value in block_aux.items():
                aux[name] = aux.get(name, torch.zeros((), device=x.device)) + value
            routings.append(routing)
        x = self.norm(x) * mask.unsqueeze(-1)
        count = mask.sum(dim=1, keepdim=True).clamp(min=1)  # (B, 1)
        pooled = x.sum(dim=1) / count  # (B, D)
        return BackboneOutput(x, mask, modality, pooled, aux, routings)

    def aux_loss(self, aux_losses: dict[str, Tensor]) -> Tensor:
        """The weighted sum of the aux losses (zero for the dense baseline)."""
        if self.config.dense:
            return torch.zeros(())
        return sum_aux_losses(aux_losses, self.config.moe.aux_loss_weights)

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``name`` one token uses: K / E for routed experts, 1 otherwise."""
        if not self.config.dense and ".ffn.experts." in f".{name}":
            return self.config.moe.top_k / self.config.moe.num_experts
        return 1.0
