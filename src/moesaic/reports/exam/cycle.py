"""Solvers for cycle questions: waveform type, amplitude and period (values and changes),
additive vs multiplicative composition, and the dominant component."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

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
    text = f"{fit.kind} fit: amplitude {abs(fit.amplitude):.3g}, period {fit.period:.1f}"
    if intent.mentions(r"peak[- ]to[- ](trough|peak)|\bswing\b|crest to trough"):
        # The swing from a peak to a trough spans the amplitude twice.
        return nearest_number(
            intent, 2 * abs(fit.amplitude), text + f", peak to trough {2 * abs(fit.amplitude):.3g}"
        )
    return nearest_number(intent, abs(fit.amplitude), text)


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
# The level must differ by this factor between the two halves of the windows to tell a cycle
# that grows with it, and the cycle's size by at least SIZE_RATIO.
LEVEL_RATIO = 1.2
SIZE_RATIO = 1.1


def envelope_ratio(x: np.ndarray, period: float) -> float:
    """Size of the cycle at the end over its size at the start (per-period std around a line)."""
    width = max(round(period), 6)
    starts = np.arange(0, x.size - width + 1, max(width // 2, 1))
    sizes = np.array([fit_line(x[s : s + width]).residual.std() for s in starts])
    k = max(len(sizes) // 3, 1)
    return float(np.median(sizes[-k:]) / max(float(np.median(sizes[:k])), 1e-12))


class LevelGrowth(NamedTuple):
    level_ratio: float  # mean |level| of the higher-level half of the windows over the lower half's
    size_ratio: float  # the cycle's size in the higher-level half over the lower half's

    def proportional(self) -> bool:
        """The cycle grows with the level: the level differs enough to tell, and the cycle's
        size grows by more than the square root of the level's ratio (halfway, in log scale,
        between a fixed size and a proportional one)."""
        return (
            self.level_ratio >= LEVEL_RATIO
            and self.size_ratio >= SIZE_RATIO
            and math.log(self.size_ratio) > 0.5 * math.log(self.level_ratio)
        )

    def describe(self) -> str:
        return (
            f"level x{self.level_ratio:.2f} and cycle size x{self.size_ratio:.2f} "
            "from the lower to the higher half"
        )


def level_growth(x: np.ndarray, period: float) -> LevelGrowth:
    """Compare the cycle's size (std around a line, per window of one period) in the windows of
    higher level with those of lower level."""
    width = max(round(period), 6)
    starts = np.arange(0, x.size - width + 1, max(width // 2, 1))
    if starts.size < 4:
        return LevelGrowth(1.0, 1.0)
    levels = np.array([abs(float(x[s : s + width].mean())) for s in starts])
    sizes = np.array([fit_line(x[s : s + width]).residual.std() for s in starts])
    order = np.argsort(levels)
    low, high = order[: order.size // 2], order[-(order.size // 2) :]
    level_ratio = float(levels[high].mean() / max(float(levels[low].mean()), 1e-12))
    size_ratio = float(np.median(sizes[high]) / max(float(np.median(sizes[low])), 1e-12))
    return LevelGrowth(level_ratio, size_ratio)


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
    if intent.mentions(r"trend|level"):
        # Cycle x trend: the cycle's size follows the trend (the level); cycle + trend: it stays.
        period = dominant_period(x).period
        ratio = envelope_ratio(x, period)
        growth = level_growth(x, period)
        multiplicative = max(ratio, 1 / max(ratio, 1e-12)) > ENVELOPE_RATIO or growth.proportional()
        text = (
            f"cycle size end/start {ratio:.2f} (multiplicative beyond x{ENVELOPE_RATIO} either way); "
            f"{growth.describe()}"
        )
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
