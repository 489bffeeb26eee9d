"""How the readers of :mod:`moesaic.data.readers` read columns and cells of a table.

The CSV separator (numbers written with decimal commas, thousands separators or a currency are in
:mod:`moesaic.data.readers_numbers`), Parquet files, blank and numeric cells, the time column
(timestamps or whole step numbers) and numeric channel values; every failure is a
:class:`~moesaic.data.tables.DataFormatError` naming the file, the line and the column.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.readers_numbers import _first, _present, decimal_commas, thousands_commas, without_currency
from moesaic.data.tables import (
    DataFormatError,
    check_file,
    numeric_column,
    read_csv_checked,
    read_text_checked,
    row_line,
    with_row_lines,
)
from moesaic.data.times import time_column

_log = logging.getLogger(__name__)

SEPARATORS = (",", ";", "\t")
TIME_NAMES = (
    "time",
    "timestamp",
    "date",
    "datetime",
    "cycle",
    "step",
    "ts",
    "epoch",
    "unix_time",
    "time_stamp",
)
_CLOCK_NAMES = frozenset(TIME_NAMES) - {"cycle", "step"}
"""Time column names that mean clock time: whole numbers there in the range of Unix times are them."""
_EPOCH_UNITS = (("s", 1e8, 4.2e9), ("ms", 1e11, 4.2e12))
"""Unix times in seconds or milliseconds between 1973 and 2103: (unit, lowest, highest)."""
LABEL_NAMES = (
    "anomaly", "anomalies", "is_anomaly", "label", "labels", "changepoint", "change_point", "attack",
    "outlier", "is_outlier", "fault", "faulty",
)  # fmt: skip
"""Column names (any case) read as per-step labels, not channels, when they hold whole numbers only."""

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_MAX_STEP = 2**53  # larger whole numbers are not exact in float64


WHITESPACE = r"\s+"
"""The separator of a file whose fields are lined up with spaces (C-MAPSS, many loggers)."""


def sniff_separator(path: Path | str, text: str | None = None) -> str:
    """The separator among ``,`` ``;`` and tab that occurs most in the header line (``,`` on a tie),
    or runs of spaces (:data:`WHITESPACE`) when the header has none of them but several words;
    ``text`` is the file's, when already read."""
    if text is None:
        text = read_text_checked(Path(path), what="CSV text")
    header = next((line for line in text.splitlines() if line.strip()), "")
    header = re.sub(r'"[^"]*"', "", header)  # separators inside quoted names do not count
    counts = [header.count(s) for s in SEPARATORS]
    if not any(counts) and len(header.split()) > 1:
        return WHITESPACE
    return SEPARATORS[counts.index(max(counts))]


_NUMBER = re.compile(r"^\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?(?:\.\d+)?\s*$")
"""A header cell that is a number (pandas adds ``.1`` to a repeated one)."""


def read_sniffed_csv(
    path: Path,
    *,
    sep: str | None = None,
    required: Sequence[str] = (),
    literal: Sequence[str] = (),
    optional: Sequence[str] = (),
    aliases: Mapping[str, Sequence[str]] | None = None,
    keep_default_na: bool = True,
    money: Sequence[str] = (),
) -> pd.DataFrame:
    """A CSV of text cells, its separator sniffed unless given, decimal commas read when ``,`` is not
    it, and commas between thousands (``1,200.00``) by :func:`thousands_commas`; the ``literal``
    columns (identifiers) keep ``NA`` or ``None`` as written; in the ``money`` columns a currency
    sign or code before or after a number (``€ 95.50``, ``$1,200.00``, ``95,50 EUR``) is dropped.

    The ``required``, ``literal`` and ``optional`` (documented, not required) column names are
    matched without case and surrounding spaces, and the frame's columns take their spelling;
    ``aliases`` (other names of a column) and ``keep_default_na`` are passed to
    :func:`~moesaic.data.tables.read_csv_checked`. A file that is not UTF-8 is read as
    Windows-1252 (how Excel saves CSV in Western Europe) when it decodes so, with a warning. Rows
    with every cell empty (``;;;`` lines a spreadsheet leaves below its data) are dropped.
    """
    text = _blank_preamble(read_text_checked(Path(path), what="CSV text", fallback="cp1252"), path)
    sep = sep or sniff_separator(path, text)
    frame = read_csv_checked(
        path,
        text=text,
        sep=sep,
        required=tuple(required),
        dtype=str,
        literal=literal,
        known=optional,
        aliases=aliases,
        keep_default_na=keep_default_na,
    )
    frame = _drop_empty_rows(frame, path)
    names = [str(c) for c in frame.columns]
    if len(names) > 1 and all(_NUMBER.match(n) for n in names):
        first = next(line for line in text.splitlines() if line.strip())
        shown = first if len(first) <= 40 else first[:40] + " ..."
        message = f"expected a header line of column names, found numbers ({shown.strip()!r}); add one"
        raise DataFormatError(path, message, line=1)
    frame = thousands_commas(without_currency(frame, money), keep=literal)
    return decimal_commas(frame, path, keep=literal) if sep != "," else frame


def _read_parquet(path: Path) -> pd.DataFrame:
    check_file(path, "a Parquet file")
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types (ArrowInvalid, OSError, ...) on a bad file
        raise DataFormatError(path, f"not a readable Parquet file ({type(err).__name__}: {err})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # a time index saved by `to_parquet` becomes a column again
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise DataFormatError(path, f"duplicated column names {duplicated}")
    if frame.columns.empty:
        raise DataFormatError(path, "the file has no columns")
    return frame


_PREAMBLE_LOOK = 50  # lines read to find the file's usual number of separators


def _blank_preamble(text: str, path: Path) -> str:
    """``text`` with the lines above its header blanked (``Plant: North``, ``Exported by ...``: a
    logger's or historian's preamble), so that line numbers stay those of the file; a warning names
    the lines blanked.

    Each of ``,`` ``;`` and tab has a usual number per line among the first lines (when at least 3
    lines have it); the header is the first line with the usual number of the separator with the
    most, when the lines above it have fewer and it holds names, not numbers. Decimal commas
    (``2025-01-01 00:00;1,5;2,5``) can give ``,`` as many as ``;``: on a tie, a separator that only
    ever stands between two figures ranks last, and a separator whose first such line holds numbers
    gives way to the next one."""
    lines = text.split("\n")
    head = [i for i, line in enumerate(lines[:_PREAMBLE_LOOK]) if line.strip()]
    unquoted = {i: re.sub(r'"[^"]*"', "", lines[i]) for i in head}  # separators inside quotes do not count
    ranked = []  # (usual count, stands elsewhere than between figures, -order, separator)
    for order, sep in enumerate(SEPARATORS):
        counts = Counter(unquoted[i].count(sep) for i in head)
        usual = counts.most_common(1)[0][0] if counts else 0
        if usual and counts[usual] >= 3:
            rows = [unquoted[i] for i in head if unquoted[i].count(sep) == usual]
            decimal = all(re.sub(rf"(?<=\d){re.escape(sep)}(?=\d)", "", row).count(sep) == 0 for row in rows)
            ranked.append((usual, not decimal, -order, sep))
    for usual, _, _, sep in sorted(ranked, reverse=True):
        first = next(i for i in head if unquoted[i].count(sep) == usual)
        names = [cell.strip().strip('"') for cell in lines[first].split(sep)]
        if not any(_NUMBER.match(n) for n in names if n):
            break
    else:
        return text
    above = [i for i in head if i < first]
    if not above:
        return text
    lines_word, verb = (
        ("line", "is not data; it is") if len(above) == 1 else ("lines", "are not data; they are")
    )
    _log.warning(
        "%s: %s %s above the header (line %d) %s left out",
        path, lines_word, ", ".join(str(i + 1) for i in above), first + 1, verb,
    )  # fmt: skip
    return "\n".join("" if i < first else line for i, line in enumerate(lines))


def _drop_empty_rows(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` without its rows of empty cells, numbered from 0 again; the lines recorded for
    :func:`~moesaic.data.tables.row_line` follow the rows kept."""
    empty = np.logical_and.reduce([~_present(frame[c]).to_numpy() for c in frame.columns])
    if not empty.any():
        return frame
    if empty.all():
        raise DataFormatError(path, "the header is there but every data row is empty")
    lines = [row_line(frame, int(pos)) for pos in np.flatnonzero(~empty)]
    kept = frame[~empty].reset_index(drop=True)
    kept.attrs = {}
    kept = with_row_lines(kept, lines)
    _log.info("%s: left out %d rows with every cell empty", path, int(empty.sum()))
    return kept


def _drop_unnamed_empty(frame: pd.DataFrame) -> pd.DataFrame:
    # A trailing separator on every line makes pandas add an empty "Unnamed: N" column.
    empty = [
        c for c in frame.columns if re.fullmatch(r"Unnamed: \d+", str(c)) and not _present(frame[c]).any()
    ]
    return frame.drop(columns=empty) if empty else frame


def _cell_error(
    path: Path, frame: pd.DataFrame, pos: int, column: str, message: str, header_lines: int = 1
) -> DataFormatError:
    return DataFormatError(path, message, line=row_line(frame, pos, header_lines), column=column)


def _all_numbers(column: pd.Series) -> bool:
    """True when the column has filled cells and every one of them is a number."""
    present = _present(column)
    return bool(present.any() and _numeric_cells(column)[present].all())


def _numeric_cells(column: pd.Series) -> pd.Series:
    """True where a present cell is a number."""
    if pd.api.types.is_numeric_dtype(column):
        return column.notna()
    return _present(column) & pd.to_numeric(column, errors="coerce").notna()


def _looks_like_time(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    present = _present(column)
    if not present.any() or _all_numbers(column):
        return False
    try:
        with warnings.catch_warnings():  # pandas warns of the day-first order it guessed: a probe only
            warnings.simplefilter("ignore", UserWarning)
            first = pd.to_datetime(str(column[present].iloc[0]).strip(), errors="coerce")
    except (ValueError, OverflowError, TypeError):
        return False
    return first is not pd.NaT and not pd.isna(first)


_DATE_NAMES = ("date", "day", "datum", "fecha", "data", "päivämäärä", "pvm")
_CLOCK_ONLY_NAMES = (
    "time",
    "hour",
    "clock",
    "time of day",
    "zeit",
    "uhrzeit",
    "heure",
    "hora",
    "ora",
    "aika",
    "klo",
)
"""A date column and a time-of-day column, in English and the languages plants export in (German
``Datum;Zeit``, French ``Date;Heure``, Spanish ``Fecha;Hora``, Italian ``Data;Ora``, Finnish
``Pvm;Klo``): a paper mill's ``Datum;Zeit`` file was refused as "duplicated timestamp"."""
_CLOCK = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*$")
"""A time of day alone: 14:00, 7:05:30."""


def join_date_and_clock(
    frame: pd.DataFrame, path: Path, channels: Sequence[str] | None
) -> tuple[pd.DataFrame, str | None]:
    """``frame`` with a date column and a time-of-day column (``Date;Time``, as many loggers and Excel
    export them) joined into one time column named after both, in the date column's place, with an
    INFO log, and that column's name; ``(frame, None)`` when it has no such pair or when
    ``channels`` names either."""
    names = {str(c).strip().lower(): str(c) for c in frame.columns}
    date = next((names[n] for n in _DATE_NAMES if n in names), None)
    clock = next((names[n] for n in _CLOCK_ONLY_NAMES if n in names), None)
    if date is None or clock is None or (channels is not None and {date, clock} & set(channels)):
        return frame, None
    present = _present(frame[clock])
    if not present.any() or not frame[clock][present].astype(str).str.match(_CLOCK).all():
        return frame, None
    joined = frame[date].astype(str).str.strip() + " " + frame[clock].astype(str).str.strip()
    name = f"{date} {clock}"
    _log.info("%s: columns %r and %r read as one time column %r", path, date, clock, name)
    at = list(frame.columns).index(date)
    out = frame.drop(columns=[date, clock])
    out.insert(min(at, len(out.columns)), name, joined.where(_present(frame[date]) & present, ""))
    out.attrs = frame.attrs  # the file lines of the rows, for messages
    return out, name


def _detect_time_column(frame: pd.DataFrame, channels: Sequence[str] | None) -> str | None:
    for name in frame.columns:
        if str(name).lower() in TIME_NAMES and (channels is None or name not in channels):
            return str(name)
    first = str(frame.columns[0])
    if (channels is None or first not in channels) and _looks_like_time(frame[first]):
        return first
    return None


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})\s*$")


def _has_offsets(column: pd.Series) -> bool:
    """True when the timestamps carry a UTC offset (tz-aware, or text ending in Z or +01:00), so
    that they are read as UTC."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.tz is not None
    cells = column[_present(column)].astype(str)
    return bool(len(cells)) and bool(cells.str.contains(_OFFSET).any())


def _time_values(frame: pd.DataFrame, name: str, path: Path, header_lines: int) -> np.ndarray:
    """Timestamps as datetime64[ns], or whole numbers as int64 steps."""
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None) if column.dt.tz is not None else column
        column = column.astype(str).where(column.notna(), "")  # reuse the checks of time_column
        frame = frame.assign(**{name: column})
    elif _all_numbers(column):
        steps = numeric_column(frame, name, path, header_lines=header_lines, allow_missing=False)
        whole = (steps == np.round(steps)) & (np.abs(steps) < _MAX_STEP)
        if not whole.all():
            pos = _first(~whole)
            found = f"found {str(column.iloc[pos])!r}"
            raise _cell_error(
                path, frame, pos, name, f"expected a timestamp or a whole step number, {found}", header_lines
            )
        duplicated = pd.Series(steps).duplicated()
        if duplicated.any():
            pos = _first(duplicated)
            message = f"duplicated time step {str(column.iloc[pos])!r}; each time must appear once per series"
            raise _cell_error(path, frame, pos, name, message, header_lines)
        epoch = _epoch_unit(name, steps)
        if epoch is not None:
            _log.warning(
                "%s, column %r: whole numbers read as Unix times (%s since 1970-01-01 UTC), %s to %s",
                path, name, "seconds" if epoch == "s" else "milliseconds",
                pd.Timestamp(int(steps.min()), unit=epoch), pd.Timestamp(int(steps.max()), unit=epoch),
            )  # fmt: skip
            return steps.astype(np.int64).astype(f"datetime64[{epoch}]").astype("datetime64[ns]")
        return steps.astype(np.int64)
    return time_column(frame, name, path, header_lines=header_lines, ordered=True)


def _epoch_unit(name: str, steps: np.ndarray) -> str | None:
    """``s`` or ``ms`` when a clock-time column (:data:`_CLOCK_NAMES`) holds Unix times that go up
    row by row, else None (the numbers are steps: cycles, samples, seconds since a start)."""
    if name.strip().lower() not in _CLOCK_NAMES or len(steps) < 2 or np.any(np.diff(steps) <= 0):
        return None
    return next(
        (unit for unit, low, high in _EPOCH_UNITS if low <= steps.min() and steps.max() <= high), None
    )


def is_text_column(frame: pd.DataFrame, name: str) -> bool:
    """True when the filled cells of column ``name`` hold no number at all."""
    column = frame[name]
    present = _present(column)
    return bool(present.any()) and not _numeric_cells(column)[present].any()


def _reject_text_column(frame: pd.DataFrame, name: str, path: Path) -> None:
    column = frame[name]
    present = _present(column)
    if is_text_column(frame, name):
        first = str(column[present].iloc[0])
        raise DataFormatError(
            path,
            f"expected numbers, found text only (first value {first!r}); choose the value columns "
            "with `channels` (--channels on the command line)",
            column=name,
        )


def _label_columns(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """The columns of ``names`` that look like per-step labels: a name of :data:`LABEL_NAMES` and
    whole numbers in every filled cell (0/1 flags, class numbers, true/false)."""
    out = []
    for name in names:
        if name.strip().lower() not in LABEL_NAMES:
            continue
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            out.append(name)
            continue
        values = pd.to_numeric(column, errors="coerce")
        present = _present(column)
        if present.any() and values[present].notna().all() and (values[present] % 1 == 0).all():
            out.append(name)
    return out


INDEX_NAMES = ("index", "idx", "sample", "row", "row_id", "#")
"""Column names (any case) that, holding a row counter, number the rows rather than measure."""


def _index_columns(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """The columns of ``names`` that number the rows: an unnamed column (as ``to_csv`` writes a
    frame's index) or a name of :data:`INDEX_NAMES`, holding whole numbers that go up by exactly 1
    from each row to the next (at least 95 % of the time: a counter may restart per run)."""
    out = []
    for name in names:
        if not (re.fullmatch(r"Unnamed: \d+", name) or name.strip().lower() in INDEX_NAMES):
            continue
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        if len(values) < 2 or np.isnan(values).any() or (values % 1 != 0).any():
            continue
        if np.mean(np.diff(values) == 1) >= 0.95:
            out.append(name)
    return out


def _channel_values(frame: pd.DataFrame, name: str, path: Path, header_lines: int) -> np.ndarray:
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_timedelta64_dtype(column):
        found = "timestamps" if pd.api.types.is_datetime64_any_dtype(column) else "durations"
        raise DataFormatError(
            path, f"expected numbers, found {found}; a series has one time column", column=name
        )
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = numeric_column(frame, name, path, header_lines=header_lines)
    outside = np.abs(np.nan_to_num(values, nan=0.0)) > _FLOAT32_MAX
    if outside.any():
        pos = _first(outside)
        message = (
            f"expected a number of size below {_FLOAT32_MAX:.3g} (values are stored as float32), "
            f"found {str(column.iloc[pos])!r}"
        )
        raise _cell_error(path, frame, pos, name, message, header_lines)
    return values
