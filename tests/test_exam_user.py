"""Fixes from a user test of ``moesaic exam``: decisions, degenerate input, statistics, wording."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.exam import exam
from moesaic.data.tables import DataFormatError
from moesaic.reports.exam import answer_question, parse_question
from moesaic.reports.exam.causality import granger_window_f
from moesaic.reports.exam.questions import read_questions

N = 300
T = np.arange(N, dtype=float)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _ar1(phi: float, seed: int = 0, n: int = N) -> np.ndarray:
    e, x = _rng(seed).standard_normal(n), np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def _delayed(lag: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) with y[t] = x[t - lag] + small noise: x leads y in the textbook sense."""
    x = _rng(seed).standard_normal(N)
    y = np.concatenate([np.zeros(lag), x[:-lag]]) + 0.05 * _rng(seed + 1).standard_normal(N)
    return x, y


# --- decisions -------------------------------------------------------------------------


def test_neither_wins_when_the_test_rejects_every_causal_claim() -> None:
    a, b = _rng(1).standard_normal(N), _rng(2).standard_normal(N)
    options = ["Series 1 Granger-causes series 2", "Series 2 Granger-causes series 1", "Neither series"]
    answer = answer_question("What is the Granger-causal relation between the series?", options, [a, b])
    assert answer.option == "Neither series"


def test_an_unread_option_beats_an_option_the_evidence_rejects() -> None:
    x = np.concatenate([0.01 * T[:150], 1.5 + 0.06 * T[:150]]) + 0.01 * _rng().standard_normal(N)
    options = ["Both halves have the same slope", "The later half climbs faster than before"]
    answer = answer_question("Compare the first half and the second half of the trend.", options, [x])
    assert answer.option == options[1]


def test_a_not_question_picks_the_absent_feature() -> None:
    x = 0.05 * T + _rng().normal(0, 0.2, N)
    options = ["Upward trend", "Downward trend"]
    question = "Which of the following is NOT a feature of the trend direction?"
    assert parse_question(question, options, 1).negated
    assert answer_question(question, options, [x]).option == "Downward trend"


def test_none_of_the_above_wins_on_white_noise() -> None:
    x = _rng(3).standard_normal(N)
    options = ["Sine wave", "Square wave", "None of the above"]
    assert answer_question("Which cycle pattern does the series follow?", options, [x]).option == options[2]


# --- robustness ------------------------------------------------------------------------


def test_missing_values_are_interpolated_and_answered() -> None:
    x = 3.0 + 0.05 * T + _rng().normal(0, 0.3, N)
    x[[10, 50, 51, 200]] = np.nan
    answer = answer_question("What is the direction of the trend?", ["Upward", "Downward", "No trend"], [x])
    assert answer.option == "Upward"
    assert "4 missing values interpolated" in answer.rationale


def test_a_file_with_null_values_is_read_in_float64(tmp_path: Path) -> None:
    ts = (1e7 + 0.1 * _rng().standard_normal(50)).tolist()
    ts[5] = None
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([{"id": 1, "question": "Trend?", "options": ["Yes", "No"], "ts": ts}]))
    documents, gaps = read_questions(path)
    series = documents[0].fields["series"]["ts"]
    assert series.dtype == np.float64 and np.isnan(series[5]) and gaps == {"1": 1}
    assert np.nanstd(series) > 0.05  # float32 would round the noise away at this offset


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": None}, "`id` must be a string or a whole number"),
        ({"id": [1, 2]}, "`id` must be a string or a whole number"),
        ({"options": ["Yes", "Yes"]}, "`options` repeats ['Yes']"),
        ({"ts1": [1.0] * 30, "ts2": [1.0] * 30}, "not both"),
        ({"ts": [1.0, float("inf")] * 15}, "must be a finite number or null"),
    ],
)
def test_malformed_items_are_refused(tmp_path: Path, item: dict, message: str) -> None:
    base = {"id": 1, "question": "Trend?", "options": ["Yes", "No"], "ts": [1.0] * 30}
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([{**base, **item}]))
    with pytest.raises(DataFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_questions(path)


def test_an_empty_file_is_named_as_json(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text("  \n")
    with pytest.raises(DataFormatError, match="expected a JSON list of questions"):
        read_questions(path)


def test_granger_at_the_minimum_length_is_no_evidence() -> None:
    a, b = _rng(4).standard_normal(24), _rng(5).standard_normal(24)
    assert granger_window_f(a, b, 9).p == 1.0


def test_granger_on_identical_constant_series_is_no_evidence() -> None:
    c = np.full(100, 2.0)
    assert granger_window_f(c, c, 3).p == 1.0
    answer = answer_question("Does time series 1 granger cause time series 2?", ["Yes", "No"], [c, c])
    assert answer.option == "No"


def test_cli_answers_a_file_with_a_missing_value_and_skips_huge_values(tmp_path: Path) -> None:
    up = (0.05 * T + _rng().normal(0, 0.3, N)).tolist()
    up[7] = None
    ask = {"question": "Direction of the trend?", "options": ["Upward", "Downward"]}
    questions = [{"id": 1, **ask, "ts": up}, {"id": 2, **ask, "ts": [1e300] * 30}]
    source, out = tmp_path / "exam.json", tmp_path / "answers.json"
    source.write_text(json.dumps(questions))
    app = typer.Typer()
    app.command()(exam)
    result = CliRunner().invoke(app, ["--json", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == {"1": "Upward"}
    text = " ".join(result.output.split())
    assert "missing values" in text and "too large" in text


# --- statistics ------------------------------------------------------------------------


@pytest.mark.parametrize(("shift", "expected"), [(0.0, "Yes"), (3.0, "No")])
def test_same_distribution_compares_location(shift: float, expected: str) -> None:
    a, b = _rng(6).standard_normal(N), shift + _rng(7).standard_normal(N)
    question = "Are the two time series likely to have the same underlying distribution?"
    assert answer_question(question, ["Yes", "No"], [a, b]).option == expected


def test_same_distribution_compares_shape() -> None:
    a, b = _rng(6).standard_normal(N), _rng(7).exponential(1.0, N) - 1.0
    question = "Are the two time series likely to have the same underlying distribution?"
    assert answer_question(question, ["Yes", "No"], [a, b]).option == "No"


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (_ar1(0.9, seed=8), "Red noise"),
        (_rng(9).standard_normal(N), "White noise"),
        (0.1 * T, "No noise"),
    ],
)
def test_noise_colour(x: np.ndarray, expected: str) -> None:
    options = ["White noise", "Red noise", "No noise"]
    assert answer_question("What type of noise does the series have?", options, [x]).option == expected


@pytest.mark.parametrize(("multiplicative", "expected"), [(True, "Multiplicative"), (False, "Additive")])
def test_noise_that_grows_with_the_level_is_multiplicative(multiplicative: bool, expected: str) -> None:
    level, e = 10 + 0.1 * T, _rng(10).standard_normal(N)
    x = level * (1 + 0.1 * e) if multiplicative else level + e
    question = "Is the noise in the time series more likely to be additive or multiplicative?"
    assert answer_question(question, ["Additive", "Multiplicative"], [x]).option == expected


def test_a_change_in_variance_is_a_regime() -> None:
    x = np.concatenate([_rng(11).normal(0, 0.5, 150), _rng(12).normal(0, 3.0, 150)])
    question = "Based on the given time series, how many different regimes are there?"
    assert answer_question(question, ["1", "2", "3"], [x]).option == "2"


def test_a_scaled_copy_needs_no_cycle() -> None:
    x = _ar1(0.7, seed=13)
    question = "Is time series 2 a scaled version of time series 1?"
    assert answer_question(question, ["Yes", "No"], [x, 3.0 * x]).option == "Yes"


# --- wording ---------------------------------------------------------------------------


def test_noisier_compares_the_noise_of_two_signals() -> None:
    base = np.sin(2 * np.pi * T / 50)
    a, b = base + _rng(14).normal(0, 0.1, N), base + _rng(15).normal(0, 1.0, N)
    answer = answer_question("Which signal is noisier?", ["Signal 1", "Signal 2"], [a, b])
    assert answer.topic == "compare" and answer.option == "Signal 2"


@pytest.mark.parametrize(
    ("where", "options", "expected"),
    [
        (240, ["First half", "Second half"], "Second half"),
        (240, ["About 60", "About 240"], "About 240"),
        (40, ["Step 40", "Step 200"], "Step 40"),
    ],
)
def test_outlier_positions(where: int, options: list[str], expected: str) -> None:
    x = np.sin(2 * np.pi * T / 50) + _rng(16).normal(0, 0.05, N)
    x[where] += 6.0
    assert answer_question("Where does the outlier occur?", options, [x]).option == expected


def test_which_of_two_series_has_the_anomaly() -> None:
    a = np.sin(2 * np.pi * T / 50) + _rng(17).normal(0, 0.05, N)
    b = a.copy()
    b[150] += 6.0
    question = "Which of the two series has the anomaly?"
    assert answer_question(question, ["Series 1", "Series 2"], [a, b]).option == "Series 2"


def test_cycle_length_paraphrase() -> None:
    x = np.sin(2 * np.pi * T / 25)
    question = "How many time steps does one full cycle take?"
    assert answer_question(question, ["10", "25", "60"], [x]).option == "25"


def test_a_level_shift_is_an_anomaly_type() -> None:
    x = np.sin(2 * np.pi * T / 50) + _rng(18).normal(0, 0.05, N)
    x[150:] += 5.0
    options = ["Level shift", "Cutoff"]
    assert answer_question("What type of anomaly is present?", options, [x]).option == "Level shift"


# --- lead-lag convention ---------------------------------------------------------------


def test_textbook_wording_follows_the_textbook_direction() -> None:
    x, y = _delayed(3)
    options = ["Series 1 leads", "Series 2 leads", "Neither"]
    assert answer_question("Which series leads?", options, [x, y]).option == "Series 1 leads"
    question = "Does series 1 Granger-cause series 2?"
    assert answer_question(question, ["Yes", "No"], [x, y]).option == "Yes"
    assert answer_question(question, ["Yes", "No"], [y, x]).option == "No"


def test_the_exam_wording_keeps_the_exam_direction_unless_told() -> None:
    x, y = _delayed(5)  # y[t] = x[t - 5]: the exam calls x the lagged version of y
    question = "Is time series 1 a lagged version of time series 2?"
    assert answer_question(question, ["Yes", "No"], [x, y]).option == "Yes"
    assert answer_question(question, ["Yes", "No"], [x, y], convention="textbook").option == "No"
