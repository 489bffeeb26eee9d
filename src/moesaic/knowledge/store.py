"""The knowledge base: one folder holding every record of every ingested source, linked and searchable.

Example:
    >>> with KnowledgeBase.open("kb", create=True) as kb:
    ...     kb.ingest(load_plant("plant"), source="plant")
    ...     hits = kb.search("bearing noise P-101", k=5)
    ...     window = kb.asset_data("plant:P-101", start=pd.Timestamp("2024-02-01"))

Record ids returned by the base are its keys, ``"<source>:<original id>"`` (see
:mod:`moesaic.knowledge.records`). Lookups taking an id (:meth:`KnowledgeBase.record`,
:meth:`KnowledgeBase.asset_data`, the ``asset_id`` filters) accept a key or an original id; an
original id held by several sources is an :class:`AmbiguousIdError` naming their keys.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import pandas as pd

from moesaic.data.schema import Asset, Document, Drawing, Event, MaintenanceData, Series
from moesaic.knowledge import ingest as kb_ingest
from moesaic.knowledge import search as kb_search
from moesaic.knowledge.embed import Embedder, embedder_name, make_embedder
from moesaic.knowledge.ingest import IngestReport
from moesaic.knowledge.links import LINK_KINDS
from moesaic.knowledge.parquet import read_series
from moesaic.knowledge.records import (
    load_json,
    revive_time,
    row_asset,
    row_document,
    row_drawing,
    row_event,
    store_time,
)
from moesaic.knowledge.schema import DB_FILE, RECORD_TABLES, KnowledgeBaseError, connect, record_embedder

log = logging.getLogger(__name__)

_JSON_COLUMNS = ("attributes", "channels", "labels", "meta", "fields", "title_block", "boxes")


class UnknownIdError(KeyError):
    """An id that no record of the base has."""

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousIdError(KeyError):
    """An original id held by records of several sources: pass the key instead."""

    def __str__(self) -> str:
        return str(self.args[0])


class RecordRef(NamedTuple):
    table: str
    record_id: str  # the record's key


class KnowledgeBase:
    """An embedded SQLite (FTS5) knowledge base with series values in Parquet beside it.

    Use :meth:`open`, not the constructor. Closing is explicit or by ``with``.
    """

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._connection: sqlite3.Connection | None = connection
        self._embedder: Embedder | None = None
        self._vectors: kb_search.DenseIndex | None = None

    @classmethod
    def open(cls, folder: Path | str, *, create: bool = False, embedder: str = "auto") -> KnowledgeBase:
        """Open the base in ``folder``; with ``create``, make it when missing.

        Args:
            folder: the knowledge-base folder (``kb.sqlite`` + ``series/``).
            create: create the folder and an empty base when there is none.
            embedder: for a new base, ``auto`` (MiniLM when its extra is installed, else hashing),
                ``hashing[-DIM]`` or ``minilm``. An existing base keeps the embedder it was built with.

        Raises:
            KnowledgeBaseError: no base in ``folder`` and ``create`` is False, an unreadable base, or
                an ``embedder`` other than the one the base was built with.
            ValueError: an unknown ``embedder``.
            ImportError: ``embedder="minilm"`` without its extra; the message gives the pip command.
        """
        folder = Path(folder)
        if embedder != "auto":
            embedder_name(embedder)  # an unknown or missing embedder fails before a base is created
        connection = connect(folder, create=create)
        try:
            record_embedder(connection, folder, embedder)
        except BaseException:
            connection.close()
            raise
        return cls(folder, connection)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise KnowledgeBaseError(f"{self.folder}: the knowledge base is closed")
        return self._connection

    @property
    def embedder_name(self) -> str:
        row = self.connection.execute("SELECT value FROM meta WHERE name = 'embedder'").fetchone()
        return str(row[0])

    @property
    def embedder(self) -> Embedder:
        """The embedder of this base (loaded on first use)."""
        if self._embedder is None:
            self._embedder = make_embedder(self.embedder_name)
        return self._embedder

    # ------------------------------------------------------------------ writing

    def ingest(self, data: MaintenanceData, *, source: str) -> IngestReport:
        """Store every record of ``data`` under ``source``, in one transaction (see ``ingest``)."""
        report = kb_ingest.ingest(self.connection, self.folder, self.embedder, data, source=source)
        if report.changed:
            self._vectors = None
        return report

    # ------------------------------------------------------------------ reading

    def stats(self) -> dict[str, int]:
        """Rows per table: the five record tables, ``links``, ``sources`` and ``series_steps``."""
        c = self.connection
        counts = {t: int(c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in RECORD_TABLES}
        counts["series_steps"] = int(c.execute("SELECT COALESCE(SUM(length), 0) FROM series").fetchone()[0])
        counts["links"] = int(c.execute("SELECT COUNT(*) FROM links").fetchone()[0])
        counts["sources"] = int(c.execute("SELECT COUNT(*) FROM sources").fetchone()[0])
        return counts

    def sources(self) -> dict[str, Mapping[str, Any]]:
        """Every ingested source: its data set name, origin, last ingestion time and record counts."""
        rows = self.connection.execute("SELECT source, name, origin, ingested_at, counts FROM sources")
        return {
            s: {"name": n, "origin": o, "ingested_at": t, "counts": load_json(c)} for s, n, o, t, c in rows
        }

    def size_bytes(self) -> int:
        """Bytes on disk: the database and the Parquet files."""
        files = [self.folder / DB_FILE, *self.folder.rglob("*.parquet")]
        return sum(p.stat().st_size for p in files if p.is_file())

    def _rows(self, table: str, where: str = "", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.connection.execute(f"SELECT * FROM {table} {where} ORDER BY rowid", tuple(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def resolve(self, table: str, record_id: str) -> str | None:
        """The key of ``record_id`` (a key or an original id) in ``table``, or None.

        Raises:
            AmbiguousIdError: ``record_id`` is the original id of records of several sources.
        """
        _check_table(table)
        c = self.connection
        if c.execute(f"SELECT 1 FROM {table} WHERE key = ?", (record_id,)).fetchone():
            return record_id
        keys = [k for (k,) in c.execute(f"SELECT key FROM {table} WHERE original_id = ?", (record_id,))]
        if len(keys) > 1:
            raise AmbiguousIdError(f"{table}: id {record_id!r} is held by several sources: {sorted(keys)}")
        return keys[0] if keys else None

    def record(self, table: str, record_id: str) -> Mapping[str, Any] | None:
        """One stored row with its JSON columns decoded and times revived, or None when absent."""
        key = self.resolve(table, record_id)
        if key is None:
            return None
        row = self._rows(table, "WHERE key = ?", (key,))[0]
        for name in _JSON_COLUMNS:
            if name in row:
                row[name] = load_json(row[name])
        for name in ("t_start", "t_end", "t_time"):
            if name in row:
                row[name] = revive_time(row["time_kind"], row[name])
        row["table"] = table
        return row

    def identifier_exists(self, token: str) -> bool:
        """True when ``token`` (any case) is a key, an original id, or a linked or quoted identifier.

        Linked identifiers are the failure codes, failure modes, components, part numbers, faults,
        rules and meters named in record fields; quoted ones are identifier tokens of record text.
        """
        token = token.strip()
        if not token:
            return False
        # Every record's key and original id are links of kind "id": one indexed lookup answers.
        query = "SELECT 1 FROM links WHERE value = ? COLLATE NOCASE LIMIT 1"
        return self.connection.execute(query, (token,)).fetchone() is not None

    def links(self, table: str, record_id: str) -> dict[str, list[str]]:
        """{link kind: values} of one record: ``id``, ``asset``, ``failure_code``, ``token``, ...

        Raises:
            UnknownIdError: no such record in ``table``.
        """
        key = self.resolve(table, record_id)
        if key is None:
            raise UnknownIdError(f"{table}: no record {record_id!r}")
        found: dict[str, list[str]] = {}
        query = "SELECT link, value FROM links WHERE tbl = ? AND key = ? ORDER BY link, value"
        for link, value in self.connection.execute(query, (table, key)):
            found.setdefault(link, []).append(value)
        return found

    def linked(self, link: str, value: str, *, table: str | None = None) -> list[RecordRef]:
        """The records naming ``value`` (any case) as a ``link`` (``failure_code``, ``part_number``, ...)."""
        if link not in (*LINK_KINDS, "id", "token"):
            raise ValueError(f"unknown link {link!r}; choose one of {[*LINK_KINDS, 'id', 'token']}")
        if table is not None:
            _check_table(table)
        rows = self.connection.execute(
            "SELECT tbl, key FROM links WHERE link = ? AND value = ? COLLATE NOCASE"
            + (" AND tbl = ?" if table else "")
            + " ORDER BY tbl, key",
            (link, value, table) if table else (link, value),
        )
        return [RecordRef(t, k) for t, k in rows]

    def resolve_asset(self, asset_id: str) -> str:
        """The asset key of ``asset_id``: a key, or an original id named by exactly one source.

        Raises:
            UnknownIdError: no record is of this asset.
            AmbiguousIdError: several sources have an asset with this original id.
        """
        c = self.connection
        if c.execute("SELECT 1 FROM entries WHERE asset_key = ? LIMIT 1", (asset_id,)).fetchone():
            return asset_id
        keys = sorted(
            k
            for (k,) in c.execute(
                "SELECT DISTINCT asset_key FROM entries WHERE asset_key != '' "
                "AND substr(asset_key, instr(asset_key, ':') + 1) = ?",
                (asset_id,),
            )
        )
        if len(keys) > 1:
            raise AmbiguousIdError(f"asset id {asset_id!r} is held by several sources: {keys}")
        if not keys:
            known = [k for (k,) in c.execute("SELECT key FROM assets ORDER BY rowid LIMIT 5")]
            raise UnknownIdError(
                f"unknown asset {asset_id!r}; the base holds {self.stats()['assets']} assets"
                + (f", for example {known}" if known else "")
            )
        return keys[0]

    def assets(self) -> tuple[Asset, ...]:
        """Every asset of the asset registers ingested, ids as keys."""
        return tuple(row_asset(r) for r in self._rows("assets"))

    def documents(self, *, kind: str | None = None, asset_id: str | None = None) -> tuple[Document, ...]:
        """Documents, optionally of one ``kind`` (``work_order``, ``fmea``, ...) and of one asset."""
        where, params = _filters(
            kind=kind, asset_key=None if asset_id is None else self.resolve_asset(asset_id)
        )
        return tuple(row_document(r) for r in self._rows("documents", where, params))

    def events(
        self,
        *,
        asset_id: str | None = None,
        kind: str | None = None,
        start: pd.Timestamp | int | None = None,
        end: pd.Timestamp | int | None = None,
    ) -> tuple[Event, ...]:
        """Events, optionally of one asset, one ``kind`` (``fault``, ``alarm``, ...) and overlapping a window.

        An event overlaps ``[start, end]`` when it starts no later than ``end`` and ends no earlier
        than ``start``; with a window, events without a time or with the other kind of time (steps
        vs timestamps) are left out.
        """
        asset_key = None if asset_id is None else self.resolve_asset(asset_id)
        where, params = _filters(kind=kind, asset_key=asset_key)
        lo, hi = store_time(start), store_time(end)
        if lo.kind and hi.kind and lo.kind != hi.kind:
            raise ValueError(
                f"`start` and `end` must both be timestamps or both steps, got {start!r}, {end!r}"
            )
        if lo.kind or hi.kind:
            clauses = ["time_kind = ?"] + ["t_start <= ?"] * (hi.value is not None)
            clauses += ["t_end >= ?"] * (lo.value is not None)
            where = (where + " AND " if where else "WHERE ") + " AND ".join(clauses)
            params += [lo.kind or hi.kind] + [v for v in (hi.value, lo.value) if v is not None]
        return tuple(row_event(r) for r in self._rows("events", where, params))

    def drawings(self, *, asset_id: str | None = None) -> tuple[Drawing, ...]:
        """Drawings, optionally those of one asset (its own, and those linked to it by ``asset_ids``)."""
        if asset_id is None:
            return tuple(row_drawing(r) for r in self._rows("drawings"))
        key = self.resolve_asset(asset_id)
        where = (
            "WHERE asset_key = ? OR key IN "
            "(SELECT key FROM links WHERE tbl = 'drawings' AND link = 'asset' AND value = ?)"
        )
        return tuple(row_drawing(r) for r in self._rows("drawings", where, (key, key)))

    def series(
        self,
        *,
        asset_id: str | None = None,
        start: pd.Timestamp | int | None = None,
        end: pd.Timestamp | int | None = None,
    ) -> tuple[Series, ...]:
        """Series with their values read back from Parquet, cut to ``[start, end]`` when given."""
        where, params = _filters(asset_key=None if asset_id is None else self.resolve_asset(asset_id))
        return tuple(read_series(self.folder, r, start, end) for r in self._rows("series", where, params))

    def asset_data(
        self, asset_id: str, *, start: pd.Timestamp | int | None = None, end: pd.Timestamp | int | None = None
    ) -> MaintenanceData:
        """One asset with its series (cut to the window), events overlapping it, documents and drawings.

        Documents are all of the asset's documents (its history), whatever their time; events are
        those overlapping the window (see :meth:`events`).

        Raises:
            UnknownIdError: no record is of this asset (a KeyError, naming the id).
        """
        key = self.resolve_asset(asset_id)
        assets = tuple(row_asset(r) for r in self._rows("assets", "WHERE key = ?", (key,)))
        events = self.events(asset_id=key, start=start, end=end)
        return MaintenanceData(
            name=key,
            assets=assets,
            series=self.series(asset_id=key, start=start, end=end),
            events=events,
            documents=self.documents(asset_id=key),
            drawings=self.drawings(asset_id=key),
            meta={"source": str(self.folder), "asset_id": key, "start": start, "end": end},
        )

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        tables: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        asset_id: str | None = None,
        mode: str = "hybrid",
    ) -> list[kb_search.SearchHit]:
        """The ``k`` best records for ``query`` (see :func:`moesaic.knowledge.search.search`)."""
        for table in tables or ():
            _check_table(table)
        asset_key = None if asset_id is None else self.resolve_asset(asset_id)
        if mode in ("dense", "hybrid") and self._vectors is None:
            self._vectors = kb_search.DenseIndex.load(self.connection)
        return kb_search.search(
            self.connection,
            self.embedder if mode != "lexical" else None,
            self._vectors,
            query,
            k=k,
            tables=tables,
            kinds=kinds,
            asset_key=asset_key,
            mode=mode,
        )


def _check_table(table: str) -> None:
    if table not in RECORD_TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {list(RECORD_TABLES)}")


def _filters(*, kind: str | None = None, asset_key: str | None = None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    if asset_key is not None:
        clauses.append("asset_key = ?")
        params.append(asset_key)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
