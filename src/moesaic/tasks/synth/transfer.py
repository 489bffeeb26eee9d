"""Rare condition values borrow their variability from a frequent one (few-shot transfer).

A flow trained on a handful of windows of a rare fault either copies them or blurs them into the
frequent conditions: on Tennessee Eastman with 5 windows per fault, its fault samples made a
classifier worse than the 5 real windows alone. Faults are mostly an *effect added to* normal
operation, and normal operation is what the training data hold plenty of. So a sample of a rare
value is composed:

    sample = generator sample with the rare value replaced by the factor's reference value
             + the departure of one training window of the rare value from the reference mean.

The reference value of a factor is its most frequent one; the reference mean is the mean window
(per step and channel) of the reference value's complete training windows that share the
example's other categorical factors (all of them when fewer than :data:`MIN_MATCHED` do). The
generator supplies new variability around the reference (drawn with the sample's other factors,
so an unseen combination such as a fault on another asset type gets that asset's background);
the rare value supplies its effect. This is the additive form of the delta-encoder idea
(Schwartz et al., 2018): variability learnt where data are plenty, applied where they are not.

Axes: N stored departures, W windows, T steps, C channels, G categorical factors.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

MIN_MATCHED = 2  # reference windows with the example's other factors needed to use their mean


class RareTransfer(nn.Module):
    """The departures of the rare values' training windows, and each factor's reference value.

    Buffers (saved with the generator): ``departures`` (N, T, C) standardised, ``factor`` and
    ``value`` (N,) the factor column and category id each departure belongs to, ``reference``
    (G,) the reference id of each factor (0: the factor has none).
    """

    departures: Tensor
    factor: Tensor
    value: Tensor
    reference: Tensor

    def __init__(self, count: int, length: int, channels: int, factors: int) -> None:
        super().__init__()
        self.register_buffer("departures", torch.zeros(count, length, channels))
        self.register_buffer("factor", torch.zeros(count, dtype=torch.long))
        self.register_buffer("value", torch.zeros(count, dtype=torch.long))
        self.register_buffer("reference", torch.zeros(factors, dtype=torch.long))

    @classmethod
    def fit(
        cls, standard: np.ndarray, complete: np.ndarray, categorical: np.ndarray, *, rare: int
    ) -> RareTransfer | None:
        """The transfer of the training windows, or None when no factor has a rare value.

        Args:
            standard: (W, T, C) standardised training windows.
            complete: (W,) bool, True for a window with every value observed.
            categorical: (W, G) category ids of the windows' conditions (0: factor not given).
            rare: a value with fewer training windows than this is rare; a factor lends only
                when its most frequent value has at least this many.
        """
        _W, T, C = standard.shape
        G = categorical.shape[1]
        reference = np.zeros(G, dtype=np.int64)
        departures, factors, values = [], [], []
        for g in range(G):
            ids, counts = np.unique(categorical[:, g][categorical[:, g] > 0], return_counts=True)
            if not len(ids) or counts.max() < rare:
                continue
            ref = int(ids[np.argmax(counts)])
            pool = complete & (categorical[:, g] == ref)
            if not pool.any():
                continue
            others = np.delete(categorical, g, axis=1)
            for value in ids[(counts < rare) & (ids != ref)]:
                for w in np.flatnonzero(complete & (categorical[:, g] == value)):
                    matched = pool & (others == others[w]).all(axis=1)
                    base = standard[matched if matched.sum() >= MIN_MATCHED else pool].mean(axis=0)
                    departures.append(standard[w] - base)
                    factors.append(g)
                    values.append(int(value))
            reference[g] = ref if any(f == g for f in factors) else 0
        if not departures:
            return None
        transfer = cls(len(departures), T, C, G)
        transfer.departures.copy_(torch.from_numpy(np.stack(departures).astype(np.float32)))
        transfer.factor.copy_(torch.as_tensor(factors))
        transfer.value.copy_(torch.as_tensor(values))
        transfer.reference.copy_(torch.from_numpy(reference))
        return transfer

    def pairs(self) -> list[tuple[int, int]]:
        """The (factor column, category id) of every rare value that has departures."""
        return [tuple(p) for p in torch.unique(torch.stack([self.factor, self.value], dim=1), dim=0).tolist()]

    def lend(self, categorical: Tensor) -> tuple[Tensor, Tensor]:
        """The ids to draw the generator with (rare values replaced by their factor's reference),
        and a (B, G) bool mask of the replaced entries."""
        rare = torch.zeros_like(categorical, dtype=torch.bool)
        for g in torch.unique(self.factor).tolist():
            rare[:, g] = torch.isin(categorical[:, g], self.value[self.factor == g])
        return torch.where(rare, self.reference.expand_as(categorical), categorical), rare

    def effects(self, categorical: Tensor, rare: Tensor, seed: int) -> Tensor:
        """(B, T, C): per sample, the sum over its rare factors of one departure drawn at random."""
        generator = torch.Generator().manual_seed(seed)
        out = torch.zeros(len(categorical), *self.departures.shape[1:])
        for g, value in self.pairs():
            rows = torch.nonzero(rare[:, g] & (categorical[:, g] == value)).flatten()
            choices = torch.nonzero((self.factor == g) & (self.value == value)).flatten()
            out[rows] += self.departures[
                choices[torch.randint(len(choices), (len(rows),), generator=generator)]
            ]
        return out
