"""Pretraining on simulated plant types, and adaptation to a plant type held out of the corpus.

The corpus is a simulated plant whose fleet is drawn from every asset type but ``held_out``
(``SimulatorConfig.asset_types``); the target is another simulation, with another seed, of
``held_out`` assets only, which pretraining never saw. Both are cut into windows
(:func:`moesaic.data.windows.make_windows`, split in time) and labelled with the fault active at
the window's last step; fault codes are shared by all asset types, so one classifier covers both.
With ``PretrainConfig.public`` the corpus also holds the training data of public sensor sets
(Tennessee Eastman, SKAB: :mod:`moesaic.tasks.public_corpus`), each with its own channel rows and
classes; the returned model keeps the simulator's classes only.

The task is fault classification from the sensors (the table, text and drawing vocabularies of
a plant are fitted on that plant, so they do not carry over to another one). To let the channel
embedding mean the same sensor on every plant, windows are laid out on the
:data:`CORPUS_CHANNELS` of the whole simulator catalogue (a channel an asset lacks is
unobserved, and its patches are masked). The patch encoder normalises each window by its own
mean and scale (RevIN), which hides the slow level shifts most faults cause; so each window also
carries a table of 2 numbers per channel (:func:`baseline_features`): how far its mean and its
spread are from that asset's usual values, learned without labels on the asset's training period.

The same pretrained model is also adapted to engines, whose sensors are none of the corpus'
channels: :mod:`moesaic.tasks.engines`.

Few-shot adaptation of the pretrained classifier is :func:`moesaic.tasks.few_shot.adapt_classifier`.
Axes: W windows, T steps, C channels, K classes.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from moesaic.checkpoint import CheckpointError, load_model_state, load_weights, save_model
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator import ASSET_TYPES, FAULT_TYPES, SimulatorConfig, load_plant, simulate_to
from moesaic.data.simulator.catalogue import CATALOGUE
from moesaic.data.windows import WindowConfig, WindowData, WindowSet, make_windows, to_batches
from moesaic.encoders.config import EncoderConfig
from moesaic.heads import FaultClassifier
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.public_corpus import (
    PUBLIC_SETS,
    PublicSource,
    load_source,
    placed_windows,
    public_channels,
)
from moesaic.train import TrainConfig, TrainResult, train

logger = logging.getLogger(__name__)

CORPUS_CHANNELS: tuple[str, ...] = tuple(sorted({c for t in CATALOGUE.values() for c in t.channel_names}))
CLASS_NAMES: tuple[str, ...] = ("normal", *FAULT_TYPES)  # class id = the simulator's fault code
FEATURE_NAMES: tuple[str, ...] = tuple(f"{c}.{kind}" for kind in ("shift", "spread") for c in CORPUS_CHANNELS)
CHECKPOINT_KIND = "moesaic.pretrained_classifier"
TARGET_SEED_OFFSET = 1000  # the target plant is another simulation than the corpus
LEARNING_RATES = {"scratch": 2e-3, "full": 1e-3, "head": 5e-3, "lora": 5e-3, "prefix": 5e-3}
"""Adaptation learning rates, fixed beforehand as is usual: small parameter sets take larger steps,
fine-tuning all weights smaller ones than pretraining; "scratch" is the pretraining rate."""
PRETRAIN_SCHEDULE = TrainConfig(lr=2e-3, warmup_steps=20, max_steps=600, batch_size=32, eval_every=50,
                                patience=4, num_threads=1, log_every=50)  # fmt: skip


@dataclass(frozen=True)
class PretrainConfig:
    """The corpus, the backbone and the pretraining run.

    Attributes:
        held_out: the asset type left out of the corpus (the adaptation target).
        num_assets: assets of the corpus plant.
        days: days of history per asset.
        fault_rate: faults per asset and year (high, so that every fault type has examples).
        seed: the corpus simulation and the model initialisation.
        windows: how plants are cut into windows.
        dim: D, the model width.
        num_layers: attention + MoE blocks.
        num_heads: attention heads.
        dropout: dropout of the blocks (the corpus is small: a few hundred fault episodes).
        moe: the sparse feed-forward layer.
        train: the pretraining run (its validation set is the simulated corpus' later period).
        public: public sensor sets whose training data join the corpus
            (:data:`moesaic.tasks.public_corpus.PUBLIC_SETS`), each with its own channel rows and
            classes; () pretrains on the simulator alone.
    """

    held_out: str = "fan"
    num_assets: int = 96
    days: float = 60.0
    fault_rate: float = 24.0
    seed: int = 0
    windows: WindowConfig = field(default_factory=lambda: WindowConfig(context_length=64, stride=16))
    dim: int = 64
    num_layers: int = 2
    num_heads: int = 4
    dropout: float = 0.1
    moe: MoEConfig = field(default_factory=lambda: MoEConfig(num_experts=8, top_k=2, expert_hidden=64))
    train: TrainConfig = field(default_factory=lambda: PRETRAIN_SCHEDULE)
    public: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "public", tuple(self.public))  # YAML and JSON give lists
        problems = []
        unknown = [name for name in self.public if name not in PUBLIC_SETS]
        if unknown or len(set(self.public)) < len(self.public):
            problems.append(
                f"`public` must name distinct sets of {list(PUBLIC_SETS)}, got {list(self.public)}"
            )
        if self.held_out not in ASSET_TYPES:
            problems.append(f"`held_out` must be one of {list(ASSET_TYPES)}, got {self.held_out!r}")
        if type(self.num_assets) is not int or self.num_assets < 1:
            problems.append(f"`num_assets` must be an integer >= 1, got {self.num_assets!r}")
        if problems:
            raise ConfigError(problems)

    def corpus_plant(self) -> SimulatorConfig:
        types = tuple(t for t in ASSET_TYPES if t != self.held_out)
        return SimulatorConfig(num_assets=self.num_assets, days=self.days, seed=self.seed,
                               fault_rate=self.fault_rate, drawings=False, asset_types=types)  # fmt: skip

    def target_plant(self, *, num_assets: int, seed: int) -> SimulatorConfig:
        """A plant of ``held_out`` assets only, simulated with ``seed + TARGET_SEED_OFFSET``."""
        target = (self.held_out,)
        return SimulatorConfig(num_assets=num_assets, days=self.days, seed=seed + TARGET_SEED_OFFSET,
                               fault_rate=self.fault_rate, drawings=False, asset_types=target)  # fmt: skip


def vocabulary(config: PretrainConfig) -> tuple[str, ...]:
    """The channel embedding rows: :data:`CORPUS_CHANNELS`, then each public set's channels in order."""
    return CORPUS_CHANNELS + tuple(c for name in config.public for c in public_channels(name))


def model_config(config: PretrainConfig) -> ModelConfig:
    """The backbone over the :func:`vocabulary` series and the :data:`FEATURE_NAMES` table."""
    patch_len = 16
    encoders = EncoderConfig(
        dim=config.dim,
        modalities=("timeseries", "tabular"),
        patch_len=patch_len,
        max_patches=-(-config.windows.context_length // patch_len),
        max_channels=len(vocabulary(config)),
        num_numeric=len(FEATURE_NAMES),
    )
    return ModelConfig(
        encoders=encoders,
        moe=config.moe,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        dropout=config.dropout,
    )


def align_channels(windows: WindowSet, channels: tuple[str, ...]) -> WindowSet:
    """``windows`` laid out on :data:`CORPUS_CHANNELS`; ``channels`` names its current columns.

    Raises:
        ValueError: a channel outside the corpus channels.
    """
    unknown = sorted(set(channels) - set(CORPUS_CHANNELS))
    if unknown:
        raise ValueError(f"channels {unknown} are not corpus channels {list(CORPUS_CHANNELS)}")
    W, T, _ = windows.series.shape
    columns = torch.tensor([CORPUS_CHANNELS.index(c) for c in channels], dtype=torch.long)
    series = torch.zeros(W, T, len(CORPUS_CHANNELS), dtype=windows.series.dtype)
    observed = torch.zeros(W, T, len(CORPUS_CHANNELS), dtype=torch.bool)
    series[:, :, columns] = windows.series
    observed[:, :, columns] = windows.observed
    return dataclasses.replace(windows, series=series, observed=observed)


def simulated_plant(plant: SimulatorConfig) -> MaintenanceData:
    """Simulate ``plant`` in a temporary folder and read it back."""
    with tempfile.TemporaryDirectory(prefix="moesaic-plant-") as folder:
        simulate_to(plant, Path(folder) / "plant")
        return load_plant(Path(folder) / "plant")


def plant_windows(plant: SimulatorConfig, windows: WindowConfig) -> WindowData:
    """Simulate ``plant`` and cut it into channel-aligned windows."""
    data = make_windows(simulated_plant(plant), windows)
    train = align_channels(data.train, data.channels)
    val = align_channels(data.val, data.channels)
    return data._replace(
        train=with_baseline_features(train, train),
        val=with_baseline_features(val, train),
        channels=CORPUS_CHANNELS,
        numeric_names=FEATURE_NAMES,
        categorical_names=(),
        categorical_cardinalities=(),
    )


def baseline_features(windows: WindowSet, reference: WindowSet) -> tuple[torch.Tensor, torch.Tensor]:
    """(W, 2C) features and their (W, 2C) observed mask: each window against its asset's baseline.

    For channel c of a window with mean m and standard deviation s over its observed steps, and
    the asset's medians M (of m) and S (of s) over its windows in ``reference``: the shift
    ``z = (m - M) / max(S, 1e-3 (|M| + 1))`` and the spread ratio ``r = log((s + e) / (S + e))``
    with ``e = 1e-3 (|M| + 1)``, both compressed as ``sign(x) log(1 + |x|)``. Features are
    ordered [shift of every channel, then spread of every channel]. ``reference`` is unlabelled
    use of the asset's own history (its training period); a channel unobserved in the window,
    or never observed for the asset in ``reference``, is masked.

    Raises:
        ValueError: a window of an asset that has no window in ``reference``.
    """
    mean, std, seen = _window_moments(windows)  # (W, C) each
    ref_mean, ref_std, ref_seen = _window_moments(reference)
    missing = sorted(set(windows.asset_ids) - set(reference.asset_ids))
    if missing:
        raise ValueError(f"assets {missing} have no reference window to learn their baseline from")
    W, C = mean.shape
    centre = torch.zeros(W, C)
    spread = torch.zeros(W, C)
    known = torch.zeros(W, C, dtype=torch.bool)
    ref_assets = np.array(reference.asset_ids)
    assets = np.array(windows.asset_ids)
    for asset in np.unique(assets):
        rows = torch.from_numpy(np.flatnonzero(assets == asset))
        ref_rows = torch.from_numpy(np.flatnonzero(ref_assets == asset))
        for c in range(C):
            valid = ref_rows[ref_seen[ref_rows, c]]
            if valid.numel():
                centre[rows, c] = ref_mean[valid, c].median()
                spread[rows, c] = ref_std[valid, c].median()
                known[rows, c] = True
    floor = 1e-3 * (centre.abs() + 1)
    shift = (mean - centre) / torch.maximum(spread, floor)
    ratio = torch.log((std + floor) / (spread + floor))
    features = torch.cat([shift, ratio], dim=1)
    features = features.sign() * features.abs().log1p()
    observed = (seen & known).repeat(1, 2)
    return torch.where(observed, features, torch.zeros(())), observed


def with_baseline_features(windows: WindowSet, reference: WindowSet) -> WindowSet:
    """``windows`` whose table is :func:`baseline_features` instead of the asset attributes."""
    numeric, observed = baseline_features(windows, reference)
    return dataclasses.replace(
        windows,
        numeric=numeric,
        numeric_observed=observed,
        categorical=torch.zeros(len(windows), 0, dtype=torch.long),
    )


def _window_moments(windows: WindowSet) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(W, C) mean and standard deviation over the observed steps, and whether there were any."""
    weight = windows.observed.float()
    count = weight.sum(dim=1)
    mean = (windows.series * weight).sum(dim=1) / count.clamp(min=1)
    var = ((windows.series - mean[:, None]) ** 2 * weight).sum(dim=1) / count.clamp(min=1)
    return mean, var.sqrt(), count > 0


def series_batches(
    windows: WindowSet, batch_size: int, *, generator: torch.Generator | None = None, balance: bool = False
) -> list[Batch]:
    """Batches of the series and their numeric table, targets ``{"label": (B,)}``.

    As :func:`moesaic.data.windows.to_batches` (``generator`` shuffles, ``balance`` resamples
    rare classes more often), without the text: its vocabulary belongs to one plant.
    """
    return [b.without("text") for b in to_batches(windows, batch_size, generator=generator, balance=balance)]


class ClassScores(NamedTuple):
    accuracy: float
    macro_f1: float  # over the classes present in the evaluated windows


@torch.no_grad()
def evaluate_classifier(model: nn.Module, windows: WindowSet, *, batch_size: int = 256) -> ClassScores:
    """Accuracy and macro-F1 of ``model`` on every window, in eval mode."""
    was_training = model.training
    model.eval()
    try:
        predicted = torch.cat([model(b).argmax(dim=-1) for b in series_batches(windows, batch_size)])
    finally:
        model.train(was_training)
    truth = windows.labels.numpy()
    pred = predicted.numpy()
    macro = f1_score(truth, pred, labels=np.unique(truth), average="macro", zero_division=0)
    return ClassScores(float((truth == pred).mean()), float(macro))


class PretrainResult(NamedTuple):
    model: FaultClassifier
    windows: WindowData  # the simulated corpus
    run: TrainResult
    scores: ClassScores  # on the simulated corpus' validation windows
    public: tuple[PublicSource, ...] = ()  # the public sets' training windows, on their own channels


def pretrain(config: PretrainConfig, *, data_root: Path | None = None) -> PretrainResult:
    """Train a fault classifier on the corpus, early-stopped on the simulated corpus' later period.

    Each public set of ``config.public`` (read from ``data_root``, see
    :func:`moesaic.data.registry.resolve_data_root`) adds its training windows, laid out on its own
    rows of :func:`vocabulary`, and its classes, numbered after the simulator's in one output
    layer. A training batch holds windows of one source; the epoch's batches of all sources are
    shuffled together. After training the output layer is cut back to :data:`CLASS_NAMES`: the
    returned model classifies simulator faults, whatever the corpus.

    Raises:
        DataNotFoundError, DataFormatError: a public set cannot be read.
    """
    windows = plant_windows(config.corpus_plant(), config.windows)
    sources = tuple(
        load_source(name, config.windows, num_numeric=len(FEATURE_NAMES), data_root=data_root)
        for name in config.public
    )
    logger.info(
        "pretraining corpus: %d training and %d validation windows of %s%s",
        len(windows.train),
        len(windows.val),
        config.corpus_plant().asset_types,
        "".join(f", {len(s.windows)} training windows of {s.name}" for s in sources),
    )
    extra = placed_windows(sources, first_column=len(CORPUS_CHANNELS), first_label=len(CLASS_NAMES))
    torch.manual_seed(config.seed)
    num_classes = len(CLASS_NAMES) + sum(len(s.classes) for s in sources)
    model = FaultClassifier(model_config(config), num_classes=num_classes)
    batch_size = config.train.batch_size

    def source(epoch: int, generator: torch.Generator) -> list[Batch]:
        batches = series_batches(windows.train, batch_size, generator=generator, balance=True)
        if not extra:
            return batches
        for public in extra:
            batches += series_batches(public, batch_size, generator=generator, balance=True)
        return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]

    run = train(model, source, config=config.train, val_batches=series_batches(windows.val, 256))
    if sources:
        model = _simulator_classes(model, config)
    model.eval()
    return PretrainResult(model, windows, run, evaluate_classifier(model, windows.val), sources)


def _simulator_classes(model: FaultClassifier, config: PretrainConfig) -> FaultClassifier:
    """``model`` with its output layer cut back to the :data:`CLASS_NAMES` rows."""
    narrowed = FaultClassifier(model_config(config), num_classes=len(CLASS_NAMES))
    state = model.state_dict()
    for name in ("head.linear.weight", "head.linear.bias"):
        state[name] = state[name][: len(CLASS_NAMES)]
    narrowed.load_state_dict(state)
    return narrowed


def save_pretrained(folder: Path, model: FaultClassifier, config: PretrainConfig) -> None:
    """An inference checkpoint of the pretrained classifier and the config that rebuilds it."""
    save_model(folder, model, {"kind": CHECKPOINT_KIND, "pretrain": to_dict(config)})


class Pretrained(NamedTuple):
    model: FaultClassifier
    config: PretrainConfig


def load_pretrained(folder: Path) -> Pretrained:
    """Load a checkpoint of :func:`save_pretrained`, in eval mode.

    Raises:
        CheckpointError: missing, modified or foreign checkpoint.
    """
    state = load_model_state(Path(folder), kind=CHECKPOINT_KIND, what="a pretrained")
    try:
        config = from_dict(PretrainConfig, state.config["pretrain"])
        model = FaultClassifier(model_config(config), num_classes=len(CLASS_NAMES))
    except (ConfigError, KeyError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"{folder}: cannot rebuild the pretrained model ({err})") from err
    load_weights(model, state.state_dict, Path(folder))
    return Pretrained(model.eval(), config)
