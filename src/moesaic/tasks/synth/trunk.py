"""The shared network of both generators: the backbone's sparse-MoE blocks over step and condition tokens.

Each of the T steps of a window is one token of width D (its values projected, plus a learned
position); each condition factor is one more token from the backbone's :class:`TabularEncoder`.
Attention lets every step read every factor, and every token goes to K of E experts. A missing
factor is a masked token, so conditional and unconditional generation share one network.

Axes: B batch, T steps, C channels, D width, G categorical factors, F numeric factors.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders import TabularEncoder
from moesaic.encoders.tokens import MODALITY_IDS
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
    """

    def __init__(self, config: ModelConfig, *, length: int) -> None:
        super().__init__()
        enc = config.encoders
        self.config = config
        self.has_table = enc.num_numeric + len(enc.categorical_cardinalities) > 0
        self.table = TabularEncoder(enc) if self.has_table else None
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
        if self.table is not None:
            if conditions is None:
                raise ValueError(
                    "this generator is conditional: pass conditions (empty ones for unconditional)"
                )
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


def drop_conditions(conditions: EncodedConditions, rate: float) -> EncodedConditions:
    """Mask each factor of each sample with probability ``rate`` (trains unconditional sampling too)."""
    if rate <= 0:
        return conditions
    keep_cat = torch.rand(conditions.categorical.shape) >= rate
    keep_num = torch.rand(conditions.numeric.shape) >= rate
    return EncodedConditions(
        conditions.categorical * keep_cat,
        conditions.numeric * keep_num,
        conditions.numeric_observed & keep_num,
    )
