"""Ingesting one MaintenanceData into a knowledge base: idempotent and all or nothing.

Every record gets a key (``"<source>:<original id>"``) and a content hash. A record whose key is
new is added, one whose hash changed is updated (its old row, links, text and embedding are
replaced), and an identical one is skipped, so ingesting the same data twice adds nothing.
Records of the source that are absent from the new data are kept: ingestion never deletes.
Records are keyed by source, so the same export ingested under two source names (a folder
renamed for a new month) is stored, and counted, twice: when most new records are identical,
but for their source, to records of another source, a warning names that source.

All rows of one ingestion are written in one SQLite transaction. Series values go to Parquet
files named by their content hash, written atomically *before* the transaction and referenced
only by the rows it commits: if anything fails, the transaction is rolled back and the files it
would have referenced are removed, so the base is left exactly as it was. Files of updated
series that no row references any more are removed after the commit.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from moesaic.data.schema import Drawing, MaintenanceData, Series
from moesaic.knowledge import links as kb_links
from moesaic.knowledge.embed import Embedder
from moesaic.knowledge.parquet import write_series
from moesaic.knowledge.records import check_source, content_hash, dump_json, make_key, store_time
from moesaic.knowledge.schema import RECORD_TABLES, SERIES_DIR

log = logging.getLogger(__name__)

_COMMON = "key source original_id"
COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(f"{_COMMON} {rest} hash".split())
    for table, rest in (
        ("assets", "asset_type attributes"),
        ("series", "asset_key channels time_kind t_start t_end length labels meta file"),
        ("events", "asset_key kind label time_kind t_start t_end channels severity fields"),
        ("documents", "asset_key kind time_kind t_time text fields"),
        ("drawings", "asset_key path width height title_block boxes fields"),
    )
}


class IngestReport(NamedTuple):
    """What one ingestion did, per table (``assets``, ``series``, ``events``, ``documents``, ``drawings``)."""

    source: str
    added: Mapping[str, int]
    updated: Mapping[str, int]
    skipped: Mapping[str, int]
    same_elsewhere: Mapping[str, int] = MappingProxyType({})
    """{other source: how many of the added records it already holds with the same content}."""

    @property
    def changed(self) -> int:
        """Records added or updated, all tables together."""
        return sum(self.added.values()) + sum(self.updated.values())


class Row(NamedTuple):
    """One record ready to store: its table row, links and searchable text."""

    table: str
    key: str
    values: tuple[Any, ...]  # in the order of COLUMNS[table], ``hash`` last
    links: list[kb_links.Link]
    kind: str
    asset_key: str
    text: str
    series: Series | None = None  # the values to write to Parquet, for series rows


def _series_hash(series: Series, head: str) -> str:
    labels = [(name, np.ascontiguousarray(a)) for name, a in sorted(series.labels.items())]
    parts: list[str | bytes] = [head, str(series.time.dtype), np.ascontiguousarray(series.time).tobytes()]
    parts += [np.ascontiguousarray(series.values).tobytes(), np.packbits(series.observed).tobytes()]
    for name, arr in labels:
        # The bytes of an object array are pointers: hash such labels (text) by their values.
        parts += [name, str(arr.dtype), dump_json(arr.tolist()) if arr.dtype == object else arr.tobytes()]
    return content_hash(*parts)


def series_file(source: str, digest: str) -> str:
    """The Parquet file of a series, relative to the base folder, named by its content hash."""
    return f"{SERIES_DIR}/{source}/{digest[:32]}.parquet"


def _row(
    table: str,
    source: str,
    ids: tuple[str, str],
    columns: tuple[Any, ...],
    links: list[kb_links.Link],
    kind: str,
    text: str,
    *,
    series: Series | None = None,
    digest: str | None = None,
) -> Row:
    """A Row: key, source, original id, asset key (but for assets), ``columns``, then the content hash.

    ``ids`` is (original id, asset id). The hash covers every column but the key and the source;
    columns are canonical text or plain numbers, so their repr() is a stable encoding.
    """
    original, asset = ids
    key = make_key(source, original)
    asset_key = key if table == "assets" else make_key(source, asset)
    head = (key, source, original) if table == "assets" else (key, source, original, asset_key)
    values = (*head, *columns)
    digest = digest or content_hash(table, *(repr(v) for v in values[2:]))
    return Row(table, key, (*values, digest), links, kind, asset_key, text, series)


def build_rows(data: MaintenanceData, source: str) -> list[Row]:
    """The rows of every record of ``data``, keyed under ``source``.

    Raises:
        ValueError: two records of one table share an id.
    """
    rows: list[Row] = []
    for a in data.assets:
        columns: tuple[Any, ...] = (a.asset_type, dump_json(a.attributes))
        links = kb_links.field_links(a.attributes)
        rows.append(
            _row("assets", source, (a.asset_id, ""), columns, links, a.asset_type, kb_links.asset_text(a))
        )
    for s in data.series:
        first, last = (store_time(s.time[i] if s.length else None).value for i in (0, -1))
        time_kind = "datetime" if np.issubdtype(s.time.dtype, np.datetime64) else "step"
        digest = _series_hash(s, dump_json([s.series_id, s.asset_id, list(s.channels), dict(s.meta)]))
        columns = (dump_json(list(s.channels)), time_kind, first, last, s.length, dump_json(sorted(s.labels)))
        columns += (dump_json(s.meta), series_file(source, digest))
        text = kb_links.series_text(s)
        rows.append(
            _row(
                "series",
                source,
                (s.series_id, s.asset_id),
                columns,
                [],
                "series",
                text,
                series=s,
                digest=digest,
            )
        )
    for e in data.events:
        start, end = store_time(e.start), store_time(e.end if e.end is not None else e.start)
        columns = (
            e.kind,
            e.label,
            start.kind or end.kind,
            start.value,
            end.value,
            dump_json(list(e.channels)),
        )
        columns += (e.severity, dump_json(e.fields))
        links = kb_links.field_links(e.fields)
        rows.append(
            _row("events", source, (e.event_id, e.asset_id), columns, links, e.kind, kb_links.event_text(e))
        )
    for d in data.documents:
        when = store_time(d.time)
        columns = (d.kind, when.kind, when.value, d.text, dump_json(d.fields))
        links = kb_links.field_links(d.fields)
        text = kb_links.document_text(d)
        rows.append(_row("documents", source, (d.doc_id, d.asset_id), columns, links, d.kind, text))
    for g in _read_drawings(data.drawings):
        columns = (str(g.path), g.width, g.height, dump_json(g.title_block), dump_json(list(g.boxes)))
        columns += (dump_json(g.fields),)
        # A drawing may serve several assets (``fields["asset_ids"]``, or an asset register's
        # drawing column naming it): each becomes an asset link.
        served = [*g.fields.get("asset_ids", []), *kb_links.assets_of_drawing(g, data.assets)]
        links = kb_links.drawing_links(g) + [
            kb_links.Link("asset", make_key(source, str(a))) for a in served if a
        ]
        text = kb_links.drawing_text(g)
        rows.append(_row("drawings", source, (g.drawing_id, g.asset_id), columns, links, "drawing", text))
    _reject_duplicates(rows)
    return rows


def _read_drawings(drawings: Sequence[Drawing]) -> tuple[Drawing, ...]:
    """The drawings, those of a user's folder (an image, no title block) read by OCR, as
    ``moesaic drawing summarize`` reads them: a simulated plant's come with theirs."""
    if not drawings:
        return ()
    # the OCR stack (OpenCV, onnxruntime) loads only for a source with drawings
    from moesaic.drawings.intake import read_drawings

    return read_drawings(drawings).drawings


def _reject_duplicates(rows: Sequence[Row]) -> None:
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.table, row.key) in seen:
            original = row.values[2]
            raise ValueError(f"{row.table}: the id {original!r} appears twice; ids must be unique per table")
        seen.add((row.table, row.key))


def _all_links(row: Row, source: str) -> list[tuple[str, str, str, str]]:
    """Every link row of a record: its own ids (key and original id, kind ``id``), asset, fields, tokens."""
    found = {(row.table, row.key, link.kind, link.value) for link in row.links}
    found |= {(row.table, row.key, "id", row.key), (row.table, row.key, "id", row.values[2])}
    if row.asset_key:
        found.add((row.table, row.key, "asset", row.asset_key))
    found |= {(row.table, row.key, "token", t) for t in kb_links.identifiers_in(row.text)}
    return sorted(found)


def _write_rows(connection: sqlite3.Connection, table: str, rows: Sequence[Row]) -> None:
    """Insert the rows of one table (their previous versions already deleted)."""
    columns = COLUMNS[table]
    marks = ", ".join("?" for _ in columns)
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [r.values for r in rows]
    )


def _delete(connection: sqlite3.Connection, table: str, keys: Iterable[str]) -> None:
    for key in keys:
        entry = connection.execute(
            "SELECT id, text FROM entries WHERE tbl = ? AND key = ?", (table, key)
        ).fetchone()
        if entry is not None:
            # An external-content FTS5 index forgets a row only when told its old text.
            connection.execute("INSERT INTO fts (fts, rowid, text) VALUES ('delete', ?, ?)", entry)
            connection.execute("DELETE FROM entries WHERE id = ?", entry[:1])
        connection.execute("DELETE FROM links WHERE tbl = ? AND key = ?", (table, key))
        connection.execute(f"DELETE FROM {table} WHERE key = ?", (key,))


def _write_entries(
    connection: sqlite3.Connection, rows: Sequence[Row], vectors: np.ndarray, source: str
) -> None:
    """The searchable text, embedding (float16: half the bytes, ample for cosine ranking) and links."""
    for row, vector in zip(rows, vectors, strict=True):
        cursor = connection.execute(
            "INSERT INTO entries (tbl, key, source, asset_key, kind, text, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row.table,
                row.key,
                source,
                row.asset_key,
                row.kind,
                row.text,
                vector.astype(np.float16).tobytes(),
            ),
        )
        connection.execute("INSERT INTO fts (rowid, text) VALUES (?, ?)", (cursor.lastrowid, row.text))
    connection.executemany(
        "INSERT OR IGNORE INTO links (tbl, key, link, value) VALUES (?, ?, ?, ?)",
        [link for row in rows for link in _all_links(row, source)],
    )


def ingest(
    connection: sqlite3.Connection, folder: Path, embedder: Embedder, data: MaintenanceData, *, source: str
) -> IngestReport:
    """Store ``data`` under ``source`` in the base at ``folder`` (see the module docstring)."""
    check_source(source)
    rows = build_rows(data, source)
    existing: dict[str, dict[str, str]] = {
        table: dict(
            connection.execute(f"SELECT key, hash FROM {table} WHERE source = ?", (source,)).fetchall()
        )
        for table in RECORD_TABLES
    }
    added = {t: 0 for t in RECORD_TABLES}
    updated, skipped = dict(added), dict(added)
    changed: list[Row] = []
    for row in rows:
        before = existing[row.table].get(row.key)
        if before == row.values[-1]:
            skipped[row.table] += 1
            continue
        (added if before is None else updated)[row.table] += 1
        changed.append(row)
    same = _same_elsewhere(connection, [r for r in changed if r.key not in existing[r.table]], source)
    report = IngestReport(source, added, updated, skipped, same)
    if not changed:
        return report
    old_files = {
        f for (f,) in connection.execute("SELECT file FROM series WHERE source = ?", (source,)).fetchall()
    }
    written: list[Path] = []
    try:
        for row in changed:
            if row.series is not None:
                path = folder / row.values[COLUMNS["series"].index("file")]
                if not path.exists():  # content-addressed: an existing file already holds these values
                    write_series(folder, row.series, str(path.relative_to(folder)))
                    written.append(path)
        vectors = embedder.embed([row.text for row in changed])  # (N, dim)
        connection.execute("BEGIN IMMEDIATE")
        try:
            _check_unchanged(connection, source, existing)
            for table in RECORD_TABLES:
                mine = [r for r in changed if r.table == table]
                _delete(
                    connection, table, [r.key for r in mine if updated[table] and r.key in existing[table]]
                )
                _write_rows(connection, table, mine)
            _write_entries(connection, changed, vectors, source)
            connection.execute(
                "INSERT OR REPLACE INTO sources (source, name, origin, ingested_at, counts) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    source,
                    data.name,
                    str(data.meta.get("source", "")),
                    datetime.now(UTC).isoformat(),
                    dump_json(data.counts()),
                ),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the source's folder, when this ingestion made it: empty
            (folder / SERIES_DIR / source).rmdir()
        raise
    # Old versions of updated series, and files a killed process wrote but never committed.
    _remove_unreferenced(connection, folder, old_files | _files_of(folder, source))
    log.info("ingested %s: added %s, updated %s, skipped %s", source, added, updated, skipped)
    return report


_COMPARED = {
    table: [c for c in columns if c not in ("key", "source", "file", "hash")]
    for table, columns in COLUMNS.items()
}
"""The columns whose values make a record's content, the same under any source name."""


def _content(table: str, values: Sequence[Any]) -> tuple[Any, ...]:
    """The content of a record from its stored ``values`` (in the order of ``COLUMNS[table]``): its
    columns but key, source, file and hash, with the asset key reduced to the asset's own id."""
    row = dict(zip(COLUMNS[table], values, strict=True))
    return tuple(row[c].partition(":")[2] if c == "asset_key" else row[c] for c in _COMPARED[table])


def _same_elsewhere(connection: sqlite3.Connection, added: Sequence[Row], source: str) -> dict[str, int]:
    """{other source: how many of the ``added`` rows it holds with the same id and content}, with a
    warning when one source holds most of them (the same export ingested under a new name)."""
    counts: Counter[str] = Counter()
    for table in RECORD_TABLES:
        mine = {(r.values[2], _content(table, r.values)) for r in added if r.table == table}
        ids = sorted({original for original, _ in mine})
        columns = ", ".join(COLUMNS[table])
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = (
                f"SELECT {columns} FROM {table} WHERE source != ? "
                f"AND original_id IN ({', '.join('?' for _ in chunk)})"
            )
            for values in connection.execute(query, (source, *chunk)):
                if (values[2], _content(table, values)) in mine:
                    counts[values[1]] += 1
    if counts:
        other, count = counts.most_common(1)[0]
        if 2 * count > len(added):
            log.warning(
                "%d of the %d new records of source %r are already in the base, with the same ids and "
                "content, under source %r: counts and totals over the base will count them twice. To "
                "refresh that source instead, ingest under its name (`--source %s` on the command line)",
                count, len(added), source, other, other,
            )  # fmt: skip
    return dict(counts)


def _check_unchanged(
    connection: sqlite3.Connection, source: str, existing: Mapping[str, Mapping[str, str]]
) -> None:
    """Raise when another writer changed this source between our first read and our transaction."""
    for table in RECORD_TABLES:
        now = dict(
            connection.execute(f"SELECT key, hash FROM {table} WHERE source = ?", (source,)).fetchall()
        )
        if now != existing[table]:
            raise RuntimeError(
                f"{table} of source {source!r} changed while this ingestion was being prepared "
                "(another process ingesting?); nothing was written, run it again"
            )


def _files_of(folder: Path, source: str) -> set[str]:
    return {str(p.relative_to(folder)) for p in (folder / SERIES_DIR / source).glob("*.parquet")}


def _remove_unreferenced(connection: sqlite3.Connection, folder: Path, files: Iterable[str]) -> None:
    for relative in files:
        if connection.execute("SELECT 1 FROM series WHERE file = ? LIMIT 1", (relative,)).fetchone() is None:
            (folder / relative).unlink(missing_ok=True)
