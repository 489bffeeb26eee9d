"""How good is a fitted forecaster on the end of its own file: the hold-out check ``moesaic forecast``
prints.

The check forecasts from origins spaced one horizon apart in the last ``fraction`` of the rows (the
part ``Forecaster.fit`` held out, so its early stopping saw these rows: the figure is a check, not
an unbiased test), and compares the median with a seasonal naive forecast (the last period
repeated; the last value when the period does not fit the context) on the same observed values.
Errors are on the forecaster's standardised scale (each channel minus its training mean, over its
training standard deviation), so that every channel counts alike.
Axes: B origins, L context length, H horizon, C channels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.tasks.forecast import Forecaster


class HoldoutCheck(NamedTuple):
    origins: int  # forecasts scored
    mae: float  # the forecaster's median, standardised
    naive_mae: float  # the naive forecast, on the same values
    naive: str  # which naive forecast
    coverage: float | None  # share of the values inside the band; None for a point forecast
    levels: tuple[float, float]  # the band's quantile levels
    channel_maes: tuple[tuple[float, float], ...] = ()  # per channel: (mae, naive_mae), NaN if unscored


def check_origins(rows: int, *, horizon: int, fraction: float) -> np.ndarray:
    """The first rows of the forecasts :func:`holdout_check` scores in a ``rows``-row series: one
    horizon apart from the start of its last ``fraction``, each followed by a whole horizon; empty
    when that part is shorter than one horizon (or ``fraction`` is 0)."""
    cut = max(int(rows * (1 - fraction)), 1)
    return np.arange(cut, rows - horizon + 1, horizon)


def holdout_check(
    forecaster: Forecaster, values: np.ndarray, *, fraction: float, period: int
) -> HoldoutCheck | None:
    """Score ``forecaster`` on the last ``fraction`` of ``values`` (T, C), NaN = missing; None when
    that part is shorter than one horizon or holds no value both forecasts can be scored on. An
    origin whose context has no observed value is skipped."""
    spec = forecaster.spec_
    L, H = spec.context_length, spec.horizon
    T, C = values.shape
    origins = check_origins(T, horizon=H, fraction=fraction)
    origins = np.asarray([s for s in origins if np.isfinite(values[max(s - L, 0) : s]).any()], dtype=int)
    if not len(origins):
        return None
    context = np.full((len(origins), L, C), np.nan, dtype=np.float32)
    for b, s in enumerate(origins):
        piece = values[max(s - L, 0) : s]
        context[b, L - len(piece) :] = piece
    actual = np.stack([values[s : s + H] for s in origins])  # (B, H, C)
    forecast = forecaster.predict(context)
    seasonal = period <= L
    steps = np.arange(H)
    naive = context[:, L - period + steps % period] if seasonal else np.repeat(context[:, -1:], H, axis=1)
    scored = np.isfinite(actual) & np.isfinite(naive) & np.isfinite(forecast.median)
    if not scored.any():
        return None
    lower, upper, levels = forecast.band()
    inside = (actual >= lower) & (actual <= upper)
    scale = forecaster.scaler_.transform
    errors = np.abs(scale(forecast.median) - scale(actual))
    naive_errors = np.abs(scale(naive) - scale(actual))
    error, naive_error = errors[scored], naive_errors[scored]
    with np.errstate(invalid="ignore"):  # a channel without a scored value: NaN
        per_channel = tuple(
            (
                float(np.mean(errors[..., c][scored[..., c]])),
                float(np.mean(naive_errors[..., c][scored[..., c]])),
            )
            if scored[..., c].any()
            else (float("nan"), float("nan"))
            for c in range(C)
        )
    return HoldoutCheck(
        origins=len(origins),
        mae=float(error.mean()),
        naive_mae=float(naive_error.mean()),
        naive=f"seasonal naive (period {period})" if seasonal else "last value",
        coverage=None if np.array_equal(lower, upper) else float(inside[scored].mean()),
        levels=levels,
        channel_maes=per_channel,
    )
