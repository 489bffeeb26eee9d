"""The season of a series from its time step: the period a seasonal naive forecast repeats.

A day of rows (24 hourly, 96 every 15 minutes, 1440 every minute) is the cycle of most plant and
load data. :func:`daily_season` returns it with the reason in words, so that the caller can state
the period it used; a day longer than the context is cut to the longest whole fraction of a day
that fits (a sub-cycle of the day: 8 hours of minutely data in 512 steps), never to an arbitrary
number of steps.

Plants that stop at weekends repeat a week, not a day: :func:`weekly_season` tells when a series'
own rows say so, by comparing the error of the forecast "as a week ago" with that of "as a day
ago" (each channel standardised). A daily cycle with noise gives them alike; a Saturday unlike a
Friday makes the day-ago forecast wrong twice a week (Saturday, Monday) while the week-ago one
stays right; a drifting series makes the week-ago forecast the worse one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DAY_SECONDS = 86400
WEEK_DAYS = 7
WEEKLY_RATIO = 0.8
"""A week-ago forecast with at most this share of the day-ago forecast's error is a clear weekly
cycle (CH-01 of a bottling plant idle at weekends: 0.55; ETTh1's hourly transformer loads: 1.39)."""
MIN_WEEKS = 3
"""Weeks of rows :func:`weekly_season` needs: the first week only serves as the week-ago values."""
MAX_WEEK_ROWS = 1008
"""The longest week :func:`weekly_season` proposes (10-minute rows): a context must hold it, and the
forecaster's closed-form path solves a system as wide as the context (2016 steps at 10 minutes;
5-minute rows would need 4032). Finer rows keep a day unless ``--set seasonal_period`` says otherwise."""


class Season(NamedTuple):
    """A seasonal period in steps and why it was chosen (for logs and messages)."""

    period: int
    why: str


def daily_season(step_seconds: float, context_length: int) -> Season:
    """One day of steps at ``step_seconds``, or the longest whole fraction of a day that fits in
    ``context_length`` steps.

    Raises:
        ValueError: a step that is not positive or longer than a day.
    """
    if not 0 < step_seconds <= DAY_SECONDS:
        raise ValueError(f"a daily season needs a time step of at most a day, got {step_seconds} seconds")
    if context_length < 1:
        raise ValueError(f"`context_length` must be >= 1, got {context_length}")
    day = max(1, round(DAY_SECONDS / step_seconds))
    every = _step_words(step_seconds)
    if day <= context_length:
        return Season(day, f"season of {day} steps: one day of rows {every}")
    fits = max(d for d in range(1, context_length + 1) if day % d == 0)
    hours = fits * step_seconds / 3600
    return Season(
        fits,
        f"season of {fits} steps ({hours:g} hours): a day of rows {every} ({day}) is longer than the "
        f"context of {context_length}, so the longest whole fraction of a day that fits",
    )


def season_of_times(time: np.ndarray, context_length: int) -> Season | None:
    """:func:`daily_season` at the median step of a datetime64 ``time`` column; None when the time
    column holds step numbers (no timestamps) or a step longer than a day."""
    step = _step_seconds(time)
    return None if step is None else daily_season(step, context_length)


def _step_words(step_seconds: float) -> str:
    if step_seconds % 3600 == 0:
        return "every hour" if step_seconds == 3600 else f"every {step_seconds / 3600:g} hours"
    if step_seconds % 60 == 0:
        return "every minute" if step_seconds == 60 else f"every {step_seconds / 60:g} minutes"
    return f"every {step_seconds:g} seconds"


def weekly_ratio(values: np.ndarray, day: int) -> float | None:
    """Mean absolute error of the week-ago forecast over that of the day-ago forecast.

    Args:
        values: (T, C) rows, NaN = missing; each channel is standardised on them first.
        day: rows per day.
    Returns:
        The ratio over the rows from the second week on where both forecasts and the value are
        observed; None with fewer than two weeks of rows, nothing to score or a day-ago error of 0.
    """
    week = WEEK_DAYS * day
    if day < 1 or len(values) < 2 * week:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.nanstd(values, axis=0)
        z = (values - np.nanmean(values, axis=0)) / np.where(spread > 0, spread, 1.0)
    now = z[week:]
    by_day, by_week = np.abs(now - z[week - day : -day]), np.abs(now - z[:-week])
    scored = np.isfinite(by_day) & np.isfinite(by_week)
    if not scored.any() or not by_day[scored].sum() > 0:
        return None
    return float(by_week[scored].mean() / by_day[scored].mean())


def weekly_season(time: np.ndarray, values: np.ndarray) -> Season | None:
    """A week of rows when ``values`` (T, C), at the times ``time``, hold at least :data:`MIN_WEEKS`
    weeks with a clear weekly cycle (:func:`weekly_ratio` at most :data:`WEEKLY_RATIO`); None
    otherwise, or when the rows have no timestamps, a step over a day or a week longer than
    :data:`MAX_WEEK_ROWS` rows. Give it only the rows a model trains on, never those it is
    checked on."""
    step = _step_seconds(time)
    if step is None:
        return None
    day = round(DAY_SECONDS / step)
    week = WEEK_DAYS * day
    if week > MAX_WEEK_ROWS or len(values) < MIN_WEEKS * week:
        return None
    ratio = weekly_ratio(values, day)
    if ratio is None or ratio > WEEKLY_RATIO:
        return None
    return Season(
        week,
        f"season of {week} steps: one week of rows {_step_words(step)}; the training rows repeat a "
        f"week more than a day (a week-ago forecast has {ratio:.2f} times the error of a day-ago one)",
    )


def _step_seconds(time: np.ndarray) -> float | None:
    """The median step of a datetime64 ``time`` column in seconds; None without timestamps or for a
    step that is not positive or longer than a day."""
    if not np.issubdtype(time.dtype, np.datetime64) or len(time) < 2:
        return None
    step = float(np.median(np.diff(time.astype("datetime64[s]").astype(np.int64))))
    return step if 0 < step <= DAY_SECONDS else None
