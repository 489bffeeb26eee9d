"""Reading an exam file for ``moesaic exam``: the TimeSeriesExam reader, plus stricter checks.

Each item is read by :func:`moesaic.data.sets.timeseriesexam.read_question`: float64 series,
``null`` or NaN kept as NaN for the answerer to fill, infinite values refused. On top, a few
malformed inputs that the data-set reader lets through are refused (an empty file, an ``id``
that is not a string or a number, repeated options, ``ts`` given together with ``ts1``/``ts2``)
and the missing values are counted per question.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from moesaic.data.schema import Document
from moesaic.data.sets._json import read_json_checked, require_list, require_mapping
from moesaic.data.sets.timeseriesexam import read_question
from moesaic.data.tables import DataFormatError


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
        document = read_question(item, path, where)
        if document.doc_id in seen:
            raise DataFormatError(path, f"{where}: duplicated id; each question needs its own id")
        seen.add(document.doc_id)
        documents.append(document)
        missing = sum(int(np.isnan(v).sum()) for v in document.fields["series"].values())
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
