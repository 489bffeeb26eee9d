"""What an FMEA question asks about: the column it names and the rows its topic words point to.

"Which failure modes of the Fuel System *lead to* overheating?" asks about the *effect* column;
"*caused by* natural degradation over time" about the *cause* column; "recommended actions
*related to* lubrication" about the *action* column. :func:`asked_columns` reads those cues;
:func:`clause_positions` finds the words inside such a filter clause (they narrow the rows, they
do not name a part, so a word the sheet lacks there does not make the question unanswerable).

:class:`TopicMatcher` finds the rows a topic points to: rows whose cells of the asked columns hold
one of its words (lexical hits), and, with a sentence encoder, rows whose cells are close in
meaning to the topic phrase ("natural degradation over time" ~ "general wear and tear";
"lubrication" ~ "grease all connections"): cosine similarity at least ``min_similarity``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.knowledge.embed import Embedder
from moesaic.reports.qa.table import FmeaRow, normal_terms

logger = logging.getLogger(__name__)

TOPIC_COLUMNS = ("failure_mode", "effect", "cause", "control", "action")
# "likely" and its common typos, as in "is it more likely from A or B", "the more likley cause".
_LIKELY = r"(?:likely|likley|likly|probable)"
# Question cues naming the column asked about; checked in this order, several may match.
_COLUMN_CUES = (
    (
        "cause",
        r"\bcaused by\b|\bcauses? of\b|\bwhat causes\b|\breasons?\b|\bwhy\b|\bdue to\b"
        r"|\b(?:comes?|coming|stems?|stemming|arises?|arising|results?|resulting|originates?) from\b"
        rf"|\b{_LIKELY} (?:to be |to come )?(?:from|causes?)\b"
        r"|\bwhat (?:could |would |might |can |will )?makes?\b(?! up\b)",
    ),
    (
        "effect",
        r"\beffects?\b|\blead(?:s|ing)? to\b|\bresult(?:s|ing)? in\b|\bconsequences?\b"
        r"|\bwhat (?:happens|will happen|would happen|could happen)\b",
    ),
    ("control", r"\bcontrols?\b"),
    ("action", r"\brecommend\w*\b|\bactions?\b"),
)
# Words opening a filter clause, and the prepositions that close it ("... in the fuel system").
_OPENERS = (
    "related to|associated with|involving|involves?|caused by|due to|because of|leads? to|"
    "leading to|results? in|resulting in|regarding|concerning|past|beyond|other than|that|which|"
    "comes? from|coming from|stems? from|arises? from|results? from|resulting from"
)
_CLOSERS = re.compile(r"^(?:in|on|for|at|within|across|from)$")
_ARTICLES = frozenset({"the", "a", "an", "this", "its"})
_RAW_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")  # the tokens of `normal_terms`, before stemming
# Cosine similarity of all-MiniLM-L6-v2 above which a cell is "about" the topic. Chosen on
# development questions written from the mining-truck sheet (not the benchmark's questions):
# see tests/test_qa_topic.py.
MIN_SIMILARITY = 0.25


def raw_words(text: str) -> list[str]:
    """The lower-case words of ``text`` before stemming, position for position with ``normal_terms``."""
    return _RAW_WORD.findall(text.lower())


def asked_columns(question: str) -> tuple[str, ...]:
    """The text columns (effect, cause, control, action) that the question's cues name."""
    text = " ".join(question.lower().split())
    return tuple(column for column, cue in _COLUMN_CUES if re.search(cue, text))


def clause_positions(question: str) -> frozenset[int]:
    """Positions (in ``normal_terms(question)``) of the words inside filter clauses.

    A clause opens after a cue such as "related to", "caused by" or a relative "that" / "which"
    (not the question's first word) and closes at a preposition followed by an article ("in the
    fuel system"), where the question goes back to naming parts. The alternatives a "more likely"
    question weighs ("from lack of lubrication or from a software fault") are a clause too.
    """
    words = raw_words(question)
    opener = re.compile(rf"^(?:{_OPENERS})$")
    inside: set[int] = set(_alternatives(question, words))
    open_clause = False
    i = 0
    while i < len(words):
        pair = " ".join(words[i : i + 2])
        if i > 0 and (opener.match(pair) or opener.match(words[i])):
            open_clause = True
            i += 2 if opener.match(pair) and not opener.match(words[i]) else 1
            continue
        if _CLOSERS.match(words[i]) and i + 1 < len(words) and words[i + 1] in _ARTICLES:
            open_clause = False
        elif open_clause:
            inside.add(i)
        i += 1
    return frozenset(inside)


# "is it more likely caused by A or B", "is A or B the likelier cause": the question weighs
# alternatives. The words around "or" up to one of `_BOUNDS` are the alternatives.
_WEIGHING = re.compile(rf"\b(?:more|most|less) {_LIKELY}\b|\blikelier\b|\brather\b")
_BOUNDS = frozenset(
    raw_words(
        "is it be by from to more most less likely likley likly likelier probable the a an this its was"
    )
    + raw_words("what which has have caused cause causes due or")
)
_MAX_ALTERNATIVE = 5  # words on each side of "or"


def _alternatives(question: str, words: Sequence[str]) -> list[int]:
    """Positions of the words of the alternatives a "more likely" question weighs."""
    return sorted(i for pair in _weighed_positions(question, words) for side in pair for i in side)


_LEAD_IN = re.compile(
    r"^(?:(?:to|be|been|being|caused|cause|causes|due|by|from|of|because|result|resulting|come|coming|"
    r"the|a|an)\s+)*"
)


def weighed_alternatives(question: str) -> list[str]:
    """The two alternatives a "more likely A or B" question weighs, as written (lower case):
    "Is it more likely to be caused by physical impact or overheating?" -> ["physical impact",
    "overheating"]; "Is dust or heat the likelier cause?" -> ["dust", "heat"]. Empty for any
    other question."""
    text = " ".join(question.lower().split()).rstrip("?.! ")
    cue = _WEIGHING.search(text)
    if cue is None:
        return []
    after, before = text[cue.end() :], text[: cue.start()]
    if " or " in after:
        first, _, second = after.partition(" or ")
    elif " or " in before:  # "Is dust or heat the more likely cause of ..."
        first, _, second = before.partition(" or ")
        first = re.sub(r"^.*\b(?:is|are|was|were)\s+", "", first)
        second = re.sub(r"\s+(?:the|a|an)$", "", second.strip())
    else:
        return []
    sides = [_LEAD_IN.sub("", side.strip(" ,;-")).strip(" ,;-") for side in (first, second)]
    return sides if all(sides) else []


def _weighed_positions(question: str, words: Sequence[str]) -> list[tuple[list[int], list[int]]]:
    """For each "or" of a weighing question, the positions of the words on its left and right."""
    if not _WEIGHING.search(" ".join(question.lower().split())):
        return []
    pairs: list[tuple[list[int], list[int]]] = []
    for i, word in enumerate(words):
        if word != "or":
            continue
        left_side: list[int] = []
        left = i - 1
        while left >= 0 and i - left <= _MAX_ALTERNATIVE and words[left] not in _BOUNDS:
            left_side.append(left)
            left -= 1
        right_side: list[int] = []
        right = i + 1
        while right < len(words) and words[right] in _BOUNDS - {"or"}:  # "or from a software fault"
            right += 1
        start = right
        while right < len(words) and right - start < _MAX_ALTERNATIVE and words[right] not in _BOUNDS:
            right_side.append(right)
            right += 1
        pairs.append((left_side, right_side))
    return pairs


def cells(row: FmeaRow, columns: Sequence[str]) -> list[str]:
    """The non-empty cells of ``row`` in ``columns``."""
    return [value for value in (getattr(row, c) for c in columns) if value]


_PHRASE_BREAK = re.compile(r"[,;.]\s+|[,;]|\s+-\s+|\.$")


def phrases(cell: str) -> list[str]:
    """The cell and, when it lists several items ("General wear and tear, physical impacts"),
    each item: a topic close to one item must not be diluted by the others."""
    parts = [p.strip() for p in _PHRASE_BREAK.split(cell) if p and p.strip()]
    return [cell] + [p for p in parts if p != cell] if len(parts) > 1 else [cell]


# Words a maintenance sheet uses for one mechanism, matched as one: "caused by natural degradation"
# finds "general wear and tear", "ageing" finds "wearing over time". MiniLM scores such pairs near
# 0.2, no higher than unrelated causes ("physical impacts"), so the words are listed.
_CONCEPTS = (
    "degradation degrade degraded deterioration deteriorate ageing aging aged wear worn wearing tear fatigue",
    "corrosion corroded corrode corroding rust rusted rusting oxidation",
    "leak leaking leakage seep seeping",
    "blocked blockage clogged clog clogging obstruction",
    "vibration vibrating shaking shake",
)
CONCEPTS = tuple(frozenset(normal_terms(group)) for group in _CONCEPTS)


def with_concepts(words: Sequence[str]) -> set[str]:
    """The stemmed ``words`` and every word of a concept (:data:`CONCEPTS`) one of them belongs to."""
    wanted = set(words)
    for group in CONCEPTS:
        if wanted & group:
            wanted |= group
    return wanted


def lexical_hits(rows: Sequence[FmeaRow], words: Sequence[str], columns: Sequence[str]) -> list[FmeaRow]:
    """Rows with one of the stemmed ``words``, or a word of the same concept (:func:`with_concepts`),
    in a cell of ``columns``, in sheet order."""
    wanted = with_concepts(words)
    return [r for r in rows if wanted & set(normal_terms(" ".join(cells(r, columns))))]


class TopicHits(NamedTuple):
    lexical: list[FmeaRow]  # rows holding a topic word in an asked column (or any, as a fallback)
    semantic: list[tuple[FmeaRow, float]]  # other rows close in meaning, most similar first
    ranked: list[FmeaRow]  # every row, most similar first (sheet order without an encoder)


class TopicMatcher:
    """Rows a topic points to, by words and, with ``embedder``, by meaning.

    Args:
        embedder: a sentence encoder giving unit-norm rows (None: words only).
        min_similarity: cosine similarity from which a cell is close in meaning, in (0, 1].
    """

    def __init__(self, embedder: Embedder | None, min_similarity: float = MIN_SIMILARITY) -> None:
        if not 0.0 < min_similarity <= 1.0:
            raise ValueError(f"`min_similarity` must be in (0, 1], got {min_similarity}")
        self.embedder = embedder
        self.min_similarity = min_similarity
        self._vectors: dict[str, np.ndarray] = {}  # cell text -> (dim,) unit vector

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) vectors, each distinct text embedded once per matcher."""
        assert self.embedder is not None
        todo = sorted({t for t in texts if t not in self._vectors})
        if todo:
            self._vectors.update(zip(todo, self.embedder.embed(todo), strict=True))
        return np.stack([self._vectors[t] for t in texts])

    def similarities(self, topic: str, rows: Sequence[FmeaRow], columns: Sequence[str]) -> np.ndarray:
        """(len(rows),) the best cosine similarity between ``topic`` and a cell (or an item of a
        cell) of each row (-1 for a row whose cells in ``columns`` are all empty)."""
        if self.embedder is None:
            raise ValueError("similarities need an embedder; this matcher matches words only")
        out = np.full(len(rows), -1.0)
        row_cells = [[p for cell in cells(r, columns) for p in phrases(cell)] for r in rows]
        flat = [c for cs in row_cells for c in cs]
        if not flat:
            return out
        scores = self._embed(flat) @ self.embedder.embed([topic])[0]  # (num_cells,)
        start = 0
        for i, cs in enumerate(row_cells):
            if cs:
                out[i] = float(scores[start : start + len(cs)].max())
            start += len(cs)
        return out

    def match(
        self, rows: Sequence[FmeaRow], words: Sequence[str], topic: str, columns: Sequence[str]
    ) -> TopicHits:
        """The rows of ``rows`` that the topic (stemmed ``words``, raw phrase ``topic``) points to,
        looking in ``columns`` first and, for words only, in every text column when the asked
        columns hold none of them."""
        asked = tuple(columns) or TOPIC_COLUMNS
        lexical = lexical_hits(rows, words, asked)
        if not lexical and columns:
            lexical = lexical_hits(rows, words, TOPIC_COLUMNS)
        if self.embedder is None or not topic:
            return TopicHits(lexical, [], list(rows))
        sims = self.similarities(topic, rows, asked)
        order = sorted(range(len(rows)), key=lambda i: -sims[i])
        seen = {r.row_id for r in lexical}
        semantic = [
            (rows[i], float(sims[i]))
            for i in order
            if sims[i] >= self.min_similarity and rows[i].row_id not in seen
        ]
        return TopicHits(lexical, semantic, [rows[i] for i in order])


SEMANTIC_CHOICES = ("auto", "minilm", "none")


def resolve_semantic(semantic: str) -> str:
    """ "minilm" or "none": what ``semantic`` ("auto", "minilm", "none") gives here, loading nothing.

    Raises:
        ValueError: an unknown choice.
    """
    if semantic not in SEMANTIC_CHOICES:
        raise ValueError(f"`semantic` must be one of {SEMANTIC_CHOICES}, got {semantic!r}")
    from moesaic.knowledge.embed import minilm_available

    if semantic == "auto":
        return "minilm" if minilm_available() else "none"
    return semantic


@functools.lru_cache(maxsize=2)
def topic_matcher(semantic: str, min_similarity: float = MIN_SIMILARITY) -> TopicMatcher:
    """The matcher for ``semantic``: "minilm" (raises ImportError without the extra), "none"
    (words only), or "auto" (MiniLM when installed, else words only, with a logged note).
    Shared within the process, so each cell is embedded once."""
    from moesaic.knowledge.embed import MiniLMEmbedder

    resolved = resolve_semantic(semantic)
    if resolved == "none":
        if semantic == "auto":
            logger.warning(
                "FMEA topics are matched by words only: MiniLM (the `language` extra) is not installed"
            )
        return TopicMatcher(None, min_similarity)
    return TopicMatcher(MiniLMEmbedder(), min_similarity)
