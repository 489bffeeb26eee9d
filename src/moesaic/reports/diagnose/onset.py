"""When a change started: change points on the channels that moved, by the shape of the change.

The shapes and their estimators:

- ``spike``: the first isolated spike (:func:`moesaic.reports.diagnose.stats.spike_steps`);
- ``frozen``: the first reading of the longest run of exactly repeated readings;
- ``ramp<p>`` (``ramp0.5``, ``ramp1``, ``ramp1.5``, ``ramp2``) and ``drift`` (every exponent): a
  hinge fit. The departure y(t) of the moved channels from what the other channels predict
  (:func:`load_departures`: load swings drop out, and a change that scales a reading stays a
  plain ramp) is averaged over the moved channels (weighted by how far each moved) and over a day
  (so the daily cycle drops out too), then fitted by ``a`` before the onset and
  ``a + b min(t - onset, D)^p`` after it, for every candidate onset, plateau length ``D`` (a
  fault stops growing once developed) and exponent p; the onset with the least squared error
  wins. A step is the limit of a steep ramp; a slow, accelerating drift (wear) needs p > 1 to be
  placed at its start rather than where it became obvious;
- ``load-ramp<p>``: the same with a change whose size follows the load, ``(b + c L(t)) min(t -
  onset, D)^p`` (:func:`load_curve`; an imbalance shakes harder at full speed), so that load
  swings are not read as the change starting or stopping; ``load2-ramp<p>`` adds ``d L(t)^2``
  (a force that grows with the square of the speed).

A hinge shape may carry options after it (:func:`parse_shape`): ``/a`` anchors the level before
the onset at the healthy baseline's (the departure is measured from it, so ``a = 0``: a window
that holds little before the onset still places it), ``/h`` fits the hourly departure rather than
its daily average (a day's average smears a change that follows the load hour by hour), ``/c``
fits each moved channel's departure with its own size and adds up the fits (rather than fitting
their weighted mean: a vibration ratio and a temperature grow together but not in proportion),
``/l`` lets the level before the onset follow the load, ``c L(t)`` (fitted with the change, one
``c`` per channel: the healthy model, fitted on a baseline of other load regimes, leaves a
departure that moves with the load for days), ``/w`` states the onset most likely to lie within
a day of the truth rather than the one of least squared error
(:func:`moesaic.reports.diagnose.hinge.likeliest_within`: a slow start leaves many nearly equally
good onsets, and the least error falls anywhere among them), and ``@<hours>`` moves the fitted
onset by a fixed number of hours (the bias of the fit on training episodes: a slow start is placed
late). For example ``load-ramp1.5/a@-3`` or ``ramp1.5/a/c/l/w``.

The shape of each fault type, options included, is chosen on training episodes
(:func:`moesaic.reports.diagnose.episodes.fit_onset_shapes`).

Axis names: T time steps, C channels, K moved channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.reports.diagnose.hinge import EXPONENTS, HingeProfile, hinge_profile, stated_onset
from moesaic.reports.diagnose.stats import median, spike_steps, step_noise

RAMPS = {f"ramp{p:g}": (p,) for p in EXPONENTS}
LOAD_RAMPS = {f"load-ramp{p:g}": (p,) for p in EXPONENTS}
LOAD2_RAMPS = {f"load2-ramp{p:g}": (p,) for p in EXPONENTS}
SHAPES = ("drift", *RAMPS, *LOAD_RAMPS, *LOAD2_RAMPS, "spike", "frozen")
HINGE_OPTIONS = ("/a", "/a/h", "/a/c/l", "/a/w", "/a/h/w", "/a/c/l/w")
"""The options tried with each hinge shape on training episodes."""
OPTIONS = ("a", "h", "c", "l", "w")
_RIDGE = 1.0
_FLOOR = 1e-9
_POSITIVE = 5.0  # a channel whose baseline median exceeds this many spreads changes by ratios


def _predict(
    values: np.ndarray, baseline: np.ndarray, targets: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(T, K) and (T', K): each target channel as a ridge regression (fitted on the baseline,
    standardised) on the channels not in ``targets``; missing regressors read as their mean."""
    C = values.shape[1]
    others = [k for k in range(C) if k not in set(targets)]
    mean = np.nanmean(baseline, axis=0) if len(baseline) else np.zeros(C)
    mean = np.nan_to_num(mean)
    std = np.nan_to_num(np.nanstd(baseline, axis=0), nan=1.0) if len(baseline) > 1 else np.ones(C)
    std = np.where(std > _FLOOR, std, 1.0)
    zb, zw = np.nan_to_num((baseline - mean) / std), np.nan_to_num((values - mean) / std)
    pred_w = np.tile(mean[list(targets)], (len(values), 1))
    pred_b = np.tile(mean[list(targets)], (len(baseline), 1))
    if others and len(baseline) > 1:
        a = zb[:, others]
        coef = np.linalg.solve(a.T @ a + _RIDGE * np.eye(len(others)), a.T @ zb[:, list(targets)])  # (C-K, K)
        scale = std[list(targets)]
        pred_b = pred_b + (a @ coef) * scale
        pred_w = pred_w + (zw[:, others] @ coef) * scale
    return pred_w, pred_b


def load_departures(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(T, K) and (T', K): what the moved ``channels`` do that the other channels do not predict.

    A channel that stays far from zero (its baseline median over :data:`_POSITIVE` spreads: a
    flow, a temperature, a vibration level) departs by the ratio ``reading / prediction - 1``, so
    a fault that multiplies it (a worn bearing doubling the vibration) is a ramp whatever the
    load; any other channel departs by the difference. NaN where the reading is missing.
    """
    idx = list(channels)
    pred_w, pred_b = _predict(values, baseline, idx)
    x_w, x_b = values[:, idx], baseline[:, idx]
    out_w, out_b = x_w - pred_w, x_b - pred_b
    for j in range(len(idx)):
        b = x_b[:, j]
        level = abs(median(b)) if np.isfinite(b).any() else 0.0
        spread = float(np.nanstd(b)) if np.isfinite(b).sum() > 1 else 0.0
        positive = (
            level > _POSITIVE * max(spread, _FLOOR) and np.all(pred_b[:, j] > 0) and np.all(pred_w[:, j] > 0)
        )
        if positive:
            out_w[:, j] = x_w[:, j] / pred_w[:, j] - 1.0
            out_b[:, j] = b / pred_b[:, j] - 1.0
    return out_w, out_b


def load_signal(values: np.ndarray, baseline: np.ndarray, exclude: Sequence[int]) -> np.ndarray | None:
    """(T,) the load over the window, read as the first principal direction of the standardised
    baseline of the channels not in ``exclude`` (signed to load positively on most of them)."""
    keep = [c for c in range(values.shape[1]) if c not in set(exclude)]
    if not keep or len(baseline) < 3:
        return None
    mean = np.nan_to_num(np.nanmean(baseline[:, keep], axis=0))
    std = np.nan_to_num(np.nanstd(baseline[:, keep], axis=0), nan=1.0)
    std = np.where(std > _FLOOR, std, 1.0)
    zb = np.nan_to_num((baseline[:, keep] - mean) / std)
    zw = np.nan_to_num((values[:, keep] - mean) / std)
    direction = np.linalg.svd(zb - zb.mean(axis=0), full_matrices=False)[2][0]
    return np.asarray(zw @ (direction if direction.sum() >= 0 else -direction))


class ChannelDepartures(NamedTuple):
    """The departures of the moved channels in baseline spreads (:func:`channel_departures`)."""

    z: np.ndarray  # (T, K) each signed so that its change is positive; NaN where not read
    weights: np.ndarray  # (K,) the size of each channel's change (the median of its last third)


def channel_departures(res_w: np.ndarray, res_b: np.ndarray) -> ChannelDepartures:
    """The departures ``res_w`` (T, K) from their baseline ``res_b`` (T', K) in baseline spreads,
    each signed so that its change (the median over the last third) is positive, with the size of
    that change."""
    K = res_w.shape[1]
    columns, weights = [], []
    for c in range(K):
        b = res_b[:, c]
        spread = max(float(np.nanstd(b)) if np.isfinite(b).sum() > 1 else 0.0, 1e-6)
        centre = median(b) if np.isfinite(b).any() else 0.0
        z = (res_w[:, c] - centre) / spread
        late = median(z[-max(1, len(z) // 3) :])
        late = late if np.isfinite(late) else 0.0
        columns.append(z if late >= 0 else -z)
        weights.append(abs(late) + 1e-6)
    stacked = np.stack(columns, axis=1) if columns else np.zeros((len(res_w), 0))
    return ChannelDepartures(stacked, np.asarray(weights))


def _carry(y: np.ndarray) -> np.ndarray:
    """``y`` (T,) with each NaN replaced by the value before it (0 at the start)."""
    out = np.array(y, dtype=np.float64)
    for t in range(len(out)):
        if not np.isfinite(out[t]):
            out[t] = out[t - 1] if t else 0.0
    return out


def departure(res_w: np.ndarray, res_b: np.ndarray) -> np.ndarray:
    """(T,) weighted mean over channels of the :func:`channel_departures` of ``res_w`` (T, K) from
    ``res_b`` (T', K), each weighted by the size of its change: a channel cited as moved that
    barely moved adds its noise, not its weight.

    Steps where no channel was read carry the step before them.
    """
    stacked, weight = channel_departures(res_w, res_b)
    seen = np.isfinite(stacked)
    total = (seen * weight).sum(axis=1)
    summed = (np.where(seen, stacked, 0.0) * weight).sum(axis=1)
    return _carry(np.where(total > 0, summed / np.maximum(total, 1e-12), np.nan))


def moving_average(y: np.ndarray, steps: int) -> np.ndarray:
    """(T,) centred moving average of ``y`` over ``steps``; near the ends, over the steps that exist."""
    if steps <= 1 or len(y) <= steps:
        return y
    kernel = np.ones(steps)
    total = np.convolve(y, kernel, mode="same")
    count = np.convolve(np.ones(len(y)), kernel, mode="same")
    return np.asarray(total / count)


def _first_spike(values: np.ndarray, baseline: np.ndarray) -> int | None:
    hits = [
        np.flatnonzero(spike_steps(values[:, c], step_noise(baseline[:, c]))) for c in range(values.shape[1])
    ]
    firsts = [int(h[0]) for h in hits if h.size]
    return min(firsts) if firsts else None


def _longest_frozen(values: np.ndarray) -> int | None:
    """Index of the first reading of the longest run of exactly repeated readings over the channels;
    missing readings neither break nor lengthen a run."""
    best_len, best_at = 0, None
    for c in range(values.shape[1]):
        seen = np.flatnonzero(np.isfinite(values[:, c]))
        x = values[seen, c]
        run, start = 0, 0
        for i in range(1, len(x)):
            if x[i] == x[i - 1]:
                if run == 0:
                    start = int(seen[i - 1])
                run += 1
                if run > best_len:
                    best_len, best_at = run, start
            else:
                run = 0
    return best_at


class ShapeSpec(NamedTuple):
    """A parsed onset shape (:func:`parse_shape`)."""

    base: str  # one of SHAPES
    anchored: bool  # /a: the level before the onset is the baseline's
    hourly: bool  # /h: the departure is not averaged over a day
    offset_hours: float  # @<hours>: added to the fitted onset
    per_channel: bool = False  # /c: each moved channel fitted with its own size
    load_level: bool = False  # /l: the level before the onset follows the load
    likeliest: bool = False  # /w: the onset most likely within a day, not the least squared error


def parse_shape(shape: str) -> ShapeSpec:
    """The base shape and options of ``shape`` (e.g. ``load-ramp1.5/a/h@-3``; see the module docstring)."""
    head, _, offset = shape.partition("@")
    base, *options = head.split("/")
    if base not in SHAPES:
        raise ValueError(f"`shape` must be one of {SHAPES} (with options), got {shape!r}")
    if any(o not in OPTIONS for o in options) or (options and base in ("spike", "frozen")):
        raise ValueError(f"shape {shape!r}: the options of a hinge shape are {['/' + o for o in OPTIONS]}")
    try:
        hours = float(offset) if offset else 0.0
    except ValueError:
        raise ValueError(f"shape {shape!r}: the offset after '@' must be a number of hours") from None
    return ShapeSpec(
        base, "a" in options, "h" in options, hours, "c" in options, "l" in options, "w" in options
    )


def estimate_onset(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int], shape: str, *, smooth: int = 1
) -> int | None:
    """Index (into the window) of the onset of the change of ``values`` (T, C) against ``baseline``.

    Args:
        values: (T, C) readings of every channel over the window.
        baseline: (T', C) their readings before the window.
        channels: the columns that moved (the others only explain the load away, for the hinge shapes).
        shape: one of :data:`SHAPES`, with options for the hinge shapes (:func:`parse_shape`).
        smooth: steps of one day: the moving average of the hinge departure (unless ``/h``), the
            tolerance of ``/w`` and the unit of an ``@`` offset.
    Returns:
        The index, or None when the shape's evidence is absent (no spike, no frozen run, a
        departure that never changes).
    """
    spec = parse_shape(shape)
    if values.ndim != 2 or not len(channels) or len(values) == 0:
        return None
    idx = sorted(channels)
    if spec.base == "spike":
        return _first_spike(values[:, idx], baseline[:, idx])
    if spec.base == "frozen":
        return _longest_frozen(values[:, idx])
    steps = 1 if spec.hourly else smooth
    fit = departure_curves if spec.per_channel else departure_curve
    curve = fit(values, baseline, idx, smooth=steps)
    if not np.any(curve != curve[:1]):  # flat: no change to place
        return None
    needs_load = spec.base in LOAD_RAMPS or spec.base in LOAD2_RAMPS or spec.load_level
    load = load_curve(values, baseline, idx, smooth=steps) if needs_load else None
    at = shape_onset(curve, shape, load=load, day=smooth) + round(spec.offset_hours * smooth / 24.0)
    return int(np.clip(at, 0, len(values) - 1))


def shape_onset(
    curve: np.ndarray, shape: str, *, load: np.ndarray | None = None, day: int | None = None
) -> int:
    """The hinge onset of ``curve`` for a hinge ``shape`` (its ``/a``, ``/l`` and ``/w`` options
    read, its ``@`` offset not applied); 0 for a curve of fewer than 4 steps.

    Args:
        curve: (T,) :func:`departure_curve`, or (T, K) :func:`departure_curves` for a ``/c`` shape.
        load: (T,) :func:`load_curve`, needed by the load shapes and the ``/l`` option.
        day: steps of one day, the tolerance of the ``/w`` option (which needs it).
    """
    spec = parse_shape(shape)
    if spec.likeliest and day is None:
        raise ValueError(f"shape {shape!r} needs the steps of one day (`day`)")
    profile = shape_profile(curve, shape, load=load)
    if profile is None:
        return 0
    return stated_onset(profile, float(day) if spec.likeliest and day is not None else None)


def shape_profile(curve: np.ndarray, shape: str, *, load: np.ndarray | None = None) -> HingeProfile | None:
    """The :func:`~moesaic.reports.diagnose.hinge.hinge_profile` of ``curve`` for a hinge ``shape``
    (its ``/a`` and ``/l`` options read; the arguments are :func:`shape_onset`'s), or None for a
    curve of fewer than 4 steps. Shapes that differ only in ``/w`` share it."""
    spec = parse_shape(shape)
    if spec.per_channel != (np.ndim(curve) == 2):
        want = "(T, K) departure_curves" if spec.per_channel else "(T,) departure_curve"
        raise ValueError(f"shape {shape!r} fits the {want}, got an array of shape {np.shape(curve)}")
    if (spec.base in LOAD_RAMPS or spec.base in LOAD2_RAMPS or spec.load_level) and load is None:
        raise ValueError(f"shape {shape!r} needs the load curve")
    if spec.base != "drift" and spec.base not in RAMPS | LOAD_RAMPS | LOAD2_RAMPS:
        raise ValueError(
            f"{shape!r} is not a hinge shape; those are drift, {list(RAMPS)}, {list(LOAD_RAMPS)}, "
            f"{list(LOAD2_RAMPS)}"
        )
    if len(curve) < 4:
        return None
    nuisance = np.asarray(load, dtype=np.float64)[:, None] if spec.load_level and load is not None else None
    if spec.base in LOAD_RAMPS or spec.base in LOAD2_RAMPS:
        exponents = LOAD_RAMPS.get(spec.base) or LOAD2_RAMPS[spec.base]
        powers = 2 if spec.base in LOAD2_RAMPS else 1
        return hinge_profile(
            curve, exponents, modulation=load, powers=powers, anchored=spec.anchored, nuisance=nuisance
        )
    every: tuple[float, ...] = RAMPS.get(spec.base, EXPONENTS)
    return hinge_profile(curve, every, anchored=spec.anchored, nuisance=nuisance)


def departure_curve(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int], *, smooth: int = 1
) -> np.ndarray:
    """(T,) the departure the hinge shapes fit: :func:`departure` of the :func:`load_departures` of
    ``channels``, averaged over ``smooth`` steps."""
    res_w, res_b = load_departures(values, baseline, sorted(channels))
    return moving_average(departure(res_w, res_b), smooth)


def departure_curves(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int], *, smooth: int = 1
) -> np.ndarray:
    """(T, K) the departures the ``/c`` hinge shapes fit: the :func:`channel_departures` of the
    :func:`load_departures` of ``channels`` (sorted), each carried over missing readings and
    averaged over ``smooth`` steps."""
    res_w, res_b = load_departures(values, baseline, sorted(channels))
    z = channel_departures(res_w, res_b).z
    return np.stack([moving_average(_carry(z[:, k]), smooth) for k in range(z.shape[1])], axis=1)


def load_curve(
    values: np.ndarray, baseline: np.ndarray, channels: Sequence[int], *, smooth: int = 1
) -> np.ndarray:
    """(T,) the load (:func:`load_signal` of the channels that did not move), averaged over ``smooth``
    steps; zeros when no channel is left to read it from."""
    load = load_signal(values, baseline, channels)
    return np.zeros(len(values)) if load is None else moving_average(load, smooth)
