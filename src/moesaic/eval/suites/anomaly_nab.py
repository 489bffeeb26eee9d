"""NAB part of suite ``anomaly``: the Numenta Anomaly Benchmark's files, scored as NAB scores them.

NAB is kept aside from the shared data folder, so nothing here was chosen on it: every detector
runs with the product's defaults (those of ``moesaic detect``: causal smoothing over 30 steps,
threshold = the 99th percentile of the calibration scores x 2, an alarm from the first step above
it). Protocol, per labelled file (:mod:`moesaic.data.sets.nab`): its probationary rows,
min(floor(0.15 T), 750), are its training rows, fitted as ``moesaic detect --train-until``
fits them (:func:`moesaic.tasks.detector_fit.fit_on_training_rows`: a detector that memorises
sets its threshold on the last fifth of them); every later row is scored. The backbone is
pretrained once on every file's probationary rows, each standardised by its own statistics, then
fine-tuned per file (``finetune`` steps), as on SKAB.

Alerts: each run of rows in alarm is one alert at its first row (what an operator receives),
scored by the NAB rules (:mod:`moesaic.eval.metrics_nab`) under its three profiles:
``nab_standard``, ``nab_reward_low_fp``, ``nab_reward_low_fn`` (100 perfect, 0 no alert at all).
NAB's own scorer instead chooses each detector's threshold on the corpus labels per profile, as the
quoted scoreboard rows did; no threshold here sees a label. Also per system: ``detected_windows``
(% of scored windows with an alert), ``false_alerts`` (scored alerts outside every window),
``vus_pr`` (mean over files of VUS-PR on the scored rows, windows as anomalous rows) and
``auc_pr`` (pooled, each file's scores divided by its threshold); ``nab_standard`` also per NAB
category (``category=...``). References: ``null`` (never alerts) and ``random`` (uniform scores,
threshold from the same quantile of uniform training scores). ``--quick`` scores at most
:data:`QUICK_FILES` files spread over the sorted list; the setting then says ``files=K_of_N``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.data.schema import Series
from moesaic.data.sets import nab
from moesaic.data.tables import DataFormatError
from moesaic.eval import metrics
from moesaic.eval.bench import BenchRow, SuiteContext, add_to_setting
from moesaic.eval.metrics_nab import (
    NAB_PROFILES,
    alert_onsets,
    nab_file_score,
    nab_normalised,
    nab_probation,
    windows_from_mask,
)
from moesaic.eval.suites.anomaly_runs import Cost, metric_row, run_systems, score_files, series_values
from moesaic.heads.anomaly import AnomalyModel
from moesaic.tasks.detector_fit import fit_on_training_rows
from moesaic.tasks.detectors import BaseDetector, ScoringConfig
from moesaic.tasks.detectors_pipeline import MIN_FIT_ROWS

logger = logging.getLogger(__name__)

NAB_SETTING = "protocol=nab,train=probation"
QUICK_FILES = 8
METRICS = {
    "standard": "nab_standard",
    "reward_low_fp": "nab_reward_low_fp",
    "reward_low_fn": "nab_reward_low_fn",
}
PUBLISHED_NAB = {  # NAB README scoreboard, NAB v1.0: (standard, reward low FP, reward low FN)
    "numenta-htm": (70.5, 62.6, 75.2),  # the best of its seed range (70.5-69.7, 62.6-61.7, 75.2-74.2)
    "cad-ose": (69.9, 67.0, 73.2),
    "knn-cad": (58.0, 43.4, 64.8),
    "relative-entropy": (54.6, 47.6, 58.8),
    "random-cut-forest": (51.7, 38.4, 59.7),
    "twitter-advec": (47.1, 33.6, 53.5),
    "windowed-gaussian": (39.6, 20.9, 47.4),
    "etsy-skyline": (35.7, 27.1, 44.5),
    "bayes-changepoint": (17.7, 3.2, 32.2),
    "nab-random": (11.0, 1.2, 19.5),  # NAB's random detector, mean over seeds
}
PUBLISHED_SOURCE = (
    "published: NAB README scoreboard (github numenta/NAB), NAB v1.0, all 58 files, each detector's "
    "threshold optimised on the corpus labels per profile"
)


class NabRun(NamedTuple):
    """One detector on one NAB file."""

    windows: np.ndarray  # (W, 2) first and last rows of the anomaly windows
    probation: int  # rows not scored
    alerts: np.ndarray  # (T,) bool, the first row of each alarm run
    score: np.ndarray  # (T,)
    threshold: float
    category: str


def nab_files(folder: Path, ctx: SuiteContext) -> tuple[list[Series], str]:
    """The labelled files of the NAB folder that will be scored, and the ``files=`` setting.

    Raises:
        DataFormatError: no labelled file has enough probationary rows to fit a detector.
    """
    data = nab.load(folder)
    labelled = [s for s in data.series if s.meta["labelled"]]
    files = [s for s in labelled if _readings(s) >= MIN_FIT_ROWS]
    short = [str(s.meta["file"]) for s in labelled if _readings(s) < MIN_FIT_ROWS]
    if short:
        ctx.note(
            f"NAB: {len(short)} file(s) left out, under {MIN_FIT_ROWS} readings in their probation: {short}"
        )
    if not files:
        raise DataFormatError(
            folder,
            f"expected labelled NAB files with {MIN_FIT_ROWS}+ readings in their probation, found none",
        )
    if ctx.quick and len(files) > QUICK_FILES:
        picked = np.linspace(0, len(files) - 1, QUICK_FILES).round().astype(int)
        return [files[i] for i in picked], f"files={QUICK_FILES}_of_{len(files)}"
    return files, "files=all"


def _readings(series: Series) -> int:
    """The observed readings of ``series`` in its probationary rows (its training rows)."""
    return int(series.observed[: nab_probation(series.length)].all(axis=1).sum())


def nab_rows(
    folder: Path, ctx: SuiteContext, configs: dict[str, ScoringConfig], cut: dict[str, int | None]
) -> list[BenchRow]:
    files, scope = nab_files(folder, ctx)
    windows = sum(len(windows_from_mask(s.labels["anomaly"] > 0)) for s in files)
    ctx.note(f"NAB: {len(files)} labelled files with {windows} anomaly windows, read from {folder}")
    setting = add_to_setting(f"{NAB_SETTING},{scope}", **cut)
    segments = [series_values(s)[: nab_probation(s.length)] for s in files]
    rows: list[BenchRow] = []
    for system, runs, cost in run_systems(
        ctx,
        "NAB detectors",
        configs,
        segments,
        lambda system, config, model: _nab_system(system, config, model, files),
    ):
        rows += _nab_metrics(system, runs, cost, setting)
    rng = np.random.default_rng(ctx.seed)
    quantile = configs["zscore"].quantile
    references = {
        "null": [_reference(s, None) for s in files],
        "random": [_reference(s, (rng, quantile)) for s in files],
    }
    for system, runs in references.items():
        rows += _nab_metrics(system, runs, Cost(None, None, None, None), setting, ranked=system != "null")
    for system, values in PUBLISHED_NAB.items():
        for profile, value in zip(METRICS, values, strict=True):
            rows.append(
                BenchRow(system=system, dataset="nab", task="anomaly", setting=f"{NAB_SETTING},files=all",
                         metric=METRICS[profile], value=value, source=PUBLISHED_SOURCE)
            )  # fmt: skip
    return rows


def _nab_system(
    system: str, config: ScoringConfig, pretrained: AnomalyModel | None, files: Sequence[Series]
) -> tuple[list[NabRun], Cost]:
    """``system`` fitted on each file's probationary rows; ``train_seconds`` leaves out the pretraining."""

    def fit(detector: BaseDetector, values: np.ndarray, series: Series) -> None:
        probation = nab_probation(series.length)
        fit_on_training_rows(detector, values, probation, series.channels, str(series.meta["source"]))

    detections, cost = score_files(system, config, pretrained, files, fit)
    runs = [
        NabRun(
            windows=windows_from_mask(series.labels["anomaly"] > 0),
            probation=nab_probation(series.length),
            alerts=alert_onsets(detection.alarm),
            score=detection.score,
            threshold=detection.threshold,
            category=str(series.meta["category"]),
        )
        for series, detection in zip(files, detections, strict=True)
    ]
    return runs, cost


def _reference(series: Series, randomness: tuple[np.random.Generator, float] | None) -> NabRun:
    """The null detector (``randomness`` None) or uniform random scores thresholded on training ones."""
    probation = nab_probation(series.length)
    windows = windows_from_mask(series.labels["anomaly"] > 0)
    category = str(series.meta["category"])
    if randomness is None:
        silent = np.zeros(series.length, dtype=bool)
        return NabRun(windows, probation, silent, np.zeros(series.length), 1.0, category)
    rng, quantile = randomness
    threshold = metrics.threshold_from_scores(rng.uniform(size=probation), quantile=quantile)
    score = rng.uniform(size=series.length)
    return NabRun(windows, probation, alert_onsets(score > threshold), score, threshold, category)


def _nab_metrics(
    system: str, runs: Sequence[NabRun], cost: Cost, setting: str, *, ranked: bool = True
) -> list[BenchRow]:
    """The NAB scores of ``runs``; with ``ranked``, also the threshold-free ones from their scores."""
    values: dict[str, float] = {}
    for profile, metric in METRICS.items():
        values[metric] = nab_normalised(
            [nab_file_score(r.windows, r.alerts, r.probation, profile) for r in runs]
        )
    parts = [nab_file_score(r.windows, r.alerts, r.probation, NAB_PROFILES["standard"]) for r in runs]
    values["detected_windows"] = (
        100.0 * sum(p.detected for p in parts) / max(sum(p.windows for p in parts), 1)
    )
    values["false_alerts"] = float(sum(p.false_alerts for p in parts))
    if ranked:
        scored = [(_scored_labels(r), r.score[r.probation :], r.threshold) for r in runs]
        with_both = [(y, s) for y, s, _ in scored if y.any() and not y.all()]
        if with_both:
            values["vus_pr"] = float(np.mean([metrics.vus_pr(y, s) for y, s in with_both]))
        labels = np.concatenate([y for y, _, _ in scored])
        if labels.any() and not labels.all():
            scaled = np.concatenate([s / t if t > 0 else s for _, s, t in scored])
            values["auc_pr"] = metrics.auc_pr(labels, scaled)
    rows = [metric_row(system, "nab", setting, metric, value, cost) for metric, value in values.items()]
    for category in sorted({r.category for r in runs}):
        chosen = [p for p, r in zip(parts, runs, strict=True) if r.category == category]
        if sum(p.windows for p in chosen):
            by_category = add_to_setting(setting, category=category or "top")
            rows.append(metric_row(system, "nab", by_category, "nab_standard", nab_normalised(chosen), cost))
    return rows


def _scored_labels(run: NabRun) -> np.ndarray:
    """(T - probation,) bool: the scored rows inside an anomaly window."""
    inside = np.zeros(run.score.size, dtype=bool)
    for first, last in run.windows:
        inside[first : last + 1] = True
    return inside[run.probation :]
