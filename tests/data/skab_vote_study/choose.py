"""Score every setting of the study on the validation files and apply ``rule.txt`` (see README.md).

Usage: ``python choose.py OUTDIR`` after ``collect.py OUTDIR`` (seeds 0 1 2). Prints the current
setting's figures, the best settings per aggregate and the rule's decision. Reads only the
validation files' scores and labels that ``collect.py`` saved.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from moesaic.eval import metrics
from moesaic.eval.suites.anomaly import SKAB_FIT_ROWS
from moesaic.tasks.detectors_pipeline import alarm_runs, settled

MEMBERS = ("moesaic", "ar", "kmeans", "zscore", "pca")  # the order collect.py saved them in
SMOOTHINGS = (5, 10, 20)
FACTORS = (1.0, 1.25, 1.5, 2.0)
RUNS = (20, 30, 45, 60)
AGGREGATES = ("min", "second", "mean")
SEEDS = (0, 1, 2)
FAR_BOUND, MARGIN = 13.55, 0.010
CURRENT = (("moesaic", "ar", "kmeans"), "min", 5, 1.25, 20, True)
QUANTILE = 0.99


def aggregate(scores: np.ndarray, how: str) -> np.ndarray:
    """(T,) consensus of the (M, T) member scores: smallest, second-smallest or mean."""
    if how == "min":
        return scores.min(axis=0)
    if how == "second":
        return np.sort(scores, axis=0)[1]
    return scores.mean(axis=0)


def alarms(
    calib: np.ndarray, score: np.ndarray, how: str, smooth: int, factor: float, run: int, back: bool
) -> np.ndarray:
    """The consensus detector's alarms on the whole file, as ConsensusDetector.predict gives them."""
    cal = aggregate(calib, how)[settled(calib.shape[1], smooth)]
    threshold = metrics.threshold_from_scores(cal, quantile=QUANTILE) * factor
    above = aggregate(score, how) > threshold
    above[: smooth - 1] = False
    return alarm_runs(above, run, backdate=back)


def main(out: Path) -> None:
    loaded = {
        (seed, smooth): np.load(out / f"seed{seed}_smooth{smooth}.npz")
        for seed in SEEDS
        for smooth in SMOOTHINGS
    }
    for seed in SEEDS:  # the replication must give the detector's own alarms
        data = loaded[(seed, CURRENT[2])]
        first = min(int(k.split("_")[1]) for k in data.files if k.startswith("labels_"))
        rows = [MEMBERS.index(m) for m in CURRENT[0]]
        mine = alarms(data[f"calib_{first}"][rows], data[f"score_{first}"][rows], *CURRENT[1:])
        assert np.array_equal(mine, data["check_alarm"]), (
            f"seed {seed}: replication differs from the detector"
        )
    panels = [p for n in range(2, 6) for p in itertools.combinations(MEMBERS, n) if p[0] == "moesaic"]
    results: dict[tuple, tuple[float, float]] = {}
    for panel, how, smooth, factor, run, back in itertools.product(
        panels, AGGREGATES, SMOOTHINGS, FACTORS, RUNS, (True, False)
    ):
        rows = [MEMBERS.index(m) for m in panel]
        f1s, fars = [], []
        for seed in SEEDS:
            data = loaded[(seed, smooth)]
            files = sorted(int(k.split("_")[1]) for k in data.files if k.startswith("labels_"))
            labels, alarm = [], []
            for i in files:
                full = alarms(
                    data[f"calib_{i}"][rows], data[f"score_{i}"][rows], how, smooth, factor, run, back
                )
                labels.append(data[f"labels_{i}"][SKAB_FIT_ROWS:])
                alarm.append(full[SKAB_FIT_ROWS:])
            y, a = np.concatenate(labels), np.concatenate(alarm)
            f1s.append(metrics.point_f1(y, a))
            fars.append(100.0 * metrics.false_alarm_rate(y, a))
        results[(panel, how, smooth, factor, run, back)] = (float(np.mean(f1s)), float(np.mean(fars)))
    current = results[CURRENT]
    print(f"current {CURRENT}: F1 {current[0]:.4f} FAR {current[1]:.2f}")
    allowed = {k: v for k, v in results.items() if v[1] <= FAR_BOUND}
    for how in AGGREGATES:
        mine = [k for k in results if k[1] == how]
        lowest = min(mine, key=lambda k: results[k][1])
        print(f"{how}: {sum(k in allowed for k in mine)} of {len(mine)} settings within the FAR bound; "
              f"lowest FAR {results[lowest][1]:.2f} (F1 {results[lowest][0]:.4f})")  # fmt: skip
        best = sorted((k for k in allowed if k[1] == how), key=lambda k: (-allowed[k][0], allowed[k][1]))[:5]
        for k in best:
            print(f"  {how:6s} {'+'.join(k[0]):32s} smooth {k[2]:2d} factor {k[3]:4.2f} run {k[4]:2d} "
                  f"back {k[5]!s:5s} F1 {allowed[k][0]:.4f} FAR {allowed[k][1]:.2f}")  # fmt: skip
    chosen = min(allowed, key=lambda k: (-allowed[k][0], allowed[k][1]))
    gain = allowed[chosen][0] - current[0]
    verdict = "adopt" if gain >= MARGIN else "keep the current setting"
    print(
        f"chosen {chosen}: F1 {allowed[chosen][0]:.4f} FAR {allowed[chosen][1]:.2f}, "
        f"gain {gain:+.4f} -> {verdict}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
