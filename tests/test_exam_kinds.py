"""Question kinds once missed (tests/data/exam_kinds): structural breaks, where the mean shifts,
lag-1 dependence in plain words, seasonality that grows with the level, a change of slope,
pink noise, the signal-to-noise ratio, and the frequency and phase of two cycles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moesaic.reports.exam import answer_exam, answer_question, score_answers
from moesaic.reports.exam.noise import claims_high_snr
from moesaic.reports.exam.parse import read_choice
from moesaic.reports.exam.phases import claims_in_phase, claims_same
from moesaic.reports.exam.questions import read_questions
from moesaic.reports.exam.shifts import change_test, claims_change

N = 160
T = np.arange(N, dtype=float)


def _noise(scale: float = 1.0, seed: int = 0, n: int = N) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal(n)


def _coloured(exponent: float, seed: int = 0, n: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n)
    spec = rng.normal(size=f.size) + 1j * rng.normal(size=f.size)
    spec[1:] /= f[1:] ** (exponent / 2)
    spec[0] = 0
    return np.fft.irfft(spec, n)


def _expect(question: str, options: list[str], series: list[np.ndarray], topic: str, option: str) -> None:
    answer = answer_question(question, options, series)
    assert (answer.topic, answer.option) == (topic, option)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (_noise() + 3.0 * (T >= 90), "Yes"),
        (_noise(), "No"),
        (0.05 * T + _noise(), "No"),  # a trend is no break
    ],
)
def test_a_structural_break_is_a_shift_of_the_mean_over_a_line(x: np.ndarray, expected: str) -> None:
    _expect("Is there a structural break in this series?", ["Yes", "No"], [x], "break_presence", expected)


def test_the_break_test_keeps_its_level_on_noise() -> None:
    assert sum(change_test(_noise(seed=s), "step").significant() for s in range(40)) <= 4


def test_thirds_are_places() -> None:
    assert "beginning" in read_choice("In the first third of the series").terms
    assert "end" in read_choice("In the last third").terms


PLACES = ["In the first third", "Around the middle", "In the last third"]


@pytest.mark.parametrize(("at", "expected"), [(30, 0), (80, 1), (130, 2)])
def test_where_the_mean_shifts(at: int, expected: int) -> None:
    x = _noise(0.7) + 3.0 * (at <= T)
    _expect(
        "The mean of the series jumps once. Where does it change?",
        PLACES,
        [x],
        "change_location",
        PLACES[expected],
    )


LAG_ONE = ["Positively autocorrelated", "Negatively autocorrelated (alternating)", "Uncorrelated"]


@pytest.mark.parametrize(("phi", "expected"), [(0.8, 0), (-0.8, 1), (0.0, 2)])
def test_consecutive_values_ask_for_the_lag_one_autocorrelation(phi: float, expected: int) -> None:
    e = _noise(seed=3)
    x = np.zeros(N)
    for t in range(1, N):
        x[t] = phi * x[t - 1] + e[t]
    _expect("How is each value related to the next one?", LAG_ONE, [x], "acf_sign", LAG_ONE[expected])


@pytest.mark.parametrize(("multiplicative", "expected"), [(True, "Multiplicative"), (False, "Additive")])
def test_seasonal_swings_that_grow_with_a_modest_level(multiplicative: bool, expected: str) -> None:
    level = 12 + 0.04 * T  # the level grows by half: a proportional cycle grows by half too
    season = np.sin(2 * np.pi * T / 16)
    x = (level * (1 + 0.5 * season) if multiplicative else level + 3 * season) + _noise(0.15)
    question = "Does the size of the seasonal swings scale with the level of the series?"
    assert answer_question(question, ["Additive", "Multiplicative"], [x]).option == expected


def test_claims_about_the_slope() -> None:
    assert claims_change("The slope changes partway through") is True
    assert claims_change("The slope stays the same") is False
    assert claims_change("A single line, no change") is False
    assert claims_change("Upward") is None


SLOPES = ["The slope stays the same", "The slope changes partway through"]


@pytest.mark.parametrize(("kink", "expected"), [(True, 1), (False, 0)])
def test_a_change_of_slope_without_reversal(kink: bool, expected: int) -> None:
    x = 0.05 * T + _noise(0.4) + (0.15 * np.maximum(T - 80, 0) if kink else 0)
    _expect(
        "Does the slope of the trend change at some point?", SLOPES, [x], "slope_change", SLOPES[expected]
    )
    constant = answer_question("Is the slope of the trend constant?", ["Yes", "No"], [x])
    assert constant.option == ("No" if kink else "Yes")


def test_noise_colours_are_read() -> None:
    assert read_choice("Pink (1/f)").terms == ("pink",)
    assert read_choice("Red").terms == ("red",)
    assert read_choice("Brown noise (1/f^2)").terms[0] == "red"


COLOURS = ["White", "Pink", "Red"]


@pytest.mark.parametrize(("exponent", "expected"), [(0.0, 0), (1.0, 1), (2.0, 2)])
def test_pink_noise_sits_between_white_and_red(exponent: float, expected: int) -> None:
    _expect(
        "Which kind of noise is this?",
        COLOURS,
        [_coloured(exponent, seed=5)],
        "noise_type",
        COLOURS[expected],
    )


def test_claims_about_the_signal_to_noise_ratio() -> None:
    assert claims_high_snr("High SNR") is True
    assert claims_high_snr("Low signal-to-noise ratio: the noise dominates") is False
    assert claims_high_snr("The noise dominates the signal") is False
    assert claims_high_snr("The signal is weak compared with the noise") is False
    assert claims_high_snr("Noise is small relative to the signal") is True


SNR = ["High signal-to-noise ratio", "Low signal-to-noise ratio"]


@pytest.mark.parametrize(("noise", "expected"), [(0.2, 0), (4.0, 1)])
def test_the_signal_to_noise_ratio_of_a_sine(noise: float, expected: int) -> None:
    x = 2 * np.sin(2 * np.pi * T / 32) + _noise(noise)
    _expect("Is the signal-to-noise ratio of this sine high or low?", SNR, [x], "snr", SNR[expected])


def test_claims_about_two_rhythms() -> None:
    assert claims_same("Different frequencies") is False
    assert claims_same("Same period") is True
    assert claims_in_phase("Anti-phase: one peaks when the other troughs") is False
    assert claims_in_phase("In phase: they peak together") is True


def _sine(period: float, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.sin(2 * np.pi * T / period + shift) + _noise(0.1, seed)


FREQUENCIES = ["Same frequency", "Different frequencies"]


@pytest.mark.parametrize(("period", "expected"), [(32.0, 0), (10.0, 1)])
def test_two_cycles_share_a_frequency_or_not(period: float, expected: int) -> None:
    pair = [_sine(32.0), _sine(period, 1.0, seed=1)]
    question = "Which statement about the frequencies of the two cycles is correct?"
    _expect(question, FREQUENCIES, pair, "frequency_same", FREQUENCIES[expected])


PHASES = ["In phase: they peak together", "Anti-phase: one peaks when the other troughs"]


@pytest.mark.parametrize(("shift", "expected"), [(0.0, 0), (np.pi, 1)])
def test_two_cycles_in_phase_or_in_anti_phase(shift: float, expected: int) -> None:
    pair = [_sine(32.0), _sine(32.0, shift, seed=1)]
    _expect("How are the phases of the two series related?", PHASES, pair, "phase", PHASES[expected])
    together = answer_question("Do the two series peak together?", ["Yes", "No"], pair)
    assert together.option == ("Yes" if expected == 0 else "No")


KINDS_SET = Path(__file__).parent / "data" / "exam_kinds" / "exam_kinds.json"


def test_the_kinds_set_stays_above_its_floor() -> None:
    """54 seeded questions, six per kind (tests/data/exam_kinds/make_exam_kinds.py): 24 were
    answered right before these solvers, 54 when this floor was set."""
    documents = read_questions(KINDS_SET).documents
    scores = score_answers(documents, answer_exam(documents))
    assert scores["overall"].total == 54
    assert scores["overall"].correct >= 51
