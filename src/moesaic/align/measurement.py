"""Recomputing the attributes of one series from its values alone (:func:`measure`).

Recomputation is deterministic least squares, independent of any caption:

* period and level-shift position: grid searches over every integer period in [4, 64] (a fitted
  sine and cosine) and every split in [8, T - 8) (a step column), alternated twice, each keeping the
  candidate of least squared error beside an intercept and a linear trend;
* spike / dip position: argmax of the robust z-score (residual / (1.4826 * MAD)) of that fit; the
  point is then replaced by its fitted value and the searches are repeated;
* total change (the slope times the window, in series units): the linear-trend coefficient of the
  final fit with only the components found present.

Presence is decided in units of the robust noise scale sigma: a spike needs |z| > 6, a level shift
|step| > 3 sigma, seasonality an amplitude > 1.2 sigma, a trend |change| > 2.5 sigma. A stated
number is right when it is within a tolerance of the recomputed one (:func:`change_ok`,
:func:`period_ok`, :func:`position_ok`). The series and captions these check are those of
:mod:`moesaic.align.attributes`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

POSITION_TOLERANCE = 4
"""A stated anomaly position is right within this many steps (3 % of a 128-step window)."""
PERIOD_TOLERANCE = 0.1
"""A stated period is right within this share of the recomputed one (at least one step)."""
CHANGE_TOLERANCE = 0.25
"""A stated total change is right within this share of the recomputed one (same sign)."""

_PERIOD_GRID = np.arange(4, 65)
_SPLIT_MARGIN = 8
_SPIKE_Z, _STEP_SIGMAS, _SEASON_SIGMAS, _TREND_SIGMAS = 6.0, 3.0, 1.2, 2.5


class Measured(NamedTuple):
    """Attributes recomputed from a series by :func:`measure`.

    Same meanings as :class:`~moesaic.align.attributes.Attributes`.
    """

    trend: str
    change: float
    period: int | None
    anomaly: str
    position: int | None
    noise: float  # robust sigma of the final residual


class _Fit(NamedTuple):
    coef: np.ndarray  # intercept, change, [sin, cos], [step]
    fitted: np.ndarray  # (T,)


def _design(length: int, period: int | None, split: int | None) -> np.ndarray:
    """(T, k) columns: intercept, time in [0, 1] (its coefficient is the total change), season, step."""
    i = np.arange(length)
    columns = [np.ones(length), i / (length - 1)]
    if period is not None:
        columns += [np.sin(2 * np.pi * i / period), np.cos(2 * np.pi * i / period)]
    if split is not None:
        columns.append((i >= split).astype(np.float64))
    return np.stack(columns, axis=1)


def _fit(y: np.ndarray, period: int | None, split: int | None) -> _Fit:
    X = _design(y.size, period, split)
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    return _Fit(coef, X @ coef)


class _Candidates(NamedTuple):
    """Candidate columns made orthogonal to a base design, with what each least-squares fit needs."""

    basis: np.ndarray  # (T, k) orthonormal basis of the base columns
    rest: np.ndarray  # (G, m, T) candidates minus their projection on the base, transposed
    inverse: np.ndarray  # (G, m, m) inverse Gram matrix of each candidate's rest


@lru_cache(maxsize=512)
def _candidates(length: int, period: int | None, split: int | None, grid: str) -> _Candidates:
    """The ``grid`` ("period" or "split") candidates beside a base design; independent of the data."""
    i = np.arange(length)
    if grid == "period":
        angle = 2 * np.pi * i[None, :] / _PERIOD_GRID[:, None]
        extra = np.stack([np.sin(angle), np.cos(angle)], axis=-1)  # (P, T, 2)
    else:
        extra = (i[None, :, None] >= _splits(length)[:, None, None]).astype(np.float64)  # (S, T, 1)
    basis, _ = np.linalg.qr(_design(length, period, split))
    rest = (extra - basis @ (basis.T @ extra)).transpose(0, 2, 1)
    gram = rest @ rest.transpose(0, 2, 1)
    return _Candidates(basis, rest, np.linalg.inv(gram + 1e-9 * np.eye(gram.shape[-1])))


def _splits(length: int) -> np.ndarray:
    return np.arange(_SPLIT_MARGIN, length - _SPLIT_MARGIN)


def _grid_sse(y: np.ndarray, c: _Candidates) -> np.ndarray:
    """(G,) residual sum of squares of y on the base plus each candidate (Frisch-Waugh)."""
    y_rest = y - c.basis @ (c.basis.T @ y)
    moment = c.rest @ y_rest  # (G, m)
    gain = np.einsum("gm,gmn,gn->g", moment, c.inverse, moment)
    return float(y_rest @ y_rest) - gain


def _best_period(y: np.ndarray, split: int | None) -> int:
    sse = _grid_sse(y, _candidates(y.size, None, split, "period"))
    return int(_PERIOD_GRID[int(np.argmin(sse))])


def _best_split(y: np.ndarray, period: int | None) -> int:
    sse = _grid_sse(y, _candidates(y.size, period, None, "split"))
    return int(_splits(y.size)[int(np.argmin(sse))])


def _robust_sigma(residual: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(residual - np.median(residual)))) + 1e-12


def _search(y: np.ndarray) -> tuple[int, int, _Fit]:
    """Best (period, split) by alternating grid searches, and the fit with both."""
    period = _best_period(y, None)
    split = _best_split(y, period)
    period = _best_period(y, split)
    split = _best_split(y, period)
    return period, split, _fit(y, period, split)


def measure(series: np.ndarray) -> Measured:
    """Recompute trend, change, period, anomaly and noise of one series (module docstring: how).

    Args:
        series: (T,) values, T >= 64, all finite.

    Raises:
        ValueError: wrong shape, too short, or non-finite values.
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim != 1 or y.size < 64 or not np.isfinite(y).all():
        raise ValueError(f"`series` must be 1-D, finite, with >= 64 steps; got shape {y.shape}")
    _, _, first = _search(y)
    residual = y - first.fitted
    z = (residual - np.median(residual)) / _robust_sigma(residual)
    peak = int(np.argmax(np.abs(z)))
    spike = abs(z[peak]) > _SPIKE_Z
    clean = y.copy()
    if spike:
        clean[peak] = first.fitted[peak]
    period, split, both = _search(clean)
    sigma = _robust_sigma(clean - both.fitted)
    seasonal = float(np.hypot(both.coef[2], both.coef[3])) > _SEASON_SIGMAS * sigma
    shifted = abs(float(both.coef[4])) > _STEP_SIGMAS * sigma
    final = _fit(clean, period if seasonal else None, split if shifted else None)
    sigma = _robust_sigma(clean - final.fitted)
    change = float(final.coef[1])
    trend = "flat" if abs(change) <= _TREND_SIGMAS * sigma else ("up" if change > 0 else "down")
    anomaly, position = "none", None
    if spike:
        anomaly, position = ("spike" if z[peak] > 0 else "dip"), peak
    elif shifted:
        anomaly, position = "shift", split
    return Measured(trend, change, period if seasonal else None, anomaly, position, sigma)


def change_ok(stated: float, recomputed: float) -> bool:
    """A stated total change is right within :data:`CHANGE_TOLERANCE` of the recomputed one."""
    return abs(stated - recomputed) <= CHANGE_TOLERANCE * abs(recomputed)


def period_ok(stated: int, recomputed: int | None) -> bool:
    """A stated period is right within :data:`PERIOD_TOLERANCE` of the recomputed one (at least a step)."""
    return recomputed is not None and abs(stated - recomputed) <= max(1.0, PERIOD_TOLERANCE * recomputed)


def position_ok(stated: int, reference: int | None) -> bool:
    """A stated anomaly position is right within :data:`POSITION_TOLERANCE` steps of ``reference``."""
    return reference is not None and abs(stated - reference) <= POSITION_TOLERANCE
