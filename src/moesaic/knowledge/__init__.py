"""The knowledge base: every record of every source in one embedded SQLite (FTS5) base, linked and searchable.

Example:
    >>> with KnowledgeBase.open("kb", create=True) as kb:
    ...     report = kb.ingest(load_plant("plant"), source="plant")
    ...     hits = kb.search("bearing temperature rising on P-101", k=5)
"""

from moesaic.knowledge.embed import HashingEmbedder, MiniLMEmbedder, make_embedder
from moesaic.knowledge.episodes import EpisodeMatch, similar_episodes
from moesaic.knowledge.ingest import IngestReport
from moesaic.knowledge.records import KeyParts, make_key, split_key
from moesaic.knowledge.schema import KnowledgeBaseError
from moesaic.knowledge.search import SearchHit
from moesaic.knowledge.store import AmbiguousIdError, KnowledgeBase, RecordRef, UnknownIdError

__all__ = [
    "AmbiguousIdError",
    "EpisodeMatch",
    "HashingEmbedder",
    "IngestReport",
    "KeyParts",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MiniLMEmbedder",
    "RecordRef",
    "SearchHit",
    "UnknownIdError",
    "make_embedder",
    "make_key",
    "similar_episodes",
    "split_key",
]
