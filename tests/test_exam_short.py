"""Very short and constant series in exam questions: a located refusal or an answer, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.exam import exam
from moesaic.data.sets.timeseriesexam import read_exam_json
from moesaic.data.tables import DataFormatError
from moesaic.reports.exam import MIN_STEPS, answer_question

ANOMALY = "The following time series has two types of anomalies appearing at different time points."
ANOMALY_OPTIONS = ["cutoff and flip", "speedup and flip", "speedup and cutoff"]
LAGGED = "Is the two time series lagged version of each other despite amplitude difference?"
LAGGED_OPTIONS = ["No, they are not lagged versions", "Yes, they are lagged versions"]
BASE = (
    "The following time series has an anomaly. "
    "What is the likely pattern of the time series without the anomaly?"
)
BASE_OPTIONS = ["Sine wave with linear trend", "Square wave with log trend"]


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(exam)
    return app


def test_cli_answers_the_others_and_names_a_question_whose_series_is_too_short(tmp_path: Path) -> None:
    long = np.sin(np.arange(128) / 5).tolist()
    questions = [
        {"id": 1, "question": ANOMALY, "options": ANOMALY_OPTIONS, "ts": long},
        {"id": 69, "question": ANOMALY, "options": ANOMALY_OPTIONS, "ts": [1.0]},
    ]
    source, out = tmp_path / "exam.json", tmp_path / "answers.json"
    source.write_text(json.dumps(questions))
    result = CliRunner().invoke(_cli(), ["--json", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"1 of 2 questions have a series with fewer than {MIN_STEPS} observed steps" in text
    assert "(ids 69)" in text
    assert list(json.loads(out.read_text())) == ["1"]


def test_the_reader_checks_the_minimum_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(
        json.dumps(
            [{"id": 3, "question": LAGGED, "options": LAGGED_OPTIONS, "ts1": [1.0] * 30, "ts2": [1, 2]}]
        )
    )
    assert len(read_exam_json(path)) == 1
    with pytest.raises(DataFormatError, match=r"item 0 \(id 3\): `ts2` has 2 values; expected at least 24"):
        read_exam_json(path, min_steps=24)


def test_an_empty_series_says_the_list_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([{"id": 4, "question": ANOMALY, "options": ANOMALY_OPTIONS, "ts": []}]))
    with pytest.raises(
        DataFormatError, match=r"`ts` must be a non-empty list of numbers, found an empty list"
    ):
        read_exam_json(path)


def test_answer_question_refuses_a_short_series() -> None:
    with pytest.raises(
        ValueError, match=rf"question 'q7': expected series of at least {MIN_STEPS} observed steps"
    ):
        answer_question(ANOMALY, ANOMALY_OPTIONS, [np.ones(MIN_STEPS - 1)], question_id="q7")


@pytest.mark.parametrize(
    ("question", "options", "count"),
    [(ANOMALY, ANOMALY_OPTIONS, 1), (BASE, BASE_OPTIONS, 1), (LAGGED, LAGGED_OPTIONS, 2)],
)
@pytest.mark.parametrize("kind", ["constant", "noise"])
def test_the_shortest_accepted_series_get_an_answer(
    question: str, options: list[str], count: int, kind: str
) -> None:
    rng = np.random.default_rng(0)
    series = [
        np.ones(MIN_STEPS) if kind == "constant" else rng.standard_normal(MIN_STEPS) for _ in range(count)
    ]
    assert answer_question(question, options, series).option in options


def test_two_constant_series_are_not_lagged_copies() -> None:
    answer = answer_question(LAGGED, LAGGED_OPTIONS, [np.ones(128), np.full(128, 3.0)])
    assert answer.option == "No, they are not lagged versions"
