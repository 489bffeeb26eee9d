"""Validated reading of delimited text files: one clear error per bad input.

Every reader in moesaic goes through these functions, so a malformed file always ends in a
:class:`DataFormatError` that names the file, the line or column, what was expected and what
was found, never a traceback from deep inside pandas or numpy. Line numbers count from 1
and include the header line, as a text editor shows them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_log = logging.getLogger(__name__)


class DataFormatError(ValueError):
    """A malformed input file.

    Attributes:
        path: the file.
        line: 1-based line number in the file, when one line is at fault.
        column: the column at fault, when there is one.
    """

    def __init__(
        self, path: Path | str, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.path, self.line, self.column, self.reason = Path(path), line, column, message
        where = [str(path)]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


BINARY_KINDS = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"II*\x00": "TIFF image",
    b"MM\x00*": "TIFF image",
    b"%PDF": "PDF document",
    b"PAR1": "Parquet file",
    b"PK\x03\x04": "ZIP archive (an .xlsx workbook is one: export the sheet as CSV)",
    b"\x1f\x8b": "gzip archive",
    b"SQLite format 3\x00": "SQLite database",
}
"""The first bytes of files often given where text is expected, and what they are."""


def check_file(path: Path, expected: str) -> None:
    """Raise DataFormatError unless ``path`` is a file: missing, or a folder (``expected`` says
    what to give instead, such as "a drawing file (PNG or PDF)")."""
    path = Path(path)
    if path.is_dir():
        raise DataFormatError(path, f"is a folder; expected {expected}")
    if not path.is_file():
        raise DataFormatError(path, f"file not found; expected {expected}")


def read_text_checked(
    path: Path, *, encoding: str = "utf-8", what: str = "text", fallback: str | None = None
) -> str:
    """The whole text of ``path``, or a clear error when it is missing, a folder, empty, a known
    binary format (:data:`BINARY_KINDS`) or not ``encoding``; ``what`` names the text expected
    (such as "CSV text") in the messages. A file that is not ``encoding`` but decodes as
    ``fallback`` (such as ``cp1252``, how Excel saves CSV in Western Europe) is read so, with a
    warning."""
    path = Path(path)
    check_file(path, f"a {what} file")
    raw = path.read_bytes()
    kind = next((name for magic, name in BINARY_KINDS.items() if raw.startswith(magic)), None)
    if kind is not None:
        raise DataFormatError(path, f"not a {what} file: it is a {kind}; expected {encoding} {what}")
    if not raw.strip():
        raise DataFormatError(path, "the file is empty; expected a header line and data rows")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding.replace("-", "").lower() == "utf8":
        raise DataFormatError(
            path,
            f"expected {encoding} text, found UTF-16 (it starts with a UTF-16 "
            "byte-order mark); re-save the file as UTF-8",
            line=1,
        )
    if b"\x00" in raw:
        # UTF-16 without a byte-order mark and binary files both decode "successfully" as UTF-8
        # full of NULs; say what it is before pandas turns them into strange column names.
        at = raw.index(b"\x00")
        raise DataFormatError(
            path,
            f"not a {what} file: found a NUL byte at byte {at}; expected {encoding} text "
            "(is it a UTF-16 or binary file?)",
            line=raw[:at].count(b"\n") + 1,
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        if fallback is not None:
            try:
                text = raw.decode(fallback)
            except UnicodeDecodeError:
                pass
            else:
                _log.warning(
                    "%s is not %s text; read it as %s",
                    path,
                    _encoding_name(encoding),
                    _encoding_name(fallback),
                )
                return text
        line = raw[: err.start].count(b"\n") + 1
        raise DataFormatError(
            path,
            f"not valid {encoding} text (byte {err.start} is "
            f"0x{raw[err.start]:02x}); re-save the file as UTF-8",
            line=line,
        ) from None
    return text.removeprefix("\ufeff")


def _encoding_name(encoding: str) -> str:
    """How a message names ``encoding``: ``utf-8`` is UTF-8, ``cp1252`` Windows-1252."""
    names = {"utf8": "UTF-8", "cp1252": "Windows-1252"}
    return names.get(encoding.replace("-", "").lower(), encoding)


def read_csv_checked(
    path: Path,
    *,
    text: str | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    header: int | None = 0,
    names: Sequence[str] | None = None,
    required: Sequence[str] = (),
    dtype: Any = None,
    index_col: Any = None,
    literal: Sequence[str] = (),
    known: Sequence[str] = (),
    aliases: Mapping[str, Sequence[str]] | None = None,
    keep_default_na: bool = True,
) -> pd.DataFrame:
    """Read a delimited file and check its shape.

    Args:
        path: the file.
        text: its text, when already read by :func:`read_text_checked` (then ``encoding`` is unused).
        sep: the field separator (a regular expression such as ``r"\\s+"`` is allowed).
        encoding: expected text encoding; a leading byte-order mark is dropped.
        header: the header line (0) or None when the file has none (then give ``names``).
        names: column names for a file without a header.
        required: columns that must be present.
        dtype: passed to pandas (``str`` keeps every cell as text for later checks).
        index_col: passed to pandas (False for files with a trailing separator on data rows).
        literal: columns kept exactly as written, as text: pandas reads ``NA``, ``None`` or
            ``null`` as missing, which an identifier such as asset ``NA`` is not ("" stays empty).
        known: documented column names, matched like ``required`` and ``literal`` ones without
            case and surrounding spaces: a header ``WO_ID`` or `` wo_id`` names column ``wo_id``.
        aliases: other names of a column (name -> names), such as ``wo_id`` -> ``WO Number``,
            matched by :func:`column_key` (case, spaces, punctuation and a unit in brackets do not
            count: ``Cost (EUR)`` is ``cost``); when the file lacks the name, its first column
            with one of them takes it, with a warning naming both.
        keep_default_na: False keeps every cell as written (``n/a`` stays ``'n/a'``, an empty
            cell is ""), so that a check can say what a cell held rather than "empty".

    Header names are stripped of surrounding spaces (``wo_id ;asset_id`` names ``wo_id``).

    Raises:
        DataFormatError: missing or empty file, wrong encoding, a line with the wrong number
            of fields, no data rows, duplicated column names (also two spellings of one known
            name, such as ``Text`` and ``text``), or missing required columns.
    """
    path = Path(path)
    if text is None:
        text = read_text_checked(path, encoding=encoding, what="CSV text")
    starts = _record_starts(text, sep)
    layout: dict[str, Any] = {
        "sep": sep,
        "header": header,
        "index_col": index_col,
        "names": None if names is None else list(names),
        "engine": "c" if len(sep) == 1 or sep == r"\s+" else "python",
    }
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=dtype, skipinitialspace=False, keep_default_na=keep_default_na, **layout
        )
    except pd.errors.EmptyDataError:
        raise DataFormatError(path, "no header line or data rows found") from None
    except (pd.errors.ParserError, csv.Error, ValueError) as err:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if match:
            expected, line, saw = (int(g) for g in match.groups())
            # pandas counts a quoted multi-line cell as one line; report the line an editor shows
            if starts is not None and 1 <= line <= len(starts):
                line = starts[line - 1][0]
            raise DataFormatError(
                path, f"expected {expected} fields (separator {sep!r}), found {saw}", line=line
            ) from None
        raise DataFormatError(path, f"could not be parsed as {sep!r}-separated text: {err}") from None
    if frame.empty:
        raise DataFormatError(path, "the header is there but the file has no data rows")
    if index_col is None and not isinstance(frame.index, pd.RangeIndex):
        # pandas silently turns the first field into the index when every row has one field too many
        raise DataFormatError(
            path,
            f"every data row has more fields than the {len(frame.columns)} column names (separator {sep!r})",
            line=1 + (header or 0),
        )
    header_names = _header_names(text, sep) if header == 0 and names is None else None
    header_line = 1 if header == 0 else None
    frame.columns = [str(c).strip() for c in frame.columns]
    # pandas renames a repeated header name "a" to "a.1", so look at the header line itself
    seen = header_names if header_names is not None else list(frame.columns)
    duplicated = sorted({c for c in seen if seen.count(c) > 1})
    if duplicated:
        raise DataFormatError(path, f"duplicated column names {duplicated}", line=header_line)
    frame.columns = _known_spelling(list(frame.columns), (*required, *literal, *known), path, header_line)
    if aliases:
        frame.columns = _aliased(list(frame.columns), aliases, path)
    if literal:
        # read again with the same layout, so the columns are the same, in the same order
        as_written = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **layout)
        as_written.columns = frame.columns
        frame = frame.assign(**{c: as_written[c].to_numpy() for c in literal if c in as_written.columns})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataFormatError(
            path,
            f"missing required column(s) {missing}; found columns {list(frame.columns)}",
            column=missing[0],
        )
    if starts is not None and (header is None or header == 0):
        rows = [line for line, blank in starts if not blank][0 if header is None else 1 :]
        if len(rows) == len(frame):
            with_row_lines(frame, rows)
    return frame


def _known_spelling(columns: list[str], known: Sequence[str], path: Path, line: int | None) -> list[str]:
    """``columns`` with each name that is one of ``known`` but for case written as in ``known``.

    Raises:
        DataFormatError: two columns are one known name in different cases (``Text`` and ``text``).
    """
    spelling = {name.strip().casefold(): name.strip() for name in known}
    out: list[str] = []
    source: dict[str, str] = {}  # the name read -> the column that gave it
    for column in columns:
        name = spelling.get(column.casefold(), column)
        if name in source:
            message = f"columns {source[name]!r} and {column!r} are both read as {name!r}; keep one"
            raise DataFormatError(path, message, line=line)
        source[name] = column
        out.append(name)
    return out


def column_key(name: str) -> str:
    """A column name as :func:`read_csv_checked` compares aliases: lower case, words joined by
    ``_``, a unit in brackets dropped (``WO Number`` -> ``wo_number``, ``Cost (EUR)`` -> ``cost``)."""
    name = re.sub(r"[(\[][^)\]]*[)\]]", " ", name.casefold())
    return re.sub(r"[^0-9a-z]+", "_", name).strip("_")


def _aliased(columns: list[str], aliases: Mapping[str, Sequence[str]], path: Path) -> list[str]:
    """``columns`` with, for each name of ``aliases`` they lack, the column that is the earliest of
    its other names renamed to it (a column is renamed once, for the first name it stands for)."""
    out, renamed = list(columns), []
    taken = set(columns)
    for name, others in aliases.items():
        if name in taken:
            continue
        free = [i for i, column in enumerate(out) if column == columns[i] and column not in aliases]
        keys = dict.fromkeys(column_key(o) for o in (name, *others))
        found = next((i for key in keys for i in free if column_key(columns[i]) == key), None)
        if found is not None:
            out[found] = name
            taken.add(name)
            renamed.append(f"{columns[found]!r} as {name!r}")
    if renamed:
        _log.warning("%s: read column %s", path, ", ".join(renamed))
    return out


_LINES_KEY = "moesaic_row_lines"


def with_row_lines(frame: pd.DataFrame, lines: Sequence[int]) -> pd.DataFrame:
    """``frame`` (numbered from 0) with the file line of each of its rows recorded for :func:`row_line`."""
    frame.attrs[_LINES_KEY] = _RowLines(np.asarray(lines, dtype=np.int64))
    return frame


class _RowLines:
    """The file line where each data row starts, kept in ``frame.attrs`` for error messages.

    Blank lines and quoted cells spanning several lines make "row + header + 1" wrong, so the
    reader records the true line of every row. pandas deep-copies ``attrs`` on every column
    access; returning ``self`` from ``__deepcopy__`` keeps that free.
    """

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines

    def __deepcopy__(self, memo: dict[int, Any]) -> _RowLines:
        return self


def _record_starts(text: str, sep: str) -> list[tuple[int, bool]] | None:
    """(first line, blank?) of every record as the csv module splits ``text``; None if it cannot."""
    if len(sep) != 1 or sep in '"\r\n':
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    starts: list[tuple[int, bool]] = []
    end = 0
    try:
        for record in reader:
            blank = not record or (len(record) == 1 and not record[0].strip())
            starts.append((end + 1, blank))
            end = reader.line_num
    except csv.Error:
        return None
    return starts


def _header_names(text: str, sep: str) -> list[str] | None:
    if len(sep) != 1 or sep in '"\r\n':
        return None
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), None)
    except csv.Error:
        return None
    return None if first is None else [c.strip() for c in first]


def row_line(frame: pd.DataFrame, position: int, header_lines: int = 1) -> int:
    """The 1-based file line of the row at ``position`` (0-based) of ``frame``, for error messages.

    Exact for frames from :func:`read_csv_checked` (blank lines and multi-line quoted cells
    included), also after sorting or filtering rows; otherwise ``position + header_lines + 1``.
    """
    recorded = frame.attrs.get(_LINES_KEY)
    label = frame.index[position]
    # the recorded lines follow the row labels read_csv_checked gave, so sorting keeps them right
    if (
        isinstance(recorded, _RowLines)
        and frame.index.name is None
        and isinstance(label, (int, np.integer))
        and 0 <= label < len(recorded.lines)
    ):
        return int(recorded.lines[label])
    return position + header_lines + 1


MISSING_MARKS = frozenset({"-", "--", "---", "\u2013", "\u2014"})
"""Cells that say "no reading" in exports (a dash), read as missing where a number may be missing."""


def numeric_column(
    frame: pd.DataFrame, column: str, path: Path, *, header_lines: int = 1, allow_missing: bool = True
) -> np.ndarray:
    """Column ``column`` as float64, NaN for empty cells (and, with ``allow_missing``, cells of
    :data:`MISSING_MARKS` such as ``-``); any other non-number is an error."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        # pandas already parsed every cell as a number: only emptiness and infinities remain to check.
        values = raw.astype(np.float64)
        bad = pd.Series(False, index=raw.index)
    else:
        values = pd.to_numeric(raw, errors="coerce")
        text = raw.astype(str).str.strip()
        present = raw.notna() & (text != "") & ~(allow_missing & text.isin(MISSING_MARKS))
        bad = present & values.isna()
    if bad.any():
        raise _number_error(frame, column, path, bad.to_numpy(), values.notna().to_numpy(), header_lines)
    if not allow_missing and values.isna().any():
        pos = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataFormatError(
            path,
            "expected a number, found an empty cell",
            line=row_line(frame, pos, header_lines),
            column=column,
        )
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(out).any():
        pos = int(np.flatnonzero(np.isinf(out))[0])
        raise DataFormatError(
            path,
            f"expected a finite number, found {str(raw.iloc[pos])!r}",
            line=row_line(frame, pos, header_lines),
            column=column,
        )
    return out


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+\s*$")
"""A number with a decimal comma and no other separator: 0,75, 1,5."""
_THOUSANDS = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?\s*$")
"""Commas before groups of three figures, maybe a decimal point: 1,200.00 12,500."""
_THOUSANDS_ONLY = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:,\d{3})+\s*$")
"""Commas before groups of three figures and no decimals: 1,200 (a thousand and two hundred, or 1.2)."""


def _number_error(
    frame: pd.DataFrame, column: str, path: Path, bad: np.ndarray, numbers: np.ndarray, header_lines: int
) -> DataFormatError:
    """The error for the first ``bad`` cell of ``column`` (not a number), saying why when it holds a
    comma: a decimal comma beside decimal points, or a comma that may separate thousands. A cell
    with commas between thousands (``1,200.00``) is named last: another bad cell (``€ 95.50``) is
    what kept the reader from reading them."""
    text = frame[column].astype(str).str.strip()
    named = bad & ~text.str.match(_THOUSANDS).to_numpy()
    pos = int(np.flatnonzero(named if named.any() else bad)[0])
    cell, line = text.iloc[pos], row_line(frame, pos, header_lines)
    points = numbers & text.str.contains(".", regex=False).to_numpy()
    message = f"expected a number, found {str(frame[column].iloc[pos])!r}"
    if _THOUSANDS_ONLY.match(cell):
        message += (
            "; its comma may separate thousands or be a decimal comma: write the number without it, "
            "or with decimals after a point (1,200.00)"
        )
    elif _DECIMAL_COMMA.match(cell) and points.any():
        other = int(np.flatnonzero(points)[0])
        message = (
            f"expected numbers with one decimal mark, found decimal commas ({cell!r}, line {line}) and "
            f"decimal points ({text.iloc[other]!r}, line {row_line(frame, other, header_lines)}) in "
            "one column; write every value of it one way"
        )
    return DataFormatError(path, message, line=line, column=column)


def require_columns(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    """Fail naming the first missing column and listing those found."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFormatError(
            path, f"missing column(s) {missing}; found columns {list(frame.columns)}", column=missing[0]
        )
