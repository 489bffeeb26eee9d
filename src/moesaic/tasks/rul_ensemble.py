"""Averaging RUL predictions: over several regressors, and over the trailing windows of a series.

- :class:`RegressorMean`: the mean output of several regressors (models trained with different
  seeds, or the best validation snapshots of one run);
- :class:`BestSnapshots`: a training callback that keeps the weights of the validations with the
  lowest loss, for snapshot averaging at no extra training cost;
- :func:`shifted_mean`: the RUL after the last step of a series, averaged over the predictions
  made ``k`` steps earlier minus ``k``. It uses only the series' own past readings.

Axes: M members, B batch, S series, K trailing windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.data.batch import Batch


class RegressorMean(nn.Module):
    """The mean of the ``(B,)`` outputs of ``members``; prediction only (it has no ``loss``)."""

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("`members` is empty; give at least one regressor")
        self.members = nn.ModuleList(members)

    def member_outputs(self, batch: Batch) -> Tensor:
        """(M, B) output of each member."""
        return torch.stack([member(batch) for member in self.members])

    def forward(self, batch: Batch) -> Tensor:
        """(B,) mean output of the members."""
        return self.member_outputs(batch).mean(dim=0)

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``members.<i>.<name>`` a token uses, as member ``i`` says (else all)."""
        _, index, rest = name.split(".", 2)
        own = getattr(self.members[int(index)], "active_parameter_fraction", None)
        return float(own(rest)) if own is not None else 1.0


class BestSnapshots:
    """Training callback keeping the weights of the ``count`` validations with the lowest loss.

    Use as ``train(..., callbacks=[snapshots])``; ``states()`` lists them, the best first.
    """

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"`count` must be >= 1, got {count}")
        self.count = count
        self._kept: list[tuple[float, int, dict[str, Tensor]]] = []

    def __call__(self, step: int, module: nn.Module, record: dict[str, Any]) -> None:
        if "val_loss" not in record:
            return
        loss = float(record["val_loss"])
        if len(self._kept) == self.count and loss >= self._kept[-1][0]:
            return
        state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        self._kept = sorted([*self._kept, (loss, step, state)], key=lambda kept: kept[:2])[: self.count]

    def steps(self) -> list[int]:
        """The training steps of the kept weights, the best first."""
        return [step for _, step, _ in self._kept]

    def states(self) -> list[dict[str, Tensor]]:
        """The kept weights, the best first."""
        return [state for _, _, state in self._kept]


def shifted_mean(predictions: np.ndarray, cap: float) -> np.ndarray:
    """(S,) RUL after the last step from ``predictions`` (S, K) made 0, 1, ..., K-1 steps earlier.

    The prediction made ``k`` steps before the end, minus ``k``, estimates the final RUL too, as
    long as it was below ``cap`` (a capped prediction only says the RUL was at least ``cap``): the
    earlier predictions at the cap are left out, the others are shifted and averaged with the last
    one. NaN entries (a series shorter than K steps) are left out as well. The result is clipped
    to [0, cap].
    """
    if predictions.ndim != 2 or predictions.shape[1] < 1:
        raise ValueError(f"`predictions` must be (S, K) with K >= 1, got shape {predictions.shape}")
    shift = np.arange(predictions.shape[1], dtype=np.float64)
    usable = np.isfinite(predictions) & (predictions < cap)
    usable[:, 0] = True  # the last prediction always counts
    shifted = np.where(usable, predictions - shift, 0.0)
    return np.clip(shifted.sum(axis=1) / usable.sum(axis=1), 0.0, cap)
