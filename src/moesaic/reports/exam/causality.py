"""Solvers for lead-lag questions about two series: shifted copies, lag size, Granger causality.

The exam's own phrasings follow its generator, checked on its questions: "series X is a lagged
version of series Y" means X[t] = Y[t + k] (X shows now what Y shows k steps later), and in a
"X granger causes Y" pair the effect Y at t is written from X's value at t and its next few
values. So the direction statistic regresses the effect on a window of the cause that runs
forward from t. Both are the reverse of the textbook sense, which every other wording keeps
(``Intent.textbook``: "X Granger-causes Y", "X leads Y", "X is a delayed copy of Y"); there the
direction found is read the other way round.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats as sps

from moesaic.reports.exam.pairs import pair
from moesaic.reports.exam.parse import SERIES_WORD, Intent
from moesaic.reports.exam.stats import lag_match
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict

# A shifted copy: Fisher z of the best-lag correlation times sqrt(overlap - 3) above this
# (about r = 0.85 over 90 shared steps; an exact copy scores far higher).
COPY_Z = 10.0
# Windows of the cause's values tested in the Granger regression, and the family-wise test
# level: the best of the windows in both directions is tested at GRANGER_P / (2 * windows)
# (Bonferroni), since taking the smallest of six p-values at the plain level finds a cause
# between two independent AR(1) series about one time in six.
GRANGER_WINDOWS = (3, 5, 9)
GRANGER_P = 0.05
_ASKED = re.compile(
    SERIES_WORD + r"\s*(\d)\b[^?]*?(?:version of|cop(?:y|ies) of|granger[\s-]?causes?|leads?|drives?"
    r"|precedes?|helps? (?:to )?predict|improves? (?:a )?forecast of)\s*(?:the\s+)?"
    + SERIES_WORD
    + r"\s*(\d)"
    r"|\bfrom\s+(?:the\s+)?" + SERIES_WORD + r"\s*(\d)\s+to\s+(?:the\s+)?" + SERIES_WORD + r"\s*(\d)"
)
# Denominator degrees of freedom below which a Granger regression carries no evidence.
MIN_DOF = 5


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
    if m is None:
        return None
    a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return (int(a), int(b))


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
    # series 2[t] = series 1[t + lag]: the exam calls series 2 the lagged one, the textbook series 1.
    lagged_one = 2 if copy.lag > 0 else 1
    if intent.textbook:
        lagged_one = 3 - lagged_one
    asked = asked_relation(intent)
    scores = []
    for choice in intent.choices:
        if choice.relation is not None:
            # "a leads b" (verb granger) names the series that is not the lagged one.
            first = choice.relation[0] if choice.relation[2] != "granger" else 3 - choice.relation[0]
            scores.append(float(is_copy and first == lagged_one))
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


class GrangerTest(NamedTuple):
    f: float
    p: float


def granger_window_f(cause: np.ndarray, effect: np.ndarray, width: int, own: int = 3) -> GrangerTest:
    """F statistic and p-value for adding cause[t .. t + width - 1] to an AR(own) model of effect[t]."""
    n = min(cause.size, effect.size)
    t = np.arange(own, n - width + 1)
    if t.size - (1 + own + width) < MIN_DOF:
        return GrangerTest(0.0, 1.0)  # too few steps for this window: no evidence either way
    base = np.column_stack([np.ones(t.size)] + [effect[t - i] for i in range(1, own + 1)])
    full = np.column_stack([base] + [cause[t + j] for j in range(width)])
    target = effect[t]
    rss0, rss1 = _rss(base, target), _rss(full, target)
    dof = t.size - full.shape[1]
    # Rounding error alone (a constant effect has nothing to explain): the cause explains
    # nothing the effect's own past does not.
    tolerance = 1e-9 * float(np.sum((target - target.mean()) ** 2)) + 1e-20 * float(target @ target) + 1e-300
    if rss0 - rss1 <= tolerance:
        return GrangerTest(0.0, 1.0)
    if rss1 <= tolerance:
        return GrangerTest(1e6, 0.0)  # an exact fit that needs the cause
    f = ((rss0 - rss1) / width) / (rss1 / dof)
    return GrangerTest(float(f), float(sps.f.sf(f, width, dof)))


def _rss(design: np.ndarray, target: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    r = target - design @ coef
    return float(r @ r)


# A question that asks which of the two series leads: each option names one, or denies both.
_WHICH_LEADS = re.compile(r"\bwhich\b[^?]*\b(leads?|ahead|reacts? first|first to react|precedes?)\b")


def _leader(intent: Intent, a: np.ndarray, b: np.ndarray) -> tuple[int, bool]:
    """The series that moves first when one is a shifted copy of the other (whatever the lag,
    which may lie beyond the Granger windows), in the question's sense, and whether one does."""
    copy = copy_strength(a, b)
    # series 2[t] = series 1[t + lag]: with lag > 0 series 2 shows first what series 1 shows later.
    leader = 2 if copy.lag > 0 else 1
    return (leader if intent.textbook else 3 - leader), bool(copy.z > COPY_Z and copy.lag != 0)


def granger(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    # The most significant window per direction.
    tests = {
        (1, 2): min((granger_window_f(a, b, w) for w in GRANGER_WINDOWS), key=lambda r: r[1]),
        (2, 1): min((granger_window_f(b, a, w) for w in GRANGER_WINDOWS), key=lambda r: r[1]),
    }
    level = GRANGER_P / (2 * len(GRANGER_WINDOWS))
    causal = min(p for _, p in tests.values()) < level
    direction = (1, 2) if tests[(1, 2)][0] >= tests[(2, 1)][0] else (2, 1)
    if intent.textbook:
        direction = (direction[1], direction[0])
    asked = asked_relation(intent)
    yes = causal and (asked is None or asked == direction)
    which = _WHICH_LEADS.search(intent.question) is not None
    leader, leads = _leader(intent, a, b) if which else (direction[0], causal)
    scores = []
    for choice in intent.choices:
        named = {index for index, _ in choice.subjects}
        if choice.relation is not None:
            scores.append(float(causal and choice.relation[:2] == direction))
        elif which and len(named) == 1:  # "Which one reacts first?" - "Sensor two"
            scores.append(float(leads and named == {leader}))
        elif which and choice.denies:  # "Neither is ahead"
            scores.append(float(not leads))
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
        f"F {tests[(2, 1)][0]:.2f} (p {tests[(2, 1)][1]:.3g}); causal at p < {level:.3g}"
    )
    if intent.textbook:
        text += f" (the exam's sense; in the question's textbook sense {direction[0]} -> {direction[1]})"
    return Verdict(tuple(scores), text)


SOLVERS: dict[str, Solver] = {"lag_steps": lag_steps, "lagged": lagged, "granger": granger}
