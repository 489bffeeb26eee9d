"""Solvers for noise questions: white vs red (random walk), level, presence, composition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.reports.exam.parse import Intent
from moesaic.reports.exam.stats import (
    ADF_CRITICAL_CONSTANT,
    adf_statistic,
    as_float,
    autocorrelation,
    ljung_box,
    noise_std,
    smooth,
    spectral_slope,
)
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict, by_terms, nearest_number, yes_no
from moesaic.reports.exam.waves import best_wave, fit_trend

# Noise whose amplitude is below this share of the signal's (20 dB SNR) is not significant.
SIGNIFICANT_NOISE = 0.1
# Ljung-Box level below which a residual is not white.
WHITE_P = 0.01
# A random walk: lag-1 autocorrelation above this, spectral slope below RED_SLOPE, and no
# ADF rejection of the unit root.
RED_ACF = 0.8
RED_SLOPE = -1.0
# Differencing white noise gives a lag-1 autocorrelation of -0.5, differencing a random walk
# gives 0: halfway between tells them apart even after a trend or cycle was removed.
OVERDIFFERENCED = -0.25
# The smooth part of a series with multiplicative zero-mean noise carries little variance.
MULTIPLICATIVE_SHARE = 0.5
# Noise that grows with the level: between the lowest and the highest third of the levels, the
# spread grows by at least this share of the level's growth (1 for purely proportional noise,
# 0 for additive noise), the levels differing by at least LEVEL_SPAN times.
PROPORTIONAL = 0.5
LEVEL_SPAN = 1.5
# A residual below this share of the signal is rounding, not noise; red noise also covers a
# stationary process whose residual lag-1 autocorrelation passes RED_AR.
NOISE_FREE = 1e-6
RED_AR = 0.5
# Values whose lag-1 autocorrelation is below this are read as independent of each other (the
# 95 % band of white noise's is +-2/sqrt(n), under 0.2 from 100 values on).
PERSISTENT_ACF1 = 0.3


# The slope of log power against log frequency of each noise colour.
COLOURS = {"white": 0.0, "pink": -1.0, "red": -2.0}
# The signal-to-noise ratio (variance of trend plus wave over the residual variance) above
# which the signal is strong: it carries more variance than the noise.
HIGH_SNR = 1.0


class NoiseEvidence(NamedTuple):
    residual: np.ndarray  # (T,) what is left after the best trend and waveform
    signal_rms: float  # root mean square of the fitted structure, level included
    noise_rms: float  # standard deviation of the residual
    acf1: float  # lag-1 autocorrelation of the residual
    slope: float  # spectral slope of the residual
    adf: float  # ADF statistic of the residual
    white_p: float  # Ljung-Box p-value of the residual
    diff_acf1: float  # lag-1 autocorrelation of the residual's first differences

    def red(self) -> bool:
        """A random walk: persistent with a unit root and a steep spectrum, or persistent with
        differences that are not over-differenced white noise."""
        classic = self.acf1 > RED_ACF and self.slope < RED_SLOPE and self.adf > ADF_CRITICAL_CONSTANT
        return classic or (self.acf1 > 0.5 and self.diff_acf1 > OVERDIFFERENCED)

    def significant(self) -> bool:
        return self.noise_rms > SIGNIFICANT_NOISE * max(self.signal_rms, 1e-12)

    def describe(self) -> str:
        return (
            f"residual std {self.noise_rms:.3g} vs signal rms {self.signal_rms:.3g}; residual lag-1 "
            f"autocorrelation {self.acf1:.2f} ({self.diff_acf1:.2f} after differencing), spectral slope "
            f"{self.slope:.2f}, ADF {self.adf:.2f}, "
            f"Ljung-Box p {self.white_p:.3f}"
        )


def noise_evidence(x: np.ndarray, *, structure: bool) -> NoiseEvidence:
    """Split ``x`` into structure and noise and describe the noise.

    With ``structure`` a trend and a waveform are fitted and removed only when each beats the
    plain mean clearly (a random walk also looks like a trend, so a pure-noise question asks
    for ``structure=False`` and keeps only the mean).
    """
    x = as_float(x)
    fitted = np.full(x.size, x.mean())
    if structure:
        trend = min((fit_trend(x, k) for k in ("linear", "exponential", "log")), key=lambda f: f.sse)
        wave = best_wave(x - trend.fitted, nuisance="const")
        if wave.r2 > 0.3:
            fitted = trend.fitted + wave.fitted
        else:
            fitted = trend.fitted
    residual = x - fitted
    if float(np.std(residual)) <= 1e-9 * (1.0 + float(np.abs(x).max())):
        return NoiseEvidence(residual, float(np.sqrt(np.mean(fitted**2))), 0.0, 0.0, 0.0, -100.0, 1.0, -0.5)
    return NoiseEvidence(
        residual=residual,
        signal_rms=float(np.sqrt(np.mean(fitted**2))),
        noise_rms=float(residual.std()),
        acf1=float(autocorrelation(residual, 1)[1]),
        slope=spectral_slope(residual),
        adf=adf_statistic(residual, lags=1),
        white_p=ljung_box(residual),
        diff_acf1=float(autocorrelation(np.diff(residual), 1)[1]),
    )


def _structured(intent: Intent) -> bool:
    """Does the question say the series has more than noise (a "noise component")?"""
    return intent.mentions(r"component|signal|pattern|trend|cycl|season|wave|sine|sinus|square|sawtooth")


def noise_type(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    evidence = noise_evidence(series[0], structure=_structured(intent))
    # What a trend and a cycle leave: nothing for a clean ramp, still persistent for red noise.
    rest = noise_evidence(series[0], structure=True)
    noise_free = not _has_noise(rest)
    red = not noise_free and (evidence.red() or correlated(rest))
    # Only an option "no significant noise" makes the size of the noise matter.
    offered = any(c.has("no_noise") for c in intent.choices)
    significant = not noise_free and (evidence.significant() or red or not offered)
    support = {
        "red": float(red),
        "white": float(significant and not red),
        "no_noise": float(not significant),
    }
    if any(c.has("pink") for c in intent.choices):
        # Three colours offered: the nearest class of the spectral slope decides among them.
        colour = noise_colour(evidence.slope)
        support.update({c: float(significant and c == colour) for c in COLOURS})
    return by_terms(intent, support, f"{evidence.describe()}; after trend and cycle: {rest.describe()}")


def noise_process(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Independent values, a mean-reverting (stationary autoregressive) process or a random walk:
    the lag-1 autocorrelation tells independent values from persistent ones, and the augmented
    Dickey-Fuller test a persistent series that returns to its mean from one that wanders off."""
    x = as_float(series[0])
    acf1 = float(autocorrelation(x, 1)[1])
    adf = adf_statistic(x)
    independent = acf1 < PERSISTENT_ACF1
    walk = not independent and adf > ADF_CRITICAL_CONSTANT
    support = {
        "white": float(independent),
        "no_autocorrelation": float(independent),
        "mean_reverting": float(not independent and not walk),
        "red": float(walk),
    }
    return by_terms(
        intent,
        support,
        f"lag-1 autocorrelation {acf1:.2f}; ADF statistic {adf:.2f} "
        f"(a unit root above {ADF_CRITICAL_CONSTANT})",
    )


def noise_colour(slope: float) -> str:
    """The noise colour whose spectral slope is nearest: white 0, pink -1, red (brown) -2."""
    return min(COLOURS, key=lambda c: abs(COLOURS[c] - slope))


def _has_noise(evidence: NoiseEvidence) -> bool:
    return evidence.noise_rms > NOISE_FREE * max(evidence.signal_rms, 1e-300)


def correlated(evidence: NoiseEvidence) -> bool:
    """Red (Brownian-like or strongly autocorrelated) noise: a persistent residual that fails
    the Ljung-Box whiteness test, as an AR(1) with a coefficient near 1 does, and whose
    differences are not over-differenced white noise (a smooth misfit plus white noise is)."""
    persistent = evidence.acf1 > RED_AR and evidence.white_p < WHITE_P
    return persistent and evidence.diff_acf1 > OVERDIFFERENCED


def white_noise_test(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    evidence = noise_evidence(x, structure=False)
    asks_red = intent.mentions(r"random walk|red noise") and not intent.mentions(r"white")
    if asks_red:
        return yes_no(intent, float(evidence.red()), evidence.describe())
    return yes_no(intent, float(_white(evidence)), evidence.describe())


def noise_or_structure(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Is the series white noise around its mean ("just random jitter"), or is there structure?"""
    evidence = noise_evidence(as_float(series[0]), structure=False)
    white = float(_white(evidence))
    return by_terms(intent, {"random_only": white, "structured": 1.0 - white}, evidence.describe())


def _white(evidence: NoiseEvidence) -> bool:
    """Independent draws: some noise, no autocorrelation the Ljung-Box test finds, no random walk."""
    return evidence.noise_rms > 0 and evidence.white_p > WHITE_P and not evidence.red()


# Graded answers to "how noisy is it?", by the noise's share of the fitted structure.
_GRADES = (
    ("low", re.compile(r"\b(barely|hardly|little|slight\w*|low|almost no|minimal|negligible|clean)\b")),
    ("high", re.compile(r"\b(dominat\w*|overwhelm\w*|mostly noise|heav(y|ily)|very noisy|high|strong\w*)\b")),
    ("medium", re.compile(r"\b(moderate\w*|some|medium|noticeabl\w*)\b")),
)
LOW_NOISE, HIGH_NOISE = 0.2, 1.0  # noise rms over structure rms: below, little noise; above, it dominates


def _graded_noise(intent: Intent, evidence: NoiseEvidence) -> Verdict | None:
    """Options that grade the noise ("Barely any noise", "Moderately noisy", "The noise dominates"),
    scored by the noise's share of the structure; None when the options are not graded."""
    grades = [next((g for g, rx in _GRADES if rx.search(c.text.lower())), None) for c in intent.choices]
    if any(c.polarity is not None for c in intent.choices) or sum(g is not None for g in grades) < 2:
        return None
    ratio = evidence.noise_rms / max(evidence.signal_rms, 1e-12)
    grade = "low" if ratio < LOW_NOISE else "high" if ratio > HIGH_NOISE else "medium"
    scores = tuple(UNSUPPORTED if g is None else float(g == grade) for g in grades)
    return Verdict(scores, f"noise rms {evidence.noise_rms:.3g} is {ratio:.2f} of the structure's: {grade}")


def noisy(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    graded = _graded_noise(intent, noise_evidence(x, structure=True))
    if graded is not None:
        return graded
    fast = noise_std(x)
    level = float(np.sqrt(np.mean(x**2)))
    evidence = noise_evidence(x, structure=False)
    significant = fast > SIGNIFICANT_NOISE * level or (evidence.red() and fast > 1e-6 * level)
    return yes_no(
        intent,
        float(significant),
        f"step-to-step noise {fast:.3g} vs rms level {level:.3g}; {evidence.describe()}",
    )


def noise_level(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    if _structured(intent):
        value = noise_evidence(x, structure=True).noise_rms
        text = f"std of the residual after trend and cycle {value:.3g}"
    else:
        # A pure noise process (white or random walk): its level is its standard deviation.
        value = float(x.std())
        text = f"standard deviation {value:.3g}"
    return nearest_number(intent, value, text)


def noise_composition(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Multiplicative zero-mean noise hides the signal in the spread; additive noise sits on top."""
    x = as_float(series[0])
    smoothed = smooth(x, 9)
    share = float(smoothed.var() / max(x.var(), 1e-300))
    growth = spread_growth(x, smoothed)
    multiplicative = share < MULTIPLICATIVE_SHARE or growth > PROPORTIONAL
    return by_terms(
        intent,
        {"multiplicative": float(multiplicative), "additive": float(not multiplicative)},
        f"a 9-step smoother keeps {share:.2f} of the variance (multiplicative below {MULTIPLICATIVE_SHARE}); "
        f"the spread grows {growth:.2f} as fast as the level (multiplicative above {PROPORTIONAL})",
    )


def spread_growth(x: np.ndarray, level: np.ndarray) -> float:
    """(spread ratio - 1) / (level ratio - 1) between the lowest and highest third of |level|;
    0 when the level hardly changes (then the question cannot be read this way)."""
    size = np.abs(level)
    order = np.argsort(size)
    third = x.size // 3
    low, high = order[:third], order[-third:]
    level_ratio = float(size[high].mean() / max(size[low].mean(), 1e-300))
    if third < 8 or level_ratio < LEVEL_SPAN:
        return 0.0
    residual = x - level
    spread_ratio = float(residual[high].std() / max(residual[low].std(), 1e-300))
    return (spread_ratio - 1.0) / (level_ratio - 1.0)


def noise_influence(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    wave = best_wave(x)
    clear = wave.r2 > 0.5
    return by_terms(
        intent,
        {"no_influence": float(clear), "distort": float(not clear)},
        f"best {wave.kind} (period {wave.period:.1f}) explains {wave.r2:.2f} of the variance",
    )


def signal_to_noise(x: np.ndarray) -> float:
    """Variance of the smooth component (a line plus the best waveform) over the residual's."""
    wave = best_wave(as_float(x), nuisance="line")
    residual = x - wave.model
    return float(np.var(wave.model) / max(float(np.var(residual)), 1e-300))


# A claim about the signal-to-noise ratio: its first strength word, read for the signal unless
# the noise is named before it ("the noise dominates" says the ratio is low).
_STRONG = r"high|large|strong|clear(ly)?|visible|dominat\w*|prominent|obvious"
_WEAK = r"low|small|weak|faint|buried|hidden|obscured|drowned|swamped"
_STRENGTH = re.compile(rf"\b(?:(?P<strong>{_STRONG})|(?P<weak>{_WEAK}))\b")
_RATIO = re.compile(r"signal[- ]to[- ]noise|\bsnr\b")


def claims_high_snr(text: str) -> bool | None:
    """True for "High SNR" or "the noise is small", False for "the noise dominates", None when
    the option names no strength."""
    low = text.lower()
    m = _STRENGTH.search(low)
    if m is None:
        return None
    strong = m.group("strong") is not None
    before = low[: m.start()]
    ratio = _RATIO.search(low)
    about_noise = "noise" in before and (ratio is None or ratio.start() > m.start())
    about_noise = about_noise and not re.search(r"signal|sine|wave|cycl|pattern", before)
    return strong != about_noise


def snr(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """High or low signal-to-noise ratio, the smooth part's variance against the residual's."""
    ratio = signal_to_noise(as_float(series[0]))
    high = float(ratio > HIGH_SNR)
    scores = []
    for choice in intent.choices:
        claim = claims_high_snr(choice.text)
        if choice.polarity is not None:
            claim = claims_high_snr(intent.question) is not False
            claim = claim if choice.polarity == 1 else not claim
        scores.append(UNSUPPORTED if claim is None else (high if claim else 1.0 - high))
    return Verdict(
        tuple(scores), f"signal-to-noise ratio {ratio:.3g} (variance of line + best wave over the residual)"
    )


SOLVERS: dict[str, Solver] = {
    "snr": snr,
    "noise_type": noise_type,
    "noise_process": noise_process,
    "white_noise_test": white_noise_test,
    "noise_or_structure": noise_or_structure,
    "noisy": noisy,
    "noise_level": noise_level,
    "noise_composition": noise_composition,
    "noise_influence": noise_influence,
}
