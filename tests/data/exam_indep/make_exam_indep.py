"""Write exam_indep.json: an independent set of 80 TimeSeriesExam-style questions.

Every series is generated here with a fixed seed, and each answer follows from how the series
was made (strong enough signal that a statistician looking at it would agree). Questions and
options are worded independently of the TimeSeriesExam file and of tests/data/exam_dev, to
estimate the answerer on questions it was not built on. Categories follow the proportions of
the local 305-question file (Pattern 48%, Anomaly 17%, Similarity 15%, Noise 11%, Causality 8%).

Run: python tests/data/exam_indep/make_exam_indep.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20240611
OUT = Path(__file__).with_name("exam_indep.json")
Rng = np.random.Generator
Item = dict[str, Any]


def _r(x: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in x]


def _one(q: str, opts: list[str], ans: str, ts: np.ndarray) -> Item:
    return {"question": q, "options": opts, "answer": ans, "ts": _r(ts)}


def _two(q: str, opts: list[str], ans: str, a: np.ndarray, b: np.ndarray) -> Item:
    return {"question": q, "options": opts, "answer": ans, "ts1": _r(a), "ts2": _r(b)}


def _pick(rng: Rng, texts: list[str]) -> str:
    return texts[int(rng.integers(len(texts)))]


def _ar1(rng: Rng, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    e = rng.normal(0, sd, n + 50)
    x = np.zeros(n + 50)
    for t in range(1, n + 50):
        x[t] = phi * x[t - 1] + e[t]
    return x[50:]


def _pink(rng: Rng, n: int) -> np.ndarray:
    f = np.fft.rfftfreq(n)
    spec = rng.normal(size=f.size) + 1j * rng.normal(size=f.size)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return x / x.std()


def _square(t: np.ndarray, period: float) -> np.ndarray:
    return np.sign(np.sin(2 * np.pi * t / period) + 1e-9)


def _saw(t: np.ndarray, period: float) -> np.ndarray:
    return 2 * ((t / period) % 1.0) - 1


T = np.arange(128, dtype=float)

# ---------------------------------------------------------------- Pattern Recognition (39)


def trend_presence(rng: Rng, has: bool) -> Item:
    slope = rng.choice([-1, 1]) * rng.uniform(0.04, 0.07)
    x = (slope * T if has else 0) + rng.normal(0, 0.8, 128) + rng.uniform(-3, 3)
    q = _pick(
        rng,
        [
            "Does this series show a trend over time?",
            "Looking at the whole window, is there a long-term trend in the data?",
            "Is a deterministic trend present in the time series below?",
        ],
    )
    opts = ["Yes, there is a clear trend", "No, it fluctuates around a constant level"]
    return _one(q, opts, opts[0] if has else opts[1], x)


def trend_direction(rng: Rng, kind: str) -> Item:
    slope = {"up": 0.05, "down": -0.05, "flat": 0.0}[kind] * rng.uniform(0.8, 1.4)
    x = 10 + slope * T + rng.normal(0, 0.7, 128)
    q = _pick(
        rng,
        [
            "In which direction does the series trend?",
            "What best describes the overall direction of the time series?",
            "How does the level of this series evolve over time?",
        ],
    )
    opts = ["Upward", "Downward", "No trend"]
    return _one(q, opts, {"up": "Upward", "down": "Downward", "flat": "No trend"}[kind], x)


def trend_shape(rng: Rng, kind: str) -> Item:
    u = T / 127
    base = {
        "linear": 10 * u,
        "exponential": 10 * (np.exp(3.5 * u) - 1) / (np.exp(3.5) - 1),
        "logarithmic": 10 * np.log1p(40 * u) / np.log1p(40),
    }[kind]
    x = base + rng.normal(0, 0.25, 128)
    q = _pick(
        rng,
        [
            "Which functional form best fits the trend of this series?",
            "The series has an increasing trend. What is the shape of that trend?",
        ],
    )
    opts = ["Linear trend", "Exponential trend", "Logarithmic trend"]
    return _one(q, opts, {"linear": opts[0], "exponential": opts[1], "logarithmic": opts[2]}[kind], x)


def seasonality_presence(rng: Rng, has: bool) -> Item:
    p = rng.choice([16, 20, 25])
    x = (2 * np.sin(2 * np.pi * T / p) if has else 0) + rng.normal(0, 0.6, 128)
    q = _pick(
        rng,
        [
            "Is there a repeating seasonal pattern in this time series?",
            "Does the series contain a periodic (seasonal) component?",
        ],
    )
    opts = ["Yes, it repeats at a regular period", "No, there is no periodic behaviour"]
    return _one(q, opts, opts[0] if has else opts[1], x)


def period(rng: Rng, p: int, short: bool) -> Item:
    n = 192
    t = np.arange(n, dtype=float)
    x = 3 * np.sin(2 * np.pi * t / p + rng.uniform(0, 6)) + rng.normal(0, 0.5, n) + 5
    others = [c for c in (8, 16, 32, 64) if c != p][:2] if p in (8, 16, 32, 64) else [12, 48]
    cands = sorted([p, *others])
    if short:
        opts = [str(c) for c in cands]
        q = _pick(
            rng,
            [
                "What is the period of the cycle, in time steps?",
                "Estimate the length of one full cycle (number of steps).",
            ],
        )
        return _one(q, opts, str(p), x)
    opts = [f"The pattern repeats about every {c} steps" for c in cands]
    q = "How long is the seasonal period of this series?"
    return _one(q, opts, f"The pattern repeats about every {p} steps", x)


def wave_shape(rng: Rng, kind: str) -> Item:
    p = 32.0
    w = {"sine": np.sin(2 * np.pi * T / p), "square": _square(T, p), "sawtooth": _saw(T, p)}[kind]
    x = 2 * w + rng.normal(0, 0.15, 128)
    q = _pick(
        rng,
        [
            "What kind of waveform does this periodic series follow?",
            "Which wave shape describes the repeating pattern?",
        ],
    )
    opts = ["Smooth sinusoid", "Square wave with abrupt jumps", "Sawtooth: slow ramp then sudden drop"]
    return _one(q, opts, opts[["sine", "square", "sawtooth"].index(kind)], x)


def stationarity(rng: Rng, kind: str) -> Item:
    if kind == "ar":
        x = _ar1(rng, 128, 0.3)
    elif kind == "rw":
        x = np.cumsum(rng.normal(0, 1, 128))
        x = x + np.sign(x[-1] - x[0] + 1e-9) * 0.08 * T  # make the wander unmistakable
    else:
        x = 0.08 * T + rng.normal(0, 1, 128)
    q = _pick(
        rng,
        [
            "Is this time series stationary?",
            "Would you say the series is stationary in mean and variance?",
            "Does the series look weakly stationary?",
        ],
    )
    opts = ["Yes, it is stationary", "No, it is non-stationary"]
    return _one(q, opts, opts[0] if kind == "ar" else opts[1], x)


def structural_break(rng: Rng, has: bool) -> Item:
    k = int(rng.integers(50, 80))
    x = rng.normal(0, 0.6, 128) + 2
    if has:
        x[k:] += rng.choice([-1, 1]) * 3
    q = _pick(
        rng,
        [
            "Does the series have a structural break, i.e. a sudden permanent change in its mean?",
            "Is there a point after which the level of the series shifts and stays shifted?",
        ],
    )
    opts = ["Yes", "No"]
    return _one(q, opts, "Yes" if has else "No", x)


def break_location(rng: Rng, where: str) -> Item:
    k = {"early": 30, "middle": 64, "late": 100}[where] + int(rng.integers(-4, 5))
    x = rng.normal(0, 0.5, 128)
    x[k:] += 4
    q = "The mean of this series changes abruptly once. Where does the change happen?"
    opts = ["In the first third of the series", "Around the middle", "In the last third of the series"]
    return _one(q, opts, opts[["early", "middle", "late"].index(where)], x)


def volatility(rng: Rng, kind: str) -> Item:
    s = np.ones(128)
    if kind == "up":
        s[64:] = 4
    elif kind == "down":
        s[:64] = 4
    x = rng.normal(0, 1, 128) * s * 0.5
    q = _pick(
        rng,
        [
            "How does the variability of the series change over time?",
            "What happens to the volatility of this series?",
        ],
    )
    opts = ["The variance increases", "The variance decreases", "The variance stays roughly constant"]
    return _one(q, opts, opts[["up", "down", "flat"].index(kind)], x)


def autocorrelation(rng: Rng, kind: str) -> Item:
    phi = {"pos": 0.85, "neg": -0.85, "none": 0.0}[kind]
    x = _ar1(rng, 128, phi)
    q = _pick(
        rng,
        [
            "What is the sign of the lag-1 autocorrelation of this series?",
            "How are consecutive values of the series related?",
        ],
    )
    opts = ["Positively autocorrelated", "Negatively autocorrelated (alternating)", "Uncorrelated"]
    return _one(q, opts, opts[["pos", "neg", "none"].index(kind)], x)


def ar_vs_white(rng: Rng, ar: bool) -> Item:
    x = _ar1(rng, 128, 0.9 if ar else 0.0)
    q = "Is this series better described as an AR(1) process with strong persistence or as white noise?"
    opts = ["AR(1) with strong persistence", "White noise"]
    return _one(q, opts, opts[0] if ar else opts[1], x)


def skew(rng: Rng, right: bool) -> Item:
    x = rng.exponential(1.0, 200) if right else rng.normal(0, 1, 200)
    q = _pick(
        rng,
        [
            "Which statement best describes the distribution of the values?",
            "Is the marginal distribution of this series skewed?",
        ],
    )
    opts = [
        "Symmetric around the mean",
        "Right-skewed, with a long upper tail",
        "Left-skewed, with a long lower tail",
    ]
    return _one(q, opts, opts[1] if right else opts[0], x)


def heavy_tails(rng: Rng, heavy: bool) -> Item:
    x = rng.standard_t(2, 200) if heavy else rng.normal(0, 1, 200)
    if heavy and np.max(np.abs(x)) < 6:
        x[int(rng.integers(20, 180))] = 9.0
    q = "Do the values of the series come from a heavy-tailed distribution or a Gaussian one?"
    opts = ["Heavy-tailed (frequent extreme values)", "Gaussian (light tails)"]
    return _one(q, opts, opts[0] if heavy else opts[1], x)


def regime_switch(rng: Rng, has: bool) -> Item:
    x = rng.normal(0, 0.4, 128)
    if has:
        for a, b in ((20, 45), (70, 95)):
            x[a:b] += 3
    q = "Does the series switch between distinct regimes (levels) over time?"
    opts = ["Yes, it alternates between two regimes", "No, it stays in a single regime"]
    return _one(q, opts, opts[0] if has else opts[1], x)


def additive_mult(rng: Rng, mult: bool) -> Item:
    trend = 1 + 0.06 * T
    season = np.sin(2 * np.pi * T / 16)
    x = trend * (1 + 0.6 * season) if mult else trend + 1.5 * season
    x = x + rng.normal(0, 0.1, 128)
    q = _pick(
        rng,
        [
            "This series combines a trend and a seasonal pattern. "
            "Is the combination additive or multiplicative?",
            "Does the seasonal amplitude grow with the level (multiplicative) or stay fixed (additive)?",
        ],
    )
    opts = ["Additive", "Multiplicative"]
    return _one(q, opts, "Multiplicative" if mult else "Additive", x)


def mean_reversion(rng: Rng, rw: bool) -> Item:
    x = np.cumsum(rng.normal(0, 1, 128)) if rw else _ar1(rng, 128, 0.4)
    if rw:
        x = x + np.sign(x[-1] - x[0] + 1e-9) * 0.06 * T
    q = "Is this a random walk or a mean-reverting process?"
    opts = ["A random walk", "A mean-reverting process"]
    return _one(q, opts, opts[0] if rw else opts[1], x)


def slope_change(rng: Rng, has: bool) -> Item:
    x = 0.05 * T + rng.normal(0, 0.3, 128)
    if has:
        x[64:] = x[64:] + 0.25 * (T[64:] - 64)
    q = "Does the trend keep the same slope throughout, or does the slope change at some point?"
    opts = ["The slope stays the same", "The slope changes partway through"]
    return _one(q, opts, opts[1] if has else opts[0], x)


# ---------------------------------------------------------------- Noise Understanding (9)


def white_vs_red(rng: Rng, red: bool) -> Item:
    x = _ar1(rng, 200, 0.95) if red else rng.normal(0, 1, 200)
    q = _pick(rng, ["What type of noise is this series?", "Which noise colour best describes this signal?"])
    opts = ["White noise", "Red (Brownian-like) noise"]
    return _one(q, opts, opts[1] if red else opts[0], x)


def pink_vs_white(rng: Rng) -> Item:
    x = _pink(rng, 256)
    q = "Which kind of noise is this: white, pink (1/f) or red (1/f^2)?"
    opts = ["White", "Pink", "Red"]
    return _one(q, opts, "Pink", x)


def snr(rng: Rng, high: bool) -> Item:
    x = 2 * np.sin(2 * np.pi * T / 32) + rng.normal(0, 0.2 if high else 3.0, 128)
    q = _pick(
        rng,
        [
            "The series is a sine wave plus noise. Is the signal-to-noise ratio high or low?",
            "How strong is the underlying sine signal relative to the noise?",
        ],
    )
    opts = [
        "High signal-to-noise ratio: the sine is clearly visible",
        "Low signal-to-noise ratio: the noise dominates",
    ]
    return _one(q, opts, opts[0] if high else opts[1], x)


def is_white(rng: Rng, white: bool) -> Item:
    x = (
        rng.normal(0, 1, 200)
        if white
        else 2 * np.sin(2 * np.pi * np.arange(200) / 25) + rng.normal(0, 0.5, 200)
    )
    q = "Is this series pure white noise?"
    opts = ["Yes", "No"]
    return _one(q, opts, "Yes" if white else "No", x)


def noise_level(rng: Rng) -> Item:
    sd = float(rng.choice([0.1, 1.0, 5.0]))
    x = 3 + 0.1 * T + rng.normal(0, sd, 128)
    q = "The series is a linear trend plus Gaussian noise. Roughly what is the noise standard deviation?"
    opts = ["About 0.1", "About 1", "About 5"]
    return _one(q, opts, {0.1: "About 0.1", 1.0: "About 1", 5.0: "About 5"}[sd], x)


def which_noisier(rng: Rng, first: bool) -> Item:
    base = np.sin(2 * np.pi * T / 40)
    a = base + rng.normal(0, 1.0 if first else 0.15, 128)
    b = base + rng.normal(0, 0.15 if first else 1.0, 128)
    q = "Both series share the same underlying wave. Which one is noisier?"
    opts = ["Series 1", "Series 2"]
    return _two(q, opts, "Series 1" if first else "Series 2", a, b)


# ---------------------------------------------------------------- Similarity Analysis (12)


def same_shape(rng: Rng, same: bool) -> Item:
    a = np.sin(2 * np.pi * T / 32) + 0.03 * T + rng.normal(0, 0.1, 128)
    b = 3 * a + 5 + rng.normal(0, 0.2, 128) if same else _saw(T, 20) * 2 - 0.02 * T + rng.normal(0, 0.1, 128)
    q = _pick(
        rng,
        [
            "Apart from scale and offset, do these two series have the same shape?",
            "Are the two time series similar in shape?",
        ],
    )
    opts = ["Yes, they have the same shape", "No, their shapes differ"]
    return _two(q, opts, opts[0] if same else opts[1], a, b)


def same_trend(rng: Rng, same: bool) -> Item:
    a = 0.05 * T + rng.normal(0, 0.5, 128)
    b = (0.04 if same else -0.05) * T + 3 + rng.normal(0, 0.5, 128)
    q = "Do the two series trend in the same direction?"
    opts = ["Yes, both trend the same way", "No, they trend in opposite directions"]
    return _two(q, opts, opts[0] if same else opts[1], a, b)


def same_frequency(rng: Rng, same: bool) -> Item:
    a = np.sin(2 * np.pi * T / 32) + rng.normal(0, 0.1, 128)
    b = 2 * np.sin(2 * np.pi * T / (32 if same else 10) + 1.0) + rng.normal(0, 0.1, 128)
    q = _pick(
        rng,
        [
            "Do the two periodic series oscillate at the same frequency?",
            "Compare the two cycles: which statement about their frequencies is correct?",
        ],
    )
    opts = ["Same frequency", "Different frequencies"]
    return _two(q, opts, opts[0] if same else opts[1], a, b)


def phase(rng: Rng, kind: str) -> Item:
    shift = {"in": 0.0, "anti": np.pi}[kind]
    a = np.sin(2 * np.pi * T / 32) + rng.normal(0, 0.1, 128)
    b = np.sin(2 * np.pi * T / 32 + shift) + rng.normal(0, 0.1, 128)
    q = "The two series have the same frequency. How are their phases related?"
    opts = ["In phase: they peak together", "Anti-phase: one peaks when the other troughs"]
    return _two(q, opts, opts[0] if kind == "in" else opts[1], a, b)


def same_distribution(rng: Rng, same: bool) -> Item:
    a = rng.normal(0, 1, 200)
    b = rng.normal(0, 1, 200) if same else rng.normal(0, 3.5, 200)
    q = "Are the values of the two series drawn from the same distribution?"
    opts = ["Yes, same distribution", "No, different distributions"]
    return _two(q, opts, opts[0] if same else opts[1], a, b)


def correlation_sign(rng: Rng, pos: bool) -> Item:
    a = np.cumsum(rng.normal(0, 1, 128))
    b = (1 if pos else -1) * 0.8 * a + rng.normal(0, 0.5, 128)
    q = "How are the two series correlated?"
    opts = ["Positively correlated", "Negatively correlated", "Not correlated"]
    return _two(q, opts, opts[0] if pos else opts[1], a, b)


def higher_variance(rng: Rng, first: bool) -> Item:
    a = rng.normal(0, 3 if first else 1, 128)
    b = rng.normal(0, 1 if first else 3, 128)
    q = "Which of the two series has the larger variance?"
    opts = ["Time series 1", "Time series 2", "They have about the same variance"]
    return _two(q, opts, opts[0] if first else opts[1], a, b)


# ---------------------------------------------------------------- Causality Analysis (7)


def _driven(rng: Rng, lag: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    x = _ar1(rng, n + lag, 0.5)
    y = 0.9 * x[:-lag] + rng.normal(0, 0.3, n)
    return x[lag:], y


def lead_lag(rng: Rng, first_leads: bool) -> Item:
    x, y = _driven(rng, 5)
    a, b = (x, y) if first_leads else (y, x)
    q = _pick(rng, ["Which series leads the other?", "One series moves ahead of the other. Which one leads?"])
    opts = ["Series 1 leads series 2", "Series 2 leads series 1", "Neither leads"]
    return _two(q, opts, opts[0] if first_leads else opts[1], a, b)


def lag_size(rng: Rng) -> Item:
    lag = 12
    x, y = _driven(rng, lag)
    q = "Series 2 follows series 1 with a delay. About how many steps is the delay?"
    opts = ["About 2 steps", "About 12 steps", "About 40 steps"]
    return _two(q, opts, "About 12 steps", x, y)


def granger(rng: Rng, kind: str) -> Item:
    if kind == "none":
        a, b = _ar1(rng, 200, 0.5), _ar1(rng, 200, 0.5)
    else:
        x, y = _driven(rng, 2)
        a, b = (x, y) if kind == "1to2" else (y, x)
    q = _pick(
        rng,
        [
            "Does time series 1 Granger-cause time series 2?",
            "Do past values of series 1 help predict series 2 (Granger causality from 1 to 2)?",
        ],
    )
    opts = ["Yes", "No"]
    return _two(q, opts, "Yes" if kind == "1to2" else "No", a, b)


def granger_direction(rng: Rng) -> Item:
    x, y = _driven(rng, 3)
    q = "What is the direction of Granger causality between the two series?"
    opts = ["From series 2 to series 1", "From series 1 to series 2", "No causal link"]
    return _two(q, opts, "From series 2 to series 1", y, x)


# ---------------------------------------------------------------- Anomaly Detection (13)


def _base(rng: Rng) -> np.ndarray:
    return 2 * np.sin(2 * np.pi * T / 32) + rng.normal(0, 0.2, 128)


def anomaly_presence(rng: Rng, kind: str) -> Item:
    x = _base(rng)
    k = int(rng.integers(30, 100))
    if kind == "spike":
        x[k] += 8
    elif kind == "dip":
        x[k] -= 8
    q = _pick(
        rng, ["Does this time series contain an anomaly?", "Is there anything anomalous in this series?"]
    )
    opts = ["Yes, there is an anomaly", "No, it looks normal"]
    return _one(q, opts, opts[1] if kind == "none" else opts[0], x)


ANOMALY_LABELS = {
    "spike": "A single sharp spike upward",
    "dip": "A single sharp drop downward",
    "shift": "A level shift: the mean jumps and stays",
    "trend": "A change in trend",
    "burst": "A burst of increased variance",
    "flat": "A flat-line segment where the signal stops changing",
}


def anomaly_type(rng: Rng, kind: str) -> Item:
    x = _base(rng)
    k = int(rng.integers(50, 80))
    if kind == "spike":
        x[k] += 9
    elif kind == "dip":
        x[k] -= 9
    elif kind == "shift":
        x[k:] += 6
    elif kind == "trend":
        x[k:] += 0.25 * (T[k:] - k)
    elif kind == "burst":
        x[k : k + 15] += rng.normal(0, 3, 15)
    elif kind == "flat":
        x[k : k + 20] = x[k]
    others = [o for o in ANOMALY_LABELS if o != kind]
    chosen = [kind, *rng.choice(others, size=2, replace=False)]
    opts = [ANOMALY_LABELS[c] for c in chosen]
    q = _pick(
        rng,
        [
            "What type of anomaly appears in this series?",
            "The series contains one anomaly. Which description fits it best?",
        ],
    )
    return _one(q, opts, ANOMALY_LABELS[kind], x)


def anomaly_location(rng: Rng, pos: int) -> Item:
    x = _base(rng)
    x[pos] += 9
    cands = [25, 64, 105]
    near = min(cands, key=lambda c: abs(c - pos))
    opts = [f"Near step {c}" for c in cands]
    q = "There is a single spike in the series. Where is it located?"
    return _one(q, opts, f"Near step {near}", x)


def which_has_anomaly(rng: Rng, first: bool) -> Item:
    a, b = _base(rng), _base(rng)
    (a if first else b)[int(rng.integers(40, 90))] += 9
    q = "Only one of the two series contains an anomaly. Which one?"
    opts = ["Time series 1", "Time series 2"]
    return _two(q, opts, opts[0] if first else opts[1], a, b)


PLAN: list[tuple[str, Callable[[Rng], Item]]] = [
    *[
        ("Pattern Recognition", f)
        for f in [
            lambda r: trend_presence(r, True),
            lambda r: trend_presence(r, True),
            lambda r: trend_presence(r, False),
            lambda r: trend_direction(r, "up"),
            lambda r: trend_direction(r, "down"),
            lambda r: trend_direction(r, "flat"),
            lambda r: trend_shape(r, "exponential"),
            lambda r: trend_shape(r, "logarithmic"),
            lambda r: seasonality_presence(r, True),
            lambda r: seasonality_presence(r, False),
            lambda r: period(r, 16, True),
            lambda r: period(r, 32, False),
            lambda r: period(r, 24, True),
            lambda r: wave_shape(r, "square"),
            lambda r: wave_shape(r, "sawtooth"),
            lambda r: stationarity(r, "ar"),
            lambda r: stationarity(r, "rw"),
            lambda r: stationarity(r, "trend"),
            lambda r: structural_break(r, True),
            lambda r: structural_break(r, False),
            lambda r: break_location(r, "late"),
            lambda r: volatility(r, "up"),
            lambda r: volatility(r, "down"),
            lambda r: volatility(r, "flat"),
            lambda r: autocorrelation(r, "pos"),
            lambda r: autocorrelation(r, "neg"),
            lambda r: autocorrelation(r, "none"),
            lambda r: ar_vs_white(r, True),
            lambda r: skew(r, True),
            lambda r: skew(r, False),
            lambda r: heavy_tails(r, True),
            lambda r: heavy_tails(r, False),
            lambda r: regime_switch(r, True),
            lambda r: additive_mult(r, True),
            lambda r: additive_mult(r, False),
            lambda r: mean_reversion(r, True),
            lambda r: mean_reversion(r, False),
            lambda r: slope_change(r, True),
            lambda r: slope_change(r, False),
        ]
    ],
    *[
        ("Noise Understanding", f)
        for f in [
            lambda r: white_vs_red(r, True),
            lambda r: white_vs_red(r, False),
            pink_vs_white,
            lambda r: snr(r, True),
            lambda r: snr(r, False),
            lambda r: is_white(r, True),
            lambda r: is_white(r, False),
            noise_level,
            lambda r: which_noisier(r, False),
        ]
    ],
    *[
        ("Similarity Analysis", f)
        for f in [
            lambda r: same_shape(r, True),
            lambda r: same_shape(r, False),
            lambda r: same_trend(r, True),
            lambda r: same_trend(r, False),
            lambda r: same_frequency(r, True),
            lambda r: same_frequency(r, False),
            lambda r: phase(r, "in"),
            lambda r: phase(r, "anti"),
            lambda r: same_distribution(r, True),
            lambda r: same_distribution(r, False),
            lambda r: correlation_sign(r, False),
            lambda r: higher_variance(r, False),
        ]
    ],
    *[
        ("Causality Analysis", f)
        for f in [
            lambda r: lead_lag(r, True),
            lambda r: lead_lag(r, False),
            lag_size,
            lambda r: granger(r, "1to2"),
            lambda r: granger(r, "2to1"),
            lambda r: granger(r, "none"),
            granger_direction,
        ]
    ],
    *[
        ("Anomaly Detection", f)
        for f in [
            lambda r: anomaly_presence(r, "spike"),
            lambda r: anomaly_presence(r, "dip"),
            lambda r: anomaly_presence(r, "none"),
            *[lambda r, k=k: anomaly_type(r, k) for k in ANOMALY_LABELS],
            lambda r: anomaly_location(r, 22),
            lambda r: anomaly_location(r, 108),
            lambda r: which_has_anomaly(r, True),
            lambda r: which_has_anomaly(r, False),
        ]
    ],
]


def make_items(seed: int = SEED) -> list[Item]:
    rng = np.random.default_rng(seed)
    items = []
    for i, (category, maker) in enumerate(PLAN, start=1):
        item = maker(rng)
        opts = list(item["options"])
        rng.shuffle(opts)  # the answer's position must carry no information
        item["options"] = opts
        items.append({"id": f"indep-{i:03d}", "category": category, **item})
    return items


if __name__ == "__main__":
    OUT.write_text(json.dumps(make_items(), separators=(",", ":")) + "\n")
