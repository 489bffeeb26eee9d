"""Healthy baselines, departures from the unmoved channels, plateaued onsets, and channel models that
read the fault classifier's answer (moesaic.reports.diagnose), on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moesaic.reports.diagnose.channels import ChannelModel
from moesaic.reports.diagnose.claims import Diagnosis, Report
from moesaic.reports.diagnose.episodes import AFTER_FAULT, healthy_baseline, healthy_history, read_from
from moesaic.reports.diagnose.faults import (
    NORMAL,
    FaultClassifier,
    FaultPrediction,
    Window,
    robust_departures,
)
from moesaic.reports.diagnose.hinge import hinge_onset
from moesaic.reports.diagnose.onset import (
    departure,
    estimate_onset,
    load_departures,
    shape_onset,
)

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2024-06-01")


def test_the_baseline_is_the_fortnight_before_the_window_without_known_faults() -> None:
    assert healthy_baseline(START, []) == (START - 14 * DAY, START)
    # A fault that ended 6 days before: the baseline starts after it (and its lingering effects).
    assert healthy_baseline(START, [(START - 20 * DAY, START - 6 * DAY)]) == (
        START - 6 * DAY + AFTER_FAULT,
        START,
    )


def test_the_baseline_steps_back_past_a_fault_that_leaves_too_little_before_the_window() -> None:
    # Healthy only one day before the window: take the fortnight before that fault instead.
    b0, b1 = healthy_baseline(START, [(START - 20 * DAY, START - DAY)])
    assert (b0, b1) == (START - 34 * DAY, START - 20 * DAY)
    # A fault still running at the window start is stepped over too.
    assert healthy_baseline(START, [(START - 20 * DAY, START + DAY)])[1] == START - 20 * DAY
    # Faults all the way back: the plain fortnight, faults and all.
    assert healthy_baseline(START, [(START - 200 * DAY, START + DAY)]) == (START - 14 * DAY, START)


def test_the_onset_history_joins_the_latest_healthy_stretches_between_known_faults() -> None:
    assert healthy_history(START, []) == [(START - 63 * DAY, START)]
    busy = [
        (START - 10 * DAY, START - 8 * DAY),
        (START - 9 * DAY - pd.Timedelta(hours=12), START - 9 * DAY),  # inside the first
        (START - 40 * DAY, START - 20 * DAY),
        (START - 48 * DAY, START - 40 * DAY - pd.Timedelta(hours=20)),  # leaves a gap shorter than a day
    ]
    spans = healthy_history(START, busy, days=30)
    # Latest first: the 7.5 days after the first fault, the 9.5 days between it and the third, then
    # the stretch before the fourth cut to make 30 days; the 8-hour gap is skipped.
    after = START - 8 * DAY + AFTER_FAULT
    middle = (START - 20 * DAY + AFTER_FAULT, START - 10 * DAY)
    assert spans[-1] == (after, START) and spans[-2] == middle
    total = sum((b - a for a, b in spans), pd.Timedelta(0))
    assert total == 30 * DAY and spans[0][1] == START - 48 * DAY and len(spans) == 3
    # A fault still running at the window start ends the history before it; the lookback bounds it.
    assert healthy_history(START, [(START - 5 * DAY, START + DAY)], days=63)[-1][1] == START - 5 * DAY
    assert healthy_history(START, [], days=63, lookback_days=20) == [(START - 20 * DAY, START)]
    assert healthy_history(START, [(START - 200 * DAY, START + DAY)]) == []


def test_readings_count_from_after_a_known_fault_still_running_at_the_window_start() -> None:
    busy = [(START - 5 * DAY, START + 2 * DAY)]
    assert read_from(START, START + 10 * DAY, busy) == START + 2 * DAY + AFTER_FAULT
    assert read_from(START, START + 2 * DAY, busy) == START  # less than a day would be left
    assert read_from(START, START + 10 * DAY, [(START - 9 * DAY, START - 2 * DAY)]) == START


def _plant(rng: np.random.Generator, T: int) -> np.ndarray:
    """(T, 3) readings driven by one load: flow, current and vibration, all far from zero."""
    load = 0.8 + 0.2 * np.sin(np.arange(T) / 7.0) + 0.05 * rng.standard_normal(T)
    noise = 0.01 * rng.standard_normal((T, 3))
    return np.stack([100 * load, 30 + 50 * load, 1.2 + 1.0 * load], axis=1) * (1 + noise)


def test_a_fault_that_scales_a_reading_departs_as_a_ramp_whatever_the_load() -> None:
    rng = np.random.default_rng(0)
    baseline, values = _plant(rng, 300), _plant(rng, 200)
    ramp = np.clip((np.arange(200) - 80) / 100.0, 0.0, None)
    values[:, 2] *= 1 + ramp  # the vibration doubles over 100 steps from step 80
    dep_w, dep_b = load_departures(values, baseline, [2])
    assert dep_w.shape == (200, 1) and dep_b.shape == (300, 1)
    assert np.abs(dep_w[:80, 0]).max() < 0.1  # load swings drop out
    assert np.allclose(dep_w[100:, 0], ramp[100:], atol=0.1)
    at = estimate_onset(values, baseline, [2], "ramp1", smooth=5)
    assert at is not None and abs(at - 80) <= 5


def test_the_hinge_fit_places_a_ramp_that_stops_growing_at_its_start() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(400, dtype=float)
    y = np.clip(t - 150, 0, 60) ** 1.5 + 5.0 * rng.standard_normal(400)  # grows 60 steps, then flat
    assert abs(hinge_onset(y, (1.5,)) - 150) <= 6


def test_robust_departures_keep_both_channels_of_a_two_channel_fault() -> None:
    rng = np.random.default_rng(2)
    baseline = np.concatenate([_plant(rng, 300), _plant(rng, 300)], axis=1)  # six load-driven channels
    values = np.concatenate([_plant(rng, 200), _plant(rng, 200)], axis=1)
    values[100:, 2] *= 1.5
    values[100:, 5] *= 1.3
    departures, suspects = robust_departures(values, baseline)
    # A channel predicted from a moved one departs too at first; it may be a suspect, never a victim.
    assert {2, 5} <= set(suspects)
    late = np.median(departures[150:], axis=0)
    assert late[2] > 10 and late[5] > 10 and np.abs(np.delete(late, [2, 5])).max() < 3


def _windows(rng: np.random.Generator, n: int) -> tuple[list[Window], list[tuple[str, ...]], np.ndarray]:
    """Windows where channel a or b jumps; the fault class says which one (and the rows alone cannot)."""
    windows, touched, probabilities = [], [], []
    for i in range(n):
        baseline, values = rng.standard_normal((96, 2)), rng.standard_normal((48, 2))
        values[10:, :] += 6.0  # both channels move; only the class says which one the fault touched
        name = "a" if i % 2 == 0 else "b"
        windows.append(Window(values, baseline, ("a", "b"), "pump", 24.0))
        touched.append((name,))
        probabilities.append([0.9, 0.1] if name == "a" else [0.1, 0.9])
    return windows, touched, np.array(probabilities)


def test_a_channel_model_with_class_probabilities_cites_the_channels_of_that_fault() -> None:
    rng = np.random.default_rng(3)
    windows, touched, probabilities = _windows(rng, 40)
    classes = ("fault_a", "fault_b")
    model = ChannelModel(num_trees=30).fit(windows, touched, probabilities=probabilities, classes=classes)
    window = _windows(rng, 1)[0][0]
    says_a = FaultPrediction("fault_a", 0.9, (("fault_a", 0.9), ("fault_b", 0.1)))
    says_b = FaultPrediction("fault_b", 0.9, (("fault_b", 0.9), ("fault_a", 0.1)))
    for says, channel in ((says_a, 0), (says_b, 1)):
        proba = model.probability(window, says)
        assert proba[channel] > 0.5 > proba[1 - channel]
        assert model.moved(window, says)[channel]
    with pytest.raises(ValueError, match="pass `fault`"):
        model.moved(window)
    with pytest.raises(ValueError, match="probabilities must have shape"):
        ChannelModel().fit(windows, touched, probabilities=probabilities[:, :1], classes=classes)


def test_held_out_probabilities_are_one_row_per_training_window() -> None:
    rng = np.random.default_rng(4)
    windows = _windows(rng, 30)[0]
    labels = [NORMAL if i % 3 == 0 else "jump" for i in range(30)]
    clf = FaultClassifier(num_trees=25).fit(windows, labels)
    oob = clf.held_out_probabilities()
    assert oob.shape == (30, 2) and np.all((oob >= 0) & (oob <= 1))


def test_the_report_json_keeps_the_baseline_it_compared_with() -> None:
    d = Diagnosis(
        "P-1", START, START + DAY, None, None, (), None, True, "normal", START - 30 * DAY, START - 16 * DAY
    )
    again = Report.from_json(Report(d, ()).to_json()).diagnosis
    assert (again.baseline_start, again.baseline_end) == (START - 30 * DAY, START - 16 * DAY)


def test_a_change_that_follows_the_load_is_placed_by_the_load_ramp() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(600, dtype=float)
    load = 1.0 + 0.5 * np.sign(np.sin(t / 40.0))  # regimes switching every ~125 steps
    y = np.clip(t - 200, 0, None) / 100 * load**2 + 0.1 * rng.standard_normal(600)
    assert abs(hinge_onset(y, (1.0,), modulation=load) - 200) <= 6
    assert abs(hinge_onset(y, (1.0,)) - 200) > 50  # read as a plain ramp, the regimes mislead it
    with pytest.raises(ValueError, match="needs the load curve"):
        shape_onset(y, "load-ramp1")


def test_a_frozen_run_is_not_cut_by_missing_readings() -> None:
    x = np.arange(60, dtype=float)[:, None]
    x[20:, 0] = 7.0  # stuck from step 20 on
    x[30:33, 0] = np.nan  # the logger lost three readings
    assert estimate_onset(x, np.arange(40, dtype=float)[:, None], [0], "frozen") == 20


def test_a_channel_that_barely_moved_weighs_little_in_the_departure() -> None:
    rng = np.random.default_rng(6)
    res_b = rng.standard_normal((200, 2))
    res_w = rng.standard_normal((90, 2))
    res_w[30:, 0] += 20.0  # channel 0 jumps 20 spreads; channel 1 only adds noise
    y = departure(res_w, res_b)
    assert np.median(y[40:]) > 15 and abs(np.median(y[:25])) < 1
