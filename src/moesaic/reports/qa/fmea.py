"""Extractive question answering over FMEA rows, with citations or an explicit abstention.

A question is read into a small structured query (:func:`analyse`): the sheet names it speaks
of, a numeric filter (``RPN over 35``), a ranking (``highest occurrence``), an aggregate
(``average detection``, ``highest number of failures``), the column it asks about (effects,
causes, controls, actions), the level whose names it wants listed ("what are the components
of ...") and its remaining content words, the *topic*, which filter rows by their text
(``caused by software bugs``): by words, and by meaning when MiniLM is installed
(:mod:`moesaic.reports.qa.topic`). The answer is a computed lead sentence plus the matching
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

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from moesaic.reports.qa.compare import OPS, NumericFilter, blank, read_comparisons
from moesaic.reports.qa.table import (
    LEVELS,
    MIN_FUZZY,
    SCORE_COLUMNS,
    FmeaRow,
    Mention,
    link_mentions,
    near,
    normal_terms,
    terms,
)
from moesaic.reports.qa.topic import (
    MIN_SIMILARITY,
    SEMANTIC_CHOICES,
    TopicMatcher,
    asked_columns,
    clause_positions,
    raw_words,
    topic_matcher,
)

# Question and schema words: they say what is asked, not what it is about.
_GENERIC = """a about all also an and any anything are as associated at be been by can could do does
each for from full give has have highest how i in is it its just least likely list lowest many
me more most number of on one or other over per perform related show still that the their them
there these this those to under value values was what when where which who why will with would
dataset fmea sheet table row failure failur mode rpn severity sever occurrence detection detect
effect cause caus reason control current action recommend recommended subsystem component
subcomponent sub part average mean total count less greater than above below equal tell
potential issue issues problem contain contains caused causes lead leads leading may might
modes numerical numeric numbers severe"""
GENERIC = frozenset(terms(_GENERIC))
# Further words that say what is asked or how, never what about: the other ranking words that
# `analyse` reads, verbs and phrases of asking ("in place", "belong to", "the whole sheet"), and
# the shorthand of technicians typing.
_ASKING = """maximum minimum largest smallest greatest fewest worst best belong belongs
place exist exists present available listed recorded kind type types whole entire overall across
include includes including known find found wat wht whch pls plz happen happens happened out"""
QUESTION_WORDS = frozenset(normal_terms(_GENERIC + " " + _ASKING))
# Words that open a filter clause: they say how the rows are narrowed, not what about.
_CLAUSE_WORDS = frozenset(normal_terms("involve involves involving related regarding concerning past beyond"))
_SCORE_WORDS = {"rpn": "rpn", "sever": "severity", r"occurr?[ea]n": "occurrence", "detect": "detection"}
_LEVEL_WORDS = {"subsystem": "subsystem", "subcomponent": "sub_component", "component": "component"}


class Query(NamedTuple):
    mentions: list[Mention]
    numeric: NumericFilter | None
    rank: tuple[str, bool] | None  # (score, highest?)
    mean: str | None  # score to average
    group: str | None  # level whose members are counted ("highest number of failures")
    content: list[str]  # remaining content words, stemmed
    narrowing: frozenset[str] = frozenset()  # content words inside filter clauses ("caused by ...")
    columns: tuple[str, ...] = ()  # text columns the question asks about (effect, cause, ...)
    topic: str = ""  # the content words as written, for matching by meaning
    listed: str | None = None  # level whose names the answer lists ("what are the components of")
    also: tuple[NumericFilter, ...] = ()  # further comparisons after `numeric` ("between 5 and 7")
    unread: tuple[str, ...] = ()  # comparisons written in a way not understood ("severity around 7")
    extreme: str = ""  # the word the question ranks by ("maximum", "lowest"), said back in the answer
    fewest: bool = False  # `group` ranked by the fewest failure modes rather than the most


def _score_named(text: str) -> str | None:
    for word, score in _SCORE_WORDS.items():
        if re.search(rf"\b{word}", text):
            return score
    return None


def analyse(question: str, rows: Sequence[FmeaRow]) -> Query:
    """The structured reading of ``question`` against the names of ``rows``."""
    compared = read_comparisons(question)
    # The comparisons are read; the rest of the question is read without them, so that "at
    # least 108" is no ranking and "exceeding" no topic word.
    question = blank(question, compared.spans)
    text = question.lower()
    columns = asked_columns(question)
    clause = clause_positions(question)
    mentions = _at_named_level(link_mentions(question, rows), raw_words(question))
    if columns:  # "actions related to lubrication": a name inside the clause is a topic, not a place
        mentions = [m for m in mentions if not m.words <= clause]
    score = _score_named(text)
    rank = None
    group = None
    top = re.search(r"\b(highest|most|maximum|max|largest|greatest|worst)\b", text)
    bottom = re.search(r"\b(lowest|least|minimum|min|smallest|fewest)\b", text)
    if (top or bottom) and _COUNTED.search(text):  # "the highest number of failures", "the fewest modes"
        # The level asked for ("which component ... has the most"), else the first level word.
        asked = _listed_level(text, mentions)
        group = (
            asked
            if asked in _LEVEL_WORDS.values()
            else next(
                (lvl for word, lvl in _LEVEL_WORDS.items() if re.search(rf"\b{word}\b", text)), "component"
            )
        )
        rank = ("severity", True) if "severe" in text else None
    elif top:
        rank = (score or ("severity" if "severe" in text else "occurrence"), True)
    elif bottom:
        rank = (score or "occurrence", False)
    ranked = top or bottom
    # Said back in the answer: "the maximum RPN value", but "the highest (not 'most') occurrence".
    extreme = {"most": "highest", "least": "lowest"}.get(ranked.group(1), ranked.group(1)) if ranked else ""
    mean = (score or "rpn") if re.search(r"\b(average|mean)\b", text) else None
    covered = set().union(*(m.words for m in mentions)) if mentions else set()
    words = normal_terms(question)
    sheet = _sheet_vocabulary(tuple(rows))
    kept = [
        i
        for i, w in enumerate(words)
        if i not in covered
        and not _asking(w, sheet)
        and w not in _CLAUSE_WORDS
        and not w.replace(".", "").isdigit()
        and len(w) > 2
    ]
    content = [words[i] for i in kept]
    # Outside a clause the same word may also name a part: it then counts in full.
    narrowing = frozenset(words[i] for i in kept if i in clause) - {words[i] for i in kept if i not in clause}
    raw = raw_words(question)
    topic = " ".join(raw[kept[0] : kept[-1] + 1]) if kept else ""
    listed = _listed_level(text, mentions)
    numeric = compared.filters[0] if compared.filters else None
    return Query(
        mentions, numeric, rank, mean, group, content, narrowing, asked_columns(question), topic, listed,
        compared.filters[1:], compared.unread, extreme, group is not None and top is None,
    )  # fmt: skip


# "the highest number of failures", "the most failure modes": a count per level is ranked.
_COUNTED = re.compile(
    r"\b(?:number|count) of (?:failures|failure modes)\b"
    r"|\b(?:highest|most|maximum|largest|greatest|fewest|least|lowest) (?:failures|failure modes)\b"
)
# Long question words, stemmed and as written: the stemmer leaves a typo whole ("likley") while
# it cuts the word meant ("likely" -> "lik").
_LONG_QUESTION_WORDS = frozenset(
    w for w in (*QUESTION_WORDS, *(_GENERIC + " " + _ASKING).split()) if len(w) >= MIN_FUZZY
)


def _swapped(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with two neighbouring letters swapped ("likley" for "likely")."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return (
        len(a) == len(b)
        and len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def _asking(word: str, sheet: frozenset[str]) -> bool:
    """Whether ``word`` says what is asked rather than what about: a question word, or one typo
    (a letter wrong, missing, added, or two swapped) away from a long one ("occurence",
    "likley") when the sheet does not hold it."""
    if word in QUESTION_WORDS:
        return True
    return (
        word not in sheet
        and len(word) >= MIN_FUZZY
        and any(near(word, g) or _swapped(word, g) for g in _LONG_QUESTION_WORDS)
    )


def _alternatives(mentions: Sequence[Mention]) -> dict[frozenset[int], list[Mention]]:
    """The mentions grouped by the question words they cover: names of one group are alternatives."""
    groups: dict[frozenset[int], list[Mention]] = {}
    for m in mentions:
        groups.setdefault(m.words, []).append(m)
    return groups


def _at_named_level(mentions: Sequence[Mention], raw: Sequence[str]) -> list[Mention]:
    """A name the sheet holds at several levels ("Electrical System": a subsystem and a component)
    keeps only the level the question names right after it ("the Electrical System subsystem")."""
    kept: list[Mention] = []
    for words, alternatives in _alternatives(mentions).items():
        after = " ".join(raw[max(words) + 1 : max(words) + 3])
        named = re.match(r"(sub-? ?components?|subsystems?|components?)\b", after)
        level = _LEVEL_WORDS.get(re.sub(r"[- ]|s$", "", named.group(1))) if named else None
        chosen = [m for m in alternatives if m.level == level]
        kept += chosen if len(alternatives) > 1 and chosen else alternatives
    return kept


_ASKED_LEVEL = re.compile(
    r"\b(?:what|which|how many)\b(?:\s+\w+){0,3}?\s+"
    r"(subsystems?|sub-?components?|components?|failure modes?|parts?)\b"
)


def _listed_level(text: str, mentions: Sequence[Mention]) -> str | None:
    """The level whose names the question asks for: "which subcomponent" -> sub_component;
    asking for the level of the deepest name given ("the components of the air-conditioning
    component"), or for its "parts", means the level below it."""
    found = _ASKED_LEVEL.search(text)
    if found is None:
        return None
    word = found.group(1).replace("-", "").rstrip("s")
    deepest = max((LEVELS.index(m.level) for m in mentions), default=-1)
    if word == "part":  # "the parts of the wheel ends": the level below the deepest name given
        return LEVELS[min(max(deepest + 1, LEVELS.index("component")), LEVELS.index("sub_component"))]
    level = {"subsystem": "subsystem", "subcomponent": "sub_component", "component": "component"}.get(
        word, "failure_mode"
    )
    if LEVELS.index(level) == deepest and level != "failure_mode":
        return LEVELS[min(deepest + 1, len(LEVELS) - 1)]
    return level


def _by_mentions(rows: Sequence[FmeaRow], mentions: Sequence[Mention]) -> list[FmeaRow]:
    """Rows matching every mentioned span; names covering the same words are alternatives."""
    selected = list(rows)
    for alternatives in _alternatives(mentions).values():
        selected = [r for r in selected if any(getattr(r, m.level) == m.name for m in alternatives)]
    return selected


ELSEWHERE_WEIGHT = 0.25
# The threshold `moesaic bench qa` fits on the development half of the paired question set
# (mining-truck FMEA); the evaluation half is never used to choose it. Refit for another sheet.
DEFAULT_THRESHOLD = 0.854


@functools.lru_cache(maxsize=8)
def _sheet_vocabulary(rows: tuple[FmeaRow, ...]) -> frozenset[str]:
    return frozenset().union(*(r.terms() for r in rows))


class FmeaAnswer(NamedTuple):
    text: str
    row_ids: tuple[str, ...]  # the rows cited, in the order shown
    support: float  # share of the question's content words found in the selected rows, in [0, 1]
    abstained: bool


def _names(level: str, rows: Sequence[FmeaRow]) -> str:
    """How many distinct names of ``level`` ``rows`` hold, then the names in order of appearance,
    each with its row count."""
    counts = Counter(getattr(r, level) for r in rows if getattr(r, level))
    label = {"sub_component": "sub-component", "failure_mode": "failure mode"}.get(level, level)
    label += "" if len(counts) == 1 else "s"
    return f"{len(counts)} {label}: " + ", ".join(f"{name} ({n})" for name, n in counts.items()) + "."


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
        """Share of the question's content words (names included) found in its selected rows."""
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
        return _sheet_vocabulary(self.rows)

    def answer(self, question: str) -> FmeaAnswer:
        """The answer to one question, or an abstention that says what had no evidence."""
        if not question or not question.strip():
            raise ValueError("`question` must be a non-empty string")
        query = analyse(question, self.rows)
        support, selected, missing = self._support(query)
        if query.unread:
            text = (
                "I cannot answer this from the FMEA: I cannot read the comparison "
                + ", ".join(repr(u) for u in query.unread)
                + "; write it as over, under, at least, at most, between or equal to a number."
            )
            return FmeaAnswer(text, (), support, True)
        if support < self.threshold:
            scope = " and ".join(f"{m.level.replace('_', '-')} {m.name}" for m in query.mentions)
            text = (
                "I cannot answer this from the FMEA: no row"
                + (f" of {scope}" if scope else "")
                + " mentions "
                + ", ".join(repr(w) for w in missing)
                + f" (support {support:.2f} < threshold {self.threshold:.2f})."
            )
            return FmeaAnswer(text, (), support, True)
        lead, rows = self._compose(query, selected)
        shown = rows[: self.max_rows]
        lines = [lead, *(row_line(r) for r in shown)]
        if len(rows) > len(shown):
            lines.append(f"({len(rows) - len(shown)} more rows not shown.)")
        return FmeaAnswer("\n".join(lines), tuple(r.row_id for r in shown), support, False)

    def _compose(self, query: Query, selected: list[FmeaRow]) -> tuple[str, list[FmeaRow]]:
        scope = " and ".join(f"{m.level.replace('_', '-')} {m.name}" for m in query.mentions) or "the FMEA"
        rows = selected
        notes: list[str] = []
        if query.content:
            rows = self._about(query, rows, notes)
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
            return f"The average {label} value over {len(rows)} failure modes of {scope} is {mean:.2f}.", []
        if query.rank is not None and rows:
            score, highest = query.rank
            values = [r.score(score) for r in rows]
            best = max(values) if highest else min(values)
            if min(values) == max(values):
                notes.append(f"all {len(rows)} have the same {score} value {_fmt(best)}: none stands out")
            else:
                extreme = query.extreme or ("highest" if highest else "lowest")
                notes.append(f"the {extreme} {_label(score)} value is {_fmt(best)}")
            rows = [r for r in rows if r.score(score) == best]
        if not rows:
            return f"No failure mode in {scope} matches the question.", []
        detail = "; ".join(notes)
        lead = f"{scope[0].upper() + scope[1:]}: {len(rows)} matching failure modes" + (
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
            found = set(query.content) & set().union(*(r.terms() for r in hits.lexical))
            notes.append(f"{len(hits.lexical)} about {', '.join(sorted(found))}")
        if hits.semantic:
            lowest = min(s for _, s in hits.semantic)
            notes.append(
                f"{len(hits.semantic)} whose {where} is close in meaning to '{query.topic}' "
                f"(similarity {lowest:.2f} to {max(s for _, s in hits.semantic):.2f})"
            )
        return hits.lexical + [r for r, _ in hits.semantic]
