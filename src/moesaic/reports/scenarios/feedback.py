"""Proposed scenarios and expert feedback, stored in the knowledge base; the ranker rebuilt from them.

Three tables, created on first use inside the writer's own transaction:

- ``scenario_proposals``: every scenario shown, with its features (the list a verdict is on);
- ``scenario_feedback``: the append-only log of verdicts, who gave them and when;
- ``scenario_ranker``: the online ranker's state (weights, their running sum, the verdicts it obeys)
  after the last verdict.

A verdict, its log row and the new weights are written in one ``BEGIN IMMEDIATE`` transaction:
either all are stored or none is, so feedback is never lost or half-applied. :func:`rebuild_ranker`
replays the log from the cold start; it reproduces the stored weights exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from moesaic.reports.scenarios.ranker import STATE_VERSION, RankerConfig, ScenarioRanker, Verdict
from moesaic.reports.scenarios.scenario import Scenario, Situation

logger = logging.getLogger(__name__)

TABLES = """
CREATE TABLE IF NOT EXISTS scenario_proposals (
    scenario_id TEXT PRIMARY KEY, situation_id TEXT NOT NULL, position INTEGER NOT NULL,
    asset_key TEXT NOT NULL, situation TEXT NOT NULL, payload TEXT NOT NULL, proposed_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scenario_proposals_situation ON scenario_proposals (situation_id);
CREATE TABLE IF NOT EXISTS scenario_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scenario_id TEXT NOT NULL, verdict TEXT NOT NULL,
    rank INTEGER, note TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenario_ranker (
    name TEXT PRIMARY KEY, weights TEXT NOT NULL, events INTEGER NOT NULL, config TEXT NOT NULL);
"""
RANKER = "default"


class FeedbackRecord(NamedTuple):
    feedback_id: int
    scenario_id: str
    verdict: str
    rank: int | None
    note: str
    who: str
    at: str


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction that also makes the tables; rolled back whole on any error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in TABLES.split(";"):
            if statement.strip():
                connection.execute(statement)
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _has_tables(connection: sqlite3.Connection) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scenario_feedback'"
    return connection.execute(query).fetchone() is not None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def store_proposals(
    connection: sqlite3.Connection, situation: Situation, scenarios: Sequence[Scenario]
) -> None:
    """Keep the scenarios shown for ``situation`` (a scenario already stored keeps its first record)."""
    with _transaction(connection):
        connection.executemany(
            "INSERT OR IGNORE INTO scenario_proposals VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.scenario_id,
                    situation.situation_id,
                    i,
                    situation.asset_id,
                    situation.text,
                    json.dumps(s.to_json()),
                    _now(),
                )
                for i, s in enumerate(scenarios)
            ],
        )


def proposals(connection: sqlite3.Connection, situation_id: str) -> list[Scenario]:
    """The stored scenarios of one situation, in the order they were first proposed."""
    if not _has_tables(connection):
        return []
    rows = connection.execute(
        "SELECT payload FROM scenario_proposals WHERE situation_id = ? ORDER BY position, rowid",
        (situation_id,),
    )
    return [Scenario.from_json(json.loads(p)) for (p,) in rows]


def _siblings(connection: sqlite3.Connection, scenario_id: str) -> list[Scenario]:
    row = connection.execute(
        "SELECT situation_id FROM scenario_proposals WHERE scenario_id = ?", (scenario_id,)
    ).fetchone()
    if row is None:
        raise KeyError(
            f"no proposed scenario {scenario_id!r}; run `moesaic scenarios` first and use an id it printed"
        )
    return proposals(connection, row[0])


def load_ranker(connection: sqlite3.Connection, config: RankerConfig | None = None) -> ScenarioRanker:
    """The online ranker stored in the base, or a cold-start one when no feedback was given yet.

    A ranker stored by another version of the update rule (:data:`STATE_VERSION`) is rebuilt from
    the feedback log, so old verdicts count under the current rule; the next verdict stores it.
    """
    config = config or RankerConfig()
    if not _has_tables(connection):
        return ScenarioRanker(config)
    row = connection.execute("SELECT weights FROM scenario_ranker WHERE name = ?", (RANKER,)).fetchone()
    if row is None:
        return ScenarioRanker(config)
    state = json.loads(row[0])
    if state.get("version") != STATE_VERSION:
        logger.info("ranker stored by update rule %s: rebuilt from the feedback log", state.get("version"))
        return rebuild_ranker(connection, config)
    return ScenarioRanker.from_state(state, config)


def record_feedback(
    connection: sqlite3.Connection,
    verdict: Verdict,
    *,
    who: str,
    note: str = "",
    config: RankerConfig | None = None,
) -> FeedbackRecord:
    """Log ``verdict`` and update the stored ranker, in one transaction.

    Raises:
        KeyError: no proposed scenario has this id.
        ValueError: an unknown verdict, or a rank missing or outside 1 .. the number of scenarios
            proposed with this one (nothing is stored).
    """
    if not who.strip():
        raise ValueError("`who` must name the expert giving the feedback")
    at = _now()
    with _transaction(connection):
        siblings = _siblings(connection, verdict.scenario_id)
        if verdict.verdict == "rank" and verdict.rank is not None and not 1 <= verdict.rank <= len(siblings):
            raise ValueError(
                f"rank {verdict.rank} for scenario {verdict.scenario_id!r}: expected a position from 1 "
                f"to {len(siblings)}, the number of scenarios proposed for its situation"
            )
        ranker = load_ranker(connection, config)
        ranker.update(siblings, verdict)
        cursor = connection.execute(
            "INSERT INTO scenario_feedback (scenario_id, verdict, rank, note, who, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (verdict.scenario_id, verdict.verdict, verdict.rank, note, who, at),
        )
        connection.execute(
            "INSERT OR REPLACE INTO scenario_ranker VALUES (?, ?, ?, ?)",
            (
                RANKER,
                json.dumps(ranker.state(), sort_keys=True),
                ranker.updates_,
                json.dumps(ranker.config.__dict__),
            ),
        )
    feedback_id = int(cursor.lastrowid or 0)
    logger.info("feedback %d: %s %s by %s", feedback_id, verdict.verdict, verdict.scenario_id, who)
    return FeedbackRecord(feedback_id, verdict.scenario_id, verdict.verdict, verdict.rank, note, who, at)


def feedback_log(connection: sqlite3.Connection) -> list[FeedbackRecord]:
    """Every stored verdict, oldest first."""
    if not _has_tables(connection):
        return []
    rows = connection.execute(
        "SELECT id, scenario_id, verdict, rank, note, who, at FROM scenario_feedback ORDER BY id"
    )
    return [FeedbackRecord(*row) for row in rows]


def rebuild_ranker(connection: sqlite3.Connection, config: RankerConfig | None = None) -> ScenarioRanker:
    """A cold-start ranker replaying the whole feedback log, in order, on the stored lists."""
    ranker = ScenarioRanker(config)
    for record in feedback_log(connection):
        ranker.update(
            _siblings(connection, record.scenario_id),
            Verdict(record.scenario_id, record.verdict, record.rank),
        )
    return ranker
