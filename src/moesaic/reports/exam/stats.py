"""Statistical tests and features for one or two short series (numpy and scipy only).

Every function takes plain 1-D float arrays and returns numbers or small NamedTuples, so the
solver can cite each number in its rationale and a reader can recompute it. Nothing here knows
about questions or options.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats as sps

# MacKinnon's asymptotic 5% critical values of the Dickey-Fuller t statistic.
ADF_CRITICAL_CONSTANT = -2.86
ADF_CRITICAL_TREND = -3.41


class LineFit(NamedTuple):
    slope: float  # per step
    intercept: float
    t_stat: float  # slope / its standard error, corrected for lag-1 autocorrelation of residuals
    r2: float
    residual: np.ndarray  # (T,)


class Peak(NamedTuple):
    period: float  # in steps
    power_share: float  # share of the detrended variance at the peak (and its neighbours)


class Split(NamedTuple):
    at: int  # first step of the second segment
    gain: float  # reduction of the residual sum of squares, as a share of the total


def as_float(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).ravel()


def robust_scale(x: np.ndarray) -> float:
    """The median absolute deviation scaled to a Gaussian standard deviation (never 0)."""
    x = as_float(x)
    mad = float(np.median(np.abs(x - np.median(x)))) * 1.4826
    return max(mad, 1e-12 * (1.0 + float(np.max(np.abs(x))) if x.size else 1.0))


def fit_line(x: np.ndarray) -> LineFit:
    """Least-squares line over the step index with an autocorrelation-aware t statistic."""
    x = as_float(x)
    n = x.size
    t = np.arange(n, dtype=np.float64)
    tc = t - t.mean()
    slope = float(tc @ (x - x.mean()) / (tc @ tc))
    intercept = float(x.mean() - slope * t.mean())
    residual = x - (intercept + slope * t)
    dof = max(n - 2, 1)
    sigma2 = float(residual @ residual) / dof
    se = np.sqrt(sigma2 / (tc @ tc)) if sigma2 > 0 else 1e-12
    # Positively correlated residuals inflate a naive t; scale by the AR(1) variance factor.
    rho = float(np.clip(autocorrelation(residual, 1)[1], -0.9, 0.99)) if n > 3 else 0.0
    inflation = np.sqrt((1 + max(rho, 0.0)) / (1 - max(rho, 0.0)))
    total = float(((x - x.mean()) ** 2).sum())
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 0.0
    return LineFit(slope, intercept, slope / (se * inflation + 1e-300), r2, residual)


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags 0..max_lag, shape (max_lag + 1,)."""
    x = as_float(x) - float(np.mean(x))
    denom = float(x @ x)
    out = np.zeros(max_lag + 1)
    if denom <= 0:
        return out
    for lag in range(max_lag + 1):
        out[lag] = float(x[: x.size - lag] @ x[lag:]) / denom if lag < x.size else 0.0
    return out


def partial_autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Partial autocorrelation at lags 0..max_lag by the Durbin-Levinson recursion."""
    r = autocorrelation(x, max_lag)
    pacf = np.zeros(max_lag + 1)
    pacf[0] = 1.0
    phi = np.zeros(max_lag + 1)
    var = 1.0
    for k in range(1, max_lag + 1):
        acc = r[k] - float(phi[1:k] @ r[1:k][::-1])
        phik = acc / var if var > 1e-12 else 0.0
        new = phi.copy()
        new[k] = phik
        new[1:k] = phi[1:k] - phik * phi[1:k][::-1]
        phi = new
        var *= 1 - phik**2
        pacf[k] = phik
    return pacf


def ljung_box(x: np.ndarray, lags: int = 10) -> float:
    """p-value of the Ljung-Box test that the first ``lags`` autocorrelations are all zero."""
    x = as_float(x)
    n = x.size
    r = autocorrelation(x, lags)[1:]
    q = n * (n + 2) * float(np.sum(r**2 / (n - np.arange(1, lags + 1))))
    return float(sps.chi2.sf(q, lags))


def adf_statistic(x: np.ndarray, *, trend: bool = False, lags: int = 1) -> float:
    """Augmented Dickey-Fuller t statistic of the lagged level (more negative: more stationary).

    Regression: dx_t = a [+ b t] + rho x_{t-1} + sum_k g_k dx_{t-k} + e_t; compare with
    ADF_CRITICAL_CONSTANT or ADF_CRITICAL_TREND.
    """
    x = as_float(x)
    dx = np.diff(x)
    rows = dx.size - lags
    if rows < lags + 5:
        return 0.0
    y = dx[lags:]
    columns = [np.ones(rows), x[lags:-1]]
    if trend:
        columns.append(np.arange(rows, dtype=np.float64))
    columns += [dx[lags - k : dx.size - k] for k in range(1, lags + 1)]
    design = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(rows - design.shape[1], 1)
    sigma2 = float(resid @ resid) / dof
    if sigma2 <= 1e-24:
        # A noiseless series: a straight line is a unit root (rho = 0), anything else decays.
        return 0.0 if abs(coef[1]) < 1e-9 else -100.0
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    return float(coef[1] / np.sqrt(max(cov[1, 1], 1e-300)))


def periodogram(x: np.ndarray, *, pad: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (cycles per step, excluding 0) and power of the linearly detrended series."""
    r = fit_line(x).residual
    n = r.size
    window = np.hanning(n)
    spectrum = np.abs(np.fft.rfft(r * window, n * pad)) ** 2
    freqs = np.fft.rfftfreq(n * pad)
    return freqs[1:], spectrum[1:]


def dominant_period(x: np.ndarray, *, min_cycles: float = 1.5) -> Peak:
    """The period of the strongest spectral peak with at least ``min_cycles`` cycles in the series."""
    x = as_float(x)
    n = x.size
    freqs, power = periodogram(x)
    allowed = freqs >= min_cycles / n
    if not allowed.any() or power[allowed].sum() <= 0:
        return Peak(float(n), 0.0)
    idx = np.flatnonzero(allowed)[int(np.argmax(power[allowed]))]
    width = max(round(len(freqs) / n), 1) * 2  # the main lobe of the Hann window
    share = float(power[max(idx - width, 0) : idx + width + 1].sum() / power.sum())
    return Peak(float(1.0 / freqs[idx]), share)


def spectral_slope(x: np.ndarray) -> float:
    """Slope of log power against log frequency: about 0 for white noise, about -2 for red noise."""
    x = as_float(x)
    x = x - x.mean()
    n = x.size
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(n)
    keep = (freqs > 0) & (power > 0)
    if keep.sum() < 4:
        return 0.0
    return float(np.polyfit(np.log(freqs[keep]), np.log(power[keep]), 1)[0])


def best_split(x: np.ndarray, *, min_size: int = 8, kind: str = "mean") -> Split:
    """The single change point that most reduces the residual sum of squares.

    ``kind="mean"`` fits a constant per segment, ``"line"`` a straight line per segment and
    ``"variance"`` compares log variances of the first differences (a CUSUM-like scan).
    """
    x = as_float(x)
    n = x.size
    if n < 2 * min_size:
        return Split(n // 2, 0.0)
    if kind == "variance":
        d = np.diff(x) ** 2
        total = float(d.sum())
        best, at = 0.0, n // 2
        for k in range(min_size, d.size - min_size):
            a, b = d[:k].mean(), d[k:].mean()
            if a <= 0 or b <= 0:
                continue
            gain = d.size * np.log(d.mean()) - k * np.log(a) - (d.size - k) * np.log(b)
            if gain > best:
                best, at = float(gain), k + 1
        return Split(at, best / max(d.size, 1) if total > 0 else 0.0)
    total = segment_sse(x, kind)
    if total <= 0:
        return Split(n // 2, 0.0)
    gains = [
        (total - segment_sse(x[:k], kind) - segment_sse(x[k:], kind), k)
        for k in range(min_size, n - min_size + 1)
    ]
    gain, at = max(gains)
    return Split(at, gain / total)


def segment_sse(x: np.ndarray, kind: str = "mean") -> float:
    """Residual sum of squares of a constant (``"mean"``) or a line (``"line"``) fitted to ``x``."""
    x = as_float(x)
    if kind == "line" and x.size > 2:
        r = fit_line(x).residual
        return float(r @ r)
    return float(((x - x.mean()) ** 2).sum())


def piecewise_fit(x: np.ndarray, segments: int, *, kind: str = "line", min_size: int = 6) -> float:
    """Smallest residual sum of squares of ``segments`` contiguous pieces (dynamic programming).

    Each piece is a constant (``kind="mean"``) or its own straight line (``"line"``); piece
    costs come from prefix sums, so all O(T^2) of them take one vectorised pass.
    """
    x = as_float(x)
    n = x.size
    cost = _segment_costs(x, kind)  # (n + 1, n + 1): cost[i, j] for x[i:j]
    size = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]
    cost = np.where(size >= min_size, cost, np.inf)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    for _ in range(segments):
        best = np.min(best[:, None] + cost, axis=0)
    return float(best[n])


def _segment_costs(x: np.ndarray, kind: str) -> np.ndarray:
    n = x.size
    t = np.arange(n, dtype=np.float64)

    def prefix(v: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(v)])

    s1, st, stt = prefix(np.ones(n)), prefix(t), prefix(t * t)
    sx, sxx, stx = prefix(x), prefix(x * x), prefix(t * x)

    def span(p: np.ndarray) -> np.ndarray:
        return p[None, :] - p[:, None]

    m, mt, mtt, mx, mxx, mtx = (span(p) for p in (s1, st, stt, sx, sxx, stx))
    with np.errstate(divide="ignore", invalid="ignore"):
        sse = mxx - np.where(m > 0, mx**2 / m, 0.0)
        if kind == "line":
            stt_c = mtt - np.where(m > 0, mt**2 / m, 0.0)
            stx_c = mtx - np.where(m > 0, mt * mx / m, 0.0)
            sse = sse - np.where(stt_c > 1e-12, stx_c**2 / stt_c, 0.0)
    return np.maximum(np.nan_to_num(sse, nan=np.inf), 0.0)


def smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving median then moving mean; robust to spikes, keeps the length."""
    x = as_float(x)
    width = max(int(width) | 1, 1)
    half = width // 2
    padded = np.pad(x, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    med = np.median(windows, axis=1)
    padded = np.pad(med, half, mode="edge")
    return np.asarray(np.lib.stride_tricks.sliding_window_view(padded, width).mean(axis=1))


def noise_std(x: np.ndarray) -> float:
    """Scale of the fast, white part of ``x``: robust scale of first differences / sqrt(2).

    A smooth signal (trend, slow cycle) barely moves between neighbouring steps, so the first
    differences are dominated by the white noise; the median makes jumps of a square wave or a
    sawtooth irrelevant.
    """
    d = np.diff(as_float(x))
    if d.size < 2:
        return 0.0
    return robust_scale(d - np.median(d)) / np.sqrt(2.0)


def granger_f(cause: np.ndarray, effect: np.ndarray, lags: int) -> float:
    """F statistic for "lags of ``cause`` improve an AR(lags) prediction of ``effect``".

    Both series are differenced first when they look non-stationary, as is customary.
    """
    x, y = as_float(cause), as_float(effect)
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    rows = n - lags
    target = y[lags:]
    own = np.column_stack([np.ones(rows)] + [y[lags - k : n - k] for k in range(1, lags + 1)])
    other = np.column_stack([x[lags - k : n - k] for k in range(1, lags + 1)])
    full = np.column_stack([own, other])
    rss_r = _rss(own, target)
    rss_f = _rss(full, target)
    dof = rows - full.shape[1]
    if dof <= 0 or rss_f <= 1e-300:
        return 0.0 if rss_r <= 1e-300 else 1e6
    return float(((rss_r - rss_f) / lags) / (rss_f / dof))


def _rss(design: np.ndarray, target: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    r = target - design @ coef
    return float(r @ r)


def f_pvalue(f: float, lags: int, dof: int) -> float:
    return float(sps.f.sf(f, lags, max(dof, 1)))


class LagMatch(NamedTuple):
    lag: int  # b[t] ~ a[t + lag]: positive when ``b`` follows ``a`` ``lag`` steps later... see lag_match
    correlation: float


def lag_match(a: np.ndarray, b: np.ndarray, *, max_lag: int) -> LagMatch:
    """The shift with the best correlation between ``a`` and ``b`` (overlap of at least a third).

    A positive ``lag`` means ``b[t] = a[t + lag]``: ``b`` shows now what ``a`` shows ``lag``
    steps later, so ``a`` is the delayed (lagged) copy of ``b``.
    """
    a, b = as_float(a), as_float(b)
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    best = LagMatch(0, -2.0)
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            u, v = a[lag:], b[: n - lag]
        else:
            u, v = a[: n + lag], b[-lag:]
        if u.size < max(n // 3, 8) or u.std() == 0 or v.std() == 0:
            continue
        c = float(np.corrcoef(u, v)[0, 1])
        if c > best.correlation:
            best = LagMatch(lag, c)
    return best


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance between the value distributions."""
    return float(sps.ks_2samp(as_float(a), as_float(b)).statistic)
