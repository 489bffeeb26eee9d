"""Series values as text and back, for the text forecasters of :mod:`moesaic.align.series_text`.

LLMTime's digit strings: an affine scaling of the context (:func:`fit_digit_scaling`), values
written with a fixed number of digits and no decimal point (:func:`serialise_digits`) and read
back from a generated continuation (:func:`parse_digits`). PromptCast's answers: the numbers of
free text, dates and clock times left out (:func:`parse_numbers`). A value that cannot be read
is NaN and counted (:class:`Parsed`); :func:`sample_median` and :func:`fill_gaps` turn such
values into a forecast, and :func:`check_contexts` checks the contexts every forecaster takes.

Axes: W windows, L context length, H horizon, S samples.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np


class Parsed(NamedTuple):
    """Values read from generated text: ``values`` (H,) with NaN where none was readable."""

    values: np.ndarray
    invalid: int


def fill_gaps(values: np.ndarray, last: float) -> np.ndarray:
    """(H,) values with each NaN replaced by the value before it (``last`` before the first)."""
    out = np.array(values, dtype=np.float64)
    previous = last
    for h, value in enumerate(out):
        if np.isnan(value):
            out[h] = previous
        previous = out[h]
    return out


def sample_median(samples: np.ndarray) -> np.ndarray:
    """(S, H) samples with NaN gaps -> (H,) median of the parsed values; NaN where none parsed."""
    parsed = ~np.isnan(samples).all(0)
    median = np.full(samples.shape[1], np.nan)
    median[parsed] = np.nanmedian(samples[:, parsed], axis=0)
    return median


class DigitScaling(NamedTuple):
    """``scaled = (x - offset) / scale``."""

    offset: float
    scale: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.offset) / self.scale

    def invert(self, scaled: np.ndarray) -> np.ndarray:
        return np.asarray(scaled, dtype=np.float64) * self.scale + self.offset


def fit_digit_scaling(history: np.ndarray, *, alpha: float, beta: float) -> DigitScaling:
    """LLMTime's affine scaling of a context (L,): min at ``beta * range``, ``alpha``-quantile at 1."""
    history = np.asarray(history, dtype=np.float64)
    low, high = float(history.min()), float(history.max())
    offset = low - beta * (high - low)
    scale = float(np.quantile(history - offset, alpha))
    return DigitScaling(offset, scale if scale > 1e-8 else 1.0)


def serialise_digits(scaled: np.ndarray, *, precision: int, separator: str = " ,") -> str:
    """Non-negative scaled values -> ``"523 ,1020 ,7"``: ``precision`` decimals, no point, no sign."""
    integers = np.round(np.clip(np.asarray(scaled, dtype=np.float64), 0, None) * 10**precision).astype(
        np.int64
    )
    return separator.join(str(int(v)) for v in integers)


def parse_digits(text: str, count: int, *, precision: int, max_digits: int, separator: str = " ,") -> Parsed:
    """The first ``count`` values of a generated digit string; malformed or missing ones are NaN.

    A value is malformed unless it is 1 to ``max_digits`` digits after stripping spaces.
    """
    pieces = text.split(separator)[:count]
    values = np.full(count, np.nan)
    for h, piece in enumerate(pieces):
        digits = piece.strip()
        if digits.isdigit() and len(digits) <= max_digits and digits.isascii():
            values[h] = int(digits) / 10**precision
    return Parsed(values, int(np.isnan(values).sum()))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def parse_numbers(text: str, count: int) -> Parsed:
    """The first ``count`` numbers of an answer, dates and clock times removed; missing ones NaN."""
    found = [float(m) for m in _NUMBER.findall(_DATE.sub(" ", text))][:count]
    values = np.full(count, np.nan)
    values[: len(found)] = found
    return Parsed(values, count - len(found))


def check_contexts(contexts: np.ndarray) -> np.ndarray:
    """(W, L) contexts as float64; a ValueError unless they are finite and two-dimensional."""
    contexts = np.asarray(contexts, dtype=np.float64)
    if contexts.ndim != 2 or not np.isfinite(contexts).all():
        raise ValueError(f"`contexts` must be finite (windows, context_length), got shape {contexts.shape}")
    return contexts
