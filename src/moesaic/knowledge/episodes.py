"""Similar past episodes: which labelled faults looked like this window of an asset's sensors?

Representation (simple, deterministic, no training). Each channel of an asset is first put on a
robust scale of its *whole* stored history, ``z = (x - median) / IQR`` (IQR 0 is read as 1), so a
pump's bar and a fan's mm/s compare. A window is then described per channel by four numbers of
its z values: median, IQR, slope per window length (least squares over time scaled to [0, 1]),
and the largest ``|z|``. Two windows are compared on the channels they share by name: the
distance is the root mean square difference over those channels' features. Channels without
readings in a window are left out; episodes sharing no channel with the query are skipped.

Episodes are the events of kind ``fault`` or ``failure`` (by default) with at least two readings
in their ``[start, end]`` window; with ``before_only`` only those ending before the query window
starts count, and events overlapping the query window on the same asset never do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from moesaic.data.schema import Event, Series
from moesaic.knowledge.records import store_time

FEATURES = ("median", "iqr", "slope", "peak")


class EpisodeSource(Protocol):
    """What :func:`similar_episodes` reads; :class:`moesaic.knowledge.KnowledgeBase` is one."""

    def resolve_asset(self, asset_id: str) -> str: ...

    # Any: bases indexed by timestamps only (pd.Timestamp | None) qualify too.
    def series(
        self, *, asset_id: str | None = None, start: Any = None, end: Any = None
    ) -> tuple[Series, ...]: ...

    def events(self, *, asset_id: str | None = None, kind: str | None = None) -> tuple[Event, ...]: ...


class EpisodeMatch(NamedTuple):
    event_id: str  # the event's key in the base
    asset_id: str  # its asset key
    label: str  # the fault type or failure label
    start: pd.Timestamp | int | None
    end: pd.Timestamp | int | None
    distance: float  # RMS feature difference over the shared channels (0 = identical)
    channels: tuple[str, ...]  # the channels compared


class Scale(NamedTuple):
    median: float
    iqr: float


def robust_scales(series: Sequence[Series]) -> dict[str, Scale]:
    """Median and IQR of every channel over the given (whole) series; IQR 0 becomes 1."""
    scales: dict[str, Scale] = {}
    for s in series:
        for c, name in enumerate(s.channels):
            column = s.values[s.observed[:, c], c]
            if column.size:
                q1, median, q3 = np.quantile(column, [0.25, 0.5, 0.75])
                scales[name] = Scale(float(median), float(q3 - q1) or 1.0)
    return scales


def window_features(series: Sequence[Series], scales: Mapping[str, Scale]) -> dict[str, np.ndarray]:
    """{channel: (4,) median, IQR, slope, peak |z|} of already cut windows, channels with >= 2 readings."""
    features: dict[str, np.ndarray] = {}
    for s in series:
        position = np.linspace(0.0, 1.0, s.length) if s.length > 1 else np.zeros(s.length)
        for c, name in enumerate(s.channels):
            seen = s.observed[:, c]
            if seen.sum() < 2 or name not in scales:
                continue
            z = (s.values[seen, c].astype(np.float64) - scales[name].median) / scales[name].iqr
            t = position[seen]
            q1, median, q3 = np.quantile(z, [0.25, 0.5, 0.75])
            spread = t - t.mean()
            slope = float((spread * (z - z.mean())).sum() / (spread**2).sum()) if np.any(spread) else 0.0
            features[name] = np.array([median, q3 - q1, slope, np.abs(z).max()])
    return features


def _distance(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> tuple[float, tuple[str, ...]]:
    shared = tuple(sorted(set(a) & set(b)))
    if not shared:
        return float("inf"), shared
    diff = np.stack([a[c] - b[c] for c in shared])  # (channels, 4)
    return float(np.sqrt(np.mean(diff**2))), shared


def similar_episodes(
    kb: EpisodeSource,
    asset_id: str,
    start: pd.Timestamp | int,
    end: pd.Timestamp | int,
    k: int = 5,
    *,
    kinds: Sequence[str] = ("fault", "failure"),
    before_only: bool = True,
) -> list[EpisodeMatch]:
    """The ``k`` labelled episodes nearest to the window ``[start, end]`` of ``asset_id``, nearest first.

    Raises:
        UnknownIdError: no record is of ``asset_id``.
        ValueError: ``k`` < 1, ``end`` before ``start``, or no readings of the asset in the window.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be an integer >= 1, got {k!r}")
    lo, hi = store_time(start), store_time(end)
    if lo.value is None or hi.value is None or hi.value < lo.value:
        raise ValueError(f"expected a window with start <= end, got start={start!r}, end={end!r}")
    key = kb.resolve_asset(asset_id)
    scale_cache: dict[str, dict[str, Scale]] = {}

    def scales(asset: str) -> dict[str, Scale]:
        if asset not in scale_cache:
            scale_cache[asset] = robust_scales(kb.series(asset_id=asset))
        return scale_cache[asset]

    query = window_features(kb.series(asset_id=key, start=start, end=end), scales(key))
    if not query:
        raise ValueError(f"asset {key!r} has no series with two or more readings in [{start}, {end}]")
    matches = []
    for event in _episodes(kb, kinds):
        ev_start, ev_end = (
            store_time(event.start),
            store_time(event.end if event.end is not None else event.start),
        )
        if ev_start.kind != lo.kind or ev_start.value is None or ev_end.value is None:
            continue
        overlaps = ev_start.value <= hi.value and ev_end.value >= lo.value
        if (before_only and ev_end.value >= lo.value) or (event.asset_id == key and overlaps):
            continue
        if not event.asset_id:
            continue
        found = window_features(
            kb.series(asset_id=event.asset_id, start=event.start, end=event.end), scales(event.asset_id)
        )
        distance, shared = _distance(query, found)
        if shared:
            matches.append(
                EpisodeMatch(
                    event.event_id, event.asset_id, event.label, event.start, event.end, distance, shared
                )
            )
    matches.sort(key=lambda m: (m.distance, m.event_id))
    return matches[:k]


def _episodes(kb: EpisodeSource, kinds: Sequence[str]) -> list[Event]:
    return [e for kind in kinds for e in kb.events(kind=kind)]
