"""Structured questions over the dated records: counts, lists, totals, the most frequent value.

"How many work orders for asset B in 2005?", "list the alarms of P-102 last month", "which
component is most often in work orders of excavator C?", "number of work orders per asset",
"total cost of work orders with failure mode Leak", "which work orders cost more than 500?".
The question is read into a :class:`RecordQuery` (records, filters, operation); the answer is
computed with pandas over :func:`~moesaic.reports.ask.frame.load_records` and cites the records
counted. Words are compared folded (:func:`~moesaic.knowledge.links.fold`: "temperature" finds
"température"). Besides the standard facets, a question may filter or group by any other field
of the records that it names ("with Priorität hoch"), or by their asset's words (type, site,
criticality: "EM work orders at the Geleen site", :func:`named_value_sets`); a comparison on
costs, hours or durations it cannot read, or a "most" over nothing the records hold, is an
abstention rather than a list of everything. The words no filter reads are the question's topic:
those the records' texts hold filter by text ("what did the bearing replacements cost"), and a
thing no record mentions, named where a count or a total names what it is about ("on the chlorine
analyser"), is said to be unmentioned rather than answered with every record.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.links import WORD, fold
from moesaic.reports.ask.answer import (
    MAX_CITED,
    KbAnswer,
    RecordCitation,
    abstain,
    cite_records,
    fmt_number,
    shortened,
)
from moesaic.reports.ask.frame import (
    DURATION_FROM_DATES,
    DURATION_IN_HOURS,
    FACETS,
    INSTALL_YEAR,
    RECORD_KINDS,
)
from moesaic.reports.ask.resolve import Named
from moesaic.reports.ask.timewords import TimePhraseError, Window, blank_times, read_window
from moesaic.reports.qa.compare import OPS, NumericFilter, blank, read_comparisons
from moesaic.reports.scenarios.coding import PREVENTIVE_TYPES

# Words naming a facet to group by ("which component", "most common failure mode").
FACET_WORDS = (
    ("failure_code", r"failure codes?|error codes?|codes?"),
    ("failure_mode", r"failure modes?|modes? of failure|fault types?|failure types?"),
    ("part_number", r"part numbers?"),
    ("action", r"actions?|repairs? type|activit(?:y|ies)"),
    ("system", r"major systems?|subsystems?|systems?"),
    ("component", r"components?|parts?"),
)
_TOP = re.compile(r"\bmost\b(?! recent)|\btop\s*\d*\b|\bfrequent(?:ly)?\b")  # "most recent": a time
# "the highest total cost": a ranking (as typed, too)
_HIGHEST = re.compile(r"\b(?:highest|higest|hightest|largest|biggest|greatest)\b")
LATEST_WORDS = re.compile(r"\b(?:last|latest|most recent)\b(?!\s+\d)(?!\s+(?:hour|day|week|month|year)s?\b)")
_WHO_MOST = re.compile(
    r"^who\b|\b(?:which|what) (?:\w+ )?(?:technicians?|techs?|mechanics?|fitters?|crews?|engineers?"
    r"|electricians?|workers?)\b"
)
"""A ranking of the people who did the work ("who did the most", "which tech ...")."""
_NONE = re.compile(
    r"\b(?:(?:have|has|had|got|saw|see|with) (?:no|zero)|without(?: any| a)?) (?:[\w-]+ ){0,2}"
    r"(?:work ?orders?|wos?|jobs?|alarms?|alerts?|faults?|failures?|events?|anomal\w*|records?|maintenance)\b"
)
"""Assets asked for by what they lack: "which assets have no work orders"."""
_ANY = re.compile(r"^(?:did|does|do|were|was|has|have|are|is) .*\bany\b")  # a yes/no count
RELIABILITY = re.compile(
    r"\b(?P<mtbf>mtbf|mean time between (?:failures?|breakdowns?))\b"
    r"|\b(?:mttr|mean time to (?:repair|restore))\b"
)
"""A reliability figure of the records: the mean time between failures, or to repair."""
_PER_ASSET = re.compile(r"\b(?:per|by|for each|each)\s+(?:asset|machine|equipment|excavator|unit)\b")
# Values that say nothing a question would filter on: "done" and "ok" in an Action Taken column
# ("how many preventive work orders were done" asks for all of them).
_GENERIC_VALUES = frozenset(
    ("unspecified", "other", "misc", "none", "unknown", "n/a", "na", "cm", "pm", "done", "ok", "yes", "no")
)
MIN_VALUE_LENGTH = 3
# Words naming the NUMERIC_FIELDS in a comparison ("cost more than 500", "labour hours above 4").
QUANTITY_WORDS = {
    "cost": r"costs?|costing|costed|spent",
    "labour hours": r"labou?r hours?|man[ -]?hours?|hours of labou?r",
    "duration": r"durations?|downtime|running ?time",
}
AMOUNT_WORDS = {  # labour first: "labour hrs spent" adds up hours, not a cost
    "labour hours": r"\blabou?r\b|\bman[ -]?hours?\b|\bhrs\b",
    "cost": r"\bcost|\bspen[dt]\b|\bexpens",
    "duration": r"\bduration|\bdowntime|\brunning ?time",
}
"""Words by which a question names one of the NUMERIC_FIELDS it adds up or averages."""
_INSTALLED = re.compile(
    r"\b(?:installed|commissioned|built|put in service)\s+(?P<op>before|prior to|after|since|in)\s+"
    r"(?P<year>(?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_INSTALLED_OPS = {"before": "<", "prior to": "<", "after": ">", "since": ">=", "in": "=="}
_CODED = re.compile(r"\bwith (?:a |any )?(?:failure (?:code|mode)|fault code)\b")
_MENTIONING = re.compile(
    r"\b(?:mentioning|mentions?|containing|contains|saying|says|about|with text)\s+(.+?)"
    r"(?=\s+(?:in|on|for|during|between|since|from|last|of|at)\b|\?|$)"
)


class RecordQuery(NamedTuple):
    noun: str  # what is counted, as the answer names it ("work orders")
    table: str | None  # documents | events | None (both)
    kinds: tuple[str, ...]
    assets: tuple[str, ...]
    identifiers: tuple[str, ...]
    window: Window | None
    filters: dict[str, tuple[str, ...]]  # facet -> the values of it named in the question (any of them)
    operation: str  # count | list | top | per_asset | sum | mean
    group: str | None  # facet or "asset" for top / per_asset
    numeric: str | None  # NUMERIC_FIELDS key for sum / mean
    words: tuple[str, ...] = ()  # words the record text must hold ("mentioning bucket cylinder")
    bounds: tuple[NumericFilter, ...] = ()  # comparisons on NUMERIC_FIELDS ("cost > 500")
    unread: tuple[str, ...] = ()  # comparisons written in a way not understood, as written
    fields: tuple[str, ...] = ()  # the records' other fields the question names (module docstring)
    question: str = ""  # as asked, to quote its words
    coded: bool = False  # work orders that record a failure code or mode only ("failures" without events)
    asks: str | None = None  # the field asked for ("which technician ..."); "" a person none names
    unheld: tuple[str, ...] = ()  # topic words of a latest / asked-field question that no record holds
    by_end: bool = False  # the window bounds when the work was completed ("completed in December")
    still_open: bool = False  # orders without a completion date only ("which work orders are still open")


def record_kind(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    """(noun, table, kinds) of the records a question is about; work orders when it names none."""
    for pattern, (table, kinds) in RECORD_KINDS.items():
        found = re.search(rf"\b{pattern}", text)
        if found:
            word = found.group(0)
            noun = {"anomal": "anomalies", "alert": "alarms", "maintenance record": "work orders"}.get(
                word, "faults" if " type" in word else word + "s"
            )
            return noun, table, kinds
    return "work orders", "documents", ("work_order",)


def group_facet(text: str, asset_types: tuple[str, ...] = ()) -> str | None:
    """The facet a question groups by ("which component ...", "most common failure mode"), or
    "asset" for "which asset" and "which blower" (one of ``asset_types``, folded)."""
    machines = "|".join(["asset|machine|equipment|excavator|unit", *(re.escape(t) for t in asset_types)])
    if re.search(rf"\b(?:which|what) (?:{machines})(?:e?s)?\b(?!\s+types?\b)", text):
        return "asset"
    if re.search(r"\bwhich (?:one|of them)\b", text) and re.search(r"\b(?:assets|machines|units)\b", text):
        return "asset"  # "among the criticality B assets, which one ..."
    for facet, pattern in FACET_WORDS:
        if re.search(rf"\b(?:{pattern})\b", text):
            return facet
    return None


def _asset_types(frame: pd.DataFrame) -> tuple[str, ...]:
    """The records' asset types, folded, as words ("centrifugal pump" for ``centrifugal_pump``), and
    the last word of each ("which pumps": the assets of every type of pump)."""
    types = sorted(
        {" ".join(re.findall(r"[^\W_]+", fold(v))) for v in facet_column(frame, "asset_type") if v}
    )
    return tuple(dict.fromkeys([*types, *(t.split()[-1] for t in types if t)]))


PERSON_FIELDS = re.compile(
    r"\b(?:technicians?|techs?|mechanics?|fitters?|electricians?|crafts?(?:man|men)?|crews?|operators?"
    r"|engineers?|employees?|person(?:nel)?|workers?|planners?|techniker|monteure?|bearbeiter"
    r"|mitarbeiter|verantwortlich|technicien|intervenant|tecnico|operario)\b"
)
"""Words of a field naming who did the work (``technician``, ``Crew``, ``Mitarbeiter``)."""
_PERSON_DEEDS = re.compile(r"\b(?:performed|done|assigned|responsible|signed|executed|completed)\b")
"""Words of a field that names a person when it holds no dates (``performed_by``, ``Assigned To``):
a ``Completed`` column of dates says when, not who."""
_DATE_CELL = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")
_WHO = re.compile(
    r"^(?:who|whom)\b(?! (?:is|was|are|were) (?:the|its) )|\bwho (?:did|has|had|last)\b|\bwho \w+ed\b"
)
"""A question asking for a person; "who is the manufacturer of V12" asks for an attribute instead."""


def asked_field(text: str, scope: pd.DataFrame) -> str | None:
    """The records' field whose value the folded question asks for: the one it opens with
    ("which technician ...", "what priority ..."), or for "who ..." the field naming a person
    (:data:`PERSON_FIELDS`), "" when the records hold none; None when it asks for no field."""
    names = sorted({k for fields in scope.get("fields", pd.Series(dtype=object)) for k in fields})
    opener = re.match(r"(?:which|what) ((?:\w+ ?){1,3})", text)
    if opener:
        for name in sorted(names, key=lambda n: -len(_spoken(n))):
            if re.match(rf"{re.escape(_spoken(name))}s?\b", opener.group(1)):
                return name
    if _WHO.search(text):
        return next(iter(person_fields(scope)), "")
    return None


PLACE_WORDS = ("site", "plant", "works", "location", "facility", "station")
"""Words for where an asset stands: a question saying one names the records' field called by
another ("which works spent the most" for a ``plant`` field) when no field is called by it."""


def other_fields(text: str, frame: pd.DataFrame) -> tuple[str, ...]:
    """The records' other fields (``frame["fields"]`` names) that the folded ``text`` names as
    words, a place field also by another of :data:`PLACE_WORDS`."""
    if "fields" not in frame:
        return ()
    names = sorted({k for fields in frame["fields"] for k in fields})
    named = [k for k in names if re.search(rf"(?<![\w-]){re.escape(_spoken(k))}(?![\w-])", text)]
    places = [k for k in names if _spoken(k) in PLACE_WORDS]
    if len(places) == 1 and places[0] not in named and re.search(rf"\b(?:{'|'.join(PLACE_WORDS)})s?\b", text):
        named.append(places[0])
    return tuple(named)


def _spoken(name: str) -> str:
    """A field name as a question writes it, folded: "Labour_Hours" -> "labour hours"."""
    return " ".join(WORD.findall(fold(name)))


def facet_column(rows: pd.DataFrame, facet: str) -> pd.Series:
    """The values of a facet, or of another field of the records ("" where a record has none)."""
    if facet in rows.columns:
        return rows[facet]
    return pd.Series([f.get(facet, "") for f in rows["fields"]], index=rows.index, dtype="object")


def named_values(
    text: str, frame: pd.DataFrame, skip: str | None = None, extra: tuple[str, ...] = ()
) -> dict[str, str]:
    """{facet: value} for values of the facets (and of the ``extra`` fields) that the folded
    question names as whole words, longest first (the first value of :func:`named_value_sets`)."""
    return {facet: values[0] for facet, values in named_value_sets(text, frame, skip, extra).items()}


def named_value_sets(
    text: str, frame: pd.DataFrame, skip: str | None = None, extra: tuple[str, ...] = (), question: str = ""
) -> dict[str, tuple[str, ...]]:
    """{facet or field: the values of it that the folded ``text`` names as whole words}, longest
    first, a word read once.

    A field the question names ("with priority 1", "wo_type CM") may take any of its values. Other
    facets' values, and those of a record's categorical fields (at most :data:`CATEGORICAL_VALUES`
    distinct values: a site, a work type, a status), need :data:`MIN_VALUE_LENGTH` letters and must
    not be generic ("other", "PM"), unless the question writes a code as the records do, in
    capitals ("EM work orders", "CM + EM"). A value may be written in the plural ("leaks"), one
    of four letters or more with "-age", "-ed" or "-ing" ("blockage" for BLOCK); an asset
    type of several words also by its last word when no other type ends with it ("the conveyors"
    for "belt conveyor").
    """
    loose = tuple(f for f in (*categorical_fields(frame), *person_fields(frame)) if f not in extra)
    codes = set(re.findall(r"\b([A-Z][A-Z0-9]{1,4})s?\b", question))  # "EM", "PMs"
    candidates = []
    spelt_as: dict[tuple[str, str], str] = {}  # ("urgent", "Priority"): "1-Urgent"
    texts: str | None = None  # the records' texts, read once a ranked value's word is asked about
    for facet in (*FACETS, *extra, *loose):
        if facet == skip:
            continue
        for value in facet_column(frame, facet).loc[lambda v: v != ""].astype(str).value_counts().index:
            coded = value in codes
            named = facet in extra or (len(value) >= MIN_VALUE_LENGTH and fold(value) not in _GENERIC_VALUES)
            if coded or (named and not (facet in loose and _NUMBER.fullmatch(value))):
                candidates.append((value, facet))
            ranked = _RANKED_VALUE.match(value) if facet in loose or facet in extra else None
            word = rf"\b{re.escape(fold(ranked['words']))}\b" if ranked else ""
            if ranked and re.search(word, text):
                if texts is None:
                    texts = " ".join(frame["text"].map(fold)) if "text" in frame else ""
                if not re.search(word, texts):  # "urgent" for "1-Urgent", if no text says it
                    spelt_as[(ranked["words"], facet)] = value
                    candidates.append((ranked["words"], facet))
    types = [str(v) for v in facet_column(frame, "asset_type").loc[lambda v: v != ""].unique()]
    heads = [" ".join(re.findall(r"[^\W_]+", fold(v))).split()[-1] for v in types]
    found: dict[str, tuple[str, ...]] = {}
    taken: list[tuple[int, int]] = []
    for head in {h for h in heads if heads.count(h) > 1}:  # "the pumps": every type of pump
        candidates.append((head, "asset_type"))
    for value, facet in sorted(candidates, key=lambda p: -len(p[0])):
        words = " ".join(re.findall(r"(?:[^\W_]|/)+", fold(value)))
        # "S. Dubois" for "S Dubois", "missing / loose" for "missing/loose", "close" for "Closed"
        pattern = r"(?:\s*[./&-]\s*|\s+)".join(map(_verb_or_past, re.split(r"\s*/\s*|\s+", words)))
        if facet == "asset_type" and len(words.split()) > 1 and heads.count(words.split()[-1]) == 1:
            pattern = rf"(?:{pattern}|{_spelt(words.split()[-1])})"
        # "leaks", "PMs"; not "as" for "A"
        plural = "(?:e?s)?" if len(words) >= MIN_VALUE_LENGTH else "s?" if value in codes else ""
        if len(words) > MIN_VALUE_LENGTH:
            plural = "(?:e?s|ages?|ed|ing)?"  # "blockage", "blocked" for BLOCK; "leakage" for LEAK
        hits = re.finditer(rf"(?<![\w-]){pattern}{plural}(?![\w-])", text)  # "missing/loose" too
        by_head = facet == "asset_type" and (
            (value in heads and value not in types) or len(words.split()) > 1
        )
        hit = next(
            (
                h
                for h in hits
                if not any(h.start() < e and s < h.end() for s, e in taken)
                and not (by_head and _another_kind(h, text, words))
            ),
            None,
        )
        if hit is None or value in found.get(facet, ()):
            continue
        if facet == "asset_type" and value in heads and value not in types:
            shared = tuple(t for t, h in zip(types, heads, strict=True) if h == value)
            found[facet] = (*found.get(facet, ()), *shared)
        else:
            found[facet] = (*found.get(facet, ()), spelt_as.get((value, facet), value))
        taken.append((hit.start(), hit.end()))
    return found


# Words that may stand before an asset type named by its last word: "the pumps", "which pump",
# "on pumps"; not "glue pump" (a glue pump is no boiler feed pump).
_HEAD_AFTER = (
    "the a an all our any each every which what per on of for by to at in with from and or many most"
)
_BEFORE_HEAD = frozenset(f"{_HEAD_AFTER} other those these this that its their his her my your".split())


def _another_kind(hit: re.Match[str], text: str, words: str) -> bool:
    """True when ``hit`` names an asset type by its last word only, after a word of its own (the
    "glue" of "glue pump"): another kind of the same thing, not the type."""
    if len(words.split()) > 1 and hit.group(0).split()[0] == words.split()[0]:
        return False  # the type written whole
    before = re.search(r"([^\W\d_]+)\W*$", text[: hit.start()])
    return (
        before is not None
        and text[before.end(1) : hit.start()].strip() == ""
        and (before.group(1) not in _BEFORE_HEAD)
    )


_RANKED_VALUE = re.compile(
    r"^\s*[A-Za-z]?\d{1,2}\s*[-.:)]\s*(?P<words>[^\W\d_][^\W_]{3,}(?: [^\W\d_]+)?)\s*$"
)
"""A field value that ranks a word ("1-Urgent", "P2 - High"): the question may say the word alone."""


def _verb_or_past(word: str) -> str:
    """The pattern of one word of a value (:func:`_spelt`); a past participle of six letters or
    more also as its verb ("closed" by "close", "completed" by "complete", "opened" by "open")."""
    if len(word) < 6 or not word.endswith("ed"):
        return _spelt(word)
    return f"(?:{_spelt(word)}|{_spelt(word[:-1])}|{_spelt(word[:-2])})"


def _spelt(word: str) -> str:
    """The pattern of ``word`` in British or American spelling: "pasteuriser" and "pasteurizer",
    "analyser" and "analyzer"."""
    return re.sub(r"(?<=[iy])[sz](?=[aei])", "[sz]", re.escape(word))


CATEGORICAL_VALUES = 12
"""The most distinct values a field of the records may hold and still be matched by its values
alone (:func:`named_value_sets`): a site, a work type, a priority, a status."""
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def person_fields(frame: pd.DataFrame) -> list[str]:
    """The records' other fields naming who did the work, however many people they name: those
    called by a person (:data:`PERSON_FIELDS`) first, then those called by a deed
    (:data:`_PERSON_DEEDS`) whose cells are not mostly dates."""
    rows = frame.get("fields", pd.Series(dtype=object))
    names = sorted({k for fields in rows for k in fields})
    people = [n for n in names if PERSON_FIELDS.search(_spoken(n))]
    for name in names:
        if name in people or not _PERSON_DEEDS.search(_spoken(name)):
            continue
        cells = [str(v) for fields in rows if (v := fields.get(name)) not in (None, "")]
        if sum(bool(_DATE_CELL.match(c)) for c in cells) * 2 <= len(cells):
            people.append(name)
    return people


def categorical_fields(frame: pd.DataFrame) -> list[str]:
    """The records' other fields (``frame["fields"]`` names) with a few distinct values, not all numbers."""
    if "fields" not in frame or frame.empty:
        return []
    values: dict[str, set[str]] = {}
    for fields in frame["fields"]:
        for k, v in fields.items():
            values.setdefault(k, set()).add(str(v))
    return sorted(
        k
        for k, held in values.items()
        if len(held) <= CATEGORICAL_VALUES and not all(_NUMBER.fullmatch(v) for v in held)
    )


def parse(question: str, frame: pd.DataFrame, named: Named) -> RecordQuery:
    """The structured reading of a record question.

    Raises:
        TimePhraseError: the question holds a time that cannot be read.
    """
    text = " ".join(question.lower().split())
    for mention in named.mentions:  # "Chiller 9" names an asset, not the component "chiller"
        text = text.replace(mention, " ")
    text = " ".join(fold(text.replace("_", " ")).split())
    text = re.sub(r"\bwich\b", "which", text)  # as typed
    installed = _INSTALLED.search(text)  # "on assets installed before 2012": a bound on the asset, no time
    bounds: tuple[NumericFilter, ...] = ()
    if installed:
        bounds = (NumericFilter(INSTALL_YEAR, _INSTALLED_OPS[installed["op"]], float(installed["year"])),)
        text = blank(text, (installed.span(),))
        question = _INSTALLED.sub(lambda m: " " * len(m.group(0)), question, count=1)
    comparisons = read_comparisons(blank_times(text), QUANTITY_WORDS)  # "cost ... in 2007": a year, no bound
    text = blank(text, comparisons.spans)  # "cost above 500": neither a total nor a facet value
    noun, table, kinds = record_kind(text)
    coded = bool(_CODED.search(text))  # "work orders with a failure code"
    if set(kinds) <= {"fault", "failure"} and not frame["kind"].isin(kinds).any():
        orders = frame[frame["kind"] == "work_order"]
        if ((orders["failure_code"] != "") | (orders["failure_mode"] != "")).any():
            # A base of work orders alone: its failures are the orders that record one.
            noun, table, kinds, coded = "failure work orders", "documents", ("work_order",), True
    numeric = next((n for n, words in AMOUNT_WORDS.items() if re.search(words, text)), None)
    scope = frame[frame["table"] == table] if table else frame
    fields = other_fields(text, scope)
    ranked = _TOP.search(text) or (numeric and _HIGHEST.search(text))  # "which location cost the most"
    group = group_facet(text, _asset_types(scope)) or next((f for f in fields if ranked), None)
    if group is None and _TOP.search(text) and _WHO_MOST.search(text):  # "which tech did the most PMs"
        group = next(iter(person_fields(scope)), None)
    reliability = RELIABILITY.search(text)
    if reliability:
        operation = "mtbf" if reliability["mtbf"] else "mttr"
        numeric = "duration" if operation == "mttr" else numeric
    elif _PER_ASSET.search(text):
        operation, group = "per_asset", "asset"
    elif group == "asset" and _NONE.search(text):
        operation = "none"  # "which assets have no work orders"
    elif numeric and re.search(r"\b(?:average|mean|avg|averge)\b", text):
        operation = "mean"
    elif group and (_TOP.search(text) or (numeric and _HIGHEST.search(text))):
        operation = "top"  # "which blower cost us the most in total": a ranking, not one total
    elif numeric and re.search(
        r"\b(?:total|sum|spent|how much)\b|\bhow many (?:labou?r |man[ -]?)?h(?:ou)?rs\b"
        r"|^what (?:is|was|were) the"  # "what was the cost of the work orders on K3": their total
        r"|^what did\b.*\bcost\b",  # "what did the bearing replacements cost"
        text,
    ):
        operation = "sum"  # "how many labour hours were booked": hours added up
    elif re.search(r"\bhow many\b|\bnumber of\b|\bno\. of\b|\bcount\b", text) or _ANY.search(text):
        operation = "count"
    elif LATEST_WORDS.search(text):
        operation = "latest"  # "the last aircon WO on exc E", "most recent work order on the pump"
    elif _TOP.search(text) and table == "events":
        operation, group = "top", "text"  # "the most frequent alarm": the events' own labels
    elif _TOP.search(text):
        operation = "top"  # with no group: answered by an abstention naming what could be grouped
    else:
        operation = "list"
    mentioning = _MENTIONING.search(text)
    words: tuple[str, ...] = ()
    unheld: tuple[str, ...] = ()
    if mentioning:
        # "mention bearings": also as technicians write it ("brg"), by :func:`same_word`
        words = tuple(
            same_word(w) for w in WORD.findall(mentioning.group(1)) if w not in ("the", "a", "an", "and")
        )
        text = (
            text[: mentioning.start()]
            + " " * (mentioning.end() - mentioning.start())
            + text[mentioning.end() :]
        )
    still_open = False
    if scope["end"].notna().any() and (found := _STILL_OPEN.search(text)):
        still_open = True  # the base records completions: an order without one is still open
        text = text[: found.start()] + " " * (found.end() - found.start()) + text[found.end() :]
    skip = group if operation == "top" else None
    filters = named_value_sets(text, scope, skip=skip, extra=fields, question=question)
    if named.assets and "asset_type" in filters:  # "when did BW-B1 last have its inlet filter replaced"
        theirs = set(facet_column(scope[scope["asset"].isin(named.assets)], "asset_type")) - {""}
        if theirs and not theirs & set(filters["asset_type"]):
            del filters["asset_type"]  # a part of the named asset, not the type "Sand Filter"
    text, kinds_of_work = _order_types(text, scope, filters)
    filters.update(kinds_of_work)
    asks = asked_field(text, scope) if operation in ("list", "latest") else None
    if not words:
        # "when was the mech seal on P-101 last replaced", "which technician replaced the seal",
        # "what did the bearing replacements cost": the words no filter read, as words of the text
        valued = {_stem(w) for values in filters.values() for v in values for w in WORD.findall(fold(v))}
        valued |= {_stem(w) for name in (asks or "", *fields) for w in _spoken(name).split()}
        focused = operation == "latest" or asks is not None
        held, unheld = _content_words(blank_times(text), scope, _NOT_CONTENT if focused else _NOT_TOPIC)
        words = tuple(w for w in held if not _valued(w.split("|")[0], valued))
        unheld = tuple(w for w in unheld if not _valued(w, valued) and (focused or _object_word(w, text)))
    unheld = (
        *unheld,
        *_unheld_codes(question, scope, filters, named),
        *_unknown_people(question, scope, filters),
    )
    anchor = scope["time"].max() if scope["time"].notna().any() else None
    by_end = bool(_COMPLETED_WHEN.search(text)) and bool(scope["end"].notna().any())
    return RecordQuery(
        noun, table, kinds, named.assets, named.identifiers, read_window(question, anchor),
        filters, operation, group, numeric, words, (*bounds, *comparisons.filters), comparisons.unread,
        fields, question, coded, asks, unheld, by_end, still_open,
    )  # fmt: skip


_STILL_OPEN = re.compile(
    r"\b(?:still open|open (?:work )?orders?|(?:are|is|remain|remains|left) open|not (?:yet )?"
    r"(?:closed|completed|finished)|outstanding|unfinished|no (?:closing|completion|close) dates?"
    r"|without (?:a )?(?:closing|completion|close) dates?)\b"
)
"""Words asking for the orders not completed yet: those without a completion date."""

_COMPLETED_WHEN = re.compile(r"\b(?:completed|finished|closed|resolved)\b")
"""Words saying a question's time is when the work was completed, not when it was reported."""


ORDER_KINDS = (
    (
        r"corrective|reactive|breakdowns?|unplanned|unscheduled|fix(?:ed|es|ing)?|repair(?:ed|s|ing)?",
        frozenset(("cm", "em", "bd", "corrective", "corrective maintenance", "reactive", "breakdown",
                   "breakdown maintenance", "emergency", "emergency maintenance", "unplanned", "repair")),
    ),
    (r"preventive|preventative|planned|scheduled|routine", PREVENTIVE_TYPES | {"planned", "scheduled"}),
)  # fmt: skip
"""The words for corrective and preventive work, and the work-type values of each kind ("which
technician fixed the most bearings": not the greasing rounds that mention bearings)."""


def _order_types(
    text: str, scope: pd.DataFrame, filters: dict[str, tuple[str, ...]]
) -> tuple[str, dict[str, tuple[str, ...]]]:
    """``text`` without the words for corrective or preventive work (:data:`ORDER_KINDS`) that no
    value of the records says, and {field: its values of that kind} ("corrective work orders":
    those of type CM or EM), from the first categorical field not filtered yet with some values
    of that kind and some of another."""
    found: dict[str, tuple[str, ...]] = {}
    for pattern, kinds in ORDER_KINDS:
        said = re.search(rf"\b(?:{pattern})\b", text)
        if said is None:
            continue
        for field in categorical_fields(scope):
            values = {str(v) for v in facet_column(scope, field) if str(v).strip()}
            kind = sorted(v for v in values if fold(v).strip() in kinds)
            if field not in filters and kind and len(kind) < len(values):
                found[field] = (*found.get(field, ()), *kind)
                text = blank(text, (said.span(),))
                break
    return text, found


_PERSON_NAME = re.compile(r"\b[A-Z]\.\s?[A-Z][\w'-]+")
"""A person written as technicians' names are: an initial and a surname ("J. Smith", "F. O'Brien")."""


def _unknown_people(
    question: str, scope: pd.DataFrame, filters: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The people the question names ("did J. Smith do") that no field naming a person matched, in
    a base whose records have such a field: a count over everyone is no answer for them."""
    people = person_fields(scope)
    if not people:
        return ()
    found = {" ".join(WORD.findall(fold(v))) for f in people for v in filters.get(f, ())}
    return tuple(n for n in _PERSON_NAME.findall(question) if " ".join(WORD.findall(fold(n))) not in found)


_NOT_CODES = frozenset((
    "WO", "WOS", "FMEA", "RPN", "MTBF", "MTTR", "MTTF", "KPI", "OEE", "ID", "IDS", "CMMS", "SAP", "PDF",
    "CSV", "EUR", "USD", "GBP", "CHF"
))  # fmt: skip
"""Capitals a question may write that name no value of the records (record kinds, measures, currencies)."""


def _unheld_codes(
    question: str, scope: pd.DataFrame, filters: dict[str, tuple[str, ...]], named: Named
) -> tuple[str, ...]:
    """The codes the question writes in capitals ("EM work orders") that no facet or field value
    matched and no record's text holds, as written. A code some text holds ("UV lamps") is left
    to the text words, as it may describe only some of the records asked about; a question in
    capitals throughout has none."""
    written = WORD.findall(question)
    lower = sum(1 for w in written if any(ch.islower() for ch in w))
    if lower * 2 < len(written):
        return ()
    used = {fold(w) for values in filters.values() for v in values for w in WORD.findall(v)}
    said = {w for name in (*named.mentions, *(i.lower() for i in named.identifiers)) for w in name.split()}
    texts = scope["text"].map(fold)
    unheld = []
    for code in dict.fromkeys(
        re.findall(r"(?<![\w-])[A-Z][A-Z0-9]{1,4}(?![\w-])", blank_times(question))
    ):  # not Q1
        if code in _NOT_CODES or fold(code) in used or code.lower() in said:
            continue
        if not texts.str.contains(rf"\b{re.escape(fold(code))}\b", regex=True).any():
            unheld.append(code)
    return tuple(unheld)


_NOT_CONTENT_WORDS = """when was were is are the a an on of for in at last latest most recent date time what
    which who whom did does do we it its this that to by and or ever happen happened done work worked order
    orders wo wos job jobs record records maintenance asset assets machine equipment unit have has had been
    being get got gets they them their there you your our his her can could would should will may might
    must any some all also just only please tell show give find list me my about into from with without
    carried out took take taken place one ones time times day days fix fixed fixes fixing resolved solved
    sorted handled attended dealt"""
_NOT_CONTENT = frozenset(_NOT_CONTENT_WORDS.split())
"""Words a latest or asked-field question says besides its topic ("fixed": whatever was done)."""


_SAME_ACTION = (
    # C/O: change out, R&R: remove and replace; "new seal fitted"
    ("replac", "chang", "renew", "swap", "exchang", "c/o", "r&r", "fitted", "refit", "install", "replc",
     "rplc"),
    ("repair", "fix", "mend", "rectif"),
    ("bear", "brg", "brng"), ("motor", "mtr"), ("vibrat", "vib"), ("temperat", "temp"), ("valve", "vlv"),
    ("mechanical", "mech"), ("aircon", "air con", "a/c"),
)  # fmt: skip
"""Stems technicians write for the same action or part ("brg" for bearing, "replcd" for replaced,
"a/c" or "air con" for an air conditioner)."""


def _stem(word: str) -> str:
    """A word's stem for matching record texts: "replaced", "replacement", "replacing" -> "replac",
    "blockage" -> "block"."""
    for suffix in ("ments", "ment", "ages", "age", "ing", "ed", "es", "s"):  # "blockage" -> "block"
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_NOT_TOPIC_WORDS = """how many much number count counted total totals sum summed average mean avg
    averge per each every frequent frequently often common commonly top highest
    higest hightest largest biggest greatest lowest least fewest spent spend
    spending cost costs costed costing expense expenses money price labour labor
    hours hrs hour man duration downtime running value amount overall altogether
    combined raised raise opened logged booked created issued recorded reported
    filed entered written shows showed comes come came throws throw threw takes make
    makes made happens see seen seeing complete completed close closed perform
    performed needed need needs over across among between first still right now
    whole entire plant site works freq type types kind kinds category categories
    failure failures fault faults code codes mode modes component components part
    parts action actions activity activities system systems subsystem subsystems
    major alarm alarms alert alerts anomaly anomalies event events ticket tickets
    euro euros usd dollars gbp pounds year years month months week weeks quarter
    quarters name names new old main big small large high low current next previous
    same other more less never again already really actually roughly approximately
    exactly compared compare comparison versus vs against each respectively mtbf mttr repair restore
    database base kb cmms knowledge"""
_NOT_TOPIC = _NOT_CONTENT | frozenset(_NOT_TOPIC_WORDS.split())
"""Words a count, total or ranking question says besides its topic ("how many", "cost", a facet)."""


def _valued(word: str, valued: set[str]) -> bool:
    """True when ``word`` (or its stem) is one of the ``valued`` stems, also in the plural ("fans",
    "presses") or in the other spelling ("pasteurizers" for "pasteuriser")."""
    british = {_british(v) for v in valued}
    return any(_british(_stem(w)) in british for w in (word, re.sub(r"e?s$", "", word), _stem(word)))


def _british(word: str) -> str:
    """``word`` in British spelling where :func:`_spelt` allows both: "analyzer" -> "analyser"."""
    return re.sub(r"(?<=[iy])z(?=[aei])", "s", word)


def _object_word(word: str, text: str) -> bool:
    """True when ``word`` stands where a count or a total names what it is about: after "on",
    "for", "of", "to" or "about", possibly with an article and one more word between ("the cost of
    work on the chlorine analyser"), and not before a code in brackets it paraphrases; or where it
    names who did the work ("did the night shift do")."""
    before = r"\b(?:on|for|of|to|about)\s+(?:(?:the|a|an|our|all|any)\s+)?(?:[^\W\d_]+\s+)?"
    if re.search(rf"{before}{re.escape(word)}\b(?!\s*\()", text):
        return True
    # who did the work: "how many orders did the night shift do", "... done by the contractors"
    doers = [(m.group(1) or m.group(2)).split() for m in _DOER.finditer(text)]
    return any(word in names for names in doers)


_DOER = re.compile(
    r"\b(?:(?:did|does|do|has|have|had)\s+(?:the|a|an|our)\s+((?:[^\W\d_]+\s+)?[^\W\d_]+)\s+"
    r"(?:do|did|done|complete|completed|perform|performed|handle|handled|fix|fixed|close|closed|carry|carried)\b"
    r"|\bby\s+(?:the|a|an|our)\s+((?:[^\W\d_]+\s+)?[^\W\d_]+))"
)
"""Who a question says did the work (its words in group 1 or 2)."""


def same_word(word: str) -> str:
    """The stems a record's text may write a question's folded ``word`` with, joined by ``|``:
    its own stem and those of :data:`_SAME_ACTION` ("replaced" also finds "changed mechanical seal"
    and "replcd"; "bearing", "brg")."""
    stem = _stem(word)
    alternatives = next((g for g in _SAME_ACTION if any(stem.startswith(a) for a in g)), ())
    return "|".join(dict.fromkeys((stem, *alternatives)))


def _content_words(
    text: str, scope: pd.DataFrame, stop: frozenset[str] = _NOT_CONTENT
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of a question, other than ``stop`` words, that some record's text holds (stemmed):
    the part and the action it asks about ("when was ... last ...", "which technician ...", "what
    did the bearing replacements cost"), not the question's own words; and its other words, as
    written, that no record holds."""
    texts = scope["text"].map(fold)
    held, unheld = [], []
    for word in WORD.findall(text):
        if word in stop or len(word) < 3 or word.isdigit():
            continue
        either = same_word(word)
        if texts.str.contains(rf"\b(?:{'|'.join(map(_spelt, either.split('|')))})", regex=True).any():
            held.append(either)
        else:
            unheld.append(word)
    return tuple(held), tuple(unheld)


def _as_written(question: str, words: tuple[str, ...]) -> list[str]:
    """``words`` (folded) as the question writes them ("Ölleck" for "olleck")."""
    written = {fold(w): w for w in WORD.findall(question)}
    stems = {_stem(k): w for k, w in reversed(written.items())}  # "replac" as "replaced"
    out = []
    for word in words:
        either = word.split("|")
        found = [written[w] if w in written else stems[w] for w in either if w in written or w in stems]
        out.append(found[0] if found else either[0])
    return out


def counted(count: int, noun: str) -> str:
    """ "1 work order", "3 work orders", "1 anomaly": ``noun`` is the plural."""
    if count != 1:
        return f"{count} {noun}"
    single = noun[:-3] + "y" if noun.endswith("ies") else noun[:-1] if noun.endswith("s") else noun
    return f"1 {single}"


def linked_keys(base: KnowledgeBase, identifier: str) -> set[str]:
    """Keys of the records that are, or name, ``identifier`` (any link kind but the asset)."""
    rows = base.connection.execute(
        "SELECT key FROM links WHERE value = ? COLLATE NOCASE AND link != 'asset'", (identifier,)
    )
    return {k for (k,) in rows}


def select(base: KnowledgeBase, frame: pd.DataFrame, query: RecordQuery) -> tuple[pd.DataFrame, list[str]]:
    """The records matching the query's filters, and the filters as words for the answer."""
    rows = frame
    said: list[str] = []
    if query.table is not None:
        rows = rows[(rows["table"] == query.table) & rows["kind"].isin(query.kinds)]
    if query.coded:
        rows = rows[(rows["failure_code"] != "") | (rows["failure_mode"] != "")]
    if query.assets:
        rows = rows[rows["asset"].isin(query.assets)]
        said.append("of " + ", ".join(query.assets))
    for identifier in query.identifiers:
        rows = rows[rows["key"].isin(linked_keys(base, identifier))]
        said.append(f"naming {identifier}")
    for facet, values in query.filters.items():
        rows = rows[facet_column(rows, facet).map(fold).isin({fold(v) for v in values})]
        said.append(f"with {facet.replace('_', ' ')} {' or '.join(values)}")
    for bound in query.bounds:
        rows = rows[OPS[bound.op](rows[bound.score], bound.value)]  # a record without the number fails
        said.append(f"with {bound.score} {bound.op} {fmt_number(bound.value)}")
    if query.words:
        lowered = rows["text"].map(fold)
        keep = pd.Series(True, index=rows.index)
        for word in query.words:  # a word, or stems any of which will do ("replac|chang")
            stems = [w[:-1] if w.endswith("s") and len(w) > 4 else w for w in word.split("|")]
            keep &= lowered.str.contains(rf"\b(?:{'|'.join(map(_spelt, stems))})", regex=True)
        rows = rows[keep]
        said.append("mentioning " + " ".join(_as_written(query.question, query.words)))
    if query.still_open:
        rows = rows[rows["end"].isna()]
        said.append("not completed (no completion date)")
    if query.window is not None:
        lo, hi = query.window.start, query.window.end
        when = rows["end" if query.by_end else "time"]
        keep = when.notna()
        if lo is not None:
            keep &= when >= lo
        if hi is not None:
            keep &= when <= hi
        rows = rows[keep]
        said.append(("completed " if query.by_end else "") + query.window.describe())
    return rows, said


QUOTED_CHARS = 120
"""The most characters of a record's text quoted in an answer's list."""


def _lines(rows: pd.DataFrame, limit: int = 10) -> list[str]:
    out = []
    for key, time, asset, text in rows[["key", "time", "asset", "text"]].head(limit).itertuples(index=False):
        when = f" {time:%Y-%m-%d}" if isinstance(time, pd.Timestamp) else ""
        out.append(f"[{key}]{when} {asset or '-'}: {shortened(str(text), QUOTED_CHARS)}")
    return out


LIST_ROWS = 10
"""Records a list answer shows by default (the count says how many more there are)."""


def answer_records(
    base: KnowledgeBase, frame: pd.DataFrame, question: str, named: Named, *, limit: int | None = None
) -> KbAnswer:
    """Compute the answer to a structured record question, citing the records it rests on; a list
    shows at most ``limit`` records (:data:`LIST_ROWS` when None)."""
    try:
        query = parse(question, frame, named)
    except TimePhraseError as error:
        return abstain("records", f"the question's time cannot be read: {error}")
    if query.table is not None and frame[frame["table"] == query.table]["kind"].isin(query.kinds).sum() == 0:
        return abstain("records", f"the base holds no {query.noun}.")
    if query.unread:
        return abstain(
            "records",
            f"the comparison {query.unread[0]!r} cannot be read; write it as, for example, "
            "'cost above 500' or 'labour hours at most 4'.",
        )
    for bound in query.bounds:
        if frame[bound.score].notna().sum() == 0:
            return abstain("records", f"no record of the base gives {_article(bound.score)} {bound.score}.")
    if query.operation == "top" and query.group is None:
        held = sorted({*FACETS, *(k for f in frame["fields"] for k in f)} - {""})
        return abstain(
            "records",
            "the question asks which value is most frequent, but names nothing the records hold; "
            f"they hold: {', '.join(h.replace('_', ' ') for h in held)}.",
        )
    if query.asks == "":
        held = sorted({k for f in frame["fields"] for k in f} - {""})
        return abstain(
            "records",
            "the question asks who, but no field of the records names a person; they hold: "
            + (", ".join(h.replace("_", " ") for h in held) or "no other field")
            + ".",
        )
    rows, said = select(base, frame, query)
    loose = _codes_as_words(query)
    if loose is not None and (rows.empty or query.operation == "latest"):
        # "the refrigerant leak on CHL-001": a leak the orders' texts tell, not their code LEAK;
        # "when did UV-2 last have a lamp replaced": also the lamp replacements coded no LAMP
        again, again_said = select(base, frame, loose)
        if not again.empty and (rows.empty or again["time"].max() > rows["time"].max()):
            query, rows, said = loose, again, again_said
    if query.unheld:
        return _none_mention(rows, said, query)
    scope = f"{query.noun} " + " ".join(said) if said else query.noun
    found = counted(len(rows), query.noun) + (" " + " ".join(said) if said else "")  # "1 work order with ..."
    if query.operation == "none":
        return _without(base, rows, said, query)
    if query.operation in ("top", "per_asset"):
        return _aggregate(rows, scope, query)
    if query.operation in ("sum", "mean"):
        return _total(rows, scope, query)
    if query.operation in ("mtbf", "mttr"):
        return _reliability(rows, scope, query)
    if query.operation == "count":
        text = f"{found}."
        if _ANY.search(" ".join(query.question.lower().split())):  # "did E have any work orders in 2005?"
            text = ("Yes: " if len(rows) else "No: ") + text
        if len(query.assets) > 1:  # a name two sources share, or several assets: each one's count
            each = rows["asset"].value_counts()
            text = text[:-1] + " (" + ", ".join(f"{a}: {int(each.get(a, 0))}" for a in query.assets) + ")."
        if len(rows):
            text += " First: " + " | ".join(_lines(rows, 3))
        return KbAnswer(text, cite_records_frame(rows), False, "records")
    if rows.empty:
        return KbAnswer(f"No {scope}.", (), False, "records")
    if query.operation == "latest":
        dated = rows[rows["time"].notna()]
        if not dated.empty:
            last = dated.loc[[dated["time"].idxmax()]]
            text = f"The latest of {found}: " + _lines(last, 1)[0] + _asked_value(last, query.asks) + "."
            return KbAnswer(text, cite_records_frame(last), False, "records")
    shown = _lines(rows, LIST_ROWS if limit is None else limit)
    more = f"\n({len(rows) - len(shown)} more not shown.)" if len(rows) > len(shown) else ""
    if query.asks:
        values = facet_column(rows, query.asks).head(len(shown))
        # "who fixed the glue pump": an order without a completion date, where others have one, is
        # not known to be done yet
        ends = rows["end"].head(len(shown))
        open_ = ends.isna() & bool(rows["end"].notna().any())
        shown = [
            f"{value or '(none recorded)'}: {line}" + (" (still open: no completion date)" if still else "")
            for value, line, still in zip(values, shown, open_, strict=True)
        ]
        found = f"The {_spoken(query.asks)} of {found}"
    text = f"{found}:\n" + "\n".join(shown) + more
    return KbAnswer(text, cite_records_frame(rows), False, "records")


def _codes_as_words(query: RecordQuery) -> RecordQuery | None:
    """``query`` with the coded facets' values the question wrote as words ("leak" for the code
    LEAK) read as words of the records' texts instead, or None when it has none."""
    codes = set(re.findall(r"\b[A-Z][A-Z0-9]{1,4}\b", query.question))
    worded = {f: v for f, v in query.filters.items() if f in FACETS and not codes & set(v)}
    if not worded:
        return None
    words = [w for values in worded.values() for v in values for w in WORD.findall(fold(v))]
    kept = {f: v for f, v in query.filters.items() if f not in worded}
    return query._replace(filters=kept, words=tuple(dict.fromkeys((*query.words, *words))))


def _none_mention(rows: pd.DataFrame, said: list[str], query: RecordQuery) -> KbAnswer:
    """For a question whose topic words some record lacks ("which technician replaced the seal",
    no record saying "seal"): that none mentions them, then the records holding its other words."""
    where = " ".join(w for w in said if not w.startswith("mentioning "))
    missing = " or ".join(map(repr, query.unheld))
    text = f"No {query.noun} {where} mention {missing}.".replace("  ", " ")
    if query.words and len(rows):
        held = " ".join(_as_written(query.question, query.words))
        shown = [
            line + _asked_value(rows.loc[[key]], query.asks)
            for key, line in zip(rows.index[:3], _lines(rows, 3), strict=True)
        ]
        text += f" {counted(len(rows), query.noun)} mentioning {held}: " + " | ".join(shown)
    return KbAnswer(text, cite_records_frame(rows) if query.words else (), False, "records")


def _without(base: KnowledgeBase, rows: pd.DataFrame, said: list[str], query: RecordQuery) -> KbAnswer:
    """The assets of the base (of the asset types the question names) that none of ``rows`` is about."""
    types = {fold(t) for t in query.filters.get("asset_type", ())}
    assets = [
        key
        for key, kind in base.connection.execute("SELECT key, asset_type FROM assets ORDER BY key")
        if not types or fold(kind) in types
    ]
    lacking = [a for a in assets if a not in set(rows["asset"])]
    scope = f"{query.noun} " + " ".join(said) if said else query.noun
    if not assets:
        return abstain("records", "the base holds no asset" + (" of that type." if types else "."))
    if not lacking:
        return KbAnswer(f"Each of the {len(assets)} assets has {scope}.", (), False, "records")
    listed = ", ".join(lacking[:LIST_ROWS]) + (
        f" and {len(lacking) - LIST_ROWS} more" if len(lacking) > LIST_ROWS else ""
    )
    have = "has" if len(lacking) == 1 else "have"
    text = f"{len(lacking)} of the {len(assets)} assets {have} no {scope}: {listed}."
    return KbAnswer(text, cite_records("assets", lacking[:MAX_CITED]), False, "records")


def _asked_value(rows: pd.DataFrame, field: str | None) -> str:
    """ ", technician T023" for the first row's value of the asked field ("" when none is asked)."""
    if not field:
        return ""
    value = facet_column(rows, field).iloc[0]
    return f"; {_spoken(field)}: {value or '(none recorded)'}"


def _aggregate(rows: pd.DataFrame, scope: str, query: RecordQuery) -> KbAnswer:
    """The most frequent value of the grouped facet (or the count per asset), with the runners-up."""
    column = "asset" if query.group == "asset" else str(query.group)
    if column == "system" and not (facet_column(rows, column) != "").any():
        column = "component"  # records that give no system: their component answers "which system"
    label = query.noun.removesuffix("s") if column == "text" else column.replace("_", " ")
    values = facet_column(rows, column)
    counted = rows[values != ""]
    if counted.empty:
        return abstain("records", f"none of the {len(rows)} {scope} records a {label}.")
    if query.operation == "top" and query.numeric is not None:
        return _top_total(counted, values[counted.index], scope, label, str(query.numeric))
    counts = values[values != ""].value_counts()
    if query.operation == "per_asset":
        listing = "; ".join(f"{a}: {n}" for a, n in counts.items())
        text = f"{len(counted)} {scope}, per asset: {listing}."
        return KbAnswer(text, cite_records("assets", list(counts.index)), False, "records")
    top, n = counts.index[0], int(counts.iloc[0])
    ties = [str(v) for v, c in counts.items() if c == n]
    head = (
        f"the most frequent {label} is {top}"
        if len(ties) == 1
        else f"{len(ties)} values tie: {', '.join(ties)}"
    )
    runners = ", ".join(f"{v} ({c})" for v, c in list(counts.items())[len(ties) : len(ties) + 3])
    recording = "" if column == "text" else f" that record {_article(label)} {label}"
    text = (
        f"Over {len(counted)} {scope}{recording}, {head} with {n} records"
        + (f"; next: {runners}" if runners else "")
        + "."
    )
    return KbAnswer(text, cite_records_frame(counted[values[counted.index] == top]), False, "records")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _top_total(rows: pd.DataFrame, values: pd.Series, scope: str, label: str, name: str) -> KbAnswer:
    """The value of the grouped facet whose records add up to the most of ``name`` ("which asset
    type cost the most"), with the runners-up."""
    totals = rows[name].groupby(values).sum(min_count=1).dropna().sort_values(ascending=False, kind="stable")
    if totals.empty:
        return abstain("records", f"none of the {len(rows)} {scope} records a {name}.")
    shown = totals.round(2)
    ties = [str(v) for v, t in shown.items() if t == shown.iloc[0]]  # as written, they are equal
    best = fmt_number(float(shown.iloc[0]))
    runners = ", ".join(
        f"{v} ({fmt_number(float(t))})" for v, t in list(shown.items())[len(ties) : len(ties) + 3]
    )
    head = (
        f"the {label} with the highest total {name} is {ties[0]} ({best})"
        if len(ties) == 1
        else f"{len(ties)} {label}{'' if label.endswith('s') else 's'} tie for the highest total {name}: "
        f"{', '.join(ties)} ({best} each)"
    )
    text = (
        f"Over {int(rows[name].notna().sum())} {scope} that record {_article(label)} {label} and "
        f"{_article(name)} {name}, {head}" + (f"; next: {runners}" if runners else "") + "."
    )
    return KbAnswer(text, cite_records_frame(rows[values.isin(ties)]), False, "records")


def _total(rows: pd.DataFrame, scope: str, query: RecordQuery) -> KbAnswer:
    """The sum or mean of a numeric field over the selected records."""
    name = str(query.numeric)
    values = rows[name].dropna()
    if rows.empty:  # "what was the cost of the work orders on K3 in 2023", none in 2023
        return KbAnswer(f"No {scope}.", (), False, "records")
    if values.empty:
        return abstain("records", f"none of the {len(rows)} {scope} records a {name}.")
    value = values.sum() if query.operation == "sum" else values.mean()
    what = "total" if query.operation == "sum" else "average"
    hours = name == "duration" and bool(rows.loc[values.index, DURATION_IN_HOURS].eq(True).all())
    text = f"The {what} {name} over {len(values)} {scope} is {fmt_number(round(float(value), 2))}"
    assets = rows.loc[values.index, "asset"]
    if len(query.assets) > 1 and assets.nunique() > 1:  # "OZ-2 compared with OZ-1": each one's too
        each = values.groupby(assets).agg("sum" if query.operation == "sum" else "mean")
        text += " (" + ", ".join(f"{a}: {fmt_number(round(float(v), 2))}" for a, v in each.items()) + ")"
    text += (" hours" if hours else "") + _from_dates(rows.loc[values.index]) + "."
    return KbAnswer(text, cite_records_frame(rows.loc[values.index]), False, "records")


def _from_dates(rows: pd.DataFrame) -> str:
    """ " (from each order's date to its completion)" when some of ``rows``' durations were
    computed so (:data:`~moesaic.reports.ask.frame.DURATION_FROM_DATES`), else ""."""
    derived = int(rows[DURATION_FROM_DATES].eq(True).sum())
    if not derived:
        return ""
    some = "" if derived == len(rows) else f"{derived} of them "
    return f" ({some}from the order's date to its completion date, as no downtime is recorded)"


def _reliability(rows: pd.DataFrame, scope: str, query: RecordQuery) -> KbAnswer:
    """The mean time between failures (the mean gap between one asset's consecutive failure
    orders, over every asset of the scope) or to repair (the mean duration of the failure orders)
    of the selected records. Failure orders are those recording a failure code or mode, else the
    corrective ones (a work type other than preventive)."""
    coded = (rows["failure_code"] != "") | (rows["failure_mode"] != "")
    kinds = facet_column(rows, "wo_type").astype(str).str.upper()
    failures = rows[coded] if coded.any() else rows[~kinds.isin(PREVENTIVE_TYPES) & (kinds != "")]
    noun = query.noun if query.noun.startswith("failure") else f"failure {query.noun}"
    where = scope[len(query.noun) :].strip()  # "with asset type Intake Pump in 2023"
    over = f"{noun} {where}".strip()
    if query.operation == "mttr":
        hours = failures["duration"].dropna()
        if hours.empty:
            return abstain(
                "records", f"none of the {len(failures)} {over} records a repair duration (downtime)."
            )
        mean = fmt_number(round(float(hours.mean()), 2))
        how = _from_dates(failures.loc[hours.index]) or " (their mean recorded downtime)"
        unit = " hours" if failures.loc[hours.index, DURATION_IN_HOURS].eq(True).all() else ""
        text = f"The mean time to repair over {len(hours)} {over} is {mean}{unit}{how}."
        return KbAnswer(text, cite_records_frame(failures.loc[hours.index]), False, "records")
    dated = failures[failures["time"].notna()].sort_values("time")
    gaps = dated.groupby("asset")["time"].diff().dropna()
    if gaps.empty:
        return abstain(
            "records",
            f"no asset has two dated {over} ({len(dated)} in all): no time between failures to measure.",
        )
    days = gaps.dt.total_seconds() / 86400.0
    assets = dated.loc[gaps.index, "asset"].nunique()
    mean = fmt_number(round(float(days.mean()), 1))
    text = (
        f"The mean time between failures over {len(dated)} {over} is {mean} days: the mean of "
        f"{counted(len(gaps), 'gaps')} between one asset's consecutive failure orders, "
        f"on {counted(assets, 'assets')} (from the order dates; the time before the first and after the "
        "last failure is not counted)."
    )
    return KbAnswer(text, cite_records_frame(dated), False, "records")


def cite_records_frame(rows: pd.DataFrame) -> tuple[RecordCitation, ...]:
    """Citations of the first :data:`MAX_CITED` rows of a records frame."""
    cited: list[RecordCitation] = []
    for table, key in zip(rows["table"], rows["key"], strict=True):
        cited.extend(cite_records(table, [key]))
        if len(cited) >= MAX_CITED:
            break
    return tuple(cited)
