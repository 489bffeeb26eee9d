"""Anomaly questions on series with missing steps: evidence from observed steps only, a gap never
itself an anomaly, and the rationale naming a gap where the answer depends on it."""

from __future__ import annotations

import numpy as np
import pytest

from moesaic.reports.exam import answer_question
from moesaic.reports.exam.anomaly import inspect
from moesaic.reports.exam.gaps import describe, gap_spans

N = 256
T = np.arange(N, dtype=float)
WHERE = "In which part of the time series does the anomaly occur?"
PARTS = ["Beginning", "Middle", "End"]
ANY = "Is the given time series likely to have an anomaly?"
YES_NO = ["No", "Yes, cutoff: the pattern of time series disappeared for certain point in time"]


def _sine(seed: int = 0) -> np.ndarray:
    return np.sin(2 * np.pi * T / 32) + 0.05 * np.random.default_rng(seed).standard_normal(N)


def test_a_spike_just_beside_a_gap_is_located_at_its_observed_step() -> None:
    x = _sine()
    x[40] = 6.0
    x[41:60] = np.nan  # interpolated, the spike became a 20-step ramp read as a flip mid-series
    evidence = inspect(x)
    assert evidence.best() == "spike"
    assert evidence.where["spike"] * N == pytest.approx(40)
    answer = answer_question(WHERE, PARTS, [x])
    assert answer.option == "Beginning"
    assert "the anomaly borders missing steps 41-59" in answer.rationale


def test_a_gap_where_the_anomaly_would_be_is_not_read_as_one_and_is_named() -> None:
    x = _sine()
    x[120:150] = 0.0  # a cutoff, entirely inside the gap below
    x[110:160] = np.nan  # interpolated, a ramp read as a change of scale
    evidence = inspect(x)
    assert evidence.best() == "none" and not evidence.where and evidence.gaps == ((110, 160),)
    answer = answer_question(WHERE, PARTS, [x])
    assert "no anomaly in the observed steps: it may lie in missing steps 110-159" in answer.rationale
    answer = answer_question(ANY, YES_NO, [x])
    assert answer.option == "No"
    assert "one could lie in missing steps 110-159" in answer.rationale


@pytest.mark.parametrize("gap", [slice(0, 40), slice(110, 160), slice(210, N)])
def test_a_long_gap_in_a_normal_series_is_no_anomaly(gap: slice) -> None:
    x = _sine()
    x[gap] = np.nan  # filled, a gap at either end was a flat run: a cutoff
    scores = inspect(x).scores
    assert scores["none"] == 0.8 and scores["cutoff"] == scores["scale"] == 0.0
    answer = answer_question(ANY, YES_NO, [x])
    assert answer.option == "No"
    assert "missing values left out of the anomaly evidence" in answer.rationale


def test_an_observed_anomaly_away_from_a_gap_is_still_found() -> None:
    x = _sine()
    x[200:230] = 0.0  # a cutoff near the end
    x[40:60] = np.nan
    evidence = inspect(x)
    assert evidence.best() == "cutoff" and 200 <= evidence.where["cutoff"] * N < 230
    assert answer_question(ANY, YES_NO, [x]).option == YES_NO[1]


def test_gap_spans_are_described_inclusively() -> None:
    missing = np.zeros(20, dtype=bool)
    missing[[3, 10, 11, 12, 19]] = True
    spans = gap_spans(missing)
    assert spans == [(3, 4), (10, 13), (19, 20)]
    assert describe(spans) == "steps 3 and 10-12 and 19"
    assert describe([(5, 6)]) == "step 5"
