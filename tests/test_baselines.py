"""Forecasting baselines: hand-checked seasonal naive and DLinear, shapes, missing values, fracast."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.data.forecast_windows import make_forecast_batch
from moesaic.tasks.baselines import (
    DLinear,
    DLinearConfig,
    FracastForecaster,
    PatchTST,
    PatchTSTConfig,
    SeasonalNaive,
    fill_missing,
)


def test_seasonal_naive_repeats_the_last_season() -> None:
    context = np.arange(10, dtype=np.float32).reshape(1, 10, 1)  # 0..9
    model = SeasonalNaive(num_channels=1, horizon=6, num_quantiles=3, period=4)
    out = model.forecast(make_forecast_batch(context))
    assert out.shape == (1, 6, 1, 3)
    # last season is 6, 7, 8, 9; it repeats
    assert out[0, :, 0, 0].tolist() == [6, 7, 8, 9, 6, 7]
    assert torch.equal(out[..., 0], out[..., 2])  # a point forecast at every level


def test_seasonal_naive_fills_a_missing_step_with_the_last_observed_value() -> None:
    context = np.array([[[1.0], [2.0], [np.nan], [4.0]]], dtype=np.float32)
    model = SeasonalNaive(num_channels=1, horizon=2, num_quantiles=1, period=2)
    assert model.forecast(make_forecast_batch(context))[0, :, 0, 0].tolist() == [2.0, 4.0]


def test_fill_missing_carries_forward_and_back() -> None:
    series = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [3.0, 0.0]]])
    observed = torch.tensor([[[False, False], [True, False], [False, False], [True, False]]])
    filled = fill_missing(series, observed)
    assert filled[0, :, 0].tolist() == [1.0, 1.0, 1.0, 3.0]
    assert filled[0, :, 1].tolist() == [0.0, 0.0, 0.0, 0.0]  # nothing observed: the mean, 0


def test_dlinear_decomposition_by_hand() -> None:
    model = DLinear(context_length=5, horizon=2, num_channels=1, num_quantiles=1, config=DLinearConfig(3))
    series = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0]).view(1, 5, 1)
    trend, remainder = model.decompose(series)
    # edges repeated: [0, 0, 1, 2, 3, 4, 4] averaged over 3
    expected = torch.tensor([1 / 3, 1.0, 2.0, 3.0, 11 / 3]).view(1, 5, 1)
    torch.testing.assert_close(trend, expected)
    torch.testing.assert_close(trend + remainder, series)


def test_dlinear_is_two_linear_maps_of_the_parts() -> None:
    model = DLinear(context_length=4, horizon=3, num_channels=2, num_quantiles=1, config=DLinearConfig(3))
    context = np.random.randn(2, 4, 2).astype(np.float32)
    batch = make_forecast_batch(context)
    trend, remainder = model.decompose(torch.from_numpy(context))
    expected = model.trend(trend.transpose(1, 2)) + model.remainder(remainder.transpose(1, 2))
    torch.testing.assert_close(model.point(batch), expected.transpose(1, 2))


def test_dlinear_config_rejects_an_even_kernel() -> None:
    with pytest.raises(ValueError, match="odd number"):
        DLinearConfig(moving_average=24)


def test_patchtst_shapes_and_patch_count() -> None:
    model = PatchTST(
        context_length=32, horizon=7, num_channels=3, num_quantiles=2, config=PatchTSTConfig(dim=8)
    )
    assert model.num_patches == (32 + 8 - 16) // 8 + 1
    context = np.random.randn(4, 32, 3).astype(np.float32)
    context[0, 5, 1] = np.nan
    out = model.eval().forecast(make_forecast_batch(context))
    assert out.shape == (4, 7, 3, 2)
    assert torch.isfinite(out).all()


def test_fracast_zero_shot_rolls_out_past_its_block_and_reads_missing_values() -> None:
    t = np.arange(96, dtype=np.float32)
    context = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 24)], axis=-1)[None]  # (1, 96, 2)
    context[0, 10:14, 0] = np.nan
    model = FracastForecaster(num_channels=2, horizon=50, quantiles=(0.1, 0.5, 0.9))
    assert model.parameter_count() == 85001
    assert not list(model.parameters())  # the weights belong to the wheel, not to our checkpoint
    out = model.forecast(make_forecast_batch(context))
    assert out.shape == (1, 50, 2, 3)
    assert torch.isfinite(out).all()
    assert (out[..., 0] <= out[..., 2]).all()


def test_fracast_refuses_levels_it_does_not_forecast() -> None:
    with pytest.raises(ValueError, match="cannot give"):
        FracastForecaster(num_channels=1, horizon=4, quantiles=(0.05, 0.5))
