"""Series-caption pairs generated from known attributes, as ChatTS does with synthetic data.

Each sample is a multichannel window of autocorrelated noise in which zero, one or two *events*
are injected, each into one named channel from an onset inside the window: a step (level shift),
a slow drift (trend), random variation (a noise burst), an oscillation (seasonality), a sticking
valve (stair steps), a stuck signal (flat line) or spikes. The caption states every event and the
channel it hits, from a few templates, so the text is true by construction.

Events start inside the window on purpose: the series encoder normalises each window and channel
on its own (RevIN), so a change that began before the window is invisible to it; only the
contrast between before and after the onset can be described.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

EVENT_PHRASES = {
    "step": "a step change",
    "drift": "a slow drift",
    "random": "random variation",
    "oscillation": "an oscillation",
    "sticking": "a sticking stair-step pattern",
    "stuck": "a stuck flat signal",
    "spikes": "sudden spikes",
}
"""Event kind -> the phrase captions use for it."""

EVENT_KINDS = tuple(EVENT_PHRASES)
NORMAL_CAPTION = "normal operation: every sensor steady with only noise, no change"

_TEMPLATES = ("{events}.", "the window shows {events}.", "midway there is {events}.")


class Event(NamedTuple):
    """One injected change: its kind (a key of EVENT_PHRASES) and the channel index it hits."""

    kind: str
    channel: int


class CaptionedSeries(NamedTuple):
    """Generated pairs.

    Attributes:
        series: (S, T, C) float32 windows.
        captions: S captions, one per window.
        events: S tuples of the events injected into each window (empty: normal operation).
    """

    series: np.ndarray
    captions: list[str]
    events: list[tuple[Event, ...]]


def describe(events: Sequence[Event], channel_names: Sequence[str], *, template: int = 0) -> str:
    """The caption of ``events``: each event's phrase and channel name, joined by "and".

    Args:
        events: the events of one window; empty means normal operation.
        channel_names: name of each channel index.
        template: which of the caption templates to use, in [0, 3).

    Raises:
        ValueError: an unknown event kind, a channel without a name, or an unknown template.
    """
    if not 0 <= template < len(_TEMPLATES):
        raise ValueError(f"`template` must be in [0, {len(_TEMPLATES)}), got {template}")
    if not events:
        return NORMAL_CAPTION
    parts = []
    for event in events:
        if event.kind not in EVENT_PHRASES:
            raise ValueError(f"unknown event kind {event.kind!r}; choose one of {list(EVENT_KINDS)}")
        if not 0 <= event.channel < len(channel_names):
            raise ValueError(f"event channel {event.channel} has no name: {len(channel_names)} names given")
        parts.append(f"{EVENT_PHRASES[event.kind]} in {channel_names[event.channel]}")
    return _TEMPLATES[template].format(events=" and ".join(parts))


def inject(x: np.ndarray, kind: str, onset: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of the unit-scale channel ``x`` (T,) with one event of ``kind`` from step ``onset``.

    Magnitudes are in units of the channel's noise, large enough to survive per-window scaling.
    """
    y = x.astype(np.float64).copy()
    T = y.size
    after = np.arange(T) >= onset
    span = np.arange(T - onset, dtype=np.float64)  # steps since onset
    sign = rng.choice((-1.0, 1.0))
    if kind == "step":
        y[after] += sign * rng.uniform(2.5, 4.0)
    elif kind == "drift":
        y[after] += sign * rng.uniform(3.0, 5.0) * span / max(1, T - onset - 1)
    elif kind == "random":
        y[after] *= rng.uniform(3.0, 5.0)
    elif kind == "oscillation":
        period = rng.uniform(3.0, 8.0)
        y[after] += rng.uniform(2.0, 3.0) * np.sin(2 * np.pi * span / period + rng.uniform(0, 2 * np.pi))
    elif kind == "sticking":
        # Stick-slip: the valve holds its position, then jumps to where the controller drove it.
        drive = y[after] + 3.0 * np.sin(2 * np.pi * span / rng.uniform(8.0, 16.0))
        hold = rng.integers(3, 6)
        y[after] = drive[(np.arange(span.size) // hold) * hold]
    elif kind == "stuck":
        y[after] = y[onset]
    elif kind == "spikes":
        where = rng.choice(
            np.flatnonzero(after), size=min(int(after.sum()), int(rng.integers(2, 4))), replace=False
        )
        y[where] += rng.choice((-1.0, 1.0), size=where.size) * rng.uniform(5.0, 8.0, size=where.size)
    else:
        raise ValueError(f"unknown event kind {kind!r}; choose one of {list(EVENT_KINDS)}")
    return y


def make_pairs(
    count: int,
    *,
    length: int,
    channel_names: Sequence[str],
    seed: int,
    max_events: int = 2,
    normal_share: float = 0.1,
) -> CaptionedSeries:
    """``count`` windows with known events and their captions; the same seed gives the same pairs.

    Args:
        count: S, windows to generate.
        length: T, steps per window (>= 8, so that an onset has room before and after).
        channel_names: C channel names; events hit distinct channels.
        seed: seeds the generator.
        max_events: at most this many events per window (at least one unless normal).
        normal_share: share of windows without any event.

    Raises:
        ValueError: a count, length or share out of range, or more events than channels.
    """
    problems = []
    if count < 1:
        problems.append(f"`count` must be >= 1, got {count}")
    if length < 8:
        problems.append(f"`length` must be >= 8, got {length}")
    if not 1 <= max_events <= len(channel_names):
        problems.append(f"`max_events` must be in [1, channels={len(channel_names)}], got {max_events}")
    if not 0.0 <= normal_share <= 1.0:
        problems.append(f"`normal_share` must be in [0, 1], got {normal_share}")
    if problems:
        raise ValueError("; ".join(problems))
    rng = np.random.default_rng(seed)
    C = len(channel_names)
    series = np.empty((count, length, C), dtype=np.float32)
    captions, all_events = [], []
    for s in range(count):
        # AR(1) noise with a per-channel memory: real sensors are rarely white.
        phi = rng.uniform(0.0, 0.8, size=C)
        noise = rng.standard_normal((length, C))
        x = np.empty((length, C))
        x[0] = noise[0]
        for t in range(1, length):
            x[t] = phi * x[t - 1] + np.sqrt(1 - phi**2) * noise[t]
        num = 0 if rng.random() < normal_share else int(rng.integers(1, max_events + 1))
        channels = rng.choice(C, size=num, replace=False)
        events = tuple(Event(str(rng.choice(EVENT_KINDS)), int(c)) for c in channels)
        for event in events:
            onset = int(rng.integers(int(0.25 * length), int(0.6 * length) + 1))
            x[:, event.channel] = inject(x[:, event.channel], event.kind, onset, rng)
        # Random levels and scales per channel: RevIN must remove them, captions never mention them.
        series[s] = (x * rng.uniform(0.5, 5.0, size=C) + rng.normal(0.0, 10.0, size=C)).astype(np.float32)
        captions.append(describe(events, channel_names, template=int(rng.integers(len(_TEMPLATES)))))
        all_events.append(events)
    return CaptionedSeries(series, captions, all_events)
