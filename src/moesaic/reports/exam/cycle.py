"""Solvers for cycle questions: waveform type, amplitude and period (values and changes),
additive vs multiplicative composition, and the dominant component."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from moesaic.reports.exam.parse import Choice, Intent
from moesaic.reports.exam.stats import as_float, dominant_period, fit_line
from moesaic.reports.exam.trend import segment
from moesaic.reports.exam.verdict import Solver, Verdict, bic, by_model, by_terms, nearest_number
from moesaic.reports.exam.waves import WAVES, best_wave, fit_wave, nuisance_basis

# Relative change of amplitude or period between the two ends of a series that counts as a
# change ("remain the same" below it).
CHANGE_RATIO = 1.25


def _floor(x: np.ndarray) -> float:
    return 1e-8 * float(np.var(x)) + 1e-12


def wave_criterion(x: np.ndarray, kinds: Sequence[str]) -> float:
    """BIC of a line plus the named waveforms (one of each), fitted greedily in both orders."""
    n = x.size
    if not kinds:
        r = fit_line(x).residual
        return bic(float(r @ r), n, 2, _floor(x))
    if len(kinds) == 1:
        return bic(fit_wave(x, kinds[0]).sse, n, 5, _floor(x))
    best = math.inf
    for order in (list(kinds), list(kinds)[::-1]):
        rest = x
        for kind in order:
            fit = fit_wave(rest, kind)
            rest = rest - fit.fitted
        q = nuisance_basis(n, "line")
        rest = rest - q @ (q.T @ rest)
        best = min(best, float(rest @ rest))
    return bic(best, n, 2 + 3 * len(kinds), _floor(x))


def cycle_type(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = segment(as_float(series[0]), intent.segment)

    def criterion(choice: Choice) -> float | None:
        kinds = [t for t in choice.terms if t in WAVES]
        if not kinds and not (choice.has("no_pattern") or choice.denies):
            return None
        return wave_criterion(x, kinds)  # no waveform named: a line alone

    return by_model(intent, criterion, "BIC of a line plus the waveforms each option names")


def local_amplitudes(x: np.ndarray, period: float) -> np.ndarray:
    """Half the range of the line-detrended series in half-overlapping windows of one period."""
    r = fit_line(x).residual
    width = max(round(period), 4)
    starts = np.arange(0, x.size - width + 1, max(width // 2, 1))
    return np.array([(r[s : s + width].max() - r[s : s + width].min()) / 2 for s in starts])


def _change(first: float, last: float) -> dict[str, float]:
    ratio = last / max(first, 1e-12)
    return {
        "up": float(ratio > CHANGE_RATIO),
        "down": float(ratio < 1 / CHANGE_RATIO),
        "same": float(1 / CHANGE_RATIO <= ratio <= CHANGE_RATIO),
    }


def amplitude_change(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    period = dominant_period(x).period
    amps = local_amplitudes(x, period)
    k = max(len(amps) // 3, 1)
    first, last = float(np.median(amps[:k])), float(np.median(amps[-k:]))
    return by_terms(
        intent,
        _change(first, last),
        f"period {period:.1f}; amplitude at the start {first:.3g}, at the end {last:.3g}",
    )


def local_period(x: np.ndarray) -> float:
    """Dominant period of a stretch, allowing a single cycle."""
    return dominant_period(x, min_cycles=1.0).period


def period_change(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    first, last = local_period(x[: x.size // 2]), local_period(x[x.size - x.size // 2 :])
    return by_terms(
        intent, _change(first, last), f"period in the first half {first:.1f}, in the second {last:.1f}"
    )


def amplitude_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = segment(as_float(series[0]), intent.segment)
    fit = fit_wave(x, intent.focus) if intent.focus else best_wave(x)
    return nearest_number(
        intent,
        abs(fit.amplitude),
        f"{fit.kind} fit: amplitude {abs(fit.amplitude):.3g}, period {fit.period:.1f}",
    )


def period_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """The period of the named (or best) waveform; also read as a frequency or a cycle count."""
    x = segment(as_float(series[0]), intent.segment)
    fit = fit_wave(x, intent.focus) if intent.focus else best_wave(x)
    text = f"{fit.kind} fit: period {fit.period:.1f}, amplitude {abs(fit.amplitude):.3g}"
    if intent.mentions(r"how many (cycles|peaks)"):
        return nearest_number(intent, x.size / fit.period, text + f", {x.size / fit.period:.1f} cycles")
    if intent.mentions(r"frequency"):
        return nearest_number(
            intent, 1.0 / fit.period, text + f", frequency {1 / fit.period:.4g}", log_scale=True
        )
    return nearest_number(intent, fit.period, text, log_scale=True)


# A cycle whose size changes by more than this factor from start to end follows the trend.
ENVELOPE_RATIO = 1.5
# Three additive waves explain at least this share of a sum of waves; a product leaves more.
ADDITIVE_R2 = 0.75


def envelope_ratio(x: np.ndarray, period: float) -> float:
    """Size of the cycle at the end over its size at the start (per-period std around a line)."""
    width = max(round(period), 6)
    starts = np.arange(0, x.size - width + 1, max(width // 2, 1))
    sizes = np.array([fit_line(x[s : s + width]).residual.std() for s in starts])
    k = max(len(sizes) // 3, 1)
    return float(np.median(sizes[-k:]) / max(float(np.median(sizes[:k])), 1e-12))


def additive_share(x: np.ndarray, components: int = 3) -> float:
    """Share of the variance explained by ``components`` waves fitted one after another."""
    rest = x - x.mean()
    total = float(rest @ rest)
    for _ in range(components):
        rest = rest - best_wave(rest, nuisance="const").fitted
    return 1.0 - float(rest @ rest) / total if total > 0 else 1.0


def composition(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Additive or multiplicative composition of a cycle with a trend, or of several cycles."""
    x = as_float(series[0])
    if intent.mentions(r"trend"):
        # Cycle x trend: the cycle's size follows the trend; cycle + trend: it stays the same.
        ratio = envelope_ratio(x, dominant_period(x).period)
        multiplicative = max(ratio, 1 / max(ratio, 1e-12)) > ENVELOPE_RATIO
        text = f"cycle size end/start {ratio:.2f} (multiplicative beyond x{ENVELOPE_RATIO} either way)"
    else:
        share = additive_share(x)
        multiplicative = share < ADDITIVE_R2
        text = f"three additive waves explain {share:.2f} of the variance (additive from {ADDITIVE_R2})"
    return by_terms(
        intent, {"multiplicative": float(multiplicative), "additive": float(not multiplicative)}, text
    )


def dominant_component(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    q = nuisance_basis(x.size, "cubic")
    trend = q @ (q.T @ x)
    wave = best_wave(x, nuisance=q)
    noise = x - trend - wave.fitted
    shares = {
        "trend_word": float(np.var(trend - trend.mean())),
        "seasonality": float(np.var(wave.fitted)),
        "noise_word": float(np.var(noise)),
    }
    return by_terms(
        intent,
        shares,
        "variance of cubic trend {trend_word:.3g}, best wave {seasonality:.3g}, rest {noise_word:.3g}".format(
            **shares
        ),
    )


SOLVERS: dict[str, Solver] = {
    "cycle_type": cycle_type,
    "amplitude_change": amplitude_change,
    "period_change": period_change,
    "amplitude_value": amplitude_value,
    "period_value": period_value,
    "composition": composition,
    "dominant_component": dominant_component,
}
