"""How an FMEA question is read: the structured query that :mod:`moesaic.reports.qa.fmea` answers.

:func:`analyse` reads a question against the sheet's names into a :class:`Query`: the names it
speaks of (at the level it names, "the Electrical System subsystem"), a numeric filter (``RPN
over 35``), a ranking (``highest occurrence``), an aggregate (``average detection``, ``highest
number of failures``), the column it asks about (effects, causes, controls, actions), the level
whose names it wants listed ("what are the components of ..."), the kind of control or action it
wants ("just a check", :mod:`moesaic.reports.qa.kinds`) and its remaining content words, the
*topic*. Words of asking ("maximum", "belong", "wat", a typo of a long one) are never topic.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

from moesaic.reports.qa.compare import NumericFilter, blank, read_comparisons
from moesaic.reports.qa.kinds import Kind, read_kind
from moesaic.reports.qa.table import (
    LEVELS,
    MIN_FUZZY,
    FmeaRow,
    Mention,
    link_mentions,
    near,
    normal_terms,
    terms,
)
from moesaic.reports.qa.topic import asked_columns, clause_positions, raw_words

# Question and schema words: they say what is asked, not what it is about.
_GENERIC = """a about all also an and any anything are as associated at be been by can could do does
each for from full give has have highest how i in is it its just least likely list lowest many
me more most number of on one or other over per perform related show still that the their them
there these this those to under value values was what when where which who why will with would
dataset fmea sheet table row failure failur mode rpn severity sever occurrence detection detect
effect cause caus reason control current action recommend recommended subsystem component
subcomponent sub part average mean total count less greater than above below equal tell
potential issue issues problem contain contains caused causes lead leads leading may might
modes numerical numeric numbers severe due"""
GENERIC = frozenset(terms(_GENERIC))
# Further words that say what is asked or how, never what about: the other ranking words that
# `analyse` reads, verbs and phrases of asking ("in place", "belong to", "the whole sheet"), and
# the shorthand of technicians typing.
_ASKING = """maximum minimum largest smallest greatest fewest worst best belong belongs
place exist exists present available listed recorded kind type types whole entire overall across
include includes including known find found wat wht whch pls plz happen happens happened out
prescribe prescribes prescribed suggest suggests suggested score scores rating ratings doing done
get gets got make makes made consist consists comprise comprises composed"""
QUESTION_WORDS = frozenset(normal_terms(_GENERIC + " " + _ASKING))
# Words that open a filter clause: they say how the rows are narrowed, not what about.
_CLAUSE_WORDS = frozenset(normal_terms("involve involves involving related regarding concerning past beyond"))
_SCORE_WORDS = {"rpn": "rpn", "sever": "severity", r"occurr?[ea]n": "occurrence", "detect": "detection"}
_LEVEL_WORDS = {"subsystem": "subsystem", "subcomponent": "sub_component", "component": "component"}


# Maintenance shorthand in questions, written out before a question is read ("avg sev of the
# lube pump" -> "average severity of the lubrication pump"): lower-case word -> its full form.
SHORTHAND = {
    "avg": "average", "ave": "average", "sev": "severity", "occ": "occurrence", "det": "detection",
    "lube": "lubrication", "cyl": "cylinder", "cyls": "cylinders", "hyd": "hydraulic",
    "hydr": "hydraulic", "elec": "electrical", "elect": "electrical", "temp": "temperature",
    "temps": "temperatures", "maf": "mass air flow", "eng": "engine", "trans": "transmission",
    "assy": "assembly", "hrs": "hours", "hr": "hour", "svc": "service", "insp": "inspection",
    "maint": "maintenance", "info": "information", "aircon": "air conditioning", "rad": "radiator",
    "alt": "alternator", "pwr": "power", "brk": "brake", "brks": "brakes", "fltr": "filter",
    "qty": "quantity", "approx": "approximately", "w/": "with", "w/o": "without", "&": "and",
    "wat": "what", "wht": "what", "whch": "which",
}  # fmt: skip
_SHORTHAND = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w/])",
    re.IGNORECASE,
)


def expand_shorthand(question: str) -> str:
    """``question`` with the maintenance shorthand of :data:`SHORTHAND` written out."""
    return _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1).lower()], question)


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
    kind: Kind | None = None  # controls or actions that are only a check, or more than one
    top: int = 1  # how many of the best values a ranking keeps ("the top 3 RPNs")


_PART_NUMBER = re.compile(r"\bpart\s*(?:numbers?|nos?\.?|#)(?!\w)", re.IGNORECASE)
ASKS_FOR_A_PERSON = re.compile(r"^\s*(?:who|whom|whose)\b", re.IGNORECASE)
"""A question opening with "who": it asks for a person, and an FMEA row names none."""


def _score_named(text: str) -> str | None:
    for word, score in _SCORE_WORDS.items():
        if re.search(rf"\b{word}", text):
            return score
    return None


def analyse(question: str, rows: Sequence[FmeaRow], *, loose: bool = False) -> Query:
    """The structured reading of ``question`` against the names of ``rows`` (``loose``: names also
    read in part, :func:`~moesaic.reports.qa.table.link_mentions`)."""
    question = expand_shorthand(question)
    # "part number" asks for a column an FMEA does not have: one topic word no cell holds, not two
    # words of asking ("part", "number") that leave nothing to abstain on
    question = _PART_NUMBER.sub("partnumber", question)
    compared = read_comparisons(question)
    # The comparisons are read; the rest of the question is read without them, so that "at
    # least 108" is no ranking and "exceeding" no topic word.
    question = blank(question, compared.spans)
    # "just a check on a regular interval" says which kind of control, not what it is about.
    kind = read_kind(question)
    if kind is not None:
        question = blank(question, kind.spans)
    text = question.lower()
    columns = asked_columns(question)
    clause = clause_positions(question)
    mentions = _at_named_level(link_mentions(question, rows, loose=loose), raw_words(question))
    columns = _outside_names(question, columns, normal_terms(question), mentions)
    if columns:  # "actions related to lubrication": a name inside the clause is a topic, not a place
        mentions = [m for m in mentions if not m.words <= clause]
    score = _score_named(text)
    rank = None
    group = None
    top = re.search(r"\b(highest|most|maximum|max|largest|greatest|worst|top(?= \d| (?:rpn|risk)))\b", text)
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
    if top is not None and top.group(1) == "top":  # "the top 3 RPNs": a ranking, no topic
        question = question[: top.start(1)] + "   " + question[top.end(1) :]
    words = normal_terms(question)
    sheet = sheet_vocabulary(tuple(rows))
    naming_sheet = _naming_the_sheet(words, tuple(rows), sheet)
    kept = [
        i
        for i, w in enumerate(words)
        if i not in covered
        and i not in naming_sheet
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
        mentions, numeric, rank, mean, group, content, narrowing, columns, topic, listed,
        compared.filters[1:], compared.unread, extreme, group is not None and top is None, kind,
        _top_count(text) if rank else 1,
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


# The one-word cues of a column, stemmed: a part may be named with them ("Cabin Controls").
_NAMEABLE_CUES = {"control": "control", "action": "action", "effect": "effect"}


def _outside_names(
    question: str, columns: tuple[str, ...], words: Sequence[str], mentions: Sequence[Mention]
) -> tuple[str, ...]:
    """The asked columns less those asked only by a one-word cue inside a name the question
    gives ("the components of the Electrical and Controls subsystem" asks for no control)."""
    covered = set().union(*(m.words for m in mentions)) if mentions else set()
    kept = []
    for column in columns:
        stem = _NAMEABLE_CUES.get(column)
        if stem is None or any(w.startswith(stem) for i, w in enumerate(words) if i not in covered):
            kept.append(column)
        elif column in asked_columns(re.sub(rf"\b{stem}\w*", " ", question, flags=re.IGNORECASE)):
            kept.append(column)  # another cue asks for it too ("what do the Cabin Controls lead to")
    return tuple(kept)


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


def name_groups(mentions: Sequence[Mention]) -> dict[frozenset[int], list[Mention]]:
    """The mentions grouped by the question words they cover: names of one group are alternatives."""
    groups: dict[frozenset[int], list[Mention]] = {}
    for m in mentions:
        groups.setdefault(m.words, []).append(m)
    return groups


def _at_named_level(mentions: Sequence[Mention], raw: Sequence[str]) -> list[Mention]:
    """A name the sheet holds at several levels ("Electrical System": a subsystem and a component)
    keeps only the level the question names right after it ("the Electrical System subsystem")."""
    kept: list[Mention] = []
    for words, alternatives in name_groups(mentions).items():
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


def _top_count(text: str) -> int:
    """N of "the top N" (at most 20), else 1."""
    found = re.search(r"\btop (\d{1,2})\b", text)
    return min(int(found.group(1)), 20) if found else 1


_MADE_OF = re.compile(r"\b(?:consists? of|made up of|makes? up|comprises?|composed of|is made of)\b")


def _listed_level(text: str, mentions: Sequence[Mention]) -> str | None:
    """The level whose names the question asks for: "which subcomponent" -> sub_component;
    asking for the level of the deepest name given ("the components of the air-conditioning
    component"), or for its "parts", means the level below it."""
    found = _ASKED_LEVEL.search(text)
    deepest = max((LEVELS.index(m.level) for m in mentions), default=-1)
    if found is None and _MADE_OF.search(text) and 0 <= deepest < LEVELS.index("sub_component"):
        return LEVELS[deepest + 1]  # "what does the pitch system consist of": the level below it
    if found is None:
        return None
    word = found.group(1).replace("-", "").rstrip("s")
    if word == "part":  # "the parts of the wheel ends": the level below the deepest name given
        return LEVELS[min(max(deepest + 1, LEVELS.index("component")), LEVELS.index("sub_component"))]
    level = {"subsystem": "subsystem", "subcomponent": "sub_component", "component": "component"}.get(
        word, "failure_mode"
    )
    if LEVELS.index(level) == deepest and level != "failure_mode":
        return LEVELS[min(deepest + 1, len(LEVELS) - 1)]
    return level


_BEFORE_NAME = frozenset({"the", "a", "an", "in", "on", "of", "for", "from", "this", "our", "that", "to"})


def _naming_the_sheet(words: Sequence[str], rows: tuple[FmeaRow, ...], sheet: frozenset[str]) -> set[int]:
    """Positions of the words that name the sheet, not a topic, when no cell holds them: the words
    of its source's name (rows cited as ``fmea_mining_truck:fmea-135``: "on the mining truck") and
    up to three words right before one of them ("on the haul truck") or before "FMEA" ("in the
    haul truck FMEA")."""
    source = _source_words(rows)
    out = {i for i, w in enumerate(words) if w in source and w not in sheet}
    for i, word in enumerate(words):
        if word in ("fmea", "fmeca") or i in out:  # "the haul truck": a word before the name is of it
            j = i - 1
            while j >= 0 and i - j <= 3 and words[j] not in sheet and words[j] not in _BEFORE_NAME:
                out.add(j)
                j -= 1
    return out


@functools.lru_cache(maxsize=8)
def _source_words(rows: tuple[FmeaRow, ...]) -> frozenset[str]:
    """The stemmed words of the sources the rows' ids name, "fmea" left out."""
    sources = {r.row_id.split(":", 1)[0] for r in rows if ":" in r.row_id}
    return frozenset(w for s in sources for w in normal_terms(s) if w not in ("fmea", "fmeca"))


@functools.lru_cache(maxsize=8)
def sheet_vocabulary(rows: tuple[FmeaRow, ...]) -> frozenset[str]:
    """The stemmed words of every cell of ``rows``."""
    return frozenset().union(*(r.terms() for r in rows))
