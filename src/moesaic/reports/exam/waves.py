"""Fitting trends and periodic waveforms (sine, square, sawtooth) by least squares over grids.

A waveform of a given period and phase is a fixed template, so fitting its amplitude is one
projection; trying every (period, phase) pair of a grid is one matrix product. Nuisance terms
(a constant, a line, a trend curve) are projected out of the series and of every template
first, so the waveform's amplitude is fitted jointly with them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from moesaic.reports.exam.stats import as_float, dominant_period

WAVES = ("sine", "square", "sawtooth")
TRENDS = ("linear", "exponential", "log")
# Phases tried per period: a coarse grid over every period, then a fine one around the best.
COARSE_PHASES = 24
FINE_PHASES = 64


class WaveFit(NamedTuple):
    kind: str
    period: float
    phase: float  # share of a period, in [0, 1)
    amplitude: float  # signed: a negative sawtooth falls instead of rising
    sse: float  # residual sum of squares after the nuisance terms and the wave
    r2: float  # share of the nuisance-residual variance the wave explains
    fitted: np.ndarray  # (T,) the wave alone, amplitude included, nuisance terms projected out
    model: np.ndarray  # (T,) nuisance terms + wave: the whole fitted series


class TrendFit(NamedTuple):
    kind: str
    sse: float
    fitted: np.ndarray  # (T,)


def waveform(kind: str, t: np.ndarray, period: float, phase: float) -> np.ndarray:
    """Unit-amplitude waveform values at steps ``t``."""
    u = np.mod(t / period + phase, 1.0)
    if kind == "sine":
        return np.asarray(np.sin(2 * np.pi * u))
    if kind == "square":
        return np.where(u < 0.5, 1.0, -1.0)
    if kind == "sawtooth":
        return 2.0 * u - 1.0
    raise ValueError(f"unknown waveform {kind!r}; choose one of {WAVES}")


def period_grid(
    n: int, *, shortest: float = 3.0, longest: float | None = None, count: int = 96
) -> np.ndarray:
    """Geometrically spaced candidate periods from ``shortest`` up to ``longest`` (default n)."""
    return np.geomspace(shortest, longest or float(n), count)


def nuisance_basis(n: int, kind: str) -> np.ndarray:
    """Orthonormal columns spanning the nuisance terms: "const", "line" or "quadratic", (T, k)."""
    t = np.linspace(-1.0, 1.0, n)
    columns = {"const": 1, "line": 2, "quadratic": 3, "cubic": 4}[kind]
    q, _ = np.linalg.qr(np.vander(t, columns, increasing=True))
    return np.asarray(q)


def fit_wave(
    x: np.ndarray,
    kind: str,
    *,
    periods: np.ndarray | None = None,
    nuisance: str | np.ndarray = "line",
    refine: bool = True,
    mask: np.ndarray | None = None,
) -> WaveFit:
    """Best amplitude, period and phase of one waveform over a period grid and a phase grid.

    ``nuisance`` names polynomial terms fitted alongside ("const", "line", "quadratic",
    "cubic") or gives them as columns, (T, k). With ``mask`` (T,) bool, only the steps where
    it is True are fitted (the model is still evaluated everywhere).
    """
    x = as_float(x)
    n = x.size
    t = np.arange(n, dtype=np.float64)
    columns = (
        nuisance_basis(n, nuisance)
        if isinstance(nuisance, str)
        else np.asarray(nuisance, dtype=np.float64).reshape(n, -1)
    )
    keep = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    q, _ = np.linalg.qr(columns[keep])
    xk = x[keep]
    xr = xk - q @ (q.T @ xk)
    base = float(xr @ xr)
    grid = period_grid(n) if periods is None else np.asarray(periods, dtype=np.float64)
    select = None if mask is None else keep
    best = _scan(xr, n, q, kind, grid, select, COARSE_PHASES if grid.size > 20 else FINE_PHASES)
    if refine:
        step = float(np.exp(np.mean(np.diff(np.log(grid))))) if grid.size > 1 else 1.0
        fine = best[0] * np.geomspace(1 / step, step, 17)
        best = _scan(xr, n, q, kind, fine, select, FINE_PHASES)
    period, phase, amplitude, explained = best
    wave = waveform(kind, t, period, phase)
    design = np.column_stack([columns, wave])
    coef, *_ = np.linalg.lstsq(design[keep], xk, rcond=None)
    model = design @ coef
    fitted = amplitude * wave
    fitted = fitted - columns @ np.linalg.lstsq(columns[keep], fitted[keep], rcond=None)[0]
    sse = max(base - explained, 0.0)
    return WaveFit(kind, period, phase, amplitude, sse, explained / base if base > 0 else 0.0, fitted, model)


def _scan(
    xr: np.ndarray,
    n: int,
    q: np.ndarray,
    kind: str,
    periods: np.ndarray,
    keep: np.ndarray | None,
    phases: int,
) -> tuple[float, float, float, float]:
    flat, sq_norms = _templates(kind, n, tuple(np.round(periods, 6)), phases)
    if keep is not None:
        flat = flat[:, keep]
        sq_norms = np.einsum("ij,ij->i", flat, flat)
    # With xr orthogonal to the nuisance columns q, projecting q out of a template f changes
    # neither f . xr nor anything but its norm: |f - q q'f|^2 = |f|^2 - |q'f|^2.
    fq = flat @ q
    norms = sq_norms - np.einsum("ij,ij->i", fq, fq)
    dots = flat @ xr
    explained = np.where(norms > 1e-9, dots**2 / np.maximum(norms, 1e-9), 0.0)
    i = int(np.argmax(explained))
    p, f = divmod(i, phases)
    amplitude = float(dots[i] / norms[i]) if norms[i] > 1e-9 else 0.0
    return float(periods[p]), f / phases, amplitude, float(explained[i])


@functools.lru_cache(maxsize=64)
def _templates(kind: str, n: int, periods: tuple[float, ...], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (period, phase) template, (P * PHASES, T), and its squared norm; cached, as the
    default grids repeat from question to question."""
    t = np.arange(n, dtype=np.float64)
    grid = np.asarray(periods)
    phases = np.arange(count) / count
    u = np.mod(t[None, None, :] / grid[:, None, None] + phases[None, :, None], 1.0)  # (P, F, T)
    if kind == "sine":
        templates = np.sin(2 * np.pi * u)
    elif kind == "square":
        templates = np.where(u < 0.5, 1.0, -1.0)
    elif kind == "sawtooth":
        templates = 2.0 * u - 1.0
    else:
        raise ValueError(f"unknown waveform {kind!r}; choose one of {WAVES}")
    flat = templates.reshape(-1, n)
    sq_norms = np.einsum("ij,ij->i", flat, flat)
    flat.setflags(write=False)
    sq_norms.setflags(write=False)
    return flat, sq_norms


def best_wave(
    x: np.ndarray,
    *,
    kinds: tuple[str, ...] = WAVES,
    nuisance: str | np.ndarray = "line",
    periods: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> WaveFit:
    """The waveform among ``kinds`` that leaves the smallest residual."""
    fits = [fit_wave(x, k, nuisance=nuisance, periods=periods, mask=mask) for k in kinds]
    return min(fits, key=lambda f: f.sse)


def trend_curve(kind: str, n: int, curvature: float) -> np.ndarray:
    """A unit-free trend shape on steps 0..n-1; ``curvature`` > 0 sets how bent it is."""
    s = np.linspace(0.0, 1.0, n)
    if kind == "linear":
        return s
    if kind == "exponential":
        return np.asarray(np.expm1(curvature * s) / np.expm1(curvature))
    if kind == "log":
        return np.asarray(np.log1p(curvature * s) / np.log1p(curvature))
    raise ValueError(f"unknown trend {kind!r}; choose one of {TRENDS}")


CURVATURES = np.geomspace(0.5, 40.0, 24)


def trend_shapes(kind: str, n: int) -> list[np.ndarray]:
    """Candidate unit shapes of a trend family ("none" has none)."""
    if kind == "none":
        return []
    if kind == "linear":
        return [trend_curve("linear", n, 1.0)]
    shapes = [trend_curve(kind, n, c) for c in CURVATURES]
    if kind == "exponential":
        # An exponential may also decay (exp(-c t) is the time-reversed exp(c t)); a log curve
        # is steepest at the start whatever its sign, so it is never reversed.
        shapes += [s[::-1] for s in shapes]
    return shapes


def fit_trend(x: np.ndarray, kind: str, *, with_wave: bool = False) -> TrendFit:
    """Least-squares fit of a + b * shape(t) for a trend family, optionally plus a waveform.

    Exponential and log shapes are tried for every curvature of a grid. With ``with_wave``
    the best sine, square or sawtooth (period near the dominant one) is fitted jointly with
    every candidate trend shape, so a cycle does not pass for curvature.
    """
    x = as_float(x)
    n = x.size
    periods = None
    if with_wave:
        q = nuisance_basis(n, "quadratic")
        peak = dominant_period(x - q @ (q.T @ x))
        periods = peak.period * np.geomspace(0.85, 1.18, 9)
    best: TrendFit | None = None
    shapes: list[np.ndarray | None] = list(trend_shapes(kind, n)) or [None]
    for shape in shapes:
        columns = np.ones((n, 1)) if shape is None else np.column_stack([np.ones(n), shape])
        coef, *_ = np.linalg.lstsq(columns, x, rcond=None)
        fitted = columns @ coef
        sse = float(((x - fitted) ** 2).sum())
        if with_wave:
            wave = best_wave(x, nuisance=columns, periods=periods)
            sse = wave.sse
            fitted = x - _residual_after(x, columns, wave.fitted)
        if best is None or sse < best.sse:
            best = TrendFit(kind, sse, fitted)
    assert best is not None
    return best


def _residual_after(x: np.ndarray, columns: np.ndarray, wave: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(columns, x - wave, rcond=None)
    return np.asarray(x - wave - columns @ coef)
