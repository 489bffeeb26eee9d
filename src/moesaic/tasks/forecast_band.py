"""The width of a quantile forecast's band, set on the windows the model was not fitted on.

A model learns its quantile spreads on the training windows, where its path fits closer than it
will on new rows, so its bands are too narrow: the 0.1-0.9 band held 58-65 % of the later values
in users' files instead of 80 %. After fitting, :func:`fit_band` multiplies each channel's offset of
each quantile from the median by one factor chosen on the validation windows: the factor with the
least pinball loss of that level there. For a level above the median that loss,
sum over values of d * pinball_level(r - s) with d = quantile - median and r = (value - median) / d,
is least at the d-weighted ``level`` quantile of the ratios r (below the median, |d|-weighted at
1 - level), so the factor is computed exactly, not searched on a grid. The median is unchanged.

Axes: W windows, H horizon, C channels, Q quantiles.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.tasks.forecast_config import QuantileForecast

FACTOR_RANGE = (0.25, 8.0)  # a factor outside would say the validation rows are too few or odd
MIN_VALUES = 20  # fewer scorable values for a (channel, level) keep its factor at 1


class Band(NamedTuple):
    """What :func:`fit_band` found on the validation windows; the coverages are shares of the
    values inside the band between the levels nearest 0.1 and 0.9 (``QuantileForecast.band``)."""

    factors: np.ndarray  # (C, Q), 1 at the median
    coverage: float | None  # factors set on one half of the windows, scored on the other; None: too few
    raw_coverage: float | None  # the band as the model gave it, on the same windows


def fit_band(quantiles: np.ndarray, target: np.ndarray, levels: tuple[float, ...]) -> Band:
    """Factors for ``quantiles`` (W, H, C, Q) of ``target`` (W, H, C), NaN = missing, windows in
    time order: fitted on all windows, and to tell how well such factors carry over, once on the
    first half of the windows and scored on the second and once the other way round."""
    factors = _factors(quantiles, target, levels)
    half = len(quantiles) // 2
    raw = _inside(quantiles, target, levels)
    if half < 2 or raw is None:
        return Band(factors, None, raw)
    pieces = (slice(0, half), slice(half, None))
    covered = []
    for fit, score in (pieces, pieces[::-1]):
        moved = apply_band(quantiles[score], _factors(quantiles[fit], target[fit], levels), levels)
        covered.append(_inside(moved, target[score], levels))
    return Band(factors, None if None in covered else float(np.mean(covered)), raw)  # type: ignore[arg-type]


def apply_band(quantiles: np.ndarray, factors: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """(..., C, Q) quantiles with each offset from the median times its channel's and level's
    factor (C, Q), then sorted along Q (a rearrangement that never raises a level's pinball loss)
    in case two factors made neighbouring levels cross."""
    middle = levels.index(0.5)
    median = quantiles[..., middle : middle + 1]
    return np.sort(median + factors * (quantiles - median), axis=-1)


def _factors(quantiles: np.ndarray, target: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """(C, Q) least-pinball-loss factors (module docstring), 1 where too few values tell."""
    middle = levels.index(0.5)
    C, Q = quantiles.shape[-2:]
    factors = np.ones((C, Q))
    median = quantiles[..., middle]
    for c in range(C):
        seen = np.isfinite(target[..., c]) & np.isfinite(median[..., c])
        gap = target[..., c][seen] - median[..., c][seen]
        for q, level in enumerate(levels):
            if q == middle:
                continue
            offset = quantiles[..., c, q][seen] - median[..., c][seen]
            usable = offset > 0 if level > 0.5 else offset < 0
            if usable.sum() < MIN_VALUES:
                continue
            ratio, weight = gap[usable] / offset[usable], np.abs(offset[usable])
            share = level if level > 0.5 else 1.0 - level
            factors[c, q] = np.clip(_weighted_quantile(ratio, weight, share), *FACTOR_RANGE)
    return factors


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, share: float) -> float:
    """The smallest value at which the weights of the values up to it reach ``share`` of the total."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, share * cumulative[-1])])


def _inside(quantiles: np.ndarray, target: np.ndarray, levels: tuple[float, ...]) -> float | None:
    """Share of the observed ``target`` values within the band between the levels nearest 0.1 and
    0.9; None without any."""
    seen = np.isfinite(target)
    if not seen.any():
        return None
    lower, upper, _ = QuantileForecast(quantiles[..., levels.index(0.5)], quantiles, levels).band()
    return float(((target >= lower) & (target <= upper))[seen].mean())
