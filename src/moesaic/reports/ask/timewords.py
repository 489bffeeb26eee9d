"""Time phrases of a question as a window: "last month", "in March 2024", "between X and Y", "in 2019".

Relative phrases ("last 7 days", "last month", "this week") count back from an *anchor*: the
last timestamp of the data the question is about (a series' last reading, the latest record),
never the wall clock, so a question about a plant simulated in 2024 means its last month.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = r"(\d{4}-\d{2}-\d{2}(?:[ t]\d{2}:\d{2})?)"
_LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d+)\s+(hour|day|week|month|year)s?\b")
_LAST_ONE = re.compile(r"\b(?:last|past|previous|this)\s+(hour|day|week|month|year)\b")
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_DATE}\s+(?:and|to|until)\s+{_DATE}")
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b")
_SINCE = re.compile(rf"\b(?:since|after)\s+{_DATE}")
_BEFORE = re.compile(rf"\b(?:before|until)\s+{_DATE}")
_ON = re.compile(rf"\b(?:on|at)\s+{_DATE}")
_YEAR = re.compile(r"\b(?:in|during|of|for)\s+((?:19|20)\d{2})\b")


class Window(NamedTuple):
    """``[start, end]`` (either may be open) and the phrase it was read from."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    phrase: str

    def describe(self) -> str:
        lo = "" if self.start is None else self.start.strftime("%Y-%m-%d %H:%M")
        hi = "" if self.end is None else self.end.strftime("%Y-%m-%d %H:%M")
        if lo and hi:
            return f"{self.phrase} ({lo} to {hi})"
        return f"{self.phrase} ({'from ' + lo if lo else 'until ' + hi})"


def _month(name: str) -> int:
    return next(i + 1 for i, m in enumerate(_MONTHS) if m.startswith(name[:3]))


def _offset(count: int, unit: str) -> pd.DateOffset | pd.Timedelta:
    if unit == "month":
        return pd.DateOffset(months=count)
    if unit == "year":
        return pd.DateOffset(years=count)
    hours = {"hour": 1, "day": 24, "week": 168}[unit]
    return pd.Timedelta(hours=count * hours)


def read_window(question: str, anchor: pd.Timestamp | None) -> Window | None:
    """The window a question names, or None when it names none.

    Args:
        question: the question as asked.
        anchor: the last timestamp of the data asked about; relative phrases count back from it.
            Without one, a relative phrase gives None (it has nothing to count from).
    """
    text = " ".join(question.lower().split())
    found = _BETWEEN.search(text)
    if found:
        start, end = pd.Timestamp(found.group(1)), pd.Timestamp(found.group(2))
        if len(found.group(2)) == 10:  # a date alone: the whole day
            end += pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        return Window(start, end, found.group(0))
    found = _LAST_N.search(text) or _LAST_ONE.search(text)
    if found and anchor is not None:
        count, unit = (int(found.group(1)), found.group(2)) if found.re is _LAST_N else (1, found.group(1))
        return Window(anchor - _offset(count, unit), anchor, found.group(0))
    found = _MONTH_YEAR.search(text)
    if found:
        start = pd.Timestamp(year=int(found.group(2)), month=_month(found.group(1)), day=1)
        return Window(start, start + pd.DateOffset(months=1) - pd.Timedelta(1, "ns"), found.group(0))
    found = _ON.search(text)
    if found:
        day = pd.Timestamp(found.group(1)).normalize()
        return Window(day, day + pd.Timedelta(days=1) - pd.Timedelta(1, "ns"), found.group(0))
    since, before = _SINCE.search(text), _BEFORE.search(text)
    if since or before:
        return Window(
            pd.Timestamp(since.group(1)) if since else None,
            pd.Timestamp(before.group(1)) if before else None,
            " ".join(m.group(0) for m in (since, before) if m),
        )
    found = _YEAR.search(text)
    if found:
        start = pd.Timestamp(year=int(found.group(1)), month=1, day=1)
        return Window(start, start + pd.DateOffset(years=1) - pd.Timedelta(1, "ns"), found.group(0))
    return None


def names_relative_time(question: str) -> bool:
    """True when the question counts back in time ("last month"), so it needs an anchor."""
    text = " ".join(question.lower().split())
    return bool(_LAST_N.search(text) or _LAST_ONE.search(text))
