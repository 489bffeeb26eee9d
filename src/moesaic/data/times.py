"""Reading of times: the time columns of files and the times given as arguments.

:func:`time_column` parses a column of a frame read by
:func:`~moesaic.data.tables.read_csv_checked`, in a given format or any one pandas recognises; an
empty, unparsable, out-of-range or duplicated time is a
:class:`~moesaic.data.tables.DataFormatError` naming the file, the line and the column. Dates
written with numbers only (01/03/2024) are read in one order for the whole column: day first or
month first as a number above 12 decides, else as the rows run forward in time, then (with a
warning naming both readings) as they are evenly spaced, or, failing that, by the separator. Times
with a UTC offset are compared in UTC; a column mixing times with and without one is refused, as
their zone is unknown.
:func:`parse_time_argument` reads a time given on the command line or in a config, refusing a
numbers-only date that reads either way.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.tables import DataFormatError, row_line

_log = logging.getLogger(__name__)


_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(.*)$")
"""A date written with numbers only, day and month in either order: 01/03/2024, 1.3.24 10:00, 01-03-2024."""


def time_column(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    header_lines: int = 1,
    fmt: str | None = None,
    unique: bool = True,
    ordered: bool = False,
) -> np.ndarray:
    """Column ``column`` parsed as timestamps (datetime64[ns]).

    Without ``fmt``, dates written with numbers only (01/03/2024, 01.03.2024) are read in one order
    for the whole column: day first when some date has a first number above 12, month first when
    some date has a second number above 12. When no date decides, ``ordered`` (the rows should be in
    time order, as a series' are) keeps the order under which more rows follow each other in time,
    then the one under which more rows are one median step apart; otherwise, and on a tie, dates
    with dots are read day first and the others month first. Unless more rows follow each other in
    time under one order, a warning names the line, the order read and why, and the first and last
    dates under each order (monthly readings on the 1st, 01/03 to 01/06, are evenly spaced as days
    too).

    Raises:
        DataFormatError: an empty or unparsable timestamp, a column whose dates need both orders,
            or (with ``unique``) a duplicated timestamp, naming the first offending line.
    """
    raw = frame[column]
    text = raw.astype(str).str.strip()
    empty = raw.isna() | (text == "")
    if empty.any():
        pos = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFormatError(
            path,
            "expected a timestamp, found an empty cell",
            line=row_line(frame, pos, header_lines),
            column=column,
        )
    if fmt is None:
        text = _month_first(frame, text, column, path, header_lines=header_lines, ordered=ordered)
    try:
        parsed = pd.to_datetime(text, errors="coerce", format=fmt if fmt else "mixed")
    except ValueError:
        # different UTC offsets in one column (a daylight-saving change, say): compare them in UTC,
        # unless some times carry no offset at all: those are in a zone nobody named
        _refuse_mixed_zones(frame, text, column, path, header_lines=header_lines)
        parsed = pd.to_datetime(text, errors="coerce", format=fmt if fmt else "mixed", utc=True)
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        example = fmt or "YYYY-MM-DD hh:mm:ss"
        raise DataFormatError(
            path,
            f"expected a timestamp like {example}, found {str(raw.iloc[pos])!r}",
            line=row_line(frame, pos, header_lines),
            column=column,
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    # pandas parses to seconds or microseconds; outside the datetime64[ns] range the cast wraps silently
    outside = (parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max)
    if outside.any():
        pos = int(np.flatnonzero(outside.to_numpy())[0])
        raise DataFormatError(
            path,
            f"expected a timestamp between {pd.Timestamp.min:%Y-%m-%d} and "
            f"{pd.Timestamp.max:%Y-%m-%d}, found {str(raw.iloc[pos])!r}",
            line=row_line(frame, pos, header_lines),
            column=column,
        )
    times = parsed.to_numpy(dtype="datetime64[ns]")
    if unique:
        dup = pd.Series(times).duplicated().to_numpy()
        if dup.any():
            pos = int(np.flatnonzero(dup)[0])
            raise DataFormatError(
                path,
                f"duplicated timestamp {str(raw.iloc[pos])!r}; each time must appear once per series"
                + _clock_set_back(times, pos),
                line=row_line(frame, pos, header_lines),
                column=column,
            )
    return times


def _clock_set_back(times: np.ndarray, pos: int) -> str:
    """A hint when the clock went back by at most an hour just before the duplicated time at ``pos``,
    in the night (00:00 to 03:59), as local times do where daylight saving time ends; "" otherwise
    (a row repeated at 21:50 in March is no clock change)."""
    if pos == 0 or not np.timedelta64(0) <= times[pos - 1] - times[pos] <= np.timedelta64(1, "h"):
        return ""
    if pd.Timestamp(times[pos]).hour >= 4:
        return ""
    return (
        " (the clock goes back here, as local times do where daylight saving time ends: give the times "
        "in UTC, or with their UTC offset, such as 2024-10-27 02:30+01:00)"
    )


_ZONE = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|(?:UTC|GMT)(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)\s*$",
    re.IGNORECASE,
)
"""A time of day followed by a zone: ``10:00Z``, ``10:00:00+02:00``, ``10:00 UTC``."""


def _refuse_mixed_zones(
    frame: pd.DataFrame, text: pd.Series, column: str, path: Path, *, header_lines: int
) -> None:
    """Fail when some timestamps of ``text`` carry a UTC offset and others none.

    A time without an offset is local time in a zone the file does not name; read next to times
    with one, it would silently pass for UTC. The pattern :data:`_ZONE` sorts the cells, and pandas
    confirms one cell of each kind, so a form the pattern misses never causes a false refusal.
    """
    zoned = text.str.contains(_ZONE).to_numpy()
    if zoned.all() or not zoned.any():
        return
    a, b = int(np.flatnonzero(zoned)[0]), int(np.flatnonzero(~zoned)[0])
    with_zone, without = timestamp_or_none(text.iloc[a]), timestamp_or_none(text.iloc[b])
    if with_zone is None or without is None or with_zone.tzinfo is None or without.tzinfo is not None:
        return
    raw = frame[column]
    raise DataFormatError(
        path,
        f"timestamps with and without a UTC offset in one column: {str(raw.iloc[a])!r} (line "
        f"{row_line(frame, a, header_lines)}) has one, {str(raw.iloc[b])!r} has none, so its time zone "
        "is unknown; write every time with its offset (e.g. 2024-03-31 07:00+02:00), or every time "
        "without one, in one zone",
        line=row_line(frame, b, header_lines),
        column=column,
    )


def parse_time_argument(
    text: str, name: str, within: tuple[pd.Timestamp, pd.Timestamp] | None = None
) -> pd.Timestamp:
    """A time given on the command line (``name`` is its option, for the message).

    Dates written with numbers only must say their order: 13/03/2024 is day first, 03/13/2024
    month first, and 05/01/2005 (5 January or 1 May) is refused rather than guessed, unless only
    one of the two falls ``within`` (first, last), the span of the file it cuts.

    Raises:
        ValueError: not a time, or an ambiguous numbers-only date.
    """
    example = "2024-02-15 18:00"
    parts = _NUMERIC_DATE.match(str(text).strip())
    if parts is not None:
        first, second = int(parts.group(1)), int(parts.group(3))
        rest = f"/{parts.group(4)}{parts.group(5)}"
        if first <= 12 and second <= 12 and first != second and within is not None:
            readings = [timestamp_or_none(f"{a}/{b}{rest}") for a, b in ((first, second), (second, first))]
            inside = [t for t in readings if t is not None and within[0] <= t <= within[1]]
            if len(inside) == 1:  # "01/04/2025" in a file of March to May 2025: 1 April
                return inside[0]
        if first <= 12 and second <= 12 and first != second:
            raise ValueError(
                f"{name} {text!r} is ambiguous: day {first} of month {second}, or month {first} day "
                f"{second}; write it as YYYY-MM-DD, e.g. {example}"
            )
        if first > 12:  # day first: rewrite month first, as pandas reads it
            text = f"{parts.group(3)}/{parts.group(1)}/{parts.group(4)}{parts.group(5)}"
    stamp = timestamp_or_none(text)
    if stamp is None:
        raise ValueError(f"{name} {text!r} is not a time (expected e.g. {example})")
    return stamp


def timestamp_or_none(text: str) -> pd.Timestamp | None:
    """``text`` as a pandas timestamp, or None when it is not one."""
    try:
        stamp = pd.Timestamp(text)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp


def _month_first(
    frame: pd.DataFrame, text: pd.Series, column: str, path: Path, *, header_lines: int, ordered: bool
) -> pd.Series:
    """``text`` with every numbers-only date rewritten month first (``MM/DD/YYYY``), all in the one
    order :func:`time_column` settles on; other cells unchanged."""
    parts = text.str.extract(_NUMERIC_DATE)
    matched = parts[0].notna().to_numpy()
    if not matched.any():
        return text
    first, second = parts[0].to_numpy(), parts[2].to_numpy()
    firsts = np.where(matched, pd.to_numeric(parts[0], errors="coerce").fillna(0), 0)
    seconds = np.where(matched, pd.to_numeric(parts[2], errors="coerce").fillna(0), 0)
    day_first, month_first = firsts > 12, seconds > 12
    if day_first.any() and month_first.any():
        a, b = int(np.flatnonzero(day_first)[0]), int(np.flatnonzero(month_first)[0])
        raise DataFormatError(
            path,
            f"dates in two orders: {text.iloc[a]!r} (line {row_line(frame, a, header_lines)}) is day first, "
            f"{text.iloc[b]!r} is month first; write every date one way (best: YYYY-MM-DD)",
            line=row_line(frame, b, header_lines),
            column=column,
        )

    def rewrite(days_first: bool) -> pd.Series:
        month, day = (second, first) if days_first else (first, second)
        out = text.copy()
        out[matched] = (
            month[matched]
            + "/"
            + day[matched]
            + "/"
            + parts[3].to_numpy()[matched]
            + parts[4].to_numpy()[matched]
        )
        return out

    if day_first.any() or month_first.any():
        return rewrite(bool(day_first.any()))
    both = {order: rewrite(order) for order in (True, False)}
    parsed = {order: _parse_lenient(t) for order, t in both.items()}
    chosen = bool(parts[1][matched].iloc[0] == ".")  # True: day first
    why = f", and dates with {'dots are usually day' if chosen else '/ or - are usually month'} first"
    if ordered:
        gaps = {order: t.diff().dt.total_seconds().dropna() for order, t in parsed.items()}
        forward = {order: int((g > 0).sum()) for order, g in gaps.items()}
        if forward[True] != forward[False]:
            return both[forward[True] > forward[False]]
        # both run forward as often: the order whose rows are evenly spaced more often (a logger's
        # 15-minute rows read month first jump a month at each new day), with a warning, as a
        # monthly reading on the 1st read month first is daily and evenly spaced too
        regular = {order: int((g == g.median()).sum()) if len(g) else 0 for order, g in gaps.items()}
        if regular[True] != regular[False]:
            chosen = regular[True] > regular[False]
            why = f", but {'day' if chosen else 'month'} first they are evenly spaced more often"
        why = " and the rows run forward in time as often either way" + why
    pos = int(np.flatnonzero(matched)[0])
    _log.warning(
        "%s, column %r: dates such as %r (line %d) read %s first; no date decides (a number above "
        "12)%s: %s; %s first they would be %s. If the other reading is right, write the dates as "
        "YYYY-MM-DD",
        path, column, text.iloc[pos], row_line(frame, pos, header_lines), "day" if chosen else "month",
        why, _span(parsed[chosen]), "month" if chosen else "day", _span(parsed[not chosen]),
    )  # fmt: skip
    return both[chosen]


def _parse_lenient(text: pd.Series) -> pd.Series:
    """``text`` as times, NaT where unparsable, in UTC when their offsets differ."""
    try:
        return pd.to_datetime(text, errors="coerce", format="mixed")
    except ValueError:
        return pd.to_datetime(text, errors="coerce", format="mixed", utc=True)


def _span(times: pd.Series) -> str:
    """``first to last`` of the times, without the time of day when every one is midnight."""
    times = times.dropna()
    if times.empty:
        return "no valid dates"
    midnight = bool((times == times.dt.normalize()).all())
    shown = [f"{t:%Y-%m-%d}" if midnight else f"{t:%Y-%m-%d %H:%M}" for t in (times.iloc[0], times.iloc[-1])]
    return shown[0] if len(times) == 1 else f"{shown[0]} to {shown[1]}"
