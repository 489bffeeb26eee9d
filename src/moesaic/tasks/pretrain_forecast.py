"""Forecasting as the pretraining task: one channel-independent forecaster for every sensor it meets.

:mod:`moesaic.tasks.pretrain` pretrains the backbone as a fault classifier; this module pretrains
it as a forecaster, which needs no label, so that every public sensor set can join the corpus.
The model is :class:`moesaic.heads.forecast.MoesaicForecastModel` run on one channel per sample
(no covariates, no table): a sensor is a univariate series whatever machine it belongs to, so the
pretrained model forecasts a sensor it never saw as it is (zero-shot), and every adaptation method
of :mod:`moesaic.adapt.methods` applies to it unchanged.

Corpus (:func:`corpus_windows`), every series cut into its training rows and, for the simulator
only, validation rows:

- ``simulator``: a simulated plant of every asset type but ``held_out``; the first 70 % of each
  asset's history trains, the last 30 % is the validation set of early stopping;
- ``ett``: ETTh1's training months (rows 0-8639 of the long-horizon protocol of the forecast
  suite; its validation and test months are never read);
- ``tep``: the Tennessee Eastman training runs (never the test runs);
- ``skab``: the first 60 % of each SKAB stretch of one anomaly flag
  (:func:`moesaic.tasks.public_corpus.flag_stretches`).

Each channel of each series is z-scored with the mean and standard deviation of its training
rows, then cut into windows of ``context_length + horizon`` steps every ``stride`` steps; a
public source keeps at most ``max_windows`` windows (a seeded random subset: Tennessee Eastman
alone has 52 channels), so that no source outweighs the others by its channel count.

Targets, never in the corpus (``fan``, ``cmapss`` and a user's series file), are built by
:mod:`moesaic.tasks.forecast_targets`; windows are cut by :mod:`moesaic.tasks.univariate_windows`.

Scores: MSE and MAE of the median forecast on the z-scored scale, over every scored window,
channel and step. Axes: W windows, L context length, H horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from moesaic.checkpoint import CheckpointError, load_model_state, load_weights, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.registry import load_dataset
from moesaic.data.simulator import ASSET_TYPES, SimulatorConfig
from moesaic.heads.forecast import ForecastSpec, MoesaicForecastConfig, MoesaicForecastModel
from moesaic.tasks.pretrain import TARGET_SEED_OFFSET, simulated_plant
from moesaic.tasks.public_corpus import training_parts
from moesaic.tasks.rul_windows import series_values
from moesaic.tasks.univariate_windows import Windows, concat, cut_windows, zscore
from moesaic.train import TrainConfig, TrainResult, train

FORECAST_PUBLIC_SETS: tuple[str, ...] = ("ett", "skab", "tep")
CHECKPOINT_KIND = "moesaic.pretrained_forecaster"
ETT_TRAIN_ROWS = 8640  # ETTh1's training months in the long-horizon protocol

TRAIN_SHARE = 0.7  # of each simulated asset's history: training rows; the rest validates or is scored
QUANTILES = (0.1, 0.5, 0.9)
FORECAST_SCHEDULE = TrainConfig(lr=1e-3, warmup_steps=50, max_steps=1500, batch_size=128, eval_every=100,
                                patience=4, num_threads=1, log_every=100)  # fmt: skip


def _default_model() -> MoesaicForecastConfig:
    return MoesaicForecastConfig(dim=64, num_experts=8, top_k=2, expert_hidden=64, dropout=0.1, period=0,
                                 stages=("all",))  # fmt: skip


@dataclass(frozen=True)
class ForecastPretrainConfig:
    """The corpus, the forecaster and the pretraining run.

    Attributes:
        held_out: the asset type left out of the simulated corpus (the ``fan`` target's type).
        num_assets: assets of the simulated corpus plant.
        days: days of history per simulated asset.
        seed: the corpus simulation, the public subsets and the model initialisation.
        public: public sensor sets of :data:`FORECAST_PUBLIC_SETS` in the corpus.
        context_length: L.
        horizon: H.
        stride: steps between the starts of consecutive corpus windows of one channel.
        max_windows: windows kept per public set.
        model: the forecaster (one stage, "all": the backbone is what is pretrained).
        train: the pretraining run (validation: the simulated corpus' later 30 %).
    """

    held_out: str = "fan"
    num_assets: int = 96
    days: float = 60.0
    seed: int = 0
    public: tuple[str, ...] = FORECAST_PUBLIC_SETS
    context_length: int = 64
    horizon: int = 16
    stride: int = 8
    max_windows: int = 20000
    model: MoesaicForecastConfig = field(default_factory=_default_model)
    train: TrainConfig = field(default_factory=lambda: FORECAST_SCHEDULE)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public", tuple(self.public))  # YAML and JSON give lists
        problems = []
        if self.held_out not in ASSET_TYPES:
            problems.append(f"`held_out` must be one of {list(ASSET_TYPES)}, got {self.held_out!r}")
        if any(n not in FORECAST_PUBLIC_SETS for n in self.public) or len(set(self.public)) < len(
            self.public
        ):
            problems.append(
                f"`public` must name distinct sets of {list(FORECAST_PUBLIC_SETS)}, got {list(self.public)}"
            )
        sizes = ("num_assets", "context_length", "horizon", "stride", "max_windows")
        problems += [f"`{n}` must be an integer >= 1, got {getattr(self, n)!r}" for n in sizes
                     if type(getattr(self, n)) is not int or getattr(self, n) < 1]  # fmt: skip
        if problems:
            raise ConfigError(problems)

    def plant(
        self, *, target: bool = False, num_assets: int | None = None, seed: int | None = None
    ) -> SimulatorConfig:
        """The corpus plant (every type but ``held_out``), or with ``target`` a plant of ``held_out`` only,
        simulated with ``seed`` (default ``self.seed``) plus :data:`TARGET_SEED_OFFSET`."""
        types = (self.held_out,) if target else tuple(t for t in ASSET_TYPES if t != self.held_out)
        base = self.seed if seed is None else seed
        return SimulatorConfig(num_assets=num_assets or self.num_assets, days=self.days,
                               seed=base + (TARGET_SEED_OFFSET if target else 0), drawings=False,
                               asset_types=types)  # fmt: skip

    def spec(self) -> ForecastSpec:
        return ForecastSpec(self.context_length, self.horizon, QUANTILES, num_channels=1)


class Corpus(NamedTuple):
    train: Windows
    val: Windows  # the simulated corpus' later 30 %
    sources: dict[str, int]  # training windows per source


def corpus_windows(config: ForecastPretrainConfig, *, data_root: Path | None = None) -> Corpus:
    """The corpus of the module docstring, as windows."""
    size = {"context_length": config.context_length, "horizon": config.horizon, "stride": config.stride}
    simulated, val = simulated_windows(config.plant(), **size, later_stride=config.stride)
    train = [simulated]
    sources = {"simulator": len(simulated)}
    generator = torch.Generator().manual_seed(config.seed)
    for name in config.public:
        parts = []
        for values, group in public_training_rows(name, data_root):
            parts.append(cut_windows(zscore(values, values), group, **size))
        windows = concat(parts, context_length=config.context_length, horizon=config.horizon)
        if len(windows) > config.max_windows:
            windows = windows.take(
                torch.randperm(len(windows), generator=generator)[: config.max_windows].sort().values
            )
        sources[name] = len(windows)
        train.append(windows)
    L, H = config.context_length, config.horizon
    return Corpus(concat(train, context_length=L, horizon=H), val, sources)


def public_training_rows(name: str, data_root: Path | None = None) -> list[tuple[np.ndarray, str]]:
    """(T, C) training rows (NaN = unobserved) of each contiguous piece of public set ``name``, and its id.

    Raises:
        ValueError: ``name`` is not one of :data:`FORECAST_PUBLIC_SETS`.
    """
    if name == "ett":
        s = load_dataset("ett", data_root).series[0]
        return [(series_values(s, s.channels)[:ETT_TRAIN_ROWS], s.series_id)]
    if name in ("skab", "tep"):
        return [(series_values(p.series, p.series.channels)[p.start : p.stop], p.series.series_id)
                for p in training_parts(name, data_root)[1]]  # fmt: skip
    raise ValueError(f"unknown public sensor set {name!r}; choose from {list(FORECAST_PUBLIC_SETS)}")


def simulated_windows(
    plant: SimulatorConfig, *, context_length: int, horizon: int, stride: int, later_stride: int
) -> tuple[Windows, Windows]:
    """Windows of the first :data:`TRAIN_SHARE` of each asset's history (every ``stride`` steps) and
    of the rest (every ``later_stride``), each channel z-scored on the asset's first part."""
    earlier, later = [], []
    for s in simulated_plant(plant).series:
        cut = int(TRAIN_SHARE * s.length)
        values = series_values(s, s.channels)
        scaled = zscore(values, values[:cut])
        earlier.append(cut_windows(scaled[:cut], s.asset_id, context_length=context_length, horizon=horizon,
                                   stride=stride))  # fmt: skip
        later.append(cut_windows(scaled[cut:], s.asset_id, context_length=context_length, horizon=horizon,
                                 stride=later_stride))  # fmt: skip
    return (concat(earlier, context_length=context_length, horizon=horizon),
            concat(later, context_length=context_length, horizon=horizon))  # fmt: skip


def new_forecaster(config: ForecastPretrainConfig, *, seed: int) -> MoesaicForecastModel:
    """The forecaster of ``config``, freshly initialised with ``seed``."""
    torch.manual_seed(seed)
    return MoesaicForecastModel(config.spec(), config.model)


class ForecastScores(NamedTuple):
    mse: float
    mae: float


@torch.no_grad()
def evaluate_forecaster(
    model: MoesaicForecastModel, windows: Windows, *, batch_size: int = 1024
) -> ForecastScores:
    """MSE and MAE of the median over every observed future step of ``windows``, in eval mode."""
    was_training = model.training
    model.eval()
    try:
        median = model.head.median_index
        errors = [(model.forecast(b)[..., median] - b.targets["future"], b.targets["future_observed"])
                  for b in windows.batches(batch_size)]  # fmt: skip
    finally:
        model.train(was_training)
    error = torch.cat([e[o] for e, o in errors])
    return ForecastScores(float((error**2).mean()), float(error.abs().mean()))


def naive_scores(windows: Windows) -> ForecastScores:
    """The last observed context value repeated over the horizon: the reference any forecaster must beat."""
    steps = torch.arange(windows.context.shape[1]).expand_as(windows.context)
    last = torch.where(windows.context_observed, steps, -1).max(dim=1).values.clamp(min=0)
    level = windows.context.gather(1, last[:, None])
    error = (windows.future - level)[windows.future_observed]
    return ForecastScores(float((error**2).mean()), float(error.abs().mean()))


class ForecastPretrainResult(NamedTuple):
    model: MoesaicForecastModel
    corpus: Corpus
    run: TrainResult
    scores: ForecastScores  # on the simulated corpus' validation windows


def pretrain_forecaster(
    config: ForecastPretrainConfig, *, data_root: Path | None = None
) -> ForecastPretrainResult:
    """Pretrain the forecaster on the corpus, early-stopped on the simulated corpus' later 30 %."""
    corpus = corpus_windows(config, data_root=data_root)
    model = new_forecaster(config, seed=config.seed)
    batch_size = config.train.batch_size

    def source(epoch: int, generator: torch.Generator) -> list[Batch]:
        return corpus.train.batches(batch_size, generator=generator)

    val = _subset(corpus.val, 8192, seed=config.seed)
    run = train(model, source, config=config.train, val_batches=val.batches(1024))
    model.eval()
    return ForecastPretrainResult(model, corpus, run, evaluate_forecaster(model, corpus.val))


def _subset(windows: Windows, limit: int, *, seed: int) -> Windows:
    if len(windows) <= limit:
        return windows
    return windows.take(torch.randperm(len(windows), generator=torch.Generator().manual_seed(seed))[:limit])


def save_pretrained_forecaster(
    folder: Path, model: MoesaicForecastModel, config: ForecastPretrainConfig
) -> None:
    save_model(folder, model, {"kind": CHECKPOINT_KIND, "pretrain": to_dict(config)})


def load_pretrained_forecaster(folder: Path) -> tuple[MoesaicForecastModel, ForecastPretrainConfig]:
    """Load a checkpoint of :func:`save_pretrained_forecaster`, in eval mode.

    Raises:
        CheckpointError: missing, modified or foreign checkpoint.
    """
    state = load_model_state(Path(folder), kind=CHECKPOINT_KIND, what="a pretrained forecaster")
    try:
        config = from_dict(ForecastPretrainConfig, state.config["pretrain"])
        model = MoesaicForecastModel(config.spec(), config.model)
    except (ConfigError, KeyError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"{folder}: cannot rebuild the pretrained forecaster ({err})") from err
    load_weights(model, state.state_dict, Path(folder))
    return model.eval(), config
