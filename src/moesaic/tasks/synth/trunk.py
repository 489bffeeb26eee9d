"""The shared network of both generators: the backbone's sparse-MoE blocks over step and condition tokens.

Each of the T steps of a window is one token of width D (its values projected, plus a learned
position); each condition factor is one more token from the backbone's :class:`TabularEncoder`.
A text (a work order's words) is one more token: its frozen sentence embedding
(:mod:`moesaic.knowledge.embed`) through a trainable linear map. Attention lets every step read
every factor, and every token goes to K of E experts. A missing factor or text is a masked
token, so conditional and unconditional generation share one network.

Axes: B batch, T steps, C channels, D width, G categorical factors, F numeric factors, E text
embedding width.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders import TabularEncoder
from moesaic.encoders.tokens import MODALITY_IDS, Tokens
from moesaic.model import Block, ModelConfig
from moesaic.moe import sum_aux_losses
from moesaic.tasks.synth.conditions import EncodedConditions


class TrunkOutput(NamedTuple):
    x: Tensor  # (B, T, D) step tokens after the blocks and a final norm
    aux_loss: Tensor  # scalar, the weighted MoE aux losses of every block (0 when dense)


class ConditionalTrunk(nn.Module):
    """Step tokens + condition tokens -> ``num_layers`` blocks of attention and sparse MoE.

    Args:
        config: the backbone settings; ``config.encoders`` must describe the condition table
            (``num_numeric``, ``categorical_cardinalities``).
        length: T, steps per window.
        text_dim: E, the width of the text embeddings the trunk reads; 0 reads no text.
    """

    def __init__(self, config: ModelConfig, *, length: int, text_dim: int = 0) -> None:
        super().__init__()
        enc = config.encoders
        self.config = config
        self.has_table = enc.num_numeric + len(enc.categorical_cardinalities) > 0
        self.table = TabularEncoder(enc) if self.has_table else None
        self.text = TextToken(text_dim, config.dim) if text_dim else None
        self.position = nn.Parameter(torch.randn(length, config.dim) * 0.02)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_layers))
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, steps: Tensor, conditions: EncodedConditions | None) -> TrunkOutput:
        """``steps`` (B, T, D) without position; ``conditions`` None only for an unconditional model."""
        B, T, _ = steps.shape
        assert self.position.shape[0] == T, "window length differs from the trunk's"
        x = steps + self.position
        mask = torch.ones(B, T, dtype=torch.bool)
        modality = torch.full((B, T), MODALITY_IDS["timeseries"], dtype=torch.long)
        if (self.table is not None or self.text is not None) and conditions is None:
            raise ValueError("this generator is conditional: pass conditions (empty ones for unconditional)")
        if self.table is not None:
            assert conditions is not None
            table = self.table(
                Batch(
                    numeric=conditions.numeric,
                    numeric_observed=conditions.numeric_observed,
                    categorical=conditions.categorical,
                )
            )
            x = torch.cat([x, table.x], dim=1)
            mask = torch.cat([mask, table.mask], dim=1)
            modality = torch.cat([modality, table.modality], dim=1)
        if self.text is not None:
            assert conditions is not None
            text = self.text(conditions.text)
            x = torch.cat([x, text.x], dim=1)
            mask = torch.cat([mask, text.mask], dim=1)
            modality = torch.cat([modality, text.modality], dim=1)
        aux = torch.zeros(())
        for block in self.blocks:
            out = block(x, mask, modality)
            x = out.x
            if not self.config.dense:
                aux = aux + sum_aux_losses(out.aux_losses, self.config.moe.aux_loss_weights)
        return TrunkOutput(self.norm(x[:, :T]), aux)

    def active_parameter_fraction(self, name: str) -> float:
        """K / E for routed expert weights, 1 otherwise."""
        if not self.config.dense and ".ffn.experts." in f".{name}":
            return self.config.moe.top_k / self.config.moe.num_experts
        return 1.0


class TextToken(nn.Module):
    """(B, E) frozen text embeddings -> one token of width D each, masked where the row is zero."""

    def __init__(self, text_dim: int, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(text_dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, embedded: Tensor) -> Tokens:
        if embedded.shape[1] != self.project.in_features:
            raise ValueError(
                f"text embeddings have width {embedded.shape[1]}; this generator reads "
                f"{self.project.in_features} (fit and sample must embed text the same way)"
            )
        mask = (embedded != 0).any(dim=1, keepdim=True)  # (B, 1)
        x = torch.where(mask[..., None], self.norm(self.project(embedded))[:, None], 0.0)  # (B, 1, D)
        return Tokens(x, mask, torch.full(mask.shape, MODALITY_IDS["text"], dtype=torch.long))


def masked(conditions: EncodedConditions) -> EncodedConditions:
    """The same rows with every factor and text masked: the unconditional input."""
    return EncodedConditions(
        torch.zeros_like(conditions.categorical),
        torch.zeros_like(conditions.numeric),
        torch.zeros_like(conditions.numeric_observed),
        torch.zeros_like(conditions.text),
    )


def drop_conditions(conditions: EncodedConditions, rate: float) -> EncodedConditions:
    """Mask each factor (and the text) of each sample with probability ``rate`` (trains unconditional
    sampling too)."""
    if rate <= 0:
        return conditions
    keep_cat = torch.rand(conditions.categorical.shape) >= rate
    keep_num = torch.rand(conditions.numeric.shape) >= rate
    text = conditions.text
    if text.shape[1]:  # drawn only for a model that reads text: the others keep their random stream
        text = text * (torch.rand(text.shape[0], 1) >= rate)
    return EncodedConditions(
        conditions.categorical * keep_cat,
        conditions.numeric * keep_num,
        conditions.numeric_observed & keep_num,
        text,
    )
