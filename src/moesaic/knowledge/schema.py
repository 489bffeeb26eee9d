"""The SQLite schema of a knowledge base folder, and opening its connection.

A knowledge base is a folder::

    kb.sqlite                 every record, its links, its search text (FTS5) and its embedding
    series/<source>/<hash>.parquet   the values of each series, named by their content hash

Tables: ``assets``, ``series``, ``events``, ``documents``, ``drawings`` (one row per record,
keyed by ``"<source>:<original id>"``, see :mod:`moesaic.knowledge.records`); ``links`` (record ->
its own ids, asset, failure code, failure mode, component, part number, fault, rule, meter,
identifier token);
``entries`` (the searchable text and float16 embedding of every record) with its FTS5 index
``fts`` (BM25, Porter stemming; an external-content index over ``entries.text``); ``sources``
(what was ingested, from where);
``meta`` (format version, embedder).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from moesaic.knowledge.embed import embedder_name

log = logging.getLogger(__name__)

DB_FILE = "kb.sqlite"
SERIES_DIR = "series"
FORMAT = "moesaic-kb"
FORMAT_VERSION = 1
RECORD_TABLES = ("assets", "series", "events", "documents", "drawings")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY, name TEXT NOT NULL, origin TEXT NOT NULL, ingested_at TEXT NOT NULL,
    counts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, asset_type TEXT NOT NULL,
    attributes TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, asset_key TEXT NOT NULL,
    channels TEXT NOT NULL, time_kind TEXT NOT NULL, t_start INTEGER, t_end INTEGER,
    length INTEGER NOT NULL, labels TEXT NOT NULL, meta TEXT NOT NULL, file TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, asset_key TEXT NOT NULL,
    kind TEXT NOT NULL, label TEXT NOT NULL, time_kind TEXT, t_start INTEGER, t_end INTEGER,
    channels TEXT NOT NULL, severity REAL, fields TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, asset_key TEXT NOT NULL,
    kind TEXT NOT NULL, time_kind TEXT, t_time INTEGER, text TEXT NOT NULL, fields TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drawings (
    key TEXT PRIMARY KEY, source TEXT NOT NULL, original_id TEXT NOT NULL, asset_key TEXT NOT NULL,
    path TEXT NOT NULL, width INTEGER, height INTEGER, title_block TEXT NOT NULL, boxes TEXT NOT NULL,
    fields TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (
    tbl TEXT NOT NULL, key TEXT NOT NULL, link TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (tbl, key, link, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL,
    asset_key TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL,
    UNIQUE (tbl, key));
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    text, content = 'entries', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2');
CREATE INDEX IF NOT EXISTS links_value ON links (value COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS entries_asset ON entries (asset_key);
"""
_PER_TABLE_INDEXES = "".join(
    f"CREATE INDEX IF NOT EXISTS {t}_original ON {t} (original_id);\n"
    f"CREATE INDEX IF NOT EXISTS {t}_source ON {t} (source);\n"
    + (f"CREATE INDEX IF NOT EXISTS {t}_asset ON {t} (asset_key);\n" if t != "assets" else "")
    for t in RECORD_TABLES
)


class KnowledgeBaseError(ValueError):
    """A folder that is not a knowledge base, or one this version cannot read."""


def connect(folder: Path, *, create: bool) -> sqlite3.Connection:
    """Open (and with ``create``, initialise) the database of a knowledge-base folder.

    The connection is in autocommit mode: writers open their own ``BEGIN IMMEDIATE`` transaction.

    Raises:
        KnowledgeBaseError: the folder or its database is missing and ``create`` is False, or the
            database was written by another format version.
    """
    db = folder / DB_FILE
    if folder.exists() and not folder.is_dir():
        raise KnowledgeBaseError(f"{folder}: expected a knowledge-base folder, found a file")
    if not create and not db.is_file():
        what = "no such folder" if not folder.exists() else f"no {DB_FILE} in it"
        raise KnowledgeBaseError(
            f"{folder}: not a knowledge base ({what}); create one with "
            f"`moesaic kb ingest SOURCE --kb {folder}` or KnowledgeBase.open(folder, create=True)"
        )
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        if create:
            # One transaction: a half-created schema is never left behind.
            connection.execute("BEGIN IMMEDIATE")
            for statement in (SCHEMA + _PER_TABLE_INDEXES).split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('format', ?), ('format_version', ?)",
                (FORMAT, str(FORMAT_VERSION)),
            )
            connection.execute("COMMIT")
        version = dict(connection.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.DatabaseError as err:
        connection.close()
        raise KnowledgeBaseError(f"{db}: not a readable {FORMAT} database ({err})") from err
    if version.get("format") != FORMAT or version.get("format_version") != str(FORMAT_VERSION):
        connection.close()
        raise KnowledgeBaseError(
            f"{db}: expected a {FORMAT} database of version {FORMAT_VERSION}, found "
            f"format={version.get('format')!r} version={version.get('format_version')!r}"
        )
    return connection


def record_embedder(connection: sqlite3.Connection, folder: Path, embedder: str) -> None:
    """Record the embedder of a new base; check a requested one against the base's."""
    stored = connection.execute("SELECT value FROM meta WHERE name = 'embedder'").fetchone()
    if stored is not None and embedder != "auto" and embedder_name(embedder) != stored[0]:
        raise KnowledgeBaseError(
            f"{folder}: the base was built with the {stored[0]!r} embedder, not {embedder!r}; "
            "open it with embedder='auto' or build a new base"
        )
    if stored is None:
        name = embedder_name(embedder)  # rejects an unknown or missing embedder before recording one
        connection.execute("INSERT INTO meta (name, value) VALUES ('embedder', ?)", (name,))
        log.info("%s: new knowledge base, embedder %s", folder, name)
