"""Time phrases of a question as a window: "last month", "in March 2024", "between X and Y", "in 2019".

A question's times are read as *periods*: a day (``2024-03-05``, ``5 March 2024``, ``Mar 5,
2024``, ``05/03/2024`` when a number above 12 says which is the day), a month (``March 2024``,
``2024-03``, ``03/2024``), a quarter (``Q1 2024``), a year (``in 2024``) or an instant (a date
with ``HH:MM`` or ``HH:MM:SS``). "Between A and B" runs from the start of A to the end of B.
Something that looks like a time but cannot be read (``01/02/2005``: 1 February or 2 January?
``13/2005``, ``Jan 5`` without a year) raises :class:`TimePhraseError` naming it: the answerers
abstain instead of answering over the whole base. A month named without a year ("in January") is
its latest occurrence at or before the anchor below (:func:`with_years`); the answer's window
shows the year it was given.

Relative phrases ("last 7 days", "last month", "this week") count back from an *anchor*: the
last timestamp of the data the question is about (a series' last reading, the latest record),
never the wall clock, so a question about a plant simulated in 2024 means its last month.
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

import pandas as pd

from moesaic.data.times import parse_time_argument, timestamp_or_none

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)\d{2}"
_CLOCK = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
_NTH = r"(?:st|nd|rd|th)?"
_LEFT = r"(?<![\w/.:-])"  # not inside an identifier or a longer number ("PN-4401", "1.2005")
_RIGHT = r"(?![\w/:-]|\.\d)"
# One period each, the most specific forms first (a day before its month, a month before its year).
_FORMS = (
    ("iso", rf"{_YEAR}-\d{{1,2}}-\d{{1,2}}{_CLOCK}?"),
    ("ymd", rf"{_YEAR}/\d{{1,2}}/\d{{1,2}}{_CLOCK}?"),
    ("numeric", rf"\d{{1,2}}(?P<sep>[./-])\d{{1,2}}(?P=sep)(?:{_YEAR}|\d{{2}}){_CLOCK}?"),
    ("mdy", rf"{_MONTH}\.?\s+\d{{1,2}}{_NTH},?\s+{_YEAR}{_CLOCK}?"),
    ("dmy", rf"\d{{1,2}}{_NTH}\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}{_CLOCK}?"),
    ("month", rf"{_MONTH}\.?,?\s+(?:of\s+)?{_YEAR}"),
    ("quarter", rf"q[1-4]\s*(?:of\s+)?{_YEAR}|{_YEAR}[\s-]*q[1-4]"),
    ("ym", rf"{_YEAR}-\d{{1,2}}"),
    ("my", rf"\d{{1,2}}[/.-]{_YEAR}"),
)
_NOT_A_BOUND = "".join(
    f"(?<!{w} )"
    for w in ("above", "below", "over", "under", "than", "least", "most", "exceeding", "equals", "is")
)  # "cost above 2006" compares: 2006 is no year there
# A bare year counts only after a time word, or as the last word of a terse question ("wo count exc D
# 2007"), and not as an amount ("for 2000 hours").
_BARE_YEAR = (
    rf"(?:\b(?:in|during|of|for|since|after|before|until|till|from|to|and|between|by|through)\s+"
    rf"|(?<=[a-z] ){_NOT_A_BOUND}(?={_YEAR}\s*\??\s*$))"
    rf"(?P<year>{_YEAR})(?!\s*(?:h|hrs?|hours?|days?|weeks?|months?|years?|min(?:ute)?s?|s|sec(?:ond)?s?"
    r"|readings?|steps?|rpm|%|units?|items?)\b)"
)
_KINDS = (*(name for name, _ in _FORMS), "year")
_PERIOD = re.compile(
    "|".join([*(rf"{_LEFT}(?P<{name}>{form}){_RIGHT}" for name, form in _FORMS), _BARE_YEAR + _RIGHT])
)
_PERIOD_ANY_CASE = re.compile(_PERIOD.pattern, re.IGNORECASE)
# What looks like a time but is none of the forms above, searched once the periods are blanked.
_LOOKS_LIKE = (
    (re.compile(rf"{_LEFT}\d{{1,4}}([./-])\d{{1,4}}\1\d{{1,4}}{_CLOCK}?{_RIGHT}"), "is not a date"),
    (
        re.compile(rf"{_LEFT}(?:\d{{1,2}}[/.-]{_YEAR}|{_YEAR}[/.-]\d{{1,2}}){_RIGHT}"),
        "is not a month (write it as YYYY-MM)",
    ),
    (re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}{_NTH}\b(?!\s*:)"), "names no year"),
    (re.compile(rf"\b\d{{1,2}}{_NTH}\s+(?:of\s+)?{_MONTH}\b"), "names no year"),
    (
        re.compile(
            rf"\b(?:in|during|since|after|before|until|till|from|between|through)\s+(?:the\s+)?{_MONTH}\b"
        ),
        "names no year",
    ),
    (re.compile(rf"\bq\d\s*(?:of\s+)?{_YEAR}\b|\b{_YEAR}[\s-]*q\d\b"), "is not a quarter (Q1 to Q4)"),
    (re.compile(r"\b(?:in|during|of|for)\s+q[1-4]\b"), "names no year"),
    (re.compile(r"(?<![\w:.])\d{1,2}:\d{2}(?::\d{2})?(?![\w:])"), "is a time of day without a date"),
)
_LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d+)\s+(hour|day|week|month|year)s?\b")
_LAST_ONE = re.compile(r"\b(?:last|past|previous|this)\s+(hour|day|week|month|year)\b")
_PART_OF = re.compile(
    r"\b(?:(?:first|second|third|fourth|fifth|last|final|1st|2nd|3rd|4th|5th|early|late|mid|middle|end)\s+"
    r"(?:week|weeks|days|half|fortnight|weekend|part)\s+(?:of|in)"
    r"|(?:week|weekend|fortnight|half|beginning|start|end|middle)\s+of)\s+(?:the\s+)?$"
)
"""Words before a period that name only a part of it ("the week of", "first week in", "end of");
"start in" and "end in" are verbs ("when did it start in February?")."""
_RANGE_FROM = ("between", "from")
_RANGE_TO = ("and", "to", "until", "till", "through", "-", "and up to")
_STARTS = ("since", "after", "from")
_ENDS = ("before", "until", "till", "through", "by")
_PLAIN_WORDS = ("in", "on", "at", "during", "of", "for")
_ONE_NS = pd.Timedelta(1, "ns")
_EXAMPLE = "write dates as YYYY-MM-DD (e.g. 2005-03-01), months as YYYY-MM or 'March 2005'"


class TimePhraseError(ValueError):
    """A time phrase of a question that cannot be read; the message names it and why."""


class Window(NamedTuple):
    """``[start, end]`` (either may be open) and the phrase it was read from."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    phrase: str

    def describe(self) -> str:
        # Seconds only when a bound has them: the end of a day (23:59:59.999999999) shows as 23:59.
        stamps = [t for t in (self.start, self.end) if t is not None]
        exact = any((t + _ONE_NS).second or (t + _ONE_NS).microsecond for t in stamps)
        shape = "%Y-%m-%d %H:%M:%S" if exact else "%Y-%m-%d %H:%M"
        lo = "" if self.start is None else self.start.strftime(shape)
        hi = "" if self.end is None else self.end.strftime(shape)
        if lo and hi:
            return f"{self.phrase} ({lo} to {hi})"
        return f"{self.phrase} ({'from ' + lo if lo else 'until ' + hi})"


class Period(NamedTuple):
    """One time the question names: ``[start, end]`` inclusive, where it stands in the text."""

    start: pd.Timestamp
    end: pd.Timestamp
    phrase: str
    at: int  # its first character in the normalised question
    stop: int  # one past its last character


def _month(name: str) -> int:
    return next(i + 1 for i, m in enumerate(_MONTHS) if m.startswith(name[:3]))


def _offset(count: int, unit: str) -> pd.DateOffset | pd.Timedelta:
    if unit == "month":
        return pd.DateOffset(months=count)
    if unit == "year":
        return pd.DateOffset(years=count)
    hours = {"hour": 1, "day": 24, "week": 168}[unit]
    return pd.Timedelta(hours=count * hours)


def _stamp(text: str) -> pd.Timestamp:
    stamp = timestamp_or_none(text)
    if stamp is None:
        raise TimePhraseError(f"{text!r} is not a date; {_EXAMPLE}.")
    return stamp


def _day_or_instant(stamp: pd.Timestamp, has_clock: bool) -> tuple[pd.Timestamp, pd.Timestamp]:
    if has_clock:
        return stamp, stamp
    day = stamp.normalize()
    return day, day + pd.Timedelta(days=1) - _ONE_NS


def _months(year: int, month: int, count: int, phrase: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    if not 1 <= month <= 12:
        raise TimePhraseError(f"{phrase!r} is not a month (month {month}); {_EXAMPLE}.")
    start = pd.Timestamp(year=year, month=month, day=1)
    return start, start + pd.DateOffset(months=count) - _ONE_NS


def _read_period(kind: str, phrase: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end]`` of one matched period; TimePhraseError when it names no real time."""
    has_clock = ":" in phrase
    numbers = [int(n) for n in re.findall(r"\d+", phrase)]
    if kind in ("iso", "ymd"):
        return _day_or_instant(_stamp(phrase.replace("/", "-")), has_clock)
    if kind == "numeric":
        try:
            stamp = parse_time_argument(phrase, "the date")
        except ValueError as error:
            raise TimePhraseError(str(error).replace("the date ", "", 1)) from None
        return _day_or_instant(stamp, has_clock)
    if kind in ("mdy", "dmy"):
        name = re.search(_MONTH, phrase)
        assert name is not None  # the form holds a month name
        day, year = numbers[0], numbers[1]  # "Mar 5 2024" and "5 March 2024" alike
        clock = phrase[phrase.index(":") - 2 :].strip() if has_clock else ""
        try:
            stamp = pd.Timestamp(f"{year:04d}-{_month(name.group(0)):02d}-{day:02d} {clock}".strip())
        except ValueError:
            raise TimePhraseError(f"{phrase!r} is not a date; {_EXAMPLE}.") from None
        return _day_or_instant(stamp, has_clock)
    if kind == "month":
        name = re.search(_MONTH, phrase)
        assert name is not None
        return _months(numbers[-1], _month(name.group(0)), 1, phrase)
    if kind == "quarter":
        quarter = int(phrase[phrase.index("q") + 1])
        year = next(n for n in numbers if n >= 1900)
        return _months(year, 3 * quarter - 2, 3, phrase)
    if kind == "ym":
        return _months(numbers[0], numbers[1], 1, phrase)
    if kind == "my":
        return _months(numbers[1], numbers[0], 1, phrase)
    assert kind == "year", kind
    start = pd.Timestamp(year=numbers[0], month=1, day=1)
    return start, start + pd.DateOffset(years=1) - _ONE_NS


_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_RANGE_LINK = r"(?:and|to|until|till|through|-)"
# A range whose first end leaves out what the second end says: "between 1st Feb and 15th Feb
# 2024", "from the 10th to the 20th of February 2024", "between Feb 1 and Feb 15, 2024".
_SHORT_DMY = re.compile(
    rf"\b(?P<open>between|from)\s+(?:the\s+)?(?P<d1>{_DAY})(?:\s+(?:of\s+)?(?P<m1>{_MONTH})\.?)?\s+"
    rf"(?P<link>{_RANGE_LINK})\s+"
    rf"(?:the\s+)?(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})\.?,?\s+(?P<year>{_YEAR})\b",
    re.IGNORECASE,
)
_SHORT_MDY = re.compile(
    rf"\b(?P<open>between|from)\s+(?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY})\s+(?P<link>{_RANGE_LINK})\s+"
    rf"(?:(?P<m2>{_MONTH})\.?\s+)?"
    rf"(?P<d2>{_DAY}),?\s+(?P<year>{_YEAR})\b",
    re.IGNORECASE,
)


_YEAR_SPAN = re.compile(
    rf"(?<![\w/.:-])(?:(?P<open>between|from)\s+)?(?P<y1>{_YEAR})\s*[-\u2013]\s*(?P<y2>{_YEAR})(?![\w/:-])"
)
"""Two years joined by a dash ("over 2024-2025"): a range, not an identifier."""


def complete_ranges(text: str) -> str:
    """``text`` with the month and year a range's second end gives written into its first end:
    "between 1st Feb and 15th Feb 2024" -> "between 1st Feb 2024 and 15th Feb 2024"; two years
    joined by a dash written as a range: "2024-2025" -> "from 2024 to 2025"."""
    text = _YEAR_SPAN.sub(lambda m: f"{m['open'] or 'from'} {m['y1']} to {m['y2']}", text)

    def dmy(m: re.Match[str]) -> str:
        first = m.group("m1") or m.group("m2")
        return f"{m['open']} {m['d1']} {first} {m['year']} {m['link']} {m['d2']} {m['m2']} {m['year']}"

    def mdy(m: re.Match[str]) -> str:
        second = m.group("m2") or m.group("m1")
        return f"{m['open']} {m['m1']} {m['d1']}, {m['year']} {m['link']} {second} {m['d2']}, {m['year']}"

    return _SHORT_MDY.sub(mdy, _SHORT_DMY.sub(dmy, text))


def find_periods(text: str) -> list[Period]:
    """Every time ``text`` (lower-cased, single-spaced) names, in order.

    Raises:
        TimePhraseError: a time that cannot be read, or something that looks like one.
    """
    periods = []
    for found in _PERIOD.finditer(text):
        kind = next(k for k, v in found.groupdict().items() if v is not None and k in _KINDS)
        start, end = _read_period(kind, found.group(kind))
        periods.append(Period(start, end, found.group(kind), found.start(kind), found.end(kind)))
    blanked = _PERIOD.sub(lambda m: " " * len(m.group(0)), text)
    for pattern, why in _LOOKS_LIKE:
        odd = pattern.search(blanked)
        if odd:
            raise TimePhraseError(f"{odd.group(0).strip()!r} {why}; {_EXAMPLE}.")
    return periods


def blank_times(question: str) -> str:
    """``question`` with every time it names (in a form :func:`find_periods` reads) blanked, so
    "Q1 2005" or "2005-03" is not taken for an identifier. Positions are kept except where
    :func:`complete_ranges` writes out a range."""
    return _PERIOD_ANY_CASE.sub(lambda m: " " * len(m.group(0)), complete_ranges(question))


def _word_before(text: str, period: Period) -> str:
    words = text[: period.at].split()
    return words[-1] if words else ""


def _combine(text: str, periods: list[Period]) -> Window:
    """One window from the periods: a range, since/before bounds, or a single period."""
    ranges = [
        (a, b)
        for a, b in itertools.pairwise(periods)
        if _word_before(text, a) in _RANGE_FROM and text[a.stop : b.at].strip() in _RANGE_TO
    ]
    if ranges:
        a, b = ranges[0]
        phrase = text[text.rfind(" ", 0, a.at - 1) + 1 : b.stop]
        if len(periods) > 2:
            others = [p.phrase for p in periods if p not in (a, b)]
            raise TimePhraseError(f"the question names {phrase!r} and also {others}; ask about one period.")
        if a.start > b.end:
            raise TimePhraseError(
                f"{phrase!r} ends before it starts ({b.phrase} is before {a.phrase}); write the earlier "
                "time first."
            )
        return Window(a.start, b.end, phrase)
    start: Period | None = None
    end: Period | None = None
    plain: list[Period] = []
    for period in periods:
        word = _word_before(text, period)
        if word in _STARTS and start is None:
            start = period
        elif word in _ENDS and end is None:
            end = period
        else:
            plain.append(period)
    if plain and (len(plain) > 1 or start or end):
        listed = ", ".join(repr(p.phrase) for p in periods)
        raise TimePhraseError(
            f"the question names several times ({listed}); ask about one period, or a range "
            "written 'between X and Y'."
        )
    if plain:
        (period,) = plain
        word = _word_before(text, period)
        phrase = f"{word} {period.phrase}" if word in _PLAIN_WORDS else period.phrase
        return Window(period.start, period.end, phrase)
    lo = hi = None
    words = []
    if start is not None:
        word = _word_before(text, start)
        instant = start.start == start.end
        lo = start.end + _ONE_NS if word == "after" and not instant else start.start
        words.append(f"{word} {start.phrase}")
    if end is not None:
        word = _word_before(text, end)
        hi = end.start - _ONE_NS if word == "before" else end.end
        words.append(f"{word} {end.phrase}")
    if lo is not None and hi is not None and lo > hi:
        raise TimePhraseError(f"{' '.join(words)!r} is empty: it ends before it starts.")
    return Window(lo, hi, " ".join(words))


_OPENERS = r"in|during|since|after|from|between"  # "before june" asked in May: this June or last?
_NO_YEAR_AFTER = rf"(?!\.?,?\s+(?:of\s+)?{_YEAR}\b)(?!\.?\s+\d)"
_MONTH_RANGE = re.compile(
    rf"\b(?P<open>between|from)\s+(?:the\s+)?(?P<m1>{_MONTH})\b\.?\s+(?P<link>{_RANGE_LINK})\s+"
    rf"(?:the\s+)?(?P<m2>{_MONTH})\b{_NO_YEAR_AFTER}"
)
_BARE_MONTH = re.compile(rf"\b(?P<word>{_OPENERS})\s+(?:the\s+)?(?P<month>{_MONTH})\b{_NO_YEAR_AFTER}")
"""A month named without a year after a time word ("in January", "between Jan and March")."""


def with_years(text: str, anchor: pd.Timestamp | None) -> str:
    """``text`` (lower-cased) with each month it names without a year given the year of its latest
    occurrence at or before ``anchor`` (the last timestamp of the data asked about): "in january"
    asked of a plant whose data end in May 2024 is January 2024, as a person reading that data
    means it. A range's first month is the one before its second ("between nov and feb": November
    of the year before). Unchanged without an anchor, where such a month stays unreadable."""
    if anchor is None:
        return text

    def year_of(name: str) -> int:
        return anchor.year if _month(name) <= anchor.month else anchor.year - 1

    def months(m: re.Match[str]) -> str:
        second = year_of(m["m2"])
        first = second if _month(m["m1"]) <= _month(m["m2"]) else second - 1
        return f"{m['open']} {m['m1']} {first} {m['link']} {m['m2']} {second}"

    text = _MONTH_RANGE.sub(months, text)
    return _BARE_MONTH.sub(lambda m: f"{m['word']} {m['month']} {year_of(m['month'])}", text)


def read_window(question: str, anchor: pd.Timestamp | None) -> Window | None:
    """The window a question names, or None when it names none.

    Args:
        question: the question as asked.
        anchor: the last timestamp of the data asked about; relative phrases count back from it.
            Without one, a relative phrase gives None (it has nothing to count from).

    Raises:
        TimePhraseError: the question holds a time that cannot be read (its message names it),
            a range that ends before it starts, or several unconnected times.
    """
    text = complete_ranges(with_years(" ".join(question.lower().split()), anchor))
    periods = find_periods(text)
    for k, period in enumerate(periods):  # "the first week of March 2024": only the month would be read
        part = _PART_OF.search(text[: period.at])
        if part:
            phrase = text[part.start() : period.stop]
            exact = _exact_part(part.group(0), period)
            if exact is not None:  # "the first week of March 2024": 1-7 March
                periods[k] = Period(*exact, phrase, part.start(), period.stop)
                continue
            raise TimePhraseError(
                f"{phrase!r} names a part of {period.phrase!r} that cannot be read exactly; "
                f"give its dates, e.g. 'between {period.start:%Y-%m-%d} and ...'"
            )
    relative = _LAST_N.search(text) or _LAST_ONE.search(text)
    if relative and any(p.at == relative.start() for p in periods):
        relative = None  # "the last week of February 2024": a part of a period, read above
    if relative and periods:
        raise TimePhraseError(
            f"the question names {relative.group(0)!r} and also {periods[0].phrase!r}; ask about one period."
        )
    if relative:
        if anchor is None:
            return None
        if relative.re is _LAST_N:
            count, unit = int(relative.group(1)), relative.group(2)
        else:
            count, unit = 1, relative.group(1)
        return Window(anchor - _offset(count, unit), anchor, relative.group(0))
    return _combine(text, periods) if periods else None


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}


def _exact_part(words: str, period: Period) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """``[start, end]`` of the part of ``period`` that ``words`` name when it is exact: the first
    to fourth week of a month (days 1-7, ..., 22-28), its last week (its last 7 days), the first
    or second half of a month (days 1-15, 16 to the end) or of a year; None for the vague ones
    ("end of", "mid", "early") and for parts of other periods."""
    ordinal, unit = [*words.split(), "", ""][:2]
    after = period.end + _ONE_NS
    month = period.start.day == 1 and after == period.start + pd.DateOffset(months=1)
    year = period.start.day_of_year == 1 and after == period.start + pd.DateOffset(years=1)
    if month and unit == "week" and ordinal in _ORDINALS:
        start = period.start + pd.Timedelta(days=7 * _ORDINALS[ordinal])
        return start, start + pd.Timedelta(days=7) - _ONE_NS
    if month and unit == "week" and ordinal in ("last", "final"):
        return after - pd.Timedelta(days=7), period.end
    if (month or year) and unit == "half" and ordinal in ("first", "1st", "second", "2nd"):
        middle = period.start + (pd.Timedelta(days=15) if month else pd.DateOffset(months=6))
        return (period.start, middle - _ONE_NS) if ordinal in ("first", "1st") else (middle, period.end)
    return None


def names_relative_time(question: str) -> bool:
    """True when the question counts back in time ("last month"), so it needs an anchor."""
    text = " ".join(question.lower().split())
    return bool(_LAST_N.search(text) or _LAST_ONE.search(text))
