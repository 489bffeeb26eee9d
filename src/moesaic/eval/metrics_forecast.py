"""Forecasting and RUL metrics: MSE, MAE, RMSE, quantile losses, CRPS and the PHM08 NASA score.

Conventions (NaN in ``y`` marks a missing target, left out of every sum and mean) are stated in
:mod:`moesaic.eval.metrics`, which re-exports every name here.
"""

from __future__ import annotations

import numpy as np

from moesaic.eval.metrics_checks import _array, _finite, _observed, _quantile_levels, _same_shape


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean squared error over observed targets. y, y_hat: any matching shape; NaN in y is ignored."""
    yy, ff = _array("y", y), _array("y_hat", y_hat)
    _same_shape("y_hat", ff, "y", yy)
    mask = _observed(yy, "y_hat", ff)
    return float(np.mean((yy[mask] - ff[mask]) ** 2))


def mae(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean absolute error over observed targets. y, y_hat: any matching shape; NaN in y is ignored."""
    yy, ff = _array("y", y), _array("y_hat", y_hat)
    _same_shape("y_hat", ff, "y", yy)
    mask = _observed(yy, "y_hat", ff)
    return float(np.mean(np.abs(yy[mask] - ff[mask])))


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error (used for RUL); NaN in y is ignored."""
    return float(np.sqrt(mse(y, y_hat)))


def _pinball(y: np.ndarray, y_q: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    diff = y - y_q
    return np.maximum(q * diff, (q - 1.0) * diff)


def quantile_loss(y: np.ndarray, y_q: np.ndarray, q: float) -> np.ndarray:
    """Pinball loss per point: max(q (y - y_q), (q - 1) (y - y_q)).

    Args:
        y: targets, any shape; NaN = missing.
        y_q: forecast of the q-quantile, same shape as ``y``.
        q: quantile level in (0, 1).
    Returns:
        Array of the shape of ``y``, NaN where ``y`` is missing.
    """
    yy, ff = _array("y", y), _array("y_q", y_q)
    _same_shape("y_q", ff, "y", yy)
    if np.ndim(q) != 0:
        raise ValueError(f"`q` must be a single level, got shape {np.shape(q)}")
    level = float(_quantile_levels("q", q)[0])
    if not np.isnan(yy).all():
        _observed(yy, "y_q", ff)
    return _pinball(yy, ff, level)


def _quantile_inputs(
    y: np.ndarray, y_quantiles: np.ndarray, quantiles: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked (y, pinball (..., Q), observed mask) for the multi-quantile metrics."""
    yy, ff = _array("y", y), _array("y_quantiles", y_quantiles)
    levels = _quantile_levels("quantiles", quantiles)
    expected = (*yy.shape, levels.size)
    if ff.shape != expected:
        raise ValueError(f"`y_quantiles` must have shape `y.shape + (Q,)` = {expected}, got {ff.shape}")
    mask = _observed(yy, "y_quantiles", ff)
    return yy, _pinball(yy[..., None], ff, levels), mask


def weighted_quantile_loss(y: np.ndarray, y_quantiles: np.ndarray, quantiles: object) -> float:
    """Weighted quantile loss (wQL), as in GluonTS and Chronos.

    wQL = mean over q of 2 * sum_t pinball_q(t) / sum_t |y_t|, sums over observed targets.

    Args:
        y: targets, any shape S; NaN = missing.
        y_quantiles: (*S, Q) quantile forecasts.
        quantiles: (Q,) levels in (0, 1).
    """
    yy, pin, mask = _quantile_inputs(y, y_quantiles, quantiles)
    scale = float(np.abs(yy[mask]).sum())
    if scale == 0.0:
        raise ValueError("`y` sums to 0 in absolute value over observed targets; wQL is undefined")
    per_quantile = 2.0 * pin[mask].sum(axis=0) / scale  # (Q,)
    return float(per_quantile.mean())


def crps_from_quantiles(y: np.ndarray, y_quantiles: np.ndarray, quantiles: object) -> float:
    """CRPS approximated from quantiles: mean over observed points of 2 * mean_q pinball_q.

    Shapes as in ``weighted_quantile_loss``; unscaled, in the units of ``y``.
    """
    _, pin, mask = _quantile_inputs(y, y_quantiles, quantiles)
    return float((2.0 * pin[mask].mean(axis=-1)).mean())


def nasa_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """PHM08 asymmetric RUL score (lower is better); late predictions cost more than early ones.

    With d = y_pred - y_true: sum of exp(-d / 13) - 1 where d < 0, and exp(d / 10) - 1 where d >= 0.
    """
    yt, yp = _array("y_true", y_true), _array("y_pred", y_pred)
    _same_shape("y_pred", yp, "y_true", yt)
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        _finite(name, arr)
    d = yp - yt
    return float(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0)).sum())
