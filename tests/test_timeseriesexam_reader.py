"""The TimeSeriesExam reader: float64 series, missing readings kept as NaN, bad values named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moesaic.data.sets.timeseriesexam import read_exam_json, read_question
from moesaic.data.tables import DataFormatError
from moesaic.reports.exam import answer_documents
from moesaic.reports.exam.questions import read_questions

DIRECTION = "What is the direction of the trend?"
DIRECTION_OPTIONS = ["Upward", "Downward", "No trend"]


def _write(path: Path, **series: object) -> Path:
    item = {"id": 7, "question": DIRECTION, "options": DIRECTION_OPTIONS, **series}
    path.write_text(json.dumps([item]))
    return path


def _ramp(steps: int = 48) -> list[float | None]:
    """1e8 + 0.1 t: float32 is 8 apart at 1e8, so it would flatten the whole ramp to 1e8."""
    return [1e8 + 0.1 * t for t in range(steps)]


def test_a_null_and_a_nan_reading_are_kept_as_nan_in_float64(tmp_path: Path) -> None:
    path = _write(tmp_path / "exam.json", ts1=[1, 2, None, 4], ts2=[5.5, float("nan"), 7, 8])
    (doc,) = read_exam_json(path)
    series = doc.fields["series"]
    assert series["ts1"].dtype == series["ts2"].dtype == np.float64
    np.testing.assert_array_equal(series["ts1"], [1.0, 2.0, np.nan, 4.0])
    np.testing.assert_array_equal(series["ts2"], [5.5, np.nan, 7.0, 8.0])


def test_small_steps_at_a_large_offset_survive(tmp_path: Path) -> None:
    (doc,) = read_exam_json(_write(tmp_path / "exam.json", ts=_ramp(40)))
    series = doc.fields["series"]["ts"]
    assert series[0] == 1e8 and series[-1] == pytest.approx(1e8 + 3.9, abs=1e-6)
    np.testing.assert_allclose(np.diff(series), 0.1, atol=1e-6)
    assert np.ptp(series.astype(np.float32)) == 0.0  # what the float32 reader gave


def test_a_question_with_one_null_on_a_large_offset_ramp_is_answered(tmp_path: Path) -> None:
    ts = _ramp()
    ts[20] = None
    documents, gaps = read_questions(_write(tmp_path / "exam.json", ts=ts))
    assert gaps == {"7": 1}
    (answer,) = answer_documents(documents)
    assert answer.option == "Upward"  # float32 would read a flat series: "No trend"
    assert answer.rationale.startswith("1 missing values interpolated")


def test_read_question_reads_one_item_and_names_it(tmp_path: Path) -> None:
    item = {"id": 3, "question": DIRECTION, "options": [1, 2.5], "answer": 2.5, "ts": [0, None, 2]}
    doc = read_question(item, tmp_path / "exam.json", "item 3 (id 3)")
    assert (doc.doc_id, doc.fields["options"], doc.fields["answer_index"]) == ("3", ("1", "2.5"), 1)
    np.testing.assert_array_equal(doc.fields["series"]["ts"], [0.0, np.nan, 2.0])
    with pytest.raises(
        DataFormatError, match=r"exam\.json: item 3 \(id 3\): `ts` has 2 values and 1 missing"
    ):
        read_question(item, tmp_path / "exam.json", "item 3 (id 3)", min_steps=3)


@pytest.mark.parametrize(
    ("value", "found"),
    [(True, "True"), ("1.5", "'1.5'"), (float("inf"), "inf"), (10**400, "1000")],
    ids=["bool", "text", "infinity", "int beyond float64"],
)
def test_a_value_that_is_no_number_is_refused(tmp_path: Path, value: object, found: str) -> None:
    path = _write(tmp_path / "exam.json", ts=[1.0, value, 3.0])
    message = (
        rf"exam\.json: item 0 \(id 7\): `ts`\[1\] must be a finite number or null \(missing\), found {found}"
    )
    with pytest.raises(DataFormatError, match=message):
        read_exam_json(path)


def test_a_series_with_no_observed_value_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "exam.json", ts1=[1.0, 2.0], ts2=[None, float("nan")])
    with pytest.raises(
        DataFormatError, match=r"item 0 \(id 7\): `ts2` has no observed value \(all missing\)"
    ):
        read_exam_json(path)


def test_the_minimum_counts_observed_values(tmp_path: Path) -> None:
    ts: list[float | None] = [1.0] * 30
    ts[:6] = [None] * 6
    path = _write(tmp_path / "exam.json", ts=ts)
    assert len(read_exam_json(path, min_steps=24)) == 1
    with pytest.raises(
        DataFormatError, match=r"`ts` has 24 values and 6 missing; expected at least 25 observed values"
    ):
        read_exam_json(path, min_steps=25)
