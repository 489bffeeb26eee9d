"""C-MAPSS FD001 turbofan engines as an adaptation target of the pretrained fault classifier.

The backbone of :mod:`moesaic.tasks.pretrain` is pretrained on simulated pumps, compressors and
motors only; no engine, and no C-MAPSS sensor, is in its corpus. This module turns FD001 into a
classification target for it, with every choice below fixed before any experiment:

- **task**: the health stage of an engine at the last cycle of a window, from its remaining
  useful life (RUL) there: ``healthy`` when RUL > 125 (the knee of the piecewise-linear RUL
  target of the literature, before which the sensors show no trend), ``critical`` when
  RUL <= 30 (the last 30 cycles, the usual window length, as a maintenance horizon) and
  ``degrading`` in between (:data:`HEALTH_STAGES`, :func:`health_stage`);
- **sensors**: every sensor with at least ``min_distinct`` distinct values over the training
  engines (label-free; on FD001 the 14 sensors of the literature). The operating settings are
  conditions, not health signals, and are left out. Each sensor is z-scored with its mean and
  standard deviation over the training engines, so that the baseline features below work on
  sensors whose noise is a millionth of their level (fan speed Nf: 2388 +- 0.07 rpm);
- **channels**: C-MAPSS sensors are not the simulator's, and there are 14 of them for the
  corpus' 12 channel slots, several alike (four speeds). So the target model gets its own input
  vocabulary: a channel embedding row per sensor and two table feature rows per sensor (its
  shift and spread), which every adaptation method trains (:data:`INPUT_PARAMETERS`; they did
  not exist in pretraining). Each row starts from the pretrained row of the corpus channel that
  measures the same physical quantity at the most alike place (:data:`SENSOR_ANALOGUES`: the
  high-pressure compressor's outlet temperature T30 starts as ``discharge_temp``), or from the
  mean of the corpus rows for a sensor without analogue. Sharing a corpus slot between alike
  sensors would make them indistinguishable; fresh rows started from their analogue keep what
  pretraining learned of the quantity and let each sensor become itself. Everything else (the
  patch projection, positions, attention and experts, the head's layer norm) is the pretrained
  backbone; the head's linear map is new (three classes, not the simulator's faults);
- **windows**: ``window`` cycles ending at every cycle from cycle ``baseline_cycles`` on (every
  ``stride``-th, counted back from the last cycle, which is always included); with the table of
  :func:`moesaic.tasks.pretrain.baseline_features` against the engine's own first window (its
  first ``baseline_cycles`` cycles): a label-free use of the engine's own history, as the
  simulator's assets are compared with their training period;
- **labels**: 5 % of the training *engines*, not of the windows (:func:`engine_shots`): an
  engine's RUL, hence every label of its windows, is only known once it has failed, so labels
  come by whole run-to-failure histories. Evaluation is on the 100 test engines of FD001
  (truth from ``RUL_FD001.txt``), which no system and no choice ever saw.

Axes: W windows, T window cycles, C sensors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from moesaic.adapt.methods import AdaptConfig
from moesaic.config import ConfigError
from moesaic.data.registry import load_dataset
from moesaic.data.schema import Series
from moesaic.data.sets.cmapss_fd001 import CHANNELS, SENSOR_NAMES
from moesaic.data.windows import WindowSet
from moesaic.heads import FaultClassifier
from moesaic.model import ModelConfig
from moesaic.tasks.pretrain import (
    CORPUS_CHANNELS,
    FEATURE_NAMES,
    PretrainConfig,
    baseline_features,
    model_config,
)
from moesaic.tasks.rul import ChannelScaler, make_windows, series_values

DATASET = "cmapss_fd001"
HEALTH_STAGES: tuple[str, ...] = ("healthy", "degrading", "critical")
HEALTHY_ABOVE = 125.0  # RUL > this: healthy
CRITICAL_AT_MOST = 30.0  # RUL <= this: critical
PHYSICAL_NAMES: dict[str, str] = dict(zip(CHANNELS[3:], SENSOR_NAMES, strict=True))  # sensor_3 -> T30

SENSOR_ANALOGUES: dict[str, str | None] = {
    "T2": "discharge_temp",  # fan inlet temperature: a gas temperature at a machine's stage
    "T24": "discharge_temp",  # low-pressure compressor outlet temperature
    "T30": "discharge_temp",  # high-pressure compressor outlet temperature
    "T50": "discharge_temp",  # low-pressure turbine outlet (exhaust) temperature
    "P2": "suction_pressure",  # fan inlet pressure
    "P15": "discharge_pressure",  # bypass duct pressure, after the fan
    "P30": "discharge_pressure",  # high-pressure compressor outlet pressure
    "Nf": "speed",  # physical fan speed
    "Nc": "speed",  # physical core speed
    "epr": "discharge_pressure",  # engine pressure ratio
    "Ps30": "discharge_pressure",  # high-pressure compressor outlet static pressure
    "phi": "flow",  # ratio of fuel flow to Ps30
    "NRf": "speed",  # corrected fan speed
    "NRc": "speed",  # corrected core speed
    "BPR": "flow",  # bypass ratio, of two air flows
    "farB": "flow",  # burner fuel-air ratio
    "htBleed": "power",  # bleed enthalpy: energy carried away
    "Nf_dmd": "speed",  # demanded fan speed
    "PCNfR_dmd": "speed",  # demanded corrected fan speed
    "W31": "flow",  # high-pressure turbine coolant bleed flow
    "W32": "flow",  # low-pressure turbine coolant bleed flow
}
"""C-MAPSS sensor (physical name) -> the corpus channel whose pretrained embeddings start its own;
None: the mean of the corpus rows. Matched by quantity (temperature, pressure, speed, flow,
energy) and place (the outlet of a compressing stage is a compressor's discharge)."""

INPUT_PARAMETERS: tuple[str, ...] = (
    "backbone.encoders.timeseries.channel",
    "backbone.encoders.tabular.scale",
    "backbone.encoders.tabular.feature",
)
"""The target's own input vocabulary, trained by every adaptation method (module docstring)."""


@dataclass(frozen=True)
class EngineConfig:
    """How FD001 becomes windows.

    Attributes:
        window: T, cycles per window (the literature's 30, rounded up to whole patches of 16).
        baseline_cycles: an engine's first cycles, its baseline (the window that ends at this
            cycle: all of them when ``window >= baseline_cycles``); windows end at this cycle or later.
        test_stride: every ``test_stride``-th evaluation window, counted back from the last cycle
            (training windows take every cycle).
        min_distinct: sensors with fewer distinct values over the training engines are dropped.
    """

    window: int = 32
    baseline_cycles: int = 30
    test_stride: int = 1
    min_distinct: int = 3

    def __post_init__(self) -> None:
        checks = [
            ("window", self.window >= 1, ">= 1"),
            ("baseline_cycles", self.baseline_cycles >= 2, ">= 2"),
            ("test_stride", self.test_stride >= 1, ">= 1"),
            ("min_distinct", self.min_distinct >= 2, ">= 2"),
        ]
        problems = [f"`{n}` must be {rule}, got {getattr(self, n)!r}" for n, ok, rule in checks if not ok]
        if problems:
            raise ConfigError(problems)


def health_stage(rul: np.ndarray) -> np.ndarray:
    """(N,) int64 index into :data:`HEALTH_STAGES` of (N,) RUL values in cycles.

    Raises:
        ValueError: a RUL that is negative or not finite.
    """
    rul = np.asarray(rul, dtype=np.float64)
    if not np.isfinite(rul).all() or (rul < 0).any():
        raise ValueError("RUL values must be finite and >= 0")
    return np.where(rul > HEALTHY_ABOVE, 0, np.where(rul > CRITICAL_AT_MOST, 1, 2)).astype(np.int64)


def sensor_analogue(channel: str) -> str | None:
    """The corpus channel of the C-MAPSS ``channel`` ("sensor_3" -> "discharge_temp"), or None.

    Raises:
        ValueError: ``channel`` is not a C-MAPSS sensor column.
    """
    if channel not in PHYSICAL_NAMES:
        raise ValueError(f"{channel!r} is not a C-MAPSS sensor; expected one of {list(PHYSICAL_NAMES)}")
    return SENSOR_ANALOGUES[PHYSICAL_NAMES[channel]]


def select_sensors(series: Sequence[Series], *, min_distinct: int) -> tuple[str, ...]:
    """The sensors of ``series`` with at least ``min_distinct`` distinct values, in column order.

    Raises:
        ValueError: no series, or no sensor varies enough.
    """
    if not series:
        raise ValueError("`series` is empty; give the training engines")
    sensors = [c for c in series[0].channels if c in PHYSICAL_NAMES]
    values = np.concatenate([series_values(s, sensors) for s in series])  # (N, C)
    keep = tuple(
        c
        for i, c in enumerate(sensors)
        if np.unique(values[np.isfinite(values[:, i]), i]).size >= min_distinct
    )
    if not keep:
        raise ValueError(f"no sensor of {sensors} has >= {min_distinct} distinct values over the engines")
    return keep


def engine_windows(
    series: Sequence[Series],
    sensors: Sequence[str],
    scaler: ChannelScaler,
    config: EngineConfig,
    *,
    stride: int,
) -> WindowSet:
    """Labelled windows of each engine with the baseline table (module docstring).

    Windows end at cycle ``baseline_cycles`` or later, every ``stride``-th counted back from the
    last cycle; labels are :func:`health_stage` of the ``rul`` label at the window's last cycle;
    ``asset_ids`` are the engines' asset ids and ``end_times`` the cycles.

    Raises:
        ValueError: an engine shorter than ``baseline_cycles`` or without a ``rul`` label.
    """
    short = [s.series_id for s in series if s.length < config.baseline_cycles]
    if short:
        raise ValueError(f"engines {short} have fewer than baseline_cycles={config.baseline_cycles} cycles")
    unlabelled = [s.series_id for s in series if "rul" not in s.labels]
    if unlabelled:
        raise ValueError(f"engines {unlabelled} have no 'rul' label to derive health stages from")
    values = [scaler.transform(series_values(s, sensors)) for s in series]
    rul = [np.asarray(s.labels["rul"], dtype=np.float64) for s in series]
    cut = make_windows(values, window=config.window, rul=rul, min_history=config.baseline_cycles)
    source = cut.source.numpy()
    lengths = np.array([s.length for s in series])
    first = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])  # (S,) each engine's first window
    end = config.baseline_cycles - 1 + np.arange(len(source)) - first[source]  # (W,) step index
    keep = torch.from_numpy(np.flatnonzero((lengths[source] - 1 - end) % stride == 0))
    engines = tuple(series[i].asset_id for i in source)
    cycles = np.array([series[s].time[e] for s, e in zip(source, end, strict=True)])
    everything = _window_set(cut.series, cut.observed, cut.rul.numpy(), engines, cycles)
    reference = everything.take(torch.from_numpy(first))
    windows = everything.take(keep)
    numeric, observed = baseline_features(windows, reference)
    return dataclasses.replace(windows, numeric=numeric, numeric_observed=observed)


def _window_set(
    series: torch.Tensor,
    observed: torch.Tensor,
    rul: np.ndarray,
    engines: tuple[str, ...],
    cycles: np.ndarray,
) -> WindowSet:
    """Windows of sensors only (an empty table, no text, no drawing), labelled by health stage."""
    W = series.shape[0]
    return WindowSet(
        series=series,
        observed=observed,
        numeric=torch.zeros(W, 0),
        numeric_observed=torch.zeros(W, 0, dtype=torch.bool),
        categorical=torch.zeros(W, 0, dtype=torch.long),
        text_ids=torch.zeros(W, 1, dtype=torch.long),
        texts=("",) * W,
        drawing_index=torch.full((W,), -1, dtype=torch.long),
        images=torch.zeros(0, 1, 1, 1),
        labels=torch.from_numpy(health_stage(rul)),
        asset_ids=engines,
        end_times=cycles,
    )


class EngineTarget(NamedTuple):
    train: WindowSet  # every window of the training engines (labels drawn by engine_shots)
    test: WindowSet  # windows of the evaluation engines
    sensors: tuple[str, ...]  # C sensor columns, e.g. "sensor_3"


def engine_target(train: Sequence[Series], test: Sequence[Series], config: EngineConfig) -> EngineTarget:
    """Training and evaluation windows; sensors and scale come from the ``train`` engines only.

    Raises:
        ValueError: engines in both ``train`` and ``test``.
    """
    shared = sorted({s.asset_id for s in train} & {s.asset_id for s in test})
    if shared:
        raise ValueError(f"engines {shared} are both training and evaluation engines")
    sensors = select_sensors(train, min_distinct=config.min_distinct)
    scaler = ChannelScaler.fit(np.concatenate([series_values(s, sensors) for s in train]), "zscore")
    return EngineTarget(
        engine_windows(train, sensors, scaler, config, stride=1),
        engine_windows(test, sensors, scaler, config, stride=config.test_stride),
        sensors,
    )


def load_engine_target(config: EngineConfig, root: Path | str | None = None) -> EngineTarget:
    """FD001's 100 training engines and its 100 test engines, from the data registry."""
    data = load_dataset(DATASET, root)
    train = [s for s in data.series if s.meta.get("split") == "train"]
    test = [s for s in data.series if s.meta.get("split") == "test"]
    return engine_target(train, test, config)


def engine_shots(asset_ids: Sequence[str], *, fraction: float, seed: int) -> torch.Tensor:
    """(K,) sorted indices of every window of ``round(fraction * engines)`` engines (at least 1).

    ``asset_ids`` names the engine of each window; the engines are drawn without replacement
    with ``seed``.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"`fraction` must be in (0, 1], got {fraction}")
    engines = sorted(set(asset_ids))
    take = max(1, round(fraction * len(engines)))
    order = torch.randperm(len(engines), generator=torch.Generator().manual_seed(seed))
    chosen = {engines[i] for i in order[:take].tolist()}
    return torch.tensor([i for i, e in enumerate(asset_ids) if e in chosen], dtype=torch.long)


def engine_model_config(config: PretrainConfig, num_sensors: int) -> ModelConfig:
    """The pretrained backbone's config with an input vocabulary of ``num_sensors`` sensors."""
    base = model_config(config)
    encoders = dataclasses.replace(base.encoders, max_channels=num_sensors, num_numeric=2 * num_sensors)
    return dataclasses.replace(base, encoders=encoders)


def scratch_model(config: PretrainConfig, num_sensors: int, *, seed: int) -> FaultClassifier:
    """The target architecture, freshly initialised with ``seed``."""
    torch.manual_seed(seed)
    return FaultClassifier(engine_model_config(config, num_sensors), num_classes=len(HEALTH_STAGES))


def engine_model(
    pretrained: FaultClassifier, config: PretrainConfig, sensors: Sequence[str], *, seed: int
) -> FaultClassifier:
    """The pretrained model with the engines' input vocabulary and a new 3-class head (module docstring).

    ``seed`` initialises the head's linear map. Raises ValueError for a sensor that is not a
    C-MAPSS sensor.
    """
    analogues = [sensor_analogue(s) for s in sensors]
    model = scratch_model(config, len(sensors), seed=seed)  # seeds the new head
    source = pretrained.state_dict()
    state = model.state_dict()
    new = {*INPUT_PARAMETERS, "head.linear.weight", "head.linear.bias"}
    for name, tensor in source.items():
        if name not in new:
            state[name] = tensor.clone()
    prefix = "backbone.encoders."
    channel = source[prefix + "timeseries.channel"][: len(CORPUS_CHANNELS)]  # (12, D): public rows left out
    state[prefix + "timeseries.channel"] = _rows(
        channel, [_corpus_row(a, CORPUS_CHANNELS) for a in analogues]
    )
    for part in ("scale", "feature"):
        table = source[prefix + f"tabular.{part}"]  # (24, D): shifts then spreads
        rows = [_corpus_row(None if a is None else f"{a}.{kind}", FEATURE_NAMES)
                for kind in ("shift", "spread") for a in analogues]  # fmt: skip
        state[prefix + f"tabular.{part}"] = _rows(table[: len(FEATURE_NAMES)], rows)
    model.load_state_dict(state)
    return model.eval()


def _corpus_row(name: str | None, names: tuple[str, ...]) -> int | None:
    return None if name is None else names.index(name)


def _rows(table: torch.Tensor, rows: Sequence[int | None]) -> torch.Tensor:
    """(len(rows), D): row r of (R, D) ``table``, or the mean of its rows for None."""
    mean = table.mean(dim=0)
    return torch.stack([mean if r is None else table[r] for r in rows]).clone()


def check_window(config: PretrainConfig, engines: EngineConfig) -> None:
    """Raise ValueError when the pretrained position embedding cannot hold ``engines.window`` cycles."""
    encoders = model_config(config).encoders
    patches = -(-engines.window // encoders.patch_len)
    if patches > encoders.max_patches:
        raise ValueError(
            f"engine windows of {engines.window} cycles make {patches} patches; the pretrained model "
            f"holds {encoders.max_patches} (context_length={config.windows.context_length})"
        )


def engine_adapt_config(method: str) -> AdaptConfig:
    """``method`` training the head and the engines' input vocabulary (:data:`INPUT_PARAMETERS`)."""
    return AdaptConfig(method=method, head=("head.*", *INPUT_PARAMETERS))
