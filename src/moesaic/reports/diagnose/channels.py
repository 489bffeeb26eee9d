"""Which channels a fault moved: a per-channel classifier learned from labelled fault windows.

A fixed threshold on a channel's level shift misses the small changes of a fault that also moves
with load (the current of an overheating motor) and cites channels that only drifted with the
operating point. Instead each channel of each training window is one sample: its signature
(:func:`moesaic.reports.diagnose.signatures.signatures`, magnitudes of the signed statistics), which
channel it is, and, when the model is given them, the fault classifier's probabilities for the
window (a seal leak moves pressure and flow, an overheating motor its temperature and current);
labelled 1 when the window's fault touched that channel, 0 otherwise (every channel of a
fault-free window is 0). The training probabilities must not come from a classifier that saw
the window (:meth:`moesaic.reports.diagnose.faults.FaultClassifier.held_out_probabilities`).

Axis names: C channels, F features per channel, K fault classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Self

import numpy as np

from moesaic.errors import NotFittedError
from moesaic.reports.diagnose.faults import FaultPrediction
from moesaic.reports.diagnose.forest import Forest, fit_forest, load_state, save_state
from moesaic.reports.diagnose.naming import known_channel_names
from moesaic.reports.diagnose.signatures import CHANNEL_FEATURES, Window, signatures

_SIGNED = (
    "shift",
    "shift_late",
    "change",
    "slope",
    "residual",
    "residual_late",
    "coupling",
    "robust",
    "robust_early",
    "robust_mid",
    "robust_late",
    "robust_load",
)


def channel_rows(window: Window) -> np.ndarray:
    """(C, F) per-channel features of a window: the signature, signed statistics as magnitudes."""
    sig = signatures(window)
    rows = [[abs(s[f]) if f in _SIGNED else s[f] for f in CHANNEL_FEATURES] for s in sig.values()]
    return np.asarray(rows, dtype=np.float64).reshape(len(sig), len(CHANNEL_FEATURES))


class ChannelModel:
    """Which channels of a window a fault moved (scikit-learn contract).

    A channel counts as moved when its probability reaches ``threshold_``, the threshold with the
    best F-beta score (recall weighted ``beta`` times precision: a report should rather cite a
    channel too many than miss the faulty one) on out-of-bag probabilities of the training
    channels (each tree votes only on samples it did not train on), so the threshold is set on
    training data without being flattered by it.

    Learned state: ``model_``, ``threshold_``, ``channels_`` (channel names seen in fit),
    ``classes_`` (the fault classes whose probabilities it reads; empty when fitted without) and,
    with them, ``rates_`` and ``mean_rate_`` (:meth:`_touch_rates`).

    Args:
        num_trees: trees of the forest.
        beta: weight of recall against precision in the threshold choice (> 0).
        seed: seeds the forest.
    """

    def __init__(self, *, num_trees: int = 100, beta: float = 2.0, seed: int = 0) -> None:
        if num_trees < 1:
            raise ValueError(f"`num_trees` must be >= 1, got {num_trees}")
        if not beta > 0:
            raise ValueError(f"`beta` must be > 0, got {beta}")
        self.num_trees, self.beta, self.seed = num_trees, beta, seed

    def fit(
        self,
        windows: Sequence[Window],
        touched: Sequence[Sequence[str]],
        *,
        probabilities: np.ndarray | None = None,
        classes: Sequence[str] = (),
    ) -> Self:
        """Learn from ``windows`` and, for each, the channels its fault touched (none when normal).

        Args:
            probabilities: (N, K) fault-class probabilities of each window from a classifier that
                did not train on it, columns in the order of ``classes``; None to learn without.
        """
        if len(windows) != len(touched):
            raise ValueError(f"got {len(windows)} windows but {len(touched)} sets of touched channels")
        x = np.concatenate([channel_rows(w) for w in windows])
        y = np.concatenate([[c in set(t) for c in w.channels] for w, t in zip(windows, touched, strict=True)])
        names = [c for w in windows for c in w.channels]
        owner = np.concatenate([np.full(len(w.channels), i) for i, w in enumerate(windows)])
        rows_probabilities = None if probabilities is None else np.asarray(probabilities)[owner]
        return self.fit_features(x, y, names, probabilities=rows_probabilities, classes=classes)

    def fit_features(
        self,
        x: np.ndarray,
        y: np.ndarray,
        names: Sequence[str],
        *,
        probabilities: np.ndarray | None = None,
        classes: Sequence[str] = (),
    ) -> Self:
        """Learn from precomputed rows (N, F) of :func:`channel_rows`, (N,) touched flags, the N
        channel names, and optionally (N, K) class probabilities of each row's window."""
        if x.ndim != 2 or x.shape[1] != len(CHANNEL_FEATURES) or len(y) != len(x) or len(names) != len(x):
            raise ValueError(
                f"expected rows (N, {len(CHANNEL_FEATURES)}), N flags and N channel names, "
                f"got {x.shape}, {len(y)}, {len(names)}"
            )
        if probabilities is not None and np.shape(probabilities) != (len(x), len(classes)):
            raise ValueError(
                f"probabilities must have shape ({len(x)}, {len(classes)}), got {np.shape(probabilities)}"
            )
        flags = np.asarray(y, dtype=bool)
        if len(set(flags.tolist())) < 2:
            raise ValueError("need channels both touched and untouched by a fault to learn from")
        self.channels_ = tuple(sorted(set(names)))
        self.classes_ = tuple(classes) if probabilities is not None else ()
        features = self._features(x, names, probabilities, touched=flags)
        self.model_ = fit_forest(
            features, flags, n_estimators=self.num_trees, min_samples_leaf=3, random_state=self.seed
        )
        assert self.model_.oob_decision_function_ is not None
        oob = np.nan_to_num(self.model_.oob_decision_function_[:, list(self.model_.classes_).index(True)])
        candidates = np.unique(np.round(oob, 3))
        b2 = self.beta**2
        scores = []
        for threshold in candidates:
            said = oob >= threshold
            tp = float((said & flags).sum())
            precision, recall = tp / max(int(said.sum()), 1), tp / max(int(flags.sum()), 1)
            scores.append((1 + b2) * precision * recall / max(b2 * precision + recall, 1e-12))
        self.threshold_ = float(candidates[int(np.argmax(scores))])
        return self

    def _features(
        self,
        x: np.ndarray,
        names: Sequence[str],
        probabilities: np.ndarray | None,
        *,
        touched: np.ndarray | None = None,
    ) -> np.ndarray:
        """(N, F + known channels [+ K + 1]): the rows, which channel each is and, with class
        probabilities, those and the expected touch rate (:meth:`_touch_rates`). ``touched``: the
        training flags, which (re)learn the touch rates."""
        identity = np.array([[float(n == c) for c in self.channels_] for n in names]).reshape(len(x), -1)
        parts = [x, identity]
        if self.classes_:
            assert probabilities is not None
            p = np.asarray(probabilities, dtype=np.float64)
            parts += [p, self._touch_rates(identity, p, touched)[:, None]]
        return np.concatenate(parts, axis=1)

    def _touch_rates(self, identity: np.ndarray, p: np.ndarray, touched: np.ndarray | None) -> np.ndarray:
        """(N,) how often a fault of the window's probable classes touches the row's channel.

        ``rates_`` (channels, K) is learned in fit from soft counts: each training row counts
        toward every class by its probability. A training row's own count is left out of its rate
        (the forest must not read its label back); a channel never seen in fit reads the mean rate.
        """
        if touched is not None:
            weight = identity.T @ p  # (channels, K): soft count of rows
            hits = identity.T @ (p * touched[:, None])  # of them, touched
            self.rates_ = (hits + 0.5) / (weight + 1.0)
            self.mean_rate_ = float(touched.mean())
            rates = (identity @ hits - p * touched[:, None] + 0.5) / (identity @ weight - p + 1.0)
        else:
            unknown = 1.0 - identity.sum(axis=1, keepdims=True)
            rates = identity @ self.rates_ + unknown * self.mean_rate_
        return np.asarray((p * rates).sum(axis=1) / np.maximum(p.sum(axis=1), 1e-12))

    def moved(self, window: Window, fault: FaultPrediction | None = None) -> np.ndarray:
        """(C,) bool: the channels of ``window`` a fault moved (probability >= ``threshold_``)."""
        return self.probability(window, fault) >= self.threshold_

    def probability(self, window: Window, fault: FaultPrediction | None = None) -> np.ndarray:
        """(C,) probability that each channel of ``window`` was moved by a fault.

        Args:
            fault: the classifier's answer for the window; required when the model was fitted
                with class probabilities.
        """
        if not hasattr(self, "model_"):
            raise NotFittedError("This ChannelModel is not fitted yet. Call `fit` first.")
        probabilities = None
        if self.classes_:
            if fault is None:
                raise ValueError("this ChannelModel reads the fault classifier's answer: pass `fault`")
            ranked = dict(fault.ranked)
            row = [ranked.get(c, 0.0) for c in self.classes_]
            probabilities = np.tile(row, (len(window.channels), 1))
        names = known_channel_names(window.channels, self.channels_)  # a site's names as those learnt
        features = self._features(channel_rows(window), names, probabilities)
        proba = self.model_.predict_proba(features)
        column = list(self.model_.classes_).index(True)
        return np.asarray(proba[:, column], dtype=np.float64)

    def save(self, folder: Path) -> None:
        """Write the fitted model to ``folder`` (safetensors + JSON, written all at once)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("This ChannelModel is not fitted yet. Call `fit` first.")
        arrays = self.model_.arrays("forest")
        if self.classes_:
            arrays["rates"] = np.ascontiguousarray(self.rates_)
        config = {
            "kind": "channel_model",
            "num_trees": self.num_trees,
            "beta": self.beta,
            "seed": self.seed,
            "channels": list(self.channels_),
            "classes": list(self.classes_),
            "forest_classes": [bool(c) for c in self.model_.classes_],
            "threshold": self.threshold_,
            "mean_rate": getattr(self, "mean_rate_", None),
        }
        save_state(folder, arrays, config)

    @classmethod
    def load(cls, folder: Path) -> ChannelModel:
        """The model saved by :meth:`save`; a ValueError naming the file when it is not one."""
        arrays, config = load_state(folder, kind="channel_model", what="a channel model")
        out = cls(num_trees=int(config["num_trees"]), beta=float(config["beta"]), seed=int(config["seed"]))
        out.channels_, out.classes_ = tuple(config["channels"]), tuple(config["classes"])
        out.threshold_ = float(config["threshold"])
        if out.classes_:
            out.rates_, out.mean_rate_ = arrays["rates"], float(config["mean_rate"])
        out.model_ = Forest.from_arrays(arrays, "forest", list(config["forest_classes"]))
        return out
