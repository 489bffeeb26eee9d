"""Extractive question answering over FMEA rows, with citations or an explicit abstention.

A question is read into a small structured query (:func:`moesaic.reports.qa.query.analyse`):
the sheet names it speaks of, a numeric filter, a ranking, an aggregate, the column it asks
about, the level whose names it wants listed and its remaining content words, the *topic*, which
filter rows by their text (``caused by software bugs``): by words, and by meaning when MiniLM is
installed (:mod:`moesaic.reports.qa.topic`). The answer is a computed lead sentence plus the matching
rows, each copied from the sheet with its id (every cell, so effects, causes, controls,
actions and the four scores are all there), so every number in the answer is one of the
sheet's or a count or mean of them.

The answer's *support* is the share of the question's content words found in the rows it
selected (all rows when it names nothing). A question about a part or failure mode the sheet
does not hold leaves words unsupported; below ``threshold`` the answerer abstains and says
which words it found no evidence for. Words inside a filter clause ("caused by software bugs")
weigh less: they narrow the rows, and the answer can say that none matches. The threshold is
fitted on a development set by :func:`moesaic.reports.qa.abstain.fit_threshold`, never on the
questions it is evaluated on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from moesaic.reports.qa.compare import OPS
from moesaic.reports.qa.kinds import kind_matches
from moesaic.reports.qa.query import (
    ASKS_FOR_A_PERSON,
    QUESTION_WORDS,
    Query,
    analyse,
    name_groups,
    sheet_vocabulary,
)
from moesaic.reports.qa.table import SCORE_COLUMNS, FmeaRow, Mention, normal_terms
from moesaic.reports.qa.topic import (
    MIN_SIMILARITY,
    SEMANTIC_CHOICES,
    TopicMatcher,
    topic_matcher,
    weighed_alternatives,
    with_concepts,
)

__all__ = ["DEFAULT_THRESHOLD", "FmeaAnswer", "FmeaAnswerer", "analyse", "row_line"]


def _by_mentions(rows: Sequence[FmeaRow], mentions: Sequence[Mention]) -> list[FmeaRow]:
    """Rows matching every mentioned span; names covering the same words are alternatives."""
    selected = list(rows)
    for alternatives in name_groups(mentions).values():
        selected = [r for r in selected if any(getattr(r, m.level) == m.name for m in alternatives)]
    return selected


ELSEWHERE_WEIGHT = 0.25
# The threshold `moesaic bench qa` fits on the development half of the paired question set
# (mining-truck FMEA); the evaluation half is never used to choose it. Refit for another sheet.
DEFAULT_THRESHOLD = 0.854
# An abstention about named parts lists their rows when there are at most this many: what the
# sheet says of them (a cause other than the one asked about) beside what it does not.
CONTEXT_ROWS = 3
# An answer about named parts names their failure modes in its first line when they are this few.
NAMED_MODES = 5


class FmeaAnswer(NamedTuple):
    text: str
    row_ids: tuple[str, ...]  # the rows cited, in the order shown
    support: float  # share of the question's content words found in the selected rows, in [0, 1]
    abstained: bool


def _of_kind(query: Query, rows: list[FmeaRow]) -> tuple[list[FmeaRow], str]:
    """The rows whose control or action (those the question names, else either) is of the
    question's kind, and how the answer says it."""
    assert query.kind is not None
    named = (
        [query.kind.column] if query.kind.column else [c for c in ("control", "action") if c in query.columns]
    )
    columns = named or ["control", "action"]
    kept = [r for r in rows if any(kind_matches(query.kind, getattr(r, c)) for c in columns)]
    what = " or ".join({"control": "a current control", "action": "a recommended action"}[c] for c in columns)
    if query.kind.kind == "none":
        return kept, "no " + " or ".join(
            {"control": "current control", "action": "recommended action"}[c] for c in columns
        )
    how = "only a check" if query.kind.kind == "check" else "more than a check"
    return kept, f"{what} that is {how}" + (" at a stated interval" if query.kind.interval else "")


def weigh_alternatives(question: str, query: Query, rows: Sequence[FmeaRow]) -> str:
    """For a "more likely A or B" question, which of A and B the ``rows`` give in the column asked
    about (the cause unless the question names another), by their words or words of the same
    mechanism; "" for any other question."""
    alternatives = weighed_alternatives(question)
    if len(alternatives) != 2 or not rows:
        return ""
    column = next((c for c in query.columns if c in ("cause", "effect")), "cause")
    found = []
    for alternative in alternatives:
        words = [w for w in normal_terms(alternative) if w not in QUESTION_WORDS and len(w) > 2]
        # A row gives the alternative when its cell holds at least half of its words (or words
        # of the same mechanism): "a slipping belt" needs "slipping" or "belt", not "a".
        found.append([r.row_id for r in rows if words and _share_in(words, getattr(r, column)) >= 0.5])
    (a, b), (ids_a, ids_b) = alternatives, found
    if ids_a and ids_b:
        return f"The FMEA gives both as a {column}: {a} ({', '.join(ids_a)}) and {b} ({', '.join(ids_b)})."
    if ids_a or ids_b:
        given, other, ids = (a, b, ids_a) if ids_a else (b, a, ids_b)
        return f"Of {a} and {b}, the FMEA gives {given} as a {column} ({', '.join(ids)}), not {other}."
    return f"The FMEA gives neither {a} nor {b} as a {column} of these failure modes."


def _share_in(words: Sequence[str], cell: str) -> float:
    """Share of the stemmed ``words`` that ``cell`` holds: the word, a word of its mechanism, or a
    word of five letters or more that starts the other ("install", "installation")."""
    held = set(normal_terms(cell))

    def holds(word: str) -> bool:
        if with_concepts([word]) & held:
            return True
        return len(word) >= 5 and any(
            len(h) >= 5 and (h.startswith(word) or word.startswith(h)) for h in held
        )

    return sum(holds(w) for w in words) / len(words)


def _names(level: str, rows: Sequence[FmeaRow]) -> str:
    """How many distinct names of ``level`` ``rows`` hold, then the names in order of appearance,
    each with its row count: "2 sub-components, called Tyre (1), Brakes (1)."."""
    counts = Counter(getattr(r, level) for r in rows if getattr(r, level))
    label = {"sub_component": "sub-component", "failure_mode": "failure mode"}.get(level, level)
    label += "" if len(counts) == 1 else "s"
    return f"{len(counts)} {label}, called " + ", ".join(f"{name} ({n})" for name, n in counts.items()) + "."


def _label(score: str) -> str:
    return "RPN" if score == "rpn" else score


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def row_line(row: FmeaRow) -> str:
    """One row as an extractive line: the cells as written, then the four scores."""
    where = " > ".join(x for x in (row.subsystem, row.component, row.sub_component) if x)
    cells = [f"[{row.row_id}] {where}: failure mode {row.failure_mode}"]
    for label, value in (
        ("effect", row.effect),
        ("cause", row.cause),
        ("current controls", row.control),
        ("recommended action", row.action),
    ):
        if value:
            cells.append(f"{label}: {value}")
    scores = ", ".join(
        f"{name if name != 'rpn' else 'RPN'} {_fmt(row.score(name))}" for name in SCORE_COLUMNS
    )
    return "; ".join(cells) + f"; {scores}."


@dataclass(frozen=True)
class FmeaAnswerer:
    """Answer questions over ``rows``.

    Attributes:
        rows: the FMEA sheet.
        threshold: abstain when the support is below it, in [0, 1].
        max_rows: most rows quoted in one answer; the lead sentence still counts them all.
        semantic: how topic words find rows besides their exact (stemmed) words: "auto" (MiniLM
            sentence similarity when the `language` extra is installed, else words only, with a
            logged note), "minilm" (ImportError without the extra) or "none".
        min_similarity: cosine similarity from which a cell is close in meaning to the topic.
    """

    rows: tuple[FmeaRow, ...]
    threshold: float = DEFAULT_THRESHOLD
    max_rows: int = 12
    semantic: str = "auto"
    min_similarity: float = MIN_SIMILARITY

    def __post_init__(self) -> None:
        if not self.rows:
            raise ValueError("`rows` must hold at least one FMEA row")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"`threshold` must be in [0, 1], got {self.threshold}")
        if self.max_rows < 1:
            raise ValueError(f"`max_rows` must be >= 1, got {self.max_rows}")
        if not 0.0 < self.min_similarity <= 1.0:
            raise ValueError(f"`min_similarity` must be in (0, 1], got {self.min_similarity}")
        if self.semantic not in SEMANTIC_CHOICES:
            raise ValueError(f"`semantic` must be one of {SEMANTIC_CHOICES}, got {self.semantic!r}")

    @property
    def matcher(self) -> TopicMatcher:
        """How topic words find rows (shared within the process; MiniLM is loaded on first use)."""
        return topic_matcher(self.semantic, self.min_similarity)

    def support(self, question: str) -> float:
        """Share of the question's content words (names included) found in its selected rows
        (0 for a question asking for a person, :data:`ASKS_FOR_A_PERSON`)."""
        if ASKS_FOR_A_PERSON.match(question):
            return 0.0
        return self._support(analyse(question, self.rows))[0]

    def _support(self, query: Query) -> tuple[float, list[FmeaRow], list[str]]:
        selected = _by_mentions(self.rows, query.mentions) if query.mentions else list(self.rows)
        if not selected:  # the names exist, but never together
            return 0.0, selected, [m.name for m in query.mentions]
        vocabulary: set[str] = set()
        for row in selected:
            vocabulary |= row.terms()
        # The names together count as one unit (they say where; however many or long, they
        # must not drown an unknown word); every other content word must appear in the rows
        # the names select.
        named = 1 if query.mentions else 0
        missing = [w for w in query.content if w not in vocabulary]
        total = named + len(query.content)
        if total == 0:
            return 1.0, selected, missing
        # A word the sheet holds elsewhere, or a word inside a filter clause ("caused by software
        # bugs"), more often narrows the question than names a part the sheet lacks: it weighs a
        # quarter, and the answer says that no row matches it.
        lacking = sum(
            1.0 if w not in self._vocabulary and w not in query.narrowing else ELSEWHERE_WEIGHT
            for w in missing
        )
        return 1.0 - lacking / total, selected, missing

    @property
    def _vocabulary(self) -> frozenset[str]:
        return sheet_vocabulary(self.rows)

    def answer(self, question: str) -> FmeaAnswer:
        """The answer to one question, or an abstention that says what had no evidence."""
        if not question or not question.strip():
            raise ValueError("`question` must be a non-empty string")
        if ASKS_FOR_A_PERSON.match(question):
            text = "I cannot answer this from the FMEA: it asks for a person, and an FMEA row names none."
            return FmeaAnswer(text, (), 0.0, True)
        query = analyse(question, self.rows)
        strict = self._answer(question, query)
        if strict.abstained or not query.mentions:
            # A part named in part, a failure mode the sheet writes longer (table.link_mentions):
            # read so when the strict reading finds nothing, or names no part while the loose one
            # names every topic word ("the screw compressor": no glue pump merely close in meaning).
            loose = analyse(question, self.rows, loose=True)
            if loose.mentions != query.mentions and (strict.abstained or not loose.content):
                found = self._answer(question, loose)
                if not found.abstained:
                    return found
        return strict

    def _answer(self, question: str, query: Query) -> FmeaAnswer:
        support, selected, missing = self._support(query)
        if query.unread:
            text = (
                "I cannot answer this from the FMEA: I cannot read the comparison "
                + ", ".join(repr(u) for u in query.unread)
                + "; write it as over, under, at least, at most, between or equal to a number."
            )
            return FmeaAnswer(text, (), support, True)
        if support < self.threshold:
            scope = _scope(query.mentions)
            text = (
                "I cannot answer this from the FMEA: no row"
                + (f" of {scope}" if scope else "")
                + " mentions "
                + ", ".join(repr(w) for w in missing)
                + f" (support {support:.2f} < threshold {self.threshold:.2f})."
            )
            if query.mentions and 0 < len(selected) <= CONTEXT_ROWS:
                # What the sheet does hold for the parts named: the causes it gives instead of the
                # ones asked about. Context, not evidence for an answer: the answer abstains.
                weighed = weigh_alternatives(question, query, selected)
                text += (f" {weighed}" if weighed else "") + f"\nWhat the FMEA holds for {scope}:\n"
                text += "\n".join(row_line(r) for r in selected)
            return FmeaAnswer(text, (), support, True)
        lead, rows = self._compose(query, selected)
        weighed = weigh_alternatives(question, query, rows)
        lead += f" {weighed}" if weighed else ""
        shown = rows[: self.max_rows]
        lines = [lead, *(row_line(r) for r in shown)]
        if len(rows) > len(shown):
            lines.append(f"({len(rows) - len(shown)} more rows not shown.)")
        return FmeaAnswer("\n".join(lines), tuple(r.row_id for r in shown), support, False)

    def _compose(self, query: Query, selected: list[FmeaRow]) -> tuple[str, list[FmeaRow]]:
        scope = _scope(query.mentions) or "the FMEA"
        rows = selected
        notes: list[str] = []
        if query.content:
            rows = self._about(query, rows, notes)
        if query.kind is not None:
            rows, said = _of_kind(query, rows)
            if not rows:
                return f"No failure mode in {scope} has {said}.", []
            notes.append(f"{len(rows)} with {said}")
        filters = (query.numeric, *query.also) if query.numeric is not None else ()
        if filters:
            for f in filters:
                rows = [r for r in rows if OPS[f.op](r.score(f.score), f.value)]
            said = " and ".join(f"{_label(f.score)} {f.op} {_fmt(f.value)}" for f in filters)
            if not rows:
                return f"No failure mode in {scope} has {said}.", []
            notes.append(f"{len(rows)} failure modes with {said}")
        if query.group is not None and rows:
            counts = Counter(getattr(r, query.group) for r in rows)
            count = (min if query.fewest else max)(counts.values())
            names = [name for name, n in counts.items() if n == count]
            rows = [r for r in rows if getattr(r, query.group) in names]
            level = query.group.replace("_", "-") + ("s" if len(names) > 1 else "")
            notes.append(
                f"the {level} with the {'fewest' if query.fewest else 'most'} failure modes "
                f"{'are' if len(names) > 1 else 'is'} {', '.join(names)}, with {count}"
                + (" each" if len(names) > 1 else "")
            )
        if query.mean is not None and rows:
            values = [r.score(query.mean) for r in rows]
            mean = sum(values) / len(values)
            label = "RPN" if query.mean == "rpn" else query.mean
            where = (
                f"the whole FMEA ({len(rows)} failure modes)"
                if not query.mentions and len(rows) == len(self.rows)
                else f"{len(rows)} failure modes of {scope}"
            )
            return f"The average {label} value over {where} is {mean:.2f}.", []
        if query.rank is not None and rows:
            score, highest = query.rank
            values = [r.score(score) for r in rows]
            best = max(values) if highest else min(values)
            if min(values) == max(values):
                notes.append(f"all {len(rows)} have the same {score} value {_fmt(best)}: none stands out")
            else:
                extreme = query.extreme or ("highest" if highest else "lowest")
                notes.append(f"the {extreme} {_label(score)} value is {_fmt(best)}")
            if query.top > 1:  # "the top 3 RPNs": the rows of the 3 best values, in order
                kept = sorted(set(values), reverse=highest)[: query.top]
                rows = sorted(
                    (r for r in rows if r.score(score) in kept), key=lambda r: r.score(score), reverse=highest
                )
                notes.append(f"the top {query.top}: " + ", ".join(_fmt(v) for v in kept))
            else:
                rows = [r for r in rows if r.score(score) == best]
        if not rows:
            return f"No failure mode in {scope} matches the question.", []
        detail = "; ".join(notes)
        modes = "failure mode" if len(rows) == 1 else "failure modes"
        called = Counter(r.failure_mode for r in rows if r.failure_mode)
        if query.mentions and query.listed is None and 0 < len(called) <= NAMED_MODES:
            # A look-up of named parts says what their failure modes are called.
            modes += ", called " + ", ".join(n if c == 1 else f"{n} ({c})" for n, c in called.items())
        lead = f"{scope[0].upper() + scope[1:]}: {len(rows)} matching {modes}" + (
            f" ({detail})." if detail else "."
        )
        if query.listed is not None:
            lead += " " + _names(query.listed, rows)
        return lead, rows

    def _about(self, query: Query, rows: list[FmeaRow], notes: list[str]) -> list[FmeaRow]:
        """The rows the topic words point to, by words then by meaning; all rows, the closest
        first, when none does (the note says so)."""
        hits = self.matcher.match(rows, query.content, query.topic, query.columns)
        where = " or ".join(c.replace("_", " ") for c in query.columns) or "text"
        if not hits.lexical and not hits.semantic:
            order = ", the closest in meaning first" if self.matcher.embedder is not None else ""
            notes.append(
                f"no row mentions {query.topic or ', '.join(query.content)}; all its rows follow{order}"
            )
            return hits.ranked
        if hits.lexical:
            held = set().union(*(r.terms() for r in hits.lexical))
            # a word found through its concept is named with it ("degradation" found as "wear")
            found = [w for w in query.content if w in held or with_concepts([w]) & held]
            notes.append(f"{len(hits.lexical)} about {', '.join(sorted(set(found))) or 'the words asked'}")
        if hits.semantic:
            lowest = min(s for _, s in hits.semantic)
            notes.append(
                f"{len(hits.semantic)} whose {where} is close in meaning to '{query.topic}' "
                f"(similarity {lowest:.2f} to {max(s for _, s in hits.semantic):.2f})"
            )
        return hits.lexical + [r for r, _ in hits.semantic]


def _scope(mentions: Sequence[Mention]) -> str:
    """The names a question gives, in words: "component X and failure-mode Y or failure-mode Z"
    (names of the same question words are alternatives)."""
    groups = name_groups(mentions).values()
    return " and ".join(" or ".join(f"{m.level.replace('_', '-')} {m.name}" for m in g) for g in groups)
