"""Hybrid retrieval over the knowledge base: exact identifiers, BM25 (FTS5) and dense embeddings.

Three signals, one ranking:

1. **Exact identifiers.** Identifier tokens of the query (``PN-4471``, ``E-203``, ``P-3``, codes
   in capitals such as ``VIB``; see :mod:`moesaic.knowledge.links`) are looked up exactly (any case):
   a record whose own id is the token weighs 1.0, one that names it in a structured field
   (failure code, part number, ...) 0.5, one whose text quotes it 0.25. These records come first.
2. **Lexical.** BM25 of FTS5 over the records' text, each query word quoted (so ``"``, ``*``,
   ``-``, ``NEAR`` and other FTS5 syntax in a query are plain words), words of three or more
   characters as prefixes, joined by OR.
3. **Dense.** Cosine similarity of the query and record embeddings (the base's embedder).

``mode="hybrid"`` fuses the lexical and dense rankings by reciprocal-rank fusion,
``sum(1 / (60 + rank))`` (Cormack et al., SIGIR 2009). Scores of non-exact hits lie in [0, 1]:
the RRF sum, the cosine (clipped at 0), or BM25 mapped by ``s / (1 + s)``. An exact hit scores
``1 + weight + 0.1 * that score``, so it ranks above every non-exact hit and by its weight.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from threadpoolctl import ThreadpoolController

from moesaic.knowledge.embed import Embedder
from moesaic.knowledge.links import query_identifiers, words

MODES = ("lexical", "dense", "hybrid")
RRF_K = 60
EXACT_WEIGHTS = {"id": 1.0, "field": 0.5, "token": 0.25}


class SearchHit(NamedTuple):
    table: str  # assets | series | events | documents | drawings
    record_id: str  # the record's key, "<source>:<original id>"
    score: float
    text: str  # the text the record is indexed by
    asset_id: str  # the asset key, "" when the record has none
    kind: str  # document or event kind, asset type, "series" or "drawing"


class Filters(NamedTuple):
    tables: Sequence[str] | None
    kinds: Sequence[str] | None
    asset_key: str | None

    def sql(self, alias: str = "e") -> tuple[str, list[str]]:
        clauses, params = [], []
        for column, values in (("tbl", self.tables), ("kind", self.kinds)):
            if values is not None:
                clauses.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
                params += list(values)
        if self.asset_key is not None:
            clauses.append(f"{alias}.asset_key = ?")
            params.append(self.asset_key)
        return "".join(f" AND {c}" for c in clauses), params


class DenseIndex(NamedTuple):
    """Every record embedding in memory: (N, dim) unit rows with their entry ids and filters."""

    ids: np.ndarray  # (N,) int64 entry ids
    matrix: np.ndarray  # (N, dim) float32
    tables: np.ndarray  # (N,) str
    kinds: np.ndarray  # (N,) str
    asset_keys: np.ndarray  # (N,) str

    @classmethod
    def load(cls, connection: sqlite3.Connection) -> DenseIndex:
        rows = connection.execute(
            "SELECT id, tbl, kind, asset_key, vector FROM entries ORDER BY id"
        ).fetchall()
        if not rows:
            empty = np.array([], dtype=str)
            return cls(np.zeros(0, np.int64), np.zeros((0, 1), np.float32), empty, empty, empty)
        matrix = np.stack([np.frombuffer(r[4], dtype=np.float16) for r in rows]).astype(np.float32)
        return cls(
            np.array([r[0] for r in rows], dtype=np.int64),
            matrix,
            np.array([r[1] for r in rows]),
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
        )

    def mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.tables is not None:
            keep &= np.isin(self.tables, list(filters.tables))
        if filters.kinds is not None:
            keep &= np.isin(self.kinds, list(filters.kinds))
        if filters.asset_key is not None:
            keep &= self.asset_keys == filters.asset_key
        return keep


@functools.cache
def _blas() -> ThreadpoolController:
    """Found once: scanning the loaded libraries on every query costs more than the product."""
    return ThreadpoolController()


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for free text: every word quoted, joined by OR ("" when no words).

    Words of three or more characters match as prefixes (``"temp"*`` finds "temperature"), as
    maintenance text abbreviates freely.
    """
    terms = dict.fromkeys(w.lower() for w in words(query))
    return " OR ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in terms)


def lexical(
    connection: sqlite3.Connection, query: str, filters: Filters, limit: int
) -> list[tuple[int, float]]:
    """(entry id, BM25 relevance >= 0) of the best ``limit`` matches, best first."""
    expression = fts_query(query)
    if not expression:
        return []
    extra, params = filters.sql()
    rows = connection.execute(
        f"SELECT e.id, bm25(fts) AS rank FROM fts JOIN entries e ON e.id = fts.rowid "
        f"WHERE fts MATCH ?{extra} ORDER BY rank LIMIT ?",
        (expression, *params, limit),
    ).fetchall()
    return [(int(i), -float(rank)) for i, rank in rows]  # FTS5's bm25() is lower for better matches


def dense(
    index: DenseIndex, embedder: Embedder, query: str, filters: Filters, limit: int
) -> list[tuple[int, float]]:
    """(entry id, cosine) of the ``limit`` nearest embeddings, best first."""
    keep = np.flatnonzero(index.mask(filters))
    if keep.size == 0 or not query.strip():
        return []
    vector = embedder.embed([query])[0]  # (dim,)
    if vector.shape[0] != index.matrix.shape[1]:
        raise ValueError(
            f"the query embedding has {vector.shape[0]} dims but the base holds {index.matrix.shape[1]}-dim "
            f"embeddings; open the base with the embedder it was built with"
        )
    # One matrix-vector product is memory-bound: extra BLAS threads only contend (4x slower when busy).
    with _blas().limit(limits=1, user_api="blas"):
        scores = (index.matrix @ vector)[keep]  # (n,); all rows then pick: cheaper than copying rows
    if scores.size > limit:  # partial selection first: a full sort of every record is the slow part
        chosen = np.argpartition(-scores, limit)[:limit]
        top = chosen[np.lexsort((chosen, -scores[chosen]))]  # best first, ties by position
    else:
        top = np.argsort(-scores, kind="stable")
    return [(int(index.ids[keep[i]]), float(scores[i])) for i in top]


def exact(connection: sqlite3.Connection, query: str, filters: Filters) -> dict[int, float]:
    """{entry id: weight} of records matching an identifier of the query (see the module docstring)."""
    extra, params = filters.sql()
    weights: dict[int, float] = {}
    for token in query_identifiers(query):
        # Digit-bearing identifiers match in any case; capital-letter codes only as written (the
        # NOCASE test finds candidates through the index, the exact one then filters them).
        exact_case = "" if any(ch.isdigit() for ch in token) else " AND l.value = ?"
        best: dict[int, float] = {}
        for i, link in connection.execute(
            f"SELECT e.id, l.link FROM links l JOIN entries e ON e.tbl = l.tbl AND e.key = l.key "
            f"WHERE l.value = ? COLLATE NOCASE{exact_case} AND l.link != 'asset'{extra}",
            (token, *([token] if exact_case else []), *params),
        ):
            weight = EXACT_WEIGHTS[link if link in ("id", "token") else "field"]
            best[i] = max(best.get(i, 0.0), weight)
        for i, w in best.items():
            weights[i] = weights.get(i, 0.0) + w
    return weights


def fuse(*rankings: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Reciprocal-rank fusion of ranked lists of (entry id, score): {id: sum of 1 / (60 + rank)}."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (entry, _) in enumerate(ranking, start=1):
            fused[entry] = fused.get(entry, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def search(
    connection: sqlite3.Connection,
    embedder: Embedder | None,
    index: DenseIndex | None,
    query: str,
    *,
    k: int = 10,
    tables: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    asset_key: str | None = None,
    mode: str = "hybrid",
) -> list[SearchHit]:
    """The ``k`` best records for ``query``, exact identifier matches first (see the module docstring).

    Raises:
        ValueError: an unknown ``mode``, ``k`` < 1, or a query that is not text.
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {list(MODES)}, got {mode!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be an integer >= 1, got {k!r}")
    if not isinstance(query, str):
        raise ValueError(f"`query` must be text, got {type(query).__name__}")
    filters = Filters(tables, kinds, asset_key)
    pool = max(50, 5 * k)
    scores: dict[int, float] = {}
    if mode == "lexical":
        scores = {i: s / (1.0 + s) for i, s in lexical(connection, query, filters, pool)}
    else:
        assert embedder is not None and index is not None, "dense search needs the embedder and its index"
        near = dense(index, embedder, query, filters, pool)
        if mode == "dense":
            scores = {i: max(0.0, s) for i, s in near}
        else:
            scores = fuse(lexical(connection, query, filters, pool), near)
    for entry, weight in exact(connection, query, filters).items():
        scores[entry] = 1.0 + weight + 0.1 * scores.get(entry, 0.0)
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    if not best:
        return []
    marks = ", ".join("?" for _ in best)
    rows = {
        r[0]: r[1:]
        for r in connection.execute(
            f"SELECT id, tbl, key, text, asset_key, kind FROM entries WHERE id IN ({marks})",
            [i for i, _ in best],
        )
    }
    return [
        SearchHit(
            table=rows[i][0],
            record_id=rows[i][1],
            score=s,
            text=rows[i][2],
            asset_id=rows[i][3],
            kind=rows[i][4],
        )
        for i, s in best
    ]
