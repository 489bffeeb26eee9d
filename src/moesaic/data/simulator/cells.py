"""Checked cells of plant CSV files: identifiers, links to assets, optional timestamps, free columns.

Built on :mod:`moesaic.data.tables`; every failure is a DataFormatError naming file, line and column.
Line numbers count from 1 and include the header line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.tables import DataFormatError, read_csv_checked, read_text_checked
from moesaic.data.times import time_column


def read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A CSV file as text cells; a header without rows is a valid empty table (a plant without faults)."""
    text = read_text_checked(path)
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1:
        header = [c.strip() for c in next(csv.reader(io.StringIO(lines[0])))]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataFormatError(
                path, f"missing required column(s) {missing}; found columns {header}", column=missing[0]
            )
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in header})
    return read_csv_checked(path, required=required, dtype=str)


def line_of(position: int) -> int:
    """The file line of data row ``position`` (0-based), counting the header as line 1."""
    return position + 2  # 1-based, after the header line


def text_cells(frame: pd.DataFrame, column: str) -> list[str]:
    """The stripped text of each cell of ``column`` ("" when empty or when the column is absent)."""
    if column not in frame.columns:
        return [""] * len(frame)
    return [("" if pd.isna(v) else str(v).strip()) for v in frame[column]]


def check_known(values: list[str], known: Mapping[str, Any], path: Path, column: str, what: str) -> None:
    for i, value in enumerate(values):
        if value not in known:
            some = ", ".join(sorted(known)[:8])
            raise DataFormatError(
                path,
                f"unknown {what} {value!r}; {what}s in assets.csv include {some}",
                line=line_of(i),
                column=column,
            )


def check_unique(values: list[str], path: Path, column: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if not value:
            raise DataFormatError(
                path, "expected an identifier, found an empty cell", line=line_of(i), column=column
            )
        if value in seen:
            raise DataFormatError(path, f"duplicated identifier {value!r}", line=line_of(i), column=column)
        seen.add(value)


def times_allow_empty(frame: pd.DataFrame, column: str, path: Path, fallback: str) -> np.ndarray:
    """Timestamps of ``column`` where an empty cell means NaT (an open work order, an instant event)."""
    cells = text_cells(frame, column)
    empty = np.array([not c for c in cells], dtype=bool)
    filled = frame.assign(
        **{column: [c or f for c, f in zip(cells, text_cells(frame, fallback), strict=True)]}
    )
    times = time_column(filled, column, path, unique=False)
    times[empty] = np.datetime64("NaT")
    return times


def typed_column(frame: pd.DataFrame, column: str) -> list[Any]:
    """A free column as numbers when every non-empty cell is one, otherwise as text."""
    cells = text_cells(frame, column)
    numbers = pd.to_numeric(pd.Series([c or None for c in cells], dtype=object), errors="coerce")
    # text stays text when any cell is not a number, or is a code with a leading zero ("007")
    if any(
        (c and pd.isna(n)) or (len(c) > 1 and c[0] == "0" and c[1].isdigit())
        for c, n in zip(cells, numbers, strict=True)
    ):
        return cells
    if all(pd.isna(n) or float(n).is_integer() for n in numbers):
        return [None if pd.isna(n) else int(n) for n in numbers]
    return [None if pd.isna(n) else float(n) for n in numbers]
