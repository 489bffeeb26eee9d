"""Solvers for changes at one unknown step: is there a break in the mean, where is it, where
does the behaviour (the mean or the spread) change, and does the trend's slope change.

The mean and the slope are read by one test: a line is fitted, then one extra regressor (a
step for a shift in the mean, a hinge for a change of slope) is tried at every step of the
middle 70% of the series; the largest F statistic is compared with Andrews' (1993) 5% critical
value of this supremum, after shrinking it by the long-run variance factor of the residual's
lag-1 autocorrelation (a persistent series wanders without breaking). The spread is read by
:func:`moesaic.reports.exam.trend.variance_change`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.stats import as_float, autocorrelation
from moesaic.reports.exam.trend import variance_change
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict, by_place, yes_no
from moesaic.reports.exam.waves import nuisance_basis

# Andrews' 5% critical value of sup-F for one tested coefficient, 15% trimmed at each end.
SUP_F_CRITICAL = 8.85
TRIM = 0.15


class ChangeTest(NamedTuple):
    at: int  # first step of the changed regime
    f: float  # the largest F statistic, after the autocorrelation correction
    rho: float  # lag-1 autocorrelation of the residual of the best model

    def significant(self) -> bool:
        return self.f > SUP_F_CRITICAL

    def describe(self, what: str) -> str:
        return (
            f"sup-F of a {what} at step {self.at}: {self.f:.1f} (5% critical {SUP_F_CRITICAL}; "
            f"residual lag-1 autocorrelation {self.rho:.2f})"
        )


def change_test(x: np.ndarray, kind: str) -> ChangeTest:
    """The best single change of ``kind`` ("step" in the mean, "hinge" in the slope) over a line."""
    x = as_float(x)
    n = x.size
    q = nuisance_basis(n, "line")  # (T, 2)
    t = np.arange(n, dtype=np.float64)
    candidates = np.arange(max(int(TRIM * n), 2), min(int((1 - TRIM) * n), n - 2) + 1)
    if kind == "step":
        columns = (t[None, :] >= candidates[:, None]).astype(np.float64)  # (K, T)
    else:
        columns = np.maximum(t[None, :] - candidates[:, None], 0.0)
    columns = columns - (columns @ q) @ q.T  # the part of each regressor the line does not explain
    residual = x - q @ (q.T @ x)
    norms = np.maximum(np.einsum("kt,kt->k", columns, columns), 1e-300)
    gains = (columns @ residual) ** 2 / norms  # (K,) drop of the residual sum of squares
    best = int(np.argmax(gains))
    rest = residual - columns[best] * (columns[best] @ residual) / norms[best]
    sigma2 = max(float(rest @ rest) / max(n - 4, 1), 1e-300)
    rho = float(np.clip(autocorrelation(rest, 1)[1], 0.0, 0.95))
    f = float(gains[best] / sigma2) * (1 - rho) / (1 + rho)
    return ChangeTest(int(candidates[best]), f, rho)


def break_presence(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Yes when a permanent shift of the mean beats the line by the sup-F test."""
    test = change_test(series[0], "step")
    return yes_no(intent, float(test.significant()), test.describe("shift in the mean"))


def break_direction(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """ "A step up", "a step down" or "no step": the sup-F test, then the side the mean moved to."""
    x = as_float(series[0])
    test = change_test(x, "step")
    found = test.significant()
    rise = float(np.median(x[test.at :]) - np.median(x[: test.at])) > 0 if 0 < test.at < x.size else False
    scores = []
    for choice in intent.choices:
        if choice.denies:
            scores.append(float(not found))
        elif choice.has("up") or choice.has("down"):
            scores.append(float(found and choice.has("up") == rise))
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), test.describe("shift in the mean"))


def change_location(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Where the mean shifts: the step of the best split over a line."""
    x = as_float(series[0])
    test = change_test(x, "step")
    return Verdict(by_place(intent, test.at / x.size, x.size), test.describe("shift in the mean"))


# An option that says nothing changes.
_NO_CHANGE = re.compile(
    r"\b(does|did) not change|\b(doesn|didn)'?t change|\bno (change|shift)|\bunchang"
    r"|\bnowhere|\bnever\b|\bstays?\b"
)


def behaviour_location(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Where the behaviour changes: the split of a change of spread when there is one (it alters
    the look of a series most), else of a significant shift in the mean, else nowhere (the
    options that deny a change)."""
    x = as_float(series[0])
    spread = variance_change(x)
    step = change_test(x, "step")
    denied = [_NO_CHANGE.search(c.text.lower()) is not None for c in intent.choices]
    if spread.found and spread.at is not None:
        at, text = spread.at, spread.text
    elif step.significant():
        at, text = step.at, step.describe("shift in the mean")
    else:
        text = f"no change: {spread.text}; {step.describe('shift in the mean')}"
        return Verdict(tuple(map(float, denied)), text)
    places = by_place(intent, at / x.size, x.size)
    return Verdict(tuple(0.0 if no else p for no, p in zip(denied, places, strict=True)), text)


# What a claim about the slope says: it changes, or it holds.
_CHANGES = re.compile(
    r"\bchang|\bdiffer|\bbreak|\bbend|\bkink|\bsteeper|\bflatter|\bshift|\baccelerat|\bdecelerat|\btwo\b"
)
_HOLDS = re.compile(r"\bsame\b|\bconstant|\bunchanged|\bsteady|\bsingle|\bone (straight )?line|\bstays?\b")


def claims_change(text: str) -> bool | None:
    """True for "the slope changes", False for "the slope stays the same", None for neither;
    the first of the two words decides ("a single line, no change" holds)."""
    low = text.lower()
    change, hold = _CHANGES.search(low), _HOLDS.search(low)
    if change is None and hold is None:
        return None
    if change is None or hold is None:
        return hold is None
    return change.start() < hold.start()


def slope_change(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Does the slope change at one step (a hinge over a line, by sup-F)?"""
    test = change_test(series[0], "hinge")
    p_change = float(test.significant())
    rationale = test.describe("change of slope")
    if any(c.polarity is not None for c in intent.choices):
        asks_change = claims_change(intent.question)
        return yes_no(intent, p_change if asks_change is not False else 1.0 - p_change, rationale)
    return Verdict(tuple(_slope_score(c, p_change) for c in intent.choices), rationale)


def _slope_score(choice: Choice, p_change: float) -> float:
    claim = claims_change(choice.text)
    if claim is None:
        return UNSUPPORTED
    return p_change if claim else 1.0 - p_change


SOLVERS: dict[str, Solver] = {
    "break_presence": break_presence,
    "break_direction": break_direction,
    "change_location": change_location,
    "behaviour_location": behaviour_location,
    "slope_change": slope_change,
}
