"""What the ``moesaic ask`` tests over small hand-made bases share."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from moesaic.data.schema import MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer, RecordCitation


def answerer_over(folder: Path, data: MaintenanceData) -> KbAnswerer:
    """An answerer over a new base in ``folder`` (hashing embedder) holding ``data``, ingested
    under its name: a record ``W1`` is cited as ``<name>:W1``."""
    path = folder / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(data, source=data.name)
    return KbAnswerer(KnowledgeBase.open(path))


def cited(citations: Iterable[object]) -> set[str]:
    """The record ids an answer cites, without their source (``W1`` for ``plant:W1``)."""
    return {c.record_id.partition(":")[2] for c in citations if isinstance(c, RecordCitation)}
