"""The time-series exam solver: tests and fits on synthetic series, question parsing, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.exam import exam
from moesaic.reports.exam import answer_question, parse_question
from moesaic.reports.exam.anomaly import inspect
from moesaic.reports.exam.parse import read_choice
from moesaic.reports.exam.stats import granger_f
from moesaic.reports.exam.waves import fit_wave

T = np.arange(128)
DIRECTION = "What is the direction of the linear trend of the given time series, if any?"


def _noise(scale: float = 1.0, seed: int = 0) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal(T.size)


@pytest.mark.parametrize(("slope", "expected"), [(0.05, "Upward"), (-0.05, "Downward"), (0.0, "No Trend")])
def test_trend_direction_is_read_from_a_line_fit(slope: float, expected: str) -> None:
    x = 3.0 + slope * T + _noise(0.3)
    answer = answer_question(DIRECTION, ["Upward", "Downward", "No Trend"], [x])
    assert answer.option == expected
    assert answer.topic == "trend_direction"


def test_sine_period_is_found() -> None:
    x = 2.0 * np.sin(2 * np.pi * T / 16) + _noise(0.1)
    assert fit_wave(x, "sine").period == pytest.approx(16, rel=0.03)
    answer = answer_question(
        "The given time series is a sine wave. What is the most likely period of the sine wave?",
        ["8.0", "16.0", "32.0"],
        [x],
    )
    assert answer.option == "16.0"


@pytest.mark.parametrize(("walk", "expected"), [(False, "White Noise"), (True, "Random Walk")])
def test_white_noise_and_random_walk_are_told_apart(walk: bool, expected: str) -> None:
    x = np.cumsum(_noise(seed=3)) if walk else _noise(seed=3)
    answer = answer_question(
        "The following time series has a noise component. Is it a white noise or random walk?",
        ["Random Walk", "White Noise"],
        [x],
    )
    assert answer.option == expected


@pytest.mark.parametrize(("at", "expected"), [(20, "Beginning"), (64, "Middle"), (110, "End")])
def test_a_spike_is_located(at: int, expected: str) -> None:
    x = np.sin(2 * np.pi * T / 32)
    x[at] += 4.0
    evidence = inspect(x)
    assert evidence.best() == "spike"
    assert evidence.where["spike"] * T.size == pytest.approx(at, abs=1)
    answer = answer_question(
        "In which part of the time series does the anomaly occur?", ["Beginning", "Middle", "End"], [x]
    )
    assert answer.option == expected


@pytest.mark.parametrize("wave", ["sine", "sawtooth"])
def test_a_flat_stretch_that_keeps_the_noise_is_a_cutoff(wave: str) -> None:
    t = np.arange(240) / 40
    clean = np.sin(2 * np.pi * t) if wave == "sine" else 2 * (t % 1) - 1
    noise = 0.06 * np.random.default_rng(21).standard_normal(240)
    x = clean + noise
    x[130:165] = -1.0 + noise[130:165]  # the pattern stops; the sensor's noise goes on
    evidence = inspect(x)
    assert evidence.best() == "cutoff"
    assert evidence.where["cutoff"] * 240 == pytest.approx(147, abs=6)
    assert inspect(clean + noise).scores["cutoff"] < 0.5  # its noisy peaks and troughs are no cutoff


def test_noise_as_large_as_the_pattern_makes_no_flat_stretch() -> None:
    rng = np.random.default_rng(22)
    for seed in range(6):
        x = np.sin(2 * np.pi * T / 50) + 0.02 * T + 0.3 * rng.standard_t(2, T.size)
        assert inspect(x).scores["cutoff"] < 0.5, seed


@pytest.mark.parametrize(("stray", "at", "expected"), [("faster", 225, "End"), ("bump", 40, "Beginning")])
def test_a_stray_stretch_no_detector_names_is_still_located(stray: str, at: int, expected: str) -> None:
    rng = np.random.default_rng(23)
    steps = np.ones(260)
    if stray == "faster":
        steps[at - 20 : at + 20] = 1.3  # too mild a change of period for the speed test
    x = np.sin(2 * np.pi * np.cumsum(steps) / 26) + 0.03 * rng.standard_normal(260)
    if stray == "bump":
        x[at - 20 : at + 20] += 0.8 * np.sin(np.pi * np.arange(40) / 40)  # the baseline wanders off
    evidence = inspect(x)
    assert evidence.scores["none"] > 0.5  # no specific anomaly was found ...
    assert evidence.where["wander"] * 260 == pytest.approx(at, abs=25)  # ... but where it would be is, near
    answer = answer_question(
        "In which part of the time series does the anomaly occur?", ["Beginning", "Middle", "End"], [x]
    )
    assert answer.option == expected


def test_a_reversed_stretch_of_a_long_sawtooth_is_a_flip() -> None:
    rng = np.random.default_rng(24)
    t = np.arange(280) / 30
    x = 2 * (t % 1) - 1 + 0.02 * rng.standard_normal(280)  # nine teeth: eighteen breaks
    x[100:175] = x[100:175][::-1].copy()
    evidence = inspect(x)
    assert evidence.best() == "flip" and evidence.where["flip"] * 280 == pytest.approx(137, abs=10)
    square = np.where(t % 1 < 0.5, 1.0, -1.0) + 0.01 * np.arange(280)  # as many edges, on a trend
    assert inspect(square).scores["flip"] < 0.5


@pytest.mark.parametrize(
    ("curve", "expected"), [("exp", "Speeding up"), ("log", "Slowing down"), ("line", "Steady")]
)
def test_the_pace_of_growth_is_read_from_its_curve(curve: str, expected: str) -> None:
    t = np.arange(200.0)
    clean = {"exp": np.exp(t / 50), "log": 10 * np.log1p(t), "line": 0.1 * t}[curve]
    x = clean + np.random.default_rng(25).standard_normal(200)
    question = "Is the growth of this series speeding up, slowing down or steady?"
    answer = answer_question(question, ["Speeding up", "Slowing down", "Steady"], [x])
    assert answer.option == expected


@pytest.mark.parametrize(
    ("scales", "expected"),
    [((3.0, 1.0), "First half"), ((1.0, 3.0), "Second half"), ((1.0, 1.0), "Both about the same")],
)
def test_the_more_volatile_half_is_named(scales: tuple[float, float], expected: str) -> None:
    x = _noise(seed=26) * np.where(T < 64, scales[0], scales[1])
    options = ["Second half", "First half", "Both about the same"]
    answer = answer_question("Which half of the record is more volatile?", options, [x])
    assert answer.option == expected


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ("bigger", "Same shape, different scale"),
        ("copy", "Identical in both shape and scale"),
        ("saw", "Different shapes"),
    ],
)
def test_shape_and_scale_of_two_series_are_told_apart(other: str, expected: str) -> None:
    wave = np.sin(2 * np.pi * T / 16)
    second = {"bigger": 4 * wave, "copy": wave, "saw": 2 * ((T / 16) % 1) - 1}[other] + _noise(0.02, seed=27)
    options = ["Same shape, different scale", "Identical in both shape and scale", "Different shapes"]
    question = "Which description fits the relation between the two series?"
    assert answer_question(question, options, [wave + _noise(0.02, seed=28), second]).option == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [("spread", "Near the end"), ("mean", "Near the beginning"), ("none", "It does not change")],
)
def test_where_the_behaviour_changes(change: str, expected: str) -> None:
    x = _noise(0.3, seed=29)
    if change == "spread":
        x[100:] *= 5.0
    elif change == "mean":
        x[30:] += 3.0
    options = ["It does not change", "Near the beginning", "Near the end", "Near the middle"]
    answer = answer_question("Where does the behaviour of this series change?", options, [x])
    assert answer.option == expected


@pytest.mark.parametrize("levels", [(0.0, 3.0, 6.0, 3.0, 0.0, 6.0), (1.0, 4.0, 1.0, 4.0), (2.0,)])
def test_the_distinct_levels_of_a_series_are_counted(levels: tuple[float, ...]) -> None:
    x = np.repeat(levels, 240 // len(levels)) + 0.5 * np.random.default_rng(30).standard_normal(240)
    question = "How many distinct levels does this series move between?"
    answer = answer_question(question, ["1", "2", "3", "4"], [x])
    assert answer.option == str(len(set(levels)))


def test_which_of_two_series_is_stationary_and_whether_level_and_spread_hold() -> None:
    walk = np.cumsum(_noise(seed=31))  # its level wanders
    still = _noise(seed=32)
    options = ["Series 1", "Neither", "Series 2", "Both"]
    question = "Which of the two series is stationary?"
    assert answer_question(question, options, [walk, still]).option == "Series 2"
    assert answer_question(question, options, [still, _noise(seed=33)]).option == "Both"
    question = "Do the statistical properties of this series (its level and spread) stay constant over time?"
    assert answer_question(question, ["No", "Yes"], [walk]).option == "No"
    assert answer_question(question, ["No", "Yes"], [still]).option == "Yes"


def test_granger_f_points_from_cause_to_effect() -> None:
    cause = _noise(seed=5)
    effect = np.zeros_like(cause)
    effect[2:] = 0.8 * cause[:-2]
    effect += _noise(0.3, seed=6)
    assert granger_f(cause, effect, 3) > 10 * granger_f(effect, cause, 3)


@pytest.mark.parametrize("swap", [False, True])
def test_granger_direction_follows_the_exam_convention(swap: bool) -> None:
    # The exam writes the effect from the cause's present and next values (its "lag" runs
    # forward, as in its lagged-version questions); the solver follows that convention.
    rng = np.random.default_rng(7)
    cause = np.cumsum(rng.standard_normal(T.size + 4)) * 0.3
    effect = np.array(
        [0.5 * cause[t] + 0.4 * cause[t + 2] for t in range(T.size)]
    ) + 0.2 * rng.standard_normal(T.size)
    series = [effect, cause[: T.size]] if swap else [cause[: T.size], effect]
    options = [
        "Yes, time series 1 granger causes time series 2",
        "Yes, time series 2 granger causes time series 1",
        "No, they are not granger causality",
    ]
    answer = answer_question("Are there any granger causality between the two time series?", options, series)
    assert answer.option == options[1 if swap else 0]


def test_a_lagged_copy_is_recognised() -> None:
    base = np.cumsum(_noise(seed=8))
    lagged = base[12 : 12 + 100]
    answer = answer_question(
        "You are given two time series where one is the lagged version of the other. "
        "What is the most likely lagging step?",
        ["Lagging step is between 5 to 20", "Lagging step is between 30 to 45"],
        [base[:100], lagged],
    )
    assert answer.option == "Lagging step is between 5 to 20"


@pytest.mark.parametrize(
    ("question", "options", "count", "topic"),
    [
        (
            "Is there an upward or downward trend in this series?",
            ["Upward", "Downward", "No trend"],
            1,
            "trend_direction",
        ),
        ("Does series 1 Granger-cause series 2?", ["Yes", "No"], 2, "granger"),
        ("Which time series has a higher level of noise?", ["Time series 1", "Time series 2"], 2, "compare"),
        ("What is the most likely period of the square wave?", ["12.5", "25.0", "50.0"], 1, "period_value"),
        ("Is this series stationary?", ["Yes", "No"], 1, "stationarity"),
        ("Which cyclic pattern dominates?", ["SineWave", "SquareWave", "SawtoothWave"], 1, "cycle_type"),
        (
            "What kind of anomaly does the series show?",
            ["Spike: large spikes", "Flip: reversed"],
            1,
            "anomaly",
        ),
    ],
)
def test_parser_maps_phrasings_to_topics(question: str, options: list[str], count: int, topic: str) -> None:
    assert parse_question(question, options, count).topic == topic


def test_options_are_read_into_terms_polarity_and_relations() -> None:
    no = read_choice("No, time series 2 granger causes time series 1")
    assert no.polarity == -1 and no.relation == (2, 1, "granger")
    label = read_choice("No Trend")
    assert label.polarity is None and "no_trend" in label.terms
    both = read_choice("Yes, Time series 1 and time series 2 both have flip anomaly")
    assert both.polarity == 1 and dict(both.subjects) == {1: ("flip",), 2: ("flip",)}
    assert read_choice("Lagging step is between 60 to 75").interval == (60.0, 75.0)
    assert read_choice("3.8").number == 3.8


def test_answers_do_not_depend_on_option_order() -> None:
    x = np.cumsum(_noise(seed=9))
    options = ["Gaussian White Noise", "Red Noise", "No significant noise"]
    question = "What type of noise is present in the given time series?"
    first = answer_question(question, options, [x]).option
    assert answer_question(question, options[::-1], [x]).option == first == "Red Noise"


def test_fewer_than_two_options_is_an_error() -> None:
    with pytest.raises(ValueError, match="expected at least 2 options, found 1"):
        answer_question(DIRECTION, ["Upward"], [T.astype(float)])


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(exam)
    return app


def test_cli_writes_ids_to_option_texts(tmp_path: Path) -> None:
    rise = (0.05 * T + _noise(0.2)).tolist()
    questions = [
        {"id": 7, "question": DIRECTION, "options": ["Upward", "Downward", "No Trend"], "answer": "Upward",
         "category": "Pattern Recognition", "ts": rise},
        {"id": 9, "question": "Is the given time series a white noise process?", "options": ["Yes", "No"],
         "category": "Noise Understanding", "ts": _noise(seed=1).tolist()},
    ]  # fmt: skip
    source, out = tmp_path / "exam.json", tmp_path / "answers.json"
    source.write_text(json.dumps(questions))
    result = CliRunner().invoke(_cli(), ["--json", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    answers = json.loads(out.read_text())
    assert answers == {"7": "Upward", "9": "Yes"}
    assert "Pattern Recognition" in result.output and "accuracy" in result.output


def test_cli_reports_a_malformed_file(tmp_path: Path) -> None:
    source = tmp_path / "exam.json"
    source.write_text(json.dumps([{"id": 1, "question": "Q?", "options": ["A"], "ts": [1.0, 2.0]}]))
    result = CliRunner().invoke(_cli(), ["--json", str(source), "--out", str(tmp_path / "a.json")])
    assert result.exit_code == 2
    assert "`options` must be a list of at least 2" in result.output
    assert not (tmp_path / "a.json").exists()
