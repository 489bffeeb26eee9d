"""Fault type from the shape of the sensor evidence: a classifier fitted on data.

A window is described by its signatures against its baseline
(:mod:`moesaic.reports.diagnose.signatures`, whose names this module re-exports). Channels are
named (the classifier learns which ones move for which fault) and also summarised regardless of
name (a frozen or spiking transmitter may be any channel).

:class:`FaultClassifier` learns the mapping from labelled windows, including windows without a
fault (class ``normal``), with the scikit-learn contract. It never sees the simulator's fault
catalogue: only series windows and their labels, as it would from a site's own labelled history.

Axis names: T time steps, C channels, F features.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Self

import numpy as np

from moesaic.errors import NotFittedError
from moesaic.reports.diagnose.boosting import Boosting, fit_boosting
from moesaic.reports.diagnose.calibration import fit_temperature, soften
from moesaic.reports.diagnose.forest import Forest, fit_forest, load_state, save_state
from moesaic.reports.diagnose.naming import known_asset_type, known_channel_names
from moesaic.reports.diagnose.signatures import (
    CHANNEL_FEATURES,
    SUSPECT_SPREADS,
    Window,
    channel_signature,
    cross_residuals,
    load_coupling,
    robust_departures,
    signatures,
)

__all__ = [
    "CHANNEL_FEATURES",
    "LEARNING_RATE",
    "MODELS",
    "NORMAL",
    "SUSPECT_SPREADS",
    "FaultClassifier",
    "FaultPrediction",
    "Window",
    "channel_signature",
    "cross_residuals",
    "load_coupling",
    "robust_departures",
    "signatures",
]

logger = logging.getLogger(__name__)

NORMAL = "normal"
MODELS = ("boosting", "forest")
LEARNING_RATE = 0.05  # of the boosting rounds


class FaultPrediction(NamedTuple):
    """The classifier's answer for one window: every class with its probability, best first."""

    label: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]


class FaultClassifier:
    """Fault type (or ``normal``) of a window, learned from labelled windows.

    Learned state: ``channels_`` (named channels seen in fit), ``asset_types_``, ``classes_``,
    ``temperature_`` (see below), ``model_``: gradient-boosted trees
    (:class:`~moesaic.reports.diagnose.boosting.Boosting`, the default) or a random forest
    (:class:`~moesaic.reports.diagnose.forest.Forest`). Trees need no feature scaling and keep
    per-feature thresholds readable. Classes are weighted inversely to their frequency, so that a
    rare fault type (cavitation, imbalance) counts as much as a common one (bearing wear).

    Boosting is the default: on the windows of the validation plants it names the fault type
    more often than the forest did, chiefly of slowly worn bearings, which the forest took for
    imbalance or misalignment (BENCHMARKS.md, reports).

    The probabilities :meth:`predict` states are calibrated: the model's own, softened (or
    sharpened) by ``temperature_``, chosen in fit on the held-out probabilities
    (:mod:`moesaic.reports.diagnose.calibration`). ``predict(..., calibrated=False)`` gives the
    model's own, which is what the moved-channel model learned from.

    Args:
        model: ``"boosting"`` or ``"forest"``.
        num_trees: boosting rounds (one tree per class each; :data:`LEARNING_RATE`), or trees
            of the forest.
        seed: seeds the model.
    """

    def __init__(self, *, model: str = "boosting", num_trees: int = 300, seed: int = 0) -> None:
        if model not in MODELS:
            raise ValueError(f"`model` must be one of {MODELS}, got {model!r}")
        if num_trees < 1:
            raise ValueError(f"`num_trees` must be >= 1, got {num_trees}")
        self.model = model
        self.num_trees = num_trees
        self.seed = seed

    def features(self, window: Window) -> np.ndarray:
        """(F,) features of one window: named channels, name-free summaries and the asset type (a
        site's names read as those learnt: :mod:`moesaic.reports.diagnose.naming`)."""
        self._check_fitted()
        sig = signatures(window)  # keyed by the site's names, in the window's channel order
        by_known = dict(zip(known_channel_names(window.channels, self.channels_), sig.values(), strict=True))
        named = [by_known.get(c, {}).get(f, 0.0) for c in self.channels_ for f in CHANNEL_FEATURES]
        table = np.array([[s[f] for f in CHANNEL_FEATURES] for s in sig.values()]).reshape(
            -1, len(CHANNEL_FEATURES)
        )
        summary = np.concatenate([np.abs(table).max(axis=0), table.max(axis=0), table.min(axis=0)])
        moved = [float((np.abs(table[:, 1]) > k).sum()) for k in (2.0, 5.0)]
        asset_type = known_asset_type(window.asset_type, self.asset_types_)
        kinds = [float(asset_type == t) for t in self.asset_types_]
        days = len(window.values) / window.steps_per_day
        return np.array([*named, *summary, *moved, *kinds, days], dtype=np.float64)

    def fit(self, windows: Sequence[Window], labels: Sequence[str]) -> Self:
        """Learn from ``windows`` and their labels (a fault type, or ``normal``)."""
        if len(windows) != len(labels):
            raise ValueError(f"got {len(windows)} windows but {len(labels)} labels")
        self.channels_ = tuple(sorted({c for w in windows for c in w.channels}))
        self.asset_types_ = tuple(sorted({w.asset_type for w in windows}))
        x = np.stack([self.features(w) for w in windows])
        return self.fit_features(x, labels, channels=self.channels_, asset_types=self.asset_types_)

    def fit_features(
        self, x: np.ndarray, labels: Sequence[str], *, channels: Sequence[str], asset_types: Sequence[str]
    ) -> Self:
        """Learn from precomputed features (N, F) of :meth:`features` with the same channels and types."""
        if len(set(labels)) < 2:
            raise ValueError(f"need windows of at least 2 classes, got {sorted(set(labels))}")
        self.channels_, self.asset_types_ = tuple(channels), tuple(asset_types)
        expected = (
            len(self.channels_) * len(CHANNEL_FEATURES)
            + 3 * len(CHANNEL_FEATURES)
            + 2
            + len(self.asset_types_)
            + 1
        )
        if x.ndim != 2 or x.shape != (len(labels), expected):
            raise ValueError(f"features must have shape ({len(labels)}, {expected}), got {x.shape}")
        y = np.asarray(labels)
        self.model_: Boosting | Forest
        if self.model == "boosting":
            self.model_ = fit_boosting(
                x,
                y,
                max_iter=self.num_trees,
                learning_rate=LEARNING_RATE,
                class_weight="balanced",
                random_state=self.seed,
            )
        else:
            self.model_ = fit_forest(
                x,
                y,
                n_estimators=self.num_trees,
                min_samples_leaf=2,
                class_weight="balanced",
                random_state=self.seed,
            )
        self.classes_ = tuple(str(c) for c in self.model_.classes_)
        truth = np.array([self.classes_.index(str(label)) for label in labels])
        self.temperature_ = fit_temperature(self.held_out_probabilities(), truth)
        logger.info(
            "fault classifier fitted on %d windows, %d features; temperature %.3g",
            len(x),
            x.shape[1],
            self.temperature_,
        )
        return self

    def held_out_probabilities(self) -> np.ndarray:
        """(N, K) class probabilities of each training window from a model that did not train on it
        (columns in the order of ``classes_``): what the classifier says of windows it never saw.
        Boosting: the model of the cross-validation fold that left the window out; forest: the
        trees that left it out of their sample (zeros for the rare window that none left out)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("This FaultClassifier is not fitted yet. Call `fit` first.")
        if isinstance(self.model_, Boosting):
            held = self.model_.held_out_
        else:
            held = self.model_.oob_decision_function_
        if held is None:
            raise ValueError("this FaultClassifier holds no held-out probabilities")
        return np.nan_to_num(np.asarray(held, dtype=np.float64))

    def predict(self, window: Window, *, calibrated: bool = True) -> FaultPrediction:
        """The most probable class of ``window``, its probability and every class ranked:
        calibrated probabilities, or the model's own with ``calibrated=False``."""
        if not hasattr(self, "model_"):
            raise NotFittedError("This FaultClassifier is not fitted yet. Call `fit` first.")
        proba = self.model_.predict_proba(self.features(window)[None])[0]
        return self._ranked(soften(proba, self.temperature_) if calibrated else proba, proba)

    def calibrate(self, prediction: FaultPrediction) -> FaultPrediction:
        """The calibrated form of an answer of ``predict(..., calibrated=False)``."""
        self._check_fitted()
        given = dict(prediction.ranked)
        proba = np.array([given.get(c, 0.0) for c in self.classes_])
        return self._ranked(soften(proba, self.temperature_), proba)

    def _ranked(self, stated: np.ndarray, model: np.ndarray) -> FaultPrediction:
        """``stated`` probabilities, classes in the order of the ``model``'s own (calibration keeps
        it, up to the floor that tiny probabilities are raised to)."""
        order = np.argsort(-model, kind="stable")
        ranked = tuple((self.classes_[i], float(stated[i])) for i in order)
        return FaultPrediction(ranked[0][0], ranked[0][1], ranked)

    def save(self, folder: Path) -> None:
        """Write the fitted classifier to ``folder`` (safetensors + JSON, written all at once)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("This FaultClassifier is not fitted yet. Call `fit` first.")
        config = {
            "kind": "fault_classifier",
            "model": self.model,
            "num_trees": self.num_trees,
            "seed": self.seed,
            "channels": list(self.channels_),
            "asset_types": list(self.asset_types_),
            "classes": list(self.classes_),
            "temperature": self.temperature_,
        }
        save_state(folder, self.model_.arrays(self.model), config)

    @classmethod
    def load(cls, folder: Path) -> FaultClassifier:
        """The classifier saved by :meth:`save`; a ValueError naming the file when it is not one."""
        arrays, config = load_state(folder, kind="fault_classifier", what="a fault classifier")
        model = str(config.get("model", "forest"))  # saved before boosting: a forest
        out = cls(model=model, num_trees=int(config["num_trees"]), seed=int(config["seed"]))
        out.channels_, out.asset_types_ = tuple(config["channels"]), tuple(config["asset_types"])
        out.classes_ = tuple(config["classes"])
        out.temperature_ = float(config.get("temperature", 1.0))  # saved before calibration: none
        kind = Boosting if model == "boosting" else Forest
        out.model_ = kind.from_arrays(arrays, model, list(config["classes"]))
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "channels_"):
            raise NotFittedError("This FaultClassifier is not fitted yet. Call `fit` first.")
