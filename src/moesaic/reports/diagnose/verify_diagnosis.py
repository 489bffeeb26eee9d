"""A report's ``diagnosis`` block, checked against the sentences the verifier kept.

A program reading a report file takes its diagnosis (asset, fault type, confidence, onset) first,
so the block must say what the verified summary sentence says: the fault type and the confidence
of its ``fault_confidence`` quantity (none when that quantity is the normal class's, or when the
summary failed and was replaced), the onset it prints, and the one asset every sentence cites.
:func:`supported_diagnosis` is the block those sentences support; every field in which a file's
block differs from it is a problem of the report (``moesaic verify`` exits 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from moesaic.reports.diagnose.claims import Diagnosis, RecordCitation, Sentence, SeriesCitation, format_time
from moesaic.reports.diagnose.faults import NORMAL


def supported_diagnosis(
    d: Diagnosis, sentences: Sequence[Sentence], *, written: Sequence[Sentence]
) -> Diagnosis:
    """``d`` with the fault type, confidence, abstention and onset that ``sentences`` (the verified
    ones) state, and the asset that every ``written`` sentence (the file's, verified or not: an
    edited asset fails the sentences about the other) cites; its other fields (window, channels,
    reason, baseline) as they are."""
    assets = {c.asset_id for s in written for c in s.citations if isinstance(c, SeriesCitation)}
    assets |= {
        c.record_id
        for s in written
        for c in s.citations
        if isinstance(c, RecordCitation) and c.table == "assets"
    }
    summary = next((s for s in sentences if s.section == "summary"), None)
    quantities = summary.quantities if summary is not None else ()
    conf = next((q for q in quantities if q.statistic == "fault_confidence"), None)
    fault = None if conf is None else str(conf.params.get("fault_type"))
    fault = None if fault == NORMAL else fault
    onset = next((q for q in quantities if q.statistic == "onset"), None)
    if d.onset is not None and summary is not None and format_time(d.onset) in summary.text:
        at: pd.Timestamp | None = d.onset  # full precision, and an open fault's start the text prints
    else:
        at = None if onset is None else pd.Timestamp(onset.value, unit="s")
    return dataclasses.replace(
        d,
        asset_id=next(iter(assets)) if len(assets) == 1 else d.asset_id,
        fault_type=fault,
        confidence=None if fault is None or conf is None else conf.value,
        abstained=fault is None,
        onset=None if fault is None else at,
    )


def diagnosis_problems(d: Diagnosis, supported: Diagnosis, *, tolerance: float) -> tuple[str, ...]:
    """How the file's block ``d`` differs from the ``supported`` one; a confidence within
    ``tolerance`` (the summary's written one) is the same."""
    problems = []
    if d.asset_id != supported.asset_id:
        problems.append(f"it names asset {d.asset_id!r}; its sentences cite {supported.asset_id!r}")
    if d.fault_type != supported.fault_type or d.abstained != supported.abstained:
        problems.append(
            f"it gives fault type {d.fault_type!r} (abstained: {d.abstained}); the verified summary "
            f"states {supported.fault_type!r}"
        )
    elif supported.confidence is not None and (
        d.confidence is None or abs(d.confidence - supported.confidence) > tolerance
    ):
        problems.append(
            f"it gives confidence {d.confidence}; the verified summary states {supported.confidence:.2f}"
        )
    if supported.fault_type is not None and d.onset != supported.onset:
        said = "none" if supported.onset is None else format_time(supported.onset)
        problems.append(f"it gives onset {d.onset}; the verified summary states {said}")
    return tuple(problems)
