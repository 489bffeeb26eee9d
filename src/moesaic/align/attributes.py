"""Single-channel series with known attributes, their captions, and a verifier that recomputes them.

ChatTS-style synthetic alignment data: each series is ``offset + scale * (trend + season + anomaly +
noise)`` with a known trend direction and total change, seasonality (present or not, with its
period), an anomaly (none, a spike, a dip or a level shift, with its 0-based position) and a noise
level. :func:`caption` states them from one of three templates; :func:`parse_caption` reads them
back from text a language model wrote; :func:`score_caption` says which stated attributes are true
and which stated numbers can be recomputed from the series itself.

Recomputation (:func:`measure`, in :mod:`moesaic.align.measurement`) is deterministic least
squares, independent of any caption, and decides presence in units of the robust noise scale. The
generator draws every effect well beyond those margins and redraws the rare series whose
recomputation does not recover its truth, so every number a true caption states is recomputable
by construction.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from moesaic.align.measurement import Measured, change_ok, measure, period_ok, position_ok

__all__ = [
    "ANOMALIES",
    "PERIODS",
    "QUESTIONS",
    "TEMPLATES",
    "TRENDS",
    "Attributes",
    "CaptionScore",
    "Measured",
    "SimulatedSeries",
    "Stated",
    "answer",
    "answer_correct",
    "caption",
    "format_change",
    "generate",
    "measure",
    "parse_answer",
    "parse_caption",
    "score_caption",
    "score_stated",
    "transform",
]

TRENDS = ("up", "down", "flat")
ANOMALIES = ("none", "spike", "dip", "shift")
PERIODS = (8, 10, 12, 16, 20, 24, 32)
"""Seasonal periods the generator draws from (steps)."""
QUESTIONS = {
    "trend": "Is there a trend?",
    "seasonality": "Is the series seasonal?",
    "anomaly": "Is there an anomaly?",
}
"""Question kind -> the question asked; each has a short answer (:func:`answer`)."""

TEMPLATES = 3

_MAX_REDRAWS = 50


class Attributes(NamedTuple):
    """The true attributes of one series (series units where a value has units).

    Attributes:
        trend: one of :data:`TRENDS`.
        change: total rise (+) or fall (-) of the trend over the window; 0.0 when flat.
        period: seasonal period in steps; None when the series is not seasonal.
        anomaly: one of :data:`ANOMALIES`.
        position: 0-based index of the spike or dip, or of the first shifted step; None for "none".
        noise: standard deviation of the added white noise.
    """

    trend: str
    change: float
    period: int | None
    anomaly: str
    position: int | None
    noise: float


class Stated(NamedTuple):
    """What a caption or answer states; None wherever a field is absent or could not be parsed."""

    trend: str | None = None
    change: float | None = None  # signed, from the direction words
    seasonal: bool | None = None
    period: int | None = None
    anomaly: str | None = None
    position: int | None = None


class SimulatedSeries(NamedTuple):
    """Generated series: ``series`` (S, T) float32, their ``attributes``, and ``redrawn``: how many
    draws were discarded because recomputation did not recover their truth."""

    series: np.ndarray
    attributes: list[Attributes]
    redrawn: int


class CaptionScore(NamedTuple):
    """Per-attribute correctness of one caption (or answer) and its number checks."""

    trend: bool
    seasonality: bool
    anomaly_type: bool
    anomaly_position: bool
    numbers_stated: int
    numbers_recomputed: int  # stated numbers within tolerance of the recomputed value

    @property
    def attributes(self) -> bool:
        """Trend direction, seasonality, anomaly type and position all right."""
        return self.trend and self.seasonality and self.anomaly_type and self.anomaly_position

    @property
    def verified(self) -> bool:
        """All attributes right and every stated number recomputable."""
        return self.attributes and self.numbers_recomputed == self.numbers_stated


def generate(count: int, *, seed: int, length: int = 128) -> SimulatedSeries:
    """``count`` single-channel series with known attributes; the same seed gives the same series.

    Trend, seasonality (probability 1/2) and anomaly type are drawn uniformly; magnitudes in units of
    the unit-scale signal: |change| in [1.5, 4], season amplitude in [0.6, 1.5], spike/dip height in
    [2.5, 4] at a position in [8, T - 8), level shift of +-[1.5, 2.5] from a position in [16, T - 16),
    noise sigma in [0.05, 0.25]; then a random offset in [-10, 10] and scale in [0.5, 5] (log-uniform).

    Raises:
        ValueError: ``count`` < 1 or ``length`` < 64 (the period grid needs two cycles of 32 steps).
    """
    if count < 1 or length < 64:
        raise ValueError(f"`count` must be >= 1 and `length` >= 64, got count={count}, length={length}")
    rng = np.random.default_rng(seed)
    series = np.empty((count, length), dtype=np.float32)
    attributes, redrawn = [], 0
    for i in range(count):
        for _ in range(_MAX_REDRAWS):
            values, truth = _draw(rng, length)
            if _recovered(measure(values), truth):
                break
            redrawn += 1
        else:  # pragma: no cover - the margins make this practically impossible
            raise RuntimeError(f"no verifiable series after {_MAX_REDRAWS} draws (seed {seed}, item {i})")
        series[i] = values
        attributes.append(truth)
    return SimulatedSeries(series, attributes, redrawn)


def _draw(rng: np.random.Generator, length: int) -> tuple[np.ndarray, Attributes]:
    t = np.linspace(0.0, 1.0, length)
    trend = TRENDS[int(rng.integers(3))]
    change = 0.0 if trend == "flat" else rng.uniform(1.5, 4.0) * (1.0 if trend == "up" else -1.0)
    y = change * t
    period = int(rng.choice(PERIODS)) if rng.random() < 0.5 else None
    if period is not None:
        y = y + rng.uniform(0.6, 1.5) * np.sin(
            2 * np.pi * np.arange(length) / period + rng.uniform(0, 2 * np.pi)
        )
    anomaly = ANOMALIES[int(rng.integers(4))]
    position = None
    if anomaly in ("spike", "dip"):
        position = int(rng.integers(8, length - 8))
        y[position] += rng.uniform(2.5, 4.0) * (1.0 if anomaly == "spike" else -1.0)
    elif anomaly == "shift":
        position = int(rng.integers(16, length - 16))
        y[position:] += rng.uniform(1.5, 2.5) * rng.choice((-1.0, 1.0))
    noise = rng.uniform(0.05, 0.25)
    scale = float(np.exp(rng.uniform(np.log(0.5), np.log(5.0))))
    values = (rng.uniform(-10, 10) + scale * (y + noise * rng.standard_normal(length))).astype(np.float32)
    return values, Attributes(trend, float(change * scale), period, anomaly, position, float(noise * scale))


def transform(series: np.ndarray, attributes: Attributes, *, scale: float = 1.0, offset: float = 0.0,
              negate: bool = False, reverse: bool = False) -> tuple[np.ndarray, Attributes]:  # fmt: skip
    """An attribute-preserving augmentation: ``offset + scale * (-)series``, optionally time-reversed.

    Negation turns up into down and a spike into a dip; reversal turns up into down, moves a spike
    or dip at p to T - 1 - p and a level shift at p (first shifted step) to T - p.

    Args:
        series: (T,) values.
        attributes: their true attributes.
        scale: > 0.

    Returns:
        The new (T,) float32 series and its attributes.
    """
    if not scale > 0:
        raise ValueError(f"`scale` must be > 0, got {scale}")
    flip = -1.0 if negate != reverse else 1.0  # each of negation and reversal flips the trend's sign
    values = (-1.0 if negate else 1.0) * np.asarray(series, dtype=np.float64)
    values = offset + scale * (values[::-1] if reverse else values)
    trend = {"up": "down", "down": "up", "flat": "flat"}[attributes.trend] if flip < 0 else attributes.trend
    anomaly, position = attributes.anomaly, attributes.position
    if negate and anomaly in ("spike", "dip"):
        anomaly = "dip" if anomaly == "spike" else "spike"
    if reverse and position is not None:
        position = values.size - position - (1 if anomaly in ("spike", "dip") else 0)
    changed = Attributes(trend, flip * scale * attributes.change, attributes.period, anomaly, position,
                         scale * attributes.noise)  # fmt: skip
    return values.astype(np.float32), changed


def _recovered(m: Measured, truth: Attributes) -> bool:
    return (
        m.trend == truth.trend
        and (truth.trend == "flat" or change_ok(truth.change, m.change))
        and (m.period is None) == (truth.period is None)
        and (truth.period is None or period_ok(truth.period, m.period))
        and m.anomaly == truth.anomaly
        and (truth.position is None or position_ok(truth.position, m.position))
    )


# --- captions and answers --------------------------------------------------------------------------


def format_change(value: float) -> str:
    """Magnitude with two significant digits at most: 12, 3.5, 0.8."""
    magnitude = abs(value)
    return f"{magnitude:.0f}" if magnitude >= 10 else f"{magnitude:.1f}"


_PHRASES = {  # template -> part -> wording; {c} change, {p} period, {i} position
    0: {
        "up": "upward trend, rising by {c}", "down": "downward trend, falling by {c}", "flat": "no trend",
        "season": "seasonal with period {p}", "no season": "not seasonal",
        "spike": "a spike at step {i}", "dip": "a dip at step {i}", "shift": "a level shift at step {i}",
        "none": "no anomaly", "join": "{trend}; {season}; {anomaly}.",
    },
    1: {
        "up": "rises by {c}", "down": "falls by {c}", "flat": "stays level",
        "season": "repeats every {p} steps", "no season": "has no seasonality",
        "spike": "has a spike at step {i}", "dip": "has a dip at step {i}",
        "shift": "has a level shift at step {i}", "none": "has no anomaly",
        "join": "the series {trend}, {season} and {anomaly}.",
    },
    2: {
        "up": "up by {c}", "down": "down by {c}", "flat": "none",
        "season": "period {p}", "no season": "none",
        "spike": "spike at step {i}", "dip": "dip at step {i}", "shift": "level shift at step {i}",
        "none": "none", "join": "trend: {trend}. seasonality: {season}. anomaly: {anomaly}.",
    },
}  # fmt: skip


def caption(attributes: Attributes, *, template: int = 0) -> str:
    """The caption of ``attributes`` in one of :data:`TEMPLATES` templates.

    Raises:
        ValueError: an unknown template, trend or anomaly.
    """
    if template not in _PHRASES:
        raise ValueError(f"`template` must be in [0, {TEMPLATES}), got {template}")
    if attributes.trend not in TRENDS or attributes.anomaly not in ANOMALIES:
        raise ValueError(f"unknown trend or anomaly in {attributes}; trends {TRENDS}, anomalies {ANOMALIES}")
    words = _PHRASES[template]
    values = {"c": format_change(attributes.change), "p": attributes.period, "i": attributes.position}
    text = words["join"].format(
        trend=words[attributes.trend].format(**values),
        season=words["season" if attributes.period is not None else "no season"].format(**values),
        anomaly=words[attributes.anomaly].format(**values),
    )
    return text[0].upper() + text[1:]


def answer(attributes: Attributes, kind: str) -> str:
    """The short answer to the question of ``kind`` (a key of :data:`QUESTIONS`)."""
    a = attributes
    if kind == "trend":
        return "No trend." if a.trend == "flat" else f"Yes, {'upward' if a.trend == 'up' else 'downward'}."
    if kind == "seasonality":
        return "No." if a.period is None else f"Yes, period {a.period}."
    if kind == "anomaly":
        return "No." if a.anomaly == "none" else f"Yes, {_PHRASES[0][a.anomaly].format(i=a.position)}."
    raise ValueError(f"unknown question kind {kind!r}; choose one of {list(QUESTIONS)}")


_NUMBER = r"(\d+(?:\.\d+)?)"
_UP = re.compile(r"\b(upward|rising|rises|increasing|up)\b")
_DOWN = re.compile(r"\b(downward|falling|falls|decreasing|down)\b")
_FLAT = re.compile(r"\bno trend\b|\bstays level\b|\bflat\b|trend: none")
_CHANGE = re.compile(r"\bby " + _NUMBER)
_NOT_SEASONAL = re.compile(r"not seasonal|no seasonality|non-seasonal|seasonality: none")
_SEASONAL = re.compile(r"seasonal|repeats|period|cycle")
_PERIOD = re.compile(r"(?:period(?: of)?|every) (\d+)")
_NO_ANOMALY = re.compile(r"no anomal|anomaly: none")
_KINDS = {"spike": re.compile(r"\bspike"), "dip": re.compile(r"\bdip\b"), "shift": re.compile(r"\bshift")}
_POSITION = re.compile(r"\b(?:at|from) (?:step |index )?(\d+)")


def _one_of(options: dict[str, bool]) -> str | None:
    hits = [name for name, hit in options.items() if hit]
    return hits[0] if len(hits) == 1 else None


def parse_caption(text: str) -> Stated:
    """The attributes ``text`` states, tolerant of case, word order and small wording changes.

    A field stated in contradicting ways (both "upward" and "downward") is None, like one not stated.
    """
    low = " ".join(text.lower().split())
    trend = _one_of(
        {"flat": bool(_FLAT.search(low)), "up": bool(_UP.search(low)), "down": bool(_DOWN.search(low))}
    )
    by = _CHANGE.search(low)
    change = None
    if trend in ("up", "down") and by is not None:
        change = float(by.group(1)) * (1.0 if trend == "up" else -1.0)
    period_match = _PERIOD.search(low)
    seasonal: bool | None = None
    if _NOT_SEASONAL.search(low):
        seasonal = None if period_match else False
    elif _SEASONAL.search(low):
        seasonal = True
    period = int(period_match.group(1)) if period_match and seasonal else None
    kinds = {k: bool(p.search(low)) for k, p in _KINDS.items()} | {"none": bool(_NO_ANOMALY.search(low))}
    anomaly = _one_of(kinds)
    where = _POSITION.search(low)
    position = int(where.group(1)) if where and anomaly not in (None, "none") else None
    return Stated(trend, change, seasonal, period, anomaly, position)


def parse_answer(text: str, kind: str) -> Stated:
    """What an answer to the question of ``kind`` states; a plain "no" is the negative of that kind."""
    if kind not in QUESTIONS:
        raise ValueError(f"unknown question kind {kind!r}; choose one of {list(QUESTIONS)}")
    stated = parse_caption(text)
    if not re.match(r"\s*no\b", text.lower()):
        return stated
    if kind == "trend":
        return stated._replace(trend="flat")
    if kind == "seasonality":
        return stated._replace(seasonal=False)
    return stated._replace(anomaly="none")


def score_stated(stated: Stated, truth: Attributes, measured: Measured) -> CaptionScore:
    """Correctness of each stated attribute against ``truth``; stated numbers against ``measured``."""
    checks = []
    if stated.change is not None:
        checks.append(change_ok(stated.change, measured.change) and measured.trend != "flat")
    if stated.period is not None:
        checks.append(period_ok(stated.period, measured.period))
    if stated.position is not None:
        checks.append(position_ok(stated.position, measured.position))
    true_position = (
        stated.anomaly == "none" if truth.position is None else stated.position is not None
        and position_ok(stated.position, truth.position)
    )  # fmt: skip
    return CaptionScore(
        trend=stated.trend == truth.trend,
        seasonality=stated.seasonal is not None and stated.seasonal == (truth.period is not None),
        anomaly_type=stated.anomaly == truth.anomaly,
        anomaly_position=bool(true_position),
        numbers_stated=len(checks),
        numbers_recomputed=sum(checks),
    )


def score_caption(
    text: str, truth: Attributes, series: np.ndarray, *, measured: Measured | None = None
) -> CaptionScore:
    """Parse ``text`` and score it (:func:`score_stated`); ``measured`` saves recomputing ``series``."""
    return score_stated(parse_caption(text), truth, measured if measured is not None else measure(series))


def answer_correct(text: str, kind: str, truth: Attributes, measured: Measured) -> bool:
    """An answer is right when the attribute asked about is right and its stated numbers recompute."""
    score = score_stated(parse_answer(text, kind), truth, measured)
    asked = {
        "trend": score.trend,
        "seasonality": score.seasonality,
        "anomaly": score.anomaly_type and score.anomaly_position,
    }[kind]
    return asked and score.numbers_recomputed == score.numbers_stated
