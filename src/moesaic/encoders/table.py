"""Table rows to tokens: one token per feature, numeric and categorical, missing cells masked."""

from __future__ import annotations

import itertools
from typing import ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.tokens import MODALITY_IDS, Tokens, empty_tokens


class _Part(NamedTuple):
    x: Tensor  # (B, F or G, D)
    mask: Tensor  # (B, F or G) bool


class TabularEncoder(nn.Module):
    """F + G tokens for F numeric and G categorical features, in that order.

    Numeric feature f becomes ``value * w_f + e_f``: a per-feature direction scaled by the value plus
    the feature's embedding (which plays the part of the bias b_f). Categorical feature g becomes
    ``table_g[id] + e_{F+g}``; id 0 means missing. Numeric values are used as given, so they should
    be standardised upstream (a raw 1500 rpm would swamp every other token).

    A missing cell (``numeric_observed`` False, a non-finite value, or category id 0) is a masked
    token. N = F + G for every batch that carries a table: a batch with numeric features but no
    ``categorical`` tensor gets G masked categorical tokens, so a token's index always names the same
    feature.
    """

    modality: ClassVar[str] = "tabular"
    offsets: Tensor  # (G,) first embedding row of each categorical feature
    cardinalities: Tensor  # (G,)

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        F, D = config.num_numeric, config.dim
        cards = config.categorical_cardinalities
        self.scale = nn.Parameter(torch.randn(F, D) * 0.02)
        self.feature = nn.Parameter(torch.randn(F + len(cards), D) * 0.02)
        # All categorical tables in one embedding: feature g owns rows offset_g .. offset_g + card_g,
        # row offset_g being its "missing" id 0.
        offsets = [0, *itertools.accumulate(c + 1 for c in cards)]
        self.register_buffer("offsets", torch.tensor(offsets[:-1], dtype=torch.long))
        self.categories = nn.Embedding(max(offsets[-1], 1), D)  # one unused row when G = 0
        nn.init.normal_(self.categories.weight, std=0.02)
        self.register_buffer("cardinalities", torch.tensor(cards, dtype=torch.long))
        self.norm = nn.LayerNorm(D)

    def forward(self, batch: Batch) -> Tokens:
        """Tokens with x: (B, F + G, D), mask: (B, F + G); empty when the batch has no table."""
        if batch.numeric is None and batch.categorical is None:
            return empty_tokens(batch.size, self.config.dim, self.modality)
        B = batch.size
        numeric, numeric_mask = self._numeric(batch, B)
        categorical, categorical_mask = self._categorical(batch, B)
        x = self.norm(torch.cat([numeric, categorical], dim=1))  # (B, F + G, D)
        mask = torch.cat([numeric_mask, categorical_mask], dim=1)
        x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype))
        modality = torch.full(mask.shape, MODALITY_IDS[self.modality], dtype=torch.long)
        return Tokens(x, mask, modality)

    def _numeric(self, batch: Batch, B: int) -> _Part:
        F = self.config.num_numeric
        if batch.numeric is None:
            values = torch.zeros(B, F, dtype=self.scale.dtype)
            observed = torch.zeros(B, F, dtype=torch.bool)
        else:
            assert batch.numeric_observed is not None  # Batch.__post_init__ fills it
            values, observed = batch.numeric, batch.numeric_observed
            if values.ndim != 2 or values.shape[1] != F:
                raise ValueError(
                    f"`numeric` must have shape (batch, num_numeric={F}), got {tuple(values.shape)}"
                )
            if observed.shape != values.shape:
                raise ValueError(
                    f"`numeric_observed` must have shape {tuple(values.shape)}, got {tuple(observed.shape)}"
                )
            values = values.to(self.scale.dtype)
            observed = observed & torch.isfinite(values)
            values = torch.where(observed, values, torch.zeros((), dtype=values.dtype))
        x = values[..., None] * self.scale + self.feature[:F]  # (B, F, D)
        return _Part(x, observed)

    def _categorical(self, batch: Batch, B: int) -> _Part:
        G = len(self.config.categorical_cardinalities)
        F = self.config.num_numeric
        ids = batch.categorical
        if ids is None:
            ids = torch.zeros(B, G, dtype=torch.long)
        elif ids.ndim != 2 or ids.shape[1] != G:
            raise ValueError(
                f"`categorical` must have shape (batch, {G} categorical features), got {tuple(ids.shape)}"
            )
        elif ids.numel():
            self._check_ids(ids)
        x = self.categories(ids.long() + self.offsets) + self.feature[F:]  # (B, G, D)
        present = ids != 0
        return _Part(x, present)

    def _check_ids(self, ids: Tensor) -> None:
        bad = (ids < 0) | (ids > self.cardinalities)
        if bad.any():
            row, column = (int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"`categorical` row {row}, feature {column}: id {int(ids[row, column])} is outside "
                f"[0, cardinality={int(self.cardinalities[column])}] (0 = missing)"
            )
