"""The classical anomaly detectors, each a :class:`~moesaic.tasks.detectors_pipeline.BaseDetector`.

``zscore`` (level only), ``pca`` (Hotelling T² and SPE), ``iforest`` (isolation forest), ``kmeans``
(distance to the nearest centroid) and ``ar`` (forecast residual of a ridge autoregression). Each
defines only its deviations and learned state; the pipeline around them is in
:mod:`moesaic.tasks.detectors_pipeline`. :data:`CLASSICAL` holds them by name.

Axes: T steps, C channels, P parts, K components or clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moesaic.tasks.detectors_pipeline import _MIN_SCALE, BaseDetector, Scores, ScoringConfig
from moesaic.trees import LEAF, descend, node_depths, stack_trees


def _filled(z: np.ndarray) -> np.ndarray:
    """Standardised rows with a missing reading at the training mean (0)."""
    return np.nan_to_num(z, nan=0.0)


class ZScoreDetector(BaseDetector):
    """The level of each channel in training standard deviations: the simplest detector."""

    name = "zscore"

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        return _filled(z)[:, None, :]


@dataclass(frozen=True)
class PCAConfig(ScoringConfig):
    """``variance``: share of the training variance the principal subspace keeps."""

    variance: float = 0.9

    def _problems(self) -> list[str]:
        problems = super()._problems()
        return problems + (
            [] if 0 < self.variance <= 1 else [f"`variance` must be in (0, 1], got {self.variance}"]
        )


class PCADetector(BaseDetector):
    """Hotelling T² in the principal subspace and SPE (Q) outside it, as two parts per channel.

    Part 0 is z P Λ^-1/2 Pᵀ (its squared norm is T²), part 1 is z - z P Pᵀ (its squared norm is SPE).
    """

    name = "pca"
    config_class = PCAConfig
    config: PCAConfig

    def _fit_model(self, z: np.ndarray) -> None:
        filled = _filled(z)
        eigenvalues, vectors = np.linalg.eigh(np.cov(filled, rowvar=False).reshape(z.shape[1], z.shape[1]))
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, vectors = np.maximum(eigenvalues[order], 0.0), vectors[:, order]
        share = np.cumsum(eigenvalues) / max(float(eigenvalues.sum()), _MIN_SCALE)
        k = int(np.searchsorted(share, self.config.variance - 1e-12) + 1)
        self.components_ = vectors[:, :k]  # (C, K)
        self.eigenvalues_ = np.maximum(eigenvalues[:k], _MIN_SCALE)  # (K,)

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        filled = _filled(z)
        scores = filled @ self.components_  # (T, K)
        t2 = (scores / np.sqrt(self.eigenvalues_)) @ self.components_.T
        spe = filled - scores @ self.components_.T
        return np.stack([t2, spe], axis=1)

    def _state(self) -> dict[str, np.ndarray]:
        return {"components_": self.components_, "eigenvalues_": self.eigenvalues_}


ROWS_PER_CLUSTER = 3
"""Training rows a k-means centroid needs, at least."""


@dataclass(frozen=True)
class KMeansConfig(ScoringConfig):
    """``clusters``: centroids fitted on the training rows."""

    clusters: int = 8

    def _problems(self) -> list[str]:
        problems = super()._problems()
        return problems + ([] if self.clusters >= 1 else [f"`clusters` must be >= 1, got {self.clusters}"])


class KMeansDetector(BaseDetector):
    """The signed offset of each row from its nearest training centroid."""

    name = "kmeans"
    config_class = KMeansConfig
    config: KMeansConfig

    def _fit_model(self, z: np.ndarray) -> None:
        from sklearn.cluster import KMeans  # fitting only: scoring needs numpy alone

        filled = _filled(z)
        needed = ROWS_PER_CLUSTER * self.config.clusters
        if len(filled) < needed:
            raise ValueError(
                f"`clusters` = {self.config.clusters} needs at least {needed} training rows "
                f"({ROWS_PER_CLUSTER} per centroid), got {len(filled)}: with fewer, rows sit on their own "
                "centroids, the threshold falls to about 0 and every later row is an alarm"
            )
        clusters = min(self.config.clusters, len(np.unique(filled, axis=0)))
        model = KMeans(n_clusters=clusters, n_init=4, random_state=self.config.seed).fit(filled)
        self.centroids_ = model.cluster_centers_.astype(np.float64)  # (K, C)

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        filled = _filled(z)
        distance = ((filled[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)  # (T, K)
        return (filled - self.centroids_[distance.argmin(axis=1)])[:, None, :]

    def _state(self) -> dict[str, np.ndarray]:
        return {"centroids_": self.centroids_}


@dataclass(frozen=True)
class ARConfig(ScoringConfig):
    """Ridge autoregression of each channel on its own ``lags`` past steps."""

    lags: int = 5
    ridge: float = 1.0

    def _problems(self) -> list[str]:
        problems = super()._problems()
        if self.lags < 1:
            problems.append(f"`lags` must be >= 1, got {self.lags}")
        if self.ridge < 0:
            problems.append(f"`ridge` must be >= 0, got {self.ridge}")
        return problems


class ARDetector(BaseDetector):
    """Forecast residual: each step minus its one-step forecast from the channel's ``lags`` steps before.

    One ridge autoregression per channel, on its own past only, so that a fault on one channel
    does not spill into the residuals of the others. The ridge shrinks a noisy channel's forecast
    toward the training mean, so a level shift keeps a residual, while a smooth channel is
    forecast from its recent past.
    """

    name = "ar"
    config_class = ARConfig
    config: ARConfig

    def _lagged(self, filled: np.ndarray) -> np.ndarray:
        """(T, lags, C): the steps before each step, zero (the training mean) before the start."""
        lags = self.config.lags
        padded = np.concatenate([np.zeros((lags, filled.shape[1])), filled])
        return np.stack([padded[lags - k : len(padded) - k] for k in range(1, lags + 1)], axis=1)

    def _fit_model(self, z: np.ndarray) -> None:
        filled = _filled(z)
        lags = self.config.lags
        if len(filled) <= lags + 1:
            raise ValueError(f"`train` needs more than lags={lags} + 1 rows, got {len(filled)}")
        features, target = self._lagged(filled)[lags:], filled[lags:]  # (T', lags, C), (T', C)
        gram = np.einsum("tkc,tjc->ckj", features, features) + self.config.ridge * np.eye(lags)
        moment = np.einsum("tkc,tc->ck", features, target)[..., None]  # (C, lags, 1)
        self.weights_ = np.linalg.solve(gram, moment)[..., 0].T  # (lags, C)

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        filled = _filled(z)
        return (filled - np.einsum("tkc,kc->tc", self._lagged(filled), self.weights_))[:, None, :]

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights_": self.weights_}


@dataclass(frozen=True)
class IForestConfig(ScoringConfig):
    """``trees`` isolation trees, each grown on ``max_samples`` training rows."""

    trees: int = 100
    max_samples: int = 256

    def _problems(self) -> list[str]:
        names = ("trees", "max_samples")
        return super()._problems() + [
            f"`{n}` must be >= 1, got {getattr(self, n)}" for n in names if getattr(self, n) < 1
        ]


def _average_path(n: np.ndarray) -> np.ndarray:
    """Expected path length of an unsuccessful search in a binary tree of n points (Liu et al. 2008)."""
    n = np.asarray(n, dtype=np.float64)
    safe = np.maximum(n, 2.0)
    general = 2.0 * (np.log(safe - 1.0) + np.euler_gamma) - 2.0 * (safe - 1.0) / safe
    return np.where(n <= 1, 0.0, np.where(n == 2, 1.0, general))


class IForestDetector(BaseDetector):
    """Isolation forest (scikit-learn grows it); the trees are kept as arrays and scored here.

    The forest gives one score per row, not per channel: the deviation is the isolation score
    minus its training mean, and the contributions share the score out in proportion to each
    channel's squared level.
    """

    name = "iforest"
    config_class = IForestConfig
    config: IForestConfig

    def _fit_model(self, z: np.ndarray) -> None:
        from sklearn.ensemble import IsolationForest  # fitting only: scoring needs numpy alone

        filled = _filled(z)
        samples = min(self.config.max_samples, len(filled))
        forest = IsolationForest(
            n_estimators=self.config.trees, max_samples=samples, random_state=self.config.seed
        )
        forest.fit(filled)
        self.roots_, self.left_, self.right_ = stack_trees(forest.estimators_)
        trees = [estimator.tree_ for estimator in forest.estimators_]
        # Each tree reads a subset of the columns: its feature indices map back to the full row.
        self.feature_ = np.concatenate(
            [
                np.where(t.children_left == LEAF, 0, np.asarray(columns)[np.maximum(t.feature, 0)])
                for t, columns in zip(trees, forest.estimators_features_, strict=True)
            ]
        ).astype(np.int64)
        self.split_ = np.concatenate([t.threshold for t in trees])
        self.count_ = np.concatenate([t.n_node_samples for t in trees]).astype(np.float64)
        self.samples_ = np.asarray([samples], dtype=np.int64)
        self.offset_ = np.asarray([self.isolation_score(z).mean()])

    def isolation_score(self, z: np.ndarray) -> np.ndarray:
        """(T,) 2^(-E[h] / c(samples)) in (0, 1]: higher is easier to isolate, more anomalous."""
        filled = _filled(z)
        leaves = descend(filled, self.roots_, self.left_, self.right_, self.feature_, self.split_)
        levels = node_depths(self.roots_, self.left_, self.right_)
        depth = np.zeros(len(filled))
        for t in range(leaves.shape[1]):
            depth += levels[leaves[:, t]] + _average_path(self.count_[leaves[:, t]])
        return 2.0 ** (-depth / len(self.roots_) / _average_path(self.samples_.astype(np.float64))[0])

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        centred = self.isolation_score(z) - self.offset_[0]  # (T,)
        return np.stack([np.repeat(centred[:, None], z.shape[1], axis=1), _filled(z)], axis=1)

    def _combine(self, z: np.ndarray, smoothed: np.ndarray, scale: np.ndarray | None = None) -> Scores:
        # Easier to isolate than usual is anomalous, harder is not: only the positive side counts.
        scale = self.scale_ if scale is None else scale
        score = (np.maximum(smoothed[:, 0, 0], 0.0) / scale[0, 0]) ** 2  # (T,)
        level = (smoothed[:, 1, :] / scale[1]) ** 2  # (T, C)
        total = level.sum(axis=1, keepdims=True)
        share = np.where(total > _MIN_SCALE, level / np.maximum(total, _MIN_SCALE), 1.0 / z.shape[1])
        return Scores(score, score[:, None] * share)

    def _state(self) -> dict[str, np.ndarray]:
        names = ("left_", "right_", "feature_", "split_", "count_", "roots_", "samples_", "offset_")
        return {name: getattr(self, name) for name in names}


CLASSICAL: dict[str, type[BaseDetector]] = {
    cls.name: cls for cls in (ZScoreDetector, PCADetector, IForestDetector, KMeansDetector, ARDetector)
}
"""The classical detectors by name."""
