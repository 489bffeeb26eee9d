"""TimeSeriesExam: multiple-choice questions on synthetic time series, series inline.

Cai, Choudhry, Goswami & Dubrawski, "TimeSeriesExam: A Time Series Understanding Exam",
NeurIPS 2024 Workshop on Time Series in the Age of Large Models (arXiv:2410.14752).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.sets._json import is_number, read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError

FILE = "qa_dataset_round3.json"
TEXT_FIELDS = ("question_type", "category", "subcategory", "difficulty", "question_hint")


def _is_option(value: Any) -> bool:
    return isinstance(value, str) or is_number(value)


def _option_text(value: Any) -> str:
    # Some upstream options are numbers (3.8, not "3.8"); the text form keeps `answer in options` exact.
    return value if isinstance(value, str) else str(value)


def _reading(value: Any) -> float | None:
    """A JSON series value as a float, NaN kept (a missing reading); None when it is no number:
    a bool, a string, an infinity, or an integer too large for float64."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return None if math.isinf(number) else number


def _series(item: Mapping[str, Any], key: str, path: Path, where: str, min_steps: int) -> np.ndarray:
    """(T,) float64, NaN where a reading is missing (``null`` or NaN)."""
    values = item[key]
    if not isinstance(values, list) or not values:
        found = "an empty list" if isinstance(values, list) else type(values).__name__
        raise DataFormatError(path, f"{where}: `{key}` must be a non-empty list of numbers, found {found}")
    # float64, not float32: at an offset of 1e8, float32 steps are 8 apart and flatten the series.
    array = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        number = math.nan if value is None else _reading(value)
        if number is None:
            raise DataFormatError(
                path, f"{where}: `{key}`[{i}] must be a finite number or null (missing), found {value!r}"
            )
        array[i] = number
    observed = int(np.count_nonzero(~np.isnan(array)))
    if not observed:
        raise DataFormatError(path, f"{where}: `{key}` has no observed value (all missing)")
    if observed < min_steps:
        missing = array.size - observed
        raise DataFormatError(
            path,
            f"{where}: `{key}` has {observed} value{'s' if observed > 1 else ''}"
            f"{f' and {missing} missing' if missing else ''}; "
            f"expected at least {min_steps} observed values",
        )
    return array


def read_question(item: Mapping[str, Any], path: Path, where: str, *, min_steps: int = 1) -> Document:
    """One TimeSeriesExam-format question (an item of the JSON list) as a Document(kind="qa").

    The fields are those of :func:`read_exam_json`; ``path`` and ``where`` (for example
    "item 3 (id 12)") only name the item in errors.

    Raises:
        DataFormatError: a missing or malformed field, or a series with fewer than
            ``min_steps`` observed values, naming ``path``, ``where`` and the field.
    """
    for key in ("id", "question", "options"):
        if key not in item:
            raise DataFormatError(path, f"{where}: missing field {key!r}; found fields {sorted(item)}")
    question, options = item["question"], item["options"]
    if not isinstance(question, str) or not question.strip():
        raise DataFormatError(path, f"{where}: `question` must be a non-empty string, found {question!r}")
    if not (isinstance(options, list) and len(options) >= 2 and all(_is_option(o) for o in options)):
        raise DataFormatError(
            path, f"{where}: `options` must be a list of at least 2 strings or numbers, found {options!r}"
        )
    options = [_option_text(o) for o in options]
    if "ts" in item:
        keys: tuple[str, ...] = ("ts",)
    elif "ts1" in item and "ts2" in item:
        keys = ("ts1", "ts2")
    else:
        raise DataFormatError(
            path,
            f"{where}: expected a series `ts`, or two series `ts1` and `ts2`; found fields {sorted(item)}",
        )
    answer = item.get("answer")
    if answer is not None:
        if not _is_option(answer) or _option_text(answer) not in options:
            raise DataFormatError(
                path, f"{where}: `answer` must be one of `options` {options}, found {answer!r}"
            )
        answer = _option_text(answer)
    concepts = item.get("relevant_concepts", [])
    if not (isinstance(concepts, list) and all(isinstance(c, str) for c in concepts)):
        raise DataFormatError(
            path, f"{where}: `relevant_concepts` must be a list of strings, found {concepts!r}"
        )
    fields: dict[str, Any] = {
        "options": tuple(options),
        "answer": answer,
        "answer_index": None if answer is None else options.index(answer),
        "tid": item.get("tid"),
        "relevant_concepts": tuple(concepts),
        "series": {k: _series(item, k, path, where, min_steps) for k in keys},
    }
    fields.update({k: str(item.get(k) or "") for k in TEXT_FIELDS})
    return Document(doc_id=str(item["id"]), kind="qa", text=question, fields=fields)


def read_exam_json(path: Path, *, min_steps: int = 1) -> tuple[Document, ...]:
    """A TimeSeriesExam-format file: a JSON list of multiple-choice questions with series inline.

    Each item needs ``id``, ``question``, ``options`` (a list of at least 2 strings or numbers;
    numbers are kept as their text) and either ``ts`` or both ``ts1`` and ``ts2``: lists of
    finite numbers where ``null`` or NaN marks a missing reading, with at least ``min_steps``
    observed values (the exam answerer needs :data:`moesaic.reports.exam.MIN_STEPS` and fills
    the gaps). ``answer`` (one of the options, as text) is optional, so unlabelled exams can be
    read too; so are ``question_type``, ``category``, ``subcategory``, ``difficulty``, ``tid``,
    ``relevant_concepts`` and ``question_hint``. Returns one Document(kind="qa") per item:
    ``doc_id`` = str(id), ``text`` = the question, ``fields["series"]`` = name -> (T,) float64
    array with NaN for missing readings (float64 keeps small steps at large offsets),
    ``fields["answer"]`` = the answer text or None, ``fields["answer_index"]`` = its position
    in ``options`` or None.

    Raises:
        DataFormatError: invalid JSON, or an item with a missing or malformed field or a
            duplicated id, or a series with no observed value or fewer than ``min_steps``,
            naming the item index, its id and the field.
    """
    documents: list[Document] = []
    seen: set[str] = set()
    for i, raw in enumerate(require_list(read_json_checked(path), path, "the questions")):
        item = require_mapping(raw, path, f"item {i}")
        where = f"item {i} (id {item['id']!r})" if "id" in item else f"item {i}"
        document = read_question(item, path, where, min_steps=min_steps)
        if document.doc_id in seen:
            raise DataFormatError(path, f"{where}: duplicated id; each question needs its own id")
        seen.add(document.doc_id)
        documents.append(document)
    if not documents:
        raise DataFormatError(path, "the question list is empty")
    return tuple(documents)


def load(folder: Path) -> MaintenanceData:
    documents = read_exam_json(folder / FILE)
    categories = Counter(str(d.fields["category"]) for d in documents)
    counts = {
        "questions": len(documents),
        "two_series": sum(1 for d in documents if len(d.fields["series"]) == 2),
        **{f"category={name}": n for name, n in categories.most_common()},
    }
    return MaintenanceData(
        name="timeseriesexam", documents=documents, meta={"counts": counts, "source": str(folder / FILE)}
    )


INFO = DatasetInfo(
    name="timeseriesexam",
    modality="text+timeseries",
    description="TimeSeriesExam round 3: 305 multiple-choice questions on synthetic series (stratified 40%)",
    licence="MIT",
    citation="Cai, Choudhry, Goswami & Dubrawski, TimeSeriesExam, NeurIPS 2024 TSALM workshop",
    loader=load,
    # Per category: the README's stratified 40% of 371, 129, 113, 87 and 63 upstream questions.
    expected={
        "documents": 305,
        "questions": 305,
        "category=Pattern Recognition": 148,
        "category=Anolmaly Detection": 52,
        "category=Similarity Analysis": 45,
        "category=Noise Understanding": 35,
        "category=Causality Analysis": 25,
    },
)
