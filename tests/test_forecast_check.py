"""The hold-out check of moesaic forecast: seasonal naive against itself, and the naive forecasts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from moesaic.cli.forecast import _worse_channels
from moesaic.tasks.forecast import ForecastConfig, Forecaster
from moesaic.tasks.forecast_check import HoldoutCheck, holdout_check


def _series(rows: int) -> np.ndarray:
    t = np.arange(rows)
    rng = np.random.default_rng(0)
    return np.stack([np.sin(2 * np.pi * t / 24), 5 + 0.1 * t + rng.standard_normal(rows)], axis=1)


def _fitted(values: np.ndarray, period: int = 24) -> Forecaster:
    config = ForecastConfig(model="seasonal_naive", context_length=48, horizon=12, seasonal_period=period)
    return Forecaster(config).fit(values)


def test_seasonal_naive_scores_exactly_as_the_naive_forecast() -> None:
    values = _series(300)
    values[250, 1] = np.nan  # a missing value is left out of both errors
    check = holdout_check(_fitted(values), values, fraction=0.2, period=24)
    assert check is not None
    assert check.origins == len(range(240, 300 - 12 + 1, 12)) == 5
    assert check.mae == check.naive_mae and check.naive == "seasonal naive (period 24)"
    assert check.levels == (0.1, 0.9) and check.coverage is None  # a point forecast has no band


def test_a_period_longer_than_the_context_falls_back_to_the_last_value() -> None:
    values = _series(300)
    values[:, 0] = 3.0  # constant: the last value is exact
    forecaster = _fitted(values)
    check = holdout_check(forecaster, values, fraction=0.2, period=96)  # 96 > the context, 48
    assert check is not None and check.naive == "last value"
    last = values[[239, 251, 263, 275, 287]]  # the value before each origin
    expected = np.abs(last[:, None, :] - values[[range(s, s + 12) for s in (240, 252, 264, 276, 288)]])
    expected = expected / forecaster.scaler_.std_  # standardised: over each channel's training deviation
    assert np.isclose(check.naive_mae, expected.mean(), rtol=1e-5)


def test_a_hold_out_shorter_than_the_horizon_gives_no_check() -> None:
    values = _series(60)
    assert holdout_check(_fitted(values), values, fraction=0.1, period=24) is None


def test_each_channel_is_scored_so_that_the_average_hides_none() -> None:
    values = _series(300)
    values[:, 0] = 3.0  # constant: the last value is exact on channel 0, not on the noisy trend
    forecaster = _fitted(values)
    check = holdout_check(forecaster, values, fraction=0.2, period=96)
    assert check is not None and len(check.channel_maes) == 2
    assert check.channel_maes[0] == (0.0, 0.0) and check.channel_maes[1][0] > 0
    assert np.isclose(np.mean([m for m, _ in check.channel_maes]), check.mae, rtol=1e-5)  # equal counts


def test_the_command_names_a_channel_forecast_worse_than_the_naive_one() -> None:
    # walk-through: the model beat seasonal naive overall, but not on active power
    check = HoldoutCheck(
        3, 0.4, 0.5, "seasonal naive (period 144)", None, (0.1, 0.9), ((0.667, 0.534), (0.2, 0.5))
    )
    series = SimpleNamespace(channels=("Active Power (kW)", "Oil Temp"))
    line = _worse_channels(check, series)  # type: ignore[arg-type]
    assert (
        line
        == "worse than the seasonal naive (period 144) forecast on: Active Power (kW) (0.667 against 0.534)"
    )
    assert _worse_channels(check._replace(channel_maes=((0.1, 0.5), (0.2, 0.5))), series) == ""  # type: ignore[arg-type]
