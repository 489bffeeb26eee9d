"""Turning evidence into option scores: yes/no, nearest number, named terms, named series.

A solver measures something about the series and hands the measurement to one of these
helpers, which rate every option of the :class:`~moesaic.reports.exam.parse.Intent`; the
option with the highest score is the answer. Scores are comparable only within a question.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.rules import stated_polarities

UNSUPPORTED = -1e9  # the score of an option the evidence says nothing about
# On a support scale (every understood option scored in [0, 1]), an understood option at or
# below this is rejected by the evidence.
REJECTED = 0.05
# The score an option the solver could not read gets when the evidence rejects every option it
# did read: an unread claim may be true, a rejected one is not.
UNREAD = 0.1


class Verdict(NamedTuple):
    scores: tuple[float, ...]  # one per option, higher is better
    rationale: str  # the measurements behind the scores, for a reader


Solver = Callable[[Intent, Sequence[np.ndarray]], Verdict]


def bic(sse: float, n: int, params: int, floor: float) -> float:
    """Bayesian information criterion of a Gaussian fit; ``floor`` keeps exact fits finite."""
    return n * math.log(max(sse / n, floor)) + params * math.log(n)


def yes_no(
    intent: Intent,
    p_yes: float,
    rationale: str,
    *,
    reasons: Mapping[str, float] | None = None,
) -> Verdict:
    """Score "Yes"/"No" options by ``p_yes``; an option that gives a reason adds its weight.

    ``reasons`` maps a term (say "mean") to how well the evidence supports that reason for the
    answer, in [0, 1]; a "No, the mean is different" option then scores
    (1 - p_yes) * reasons["mean"]. Options without a polarity are scored by their reasons only.
    """
    scores = []
    for choice, polarity in zip(intent.choices, stated_polarities(intent.choices), strict=True):
        weight = _reason_weight(choice, reasons)
        if polarity == 1:
            scores.append(p_yes * weight)
        elif polarity == -1:
            scores.append((1.0 - p_yes) * weight)
        elif reasons and any(t in reasons for t in choice.terms):
            scores.append(weight)
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), rationale)


def _reason_weight(choice: Choice, reasons: Mapping[str, float] | None) -> float:
    if not reasons:
        return 1.0
    weights = [reasons[t] for t in choice.terms if t in reasons]
    return float(np.mean(weights)) if weights else 1.0


# A numeric option names the measured value when within this share of it; when none does, an
# option denying them all ("None of these") wins.
NUMBER_TOLERANCE = 0.15


def nearest_number(intent: Intent, value: float, rationale: str, *, log_scale: bool = False) -> Verdict:
    """Score numeric options by closeness to ``value`` (relative when ``log_scale``); an option
    without a number that denies the others scores as an option :data:`NUMBER_TOLERANCE` away."""
    scores = []
    for choice in intent.choices:
        if choice.number is None:
            scores.append(UNSUPPORTED)
        elif log_scale:
            scores.append(-abs(math.log(max(abs(choice.number), 1e-9)) - math.log(max(abs(value), 1e-9))))
        else:
            scores.append(-abs(choice.number - value))
    edge = math.log1p(NUMBER_TOLERANCE) if log_scale else NUMBER_TOLERANCE * abs(value)
    denied = [-edge if c.denies else UNSUPPORTED for c in intent.choices]
    scores = [d if s == UNSUPPORTED else s for s, d in zip(scores, denied, strict=True)]
    return Verdict(tuple(scores), rationale)


def by_terms(intent: Intent, support: Mapping[str, float], rationale: str) -> Verdict:
    """Score each option by the mean support of the terms it names (unknown terms are ignored)."""
    scores = []
    for choice in intent.choices:
        weights = [support[t] for t in choice.terms if t in support]
        scores.append(float(np.mean(weights)) if weights else UNSUPPORTED)
    return Verdict(tuple(scores), rationale)


def by_series(intent: Intent, values: Mapping[int, float], rationale: str) -> Verdict:
    """Score options that name one series ("Time series 2") by that series' value."""
    scores = []
    for choice in intent.choices:
        named = [values[s] for s in choice.series() if s in values]
        scores.append(float(named[0]) if len(named) == 1 else UNSUPPORTED)
    return Verdict(tuple(scores), rationale)


def by_place(intent: Intent, where: float, steps: int) -> tuple[float, ...]:
    """Scores of options that name a place ("the first third", "the middle", "the second half")
    or a step for something found at ``where``, a share of the length of ``steps`` steps."""
    support = {
        "beginning": float(where < 1 / 3),
        "middle": float(1 / 3 <= where <= 2 / 3),
        "end": float(where > 2 / 3),
        "first_half": float(where < 0.5),
        "second_half": float(where >= 0.5),
    }
    scores = []
    for choice in intent.choices:
        named = [support[t] for t in choice.terms if t in support]
        if named:
            scores.append(float(np.mean(named)))
        elif choice.number is not None:
            scores.append(max(0.0, 1.0 - abs(choice.number - where * steps) / steps))
        else:
            scores.append(UNSUPPORTED)
    return tuple(scores)


def by_model(intent: Intent, fit: Callable[[Choice], float | None], rationale: str) -> Verdict:
    """Score each option by ``-fit(choice)`` where ``fit`` returns a criterion (lower is better)."""
    scores = []
    for choice in intent.choices:
        value = fit(choice)
        scores.append(UNSUPPORTED if value is None else -float(value))
    return Verdict(tuple(scores), rationale)


def settle(intent: Intent, verdict: Verdict) -> Verdict:
    """Give "None of the above" / "Neither ..." options and unread options their due.

    A solver scores the options it understands; the rest get :data:`UNSUPPORTED`. On a support
    scale, a denial option ("None of the above", "Neither series ...") scores one minus the best
    understood option, so it wins exactly when the evidence rejects every claim; an unread
    claim scores :data:`UNREAD`, above a rejected one.
    """
    read = [s for s, c in zip(verdict.scores, intent.choices, strict=True) if s != UNSUPPORTED]
    if not read or not all(0.0 <= s <= 1.0 for s in read):
        return verdict
    best = max(read)
    scores = []
    for score, choice in zip(verdict.scores, intent.choices, strict=True):
        if score == UNSUPPORTED and choice.denies:
            score = 1.0 - best
        elif score == UNSUPPORTED and best <= REJECTED:
            score = UNREAD
        scores.append(score)
    return Verdict(tuple(scores), verdict.rationale)


def invert(verdict: Verdict) -> Verdict:
    """The scores of the opposite claim, for "Which ... is NOT ...?" questions: the option the
    evidence supports least wins. Unread options stay unread."""
    read = [s for s in verdict.scores if s != UNSUPPORTED]
    flip = (lambda s: 1.0 - s) if all(0.0 <= s <= 1.0 for s in read) else (lambda s: -s)
    scores = tuple(s if s == UNSUPPORTED else flip(s) for s in verdict.scores)
    return Verdict(scores, verdict.rationale + "; the question asks for the option that does not hold")


def abstain(intent: Intent, rationale: str) -> Verdict:
    """Every option alike: the solver found nothing to go on."""
    return Verdict(tuple(0.0 for _ in intent.choices), rationale)
