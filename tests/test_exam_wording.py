"""Question wordings unlike the TimeSeriesExam's own, and the development set written to test them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moesaic.reports.exam import answer_exam, answer_question, parse_question, score_answers
from moesaic.reports.exam.parse import read_choice
from moesaic.reports.exam.questions import read_questions

N = 160
T = np.arange(N, dtype=float)


def _noise(scale: float = 1.0, seed: int = 0, n: int = N) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal(n)


def _ar1(phi: float, seed: int = 0, n: int = N) -> np.ndarray:
    e, x = _noise(seed=seed, n=n), np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


MOVEMENT = "Which of the following best describes the long-term movement of this series?"
MOVES = [
    "The values tend to rise over time.",
    "The values tend to fall over time.",
    "There is no persistent rise or fall.",
]


@pytest.mark.parametrize(("slope", "expected"), [(0.04, 0), (-0.04, 1), (0.0, 2)])
def test_rise_and_fall_are_trend_directions(slope: float, expected: int) -> None:
    answer = answer_question(MOVEMENT, MOVES, [slope * T + _noise(0.8)])
    assert answer.topic == "trend_direction"
    assert answer.option == MOVES[expected]


def test_a_denied_rise_names_no_direction() -> None:
    assert read_choice("There is no persistent rise or fall.").terms == ("no_trend",)


WAVE = np.sin(2 * np.pi * T / 20)


@pytest.mark.parametrize(("second", "expected"), [(1.0, "Yes"), (0.1, "No")])
def test_a_yes_no_comparison_names_the_series_with_more(second: float, expected: str) -> None:
    pair = [WAVE + _noise(0.3, seed=1), WAVE + _noise(second, seed=2)]
    answer = answer_question("Could series 2 be a noisier version of series 1?", ["Yes", "No"], pair)
    assert answer.topic == "compare" and answer.option == expected


@pytest.mark.parametrize(("shift", "expected"), [(3.0, "Yes"), (0.0, "No"), (-3.0, "No")])
def test_a_yes_no_mean_comparison_names_the_higher_series(shift: float, expected: str) -> None:
    pair = [_noise(1.0, seed=1), shift + _noise(1.0, seed=2)]
    answer = answer_question("Is the mean of series 2 higher than the mean of series 1?", ["Yes", "No"], pair)
    assert answer.topic == "mean_compare" and answer.option == expected


@pytest.mark.parametrize(("second", "expected"), [(3.0, "Yes"), (1.0, "No")])
def test_a_yes_to_different_says_they_differ(second: float, expected: str) -> None:
    pair = [_noise(1.0, seed=1), _noise(second, seed=2)]
    question = "Do the two series have different variances?"
    answer = answer_question(question, ["Yes", "No"], pair)
    assert answer.topic == "compare" and answer.option == expected


@pytest.mark.parametrize(("second", "expected"), [(0.5, "They are about the same"), (1.5, "Second sensor's")])
def test_about_the_same_is_read_in_a_noise_comparison(second: float, expected: str) -> None:
    options = ["They are about the same", "Second sensor's", "First sensor's"]
    pair = [WAVE + _noise(0.5, seed=1), WAVE + _noise(second, seed=2)]
    answer = answer_question("Comparing the two sensors, whose measurement noise is larger?", options, pair)
    assert answer.topic == "compare" and answer.option == expected


@pytest.mark.parametrize(
    ("x", "expected"), [(_noise(), "Just random jitter"), (WAVE + _noise(0.3), "There is structure")]
)
def test_random_jitter_or_structure(x: np.ndarray, expected: str) -> None:
    options = ["There is structure", "Just random jitter"]
    answer = answer_question("Is this just random jitter or is there structure?", options, [x])
    assert answer.topic == "noise_or_structure" and answer.option == expected


@pytest.mark.parametrize(("x", "expected"), [(_noise(0.5), "Absent"), (0.05 * T + _noise(0.3), "Linear")])
def test_an_absent_climb_is_no_trend(x: np.ndarray, expected: str) -> None:
    options = ["Linear", "Absent", "Compounding"]
    answer = answer_question("Is the climb in this log linear, compounding, or absent?", options, [x])
    assert answer.topic == "trend_type" and answer.option == expected


@pytest.mark.parametrize(("period", "expected"), [(20, "None of these"), (16, "16 samples")])
def test_none_of_these_wins_when_no_period_is_near(period: int, expected: str) -> None:
    options = ["12 samples", "None of these", "16 samples", "36 samples"]
    x = 2 * np.sin(2 * np.pi * T / period) + _noise(0.2)
    answer = answer_question("Roughly how long, in samples, before the pattern repeats itself?", options, [x])
    assert answer.topic == "period_value" and answer.option == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.05 * T + _noise(0.3), 0), (3 * np.log1p(T) + _noise(0.2), 2)],
)
def test_trend_forms_in_plain_words(x: np.ndarray, expected: int) -> None:
    options = [
        "It grows at a constant rate, like a straight line.",
        "It grows exponentially, faster and faster.",
        "It grows quickly at first and then levels off, like a logarithm.",
    ]
    answer = answer_question(
        "Which functional form best characterises the growth of this signal?", options, [x]
    )
    assert answer.option == options[expected]


def test_the_best_trend_family_wins_when_it_is_the_only_option_read() -> None:
    options = ["An exponential curve", "A curve that bends like nothing named"]
    x = np.exp(T / 40) + _noise(0.3)
    answer = answer_question("What type of trend does the series follow?", options, [x])
    assert answer.option == options[0]


@pytest.mark.parametrize(
    ("question", "options", "num_series", "topic"),
    [
        (
            "Does the general tendency of the series switch from increasing to decreasing at some point?",
            ["Yes, it first climbs and later declines.", "No, it keeps moving in one direction."],
            1,
            "trend_reversal",
        ),
        (
            "Roughly how many time steps does one full oscillation of this series last?",
            ["12", "25", "50"],
            1,
            "period_value",
        ),
        (
            "Which of the following best describes the dependence between consecutive values?",
            ["They are positively correlated.", "They are negatively correlated.", "They are uncorrelated."],
            1,
            "acf_sign",
        ),
        (
            "How does the size of the oscillations evolve from start to finish?",
            ["They become larger.", "They become smaller.", "They keep the same size."],
            1,
            "amplitude_change",
        ),
        (
            "Does this process tend to come back to a long-run average after it deviates?",
            ["Yes", "No"],
            1,
            "mean_reversion",
        ),
        ("Is a systematic drift present in the data?", ["Yes", "No"], 1, "trend_presence"),
        (
            "What is the approximate increase of the series per time step?",
            ["0.05", "0.2"],
            1,
            "trend_coefficient",
        ),
        (
            "What kind of random component does this series contain?",
            ["Uncorrelated (white) noise", "Strongly autocorrelated (brown) noise"],
            1,
            "noise_type",
        ),
        (
            "Does the size of the noise scale with the level of the signal?",
            ["Yes, it is multiplicative.", "No, it is additive."],
            1,
            "noise_composition",
        ),
        ("Does the spread of the values change over time?", ["Yes", "No"], 1, "variance_stable"),
        ("Do both series trend in the same direction?", ["Yes", "No"], 2, "trend_direction_same"),
        ("Is the second series an upside-down copy of the first one?", ["Yes", "No"], 2, "flipped"),
        (
            "Where is the sharp drop located?",
            ["Near the start", "Near the middle", "Near the end"],
            1,
            "anomaly_location",
        ),
        (
            "What kind of anomaly affects this series?",
            [
                "A sudden isolated spike",
                "A level shift that persists until the end",
                "A stretch that drops to zero",
            ],
            1,
            "anomaly",
        ),
    ],
)
def test_paraphrases_find_their_topic(question: str, options: list[str], num_series: int, topic: str) -> None:
    assert parse_question(question, options, num_series).topic == topic


def test_a_series_named_by_its_place() -> None:
    assert read_choice("The second signal").series() == (2,)
    assert read_choice("The first one has it").series() == (1,)
    assert read_choice("In the first half").series() == ()


def test_which_of_two_signals_is_noisier_by_place() -> None:
    base = 2 * np.sin(2 * np.pi * T / 25)
    options = ["The first signal", "The second signal"]
    answer = answer_question(
        "Which of the two signals is corrupted by stronger noise?",
        options,
        [base + _noise(0.2, 1), base + _noise(1.0, 2)],
    )
    assert answer.option == "The second signal"


def test_a_stretch_that_drops_to_zero_is_a_cutoff() -> None:
    x = np.sin(2 * np.pi * T / 25) + _noise(0.1)
    x[60:90] = 0.0
    options = [
        "A sudden isolated spike",
        "A level shift that persists until the end",
        "A stretch that drops to zero",
    ]
    answer = answer_question("What kind of anomaly affects this series?", options, [x])
    assert answer.option == options[2]


@pytest.mark.parametrize(("growing", "expected"), [(True, "Yes"), (False, "No")])
def test_a_question_about_change_reads_yes_as_unstable(growing: bool, expected: str) -> None:
    x = _noise(seed=3) * (np.linspace(0.2, 3.0, N) if growing else 1.0)
    answer = answer_question(
        "Does the spread of the values around their mean change over time?", ["Yes", "No"], [x]
    )
    assert answer.option == expected
    still = answer_question("Is the variance constant over time?", ["Yes", "No"], [x])
    assert still.option != expected


def test_granger_rarely_links_independent_series() -> None:
    question = "Is there Granger causality between the two series?"
    pairs = [(_ar1(0.3, seed=2 * i), _ar1(0.3, seed=2 * i + 1)) for i in range(60)]
    found = sum(answer_question(question, ["Yes", "No"], list(p)).option == "Yes" for p in pairs)
    # About 5 % expected; the best of six tests each at the plain 5 % level linked 8 of these 60.
    assert found <= 4


def test_the_noise_around_a_named_wave_is_its_residual() -> None:
    x = 4 * np.sin(2 * np.pi * np.arange(200) / 25) + _noise(1.0, n=200)
    answer = answer_question(
        "What is the approximate standard deviation of the noise around the sine wave?",
        ["0.1", "1.0", "3.0"],
        [x],
    )
    assert answer.option == "1.0"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which series oscillates faster?", "Series 2"),
        ("Which series has the shorter period?", "Series 2"),
        ("Which series has the longer period?", "Series 1"),
    ],
)
def test_comparisons_of_pace_and_of_the_smaller_value(question: str, expected: str) -> None:
    slow = np.sin(2 * np.pi * T / 40) + _noise(0.1, 1)
    fast = 0.8 * np.sin(2 * np.pi * T / 12) + _noise(0.1, 2)
    assert answer_question(question, ["Series 1", "Series 2"], [slow, fast]).option == expected


DEV_SET = Path(__file__).parent / "data" / "exam_dev" / "exam_dev.json"


def test_the_development_set_stays_above_its_floor() -> None:
    """68 seeded questions worded unlike the exam's (tests/data/exam_dev/make_exam_dev.py):
    65 were answered right when this floor was set."""
    documents = read_questions(DEV_SET).documents
    scores = score_answers(documents, answer_exam(documents))
    assert scores["overall"].total == 68
    assert scores["overall"].correct >= 62
    assert all(s.accuracy >= 0.8 for s in scores.values())
