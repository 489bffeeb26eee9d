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
after any known fault still running when it opens (:func:`read_from`). The onset estimator's
healthy model reads more: the healthy stretches of the nine weeks before, joined
(:func:`healthy_history`). Known faults are the labelled fault events that started before the
window: the site's history, never the fault asked about.

From the training plant come the default fault classifier, the moved-channel model and the onset
estimator per fault type. Their training features are cached under ``$MOESAIC_CACHE`` (default
``~/.cache/moesaic``; the file name carries :data:`CACHE_VERSION`): the first use simulates and
describes the training plant (128 assets), chooses the onset shapes (or takes the shipped ones,
when they were chosen on the same training windows under this version: see
:mod:`moesaic.reports.diagnose.episodes_onset`), fits the classifier
(gradient boosting, once on every window and once per held-out fold) and the channel forest, and
saves them beside the features (safetensors + JSON); later ones load them. The windows, the onset
errors and the classifier's fits are spread over the cores by :func:`moesaic.parallel.map_ordered`
when the ``moesaic`` command runs them (the same files either way): about 4 minutes on 2 cores
with the shipped onset shapes, 8 without.

The request sampler and the baseline rules live in :mod:`moesaic.reports.diagnose.episodes_windows`,
the choice of onset shape in :mod:`moesaic.reports.diagnose.episodes_onset`; this module holds
the cached training set and the default models, and re-exports the public names of both.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import json
import logging
import os
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.parallel import map_ordered
from moesaic.reports.diagnose.channels import ChannelModel, channel_rows
from moesaic.reports.diagnose.episodes_onset import (
    ONSET_VERSION,
    ONSET_WINDOWS,
    choose_onset_shapes,
    fit_onset_shapes,
    onset_candidates,
    onset_errors,
    shipped_onset_shapes,
)
from moesaic.reports.diagnose.episodes_windows import (
    AFTER_FAULT,
    BASELINE_DAYS,
    HISTORY_DAYS,
    LEAD_HOURS,
    LOOKBACK_DAYS,
    MIN_BASELINE_DAYS,
    TRAIN_SEED,
    Interval,
    Request,
    healthy_baseline,
    healthy_history,
    known_faults,
    order_spans,
    read_from,
    sample_requests,
    simulated_plant,
    training_plant,
    training_windows,
    window_from_series,
)
from moesaic.reports.diagnose.faults import FaultClassifier, Window

__all__ = [
    "AFTER_FAULT",
    "BASELINE_DAYS",
    "CACHE_VERSION",
    "HISTORY_DAYS",
    "LEAD_HOURS",
    "LOOKBACK_DAYS",
    "MIN_BASELINE_DAYS",
    "ONSET_VERSION",
    "ONSET_WINDOWS",
    "TRAIN_SEED",
    "Interval",
    "Request",
    "TrainingSet",
    "cache_dir",
    "choose_onset_shapes",
    "default_channel_model",
    "default_classifier",
    "default_models",
    "default_onset_shapes",
    "fit_onset_shapes",
    "healthy_baseline",
    "healthy_history",
    "known_faults",
    "onset_candidates",
    "onset_errors",
    "order_spans",
    "read_from",
    "sample_requests",
    "simulated_plant",
    "training_cache_ready",
    "training_onset_shapes",
    "training_plant",
    "training_set",
    "training_windows",
    "window_from_series",
]

logger = logging.getLogger(__name__)

CACHE_VERSION = "v7"  # bump when the features, the baseline choice or the sampler change
MODELS_VERSION = "v3"  # bump when the classifier, the channel model or how they are saved change


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
    """Whether the training plant's features, onset shapes and fitted models (of this version, any
    model kind) are already cached on disk, so that a first report need not build them."""
    folder = cache_dir()
    models = f"fault-models-seed{seed}-{CACHE_VERSION}-{MODELS_VERSION}-*/classifier/state.json"
    return (
        (folder / f"fault-training-seed{seed}-{CACHE_VERSION}.npz").exists()
        and (folder / f"fault-onsets-seed{seed}-{ONSET_VERSION}.json").exists()
        and any(folder.glob(models))
    )


@functools.lru_cache(maxsize=2)
def training_onset_shapes(seed: int = TRAIN_SEED) -> dict[str, str]:
    """The onset shape per fault type chosen on the training plant of ``seed``, cached on disk
    (the file name carries :data:`ONSET_VERSION`)."""
    path = cache_dir() / f"fault-onsets-seed{seed}-{ONSET_VERSION}.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    windows, requests = _training_windows(seed)
    shapes = shipped_onset_shapes(seed, windows, requests) or fit_onset_shapes(windows, requests)
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
    described = map_ordered(partial(_describe, probe), windows)  # the slow part: spread over the cores
    features = np.stack([f for f, _ in described])
    rows = np.concatenate([r for _, r in described])
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


def _describe(probe: FaultClassifier, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's features of ``window`` and its channel rows (for :func:`training_set`)."""
    return probe.features(window), channel_rows(window)


def default_classifier(seed: int = TRAIN_SEED) -> FaultClassifier:
    """The fault classifier fitted on the training plant of ``seed`` (:func:`default_models`)."""
    return default_models(seed)[0]


def default_channel_model(seed: int = TRAIN_SEED) -> ChannelModel:
    """The moved-channel model fitted on the training plant of ``seed`` (:func:`default_models`)."""
    return default_models(seed)[1]


@functools.lru_cache(maxsize=4)
def default_models(seed: int = TRAIN_SEED, model: str = "boosting") -> tuple[FaultClassifier, ChannelModel]:
    """The fault classifier (``model``: "boosting" or "forest", :class:`FaultClassifier`) and the
    moved-channel model fitted on the training plant of ``seed``.

    The channel model reads the classifier's answer; on the training windows, the classifier's
    held-out probabilities (what it says of windows it did not train on). Both are saved under
    :func:`cache_dir` (safetensors + JSON) in a folder named after the training set's content, the
    classifier's model and the scikit-learn version that fitted them, so a later process loads
    them instead of fitting again (boosting: about 2.5 minutes of two cores, as it is fitted once
    more per held-out fold; forest: about 11 s); cached for the process too.
    """
    folder = _models_folder(seed, model)
    try:
        return FaultClassifier.load(folder / "classifier"), ChannelModel.load(folder / "channels")
    except ValueError as err:
        if folder.exists():
            logger.warning("refitting the default diagnosis models: %s", err)
    t = training_set(seed)
    classifier = FaultClassifier(model=model, seed=seed).fit_features(
        t.features, t.labels, channels=t.channels, asset_types=t.asset_types
    )
    probabilities = classifier.held_out_probabilities()[t.channel_owner]
    channel_model = ChannelModel(seed=seed).fit_features(
        t.channel_rows,
        t.channel_touched,
        t.channel_names,
        probabilities=probabilities,
        classes=classifier.classes_,
    )
    try:
        with atomic_directory(folder) as tmp:
            classifier.save(tmp / "classifier")
            channel_model.save(tmp / "channels")
    except OSError as err:  # a read-only cache costs time, not results
        logger.warning("could not cache the default diagnosis models in %s: %s", folder, err)
    return classifier, channel_model


def _models_folder(seed: int, model: str) -> Path:
    """Where :func:`default_models` caches the models fitted on the training set of ``seed``."""
    t = training_set(seed)
    digest = hashlib.sha256(importlib.metadata.version("scikit-learn").encode())
    digest.update(model.encode())
    for array in (t.features, t.channel_rows, t.channel_touched, t.channel_owner):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps([t.labels, t.channel_names, t.channels, t.asset_types]).encode())
    return cache_dir() / f"fault-models-seed{seed}-{CACHE_VERSION}-{MODELS_VERSION}-{digest.hexdigest()[:16]}"


def default_onset_shapes(seed: int = TRAIN_SEED) -> dict[str, str]:
    """The onset estimator per fault type chosen on the training plant of ``seed``."""
    return dict(training_set(seed).onset_shapes)
