"""Anomaly detectors behind one interface: the shared scoring pipeline and the classical detectors.

Every detector follows the scikit-learn contract (``__init__`` stores its config, ``fit`` returns
``self``, learned state ends in ``_``, scoring before ``fit`` raises :class:`NotFittedError`) and
the same pipeline, so that the sparse backbone (:class:`moesaic.tasks.anomaly.AnomalyDetector`)
and the classical detectors are compared on equal terms:

1. each channel is standardised with the mean and standard deviation of the training rows;
2. the detector turns the standardised values z (T, C) into signed deviations (T, P, C): P parts
   per channel, each what the detector cannot explain, in standardised units (the level z itself,
   a PCA residual, a forecast error, ...);
3. a causal moving average over ``smooth`` steps (the present and the past only): a sustained
   shift survives while noise averages out, and no score looks into the future;
4. each (part, channel) is divided by its root mean square on the calibration rows, so that a
   noisy channel does not drown a quiet one;
5. ``contributions`` (T, C) are the squared scaled deviations, averaged over parts and channels;
   the score (T,) is their sum over channels, so the contributions say which channels raised it;
6. the threshold is ``quantile`` of the calibration scores times ``factor``, fixed a priori. The
   calibration rows are the training rows, or the ``validation`` rows given to ``fit``: never the
   rows being evaluated, and no method accepts scores to threshold.

Classical detectors here: ``zscore`` (level only), ``pca`` (Hotelling T² and SPE), ``iforest``
(isolation forest), ``kmeans`` (distance to the nearest centroid) and ``ar`` (forecast residual of
a ridge autoregression). Axes: T steps, C channels, P parts, K components or clusters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest
from torch import nn

from moesaic.checkpoint import CheckpointError, load_model_state, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.encoders import NotFittedError
from moesaic.eval.metrics import threshold_from_scores

_MIN_SCALE = 1e-6
KIND_PREFIX = "moesaic.detector."


@dataclass(frozen=True)
class ScoringConfig:
    """The scoring pipeline every detector shares (module docstring, steps 3 to 6).

    Attributes:
        smooth: steps of the causal moving average of the deviations (1: none).
        quantile: level of the calibration-score quantile the threshold starts from.
        factor: the threshold is that quantile times ``factor`` (fixed a priori, never tuned on test).
        min_run: an alarm needs at least this many consecutive steps above the threshold.
        seed: seeds every random choice of the detector.
    """

    smooth: int = 30
    quantile: float = 0.99
    factor: float = 2.0
    min_run: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ConfigError(problems)

    def _problems(self) -> list[str]:
        """Every problem of the config; a detector's config extends the list."""
        problems = [] if self.smooth >= 1 else [f"`smooth` must be >= 1, got {self.smooth}"]
        if not 0 < self.quantile < 1:
            problems.append(f"`quantile` must be in (0, 1), got {self.quantile}")
        if not self.factor > 0:
            problems.append(f"`factor` must be > 0, got {self.factor}")
        if self.min_run < 1:
            problems.append(f"`min_run` must be >= 1, got {self.min_run}")
        return problems


class Scores(NamedTuple):
    score: np.ndarray  # (T,) float64, higher = more anomalous
    contributions: np.ndarray  # (T, C) float64 >= 0, summing over C to `score`


class Detection(NamedTuple):
    """What :meth:`BaseDetector.predict` returns for a (T, C) series."""

    score: np.ndarray  # (T,)
    alarm: np.ndarray  # (T,) bool
    contributions: np.ndarray  # (T, C)
    threshold: float
    channels: tuple[str, ...]  # C names

    def top_channels(self, k: int = 3) -> list[tuple[str, ...]]:
        """For each step, the ``k`` channels with the largest contributions, largest first."""
        if k < 1:
            raise ValueError(f"`k` must be >= 1, got {k}")
        order = np.argsort(-self.contributions, axis=1, kind="stable")[:, :k]
        return [tuple(self.channels[c] for c in row) for row in order]


class Standardiser(NamedTuple):
    """Per-channel ``(x - mean) / std`` of the training rows; NaN stays NaN (unobserved)."""

    mean: np.ndarray  # (C,)
    std: np.ndarray  # (C,), 1 for a constant channel

    @classmethod
    def fit(cls, values: np.ndarray) -> Standardiser:
        mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
        return cls(mean, np.where(std > 0, std, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std


def check_values(values: Any, name: str, *, channels: int | None = None) -> np.ndarray:
    """``values`` as a (T, C) float64 array with at least 2 rows; NaN marks a missing reading.

    Raises:
        ValueError: not 2-D, fewer than 2 rows, the wrong number of channels, infinite values, or
            a channel with no reading at all; the message names the argument.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{name}` must hold numbers, got {type(values).__name__} ({err})") from None
    if array.ndim != 2:
        raise ValueError(f"`{name}` must have shape (time, channels), got {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"`{name}` must have at least 2 rows, got {array.shape[0]}")
    if channels is not None and array.shape[1] != channels:
        raise ValueError(f"`{name}` must have the {channels} channels seen in fit, got {array.shape[1]}")
    if np.isinf(array).any():
        row, col = np.argwhere(np.isinf(array))[0]
        raise ValueError(f"`{name}` row {row}, channel {col}: infinite value; use NaN for a missing reading")
    empty = np.flatnonzero(np.isnan(array).all(axis=0))
    if empty.size:
        raise ValueError(f"`{name}` channels {empty.tolist()} hold no reading at all (only NaN)")
    return array


def causal_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean over the last ``window`` steps (fewer at the start) along axis 0, for (T, ...) arrays."""
    if window <= 1:
        return x
    cumulative = np.cumsum(np.concatenate([np.zeros_like(x[:1]), x]), axis=0)
    end = np.arange(1, x.shape[0] + 1)
    start = np.maximum(0, end - window)
    count = (end - start).reshape(-1, *([1] * (x.ndim - 1)))
    return (cumulative[end] - cumulative[start]) / count


def sustained(above: np.ndarray, min_run: int) -> np.ndarray:
    """(T,) bool: True where ``above`` has held for at least ``min_run`` consecutive steps."""
    if min_run <= 1:
        return above.copy()
    run = causal_mean(above.astype(np.float64), min_run) * np.minimum(np.arange(1, above.size + 1), min_run)
    return (run >= min_run - 1e-9) & above


class _TensorBag(nn.Module):
    """Named arrays (and an optional model) in one module, for :func:`moesaic.checkpoint.save_model`."""

    def __init__(self, arrays: dict[str, np.ndarray], model: nn.Module | None = None) -> None:
        super().__init__()
        for name, array in arrays.items():
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(array)))
        if model is not None:
            self.model = model


class BaseDetector:
    """The shared pipeline; a detector implements ``_fit_model``, ``_deviations`` and its state.

    Learned state: ``channels_``, ``scaler_``, ``scale_`` (P, C), ``threshold_`` and the
    detector's own arrays.
    """

    name: ClassVar[str] = "base"
    config_class: ClassVar[type[ScoringConfig]] = ScoringConfig

    def __init__(self, config: ScoringConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()

    # ------------------------------------------------------------------ the public contract

    def fit(self, train: Any, *, validation: Any = None, channels: Sequence[str] | None = None) -> Self:
        """Learn from normal ``train`` rows (T, C); calibrate on ``validation`` rows when given.

        Args:
            train: (T, C) normal rows, NaN = missing reading.
            validation: optional (T', C) normal rows, not used to fit the model, on which the
                channel scales and the threshold are fitted instead of on ``train``.
            channels: C channel names (default ``ch0``, ``ch1``, ...).
        """
        x = check_values(train, "train")
        C = x.shape[1]
        names = tuple(channels) if channels is not None else tuple(f"ch{c}" for c in range(C))
        if len(names) != C or len(set(names)) != C:
            raise ValueError(f"`channels` must be {C} distinct names, got {list(names)}")
        self.channels_ = names
        self.scaler_ = Standardiser.fit(x)
        self._fit_model(self.scaler_.transform(x))
        calibration = x if validation is None else check_values(validation, "validation", channels=C)
        z = self.scaler_.transform(calibration)
        smoothed = causal_mean(self._deviations(z), self.config.smooth)  # (T, P, C)
        self.scale_ = np.maximum(np.sqrt(np.mean(smoothed**2, axis=0)), _MIN_SCALE)
        quantile = threshold_from_scores(self._combine(z, smoothed).score, quantile=self.config.quantile)
        self.threshold_ = float(quantile * self.config.factor)
        return self

    def score(self, values: Any) -> Scores:
        """Scores (T,) and per-channel contributions (T, C) of ``values`` (T, C)."""
        self._check_fitted()
        z = self.scaler_.transform(check_values(values, "values", channels=len(self.channels_)))
        return self._combine(z, causal_mean(self._deviations(z), self.config.smooth))

    def predict(self, values: Any) -> Detection:
        """Scores, alarms (above the fitted threshold for ``min_run`` steps) and contributions."""
        scores = self.score(values)
        alarm = sustained(scores.score > self.threshold_, self.config.min_run)
        return Detection(scores.score, alarm, scores.contributions, self.threshold_, self.channels_)

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` (every learned array) and ``config.json`` to ``folder``."""
        self._check_fitted()
        arrays = {"mean": self.scaler_.mean, "std": self.scaler_.std, "scale": self.scale_, **self._state()}
        document = {
            "kind": KIND_PREFIX + self.name,
            "config": to_dict(self.config),
            "channels": list(self.channels_),
            "threshold": self.threshold_,
            **self._extra_config(),
        }
        save_model(Path(folder), _TensorBag(arrays, self._module()), document)

    @classmethod
    def load(cls, folder: Path) -> Self:
        """A detector saved by :meth:`save`, ready to score.

        Raises:
            CheckpointError: missing, modified or foreign checkpoint, or one that does not rebuild.
        """
        state = load_model_state(Path(folder))
        saved = state.config
        if saved.get("kind") != KIND_PREFIX + cls.name:
            raise CheckpointError(f"{folder}: not a {cls.__name__} checkpoint (kind {saved.get('kind')!r})")
        try:
            detector = cls(from_dict(cls.config_class, saved["config"]))
            arrays = {k: v.numpy() for k, v in state.state_dict.items() if not k.startswith("model.")}
            weights = {k[6:]: v for k, v in state.state_dict.items() if k.startswith("model.")}
            detector.channels_ = tuple(saved["channels"])
            detector.threshold_ = float(saved["threshold"])
            detector.scaler_ = Standardiser(arrays.pop("mean"), arrays.pop("std"))
            detector.scale_ = arrays.pop("scale")
            detector._restore(arrays, weights, saved)
        except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{folder}: cannot rebuild the {cls.__name__} ({err})") from err
        return detector

    def parameter_count(self) -> tuple[int, int]:
        """(total, active per step) learned numbers, the scaler and channel scales left out."""
        self._check_fitted()
        total = sum(int(a.size) for a in self._state().values())
        return total, total

    # ------------------------------------------------------------------ what a detector defines

    def _fit_model(self, z: np.ndarray) -> None:
        """Learn from standardised training rows (T, C), NaN = missing."""

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        """(T, P, C) signed deviations of standardised rows (T, C); must be finite."""
        raise NotImplementedError

    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _restore(
        self, arrays: dict[str, np.ndarray], weights: dict[str, torch.Tensor], saved: dict[str, Any]
    ) -> None:
        for name, array in arrays.items():
            setattr(self, name, array)

    def _module(self) -> nn.Module | None:
        return None

    def _extra_config(self) -> dict[str, Any]:
        return {}

    def _combine(self, z: np.ndarray, smoothed: np.ndarray) -> Scores:
        energy = (smoothed / self.scale_) ** 2  # (T, P, C)
        contributions = energy.mean(axis=1) / energy.shape[2]  # (T, C)
        return Scores(contributions.sum(axis=1), contributions)

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            name = type(self).__name__
            raise NotFittedError(f"This {name} is not fitted yet. Call `fit` or `{name}.load` first.")


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
        filled = _filled(z)
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
        filled = _filled(z)
        samples = min(self.config.max_samples, len(filled))
        forest = IsolationForest(
            n_estimators=self.config.trees, max_samples=samples, random_state=self.config.seed
        )
        forest.fit(filled)
        left, right, feature, split, count, offsets = [], [], [], [], [], [0]
        for tree, columns in zip(forest.estimators_, forest.estimators_features_, strict=True):
            t = tree.tree_
            leaf = t.children_left < 0
            left.append(np.where(leaf, -1, t.children_left + offsets[-1]))
            right.append(np.where(leaf, -1, t.children_right + offsets[-1]))
            feature.append(np.where(leaf, 0, np.asarray(columns)[np.maximum(t.feature, 0)]))
            split.append(t.threshold)
            count.append(t.n_node_samples)
            offsets.append(offsets[-1] + t.node_count)
        self.left_, self.right_ = (
            np.concatenate(left).astype(np.int64),
            np.concatenate(right).astype(np.int64),
        )
        self.feature_, self.split_ = np.concatenate(feature).astype(np.int64), np.concatenate(split)
        self.count_, self.roots_ = (
            np.concatenate(count).astype(np.float64),
            np.asarray(offsets[:-1], np.int64),
        )
        self.samples_ = np.asarray([samples], dtype=np.int64)
        self.offset_ = np.asarray([self.isolation_score(z).mean()])

    def isolation_score(self, z: np.ndarray) -> np.ndarray:
        """(T,) 2^(-E[h] / c(samples)) in (0, 1]: higher is easier to isolate, more anomalous."""
        filled = _filled(z)
        depth = np.zeros(len(filled))
        rows = np.arange(len(filled))
        for root in self.roots_:
            node, level = np.full(len(filled), root), np.zeros(len(filled))
            inner = self.left_[node] >= 0
            while inner.any():
                go_left = filled[rows[inner], self.feature_[node[inner]]] <= self.split_[node[inner]]
                node[inner] = np.where(go_left, self.left_[node[inner]], self.right_[node[inner]])
                level[inner] += 1
                inner = self.left_[node] >= 0
            depth += level + _average_path(self.count_[node])
        return 2.0 ** (-depth / len(self.roots_) / _average_path(self.samples_.astype(np.float64))[0])

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        centred = self.isolation_score(z) - self.offset_[0]  # (T,)
        return np.stack([np.repeat(centred[:, None], z.shape[1], axis=1), _filled(z)], axis=1)

    def _combine(self, z: np.ndarray, smoothed: np.ndarray) -> Scores:
        # Easier to isolate than usual is anomalous, harder is not: only the positive side counts.
        score = (np.maximum(smoothed[:, 0, 0], 0.0) / self.scale_[0, 0]) ** 2  # (T,)
        level = (smoothed[:, 1, :] / self.scale_[1]) ** 2  # (T, C)
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


def configure(cls: type[BaseDetector], **overrides: Any) -> ScoringConfig:
    """The default config of ``cls`` with ``overrides`` (unknown names are a ConfigError)."""
    fields = {f.name for f in dataclasses.fields(cls.config_class)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigError(
            [f"{cls.config_class.__name__}: unknown keys {unknown}; valid keys are {sorted(fields)}"]
        )
    return cls.config_class(**overrides)
