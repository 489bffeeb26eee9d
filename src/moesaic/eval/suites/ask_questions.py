"""Questions and gold answers of the ``ask`` suite over a simulated plant, from its raw files.

Every question comes from a fixed template filled with names drawn (seeded) from the data, and its
gold answer is computed here with pandas from the plant folder's raw files (``work_orders.csv``,
``events.csv``, ``ground_truth.csv``, ``fmea.csv``, ``drawings.json``, ``series/*.parquet``): never
through :mod:`moesaic.reports.ask`, the knowledge base or the plant loader. A question carries a
``check`` (:mod:`moesaic.eval.suites.ask_checks`) that compares the answer with the gold value.
The question type, sampling and the generic templates (unknown names, off-topic, retrieval) are in
:mod:`moesaic.eval.suites.ask_generic`, re-exported here; the AssetOpsBench questions
(:func:`moesaic.eval.suites.ask.aob_questions`) reuse them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.eval.suites.ask_checks import (
    cites_exactly,
    close_to,
    contains_any,
    counts_to,
    names_top,
    quotes_rpn,
    starts_with,
    states_time,
    top_set,
    within_hours,
)
from moesaic.eval.suites.ask_generic import (
    OFF_TOPIC,
    Question,
    capped,
    off_topic_questions,
    retrieval_questions,
    sample,
    unknown_questions,
)

__all__ = [
    "MONTHS",
    "OFF_TOPIC",
    "REPLACED",
    "Fault",
    "PlantFiles",
    "Question",
    "capped",
    "count_questions",
    "drawing_questions",
    "faults",
    "fmea_questions",
    "off_topic_questions",
    "onset_questions",
    "plant_questions",
    "read_plant_files",
    "retrieval_questions",
    "sample",
    "sequence_questions",
    "stat_questions",
    "top_questions",
    "trend_questions",
    "unknown_questions",
]

REPLACED = re.compile(r"repl|replac|chang|renew|exchang|swap|new\b", re.IGNORECASE)
MONTHS = tuple(pd.Timestamp(2024, m, 1).month_name() for m in range(1, 13))


class PlantFiles(NamedTuple):
    """The raw tables of a plant folder, read with pandas only."""

    folder: Path
    assets: pd.DataFrame
    work_orders: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    fmea: pd.DataFrame
    drawings: dict[str, dict]


class Fault(NamedTuple):
    """One row of ``ground_truth.csv``."""

    asset_id: str
    fault_type: str
    onset: pd.Timestamp
    end: pd.Timestamp
    channels: str  # ``;``-separated


def faults(truth: pd.DataFrame) -> list[Fault]:
    """The ground-truth faults, typed."""
    columns = [truth[c] for c in Fault._fields]
    return [
        Fault(str(a), str(t), pd.Timestamp(o), pd.Timestamp(e), str(c))
        for a, t, o, e, c in zip(*columns, strict=True)
    ]


def read_plant_files(folder: Path) -> PlantFiles:
    """Read the raw files of the plant folder ``folder`` (layout of ``moesaic simulate``)."""
    folder = Path(folder)
    return PlantFiles(
        folder,
        pd.read_csv(folder / "assets.csv"),
        pd.read_csv(folder / "work_orders.csv", parse_dates=["created"]),
        pd.read_csv(folder / "events.csv", parse_dates=["start", "end"]),
        pd.read_csv(folder / "ground_truth.csv", parse_dates=["onset", "end"]),
        pd.read_csv(folder / "fmea.csv"),
        json.loads((folder / "drawings.json").read_text(encoding="utf-8")),
    )


# ---- the simulated plant ---------------------------------------------------------------------


def count_questions(p: PlantFiles) -> list[Question]:
    """Work orders per asset, per month and per failure code; alarms per asset."""
    wo = p.work_orders
    out = [
        Question(
            "count",
            f"How many work orders for asset {a}?",
            counts_to(int((wo.asset_id == a).sum()), "work orders"),
        )
        for a in p.assets.asset_id
    ]
    for period in sorted(set(wo.created.dt.to_period("M"))):
        n = int((wo.created.dt.to_period("M") == period).sum())
        name = f"{MONTHS[period.month - 1]} {period.year}"
        out.append(Question("count", f"How many work orders in {name}?", counts_to(n, "work orders")))
    alarms = p.events[p.events.kind == "alarm"]
    for a in p.assets.asset_id:
        out.append(
            Question(
                "count", f"How many alarms for {a}?", counts_to(int((alarms.asset_id == a).sum()), "alarms")
            )
        )
    for code, n in Counter(wo.failure_code.dropna()).items():
        out.append(
            Question("count", f"How many work orders with failure code {code}?", counts_to(n, "work orders"))
        )
    return out


def top_questions(p: PlantFiles) -> list[Question]:
    """The most common failure code overall and component per asset (two or more orders)."""
    wo = p.work_orders
    out = [
        Question(
            "most_frequent",
            "What is the most common failure code in work orders?",
            names_top(top_set(Counter(wo.failure_code.dropna())), "failure code"),
        )
    ]
    for a in p.assets.asset_id:
        comp = Counter(wo[wo.asset_id == a].component.dropna())
        if sum(comp.values()) >= 2:
            q = f"Which component appears most often in work orders of asset {a}?"
            out.append(Question("most_frequent", q, names_top(top_set(comp), "component")))
    return out


def sequence_questions(p: PlantFiles) -> list[Question]:
    """The component replaced most often within 30 days after each fault type (same asset)."""
    wo = p.work_orders
    out = []
    for ftype in sorted(set(p.truth.fault_type)):
        follow: set[tuple[str, str]] = set()
        for row in (f for f in faults(p.truth) if f.fault_type == ftype):
            after = wo[
                (wo.asset_id == row.asset_id)
                & (wo.created > row.onset)
                & (wo.created <= row.onset + pd.Timedelta(days=30))
                & wo.component.notna()
            ]
            for wo_id, component, action, text in zip(
                after.wo_id, after.component, after.action, after.text, strict=True
            ):
                if REPLACED.search(str(action)) or REPLACED.search(str(text)):
                    follow.add((str(wo_id), str(component)))
        tops = top_set(Counter(c for _, c in follow))
        q = f"Which component is replaced most often after a {ftype} fault?"
        if tops:
            out.append(Question("sequence", q, contains_any({f"most often is {v}:" for v in tops})))
        else:
            out.append(Question("sequence", q, contains_any({"no component is replaced"})))
    return out


def drawing_questions(p: PlantFiles, source: str) -> list[Question]:
    """Material by part number, revision by drawing id, the drawings of each asset (by asset type)."""
    out = []
    for drawing_id, d in sorted(p.drawings.items()):
        tb, key = d["title_block"], f"{source}:{drawing_id}"
        material = Question(
            "drawings",
            f"What material is part {tb['part_number']}?",
            contains_any({f"material {tb['material']}"}, cites=key),
        )
        revision = Question(
            "drawings",
            f"What is the revision of drawing {drawing_id}?",
            contains_any({f"revision {tb['revision']}."}),
        )
        out += [material, revision]
    for a, kind in zip(p.assets.asset_id, p.assets.asset_type, strict=True):
        ids = {f"{source}:{i}" for i, d in p.drawings.items() if d["asset_type"] == kind}
        out.append(Question("drawings", f"Which drawings cover asset {a}?", cites_exactly(ids)))
    return out


def fmea_questions(p: PlantFiles, source: str) -> list[Question]:
    """The RPN of each (asset type, component) of the plant's FMEA sheet: every matching row quoted."""
    out = []
    for (kind, component), rows in p.fmea.groupby(["asset_type", "component"], sort=True):
        want = {(f"{source}:{i}", int(rpn)) for i, rpn in zip(rows.fmea_id, rows.rpn, strict=True)}
        out.append(
            Question(
                "fmea",
                f"What is the RPN of the {kind} {component}?",
                quotes_rpn(want),
            )
        )
    return out


def stat_questions(p: PlantFiles, rng: np.random.Generator) -> list[Question]:
    """Maximum of a channel over the last 7 days and its mean over one calendar month, per asset."""
    out = []
    for a in p.assets.asset_id:
        frame = pd.read_parquet(p.folder / "series" / f"{a}.parquet")
        channels = [c for c in frame.columns if c != "time"]
        ch = channels[int(rng.integers(len(channels)))]
        week = frame.loc[frame.time >= frame.time.max() - pd.Timedelta(days=7), ch]
        q = f"What is the maximum {ch} of {a} in the last 7 days?"
        out.append(Question("series_stat", q, close_to(float(week.max()), "maximum")))
        months = sorted(set(frame.time.dt.to_period("M")))
        month = months[int(rng.integers(len(months)))]
        ch = channels[int(rng.integers(len(channels)))]
        values = frame.loc[frame.time.dt.to_period("M") == month, ch]
        q = f"What is the mean {ch} of {a} in {MONTHS[month.month - 1]} {month.year}?"
        out.append(Question("series_stat", q, close_to(float(values.mean()), "mean")))
    return out


def _trend_channel(fault_type: str, asset_id: str, channels: str) -> str | None:
    """The channel a progressive fault drives monotonically, or None for other fault types."""
    if fault_type in ("bearing_wear", "imbalance"):
        return "vibration_rms"
    if fault_type == "overheating":
        return next((c for c in channels.split(";") if c.endswith("_temp")), None)
    return None


def trend_questions(p: PlantFiles) -> list[Question]:
    """ "Yes" for progressive faults of 8 days or more; "no" for 20-day windows far from any fault."""
    out = []
    for row in faults(p.truth):
        ch = _trend_channel(row.fault_type, row.asset_id, row.channels)
        if ch is None or row.end - row.onset < pd.Timedelta(days=8):
            continue
        lo, hi = row.onset - pd.Timedelta(days=2), row.end
        q = f"Is there a trend in {ch} of {row.asset_id} between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}?"
        out.append(Question("trend", q, starts_with("Yes")))
    start = p.work_orders.created.min().normalize() if len(p.work_orders) else pd.Timestamp("2024-01-01")
    start = min(start, p.truth.onset.min().normalize()) if len(p.truth) else start
    for a, chans in zip(p.assets.asset_id, p.assets.channels, strict=True):
        spans, channels, found = p.truth[p.truth.asset_id == a], chans.split(";"), 0
        last = pd.read_parquet(p.folder / "series" / f"{a}.parquet", columns=["time"]).time.max()
        for offset in range(0, 10_000, 10):
            lo, hi = start + pd.Timedelta(days=offset), start + pd.Timedelta(days=offset + 20)
            if hi > last or found == 2:
                break
            near = (spans.onset <= hi + pd.Timedelta(days=1)) & (spans.end >= lo - pd.Timedelta(days=3))
            if near.any():
                continue
            ch = channels[found % len(channels)]
            q = f"Is there a trend in {ch} of {a} between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}?"
            out.append(Question("trend", q, starts_with("No significant trend")))
            found += 1
    return out


def onset_questions(p: PlantFiles) -> list[Question]:
    """From events: the latest fault onset per asset. Computed (base without events): each fault."""
    out = [
        Question(
            "onset_events",
            f"When did the anomaly start on {a}?",
            states_time("started at", onset),
        )
        for a, onset in p.truth.groupby("asset_id").onset.max().items()
    ]
    for row in faults(p.truth):
        if row.fault_type == "sensor_spike":
            continue
        ch = row.channels.split(";")[0]
        lo = row.onset - pd.Timedelta(days=10)
        window = f"between {lo:%Y-%m-%d} and {row.end:%Y-%m-%d}"
        q = f"When did the anomaly in {ch} start on {row.asset_id} {window}?"
        out.append(Question("onset_computed", q, within_hours(row.onset, 24), onset=row.onset, blind=True))
    return out


def plant_questions(folder: Path, *, source: str, seed: int, cap: int) -> list[Question]:
    """All questions over the plant in ``folder`` (ingested as ``source``), at most ``cap`` per kind."""
    p = read_plant_files(folder)
    rng = np.random.default_rng(seed)
    wo = p.work_orders
    taken = set(p.assets.asset_id) | set(p.fmea.fmea_id) | set(wo.failure_code.dropna().astype(str))
    taken |= {str(d["title_block"]["part_number"]) for d in p.drawings.values()}
    taken |= {c for chans in p.assets.channels for c in chans.split(";")}
    first = str(p.assets.asset_id.iloc[0])
    texts = {f"{source}:{w}": str(t) for w, t in zip(wo.wo_id, wo.text, strict=True)}
    groups = [
        count_questions(p),
        top_questions(p),
        sequence_questions(p),
        drawing_questions(p, source),
        fmea_questions(p, source),
        stat_questions(p, rng),
        trend_questions(p),
        onset_questions(p),
        unknown_questions(rng, taken, first, p.assets.channels.iloc[0].split(";")[0]),
        off_topic_questions(rng, cap),
        retrieval_questions(rng, texts, cap, "Was there a work order about"),
    ]
    return capped(rng, [q for g in groups for q in g], cap)
