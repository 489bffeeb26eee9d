"""Work orders in CMMS style, linked to the assets and to the injected faults.

Three sources of work orders: preventive routines on a fixed interval (PM), corrective pairs
for each fault operators noticed (a symptom report when it is noticed, then the repair that
ends it), and small corrective jobs unrelated to any injected fault. Text comes from the
templates of :mod:`vocab`, filled with the asset's tag, parts of its BOM and readings of its
own sensors at that moment, so the text agrees with the series.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.simulator.assets import STREAM_TEXT, AssetSpec, stream
from moesaic.data.simulator.catalogue import LABOUR_RATE, TECHNICIANS, Part
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.faults import BY_NAME, Fault
from moesaic.data.simulator.vocab import CHANNEL_ABBREV, MINOR_JOBS, PM_TEXT, REPAIRS, SYMPTOMS, WHEEL, style

WORK_ORDER_COLUMNS = (
    "wo_id",
    "asset_id",
    "created",
    "finished",
    "wo_type",
    "priority",
    "failure_code",
    "component",
    "part_number",
    "action",
    "text",
    "cost",
    "labour_hours",
    "technician",
    "fault_id",
)
_REPAIR_HOURS = {
    "bearing_wear": (4, 10),
    "seal_leak": (4, 8),
    "cavitation": (2, 6),
    "overheating": (2, 12),
    "sensor_stuck": (1, 3),
    "sensor_spike": (1, 3),
    "misalignment": (3, 6),
    "imbalance": (3, 8),
}


class _Context(dict[str, Any]):
    """Template fields; an unknown field is our bug, so it fails loudly."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"template field {{{key}}} has no value")


def _reading(values: np.ndarray, col: Mapping[str, int], channel: str, step: int) -> str:
    if channel not in col:
        return "?"
    window = values[max(0, step - 3) : step + 1, col[channel]]
    window = window[~np.isnan(window)]
    return "?" if not len(window) else f"{float(window[-1]):.3g}"


def _when(
    times: pd.DatetimeIndex, step: int, rng: np.random.Generator, *, spread_minutes: int = 50
) -> pd.Timestamp:
    step = min(max(step, 0), len(times) - 1)
    return times[step] + pd.Timedelta(minutes=int(rng.integers(0, spread_minutes)))


def fill(template: str, ctx: Mapping[str, Any]) -> str:
    """``template`` with its fields filled; a template written in capitals stays in capitals."""
    text = template.format_map(ctx)
    return text.upper() if re.sub(r"\{\w+\}", "", template).isupper() else text


def _part(asset: AssetSpec, component: str, rng: np.random.Generator, side: str = "") -> Part | None:
    parts = [p for p in asset.kind.parts if p.component == component]
    # a bearing named for one end of the shaft (DE/NDE) is the one the text talks about
    parts = [p for p in parts if f"({side})" in p.description] or parts
    return parts[int(rng.integers(len(parts)))] if parts else None


def _row(
    asset: AssetSpec,
    *,
    created: pd.Timestamp,
    hours: float,
    wo_type: str,
    priority: int,
    failure_code: str,
    component: str,
    part: Part | None,
    action: str,
    text: str,
    rng: np.random.Generator,
    fault_id: str = "",
    finished: pd.Timestamp | None = None,
) -> dict[str, Any]:
    parts_cost = part.unit_cost * part.qty if part is not None else 0.0
    return {
        "asset_id": asset.asset_id,
        "created": created,
        "finished": finished if finished is not None else (created + pd.Timedelta(hours=hours)).round("min"),
        "wo_type": wo_type,
        "priority": priority,
        "failure_code": failure_code,
        "component": component,
        "part_number": part.part_number if part is not None else "",
        "action": action,
        "text": text,
        "cost": round(parts_cost + hours * LABOUR_RATE, 2),
        "labour_hours": round(hours, 1),
        "technician": TECHNICIANS[int(rng.integers(len(TECHNICIANS)))],
        "fault_id": fault_id,
    }


def _context(asset: AssetSpec, rng: np.random.Generator, **extra: Any) -> _Context:
    ctx = _Context(
        tag=asset.asset_id,
        kind=asset.kind.name,
        side=str(rng.choice(["DE", "NDE"])),
        wheel=WHEEL[asset.kind.name],
        n=int(rng.integers(2, 9)),
        pn="",
        part="",
        chan="",
        val="?",
        comp="",
    )
    ctx.update(extra)
    return ctx


def _preventive(
    asset: AssetSpec,
    times: pd.DatetimeIndex,
    steps_per_day: int,
    values: np.ndarray,
    col: Mapping[str, int],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    rows = []
    T = len(times)
    for task in asset.kind.pm_tasks:
        interval = task.interval_days * steps_per_day
        first = int(rng.integers(0, interval))
        for step in range(first, T, interval):
            # Routines start in the morning shift of their due day.
            day_start = step - step % steps_per_day
            at = times[min(day_start, T - 1)] + pd.Timedelta(
                hours=float(rng.integers(7, 10)), minutes=int(rng.integers(0, 60))
            )
            part = next((p for p in asset.kind.parts if p.part_number == task.part), None)
            ctx = _context(asset, rng, pn=task.part, val=_reading(values, col, "vibration_rms", step))
            text = fill(str(rng.choice(PM_TEXT[task.code])), ctx)
            hours = task.hours * float(rng.uniform(0.8, 1.3))
            rows.append(
                _row(
                    asset,
                    created=at,
                    hours=hours,
                    wo_type="PM",
                    priority=4,
                    failure_code="",
                    component=part.component if part else "",
                    part=part,
                    action=task.code,
                    text=style(f"PM {task.code}: {text}" if rng.random() < 0.3 else text, rng, typo_rate=0.1),
                    rng=rng,
                )
            )
    return rows


def _corrective(
    asset: AssetSpec,
    fault: Fault,
    fault_id: str,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    col: Mapping[str, int],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """The symptom report when the fault is noticed and, if done in time, the repair that ends it."""
    kind = BY_NAME[fault.fault_type]
    channel = fault.channels[0] if fault.channels else ""
    ctx = _context(
        asset,
        rng,
        chan=CHANNEL_ABBREV.get(channel, channel),
        comp=fault.component,
        val=_reading(values, col, channel, fault.detect_step),
    )
    created = _when(times, fault.detect_step, rng)
    symptom = fill(str(rng.choice(SYMPTOMS[fault.fault_type])), ctx)
    rows = [
        _row(
            asset,
            created=created,
            hours=float(rng.uniform(0.5, 2.0)),
            wo_type="CM",
            priority=fault.priority,
            failure_code=kind.failure_code,
            component=fault.component,
            part=None,
            action="INSPECT",
            text=style(symptom, rng, typo_rate=0.25),
            rng=rng,
            fault_id=fault_id,
        )
    ]
    if fault.end >= len(times):
        return rows  # the repair was not done within the history: only the report exists
    options = REPAIRS[fault.fault_type]
    action, component, template = options[int(rng.integers(len(options)))]
    component = component.format(comp=fault.component)
    part = _part(asset, component, rng, side=ctx["side"]) if component else None
    ctx.update(
        pn=part.part_number if part else "",
        part=part.description if part else "",
        val=_reading(values, col, channel, fault.end),
    )
    finished = _when(times, fault.end, rng, spread_minutes=30)
    hours = float(rng.uniform(*_REPAIR_HOURS[fault.fault_type]))
    start = max(created + pd.Timedelta(hours=1), finished - pd.Timedelta(hours=hours)).round("min")
    rows.append(
        _row(
            asset,
            created=start,
            hours=hours,
            wo_type="CM",
            priority=fault.priority,
            failure_code=kind.failure_code,
            component=component or fault.component,
            part=part,
            action=action,
            text=style(fill(template, ctx), rng),
            rng=rng,
            fault_id=fault_id,
            finished=finished,
        )
    )
    return rows


def _minor(
    asset: AssetSpec,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    col: Mapping[str, int],
    steps_per_day: int,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    T = len(times)
    count = int(rng.poisson(2.0 * T / (steps_per_day * 365.0)))
    rows = []
    for step in np.sort(rng.integers(0, T, size=count)).tolist():
        action, code, template = MINOR_JOBS[int(rng.integers(len(MINOR_JOBS)))]
        channel = asset.kind.channel_names[int(rng.integers(len(asset.kind.channels)))]
        ctx = _context(asset, rng, chan=CHANNEL_ABBREV.get(channel, channel))
        rows.append(
            _row(
                asset,
                created=_when(times, step, rng),
                hours=float(rng.uniform(0.5, 3.0)),
                wo_type="CM",
                priority=3,
                failure_code=code,
                component="",
                part=None,
                action=action,
                text=style(fill(template, ctx), rng),
                rng=rng,
            )
        )
    return rows


def make_work_orders(
    assets: Sequence[AssetSpec],
    faults: Mapping[str, Sequence[tuple[str, Fault]]],
    readings: Mapping[str, tuple[np.ndarray, tuple[str, ...]]],
    times: pd.DatetimeIndex,
    config: SimulatorConfig,
) -> pd.DataFrame:
    """Every work order of the plant, in time order, numbered WO100001, WO100002, ...

    Args:
        assets: the fleet.
        faults: (fault_id, fault) pairs per asset id.
        readings: (values (T, C), channel names) per asset id, as the sensors recorded them.
        times: (T,) sampling times.
        config: the plant configuration (seed, sampling).
    """
    rows: list[dict[str, Any]] = []
    for asset in assets:
        rng = stream(config.seed, STREAM_TEXT, asset.index)
        values, channels = readings[asset.asset_id]
        col = {c: i for i, c in enumerate(channels)}
        rows += _preventive(asset, times, config.steps_per_day, values, col, rng)
        for fault_id, fault in faults.get(asset.asset_id, ()):
            if fault.detect_step >= 0:
                rows += _corrective(asset, fault, fault_id, times, values, col, rng)
        rows += _minor(asset, times, values, col, config.steps_per_day, rng)
    frame = pd.DataFrame(rows, columns=[c for c in WORK_ORDER_COLUMNS if c != "wo_id"])
    frame = frame.sort_values(["created", "asset_id", "wo_type", "text"], kind="mergesort").reset_index(
        drop=True
    )
    frame.insert(0, "wo_id", [f"WO{100001 + i}" for i in range(len(frame))])
    return frame
