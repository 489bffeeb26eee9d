"""Rare values and unseen combinations borrow their variability from a frequent value (transfer).

A flow trained on a handful of windows of a rare fault either copies them or blurs them into the
frequent conditions: on Tennessee Eastman with 5 windows per fault, its fault samples made a
classifier worse than the 5 real windows alone. And a fault asked for under a load it was never
seen at is composed by the flow's condition tokens only loosely. Faults are mostly an *effect
added to* normal operation, and normal operation is what the training data hold plenty of. So
such a sample is composed:

    sample = generator sample with the value replaced by the factor's reference value
             + the departure of one training window of the value from the reference mean.

The reference value of a factor is its most frequent one; the reference mean is the mean window
(per step and channel) of the reference value's complete training windows that share the
example's other categorical factors (all of them when fewer than :data:`MIN_MATCHED` do). A value
is replaced when it is rare (fewer training windows than ``rare``), and, in a combination of
values never seen together in training, the value with the fewest windows is replaced, then the
next, until the rest is a seen combination. The generator supplies new variability around the
reference, drawn with the sample's other factors (the fault's effect lands on the asked load);
the value supplies its effect. This is the additive form of the delta-encoder idea (Schwartz et
al., 2018): variability learnt where data are plenty, applied where they are not.

Axes: N stored departures, B samples, S seen combinations, W windows, T steps, C channels, G
categorical factors, K categories of a factor (id 0: not given).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

MIN_MATCHED = 2  # reference windows with the example's other factors needed to use their mean
KEEP = 64  # departures kept per value at most (drawn at random among its windows)


class Lent(NamedTuple):
    ids: Tensor  # (B, G) the category ids to draw the generator with
    replaced: Tensor  # (B, G) bool, True where a value was replaced by its factor's reference


class ConditionTransfer(nn.Module):
    """The departures of the non-reference values' training windows, and the counts to rank them.

    Buffers (saved with the generator): ``departures`` (N, T, C) standardised, ``factor`` and
    ``value`` (N,) the factor column and category id each departure belongs to, ``reference``
    (G,) the reference id of each factor (0: the factor has none), ``counts`` (G, K + 1) the
    training windows of each category id.
    """

    departures: Tensor
    factor: Tensor
    value: Tensor
    reference: Tensor
    counts: Tensor

    def __init__(self, count: int, length: int, channels: int, factors: int, categories: int) -> None:
        super().__init__()
        self.register_buffer("departures", torch.zeros(count, length, channels))
        self.register_buffer("factor", torch.zeros(count, dtype=torch.long))
        self.register_buffer("value", torch.zeros(count, dtype=torch.long))
        self.register_buffer("reference", torch.zeros(factors, dtype=torch.long))
        self.register_buffer("counts", torch.zeros(factors, categories + 1, dtype=torch.long))

    @classmethod
    def fit(
        cls, standard: np.ndarray, complete: np.ndarray, categorical: np.ndarray, *, rare: int, seed: int = 0
    ) -> ConditionTransfer | None:
        """The transfer of the training windows, or None when no factor can lend.

        Args:
            standard: (W, T, C) standardised training windows.
            complete: (W,) bool, True for a window with every value observed.
            categorical: (W, G) category ids of the windows' conditions (0: factor not given).
            rare: a factor lends only when its most frequent value has at least this many
                training windows.
            seed: draws the kept departures of a value with more than :data:`KEEP` windows.
        """
        _W, T, C = standard.shape
        G = categorical.shape[1]
        rng = np.random.default_rng(seed)
        counts = np.zeros((G, int(categorical.max(initial=0)) + 1), dtype=np.int64)
        reference = np.zeros(G, dtype=np.int64)
        departures, factors, values = [], [], []
        for g in range(G):
            ids, number = np.unique(categorical[:, g][categorical[:, g] > 0], return_counts=True)
            counts[g, ids] = number
            if not len(ids) or number.max() < rare:
                continue
            ref = int(ids[np.argmax(number)])
            pool = complete & (categorical[:, g] == ref)
            if not pool.any():
                continue
            bases = _reference_means(standard, pool, np.delete(categorical, g, axis=1))
            for value in ids[ids != ref]:
                rows = np.flatnonzero(complete & (categorical[:, g] == value))
                for w in rng.choice(rows, size=KEEP, replace=False) if len(rows) > KEEP else rows:
                    departures.append(standard[w] - bases[w])
                    factors.append(g)
                    values.append(int(value))
            reference[g] = ref if g in factors else 0
        if not departures:
            return None
        transfer = cls(len(departures), T, C, G, counts.shape[1] - 1)
        transfer.departures.copy_(torch.from_numpy(np.stack(departures).astype(np.float32)))
        transfer.factor.copy_(torch.as_tensor(factors))
        transfer.value.copy_(torch.as_tensor(values))
        transfer.reference.copy_(torch.from_numpy(reference))
        transfer.counts.copy_(torch.from_numpy(counts))
        return transfer

    def pairs(self) -> list[tuple[int, int]]:
        """The (factor column, category id) of every value that has departures."""
        return [tuple(p) for p in torch.unique(torch.stack([self.factor, self.value], dim=1), dim=0).tolist()]

    def lend(self, categorical: Tensor, seen: Tensor, *, rare: int) -> Lent:
        """The ids to draw the generator with, and where a value was replaced.

        Args:
            categorical: (B, G) asked category ids (0: factor not given).
            seen: (S, G) the category ids of the combinations seen in training.
            rare: values with fewer training windows than this are always replaced.
        """
        lendable = set(self.pairs())
        lent = categorical.clone()
        for row in torch.unique(categorical, dim=0):
            ids = row.clone()
            for g, value in enumerate(row.tolist()):
                if (g, value) in lendable and int(self.counts[g, value]) < rare:
                    ids[g] = self.reference[g]
            while not is_seen(ids, seen):
                open_ = [g for g, value in enumerate(ids.tolist()) if (g, value) in lendable]
                if not open_:
                    break
                g = min(open_, key=lambda f: int(self.counts[f, ids[f]]))
                ids[g] = self.reference[g]
            lent[(categorical == row).all(dim=1)] = ids
        return Lent(lent, lent != categorical)

    def effects(self, categorical: Tensor, replaced: Tensor, seed: int) -> Tensor:
        """(B, T, C): per sample, the sum over its replaced factors of one departure drawn at random."""
        generator = torch.Generator().manual_seed(seed)
        out = torch.zeros(len(categorical), *self.departures.shape[1:])
        for g, value in self.pairs():
            rows = torch.nonzero(replaced[:, g] & (categorical[:, g] == value)).flatten()
            choices = torch.nonzero((self.factor == g) & (self.value == value)).flatten()
            out[rows] += self.departures[
                choices[torch.randint(len(choices), (len(rows),), generator=generator)]
            ]
        return out


def _reference_means(standard: np.ndarray, pool: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(W, T, C): for each window, the mean of the ``pool`` windows with its ``others`` (W, G - 1)
    factor ids, or of the whole pool when fewer than :data:`MIN_MATCHED` have them."""
    _, group = np.unique(others, axis=0, return_inverse=True)
    group = group.reshape(-1)
    fallback = standard[pool].mean(axis=0)
    means = np.empty((group.max() + 1, *standard.shape[1:]), dtype=standard.dtype)
    for k in range(len(means)):
        matched = pool & (group == k)
        means[k] = standard[matched].mean(axis=0) if matched.sum() >= MIN_MATCHED else fallback
    return means[group]


def is_seen(ids: Tensor, seen: Tensor) -> bool:
    """Whether some seen combination agrees with ``ids`` (G,) on every factor it gives."""
    given = ids > 0
    return bool(((seen[:, given] == ids[given]).all(dim=1)).any()) if len(seen) else True
