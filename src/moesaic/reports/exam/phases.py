"""Solvers for the rhythm of two series: do they cycle at the same frequency, and are they in
phase (peaking together) or in anti-phase (one peaks when the other troughs)?"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.stats import as_float, dominant_period, fit_line
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict

# Two dominant frequencies differ when they are further apart than the spectral resolution
# (one cycle over the series) and than this share of the faster one.
FREQUENCY_TOLERANCE = 0.1

_SAME = re.compile(r"\bsame\b|\bequal|\bidentical|\bmatch|\bshare")
_DIFFERENT = re.compile(r"\bdiffer|\bdistinct|\bunequal|\bnot the same\b|\bfaster|\bslower|\bhigher|\blower")


def claims_same(text: str) -> bool | None:
    """True for "the same frequency", False for "different frequencies", None for neither."""
    low = text.lower()
    different, same = _DIFFERENT.search(low), _SAME.search(low)
    if different is not None:
        return False
    return True if same is not None else None


def frequency_same(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Same or different dominant frequency of the two series."""
    a, b = (as_float(s) for s in series[:2])
    pa, pb = dominant_period(a).period, dominant_period(b).period
    fa, fb = 1.0 / pa, 1.0 / pb
    tolerance = max(1.0 / min(a.size, b.size), FREQUENCY_TOLERANCE * max(fa, fb))
    same = float(abs(fa - fb) <= tolerance)
    asked = claims_same(intent.question)
    scores = [_claim_score(c, claims_same, asked, same) for c in intent.choices]
    return Verdict(
        tuple(scores),
        f"dominant periods {pa:.1f} and {pb:.1f} steps "
        f"(frequencies {fa:.4f}, {fb:.4f}; same within {tolerance:.4f})",
    )


_ANTI = re.compile(
    r"anti[- ]?phase|opposite|out of phase|180|half an? (cycle|period)|mirror|inverse|invert"
    r"|(one|each) peaks? when the other (troughs?|bottoms?|dips?)"
)
_IN = re.compile(
    r"\bin[- ]phase|together|synchron|same phase|line up|lined up|aligned|coincid|same time|in step"
)


def claims_in_phase(text: str) -> bool | None:
    """True for "in phase", False for "anti-phase" (or "out of phase"), None for neither."""
    low = text.lower()
    if _ANTI.search(low):
        return False
    return True if _IN.search(low) else None


def phase(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """In phase or anti-phase, by the correlation at lag 0 of the line-detrended series."""
    a, b = (fit_line(as_float(s)).residual for s in series[:2])
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    r = float(a @ b / max(float(np.sqrt((a @ a) * (b @ b))), 1e-300))
    in_phase = (1.0 + r) / 2.0
    asked = claims_in_phase(intent.question)
    scores = [_claim_score(c, claims_in_phase, asked, in_phase) for c in intent.choices]
    return Verdict(tuple(scores), f"correlation at lag 0 of the detrended series {r:.2f}")


def _claim_score(
    choice: Choice, read: Callable[[str], bool | None], asked: bool | None, p_claim: float
) -> float:
    """The support of an option that makes the claim (read by ``read``) or its opposite; a
    Yes/No answers the claim the question asks about (the first reading when it names none)."""
    claim = read(choice.text)
    if choice.polarity is not None and (claim is None or asked is not None):
        claim = asked is not False
        claim = claim if choice.polarity == 1 else not claim
    if claim is None:
        return UNSUPPORTED
    return p_claim if claim else 1.0 - p_claim


SOLVERS: dict[str, Solver] = {"frequency_same": frequency_same, "phase": phase}
