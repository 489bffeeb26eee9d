"""Synthetic checks behind the exam's anomaly-evidence figures in BENCHMARKS.md (2026-12-03).

Run from the repository root: ``python tests/data/exam_checks/checks.py``. Each check draws its
own series with a fixed seed, so the printed figures are those recorded in BENCHMARKS.md:

- ``flat``: noisy waves with and without an injected flat stretch (cutoffs found, false ones);
- ``heavy``: waves under heavy-tailed noise, no anomaly (false cutoffs, types read);
- ``place``: a stray stretch no detector names (where it is placed, by thirds);
- ``flip``: waves with and without a reversed stretch (flips found, types given to normal ones).
"""

from __future__ import annotations

import numpy as np

from moesaic.reports.exam.anomaly import cutoff_score, inspect

KINDS = ("sine", "saw", "square")


def wave(kind: str, t: np.ndarray) -> np.ndarray:
    """A unit wave of the given kind at phase ``t`` (in cycles)."""
    if kind == "sine":
        return np.sin(2 * np.pi * t)
    if kind == "saw":
        return 2 * (t % 1) - 1
    return np.where(t % 1 < 0.5, 1.0, -1.0)


def flat() -> str:
    rng = np.random.default_rng(7)
    false = found = named = total = 0
    for kind in KINDS:
        for period in (16, 24, 36, 50, 70):
            for noise in (0.0, 0.03, 0.06, 0.1):
                for _ in range(4):
                    n = int(rng.integers(200, 300))
                    x = wave(kind, np.arange(n) / period + rng.random()) + noise * rng.standard_normal(n)
                    total += 1
                    false += cutoff_score(x)[0] > 0.5
                    length = int(rng.integers(max(30, period // 2 + 5), max(31, int(1.2 * period) + 30)))
                    at = int(rng.integers(20, n - length - 20))
                    y = x.copy()
                    y[at : at + length] = rng.choice([-1.0, 1.0, 0.0]) + noise * rng.standard_normal(length)
                    found += cutoff_score(y)[0] > 0.5
                    named += inspect(y).best() == "cutoff"
    return (
        f"flat: normal series called a cutoff {false}/{total}; injected flat found {found}/{total}, "
        f"read as a cutoff {named}/{total}"
    )


def heavy() -> str:
    rng = np.random.default_rng(11)
    false, total, best = 0, 0, {}
    for kind in KINDS:
        for period in (16, 24, 36, 50, 70):
            for scale in (0.1, 0.3, 1.0):
                for trend in (0.0, 0.02):
                    n = int(rng.integers(128, 300))
                    x = wave(kind, np.arange(n) / period + rng.random()) + trend * np.arange(n)
                    x = x + scale * rng.standard_t(2, n)
                    total += 1
                    false += cutoff_score(x)[0] > 0.5
                    kind_read = inspect(x).best()
                    best[kind_read] = best.get(kind_read, 0) + 1
    return f"heavy: normal series called a cutoff {false}/{total}; types read {best}"


def place() -> str:
    rng = np.random.default_rng(31)
    right = middle = total = 0
    for kind in KINDS:
        for stray in ("speed", "wander", "amp"):
            for centre in (0.17, 0.5, 0.83):
                for _ in range(6):
                    n, period = int(rng.integers(128, 300)), rng.uniform(14, 40)
                    length = int(rng.uniform(1.2, 2.5) * period)
                    at = int(np.clip(centre * n - length / 2, 0, n - length))
                    steps = np.ones(n)
                    if stray == "speed":
                        steps[at : at + length] = rng.choice([0.7, 1.4])
                    x = wave(kind, np.cumsum(steps) / period + rng.random()) + 0.03 * rng.standard_normal(n)
                    x = x + rng.uniform(-0.01, 0.01) * np.arange(n)
                    if stray == "wander":
                        x[at : at + length] += np.sin(np.pi * np.arange(length) / length)
                    if stray == "amp":
                        x[at : at + length] *= 1.6
                    evidence = inspect(x)
                    if evidence.scores["none"] == 0.0:
                        continue  # a detector named it
                    total += 1
                    truth = min(range(3), key=lambda i: abs((0.17, 0.5, 0.83)[i] - (at + length / 2) / n))
                    middle += truth == 1
                    where = evidence.location()
                    right += where is not None and min(int(where * 3), 2) == truth
    return f"place: of {total} no detector named, the third right {right} (the middle alone {middle})"


def flip() -> str:
    rng = np.random.default_rng(41)
    typed = found = named = total = 0
    for kind in KINDS:
        for period in (12, 16, 20, 24, 32, 40):
            for noise in (0.0, 0.02, 0.05):
                for _ in range(4):
                    n = int(rng.integers(128, 300))
                    x = wave(kind, np.arange(n) / period + rng.random()) + noise * rng.standard_normal(n)
                    x = x + rng.choice([0, 0.02]) * np.arange(n)
                    total += 1
                    typed += inspect(x).best() not in ("none", "wander")
                    length = int(rng.uniform(0.6, 1.5) * period)
                    at = int(rng.integers(10, n - length - 10))
                    y = x.copy()
                    y[at : at + length] = x[at : at + length][::-1]
                    evidence = inspect(y)
                    found += evidence.scores["flip"] > 0.5
                    named += evidence.best() == "flip"
    return (
        f"flip: normal series given a type {typed}/{total}; reversed stretches flip > 0.5 "
        f"{found}/{total}, read as a flip {named}/{total}"
    )


if __name__ == "__main__":
    for check in (flat, heavy, place, flip):
        print(check(), flush=True)
