"""What a diagnosis reads: the part of the knowledge-base interface it needs, and an in-memory one.

:class:`EvidenceBase` is the protocol; :class:`moesaic.knowledge.KnowledgeBase` satisfies it, and so does
:class:`MemoryBase`, which wraps one :class:`MaintenanceData` (tests, benchmarks, and plants that
were never ingested). Record tables are ``assets``, ``series``, ``events``, ``documents`` and
``drawings``, as in the knowledge base.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from moesaic.data.schema import Asset, Document, Drawing, Event, MaintenanceData, Series
from moesaic.knowledge.links import identifiers_in

TABLES = ("assets", "series", "events", "documents", "drawings")


class EvidenceBase(Protocol):
    """The read-only queries of the knowledge base that evidence and verification use."""

    def assets(self) -> tuple[Asset, ...]: ...

    def resolve_asset(self, asset_id: str) -> str: ...

    def series(
        self,
        *,
        asset_id: str | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> tuple[Series, ...]: ...

    def asset_data(
        self, asset_id: str, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
    ) -> MaintenanceData: ...

    def documents(self, *, kind: str | None = None, asset_id: str | None = None) -> tuple[Document, ...]: ...

    def events(self, *, asset_id: str | None = None, kind: str | None = None) -> tuple[Event, ...]: ...

    def drawings(self, *, asset_id: str | None = None) -> tuple[Drawing, ...]: ...

    def record(self, table: str, record_id: str) -> Mapping[str, Any] | None: ...

    def identifier_exists(self, token: str) -> bool: ...


def _overlaps(event: Event, start: pd.Timestamp | None, end: pd.Timestamp | None) -> bool:
    if event.start is None:
        return start is None and end is None
    first = pd.Timestamp(event.start)
    last = pd.Timestamp(event.end) if event.end is not None else first
    return (end is None or first <= end) and (start is None or last >= start)


def record_strings(value: Any) -> list[str]:
    """Every string inside a record's ``value``, however deep in mappings and lists (a drawing's
    parts list is a list of mappings)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in record_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in record_strings(v)]
    return []


def _serves(drawing: Drawing, asset_id: str) -> bool:
    """Whether ``drawing`` is of ``asset_id``: its own asset, or one of its ``asset_ids``."""
    return drawing.asset_id == asset_id or asset_id in list(drawing.fields.get("asset_ids", []) or [])


def _cut(series: Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Series:
    time = series.time
    keep = np.ones(time.shape, dtype=bool)
    if start is not None:
        keep &= time >= np.datetime64(pd.Timestamp(start))
    if end is not None:
        keep &= time <= np.datetime64(pd.Timestamp(end))
    return Series(
        series_id=series.series_id,
        asset_id=series.asset_id,
        time=time[keep],
        values=series.values[keep],
        channels=series.channels,
        observed=series.observed[keep],
        labels={k: v[keep] for k, v in series.labels.items()},
        meta=series.meta,
    )


class MemoryBase:
    """The :class:`EvidenceBase` queries answered from one :class:`MaintenanceData` in memory.

    Args:
        data: the records; series must have datetime64 time stamps to be cut by time.
    """

    def __init__(self, data: MaintenanceData) -> None:
        self.data = data
        self._assets = {a.asset_id: a for a in data.assets}
        # The schema's own frames give the rows of the record tables, as the knowledge base stores them.
        frames = {
            "assets": (data.assets_frame(), "asset_id"),
            "events": (data.events_frame(), "event_id"),
            "documents": (data.documents_frame(), "doc_id"),
        }
        self._records: dict[str, dict[str, Mapping[str, Any]]] = {
            table: {str(row[key]): {str(k): v for k, v in row.items()} for row in frame.to_dict("records")}
            if len(frame)
            else {}
            for table, (frame, key) in frames.items()
        }
        self._records["series"] = {
            s.series_id: {"series_id": s.series_id, "asset_id": s.asset_id, "channels": list(s.channels)}
            for s in data.series
        }
        self._records["drawings"] = {
            d.drawing_id: {"drawing_id": d.drawing_id, "asset_id": d.asset_id, **d.title_block, **d.fields}
            for d in data.drawings
        }
        tokens: set[str] = set()
        for rows in self._records.values():
            for record_id, row in rows.items():
                tokens.add(record_id)
                for value in record_strings(row):
                    tokens.add(value)
                    tokens.update(identifiers_in(value))
        self._tokens = {t.casefold() for t in tokens if t}

    def assets(self) -> tuple[Asset, ...]:
        return self.data.assets

    def resolve_asset(self, asset_id: str) -> str:
        if asset_id not in self._assets:
            sample = sorted(self._assets)[:5]
            raise KeyError(
                f"unknown asset {asset_id!r}; the base holds {len(self._assets)} assets, e.g. {sample}"
            )
        return asset_id

    def series(
        self,
        *,
        asset_id: str | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> tuple[Series, ...]:
        return tuple(
            _cut(s, start, end) for s in self.data.series if asset_id is None or s.asset_id == asset_id
        )

    def asset_data(
        self, asset_id: str, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
    ) -> MaintenanceData:
        self.resolve_asset(asset_id)
        return MaintenanceData(
            name=self.data.name,
            assets=(self._assets[asset_id],),
            series=tuple(_cut(s, start, end) for s in self.data.series if s.asset_id == asset_id),
            events=tuple(e for e in self.data.events if e.asset_id == asset_id and _overlaps(e, start, end)),
            documents=tuple(d for d in self.data.documents if d.asset_id == asset_id),
            drawings=self.drawings(asset_id=asset_id),
        )

    def documents(self, *, kind: str | None = None, asset_id: str | None = None) -> tuple[Document, ...]:
        return tuple(
            d
            for d in self.data.documents
            if (kind is None or d.kind == kind) and (asset_id is None or d.asset_id == asset_id)
        )

    def events(self, *, asset_id: str | None = None, kind: str | None = None) -> tuple[Event, ...]:
        return tuple(
            e
            for e in self.data.events
            if (kind is None or e.kind == kind) and (asset_id is None or e.asset_id == asset_id)
        )

    def drawings(self, *, asset_id: str | None = None) -> tuple[Drawing, ...]:
        """Drawings, optionally those of one asset: its own and those that name it in ``asset_ids``."""
        return tuple(d for d in self.data.drawings if asset_id is None or _serves(d, asset_id))

    def record(self, table: str, record_id: str) -> Mapping[str, Any] | None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; choose one of {list(TABLES)}")
        return self._records[table].get(record_id)

    def identifier_exists(self, token: str) -> bool:
        return token.casefold() in self._tokens
