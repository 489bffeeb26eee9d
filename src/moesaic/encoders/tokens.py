"""What every encoder returns: tokens of width D with a validity mask and a modality id."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

MODALITY_IDS = {"timeseries": 0, "tabular": 1, "text": 2, "drawing": 3}


class Tokens(NamedTuple):
    """x: (B, N, D) token vectors; mask: (B, N) bool, True = real token; modality: (B, N) int64 ids."""

    x: Tensor
    mask: Tensor
    modality: Tensor


def empty_tokens(batch: int, dim: int, modality: str) -> Tokens:
    """Zero tokens for a batch that lacks a modality: concatenation stays uniform."""
    return Tokens(
        torch.zeros(batch, 0, dim),
        torch.zeros(batch, 0, dtype=torch.bool),
        torch.full((batch, 0), MODALITY_IDS[modality], dtype=torch.long),
    )


def concat_tokens(parts: list[Tokens]) -> Tokens:
    """Concatenate the tokens of several modalities along N."""
    if not parts:
        raise ValueError("no tokens to concatenate: the batch carries no modality")
    return Tokens(
        torch.cat([p.x for p in parts], dim=1),
        torch.cat([p.mask for p in parts], dim=1),
        torch.cat([p.modality for p in parts], dim=1),
    )
