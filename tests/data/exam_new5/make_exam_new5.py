#!/usr/bin/env python3
"""Generate exam_new5.json: 80 seeded time-series multiple-choice questions.

Every answer is fixed by construction (how the series was generated), with
effect sizes chosen to be far from borderline; a few sanity checks inside the
generators redraw a series if the random draw happens to blur the effect.

Usage:  python make_exam_new5.py   (numpy only, seed 20261203)
"""

import json
import os

import numpy as np

SEED = 20261203
rng = np.random.default_rng(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exam_new5.json")


# ----------------------------------------------------------------- helpers
def r4(x):
    return [round(float(v), 4) for v in x]


def white(n, sd=1.0):
    return rng.normal(0.0, sd, n)


def ar1(n, phi, sd=1.0, burn=200):
    e = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n + burn)
    x = np.zeros(n + burn)
    for t in range(1, n + burn):
        x[t] = phi * x[t - 1] + e[t]
    return x[burn:]


def rwalk(n, sd=1.0):
    return np.cumsum(rng.normal(0.0, sd, n))


def lag1(x):
    x = np.asarray(x) - np.mean(x)
    return float(np.sum(x[1:] * x[:-1]) / np.sum(x * x))


def third_pos(n, where):
    """Random index well inside the early / middle / late third."""
    lo, hi = {"early": (0.08, 0.25), "middle": (0.42, 0.58), "late": (0.75, 0.92)}[where]
    return int(rng.integers(int(lo * n), int(hi * n) + 1))


def level():
    return float(rng.uniform(-20, 80))


# ------------------------------------------------------- PATTERN RECOGNITION
def g_trend_dir(case, lab):
    n = int(rng.integers(120, 241))
    sd = float(rng.uniform(0.5, 1.5))
    t = np.arange(n)
    while True:
        total = 0.0 if case == "flat" else float(rng.uniform(8, 12)) * sd
        slope = total / n * (1 if case == "up" else -1)
        y = level() + slope * t + white(n, sd)
        fit = np.polyfit(t, y, 1)[0] * n
        if case == "flat" and abs(fit) < 0.6 * sd:
            break
        if case != "flat" and abs(fit) > 6 * sd:
            break
    return {"ts": r4(y)}, lab[case], {"slope_per_sample": round(slope, 5)}


def g_trend_shape(case, lab):
    n = int(rng.integers(120, 201))
    t = np.arange(n) / (n - 1)
    base = float(rng.uniform(1, 3))
    if case == "linear":
        y = base + 20 * base * t
    elif case == "exp":
        y = base * np.exp(3.0 * t)  # grows ~20x, strongly convex
    else:
        y = np.full(n, 10 * base)
    y = y + white(n, 0.03 * 20 * base)
    return {"ts": r4(y)}, lab[case], {}


def g_season_present(case, lab):
    n = int(rng.integers(140, 241))
    if case == "yes":
        p = int(rng.integers(10, 36))
        y = 2.0 * np.sin(2 * np.pi * np.arange(n) / p + rng.uniform(0, 6.28)) + white(n, 0.6)
    else:
        y = ar1(n, 0.3, 1.0)
    return {"ts": r4(y + level())}, lab[case], {}


PERIODS = [7, 10, 12, 16, 20, 24, 30, 36, 50]


def far_apart(a, b):
    big, small = max(a, b), min(a, b)
    return big % small != 0 and big / small >= 1.25


def g_period(case, lab):
    p, none_style = case
    n = int(min(300, max(120, 6 * p)))
    t = np.arange(n)
    ph = rng.uniform(0, 6.28)
    y = 2.0 * np.sin(2 * np.pi * t / p + ph) + 0.6 * np.sin(4 * np.pi * t / p + 2 * ph) + white(n, 0.5)
    pool = [q for q in PERIODS if q != p and far_apart(p, q)]
    k = 3 if none_style else int(rng.integers(2, 4))
    wrong = [int(v) for v in rng.choice(pool, size=k, replace=False)]
    fmt = lab["fmt"]
    if none_style:
        opts = [fmt.format(q) for q in wrong] + ["None of these"]
        ans = "None of these"
    else:
        opts = [fmt.format(q) for q in [p, *wrong]]
        ans = fmt.format(p)
    return {"ts": r4(y + level())}, ans, {"period": p, "_opts": opts}


def g_shift_pos(case, lab):
    n = int(rng.integers(150, 241))
    k = third_pos(n, case)
    sd = 1.0
    y = white(n, sd)
    y[k:] += rng.choice([-1, 1]) * rng.uniform(4.0, 6.0) * sd
    return {"ts": r4(y + level())}, lab[case], {"shift_index": k}


def g_shift_presence(case, lab):
    n = int(rng.integers(150, 241))
    y = white(n, 1.0)
    k = None
    if case == "yes":
        k = int(rng.integers(int(0.3 * n), int(0.7 * n)))
        y[k:] += rng.choice([-1, 1]) * rng.uniform(4.0, 6.0)
    return {"ts": r4(y + level())}, lab[case], {"shift_index": k}


def g_shift_dir(case, lab):
    n = int(rng.integers(150, 241))
    y = white(n, 1.0)
    if case != "none":
        k = int(rng.integers(int(0.3 * n), int(0.7 * n)))
        y[k:] += (1 if case == "up" else -1) * rng.uniform(4.0, 6.0)
    return {"ts": r4(y + level())}, lab[case], {}


def g_variance(case, lab):
    n = int(rng.integers(150, 241))
    t = np.arange(n)
    p = int(rng.integers(20, 41))
    pattern = 3.0 * np.sin(2 * np.pi * t / p)
    if case == "widen":
        sd = np.linspace(0.2, 1.6, n)
    elif case == "narrow":
        sd = np.linspace(1.6, 0.2, n)
    else:
        sd = np.full(n, 0.8)
    y = pattern + rng.normal(0, 1, n) * sd
    return {"ts": r4(y + level())}, lab[case], {}


# -------------------------------------------------------- ANOMALY DETECTION
def smooth_base(n):
    t = np.arange(n)
    p = int(rng.integers(25, 60))
    return 1.5 * np.sin(2 * np.pi * t / p + rng.uniform(0, 6.28))


def g_spike_pos(case, lab):
    n = int(rng.integers(150, 241))
    y = smooth_base(n) + white(n, 0.4)
    k = third_pos(n, case)
    y[k] += rng.choice([-1, 1]) * rng.uniform(8, 10)
    return {"ts": r4(y + level())}, lab[case], {"spike_index": k}


def g_spike_kind(case, lab):
    n = int(rng.integers(150, 241))
    while True:
        noise = white(n, 0.4)
        if np.max(np.abs(noise)) < 3.2 * 0.4:
            break
    y = smooth_base(n) + noise
    if case != "none":
        k = int(rng.integers(int(0.1 * n), int(0.9 * n)))
        y[k] += (1 if case == "spike" else -1) * rng.uniform(8, 10)
    return {"ts": r4(y + level())}, lab[case], {}


def g_stuck_pos(case, lab):
    n = int(rng.integers(180, 241))
    y = smooth_base(n) + white(n, 0.5) + level()
    L = int(rng.integers(20, 31))
    c = third_pos(n, case)
    s = max(0, c - L // 2)
    y[s : s + L] = y[s]
    return {"ts": r4(y)}, lab[case], {"stuck_start": s, "stuck_len": L}


def g_stuck_presence(case, lab):
    n = int(rng.integers(180, 241))
    y = smooth_base(n) + white(n, 0.5) + level()
    if case == "yes":
        L = int(rng.integers(20, 31))
        s = int(rng.integers(int(0.15 * n), int(0.85 * n) - L))
        y[s : s + L] = y[s]
    return {"ts": r4(y)}, lab[case], {}


# ------------------------------------------------------- NOISE UNDERSTANDING
def g_noise_type(case, lab):
    n = 250
    while True:
        if case == "white":
            y = white(n, 1.0)
            ok = abs(lag1(y)) < 0.12
        elif case == "rw":
            y = rwalk(n, 1.0)
            ok = np.ptp(y) > 18
        else:
            y = ar1(n, 0.7, 2.0)
            m = y - y.mean()
            crossings = int(np.sum(np.sign(m[1:]) != np.sign(m[:-1])))
            ok = 0.55 < lag1(y) < 0.82 and crossings > 25
        if ok:
            break
    return {"ts": r4(y + level())}, lab[case], {}


def g_noise_amp(case, lab):
    n = int(rng.integers(150, 221))
    t = np.arange(n)
    p = int(rng.integers(20, 45))
    wave = 2.0 * np.sin(2 * np.pi * t / p)
    lo, hi = 0.3, 1.2
    s1, s2 = {"first": (hi, lo), "second": (lo, hi), "same": (0.7, 0.7)}[case]
    off = level()
    return (
        {"ts1": r4(wave + white(n, s1) + off), "ts2": r4(wave + white(n, s2) + off + rng.uniform(-3, 3))},
        lab[case],
        {},
    )


def g_jitter(case, lab):
    n = int(rng.integers(150, 241))
    if case == "jitter":
        while True:
            y = white(n, 1.0)
            if abs(lag1(y)) < 0.12:
                break
    else:
        if rng.random() < 0.5:
            y = ar1(n, 0.85, 1.0)
        else:
            y = 1.5 * np.sin(2 * np.pi * np.arange(n) / rng.integers(15, 30)) + white(n, 0.8)
    return {"ts": r4(y + level())}, lab[case], {}


# ------------------------------------------------------ SIMILARITY ANALYSIS
def g_corr(case, lab):
    n = int(rng.integers(150, 241))
    while True:
        z = ar1(n, 0.6, 1.0)
        x = z + white(n, 0.4)
        if case == "pos":
            y = z + white(n, 0.4)
        elif case == "neg":
            y = -z + white(n, 0.4)
        else:
            y = ar1(n, 0.6, 1.0)
        r = np.corrcoef(x, y)[0, 1]
        if (case == "none" and abs(r) < 0.1) or (case != "none" and abs(r) > 0.7):
            break
    a, b = rng.uniform(0.5, 3.0, 2)
    return {"ts1": r4(a * x + level()), "ts2": r4(b * y + level())}, lab[case], {}


def g_freq(case, lab):
    n = int(rng.integers(160, 241))
    t = np.arange(n)
    p1 = int(rng.integers(12, 30))
    if case == "same":
        p2 = p1
    else:
        p2 = (
            round(p1 * rng.uniform(2.0, 3.0))
            if rng.random() < 0.5
            else max(5, round(p1 / rng.uniform(2.0, 2.5)))
        )
    x = rng.uniform(1, 3) * np.sin(2 * np.pi * t / p1 + rng.uniform(0, 6.28)) + white(n, 0.3)
    y = rng.uniform(1, 3) * np.sin(2 * np.pi * t / p2 + rng.uniform(0, 6.28)) + white(n, 0.3)
    return {"ts1": r4(x + level()), "ts2": r4(y + level())}, lab[case], {"p1": p1, "p2": p2}


def random_shape(n):
    t = np.arange(n) / n
    s = rng.uniform(-4, 4) * t
    s += rng.uniform(1, 2.5) * np.sin(2 * np.pi * t * rng.integers(2, 6) + rng.uniform(0, 6.28))
    c = rng.uniform(0.2, 0.8)
    s += rng.choice([-1, 1]) * rng.uniform(2, 4) * np.exp(-(((t - c) / 0.05) ** 2))
    return s


def g_shape(case, lab):
    n = int(rng.integers(150, 221))
    base = random_shape(n)
    if case == "yes":
        other = base
    else:
        while True:
            other = random_shape(n)
            if abs(np.corrcoef(base, other)[0, 1]) < 0.3:
                break
    a = rng.uniform(1.5, 4.0)
    x = base + white(n, 0.1)
    y = a * other + rng.uniform(20, 60) + white(n, 0.1 * a)
    return {"ts1": r4(x + level()), "ts2": r4(y)}, lab[case], {}


# ------------------------------------------------------- CAUSALITY ANALYSIS
def lagged_pair(n, L):
    z = ar1(n + L, 0.85, 1.0)
    lead = z[L:] + white(n, 0.15)
    lag = z[:n] + white(n, 0.15)  # lag[t] = z[t] = lead[t-L]
    return lead, lag


def g_lead(case, lab):
    n = int(rng.integers(160, 241))
    L = int(rng.integers(8, 16))
    if case == "same":
        z = ar1(n, 0.85, 1.0)
        a, b = z + white(n, 0.15), z + white(n, 0.15)
    else:
        lead, lag = lagged_pair(n, L)
        a, b = (lead, lag) if case == "first" else (lag, lead)
    return {"ts1": r4(a + level()), "ts2": r4(b + level())}, lab[case], {"lag": L}


def g_lag_amt(case, lab):
    L, fmt, alts = case
    n = int(rng.integers(180, 241))
    lead, lag = lagged_pair(n, L)
    opts = [fmt.format(v) for v in alts]
    return {"ts1": r4(lead + level()), "ts2": r4(lag + level())}, fmt.format(L), {"lag": L, "_opts": opts}


def g_granger(case, lab):
    n = int(rng.integers(180, 241))
    x = white(n + 2, 1.0)
    y = 0.8 * x[:-2] + white(n, 0.3)  # y_t = 0.8 x_{t-2} + noise
    x = x[2:]
    if case == "ab":
        A, B = x, y
    elif case == "ba":
        A, B = y, x
    else:
        A, B = white(n, 1.0), white(n, 1.0)
    return {"ts1": r4(A + level()), "ts2": r4(B + level())}, lab[case], {}


# ----------------------------------------------------------- the templates
# Each template: category, subcategory, tid, difficulty, concepts, generator,
# list of cases (balanced), list of (wording, labels) -- one wording per question.
T = []


def add(cat, sub, tid, diff, concepts, gen, cases, wordings):
    assert len(wordings) >= len(cases)
    T.append(
        dict(cat=cat, sub=sub, tid=tid, diff=diff, concepts=concepts, gen=gen, cases=cases, wordings=wordings)
    )


PR, AD, NU, SA, CA = (
    "Pattern Recognition",
    "Anomaly Detection",
    "Noise Understanding",
    "Similarity Analysis",
    "Causality Analysis",
)


def L3(a, b, c, keys=("up", "down", "flat")):
    return dict(zip(keys, (a, b, c), strict=False))


add(
    PR,
    "Trend Recognition",
    1,
    "easy",
    ["Linear Trend", "Trend Direction"],
    g_trend_dir,
    ["up"] * 3 + ["down"] * 3 + ["flat"] * 3,
    [
        (
            "Is the level of this sensor creeping up, creeping down or holding steady?",
            L3("Creeping up", "Creeping down", "Holding steady"),
        ),
        (
            "Which way is the baseline of this reading heading over the record?",
            L3("Up", "Down", "Nowhere in particular"),
        ),
        (
            "Looking past the wiggles, does this gauge end the record higher, lower, or about where it started?",  # noqa: E501
            L3("Higher", "Lower", "About the same"),
        ),
        (
            "Over the whole log, what is the general drift of this channel?",
            L3("Rising", "Falling", "No drift"),
        ),
        (
            "Is this flow meter slowly gaining, slowly losing, or staying put on average?",
            L3("Gaining", "Losing", "Staying put"),
        ),
        (
            "Ignore the jitter: is there a long-run slope in this signal, and if so which way?",
            L3("Yes, it slopes upward", "Yes, it slopes downward", "No, it is flat on average"),
        ),
        (
            "A technician says this temperature log is drifting. Which description fits?",
            L3(
                "It drifts warmer over time",
                "It drifts cooler over time",
                "There is no drift; it just jitters around one level",
            ),
        ),
        (
            "Would a straight line fitted through these points tilt up, tilt down, or lie flat?",
            L3("Tilt up", "Tilt down", "Lie flat"),
        ),
        (
            "What happens to the average level of this pressure trace from start to finish?",
            L3("It climbs steadily", "It sinks steadily", "It stays level"),
        ),
    ],
)

K_SHAPE = ("linear", "exp", "none")
add(
    PR,
    "Trend Recognition",
    2,
    "medium",
    ["Trend Shape", "Exponential Growth", "Linear Trend"],
    g_trend_shape,
    ["linear", "linear", "exp", "exp", "none"],
    [
        (
            "How would you describe the growth in this counter: steady straight-line, speeding up, or no growth at all?",  # noqa: E501
            L3("Steady straight-line", "Speeding up", "No growth at all", K_SHAPE),
        ),
        (
            "Does this reading rise at a constant rate, rise faster and faster, or not rise?",
            L3("Constant rate", "Faster and faster", "It does not rise", K_SHAPE),
        ),
        (
            "Which curve would you fit to the overall shape of this series?",
            L3("A straight line", "An exponential curve", "A flat horizontal line", K_SHAPE),
        ),
        (
            "Is the climb in this log linear, compounding, or absent?",
            L3("Linear", "Compounding", "Absent", K_SHAPE),
        ),
        (
            "An operator asks whether the load is ramping. Pick the best description.",
            L3(
                "Ramping at a steady rate",
                "Ramping up ever more steeply",
                "Not ramping; it hovers at one level",
                K_SHAPE,
            ),
        ),
    ],
)


def YN(a, b):
    return {"yes": a, "no": b}


add(
    PR,
    "Seasonality Detection",
    3,
    "easy",
    ["Seasonality", "Periodicity"],
    g_season_present,
    ["yes"] * 3 + ["no"] * 2,
    [
        ("Does this signal have a pattern that keeps repeating?", YN("Yes", "No")),
        (
            "Is there a regular up-and-down cycle in this log, or is it just noise?",
            YN("A regular cycle", "Just noise"),
        ),
        (
            "Would you say this meter shows a rhythm that comes back again and again?",
            YN("Yes, it has a recurring rhythm", "No, nothing recurs"),
        ),
        (
            "Do you see any periodic behaviour in this trace?",
            YN("Periodic behaviour is present", "No periodic behaviour"),
        ),
        ("Is there a seasonal swing in this data?", YN("Yes, a clear seasonal swing", "No seasonal swing")),
    ],
)

period_cases = [(12, False), (24, False), (7, False), (50, False), (16, False), (30, False), (20, True)]
add(
    PR,
    "Seasonality Detection",
    4,
    "medium",
    ["Seasonality", "Period Estimation"],
    g_period,
    period_cases,
    [
        ("How many samples make up one full cycle?", {"fmt": "{}"}),
        ("Roughly how long, in samples, before the pattern repeats itself?", {"fmt": "{} samples"}),
        ("What is the period of the repeating wave in this series?", {"fmt": "{}"}),
        ("Crest to crest, how many readings apart are the peaks?", {"fmt": "About {}"}),
        ("If one sample is one hour, how many hours does one swing of this cycle last?", {"fmt": "{} hours"}),
        ("Count the spacing between repeats: which cycle length fits best?", {"fmt": "Every {} samples"}),
        ("This vibration log has a cycle. Which cycle length matches it?", {"fmt": "{}"}),
    ],
)

POS = ("early", "middle", "late")
add(
    PR,
    "Structural Change",
    5,
    "medium",
    ["Level Shift", "Change Point"],
    g_shift_pos,
    ["early", "middle", "late"],
    [
        (
            "The average level of this tank reading jumps to a new value at some point. When does that happen?",  # noqa: E501
            L3("Early on", "Around the middle", "Near the end", POS),
        ),
        (
            "Where in the record does the series step to a different level: first third, middle third or last third?",  # noqa: E501
            L3("First third", "Middle third", "Last third", POS),
        ),
        (
            "This meter was recalibrated once, which moved its baseline. In which part of the log did that happen?",  # noqa: E501
            L3("Beginning", "Middle", "End", POS),
        ),
    ],
)
add(
    PR,
    "Structural Change",
    19,
    "easy",
    ["Level Shift"],
    g_shift_presence,
    [str(rng.choice(["yes", "no"]))],
    [
        (
            "Does the series settle at a new level partway through?",
            YN("Yes, it shifts to a new level and stays there", "No, the level stays the same throughout"),
        ),
    ],
)
add(
    PR,
    "Structural Change",
    20,
    "easy",
    ["Level Shift", "Shift Direction"],
    g_shift_dir,
    [str(rng.choice(["up", "down", "none"]))],
    [
        (
            "Is there a lasting step in this reading, and which way does it go?",
            L3("A step up", "A step down", "No step", ("up", "down", "none")),
        ),
    ],
)

VK = ("widen", "narrow", "same")
add(
    PR,
    "Volatility",
    6,
    "medium",
    ["Heteroscedasticity", "Variance Change"],
    g_variance,
    ["widen", "widen", "narrow", "narrow", "same"],
    [
        (
            "Is the scatter around the pattern getting wider?",
            L3("Yes, it widens over time", "No, it narrows over time", "No, it stays about the same", VK),
        ),
        (
            "How does the spread of this reading change from start to finish?",
            L3("It grows", "It shrinks", "It does not change much", VK),
        ),
        (
            "Is this sensor getting noisier, quieter, or staying equally noisy as time goes on?",
            L3("Noisier", "Quieter", "Equally noisy", VK),
        ),
        (
            "Compare the wobble at the start with the wobble at the end. What do you see?",
            L3(
                "Much more wobble at the end",
                "Much more wobble at the start",
                "Similar wobble throughout",
                VK,
            ),
        ),
        (
            "Does the volatility of this series change over the record?",
            L3("Volatility increases", "Volatility decreases", "Volatility is constant", VK),
        ),
    ],
)

add(
    AD,
    "Outlier Location",
    7,
    "easy",
    ["Point Anomaly", "Outlier Position"],
    g_spike_pos,
    ["early", "middle", "late", "early", "late"],
    [
        (
            "Where does the odd reading sit: early, middle or late in the record?",
            L3("Early", "Middle", "Late", POS),
        ),
        (
            "There is one reading that doesn't belong. In which third of the log is it?",
            L3("First third", "Second third", "Final third", POS),
        ),
        (
            "A single glitch shows up in this sensor trace. When did it occur?",
            L3("Near the start", "Around the midpoint", "Toward the end", POS),
        ),
        (
            "Locate the one-off outlier: is it at the beginning, the middle or the end of the series?",
            L3("Beginning", "Middle", "End", POS),
        ),
        (
            "One sample jumps way out of line with its neighbours. Roughly where is it?",
            L3("In the opening part", "In the central part", "In the closing part", POS),
        ),
    ],
)

SK = ("spike", "dip", "none")
add(
    AD,
    "Outlier Type",
    8,
    "easy",
    ["Spike", "Dip", "Point Anomaly"],
    g_spike_kind,
    ["spike", "dip", "none", "dip"],
    [
        (
            "Is there an unusual reading here, and if so which kind?",
            L3("A sudden upward spike", "A sudden downward dip", "Nothing unusual", SK),
        ),
        (
            "What kind of glitch, if any, does this gauge show?",
            L3("A brief jump up", "A brief drop down", "None of these; it looks clean", SK),
        ),
        (
            "Does this log contain a single out-of-place point?",
            L3(
                "Yes, one point far too high",
                "Yes, one point far too low",
                "No, every point fits the pattern",
                SK,
            ),
        ),
        (
            "Scan this trace for a one-sample anomaly. Which best describes it?",
            L3("Spike", "Dip", "No anomaly", SK),
        ),
    ],
)

add(
    AD,
    "Stuck Sensor",
    9,
    "medium",
    ["Flat-line", "Sensor Fault"],
    g_stuck_pos,
    ["early", "middle", "late"],
    [
        (
            "This sensor froze for a while and kept repeating the same value. When?",
            L3("Early in the record", "In the middle", "Late in the record", POS),
        ),
        (
            "Where is the stretch where the reading goes dead flat?",
            L3("First third", "Middle third", "Last third", POS),
        ),
        (
            "At some point the logger got stuck on one number. In which part of the series?",
            L3("Start", "Middle", "End", POS),
        ),
    ],
)
add(
    AD,
    "Stuck Sensor",
    21,
    "easy",
    ["Flat-line", "Sensor Fault"],
    g_stuck_presence,
    ["yes", "no"],
    [
        (
            "Is there any stretch where the signal is stuck at a constant value?",
            YN("Yes, there is a stuck stretch", "No, it never flat-lines"),
        ),
        (
            "Did this transmitter ever hang and hold a single value for many samples in a row?",
            YN("Yes", "No"),
        ),
    ],
)

NK = ("white", "rw", "ar")
add(
    NU,
    "Noise Type",
    10,
    "hard",
    ["White Noise", "Random Walk", "Autocorrelation"],
    g_noise_type,
    ["white", "white", "rw", "rw", "ar"],
    [
        (
            "Which best describes this noise?",
            L3(
                "Independent jitter (white noise)",
                "A random walk that wanders off",
                "Correlated noise that keeps pulling back to its mean",
                NK,
            ),
        ),
        (
            "Is each point here independent of the last, does the series wander like a drunkard's walk, or is it smooth but mean-reverting?",  # noqa: E501
            L3("Independent of the last", "Drunkard's walk", "Smooth but mean-reverting", NK),
        ),
        (
            "How would you classify the random behaviour of this reading?",
            L3("White noise", "Random walk", "Strongly autocorrelated (AR-type) noise", NK),
        ),
        (
            "Does this series forget its past immediately, drift with no anchor, or remember its recent past while staying anchored?",  # noqa: E501
            L3("Forgets immediately", "Drifts with no anchor", "Remembers recently, stays anchored", NK),
        ),
        (
            "Pick the noise model that fits this trace.",
            L3("Uncorrelated noise", "Cumulative random walk", "Sticky, mean-reverting noise", NK),
        ),
    ],
)

AK = ("first", "second", "same")
add(
    NU,
    "Noise Level",
    11,
    "medium",
    ["Noise Amplitude", "Signal-to-Noise"],
    g_noise_amp,
    ["first", "second", "same"],
    [
        (
            "Which of the two gauges has the noisier reading?",
            L3("The first", "The second", "About equally noisy", AK),
        ),
        (
            "Both channels carry the same underlying wave. Which one has more random fuzz on top?",
            L3("Channel one", "Channel two", "Neither; the fuzz is similar", AK),
        ),
        (
            "Comparing the two sensors, whose measurement noise is larger?",
            L3("First sensor's", "Second sensor's", "They are about the same", AK),
        ),
    ],
)

add(
    NU,
    "Noise vs Signal",
    12,
    "medium",
    ["White Noise", "Structure Detection"],
    g_jitter,
    ["jitter", "structure"],
    [
        (
            "Is this just random jitter or is there structure?",
            {"jitter": "Just random jitter", "structure": "There is structure"},
        ),
        (
            "Could these numbers be pure independent noise, or do they hide some pattern?",
            {"jitter": "Pure independent noise", "structure": "They hide a pattern"},
        ),
    ],
)

CK = ("pos", "neg", "none")
add(
    SA,
    "Correlation",
    13,
    "easy",
    ["Correlation", "Co-movement"],
    g_corr,
    ["pos", "pos", "neg", "neg", "none"],
    [
        (
            "Do these two gauges move together, in opposition, or independently?",
            L3("Together", "In opposition", "Independently", CK),
        ),
        (
            "When the first reading goes up, what does the second tend to do?",
            L3("Goes up too", "Goes down", "Nothing in particular", CK),
        ),
        (
            "What is the sign of the relationship between these two series?",
            L3("Positive", "Negative", "No relationship", CK),
        ),
        (
            "Are these two sensors telling the same story, mirror-image stories, or unrelated stories?",
            L3("The same story", "Mirror-image stories", "Unrelated stories", CK),
        ),
        (
            "How are these two channels linked?",
            L3("They rise and fall together", "One rises when the other falls", "They are not linked", CK),
        ),
    ],
)

add(
    SA,
    "Frequency Comparison",
    14,
    "medium",
    ["Frequency", "Periodicity"],
    g_freq,
    ["same", "diff", "diff"],
    [
        (
            "Do these two signals cycle at the same rate?",
            {"same": "Yes, same rate", "diff": "No, different rates"},
        ),
        (
            "Do these two oscillations share the same period?",
            {"same": "Same period", "diff": "Different periods"},
        ),
        (
            "Are these two machines vibrating at the same frequency or different ones?",
            {"same": "Same frequency", "diff": "Different frequencies"},
        ),
    ],
)

add(
    SA,
    "Shape Similarity",
    15,
    "medium",
    ["Shape Similarity", "Scaling"],
    g_shape,
    ["yes", "no", "yes"],
    [
        (
            "Is the second series just a stretched and shifted copy of the first?",
            YN("Yes, same shape with different scale and offset", "No, the shapes differ"),
        ),
        (
            "Setting aside units and offsets, do these two traces follow the same profile?",
            YN("Same profile", "Different profiles"),
        ),
        (
            "Could one of these readings be the other one after a unit conversion (scale plus offset)?",
            YN("Yes", "No"),
        ),
    ],
)

add(
    CA,
    "Lead-Lag",
    16,
    "medium",
    ["Lead-Lag", "Time Delay"],
    g_lead,
    ["first", "second", "second"],
    [
        (
            "Which of the two readings leads the other?",
            L3("The first leads", "The second leads", "Neither, they move in lockstep", AK),
        ),
        (
            "One of these sensors seems to react before the other. Which one reacts first?",
            L3("Sensor one", "Sensor two", "They react at the same moment", AK),
        ),
        (
            "Looking at the wiggles, which series is ahead in time?",
            L3("The first series", "The second series", "Neither is ahead", AK),
        ),
    ],
)

add(
    CA,
    "Lead-Lag",
    17,
    "hard",
    ["Time Delay", "Cross-correlation"],
    g_lag_amt,
    [
        (12, "About {} samples", [0, 3, 12, 30]),
        (30, "{}", [0, 5, 12, 30]),
        (4, "Roughly {} steps", [4, 15, 40]),
    ],
    [
        ("The second reading echoes the first after a delay. Roughly how long is that delay?", {}),
        ("Series two is a delayed version of series one. How many samples is the delay?", {}),
        (
            "The first trace is the upstream sensor, the second is downstream. By about how much does the downstream one lag?",  # noqa: E501
            {},
        ),
    ],
)

GK = ("ab", "ba", "none")
add(
    CA,
    "Granger Causality",
    18,
    "hard",
    ["Granger Causality", "Predictability"],
    g_granger,
    ["ab", "ba", "none"],
    [
        (
            "Call the first series A and the second B. Does A help predict B?",
            L3(
                "Yes, A's past values help forecast B",
                "No, it is the reverse: B's past helps forecast A",
                "No, neither helps forecast the other",
                GK,
            ),
        ),
        (
            "Treat the first trace as A and the second as B. Would knowing A's recent history improve a forecast of B?",  # noqa: E501
            L3(
                "Yes, it would",
                "No, but B's history would improve a forecast of A",
                "No, the two carry no information about each other",
                GK,
            ),
        ),
        (
            "Series one is A, series two is B. Which way does predictive information flow?",
            L3("From A to B", "From B to A", "Neither direction", GK),
        ),
    ],
)


# ----------------------------------------------------------------- build
def main():
    items = []
    for tpl in T:
        cases = [tpl["cases"][i] for i in rng.permutation(len(tpl["cases"]))]
        words = [tpl["wordings"][i] for i in rng.permutation(len(tpl["wordings"]))]
        for case, (text, lab) in zip(cases, words, strict=False):
            data, ans, meta = tpl["gen"](case, lab)
            opts = meta.pop("_opts", None)
            if opts is None:
                opts = list(lab[k] for k in lab if k != "fmt")
            opts = [opts[i] for i in rng.permutation(len(opts))]
            q = {
                "id": 0,
                "question": text,
                "options": opts,
                "answer": ans,
                "question_type": "multiple_choice",
                "tid": tpl["tid"],
                "difficulty": tpl["diff"],
                "category": tpl["cat"],
                "subcategory": tpl["sub"],
                "relevant_concepts": tpl["concepts"],
                "question_hint": "",
                "format_hint": "",
            }
            q.update(data)
            items.append(q)
    items = [items[i] for i in rng.permutation(len(items))]
    for i, q in enumerate(items, 1):
        q["id"] = i

    # ---- checks
    assert len(items) == 80
    assert len({q["id"] for q in items}) == 80
    from collections import Counter

    cats = Counter(q["category"] for q in items)
    assert cats == {PR: 36, AD: 14, NU: 10, SA: 11, CA: 9}, cats
    for q in items:
        assert 2 <= len(q["options"]) <= 4 and len(set(q["options"])) == len(q["options"])
        assert q["options"].count(q["answer"]) == 1
        series = [q[k] for k in ("ts", "ts1", "ts2") if k in q]
        assert ("ts" in q) != ("ts1" in q and "ts2" in q)
        for s in series:
            assert 60 <= len(s) <= 300 and all(np.isfinite(s))
    assert max(Counter(q["question"] for q in items).values()) <= 3

    with open(OUT, "w") as f:
        json.dump(items, f, indent=1)
    print("wrote", OUT, len(items), dict(cats))


if __name__ == "__main__":
    main()
