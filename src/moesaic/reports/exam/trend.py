"""Solvers for trend questions: direction, type, ordering, coefficient, pace, pieces, regimes and
levels, and the spread's direction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.stats import (
    as_float,
    best_split,
    fit_line,
    noise_std,
    piecewise_fit,
    robust_scale,
    smooth,
)
from moesaic.reports.exam.verdict import (
    UNSUPPORTED,
    Solver,
    Verdict,
    abstain,
    bic,
    by_model,
    by_terms,
    nearest_number,
    yes_no,
)
from moesaic.reports.exam.waves import TRENDS, fit_trend

# A slope is a trend when its autocorrelation-corrected t statistic passes this level: far
# above the usual 2 because short synthetic series with slow cycles give large spurious t values.
TREND_T = 4.0
# A regime of its own: the step-to-step spread changes by this factor (F test far beyond chance
# for the exam's lengths: a ratio of 2 in std is 4 in variance).
VARIANCE_RATIO = 2.0


def segment(x: np.ndarray, part: str | None) -> np.ndarray:
    """The half of ``x`` a question is about ("first", "second") or all of it."""
    half = x.size // 2
    return x[half:] if part == "second" else x[:half] if part == "first" else x


def has_trend(x: np.ndarray) -> tuple[bool, float, float]:
    """(is there a trend, t statistic, total change over the series) of a straight-line fit."""
    fit = fit_line(x)
    change = fit.slope * (x.size - 1)
    return abs(fit.t_stat) > TREND_T, fit.t_stat, change


def trend_direction(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = segment(as_float(series[0]), intent.segment)
    trend, t_stat, change = has_trend(x)
    support = {
        "up": float(trend and change > 0),
        "down": float(trend and change < 0),
        "no_trend": float(not trend),
    }
    return by_terms(
        intent, support, f"line fit: total change {change:.3g}, t = {t_stat:.1f} (trend if |t| > {TREND_T})"
    )


def trend_presence(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = segment(as_float(series[0]), intent.segment)
    trend, t_stat, change = has_trend(x)
    return yes_no(
        intent,
        float(trend),
        f"line fit: total change {change:.3g}, t = {t_stat:.1f} (trend if |t| > {TREND_T})",
    )


def _floor(x: np.ndarray) -> float:
    return 1e-8 * float(np.var(x)) + 1e-12


def trend_criteria(x: np.ndarray, *, with_wave: bool) -> dict[str, float]:
    """BIC of each trend family and of no trend, optionally each with a fitted waveform."""
    n = x.size
    params = {"none": 1, "linear": 2, "exponential": 3, "log": 3}
    extra = 4 if with_wave else 0  # amplitude, period, phase, waveform
    return {
        kind: bic(fit_trend(x, kind, with_wave=with_wave).sse, n, params[kind] + extra, _floor(x))
        for kind in ("none", *TRENDS)
    }


def trend_type(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = segment(as_float(series[0]), intent.segment)
    with_wave = intent.mentions(r"cycl|season|periodic|sine|square|sawtooth")
    crit = trend_criteria(x, with_wave=with_wave)
    best = min(crit.values())
    # BIC weights, exp(-delta / 2), on the support scale: the best family scores 1, so an option
    # that names it is never taken for one the evidence rejects (see verdict.settle).
    support = {"no_trend" if k == "none" else k: float(np.exp(-(v - best) / 2)) for k, v in crit.items()}
    text = ", ".join(f"{k} {v:.1f}" for k, v in crit.items())
    return by_terms(intent, support, f"BIC per trend family{' with a cycle' if with_wave else ''}: {text}")


def trend_order(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])

    def criterion(choice: Choice) -> float | None:
        # Terms keep one hit per name; read the sequence (repeats included) from the text.
        kinds = _ordered_trends(choice.text)
        if not kinds:
            return None
        bounds = np.linspace(0, x.size, len(kinds) + 1).astype(int)
        bounds[-1] = x.size
        sse = sum(fit_trend(x[a:b], k).sse for k, a, b in zip(kinds, bounds[:-1], bounds[1:], strict=True))
        return bic(sse, x.size, 3 * len(kinds), _floor(x))

    return by_model(intent, criterion, "BIC of equal-length pieces, each fitted with its named trend family")


def _ordered_trends(text: str) -> list[str]:
    names = {"linear": "linear", "exponential": "exponential", "log": "log", "logarithmic": "log"}
    return [names[w] for w in re.findall(r"[a-z]+", text.lower()) if w in names]


def trend_coefficient(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    fit = fit_line(x)
    change = fit.slope * (x.size - 1)
    # The coefficient of a linear trend is read as the total rise over the series (a slope of
    # c / (n - 1) per step); a per-step reading is also offered, the closer reading wins.
    candidates = [change, fit.slope]
    options = [c.number for c in intent.choices if c.number is not None]
    if not options:
        return abstain(intent, "no numeric options")
    if fit.slope < 0 and all(o >= 0 for o in options):  # "declines at about what rate": a size
        candidates = [abs(v) for v in candidates]
    value = min(candidates, key=lambda v: min(abs(o - v) / max(abs(v), 1e-9) for o in options))
    return nearest_number(intent, value, f"line fit: slope {fit.slope:.4g}/step, total change {change:.4g}")


# Penalty per piece of a piecewise fit, in units of log(T). The plain BIC (3 per line piece)
# lets slight curvature inside one regime pass for another regime; calibrated on the exam's
# regime and piece questions, a real regime change cuts the criterion by far more than this.
PIECE_PENALTY = 10.0


def count_criteria(x: np.ndarray, counts: Sequence[int], kind: str) -> dict[int, float]:
    """Penalised fit of a piecewise-line (or piecewise-constant) model for each number of pieces."""
    n = x.size
    floor = _floor(x)
    return {
        k: n * float(np.log(max(piecewise_fit(x, k, kind=kind) / n, floor)))
        + PIECE_PENALTY * k * float(np.log(n))
        for k in counts
        if k >= 1
    }


def _counts(intent: Intent) -> list[int]:
    return sorted({int(c.number) for c in intent.choices if c.number is not None and c.number >= 1})


def trend_pieces(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    crit = count_criteria(x, _counts(intent), "line")
    return nearest_number(intent, min(crit, key=crit.__getitem__), _fmt_counts(crit))


def regime_count(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Linear pieces, plus one regime when the noise level changes where the lines do not."""
    x = as_float(series[0])
    crit = count_criteria(x, _counts(intent), "line")
    pieces = min(crit, key=crit.__getitem__)
    change = variance_change(x)
    count = pieces + 1 if change.found and pieces == 1 else pieces
    return nearest_number(intent, count, f"{_fmt_counts(crit)}; {change.text}")


# Distinct levels: values of a 9-step moving median (a step stays sharp under it) fall in
# clusters apart by more than LEVEL_GAP deviations of the noise, each holding LEVEL_SHARE of them.
LEVEL_WIDTH = 9
LEVEL_GAP = 1.0
LEVEL_SHARE = 0.05


def level_count(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """How many distinct levels the series moves between: clusters of its moving median."""
    x = as_float(series[0])
    seen = x[np.isfinite(x)]
    if seen.size < 2 * LEVEL_WIDTH:
        return abstain(intent, f"{seen.size} observed steps: too few to read levels from")
    medians = np.sort(np.median(np.lib.stride_tricks.sliding_window_view(seen, LEVEL_WIDTH), axis=1))
    gap = LEVEL_GAP * max(noise_std(seen), 1e-12)
    clusters = np.split(medians, np.flatnonzero(np.diff(medians) > gap) + 1)
    levels = [float(np.median(c)) for c in clusters if c.size >= LEVEL_SHARE * medians.size]
    listed = ", ".join(f"{v:.3g}" for v in levels)
    text = f"levels {listed} (clusters of the moving median apart by more than {gap:.3g})"
    return nearest_number(intent, max(len(levels), 1), text)


class VarianceChange(NamedTuple):
    found: bool
    text: str
    growth: float  # noise scale after the split over the scale before
    at: int | None = None  # the step of the split, when the change is there (not a steady one)


def variance_change(x: np.ndarray) -> VarianceChange:
    """A change in the noise level: the spread of what a 5-step smoother leaves on one side of
    the best variance split is VARIANCE_RATIO times the other's, each side a quarter or more."""
    split = best_split(x, kind="variance", min_size=max(x.size // 4, 6))
    # Robust scales of the rough part: a smooth cycle's steps vary with its phase, and one
    # jump of a level shift must not read as a noisier side.
    rough = x - smooth(x, 5)
    left, right = robust_scale(rough[: split.at]), robust_scale(rough[split.at :])
    ratio = max(left, right) / max(min(left, right), 1e-300)
    growth = right / max(left, 1e-300)
    text = f"noise scale {left:.3g} before step {split.at} and {right:.3g} after"
    if ratio > VARIANCE_RATIO:
        return VarianceChange(True, text, growth, split.at)
    # A spread that grows or shrinks steadily: no split sees the whole change on one side, but
    # the quarters' scales rise (or fall) one after the other and the last is VARIANCE_RATIO
    # times the first (or a VARIANCE_RATIO-th of it).
    quarters = [robust_scale(part) for part in np.array_split(rough, 4)]
    steps = np.sign(np.diff(quarters))
    ends = quarters[-1] / max(quarters[0], 1e-300)
    steady = bool(abs(steps.sum()) == len(steps))
    if x.size >= 40 and steady and max(ends, 1 / max(ends, 1e-300)) > VARIANCE_RATIO:
        scales = ", ".join(f"{q:.3g}" for q in quarters)
        return VarianceChange(True, f"noise scale changing steadily by quarters: {scales}", ends)
    return VarianceChange(False, text, growth)


def variance_direction(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Does the spread grow, shrink or hold over the series; or, the same reading, which half of
    it is more volatile (the later half when it grows, neither when it holds)?"""
    change = variance_change(as_float(series[0]))
    grows, shrinks = change.found and change.growth > 1.0, change.found and change.growth < 1.0
    support = {
        "up": float(grows),
        "second_half": float(grows),
        "down": float(shrinks),
        "first_half": float(shrinks),
        "same": float(not change.found),
    }
    return by_terms(intent, support, change.text)


def _fmt_counts(crit: dict[int, float]) -> str:
    return "penalised fit per number of linear pieces: " + ", ".join(f"{k}: {v:.1f}" for k, v in crit.items())


def regime_switching(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    crit = count_criteria(x, [1, 2, 3], "line")
    change = variance_change(x)
    switching = min(crit[2], crit[3]) < crit[1] - 10.0 or change.found
    return yes_no(intent, float(switching), f"{_fmt_counts(crit)}; {change.text}")


def trend_reversal(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    split = best_split(x, kind="line", min_size=max(x.size // 8, 6))
    left, right = fit_line(x[: split.at]), fit_line(x[split.at :])
    opposite = (
        np.sign(left.slope) != np.sign(right.slope)
        and min(abs(left.t_stat), abs(right.t_stat)) > TREND_T
        and split.gain > 0.3
    )
    return yes_no(
        intent,
        float(opposite),
        f"best two-line split at {split.at}: slopes {left.slope:.3g} (t {left.t_stat:.1f}) and "
        f"{right.slope:.3g} (t {right.t_stat:.1f}), SSE reduction {split.gain:.2f}",
    )


def trend_halves(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Same or different slopes in the two halves; an option naming one half ("the second half
    rises more steeply") holds when the slopes differ and that half's is the steeper."""
    x = as_float(series[0])
    half = x.size // 2
    a, b = fit_line(x[:half]), fit_line(x[half:])
    scale = max(abs(a.slope), abs(b.slope), 1e-12)
    se = abs(a.slope / a.t_stat) + abs(b.slope / b.t_stat) if a.t_stat and b.t_stat else 0.0
    different = abs(a.slope - b.slope) > max(0.25 * scale, 3 * se)
    steeper = "second_half" if abs(b.slope) > abs(a.slope) else "first_half"
    support = {
        "different": float(different),
        "same": float(not different),
        "first_half": float(different and steeper == "first_half"),
        "second_half": float(different and steeper == "second_half"),
    }
    return by_terms(intent, support, f"slopes per half: {a.slope:.4g} and {b.slope:.4g}")


# A trend speeds up or slows down when a parabola beats a line by this much BIC (a clear curve).
PACE_BIC = 10.0
_PACES = {
    "faster": r"speed|accelerat|faster|quicken",
    "slower": r"slow|decelerat|level(l)?ing off|taper",
    "steady": r"steady|constant|uniform|same (rate|pace)|linear",
}


def growth_pace(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Is the trend speeding up, slowing down or steady: a parabola against a line (BIC) and, when
    the parabola is clearly better, its slope at the end against its slope at the start."""
    x = as_float(series[0])
    seen = np.flatnonzero(np.isfinite(x))
    t, y = seen / max(x.size - 1, 1), x[seen]
    line, parabola = np.polyfit(t, y, 1), np.polyfit(t, y, 2)
    sse = {deg: float(np.sum((np.polyval(c, t) - y) ** 2)) for deg, c in ((1, line), (2, parabola))}
    criteria = {deg: bic(sse[deg], seen.size, deg + 1, _floor(y)) for deg in sse}
    start, end = parabola[1], 2 * parabola[0] + parabola[1]  # the slopes at t = 0 and t = 1
    curved = criteria[2] + PACE_BIC < criteria[1]
    pace = "steady" if not curved else "faster" if abs(end) > abs(start) else "slower"
    scores = []
    for choice in intent.choices:
        said = [name for name, words in _PACES.items() if re.search(words, choice.text.lower())]
        scores.append(UNSUPPORTED if len(said) != 1 else float(said[0] == pace))
    rationale = (
        f"BIC line {criteria[1]:.1f}, parabola {criteria[2]:.1f}; slope {start:.3g} at the start, "
        f"{end:.3g} at the end: {pace}"
    )
    return Verdict(tuple(scores), rationale)


SOLVERS: dict[str, Solver] = {
    "growth_pace": growth_pace,
    "trend_direction": trend_direction,
    "trend_presence": trend_presence,
    "trend_type": trend_type,
    "trend_order": trend_order,
    "trend_coefficient": trend_coefficient,
    "trend_pieces": trend_pieces,
    "regime_count": regime_count,
    "level_count": level_count,
    "regime_switching": regime_switching,
    "trend_reversal": trend_reversal,
    "trend_halves": trend_halves,
    "variance_direction": variance_direction,
    "variance_halves": variance_direction,
}
