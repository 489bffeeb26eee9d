"""Solvers for stationarity, the first two moments, mean reversion and autocorrelation."""

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
    best_split,
    fit_line,
)
from moesaic.reports.exam.trend import TREND_T, trend_criteria
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict, by_terms, nearest_number, yes_no
from moesaic.reports.exam.waves import best_wave, fit_trend, nuisance_basis

# A deterministic cycle: a waveform explaining this share of the (line-detrended) variance.
CYCLE_R2 = 0.5
# A level shift: one split of the series into two constant levels removing this share of the SSE.
SHIFT_GAIN = 0.5
# A curved (exponential or log) trend beats a straight line by this much BIC.
CURVED_BIC = 10.0
# A change of variance: log-likelihood gain per step of two variances over one.
VARIANCE_GAIN = 0.25
# Skewness and excess kurtosis count when this many standard errors (sqrt(6/n), sqrt(24/n)) from
# zero, and the kurtosis also above 1: a Gaussian sample of 200 rarely passes either.
SHAPE_SE = 3.0


class Stationarity(NamedTuple):
    trend_t: float  # t statistic of a straight-line fit
    cycle_r2: float  # share of variance explained by the best waveform
    shift_gain: float  # SSE share removed by the best single level shift
    variance_gain: float  # per-step log-likelihood gain of a variance change
    adf: float  # augmented Dickey-Fuller t statistic (constant only)
    flat: bool  # no variation at all

    def reasons(self) -> dict[str, bool]:
        """Which property breaks stationarity, by name."""
        return {
            "trend": abs(self.trend_t) > TREND_T and self.shift_gain < 0.95,
            "cycle": self.cycle_r2 > CYCLE_R2,
            "mean": self.shift_gain > SHIFT_GAIN,
            "variance": self.variance_gain > VARIANCE_GAIN,
            "unit_root": self.adf > ADF_CRITICAL_CONSTANT,
        }

    def stationary(self) -> bool:
        return self.flat or not any(self.reasons().values())

    def describe(self) -> str:
        return (
            f"line t {self.trend_t:.1f}, wave R2 {self.cycle_r2:.2f}, level-shift gain "
            f"{self.shift_gain:.2f}, variance-change gain {self.variance_gain:.2f}, ADF {self.adf:.2f} "
            f"(5% level {ADF_CRITICAL_CONSTANT})"
        )


def stationarity(x: np.ndarray, *, scale: float | None = None) -> Stationarity:
    """Evidence about the (weak) stationarity of ``x``.

    ``scale`` is the size of the values ``x`` was derived from (by differencing, say): a
    spread below a millionth of it is rounding, and the series counts as constant.
    """
    x = as_float(x)
    reference = float(np.abs(x).max()) if scale is None else scale
    if float(np.std(x)) <= 1e-6 * max(reference, 1e-12):
        return Stationarity(0.0, 0.0, 0.0, 0.0, -100.0, True)
    line = fit_line(x)
    wave = best_wave(x)
    return Stationarity(
        trend_t=line.t_stat,
        cycle_r2=wave.r2 * (1.0 - line.r2),
        shift_gain=best_split(x, kind="mean").gain,
        variance_gain=best_split(x, kind="variance").gain,
        adf=adf_statistic(x, lags=1),
        flat=False,
    )


def _remove_trend(x: np.ndarray) -> np.ndarray:
    fits = [fit_trend(x, k) for k in ("linear", "exponential", "log")]
    best = min(fits, key=lambda f: f.sse)
    return x - best.fitted


def _remove_cycle(x: np.ndarray) -> np.ndarray:
    wave = best_wave(x, nuisance="const")
    return x - wave.fitted


def stationarity_question(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    if len(series) == 2 and all(c.polarity is None for c in intent.choices):
        return _which_stationary(intent, series)
    x = as_float(series[0])
    scale = float(np.abs(x).max())
    if intent.mentions(r"differenc"):
        crit = trend_criteria(x, with_wave=False)
        if min(crit["exponential"], crit["log"]) < crit["linear"] - CURVED_BIC:
            # A curved trend stays a trend after one difference, however noisy the differences.
            return yes_no(intent, 0.0, f"a curved trend: BIC {crit}")
        x, how = np.diff(x), "after differencing: "
    elif intent.mentions(r"remov\w* the trend|detrend"):
        x, how = _remove_trend(x), "after removing the best trend: "
    elif intent.mentions(r"remov\w* the (cycl|season)|deseason"):
        x, how = _remove_cycle(x), "after removing the best waveform: "
    else:
        how = ""
    if intent.mentions(r"any part|some part|segment of|concatenat"):
        return _any_part(intent, x)
    if intent.mentions(r"piece-?wise"):
        return _piecewise(intent, x)
    if intent.mentions(r"seasonal stationar"):
        return _seasonal(intent, x)
    evidence = stationarity(x, scale=scale)
    reasons = evidence.reasons()
    p_yes = float(evidence.stationary())
    support = {
        "mean": float(reasons["mean"] or reasons["trend"] or reasons["unit_root"]),
        "variance": float(reasons["variance"] and not reasons["mean"]),
    }
    return yes_no(intent, p_yes, how + evidence.describe(), reasons=support)


def _which_stationary(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Which of two series is stationary: options naming one series, both or neither."""
    flags = [stationarity(as_float(s)).stationary() for s in series]
    scores = []
    for choice in intent.choices:
        named, words = choice.series(), choice.text.lower()
        if re.search(r"\bboth\b", words):
            scores.append(float(all(flags)))
        elif re.search(r"\bneither\b|\bnone\b", words):
            scores.append(float(not any(flags)))
        elif len(named) == 1 and named[0] in (1, 2):
            scores.append(float(flags[named[0] - 1] and not flags[2 - named[0]]))
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), f"stationary: series 1 {flags[0]}, series 2 {flags[1]}")


def _any_part(intent: Intent, x: np.ndarray) -> Verdict:
    parts = [
        x[: x.size // 2],
        x[x.size // 2 :],
        x[: x.size // 3],
        x[x.size // 3 : 2 * x.size // 3],
        x[2 * x.size // 3 :],
    ]
    flags = [stationarity(p).stationary() for p in parts]
    return yes_no(intent, float(any(flags)), f"halves and thirds stationary: {flags}")


def _piecewise(intent: Intent, x: np.ndarray) -> Verdict:
    split = best_split(x, kind="mean")
    parts = [x[: split.at], x[split.at :]]
    pieces = [stationarity(p) for p in parts]
    piecewise = split.gain > SHIFT_GAIN and all(p.stationary() for p in pieces)
    return yes_no(
        intent, float(piecewise), f"best level shift at {split.at} removes {split.gain:.2f} of the SSE"
    )


def _seasonal(intent: Intent, x: np.ndarray) -> Verdict:
    """Seasonal stationarity: a steady cycle whose removal leaves a stationary remainder."""
    wave = best_wave(x, nuisance="const")
    rest = stationarity(x - wave.fitted)
    seasonal = wave.r2 > CYCLE_R2 and rest.stationary()
    return yes_no(
        intent, float(seasonal), f"best {wave.kind} explains {wave.r2:.2f}; remainder: {rest.describe()}"
    )


def mean_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    return nearest_number(intent, float(x.mean()), f"sample mean {x.mean():.4g}")


def variance_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    q = nuisance_basis(x.size, "line")
    resid = x - q @ (q.T @ x)
    change = best_split(x, kind="variance").gain
    varies = change > VARIANCE_GAIN
    value = float(resid.var())
    text = f"variance around a line {value:.4g}; variance-change gain {change:.2f}"
    scores = list(nearest_number(intent, value, text).scores)
    for i, choice in enumerate(intent.choices):
        if choice.number is None and choice.has("variance"):
            scores[i] = 1e6 if varies else -1e6
        elif varies:
            scores[i] -= 1e5
    return Verdict(tuple(scores), text)


# A yes/no question that asks whether a property changes ("Does the spread change over time?")
# rather than whether it holds still ("Is the variance constant?"): "Yes" then means unstable.
_ASKS_CHANGE = re.compile(r"\b(chang|vary|varies|varying|shift|evolv|grow|drift|fluctuat)\w*")
_ASKS_STILL = re.compile(r"\b(constant|stable|same|unchanged|steady|stationary)\b")


def asks_change(intent: Intent) -> bool:
    return bool(_ASKS_CHANGE.search(intent.question)) and not _ASKS_STILL.search(intent.question)


def _stable_yes(intent: Intent, stable: bool) -> float:
    """The "Yes" probability of a question about a stable property, in the question's sense."""
    return float(stable != asks_change(intent))


def variance_stable(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    change = best_split(as_float(series[0]), kind="variance").gain
    return yes_no(
        intent,
        _stable_yes(intent, change <= VARIANCE_GAIN),
        f"variance-change gain {change:.2f} (a change above {VARIANCE_GAIN})",
    )


def std_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    return nearest_number(intent, float(x.std()), f"sample standard deviation {x.std():.4g}")


def acf_value(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    lag = 1
    match = re.search(r"lag[\s-]*(\d+)", intent.question)
    if match:
        lag = int(match.group(1))
    value = float(autocorrelation(x, lag)[lag])
    return nearest_number(intent, value, f"autocorrelation at lag {lag}: {value:.3f}")


def cycle_presence(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    wave = best_wave(as_float(series[0]))
    return yes_no(
        intent,
        float(wave.r2 > CYCLE_R2),
        f"best {wave.kind} (period {wave.period:.1f}) explains {wave.r2:.2f}",
    )


def mean_stable(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    evidence = stationarity(x)
    reasons = evidence.reasons()
    stable = not (reasons["mean"] or reasons["trend"] or reasons["unit_root"])
    return yes_no(intent, _stable_yes(intent, stable), evidence.describe())


def mean_reversion(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    evidence = stationarity(x)
    reasons = evidence.reasons()
    reverting = not (reasons["trend"] or reasons["unit_root"] or reasons["mean"])
    return yes_no(intent, float(reverting), evidence.describe())


def acf_sign(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    x = as_float(series[0])
    r1 = float(autocorrelation(fit_line(x).residual, 1)[1])
    bound = 2.0 / np.sqrt(x.size)  # the usual 95% band of a white-noise autocorrelation
    support = {
        "negative": float(r1 < -bound),
        "positive": float(r1 > bound),
        "no_autocorrelation": float(abs(r1) <= bound),
    }
    return by_terms(intent, support, f"lag-1 autocorrelation {r1:.2f} (white-noise band +/-{bound:.2f})")


def distribution_shape(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Skewness and tail weight of the values, each against its Gaussian standard error."""
    x = as_float(series[0])
    z = (x - x.mean()) / max(float(x.std()), 1e-300)
    skew, kurtosis = float(np.mean(z**3)), float(np.mean(z**4) - 3.0)
    skew_bound = SHAPE_SE * np.sqrt(6.0 / x.size)
    heavy = kurtosis > max(1.0, SHAPE_SE * np.sqrt(24.0 / x.size))
    support = {
        "skew_right": float(skew > skew_bound),
        "skew_left": float(skew < -skew_bound),
        "symmetric": float(abs(skew) <= skew_bound),
        "heavy_tails": float(heavy),
        "light_tails": float(not heavy),
    }
    return by_terms(
        intent,
        support,
        f"skewness {skew:.2f} (symmetric within +/-{skew_bound:.2f}), excess kurtosis {kurtosis:.2f}",
    )


SOLVERS: dict[str, Solver] = {
    "distribution_shape": distribution_shape,
    "stationarity": stationarity_question,
    "mean_value": mean_value,
    "variance_value": variance_value,
    "mean_stable": mean_stable,
    "mean_reversion": mean_reversion,
    "acf_sign": acf_sign,
    "variance_stable": variance_stable,
    "std_value": std_value,
    "acf_value": acf_value,
    "cycle_presence": cycle_presence,
}
