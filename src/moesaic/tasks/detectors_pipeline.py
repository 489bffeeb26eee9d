"""The scoring pipeline every anomaly detector shares, and :class:`BaseDetector`, which each subclasses.

Steps 1 to 6 of the pipeline are listed in :mod:`moesaic.tasks.detectors`, which re-exports every
public name here: the config (:class:`ScoringConfig`), the input check, the causal moving average,
the alarm rule, the fit/score/predict/save/load contract and :func:`configure`. Axes: T steps,
C channels, P parts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

import numpy as np

from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.errors import CheckpointError, NotFittedError
from moesaic.eval.metrics import threshold_from_scores

if TYPE_CHECKING:  # torch is imported by save and load only: scoring with a classical detector needs numpy
    import torch
    from torch import nn

_MIN_SCALE = 1e-6
MIN_FIT_ROWS = 30
"""Fewer normal rows leave a threshold at a high quantile of almost nothing: the classical
detectors flagged most fresh normal rows after 5 or 10 (kmeans with a threshold of 0)."""
KIND_PREFIX = "moesaic.detector."
MIN_SETTLED_ROWS = 10
"""Calibration rows needed after the smoothing warm-up for the warm-up to be left out (fewer: kept)."""
CONSTANT_SCALE = 0.01
"""A channel constant in training is scaled by this share of its level (see ``BaseDetector.fit``)."""


@dataclass(frozen=True)
class ScoringConfig:
    """The scoring pipeline every detector shares (:mod:`moesaic.tasks.detectors`, steps 3 to 6).

    Attributes:
        smooth: steps of the causal moving average of the deviations (1: none).
        quantile: level of the calibration-score quantile the threshold starts from.
        factor: the threshold is that quantile times ``factor`` (fixed a priori, never tuned on test).
        min_run: an alarm needs at least this many consecutive steps above the threshold.
        backdate: date each alarm from the first step of its run above the threshold once the
            run has lasted ``min_run`` steps (for a recorded series: the alarm of a step then
            depends on up to ``min_run - 1`` later steps). False: a step is in alarm only once
            its run has lasted ``min_run`` steps, as an online monitor would raise it.
        seed: seeds every random choice of the detector.
        spike: with smoothing, a step whose unsmoothed score exceeds ``spike`` times the largest
            unsmoothed score of the calibration rows is in alarm at once, whatever ``min_run``
            (a one-step spike, which a moving average dilutes below the threshold); 0: off.
    """

    smooth: int = 30
    quantile: float = 0.99
    factor: float = 2.0
    min_run: int = 1
    backdate: bool = False
    seed: int = 0
    spike: float = 0.0

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
        if self.spike < 0:
            problems.append(f"`spike` must be >= 0 (0: off), got {self.spike}")
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


def alarm_runs(above: np.ndarray, min_run: int, *, backdate: bool = False) -> np.ndarray:
    """(T,) bool alarms: :func:`sustained`, and with ``backdate`` every run that lasts at least
    ``min_run`` steps in alarm from its first step."""
    confirmed = sustained(above, min_run)
    if not backdate or min_run <= 1:
        return confirmed
    # Label the runs of `above`; a run is in alarm whole when any of its steps is confirmed.
    starts = above & ~np.concatenate([[False], above[:-1]])
    run_id = np.cumsum(starts)
    alarmed = np.unique(run_id[confirmed])
    return above & np.isin(run_id, alarmed)


def settled(rows: int, smooth: int) -> slice:
    """The rows of a series whose moving average spans all ``smooth`` steps, when there are at least
    :data:`MIN_SETTLED_ROWS` of them, else every row. Before that an average of fewer steps is
    noisier than the threshold expects: the top calibration scores sat in a file's first rows."""
    start = smooth - 1
    return slice(start, None) if rows - start >= MIN_SETTLED_ROWS else slice(None)


def _tensor_bag(arrays: dict[str, np.ndarray], model: nn.Module | None = None) -> nn.Module:
    """Named arrays (and an optional model) in one module, for :func:`moesaic.checkpoint.save_model`."""
    import torch

    bag = torch.nn.Module()
    for name, array in arrays.items():
        bag.register_buffer(name, torch.from_numpy(np.ascontiguousarray(array)))
    if model is not None:
        bag.model = model
    return bag


class BaseDetector:
    """The shared pipeline; a detector implements ``_fit_model``, ``_deviations`` and its state.

    Learned state: ``channels_``, ``scaler_``, ``constant_`` (C,) (channels without variation in
    training), ``scale_`` (P, C), ``threshold_`` and the detector's own arrays.
    """

    name: ClassVar[str] = "base"
    config_class: ClassVar[type[ScoringConfig]] = ScoringConfig
    memorises: ClassVar[bool] = False
    """True when the model can learn its training rows by heart, so that its errors on them
    understate those on new normal rows: calibrate it on ``validation`` rows when there are some."""

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
        if len(x) < MIN_FIT_ROWS:
            raise ValueError(
                f"`train` has {len(x)} rows; a detector needs at least {MIN_FIT_ROWS} normal rows to "
                "learn what normal is and where its threshold lies"
            )
        C = x.shape[1]
        names = tuple(channels) if channels is not None else tuple(f"ch{c}" for c in range(C))
        if len(names) != C or len(set(names)) != C:
            raise ValueError(f"`channels` must be {C} distinct names, got {list(names)}")
        self.channels_ = names
        self.scaler_ = Standardiser.fit(x)
        self.constant_ = np.nanstd(x, axis=0) == 0  # (C,): any reading off it is a departure
        self._fit_model(self.scaler_.transform(x))
        calibration = x if validation is None else check_values(validation, "validation", channels=C)
        z_all = self.scaler_.transform(calibration)
        deviations = self._all_deviations(z_all)  # (T, P, C)
        keep = settled(len(z_all), self.config.smooth)
        smoothed = causal_mean(deviations, self.config.smooth)[keep]
        z = z_all[keep]
        self.scale_ = self._scales(smoothed)
        quantile = threshold_from_scores(self._combine(z, smoothed).score, quantile=self.config.quantile)
        self.threshold_ = float(quantile * self.config.factor)
        if self.config.spike > 0 and self.config.smooth > 1:
            self.spike_scale_ = self._scales(deviations)
            largest = float(self._combine(z_all, deviations, self.spike_scale_).score.max())
            self.spike_threshold_ = self.config.spike * max(largest, _MIN_SCALE)
        return self

    def _scales(self, deviations: np.ndarray) -> np.ndarray:
        """(P, C) root mean square of calibration ``deviations`` (T, P, C), per part and channel.

        A channel constant in training has no spread to scale by: 1 % of its level (or of 1 near 0)
        makes a 2 % set-point change count as a departure of 2, not of millions."""
        scale = np.maximum(np.sqrt(np.mean(deviations**2, axis=0)), _MIN_SCALE)
        level = CONSTANT_SCALE * np.maximum(np.abs(self.scaler_.mean), 1.0)
        scale[:, self.constant_] = np.maximum(scale[:, self.constant_], level[self.constant_])
        return scale

    def score(self, values: Any) -> Scores:
        """Scores (T,) and per-channel contributions (T, C) of ``values`` (T, C)."""
        self._check_fitted()
        z = self.scaler_.transform(check_values(values, "values", channels=len(self.channels_)))
        return self._combine(z, causal_mean(self._all_deviations(z), self.config.smooth))

    def predict(self, values: Any) -> Detection:
        """Scores, alarms (above the fitted threshold for ``min_run`` steps, from the first of them
        with ``backdate``) and contributions. The first ``smooth - 1`` rows raise no alarm: their
        moving average is not yet on the scale the threshold was fitted on."""
        spiky = getattr(self, "spike_threshold_", None) is not None
        scores, spikes = self._spike_scores(values) if spiky else (self.score(values), None)
        above = scores.score > self.threshold_
        above[: self.config.smooth - 1] = False
        alarm = alarm_runs(above, self.config.min_run, backdate=self.config.backdate)
        if spikes is not None:
            alarm |= spikes
        return Detection(scores.score, alarm, scores.contributions, self.threshold_, self.channels_)

    def _spike_scores(self, values: Any) -> tuple[Scores, np.ndarray]:
        """Scores with the spike path (:attr:`ScoringConfig.spike`), and the (T,) spike steps: those
        whose unsmoothed score passes the spike threshold. A spike step's deviations are left out
        of the moving average (as if on the model), so that it does not hold the smoothed score
        up for ``smooth`` steps after it; a step's score is the higher of the smoothed one and the
        unsmoothed one on the threshold's scale (the spike threshold maps to the threshold)."""
        z = self.scaler_.transform(check_values(values, "values", channels=len(self.channels_)))
        deviations = self._all_deviations(z)
        raw = self._combine(z, deviations, self.spike_scale_)
        spikes = raw.score > self.spike_threshold_
        calm = np.where(spikes[:, None, None], 0.0, deviations)
        scores = self._combine(z, causal_mean(calm, self.config.smooth))
        ratio = self.threshold_ / self.spike_threshold_
        higher = raw.score * ratio > scores.score
        score = np.where(higher, raw.score * ratio, scores.score)
        contributions = np.where(higher[:, None], raw.contributions * ratio, scores.contributions)
        return Scores(score, contributions), spikes

    def save(self, folder: Path) -> None:
        """Write ``model.safetensors`` (every learned array) and ``config.json`` to ``folder``."""
        self._check_fitted()
        from moesaic.checkpoint import save_model

        save_model(Path(folder), self._bag(), self._document())

    @classmethod
    def load(cls, folder: Path) -> Self:
        """A detector saved by :meth:`save`, ready to score.

        Raises:
            CheckpointError: missing, modified or foreign checkpoint, or one that does not rebuild.
        """
        from moesaic.checkpoint import load_model_state

        state = load_model_state(Path(folder), kind=KIND_PREFIX + cls.name, what=f"a {cls.__name__}")
        return cls._rebuild(state.config, state.state_dict, Path(folder))

    def _bag(self) -> nn.Module:
        """Every learned array (and the detector's model) in one module, to save."""
        arrays = {
            "mean": self.scaler_.mean,
            "std": self.scaler_.std,
            "scale": self.scale_,
            "constant": self.constant_.astype(np.uint8),
            **({"spike_scale": self.spike_scale_} if hasattr(self, "spike_scale_") else {}),
            **self._state(),
        }
        return _tensor_bag(arrays, self._module())

    def _document(self) -> dict[str, Any]:
        """The config that rebuilds the detector from :meth:`_bag`'s state."""
        return {
            "kind": KIND_PREFIX + self.name,
            "config": to_dict(self.config),
            "channels": list(self.channels_),
            "threshold": self.threshold_,
            **({"spike_threshold": self.spike_threshold_} if hasattr(self, "spike_threshold_") else {}),
            **self._extra_config(),
        }

    @classmethod
    def _rebuild(cls, saved: dict[str, Any], state_dict: dict[str, torch.Tensor], folder: Path) -> Self:
        """The detector whose :meth:`_document` is ``saved`` and :meth:`_bag` state ``state_dict``.

        Raises:
            CheckpointError: the config or the arrays do not rebuild the detector.
        """
        try:
            detector = cls(from_dict(cls.config_class, saved["config"]))
            arrays = {k: v.numpy() for k, v in state_dict.items() if not k.startswith("model.")}
            weights = {k[6:]: v for k, v in state_dict.items() if k.startswith("model.")}
            detector.channels_ = tuple(saved["channels"])
            detector.threshold_ = float(saved["threshold"])
            detector.scaler_ = Standardiser(arrays.pop("mean"), arrays.pop("std"))
            detector.scale_ = arrays.pop("scale")
            saved_constant = arrays.pop("constant", None)  # saved before it was kept: none known
            constant = np.zeros(len(detector.channels_)) if saved_constant is None else saved_constant
            detector.constant_ = constant.astype(bool)
            if "spike_threshold" in saved:
                detector.spike_scale_ = arrays.pop("spike_scale")
                detector.spike_threshold_ = float(saved["spike_threshold"])
            saved_arrays = {"mean", "std", "scale", "constant", *arrays}
            detector._restore(arrays, weights, saved)
            detector._check_restored(saved_arrays)
        except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{folder}: cannot rebuild the {cls.__name__} ({err})") from err
        return detector

    def _check_restored(self, saved: set[str]) -> None:
        """Refuse arrays this detector does not know, or shared arrays not shaped for its channels:
        either would score without error and wrongly (numpy broadcasts a wrong length)."""
        unknown = sorted(saved - {"mean", "std", "scale", "constant", *self._state()})
        if unknown:
            raise ValueError(f"arrays {unknown} in model.safetensors are not a {type(self).__name__}'s")
        C = len(self.channels_)
        shared = {"mean": self.scaler_.mean, "std": self.scaler_.std, "constant": self.constant_}
        for name, array in shared.items():
            if np.shape(array) != (C,):
                raise ValueError(f"array {name!r} has shape {np.shape(array)}; its {C} channels need ({C},)")
        if np.ndim(self.scale_) != 2 or np.shape(self.scale_)[1] != C:
            shape = np.shape(self.scale_)
            raise ValueError(f"array 'scale' has shape {shape}; its {C} channels need (P, {C})")

    def parameter_count(self) -> tuple[int, int]:
        """(total, active per step) learned numbers, the scaler and channel scales left out."""
        self._check_fitted()
        total = sum(int(a.size) for a in self._state().values())
        return total, total

    def _all_deviations(self, z: np.ndarray) -> np.ndarray:
        """The detector's deviations (T, P, C), except on channels constant in training, whose
        deviation is their level: the value they should have is known exactly, and a model's
        small forecast errors there, divided by a calibration scale of almost nothing, would
        blame a channel that never moved."""
        deviations = self._deviations(z)
        if not self.constant_.any():
            return deviations
        deviations = deviations.copy()
        deviations[:, :, self.constant_] = np.nan_to_num(z[:, None, self.constant_])
        return deviations

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

    def _combine(self, z: np.ndarray, smoothed: np.ndarray, scale: np.ndarray | None = None) -> Scores:
        """Scores of the (smoothed) deviations (T, P, C) in units of ``scale`` (default ``scale_``)."""
        energy = (smoothed / (self.scale_ if scale is None else scale)) ** 2  # (T, P, C)
        contributions = energy.mean(axis=1) / energy.shape[2]  # (T, C)
        return Scores(contributions.sum(axis=1), contributions)

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            name = type(self).__name__
            raise NotFittedError(f"This {name} is not fitted yet. Call `fit` or `{name}.load` first.")


def configure(cls: type[BaseDetector], **overrides: Any) -> ScoringConfig:
    """The default config of ``cls`` with ``overrides`` (unknown names are a ConfigError)."""
    fields = {f.name for f in dataclasses.fields(cls.config_class)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigError(
            [f"{cls.config_class.__name__}: unknown keys {unknown}; valid keys are {sorted(fields)}"]
        )
    return cls.config_class(**overrides)
