"""Solvers for lead-lag questions about two series: shifted copies, lag size, Granger causality.

Both follow the exam's own convention, checked on its questions: "series X is a lagged version
of series Y" means X[t] = Y[t + k] (X shows now what Y shows k steps later), and in a Granger
pair the effect at t is written from the cause's value at t and its next few values. So the
direction statistic regresses the effect on a window of the cause that runs forward from t,
where the textbook test (:func:`moesaic.reports.exam.stats.granger_f`) looks back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats as sps

from moesaic.reports.exam.pairs import pair
from moesaic.reports.exam.parse import Intent
from moesaic.reports.exam.stats import lag_match
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict

# A shifted copy: Fisher z of the best-lag correlation times sqrt(overlap - 3) above this
# (about r = 0.85 over 90 shared steps; an exact copy scores far higher).
COPY_Z = 10.0
# Windows of the cause's values tested in the Granger regression, and the test level.
GRANGER_WINDOWS = (3, 5, 9)
GRANGER_P = 0.05
_ASKED = re.compile(
    r"series\s*(\d)\b[^?]*?(?:version of|granger[\s-]?causes?)\s*(?:the\s+)?(?:time\s*)?series\s*(\d)"
)


class Copy(NamedTuple):
    lag: int  # > 0: series2[t] = series1[t + lag]
    correlation: float
    z: float  # Fisher z times sqrt(overlap - 3)


def copy_strength(a: np.ndarray, b: np.ndarray) -> Copy:
    """The best shifted match of ``b`` against ``a`` and how strong it is."""
    n = min(a.size, b.size)
    match = lag_match(a, b, max_lag=int(n * 0.66))
    if match.correlation < -1.0:
        return Copy(0, 0.0, 0.0)  # no shift had a correlation (a constant series): no copy
    overlap = n - abs(match.lag)
    z = math.atanh(min(match.correlation, 0.999999)) * math.sqrt(max(overlap - 3, 1))
    return Copy(match.lag, match.correlation, z)


def asked_relation(intent: Intent) -> tuple[int, int] | None:
    """(a, b) when the question asks "is series a ... (a version of | granger cause) series b"."""
    m = _ASKED.search(intent.question)
    return (int(m.group(1)), int(m.group(2))) if m else None


def lag_steps(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    copy = copy_strength(*pair(series))
    steps = abs(copy.lag)
    scores = []
    for choice in intent.choices:
        if choice.interval is not None:
            low, high = choice.interval
            scores.append(-max(low - steps, steps - high, 0.0))
        elif choice.number is not None:
            scores.append(-abs(choice.number - steps))
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), f"best shift {steps} steps (correlation {copy.correlation:.3f})")


def lagged(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Is one series a shifted copy of the other, and which one is the lagged version?"""
    copy = copy_strength(*pair(series))
    is_copy = copy.z > COPY_Z
    lagged_one = 2 if copy.lag > 0 else 1
    asked = asked_relation(intent)
    scores = []
    for choice in intent.choices:
        if choice.relation is not None:
            scores.append(float(is_copy and choice.relation[0] == lagged_one))
        elif choice.polarity == 1:
            scores.append(float(is_copy and (asked is None or asked[0] == lagged_one)))
        elif choice.polarity == -1:
            scores.append(float(not is_copy))
        else:
            scores.append(UNSUPPORTED)
    return Verdict(
        tuple(scores),
        f"best shift {copy.lag} (series 2 vs 1), correlation {copy.correlation:.3f}, z {copy.z:.1f} "
        f"(a copy above {COPY_Z})",
    )


def granger_window_f(cause: np.ndarray, effect: np.ndarray, width: int, own: int = 3) -> tuple[float, float]:
    """F statistic and p-value for adding cause[t .. t + width - 1] to an AR(own) model of effect[t]."""
    n = min(cause.size, effect.size)
    t = np.arange(own, n - width + 1)
    base = np.column_stack([np.ones(t.size)] + [effect[t - i] for i in range(1, own + 1)])
    full = np.column_stack([base] + [cause[t + j] for j in range(width)])
    rss0, rss1 = _rss(base, effect[t]), _rss(full, effect[t])
    dof = t.size - full.shape[1]
    if rss1 <= 1e-300 or dof <= 0:
        return (0.0, 1.0) if rss0 <= 1e-300 else (1e6, 0.0)
    f = ((rss0 - rss1) / width) / (rss1 / dof)
    return float(f), float(sps.f.sf(f, width, dof))


def _rss(design: np.ndarray, target: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    r = target - design @ coef
    return float(r @ r)


def granger(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    # The most significant window per direction.
    tests = {
        (1, 2): min((granger_window_f(a, b, w) for w in GRANGER_WINDOWS), key=lambda r: r[1]),
        (2, 1): min((granger_window_f(b, a, w) for w in GRANGER_WINDOWS), key=lambda r: r[1]),
    }
    causal = min(p for _, p in tests.values()) < GRANGER_P
    direction = (1, 2) if tests[(1, 2)][0] >= tests[(2, 1)][0] else (2, 1)
    asked = asked_relation(intent)
    yes = causal and (asked is None or asked == direction)
    scores = []
    for choice in intent.choices:
        if choice.relation is not None:
            scores.append(float(causal and choice.relation[:2] == direction))
        elif choice.polarity == 1:
            scores.append(float(yes))
        elif choice.polarity == -1:
            # A bare "No" to "does 1 cause 2?" is right when nothing causes anything, and also
            # when the causality runs the other way; "No, they are not ..." only in the first case.
            plain = choice.text.strip().lower().rstrip(".") == "no"
            scores.append(float(not yes) if plain else float(not causal))
        else:
            scores.append(UNSUPPORTED)
    text = (
        f"series 1 -> 2: F {tests[(1, 2)][0]:.2f} (p {tests[(1, 2)][1]:.3g}); series 2 -> 1: "
        f"F {tests[(2, 1)][0]:.2f} (p {tests[(2, 1)][1]:.3g}); causal at p < {GRANGER_P}"
    )
    return Verdict(tuple(scores), text)


SOLVERS: dict[str, Solver] = {"lag_steps": lag_steps, "lagged": lagged, "granger": granger}
