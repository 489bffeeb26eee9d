"""How the ``ask`` suite reads an answer and compares it with a gold value.

A check reads the answer's text and citations through the answerer's fixed phrasings
(``"N work orders"``, ``"maximum X"``, ``"started at T"``, ...); an abstention fails every check of
an answerable question.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pandas as pd

from moesaic.reports.ask.answer import KbAnswer, RecordCitation
from moesaic.reports.ask.records import counted

Check = Callable[[KbAnswer], bool]


def number_after(text: str, marker: str) -> float | None:
    """The number right after ``marker`` in ``text``, or None."""
    m = re.search(re.escape(marker) + r"\s*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", text)
    return float(m.group(1)) if m else None


def time_after(text: str, marker: str) -> pd.Timestamp | None:
    """The ``YYYY-MM-DD[ HH:MM]`` time right after ``marker`` in ``text``, or None."""
    m = re.search(re.escape(marker) + r"\s*(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)", text)
    return pd.Timestamp(m.group(1)) if m else None


def cited(answer: KbAnswer) -> set[str]:
    """The record keys an answer cites."""
    return {c.record_id for c in answer.citations if isinstance(c, RecordCitation)}


def counts_to(n: int, noun: str) -> Check:
    """The answer starts with the count: "3 work orders", "1 work order" (``noun`` is the plural)."""
    return lambda r: not r.abstained and r.text.startswith(counted(n, noun))


def names_top(values: set[str], field: str) -> Check:
    """Correct when the answer names one of the most frequent ``values`` (or all of them as a tie)."""

    def check(r: KbAnswer) -> bool:
        if r.abstained:
            return False
        named = any(f"most frequent {field} is {v} " in r.text for v in values)
        return named or ("tie" in r.text and all(v in r.text for v in values))

    return check


def close_to(value: float, marker: str) -> Check:
    def check(r: KbAnswer) -> bool:
        x = number_after(r.text, marker)
        return not r.abstained and x is not None and abs(x - value) <= 1e-3 * max(1.0, abs(value))

    return check


def within_hours(onset: pd.Timestamp, hours: float) -> Check:
    """Correct when the computed onset (``starts at``) lies within ``hours`` of ``onset``."""

    def check(r: KbAnswer) -> bool:
        stated = time_after(r.text, "starts at")
        return not r.abstained and stated is not None and abs(stated - onset) <= pd.Timedelta(hours=hours)

    return check


def contains_any(phrases: set[str], *, cites: str | None = None) -> Check:
    """Correct when the answer holds one of ``phrases`` (and cites the record ``cites``, if given)."""
    return lambda r: (
        not r.abstained and any(p in r.text for p in phrases) and (cites is None or cites in cited(r))
    )


def starts_with(prefix: str) -> Check:
    return lambda r: not r.abstained and r.text.startswith(prefix)


def cites_exactly(keys: set[str]) -> Check:
    return lambda r: not r.abstained and cited(r) == keys


def quotes_rpn(rows: set[tuple[str, int]]) -> Check:
    """Correct when every FMEA row of ``rows`` is quoted with its RPN."""
    return lambda r: not r.abstained and all(i in r.rows and f"RPN {rpn}" in r.text for i, rpn in rows)


def states_time(marker: str, when: pd.Timestamp) -> Check:
    """Correct when the time after ``marker`` is ``when`` (to the minute)."""
    return lambda r: not r.abstained and time_after(r.text, marker) == when.floor("min")


def abstains(r: KbAnswer) -> bool:
    return r.abstained


def cites_any(keys: set[str]) -> Check:
    return lambda r: not r.abstained and bool(keys & cited(r))


def top_set(counter: Counter[str]) -> set[str]:
    """The most frequent values of ``counter`` (all of them on a tie); empty for an empty counter."""
    if not counter:
        return set()
    best = max(counter.values())
    return {k for k, v in counter.items() if v == best}
