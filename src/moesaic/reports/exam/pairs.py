"""Solvers for questions about two series: scaling, flipping, shape and distribution
similarity, shared trend or noise kinds, and comparisons of one property between the two."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np

from moesaic.reports.exam.noise import noise_evidence
from moesaic.reports.exam.parse import Choice, Intent, read_choice
from moesaic.reports.exam.stats import (
    ADF_CRITICAL_CONSTANT,
    adf_statistic,
    as_float,
    autocorrelation,
    fit_line,
    partial_autocorrelation,
)
from moesaic.reports.exam.trend import TREND_T, trend_criteria
from moesaic.reports.exam.verdict import UNSUPPORTED, Solver, Verdict, by_series, by_terms, yes_no
from moesaic.reports.exam.waves import TRENDS, best_wave, nuisance_basis

# Two measurements are "the same" within this ratio.
SAME_RATIO = 1.3
# Two processes share a distribution: scales within DIST_RATIO, lag-1 autocorrelations within DIST_ACF.
DIST_RATIO = 1.6
DIST_ACF = 0.35
# ... and means and skewnesses that differ by less than DIST_Z standard errors, the standard
# errors counting the effective sample size of an autocorrelated series.
DIST_Z = 4.0
# Two series that move together this closely (absolute correlation) are scaled copies.
COPY_R = 0.95
# Correlation of the detrended series above which two shapes are alike (below minus it: flipped).
SHAPE_R = 0.6


def pair(series: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The two series of a two-series question."""
    if len(series) < 2:
        raise ValueError(f"this question needs two series, found {len(series)}")
    return as_float(series[0]), as_float(series[1])


def _same_shape(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    """The same shape: the same cycle, or values that move together as a copy does."""
    same_shape, text = _same_cycle(a, b)
    n = min(a.size, b.size)
    r = float(np.corrcoef(a[:n], b[:n])[0, 1]) if a[:n].std() > 0 and b[:n].std() > 0 else 0.0
    return same_shape or abs(r) > COPY_R, f"{text}; correlation {r:.3f} (a copy above {COPY_R})"


def scaled(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Is one series a scaled copy of the other? The larger one is the "scaled version"."""
    a, b = pair(series)
    same_shape, text = _same_shape(a, b)
    bigger = 1 if a.std() > b.std() else 2
    scores = []
    for choice in intent.choices:
        if choice.relation is not None:
            scores.append(float(same_shape and choice.relation[0] == bigger))
        elif choice.polarity == -1:
            scores.append(float(not same_shape))
        else:
            scores.append(float(same_shape) if choice.polarity == 1 else UNSUPPORTED)
    return Verdict(tuple(scores), f"{text}; std {a.std():.3g} vs {b.std():.3g}")


# Two series of one shape are on one scale when their spreads differ by less than this factor.
SAME_SCALE = 1.25


def shape_scale(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Same shape and scale, same shape on another scale, or different shapes: the shape as for
    :func:`scaled`, the scale from the ratio of the spreads (and the gap of the means)."""
    a, b = pair(series)
    same_shape, text = _same_shape(a, b)
    spread = max(a.std(), b.std()) / max(min(a.std(), b.std()), 1e-12)
    same_scale = spread < SAME_SCALE and abs(a.mean() - b.mean()) < 0.5 * max(a.std(), b.std())
    relation = "different shapes" if not same_shape else "identical" if same_scale else "rescaled"
    scores = []
    for choice in intent.choices:
        words = choice.text.lower()
        if re.search(r"different shapes?|not (the same|alike)|unrelated", words):
            said = "different shapes"
        elif re.search(r"different (scale|size|amplitude|magnitude)|scaled|rescaled", words):
            said = "rescaled"
        elif re.search(r"identical|same (shape and|scale)|both shape and scale", words):
            said = "identical"
        else:
            scores.append(UNSUPPORTED)
            continue
        scores.append(float(said == relation))
    return Verdict(tuple(scores), f"{text}; spreads differ x{spread:.2f}: {relation}")


def _same_cycle(a: np.ndarray, b: np.ndarray, *, period_tolerance: float | None = 1.15) -> tuple[bool, str]:
    """Do both series carry a clear cycle of the same waveform (and period, unless None)?"""
    wa, wb = best_wave(a, nuisance="quadratic"), best_wave(b, nuisance="quadratic")
    # A cycle repeats: a "period" longer than half the series is a bend, not a cycle.
    repeats = wa.period <= a.size / 2 and wb.period <= b.size / 2
    same = wa.kind == wb.kind and min(wa.r2, wb.r2) > 0.5 and repeats
    if period_tolerance is not None:
        same = same and abs(math.log(wa.period / wb.period)) < math.log(period_tolerance)
    text = f"cycles {wa.kind} {wa.period:.1f} (R2 {wa.r2:.2f}) and {wb.kind} {wb.period:.1f} (R2 {wb.r2:.2f})"
    return same, text


def _detrended(x: np.ndarray) -> np.ndarray:
    return fit_line(x).residual


def shape_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the two line-detrended, lightly smoothed series over their common length."""
    n = min(a.size, b.size)
    u, v = _detrended(a[:n]), _detrended(b[:n])
    if u.std() == 0 or v.std() == 0:
        return 0.0
    return float(np.corrcoef(u, v)[0, 1])


def flipped(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    r = shape_correlation(a, b)
    return yes_no(
        intent, float(r < -SHAPE_R), f"correlation of the detrended series {r:.2f} (flipped below -{SHAPE_R})"
    )


def similar_shape(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Same shape: the detrended series move together, or both carry the same waveform
    (the period may differ: a stretched sine is still a sine)."""
    a, b = pair(series)
    r = shape_correlation(a, b)
    same_cycle, text = _same_cycle(a, b, period_tolerance=None)
    similar = r > SHAPE_R or same_cycle
    text = f"correlation of the detrended series {r:.2f}; {text}"
    return yes_no(
        intent, float(similar), text, reasons={"different": float(not similar), "same": float(similar)}
    )


def same_distribution(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Same spread, same autocorrelation, same location and same skewness."""
    a, b = pair(series)
    ratio = max(a.std(), b.std()) / max(min(a.std(), b.std()), 1e-12)
    ra, rb = autocorrelation(a, 1)[1], autocorrelation(b, 1)[1]
    na, nb = effective_size(a, ra), effective_size(b, rb)
    mean_z = abs(float(a.mean() - b.mean())) / max(math.sqrt(a.var() / na + b.var() / nb), 1e-300)
    skew_z = abs(_skewness(a) - _skewness(b)) / math.sqrt(6.0 / na + 6.0 / nb)
    same = ratio < DIST_RATIO and abs(ra - rb) < DIST_ACF and max(mean_z, skew_z) < DIST_Z
    text = (
        f"std ratio {ratio:.2f} (same below {DIST_RATIO}); lag-1 autocorrelations {ra:.2f} and {rb:.2f}; "
        f"means {mean_z:.1f} and skewnesses {skew_z:.1f} standard errors apart (same below {DIST_Z})"
    )
    return yes_no(intent, float(same), text)


def effective_size(x: np.ndarray, acf1: float) -> float:
    """Independent observations worth of an AR(1)-like series: n (1 - r) / (1 + r), at least 2."""
    r = min(max(acf1, 0.0), 0.99)
    return max(x.size * (1.0 - r) / (1.0 + r), 2.0)


def _skewness(x: np.ndarray) -> float:
    spread = x.std()
    return float(np.mean(((x - x.mean()) / spread) ** 3)) if spread > 0 else 0.0


def _wave_amplitude(x: np.ndarray) -> float:
    return abs(best_wave(x, nuisance="quadratic").amplitude)


def _wave_period(x: np.ndarray) -> float:
    return best_wave(x, nuisance="quadratic").period


def _innovation_std(x: np.ndarray) -> float:
    """Residual standard deviation of an AR(1) fit with a constant."""
    design = np.column_stack([np.ones(x.size - 1), x[:-1]])
    coef, *_ = np.linalg.lstsq(design, x[1:], rcond=None)
    r = x[1:] - design @ coef
    return math.sqrt(float(r @ r) / max(x.size - 3, 1))


def noise_level(x: np.ndarray) -> float:
    """Standard deviation of what a quadratic trend and the best waveform leave."""
    q = nuisance_basis(x.size, "quadratic")
    wave = best_wave(x, nuisance=q)
    return float((x - q @ (q.T @ x) - wave.fitted).std())


def signal_to_noise(x: np.ndarray) -> float:
    """Standard deviation of the fitted trend and waveform over that of what they leave."""
    residual = noise_level(x)
    signal = math.sqrt(max(float(np.var(x)) - residual**2, 0.0))
    return signal / max(residual, 1e-12)


def process_score(x: np.ndarray, kind: str) -> float:
    """How well ``x`` fits a stationary AR(1) ("ar") or MA(1) ("ma") process, as points.

    Both are stationary, so a unit root or a trend costs most (2 points each); an AR(1)
    gains up to a point for a clear lag-1 autocorrelation whose partial autocorrelation cuts
    off after lag 1, an MA(1) for autocorrelations that die out within a few lags.
    """
    band = 2.0 / math.sqrt(x.size)
    score = 0.0
    if adf_statistic(x, lags=1) > ADF_CRITICAL_CONSTANT:
        score -= 2.0
    if abs(fit_line(x).t_stat) > TREND_T:
        score -= 2.0
    acf = autocorrelation(x, 4)
    if kind == "ar":
        pacf = partial_autocorrelation(x, 2)
        score += float(abs(acf[1]) > band and abs(pacf[2]) < band)
    else:
        score += float(max(abs(acf[3]), abs(acf[4])) < band)
    return score


_AR_OPTION = re.compile(r"\bar\b|\bar\(|autoregress")
_MA_OPTION = re.compile(r"\bma\b|\bma\(|moving[- ]average")


def ar_or_ma(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """One series: an AR(1) or an MA(1) process? The fit points of :func:`process_score`, the tie
    broken by the lag-2 autocorrelation, near acf(1)^2 for an AR(1) and near 0 for an MA(1)."""
    x = as_float(series[0])
    acf = autocorrelation(x, 2)
    ar = process_score(x, "ar") + 0.5 * float(abs(acf[2]) > abs(acf[2] - acf[1] ** 2))
    ma = process_score(x, "ma") + 0.5 * float(abs(acf[2]) <= abs(acf[2] - acf[1] ** 2))
    scores = []
    for choice in intent.choices:
        text = choice.text.lower()
        is_ar, is_ma = bool(_AR_OPTION.search(text)), bool(_MA_OPTION.search(text))
        scores.append(ar if is_ar and not is_ma else ma if is_ma and not is_ar else UNSUPPORTED)
    return Verdict(
        tuple(scores),
        f"AR(1) fit points {ar:.1f}, MA(1) fit points {ma:.1f} (lag-1 autocorrelation {acf[1]:.2f}, "
        f"lag-2 {acf[2]:.2f})",
    )


# Property measured per series, by the question words that ask for it (first match wins).
MEASURES: tuple[tuple[str, str, Callable[[np.ndarray], float]], ...] = (
    ("random component", "innovation std", _innovation_std),
    ("ma\\(1\\)|moving average", "MA(1) fit points", lambda x: process_score(x, "ma")),
    (
        "ar\\(1\\) process\\?|more likely to be an ar|autoregressive process\\?",
        "AR(1) fit points",
        lambda x: process_score(x, "ar"),
    ),
    ("autocorrelation", "|lag-1 autocorrelation|", lambda x: abs(float(autocorrelation(x, 1)[1]))),
    ("amplitude", "cycle amplitude", _wave_amplitude),
    ("faster|slower|more often|frequen", "cycle frequency", lambda x: 1.0 / _wave_period(x)),
    ("period", "cycle period", _wave_period),
    (r"signal[- ]to[- ]noise|\bsnr\b", "signal-to-noise ratio", signal_to_noise),
    ("nois", "residual std after trend and cycle", noise_level),
    ("variance|standard deviation", "standard deviation", lambda x: float(np.std(x))),
)


_SMALLER = re.compile(
    r"\b(lower|smaller|less|least|shorter|fewer|weaker|slower|lowest|smallest|shortest|quieter|narrower)\b"
)


def compare(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Which series has more of a property, or do both have the same amount?"""
    a, b = pair(series)
    name, measure = next(
        ((label, fn) for rx, label, fn in MEASURES if re.search(rx, intent.question)),
        ("standard deviation", np.std),
    )
    values = {1: float(measure(a)), 2: float(measure(b))}
    text = f"{name}: series 1 {values[1]:.4g}, series 2 {values[2]:.4g}"
    if _SMALLER.search(intent.question):
        # "Which has the shorter period?": the series with less of the property is named.
        values = {k: -v for k, v in values.items()}
        text += " (the smaller is asked for)"
    if any(c.polarity is not None or _says_same(c) for c in intent.choices):
        low, high = sorted(abs(v) for v in values.values())
        same = high <= SAME_RATIO * max(low, 1e-12)
        larger = 1 if values[1] > values[2] else 2
        return Verdict(_pair_scores(intent, same, larger), text + f" (the same within x{SAME_RATIO})")
    return by_series(intent, values, text)


def _pair_scores(intent: Intent, same: bool, larger: int) -> tuple[float, ...]:
    """Scores of options about two series: "the same" options, yes/no answers (read with
    :func:`_what_yes_says`), options naming the series with more, and "different" options."""
    says = _what_yes_says(intent.question)
    yes = same if says == "same" else not same if says == "different" else not same and larger == says
    scores = []
    for choice in intent.choices:
        named = choice.series()
        if _says_same(choice):
            scores.append(float(same))
        elif choice.polarity == 1:
            scores.append(float(yes))
        elif named:
            scores.append(float(not same and named[0] == larger))
        elif choice.polarity == -1:
            scores.append(float(not yes))
        elif choice.has("different"):
            scores.append(float(not same))
        else:
            scores.append(UNSUPPORTED)
    return tuple(scores)


_COMPARATIVE = re.compile(
    r"\b(more|less|larger|smaller|higher|lower|greater|bigger|noisier|quieter|stronger|weaker|faster|slower"
    r"|longer|shorter|wider|narrower)\b"
)
_SAME_WORD = re.compile(r"\b(same|similar|equal\w*|alike|comparable)\b")


def _what_yes_says(question: str) -> int | str:
    """What a yes claims in a yes/no comparison: "same" (the two are alike), "different", or the
    number of the series said to have more ("Could series 2 be a noisier version of series 1?")."""
    if _SAME_WORD.search(question):
        return "same"
    if re.search(r"\bdiffer\w*\b", question):
        return "different"
    named = read_choice(question).series() if _COMPARATIVE.search(question) else ()
    return named[0] if named else "same"


def _says_same(choice: Choice) -> bool:
    """An option that calls the two series alike without naming either ("They are about the same")."""
    return not choice.series() and choice.has("same")


# Two means are "the same" within this many pooled standard deviations of the two series.
SAME_MEANS = 0.5


def mean_compare(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Do two series have the same mean, else which is higher (lower, when asked for)?"""
    a, b = pair(series)
    spread = math.sqrt((float(np.var(a)) + float(np.var(b))) / 2.0)
    gap = (float(np.mean(a)) - float(np.mean(b))) / max(spread, 1e-12)
    same = abs(gap) < SAME_MEANS
    larger = 1 if gap > 0 else 2
    if _SMALLER.search(intent.question):
        larger = 3 - larger
    text = f"means {np.mean(a):.4g} and {np.mean(b):.4g}, {gap:+.2f} pooled standard deviations apart"
    return Verdict(_pair_scores(intent, same, larger), text + f" (the same within {SAME_MEANS})")


def white_noise_pick(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Which of two series is white noise (the smaller |lag-1 autocorrelation|), or a random walk
    (the larger lag-1 autocorrelation)?"""
    a, b = pair(series)
    acf = {1: float(autocorrelation(a, 1)[1]), 2: float(autocorrelation(b, 1)[1])}
    walk = re.search(r"random walk|red noise|brown", intent.question) is not None
    values = acf if walk else {k: -abs(v) for k, v in acf.items()}
    text = f"lag-1 autocorrelation: series 1 {acf[1]:.2f}, series 2 {acf[2]:.2f}"
    return by_series(
        intent, values, text + (" (the larger is a random walk)" if walk else " (nearer 0 is white)")
    )


def _choice_kinds(choice: Choice, vocabulary: tuple[str, ...], count: int) -> dict[int, str] | None:
    """The kind an option gives each series ("both have X" gives it to all), or None."""
    kinds = {}
    for index, terms in choice.subjects:
        found = [t for t in terms if t in vocabulary]
        if found:
            kinds[index] = found[0]
    if not kinds and choice.polarity == 1:
        found = [t for t in choice.terms if t in vocabulary]
        if found:
            kinds = {i: found[0] for i in range(1, count + 1)}
    return kinds or None


def _kind_verdict(
    intent: Intent, supports: Sequence[dict[str, float]], vocabulary: tuple[str, ...], text: str
) -> Verdict:
    """Options naming a kind per series score the summed support; a bare "No" (different) or
    "Yes" (same) scores whether the two best kinds differ or agree."""
    best = [max(s, key=s.__getitem__) for s in supports]
    scores = []
    for choice in intent.choices:
        kinds = _choice_kinds(choice, vocabulary, len(supports))
        if kinds is not None:
            scores.append(
                sum(supports[i - 1].get(k, UNSUPPORTED) for i, k in kinds.items() if 0 < i <= len(supports))
            )
        elif choice.polarity == -1 or choice.has("different"):
            scores.append(float(best[0] != best[1]))
        elif choice.polarity == 1 or choice.has("same"):
            scores.append(float(best[0] == best[1]))
        else:
            scores.append(UNSUPPORTED)
    return Verdict(tuple(scores), text + f"; best kinds {best}")


def trend_type_same(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    supports = []
    for x in (a, b):
        crit = trend_criteria(x, with_wave=False)
        low = min(crit[k] for k in TRENDS)
        supports.append({k: -(crit[k] - low) / 10.0 for k in TRENDS})
    return _kind_verdict(intent, supports, TRENDS, "BIC-based trend family per series")


def trend_direction_same(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    fa, fb = fit_line(a), fit_line(b)
    same = np.sign(fa.slope) == np.sign(fb.slope)
    return yes_no(
        intent,
        float(same),
        f"line slopes {fa.slope:.3g} (t {fa.t_stat:.1f}) and {fb.slope:.3g} (t {fb.t_stat:.1f})",
        reasons={"different": float(not same), "same": float(same)},
    )


def noise_type_same(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    a, b = pair(series)
    supports = []
    texts = []
    for x in (a, b):
        evidence = noise_evidence(x, structure=True)
        red = evidence.red() or evidence.white_p < 0.001
        supports.append({"red": float(red), "white": float(not red)})
        texts.append(evidence.describe())
    return _kind_verdict(intent, supports, ("white", "red"), " | ".join(texts))


def correlation_sign(intent: Intent, series: Sequence[np.ndarray]) -> Verdict:
    """Sign of the correlation of the two series' steps: the levels of two independent random
    walks are often strongly correlated by chance, their steps are not."""
    a, b = (np.diff(x) for x in pair(series))
    r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0
    bound = 2.0 / math.sqrt(a.size)  # the usual 95% band of the correlation of independent noise
    support = {
        "positive": float(r > bound),
        "negative": float(r < -bound),
        "no_autocorrelation": float(abs(r) <= bound),
    }
    return by_terms(intent, support, f"correlation of the steps {r:.2f} (independent within +/-{bound:.2f})")


SOLVERS: dict[str, Solver] = {
    "ar_or_ma": ar_or_ma,
    "mean_compare": mean_compare,
    "white_noise_pick": white_noise_pick,
    "correlation_sign": correlation_sign,
    "scaled": scaled,
    "shape_scale": shape_scale,
    "flipped": flipped,
    "similar_shape": similar_shape,
    "same_distribution": same_distribution,
    "compare": compare,
    "trend_type_same": trend_type_same,
    "trend_direction_same": trend_direction_same,
    "noise_type_same": noise_type_same,
}
