"""Channels read as never negative (moesaic.data.bounds)."""

from __future__ import annotations

import numpy as np

from moesaic.data.bounds import floored, never_negative


def test_a_channel_resting_at_or_near_zero_is_never_negative_and_a_warm_one_is_not() -> None:
    power = np.r_[0.0, 0.0, 1200.0, 2500.0, np.nan]  # calm weather, then rated power
    wind = np.r_[0.3, 4.0, 12.0, 25.0, 8.0]  # 0.3 lies within 5 % of its range from 0
    temperature = np.r_[15.0, 40.0, 80.0, 60.0, 30.0]  # may go below 0 in winter
    swing = np.r_[-3.0, 0.0, 4.0, 1.0, 2.0]
    empty = np.full(5, np.nan)
    values = np.stack([power, wind, temperature, swing, empty], axis=1)
    assert never_negative(values).tolist() == [True, True, False, False, False]
    drawn = np.array([[-10.0, -1.0, -5.0, -2.0, -1.0]])
    assert floored(drawn, never_negative(values)).tolist() == [[0.0, 0.0, -5.0, -2.0, -1.0]]
