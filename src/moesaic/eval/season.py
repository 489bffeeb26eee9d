"""The season of a series from its time step: the period a seasonal naive forecast repeats.

A day of rows (24 hourly, 96 every 15 minutes, 1440 every minute) is the cycle of most plant and
load data. :func:`daily_season` returns it with the reason in words, so that the caller can state
the period it used; a day longer than the context is cut to the longest whole fraction of a day
that fits (a sub-cycle of the day: 8 hours of minutely data in 512 steps), never to an arbitrary
number of steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DAY_SECONDS = 86400


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
    if not np.issubdtype(time.dtype, np.datetime64) or len(time) < 2:
        return None
    steps = np.diff(time.astype("datetime64[s]").astype(np.int64))
    step = float(np.median(steps))
    if not 0 < step <= DAY_SECONDS:
        return None
    return daily_season(step, context_length)


def _step_words(step_seconds: float) -> str:
    if step_seconds % 3600 == 0:
        return "every hour" if step_seconds == 3600 else f"every {step_seconds / 3600:g} hours"
    if step_seconds % 60 == 0:
        return "every minute" if step_seconds == 60 else f"every {step_seconds / 60:g} minutes"
    return f"every {step_seconds:g} seconds"
