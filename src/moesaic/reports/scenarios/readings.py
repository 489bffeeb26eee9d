"""What a window's readings say, for the scenarios of a window that holds no order or event.

The wear of a bearing starts weeks before anyone writes an order; a window of those weeks holds
no record to read the situation from, but the asset's series do. :func:`read_diagnosis` reads
them with the diagnostic report (:func:`moesaic.reports.diagnose.diagnose`) and says what it
found as a :class:`~moesaic.reports.scenarios.planner.SeriesReading`: a probable fault in words
(its type, confidence, channels and onset), a calm window, or why it cannot tell.

Example:
    >>> with KnowledgeBase.open("kb") as kb:
    ...     plan = plan_scenarios(kb, asset_id="AC-01", window=(t0, t1), read_series=read_diagnosis(kb))
"""

from __future__ import annotations

import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.reports.diagnose import Diagnosis, EvidenceError, diagnose
from moesaic.reports.diagnose.forms import LOOKS_NORMAL
from moesaic.reports.scenarios.planner import ReadSeries, SeriesReading

SOURCE = "the diagnosis of its series"


def reading_of(diagnosis: Diagnosis) -> SeriesReading:
    """What ``diagnosis`` says of its window, in the words of a situation."""
    span = f"{diagnosis.start:%Y-%m-%d %H:%M} to {diagnosis.end:%Y-%m-%d %H:%M}".replace(" 00:00", "")
    if diagnosis.abstained or diagnosis.fault_type is None:
        # a report's reason points at its evidence "(below)"; here that is `moesaic report`'s
        reason = (diagnosis.reason or "no fault claimed").replace("(below)", "(`moesaic report` lists them)")
        return SeriesReading("", diagnosis.reason == LOOKS_NORMAL, reason, SOURCE)
    confidence = "" if diagnosis.confidence is None else f" (confidence {diagnosis.confidence:.2f})"
    channels = f" on {', '.join(diagnosis.channels)}" if diagnosis.channels else ""
    onset = "" if diagnosis.onset is None else f", from {diagnosis.onset:%Y-%m-%d %H:%M}"
    fault = diagnosis.fault_type.replace("_", " ")
    return SeriesReading(f"readings {span}: probable {fault}{confidence}{channels}{onset}", False, "", SOURCE)


def read_diagnosis(kb: KnowledgeBase) -> ReadSeries:
    """A reader of the series of ``kb`` by the diagnostic report (fitting its models on a first
    run: see ``moesaic report``); an asset without series, or too few readings, cannot tell."""

    def read(asset_id: str, start: pd.Timestamp, end: pd.Timestamp) -> SeriesReading:
        try:
            report = diagnose(kb, asset_id, start, end, panels=False)
        except EvidenceError as err:
            return SeriesReading("", False, str(err), SOURCE)
        return reading_of(report.diagnosis)

    return read
