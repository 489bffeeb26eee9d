"""Reading an exam file for ``moesaic exam``: the TimeSeriesExam reader's checks, plus gaps.

The data-set reader (:func:`moesaic.data.sets.timeseriesexam.read_exam_json`) refuses a whole
file for one missing value and keeps float32 series. Answering a user's own file needs more:
series are kept in float64 (float32 rounds small noise away at large offsets), missing values
(``null`` or ``NaN``) are kept as NaN for the answerer to fill, infinite values are refused, and
a few malformed inputs the reader lets through are refused too (an empty file, an ``id`` that is
not a string or a number, repeated options, ``ts`` given together with ``ts1``/``ts2``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from moesaic.data.schema import Document
from moesaic.data.sets._json import read_json_checked, require_list, require_mapping
from moesaic.data.sets.timeseriesexam import read_question
from moesaic.data.tables import DataFormatError

SERIES_KEYS = ("ts", "ts1", "ts2")


class ExamFile(NamedTuple):
    documents: tuple[Document, ...]
    gaps: dict[str, int]  # question id -> number of missing values in its series


def read_questions(path: Path) -> ExamFile:
    """The questions of a TimeSeriesExam-format JSON file, series in float64 with NaN for gaps.

    Raises:
        DataFormatError: an empty or invalid file, or an item with a missing or malformed
            field, naming the item (counted from 1), its id and the field.
    """
    if not path.read_bytes().strip():
        raise DataFormatError(path, "the file is empty; expected a JSON list of questions")
    items = require_list(read_json_checked(path), path, "the questions")
    if not items:
        raise DataFormatError(path, "the question list is empty")
    documents, gaps, seen = [], {}, set()
    for i, raw in enumerate(items, start=1):
        item = require_mapping(raw, path, f"item {i}")
        where = f"item {i} (id {item['id']!r})" if "id" in item else f"item {i}"
        _check_item(item, path, where)
        series = {k: _series(item[k], k, path, where) for k in SERIES_KEYS if k in item}
        # The reader's own checks run on a copy whose gaps are zeros; the series are ours.
        stand_in = {**item, **{k: [0.0] * v.size for k, v in series.items()}}
        document = read_question(stand_in, path, where)
        if document.doc_id in seen:
            raise DataFormatError(path, f"{where}: duplicated id; each question needs its own id")
        seen.add(document.doc_id)
        fields = {**document.fields, "series": series}
        documents.append(Document(doc_id=document.doc_id, kind="qa", text=document.text, fields=fields))
        missing = sum(int(np.isnan(v).sum()) for v in series.values())
        if missing:
            gaps[document.doc_id] = missing
    return ExamFile(tuple(documents), gaps)


def _check_item(item: Mapping[str, Any], path: Path, where: str) -> None:
    ident = item.get("id")
    if "id" in item and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        raise DataFormatError(path, f"{where}: `id` must be a string or a whole number, found {ident!r}")
    options = item.get("options")
    if isinstance(options, list):
        texts = [str(o) for o in options]
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        if repeated:
            raise DataFormatError(path, f"{where}: `options` repeats {repeated}; each option must differ")
    if "ts" in item and ("ts1" in item or "ts2" in item):
        raise DataFormatError(
            path, f"{where}: give either one series `ts` or two series `ts1` and `ts2`, not both"
        )


def _series(values: Any, key: str, path: Path, where: str) -> np.ndarray:
    """(T,) float64; ``null`` and NaN become NaN, anything else that is not a finite number is an error."""
    if not isinstance(values, list) or not values:
        found = "an empty list" if isinstance(values, list) else type(values).__name__
        raise DataFormatError(path, f"{where}: `{key}` must be a non-empty list of numbers, found {found}")
    for i, v in enumerate(values):
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if v is None or (number and math.isnan(v)):
            continue
        if not number or math.isinf(v):
            raise DataFormatError(
                path, f"{where}: `{key}`[{i}] must be a finite number or null (missing), found {v!r}"
            )
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if np.isnan(array).all():
        raise DataFormatError(path, f"{where}: `{key}` has no observed value (all missing)")
    return array
