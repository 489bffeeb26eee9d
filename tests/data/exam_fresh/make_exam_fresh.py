"""Write exam_fresh.json: 100 seeded multiple-choice questions in the TimeSeriesExam format.

Every series is generated so that the stated answer is true by construction (known slope,
period, waveform, AR coefficient, injected anomaly, lagged copy, ...). A few cheap checks
re-draw a series when chance made the construction hard to see (e.g. a random walk that
happened to stay flat). Fixed seed, numpy only, no network.

    python tests/data/exam_fresh/make_exam_fresh.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 20250611
OUT = Path(__file__).with_name("exam_fresh.json")

rng = np.random.default_rng(SEED)
QUESTIONS: list[dict] = []

PR = "Pattern Recognition"
AD = "Anolmaly Detection"  # upstream spelling of the category, kept for format fidelity
SA = "Similarity Analysis"
NU = "Noise Understanding"
CA = "Causality Analysis"


# --------------------------------------------------------------------------- helpers
def length(lo: int = 128, hi: int = 300) -> int:
    return int(rng.integers(lo, hi + 1))


def noise(n: int, sd: float) -> np.ndarray:
    return rng.normal(0.0, sd, n)


def ar1(n: int, phi: float, sd: float = 1.0, burn: int = 200) -> np.ndarray:
    e = rng.normal(0.0, sd, n + burn)
    x = np.zeros(n + burn)
    for i in range(1, n + burn):
        x[i] = phi * x[i - 1] + e[i]
    return x[burn:]


def ma1(n: int, theta: float, sd: float = 1.0) -> np.ndarray:
    e = rng.normal(0.0, sd, n + 1)
    return e[1:] + theta * e[:-1]


def random_walk(n: int, sd: float = 1.0, drift: float = 0.0) -> np.ndarray:
    """A random walk that visibly wanders (re-drawn until its halves differ clearly)."""
    while True:
        x = np.cumsum(rng.normal(drift, sd, n))
        half = n // 2
        if abs(x[:half].mean() - x[half:].mean()) > 4 * sd and np.ptp(x) > 8 * sd:
            return x


def sine(t: np.ndarray, period: float, amp: float = 1.0, phase: float | None = None) -> np.ndarray:
    ph = rng.uniform(0, 2 * np.pi) if phase is None else phase
    return amp * np.sin(2 * np.pi * t / period + ph)


def square(t: np.ndarray, period: float, amp: float = 1.0) -> np.ndarray:
    ph = rng.uniform(0, period)
    return amp * np.where(((t + ph) % period) < period / 2, 1.0, -1.0)


def sawtooth(t: np.ndarray, period: float, amp: float = 1.0, falling: bool = False) -> np.ndarray:
    ph = rng.uniform(0, period)
    s = amp * (2 * (((t + ph) % period) / period) - 1)
    return -s if falling else s


def dominant_period(x: np.ndarray) -> float:
    x = x - x.mean()
    f = np.fft.rfftfreq(len(x))
    p = np.abs(np.fft.rfft(x)) ** 2
    p[0] = 0
    return 1.0 / f[int(np.argmax(p))]


def lag_of(x: np.ndarray, y: np.ndarray, max_lag: int = 60) -> int:
    """Lag k maximising corr(x[t-k], y[t]); positive = x leads y."""
    best, best_c = 0, -2.0
    for k in range(-max_lag, max_lag + 1):
        if k >= 0:
            a, b = x[: len(x) - k], y[k:]
        else:
            a, b = x[-k:], y[: len(y) + k]
        c = np.corrcoef(a, b)[0, 1]
        if c > best_c:
            best, best_c = k, c
    return best


def add(
    question: str,
    options: list[str],
    answer: str,
    category: str,
    subcategory: str,
    concepts: list[str],
    ts=None,
    ts1=None,
    ts2=None,
    difficulty: str = "medium",
    hint: str = "",
    shuffle: bool = True,
) -> None:
    assert answer in options, (question, answer, options)
    assert 2 <= len(options) <= 4
    opts = list(options)
    if shuffle:
        # correct option at a random position
        others = [o for o in opts if o != answer]
        rng.shuffle(others)
        pos = int(rng.integers(0, len(opts)))
        opts = [*others[:pos], answer, *others[pos:]]
    item = {
        "id": len(QUESTIONS) + 1,
        "question": question,
        "options": opts,
        "answer": answer,
        "question_type": "binary" if len(opts) == 2 else "multiple_choice",
        "tid": 0,  # set below: template number
        "difficulty": difficulty,
        "category": category,
        "subcategory": subcategory,
        "relevant_concepts": concepts,
        "question_hint": hint,
        "format_hint": "",
    }
    if ts is not None:
        arr = np.asarray(ts, float)
        assert 128 <= len(arr) <= 300 and np.isfinite(arr).all()
        item["ts"] = [round(float(v), 4) for v in arr]
    else:
        a1, a2 = np.asarray(ts1, float), np.asarray(ts2, float)
        for arr in (a1, a2):
            assert 128 <= len(arr) <= 300 and np.isfinite(arr).all()
        item["ts1"] = [round(float(v), 4) for v in a1]
        item["ts2"] = [round(float(v), 4) for v in a2]
    item["tid"] = CURRENT_TID
    QUESTIONS.append(item)


CURRENT_TID = 0


def template(tid: int) -> None:
    global CURRENT_TID
    CURRENT_TID = tid


# =========================================================================== PATTERN (45)
# ---- Trend recognition (13)
template(1)  # trend direction
n = length()
t = np.arange(n)
add(
    "Which way is this signal drifting?",
    ["Upward", "Downward", "It is not drifting"],
    "Upward",
    PR,
    "Trend Recognition",
    ["Linear Trend"],
    ts=5 + 0.06 * t + noise(n, 1.0),
    difficulty="easy",
)
n = length()
t = np.arange(n)
add(
    "Over the whole window, is the level of this sensor rising, falling or roughly flat?",
    ["Rising", "Falling", "Roughly flat"],
    "Falling",
    PR,
    "Trend Recognition",
    ["Linear Trend"],
    ts=40 - 0.08 * t + sine(t, 30, 1.5) + noise(n, 1.0),
    difficulty="easy",
)
n = length()
t = np.arange(n)
add(
    "What is the long-run direction of this series?",
    ["Increasing", "Decreasing", "No long-run direction"],
    "No long-run direction",
    PR,
    "Trend Recognition",
    ["Linear Trend", "Stationarity"],
    ts=12 + ar1(n, 0.3, 0.8),
    difficulty="easy",
)
n = length()
t = np.arange(n)
add(
    "Is there an overall downward trend in this series?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Trend Recognition",
    ["Linear Trend"],
    ts=-0.05 * t + ar1(n, 0.5, 0.6),
    difficulty="easy",
)

template(2)  # trend type
n = length(200, 300)
t = np.arange(n)
y = 2 * np.exp(t / (n / 4.0))
y = y + noise(n, 0.01 * np.ptp(y))
add(
    "What kind of growth curve does this series follow?",
    ["Linear", "Exponential", "Logarithmic"],
    "Exponential",
    PR,
    "Trend Recognition",
    ["Exponential Trend", "Linear Trend", "Log Trend"],
    ts=y,
    difficulty="hard",
)
n = length(200, 300)
t = np.arange(n)
y = 10 * np.log1p(t / 2.0)
y = y + noise(n, 0.01 * np.ptp(y))
add(
    "The trend in this series is best described as which of these?",
    ["Linear", "Exponential", "Logarithmic"],
    "Logarithmic",
    PR,
    "Trend Recognition",
    ["Log Trend", "Exponential Trend", "Linear Trend"],
    ts=y,
    difficulty="hard",
)
n = length(200, 300)
t = np.arange(n)
y = 3 + 0.1 * t
y = y + noise(n, 0.02 * np.ptp(y))
add(
    "Which function family best fits the trend: a straight line, an exponential curve or a logarithmic curve?",  # noqa: E501
    ["Straight line", "Exponential curve", "Logarithmic curve"],
    "Straight line",
    PR,
    "Trend Recognition",
    ["Linear Trend", "Exponential Trend", "Log Trend"],
    ts=y,
    difficulty="hard",
)
n = length(200, 300)
t = np.arange(n)
y = 50 + 8 * np.log1p(t / 1.5)
y = y + noise(n, 0.015 * np.ptp(y))
add(
    "Is this increase linear, exponential or logarithmic?",
    ["Linear", "Exponential", "Logarithmic"],
    "Logarithmic",
    PR,
    "Trend Recognition",
    ["Log Trend", "Exponential Trend", "Linear Trend"],
    ts=y,
    difficulty="hard",
)
n = length(200, 300)
t = np.arange(n)
y = 1 + np.exp(t / (n / 4.5))
y = y + noise(n, 0.01 * np.ptp(y))
add(
    "Is the growth of this series speeding up, slowing down or steady?",
    ["Speeding up", "Slowing down", "Steady"],
    "Speeding up",
    PR,
    "Trend Recognition",
    ["Exponential Trend"],
    ts=y,
    difficulty="medium",
)

template(3)  # trend coefficient
n = length(180, 260)
t = np.arange(n)
add(
    "Roughly how much does the value increase per time step?",
    ["0.02", "0.2", "2"],
    "0.2",
    PR,
    "Trend Recognition",
    ["Linear Trend"],
    ts=7 + 0.2 * t + noise(n, 2.0),
    difficulty="medium",
)
n = length(180, 260)
t = np.arange(n)
add(
    "This series declines steadily. At about what rate per step?",
    ["About 0.05 per step", "About 0.5 per step", "About 5 per step"],
    "About 0.5 per step",
    PR,
    "Trend Recognition",
    ["Linear Trend"],
    ts=200 - 0.5 * t + noise(n, 3.0),
    difficulty="medium",
)

template(4)  # trend presence
n = length(200, 300)
t = np.arange(n)
add(
    "Apart from the oscillation and the noise, is there a trend in this series?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Trend Recognition",
    ["Linear Trend", "Sine Wave"],
    ts=0.04 * t + sine(t, 25, 2.0) + noise(n, 0.5),
    difficulty="medium",
)
n = 240
t = np.arange(n)  # exactly 8 cycles of period 30 -> no net drift
add(
    "Does this series trend up or down over time, or does it just oscillate around a fixed level?",
    ["Trends up", "Trends down", "Oscillates around a fixed level"],
    "Oscillates around a fixed level",
    PR,
    "Trend Recognition",
    ["Sine Wave", "Linear Trend"],
    ts=4 + sine(t, 30, 2.0) + noise(n, 0.4),
    difficulty="medium",
)

# ---- Cycle recognition (13)
template(5)  # waveform type
WAVE = ["Sine wave", "Square wave", "Sawtooth wave"]
for q, kind in [
    ("Which waveform does this periodic signal have?", "Square wave"),
    ("The repeating pattern here looks most like which of these?", "Sawtooth wave"),
    ("What type of oscillation is in this series?", "Sine wave"),
    ("Identify the shape of the cycle in this trace.", "Sawtooth wave"),
]:
    n = length()
    t = np.arange(n)
    per = float(rng.integers(20, 41))
    amp = float(rng.uniform(1, 4))
    if kind == "Sine wave":
        y = sine(t, per, amp)
    elif kind == "Square wave":
        y = square(t, per, amp)
    else:
        y = sawtooth(t, per, amp, falling=(q.startswith("Identify")))
    add(
        q,
        WAVE,
        kind,
        PR,
        "Cycle Recognition",
        ["Sine Wave", "Square Wave", "Sawtooth Wave"],
        ts=y + noise(n, 0.08 * amp),
        difficulty="medium",
    )

template(6)  # period
for q, per, fmt, wave in [
    ("How many time steps does one full cycle take?", 24, "{}", "sine"),
    ("What is the approximate period of the oscillation?", 16, "{} steps", "square"),
    ("About how often does the pattern repeat?", 40, "Every ~{} steps", "sine"),
    ("A machine produces this vibration trace. What is its cycle length in samples?", 12, "{}", "sawtooth"),
]:
    n = length(200, 300)
    t = np.arange(n)
    base = {"sine": sine, "square": square, "sawtooth": sawtooth}[wave](t, per, 2.0)
    y = base + noise(n, 0.3)
    cands = [per // 2, per, per * 2] if per != 12 else [per // 3, per, per * 3]
    assert abs(dominant_period(base) - per) / per < 0.15
    add(
        q,
        [fmt.format(c) for c in cands],
        fmt.format(per),
        PR,
        "Cycle Recognition",
        ["Cycle", "Period"],
        ts=y,
        difficulty="medium",
    )

template(7)  # amplitude
n = length()
t = np.arange(n)
add(
    "What is the approximate amplitude (peak deviation from the centre line) of the oscillation?",
    ["About 1", "About 4", "About 10"],
    "About 4",
    PR,
    "Cycle Recognition",
    ["Sine Wave", "Amplitude"],
    ts=20 + sine(t, 32, 4.0) + noise(n, 0.3),
    difficulty="medium",
)
n = length()
t = np.arange(n)
add(
    "Peak to trough, roughly how large is the swing of this cycle?",
    ["About 1", "About 5", "About 20"],
    "About 5",
    PR,
    "Cycle Recognition",
    ["Sine Wave", "Amplitude"],
    ts=-3 + sine(t, 22, 2.5) + noise(n, 0.2),
    difficulty="medium",
)

template(8)  # periodicity present?
n = length(200, 300)
t = np.arange(n)
add(
    "Does this series contain a repeating cycle?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Cycle Recognition",
    ["Cycle", "Sine Wave"],
    ts=sine(t, 36, 1.0) + noise(n, 0.5),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Is there any periodic behaviour in this signal?",
    ["Yes, it is periodic", "No, it is not periodic"],
    "No, it is not periodic",
    PR,
    "Cycle Recognition",
    ["Cycle", "White Noise"],
    ts=3 + noise(n, 1.0),
    difficulty="medium",
)

template(9)  # faster of two
n = length()
t = np.arange(n)
add(
    "Which of the two series oscillates faster?",
    ["Series 1", "Series 2", "They oscillate at the same rate"],
    "Series 2",
    PR,
    "Cycle Recognition",
    ["Cycle", "Frequency"],
    ts1=sine(t, 40, 1.5) + noise(n, 0.15),
    ts2=sine(t, 12, 1.5) + noise(n, 0.15),
    difficulty="easy",
)

# ---- Stationarity (6)
template(10)
n = length()
add(
    "Is this series stationary?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Stationarity Detection",
    ["Stationarity", "AR Process"],
    ts=ar1(n, 0.5),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Do the statistical properties of this series (its level and spread) stay constant over time?",
    ["Yes", "No"],
    "No",
    PR,
    "Stationarity Detection",
    ["Stationarity", "Random Walk"],
    ts=random_walk(n, 1.0),
    difficulty="medium",
)
n = length()
t = np.arange(n)
add(
    "Is this process stationary or non-stationary?",
    ["Stationary", "Non-stationary"],
    "Non-stationary",
    PR,
    "Stationarity Detection",
    ["Stationarity", "Linear Trend"],
    ts=0.07 * t + noise(n, 1.0),
    difficulty="easy",
)
n = length()
add(
    "Could this series reasonably be treated as stationary?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Stationarity Detection",
    ["Stationarity", "White Noise"],
    ts=5 + noise(n, 0.7),
    difficulty="easy",
)
n = length(200, 300)
add(
    "Which of the two series is stationary?",
    ["Series 1", "Series 2", "Both", "Neither"],
    "Series 2",
    PR,
    "Stationarity Detection",
    ["Stationarity", "Random Walk", "AR Process"],
    ts1=random_walk(n, 1.0),
    ts2=ar1(n, 0.3),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Would this series need differencing before it could be modelled as stationary?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Stationarity Detection",
    ["Stationarity", "Random Walk"],
    ts=random_walk(n, 1.0, drift=0.1),
    difficulty="medium",
)

# ---- First two moments (6)
template(11)
n = length()
add(
    "Around what value is this series centred?",
    ["-5", "0", "5", "12"],
    "5",
    PR,
    "First Two Moment Recognition",
    ["Mean"],
    ts=5 + ar1(n, 0.3, 1.2),
    difficulty="easy",
)
n = length(200, 300)
sd = np.linspace(0.3, 3.0, n)
add(
    "Does the spread of the data grow over time?",
    ["Yes", "No"],
    "Yes",
    PR,
    "First Two Moment Recognition",
    ["Variance", "Heteroscedasticity"],
    ts=10 + rng.normal(0, 1, n) * sd,
    difficulty="medium",
)
n = length()
add(
    "Is the variability of this signal roughly constant throughout the record?",
    ["Yes", "No"],
    "Yes",
    PR,
    "First Two Moment Recognition",
    ["Variance"],
    ts=-2 + noise(n, 1.5),
    difficulty="medium",
)
n = length(200, 300)
y = noise(n, 1.0)
y[n // 2 :] += 3.0
add(
    "Is the mean of this series stable over time?",
    ["Yes, it is stable", "No, it changes"],
    "No, it changes",
    PR,
    "First Two Moment Recognition",
    ["Mean", "Level Shift"],
    ts=y,
    difficulty="medium",
)
n = length(200, 300)
y = np.concatenate([noise(n // 2, 2.5), noise(n - n // 2, 0.8)])
add(
    "Which half of the record is more volatile?",
    ["First half", "Second half", "Both about the same"],
    "First half",
    PR,
    "First Two Moment Recognition",
    ["Variance"],
    ts=y,
    difficulty="medium",
)
n = length()
add(
    "What is the approximate standard deviation of this series?",
    ["0.2", "2", "20"],
    "2",
    PR,
    "First Two Moment Recognition",
    ["Variance", "Standard Deviation"],
    ts=10 + noise(n, 2.0),
    difficulty="medium",
)

# ---- AR / MA (4)
template(12)
n = length(200, 300)
add(
    "Is this series more consistent with an AR(1) process with a positive or a negative coefficient?",
    ["Positive coefficient", "Negative coefficient"],
    "Negative coefficient",
    PR,
    "AR/MA recognition",
    ["AR Process"],
    ts=ar1(n, -0.8),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Which AR(1) coefficient most likely generated this series?",
    ["-0.8", "0.0", "0.9"],
    "0.9",
    PR,
    "AR/MA recognition",
    ["AR Process"],
    ts=ar1(n, 0.9),
    difficulty="hard",
)
n = 300
add(
    "Is this an autoregressive (AR) process or a moving-average (MA) process?",
    ["AR process", "MA process"],
    "MA process",
    PR,
    "AR/MA recognition",
    ["AR Process", "MA Process"],
    ts=ma1(n, 0.9),
    difficulty="hard",
    hint="An MA(1) process has autocorrelation only at lag 1; an AR process has autocorrelation decaying gradually.",  # noqa: E501
)
n = 300
add(
    "Does this look like a pure MA(1) process (memory of one step only) or an AR(1) process with long memory?",  # noqa: E501
    ["MA(1), one-step memory", "AR(1), long memory"],
    "AR(1), long memory",
    PR,
    "AR/MA recognition",
    ["AR Process", "MA Process"],
    ts=ar1(n, 0.9),
    difficulty="hard",
)

# ---- Regime switching (3)
template(13)
n = 280
levels = []
lvl = 0.0
while len(levels) < n:
    levels += [lvl] * int(rng.integers(40, 71))
    lvl = 4.0 - lvl
add(
    "Does this series switch between distinct regimes?",
    ["Yes", "No"],
    "Yes",
    PR,
    "Regime Switching Detection",
    ["Regime Switching"],
    ts=np.array(levels[:n]) + noise(n, 0.7),
    difficulty="medium",
)
n = 270
seq = [0.0, 3.0, 6.0, 3.0, 0.0, 6.0]
lv = np.concatenate([[v] * 45 for v in seq])
add(
    "How many distinct levels does this series move between?",
    ["1", "2", "3"],
    "3",
    PR,
    "Regime Switching Detection",
    ["Regime Switching", "Mean"],
    ts=lv + noise(n, 0.5),
    difficulty="hard",
)
n = length(200, 300)
y = np.concatenate([noise(n // 2, 0.3), noise(n - n // 2, 2.0)]) + 1.0
add(
    "Where does the behaviour of this series change?",
    ["Near the beginning", "Near the middle", "Near the end", "It does not change"],
    "Near the middle",
    PR,
    "Regime Switching Detection",
    ["Regime Switching", "Variance"],
    ts=y,
    difficulty="medium",
)


# =========================================================================== ANOMALY (17)
def base_signal(n: int, kind: str = "sine", per: float | None = None) -> tuple[np.ndarray, float]:
    t = np.arange(n)
    per = float(rng.integers(25, 41)) if per is None else per
    if kind == "sine":
        return sine(t, per, 1.0), per
    return sawtooth(t, per, 1.0), per


def speed_signal(n: int, per: float, a: int, b: int, factor: float) -> np.ndarray:
    rate = np.full(n, 2 * np.pi / per)
    rate[a:b] *= factor
    return np.sin(np.cumsum(rate) + rng.uniform(0, 2 * np.pi))


def inject(y: np.ndarray, kind: str, a: int, b: int) -> np.ndarray:
    y = y.copy()
    if kind == "spike":
        y[a] += 4.0 * rng.choice([-1, 1])
    elif kind == "cutoff":
        y[a:b] = y.min() + noise(b - a, 0.02)
    elif kind == "flip":
        y[a:b] = y[a:b][::-1].copy()
    elif kind == "scale":
        y[a:b] = y[a:b] * 3.0
    elif kind == "wander":
        ramp = np.linspace(0, 2.5, 20)
        y[a : a + 20] += ramp
        y[a + 20 :] += 2.5
    return y


TYPE_TEXT = {
    "spike": "Spike",
    "cutoff": "Cutoff (flat segment)",
    "flip": "Flip (segment reversed)",
    "scale": "Scale (amplitude blown up)",
    "wander": "Wander (baseline shifts away)",
    "speedup": "Speed-up (cycle runs faster)",
    "slowdown": "Slow-down (cycle runs slower)",
}

template(14)  # anomaly type
type_qs = [
    ("What kind of anomaly is present in this signal?", "spike", "sine"),
    (
        "A technician sees something odd in this trace. Which fault pattern best describes it?",
        "cutoff",
        "sine",
    ),
    ("Which anomaly has been injected into this otherwise regular series?", "flip", "sawtooth"),
    ("What sort of irregularity does this periodic signal contain?", "scale", "sine"),
    ("Something goes wrong partway through this record. What type of anomaly is it?", "wander", "sine"),
    ("Which description fits the anomalous stretch of this series?", "speedup", "sine"),
    ("The cycle misbehaves for a while. How?", "slowdown", "sine"),
    ("Classify the anomaly in this series.", "cutoff", "sawtooth"),
    ("Which type of anomaly does this series show?", "flip", "sawtooth"),
]
for q, kind, basek in type_qs:
    n = length(200, 300)
    a = int(rng.integers(int(0.35 * n), int(0.55 * n)))
    b = a + int(rng.integers(25, 40))
    if kind in ("speedup", "slowdown"):
        per = float(rng.integers(25, 36))
        y = speed_signal(n, per, a, b + (30 if kind == "slowdown" else 0), 2.5 if kind == "speedup" else 0.4)
    else:
        y, per = base_signal(n, basek)
        if kind == "flip":
            b = a + int(per * 1.5)
        y = inject(y, kind, a, b)
    y = y + noise(n, 0.06)
    distract = [
        k
        for k in TYPE_TEXT
        if k != kind and not (kind in ("speedup", "slowdown") and k in ("speedup", "slowdown"))
    ]
    rng.shuffle(distract)
    opts = [TYPE_TEXT[kind]] + [TYPE_TEXT[k] for k in distract[:2]]
    if kind == "speedup":
        opts[2] = TYPE_TEXT["slowdown"]
    if kind == "slowdown":
        opts[2] = TYPE_TEXT["speedup"]
    concept = {
        "spike": "Spike Anomaly",
        "cutoff": "Cutoff Anomaly",
        "flip": "Flip Anomaly",
        "scale": "Scale Anomaly",
        "wander": "Wander Anomaly",
        "speedup": "Speed Up/Down Anomaly",
        "slowdown": "Speed Up/Down Anomaly",
    }[kind]
    add(q, opts, TYPE_TEXT[kind], AD, "General Anomaly Detection", [concept], ts=y, difficulty="hard")

template(15)  # anomaly location
LOC = ["At the beginning", "In the middle", "At the end"]
for q, kind, where in [
    ("Where is the anomaly located?", "spike", "At the end"),
    ("In which part of the record does the anomaly occur?", "cutoff", "At the beginning"),
    ("When does the abnormal behaviour happen?", "scale", "In the middle"),
    ("Where in this trace is the unusual stretch?", "speedup", "At the end"),
]:
    n = length(200, 300)
    seg = 20
    a = {
        "At the beginning": int(0.06 * n),
        "In the middle": int(0.5 * n) - seg // 2,
        "At the end": int(0.88 * n) - (seg if kind != "spike" else 0),
    }[where]
    if kind == "speedup":
        y = speed_signal(n, 30.0, a, a + seg, 2.5)
    else:
        y, _ = base_signal(n, "sine", 30.0)
        y = inject(y, kind, a, a + seg)
    add(
        q,
        LOC,
        where,
        AD,
        "General Anomaly Detection",
        ["Anomaly Location"],
        ts=y + noise(n, 0.06),
        difficulty="medium",
    )

template(16)  # anomaly presence
n = length(200, 300)
y, _ = base_signal(n, "sine")
a = int(0.6 * n)
add(
    "Does this series contain an anomaly?",
    ["Yes", "No"],
    "Yes",
    AD,
    "General Anomaly Detection",
    ["Scale Anomaly"],
    ts=inject(y, "scale", a, a + 30) + noise(n, 0.06),
    difficulty="medium",
)
n = length(200, 300)
y, _ = base_signal(n, "sine")
add(
    "Is anything abnormal in this periodic signal?",
    ["Yes, there is an anomaly", "No, it looks normal"],
    "No, it looks normal",
    AD,
    "General Anomaly Detection",
    ["Sine Wave"],
    ts=y + noise(n, 0.06),
    difficulty="medium",
)

template(17)  # which of two has the anomaly
n = length()
t = np.arange(n)
clean = sine(t, 30, 1.0)
a = int(0.45 * n)
add(
    "One of these two series contains an anomaly. Which one?",
    ["Series 1", "Series 2"],
    "Series 2",
    AD,
    "General Anomaly Detection",
    ["Cutoff Anomaly"],
    ts1=clean + noise(n, 0.06),
    ts2=inject(clean, "cutoff", a, a + 25) + noise(n, 0.06),
    difficulty="medium",
)
n = length()
t = np.arange(n)
clean = sawtooth(t, 28, 1.0)
a = int(0.3 * n)
add(
    "Which of the two sensors shows an anomaly?",
    ["Sensor 1 (series 1)", "Sensor 2 (series 2)"],
    "Sensor 1 (series 1)",
    AD,
    "General Anomaly Detection",
    ["Spike Anomaly"],
    ts1=inject(clean, "spike", a, a + 1) + noise(n, 0.06),
    ts2=clean + noise(n, 0.06),
    difficulty="medium",
)

# =========================================================================== SIMILARITY (15)
template(18)  # shape
n = length()
t = np.arange(n)
base = 0.02 * t + sine(t, 35, 1.0)
add(
    "Ignoring scale and offset, do these two series have the same overall shape?",
    ["Yes", "No"],
    "Yes",
    SA,
    "Shape",
    ["Shape Similarity"],
    ts1=base + noise(n, 0.1),
    ts2=3 * base + 10 + noise(n, 0.3),
    difficulty="medium",
)
n = length()
t = np.arange(n)
add(
    "Do these two series look alike in shape?",
    ["Yes", "No"],
    "No",
    SA,
    "Shape",
    ["Shape Similarity"],
    ts1=0.05 * t + noise(n, 0.5),
    ts2=8 - 0.05 * t + noise(n, 0.5),
    difficulty="easy",
)
n = length()
t = np.arange(n)
add(
    "Do the two series share the same trend direction?",
    ["Yes, both go the same way", "No, they go opposite ways"],
    "Yes, both go the same way",
    SA,
    "Shape",
    ["Shape Similarity", "Linear Trend"],
    ts1=0.04 * t + noise(n, 0.6),
    ts2=100 + 0.3 * t + noise(n, 3.0),
    difficulty="easy",
)
n = length()
t = np.arange(n)
base = sine(t, 30, 1.0) + 0.3 * sine(t, 11, 1.0)
add(
    "Is one series roughly a mirror image (upside-down copy) of the other?",
    ["Yes", "No"],
    "Yes",
    SA,
    "Shape",
    ["Shape Similarity"],
    ts1=base + noise(n, 0.1),
    ts2=-1.5 * base + 2 + noise(n, 0.15),
    difficulty="medium",
)
n = length(200, 300)
t = np.arange(n)
add(
    "Do both series follow the same periodic pattern, with the same period?",
    ["Yes", "No"],
    "No",
    SA,
    "Shape",
    ["Shape Similarity", "Cycle"],
    ts1=sine(t, 20, 1.0) + noise(n, 0.1),
    ts2=sine(t, 50, 1.0) + noise(n, 0.1),
    difficulty="medium",
)
n = length()
t = np.arange(n)
base = sawtooth(t, 30, 1.0) + 0.01 * t
add(
    "Which description fits the relation between the two series?",
    ["Same shape, different scale", "Different shapes", "Identical in both shape and scale"],
    "Same shape, different scale",
    SA,
    "Shape",
    ["Shape Similarity"],
    ts1=base + noise(n, 0.05),
    ts2=5 * base + noise(n, 0.25),
    difficulty="medium",
)
n = length()
t = np.arange(n)
e = np.exp(t / (n / 3.0))
add(
    "How similar are the shapes of the two series?",
    ["Very similar", "Very different"],
    "Very different",
    SA,
    "Shape",
    ["Shape Similarity", "Exponential Trend", "Sine Wave"],
    ts1=e / e.max() * 5 + noise(n, 0.1),
    ts2=sine(t, 25, 2.5) + 2.5 + noise(n, 0.1),
    difficulty="easy",
)
n = length()
t = np.arange(n)
base = 3 * sine(t, 40, 1.0) + 0.5 * square(t, 13, 1.0)
add(
    "Could series 2 be a noisier version of series 1?",
    ["Yes", "No"],
    "Yes",
    SA,
    "Shape",
    ["Shape Similarity", "Noise"],
    ts1=base + noise(n, 0.05),
    ts2=base + noise(n, 0.6),
    difficulty="medium",
)
n = length(200, 300)
w = random_walk(n, 1.0)
add(
    "Do these two series trace out similar paths?",
    ["Yes", "No"],
    "Yes",
    SA,
    "Shape",
    ["Shape Similarity", "Random Walk"],
    ts1=w,
    ts2=w + 15 + noise(n, 0.5),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Does series 2 show the same sequence of peaks and troughs as series 1?",
    ["Yes", "No"],
    "No",
    SA,
    "Shape",
    ["Shape Similarity"],
    ts1=ar1(n, 0.8),
    ts2=ar1(n, 0.8),
    difficulty="medium",
)

template(19)  # distributional
n = length()
add(
    "Do the two series have about the same mean?",
    ["Yes", "No, series 1 is higher", "No, series 2 is higher"],
    "No, series 2 is higher",
    SA,
    "Distributional",
    ["Mean", "Distributional Similarity"],
    ts1=noise(n, 1.0),
    ts2=3 + noise(n, 1.0),
    difficulty="easy",
)
n = length()
add(
    "Which series has the larger spread of values?",
    ["Series 1", "Series 2", "About the same"],
    "Series 2",
    SA,
    "Distributional",
    ["Variance", "Distributional Similarity"],
    ts1=noise(n, 1.0),
    ts2=noise(n, 3.0),
    difficulty="easy",
)
n = length()
add(
    "Are the value distributions of the two series alike?",
    ["Yes, they look alike", "No, they differ"],
    "Yes, they look alike",
    SA,
    "Distributional",
    ["Distributional Similarity"],
    ts1=2 + noise(n, 1.5),
    ts2=2 + noise(n, 1.5),
    difficulty="medium",
)
n = length()
add(
    "Do both series have the same variance?",
    ["Yes", "No, series 1 varies more", "No, series 2 varies more"],
    "No, series 1 varies more",
    SA,
    "Distributional",
    ["Variance", "Distributional Similarity"],
    ts1=5 + noise(n, 2.5),
    ts2=5 + noise(n, 1.0),
    difficulty="medium",
)
n = length()
add(
    "Do the values of the two series cover the same range?",
    ["Yes", "No"],
    "No",
    SA,
    "Distributional",
    ["Distributional Similarity"],
    ts1=rng.uniform(0, 1, n),
    ts2=rng.uniform(5, 10, n),
    difficulty="easy",
)

# =========================================================================== NOISE (12)
template(20)  # white noise
n = length()
add(
    "Is this series plain white noise?",
    ["Yes", "No"],
    "Yes",
    NU,
    "White Noise Recognition",
    ["White Noise"],
    ts=noise(n, 1.0),
    difficulty="easy",
)
n = length(200, 300)
add(
    "Is this series white noise?",
    ["Yes", "No"],
    "No",
    NU,
    "White Noise Recognition",
    ["White Noise", "Red Noise"],
    ts=ar1(n, 0.9),
    difficulty="medium",
)
n = length()
add(
    "Are consecutive values of this series independent of each other?",
    ["Yes", "No"],
    "Yes",
    NU,
    "White Noise Recognition",
    ["White Noise"],
    ts=10 + noise(n, 0.5),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Which of the two series is white noise?",
    ["Series 1", "Series 2"],
    "Series 2",
    NU,
    "White Noise Recognition",
    ["White Noise", "Random Walk"],
    ts1=random_walk(n, 1.0),
    ts2=noise(n, 1.0),
    difficulty="easy",
)

template(21)  # red noise
n = length(200, 300)
add(
    "Is this red noise (strongly correlated, random-walk-like) or white noise?",
    ["Red noise", "White noise"],
    "Red noise",
    NU,
    "Red Noise Recognition",
    ["Red Noise", "Random Walk"],
    ts=random_walk(n, 0.5),
    difficulty="medium",
)
n = length(200, 300)
add(
    "What kind of process is this?",
    ["White noise", "Random walk", "Periodic signal"],
    "Random walk",
    NU,
    "Red Noise Recognition",
    ["Random Walk", "Red Noise"],
    ts=random_walk(n, 1.0),
    difficulty="medium",
)
n = length(200, 300)
add(
    "Which of the two series is red noise?",
    ["Series 1", "Series 2"],
    "Series 1",
    NU,
    "Red Noise Recognition",
    ["Red Noise", "White Noise"],
    ts1=ar1(n, 0.95),
    ts2=noise(n, 1.0),
    difficulty="medium",
)

template(22)  # SNR and noise level / kind
n = length()
t = np.arange(n)
add(
    "Which series has the higher signal-to-noise ratio?",
    ["Series 1", "Series 2"],
    "Series 1",
    NU,
    "Signal to Noise Ratio Understanding",
    ["Signal to Noise Ratio"],
    ts1=sine(t, 30, 1.0) + noise(n, 0.1),
    ts2=sine(t, 30, 1.0) + noise(n, 0.8),
    difficulty="easy",
)
n = 300
t = np.arange(n)
add(
    "How noisy is this signal relative to its underlying pattern?",
    ["Barely any noise", "Moderately noisy", "The noise dominates the signal"],
    "The noise dominates the signal",
    NU,
    "Signal to Noise Ratio Understanding",
    ["Signal to Noise Ratio"],
    ts=sine(t, 30, 1.0) + noise(n, 2.0),
    difficulty="medium",
)
n = length(200, 300)
t = np.arange(n)
level = 2 + 28 * t / n
add(
    "Is the noise on this series additive (constant size) or multiplicative (grows with the level)?",
    ["Additive", "Multiplicative"],
    "Multiplicative",
    NU,
    "Signal to Noise Ratio Understanding",
    ["Multiplicative Noise", "Additive Noise"],
    ts=level * (1 + rng.normal(0, 0.12, n)),
    difficulty="hard",
)
n = length(200, 300)
t = np.arange(n)
level = np.exp(t / (n / 3.0))
add(
    "Does the size of the noise depend on the level of the series, or is it the same everywhere?",
    ["It grows with the level", "It is the same everywhere"],
    "It is the same everywhere",
    NU,
    "Signal to Noise Ratio Understanding",
    ["Additive Noise", "Multiplicative Noise"],
    ts=level + noise(n, 0.4),
    difficulty="hard",
)
n = length()
t = np.arange(n)
add(
    "Roughly what is the standard deviation of the noise around the smooth pattern?",
    ["0.05", "0.5", "5"],
    "0.5",
    NU,
    "Signal to Noise Ratio Understanding",
    ["Noise Level", "Signal to Noise Ratio"],
    ts=sine(t, 40, 5.0) + noise(n, 0.5),
    difficulty="medium",
)


# =========================================================================== CAUSALITY (11)
def lagged_pair(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """driver x (AR(1)), follower y[t] = 0.8 x[t-k] + noise."""
    while True:
        x = ar1(n + k, 0.6)
        y = 0.8 * x[:-k] + noise(n, 0.3)
        x = x[k:]
        if lag_of(x, y) == k:
            return x, y


template(23)
n = length()
x, y = lagged_pair(n, 3)
add(
    "Does series 1 Granger-cause series 2?",
    ["Yes", "No"],
    "Yes",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=x,
    ts2=y,
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 4)
add(
    "Does series 2 Granger-cause series 1?",
    ["Yes", "No"],
    "No",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=x,
    ts2=y,
    difficulty="hard",
)
n = length()
x, y = lagged_pair(n, 6)
add(
    "Which series leads the other?",
    ["Series 1 leads", "Series 2 leads", "Neither leads"],
    "Series 2 leads",
    CA,
    "Granger Causality",
    ["Granger Causality", "Lag"],
    ts1=y,
    ts2=x,
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 12)
add(
    "Series 2 appears to be a delayed copy of series 1. By roughly how many steps is it delayed?",
    ["3", "12", "30"],
    "12",
    CA,
    "Granger Causality",
    ["Lag"],
    ts1=x,
    ts2=y,
    difficulty="medium",
)
n = length()
add(
    "Is there any causal (lead-lag) relationship between these two series?",
    ["Yes", "No"],
    "No",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=ar1(n, 0.6),
    ts2=ar1(n, 0.6),
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 2)
add(
    "Do past values of series 2 help forecast series 1?",
    ["Yes", "No"],
    "Yes",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=y,
    ts2=x,
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 5)
add(
    "Which direction does the causal influence run?",
    ["From series 1 to series 2", "From series 2 to series 1", "No causal influence"],
    "From series 1 to series 2",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=x,
    ts2=y,
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 8)
add(
    "Which statement best describes the relationship?",
    [
        "Series 1 is a lagged copy of series 2",
        "Series 2 is a lagged copy of series 1",
        "The series are unrelated",
    ],
    "Series 1 is a lagged copy of series 2",
    CA,
    "Granger Causality",
    ["Lag", "Granger Causality"],
    ts1=y,
    ts2=x,
    difficulty="medium",
)
n = length()
add(
    "Is series 1 driven by the past of series 2?",
    ["Yes", "No"],
    "No",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=ar1(n, 0.5),
    ts2=ar1(n, 0.5),
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 5)
add(
    "What lag separates these two series?",
    ["5 steps", "20 steps", "50 steps"],
    "5 steps",
    CA,
    "Granger Causality",
    ["Lag"],
    ts1=x,
    ts2=y,
    difficulty="medium",
)
n = length()
x, y = lagged_pair(n, 3)
add(
    "Which series is the cause and which the effect?",
    [
        "Series 1 is the cause, series 2 the effect",
        "Series 2 is the cause, series 1 the effect",
        "Neither causes the other",
    ],
    "Series 1 is the cause, series 2 the effect",
    CA,
    "Granger Causality",
    ["Granger Causality"],
    ts1=x,
    ts2=y,
    difficulty="medium",
)


# --------------------------------------------------------------------------- write
def main() -> None:
    assert len(QUESTIONS) == 100, len(QUESTIONS)
    for q in QUESTIONS:
        assert q["answer"] in q["options"]
    OUT.write_text(json.dumps(QUESTIONS, indent=1) + "\n")
    cats: dict[str, int] = {}
    for q in QUESTIONS:
        cats[q["category"]] = cats.get(q["category"], 0) + 1
    print(f"wrote {OUT} ({len(QUESTIONS)} questions): {cats}")


if __name__ == "__main__":
    main()
