"""One schema for linked multimodal maintenance data.

Five record kinds, linked by ``asset_id``, time and codes:

- :class:`Asset`: one row of the asset register (type, model, site, free attributes);
- :class:`Series`: a multichannel sensor history with timestamps, NaN for missing values
  and an ``observed`` mask, plus optional per-step label arrays (anomaly, fault id, RUL, ...);
- :class:`Event`: something that happened over a time span (fault, alarm, anomaly, work order);
- :class:`Document`: text with structured fields (work orders, FMEA rows, QA items, notes);
- :class:`Drawing`: an image file plus metadata (title block, annotated boxes).

:class:`MaintenanceData` holds any subset of them; a missing modality is an empty tuple.
Axis names: T time steps, C channels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

EVENT_KINDS = ("fault", "alarm", "anomaly", "work_order", "failure", "maintenance", "other")
DOCUMENT_KINDS = ("work_order", "fmea", "qa", "text", "annotation", "catalogue", "scenario")


@dataclass(frozen=True)
class Asset:
    """One asset of the register. ``attributes`` holds every further column (numbers or text)."""

    asset_id: str
    asset_type: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.asset_id:
            raise ValueError("`asset_id` must be a non-empty string")


@dataclass(frozen=True, eq=False)
class Series:
    """A multichannel series of one asset.

    Attributes:
        series_id: unique within a data set.
        asset_id: the asset it belongs to ("" when unknown).
        time: (T,) datetime64[ns] timestamps or int64 step indices (cycles, samples), increasing.
        values: (T, C) float32, NaN where not observed.
        channels: C channel names.
        observed: (T, C) bool, True where ``values`` holds a real reading.
        labels: named per-step arrays of shape (T,) (for example ``anomaly``, ``fault``, ``rul``).
        meta: free metadata (split, fault id, source file, ...).
    """

    series_id: str
    asset_id: str
    time: np.ndarray
    values: np.ndarray
    channels: tuple[str, ...]
    observed: np.ndarray
    labels: Mapping[str, np.ndarray] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(
                f"`values` of series {self.series_id!r} must be (time, channels), "
                f"got shape {self.values.shape}"
            )
        T, C = self.values.shape
        if self.time.shape != (T,):
            raise ValueError(
                f"`time` of series {self.series_id!r} must have shape ({T},), got {self.time.shape}"
            )
        if len(self.channels) != C:
            raise ValueError(
                f"series {self.series_id!r} has {C} value columns but {len(self.channels)} channel names"
            )
        if self.observed.shape != (T, C) or self.observed.dtype != np.bool_:
            raise ValueError(
                f"`observed` of series {self.series_id!r} must be bool with shape ({T}, {C}), "
                f"got {self.observed.dtype} {self.observed.shape}"
            )
        for name, arr in self.labels.items():
            if arr.shape != (T,):
                raise ValueError(
                    f"label {name!r} of series {self.series_id!r} must have shape ({T},), got {arr.shape}"
                )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        series_id: str,
        asset_id: str = "",
        time: np.ndarray | None = None,
        labels: Mapping[str, np.ndarray] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Series:
        """Build a series from numeric channel columns; NaN marks missing readings."""
        values = frame.to_numpy(dtype=np.float32, na_value=np.nan)
        t = np.arange(len(frame), dtype=np.int64) if time is None else np.asarray(time)
        return cls(
            series_id=series_id,
            asset_id=asset_id,
            time=t,
            values=values,
            channels=tuple(str(c) for c in frame.columns),
            observed=~np.isnan(values),
            labels=dict(labels or {}),
            meta=dict(meta or {}),
        )

    @property
    def length(self) -> int:
        return int(self.values.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """The series as a frame indexed by time, one column per channel, then the label columns."""
        frame = pd.DataFrame(self.values, columns=list(self.channels), index=pd.Index(self.time, name="time"))
        for name, arr in self.labels.items():
            frame[name] = arr
        return frame


class TimeGaps(NamedTuple):
    """The gaps of a time column (:func:`time_gaps`)."""

    number: int  # how many gaps
    widest: int  # the widest gap lies between rows ``widest`` and ``widest + 1`` (from 0)
    widest_seconds: float
    usual_seconds: float  # the median step


GAP_FACTOR = 3
"""A step between rows this many times the usual one (the median) is a gap in time."""


def time_gaps(time: np.ndarray, factor: float) -> TimeGaps | None:
    """The steps between consecutive timestamps longer than ``factor`` times the median step; None
    when there is none, or when ``time`` holds step numbers rather than timestamps. Models read rows,
    not clock time, so the rows either side of a gap are read as neighbours."""
    if len(time) < 3 or not np.issubdtype(time.dtype, np.datetime64):
        return None
    steps = np.diff(time).astype("timedelta64[s]").astype(np.float64)
    usual = float(np.median(steps))
    gaps = np.flatnonzero(steps > factor * usual) if usual > 0 else np.array([], dtype=int)
    if not gaps.size:
        return None
    widest = int(gaps[np.argmax(steps[gaps])])
    return TimeGaps(int(gaps.size), widest, float(steps[widest]), usual)


def fill_gaps(series: Series, factor: float, *, most: float = 1.0) -> tuple[Series, np.ndarray]:
    """``series`` with empty rows (NaN, not observed) at its usual step inside each gap of
    :func:`time_gaps`, so that models that read rows see the time that passed, and a mask of the
    rows that came from ``series``. Unchanged when there is no gap, or when filling would add more
    than ``most`` times the rows it has (a gap of months in minute data)."""
    gaps = time_gaps(series.time, factor)
    kept = np.ones(series.length, dtype=bool)
    if gaps is None:
        return series, kept
    step = np.timedelta64(round(gaps.usual_seconds * 1e9), "ns")
    time = series.time.astype("datetime64[ns]")
    steps = np.diff(time)
    added = [
        np.arange(time[i] + step, time[i + 1] - step // 2, step)
        for i in np.flatnonzero(steps > factor * step)
    ]
    count = sum(len(a) for a in added)
    if not count or count > most * series.length:
        return series, kept
    new_time = np.concatenate([time, *added])
    order = np.argsort(new_time, kind="stable")
    width = series.values.shape[1]
    values = np.concatenate([series.values, np.full((count, width), np.nan, dtype=series.values.dtype)])[
        order
    ]
    observed = np.concatenate([series.observed, np.zeros((count, width), dtype=bool)])[order]
    labels = {
        k: np.concatenate([v, np.full(count, "" if v.dtype == object else 0, dtype=v.dtype)])[order]
        for k, v in series.labels.items()
    }
    filled = dataclasses.replace(
        series, time=new_time[order], values=values, observed=observed, labels=labels
    )
    return filled, np.concatenate([kept, np.zeros(count, dtype=bool)])[order]


@dataclass(frozen=True)
class Event:
    """Something that happened to an asset over ``[start, end]`` (``end`` may equal ``start``)."""

    event_id: str
    asset_id: str
    kind: str
    label: str
    start: pd.Timestamp | int | None = None
    end: pd.Timestamp | int | None = None
    channels: tuple[str, ...] = ()
    severity: float | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(
                f"event {self.event_id!r}: `kind` must be one of {EVENT_KINDS}, got {self.kind!r}"
            )


@dataclass(frozen=True)
class Document:
    """A text record. ``fields`` keeps the structured columns (codes, costs, labels, splits)."""

    doc_id: str
    kind: str
    text: str
    asset_id: str = ""
    time: pd.Timestamp | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in DOCUMENT_KINDS:
            raise ValueError(
                f"document {self.doc_id!r}: `kind` must be one of {DOCUMENT_KINDS}, got {self.kind!r}"
            )


@dataclass(frozen=True)
class Drawing:
    """A technical drawing: an image on disk plus what is known about it.

    ``boxes`` are annotated regions: each a mapping with ``text`` and ``box`` [x1, y1, x2, y2] in pixels.
    """

    drawing_id: str
    path: Path
    asset_id: str = ""
    width: int | None = None
    height: int | None = None
    title_block: Mapping[str, str] = field(default_factory=dict)
    boxes: tuple[Mapping[str, Any], ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MaintenanceData:
    """Any subset of the five modalities of one data set, linked by ``asset_id``."""

    name: str
    assets: tuple[Asset, ...] = ()
    series: tuple[Series, ...] = ()
    events: tuple[Event, ...] = ()
    documents: tuple[Document, ...] = ()
    drawings: tuple[Drawing, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Record counts per modality, plus total series time steps."""
        return {
            "assets": len(self.assets),
            "series": len(self.series),
            "series_steps": sum(s.length for s in self.series),
            "events": len(self.events),
            "documents": len(self.documents),
            "drawings": len(self.drawings),
        }

    def modalities(self) -> list[str]:
        """The modalities present, in the order of the schema."""
        present = {
            "table": self.assets,
            "timeseries": self.series,
            "events": self.events,
            "text": self.documents,
            "drawing": self.drawings,
        }
        return [name for name, records in present.items() if records]

    def replace(self, **changes: Any) -> MaintenanceData:
        return dataclasses.replace(self, **changes)

    def assets_frame(self) -> pd.DataFrame:
        """The asset register as a table, one row per asset."""
        rows = [{"asset_id": a.asset_id, "asset_type": a.asset_type, **a.attributes} for a in self.assets]
        return pd.DataFrame(rows)

    def events_frame(self) -> pd.DataFrame:
        rows = [
            {
                "event_id": e.event_id,
                "asset_id": e.asset_id,
                "kind": e.kind,
                "label": e.label,
                "start": e.start,
                "end": e.end,
                "channels": ",".join(e.channels),
                "severity": e.severity,
                **e.fields,
            }
            for e in self.events
        ]
        return pd.DataFrame(rows)

    def documents_frame(self) -> pd.DataFrame:
        rows = [
            {
                "doc_id": d.doc_id,
                "kind": d.kind,
                "asset_id": d.asset_id,
                "time": d.time,
                "text": d.text,
                **d.fields,
            }
            for d in self.documents
        ]
        return pd.DataFrame(rows)
