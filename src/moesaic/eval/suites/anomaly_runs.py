"""What the parts of suite ``anomaly`` share: its systems, one run's results and cost, its rows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np

from moesaic.data.schema import Series
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import peak_rss_mb, reset_peak_rss
from moesaic.heads.anomaly import AnomalyModel
from moesaic.tasks.anomaly import AnomalyConfig, AnomalyDetector, pretrain_anomaly_model
from moesaic.tasks.detector_registry import DETECTORS
from moesaic.tasks.detectors import CLASSICAL, BaseDetector, Detection, ScoringConfig
from moesaic.tasks.detectors_consensus import ConsensusConfig, ConsensusDetector

SYSTEMS = ("moesaic", *CLASSICAL, "moesaic-consensus")
BACKBONE_SYSTEMS = ("moesaic", "moesaic-consensus")  # both start from the one pretrained model
R = TypeVar("R")


class Cost(NamedTuple):
    params_total: int | None
    params_active: int | None
    train_seconds: float | None
    infer_ms_per_window: float | None  # per scored step: a step is scored from the window before it
    peak_rss_mb: float | None = None  # the system's own peak


class Run(NamedTuple):
    """One detector on one series: what the metrics need."""

    labels: np.ndarray  # (T',) bool, evaluated rows
    score: np.ndarray  # (T',)
    alarm: np.ndarray  # (T',) bool
    threshold: float


def detector_for(system: str, config: ScoringConfig, pretrained: AnomalyModel | None = None) -> BaseDetector:
    """An unfitted detector of ``system`` (a name of :data:`SYSTEMS`) with ``config``."""
    if system == "moesaic-consensus":
        assert isinstance(config, ConsensusConfig)
        return ConsensusDetector(config, pretrained=pretrained)
    if system == "moesaic":
        assert isinstance(config, AnomalyConfig)
        return AnomalyDetector(config, pretrained=pretrained)
    return DETECTORS[system](config)


def metric_row(
    system: str, dataset: str, setting: str, metric: str, value: float, cost: Cost | None
) -> BenchRow:
    """One row of the suite; the cost fields only for a measured system that trains."""
    fields: dict[str, Any] = {}
    if cost is not None and cost.train_seconds is not None:  # the reference systems cost nothing
        fields = cost._asdict()
    return BenchRow(
        system=system,
        dataset=dataset,
        task="anomaly",
        setting=setting,
        metric=metric,
        value=float(value),
        **fields,
    )


def series_values(series: Series) -> np.ndarray:
    """(T, C) float64 readings of ``series``, NaN where not observed."""
    return np.where(series.observed, series.values, np.nan).astype(np.float64)


def run_systems(
    ctx: SuiteContext,
    title: str,
    configs: dict[str, ScoringConfig],
    segments: Sequence[np.ndarray],
    run_system: Callable[[str, ScoringConfig, AnomalyModel | None], tuple[list[R], Cost]],
) -> Iterator[tuple[str, list[R], Cost]]:
    """Each of :data:`SYSTEMS` run by ``run_system``, the backbone ones from one model pretrained on
    the normal ``segments`` with ``configs["moesaic"]``; their cost includes the pretraining's."""
    backbone = configs["moesaic"]
    assert isinstance(backbone, AnomalyConfig)
    start = time.perf_counter()
    reset_peak_rss()
    pretrained = pretrain_anomaly_model(segments, backbone)
    pretrain_seconds, pretrain_peak = time.perf_counter() - start, peak_rss_mb()
    for system in ctx.progress(SYSTEMS, title, total=len(SYSTEMS)):
        from_model = system in BACKBONE_SYSTEMS
        reset_peak_rss()
        runs, cost = run_system(system, configs[system], pretrained if from_model else None)
        if from_model:
            cost = cost._replace(
                train_seconds=(cost.train_seconds or 0.0) + pretrain_seconds,
                peak_rss_mb=max(cost.peak_rss_mb or 0.0, pretrain_peak),
            )
        yield system, runs, cost


def score_files(
    system: str,
    config: ScoringConfig,
    pretrained: AnomalyModel | None,
    files: Sequence[Series],
    fit: Callable[[BaseDetector, np.ndarray, Series], None],
) -> tuple[list[Detection], Cost]:
    """A new ``system`` detector per file, fitted by ``fit`` (detector, (T, C) values, series), then
    scoring the whole file; ``train_seconds`` leaves out any pretraining of ``pretrained``."""
    train_seconds, infer_seconds, steps = 0.0, 0.0, 0
    detections: list[Detection] = []
    detector: BaseDetector | None = None
    for series in files:
        values = series_values(series)
        start = time.perf_counter()
        detector = detector_for(system, config, pretrained)
        fit(detector, values, series)
        middle = time.perf_counter()
        detections.append(detector.predict(values))
        infer_seconds += time.perf_counter() - middle
        train_seconds += middle - start
        steps += len(values)
    assert detector is not None
    total, active = detector.parameter_count()
    return detections, Cost(total, active, train_seconds, 1000.0 * infer_seconds / steps, peak_rss_mb())
