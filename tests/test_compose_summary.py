"""The summary sentence of a diagnosis: never "looks normal" beside the detector's own alarms."""

from __future__ import annotations

import pandas as pd
import pytest

from moesaic.reports.diagnose.compose import compose
from moesaic.reports.diagnose.evidence import DetectorFinding, Evidence
from moesaic.reports.diagnose.faults import NORMAL, FaultPrediction


def _evidence(alarm_hours: float, peak: float = 9.0) -> Evidence:
    start, end = pd.Timestamp("2024-02-20"), pd.Timestamp("2024-02-25")
    return Evidence(
        asset_id="site:P-1", asset_type="pump", start=start, end=end,
        baseline_start=start - pd.Timedelta(days=14), baseline_end=start, read_from=start, after_fault="",
        steps_per_day=24.0, changes=(),
        detector=DetectorFinding("zscore", 3.0, alarm_hours, start if alarm_hours else None, peak),
        fault=FaultPrediction(NORMAL, 0.86, ((NORMAL, 0.86), ("bearing_wear", 0.1))),
        onset=None, onset_shape="", outlook=None, episodes=(), fmea=(), work_orders=(), alarms=(),
        problems=(),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "reason"),
    [
        (0.0, "the window looks normal"),
        (135.0, "it matches no known fault type, though the anomaly detector raised alarms"),
    ],
)
def test_the_summary_of_a_normal_class_follows_the_detectors_alarms(hours: float, reason: str) -> None:
    diagnosis, sentences = compose(_evidence(hours))
    summary = next(s for s in sentences if s.section == "summary")
    assert reason in summary.text and "0.86" in summary.text
    assert diagnosis.abstained and reason in diagnosis.reason
    if hours:
        assert "looks normal" not in " ".join(s.text for s in sentences)


@pytest.mark.parametrize(
    ("peak", "said"),
    [
        (
            9.0,
            "raised no alarm (0.000 hours): its score passed the threshold of 3.00 (peak 9.00) for fewer",
        ),
        (2.0, "raised no alarm (0.000 hours); peak score 2.00 against a threshold of 3.00."),
    ],
)
def test_a_quiet_detector_whose_score_passed_the_threshold_says_why_it_raised_no_alarm(
    peak: float, said: str
) -> None:
    # walkthrough: "raised no alarm (0.000 hours); peak score 7.38 against a threshold of 7.31"
    # read as a contradiction
    _, sentences = compose(_evidence(0.0, peak))
    detector = next(s.text for s in sentences if "anomaly detector" in s.text)
    assert said in detector, detector
