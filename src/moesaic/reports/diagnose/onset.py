"""When a change started: change points on the channels that moved, by the shape of the change.

Three shapes, each with its own estimator:

- ``spike``: the first isolated spike (:func:`moesaic.reports.diagnose.stats.spike_steps`);
- ``frozen``: the first reading of the longest run of exactly repeated readings;
- ``drift`` (anything else): a hinge fit. The mean departure y(t) of the moved channels from their
  baseline (signed so that the change is positive), taken on what the other channels do not
  explain (:func:`moesaic.reports.diagnose.faults.cross_residuals`, so load swings drop out) and averaged
  over a day (so the daily cycle does too), is fitted by ``a`` before the onset and
  ``a + b (t - onset)^p`` after it, for every candidate onset and a few exponents p; the onset
  with the least squared error wins. A step is the limit of a steep ramp; a slow, accelerating
  drift (wear) needs p > 1 to be placed at its start rather than where it became obvious.

Axis names: T time steps, C channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from moesaic.reports.diagnose.faults import cross_residuals
from moesaic.reports.diagnose.stats import median, spike_steps, step_noise

SHAPES = ("drift", "spike", "frozen")
EXPONENTS = (0.5, 1.0, 1.5, 2.0, 3.0)
_MAX_CANDIDATES = 400


def departure(values: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """(T,) mean over channels of the signed departure from the baseline median, in baseline spreads.

    Each channel is signed by the direction its last third moved, so the departures add up.
    """
    columns = []
    for c in range(values.shape[1]):
        b = baseline[:, c]
        spread = max(float(np.nanstd(b)) if np.isfinite(b).sum() > 1 else 0.0, 1e-6)
        z = (values[:, c] - median(b)) / spread
        late = z[-max(1, len(z) // 3) :]
        sign = 1.0 if not np.isfinite(late).any() or np.nanmedian(late) >= 0 else -1.0
        columns.append(sign * z)
    stacked = np.stack(columns, axis=1)
    seen = np.isfinite(stacked)
    count = seen.sum(axis=1)
    out = np.where(count > 0, np.where(seen, stacked, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
    # A step with every reading missing carries the step before it.
    for t in range(len(out)):
        if not np.isfinite(out[t]):
            out[t] = out[t - 1] if t else 0.0
    return out


def hinge_onset(y: np.ndarray, exponents: Sequence[float] = EXPONENTS) -> int:
    """Index of the best hinge onset of ``y`` (T,) (see the module docstring)."""
    T = len(y)
    if T < 4:
        return 0
    stride = max(1, T // _MAX_CANDIDATES)
    candidates = np.arange(0, T - 2, stride)
    t = np.arange(T, dtype=np.float64)
    centred = y - y.mean()
    total = float(centred @ centred)
    best_sse, best = np.inf, 0
    for p in exponents:
        f = np.clip(t[None, :] - candidates[:, None], 0.0, None) ** p  # (K, T)
        f = f - f.mean(axis=1, keepdims=True)
        var = np.einsum("kt,kt->k", f, f)
        cov = f @ centred
        gain = np.where(var > 0, cov * np.abs(cov) / np.maximum(var, 1e-12), -np.inf)  # rising only
        k = int(np.argmax(gain))
        sse = total - gain[k]
        if sse < best_sse:
            best_sse, best = sse, int(candidates[k])
    return best


def estimate_onset(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int], shape: str, *, smooth: int = 1
) -> int | None:
    """Index (into the window) of the onset of the change of ``values`` (T, C) against ``baseline``.

    Args:
        values: (T, C) readings of every channel over the window.
        baseline: (T', C) their readings before the window.
        channels: the columns that moved (the others only explain the load away, for ``drift``).
        shape: one of :data:`SHAPES`.
        smooth: steps of the moving average of the ``drift`` departure (one day of steps).
    Returns:
        The index, or None when the shape's evidence is absent (no spike, no frozen run).
    """
    if shape not in SHAPES:
        raise ValueError(f"`shape` must be one of {SHAPES}, got {shape!r}")
    if values.ndim != 2 or not len(channels) or len(values) == 0:
        return None
    idx = sorted(channels)
    if shape == "drift":
        res_w, res_b = cross_residuals(values, baseline)
        y = departure(res_w[:, idx], res_b[:, idx])
        if smooth > 1 and len(y) > smooth:
            y = np.convolve(y, np.ones(smooth) / smooth, mode="same")
        return hinge_onset(y)
    values, baseline = values[:, idx], baseline[:, idx]
    if shape == "spike":
        hits = [
            np.flatnonzero(spike_steps(values[:, c], step_noise(baseline[:, c])))
            for c in range(values.shape[1])
        ]
        firsts = [int(h[0]) for h in hits if h.size]
        return min(firsts) if firsts else None
    if shape == "frozen":
        best_len, best_at = 0, None
        for c in range(values.shape[1]):
            x = values[:, c]
            run, start = 0, 0
            for t in range(1, len(x)):
                if np.isfinite(x[t]) and x[t] == x[t - 1]:
                    if run == 0:
                        start = t - 1
                    run += 1
                    if run > best_len:
                        best_len, best_at = run, start
                else:
                    run = 0
    return best_at
