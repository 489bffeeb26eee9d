"""Write exam_kinds.json: seeded questions on nine kinds the answerer once missed.

The kinds: is there a structural break; where the mean changes; the sign of the lag-1
autocorrelation asked in plain words; additive vs multiplicative seasonality; a trend whose
slope changes without reversing; white, pink or red noise; a high or low signal-to-noise
ratio; whether two cycles share a frequency; whether two cycles are in phase. Every answer
follows from how the series was made, with a signal strong enough to leave no doubt. Each kind
has several wordings and the options are shuffled.

Run: python tests/data/exam_kinds/make_exam_kinds.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SEED = 77031
OUT = Path(__file__).with_name("exam_kinds.json")
Rng = np.random.Generator
Item = dict[str, Any]
N = 160
T = np.arange(N, dtype=float)


def _r(x: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in x]


def _one(kind: str, q: str, opts: list[str], ans: str, ts: np.ndarray) -> Item:
    return {"kind": kind, "question": q, "options": opts, "answer": ans, "ts": _r(ts)}


def _two(kind: str, q: str, opts: list[str], ans: str, a: np.ndarray, b: np.ndarray) -> Item:
    return {"kind": kind, "question": q, "options": opts, "answer": ans, "ts1": _r(a), "ts2": _r(b)}


def _pick(rng: Rng, texts: list[str]) -> str:
    return texts[int(rng.integers(len(texts)))]


def _words(rng: Rng, questions: list[str], option_sets: list[list[str]]) -> tuple[str, list[str]]:
    """One wording of the question and one set of options, each drawn at random."""
    return _pick(rng, questions), list(option_sets[int(rng.integers(len(option_sets)))])


def _ar1(rng: Rng, n: int, phi: float) -> np.ndarray:
    e = rng.normal(0, 1, n + 100)
    x = np.zeros(n + 100)
    for t in range(1, n + 100):
        x[t] = phi * x[t - 1] + e[t]
    return x[100:]


def _coloured(rng: Rng, n: int, exponent: float) -> np.ndarray:
    """Noise whose power falls as 1 / f**exponent (0 white, 1 pink, 2 red)."""
    f = np.fft.rfftfreq(n)
    spec = rng.normal(size=f.size) + 1j * rng.normal(size=f.size)
    spec[1:] /= f[1:] ** (exponent / 2)
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return x / x.std()


def structural_break(rng: Rng, has: bool) -> Item:
    x = rng.normal(0, 1.0, N) + rng.uniform(-5, 5)
    if has:
        x[int(rng.integers(40, 120)) :] += rng.choice([-1, 1]) * rng.uniform(2.5, 3.5)
    q, opts = _words(
        rng,
        [
            "Is there a structural break in this series?",
            "Has the series undergone a structural break (its level jumps and does not come back)?",
            "Does the level of the series shift at one point and then stay at the new level?",
            "Can you detect a change point where the mean of the series moves permanently?",
        ],
        [["Yes", "No"], ["Yes, there is a break", "No, the mean is stable throughout"]],
    )
    return _one("break_presence", q, opts, opts[0] if has else opts[1], x)


def break_location(rng: Rng, where: str) -> Item:
    k = {"early": 32, "middle": 80, "late": 128}[where] + int(rng.integers(-8, 9))
    x = rng.normal(0, 0.7, N) + rng.uniform(-3, 3)
    x[k:] += rng.choice([-1, 1]) * 3.0
    q, opts = _words(
        rng,
        [
            "The average level of the series jumps once. When does the jump occur?",
            "At which point of the series does its mean shift?",
            "Where is the level shift located?",
        ],
        [
            ["In the first third", "In the middle third", "In the last third"],
            ["Near the beginning", "Around the middle", "Near the end"],
        ],
    )
    return _one("break_location", q, opts, opts[["early", "middle", "late"].index(where)], x)


def lag_one(rng: Rng, kind: str) -> Item:
    phi = {"pos": rng.uniform(0.7, 0.9), "neg": -rng.uniform(0.7, 0.9), "none": 0.0}[kind]
    x = _ar1(rng, N, phi) + rng.uniform(-2, 2)
    q = _pick(
        rng,
        [
            "What relation links each value of the series to the next one?",
            "How does a value of the series relate to the value just before it?",
            "Which statement describes the dependence between successive observations?",
        ],
    )
    opts = [
        "Positive autocorrelation: high values follow high values",
        "Negative autocorrelation: the series zigzags",
        "No autocorrelation",
    ]
    return _one("acf_sign", q, opts, opts[["pos", "neg", "none"].index(kind)], x)


def seasonal_composition(rng: Rng, mult: bool) -> Item:
    period = float(rng.choice([12, 16, 20]))
    slope = rng.uniform(0.04, 0.08) * rng.choice([-1, 1])
    level = 12 + slope * T if slope > 0 else 2 - slope * (N - 1 - T)
    season = np.sin(2 * np.pi * T / period + rng.uniform(0, 6))
    x = level * (1 + 0.5 * season) if mult else level + 3.0 * season
    x = x + rng.normal(0, 0.15, N)
    q, opts = _words(
        rng,
        [
            "Does the size of the seasonal swings scale with the level of the series?",
            "Is the seasonality additive (constant swings) or multiplicative "
            "(swings proportional to the level)?",
            "As the level changes, do the seasonal fluctuations keep the same size?",
        ],
        [["Additive seasonality", "Multiplicative seasonality"], ["Multiplicative", "Additive"]],
    )
    answer = next(o for o in opts if ("Multi" in o) == mult)
    return _one("seasonal_composition", q, opts, answer, x)


def slope_change(rng: Rng, has: bool) -> Item:
    b = rng.uniform(0.03, 0.06) * rng.choice([-1, 1])
    k = int(rng.integers(55, 105))
    x = b * T + rng.normal(0, 0.4, N)
    if has:
        x[k:] += 3.0 * b * (T[k:] - k)  # same direction, four times the slope
    q, opts = _words(
        rng,
        [
            "Is the slope of the trend constant over the whole series?",
            "Does the rate of growth of the trend change at some point?",
            "Is the trend a single straight line, or does its slope change partway?",
        ],
        [
            ["The slope changes at one point", "The slope is constant"],
            ["A single constant slope", "The slope becomes steeper or flatter at some point"],
        ],
    )
    change_first = "change" in opts[0] or "steeper" in opts[0]
    answer = opts[0] if has == change_first else opts[1]
    return _one("slope_change", q, opts, answer, x)


def noise_colour(rng: Rng, colour: str) -> Item:
    x = _coloured(rng, 256, {"white": 0.0, "pink": 1.0, "red": 2.0}[colour]) * rng.uniform(0.5, 2)
    q = _pick(
        rng,
        [
            "What colour is the noise in this series?",
            "Which noise type fits this series best?",
            "Is this white, pink or brown noise?",
        ],
    )
    names = {"white": "White noise", "pink": "Pink noise (1/f)", "red": "Brown noise (1/f^2)"}
    opts = list(names.values())
    rng.shuffle(opts)
    return _one("noise_colour", q, opts, names[colour], x)


def snr(rng: Rng, high: bool) -> Item:
    period = float(rng.choice([20, 25, 40]))
    x = rng.uniform(1, 3) * np.sin(2 * np.pi * T / period)
    x = x + rng.normal(0, 0.1 if high else 2.5, N) * x.std() * (1 if high else 1.2)
    q, opts = _words(
        rng,
        [
            "Is the signal-to-noise ratio of this series high or low?",
            "How does the strength of the periodic signal compare with the noise?",
            "Judge the SNR of this signal.",
        ],
        [
            ["High SNR", "Low SNR"],
            ["The signal is weak compared with the noise", "The signal is strong compared with the noise"],
        ],
    )
    answer = next(o for o in opts if ("High" in o or "strong" in o) == high)
    return _one("snr", q, opts, answer, x)


def same_frequency(rng: Rng, same: bool) -> Item:
    p1 = float(rng.choice([16, 24, 30]))
    p2 = p1 if same else p1 * float(rng.choice([0.5, 2.0, 2.5]))
    a = rng.uniform(1, 3) * np.sin(2 * np.pi * T / p1 + rng.uniform(0, 6)) + rng.normal(0, 0.2, N)
    b = rng.uniform(1, 3) * np.sin(2 * np.pi * T / p2 + rng.uniform(0, 6)) + rng.normal(0, 0.2, N)
    q, opts = _words(
        rng,
        [
            "Which statement about the frequencies of the two series holds?",
            "Compare how fast the two series oscillate.",
            "What can be said about the periods of the two signals?",
        ],
        [["They have the same frequency", "Their frequencies differ"], ["Different periods", "Same period"]],
    )
    answer = next(o for o in opts if ("same" in o.lower()) == same)
    return _two("same_frequency", q, opts, answer, a, b)


def phase(rng: Rng, anti: bool) -> Item:
    p = float(rng.choice([16, 20, 32]))
    start = rng.uniform(0, 6)
    a = rng.uniform(1, 3) * np.sin(2 * np.pi * T / p + start) + rng.normal(0, 0.2, N)
    b = rng.uniform(1, 3) * np.sin(2 * np.pi * T / p + start + (np.pi if anti else 0.0))
    b = b + rng.normal(0, 0.2, N) + rng.uniform(-3, 3)
    q, opts = _words(
        rng,
        [
            "Both signals cycle at the same rate. Are they in phase?",
            "What is the phase relationship between the two series?",
            "Do the peaks of the two series line up?",
        ],
        [
            ["In phase", "Opposite phase (shifted by half a cycle)"],
            ["They are 180 degrees out of phase", "They move in phase"],
        ],
    )
    answer = next(o for o in opts if ("180" in o or "Opposite" in o) == anti)
    return _two("phase", q, opts, answer, a, b)


Maker = Callable[[Rng], Item]
PLAN: list[Maker] = [
    *[lambda r, h=h: structural_break(r, h) for h in (True, False, True, False, True, False)],
    *[lambda r, w=w: break_location(r, w) for w in ("early", "middle", "late", "late", "early", "middle")],
    *[lambda r, k=k: lag_one(r, k) for k in ("pos", "neg", "none", "neg", "pos", "none")],
    *[lambda r, m=m: seasonal_composition(r, m) for m in (True, False, True, False, True, False)],
    *[lambda r, h=h: slope_change(r, h) for h in (True, False, True, False, True, False)],
    *[lambda r, c=c: noise_colour(r, c) for c in ("pink", "white", "red", "pink", "pink", "red")],
    *[lambda r, h=h: snr(r, h) for h in (True, False, True, False, True, False)],
    *[lambda r, s=s: same_frequency(r, s) for s in (True, False, True, False, True, False)],
    *[lambda r, a=a: phase(r, a) for a in (True, False, True, False, True, False)],
]


def make_items(seed: int = SEED) -> list[Item]:
    rng = np.random.default_rng(seed)
    items = []
    for i, maker in enumerate(PLAN, start=1):
        item = maker(rng)
        opts = list(item["options"])
        rng.shuffle(opts)  # the answer's position must carry no information
        item["options"] = opts
        items.append({"id": f"kinds-{i:03d}", "category": item.pop("kind"), **item})
    return items


if __name__ == "__main__":
    OUT.write_text(json.dumps(make_items(), separators=(",", ":")) + "\n")
