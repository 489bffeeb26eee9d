"""Structured questions over the dated records: counts, lists, totals, the most frequent value.

"How many work orders for asset B in 2005?", "list the alarms of P-102 last month", "which
component is most often in work orders of excavator C?", "number of work orders per asset",
"total cost of work orders with failure mode Leak". The question is read into a
:class:`RecordQuery` (records, filters, operation); the answer is computed with pandas over
:func:`~moesaic.reports.ask.frame.load_records` and cites the records counted.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask.answer import MAX_CITED, KbAnswer, RecordCitation, abstain, cite_records, fmt_number
from moesaic.reports.ask.frame import FACETS, NUMERIC_FIELDS, RECORD_KINDS, facet_values
from moesaic.reports.ask.resolve import Named
from moesaic.reports.ask.timewords import TimePhraseError, Window, read_window

# Words naming a facet to group by ("which component", "most common failure mode").
FACET_WORDS = (
    ("failure_code", r"failure codes?|error codes?|codes?"),
    ("failure_mode", r"failure modes?|modes? of failure|fault types?|failure types?"),
    ("part_number", r"part numbers?"),
    ("action", r"actions?|repairs? type|activit(?:y|ies)"),
    ("component", r"components?|parts?|systems?|subsystems?"),
)
_TOP = re.compile(r"\bmost\b|\btop\s*\d*\b|\bmost (?:frequent|common|often)|\bfrequent(?:ly)?\b")
_PER_ASSET = re.compile(r"\b(?:per|by|for each|each)\s+(?:asset|machine|equipment|excavator|unit)\b")
_GENERIC_VALUES = frozenset(("unspecified", "other", "misc", "none", "unknown", "n/a", "na", "cm", "pm"))
MIN_VALUE_LENGTH = 3
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
    filters: dict[str, str]  # facet -> value named in the question
    operation: str  # count | list | top | per_asset | sum | mean
    group: str | None  # facet or "asset" for top / per_asset
    numeric: str | None  # NUMERIC_FIELDS key for sum / mean
    words: tuple[str, ...] = ()  # words the record text must hold ("mentioning bucket cylinder")


def record_kind(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    """(noun, table, kinds) of the records a question is about; work orders when it names none."""
    for pattern, (table, kinds) in RECORD_KINDS.items():
        found = re.search(rf"\b{pattern}", text)
        if found:
            word = found.group(0)
            noun = {"anomal": "anomalies", "alert": "alarms", "maintenance record": "work orders"}.get(
                word, word + "s"
            )
            return noun, table, kinds
    return "work orders", "documents", ("work_order",)


def group_facet(text: str) -> str | None:
    """The facet a question groups by ("which component ...", "most common failure mode")."""
    if re.search(r"\b(?:which|what) (?:asset|machine|equipment|excavator|unit)\b", text):
        return "asset"
    for facet, pattern in FACET_WORDS:
        if re.search(rf"\b(?:{pattern})\b", text):
            return facet
    return None


def named_values(text: str, frame: pd.DataFrame, skip: str | None = None) -> dict[str, str]:
    """{facet: value} for facet values the question names as whole words, longest first."""
    found: dict[str, str] = {}
    taken: list[tuple[int, int]] = []
    candidates = [
        (value, facet)
        for facet in FACETS
        if facet != skip
        for value in facet_values(frame, facet)
        if len(value) >= MIN_VALUE_LENGTH and value.lower() not in _GENERIC_VALUES
    ]
    for value, facet in sorted(candidates, key=lambda p: -len(p[0])):
        phrase = " ".join(re.findall(r"[a-z0-9/]+", value.lower()))
        hit = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text)
        if hit is None or facet in found or any(hit.start() < e and s < hit.end() for s, e in taken):
            continue
        found[facet] = value
        taken.append((hit.start(), hit.end()))
    return found


def parse(question: str, frame: pd.DataFrame, named: Named) -> RecordQuery:
    """The structured reading of a record question.

    Raises:
        TimePhraseError: the question holds a time that cannot be read.
    """
    text = " ".join(question.lower().split())
    for mention in named.mentions:  # "Chiller 9" names an asset, not the component "chiller"
        text = text.replace(mention, " ")
    text = text.replace("_", " ")
    noun, table, kinds = record_kind(text)
    numeric = next((n for n in NUMERIC_FIELDS if re.search(rf"\b{n.split()[0]}", text)), None)
    group = group_facet(text)
    if _PER_ASSET.search(text):
        operation, group = "per_asset", "asset"
    elif numeric and re.search(r"\b(?:average|mean)\b", text):
        operation = "mean"
    elif numeric and re.search(r"\b(?:total|sum|spent|how much)\b", text):
        operation = "sum"
    elif group and _TOP.search(text):
        operation = "top"
    elif re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", text):
        operation = "count"
    else:
        operation = "list"
    scope = frame[frame["table"] == table] if table else frame
    mentioning = _MENTIONING.search(text)
    words: tuple[str, ...] = ()
    if mentioning:
        words = tuple(
            w for w in re.findall(r"[a-z0-9]+", mentioning.group(1)) if w not in ("the", "a", "an", "and")
        )
        text = text[: mentioning.start()] + text[mentioning.end() :]
    filters = named_values(text, scope, skip=group if operation == "top" else None)
    anchor = scope["time"].max() if scope["time"].notna().any() else None
    return RecordQuery(
        noun, table, kinds, named.assets, named.identifiers, read_window(question, anchor),
        filters, operation, group, numeric, words,
    )  # fmt: skip


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
    if query.assets:
        rows = rows[rows["asset"].isin(query.assets)]
        said.append("of " + ", ".join(query.assets))
    for identifier in query.identifiers:
        rows = rows[rows["key"].isin(linked_keys(base, identifier))]
        said.append(f"naming {identifier}")
    for facet, value in query.filters.items():
        rows = rows[rows[facet].str.lower() == value.lower()]
        said.append(f"with {facet.replace('_', ' ')} {value}")
    if query.words:
        lowered = rows["text"].str.lower()
        keep = pd.Series(True, index=rows.index)
        for word in query.words:
            stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
            keep &= lowered.str.contains(rf"\b{re.escape(stem)}", regex=True)
        rows = rows[keep]
        said.append("mentioning " + " ".join(query.words))
    if query.window is not None:
        lo, hi = query.window.start, query.window.end
        keep = rows["time"].notna()
        if lo is not None:
            keep &= rows["time"] >= lo
        if hi is not None:
            keep &= rows["time"] <= hi
        rows = rows[keep]
        said.append(query.window.describe())
    return rows, said


def _lines(rows: pd.DataFrame, limit: int = 10) -> list[str]:
    out = []
    for key, time, asset, text in rows[["key", "time", "asset", "text"]].head(limit).itertuples(index=False):
        when = f" {time:%Y-%m-%d}" if isinstance(time, pd.Timestamp) else ""
        out.append(f"[{key}]{when} {asset or '-'}: {str(text)[:120]}")
    return out


def answer_records(base: KnowledgeBase, frame: pd.DataFrame, question: str, named: Named) -> KbAnswer:
    """Compute the answer to a structured record question, citing the records it rests on."""
    try:
        query = parse(question, frame, named)
    except TimePhraseError as error:
        return abstain("records", f"the question's time cannot be read: {error}")
    if query.table is not None and frame[frame["table"] == query.table]["kind"].isin(query.kinds).sum() == 0:
        return abstain("records", f"the base holds no {query.noun}.")
    rows, said = select(base, frame, query)
    scope = f"{query.noun} " + " ".join(said) if said else query.noun
    if query.operation in ("top", "per_asset"):
        return _aggregate(rows, scope, query)
    if query.operation in ("sum", "mean"):
        return _total(rows, scope, query)
    if query.operation == "count":
        text = f"{len(rows)} {scope}."
        if len(query.assets) > 1:  # a name two sources share, or several assets: each one's count
            each = rows["asset"].value_counts()
            text = text[:-1] + " (" + ", ".join(f"{a}: {int(each.get(a, 0))}" for a in query.assets) + ")."
        if len(rows):
            text += " First: " + " | ".join(_lines(rows, 3))
        return KbAnswer(text, cite_records_frame(rows), False, "records")
    if rows.empty:
        return KbAnswer(f"No {scope}.", (), False, "records")
    shown = _lines(rows)
    more = f"\n({len(rows) - len(shown)} more not shown.)" if len(rows) > len(shown) else ""
    text = f"{len(rows)} {scope}:\n" + "\n".join(shown) + more
    return KbAnswer(text, cite_records_frame(rows), False, "records")


def _aggregate(rows: pd.DataFrame, scope: str, query: RecordQuery) -> KbAnswer:
    """The most frequent value of the grouped facet (or the count per asset), with the runners-up."""
    column = "asset" if query.group == "asset" else str(query.group)
    label = column.replace("_", " ")
    counted = rows[rows[column] != ""]
    if counted.empty:
        return abstain("records", f"none of the {len(rows)} {scope} records a {label}.")
    counts = counted[column].value_counts()
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
    runners = ", ".join(f"{v} ({c})" for v, c in list(counts.items())[1:4])
    text = (
        f"Over {len(counted)} {scope} that record a {label}, {head} with {n} records"
        + (f"; next: {runners}" if runners else "")
        + "."
    )
    return KbAnswer(text, cite_records_frame(counted[counted[column] == top]), False, "records")


def _total(rows: pd.DataFrame, scope: str, query: RecordQuery) -> KbAnswer:
    """The sum or mean of a numeric field over the selected records."""
    name = str(query.numeric)
    values = rows[name].dropna()
    if values.empty:
        return abstain("records", f"none of the {len(rows)} {scope} records a {name}.")
    value = values.sum() if query.operation == "sum" else values.mean()
    what = "total" if query.operation == "sum" else "average"
    text = f"The {what} {name} over {len(values)} {scope} is {fmt_number(round(float(value), 2))}."
    return KbAnswer(text, cite_records_frame(rows.loc[values.index]), False, "records")


def cite_records_frame(rows: pd.DataFrame) -> tuple[RecordCitation, ...]:
    """Citations of the first :data:`MAX_CITED` rows of a records frame."""
    cited: list[RecordCitation] = []
    for table, key in zip(rows["table"], rows["key"], strict=True):
        cited.extend(cite_records(table, [key]))
        if len(cited) >= MAX_CITED:
            break
    return tuple(cited)
