"""What every answerer of ``moesaic ask`` returns: the text, its citations, and whether it abstained.

A citation is either a record of the base, ``{"table": ..., "id": <key>}``, or a stretch of a
series, ``{"asset": <asset key>, "channel": ..., "start": ..., "end": ...}`` (times as ISO 8601
text, or step numbers for series indexed by step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd

MAX_CITED = 20
"""Most records one answer cites; the answer text always gives the full count."""

KINDS = ("fmea", "records", "series", "drawings", "retrieval", "router")


class RecordCitation(NamedTuple):
    table: str  # assets | series | events | documents | drawings
    record_id: str  # the record's key

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "id": self.record_id}


class SeriesCitation(NamedTuple):
    asset: str  # the asset key
    channel: str
    start: pd.Timestamp | int
    end: pd.Timestamp | int

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "channel": self.channel,
            "start": _time(self.start),
            "end": _time(self.end),
        }


Citation = RecordCitation | SeriesCitation


class KbAnswer(NamedTuple):
    """One answer over a knowledge base.

    Attributes:
        text: the answer, every number in it computed from the cited records or series.
        citations: the records or series stretches it rests on (at most :data:`MAX_CITED`).
        abstained: True when the base holds no evidence for an answer; ``text`` says what is missing.
        kind: the answerer that replied, one of :data:`KINDS`.
        rows: for FMEA answers, the FMEA row ids quoted (kept for the FMEA-only JSON layout).
        support: for FMEA answers, the share of the question's words found in the rows.
    """

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    kind: str
    rows: tuple[str, ...] = ()
    support: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``moesaic ask --json`` prints."""
        payload: dict[str, Any] = {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "abstained": self.abstained,
            "kind": self.kind,
        }
        if self.kind == "fmea":
            payload["rows"] = list(self.rows)
            payload["support"] = None if self.support is None else round(self.support, 4)
        return payload


def abstain(kind: str, reason: str) -> KbAnswer:
    """An explicit abstention: ``reason`` says which evidence or identifier is missing."""
    return KbAnswer(f"I cannot answer this from the knowledge base: {reason}", (), True, kind)


def cite_records(table: str, keys: Sequence[str]) -> tuple[RecordCitation, ...]:
    """Citations of the first :data:`MAX_CITED` of ``keys`` (in their order, without repeats)."""
    unique = list(dict.fromkeys(keys))
    return tuple(RecordCitation(table, k) for k in unique[:MAX_CITED])


def _time(value: pd.Timestamp | int) -> str | int:
    return value.isoformat() if isinstance(value, pd.Timestamp) else int(value)


def fmt_time(value: pd.Timestamp | int | None) -> str:
    """A record or series time as text: ``2024-03-01 14:00`` (the date alone at midnight, seconds
    when it has them), or ``step N``."""
    if value is None:
        return "an unknown time"
    if isinstance(value, pd.Timestamp):
        if value == value.normalize():
            return value.strftime("%Y-%m-%d")
        if value.second or value.microsecond:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d %H:%M")
    return f"step {int(value)}"


def fmt_number(value: float) -> str:
    """A computed number: integers as integers, 1000 and above with 2 decimals, else 4 significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1000:
        return f"{value:.2f}"
    return f"{value:.4g}"


def shortened(text: str, most: int) -> str:
    """``text``, or its first ``most`` characters ending in "..." when it is longer."""
    return text if len(text) <= most else text[: most - 3].rstrip() + "..."
