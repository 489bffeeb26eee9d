"""Collect every member's calibrated scores on SKAB's 12 validation files (see README.md).

Usage: ``python collect.py OUTDIR [SEED ...]`` (default seeds 0 1 2). For each seed the backbone is
pretrained as ``moesaic bench anomaly`` does (300 steps on the normal segments); for each smoothing
of the study, each validation file gets one consensus of all five members, fitted on its first 400
rows. Saved per seed and smoothing (``OUTDIR/seed{S}_smooth{M}.npz``): for each file, the members'
scores in units of their own calibration quantile on the training rows alone (``calib_i``, (M, 400))
and on the whole file (``score_i``, (M, T)), and the file's labels (``labels_i``). Only the labels
of the validation files are read. With the suite's smoothing (5), the current consensus is also
fitted on the first validation file and its alarms saved (``check_alarm``), for ``choose.py`` to
check that it reproduces the detector.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

from moesaic.data.registry import load_dataset
from moesaic.eval.suites.anomaly import (
    CONSENSUS_REPAIR,
    FULL_FINETUNE,
    FULL_STEPS,
    SCORING,
    SCORING_CONSENSUS,
    SKAB_FIT_ROWS,
    is_validation_file,
)
from moesaic.eval.suites.anomaly_runs import series_values
from moesaic.tasks.anomaly import AnomalyConfig, pretrain_anomaly_model
from moesaic.tasks.detectors_consensus import ConsensusConfig, ConsensusDetector, _unit

MEMBERS = ("moesaic", "ar", "kmeans", "zscore", "pca")
SMOOTHINGS = (5, 10, 20)


def backbone_config(seed: int) -> AnomalyConfig:
    """The suite's backbone config on SKAB (``_configs`` of the anomaly suite, full protocol)."""
    base = AnomalyConfig(**SCORING["skab"], seed=seed)
    train = dataclasses.replace(base.train, max_steps=FULL_STEPS, seed=seed)
    return dataclasses.replace(base, finetune_steps=FULL_FINETUNE, train=train)


def main(out: Path, seeds: list[int]) -> None:
    root = Path(os.environ.get("MOESAIC_DATA", "/work/shared/data"))
    data = load_dataset("skab", root)
    files = [s for s in data.series if s.meta["folder"] != "anomaly-free"]
    free = [s for s in data.series if s.meta["folder"] == "anomaly-free"]
    segments = [series_values(s) for s in free] + [series_values(s)[:SKAB_FIT_ROWS] for s in files]
    chosen = [(i, s) for i, s in enumerate(files) if is_validation_file(i)]
    out.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        start = time.perf_counter()
        backbone = backbone_config(seed)
        pretrained = pretrain_anomaly_model(segments, backbone)
        member = dataclasses.replace(backbone, repair=CONSENSUS_REPAIR["skab"])
        for smooth in SMOOTHINGS:
            config = ConsensusConfig(
                smooth=smooth,
                quantile=0.99,
                factor=1.0,
                min_run=1,
                members=MEMBERS,
                seed=seed,
                backbone=member,
            )
            arrays: dict[str, np.ndarray] = {}
            for i, series in chosen:
                values = series_values(series)
                detector = ConsensusDetector(config, pretrained=pretrained).fit(
                    values[:SKAB_FIT_ROWS], channels=series.channels
                )
                fitted = list(detector.members_.values())
                arrays[f"calib_{i}"] = np.stack(
                    [m.score(values[:SKAB_FIT_ROWS]).score / _unit(m) for m in fitted]
                )
                arrays[f"score_{i}"] = np.stack([m.score(values).score / _unit(m) for m in fitted])
                arrays[f"labels_{i}"] = series.labels["anomaly"].astype(bool)
            if smooth == SCORING_CONSENSUS["skab"]["smooth"]:  # the current consensus, for choose.py's check
                i, series = chosen[0]
                current = ConsensusConfig(**SCORING_CONSENSUS["skab"], seed=seed, backbone=member)
                values = series_values(series)
                detector = ConsensusDetector(current, pretrained=pretrained)
                detector.fit(values[:SKAB_FIT_ROWS], channels=series.channels)
                arrays["check_alarm"] = detector.predict(values).alarm
            np.savez(out / f"seed{seed}_smooth{smooth}.npz", **arrays)
            print(
                f"seed {seed} smooth {smooth}: {len(chosen)} files, {time.perf_counter() - start:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]), [int(s) for s in sys.argv[2:]] or [0, 1, 2])
