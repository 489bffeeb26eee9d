"""Statistics, onset, fault classifier and report JSON of moesaic.reports.diagnose, on hand-made arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from moesaic.encoders import NotFittedError
from moesaic.reports.diagnose.channels import ChannelModel
from moesaic.reports.diagnose.claims import (
    Diagnosis,
    Quantity,
    Quote,
    RecordCitation,
    Report,
    Sentence,
    SeriesCitation,
)
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier
from moesaic.reports.diagnose.hinge import hinge_onset
from moesaic.reports.diagnose.onset import estimate_onset
from moesaic.reports.diagnose.stats import STATISTICS, longest_flat_steps, spike_steps
from moesaic.reports.diagnose.verify import number_text


def test_spike_steps_flags_an_isolated_jump_but_not_a_step() -> None:
    x = np.zeros(20)
    x[5] = 10.0  # a spike
    x[12:] = 10.0  # a step: departs from one neighbour only
    assert np.flatnonzero(spike_steps(x, noise=0.1)).tolist() == [5]


def test_flat_run_and_change_percent_are_hand_computable() -> None:
    x = np.array([1.0, 2.0, 2.0, 2.0, 3.0, np.nan, 3.0])
    assert longest_flat_steps(x) == 3  # 2, 2, 2 (and 3, 3 across the gap is 2)
    hourly = np.r_[np.arange(5.0), np.full(31, 7.0), np.arange(5.0)]
    assert STATISTICS["flat_hours"](hourly, hourly, 24.0) == pytest.approx(30.0)  # 31 readings, 30 h
    window, baseline = np.full(10, 12.0), np.full(10, 10.0)
    assert STATISTICS["change_percent"](window, baseline, 24.0) == pytest.approx(20.0)
    assert STATISTICS["slope_per_day"](np.arange(48, dtype=float), baseline, 24.0) == pytest.approx(24.0)


def test_hinge_onset_finds_the_start_of_a_ramp() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros(300)
    y[120:] = np.arange(180) * 0.05
    y += 0.05 * rng.standard_normal(300)
    assert abs(hinge_onset(y) - 120) <= 8


def test_onset_shapes_spike_and_frozen() -> None:
    rng = np.random.default_rng(1)
    baseline = rng.standard_normal((100, 1))
    values = rng.standard_normal((60, 1))
    values[40, 0] = 30.0
    assert estimate_onset(values, baseline, [0], "spike") == 40
    values[20:35, 0] = values[20, 0]
    assert estimate_onset(values, baseline, [0], "frozen") == 20
    assert estimate_onset(values, baseline, [], "frozen") is None
    with pytest.raises(ValueError, match="`shape` must be one of"):
        estimate_onset(values, baseline, [0], "wobble")


def test_fault_classifier_learns_a_frozen_channel_and_refuses_before_fit(two_channel_window: Any) -> None:
    _window = two_channel_window
    rng = np.random.default_rng(2)
    windows = [_window(rng, stuck=i % 2 == 0) for i in range(40)]
    labels = ["sensor_stuck" if i % 2 == 0 else NORMAL for i in range(40)]
    with pytest.raises(NotFittedError):
        FaultClassifier().predict(windows[0])
    clf = FaultClassifier(num_trees=20).fit(windows, labels)
    tests = [_window(rng, stuck=s) for s in (True, False, True, False)]
    assert [clf.predict(w).label for w in tests] == ["sensor_stuck", NORMAL, "sensor_stuck", NORMAL]
    assert sum(p for _, p in clf.predict(tests[0]).ranked) == pytest.approx(1.0)


def test_report_json_round_trip_keeps_sentences_citations_and_quantities() -> None:
    t0, t1 = pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")
    window = SeriesCitation("P-1", "flow", t0, t1)
    q = Quantity(
        "12.5",
        12.51,
        "median",
        window,
        SeriesCitation("P-1", "flow", t0 - pd.Timedelta(days=3), t0),
        {"x": 1},
        0.05,
    )
    s = Sentence(
        "evidence",
        "flow median {0} m3/h.",
        (q,),
        (window, RecordCitation("assets", "P-1")),
        (Quote("documents", "WO1", "text"),),
    )
    report = Report(Diagnosis("P-1", t0, t1, "seal_leak", 0.8, ("flow",), t0, False), (s,))
    again = Report.from_json(report.to_json())
    assert again.sentences[0].text == "flow median 12.5 m3/h."
    assert again.sentences[0] == s
    assert again.diagnosis == report.diagnosis
    with pytest.raises(ValueError, match="not a moesaic report"):
        Report.from_json({"format": "other"})


def test_number_text_keeps_the_written_precision_and_sign() -> None:
    assert number_text(3.14159, "2.71") == "3.14"
    assert number_text(5.0, "+1.0") == "+5.0"
    assert number_text(-5.0, "+1.0") == "-5.0"
    assert number_text(7.6, "3") == "8"
    assert number_text(3.14159, "123456.0", tolerance=0.005) == "3.14"


def test_channel_model_learns_which_channel_a_fault_moved(two_channel_window: Any) -> None:
    _window = two_channel_window
    rng = np.random.default_rng(3)
    windows = [_window(rng, stuck=i % 2 == 0) for i in range(30)]
    touched = [("b",) if i % 2 == 0 else () for i in range(30)]
    model = ChannelModel(num_trees=20).fit(windows, touched)
    window = _window(rng, stuck=True)
    proba = model.probability(window)
    assert proba.shape == (2,) and proba[1] > 0.5 > proba[0]
    assert model.moved(window).tolist() == [False, True]
    assert 0 < model.threshold_ <= 1
    with pytest.raises(NotFittedError):
        ChannelModel().moved(windows[0])


def test_the_outlook_is_the_seasonal_naive_forecast_of_the_end_of_the_next_day() -> None:
    from moesaic.reports.diagnose.evidence import seasonal_outlook
    from moesaic.tasks.forecast import ForecastConfig, Forecaster

    rng = np.random.default_rng(7)
    values = (20.0 + np.sin(np.arange(24 * 5) * 2 * np.pi / 24))[:, None] + rng.normal(0, 0.1, (120, 1))
    values[-3:, 0] = np.nan  # the last readings are missing: the last one observed stands in
    config = ForecastConfig(
        model="seasonal_naive", context_length=24, horizon=24, seasonal_period=24, val_fraction=0.0
    )
    x = values.astype(np.float32)
    expected = float(Forecaster(config).fit(x).predict(x[-24:]).median[-1, 0])
    outlook = seasonal_outlook(values, 0, "temp", 24.0)
    assert outlook is not None and outlook.hours == 24.0
    assert outlook.median == pytest.approx(expected, rel=1e-6) and outlook.median == float(x[-4, 0])
    assert seasonal_outlook(values[:40], 0, "temp", 24.0) is None  # shorter than two days
    values[-24:, 0] = np.nan
    assert seasonal_outlook(values, 0, "temp", 24.0) is None  # nothing read in the last day
