"""Solvers for anomaly questions, on the evidence of :mod:`moesaic.reports.exam.anomaly`.

These solvers get the series with their missing steps (NaN) unfilled: anomaly scores and
positions come from observed steps only, a gap is never itself an anomaly, and the rationale
says where a gap lies next to the anomaly found, or could hide one when none was seen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from moesaic.reports.exam.anomaly import (
    ANOMALIES,
    FLAT_STEPS,
    AnomalyEvidence,
    break_evidence,
    flat_runs,
    inspect,
    jumps,
)
from moesaic.reports.exam.gaps import describe, fill_gaps, spans_near
from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.stats import as_float, robust_scale, smooth
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict, by_model, by_place, by_terms
from moesaic.reports.exam.waves import TRENDS, WAVES, best_wave, trend_shapes

# A level shift: the median after a jump stays this many robust spreads away from before it.
SHIFT_SPREADS = 2.0
KINDS = (*ANOMALIES, "level_shift")


def _types(terms: Sequence[str]) -> list[str]:
    return [t for t in terms if t in KINDS]


def level_shift_score(x: np.ndarray) -> float:
    """1.0 when a jump moves the level for good (a spike comes back, a cutoff goes flat)."""
    width = max(x.size // 10, 5)
    for j in jumps(x):
        before, after = x[max(j - width, 0) : j], x[j : j + width]
        if before.size < 3 or after.size < 3:
            continue
        shift = abs(float(np.median(after) - np.median(before)))
        if shift > SHIFT_SPREADS * max(robust_scale(before), robust_scale(after)):
            return 1.0
    return 0.0


def _with_level_shift(x: np.ndarray, evidence: AnomalyEvidence) -> AnomalyEvidence:
    scores = dict(evidence.scores)
    shift = level_shift_score(x) * (1.0 - max(scores["cutoff"], scores["flip"]))
    scores["level_shift"] = shift
    scores["none"] = min(scores["none"], 1.0 - shift)
    return evidence._replace(scores=scores)


def anomaly(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Presence and type of anomalies, in one series or in each of two."""
    evidence = [_with_level_shift(fill_gaps(as_float(s)), inspect(as_float(s))) for s in series]
    lengths = [len(s) for s in series]
    if len(series) == 2 and lengths[0] != lengths[1]:
        # Two series of the same pattern but different lengths: a stretch of the longer one
        # was played slower (a speed change is the only anomaly that changes the length).
        longer = int(np.argmax(lengths))
        stretched = dict(evidence[longer].scores)
        stretched["speed"], stretched["none"] = max(stretched["speed"], 0.9), 0.0
        evidence[longer] = evidence[longer]._replace(scores=stretched)
    worst = [max(e.scores[k] for k in KINDS) for e in evidence]
    scores = [_choice_score(choice, evidence, worst) for choice in intent.choices]
    text = " | ".join(f"series {i + 1}: {e.rationale}{_unseen(e)}" for i, e in enumerate(evidence))
    if len(series) == 1 and "spike" in evidence[0].where:
        scores, sign = _spike_direction(intent, scores, fill_gaps(as_float(series[0])), evidence[0])
        text += f"; the single-point anomaly lies {'above' if sign > 0 else 'below'} its neighbours"
    return Verdict(tuple(scores), text)


# Options that name the direction of a one-point anomaly: "Spike" / "Dip", "far too high" / "far
# too low", "a brief jump up" / "a brief drop down".
_UPWARD = re.compile(r"\bspikes?\b|\bjumps? up\b|\btoo high\b|\bupward spike")
_DOWNWARD = re.compile(r"\bdips?\b|\bdrops? down\b|\btoo low\b|\bdownward spike|\bplunges?\b")


def _spike_direction(
    intent: Intent, scores: list[float], x: np.ndarray, evidence: AnomalyEvidence
) -> tuple[list[float], int]:
    """When the options offer a one-point anomaly in both directions, the one whose direction is
    not the found anomaly's scores 0 and the other the spike's score."""
    rough = x - smooth(x, 5)
    near = round(evidence.where["spike"] * x.size)
    window = np.arange(max(near - 2, 0), min(near + 3, x.size))
    sign = 1 if rough[window[np.argmax(np.abs(rough[window]))]] > 0 else -1
    texts = [c.text.lower() for c in intent.choices]
    up = [_UPWARD.search(t) is not None and _DOWNWARD.search(t) is None for t in texts]
    down = [_DOWNWARD.search(t) is not None and _UPWARD.search(t) is None for t in texts]
    if not (any(up) and any(down)):
        return scores, sign
    found = evidence.scores["spike"]
    directed = [
        (found if (u and sign > 0) or (d and sign < 0) else 0.0) if (u or d) else score
        for score, u, d in zip(scores, up, down, strict=True)
    ]
    return directed, sign


def _unseen(evidence: AnomalyEvidence) -> str:
    """The caveat when no anomaly was seen but missing steps could hide one."""
    if not evidence.gaps or evidence.best() != "none":
        return ""
    return f"; no anomaly in the observed steps, but one could lie in missing {describe(list(evidence.gaps))}"


def _choice_score(choice: Choice, evidence: list[AnomalyEvidence], worst: list[float]) -> float:
    if choice.subjects and len(evidence) > 1:
        parts, named = [], set()
        for index, terms in choice.subjects:
            kinds = _types(terms)
            if 0 < index <= len(evidence) and kinds:
                named.add(index)
                parts.append(float(np.mean([evidence[index - 1].scores[k] for k in kinds])))
            elif 0 < index <= len(evidence) and len(choice.subjects) == 1:
                named.add(index)  # "Series 2": the one with the anomaly, of whatever kind
                parts.append(worst[index - 1])
        for other in set(range(1, len(evidence) + 1)) - named:
            # "Time series 1 with a flip anomaly": the other series should look normal.
            parts.append(0.5 * (1.0 - worst[other - 1]))
        return float(np.mean(parts)) if parts else UNSUPPORTED
    kinds = _types(choice.terms)
    if len(evidence) > 1:
        shared = max(min(e.scores[k] for e in evidence) for k in KINDS)
        if choice.polarity == -1 or choice.has("different"):
            return 1.0 - shared
        return shared
    scores = evidence[0].scores
    if kinds:
        return float(np.mean([scores[k] for k in kinds]))
    if choice.polarity == -1:
        return scores["none"]
    if choice.polarity == 1:
        return 1.0 - scores["none"]
    return UNSUPPORTED


def anomaly_location(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Where the strongest anomaly is: a third, a half, or a step index."""
    x = as_float(series[0])
    evidence = inspect(x)
    found = evidence.location()
    where = 0.5 if found is None else found
    gaps = list(evidence.gaps)
    if found is None and gaps:
        caveat = f"; no anomaly in the observed steps: it may lie in missing {describe(gaps)}"
    elif gaps and (near := spans_near(gaps, round(where * x.size), FLAT_STEPS)):
        caveat = f"; the anomaly borders missing {describe(near)}: its extent there is unknown"
    else:
        caveat = ""
    return Verdict(
        by_place(intent, where, x.size),
        f"strongest anomaly window centred at {where:.2f} of the length (step {where * x.size:.0f}); "
        f"{evidence.rationale}{caveat}",
    )


# Least trimmed squares keeps this share of the normal points (random spikes hit about half
# of the points, so the untouched half decides).
TRIM = 0.5


def anomaly_base(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """The pattern without the anomaly: each option's waveform + trend fitted to the normal
    points by least trimmed squares; the smallest trimmed residual wins."""
    raw = as_float(series[0])
    x = fill_gaps(raw)
    n = x.size
    keep = normal_points(x, np.isnan(raw))
    count = max(int(TRIM * keep.sum()), 8)
    # The period, from a trimmed fit over the full period grid (spikes would mislead a plain one).
    mask = keep
    for _ in range(2):
        fit = best_wave(x, nuisance="quadratic", mask=mask)
        residual = np.abs(x - fit.model)
        mask = keep & (residual <= np.sort(residual[keep])[count - 1])
    periods = fit.period * np.geomspace(0.8, 1.25, 11)

    def criterion(choice: Choice) -> float | None:
        waves = [t for t in choice.terms if t in WAVES]
        trends = [t for t in choice.terms if t in TRENDS]
        if not waves and not trends:
            return None
        kinds = tuple(waves[:1]) or WAVES
        best = np.inf
        for shape in trend_shapes(trends[0] if trends else "linear", n):
            columns = np.column_stack([np.ones(n), shape])
            mask = keep
            for _ in range(2):
                wave = best_wave(x, kinds=kinds, nuisance=columns, periods=periods, mask=mask)
                residual = np.abs(x - wave.model)
                limit = np.sort(residual[keep])[count - 1]
                mask = keep & (residual <= limit)
            trimmed = float(np.sum(np.sort(residual[keep])[:count] ** 2))
            best = min(best, trimmed)
        return float(np.log(best + 1e-12))

    return by_model(
        intent,
        criterion,
        f"each option fitted to the best {count} of {int(keep.sum())} normal points (trimmed squares)",
    )


def normal_points(x: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """(T,) bool: observed steps (not ``missing``) away from flat runs and from jumps, where the
    normal pattern shows."""
    observed = np.ones(x.size, dtype=bool) if missing is None else ~missing
    keep = observed.copy()
    for a, b in flat_runs(x, missing):
        keep[max(a - 1, 0) : b + 1] = False
    for j in jumps(x):
        keep[max(j - 1, 0) : j + 3] = False
    return keep if keep.sum() >= x.size // 3 else observed


def anomaly_nonstationary(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    evidence = inspect(x)
    breaks = break_evidence(fill_gaps(x))
    support = {
        "cutoff": evidence.scores["cutoff"],
        "direction": breaks["direction"],
    }
    stationary = 1.0 - max(support.values())
    scores = []
    for choice in intent.choices:
        named = [support[t] for t in choice.terms if t in support]
        if named:
            scores.append(float(np.mean(named)))
        elif choice.polarity == -1:
            scores.append(stationary)
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), f"trend reversal {breaks['direction']:.2f}; {evidence.rationale}")


def break_cause(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    support = break_evidence(fill_gaps(as_float(series[0])))
    return by_terms(intent, support, ", ".join(f"{k} {v:.2f}" for k, v in support.items()))


SOLVERS: dict[str, Solver] = {
    "anomaly": anomaly,
    "anomaly_location": anomaly_location,
    "anomaly_base": anomaly_base,
    "anomaly_nonstationary": anomaly_nonstationary,
    "break_cause": break_cause,
}
# The topics whose solvers take the series with NaN for missing steps (the others get them filled).
READS_GAPS = frozenset(SOLVERS)
