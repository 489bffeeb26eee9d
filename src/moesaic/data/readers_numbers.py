"""Numbers as spreadsheets and maintenance systems write them in text cells: decimal commas
(``0,75``), points, spaces or commas between thousands (``1.020,6``, ``1 850,00``, ``1,200.00``)
and a currency beside an amount (``€ 95.50``); each rewritten column is then read as numbers by
:func:`~moesaic.data.tables.numeric_column`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.tables import MISSING_MARKS, row_line

_log = logging.getLogger(__name__)

_WHOLE = re.compile(r"^\s*[-+]?\d+(?:[eE][-+]?\d+)?\s*$")
"""A number without a separator: 12, -3, 1e5."""
_COMMA_DECIMAL = re.compile(r"^\s*[-+]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d*),\d+(?:[eE][-+]?\d+)?\s*$")
"""A number with a decimal comma, maybe with points between groups of three figures: 0,75 1.004,96."""
_SPACED = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?\s*$")
"""Spaces between groups of three figures, maybe a decimal comma: 1 850,00 or 12 400 (never a decimal)."""
_GROUPED = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:\.\d{3})+\s*$")
"""1.470 or 1.020.300: points between groups of three figures, thousands or (one point) decimals."""
_POINT_DECIMAL = re.compile(r"^\s*[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")
"""A number with a decimal point: 2.46, 0.500, .5."""
_COMMA_GROUPED = re.compile(r"^\s*[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?\s*$")
"""Commas between groups of three figures, maybe a decimal point: 1,200.00 12,500 1,020,300."""


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _present(column: pd.Series) -> pd.Series:
    """True where a cell holds something (not NaN, not blank text)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column.notna()
    return column.notna() & (column.astype(str).str.strip() != "")


def _text_columns(
    frame: pd.DataFrame, keep: Sequence[str]
) -> Iterator[tuple[str, pd.Series, pd.Series, np.ndarray]]:
    """(name, column, its cells as text, where a cell holds a reading) for each text column of
    ``frame`` but the ``keep`` ones; a missing mark such as a dash holds no reading."""
    for name in frame.columns:
        column = frame[name]
        if (
            name in keep
            or pd.api.types.is_numeric_dtype(column)
            or pd.api.types.is_datetime64_any_dtype(column)
        ):
            continue
        text = column.astype(str)
        yield str(name), column, text, (_present(column) & ~text.str.strip().isin(MISSING_MARKS)).to_numpy()


def thousands_commas(frame: pd.DataFrame, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Text columns of numbers written with commas between thousands and a decimal point
    (``1,200.00``, ``12,500``, as English exports write amounts), rewritten without the commas.

    Each column is decided on its own: it is changed when every filled cell is a whole number, a
    number with a decimal point or one with commas between groups of three figures, and some cell
    shows that its commas cannot be a decimal comma: a comma group before a decimal point
    (``1,200.00``) or two commas (``1,020,300``); then ``12,500`` beside it is 12500. A column of
    ``1,200`` and ``80`` alone is left as it is, since ``1,200`` may be 1.2 written with a decimal
    comma (reading it as a number is an error that says so), and so is a column with text or a
    decimal comma (``0,75``) in some cell. The ``keep`` columns (identifiers) are never changed.
    """
    changed = {}
    for name, column, text, present in _text_columns(frame, keep):
        grouped = present & text.str.match(_COMMA_GROUPED).to_numpy()
        if not grouped.any():
            continue
        plain = present & (text.str.match(_WHOLE) | text.str.match(_POINT_DECIMAL)).to_numpy()
        certain = grouped & (text.str.contains(".", regex=False) | (text.str.count(",") > 1)).to_numpy()
        if certain.any() and (grouped | plain)[present].all():
            changed[name] = column.where(~grouped, text.str.replace(",", "", regex=False))
    return frame.assign(**changed) if changed else frame


def decimal_commas(frame: pd.DataFrame, path: Path, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Text columns of numbers written with a decimal comma (``0,75``), as with ``;`` in much of
    Europe, rewritten with a point. Each column is decided on its own, over all its filled cells,
    and only a column of numbers alone is changed, so text and timestamps are left alone:

    - a column with a decimal comma in some cell (``951,7``, ``1.020,6``, ``1 850,00``) or spaces
      between groups of three figures (``12 400``) reads every cell with a decimal comma and points
      or spaces between thousands (``1.005`` is 1005);
    - a column whose only separators are points between groups of three figures (``1.470``) reads
      them as thousands when some cell has two such points (``1.020.300``) or another column of
      ``path`` has decimal commas; otherwise nothing tells, and they stay decimal points (1.47)
      with a warning naming the column.

    A column mixing decimal commas and decimal points (``0,75`` and ``2.46``) is left as text,
    with a warning naming both cells; the ``keep`` columns (identifiers) are never changed.
    """
    styles: dict[str, str] = {}  # column -> "comma" or "grouped" (points in ddd.ddd groups only)
    for name, _, text, present in _text_columns(frame, keep):
        comma = present & (text.str.match(_COMMA_DECIMAL) | text.str.match(_SPACED)).to_numpy()
        grouped = present & text.str.match(_GROUPED).to_numpy()
        plain = present & text.str.match(_WHOLE).to_numpy()
        if not (comma | grouped).any():
            continue
        if (comma | grouped | plain)[present].all():
            many = grouped & (text.str.count(r"\.").to_numpy() > 1)
            styles[str(name)] = "comma" if (comma | many).any() else "grouped"
        elif comma.any():
            point = present & text.str.match(_POINT_DECIMAL).to_numpy() & ~grouped
            if (comma | grouped | plain | point)[present].all():
                a, b = _first(comma), _first(point)
                _log.warning(
                    "%s, column %r: decimal commas (%r, line %d) and decimal points (%r, line %d) in "
                    "one column; it is left as text: write every value of it one way",
                    path, name, text.iloc[a], row_line(frame, a), text.iloc[b], row_line(frame, b),
                )  # fmt: skip
    commas = "comma" in styles.values()
    changed = {}
    for name, style in styles.items():
        column = frame[name]
        if style == "grouped" and not commas:
            pos = _first(column.astype(str).str.match(_GROUPED))
            _log.warning(
                "%s, column %r: values such as %r (line %d) are read with a decimal point, as %s; no "
                "decimal comma in the file tells whether the point separates thousands instead. If it "
                "does, write the values without it, or with a decimal comma (1.470,0)",
                path, name, column.iloc[pos], row_line(frame, pos), float(str(column.iloc[pos])),
            )  # fmt: skip
            continue
        text = (
            column.astype(str)
            .str.replace(r"[.\s\u00a0\u202f]", "", regex=True)
            .str.replace(",", ".", regex=False)
        )
        changed[name] = column.where(~_present(column), text)
    return frame.assign(**changed) if changed else frame


_CURRENCY_MARKS = r"[€$£¥]|(?:EUR|USD|GBP|CHF|SEK|NOK|DKK|JPY|CAD|AUD|kr)\b\.?"
_WITH_CURRENCY = re.compile(
    rf"^\s*(?:(?:{_CURRENCY_MARKS})\s*(?P<a>[-+]?\d[\d.,' ]*)"
    rf"|(?P<b>[-+]?\d[\d.,' ]*?)\s*(?:{_CURRENCY_MARKS}))\s*$",
    re.IGNORECASE,
)
"""A number with a currency sign or code before or after it: € 95.50, $1,200.00, 95,50 EUR."""


def without_currency(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the currency marks of the ``columns``' cells dropped (:data:`_WITH_CURRENCY`)."""
    changed = {}
    for name in (c for c in columns if c in frame.columns):
        found = frame[name].astype(str).str.extract(_WITH_CURRENCY)
        number = found["a"].fillna(found["b"]).str.strip()
        if number.notna().any():
            changed[name] = frame[name].where(number.isna(), number)
    return frame.assign(**changed) if changed else frame
