"""A base that labels no fault takes its baseline clear of the corrective work orders.

User walk-through: on a folder of series and work orders only, a window opened five days after a
corrective order ("DE brg temp rising, grease added, monitor") was compared with the fortnight
right before it, which held the rising temperature, and the report said "looks normal (0.99)"
beside a channel at 87.4 against a baseline median of 50.4.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Document, Series
from moesaic.reports.diagnose import MemoryBase, diagnose, verify_report
from moesaic.reports.diagnose.episodes_windows import ORDER_DAYS, healthy_baseline, order_spans
from moesaic.reports.diagnose.history import is_corrective

T = pd.Timestamp


def _order(**fields: Any) -> Document:
    return Document(
        "wo-1", "work_order", "pump seal leaking", asset_id="P-1", time=T("2024-03-01"), fields=fields
    )


def test_corrective_means_a_type_other_than_preventive_or_else_a_failure_code() -> None:
    assert is_corrective(_order(wo_type="CM"))
    assert is_corrective(_order(wo_type="Breakdown", failure_code=""))
    assert not is_corrective(_order(wo_type="PM", failure_code="VIB"))
    assert not is_corrective(_order(wo_type=" preventive "))
    assert is_corrective(_order(failure_code="ELP"))
    assert not is_corrective(_order())
    assert not is_corrective(_order(failure_code="  "))


def test_an_order_spans_a_fortnight_either_side_and_only_orders_before_the_window_count() -> None:
    half = pd.Timedelta(days=ORDER_DAYS)
    times = [T("2024-03-01"), T("2024-03-20"), T("2024-02-01")]
    assert order_spans(times, T("2024-03-10")) == [
        (T("2024-03-01") - half, T("2024-03-01") + half),
        (T("2024-02-01") - half, T("2024-02-01") + half),
    ]


def test_the_baseline_steps_back_past_an_order_the_window_follows_closely() -> None:
    start = T("2024-04-08")
    assert healthy_baseline(start, []) == (T("2024-03-25"), start)
    b0, b1 = healthy_baseline(start, order_spans([T("2024-04-03")], start))
    assert (b0, b1) == (T("2024-03-06"), T("2024-03-20"))


# ------------------------------------------------------------------ end to end on a small plant


@pytest.fixture(scope="module")
def unlabelled(small_diagnosed_plant: dict[str, Any]) -> dict[str, Any]:
    """The small plant without its fault events, and a window opening three days after the first
    corrective order of a fault that runs on past the window."""
    p = small_diagnosed_plant
    data = p["data"]
    faults = [e for e in data.events if e.kind == "fault"]
    orders = [d for d in data.documents if d.kind == "work_order" and d.fields.get("wo_type") == "CM"]
    for e in sorted(faults, key=lambda e: e.event_id):
        first = min(
            (d for d in orders if d.fields.get("fault_id") == e.event_id), key=lambda d: d.time, default=None
        )
        if first is None:
            continue
        start = T(first.time) + pd.Timedelta(days=3)
        if start + pd.Timedelta(days=2) <= T(e.end) and start - T(data.series[0].time[0]) > pd.Timedelta(
            days=40
        ):
            break
    else:
        raise AssertionError("no fault of the small plant runs three days past its first order")
    hidden = dataclasses.replace(data, events=tuple(x for x in data.events if x.kind != "fault"))
    kw = {"classifier": p["classifier"], "channel_model": p["channels"], "onset_shapes": {}, "panels": False}
    end = start + pd.Timedelta(days=2)
    return {
        "hidden": hidden,
        "data": data,
        "fault": e,
        "order": first,
        "start": start,
        "report": diagnose(MemoryBase(hidden), e.asset_id, start, end, **kw),
        "labelled": diagnose(MemoryBase(data), e.asset_id, start, end, **kw),
        "classifier": p["classifier"],
    }


def test_the_baseline_ends_a_fortnight_before_the_order_and_the_report_says_why(
    unlabelled: dict[str, Any],
) -> None:
    d, order = unlabelled["report"].diagnosis, unlabelled["order"]
    assert d.baseline_end is not None and d.baseline_end <= T(order.time) - pd.Timedelta(days=ORDER_DAYS)
    said = [s for s in unlabelled["report"].sentences if s.text.startswith("The base labels no fault")]
    assert len(said) == 1
    assert any(getattr(c, "record_id", "") == order.doc_id for c in said[0].citations)
    assert f"{d.baseline_start:%Y-%m-%d %H:%M} to {d.baseline_end:%Y-%m-%d %H:%M}" in said[0].text


def test_the_report_on_the_moved_baseline_verifies(unlabelled: dict[str, Any]) -> None:
    report = unlabelled["report"]
    again = verify_report(report, MemoryBase(unlabelled["hidden"]), classifier=unlabelled["classifier"])
    assert again.kept == len(report.sentences)
    assert again.numbers_ok == again.numbers


def test_a_base_that_labels_faults_keeps_its_baseline_rule(unlabelled: dict[str, Any]) -> None:
    d = unlabelled["labelled"].diagnosis
    fault = unlabelled["fault"]
    assert (d.baseline_start, d.baseline_end) == healthy_baseline(
        unlabelled["start"], [(T(fault.start), T(fault.end))]
    )
    assert not [s for s in unlabelled["labelled"].sentences if s.text.startswith("The base labels no fault")]


def test_a_series_starting_after_the_earlier_baseline_keeps_the_usual_one(
    unlabelled: dict[str, Any], small_diagnosed_plant: dict[str, Any]
) -> None:
    hidden, start, asset = unlabelled["hidden"], unlabelled["start"], unlabelled["fault"].asset_id
    cut = T(unlabelled["order"].time) - pd.Timedelta(days=ORDER_DAYS - 1)  # nothing before the order's span

    def trimmed(s: Series) -> Series:
        keep = s.time >= np.datetime64(cut)
        labels = {k: v[keep] for k, v in s.labels.items()}
        return dataclasses.replace(
            s, time=s.time[keep], values=s.values[keep], observed=s.observed[keep], labels=labels
        )

    series = tuple(trimmed(s) if s.asset_id == asset else s for s in hidden.series)
    p = small_diagnosed_plant
    report = diagnose(
        MemoryBase(dataclasses.replace(hidden, series=series)),
        asset,
        start,
        start + pd.Timedelta(days=2),
        classifier=p["classifier"],
        channel_model=p["channels"],
        onset_shapes={},
        panels=False,
    )
    d = report.diagnosis
    assert (d.baseline_start, d.baseline_end) == healthy_baseline(start, [])
    assert not [s for s in report.sentences if s.text.startswith("The base labels no fault")]
