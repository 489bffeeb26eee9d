"""The whole simulated plant in memory: assets, sensors with faults, events, work orders, FMEA, drawings.

:func:`simulate` composes the pieces. Every asset draws from its own random streams (sensors,
text), so adding an asset or changing the text templates does not move any other series.
Axis names: T time steps, C channels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.simulator.assets import STREAM_SENSORS, AssetSpec, assets_frame, make_assets, stream
from moesaic.data.simulator.catalogue import ChannelSpec
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.drawings import RenderedDrawing, make_drawings
from moesaic.data.simulator.faults import BY_NAME, Fault, fault_labels, inject_faults, sample_faults
from moesaic.data.simulator.fmea import make_fmea
from moesaic.data.simulator.sensors import observed_mask, simulate_sensors
from moesaic.data.simulator.text import make_work_orders

log = logging.getLogger(__name__)

GROUND_TRUTH_COLUMNS = (
    "fault_id",
    "asset_id",
    "fault_type",
    "onset",
    "end",
    "severity",
    "channels",
    "cause",
    "component",
    "failure_code",
    "detected_by_wo",
    "detected_at",
)
EVENT_COLUMNS = (
    "event_id",
    "asset_id",
    "kind",
    "label",
    "start",
    "end",
    "channels",
    "severity",
    "fault_id",
    "threshold",
    "peak",
)


class AssetSeries(NamedTuple):
    """The recorded history of one asset.

    Attributes:
        asset_id: the asset.
        channels: C channel names.
        values: (T, C) float32 readings, NaN where lost.
        fault: (T,) int16 code of the active fault (FAULT_CODES), 0 when healthy.
        regime: (T,) int8 load regime (index into sensors.REGIMES).
    """

    asset_id: str
    channels: tuple[str, ...]
    values: np.ndarray
    fault: np.ndarray
    regime: np.ndarray


@dataclass(frozen=True, eq=False)
class Plant:
    """A simulated plant, every table as a frame and every series as arrays.

    Attributes:
        config: what was simulated.
        time: (T,) datetime64[ns] sampling times, shared by every series.
        assets: the asset register, one row per asset.
        series: the recorded history of each asset, in the order of ``assets``.
        ground_truth: the faults; ``onset`` and ``end`` are the first and the last faulty sample
            (inclusive), so ``fault != 0`` exactly where ``onset <= time <= end``.
        events: faults (kind "fault", event_id = fault_id) and DCS alarms (kind "alarm").
        work_orders: PM and CM work orders; CM ones about a fault carry its ``fault_id``.
        fmea: the FMEA rows of the asset types present.
        drawings: the rendered part drawings with their ground truth.
        units: the unit of each channel, by asset type then channel.
    """

    config: SimulatorConfig
    time: np.ndarray
    assets: pd.DataFrame
    series: tuple[AssetSeries, ...]
    ground_truth: pd.DataFrame
    events: pd.DataFrame
    work_orders: pd.DataFrame
    fmea: pd.DataFrame
    drawings: tuple[RenderedDrawing, ...]
    units: dict[str, dict[str, str]]

    def counts(self) -> dict[str, int]:
        """Record counts, as written to the manifest."""
        return {
            "assets": len(self.assets),
            "series": len(self.series),
            "series_steps": sum(len(s.values) for s in self.series),
            "faults": len(self.ground_truth),
            "events": len(self.events),
            "alarms": int((self.events["kind"] == "alarm").sum()),
            "work_orders": len(self.work_orders),
            "fmea_rows": len(self.fmea),
            "drawings": len(self.drawings),
        }


def find_alarms(
    values: np.ndarray,
    healthy: np.ndarray,
    specs: tuple[ChannelSpec, ...],
    *,
    min_steps: int = 2,
    merge_steps: int = 3,
) -> list[dict[str, Any]]:
    """DCS alarms: runs of at least ``min_steps`` readings beyond a limit set from healthy behaviour.

    Args:
        values: (T, C) recorded readings (NaN never alarms).
        healthy: (T, C) the same asset without faults, which sets each limit, as commissioning would.
        specs: the C channel specs; only channels with ``alarm`` "hi"/"lo" are watched.
    Returns:
        One dict per alarm with channel, direction, first and last step, limit and worst reading.
    """
    alarms = []
    for c, spec in enumerate(specs):
        if not spec.alarm:
            continue
        median = float(np.median(healthy[:, c]))
        if spec.alarm == "hi":
            limit = median + 1.35 * (float(np.quantile(healthy[:, c], 0.999)) - median)
            beyond = np.nan_to_num(values[:, c], nan=-np.inf) > limit
        else:
            limit = median - 1.35 * (median - float(np.quantile(healthy[:, c], 0.001)))
            beyond = np.nan_to_num(values[:, c], nan=np.inf) < limit
        edges = np.diff(np.concatenate([[0], beyond.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs: list[list[int]] = []
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            if runs and a - runs[-1][1] < merge_steps:
                runs[-1][1] = b
            else:
                runs.append([a, b])
        for a, b in runs:
            if b - a < min_steps:
                continue
            window = values[a:b, c]
            peak = float(np.nanmax(window) if spec.alarm == "hi" else np.nanmin(window))
            alarms.append(
                {
                    "channel": spec.name,
                    "direction": spec.alarm,
                    "start": a,
                    "end": b - 1,
                    "limit": round(limit, spec.decimals + 1),
                    "peak": peak,
                }
            )
    return alarms


def _simulate_asset(
    asset: AssetSpec, config: SimulatorConfig, times: pd.DatetimeIndex
) -> tuple[AssetSeries, list[Fault], list[dict[str, Any]]]:
    rng = stream(config.seed, STREAM_SENSORS, asset.index)
    trace = simulate_sensors(asset, times, config.steps_per_day, rng)
    channels = asset.kind.channel_names
    faults = sample_faults(
        asset, num_steps=len(times), steps_per_day=config.steps_per_day, fault_rate=config.fault_rate, rng=rng
    )
    values = inject_faults(trace.values, channels, faults, load=trace.load, rng=rng)
    decimals = [s.decimals for s in asset.kind.channels]
    for c, digits in enumerate(decimals):
        values[:, c] = np.round(values[:, c], digits)
    observed = observed_mask(
        len(times),
        len(channels),
        missing_rate=config.missing_rate,
        steps_per_day=config.steps_per_day,
        rng=rng,
    )
    values[~observed] = np.nan
    # One alarm per episode: readings that hover around the limit re-arm only after half a day.
    alarms = find_alarms(
        values, trace.values, asset.kind.channels, min_steps=1, merge_steps=max(3, config.steps_per_day // 2)
    )
    series = AssetSeries(
        asset.asset_id, channels, values.astype(np.float32), fault_labels(len(times), faults), trace.regime
    )
    return series, faults, alarms


def _fault_rows(faults: list[tuple[str, AssetSpec, Fault]], times: pd.DatetimeIndex) -> pd.DataFrame:
    rows = [
        {
            "fault_id": fault_id,
            "asset_id": asset.asset_id,
            "fault_type": f.fault_type,
            "onset": times[f.onset],
            "end": times[f.end - 1],
            "severity": f.severity,
            "channels": ";".join(f.channels),
            "cause": f.cause,
            "component": f.component,
            "failure_code": BY_NAME[f.fault_type].failure_code,
            "detected_by_wo": f.detect_step >= 0,
            "detected_at": times[f.detect_step] if f.detect_step >= 0 else pd.NaT,
        }
        for fault_id, asset, f in faults
    ]
    return pd.DataFrame(rows, columns=list(GROUND_TRUTH_COLUMNS))


def _event_rows(
    truth: pd.DataFrame,
    alarms: list[tuple[AssetSpec, dict[str, Any]]],
    faults: list[tuple[str, AssetSpec, Fault]],
    times: pd.DatetimeIndex,
) -> pd.DataFrame:
    rows = [
        {
            "event_id": r.fault_id,
            "asset_id": r.asset_id,
            "kind": "fault",
            "label": r.fault_type,
            "start": r.onset,
            "end": r.end,
            "channels": r.channels,
            "severity": r.severity,
            "fault_id": r.fault_id,
            "threshold": np.nan,
            "peak": np.nan,
        }
        for r in truth.itertuples()
    ]
    by_asset: dict[str, list[tuple[str, Fault]]] = {}
    for fault_id, asset, f in faults:
        by_asset.setdefault(asset.asset_id, []).append((fault_id, f))
    alarm_rows = []
    for asset, alarm in alarms:
        # An alarm belongs to a fault when it fires during it on a channel the fault touches.
        linked = next(
            (
                fid
                for fid, f in by_asset.get(asset.asset_id, ())
                if f.onset <= alarm["end"] and alarm["start"] < f.end and alarm["channel"] in f.channels
            ),
            "",
        )
        alarm_rows.append(
            {
                "asset_id": asset.asset_id,
                "kind": "alarm",
                "label": f"{alarm['channel']} {'high' if alarm['direction'] == 'hi' else 'low'}",
                "start": times[alarm["start"]],
                "end": times[alarm["end"]],
                "channels": alarm["channel"],
                "severity": np.nan,
                "fault_id": linked,
                "threshold": alarm["limit"],
                "peak": alarm["peak"],
            }
        )
    alarm_frame = pd.DataFrame(alarm_rows, columns=[c for c in EVENT_COLUMNS if c != "event_id"])
    if len(alarm_frame):
        alarm_frame = alarm_frame.sort_values(["start", "asset_id", "label"], kind="mergesort")
    alarm_frame.insert(0, "event_id", [f"ALM-{i + 1:06d}" for i in range(len(alarm_frame))])
    frames = [f for f in (pd.DataFrame(rows, columns=list(EVENT_COLUMNS)), alarm_frame) if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    events = pd.concat(frames, ignore_index=True)
    return events.sort_values(["start", "asset_id", "kind", "event_id"], kind="mergesort").reset_index(
        drop=True
    )


def simulate(config: SimulatorConfig) -> Plant:
    """Simulate the plant described by ``config``, in memory (see :func:`write_plant` to save it)."""
    times = config.times()
    specs = make_assets(config)
    series: list[AssetSeries] = []
    faults: list[tuple[AssetSpec, Fault]] = []
    alarms: list[tuple[AssetSpec, dict[str, Any]]] = []
    for asset in specs:
        s, asset_faults, asset_alarms = _simulate_asset(asset, config, times)
        series.append(s)
        faults += [(asset, f) for f in asset_faults]
        alarms += [(asset, a) for a in asset_alarms]
    faults.sort(key=lambda pair: (pair[1].onset, pair[0].index))
    numbered = [(f"FLT-{i + 1:04d}", asset, f) for i, (asset, f) in enumerate(faults)]
    truth = _fault_rows(numbered, times)
    by_asset: dict[str, list[tuple[str, Fault]]] = {}
    for fault_id, asset, f in numbered:
        by_asset.setdefault(asset.asset_id, []).append((fault_id, f))
    readings = {s.asset_id: (s.values, s.channels) for s in series}
    work_orders = make_work_orders(specs, by_asset, readings, times, config)
    units = {a.kind.name: {c.name: c.unit for c in a.kind.channels} for a in specs}
    present = [t for t in config.asset_types if any(a.kind.name == t for a in specs)]
    plant = Plant(
        config=config,
        time=times.to_numpy(dtype="datetime64[ns]"),
        assets=assets_frame(specs, config),
        series=tuple(series),
        ground_truth=truth,
        events=_event_rows(truth, alarms, numbered, times),
        work_orders=work_orders,
        fmea=make_fmea(config, present),
        drawings=tuple(make_drawings(config, present)) if config.drawings else (),
        units=dict(sorted(units.items())),
    )
    log.info("simulated plant: %s", plant.counts())
    return plant
