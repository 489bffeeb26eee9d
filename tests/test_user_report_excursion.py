"""A short excursion inside the window is described with recomputable numbers, never "no marked change".

User test items 4 and 23: a channel +12 for 30 of 96 hours was reported as "No marked change" (a
median over the window hides it) beside the detector's long alarms, and an abstaining report had
an empty "Probable causes" heading.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from moesaic.reports.diagnose import MemoryBase, Report, diagnose, render, verify_report
from moesaic.reports.diagnose.claims import Diagnosis, RecordCitation, Sentence, SeriesCitation
from moesaic.reports.diagnose.compose import compose
from moesaic.reports.diagnose.evidence import ChannelChange, DetectorFinding, Evidence
from moesaic.reports.diagnose.faults import NORMAL, FaultPrediction
from moesaic.reports.diagnose.forms import UNKNOWN_BUT_DEPARTS, fill
from moesaic.reports.diagnose.recompute import WindowReader, recompute
from moesaic.reports.diagnose.stats import (
    STATISTICS,
    Excursion,
    excursion,
    level_held,
    level_spread,
    running_median,
)


def _step(start: int, hours: int, height: float, *, length: int = 96, seed: int = 0) -> np.ndarray:
    """Hourly readings around 2.0 (noise 0.1) with ``height`` added over ``[start, start + hours)``."""
    x = 2.0 + 0.1 * np.random.default_rng(seed).standard_normal(length)
    x[start : start + hours] += height
    return x


BASELINE = _step(0, 0, 0.0, length=336, seed=1)  # a fortnight of hourly readings, no step


def test_a_short_step_is_an_excursion_with_its_exact_bounds_and_mean() -> None:
    x = _step(30, 36, 3.0)
    found = excursion(x, BASELINE, 24.0)
    assert found is not None and (found.first, found.last) == (30, 65)
    assert found.mean == pytest.approx(float(np.mean(x[30:66])))
    assert STATISTICS["excursion_mean"](x, BASELINE, 24.0) == found.mean
    # the median of the window barely moves: what hid the step
    assert abs(STATISTICS["change_percent"](x, BASELINE, 24.0)) < 10.0


def test_noise_a_spike_or_a_stretch_shorter_than_three_hours_is_no_excursion() -> None:
    assert excursion(_step(0, 0, 0.0), BASELINE, 24.0) is None
    spiked = _step(0, 0, 0.0)
    spiked[40] = 9.0
    assert excursion(spiked, BASELINE, 24.0) is None
    assert excursion(_step(40, 2, 3.0), BASELINE, 24.0) is None
    assert excursion(_step(40, 3, 3.0), BASELINE, 24.0) is not None
    assert np.isnan(STATISTICS["excursion_mean"](_step(0, 0, 0.0), BASELINE, 24.0))


def test_the_strongest_of_two_stretches_is_the_excursion_and_a_drop_counts_too() -> None:
    x = _step(10, 5, 2.0)
    x[50:80] -= 3.0
    assert excursion(x, BASELINE, 24.0) == Excursion(50, 79, float(np.mean(x[50:80])))


def test_the_baseline_spread_is_the_robust_spread_of_the_readings() -> None:
    b = np.array([1.0, 2.0, 3.0, 4.0, 100.0, np.nan])
    assert level_spread(b) == pytest.approx(1.4826 * 1.0)  # MAD of 1, 2, 3, 4, 100 about 3
    assert STATISTICS["baseline_spread"](np.zeros(3), b, 24.0) == level_spread(b)


def test_the_running_median_takes_the_observed_readings_of_each_window() -> None:
    x = np.array([1.0, np.nan, 3.0, 10.0, 2.0])
    assert running_median(x, 3).tolist() == [1.0, 2.0, 6.5, 3.0, 6.0]
    assert np.isnan(running_median(np.full(3, np.nan), 3)).all()


# ------------------------------------------------------------------ composing


def _evidence(changes: tuple[ChannelChange, ...], alarm_hours: float) -> Evidence:
    start, end = pd.Timestamp("2024-02-16"), pd.Timestamp("2024-02-20")
    return Evidence(
        asset_id="site:C-201", asset_type="compressor", start=start, end=end,
        baseline_start=start - pd.Timedelta(days=14), baseline_end=start, read_from=start, after_fault="",
        steps_per_day=24.0, changes=changes,
        detector=DetectorFinding("pca", 3.4, alarm_hours, start if alarm_hours else None, 3009.0),
        fault=FaultPrediction(NORMAL, 0.99, ((NORMAL, 0.99), ("seal_leak", 0.01))),
        onset=None, onset_shape="", outlook=None, episodes=(), fmea=(), work_orders=(), alarms=(),
        problems=(),
    )  # fmt: skip


def _change(channel: str, stretch: tuple[str, str] | None) -> ChannelChange:
    values = {name: 1.0 for name in STATISTICS}
    values.update(excursion_mean=82.0, median=70.2, baseline_median=70.0, baseline_spread=0.47)
    bounds = None if stretch is None else (pd.Timestamp(stretch[0]), pd.Timestamp(stretch[1]))
    return ChannelChange(channel, "degC", values, 0.5, False, bounds)


def test_an_unmoved_channel_with_an_excursion_is_described_and_not_called_unchanged() -> None:
    changes = (_change("oil_temp", ("2024-02-17 16:00", "2024-02-18 21:00")), _change("pressure", None))
    diagnosis, sentences = compose(_evidence(changes, alarm_hours=51.0))
    texts = [s.text for s in sentences if s.section == "evidence"]
    assert (
        "oil_temp left its baseline level from 2024-02-17 16:00 to 2024-02-18 21:00: a mean of 82.0 degC "
        "there against a baseline median of 70.0 degC (spread 0.47 degC)."
    ) in texts
    assert "No marked change on pressure." in texts
    said = next(s for s in sentences if "left its baseline level" in s.text)
    assert [q.statistic for q in said.quantities] == [
        "excursion_start",
        "excursion_end",
        "excursion_mean",
        "baseline_median",
        "baseline_spread",
    ]
    assert all(q.source.channel == "oil_temp" for q in said.quantities)
    assert diagnosis.abstained


def test_all_channels_still_beside_long_alarms_says_where_the_alarms_come_from() -> None:
    changes = (_change("oil_temp", None), _change("pressure", None))
    _, alarmed = compose(_evidence(changes, alarm_hours=51.0))
    text = next(s.text for s in alarmed if "marked change" in s.text)
    assert text == fill("no_change_alarmed", channels="oil_temp, pressure")
    assert "detector's alarms above come from smaller or joint departures" in text
    _, quiet = compose(_evidence(changes, alarm_hours=0.0))
    assert "No marked change on oil_temp, pressure." in [s.text for s in quiet]


def test_an_excursion_without_alarms_is_not_a_window_that_looks_normal() -> None:
    changes = (_change("oil_temp", ("2024-02-17 16:00", "2024-02-18 21:00")),)
    diagnosis, sentences = compose(_evidence(changes, alarm_hours=0.0))
    assert diagnosis.reason == UNKNOWN_BUT_DEPARTS
    assert "looks normal" not in " ".join(s.text for s in sentences)


def test_markdown_and_html_leave_out_a_heading_whose_section_is_empty() -> None:
    changes = (_change("pressure", None),)
    diagnosis, sentences = compose(_evidence(changes, alarm_hours=0.0))
    report = Report(diagnosis, sentences)
    assert not report.section("causes")
    md = render(report, "md")
    assert "## Probable causes" not in md and "## Summary" in md and "## Evidence" in md
    assert "Probable causes" not in render(report, "html")
    lone = Report(
        Diagnosis(
            "site:C-201", pd.Timestamp("2024-02-16"), pd.Timestamp("2024-02-20"), None, None, (), None, True
        ),
        (
            Sentence(
                "summary", "No diagnosis for C-201: x.", citations=(RecordCitation("assets", "site:C-201"),)
            ),
        ),
    )
    assert [line for line in render(lone, "md").splitlines() if line.startswith("## ")] == ["## Summary"]


# ------------------------------------------------------------------ end to end on a small plant


@pytest.fixture(scope="module")
def stepped(small_diagnosed_plant: dict[str, Any]) -> dict[str, Any]:
    """The small plant with a +20-spread step for 30 hours inside a fault-free request's window, on
    a channel the plain report calls unchanged; the report on that window."""
    p = small_diagnosed_plant
    data, base = p["data"], MemoryBase(p["data"])
    kw = {"classifier": p["classifier"], "channel_model": p["channels"], "onset_shapes": {}, "panels": False}
    for request in (r for r in p["requests"] if r.label == NORMAL):
        plain = diagnose(base, request.asset_id, request.start, request.end, **kw)
        still = [s for s in plain.sentences if s.text.startswith("No marked change on ")]
        cited = still[0].citations[0] if still else None
        if isinstance(cited, SeriesCitation) and cited.end - cited.start >= pd.Timedelta(hours=72):
            break
    else:
        raise AssertionError("no 3-day fault-free report of the small plant says 'No marked change'")
    channel, d = cited.channel, plain.diagnosis
    assert d.baseline_start is not None and d.baseline_end is not None
    series = max((s for s in data.series if s.asset_id == request.asset_id), key=lambda s: s.length)
    c = series.channels.index(channel)
    in_baseline = (series.time >= np.datetime64(d.baseline_start)) & (
        series.time < np.datetime64(d.baseline_end)
    )
    readings = series.values[in_baseline, c]
    height = 20.0 * level_spread(readings[series.observed[in_baseline, c]])
    first = int(np.searchsorted(series.time, np.datetime64(cited.start + pd.Timedelta(hours=30))))
    values = series.values.copy()
    values[first : first + 30, c] += height
    changed = dataclasses.replace(series, values=values)
    data = dataclasses.replace(data, series=tuple(changed if s is series else s for s in data.series))
    report = diagnose(MemoryBase(data), request.asset_id, request.start, request.end, **kw)
    times = (pd.Timestamp(series.time[first]), pd.Timestamp(series.time[first + 29]))
    return {"data": data, "report": report, "channel": channel, "times": times, "classifier": p["classifier"]}


def test_a_step_injected_into_a_still_channel_is_reported_with_its_bounds(stepped: dict[str, Any]) -> None:
    report, channel = stepped["report"], stepped["channel"]
    start, end = (t.strftime("%Y-%m-%d %H:%M") for t in stepped["times"])
    said = [s.text for s in report.sentences if s.text.startswith(f"{channel} left its baseline level")]
    assert said and f"from {start} to {end}:" in said[0], [s.text for s in report.sentences]
    for s in report.sentences:
        if s.text.startswith("No marked change"):
            assert channel not in s.text.split(" on ", 1)[1].rstrip(".").split(", ")
    again = verify_report(
        Report.from_json(json.loads(json.dumps(report.to_json()))),
        MemoryBase(stepped["data"]),
        classifier=stepped["classifier"],
    )
    assert again.kept == again.sentences == len(report.sentences) and not again.failed
    assert again.numbers_ok == again.numbers


def test_every_excursion_quantity_is_recomputed_from_the_base(stepped: dict[str, Any]) -> None:
    base, classifier = MemoryBase(stepped["data"]), stepped["classifier"]
    said = next(s for s in stepped["report"].sentences if "left its baseline level" in s.text)
    reader = WindowReader(base)
    for q in said.quantities:
        assert recompute(reader, q, classifier) == pytest.approx(q.value), q.statistic
    assert said.quantities[0].value == stepped["times"][0].timestamp()


def test_verify_refuses_no_marked_change_on_a_channel_with_an_excursion(stepped: dict[str, Any]) -> None:
    report, channel = stepped["report"], stepped["channel"]
    said = next(s for s in report.sentences if s.text.startswith(f"{channel} left its baseline level"))
    window = said.citations[0]
    assert isinstance(window, SeriesCitation)
    forged = Sentence("evidence", fill("no_change", channels=channel), citations=(window,))
    draft = dataclasses.replace(report, sentences=(*report.sentences, forged), removed=())
    result = verify_report(draft, MemoryBase(stepped["data"]), classifier=stepped["classifier"])
    assert result.failed == (len(report.sentences),)
    reason = result.report.removed[-1].reason
    assert f"it says no marked change on {channel}, but {channel} leaves its baseline level" in reason


def test_verify_refuses_no_marked_change_on_a_channel_the_diagnosis_reads_as_moved(
    stepped: dict[str, Any],
) -> None:
    # user walkthrough: a channel added to the "No marked change" list (text and citation) passed
    report = stepped["report"]
    still = next(s for s in report.sentences if s.text.startswith("No marked change"))
    channel = next(c.channel for c in still.citations if isinstance(c, SeriesCitation))
    draft = dataclasses.replace(
        report, diagnosis=dataclasses.replace(report.diagnosis, channels=(channel,)), removed=()
    )
    result = verify_report(draft, MemoryBase(stepped["data"]), classifier=stepped["classifier"])
    reasons = " ".join(r.reason for r in result.report.removed)
    assert f"it says no marked change on {channel}, but the diagnosis reads {channel} as moved" in reasons


def test_a_level_moved_by_more_than_a_spread_is_not_called_unchanged() -> None:
    # walk-through: a flow 14 % down for three days, under the 6 spreads of an excursion because of
    # its daily swing, was in "No marked change on ... Flow"
    moved = _change("flow", None)
    moved.values.update(median=703.0, baseline_median=820.0, baseline_spread=60.0)
    _, sentences = compose(_evidence((_change("pressure", None), moved), alarm_hours=0.0))
    still = [s.text for s in sentences if "marked change" in s.text]
    assert still == ["No marked change on pressure."], still
    # nor left out: a fouled condenser's discharge temperature, +12 %, was in no sentence at all
    said = [s.text for s in sentences if s.text.startswith("flow went from a median of 820")]
    assert len(said) == 1 and "to 703 degC in it" in said[0], [s.text for s in sentences]
    nan = float("nan")
    assert level_held(70.2, 70.0, 0.47, nan) and not level_held(703.0, 820.0, 60.0, nan)
    assert not level_held(70.0, 70.0, nan, nan)  # too few readings to say


def _runs(days: int, level: float, *, seed: int) -> np.ndarray:
    """Hourly flow of a pump that runs four hours a night (22-02 h) at ``level`` and stands at 0."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24) % 24
    running = (hours >= 22) | (hours < 2)
    return np.where(running, level + 0.3 * rng.standard_normal(days * 24), 0.0)


def test_a_level_the_baseline_held_is_no_excursion_on_a_machine_that_starts_and_stops() -> None:
    # walk-through: a CIP pump's every night run "left its baseline level" of 0 (spread 0)
    baseline = _runs(14, 30.0, seed=1)
    assert excursion(_runs(4, 31.0, seed=2), baseline, 24.0) is None  # a run a little stronger
    rubbing = _runs(4, 30.0, seed=3)
    rubbing[46:50] += 15.0  # one run at 45: higher than any the baseline held
    found = excursion(rubbing, baseline, 24.0)
    assert found is not None and (found.first, found.last) == (46, 49)


def test_spikes_and_a_held_reading_the_baseline_had_as_well_are_not_evidence() -> None:
    # walk-through: the stopped pump's 11 hours at 0 were "repeated exactly the same reading", its
    # starts "isolated spikes", though the baseline held the same
    def moved(**values: float) -> ChannelChange:
        change = _change("flow", None)
        change.values.update(values)
        return dataclasses.replace(change, moved=True)

    usual = moved(flat_hours=10.8, baseline_flat_hours=11.0, spike_count=113.0, baseline_spike_count=110.0)
    _, sentences = compose(_evidence((usual,), alarm_hours=0.0))
    texts = " ".join(s.text for s in sentences)
    assert "repeated exactly" not in texts and "isolated spikes" not in texts, texts
    stuck = moved(flat_hours=77.7, baseline_flat_hours=2.0, spike_count=40.0, baseline_spike_count=3.0)
    _, sentences = compose(_evidence((stuck,), alarm_hours=0.0))
    texts = " ".join(s.text for s in sentences)
    assert "flow repeated exactly the same reading for 77.7 hours" in texts
    assert "flow holds 40 isolated spikes" in texts, texts
    assert STATISTICS["baseline_flat_hours"](np.zeros(2), np.array([1.0, 2, 2, 2, 3]), 24.0) == 2.0
