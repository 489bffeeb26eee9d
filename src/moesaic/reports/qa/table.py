"""FMEA rows as typed records, and the linking of question words to the names in them.

The question answerer reads an FMEA sheet as :class:`FmeaRow` records, built from the
``Document(kind="fmea")`` rows that the FMEA loader and the knowledge base both produce.
:func:`link_mentions` finds which subsystem, component, sub-component and failure-mode names a
question speaks of, tolerant of case, inflection (``leaks`` ~ ``Leaking``), run-together
spelling (``airconditioner`` ~ ``Air-conditioning``), acronyms (``ECU``), one-letter typos
(``condensor`` ~ ``Condenser``), American or British spelling (``tire`` ~ ``Tyre``, ``center``
~ ``Centre``) and plurals in "-es" (``tyres`` ~ ``Tyre``, ``hoses`` ~ ``Hose``): names and
questions are both read by :func:`normal_terms`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.text.features import stem_words

TEXT_COLUMNS = {
    "subsystem": "Subsystem",
    "component": "Component",
    "sub_component": "Sub-Component",
    "failure_mode": "Potential Failure Mode",
    "effect": "Potential Effect(s) of Failure",
    "cause": "Potential Cause(s) of Failure",
    "control": "Current Controls",
    "action": "Recommended Action",
}
SCORE_COLUMNS = {"severity": "Severity", "occurrence": "Occurrence", "detection": "Detection", "rpn": "RPN"}
LEVELS = ("subsystem", "component", "sub_component", "failure_mode")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_ACRONYM = re.compile(r"\(([A-Za-z]{2,6})\)")
MIN_FUZZY = 6  # words shorter than this must match exactly
PART_LEVELS = ("component", "sub_component")  # the levels naming a part, which may be named in part
PART_SHARE = 2 / 3  # a part named in part: at least this share of its words, in a run
# American spellings -> British (the spelling of the sheets we know); compared before stemming.
_AMERICAN = """tire tyre|center centre|centered centred|color colour|gray grey|aluminum aluminium|liter litre
    |fiber fibre|vapor vapour|odor odour|behavior behaviour|labor labour|mold mould|molded moulded
    |disk disc|gage gauge|sulfur sulphur|maneuver manoeuvre|armor armour|catalog catalogue|plow plough
    |defense defence|meter metre|analyze analyse|analyzed analysed|paralyze paralyse"""
BRITISH = {
    f"{american}{end}": f"{british}{end}"
    for american, british in (pair.split() for pair in _AMERICAN.split("|"))
    for end in ("", "s")
}
# "-ize" words are written "-ise" (utilize, pressurized, stabilizer), a stem of 4 letters or more
# before it so that size or seize stay as they are.
_IZE = re.compile(r"(?<=[a-z]{4})iz(?=e|ing|ation)")


@dataclass(frozen=True)
class FmeaRow:
    """One FMEA line: where it fails, how, with what effect, why, controls, action and scores."""

    row_id: str
    subsystem: str
    component: str
    sub_component: str
    failure_mode: str
    effect: str
    cause: str
    control: str
    action: str
    severity: float
    occurrence: float
    detection: float
    rpn: float

    def score(self, name: str) -> float:
        return float(getattr(self, name))

    def text(self) -> str:
        """The row's text cells, space-joined."""
        return " ".join(getattr(self, f) for f in TEXT_COLUMNS)

    def terms(self) -> set[str]:
        """Every word of the row's text cells, as :func:`normal_terms` reads them."""
        return set(normal_terms(self.text()))


ALIASES = {
    "subsystem": ("system", "asset_type", "equipment"),
    "sub_component": ("subcomponent", "part"),
    "failure_mode": ("failure_mode", "mode"),
    "effect": ("effects", "effect", "failure_effect"),
    "cause": ("causes", "cause", "failure_cause"),
    "control": ("current_controls", "controls"),
    "action": ("recommended_action", "recommended_actions", "action"),
    "severity": ("sev", "s"),
    "occurrence": ("occ", "o"),
    "detection": ("det", "d"),
}
"""Other names a column of an FMEA sheet goes by (compared without case, spaces or punctuation)."""
REQUIRED = ("component", "failure_mode", "severity", "occurrence", "detection")
"""Fields every FMEA row must have; the others are empty when the sheet lacks them (RPN: S x O x D)."""


def _canon(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _field_names(fields: Iterable[str]) -> dict[str, str]:
    """Our field -> the sheet's column name, for the fields the sheet has."""
    by_canon = {_canon(f): f for f in fields}
    found = {}
    for key, column in {**TEXT_COLUMNS, **SCORE_COLUMNS}.items():
        for name in (column, key, *ALIASES.get(key, ())):
            if _canon(name) in by_canon:
                found[key] = by_canon[_canon(name)]
                break
    return found


def rows_from_documents(documents: Iterable[Document]) -> tuple[FmeaRow, ...]:
    """FMEA rows from ``Document`` records of kind "fmea" (others are skipped).

    Column names are matched without case or punctuation, with the usual alternatives
    (:data:`ALIASES`: ``Effects`` for ``Potential Effect(s) of Failure``, ``asset_type`` for the
    subsystem, ...), so the FMEA of the mining-truck set, the simulator's and a user's sheet all read.

    Raises:
        ValueError: an FMEA document without one of the :data:`REQUIRED` fields, or with a score
            that is not a number, naming the document and the field.
    """
    rows = []
    for doc in documents:
        if doc.kind != "fmea":
            continue
        fields = doc.fields
        names = _field_names(fields)
        missing = [TEXT_COLUMNS.get(k) or SCORE_COLUMNS[k] for k in REQUIRED if k not in names]
        if missing:
            raise ValueError(
                f"FMEA document {doc.doc_id!r} lacks the fields {missing}; it has {sorted(fields)}"
            )
        text = {k: " ".join(str(fields[names[k]]).split()) if k in names else "" for k in TEXT_COLUMNS}
        for level in LEVELS:  # a name typed with a trailing comma ("Wearing,") is the same name
            text[level] = text[level].rstrip(" ,;:")
        try:
            scores = {k: float(fields[names[k]]) for k in SCORE_COLUMNS if k in names}
        except (TypeError, ValueError):
            found = {names[k]: fields[names[k]] for k in SCORE_COLUMNS if k in names}
            raise ValueError(f"FMEA document {doc.doc_id!r}: scores must be numbers, got {found}") from None
        scores.setdefault("rpn", scores["severity"] * scores["occurrence"] * scores["detection"])
        # TEXT_COLUMNS then SCORE_COLUMNS follow the field order of FmeaRow.
        ordered = [scores[k] for k in SCORE_COLUMNS]
        rows.append(FmeaRow(str(doc.doc_id), *text.values(), *ordered))  # type: ignore[arg-type]
    return tuple(rows)


def terms(text: str) -> list[str]:
    """Lower-case stemmed words of ``text`` (numbers kept, decimals included)."""
    return stem_words(" ".join(_WORD.findall(text.lower()))).split()


_NOT_IES = frozenset({"series", "species"})  # words in "-ies" that are no plural of a "-y" word


def normal_terms(text: str) -> list[str]:
    """:func:`terms`, position for position, with American spellings written the British way
    (:data:`BRITISH`, "-ize" as "-ise"), "-ies" plurals as their "-y" singular ("batteries"), and
    a final "e" dropped from words of four letters or more, so that a plural the stemmer cut at
    "-es" meets its singular (tyres, tyre -> "tyr"; caused, cause -> "caus"). The answerer reads
    questions and sheets with it; nugget scoring keeps :func:`terms`."""
    words = [_IZE.sub("is", BRITISH.get(w, w)) for w in _WORD.findall(text.lower())]
    words = [w[:-3] + "y" if len(w) > 5 and w.endswith("ies") and w not in _NOT_IES else w for w in words]
    return [w[:-1] if len(w) > 3 and w.endswith("e") else w for w in stem_words(" ".join(words)).split()]


def _compact(text: str) -> str:
    return "".join(normal_terms(text))


def near(a: str, b: str) -> bool:
    """Equal, or one edit apart when both are long enough for a typo to be safe to forgive."""
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_FUZZY or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Mention(NamedTuple):
    level: str  # one of LEVELS
    name: str  # the name as written in the sheet
    words: frozenset[int]  # positions of the question words it covers


def _match(name: str, question: Sequence[str]) -> frozenset[int] | None:
    """Question word positions covering every word of ``name`` (a contiguous run preferred), or None."""
    name_terms = normal_terms(_ACRONYM.sub(" ", name)) or normal_terms(name)
    size = len(name_terms)
    acronym = _ACRONYM.search(name)
    short = acronym.group(1).lower() if acronym is not None else None
    for start in range(len(question) - size + 1):
        if all(near(question[start + k], t) for k, t in enumerate(name_terms)):
            end = (
                start + size
            )  # "Electronic control unit (ECU)" written out whole: the acronym is the name's too
            return frozenset(range(start, end + (end < len(question) and question[end] == short)))
    used: set[int] = set()
    for term in name_terms:
        hit = next((i for i, q in enumerate(question) if i not in used and near(q, term)), None)
        if hit is None:
            break
        used.add(hit)
    else:
        return frozenset(used)
    compact = _compact(_ACRONYM.sub(" ", name))
    for i, word in enumerate(question):  # "airconditioner" for "Air-conditioning"
        if len(compact) >= MIN_FUZZY and len(name_terms) > 1 and word.startswith(compact[:-1]):
            return frozenset({i})
    if size == 1 and len(compact) >= MIN_FUZZY:  # "wheel ends" for "Wheelends", "seat belt" for "Seatbelt"
        for i in range(len(question) - 1):
            first, second = question[i], question[i + 1]
            if min(len(first), len(second)) >= 3 and near(first + second, compact):
                return frozenset({i, i + 1})
    if short is not None:
        for i, word in enumerate(question):
            if word == short:
                return frozenset({i})
    return None


def _part_of(name: str, question: Sequence[str]) -> frozenset[int] | None:
    """Question word positions writing a run of at least two of ``name``'s words, and at least
    :data:`PART_SHARE` of them, in the name's order ("the screw compressor" for "Screw compressor
    airend"), the longest run; or None."""
    terms_ = normal_terms(name)
    for size in range(len(terms_) - 1, 1, -1):
        if size < PART_SHARE * len(terms_):
            break
        for first in range(len(terms_) - size + 1):
            run = terms_[first : first + size]
            for start in range(len(question) - size + 1):
                if all(near(question[start + k], t) for k, t in enumerate(run)):
                    return frozenset(range(start, start + size))
    return None


def link_mentions(question: str, rows: Sequence[FmeaRow], *, loose: bool = False) -> list[Mention]:
    """The sheet names the question speaks of, longest first. Each question word belongs to one
    name: a name sharing words with a longer (or equally long and contiguous, or equally long and
    higher-level) name already kept is dropped, unless it covers exactly the same words (then both
    are alternatives). With ``loose``, a part named by most of its words in a run ("the screw
    compressor" for the component "Screw compressor airend") is a mention when no whole name holds
    those words, and a failure mode named whole names too the failure modes that write it
    ("Bearing wear / spalling"): the reading :class:`~moesaic.reports.qa.fmea.FmeaAnswerer` falls
    back to when the strict one finds no row or names no part."""
    words = normal_terms(question)
    found: list[Mention] = []
    for level in LEVELS:
        for name in sorted({getattr(r, level) for r in rows if getattr(r, level)}):
            covered = _match(name, words)
            if covered is not None:
                found.append(Mention(level, name, covered))
    # "bearing wear" also names the failure mode "Bearing wear / spalling" of another row
    for mention in [m for m in found if m.level == "failure_mode" and loose]:
        named = normal_terms(mention.name)
        for name in sorted({r.failure_mode for r in rows if r.failure_mode} - {m.name for m in found}):
            longer = normal_terms(name)
            if any(longer[i : i + len(named)] == named for i in range(len(longer) - len(named) + 1)):
                found.append(Mention("failure_mode", name, mention.words))
    whole = set().union(*(m.words for m in found)) if found else set()
    for level in PART_LEVELS if loose else ():
        for name in sorted({getattr(r, level) for r in rows if getattr(r, level)} - {m.name for m in found}):
            covered = _part_of(name, words)
            if covered is not None and not covered & whole:
                found.append(Mention(level, name, covered))
    # Longest first; among equally long names, one written as a run of the question's words
    # ("Greasing System") before one gathered from scattered words ("system ... electrical").
    found.sort(
        key=lambda m: (
            -len(m.words),
            max(m.words) - min(m.words) + 1 > len(m.words),
            LEVELS.index(m.level),
            m.name,
        )
    )
    # A name gathered from scattered words loses a word that a name written as a run holds and
    # does not fully share: in "the filter housing of the air-conditioning", "Air filter housing"
    # would borrow the "air" of "Air-conditioning".
    runs = [m.words for m in found if max(m.words) - min(m.words) + 1 == len(m.words)]
    found = [
        m
        for m in found
        if max(m.words) - min(m.words) + 1 == len(m.words)
        or not any(m.words & r and not r <= m.words for r in runs)
    ]
    kept: list[Mention] = []
    for mention in found:
        if any(mention.words & other.words and mention.words != other.words for other in kept):
            continue
        kept.append(mention)
    return kept
