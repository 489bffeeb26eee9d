"""Write ``exam_resample.json``: TimeSeriesExam questions re-asked on freshly generated series.

About 100 questions are drawn from the 305-question round-3 file (stratified by category, at most
two per question template), their question text, options and metadata are kept verbatim, and every
series is generated anew, with numpy only, so that the correct option is known by construction.
Answers are drawn at random among the options that can be made unambiguous, so they are not always
the source answer. See README.md in this folder for the conventions followed, per template family.

Regenerate (from the repository root):

    .venv/bin/python tests/data/exam_resample/make_exam_resample.py

The script is deterministic (seed 20261204). It then recomputes simple statistics from the written
series and checks them against the answers; ``--check`` prints every check and writes nothing,
``--stress N`` redraws every usable source question N times and checks those draws.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np

SEED = 20261204
TOTAL = 100
SOURCE = Path("/work/shared/data/timeseriesexam/qa_dataset_round3.json")
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "exam_resample.json"
FIELDS = (
    "question",
    "options",
    "answer",
    "question_type",
    "tid",
    "difficulty",
    "format_hint",
    "relevant_concepts",
    "question_hint",
    "category",
    "subcategory",
)

Rng = np.random.Generator
Series = dict[str, np.ndarray]


class Retry(Exception):
    """Raised by a generator when a draw is not clear enough; the draw is then repeated."""


def need(condition: bool) -> None:
    """Reject the current draw unless ``condition`` holds."""
    if not condition:
        raise Retry


# --------------------------------------------------------------------------------------------
# Building blocks. Conventions follow the source series (see README): amplitude is half the
# peak-to-peak height, period is in samples, a white noise "level" is its standard deviation and a
# random walk "level" is the standard deviation of the (demeaned) walk itself.
# --------------------------------------------------------------------------------------------


def u(rng: Rng, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def sign(rng: Rng) -> float:
    return float(rng.choice([-1.0, 1.0]))


def white(rng: Rng, n: int, sd: float) -> np.ndarray:
    return rng.normal(0.0, sd, n)


def white_exact(rng: Rng, n: int, sd: float, mean: float = 0.0) -> np.ndarray:
    """White noise rescaled so that its sample standard deviation is exactly ``sd``."""
    x = rng.normal(0.0, 1.0, n)
    return mean + (x - x.mean()) / x.std() * sd


def random_walk(rng: Rng, n: int, sd: float) -> np.ndarray:
    """Gaussian random walk, demeaned and scaled to sample standard deviation ``sd``."""
    x = np.cumsum(rng.normal(0.0, 1.0, n))
    x -= x.mean()
    return x / x.std() * sd


def ar1(rng: Rng, n: int, phi: float, sigma: float, mean: float = 0.0) -> np.ndarray:
    """AR(1) process x_t = phi x_{t-1} + sigma e_t (after a burn-in), plus ``mean``."""
    e = rng.normal(0.0, sigma, n + 200)
    x = np.zeros(n + 200)
    for t in range(1, n + 200):
        x[t] = phi * x[t - 1] + e[t]
    return mean + x[200:]


def ma(rng: Rng, n: int, coefs: list[float], sigma: float, mean: float = 0.0) -> np.ndarray:
    """MA(q) process x_t = mean + e_t + sum_i coefs[i] e_{t-1-i}."""
    q = len(coefs)
    e = rng.normal(0.0, sigma, n + q)
    x = e[q:].copy()
    for i, c in enumerate(coefs):
        x += c * e[q - 1 - i : n + q - 1 - i]
    return mean + x


def lag1(x: np.ndarray) -> float:
    """Sample autocorrelation at lag 1."""
    x = x - x.mean()
    return float(np.sum(x[1:] * x[:-1]) / np.sum(x * x))


def slope(x: np.ndarray) -> float:
    """Least-squares slope per step."""
    t = np.arange(len(x))
    return float(np.polyfit(t, x, 1)[0])


def shape(kind: str, n: int, rng: Rng) -> np.ndarray:
    """Trend shape rising from 0 to 1 over ``n`` steps: linear, convex exponential or concave log."""
    t = np.linspace(0.0, 1.0, n)
    if kind == "linear":
        return t
    if kind == "exponential":
        r = u(rng, 10.0, 25.0)  # ratio of the end slope to the start slope
        return (r**t - 1.0) / (r - 1.0)
    if kind == "log":
        k = u(rng, 20.0, 40.0)
        return np.log1p(k * t) / np.log1p(k)
    if kind == "none":
        return np.zeros(n)
    raise ValueError(kind)


def phase(n: int, period: float | np.ndarray, start: float = 0.0) -> np.ndarray:
    """Phase in cycles; ``period`` may vary per step (the phase then stays continuous)."""
    rate = 1.0 / np.broadcast_to(np.asarray(period, dtype=float), (n,))
    return start + np.concatenate([[0.0], np.cumsum(rate[:-1])])


def wave(kind: str, ph: np.ndarray) -> np.ndarray:
    """Unit-amplitude cycle at phase ``ph`` (cycles): sine, square (sign of sine) or sawtooth ramp."""
    frac = np.mod(ph, 1.0)
    if kind == "sine":
        return np.sin(2.0 * np.pi * ph)
    if kind == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    if kind == "sawtooth":
        return 2.0 * frac - 1.0
    raise ValueError(kind)


def chain(pieces: list[np.ndarray]) -> np.ndarray:
    """Concatenate pieces so that each one starts where the previous one ended."""
    out = [pieces[0] - pieces[0][0]]
    for p in pieces[1:]:
        step = p[1] - p[0] if len(p) > 1 else 0.0
        out.append(p - p[0] + out[-1][-1] + step)
    return np.concatenate(out)


def split(rng: Rng, n: int, k: int, jitter: float = 0.15) -> list[int]:
    """Split ``n`` steps into ``k`` segment lengths of roughly equal size."""
    w = 1.0 + rng.uniform(-jitter, jitter, k)
    lengths = np.maximum(1, np.round(w / w.sum() * n)).astype(int)
    lengths[-1] = n - lengths[:-1].sum()
    return [int(v) for v in lengths]


def split_at_half_cycle(ph: np.ndarray, target: int) -> int:
    """Index closest to ``target`` where the phase crosses a half cycle (a sine zero crossing)."""
    idx = np.nonzero(np.diff(np.floor(2.0 * ph)) != 0)[0] + 1
    need(len(idx) > 0)
    return int(idx[np.argmin(np.abs(idx - target))])


def piecewise_wave(
    n: int, kind_a: str, kind_b: str, amp: tuple[float, float], period: tuple[float, float], at: int
) -> tuple[np.ndarray, int]:
    """Wave whose kind, amplitude and period switch at the half-cycle crossing nearest ``at``."""
    ph = phase(n, period[0])
    cut = split_at_half_cycle(ph, at)
    ph2 = ph[cut] + phase(n - cut, period[1])
    x = np.concatenate([amp[0] * wave(kind_a, ph[:cut]), amp[1] * wave(kind_b, ph2)])
    return x, cut


def numbers(item: dict) -> list[float]:
    """The numeric options of a question ('0' and '1' strings count as numbers)."""
    return [v for v in (_num(o) for o in item["options"]) if v is not None]


def separated(value: float, others: list[float], ratio: float = 1.3) -> bool:
    """True when ``value`` differs from every other positive option by at least ``ratio``."""
    for w in others:
        if w == value:
            continue
        lo, hi = sorted([abs(value), abs(w)])
        if lo > 0 and hi / lo < ratio:
            return False
    return True


def digit(text: str) -> int:
    """Series number (1 or 2) named in an option such as 'Time series 2 has higher amplitude'."""
    return 1 if re.search(r"[Ss]eries 1", text) else 2


def find(item: dict, pattern: str) -> object:
    """The option whose text matches ``pattern`` (case-insensitive search)."""
    hits = [o for o in item["options"] if re.search(pattern, str(o), re.I)]
    assert len(hits) == 1, (pattern, item["options"])
    return hits[0]


# --------------------------------------------------------------------------------------------
# Anomalies, injected into "trend + cycle" patterns. Windows are placed away from the ends.
# --------------------------------------------------------------------------------------------


def window(rng: Rng, lo: int, hi: int, length: int) -> tuple[int, int]:
    """A window of ``length`` steps inside [lo, hi)."""
    need(hi - lo >= length)
    s = int(rng.integers(lo, hi - length + 1))
    return s, s + length


class Pattern:
    """A trend plus (or times) a cycle, kept apart so anomalies can act on the parts."""

    def __init__(
        self,
        rng: Rng,
        n: int,
        cycle: str,
        amp: float,
        period: float,
        trend: str,
        rise: float,
        mult: bool = False,
    ) -> None:
        self.n, self.cycle, self.amp, self.period = n, cycle, amp, period
        self.trend = rise * shape(trend, n, rng)
        if mult:  # multiplicative: the cycle is scaled by a positive, growing envelope
            self.trend = 0.2 * abs(rise) + np.abs(self.trend)
        self.mult = mult
        self.rate = np.full(n, 1.0 / period)
        self.start = u(rng, 0.0, 1.0)
        self.cycle_gain = np.ones(n)

    def speed(self, s: int, e: int, factor: float) -> None:
        """Speed-up (factor > 1) or slow-down (factor < 1) of the cycle inside [s, e)."""
        self.rate[s:e] *= factor

    def scale(self, s: int, e: int, factor: float) -> None:
        """Scale anomaly: the cycle inside [s, e) is ``factor`` times larger."""
        self.cycle_gain[s:e] = factor

    def render(self) -> np.ndarray:
        ph = self.start + np.concatenate([[0.0], np.cumsum(self.rate[:-1])])
        cyc = self.amp * self.cycle_gain * wave(self.cycle, ph)
        return self.trend * cyc if self.mult else self.trend + cyc


def flip(x: np.ndarray, s: int, e: int, amp: float) -> np.ndarray:
    """Flip anomaly (as in the source): the window [s, e) is reversed in time."""
    y = x.copy()
    y[s:e] = x[s:e][::-1]
    # The flip must show: the window moves on average by most of an amplitude, with a jump at an edge.
    jump = max(abs(y[s] - x[s - 1]), abs(y[e - 1] - x[e]) if e < len(x) else 0.0)
    need(np.mean(np.abs(y[s:e] - x[s:e])) >= 0.8 * amp and jump >= 0.6 * amp)
    return y


def cutoff(rng: Rng, x: np.ndarray, s: int, e: int) -> np.ndarray:
    """Cutoff anomaly (as in the source): the window becomes flat at 0 or 1 with tiny noise."""
    y = x.copy()
    y[s:e] = float(rng.choice([0.0, 1.0])) + white(rng, e - s, 0.01)
    return y


def spikes(
    rng: Rng, x: np.ndarray, amp: float, s: int = 0, e: int | None = None, p: float = 0.0
) -> np.ndarray:
    """Spike anomaly: random large positive or negative spikes at a fraction ``p`` of the steps."""
    e = len(x) if e is None else e
    y = x.copy()
    p = p or u(rng, 0.1, 0.2)
    hit = np.nonzero(rng.random(e - s) < p)[0] + s
    need(len(hit) >= 3)
    y[hit] += rng.choice([-1.0, 1.0], len(hit)) * rng.uniform(2.5, 4.0, len(hit)) * amp
    return y


def wander(x: np.ndarray, s: int, e: int, height: float) -> np.ndarray:
    """Wander anomaly: the baseline drifts off by ``height`` and comes back within [s, e)."""
    y = x.copy()
    y[s:e] += height * np.sin(np.pi * np.arange(e - s) / (e - s))
    return y


ANOMALY_WORDS = {"cutoff": "cutoff", "flip": "flip", "speed": "speedup", "spike": "spike"}


def anomaly_word(text: str) -> str:
    for key, name in ANOMALY_WORDS.items():
        if key in text.lower():
            return name
    raise ValueError(text)


def inject(rng: Rng, pat: Pattern, kinds: list[str]) -> np.ndarray:
    """Render ``pat`` with the anomalies ``kinds`` (each in its own part of the series)."""
    n = pat.n
    zones = np.linspace(0.12 * n, 0.94 * n, len(kinds) + 1).astype(int)
    order = list(rng.permutation(kinds))
    todo: list[tuple[str, int, int]] = []
    for k, kind in enumerate(order):
        lo, hi = int(zones[k]), int(zones[k + 1])
        span = hi - lo
        if kind == "speedup":
            factor = float(rng.choice([0.3, 0.4, 2.5, 3.0]))
            slow = pat.period / factor if factor < 1 else pat.period
            length = int(min(span, max(0.25 * n, 0.8 * slow, 1.5 * pat.period)))
            need(length >= 0.8 * slow)
            s, e = window(rng, lo, hi, length)
            pat.speed(s, e, factor)
        elif kind == "scale":
            length = int(min(span, max(0.2 * n, 1.5 * pat.period)))
            s, e = window(rng, lo, hi, length)
            pat.scale(s, e, float(rng.choice([0.2, 0.25, 3.0, 4.0])))
        else:
            lo_len = {"flip": max(0.25 * n, 1.5 * pat.period), "cutoff": 0.15 * n, "wander": 0.2 * n}
            length = int(min(span, u(rng, 1.0, 1.4) * lo_len.get(kind, 0.15 * n)))
            s, e = window(rng, lo, hi, length)
            todo.append((kind, s, e))
    x = pat.render()
    if "spike" not in kinds:  # a little noise, added first so that a cutoff stays flat
        x = x + white(rng, n, 0.01 * pat.amp)
    for kind, s, e in todo:
        if kind == "flip":
            x = flip(x, s, e, pat.amp)
        elif kind == "cutoff":
            x = cutoff(rng, x, s, e)
        elif kind == "wander":
            local = np.ptp(x[s:e]) if not pat.mult else pat.amp * pat.trend[s:e].max()
            x = wander(x, s, e, sign(rng) * u(rng, 0.7, 1.0) * max(local, 2 * pat.amp))
        elif kind == "spike":
            x = spikes(rng, x, max(pat.amp, 0.1 * np.ptp(x)))
        else:
            raise ValueError(kind)
    return x


def base_pattern(rng: Rng, n: int, cycle: str = "sine", trend: str = "linear", **kw: float) -> Pattern:
    """A clear trend + cycle pattern of the kind the source anomaly questions use."""
    amp = kw.get("amp", u(rng, 1.0, 2.5))
    period = kw.get("period", u(rng, 12.0, 30.0) * n / 128.0 if n > 160 else u(rng, 12.0, 30.0))
    rise = kw.get("rise", sign(rng) * u(rng, 5.0, 10.0))
    return Pattern(rng, n, cycle, amp, period, trend, rise, bool(kw.get("mult", False)))


# --------------------------------------------------------------------------------------------
# Template families. Each maps a source question (same text) to (series, correct option).
# ``usable`` filters source items whose options cannot be told apart by construction.
# --------------------------------------------------------------------------------------------

Generator = Callable[[Rng, dict, list[int]], tuple[Series, object]]
FAMILIES: dict[str, tuple[Generator, Callable[[dict], bool]]] = {}


def family(
    prefix: str, usable: Callable[[dict], bool] = lambda item: True
) -> Callable[[Generator], Generator]:
    """Register a generator for the source questions whose text starts with ``prefix``."""

    def register(fn: Generator) -> Generator:
        FAMILIES[prefix] = (fn, usable)
        return fn

    return register


def family_of(text: str) -> tuple[Generator, Callable[[dict], bool]] | None:
    hits = [fam for prefix, fam in FAMILIES.items() if text.startswith(prefix)]
    assert len(hits) <= 1, f"ambiguous family for {text!r}"
    return hits[0] if hits else None


def choose(rng: Rng, item: dict, allowed: list | None = None) -> object:
    """The correct option, among ``allowed`` (default: all options).

    ``build`` passes ``_used`` (answers already given by this generator) and ``_pref`` (the
    option positions in a random order that favours positions used less so far): the answer is the
    first fresh option in that order, so answers differ within a template and positions stay even."""
    pool = list(item["options"] if allowed is None else allowed)
    fresh = [o for o in pool if o not in item.get("_used", [])] or pool
    pref = item.get("_pref")
    if pref is None:
        return fresh[int(rng.integers(len(fresh)))]
    return min(fresh, key=lambda o: pref.index(item["options"].index(o)))


def separated_numbers(item: dict, ratio: float = 1.3) -> list:
    """Numeric options at least ``ratio`` away from the other numeric options."""
    nums = numbers(item)
    return [o for o in item["options"] if _num(o) is not None and separated(_num(o), nums, ratio)]


def _num(o: object) -> float | None:
    try:
        return float(o)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


# ---- Pattern recognition: trends ------------------------------------------------------------


@family("What is the type of the trend of the")
def trend_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Linear":
        rise = u(rng, 1.0, 10.0)
        x = np.linspace(0, rise, n) + white(rng, n, rise * u(rng, 0.04, 0.1))
    elif ans == "Exponential":
        end = u(rng, 10.0, 20.0)
        x = 1 + (end - 1) * shape("exponential", n, rng) + white(rng, n, end * u(rng, 0.01, 0.03))
    else:
        level = u(rng, 0.5, 10.0)
        x = level + white(rng, n, max(0.02, level * u(rng, 0.005, 0.02)))
    return {"ts": x}, ans


@family(
    "What is the most likely linear trend",
    lambda item: len(separated_numbers(item)) >= 2,
)
def trend_coefficient(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # Source convention: the coefficient is the end value of a trend that starts at 0.
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    v = float(ans)
    if v == 0:
        x = u(rng, -0.3, 0.3) + white(rng, n, u(rng, 0.2, 0.5))
    else:
        x = np.linspace(0, v, n) + white(rng, n, v * u(rng, 0.05, 0.1))
    return {"ts": x}, ans


@family("What is the direction of the linear")
def trend_direction(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "No Trend":
        level = u(rng, 0.0, 10.0)
        x = level + white(rng, n, u(rng, 0.03, 0.1) * max(1.0, level))
    else:
        rise = u(rng, 0.4, 3.0) * (1 if ans == "Upward" else -1)
        x = np.linspace(0, rise, n) + white(rng, n, abs(rise) * u(rng, 0.04, 0.12))
    return {"ts": x}, ans


@family("Given that following time series exhibit")
def trend_pieces(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    k = int(ans)
    slopes = [sign(rng) * u(rng, 0.03, 0.15)]
    while len(slopes) < k:  # every kink must be obvious: large change of slope
        s = u(rng, -0.15, 0.15)
        prev = slopes[-1]
        if abs(s - prev) >= 0.07 and abs(s - prev) >= 0.7 * max(abs(s), abs(prev)):
            slopes.append(s)
    rates = np.concatenate([np.full(m, s) for s, m in zip(slopes, split(rng, n, k, 0.2), strict=True)])
    x = np.cumsum(rates)
    x = x + white(rng, n, 0.015 * np.ptp(x))
    return {"ts": x}, ans


@family("How does the linear trend in the first")
def half_trends(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    s1 = sign(rng) * u(rng, 0.004, 0.02)
    if ans == "Same":
        x = s1 * np.arange(n)
    else:
        s2 = -s1 * u(rng, 0.5, 1.5) if rng.random() < 0.7 else s1 * float(rng.choice([0.0, 4.0]))
        h = n // 2
        x = chain([s1 * np.arange(h), s2 * np.arange(n - h)])
    x = x + white(rng, n, u(rng, 0.03, 0.06) * max(np.ptp(x), 0.3))
    return {"ts": x}, ans


@family("The given time series has an increasing")
def linear_or_log(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    rise = u(rng, 1.0, 5.0)
    x = rise * shape("linear" if ans == "Linear" else "log", n, rng)
    return {"ts": x + white(rng, n, rise * u(rng, 0.01, 0.04))}, ans


@family("The given time series has multiple trends")
def trend_order(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    kinds = [k.strip().lower() for k in str(ans).split("->")]
    rises = {"linear": (2.0, 5.0), "exponential": (7.0, 14.0), "log": (3.0, 5.0)}
    pieces = [
        u(rng, *rises[k]) * shape(k, m, rng) for k, m in zip(kinds, split(rng, n, len(kinds)), strict=True)
    ]
    x = chain(pieces)
    return {"ts": x + white(rng, n, u(rng, 0.02, 0.06))}, ans


@family("The given time series has a cyclic component")
def cycle_plus_trend_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    rise = u(rng, 5.0, 10.0)
    pat = Pattern(rng, n, "sine", u(rng, 0.4, 0.15 * rise), u(rng, 20, 45), str(ans).lower(), rise)
    return {"ts": pat.render() + white(rng, n, 0.05)}, ans


@family("The given time series has a cycle component")
def additive_or_multiplicative(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    amp, period, rise = u(rng, 1.0, 3.0), u(rng, 20.0, 50.0), u(rng, 1.5, 5.0)
    ph = phase(n, period, u(rng, 0, 1))
    trend = np.linspace(0, rise, n)
    if ans == "Additive":
        x = trend + amp * np.sin(2 * np.pi * ph)
    else:  # the amplitude grows with the trend (from almost zero)
        x = (0.1 + trend) * amp * np.sin(2 * np.pi * ph)
    return {"ts": x + white(rng, n, 0.03 * amp)}, ans


@family("Does the trend of the time series change")
def direction_change(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "No":
        x = np.linspace(0, sign(rng) * u(rng, 0.3, 1.5), n)
    else:
        cut = int(u(rng, 0.35, 0.65) * n)
        up = sign(rng) * u(rng, 0.5, 1.5)
        x = chain([np.linspace(0, up, cut), np.linspace(0, -up * u(rng, 0.6, 1.4), n - cut)])
    return {"ts": x + white(rng, n, u(rng, 0.04, 0.08) * np.ptp(x))}, ans


@family("What is the most dominant pattern in")
def dominant_component(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    big = u(rng, 4.0, 8.0)
    amp, rise, noise = big * u(rng, 0.05, 0.2), big * u(rng, 0.05, 0.2), big * u(rng, 0.03, 0.08)
    if ans == "Seasonality":
        amp = big
    elif ans == "Trend":
        rise = 2.5 * big
    else:
        noise = big
    x = np.linspace(0, rise, n) + amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 45), u(rng, 0, 1)))
    return {"ts": x + white(rng, n, noise)}, ans


@family("What type of trend does the time series")
def latter_half_trend(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    kinds = {"linear": "linear", "exponential": "exponential", "no trend": "none"}
    second = kinds[str(ans).lower()]
    first = str(rng.choice([k for k in kinds.values() if k != second]))
    h = n // 2
    rise = u(rng, 1.0, 2.0)
    x = chain([rise * u(rng, 0.5, 1.0) * shape(first, h, rng), rise * shape(second, n - h, rng)])
    return {"ts": x + white(rng, n, u(rng, 0.01, 0.02) * rise)}, ans


# ---- Pattern recognition: cycles ------------------------------------------------------------

WAVE_NAMES = {"SineWave": "sine", "SquareWave": "square", "SawtoothWave": "sawtooth"}


@family("What is the primary cyclic pattern observed")
def primary_cycle(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "No Pattern at all":
        level = u(rng, 0.0, 10.0)
        x = level + white(rng, n, u(rng, 0.02, 0.05) * max(level, 1.0))
    else:
        amp = u(rng, 1.0, 4.0)
        x = amp * wave(WAVE_NAMES[str(ans)], phase(n, u(rng, 20, 60), u(rng, 0, 1)))
        x = x + white(rng, n, u(rng, 0.01, 0.04) * amp)
    return {"ts": x}, ans


@family("Which additive combination of patterns")
def additive_pair(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    a, b = (WAVE_NAMES[p.strip()] for p in str(ans).split("+"))
    p1 = u(rng, 25, 50)
    p2 = p1 if rng.random() < 0.5 else u(rng, 25, 50)
    amps = u(rng, 0.7, 1.5), u(rng, 0.7, 1.5)
    x = amps[0] * wave(a, phase(n, p1, u(rng, 0, 1))) + amps[1] * wave(b, phase(n, p2, u(rng, 0, 1)))
    return {"ts": x + white(rng, n, 0.005)}, ans


def amplitude_change(rng: Rng, n: int, ans: str, kind_b: str, low: tuple, high: tuple) -> np.ndarray:
    a_lo, a_hi = u(rng, *low), u(rng, *high)
    amps = {"Increase": (a_lo, a_hi), "Decrease": (a_hi, a_lo), "Remain the same": (a_lo, a_lo)}[ans]
    x, _ = piecewise_wave(
        n, "sine", kind_b, amps, (u(rng, 20, 45), u(rng, 20, 45)), int(u(rng, 0.4, 0.6) * n)
    )
    return x + white(rng, n, 0.02 * min(amps))


@family("The given time series has sine wave")
def sine_amplitude_change(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    return {"ts": amplitude_change(rng, lens[0], str(ans), "sine", (1.0, 3.0), (7.0, 10.0))}, ans


@family("The given time series is a sine wave followed by a square wave patterns")
def sine_square_amplitude_change(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    return {"ts": amplitude_change(rng, lens[0], str(ans), "square", (1.0, 2.5), (5.0, 7.0))}, ans


@family("The given time series has square wave")
def square_period_change(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    short, long_ = u(rng, 8.0, 18.0), u(rng, 40.0, 60.0)
    periods = {"Increase": (short, long_), "Decrease": (long_, short)}.get(str(ans), (u(rng, 15, 35),) * 2)
    cut = int(u(rng, 0.45, 0.6) * n)
    amp = u(rng, 1.0, 3.0)
    x, _ = piecewise_wave(n, "square", "square", (amp, amp), periods, cut)
    return {"ts": x + white(rng, n, 0.03 * amp)}, ans


@family("The time series has three cyclic pattern")
def dominant_cycle(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    x = np.zeros(n)
    for name, kind in WAVE_NAMES.items():
        amp = u(rng, 4.0, 6.0) if name == ans else u(rng, 0.1, 0.6)
        x += amp * wave(kind, phase(n, u(rng, 20, 80), u(rng, 0, 1)))
    return {"ts": x + white(rng, n, 0.03)}, ans


@family(
    "The given time series is a sine wave.",
    lambda item: len(separated_numbers(item)) >= 2,
)
def sine_amplitude(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    amp = float(ans)
    x = amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
    return {"ts": x + white(rng, n, 0.015 * amp)}, ans


@family(
    "The given time series is a square wave.",
    lambda item: len(separated_numbers(item)) >= 2,
)
def square_period(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    amp = u(rng, 1.0, 3.0)
    x = amp * wave("square", phase(n, float(ans), u(rng, 0, 0.5)))
    return {"ts": x + white(rng, n, 0.03 * amp)}, ans


@family(
    "The given time series is a sawtooth",
    lambda item: len(separated_numbers(item)) >= 2,
)
def sawtooth_amplitude(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    amp = float(ans)
    x = amp * wave("sawtooth", phase(n, u(rng, 20, 50), u(rng, 0, 0.3)))
    return {"ts": x + white(rng, n, 0.01 * amp)}, ans


@family(
    "The given time series is a sine wave followed by a square wave.",
    lambda item: len(separated_numbers(item)) >= 2,
)
def square_after_sine_amplitude(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    amp = float(ans)
    nums = numbers(item)
    while True:  # the sine amplitude must not be mistaken for one of the options
        sine_amp = u(rng, 1.0, 3.0)
        if all(max(sine_amp, v) / min(sine_amp, v) >= 1.3 for v in nums):
            break
    x, _ = piecewise_wave(n, "sine", "square", (sine_amp, amp), (u(rng, 20, 40), u(rng, 20, 40)), n // 2)
    return {"ts": x + white(rng, n, 0.01 * min(amp, sine_amp))}, ans


@family(
    "The given time series is a swatooth",
    lambda item: len(separated_numbers(item)) >= 2,
)
def sawtooth_period_before_square(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    period = float(ans)
    # The sawtooth part shows at least one full tooth plus the start of the next one.
    cut = int(min(n - 40, max(1.25 * period, u(rng, 55, 68))))
    saw = u(rng, 1.0, 3.0) * wave("sawtooth", phase(cut, period))
    nums = numbers(item)
    while True:  # the square period must not be mistaken for one of the options
        sq_period = u(rng, 15.0, 40.0)
        if all(max(sq_period, v) / min(sq_period, v) >= 1.3 for v in nums):
            break
    square = u(rng, 1.0, 3.0) * wave("square", phase(n - cut, sq_period))
    x = np.concatenate([saw, square])
    return {"ts": x + white(rng, n, 0.02)}, ans


@family("Which of the following best describe")
def cycle_description(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    text = str(ans)
    if text.startswith("Amplitude"):
        a0, a1 = u(rng, 1.0, 2.0), u(rng, 6.0, 9.0)
        ends = {"increase": (a0, a1), "decrease": (a1, a0)}.get(text.split()[1], (a0, a0))
        env = np.linspace(ends[0], ends[1], n)
        x = env * np.sin(2 * np.pi * phase(n, u(rng, 20, 40), u(rng, 0, 1)))
    else:  # period: a chirp whose period grows or shrinks smoothly by a factor of 3 or more
        p0, p1 = u(rng, 10.0, 15.0), u(rng, 40.0, 55.0)
        ends = {"increase": (p0, p1), "decrease": (p1, p0)}.get(text.split()[1], (u(rng, 15, 35),) * 2)
        x = u(rng, 1.0, 3.0) * np.sin(2 * np.pi * phase(n, np.geomspace(ends[0], ends[1], n)))
    return {"ts": x + white(rng, n, 0.02 * np.ptp(x) / 2)}, ans


# ---- Pattern recognition: stationarity --------------------------------------------------------


def nonstationary(rng: Rng, n: int) -> np.ndarray:
    """A plainly non-stationary series: a trend, an exponential rise or a drifting random walk."""
    kind = rng.integers(3)
    if kind == 0:
        return np.linspace(0, sign(rng) * u(rng, 3, 8), n) + white(rng, n, u(rng, 0.2, 0.5))
    if kind == 1:
        return u(rng, 4, 10) * shape("exponential", n, rng) + white(rng, n, u(rng, 0.1, 0.3))
    return np.cumsum(white(rng, n, u(rng, 0.2, 0.5)) + sign(rng) * u(rng, 0.08, 0.15))


@family("Is the given time series stationary?")
def is_stationary(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Yes":
        x = ar1(rng, n, u(rng, -0.4, 0.4), u(rng, 0.5, 2.0), u(rng, -2, 5))
    else:
        x = nonstationary(rng, n)
    return {"ts": x}, ans


@family("Is the given time series likely to be stationary after differencing?")
def stationary_after_differencing(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Yes":  # linear trend plus noise, or a random walk: the differences are stationary
        if rng.random() < 0.5:
            x = np.linspace(0, sign(rng) * u(rng, 1, 8), n) + white(rng, n, u(rng, 0.02, 0.2))
        else:
            x = np.cumsum(white(rng, n, u(rng, 0.2, 1.0)))
    else:  # exponential growth: the differences keep growing, well above their noise
        x = u(rng, 15, 40) * shape("exponential", n, rng) + white(rng, n, u(rng, 0.02, 0.06))
        d = np.diff(x)
        need(d[-len(d) // 4 :].mean() - d[: len(d) // 4].mean() > 3 * d.std() / 2)
    return {"ts": x}, ans


@family("Does any part of the given time series,")
def any_part_stationary(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Yes":  # a flat white-noise stretch next to trending stretches
        k = int(rng.integers(2, 4))
        m = split(rng, n, k)
        flat = int(rng.integers(k))
        pieces = [
            np.zeros(v) if i == flat else sign(rng) * u(rng, 3, 6) * shape("linear", v, rng)
            for i, v in enumerate(m)
        ]
        x = chain(pieces) + white(rng, n, u(rng, 0.2, 0.4))
    else:  # only steeply trending stretches, alternating in direction: no flat part anywhere
        s0 = sign(rng)
        rises = [s0 * u(rng, 3, 6) * (-1) ** i for i in range(int(rng.integers(2, 4)))]
        x = chain(
            [r * shape("linear", v, rng) for r, v in zip(rises, split(rng, n, len(rises)), strict=True)]
        )
        x = x + white(rng, n, 0.1)
    return {"ts": x}, ans


@family("Weak stationarity requires the mean,")
def weak_stationarity(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    cut = int(u(rng, 0.35, 0.65) * n)
    if ans == "Yes":
        x = white(rng, n, u(rng, 0.2, 2.0)) + u(rng, -3, 3)
    elif "mean" in str(ans):
        sd = u(rng, 0.05, 0.3)
        x = np.concatenate([u(rng, 0, 10) + white(rng, cut, sd), u(rng, -10, -5) + white(rng, n - cut, sd)])
    else:
        sds = [u(rng, 0.1, 1.0), u(rng, 3.0, 5.0)]
        rng.shuffle(sds)
        x = np.concatenate([white(rng, cut, sds[0]), white(rng, n - cut, sds[1])])
    return {"ts": x}, ans


@family("Is the given time series likely to be stationary after removing the trend?")
def stationary_after_detrending(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    trend = np.linspace(0, sign(rng) * u(rng, 1, 4), n)
    if ans == "Yes":
        x = trend + white(rng, n, u(rng, 0.2, 1.0))
    else:  # the residual's variance grows several-fold: not stationary after detrending
        x = trend + white(rng, n, 1.0) * np.linspace(u(rng, 0.1, 0.2), u(rng, 1.5, 2.5), n)
        first, second = np.array_split(x - np.polyval(np.polyfit(np.arange(n), x, 1), np.arange(n)), 2)
        need(second.std() > 2.5 * first.std())
    return {"ts": x}, ans


@family("Is the given time series likely to be stationary after removing the cycle")
def stationary_after_decycling(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    amp, period = u(rng, 1.0, 3.0), u(rng, 20.0, 50.0)
    if ans == "Yes":
        x = amp * wave("sine", phase(n, period, u(rng, 0, 1))) + white(rng, n, u(rng, 0.1, 0.4))
    else:  # a square wave riding on a clear linear trend
        x = amp * wave("square", phase(n, period, u(rng, 0, 1))) + np.linspace(0, sign(rng) * 3 * amp, n)
        x = x + white(rng, n, 0.05)
    return {"ts": x}, ans


@family("Covariance stationarity in a time series")
def covariance_stationary(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    sigma = u(rng, 5.0, 10.0)
    x = ar1(rng, n, u(rng, 0.3, 0.6), sigma)
    if ans == "No":
        x = x + np.linspace(0, sign(rng) * u(rng, 5, 8) * sigma, n)
    return {"ts": x}, ans


@family("Seasonal stationarity refers to a time")
def seasonal_stationarity(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    amp = u(rng, 1.0, 3.0)
    x = amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 45), u(rng, 0, 1))) + white(rng, n, u(rng, 0.1, 0.3))
    if ans == "No":  # the seasonal level drifts from one season to the next
        x = x + np.linspace(0, sign(rng) * u(rng, 2.5, 4.0) * amp, n)
    return {"ts": x}, ans


@family("Piece-wise stationarity means a time")
def piecewise_stationarity(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    sd = u(rng, 0.1, 0.4)
    if ans == "Yes":
        k = int(rng.integers(2, 4))
        levels = np.cumsum([u(rng, 0, 5)] + [sign(rng) * u(rng, 8, 15) * sd for _ in range(k - 1)])
        x = np.concatenate([lv + white(rng, m, sd) for lv, m in zip(levels, split(rng, n, k), strict=True)])
    else:
        x = np.linspace(0, sign(rng) * u(rng, 10, 20) * sd, n) + white(rng, n, sd)
    return {"ts": x}, ans


# ---- Pattern recognition: regimes, moments, AR/MA ----------------------------------------------


def regime_series(rng: Rng, n: int, k: int) -> np.ndarray:
    """``k`` consecutive segments, each a different kind of behaviour (trend, noise, cycle...)."""
    kinds = list(rng.permutation(["up", "down", "noisy", "exponential", "oscillation"]))[:k]
    if k > 1:
        # neighbours must differ in direction as well as kind
        need(not any({a, b} <= {"up", "exponential"} for a, b in pairwise(kinds)))
    pieces = []
    for kind, m in zip(kinds, split(rng, n, k, 0.2), strict=True):
        if kind == "up":
            pieces.append(u(rng, 2, 4) * shape("linear", m, rng) + white(rng, m, 0.05))
        elif kind == "down":
            pieces.append(-u(rng, 2, 4) * shape("linear", m, rng) + white(rng, m, 0.05))
        elif kind == "exponential":
            pieces.append(u(rng, 3, 5) * shape("exponential", m, rng) + white(rng, m, 0.05))
        elif kind == "noisy":
            pieces.append(white(rng, m, u(rng, 0.5, 0.8)))
        else:
            pieces.append(
                u(rng, 1.0, 1.5) * np.sin(2 * np.pi * phase(m, u(rng, 8, 12))) + white(rng, m, 0.05)
            )
    return chain(pieces)


@family("Does the given time series exhibit regime")
def regime_switching(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "No":
        x = np.linspace(0, sign(rng) * u(rng, 1, 3), n) + white(rng, n, u(rng, 0.05, 0.15))
    else:
        x = regime_series(rng, n, 2)
    return {"ts": x}, ans


@family("Based on the given time series, how")
def regime_count(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    k = int(ans)
    if k == 1:
        x = np.linspace(0, sign(rng) * u(rng, 1, 3), n) + white(rng, n, u(rng, 0.05, 0.15))
    else:
        x = regime_series(rng, n, k)
    return {"ts": x}, ans


@family("What is the most likely mean of the")
def mean_value(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    v = float(ans)
    sd = max(0.05, abs(v) * u(rng, 0.005, 0.02))
    return {"ts": white_exact(rng, n, sd, v)}, ans


def variance_usable(item: dict) -> bool:
    nums = [v for v in numbers(item) if v != 1.0]
    return bool(nums) and all(v <= 0.3 for v in nums)


@family("What is the most likely variance of", variance_usable)
def variance_value(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # Only questions whose numeric options are far apart (<= 0.3 against '1') are used, and the
    # variance is made exact, so reading the value as a variance or as a standard deviation agrees.
    n, ans = lens[0], choose(rng, item)
    if ans == "varies across time":
        sds = [u(rng, 0.5, 1.0), u(rng, 3.0, 5.0), u(rng, 15.0, 25.0)]
        rng.shuffle(sds)
        x = np.concatenate([white(rng, m, sd) for sd, m in zip(sds, split(rng, n, 3), strict=True)])
    else:
        x = white_exact(rng, n, float(ans) ** 0.5, u(rng, -1, 1))
    return {"ts": x}, ans


@family("Is the mean stable over time in the")
def mean_stable(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    level, sd = u(rng, 0, 10), u(rng, 0.05, 0.3)
    if ans == "Yes":
        x = level + white(rng, n, sd)
    else:  # flat, then drifting away
        cut = int(u(rng, 0.3, 0.6) * n)
        x = level + np.concatenate([np.zeros(cut), np.linspace(0, sign(rng) * u(rng, 8, 15) * sd, n - cut)])
        x = x + white(rng, n, sd)
    return {"ts": x}, ans


@family("What is the most likely autocorrelation")
def lag1_autocorrelation(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    phi = {"Negative": -0.8, "High positive": 0.8}.get(str(ans).split(" auto")[0], 0.0)
    x = ar1(rng, n, phi, u(rng, 1.0, 10.0))
    need(abs(lag1(x) - phi) < 0.15)
    return {"ts": x}, ans


@family("Which of the given time series has the")
def highest_variance(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    trend = u(rng, 2.0, 5.0)
    big, small = u(rng, 2.5, 4.0), u(rng, 0.1, 0.5)
    out = {}
    for k, n in enumerate(lens, start=1):
        sd = big if k == digit(str(ans)) else small
        out[f"ts{k}"] = np.linspace(0, trend, n) + white(rng, n, sd)
    return out, ans


@family("Does the following time series exhibit")
def mean_reversion(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Yes":
        x = ar1(rng, n, float(rng.choice([-0.8, 0.3, 0.5])), u(rng, 1.0, 10.0), u(rng, -5, 5))
    else:
        x = nonstationary(rng, n)
    return {"ts": x}, ans


@family("You are given two AR(1) process, which")
def larger_autocorrelation(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    sigma = u(rng, 2.0, 10.0)
    out = {}
    for k, n in enumerate(lens, start=1):
        phi = u(rng, 0.75, 0.9) if k == digit(str(ans)) else u(rng, 0.0, 0.2)
        out[f"ts{k}"] = ar1(rng, n, phi, sigma)
    need(abs(lag1(out[f"ts{digit(str(ans))}"])) - abs(lag1(out[f"ts{3 - digit(str(ans))}"])) > 0.4)
    return out, ans


def two_series(rng: Rng, item: dict, lens: list[int], good: Callable, bad: Callable) -> tuple[Series, object]:
    """Series ``good`` for the option's series number, ``bad`` for the other one."""
    ans = choose(rng, item)
    out = {f"ts{k}": (good if k == digit(str(ans)) else bad)(rng, n) for k, n in enumerate(lens, start=1)}
    return out, ans


def trend_with_walk(rng: Rng, n: int) -> np.ndarray:
    """A clear linear trend plus a random walk: plainly non-stationary."""
    x = np.linspace(0, sign(rng) * u(rng, 6, 12), n) + random_walk(rng, n, u(rng, 0.3, 1.0))
    need(abs(slope(x)) * n > 6 * np.std(x - slope(x) * np.arange(n)))
    return x


@family("Which of the following time series is more likely to be an AR(1)")
def which_ar1(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    return two_series(
        rng, item, lens, lambda r, n: ar1(r, n, u(r, 0.5, 0.8), u(r, 1.0, 3.0)), trend_with_walk
    )


@family("Which of the following time series is more likely to be an MA(1)")
def which_ma1(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    return two_series(
        rng, item, lens, lambda r, n: ma(r, n, [u(r, 0.6, 0.9)], u(r, 0.5, 1.5), u(r, 0, 10)), trend_with_walk
    )


# ---- Noise understanding -----------------------------------------------------------------------


@family("Is the given time series a white noise")
def is_white_noise(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Yes":
        x = white(rng, n, u(rng, 0.3, 2.0)) + u(rng, -1, 1)
    else:
        x = random_walk(rng, n, u(rng, 0.5, 3.0)) if rng.random() < 0.5 else ar1(rng, n, 0.95, u(rng, 0.3, 1))
    return {"ts": x}, ans


@family(
    "The given time series is a white noise",
    lambda item: len(separated_numbers(item)) >= 2,
)
def white_noise_level(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item, separated_numbers(item))
    return {"ts": white_exact(rng, n, float(ans), u(rng, -0.5, 0.5))}, ans


@family("The following time series has a noise")
def white_or_walk(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    amp = u(rng, 1.0, 3.0)
    x = np.linspace(0, u(rng, 5, 10), n) + amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
    if ans == "White Noise":
        x = x + white(rng, n, u(rng, 0.2, 0.5))
    else:
        x = x + random_walk(rng, n, u(rng, 0.8, 1.2) * amp)
    return {"ts": x}, ans


@family("The given time series is a random walk")
def walk_noise_level(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # The source level is the walk's standard deviation; its step deviation is smaller still.
    # Using the smallest option keeps both readings on the same option.
    n = lens[0]
    ans = min(item["options"], key=float)
    return {"ts": random_walk(rng, n, float(ans))}, ans


def clean_signal(rng: Rng, n: int) -> np.ndarray:
    """A noiseless constant, trend or slow sine."""
    kind = rng.integers(3)
    if kind == 0:
        return np.full(n, u(rng, 0.5, 9.5))
    if kind == 1:
        return np.linspace(0, u(rng, 2, 10), n)
    return u(rng, 1, 3) * np.sin(2 * np.pi * phase(n, u(rng, 30, 60), u(rng, 0, 1)))


@family("One type of noise in time series is white")
def noisy_white(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    x = white(rng, n, u(rng, 0.5, 2.0)) if ans == "Yes" else clean_signal(rng, n)
    return {"ts": x}, ans


@family("One type of noise in time series is random")
def noisy_walk(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    x = random_walk(rng, n, u(rng, 1.0, 3.0)) if ans == "Yes" else clean_signal(rng, n)
    return {"ts": x}, ans


@family("Is the noise in the time series more")
def additive_or_multiplicative_noise(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    rise = u(rng, 5.0, 10.0)
    trend = np.linspace(0.05 * rise, rise, n)
    if ans == "Additive":
        x = trend + white(rng, n, u(rng, 0.08, 0.15) * rise)
    else:  # the spread of the noise grows in proportion to the signal
        x = trend * (1 + white(rng, n, u(rng, 0.3, 0.5)))
    return {"ts": x}, ans


@family("How does the noise in the given time")
def noise_influence(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    amp = u(rng, 1.0, 3.0)
    x = amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
    sd = amp * (u(rng, 0.03, 0.08) if ans == "No influence" else u(rng, 1.2, 1.8))
    return {"ts": x + white(rng, n, sd)}, ans


@family("You are given two time series with same")
def higher_noise(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n = lens[0]
    amp, period, end = u(rng, 2, 4), u(rng, 30, 60), u(rng, 5, 12)
    base = amp * np.sin(2 * np.pi * phase(n, period)) + end * shape("exponential", n, rng)
    low = u(rng, 0.05, 0.15)
    sds = {digit(str(ans)): low * u(rng, 4, 6) * amp, 3 - digit(str(ans)): low * amp}
    return {f"ts{k}": base[:m] + white(rng, m, sds[k]) for k, m in enumerate(lens, start=1)}, ans


@family("You are given two Autoregressive processes")
def higher_innovation(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    phi, sigma = u(rng, 0.6, 0.85), u(rng, 0.5, 2.0)
    ratio = u(rng, 4.0, 10.0)
    out = {}
    for k, n in enumerate(lens, start=1):
        out[f"ts{k}"] = ar1(rng, n, phi, sigma * (ratio if k == digit(str(ans)) else 1.0))
    return out, ans


@family("What type of noise is present in the")
def noise_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if ans == "Gaussian White Noise":
        x = white(rng, n, u(rng, 0.5, 2.0))
    elif ans == "Red Noise":
        x = random_walk(rng, n, u(rng, 0.5, 2.0))
        need(lag1(x) > 0.9)
    else:  # a smooth deterministic signal without any noise
        x = clean_signal(rng, n)
    return {"ts": x}, ans


# ---- Anomaly detection --------------------------------------------------------------------------


@family("Is the given time series likely to have an")
def has_anomaly(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    pat = base_pattern(rng, n, amp=u(rng, 1.0, 2.0), rise=u(rng, 8.0, 12.0))
    if "spikes" in str(ans):
        x = inject(rng, pat, ["spike"])
    elif "flipped" in str(ans):
        x = inject(rng, pat, ["flip"])
    else:
        x = pat.render() + white(rng, n, 0.01 * pat.amp)
    return {"ts": x}, ans


ANOMALY_TYPES = {"Spike": "spike", "Flip": "flip", "Speed": "speedup", "Wander": "wander", "Cutoff": "cutoff"}


@family("The following time series has an anomaly.")
def anomaly_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    kind = next((v for k, v in ANOMALY_TYPES.items() if str(ans).startswith(k)), "scale")
    pat = base_pattern(rng, n, "sawtooth", amp=u(rng, 1.0, 2.5), rise=u(rng, 5.0, 10.0))
    return {"ts": inject(rng, pat, [kind])}, ans


def pattern_from_text(rng: Rng, n: int, text: str, mult: bool = False) -> Pattern:
    """Pattern for an option such as 'Square wave with log trend' or 'Log trend and sawtooth wave'."""
    words = text.lower()
    cycle = next(k for k in ("sine", "square", "sawtooth") if k in words)
    trend = next(k for k in ("linear", "exponential", "log") if k in words)
    amp = u(rng, 1.0, 2.0)
    return Pattern(rng, n, cycle, amp, u(rng, 12.0, 30.0), trend, u(rng, 3.0, 5.0) * amp, mult)


@family("The following time series has an anomaly with random")
def pattern_under_spikes(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    pat = pattern_from_text(rng, n, str(ans))
    x = spikes(rng, pat.render(), pat.amp, p=u(rng, 0.06, 0.12))
    return {"ts": x}, ans


@family("The following time series has an anomaly where")
def pattern_under_cutoff(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    return {"ts": inject(rng, pattern_from_text(rng, n, str(ans)), ["cutoff"])}, ans


@family("The following time series has two types")
def two_anomalies(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    kinds = [anomaly_word(w) for w in str(ans).split(" and ")]
    pat = base_pattern(rng, n, amp=u(rng, 1.0, 2.0), rise=u(rng, 10.0, 14.0))
    return {"ts": inject(rng, pat, kinds)}, ans


@family("Is the given time series likely to have a non-stationary")
def nonstationary_anomaly(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    if "reversal" in str(ans):
        cut = int(u(rng, 0.35, 0.65) * n)
        up = u(rng, 5, 10)
        x = chain([np.linspace(0, up, cut), np.linspace(0, -up * u(rng, 0.8, 1.3), n - cut)])
        x = x + white(rng, n, 0.02 * up)
    else:
        pat = base_pattern(rng, n)
        x = inject(rng, pat, ["cutoff" if "cutoff" in str(ans) else "spike"])
    return {"ts": x}, ans


@family("The given time series has a trend and")
def components_under_anomaly(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    pat = pattern_from_text(rng, n, str(ans))
    return {"ts": inject(rng, pat, [str(rng.choice(["cutoff", "flip"]))])}, ans


@family("The time series shows a structural break.")
def structural_break(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    cut = int(u(rng, 0.35, 0.65) * n)
    if "trend" in str(ans):
        up = sign(rng) * u(rng, 5, 10)
        x = chain([np.linspace(0, up, cut), np.linspace(0, -up * u(rng, 0.7, 1.3), n - cut)])
        x = x + white(rng, n, 0.02 * abs(up))
    elif "variance" in str(ans):
        sds = [u(rng, 0.2, 1.5), u(rng, 8, 15)]
        rng.shuffle(sds)
        x = np.concatenate([white(rng, cut, sds[0]), white(rng, n - cut, sds[1])])
    else:
        periods = [u(rng, 25, 45), u(rng, 5, 9)]
        rng.shuffle(periods)
        amp = u(rng, 1, 3)
        x, _ = piecewise_wave(n, "sine", "sine", (amp, amp), (periods[0], periods[1]), cut)
        x = x + white(rng, n, 0.02 * amp)
    return {"ts": x}, ans


@family("The following time series has an anomaly with short")
def pattern_under_wander(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # As in the source, the cycle is multiplied by a growing trend envelope.
    n, ans = lens[0], choose(rng, item)
    return {"ts": inject(rng, pattern_from_text(rng, n, str(ans), mult=True), ["wander"])}, ans


def similar_patterns(rng: Rng, lens: list[int], cycle: str = "sine") -> list[Pattern]:
    """Two patterns of the same kind (same cycle and trend direction, close parameters)."""
    amp, period, rise = u(rng, 1.0, 2.0), u(rng, 15.0, 30.0), sign(rng) * u(rng, 6.0, 10.0)
    return [
        Pattern(
            rng,
            n,
            cycle,
            amp * u(rng, 0.8, 1.2),
            period * u(rng, 0.85, 1.15),
            "linear",
            rise * u(rng, 0.8, 1.2),
        )
        for n in lens
    ]


@family("You are given two time series following similar pattern. One")
def which_series_anomaly(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    k, kind = digit(str(ans)), anomaly_word(str(ans))
    pats = similar_patterns(rng, lens)
    out = {}
    for j, pat in enumerate(pats, start=1):
        out[f"ts{j}"] = (
            inject(rng, pat, [kind]) if j == k else pat.render() + white(rng, pat.n, 0.01 * pat.amp)
        )
    return out, ans


@family("You are given two time series following similar pattern. Both of them have an anomaly. What")
def anomaly_per_series(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    parts = re.findall(r"series (\d) with ([\w /]+?) anomaly", str(ans), re.I)
    kinds = {int(d): anomaly_word(w) for d, w in parts}
    pats = similar_patterns(rng, lens)
    return {f"ts{j}": inject(rng, pat, [kinds[j]]) for j, pat in enumerate(pats, start=1)}, ans


@family("You are given two time series following similar pattern. Both of them have an anomaly. Do")
def same_anomaly(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    yes = next(o for o in item["options"] if str(o).startswith("Yes"))
    shared = anomaly_word(str(yes))
    kinds = [shared, shared] if ans == yes else list(rng.permutation(["cutoff", "flip", "spike"]))[:2]
    pats = similar_patterns(rng, lens)
    return {f"ts{j}": inject(rng, pat, [kinds[j - 1]]) for j, pat in enumerate(pats, start=1)}, ans


@family("In which part of the time series does")
def anomaly_position(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    third = {"Beginning": 0, "Middle": 1, "End": 2}[str(ans)]
    pat = base_pattern(rng, n, amp=u(rng, 1.0, 2.5), rise=u(rng, 2.0, 5.0))
    x = pat.render() + white(rng, n, 0.02 * pat.amp)
    # The anomaly stays well inside its third of the series.
    length = int(u(rng, 0.09, 0.15) * n)
    lo = int(third * n / 3 + 0.04 * n)
    s, e = window(rng, lo, int((third + 1) * n / 3 - 0.04 * n), length)
    kind = str(rng.choice(["cutoff", "spike", "wander"]))
    if kind == "cutoff":
        x = cutoff(rng, x, s, e)
    elif kind == "spike":
        x = spikes(rng, x, pat.amp, s, e, p=0.45)
    else:
        x = wander(x, s, e, sign(rng) * u(rng, 3.5, 5.0) * pat.amp)
    return {"ts": x}, ans


# ---- Similarity analysis -------------------------------------------------------------------------


def cycle_pair(rng: Rng, lens: list[int], same: bool, noise: float) -> dict[str, np.ndarray]:
    """Two cyclic series: same wave kind with close period and amplitude, or sine against another kind."""
    period, amp = u(rng, 20.0, 45.0), u(rng, 1.0, 3.0)
    kinds = ["sine", "sine"] if same else ["sine", str(rng.choice(["square", "sawtooth"]))]
    if not same:
        rng.shuffle(kinds)
    out = {}
    for k, (n, kind) in enumerate(zip(lens, kinds, strict=True), start=1):
        a = amp * u(rng, 0.75, 1.3)
        x = a * wave(kind, phase(n, period * u(rng, 0.85, 1.2), u(rng, 0, 1)))
        out[f"ts{k}"] = x + white(rng, n, noise * a)
    return out


@family("Does the given two time series have")
def similar_shape(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    return cycle_pair(rng, lens, str(ans).startswith("Yes"), 0.01), ans


@family("Despite the noise, does the given two")
def similar_shape_noisy(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    return cycle_pair(rng, lens, str(ans).startswith("Yes"), u(rng, 0.1, 0.2)), ans


@family("You are given two time series which both have a")
def same_trend_direction(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    s = sign(rng)
    signs = [s, s] if str(ans).startswith("Yes") else [s, -s]
    out = {}
    for k, (n, sg) in enumerate(zip(lens, signs, strict=True), start=1):
        amp = u(rng, 1.0, 2.5)
        x = np.linspace(0, sg * u(rng, 3.0, 5.0) * amp, n) + amp * np.sin(
            2 * np.pi * phase(n, u(rng, 20, 50))
        )
        out[f"ts{k}"] = x + white(rng, n, 0.1)
    return out, ans


@family("Two time series are given. One has noise")
def similar_one_noisy(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    kinds = ["sine", "sine"] if str(ans).startswith("Yes") else ["sawtooth", "square"]
    noisy = int(rng.integers(2))
    period = u(rng, 20, 45)
    out = {}
    for k, (n, kind) in enumerate(zip(lens, kinds, strict=True), start=1):
        amp = u(rng, 1.0, 3.5)
        x = amp * wave(kind, phase(n, period * u(rng, 0.85, 1.2), u(rng, 0, 1)))
        out[f"ts{k}"] = x + (white(rng, n, u(rng, 0.15, 0.25) * amp) if k - 1 == noisy else 0.0)
    return out, ans


@family("Both time series have a cyclic components.")
def higher_amplitude(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    kind = str(rng.choice(["sine", "square"]))
    out = {}
    for k, n in enumerate(lens, start=1):
        amp = u(rng, 5.0, 9.0) if k == digit(str(ans)) else u(rng, 1.0, 2.0)
        x = amp * wave(kind, phase(n, u(rng, 20, 50), u(rng, 0, 1))) + np.linspace(0, u(rng, 5, 10), n)
        out[f"ts{k}"] = x + white(rng, n, 0.1)
    return out, ans


@family("Two time series are given with different")
def higher_period(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    kind = str(rng.choice(["sine", "square"]))
    out = {}
    for k, n in enumerate(lens, start=1):
        period = u(rng, 50.0, 70.0) if k == digit(str(ans)) else u(rng, 10.0, 22.0)
        x = u(rng, 1, 3) * wave(kind, phase(n, period, u(rng, 0, 1))) + np.linspace(0, u(rng, 5, 10), n)
        out[f"ts{k}"] = x + white(rng, n, 0.1)
    return out, ans


@family("You are given two time series which both have trend")
def same_trend_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    text = str(ans)
    if text.startswith("Yes"):
        kinds = ["exponential", "exponential"]
    else:
        kinds = re.findall(r"(linear|exponential|log) trend", text)
    out = {}
    for k, (n, kind) in enumerate(zip(lens, kinds, strict=True), start=1):
        rise = u(rng, 6.0, 10.0)
        x = rise * shape(kind, n, rng) + u(rng, 0.05, 0.1) * rise * np.sin(
            2 * np.pi * phase(n, u(rng, 20, 50))
        )
        out[f"ts{k}"] = x + white(rng, n, 0.05)
    return out, ans


@family(
    "There are two time series given. Is",
    lambda item: any(str(o).startswith("No") for o in item["options"]),
)
def scaled_version(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # Only the "No" answer: for two same-shape sines both "Yes" options would be true.
    ans = find(item, "^No")
    n1, n2 = lens
    x1 = u(rng, 1, 3) * np.sin(2 * np.pi * phase(n1, u(rng, 20, 50), u(rng, 0, 1))) + white(rng, n1, 0.1)
    x2 = ma(rng, n2, list(rng.uniform(-1, 1, 5)), u(rng, 0.5, 2.0))
    return {"ts1": x1, "ts2": x2}, ans


@family("Two time series are given. Both of them have a noise component. Do they have the same type")
def same_noise_type(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    same = str(ans).startswith("Yes")
    walk = int(rng.integers(2))
    out = {}
    for k, n in enumerate(lens, start=1):
        amp = u(rng, 1.0, 3.0)
        x = amp * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
        if same or k - 1 != walk:
            x = x + white(rng, n, u(rng, 0.4, 0.7) * amp)
        else:
            x = x + random_walk(rng, n, u(rng, 1.5, 2.5) * amp)
        out[f"ts{k}"] = x
    return out, ans


@family("Two time series are given. Both of them have a noise component. Do they have the same level")
def same_noise_level(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    sd = u(rng, 0.1, 0.3)
    sds = [sd, sd] if str(ans).startswith("Yes") else list(rng.permutation([sd, sd * u(rng, 4, 6)]))
    out = {}
    for k, n in enumerate(lens, start=1):
        x = u(rng, 1, 3) * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
        out[f"ts{k}"] = x + white_exact(rng, n, float(sds[k - 1]))
    return out, ans


@family("Are the two time series flipped versions")
def flipped_versions(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n1, n2 = lens
    n = max(n1, n2)
    amp = u(rng, 1.0, 3.0)
    base = np.linspace(0, sign(rng) * u(rng, 2, 5), n) + amp * np.sin(2 * np.pi * phase(n, u(rng, 25, 60)))
    if str(ans).startswith("Yes"):
        x1, x2 = base[:n1], -base[:n2]
    else:  # a different shape, not a mirror image
        x1 = base[:n1]
        x2 = amp * wave("square", phase(n2, u(rng, 20, 50), u(rng, 0, 1)))
    return {"ts1": x1 + white(rng, n1, 0.1 * amp), "ts2": x2 + white(rng, n2, 0.1 * amp)}, ans


@family("Two time series are given, one with")
def similar_aside_trend(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    kinds = ["sine", "sine"] if str(ans).startswith("Yes") else ["sine", "square"]
    period, amp = u(rng, 20, 45), u(rng, 1, 3)
    out = {}
    for k, (n, kind) in enumerate(zip(lens, kinds, strict=True), start=1):
        rise = u(rng, 5, 10) * (1 if k == 1 else -1)
        x = amp * u(rng, 0.8, 1.2) * wave(kind, phase(n, period * u(rng, 0.9, 1.1), u(rng, 0, 1)))
        out[f"ts{k}"] = x + np.linspace(0, rise, n) + white(rng, n, 0.1)
    return out, ans


@family("Are the given two time series likely")
def same_distribution(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n1, n2 = lens
    sd, mean = u(rng, 1.0, 3.0), u(rng, -2.0, 2.0)
    first = rng.random() < 0.5  # which series is the plain white noise

    def draw(n: int, plain: bool) -> np.ndarray:
        if plain or str(ans).startswith("Yes"):
            return white(rng, n, sd) + mean
        if rng.random() < 0.5:  # a random walk, or white noise with a clearly different spread
            return random_walk(rng, n, sd * u(rng, 1.5, 3.0)) + mean
        return white(rng, n, sd * u(rng, 3.0, 5.0)) + mean

    return {"ts1": draw(n1, first), "ts2": draw(n2, not first)}, ans


@family("You are seeing two time series that")
def walk_variance(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    # Step deviations are equal (or 5x apart) and the walks' spreads agree with that reading.
    ans = choose(rng, item)
    text = str(ans)
    big = 0 if text.startswith("Yes") else digit(text.split("No, ")[1])
    out = {}
    for k, n in enumerate(lens, start=1):
        step = 1.0 if big in (0, 3 - k) else 5.0
        out[f"ts{k}"] = np.cumsum(white(rng, n, 0.2 * step)) + u(rng, -1, 1)
    ratio = out["ts1"].std() / out["ts2"].std()
    need(0.8 < ratio < 1.25 if big == 0 else (ratio > 3 if big == 1 else ratio < 1 / 3))
    return out, ans


@family("You are given two time series with different")
def same_variance(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n1, n2 = lens
    sd = u(rng, 0.5, 3.0)
    other = sd if str(ans).startswith("Yes") else sd * float(rng.choice([0.25, 0.3, 3.0, 4.0]))
    x1 = white_exact(rng, n1, sd, u(rng, -1, 1))
    x2 = random_walk(rng, n2, other) + u(rng, -1, 1)
    pair = {"ts1": x1, "ts2": x2} if rng.random() < 0.5 else {"ts1": x2[:n1], "ts2": x1[:n2]}
    return pair, ans


# ---- Causality -------------------------------------------------------------------------------------
# Source convention (inferred from the source series, see README): "A is a lagged version of B" and
# "B granger causes A" both mean that A shows B's movements EARLIER, A(t) ~ B(t + lag).


def max_xcorr(a: np.ndarray, b: np.ndarray, max_lag: int) -> float:
    """Largest absolute correlation between ``a`` and ``b`` shifted by up to ``max_lag`` steps."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    best = 0.0
    for k in range(-max_lag, max_lag + 1):
        x, y = (a[: n - k], b[k:]) if k >= 0 else (a[-k:], b[: n + k])
        best = max(best, abs(float(np.corrcoef(x, y)[0, 1])))
    return best


def leading_pair(base: np.ndarray, n: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """(follower, leader) with leader(t) = follower(t + lag)."""
    return base[:n], base[lag : lag + n]


def unrelated_pair(rng: Rng, n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    """Trend + sine against exponential + sawtooth (or + random walk): no shared pattern."""
    a = np.linspace(0, u(rng, 5, 10), n1) + u(rng, 1, 3) * np.sin(2 * np.pi * phase(n1, u(rng, 20, 50)))
    b = u(rng, 5, 10) * shape("exponential", n2, rng)
    if rng.random() < 0.5:
        b = b + u(rng, 1, 3) * wave("sawtooth", phase(n2, u(rng, 20, 50), u(rng, 0, 1)))
    else:
        b = b + random_walk(rng, n2, u(rng, 1, 2))
    return a + white(rng, n1, 0.05), b + white(rng, n2, 0.05)


def walk_base(rng: Rng, n: int) -> np.ndarray:
    return random_walk(rng, n, u(rng, 0.5, 2.0))


def lagged_question(rng: Rng, item: dict, lens: list[int], asked: int, base: Callable, lags: tuple) -> tuple:
    """'Is time series <asked> a lagged version of the other?'"""
    ans = choose(rng, item)
    n = lens[0]
    text = str(ans)
    if "not share" in text:
        x1, x2 = unrelated_pair(rng, *lens)
        return {"ts1": x1, "ts2": x2}, ans
    lag = int(rng.integers(*lags))
    follower, leader = leading_pair(base(rng, n + lag), n, lag)
    lagged = asked if ans == "Yes" else 3 - asked  # the series called "lagged version" leads
    out = {f"ts{lagged}": leader, f"ts{3 - lagged}": follower}
    return out, ans


@family("Is time series 2 a lagged version of")
def ts2_lagged(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    return lagged_question(rng, item, lens, 2, walk_base, (20, 51))


@family("Is time series 1 a lagged version of")
def ts1_lagged(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    def base(r: Rng, n: int) -> np.ndarray:
        return ar1(r, n, u(r, 0.5, 0.9), u(r, 0.5, 1.5))

    return lagged_question(rng, item, lens, 1, base, (5, 13))


@family("You are given two time series where")
def lag_size(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    n, ans = lens[0], choose(rng, item)
    lo, hi = (int(v) for v in re.findall(r"\d+", str(ans)))
    lag = int(rng.integers(lo + 2, hi - 1))
    follower, leader = leading_pair(random_walk(rng, n + lag, u(rng, 0.3, 1.0)), n, lag)
    pair = [follower, leader]
    rng.shuffle(pair)
    return {"ts1": pair[0], "ts2": pair[1]}, ans


@family("Is the two time series lagged version of each other despite amplitude")
def lagged_amplitude(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n = lens[0]
    if str(ans).startswith("No"):
        x1, x2 = unrelated_pair(rng, *lens)
        return {"ts1": x1, "ts2": x2}, ans
    lag = int(rng.integers(20, 51))
    if rng.random() < 0.5:
        base = random_walk(rng, n + lag, u(rng, 0.3, 1.0))
    else:
        base = u(rng, 1, 3) * np.sin(2 * np.pi * phase(n + lag, u(rng, 25, 50), u(rng, 0, 1)))
    follower, leader = leading_pair(base, n, lag)
    pair = [follower, leader * u(rng, 3.0, 5.0)]
    rng.shuffle(pair)
    return {"ts1": pair[0], "ts2": pair[1]}, ans


@family("Is the two time series lagged version of each other despite minor")
def lagged_noise(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    ans = choose(rng, item)
    n = lens[0]
    if str(ans).startswith("No"):
        x1, x2 = unrelated_pair(rng, *lens)
        return {"ts1": x1, "ts2": x2}, ans
    lag = int(rng.integers(20, 51))
    sd = u(rng, 0.3, 1.0)
    follower, leader = leading_pair(random_walk(rng, n + lag, sd), n, lag)
    pair = [follower + white(rng, n, 0.1 * sd), leader + white(rng, n, 0.1 * sd)]
    rng.shuffle(pair)
    return {"ts1": pair[0], "ts2": pair[1]}, ans


@family("Does time series 1 granger cause time")
@family("Are there any granger causality between")
def granger_question(rng: Rng, item: dict, lens: list[int]) -> tuple[Series, object]:
    """Pairs for the Granger questions, under the source convention (the caused series leads)."""
    ans = choose(rng, item)
    text = str(ans)
    n = lens[0]
    if "not granger" in text:
        a = ar1(rng, n, u(rng, 0.85, 0.95), 1.0)
        a = (a - a.mean()) / a.std() * u(rng, 1.0, 2.5)
        b = u(rng, 1, 3) * np.sin(2 * np.pi * phase(n, u(rng, 20, 50), u(rng, 0, 1)))
        b = b + np.linspace(0, sign(rng) * u(rng, 2, 5), n) + white(rng, n, u(rng, 0.3, 0.6))
        need(max_xcorr(a, b, 10) < 0.5 and max_xcorr(np.diff(a), np.diff(b), 10) < 0.3)
        pair = [a, b]
        rng.shuffle(pair)
        return {"ts1": pair[0], "ts2": pair[1]}, ans
    cause = 1 if re.search(r"series 1 granger causes", text) else 2
    lag = int(rng.integers(3, 11))
    x = ar1(rng, n + lag, u(rng, 0.9, 0.97), 1.0)
    x = (x - x.mean()) / x.std() * u(rng, 1.0, 2.5)
    coupling = (1.0 if rng.random() < 0.75 else -1.0) * u(rng, 0.8, 1.5)  # mostly a same-sign copy
    effect = coupling * x[lag : lag + n]
    effect = effect + ar1(rng, n, 0.5, 1.0) * 0.2 * abs(coupling) * x.std()
    need(abs(np.corrcoef(effect, x[lag : lag + n])[0, 1]) > 0.85)
    return {f"ts{cause}": x[:n], f"ts{3 - cause}": effect}, ans


SKIPPED = {  # question-text prefix: reason (also in README.md)
    "The given time series has multiple cycle patterns with same amplitude and period.": (
        "sine, square and sawtooth waves of equal amplitude and period make a periodic curve whether "
        "they are added or multiplied; the plot does not fix the composition"
    ),
}


# --------------------------------------------------------------------------------------------
# Sanity checks: simple statistics recomputed from the finished series only (not from the
# construction parameters), per template family. Anomaly types and a few compositions are only
# guaranteed by construction (see the ``need`` calls in the generators).
# --------------------------------------------------------------------------------------------

WAVE_KEYS = {kind: name for name, kind in WAVE_NAMES.items()}


def _fit(x: np.ndarray, deg: int = 1) -> np.ndarray:
    t = np.linspace(0.0, 1.0, len(x))
    return np.polyfit(t, x, deg)


def _rise(x: np.ndarray) -> float:
    """Rise of the least-squares line over the whole series."""
    return float(_fit(x)[0])


def _resid_sd(x: np.ndarray) -> float:
    t = np.linspace(0.0, 1.0, len(x))
    return float(np.std(x - np.polyval(_fit(x), t)))


def _curv(x: np.ndarray) -> float:
    """Quadratic coefficient relative to the rise: > 0 convex, < 0 concave."""
    a, b, _ = _fit(x, 2)
    return float(a / (abs(a + b) + 1e-9))


def _halves(x: np.ndarray) -> tuple[float, float]:
    """Difference of the half means (in pooled standard deviations) and ratio of the half deviations."""
    a, b = np.array_split(x, 2)
    sd = np.sqrt((a.var() + b.var()) / 2) + 1e-12
    return abs(a.mean() - b.mean()) / sd, max(a.std(), b.std()) / (min(a.std(), b.std()) + 1e-12)


def _stationary(x: np.ndarray) -> bool:
    dm, ratio = _halves(x)
    return dm < 1.0 and ratio < 1.8


def _period(x: np.ndarray) -> float:
    """Dominant period (samples) of the detrended series, by periodogram."""
    t = np.linspace(0.0, 1.0, len(x))
    y = x - np.polyval(_fit(x), t)
    p = np.abs(np.fft.rfft(y, 8 * len(y))) ** 2
    f = np.fft.rfftfreq(8 * len(y))
    return float(1.0 / f[1:][np.argmax(p[1:])])


def _sine_resid(x: np.ndarray) -> np.ndarray:
    """Residual after a least-squares fit of a line plus a sine (period refined near the dominant one)."""
    t = np.arange(len(x))
    best = None
    for period in _period(x) * np.linspace(0.9, 1.1, 21):
        w = 2 * np.pi / period
        a = np.column_stack([np.ones_like(t), t, np.sin(w * t), np.cos(w * t)])
        r = x - a @ np.linalg.lstsq(a, x, rcond=None)[0]
        if best is None or r.std() < best.std():
            best = r
    return best


def _shape(x: np.ndarray) -> str:
    """Wave kind whose best-fitting template (period near the dominant one, any phase) fits best."""
    n = len(x)
    t = np.arange(n)
    y = x - np.polyval(np.polyfit(t, x, 1), t)
    best = (np.inf, "")
    for period in _period(x) * np.linspace(0.85, 1.15, 13):
        for ph in np.linspace(0.0, 1.0, 40, endpoint=False):
            for kind in ("sine", "square", "sawtooth"):
                a = np.column_stack([wave(kind, t / period + ph), np.ones(n), t])
                sse = float(np.sum((y - a @ np.linalg.lstsq(a, y, rcond=None)[0]) ** 2))
                best = min(best, (sse, kind))
    return best[1]


def _lead(a: np.ndarray, b: np.ndarray, max_lag: int = 80) -> tuple[int, float]:
    """Lag k maximising |corr(a[t], b[t + k])|: k > 0 means ``a`` leads (b repeats a k steps later)."""
    n = min(len(a), len(b))
    best = (0, 0.0)
    for k in range(-max_lag, max_lag + 1):
        x, y = (a[: n - k], b[k:n]) if k >= 0 else (a[-k:n], b[: n + k])
        if len(x) < 30:
            continue
        r = float(np.corrcoef(x, y)[0, 1])
        if abs(r) > abs(best[1]):
            best = (k, r)
    return best


def _anomaly_third(x: np.ndarray) -> int:
    """Third (0, 1, 2) holding the largest local misfit of a line-plus-sine model."""
    r = np.abs(_sine_resid(x))
    m = np.convolve(r, np.ones(9) / 9, mode="same")
    return int(np.argmax(m) * 3 // len(x))


def _pieces(x: np.ndarray, k_max: int = 5) -> int:
    """Number of linear pieces: smallest k whose best k-piece fit is not beaten by much with k + 1."""
    n = len(x)
    cost = np.full((n + 1, n + 1), np.inf)
    for i in range(n):
        for j in range(i + 8, n + 1):
            t = np.arange(j - i)
            c = np.polyfit(t, x[i:j], 1)
            cost[i, j] = float(np.sum((x[i:j] - np.polyval(c, t)) ** 2))
    best = [cost[0]]
    for _ in range(1, k_max + 1):
        prev = best[-1]
        cur = np.full(n + 1, np.inf)
        for j in range(1, n + 1):
            cur[j] = np.min(prev[:j] + cost[:j, j])
        best.append(cur)
    sse = [b[n] for b in best]
    for k in range(k_max):
        if sse[k] <= 1.6 * sse[k + 1] or sse[k] < 1e-9:
            return k + 1
    return k_max + 1


def _flat(x: np.ndarray, w: int = 8) -> int:
    """Length of the longest stretch that stays flat (sd < 0.03 over every ``w`` steps): a cutoff."""
    flat = [np.std(x[i : i + w]) < 0.03 for i in range(len(x) - w + 1)]
    best = run = 0
    for f in flat:
        run = run + 1 if f else 0
        best = max(best, run)
    return best + w - 1 if best else 0


def _spiky(x: np.ndarray) -> float:
    """Fraction of steps that stick out alone (more than 4 robust sds from both neighbours)."""
    e = np.diff(x)
    e = e - np.median(e)
    big = np.abs(e) > max(4 * 1.4826 * np.median(np.abs(e)), 0.1 * np.ptp(x))
    out = big[:-1] & big[1:] & (e[:-1] * e[1:] < 0)
    return float(out.mean())


def _anomalies_seen(x: np.ndarray) -> set[str]:
    """Anomaly kinds that simple statistics can confirm: cutoff (flat stretch) and spikes."""
    seen = set()
    if _flat(x) >= 15:
        seen.add("cutoff")
    if _spiky(x) > 0.04:
        seen.add("spike")
    return seen


def _two(rec: dict) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(rec["ts1"]), np.asarray(rec["ts2"])


def _k(rec: dict) -> int:
    return digit(str(rec["answer"]))


def check(rec: dict) -> tuple[bool | None, str]:
    """(passed, statistic) for one written question; passed is None when not checked."""
    q, a = rec["question"], str(rec["answer"])
    x = np.asarray(rec["ts"]) if "ts" in rec else None
    if q.startswith("What is the type of the trend"):
        r, sd, c = _rise(x), _resid_sd(x), _curv(x)
        ok = {"Linear": abs(r) > 5 * sd and abs(c) < 0.3, "Exponential": c > 0.5}.get(a, abs(r) < 2 * sd)
        return ok, f"rise {r:.2f} sd {sd:.2f} curv {c:.2f}"
    if q.startswith("What is the most likely linear trend coefficient"):
        r, v = _rise(x), float(a)
        return (abs(r) < 0.5 if v == 0 else abs(r - v) < 0.15 * v), f"rise {r:.2f}"
    if q.startswith("What is the direction of the linear trend"):
        r, sd = _rise(x), _resid_sd(x)
        return {"Upward": r > 3 * sd, "Downward": r < -3 * sd}.get(
            a, abs(r) < sd
        ), f"rise {r:.2f} sd {sd:.2f}"
    if q.startswith("Given that following time series exhibit piecewise"):
        k = _pieces(x)
        return k == int(a), f"pieces {k}"
    if q.startswith("How does the linear trend in the first half"):
        h = len(x) // 2
        s1, s2 = slope(x[:h]), slope(x[h:])
        same = abs(s1 - s2) < 0.35 * max(abs(s1), abs(s2))
        return same == (a == "Same"), f"slopes {s1:.4f} {s2:.4f}"
    if q.startswith("The given time series has an increasing trend, is it"):
        c = _curv(x)
        return (c < -0.5) == (a == "Log"), f"curv {c:.2f}"
    if q.startswith("The given time series has multiple trends followed by each other"):
        kinds = [k.strip().lower() for k in a.split("->")]
        bounds = np.linspace(0, len(x), len(kinds) + 1).astype(int)
        curvs = []
        for lo, hi in pairwise(bounds):  # the middle 60% of each nominal piece
            m = int(0.2 * (hi - lo))
            curvs.append(_curv(x[lo + m : hi - m]))
        got = ["exponential" if c > 0.3 else ("log" if c < -0.3 else "linear") for c in curvs]
        return got == kinds, "curvatures " + "/".join(f"{c:.2f}" for c in curvs)
    if q.startswith("Does any part of the given time series, composed of several"):
        noise = np.diff(x).std() / np.sqrt(2)
        flat = 0
        for lo in range(0, len(x) - 24, 4):
            w = x[lo : lo + 24]
            if abs(_rise(w)) < 3 * noise and _resid_sd(w) < 1.5 * noise:
                flat += 1
        return (flat > 0) == (a == "Yes"), f"flat 24-step windows {flat}"
    if q.startswith("The given time series has a cyclic component and a trend component added"):
        c = _curv(x)
        return {"Linear": abs(c) < 0.3, "Exponential": c > 0.4, "Log": c < -0.4}[a], f"curv {c:.2f}"
    if q.startswith("The given time series has a cycle component and a trend component."):
        t = np.linspace(0, 1, len(x))
        y = x - np.polyval(_fit(x), t)
        q4 = np.array_split(y, 4)
        ratio = np.ptp(q4[-1]) / np.ptp(q4[0])
        return (ratio > 2.5) == (a == "Multiplicative"), f"end/start spread {ratio:.1f}"
    if q.startswith("Does the trend of the time series change direction"):
        k = _pieces(x, 3)
        return (k >= 2) == (a == "Yes"), f"pieces {k}"
    if q.startswith("What is the most dominant pattern"):
        t = np.linspace(0, 1, len(x))
        trend = np.ptp(np.polyval(_fit(x), t))
        res = _sine_resid(x)
        seas = np.ptp(x - np.polyval(_fit(x), t) - res)
        noise = 4 * res.std()
        top = max({"Trend": trend, "Seasonality": seas, "Noise": noise}.items(), key=lambda kv: kv[1])[0]
        return top == a, f"trend {trend:.1f} season {seas:.1f} noise(4sd) {noise:.1f}"
    if q.startswith("What type of trend does the time series exhibit in the latter half"):
        y = x[len(x) // 2 :]
        r, c, sd = _rise(y), _curv(y), _resid_sd(y)
        got = "No trend" if abs(r) < 3 * sd else ("Exponential" if c > 0.4 else "Linear")
        return got.lower() == a.lower(), f"rise {r:.2f} curv {c:.2f}"
    if q.startswith("What is the primary cyclic pattern"):
        got = "No Pattern at all" if np.ptp(x) < 0.3 * max(abs(x.mean()), 1) else WAVE_KEYS[_shape(x)]
        return got == a, f"shape {got}"
    if q.startswith("The given time series has sine wave pattern. How does its amplitude"):
        r = np.ptp(x[-len(x) // 3 :]) / np.ptp(x[: len(x) // 3])
        got = "Increase" if r > 2 else ("Decrease" if r < 0.5 else "Remain the same")
        return got == a, f"end/start amplitude {r:.2f}"
    if q.startswith("The given time series is a sine wave followed by a square wave patterns"):
        r = np.ptp(x[-len(x) // 3 :]) / np.ptp(x[: len(x) // 3])
        got = "Increase" if r > 1.5 else ("Decrease" if r < 0.67 else "Remain the same")
        return got == a, f"end/start amplitude {r:.2f}"
    if q.startswith("The given time series has square wave pattern. How does its period"):
        s = np.sign(x - (x.max() + x.min()) / 2)
        flips = np.nonzero(np.diff(s) != 0)[0]
        first = np.sum(flips < len(x) / 3)
        last = np.sum(flips >= 2 * len(x) / 3)
        got = (
            "Decrease"
            if last > 1.8 * max(first, 1)
            else ("Increase" if first > 1.8 * max(last, 1) else "Remain the same")
        )
        return got == a, f"switches first/last third {first}/{last}"
    if q.startswith("The time series has three cyclic pattern composed additively"):
        got = WAVE_KEYS[_shape(x)]
        return got == a, f"shape {got}"
    if q.startswith(
        "The given time series is a sine wave. What is the most likely amplitude"
    ) or q.startswith("The given time series is a sawtooth wave. What is the most likely amplitude"):
        amp = np.ptp(x) / 2
        return abs(amp - float(a)) < 0.08 * float(a), f"half range {amp:.2f}"
    if q.startswith("The given time series is a square wave. What is the most likely period"):
        s = np.sign(x - (x.max() + x.min()) / 2)
        flips = np.nonzero(np.diff(s) != 0)[0]
        per = 2 * float(np.mean(np.diff(flips)))
        return abs(per - float(a)) < 0.1 * float(a), f"period {per:.1f}"
    if q.startswith(
        "The given time series is a sine wave followed by a square wave. What is the most likely"
    ):
        amp = np.ptp(x[-len(x) // 3 :]) / 2
        return abs(amp - float(a)) < 0.08 * float(a), f"end half range {amp:.2f}"
    if q.startswith("The given time series is a swatooth wave followed by a square wave"):
        d = np.diff(x)
        drop = next(i + 1 for i in range(1, len(d)) if d[i] < -0.5 * np.ptp(x[: i + 1]))
        return abs(drop - float(a)) <= 1.5, f"first tooth ends at {drop}"
    if q.startswith("Which of the following best describe the cycle pattern"):
        third = len(x) // 4
        if a.startswith("Amplitude"):
            r = np.ptp(x[-third:]) / np.ptp(x[:third])
            got = "increase" if r > 2 else ("decrease" if r < 0.5 else "remain")
        else:
            fl = np.nonzero(np.diff(np.sign(x - x.mean())) != 0)[0]
            gaps = np.diff(fl)  # half periods, at the midpoints of successive crossings
            mid = (fl[1:] + fl[:-1]) / 2
            r = np.median(gaps[mid > len(x) - 1.5 * third]) / np.median(gaps[mid < 1.5 * third])
            got = "increase" if r > 1.6 else ("decrease" if r < 1 / 1.6 else "remain")
        return got == a.split()[1], f"ratio {r:.2f}"
    if q.startswith("Is the given time series stationary?") or q.startswith("Covariance stationarity"):
        st = _stationary(x)
        return st == (a == "Yes"), f"halves {_halves(x)[0]:.2f} sd, sd ratio {_halves(x)[1]:.2f}"
    if q.startswith("Is the given time series likely to be stationary after differencing"):
        st = _stationary(np.diff(x))
        return st == (
            a == "Yes"
        ), f"diff halves {_halves(np.diff(x))[0]:.2f} sd, ratio {_halves(np.diff(x))[1]:.2f}"
    if q.startswith("Weak stationarity requires"):
        m = int(0.35 * len(x))  # the change lies in the middle 30%
        dm, ratio = _halves(np.concatenate([x[:m], x[-m:]]))
        got = "Yes" if dm < 1 and ratio < 1.8 else ("mean" if dm >= 1 else "variance")
        return got in a, f"halves {dm:.2f} sd, sd ratio {ratio:.2f}"
    if q.startswith("Is the given time series likely to be stationary after removing the trend"):
        t = np.linspace(0, 1, len(x))
        y = x - np.polyval(_fit(x), t)
        st = _stationary(y)
        return st == (a == "Yes"), f"detrended sd ratio {_halves(y)[1]:.2f}"
    if q.startswith("Is the given time series likely to be stationary after removing the cycle"):
        r, amp = _rise(x), np.ptp(x - _sine_resid(x)) / 2
        return (abs(r) < 0.6 * amp) == (a == "Yes"), f"rise {r:.2f} amplitude {amp:.2f}"
    if q.startswith("Seasonal stationarity"):
        r, amp = _rise(x), np.ptp(x - np.polyval(_fit(x), np.linspace(0, 1, len(x)))) / 2
        return (abs(r) < amp) == (a == "Yes"), f"rise {r:.2f} amplitude {amp:.2f}"
    if q.startswith("Piece-wise stationarity"):
        k = _pieces(x, 4)
        sl = abs(_rise(x)) / _resid_sd(x)
        return (k >= 2) == (a == "Yes"), f"pieces {k}, rise/sd {sl:.1f}"
    if q.startswith("What is the most likely mean"):
        return abs(x.mean() - float(a)) < 0.05 * abs(float(a)) + 0.05, f"mean {x.mean():.2f}"
    if q.startswith("What is the most likely variance"):
        thirds = [p.std() for p in np.array_split(x, 3)]
        if a == "varies across time":
            return max(thirds) / min(thirds) > 3, f"third sd ratio {max(thirds) / min(thirds):.1f}"
        return abs(x.var() - float(a)) < 0.05 * float(a), f"variance {x.var():.3f}"
    if q.startswith("Is the mean stable"):
        return (_halves(x)[0] < 1) == (a == "Yes"), f"halves {_halves(x)[0]:.2f} sd"
    if q.startswith("What is the most likely autocorrelation at lag 1"):
        r = lag1(x)
        got = "Negative" if r < -0.5 else ("High positive" if r > 0.5 else "No")
        return a.startswith(got), f"lag-1 {r:.2f}"
    if q.startswith("Which of the given time series has the highest variance"):
        v1, v2 = (s.var() for s in _two(rec))
        return (1 if v1 > v2 else 2) == _k(rec), f"var {v1:.2f} / {v2:.2f}"
    if q.startswith("Does the following time series exhibit a mean reversion"):
        st = _stationary(x) and lag1(x) < 0.9
        return st == (a == "Yes"), f"halves {_halves(x)[0]:.2f} sd, lag-1 {lag1(x):.2f}"
    if q.startswith("You are given two AR(1) process"):
        r1, r2 = (abs(lag1(s)) for s in _two(rec))
        return (1 if r1 > r2 else 2) == _k(rec), f"|lag-1| {r1:.2f} / {r2:.2f}"
    if q.startswith("Which of the following time series is more likely to be an"):
        score = [abs(_rise(s)) / _resid_sd(s) for s in _two(rec)]
        ok = score[_k(rec) - 1] < 2.5 and score[2 - _k(rec)] > 4
        return ok, "trend rise / residual sd " + "/".join(f"{v:.1f}" for v in score)
    if q.startswith("Is the given time series a white noise"):
        return (abs(lag1(x)) < 0.3) == (a == "Yes"), f"lag-1 {lag1(x):.2f}"
    if q.startswith("The given time series is a white noise process. What is the most likely noise level"):
        return abs(x.std() - float(a)) < 0.02 * float(a), f"sd {x.std():.2f}"
    if q.startswith("The given time series is a random walk process"):
        ok = abs(x.std() - float(a)) < 0.02 * float(a) and float(a) == min(map(float, rec["options"]))
        return ok, f"sd {x.std():.2f}, step sd {np.diff(x).std():.2f}"
    if q.startswith("The following time series has a noise component. Is it a white noise or random walk"):
        r = lag1(_sine_resid(x))
        return (r < 0.5) == (a == "White Noise"), f"residual lag-1 {r:.2f}"
    if q.startswith("One type of noise in time series is white noise"):
        rough = np.diff(x, 2).std() / (np.ptp(x) + 1e-9)
        return (rough > 0.1) == (a == "Yes"), f"roughness {rough:.3f}"
    if q.startswith("One type of noise in time series is random walk"):
        # a walk has white steps (sd of 2nd differences ~1.4x that of steps); smooth curves ~0
        ratio = np.diff(x, 2).std() / (np.diff(x).std() + 1e-12)
        walk = ratio > 1 and lag1(x) > 0.85 and np.diff(x).std() > 1e-3 * np.ptp(x)
        return walk == (a == "Yes"), f"lag-1 {lag1(x):.2f} diff2/diff sd {ratio:.2f}"
    if q.startswith("Is the noise in the time series more likely to be additive"):
        t = np.linspace(0, 1, len(x))
        y = x - np.polyval(_fit(x), t)
        r = np.array_split(y, 3)[2].std() / np.array_split(y, 3)[0].std()
        return (r > 2) == (a == "Multiplicative"), f"end/start noise sd {r:.1f}"
    if q.startswith("How does the noise in the given time series influence"):
        res = _sine_resid(x)
        snr = res.std() / (np.ptp(x - res) / 2)
        return (snr > 0.5) == (a == "Distort the pattern"), f"noise sd / amplitude {snr:.2f}"
    if q.startswith("You are given two time series with same underlying pattern but different noise"):
        d1, d2 = (np.diff(s).std() for s in _two(rec))
        return (1 if d1 > d2 else 2) == _k(rec), f"step sd {d1:.2f} / {d2:.2f}"
    if q.startswith("You are given two Autoregressive processes"):
        s1, s2 = (np.std(s[1:] - lag1(s) * s[:-1]) for s in (v - v.mean() for v in _two(rec)))
        return (1 if s1 > s2 else 2) == _k(rec), f"innovation sd {s1:.2f} / {s2:.2f}"
    if q.startswith("What type of noise is present"):
        r, rough = lag1(x), np.diff(x, 2).std() / (np.ptp(x) + 1e-9)
        got = (
            "No significant noise" if rough < 0.02 else ("Red Noise" if r > 0.85 else "Gaussian White Noise")
        )
        return got == a, f"lag-1 {r:.2f} roughness {rough:.3f}"
    anomaly_texts = (
        "Is the given time series likely to have an anomaly",
        "The following time series has an anomaly. What",
        "The following time series has two types of anomalies",
        "Is the given time series likely to have a non-stationary",
    )
    if q.startswith(anomaly_texts):
        seen = _anomalies_seen(x)
        want = {k for k in ("cutoff", "spike") if k in a.lower()}
        if "stationary" in a and a.startswith("No"):  # the stationary anomaly is the spikes one
            want = {"spike"}
        if "reversal" in a:
            return _pieces(x, 3) == 2 and not seen, f"pieces {_pieces(x, 3)}, seen {sorted(seen)}"
        return seen == want, f"cutoff/spikes seen: {sorted(seen)}"
    if q.startswith("You are given two time series following similar pattern."):
        seen = [_anomalies_seen(v) for v in _two(rec)]
        if a.startswith(("Yes", "No.")):
            want = [{"cutoff"}, {"cutoff"}] if "cutoff" in a else None
            if want is None:  # flips, or two different kinds: cutoff / spikes seen at most once each
                return seen[0] != seen[1] or not seen[0], f"seen {[sorted(v) for v in seen]}"
            return seen == want, f"seen {[sorted(v) for v in seen]}"
        want = [set(), set()]
        for d, w in re.findall(r"series (\d) with ([\w /]+?) anomaly", a, re.I):
            want[int(d) - 1] = {anomaly_word(w)} & {"cutoff", "spike"}
        return seen == want, f"seen {[sorted(v) for v in seen]}"
    if q.startswith("The following time series has an anomaly where the pattern is cutoff"):
        return _flat(x) >= 15, f"flat stretch {_flat(x)}"
    if q.startswith("In which part of the time series does the anomaly occur"):
        got = ["Beginning", "Middle", "End"][_anomaly_third(x)]
        return got == a, f"largest misfit in the {got.lower()}"
    if q.startswith("The time series shows a structural break"):
        m = int(0.3 * len(x))  # the break lies in the middle 30%: compare the two ends
        h = [x[:m], x[-m:]]
        vr = max(p.std() for p in h) / min(p.std() for p in h)
        r1, r2 = _rise(h[0]), _rise(h[1])
        p1, p2 = _period(h[0]), _period(h[1])
        if vr > 4:
            got = "variance"
        elif r1 * r2 < 0 and min(abs(r1), abs(r2)) > 3 * max(_resid_sd(h[0]), _resid_sd(h[1])):
            got = "trend"
        else:
            got = "frequency" if max(p1, p2) / min(p1, p2) > 2 else "none"
        return got in a, f"sd ratio {vr:.1f}, rises {r1:.1f}/{r2:.1f}, periods {p1:.0f}/{p2:.0f}"
    if (
        q.startswith("Does the given two time series have similar pattern")
        or q.startswith("Despite the noise, does the given two")
        or q.startswith("Two time series are given. One has noise")
    ):
        s1, s2 = (_shape(s) for s in _two(rec))
        return (s1 == s2) == a.startswith("Yes"), f"shapes {s1}/{s2}"
    if q.startswith("You are given two time series which both have a trend component"):
        r1, r2 = (_rise(s) for s in _two(rec))
        return ((r1 > 0) == (r2 > 0)) == a.startswith("Yes"), f"rises {r1:.1f}/{r2:.1f}"
    if q.startswith("Both time series have a cyclic components"):
        a1, a2 = (np.ptp(_sine_resid(s) - s) for s in _two(rec))
        return (1 if a1 > a2 else 2) == _k(rec), f"cycle range {a1:.1f}/{a2:.1f}"
    if q.startswith("Two time series are given with different cyclic components"):
        p1, p2 = (_period(s) for s in _two(rec))
        return (1 if p1 > p2 else 2) == _k(rec), f"periods {p1:.0f}/{p2:.0f}"
    if q.startswith("You are given two time series which both have trend components"):
        c1, c2 = (_curv(s) for s in _two(rec))
        kinds = ["exponential" if c > 0.4 else ("log" if c < -0.4 else "linear") for c in (c1, c2)]
        want = (
            ["exponential", "exponential"]
            if a.startswith("Yes")
            else re.findall(r"(linear|exponential|log) trend", a)
        )
        return kinds == want, f"curvatures {c1:.2f}/{c2:.2f}"
    if q.startswith("There are two time series given. Is one of them a scaled"):
        _, r = _lead(*_two(rec), 30)
        return abs(r) < 0.6, f"best |corr| {abs(r):.2f}"
    if q.startswith(
        "Two time series are given. Both of them have a noise component. Do they have the same type"
    ):
        r1, r2 = (lag1(_sine_resid(s)) for s in _two(rec))
        return ((r1 > 0.6) == (r2 > 0.6)) == a.startswith("Yes"), f"residual lag-1 {r1:.2f}/{r2:.2f}"
    if q.startswith(
        "Two time series are given. Both of them have a noise component. Do they have the same level"
    ):
        s1, s2 = (_sine_resid(s).std() for s in _two(rec))
        return (max(s1, s2) / min(s1, s2) < 1.5) == a.startswith("Yes"), f"noise sd {s1:.2f}/{s2:.2f}"
    if q.startswith("Are the two time series flipped versions"):
        x1, x2 = _two(rec)
        n = min(len(x1), len(x2))
        r = float(np.corrcoef(x1[:n], -x2[:n])[0, 1])
        return (r > 0.9) == a.startswith("Yes"), f"corr(ts1, -ts2) {r:.2f}"
    if q.startswith("Two time series are given, one with an upward trend"):
        s1, s2 = (_shape(s) for s in _two(rec))
        return (s1 == s2) == a.startswith("Yes"), f"shapes {s1}/{s2}"
    if q.startswith("Are the given two time series likely to have the same underlying distribution"):
        x1, x2 = _two(rec)
        same = abs(x1.mean() - x2.mean()) < 0.5 * x1.std() and 0.7 < x1.std() / x2.std() < 1.4
        same = same and abs(lag1(x1) - lag1(x2)) < 0.4
        return same == a.startswith(
            "Yes"
        ), f"sd {x1.std():.2f}/{x2.std():.2f}, lag-1 {lag1(x1):.2f}/{lag1(x2):.2f}"
    if q.startswith("You are seeing two time series that are random walk"):
        x1, x2 = _two(rec)
        r, rs = np.diff(x1).std() / np.diff(x2).std(), x1.std() / x2.std()
        got = "same" if 0.7 < r < 1.4 else ("series 1" if r > 1 else "series 2")
        return got in a and (got != "same" or 0.7 < rs < 1.4), f"step sd ratio {r:.2f}, sd ratio {rs:.2f}"
    if q.startswith("You are given two time series with different underlying functional form"):
        x1, x2 = _two(rec)
        r = x1.var() / x2.var()
        return (0.9 < r < 1.1) == a.startswith("Yes"), f"variance ratio {r:.2f}"
    if "lagged version of time series" in q:
        k, r = _lead(*_two(rec))
        asked = 2 if q.startswith("Is time series 2") else 1
        if "not share" in a:
            return abs(_lead(*(np.diff(s) for s in _two(rec)))[1]) < 0.5, "unrelated"
        lagged = asked if a == "Yes" else 3 - asked
        leader = 1 if k > 0 else 2
        return r > 0.99 and leader == lagged, f"ts{leader} leads by {abs(k)} (r {r:.2f})"
    if q.startswith("You are given two time series where one is the lagged version"):
        k, r = _lead(*_two(rec))
        lo, hi = (int(v) for v in re.findall(r"\d+", a))
        return r > 0.99 and lo <= abs(k) <= hi, f"lag {abs(k)} (r {r:.2f})"
    if q.startswith("Is the two time series lagged version of each other"):
        k, r = _lead(*_two(rec))
        if a.startswith("No"):
            _, r2 = _lead(*(np.diff(s) for s in _two(rec)))
            return abs(r2) < 0.5, f"best step corr {r2:.2f}"
        return r > 0.9, f"lag {abs(k)} (r {r:.2f})"
    if "granger" in q.lower():
        k, r = _lead(*_two(rec), 20)
        if "not granger" in a:
            _, r2 = _lead(*(np.diff(s) for s in _two(rec)), 20)
            return abs(r2) < 0.35, f"best step corr {r2:.2f}"
        cause = 1 if "series 1 granger causes" in a else 2
        leader = 1 if k > 0 else 2
        return abs(r) > 0.8 and leader != cause and 3 <= abs(
            k
        ) <= 10, f"ts{leader} leads by {abs(k)} (r {r:.2f})"
    return None, "checked by construction only"


def report(records: list[dict], verbose: bool) -> int:
    """Print the checks (all of them when ``verbose``, else only failures); return the failure count."""
    failures = checked = 0
    for rec in records:
        ok, stat = check(rec)
        if ok is not None:
            checked += 1
            failures += not ok
        if verbose or (ok is not None and not ok):
            flag = "----" if ok is None else ("ok  " if ok else "FAIL")
            print(f"{flag} {rec['id']} {rec['question'][:55]!r} -> {str(rec['answer'])[:40]!r}: {stat}")
    print(
        f"sanity checks: {checked} checked, {failures} failed, {len(records) - checked} by construction only"
    )
    return failures


# --------------------------------------------------------------------------------------------
# Selection and output.
# --------------------------------------------------------------------------------------------


def quotas(items: list[dict], total: int) -> dict[str, int]:
    """Questions per category, proportional to the source file (largest remainders)."""
    counts = Counter(q["category"] for q in items)
    exact = {c: total * v / len(items) for c, v in counts.items()}
    out = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: exact[c] - out[c], reverse=True)[: total - sum(out.values())]:
        out[c] += 1
    return out


def select(items: list[dict], rng: Rng, tries: int = 300) -> list[dict]:
    """Stratified pick, at most 2 questions per question text and per tid.

    Every usable question text gets one question, then categories are topped up to their quota with
    second questions from the most frequent texts. Of ``tries`` random draws, the one covering the
    most distinct tids is kept."""
    per_text: dict[str, list[dict]] = {}
    for q in items:
        fam = family_of(q["question"])
        if fam is not None and fam[1](q):
            per_text.setdefault(q["question"], []).append(q)
    missing = {q["question"] for q in items if not any(q["question"].startswith(k) for k in SKIPPED)}
    missing -= set(per_text)
    assert not missing, f"no family (or no usable item) for: {missing}"
    draws = [select_once(per_text, quotas(items, TOTAL), rng) for _ in range(tries)]
    best = max(draws, key=lambda picked: len({q["tid"] for q in picked}))
    return sorted(best, key=lambda q: (q["category"], q["tid"], q["id"]))


def select_once(per_text: dict[str, list[dict]], quota: dict[str, int], rng: Rng) -> list[dict]:
    picked: list[dict] = []
    tid_count: Counter = Counter()
    text_count: Counter = Counter()

    def take(text: str) -> bool:
        pool = [q for q in per_text[text] if q not in picked and tid_count[q["tid"]] < 2]
        if not pool or text_count[text] >= 2:
            return False
        fresh = [q for q in pool if tid_count[q["tid"]] == 0] or pool  # prefer unseen tids
        q = fresh[int(rng.integers(len(fresh)))]
        picked.append(q)
        tid_count[q["tid"]] += 1
        text_count[text] += 1
        return True

    for category, want in quota.items():
        texts = sorted(t for t in per_text if per_text[t][0]["category"] == category)
        texts = [texts[i] for i in rng.permutation(len(texts))]
        chosen = 0
        for text in texts:  # first round: one question per question text
            if chosen < want and take(text):
                chosen += 1
        # Second round: a second question for the texts with the most source questions (the
        # set stays proportional at the text level too), preferring unseen tids among equals.
        while chosen < want:
            order = [texts[i] for i in rng.permutation(len(texts))]
            order.sort(
                key=lambda t: (
                    min((tid_count[q["tid"]] for q in per_text[t] if q not in picked), default=9),
                    -len(per_text[t]),
                )
            )
            if not any(take(t) for t in order):
                raise RuntimeError(f"cannot fill {category}")
            chosen += 1
    return picked


def series_lengths(q: dict) -> list[int]:
    return [len(q["ts"])] if "ts" in q else [len(q["ts1"]), len(q["ts2"])]


def generate(q: dict, rng: Rng) -> dict:
    fn = family_of(q["question"])[0]  # type: ignore[index]
    lens = series_lengths(q)
    for _ in range(200):
        try:
            series, answer = fn(rng, q, lens)
        except Retry:
            continue
        assert sorted(series) == (["ts"] if len(lens) == 1 else ["ts1", "ts2"])
        got = [len(series[k]) for k in sorted(series)]
        assert got == lens, (q["id"], got, lens)
        assert answer in q["options"], (q["id"], answer)
        return {k: [round(float(v), 4) + 0.0 for v in series[k]] for k in sorted(series)} | {"answer": answer}
    raise RuntimeError(f"no clear draw for source question {q['id']}")


def build(source: Path) -> list[dict]:
    items = json.loads(source.read_text())
    picked = select(items, np.random.default_rng(SEED))
    out = []
    balance = np.random.default_rng([SEED, 1])
    used: dict[str, list] = {}
    pos_count: Counter = Counter()  # answer positions so far ...
    pos_expected: Counter = Counter()  # ... and their expected counts under uniform answers
    for k, q in enumerate(picked, start=1):
        n_opt = len(q["options"])
        jitter = balance.random(n_opt)
        pref = sorted(range(n_opt), key=lambda p: pos_count[p] - pos_expected[p] + jitter[p])
        key = family_of(q["question"])[0].__name__  # type: ignore[index]
        extra = {"_pref": pref, "_used": used.setdefault(key, [])}
        made = generate(q | extra, np.random.default_rng([SEED, q["id"]]))
        used[key].append(made["answer"])
        pos_count[q["options"].index(made["answer"])] += 1
        for p in range(n_opt):
            pos_expected[p] += 1 / n_opt
        rec: dict = {"id": f"rs-{k:03d}", "source_id": q["id"]}
        for f in FIELDS:
            rec[f] = made["answer"] if f == "answer" else q[f]
        for name in ("ts", "ts1", "ts2"):
            if name in made:
                rec[name] = made[name]
        assert all(np.isfinite(v).all() for name, v in rec.items() if name.startswith("ts"))
        out.append(rec)
    return out


def dump(records: list[dict], path: Path) -> None:
    """One field per line (series inline), so that the file diffs reasonably."""
    lines = ["["]
    for i, rec in enumerate(records):
        body = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in rec.items())
        lines.append("  {\n" + body + "\n  }" + ("," if i < len(records) - 1 else ""))
    lines.append("]")
    path.write_text("\n".join(lines) + "\n")


def stress(source: Path, draws: int) -> int:
    """Redraw every usable source question ``draws`` times (other seeds) and run the checks on each."""
    fails: Counter = Counter()
    total: Counter = Counter()
    for q in json.loads(source.read_text()):
        fam = family_of(q["question"])
        if fam is None or not fam[1](q):
            continue
        for r in range(draws):
            pref = list(np.random.default_rng([r, 7, q["id"]]).permutation(len(q["options"])))
            made = generate(q | {"_pref": pref}, np.random.default_rng([SEED, q["id"], r + 1]))
            ok, stat = check({"question": q["question"], "options": q["options"]} | made)
            if ok is not None:
                total[q["question"]] += 1
                if not ok:
                    fails[q["question"]] += 1
                    print(f"FAIL source {q['id']} draw {r} -> {str(made['answer'])[:40]!r}: {stat}")
    print(f"stress: {sum(fails.values())} failed of {sum(total.values())} checked draws")
    return sum(fails.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="print every sanity check; write nothing")
    parser.add_argument("--stress", type=int, default=0, help="redraw each usable source question N times")
    args = parser.parse_args()
    if args.stress:
        with np.errstate(all="ignore"):
            raise SystemExit(1 if stress(args.source, args.stress) else 0)
    records = build(args.source)
    if not args.check:
        dump(records, args.out)
        print(f"wrote {args.out}")
    print(f"{len(records)} questions from {len({r['question'] for r in records})} question texts")
    for cat, c in sorted(Counter(r["category"] for r in records).items()):
        print(f"  {cat}: {c}")
    positions = Counter(r["options"].index(r["answer"]) for r in records)
    print("answer positions:", dict(sorted(positions.items())))
    source_answer = {q["id"]: q["answer"] for q in json.loads(args.source.read_text())}
    print("answer = source answer:", sum(r["answer"] == source_answer[r["source_id"]] for r in records))
    if report(records, verbose=args.check):
        raise SystemExit("some sanity checks failed")


if __name__ == "__main__":
    main()
