"""The onset shape per fault type, chosen by its errors on labelled training windows.

Every candidate of :func:`onset_candidates` (the shapes of :mod:`moesaic.reports.diagnose.onset`)
is tried on the windows of each fault type; :func:`choose_onset_shapes` keeps the one that lands
within a day of the true onset most often. Re-exported by :mod:`moesaic.reports.diagnose.episodes`.

Reading every training window takes about 5 minutes of two cores, most of a first ``moesaic
demo``. So the shapes chosen on the training plant ship with the package (:data:`SHIPPED_SHAPES`),
with the :data:`ONSET_VERSION` they were chosen under and a digest of the training windows and
their labels (:func:`training_digest`): they are used only when both match, else the shapes are
chosen again, as before. :func:`ship_onset_shapes` rewrites the file after a change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.atomic import write_text_atomic
from moesaic.parallel import map_ordered
from moesaic.reports.diagnose.episodes_windows import Request
from moesaic.reports.diagnose.faults import Window
from moesaic.reports.diagnose.hinge import HingeProfile, stated_onset
from moesaic.reports.diagnose.onset import (
    HINGE_OPTIONS,
    SHAPES,
    departure_curve,
    departure_curves,
    estimate_onset,
    load_curve,
    parse_shape,
    shape_profile,
)

logger = logging.getLogger(__name__)

ONSET_VERSION = "v5"  # bump when the onset estimators or the sampler change
SHIPPED_SHAPES = Path(__file__).with_name("onset_shapes.json")
ONSET_WINDOWS = 500
"""Training windows per fault type (at most) on which the onset shapes are compared: every one of
the training plant's (66 to 408 per type). With 60, up to five shapes tied on bearing wear, and the
choice among them was noise; reading them all adds about 5 minutes to the first cache build."""


def onset_candidates() -> list[str]:
    """The onset shapes (with their hinge options, :data:`HINGE_OPTIONS`) tried per fault type."""
    hinges = [b for b in SHAPES if b not in ("drift", "spike", "frozen")]
    return [f"{b}{o}" for b in hinges for o in HINGE_OPTIONS] + ["spike", "frozen"]


def _onset_errors(w: Window, r: Request, shapes: list[str]) -> dict[str, float]:
    """Error in hours (estimate - truth, before any ``@`` offset) of each of ``shapes`` on one
    training window, on the channels its fault touches, against the window's healthy readings
    (its history, else its baseline); NaN where a shape finds no onset (as in
    :func:`~moesaic.reports.diagnose.onset.estimate_onset`: a hinge shape finds none in a flat
    departure)."""
    idx = [w.channels.index(c) for c in r.channels if c in w.channels]
    if not idx or r.onset is None:
        return {}
    # The window ends at the request's end (it may start after r.start: see read_from).
    truth = len(w.values) - 1 - (r.end - r.onset) / pd.Timedelta(days=1) * w.steps_per_day
    day = round(w.steps_per_day)
    specs = {shape: parse_shape(shape) for shape in shapes}
    wanted = {
        (1 if s.hourly else day, s.per_channel) for s in specs.values() if s.base not in ("spike", "frozen")
    }
    curves = {
        (steps, per_channel): (departure_curves if per_channel else departure_curve)(
            w.values, w.healthy, idx, smooth=steps
        )
        for steps, per_channel in wanted
    }
    loads = {steps: load_curve(w.values, w.healthy, idx, smooth=steps) for steps, _ in wanted}
    flat = {key: not np.any(curve != curve[:1]) for key, curve in curves.items()}
    profiles: dict[str, HingeProfile | None] = {}  # shapes that differ only in /w share a fit
    out = {}
    for shape, spec in specs.items():
        if spec.base in ("spike", "frozen"):
            at = estimate_onset(w.values, w.healthy, idx, shape)
        else:
            steps = 1 if spec.hourly else day
            key = (steps, spec.per_channel)
            fit = shape.replace("/w", "")
            if flat[key]:
                at = None
            else:
                if fit not in profiles:
                    profiles[fit] = shape_profile(curves[key], fit, load=loads[steps])
                profile = profiles[fit]
                at = 0 if profile is None else stated_onset(profile, day if spec.likeliest else None)
        out[shape] = np.nan if at is None else (at - truth) * 24.0 / w.steps_per_day
    return out


def onset_errors(
    windows: list[Window], requests: list[Request], *, per_type: int = ONSET_WINDOWS
) -> dict[str, list[dict[str, float]]]:
    """Per fault type, the errors of every shape of :func:`onset_candidates` (by
    :func:`_onset_errors`) on at most ``per_type`` training windows, spread evenly over the
    windows of that type (which come asset by asset: so every asset type is read). The windows are
    read in parallel (:func:`moesaic.parallel.map_ordered`); the errors do not depend on it."""
    shapes = onset_candidates()
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        if r.onset is not None:
            by_label.setdefault(r.label, []).append(i)
    picked = {
        label: sorted({rows[round(k)] for k in np.linspace(0, len(rows) - 1, min(per_type, len(rows)))})
        for label, rows in by_label.items()
    }
    order = [i for rows in picked.values() for i in rows]
    pairs = [(windows[i], requests[i]) for i in order]
    found = dict(zip(order, map_ordered(partial(_errors_of, shapes=shapes), pairs), strict=True))
    errors = {label: [found[i] for i in rows if found[i]] for label, rows in picked.items()}
    return {label: rows for label, rows in errors.items() if rows}


def _errors_of(pair: tuple[Window, Request], shapes: list[str]) -> dict[str, float]:
    """:func:`_onset_errors` of one (window, request) pair, for :func:`map_ordered`."""
    return _onset_errors(*pair, shapes)


def choose_onset_shapes(errors: dict[str, list[dict[str, float]]]) -> dict[str, str]:
    """For each fault type, the shape that lands within a day of the true onset most often.

    A hinge shape is scored after moving its onsets by its median error (rounded to the hour), and
    carries that move as its ``@`` offset. Ties go to the smaller median miss (hours), then to the
    shape listed first.
    """
    out = {}
    for label, rows in errors.items():
        scored = []
        for rank, shape in enumerate(onset_candidates()):
            e = np.array([row[shape] for row in rows])
            seen = e[np.isfinite(e)]
            hinge = parse_shape(shape).base not in ("spike", "frozen")
            offset = float(round(np.median(seen))) if hinge and seen.size else 0.0
            miss = np.abs(np.nan_to_num(e, nan=1e9) - offset)
            hits = float(np.mean(miss <= 24.0))
            scored.append(
                (hits, -float(np.median(miss)), -rank, shape if offset == 0 else f"{shape}@{-offset:g}")
            )
        out[label] = max(scored)[3]
    return out


def fit_onset_shapes(
    windows: list[Window], requests: list[Request], *, per_type: int = ONSET_WINDOWS
) -> dict[str, str]:
    """For each fault type, the onset shape chosen on training windows (:func:`onset_errors`, on
    the channels each labelled fault touches, then :func:`choose_onset_shapes`)."""
    return choose_onset_shapes(onset_errors(windows, requests, per_type=per_type))


def training_digest(windows: list[Window], requests: list[Request]) -> str:
    """A SHA-256 of the training windows' readings and their labelled requests: it changes when the
    training plant, its sampler or its windows do."""
    digest = hashlib.sha256()
    for w, r in zip(windows, requests, strict=True):
        for array in (w.values, w.baseline, w.history if w.history is not None else np.zeros(0)):
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        labelled = [w.channels, w.asset_type, w.steps_per_day, r.asset_id, str(r.start), str(r.end)]
        labelled += [r.label, str(r.onset), r.channels, r.event_id]
        digest.update(json.dumps(labelled).encode())
    return digest.hexdigest()


def shipped_onset_shapes(seed: int, windows: list[Window], requests: list[Request]) -> dict[str, str] | None:
    """The shipped shapes (:data:`SHIPPED_SHAPES`) when they were chosen under this
    :data:`ONSET_VERSION` on exactly these training windows of plant ``seed``; None otherwise."""
    if not SHIPPED_SHAPES.exists():
        return None
    saved = json.loads(SHIPPED_SHAPES.read_text())
    wanted = {"onset_version": ONSET_VERSION, "seed": seed, "digest": training_digest(windows, requests)}
    stale = [key for key, value in wanted.items() if saved.get(key) != value]
    if stale:
        logger.info(
            "the shipped onset shapes do not apply (%s differ): choosing them again", ", ".join(stale)
        )
        return None
    return dict(saved["shapes"])


def ship_onset_shapes(
    seed: int, windows: list[Window], requests: list[Request], path: Path | None = None
) -> None:
    """Choose the shapes on the training windows of plant ``seed`` and write them with their
    version and digest to ``path`` (default :data:`SHIPPED_SHAPES`, the file the package ships)."""
    shapes = fit_onset_shapes(windows, requests)
    content = {"onset_version": ONSET_VERSION, "seed": seed, "digest": training_digest(windows, requests),
               "shapes": shapes}  # fmt: skip
    write_text_atomic(path or SHIPPED_SHAPES, json.dumps(content, indent=1, sort_keys=True) + "\n")
