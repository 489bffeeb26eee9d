"""Averaging RUL predictions: the mean of regressors, the best snapshots, the shifted trailing windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from moesaic.data.batch import Batch
from moesaic.eval.meters import count_parameters
from moesaic.tasks.rul_ensemble import BestSnapshots, RegressorMean, shifted_mean


class Constant(nn.Module):
    """Outputs ``value`` for every window; half of its parameter counts as active."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor([value, 0.0]))

    def forward(self, batch: Batch) -> torch.Tensor:
        assert batch.series is not None
        return self.value[0].expand(batch.series.shape[0])

    def active_parameter_fraction(self, name: str) -> float:
        assert name == "value"
        return 0.5


def test_regressor_mean_averages_members_and_counts_their_active_parameters() -> None:
    model = RegressorMean([Constant(0.2), Constant(0.6)])
    batch = Batch(series=torch.zeros(3, 4, 2))
    torch.testing.assert_close(model(batch), torch.full((3,), 0.4))
    assert model.member_outputs(batch).shape == (2, 3)
    assert count_parameters(model) == (4, 2)
    with pytest.raises(ValueError, match="`members` is empty"):
        RegressorMean([])


def test_best_snapshots_keep_the_lowest_validation_losses() -> None:
    module = nn.Linear(1, 1, bias=False)
    snapshots = BestSnapshots(2)
    for step, (weight, loss) in enumerate([(1.0, 0.5), (2.0, 0.3), (3.0, None), (4.0, 0.4), (5.0, 0.9)]):
        module.weight.data.fill_(weight)
        snapshots(step, module, {"loss": 1.0} if loss is None else {"val_loss": loss})
    assert snapshots.steps() == [1, 3]
    assert [float(s["weight"]) for s in snapshots.states()] == [2.0, 4.0]
    with pytest.raises(ValueError, match="`count` must be >= 1"):
        BestSnapshots(0)


def test_shifted_mean_shifts_earlier_predictions_and_skips_capped_ones() -> None:
    cap = 100.0
    lagged = np.array(
        [
            [10.0, 11.0, 12.0],  # a steady decline of one per step: every lag agrees on 10
            [40.0, 45.0, 48.0],  # (40 + 44 + 46) / 3
            [90.0, 100.0, 100.0],  # earlier predictions at the cap only say "at least": left out
            [100.0, 100.0, 100.0],  # healthy: stays at the cap
            [5.0, 7.0, np.nan],  # a series of two steps
            [0.0, 0.5, 1.0],  # never below zero
        ]
    )
    np.testing.assert_allclose(shifted_mean(lagged, cap), [10.0, 130 / 3, 90.0, 100.0, 5.5, 0.0])
    np.testing.assert_allclose(shifted_mean(lagged[:, :1], cap), lagged[:, 0])
    with pytest.raises(ValueError, match=r"must be \(S, K\)"):
        shifted_mean(lagged[:, 0], cap)
