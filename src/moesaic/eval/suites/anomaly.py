"""Suite ``anomaly``: the backbone detector against the classical ones, SKAB, Tennessee Eastman, NAB.

Every detector goes through the same interface and scoring pipeline
(:mod:`moesaic.tasks.detectors`) with the same settings on a data set; thresholds come from
training rows only, never from the rows evaluated.

SKAB, the strict leaderboard protocol of the SKAB README (waico/SKAB; 34 files with an anomaly):
each file's first 400 rows are its training rows (standardisation, model, channel scales,
threshold) and the rows after them are evaluated, pooled over all files: point-wise ``f1``,
``far`` (false alarms / normal rows, %) and ``mar`` (missed / anomalous rows, %), on 23,801 rows
of which 53.7 % are anomalous, so flagging everything gives F1 0.70. ``vus_pr`` is the mean over
files of VUS-PR on each file's evaluated rows; ``auc_pr`` is pooled over files, each file's
scores divided by its own threshold so that they share one scale. The backbone is pretrained once
on training rows only, ``anomaly-free.csv`` and the first 400 rows of every file, each
standardised by its own statistics, then fine-tuned per file on its 400 rows (``finetune``
steps); the classical detectors are fitted per file on the 400 rows.

Calibration leaves out the first ``smooth - 1`` training rows, whose moving averages span fewer
steps and are noisier than any scored row's (:func:`moesaic.tasks.detectors_pipeline.settled`).
Until 2026-12-01 they were kept: the top training scores then sat in a file's first rows, and one
odd early reading could raise a threshold fivefold; the settings below were chosen again then.

NAB (kept aside from the shared data, read when its folder is there or given with ``nab=DIR``):
the product's default settings and NAB's own scoring, in :mod:`moesaic.eval.suites.anomaly_nab`.

SKAB settings, for every detector: causal smoothing over 10 steps, threshold = 99th percentile of
the training scores x 1.5, and an alarm only after 60 steps above it (SKAB's own Conv-AE baseline
asks 60). They were chosen for the backbone detector on the labels of validation files only: every
third SKAB file in the loader's order (valve1/0, valve1/3, ..., other/14; 12 files), by the rule
"highest F1 with a false-alarm rate at most 13.55 % (the issue's bound), averaged over three
backbone seeds" among 300 settings (smoothing 10/20/30/45/60, factor 1.5/2/2.5/3/4/6, persistence
10/20/30/45/60, backdated or not). The backbone's persistence penalty (0.1) and fine-tuning were
chosen earlier on the same files. Rows with ``files=heldout`` leave those 12 files out: no choice
saw their labels.

``moesaic-consensus`` (:class:`moesaic.tasks.detectors_consensus.ConsensusDetector`): an alarm
only where the backbone detector (the same pretrained model, fine-tuned per file), the AR residual,
the k-means distance, the z-score and PCA all stand above their own calibration quantile. Its SKAB
settings: smoothing over 5 steps, threshold = the 99th percentile of its training scores (factor
1), 60 steps above it, each alarm dated from the first of them (``backdate``: the alarm of a step
can depend on up to 59 later steps, as SKAB's Conv-AE baseline's). Its backbone member repairs its
contexts (``repair=2``, :class:`moesaic.tasks.anomaly.AnomalyConfig`: a reading more than 2
training standard deviations off its forecast enters later contexts as the forecast, so a lasting
anomaly does not become the new normal), chosen on the same 12 validation files on 2026-12-02 by
the same rule among repair 0, 2, 3, 4 and 6 (figures in the issue note); for ``moesaic`` alone
every repair raised the false-alarm rate above the bound, so it keeps its contexts as read. The
panel and the other settings were chosen again on 2026-12-03, on the same 12 files by the same
rule (highest F1 with FAR <= 13.55 %, mean over backbone seeds 0-2), among 4,320 settings: every
panel of the five detectors holding moesaic, the smallest, second-smallest or mean member score,
smoothing 5/10/20, factor 1/1.25/1.5/2, persistence 20/30/45/60, backdated or not; adopted since
it beat the earlier setting (moesaic, AR and k-means; factor 1.25; 20 steps) by at least 0.010
there (``tests/data/skab_vote_study``; no looser vote kept the false-alarm bound).

Tennessee Eastman (Braatz data), the usual control-limit protocol: detectors fit on the first 400
rows of the normal training run and take their scales and threshold (99th percentile, no factor,
no smoothing, no persistence rule) from its last 100 rows; the backbone is trained there from
scratch. Per fault, ``detection_rate`` is the share of test samples after the onset (sample > 160)
flagged and ``far`` the share of the 160 samples before it (%); ``fault=all`` averages the
detection rate over faults 1-21 (``all-but-3-9-15`` without the three nearly undetectable ones)
and pools the false alarms of every test run before onset plus the whole normal test run.

On Tennessee Eastman the consensus uses the settings every other detector uses there.

Reference systems: ``flag-all`` (every row flagged) and ``random`` (uniform scores, threshold from
their training quantile); ``conv-ae`` is the best published SKAB row. Cost fields: ``train_seconds``
sums pretraining and every per-file fit; ``infer_ms_per_window`` is per scored step (each step is
scored from the window before it); ``peak_rss_mb`` is the system's own peak (the peak memory is
cleared before each system where the kernel allows, see :mod:`moesaic.eval.meters`), for the two
SKAB (and NAB) systems on the pretrained backbone the larger of it and the pretraining's.
Options: ``datasets=skab,tep,nab`` (default: all three, NAB skipped with a note when its folder is
absent; asked for by name, or with ``nab=DIR``, an absent folder is an error); ``nab=DIR`` a NAB
checkout or a folder laid out like one (default: ``nab`` in the data folder); ``steps=N``
backbone training steps (default 300, SKAB and NAB pretraining; TEP trains 2/3 of them; either
must exceed the backbone's 50 warm-up steps); ``finetune=N`` per-file
steps on SKAB and NAB (default 30, 15 with ``--quick``, which also grows 50 instead of 100 trees);
``threads=N`` torch and BLAS threads (default 1). A run that cuts the protocol says so in every
measured row's setting: ``steps=N`` when not 300, ``finetune=N`` (SKAB, NAB) when not 30, and
``quick=1`` (from the runner); the published row keeps the full protocol's setting.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Series
from moesaic.eval import metrics
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, add_to_setting, register_suite
from moesaic.eval.meters import peak_rss_mb, reset_peak_rss, torch_threads
from moesaic.eval.suites.anomaly_nab import nab_rows
from moesaic.eval.suites.anomaly_runs import (
    SYSTEMS,
    Cost,
    Run,
    detector_for,
    metric_row,
    run_systems,
    score_files,
    series_values,
)
from moesaic.heads.anomaly import AnomalyModel
from moesaic.tasks.anomaly import AnomalyConfig
from moesaic.tasks.detectors import CLASSICAL, BaseDetector, ScoringConfig
from moesaic.tasks.detectors_consensus import ConsensusConfig

logger = logging.getLogger(__name__)

SKAB_FIT_ROWS = 400
TEP_FIT_ROWS, TEP_ONSET = 400, 160
SKAB_SETTING = "protocol=strict,train=first400,eval=after400"
OPTIONS = ("datasets", "steps", "finetune", "threads", "nab")
DATASETS = ("skab", "tep", "nab")
FULL_STEPS, FULL_FINETUNE = 300, 30  # the lengths the settings were validated with
# Scoring settings per data set, the same for every detector (module docstring).
SCORING: dict[str, dict[str, Any]] = {
    "skab": {"smooth": 10, "quantile": 0.99, "factor": 1.5, "min_run": 60},
    "tep": {"smooth": 1, "quantile": 0.99, "factor": 1.0, "min_run": 1},
    "nab": {},  # the product's defaults: nothing is chosen on NAB (kept aside)
}
# moesaic-consensus on SKAB, chosen for it on the validation files (module docstring).
SCORING_CONSENSUS = {
    "skab": {
        "smooth": 5,
        "quantile": 0.99,
        "factor": 1.0,
        "min_run": 60,
        "backdate": True,
        "members": ("moesaic", "ar", "kmeans", "zscore", "pca"),
    },
    "tep": SCORING["tep"],
    "nab": {},
}
# The consensus's backbone member repairs its contexts on SKAB (module docstring); 0 = off.
CONSENSUS_REPAIR = {"skab": 2.0, "tep": 0.0, "nab": 0.0}
PUBLISHED_SKAB = {  # SKAB README, strict leaderboard, outlier detection: (F1, FAR %, MAR %)
    "conv-ae": (0.78, 13.55, 28.02),
}
PUBLISHED_SOURCE = "published: SKAB README (github waico/SKAB), strict leaderboard, outlier detection"


def is_validation_file(index: int) -> bool:
    """The SKAB files whose labels the settings were chosen on: every third in the loader's order."""
    return index % 3 == 0


@register_suite(
    "anomaly",
    "SKAB, Tennessee Eastman and NAB: backbone vs classical detectors, train-only thresholds",
    options=OPTIONS,
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    root = ctx.data_root()
    wanted = ctx.names("datasets", DATASETS, choices=DATASETS)
    threads = ctx.integer("threads", 1, minimum=1)
    nab_folder = Path(ctx.options["nab"]).expanduser() if "nab" in ctx.options else root / "nab"
    if "nab" in wanted and not nab_folder.is_dir():
        if "nab" in ctx.options or "datasets" in ctx.options:
            raise OptionError(
                f"NAB: no folder {nab_folder}; give -o nab=DIR, a NAB checkout or its data folder"
            )
        ctx.note(
            f"NAB skipped: no folder {nab_folder} (kept aside from the shared data; -o nab=DIR reads one)"
        )
        wanted = tuple(d for d in wanted if d != "nab")
    for dataset in wanted:  # every option is checked before anything trains
        _configs(ctx, dataset)
    rows: list[BenchRow] = []
    with torch_threads(threads), threadpool_limits(threads):
        if "skab" in wanted:
            rows += skab_rows(root, ctx)
        if "tep" in wanted:
            rows += tep_rows(root, ctx)
        if "nab" in wanted:
            rows += nab_rows(nab_folder, ctx, _configs(ctx, "nab"), _cut(ctx, "nab"))
    return rows


def _configs(ctx: SuiteContext, dataset: str) -> dict[str, ScoringConfig]:
    """Each system's config on ``dataset``: its scoring settings, and less fine-tuning with ``--quick``.

    Raises:
        OptionError: ``steps`` leaves no step after the backbone's warm-up, naming the least that does.
    """
    scoring = {**SCORING[dataset], "seed": ctx.seed}
    steps = ctx.integer("steps", FULL_STEPS, minimum=1)
    finetune = ctx.integer("finetune", 15 if ctx.quick else FULL_FINETUNE, minimum=0)
    base = AnomalyConfig(**scoring)
    warmup = base.train.warmup_steps
    if _backbone_steps(dataset, steps) <= warmup:
        least = next(n for n in itertools.count(steps + 1) if _backbone_steps(dataset, n) > warmup)
        share = "2/3" if dataset == "tep" else "all"
        raise OptionError(
            f"option steps={steps}: {dataset.upper()} trains the backbone for {share} of them, "
            f"{_backbone_steps(dataset, steps)} steps, which must exceed its {warmup} warm-up steps; "
            f"give steps={least} or more"
        )
    train = dataclasses.replace(base.train, max_steps=_backbone_steps(dataset, steps), seed=ctx.seed)
    backbone = dataclasses.replace(base, finetune_steps=finetune, train=train)
    configs: dict[str, ScoringConfig] = {"moesaic": backbone}
    extra: dict[str, dict[str, Any]] = {"iforest": {"trees": 50 if ctx.quick else 100}}
    for name, cls in CLASSICAL.items():
        configs[name] = cls.config_class(**scoring, **extra.get(name, {}))
    member = dataclasses.replace(backbone, repair=CONSENSUS_REPAIR[dataset])
    configs["moesaic-consensus"] = ConsensusConfig(
        **SCORING_CONSENSUS[dataset], seed=ctx.seed, backbone=member
    )
    return configs


def _backbone_steps(dataset: str, steps: int) -> int:
    """The backbone's training steps on ``dataset`` for the option ``steps`` (module docstring)."""
    return steps * 2 // 3 if dataset == "tep" else steps


def _cut(ctx: SuiteContext, dataset: str) -> dict[str, int | None]:
    """The knobs by which the run cuts the protocol on ``dataset``, for the measured rows' setting."""
    steps = ctx.integer("steps", FULL_STEPS, minimum=1)
    finetune = ctx.integer("finetune", FULL_FINETUNE, minimum=0) if "finetune" in ctx.options else None
    return {
        "steps": None if steps == FULL_STEPS else steps,
        "finetune": None if dataset == "tep" or finetune in (None, FULL_FINETUNE) else finetune,
    }


# ----------------------------------------------------------------------------- SKAB


def skab_rows(root: Path, ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("skab", root)
    files = [s for s in data.series if s.meta["folder"] != "anomaly-free"]
    free = [s for s in data.series if s.meta["folder"] == "anomaly-free"]
    configs = _configs(ctx, "skab")
    cut = _cut(ctx, "skab")
    segments = [series_values(s) for s in free] + [series_values(s)[:SKAB_FIT_ROWS] for s in files]
    rows: list[BenchRow] = []
    for system, runs, cost in run_systems(
        ctx,
        "SKAB detectors",
        configs,
        segments,
        lambda system, config, model: _skab_system(system, config, model, files),
    ):
        rows += _skab_metrics(system, runs, cost, cut)
    rng = np.random.default_rng(ctx.seed)
    references = {
        "flag-all": [_constant_run(s) for s in files],
        "random": [_random_run(s, rng, configs["zscore"].quantile) for s in files],
    }
    for system, runs in references.items():
        rows += _skab_metrics(system, runs, Cost(None, None, None, None), cut)
    for system, (f1, far, mar) in PUBLISHED_SKAB.items():
        for metric, value in (("f1", f1), ("far", far), ("mar", mar)):
            setting = f"{SKAB_SETTING},files=all"
            rows.append(
                BenchRow(system=system, dataset="skab", task="anomaly", setting=setting, metric=metric,
                         value=value, source=PUBLISHED_SOURCE)
            )  # fmt: skip
    return rows


def _skab_system(
    system: str, config: ScoringConfig, pretrained: AnomalyModel | None, files: Sequence[Series]
) -> tuple[list[Run], Cost]:
    """``system`` fitted on each file's first rows; ``train_seconds`` leaves out the pretraining."""

    def fit(detector: BaseDetector, values: np.ndarray, series: Series) -> None:
        detector.fit(values[:SKAB_FIT_ROWS], channels=series.channels)

    detections, cost = score_files(system, config, pretrained, files, fit)
    keep = slice(SKAB_FIT_ROWS, None)
    runs = [
        Run(s.labels["anomaly"][keep].astype(bool), d.score[keep], d.alarm[keep], d.threshold)
        for s, d in zip(files, detections, strict=True)
    ]
    return runs, cost


def _constant_run(series: Series) -> Run:
    labels = series.labels["anomaly"][SKAB_FIT_ROWS:].astype(bool)
    return Run(labels, np.ones(labels.size), np.ones(labels.size, dtype=bool), 0.5)


def _random_run(series: Series, rng: np.random.Generator, quantile: float) -> Run:
    labels = series.labels["anomaly"][SKAB_FIT_ROWS:].astype(bool)
    threshold = metrics.threshold_from_scores(rng.uniform(size=SKAB_FIT_ROWS), quantile=quantile)
    score = rng.uniform(size=labels.size)
    return Run(labels, score, score > threshold, threshold)


def _skab_metrics(system: str, runs: Sequence[Run], cost: Cost, cut: dict[str, int | None]) -> list[BenchRow]:
    rows = []
    for files, chosen in (
        ("all", runs),
        ("heldout", [r for i, r in enumerate(runs) if not is_validation_file(i)]),
    ):
        labels = np.concatenate([r.labels for r in chosen])
        alarm = np.concatenate([r.alarm for r in chosen])
        scaled = np.concatenate([r.score / r.threshold if r.threshold > 0 else r.score for r in chosen])
        values = {
            "f1": metrics.point_f1(labels, alarm),
            "far": 100.0 * metrics.false_alarm_rate(labels, alarm),
            "mar": 100.0 * metrics.missed_alarm_rate(labels, alarm),
            "vus_pr": float(np.mean([metrics.vus_pr(r.labels, r.score) for r in chosen if r.labels.any()])),
            "auc_pr": metrics.auc_pr(labels, scaled),
        }
        setting = add_to_setting(f"{SKAB_SETTING},files={files}", **cut)
        rows += [metric_row(system, "skab", setting, metric, value, cost) for metric, value in values.items()]
    return rows


# ----------------------------------------------------------------------------- Tennessee Eastman


def tep_rows(root: Path, ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("tep", root)
    runs = {(s.meta["split"], s.meta["fault"]): s for s in data.series}
    normal = series_values(runs[("train", 0)])
    tests = {fault: runs[("test", fault)] for split, fault in sorted(runs) if split == "test"}
    configs = _configs(ctx, "tep")
    cut = _cut(ctx, "tep")
    rows: list[BenchRow] = []
    for system in ctx.progress(SYSTEMS, "TEP detectors", total=len(SYSTEMS)):
        reset_peak_rss()
        start = time.perf_counter()
        detector = detector_for(system, configs[system])
        detector.fit(
            normal[:TEP_FIT_ROWS], validation=normal[TEP_FIT_ROWS:], channels=runs[("train", 0)].channels
        )
        train_seconds = time.perf_counter() - start
        start, alarms = time.perf_counter(), {}
        for fault, series in tests.items():
            alarms[fault] = detector.predict(series_values(series)).alarm
        steps = sum(s.length for s in tests.values())
        total, active = detector.parameter_count()
        infer_ms = 1000.0 * (time.perf_counter() - start) / steps
        rows += _tep_metrics(
            system, alarms, tests, Cost(total, active, train_seconds, infer_ms, peak_rss_mb()), cut
        )
    rng = np.random.default_rng(ctx.seed)
    quantile = configs["zscore"].quantile
    threshold = metrics.threshold_from_scores(rng.uniform(size=len(normal)), quantile=quantile)
    references = {
        "flag-all": {f: np.ones(s.length, dtype=bool) for f, s in tests.items()},
        "random": {f: rng.uniform(size=s.length) > threshold for f, s in tests.items()},
    }
    for system, alarms in references.items():
        rows += _tep_metrics(system, alarms, tests, Cost(None, None, None, None), cut)
    return rows


def _tep_metrics(
    system: str,
    alarms: dict[int, np.ndarray],
    tests: dict[int, Series],
    cost: Cost,
    cut: dict[str, int | None],
) -> list[BenchRow]:
    def row(fault: str, metric: str, value: float) -> BenchRow:
        return metric_row(system, "tep", add_to_setting(f"fault={fault}", **cut), metric, value, cost)

    rows, rates, before = [], [], []
    for fault, series in tests.items():
        faulty = series.labels["faulty"].astype(bool)
        normal_part = alarms[fault] if fault == 0 else alarms[fault][~faulty]
        before.append(normal_part)
        if fault == 0:
            continue
        rate = 100.0 * float(alarms[fault][faulty].mean())
        rates.append((fault, rate))
        rows.append(row(str(fault), "detection_rate", rate))
        rows.append(row(str(fault), "far", 100.0 * float(alarms[fault][~faulty].mean())))
    rows.append(row("all", "detection_rate", float(np.mean([r for _, r in rates]))))
    hard = (3, 9, 15)  # nearly undetectable in the literature (TEP README)
    easy = [r for f, r in rates if f not in hard]
    rows.append(row("all-but-3-9-15", "detection_rate", float(np.mean(easy))))
    rows.append(row("all", "far", 100.0 * float(np.concatenate(before).mean())))
    return rows
