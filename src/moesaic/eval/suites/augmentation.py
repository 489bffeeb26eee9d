"""Suite ``augmentation``: does synthesis of rare faults help a fault classifier? (TEP, SKAB)

Protocol, Tennessee Eastman (``tep``). The Braatz TEP training runs (normal + IDV 1-21) are
standardised with the normal run's channel means and spreads and cut into windows of 24 steps
(stride 24 for the fault runs, 12 for the normal run). It is scored on the official test runs
(windows of 24 steps, stride 24, fault windows only after the onset at sample 160).

Protocol, SKAB (``skab``). Classes: normal operation and the seven fault classes of the SKAB
README (valve inlet or outlet closing, fluid leak or addition, rotor imbalance, water amount
increase, cavitation, water supply at increased temperature). SKAB has no official split and
some classes have one file, so every labelled stretch of every file (its normal rows and its
fault segment) is split in time: windows (24 steps, stride 24) from the first 60 % of the
stretch are the training pool, those from the rest are the test windows. Channels are
standardised with the training part of the anomaly-free file.

For each seed, only ``k`` random training windows of each fault class are kept, with all the
normal windows. One fixed small classifier (:class:`WindowCNN`, same steps and settings for every
arm) is trained on:

- ``real_only``: the rare real windows;
- ``classical``: plus :func:`moesaic.tasks.synth.augment.augment_classical` windows (jitter, scaling,
  magnitude and window warping, SMOTE), ``per_class`` per fault;
- ``moesaic``: plus ``per_class`` windows per fault from a :class:`moesaic.tasks.synth.Synthesizer`
  fitted on the rare real windows and conditioned on the fault id. On SKAB, where every file is
  a run at its own operating point, the condition also names the run (file) of each window, and
  a fault's samples are asked for in the runs of its kept windows;
- ``all_real``: every training window of every class (stride 4), the upper bound.

Metrics: ``macro_f1`` over the classes and ``recall_<class>`` per class (TEP: the fault number,
0 = normal). ``tstr_accuracy`` (``moesaic`` rows) trains the same classifier on synthetic windows
only (every class, normal included) and tests it on the real test windows. Rows give the mean
over seeds.

Quick mode: 1 seed and k=5 only; full: seeds 0-4 and k in {5, 20}. Options (``-o KEY=VALUE``):
``datasets=tep,skab``, ``seeds=N``, ``ks=5,20``, ``steps=N`` (synthesizer training steps).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score, recall_score
from torch import Tensor, nn

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Series
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.tasks.public_corpus import flag_stretches
from moesaic.tasks.synth.augment import augment_classical
from moesaic.tasks.synth.config import SynthConfig
from moesaic.tasks.synth.protocol import sliding_windows
from moesaic.tasks.synth.synthesizer import Synthesizer

logger = logging.getLogger(__name__)

TASK = "augmentation"
DATASETS = ("tep", "skab")
WINDOW = 24
ONSET = 160  # TEP test faults start after this sample
TEP_CLASSES = 22
SKAB_TRAIN_SHARE = 0.6  # the first 60 % of each labelled SKAB stretch is for training
PER_CLASS = 100
CLASSIFIER_STEPS = 400


class WindowCNN(nn.Module):
    """Two 'same' convolutions along time, global average pooling, a linear layer: (B, T, C) -> (B, K)."""

    def __init__(self, *, channels: int, classes: int, width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(channels, width, 5, padding=2)
        self.conv2 = nn.Conv1d(width, width, 5, padding=2)
        self.out = nn.Linear(width, classes)

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(self.conv2(F.relu(self.conv1(x.transpose(1, 2)))))  # (B, width, T)
        return self.out(h.mean(dim=2))


def train_classifier(windows: np.ndarray, labels: np.ndarray, *, classes: int, seed: int) -> WindowCNN:
    """The fixed classifier of every arm: Adam 1e-3, batches of 64, ``CLASSIFIER_STEPS`` steps."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.from_numpy(windows.astype(np.float32)), torch.from_numpy(labels.astype(np.int64))
    net = WindowCNN(channels=x.shape[2], classes=classes)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(CLASSIFIER_STEPS):
        index = torch.randint(len(x), (min(64, len(x)),), generator=generator)
        loss = F.cross_entropy(net(x[index]), y[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return net.eval()


def predict(net: WindowCNN, windows: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(windows.astype(np.float32))).argmax(dim=1).numpy()


class FaultWindows(NamedTuple):
    name: str  # the data set
    classes: tuple[str, ...]  # class names by id; 0 is normal operation
    train: dict[int, np.ndarray]  # class id -> (W, T, C) candidate training windows
    dense: dict[int, np.ndarray]  # class id -> stride-4 training windows: the all_real arm
    test_x: np.ndarray  # (W, T, C)
    test_y: np.ndarray  # (W,)
    runs: dict[int, np.ndarray] | None = None  # class id -> the run (file) of each training window


def tep_windows(ctx: SuiteContext) -> FaultWindows:
    data = load_dataset("tep", ctx.data_root())
    runs: dict[tuple[str, int], Series] = {(s.meta["split"], int(s.meta["fault"])): s for s in data.series}
    normal = runs[("train", 0)].values
    mean, spread = normal.mean(axis=0), normal.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)

    def scaled(s: Series) -> np.ndarray:
        return ((s.values - mean) / spread).astype(np.float32)

    train, dense, test_x, test_y = {}, {}, [], []
    for fault in range(TEP_CLASSES):
        values = scaled(runs[("train", fault)])
        train[fault] = sliding_windows(values, length=WINDOW, stride=12 if fault == 0 else WINDOW)
        dense[fault] = sliding_windows(values, length=WINDOW, stride=4)
        test = scaled(runs[("test", fault)])
        test = test if fault == 0 else test[ONSET:]
        windows = sliding_windows(test, length=WINDOW, stride=WINDOW)
        test_x.append(windows)
        test_y.append(np.full(len(windows), fault))
    classes = tuple(str(f) for f in range(TEP_CLASSES))
    return FaultWindows("tep", classes, train, dense, np.concatenate(test_x), np.concatenate(test_y))


def skab_windows(ctx: SuiteContext) -> FaultWindows:
    data = load_dataset("skab", ctx.data_root())
    faults = sorted({str(s.meta["fault"]) for s in data.series} - {"none"})
    classes = ("none", *faults)
    free = next(s for s in data.series if s.meta["fault"] == "none").values
    free = free[: int(SKAB_TRAIN_SHARE * len(free))]
    mean, spread = free.mean(axis=0), free.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    parts: dict[str, dict[int, list[np.ndarray]]] = {"train": {}, "dense": {}, "test": {}, "runs": {}}
    for run, s in enumerate(data.series):
        values = ((s.values - mean) / spread).astype(np.float32)
        flags = s.labels["anomaly"]
        for start, stop in flag_stretches(flags):
            label = classes.index(str(s.meta["fault"])) if flags[start] else 0
            cut = start + int(SKAB_TRAIN_SHARE * (stop - start))
            for part, rows, stride in (("train", values[start:cut], WINDOW), ("dense", values[start:cut], 4),
                                       ("test", values[cut:stop], WINDOW)):  # fmt: skip
                if len(rows) >= WINDOW:
                    windows = sliding_windows(rows, length=WINDOW, stride=stride)
                    parts[part].setdefault(label, []).append(windows)
                    if part == "train":
                        parts["runs"].setdefault(label, []).append(np.full(len(windows), run))
    train = {c: np.concatenate(parts["train"][c]) for c in range(len(classes))}
    runs = {c: np.concatenate(parts["runs"][c]) for c in range(len(classes))}
    dense = {c: np.concatenate(parts["dense"][c]) for c in range(len(classes))}
    test = {c: np.concatenate(parts["test"][c]) for c in range(len(classes))}
    test_y = np.concatenate([np.full(len(test[c]), c) for c in range(len(classes))])
    return FaultWindows("skab", classes, train, dense, np.concatenate(list(test.values())), test_y, runs)


def _scores(net: WindowCNN, data: FaultWindows) -> dict[str, float]:
    pred = predict(net, data.test_x)
    labels = list(range(len(data.classes)))
    out = {"macro_f1": float(f1_score(data.test_y, pred, labels=labels, average="macro", zero_division=0))}
    recalls = recall_score(data.test_y, pred, labels=labels, average=None, zero_division=0)
    names = [name.replace(" ", "_") for name in data.classes]
    out.update({f"recall_{c}": float(r) for c, r in zip(names, recalls, strict=True)})
    return out


def synth_config(*, steps: int, seed: int) -> SynthConfig:
    """The synthesizer's defaults, trained ``steps`` steps with ``seed`` (warm-up at most a tenth)."""
    base = SynthConfig()
    train = dataclasses.replace(base.train, max_steps=steps, seed=seed, warmup_steps=min(100, steps // 10))
    return dataclasses.replace(base, train=train)


def fit_synthesizer(
    x: np.ndarray, y: np.ndarray, *, steps: int, seed: int, runs: np.ndarray | None = None
) -> Synthesizer:
    """The synthesizer of the moesaic arm, conditioned on the fault (and the run, when given)."""
    config = synth_config(steps=steps, seed=seed)
    conditions = [{"fault": str(int(c))} for c in y]
    if runs is not None:
        conditions = [{**c, "run": str(int(r))} for c, r in zip(conditions, runs, strict=True)]
    return Synthesizer(config).fit(x, conditions)


def run_seed(
    data: FaultWindows, k: int, seed: int, steps: int
) -> dict[str, tuple[dict[str, float], dict[str, Any]]]:
    """Scores and costs of every arm for one seed."""
    rng = np.random.default_rng(seed)
    xs, ys = [data.train[0]], [np.zeros(len(data.train[0]), dtype=np.int64)]
    rs = [data.runs[0]] if data.runs is not None else []
    classes = len(data.classes)
    for fault in range(1, classes):
        chosen = rng.choice(len(data.train[fault]), size=min(k, len(data.train[fault])), replace=False)
        xs.append(data.train[fault][chosen])
        ys.append(np.full(len(chosen), fault))
        rs += [data.runs[fault][chosen]] if data.runs is not None else []
    x, y = np.concatenate(xs), np.concatenate(ys)
    runs = np.concatenate(rs) if rs else None
    faults = list(range(1, classes))
    results: dict[str, tuple[dict[str, float], dict[str, Any]]] = {}

    def arm(name: str, ax: np.ndarray, ay: np.ndarray, extra: dict[str, Any] | None = None) -> WindowCNN:
        with Stopwatch() as watch:
            net = train_classifier(ax, ay, classes=classes, seed=seed)
        params = count_parameters(net)
        cost = {"params_total": params.total, "params_active": params.active,
                "train_seconds": round(watch.seconds, 2), "peak_rss_mb": round(peak_rss_mb(), 1)}  # fmt: skip
        cost.update(extra or {})
        results[name] = (_scores(net, data), cost)
        return net

    arm("real_only", x, y)
    aug = augment_classical(x, y, faults, per_class=PER_CLASS, seed=seed)
    arm("classical", np.concatenate([x, aug.windows]), np.concatenate([y, aug.labels]))
    with Stopwatch() as watch:
        synth = fit_synthesizer(x, y, steps=steps, seed=seed, runs=runs)
    made = [synth.sample(PER_CLASS, _asked(f, runs, y, seed), seed=seed + f).series for f in faults]
    made_y = np.repeat(faults, PER_CLASS)
    extra = {"train_seconds_synthesizer": watch.seconds}
    arm("moesaic", np.concatenate([x, *made]), np.concatenate([y, made_y]), extra)
    # Train on synthetic only (every class, normal included), test on real.
    normal = synth.sample(PER_CLASS, condition={"fault": "0"}, seed=seed).series
    tstr = train_classifier(
        np.concatenate([normal, *made]),
        np.concatenate([np.zeros(PER_CLASS), made_y]),
        classes=classes,
        seed=seed,
    )
    results["moesaic"][0]["tstr_accuracy"] = float((predict(tstr, data.test_x) == data.test_y).mean())
    all_x = np.concatenate([data.dense[f] for f in range(classes)])
    all_y = np.concatenate([np.full(len(data.dense[f]), f) for f in range(classes)])
    arm("all_real", all_x, all_y)
    for name, (scores, _) in results.items():
        logger.info("%s k=%d seed %d %s: macro-F1 %.3f", data.name, k, seed, name, scores["macro_f1"])
    return results


def _asked(fault: int, runs: np.ndarray | None, y: np.ndarray, seed: int) -> list[dict[str, str]]:
    """The conditions of the moesaic arm's samples of ``fault``: the fault, in the runs of its
    kept training windows when runs are known (each at random)."""
    if runs is None:
        return [{"fault": str(fault)}] * PER_CLASS
    picked = np.random.default_rng(seed + fault).choice(runs[y == fault], size=PER_CLASS)
    return [{"fault": str(fault), "run": str(int(r))} for r in picked]


def _arm_rows(
    per_seed: list[dict[str, tuple[dict[str, float], dict[str, Any]]]], *, dataset: str, setting: str
) -> list[BenchRow]:
    """Mean over seeds of every metric of every arm; train_seconds includes the synthesizer's."""
    rows = []
    for name, (first_scores, first_cost) in per_seed[0].items():
        cost = {f: first_cost[f] for f in ("params_total", "params_active", "peak_rss_mb")}
        seconds = [
            r[name][1]["train_seconds"] + r[name][1].get("train_seconds_synthesizer", 0.0) for r in per_seed
        ]
        cost["train_seconds"] = round(float(np.mean(seconds)), 2)
        for metric in first_scores:
            value = round(float(np.mean([r[name][0][metric] for r in per_seed])), 4)
            rows.append(
                BenchRow(
                    system=name,
                    dataset=dataset,
                    task=TASK,
                    setting=setting,
                    metric=metric,
                    value=value,
                    **cost,
                )
            )
    return rows


@register_suite(
    "augmentation",
    "rare-fault augmentation on TEP and SKAB: real only vs classical vs moesaic samples",
    options=("datasets", "seeds", "ks", "steps", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    datasets = [
        d.strip() for d in str(ctx.options.get("datasets", ",".join(DATASETS))).split(",") if d.strip()
    ]
    unknown = sorted(set(datasets) - set(DATASETS))
    if unknown or not datasets:
        raise OptionError(f"option datasets must name some of {list(DATASETS)}, got {datasets}")
    seeds = ctx.integer("seeds", 1 if ctx.quick else 5)
    ks_text = ctx.options.get("ks", "5" if ctx.quick else "5,20")
    if not all(v.strip().isdigit() for v in ks_text.split(",")):
        raise OptionError(f"option ks={ks_text!r}: expected integers separated by commas, e.g. 5,20")
    ks = tuple(int(v) for v in ks_text.split(","))
    steps = ctx.integer("steps", 600 if ctx.quick else 3000)
    if seeds < 1 or steps < 1 or not ks or min(ks) < 1:
        raise OptionError(f"options seeds, steps and ks must be >= 1, got {seeds}, {steps}, {ks}")
    rows: list[BenchRow] = []
    with torch_threads(ctx.integer("threads", 1)):
        for name in datasets:
            data = tep_windows(ctx) if name == "tep" else skab_windows(ctx)
            for k in ks:
                per_seed = [
                    run_seed(data, k, ctx.seed + s, steps)
                    for s in ctx.progress(range(seeds), f"{name} k={k}", seeds)
                ]
                rows += _arm_rows(per_seed, dataset=name, setting=f"k={k},seeds={seeds}")
    return rows
