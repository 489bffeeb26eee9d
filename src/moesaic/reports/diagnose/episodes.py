"""Labelled request windows from a plant with known faults, and the default models learned from them.

A request is what an engineer asks a report about: an asset and a window ``[start, end]``. For a
labelled fault, the window opens :data:`LEAD_HOURS` (one to seven days, uniformly) before the
onset (the engineer asks about a stretch that began some days before the trouble, not knowing the
onset) and closes at the fault's end; a ``normal`` request is a window of similar length that
overlaps no fault. The same sampler makes the training windows (on the training plant, seed
``TRAIN_SEED``) and the evaluation requests of ``moesaic bench reports`` (on other seeds).

Every window, for training or for a report, is compared with a healthy baseline: the latest
stretch before it that no known fault of the asset overlaps (:func:`healthy_baseline`; the plants
are fault-dense, and the fortnight before a fault often holds the previous one), and read from
after any known fault still running when it opens (:func:`read_from`). Known faults are the
labelled fault events that started before the window: the site's history, never the fault asked
about.

From the training plant come the default fault classifier, the moved-channel model and the onset
estimator per fault type. Their training features are cached under ``$MOESAIC_CACHE`` (default
``~/.cache/moesaic``; the file name carries :data:`CACHE_VERSION`): the first use simulates and
describes the training plant (128 assets: about ten minutes of one core), later ones only fit the
forests (seconds).
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.atomic import write_bytes_atomic, write_text_atomic
from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.reports.diagnose.channels import ChannelModel, channel_rows
from moesaic.reports.diagnose.claims import as_time
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier, Window
from moesaic.reports.diagnose.onset import (
    HINGE_OPTIONS,
    SHAPES,
    departure_curve,
    estimate_onset,
    load_curve,
    parse_shape,
    shape_onset,
)
from moesaic.reports.diagnose.stats import steps_per_day

logger = logging.getLogger(__name__)

TRAIN_SEED = 1000  # the training plant; evaluation plants use other seeds
BASELINE_DAYS = 14.0
MIN_BASELINE_DAYS = 3.0
LOOKBACK_DAYS = 90.0  # how far back a healthy baseline is looked for
AFTER_FAULT = pd.Timedelta(hours=12)  # a known fault's effects may linger this long after its end
CACHE_VERSION = "v7"  # bump when the features, the baseline choice or the sampler change
ONSET_VERSION = "v2"  # bump when the onset estimators or the sampler change
ONSET_WINDOWS = 60  # training windows per fault type on which the onset shapes are compared
LEAD_HOURS = (24, 168)  # a fault request opens this many hours before the onset (uniform, inclusive)

Interval = tuple[pd.Timestamp, pd.Timestamp]


class Request(NamedTuple):
    """One labelled request: the window asked about and what truly happened in it."""

    asset_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    label: str  # a fault type, or "normal"
    onset: pd.Timestamp | None  # the fault's onset (None for normal)
    channels: tuple[str, ...]  # the channels the fault touches
    event_id: str  # the fault event ("" for normal)


def window_from_series(
    series: Series,
    asset_type: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    baseline_start: pd.Timestamp,
    baseline_end: pd.Timestamp | None = None,
) -> Window:
    """The readings of ``[start, end]`` and of ``[baseline_start, baseline_end)`` (the baseline;
    ``baseline_end`` defaults to ``start``)."""
    time = series.time
    t0, t1 = np.datetime64(pd.Timestamp(start)), np.datetime64(pd.Timestamp(end))
    b0 = np.datetime64(pd.Timestamp(baseline_start))
    b1 = t0 if baseline_end is None else np.datetime64(pd.Timestamp(baseline_end))
    values = np.where(series.observed, series.values, np.nan).astype(np.float64)
    inside = (time >= t0) & (time <= t1)
    before = (time >= b0) & (time < min(b1, t0))
    return Window(values[inside], values[before], series.channels, asset_type, steps_per_day(time))


def known_faults(events: Sequence[Event], asset_id: str, before: pd.Timestamp) -> list[Interval]:
    """``[start, end]`` of the labelled faults of ``asset_id`` that started before ``before``.

    These are the site's own history at the time of a request: a fault that starts inside the
    window asked about is never among them.
    """
    out = []
    for e in events:
        if e.kind != "fault" or e.asset_id != asset_id or e.start is None or isinstance(e.start, int):
            continue
        first = as_time(e.start)
        if first < before:
            last = as_time(e.end) if e.end is not None and not isinstance(e.end, int) else first
            out.append((first, last))
    return out


def read_from(start: pd.Timestamp, end: pd.Timestamp, busy: Sequence[Interval]) -> pd.Timestamp:
    """Where the readings of the window ``[start, end]`` start to count: after the known faults
    (``busy``) still running at ``start`` (and :data:`AFTER_FAULT`), unless that leaves less than a
    day of the window; else ``start``."""
    out = start
    for a, b in busy:
        if a < start and b + AFTER_FAULT > out:
            out = b + AFTER_FAULT
    return out if end - out >= pd.Timedelta(days=1) else start


def healthy_baseline(
    start: pd.Timestamp,
    busy: Sequence[Interval],
    *,
    days: float = BASELINE_DAYS,
    min_days: float = MIN_BASELINE_DAYS,
    lookback_days: float = LOOKBACK_DAYS,
) -> Interval:
    """The baseline ``[b0, b1)`` of a window opening at ``start``: the latest healthy stretch before it.

    A stretch is healthy when no known fault (``busy``, each widened by :data:`AFTER_FAULT` after
    its end) overlaps it. The stretch right before ``start`` is taken when it holds ``min_days``;
    otherwise the search steps back past the fault that cut it, up to ``lookback_days``. The
    baseline is at most ``days`` long. Without any healthy stretch, it is the ``days`` before
    ``start``, faults and all.

    Args:
        start: when the window opens.
        busy: ``[start, end]`` of the known faults of the asset (:func:`known_faults`).
    """
    length, shortest = pd.Timedelta(days=days), pd.Timedelta(days=min_days)
    spans = sorted((a, b + AFTER_FAULT) for a, b in busy if a < start)
    end, limit = start, start - pd.Timedelta(days=lookback_days)
    while end - shortest >= limit:
        cutting = [(a, b) for a, b in spans if a < end and b > end - length]
        if not cutting:
            return end - length, end
        free_from = max(b for _, b in cutting)
        if end - free_from >= shortest:
            return free_from, end
        end = min(a for a, b in cutting if b == free_from)  # step back past the fault that ends last
    return start - length, start


def sample_requests(
    data: MaintenanceData, rng: np.random.Generator, *, normal_per_fault: float = 1.0
) -> list[Request]:
    """Fault requests for every labelled fault with enough history, and ``normal`` requests.

    Args:
        data: a plant with events of kind "fault" (label = fault type) and datetime series.
        rng: draws the lead before each onset and the normal windows.
        normal_per_fault: normal requests per fault request.
    """
    requests: list[Request] = []
    faults_by_asset: dict[str, list[Event]] = {}
    for e in data.events:
        if e.kind == "fault" and e.start is not None:
            faults_by_asset.setdefault(e.asset_id, []).append(e)
    lengths: list[pd.Timedelta] = []
    for series in data.series:
        first = pd.Timestamp(series.time[0]) + pd.Timedelta(days=MIN_BASELINE_DAYS + 3)
        for e in faults_by_asset.get(series.asset_id, []):
            onset = as_time(e.start)
            start = onset - pd.Timedelta(hours=int(rng.integers(LEAD_HOURS[0], LEAD_HOURS[1] + 1)))
            if start < first:
                continue
            end = pd.Timestamp(e.end) if e.end is not None else onset
            lengths.append(end - start)
            requests.append(Request(series.asset_id, start, end, e.label, onset, e.channels, e.event_id))
    wanted = round(normal_per_fault * len(requests))
    series_list = [s for s in data.series if len(s.time) > 2]
    tries = 0
    while wanted > 0 and lengths and series_list and tries < 50 * wanted:
        tries += 1
        s = series_list[int(rng.integers(len(series_list)))]
        length = lengths[int(rng.integers(len(lengths)))]
        lo = pd.Timestamp(s.time[0]) + pd.Timedelta(days=MIN_BASELINE_DAYS + 3)
        hi = pd.Timestamp(s.time[-1]) - length
        if hi <= lo:
            continue
        start = lo + (hi - lo) * float(rng.random())
        start = start.floor("h")
        end = start + length
        busy = [
            e
            for e in faults_by_asset.get(s.asset_id, [])
            # Margins: a fault just before the window would sit in its baseline.
            if as_time(e.start) <= end and as_time(e.end) >= start - pd.Timedelta(days=BASELINE_DAYS)
        ]
        if busy:
            continue
        requests.append(Request(s.asset_id, start, end, NORMAL, None, (), ""))
        wanted -= 1
    return requests


def training_windows(data: MaintenanceData, requests: list[Request]) -> tuple[list[Window], list[str]]:
    """The windows of ``requests`` read from ``data``, with their labels.

    As a report reads them: from after any known fault still running when the window opens
    (:func:`read_from`), against the latest healthy baseline (:func:`healthy_baseline`).
    """
    by_asset = {s.asset_id: s for s in data.series}
    types = {a.asset_id: a.asset_type for a in data.assets}
    windows = []
    for r in requests:
        busy = known_faults(data.events, r.asset_id, r.start)
        b0, b1 = healthy_baseline(r.start, busy)
        first = read_from(r.start, r.end, busy)
        series = by_asset[r.asset_id]
        windows.append(
            window_from_series(
                series, types.get(r.asset_id, ""), first, r.end, baseline_start=b0, baseline_end=b1
            )
        )
    return windows, [r.label for r in requests]


def training_plant(seed: int = TRAIN_SEED, *, num_assets: int = 128, days: float = 365.0) -> MaintenanceData:
    """The simulated training plant, as MaintenanceData (faults frequent, so every type is seen)."""
    return simulated_plant(seed, num_assets=num_assets, days=days)


def simulated_plant(seed: int, *, num_assets: int, days: float, fault_rate: float = 24.0) -> MaintenanceData:
    """A simulated plant read back through the validated plant reader (the project's one schema)."""
    from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to

    config = SimulatorConfig(
        num_assets=num_assets, days=days, seed=seed, fault_rate=fault_rate, drawings=False
    )
    with tempfile.TemporaryDirectory(prefix="moesaic-plant-") as folder:
        simulate_to(config, Path(folder))
        return load_plant(Path(folder), name=f"plant-seed{seed}")


def onset_candidates() -> list[str]:
    """The onset shapes (with their hinge options, :data:`HINGE_OPTIONS`) tried per fault type."""
    hinges = [b for b in SHAPES if b not in ("drift", "spike", "frozen")]
    return [f"{b}{o}" for b in hinges for o in HINGE_OPTIONS] + ["spike", "frozen"]


def _onset_errors(w: Window, r: Request, shapes: list[str]) -> dict[str, float]:
    """Error in hours (estimate - truth, before any ``@`` offset) of each of ``shapes`` on one
    training window, on the channels its fault touches; NaN where a shape finds no onset."""
    idx = [w.channels.index(c) for c in r.channels if c in w.channels]
    if not idx or r.onset is None:
        return {}
    # The window ends at the request's end (it may start after r.start: see read_from).
    truth = len(w.values) - 1 - (r.end - r.onset) / pd.Timedelta(days=1) * w.steps_per_day
    day = round(w.steps_per_day)
    curves = {
        steps: (
            departure_curve(w.values, w.baseline, idx, smooth=steps),
            load_curve(w.values, w.baseline, idx, smooth=steps),
        )
        for steps in {day, 1}
    }
    out = {}
    for shape in shapes:
        spec = parse_shape(shape)
        if spec.base in ("spike", "frozen"):
            at = estimate_onset(w.values, w.baseline, idx, shape)
        else:
            curve, load = curves[1 if spec.hourly else day]
            at = shape_onset(curve, shape, load=load)
        out[shape] = np.nan if at is None else (at - truth) * 24.0 / w.steps_per_day
    return out


def onset_errors(
    windows: list[Window], requests: list[Request], *, per_type: int = ONSET_WINDOWS
) -> dict[str, list[dict[str, float]]]:
    """Per fault type, the errors of every shape of :func:`onset_candidates` (by
    :func:`_onset_errors`) on at most ``per_type`` training windows, spread evenly over the
    windows of that type (which come asset by asset: so every asset type is read)."""
    shapes = onset_candidates()
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        if r.onset is not None:
            by_label.setdefault(r.label, []).append(i)
    errors: dict[str, list[dict[str, float]]] = {}
    for label, rows in by_label.items():
        picked = sorted({rows[round(k)] for k in np.linspace(0, len(rows) - 1, min(per_type, len(rows)))})
        found = [_onset_errors(windows[i], requests[i], shapes) for i in picked]
        errors[label] = [f for f in found if f]
    return {label: rows for label, rows in errors.items() if rows}


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


class TrainingSet(NamedTuple):
    features: np.ndarray  # (N, F)
    labels: list[str]
    channel_rows: np.ndarray  # (M, F') one row per channel of every window
    channel_touched: np.ndarray  # (M,) bool, the window's fault touched that channel
    channel_names: list[str]  # (M,) the channel of each row
    channel_owner: np.ndarray  # (M,) int, the window of each row
    channels: list[str]
    asset_types: list[str]
    onset_shapes: dict[str, str]


def cache_dir() -> Path:
    """Where the training plant's features and onset shapes are cached."""
    return Path(os.environ.get("MOESAIC_CACHE", Path.home() / ".cache" / "moesaic"))


@functools.lru_cache(maxsize=1)
def _training_windows(seed: int) -> tuple[list[Window], list[Request]]:
    data = training_plant(seed)
    requests = sample_requests(data, np.random.default_rng(seed))
    windows, _ = training_windows(data, requests)
    logger.info("training windows: %d of plant seed %d", len(windows), seed)
    return windows, requests


def training_cache_ready(seed: int = TRAIN_SEED) -> bool:
    """Whether the training plant's features and onset shapes are already cached on disk."""
    folder = cache_dir()
    return (folder / f"fault-training-seed{seed}-{CACHE_VERSION}.npz").exists() and (
        folder / f"fault-onsets-seed{seed}-{ONSET_VERSION}.json"
    ).exists()


@functools.lru_cache(maxsize=2)
def training_onset_shapes(seed: int = TRAIN_SEED) -> dict[str, str]:
    """The onset shape per fault type chosen on the training plant of ``seed``, cached on disk
    (the file name carries :data:`ONSET_VERSION`)."""
    path = cache_dir() / f"fault-onsets-seed{seed}-{ONSET_VERSION}.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    shapes = fit_onset_shapes(*_training_windows(seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(shapes, indent=1, sort_keys=True))
    return shapes


@functools.lru_cache(maxsize=2)
def training_set(seed: int = TRAIN_SEED) -> TrainingSet:
    """Features, labels and onset shapes of the training plant of ``seed``, cached on disk.

    The cache holds only what the training plant gives (it is recomputed when absent), so
    deleting it changes nothing but time. Features and onset shapes are cached apart (their
    versions change apart).
    """
    path = cache_dir() / f"fault-training-seed{seed}-{CACHE_VERSION}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            return TrainingSet(
                saved["features"],
                meta["labels"],
                saved["channel_rows"],
                saved["channel_touched"],
                meta["channel_names"],
                saved["channel_owner"],
                meta["channels"],
                meta["asset_types"],
                training_onset_shapes(seed),
            )
    windows, requests = _training_windows(seed)
    labels = [r.label for r in requests]
    logger.info("computing the fault training set: %d windows of plant seed %d", len(windows), seed)
    probe = FaultClassifier()
    probe.channels_ = tuple(sorted({c for w in windows for c in w.channels}))
    probe.asset_types_ = tuple(sorted({w.asset_type for w in windows}))
    features = np.stack([probe.features(w) for w in windows])
    rows = np.concatenate([channel_rows(w) for w in windows])
    touched = np.concatenate(
        [[c in r.channels for c in w.channels] for w, r in zip(windows, requests, strict=True)]
    )
    names = [c for w in windows for c in w.channels]
    owner = np.concatenate([np.full(len(w.channels), i) for i, w in enumerate(windows)])
    meta = {
        "labels": labels,
        "channel_names": names,
        "channels": list(probe.channels_),
        "asset_types": list(probe.asset_types_),
    }
    buffer = io.BytesIO()
    np.savez(
        buffer,
        features=features,
        channel_rows=rows,
        channel_touched=touched,
        channel_owner=owner,
        meta=np.array(json.dumps(meta)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())
    shapes = training_onset_shapes(seed)
    return TrainingSet(
        features, labels, rows, touched, names, owner, meta["channels"], meta["asset_types"], shapes
    )


@functools.lru_cache(maxsize=2)
def default_classifier(seed: int = TRAIN_SEED) -> FaultClassifier:
    """The fault classifier fitted on the training plant of ``seed`` (cached for the process)."""
    t = training_set(seed)
    return FaultClassifier(seed=seed).fit_features(
        t.features, t.labels, channels=t.channels, asset_types=t.asset_types
    )


@functools.lru_cache(maxsize=2)
def default_channel_model(seed: int = TRAIN_SEED) -> ChannelModel:
    """The moved-channel model fitted on the training plant of ``seed`` (cached for the process).

    It reads the default classifier's answer; on the training windows, the classifier's
    out-of-bag probabilities (what it says of windows it did not train on).
    """
    t = training_set(seed)
    classifier = default_classifier(seed)
    probabilities = classifier.out_of_bag_probabilities()[t.channel_owner]
    return ChannelModel(seed=seed).fit_features(
        t.channel_rows,
        t.channel_touched,
        t.channel_names,
        probabilities=probabilities,
        classes=classifier.classes_,
    )


def default_onset_shapes(seed: int = TRAIN_SEED) -> dict[str, str]:
    """The onset estimator per fault type chosen on the training plant of ``seed``."""
    return dict(training_set(seed).onset_shapes)
