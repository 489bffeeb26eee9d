"""What a window looks like against its baseline, channel by channel: the features of the diagnosis.

A window is described against the baseline before it, channel by channel: how far its level
moved (whole window and its last third, in baseline spreads and in percent), its trend, how much
noisier its step-to-step changes became, how many isolated spikes it holds and how much of it is
frozen; and how far it departs from what the channels that did not move predict, over each third
of the window, and how that departure follows the load (:func:`robust_departures`). The fault
classifier (:mod:`moesaic.reports.diagnose.faults`) and the moved-channel model
(:mod:`moesaic.reports.diagnose.channels`) read these signatures.

Axis names: T time steps, C channels, F features.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from moesaic.data.standstill import Standstill
from moesaic.reports.diagnose.onset import load_departures, load_signal
from moesaic.reports.diagnose.stats import (
    flat_share,
    longest_flat_steps,
    median,
    slope_per_day,
    spike_steps,
    step_noise,
)

CHANNEL_FEATURES = (
    "shift",
    "shift_late",
    "change",
    "slope",
    "noise",
    "spikes",
    "flat",
    "flat_run",
    "coupling",
    "residual",
    "residual_late",
    "robust",
    "robust_early",
    "robust_mid",
    "robust_late",
    "robust_load",
)
_RIDGE = 1.0
_FLOOR = 1e-6
SUSPECT_SPREADS = 3.0  # a channel whose late cross-residual departs this far is left out as a regressor


class Window(NamedTuple):
    """The readings a diagnosis looks at: a window and the baseline just before it.

    Attributes:
        values: (T, C) readings of the window, NaN where missing.
        baseline: (T', C) readings before the window, NaN where missing.
        channels: the C channel names.
        asset_type: the asset's type ("" when unknown).
        steps_per_day: sampling rate.
        history: (T'', C) healthy readings of the weeks before the window, stretches between known
            faults joined (:func:`moesaic.reports.diagnose.episodes.healthy_history`), NaN where
            missing; None when not read.
        standstill: how the machine's stopped readings were told from its running ones, when its
            baseline starts and stops; those readings are then NaN in ``values``, ``baseline``
            and ``history`` (:mod:`moesaic.data.standstill`).
    """

    values: np.ndarray
    baseline: np.ndarray
    channels: tuple[str, ...]
    asset_type: str
    steps_per_day: float
    history: np.ndarray | None = None
    standstill: Standstill | None = None

    @property
    def healthy(self) -> np.ndarray:
        """The readings the onset's healthy model is fitted on: the history, else the baseline."""
        return self.history if self.history is not None and len(self.history) else self.baseline


def channel_signature(w: np.ndarray, b: np.ndarray, steps_per_day: float) -> dict[str, float]:
    """The :data:`CHANNEL_FEATURES` of one channel: window ``w`` (T,) against baseline ``b`` (T',)."""
    base = median(b)
    spread = float(np.nanstd(b)) if np.isfinite(b).sum() > 1 else float("nan")
    noise_b = step_noise(b)
    spread = max(spread if np.isfinite(spread) else 0.0, noise_b if np.isfinite(noise_b) else 0.0, _FLOOR)
    late = w[-max(1, len(w) // 3) :]
    noise_w = step_noise(w)
    feats = {
        "shift": (median(w) - base) / spread,
        "shift_late": (median(late) - base) / spread,
        "change": (median(late) - base) / max(abs(base), _FLOOR),
        "slope": slope_per_day(w, steps_per_day) / spread,
        "noise": float(np.log((noise_w + _FLOOR) / (noise_b + _FLOOR))),
        "spikes": float(spike_steps(w, noise_b).sum()),
        "flat": flat_share(w) - flat_share(b),
        "flat_run": float(np.log((1 + longest_flat_steps(w)) / (1 + longest_flat_steps(b)))),
    }
    # A channel without readings says nothing: zero, the value of "no change".
    return {k: float(np.clip(v, -50.0, 50.0)) if np.isfinite(v) else 0.0 for k, v in feats.items()}


def _coupling(x: np.ndarray, load: np.ndarray) -> float:
    keep = np.isfinite(x) & np.isfinite(load)
    if keep.sum() < 3 or np.std(x[keep]) < _FLOOR or np.std(load[keep]) < _FLOOR:
        return 0.0
    return float(np.corrcoef(x[keep], load[keep])[0, 1])


def load_coupling(values: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """(C,) change, from baseline to window, of each channel's correlation with the load.

    The load is read as the first principal direction of the standardised baseline (what moves
    most channels together); a fault whose effect grows with load couples its channel more.
    """
    C = values.shape[1]
    if len(baseline) < 3 or C < 2:
        return np.zeros(C)
    mean = np.nan_to_num(np.nanmean(baseline, axis=0))
    std = np.nan_to_num(np.nanstd(baseline, axis=0), nan=1.0)
    std = np.where(std > _FLOOR, std, 1.0)
    zb, zw = np.nan_to_num((baseline - mean) / std), np.nan_to_num((values - mean) / std)
    direction = np.linalg.svd(zb - zb.mean(axis=0), full_matrices=False)[2][0]
    load_b, load_w = zb @ direction, zw @ direction
    return np.array([_coupling(values[:, c], load_w) - _coupling(baseline[:, c], load_b) for c in range(C)])


def cross_residuals(values: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each channel does that the other channels do not explain, in the window and the baseline.

    Load moves most channels together (flow, pressure, current, temperatures); a fault moves
    some of them against the others. Each channel is regressed (ridge, standardised) on the others
    over the baseline; the residuals (T, C) and (T', C) keep the fault and drop the load.
    Missing readings are read as the baseline mean, and stay NaN in the residuals.
    """
    mean = np.nanmean(baseline, axis=0) if len(baseline) else np.zeros(values.shape[1])
    mean = np.nan_to_num(mean)
    std = np.nan_to_num(np.nanstd(baseline, axis=0), nan=1.0) if len(baseline) > 1 else np.ones_like(mean)
    std = np.where(std > _FLOOR, std, 1.0)
    zb = np.nan_to_num((baseline - mean) / std)
    zw = np.nan_to_num((values - mean) / std)
    C = values.shape[1]
    res_b, res_w = np.full(baseline.shape, np.nan), np.full(values.shape, np.nan)
    for c in range(C):
        others = [k for k in range(C) if k != c]
        if not others or len(zb) < 2:
            res_b[:, c], res_w[:, c] = zb[:, c], zw[:, c]
            continue
        a = zb[:, others]
        coef = np.linalg.solve(a.T @ a + _RIDGE * np.eye(len(others)), a.T @ zb[:, c])
        res_b[:, c] = zb[:, c] - a @ coef
        res_w[:, c] = zw[:, c] - zw[:, others] @ coef
    res_b[np.isnan(baseline)] = np.nan
    res_w[np.isnan(values)] = np.nan
    return res_w, res_b


def _in_spreads(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``x`` less the median of ``reference``, in standard deviations of ``reference``."""
    finite = np.isfinite(reference)
    spread = max(float(np.nanstd(reference)) if finite.sum() > 1 else 0.0, 1e-6)
    return (x - (median(reference) if finite.any() else 0.0)) / spread


def robust_departures(
    values: np.ndarray, baseline: np.ndarray, *, res: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, list[int]]:
    """(T, C) departure of each channel, in baseline spreads, from what the unmoved channels predict.

    A fault that moves two channels spoils each one's prediction from the other: a worn bearing
    heats and shakes, and the heat predicted from the shaking hides the heat. So the channels whose
    late cross-residual (:func:`cross_residuals`, ``res`` when already computed) departs over
    :data:`SUSPECT_SPREADS` (at most half of them, the largest first) are suspects; each suspect
    is predicted from the other channels, each other channel from the other non-suspects
    (:func:`moesaic.reports.diagnose.onset.load_departures`). Returns the departures and the suspects.
    """
    C = values.shape[1]
    res_w, res_b = res if res is not None else cross_residuals(values, baseline)
    late = res_w[-max(1, len(res_w) // 3) :]
    score = np.array([abs(np.nan_to_num(median(_in_spreads(late[:, c], res_b[:, c])))) for c in range(C)])
    order = np.argsort(-score, kind="stable")
    suspects = [int(c) for c in order[: C // 2] if score[c] > SUSPECT_SPREADS]
    out = np.full(values.shape, np.nan)
    if suspects:
        dep_w, dep_b = load_departures(values, baseline, suspects)
        for j, c in enumerate(suspects):
            out[:, c] = _in_spreads(dep_w[:, j], dep_b[:, j])
    for c in range(C):
        if c not in suspects:
            dep_w, dep_b = load_departures(values, baseline, [c, *suspects])
            out[:, c] = _in_spreads(dep_w[:, 0], dep_b[:, 0])
    return out, suspects


def _thirds(x: np.ndarray, load: np.ndarray | None) -> dict[str, float]:
    T = len(x)
    third = max(1, T // 3)
    middle = x[third : T - third] if 2 * third < T else x
    half = slice(T // 2, None)
    return {
        "robust": median(x),
        "robust_early": median(x[:third]),
        "robust_mid": median(middle),
        "robust_late": median(x[-third:]),
        "robust_load": _coupling(x[half], load[half]) if load is not None else 0.0,
    }


def signatures(window: Window) -> dict[str, dict[str, float]]:
    """Channel name -> its signature (:data:`CHANNEL_FEATURES`), for every channel of the window."""
    if window.values.ndim != 2 or window.values.shape[1] != len(window.channels):
        raise ValueError(
            f"window values must be (time, {len(window.channels)} channels), got {window.values.shape}"
        )
    res_w, res_b = cross_residuals(window.values, window.baseline)
    coupling = load_coupling(window.values, window.baseline)
    robust, suspects = robust_departures(window.values, window.baseline, res=(res_w, res_b))
    load = load_signal(window.values, window.baseline, suspects)
    out = {}
    for c, name in enumerate(window.channels):
        sig = channel_signature(window.values[:, c], window.baseline[:, c], window.steps_per_day)
        sig["coupling"] = float(np.nan_to_num(coupling[c]))
        spread = max(float(np.nanstd(res_b[:, c])) if np.isfinite(res_b[:, c]).sum() > 1 else 0.0, 1e-3)
        late = res_w[-max(1, len(res_w) // 3) :, c]
        for key, part in (("residual", res_w[:, c]), ("residual_late", late)):
            value = (median(part) - median(res_b[:, c])) / spread
            sig[key] = float(np.clip(value, -50.0, 50.0)) if np.isfinite(value) else 0.0
        for key, value in _thirds(robust[:, c], load).items():
            sig[key] = float(np.clip(value, -50.0, 50.0)) if np.isfinite(value) else 0.0
        out[name] = sig
    return out
