"""Which channels a fault moved: a per-channel classifier learned from labelled fault windows.

A fixed threshold on a channel's level shift misses the small changes of a fault that also moves
with load (the current of an overheating motor) and cites channels that only drifted with the
operating point. Instead each channel of each training window is one sample: its signature
(:func:`moesaic.reports.diagnose.faults.signatures`, magnitudes of the signed statistics) labelled 1 when
the window's fault touched that channel, 0 otherwise (every channel of a fault-free window is 0).

Axis names: C channels, F features per channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from moesaic.encoders import NotFittedError
from moesaic.reports.diagnose.faults import CHANNEL_FEATURES, Window, signatures

_SIGNED = ("shift", "shift_late", "change", "slope", "residual", "residual_late", "coupling")


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

    Learned state: ``model_``, ``threshold_``.

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

    def fit(self, windows: Sequence[Window], touched: Sequence[Sequence[str]]) -> Self:
        """Learn from ``windows`` and, for each, the channels its fault touched (none when normal)."""
        if len(windows) != len(touched):
            raise ValueError(f"got {len(windows)} windows but {len(touched)} sets of touched channels")
        x = np.concatenate([channel_rows(w) for w in windows])
        y = np.concatenate([[c in set(t) for c in w.channels] for w, t in zip(windows, touched, strict=True)])
        return self.fit_features(x, y)

    def fit_features(self, x: np.ndarray, y: np.ndarray) -> Self:
        """Learn from precomputed rows (N, F) of :func:`channel_rows` and (N,) touched flags."""
        if x.ndim != 2 or x.shape[1] != len(CHANNEL_FEATURES) or len(y) != len(x):
            raise ValueError(
                f"expected rows (N, {len(CHANNEL_FEATURES)}) and N flags, got {x.shape}, {len(y)}"
            )
        if len(set(np.asarray(y, dtype=bool).tolist())) < 2:
            raise ValueError("need channels both touched and untouched by a fault to learn from")
        flags = np.asarray(y, dtype=bool)
        self.model_ = RandomForestClassifier(
            n_estimators=self.num_trees, min_samples_leaf=3, oob_score=True, random_state=self.seed, n_jobs=1
        ).fit(x, flags)
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

    def moved(self, window: Window) -> np.ndarray:
        """(C,) bool: the channels of ``window`` a fault moved (probability >= ``threshold_``)."""
        return self.probability(window) >= self.threshold_

    def probability(self, window: Window) -> np.ndarray:
        """(C,) probability that each channel of ``window`` was moved by a fault."""
        if not hasattr(self, "model_"):
            raise NotFittedError("This ChannelModel is not fitted yet. Call `fit` first.")
        proba = self.model_.predict_proba(channel_rows(window))
        column = list(self.model_.classes_).index(True)
        return np.asarray(proba[:, column], dtype=np.float64)
