"""Readers of a user's record tables: work orders and the asset register (CSV).

Re-exported by :mod:`moesaic.data.readers`, where the folder layout is described.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.readers_columns import (
    _MAX_STEP,
    _all_numbers,
    _cell_error,
    _first,
    _present,
    read_sniffed_csv,
)
from moesaic.data.schema import Asset, Document
from moesaic.data.tables import column_key, numeric_column, row_line
from moesaic.data.times import time_column

_log = logging.getLogger(__name__)

WORK_ORDER_TIMES = ("created", "date", "time")
WORK_ORDER_NUMBERS = ("cost", "labour_hours", "downtime_hours")
_ASSET_ID = (
    "asset", "asset no", "asset number", "asset tag", "equipment", "equipment id", "equipment no",
    "equipment number", "equipment nr", "equip", "equip id", "equip no", "equip nr", "equip number", "tag",
    "tag no", "tag number", "machine", "machine id", "unit id", "functional location",
)  # fmt: skip
WORK_ORDER_ALIASES: dict[str, tuple[str, ...]] = {
    "wo_id": (
        "wo", "wo no", "wo nr", "wo num", "wo number", "work order", "work order id", "work order no",
        "work order number", "workorder", "workorder id", "order", "order id", "order no",
        "order number", "notification", "notification no", "job no", "job number", "job id",
    ),
    "asset_id": _ASSET_ID,
    "text": (
        "description", "desc", "short text", "long text", "work description", "problem",
        "problem description", "fault description", "work order text", "wo text", "wo description",
        "job description", "details", "comments", "comment", "notes",
    ),
    "created": (
        "date raised", "raised", "raised on", "date reported", "reported", "reported on",
        "reported date", "created date", "created on", "date created", "creation date", "open date",
        "opened", "date opened", "start date", "request date", "notification date", "wo date",
    ),
    "wo_type": (
        "order type", "work type", "wo type", "work order type", "maintenance type", "type of work",
    ),
    "failure_code": ("fault code", "problem code", "failure mode code", "damage code", "cause code"),
    "cost": ("total cost", "cost total", "actual cost", "costs", "total costs"),
    "labour_hours": (
        "labor hours", "labour", "labor", "man hours", "manhours", "labour hrs", "labor hrs",
        "work hours", "actual hours", "hours worked",
    ),
    "downtime_hours": (
        "downtime", "down time", "downtime h", "downtime hrs", "downtime hours", "outage hours",
    ),
    "completed": (
        "completed on", "completed date", "date completed", "completion date", "completion",
        "finished", "finished on", "finish date", "date finished", "closed on", "closed date",
        "date closed", "close date", "closing date", "end date", "actual finish", "actual end",
        "resolved on", "date resolved",
    ),
}  # fmt: skip
"""Other names of the work-order columns, as computerised maintenance systems export them."""
ACTION_TEXT = (
    "action", "actions", "action taken", "actions taken", "action text", "action description",
    "work done", "work performed", "work carried out", "resolution", "remedy", "remedial action",
    "corrective action", "repair", "repair action", "repair description", "repair details", "fix",
    "solution", "measures", "massnahme", "massnahmen", "action realisee", "travaux realises",
)  # fmt: skip
"""Names of a column saying what was done, apart from the problem in ``text``: written out (more
than :data:`ACTION_CODES` distinct values, or three words on average), it is added to the text,
so that "replcd NDE brg" counts as a bearing replacement wherever the texts are read."""
ACTION_CODES = 12
"""The most distinct values of an action column still read as a code list (Replace, Adjust, ...)."""
ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "asset_id": _ASSET_ID,
    "asset_type": (
        "type", "equipment type", "asset class", "class", "category", "equipment class",
        "asset category", "equipment category", "kind", "equipment",  # beside an id column: its type
    ),
}  # fmt: skip
"""Other names of the asset register's columns."""


def read_work_orders_csv(path: Path | str) -> tuple[Document, ...]:
    """Read work orders: one Document (kind ``work_order``) per row.

    Required columns ``wo_id``, ``asset_id`` (cells may be empty) and ``text``; optional ``created``
    (or ``date`` or ``time``: the first found gives ``Document.time``), ``completed`` (when the
    work was finished: kept in ``fields`` as ``YYYY-MM-DD hh:mm:ss``, its dates read in the order
    of the ``created`` ones; a cell that is no date, "pending", is kept as written with a warning),
    ``failure_code``,
    ``wo_type`` (``PM``, ``CM``, ...), ``cost``, ``labour_hours`` and ``downtime_hours`` (numbers);
    every other column is kept as text in ``fields``. Empty optional cells are None. These names are
    matched without case and surrounding spaces (``WO_ID ;Text`` reads), and a column the file lacks
    may go by another name that maintenance systems export (:data:`WORK_ORDER_ALIASES`:
    ``WO Number``, ``Equipment``, ``Description``, ``Date Raised``, ``Order Type``, ...), read with
    a warning.

    Raises:
        DataFormatError: empty or duplicated ``wo_id``, empty ``text``, a bad date or number,
            naming the line and column.
    """
    path = Path(path)
    frame = read_sniffed_csv(
        path,
        required=("wo_id", "asset_id", "text"),
        literal=("wo_id", "asset_id"),
        optional=(*WORK_ORDER_TIMES, *WORK_ORDER_NUMBERS, "failure_code", "wo_type", "completed"),
        aliases=WORK_ORDER_ALIASES,
        money=("cost",),
    )
    ids = _id_column(frame, "wo_id", path)
    text = _text(frame["text"])
    if (text == "").any():
        raise _cell_error(
            path, frame, _first(text == ""), "text", "expected the work order text, found an empty cell"
        )
    text = _with_action(text, frame, path)
    time_name = next((c for c in WORK_ORDER_TIMES if c in frame.columns), None)
    times, finished = _order_times(frame, time_name, path)
    if finished is not None:
        frame["completed"] = finished
    numbers = {c: numeric_column(frame, c, path) for c in WORK_ORDER_NUMBERS if c in frame.columns}
    others = {
        c: _text(frame[c])
        for c in frame.columns
        if c not in ("wo_id", "asset_id", "text", time_name) and c not in numbers
    }
    asset_ids = _text(frame["asset_id"])
    documents = []
    for pos in range(len(frame)):
        fields: dict[str, Any] = {c: cells.iloc[pos] or None for c, cells in others.items()}
        fields.update({c: None if np.isnan(v[pos]) else float(v[pos]) for c, v in numbers.items()})
        documents.append(
            Document(
                doc_id=ids[pos],
                kind="work_order",
                text=text.iloc[pos],
                asset_id=asset_ids.iloc[pos],
                time=times[pos],
                fields=fields,
            )
        )
    return tuple(documents)


def _order_times(
    frame: pd.DataFrame, time_name: str | None, path: Path
) -> tuple[list[pd.Timestamp | None], pd.Series | None]:
    """Each row's ``time_name`` timestamp (None where empty), and the ``completed`` column with its
    dates as ``YYYY-MM-DD hh:mm:ss`` (None without the column). The two columns' dates are read
    together, so that 03/04/2024 is the same day in both."""
    times: list[pd.Timestamp | None] = [None] * len(frame)
    columns = [time_name] if time_name is not None else []
    if "completed" in frame.columns:
        columns.append("completed")
    if not columns:
        return times, None
    pieces, cells = [], []
    for name in columns:
        present = _present(frame[name]).to_numpy()
        if name == "completed":
            present = present & _dated(frame[name], path)
        rows = np.flatnonzero(present)
        pieces.append(frame.iloc[rows][[name]].set_axis([columns[0]], axis=1))  # row labels keep the lines
        cells.append((name, rows))
    parsed = iter(time_column(pd.concat(pieces), columns[0], path, unique=False))
    stamps = {name: [(int(i), pd.Timestamp(next(parsed))) for i in rows] for name, rows in cells}
    for i, stamp in stamps.get(time_name or "", []):
        times[i] = stamp
    if "completed" not in stamps:
        return times, None
    finished = _text(frame["completed"])
    for i, stamp in stamps["completed"]:
        finished.iloc[i] = stamp.strftime("%Y-%m-%d %H:%M:%S")
    return times, finished


def _dated(column: pd.Series, path: Path) -> np.ndarray:
    """Which cells of a ``completed`` column read as dates; the others ("pending", "open") are named
    in a warning and stay as written."""
    text = _text(column)
    dated = (pd.to_datetime(text.where(text != ""), errors="coerce", format="mixed").notna()).to_numpy()
    odd = (text != "").to_numpy() & ~dated
    if odd.any():
        _log.warning(
            "%s, column %r: %d cells are no date (first: %r); when those orders were completed is not read",
            path, column.name, int(odd.sum()), text.iloc[int(np.flatnonzero(odd)[0])],
        )  # fmt: skip
    return dated


def read_assets_csv(path: Path | str) -> tuple[Asset, ...]:
    """Read an asset register: required ``asset_id``, optional ``asset_type`` (names in any case, or
    another name of :data:`ASSET_ALIASES` such as ``Equipment`` and ``Type``).

    Every other column goes into ``attributes``: as numbers when all its filled cells are numbers
    (int when all whole), else as text; empty cells are None.

    Raises:
        DataFormatError: an empty or duplicated ``asset_id``, naming the line.
    """
    path = Path(path)
    frame = read_sniffed_csv(
        path, required=("asset_id",), literal=("asset_id",), optional=("asset_type",), aliases=ASSET_ALIASES
    )
    ids = _id_column(frame, "asset_id", path)
    types = _text(frame["asset_type"]).tolist() if "asset_type" in frame.columns else [""] * len(frame)
    extra = {
        c: _attribute_values(frame, c, path) for c in frame.columns if c not in ("asset_id", "asset_type")
    }
    return tuple(
        Asset(asset_id=ids[pos], asset_type=types[pos], attributes={c: v[pos] for c, v in extra.items()})
        for pos in range(len(frame))
    )


def _with_action(text: pd.Series, frame: pd.DataFrame, path: Path) -> pd.Series:
    """``text`` with the written-out action column of :data:`ACTION_TEXT` after it, as
    "problem. action" (the column stays a field too); ``text`` itself without such a column."""
    name = next((str(c) for c in frame.columns if column_key(str(c)).replace("_", " ") in ACTION_TEXT), None)
    if name is None:
        return text
    action = _text(frame[name])
    written = action[action != ""]
    words = written.map(lambda v: len(v.split()))
    if written.empty or (written.nunique() <= ACTION_CODES and words.mean() < 3):
        return text  # a code list (Replace, Adjust): a field
    _log.warning("%s: column %r (what was done) is added to each order's text", path, name)
    joined = text.str.rstrip(" .;,") + ". " + action
    spoken = action.str.casefold().str.strip(" .!-/")
    return text.where((spoken == "") | spoken.isin(_NOTHING_SAID), joined)


_NOTHING_SAID = frozenset(
    {"done", "ok", "okay", "completed", "complete", "closed", "n/a", "na", "none", "nil"}
)
"""Action cells that say no more than that the order was closed: not added to its text."""


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _id_column(frame: pd.DataFrame, name: str, path: Path) -> list[str]:
    ids = _text(frame[name])
    if (ids == "").any():
        raise _cell_error(path, frame, _first(ids == ""), name, "expected an id, found an empty cell")
    duplicated = ids.duplicated()
    if duplicated.any():
        pos = _first(duplicated)
        first = row_line(frame, _first(ids == ids.iloc[pos]))
        message = f"duplicated {name} {ids.iloc[pos]!r} (first on line {first}); each {name} must appear once"
        raise _cell_error(path, frame, pos, name, message)
    return ids.tolist()


def _attribute_values(frame: pd.DataFrame, name: str, path: Path) -> list[Any]:
    if not _all_numbers(frame[name]):
        return [v or None for v in _text(frame[name])]
    numbers = numeric_column(frame, name, path)
    filled = numbers[~np.isnan(numbers)]
    whole = bool(np.all((filled == np.round(filled)) & (np.abs(filled) < _MAX_STEP)))
    return [None if np.isnan(v) else int(v) if whole else float(v) for v in numbers]
