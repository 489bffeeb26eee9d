"""Faults with known ground truth: what they are, when they happen, and what they do to the sensors.

A fault has an onset, an end (the repair, or the day it fades), a severity in (0, 1], the
channels it touches, a root cause and the component that failed. Its effect grows along a
profile from onset, so a slow drift (bearing wear) and a sudden change (misalignment after
maintenance) look different. Faults are rare and never overlap on one asset, so the per-step
label is unambiguous. Axis names: T time steps, C channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from moesaic.data.simulator.assets import AssetSpec


@dataclass(frozen=True)
class FaultType:
    """One kind of fault.

    Attributes:
        name: the label written to the ground truth.
        failure_code: ISO 14224-style failure-mode code a technician would book.
        components: failing component by asset type (a BOM component of that type).
        asset_types: asset types it can happen to.
        duration_days: range of the time it takes to develop to full effect.
        weight: relative frequency among the faults an asset can have.
        causes: root causes to draw from.
        detect: chance that operators notice it, at severity 0 and severity 1.
    """

    name: str
    failure_code: str
    components: dict[str, str]
    asset_types: tuple[str, ...]
    duration_days: tuple[float, float]
    weight: float
    causes: tuple[str, ...]
    detect: tuple[float, float]


_ALL = ("pump", "compressor", "motor", "fan")
_SENSOR = {t: "transmitter" for t in _ALL}

FAULTS: tuple[FaultType, ...] = (
    FaultType(
        "bearing_wear",
        "VIB",
        {t: "bearing" for t in _ALL},
        _ALL,
        (10, 40),
        0.22,
        (
            "lubrication starvation",
            "grease contamination",
            "overload",
            "end of bearing life",
            "water ingress",
        ),
        (0.4, 0.95),
    ),
    FaultType(
        "seal_leak",
        "ELP",
        {"pump": "mechanical seal", "compressor": "shaft seal"},
        ("pump", "compressor"),
        (3, 20),
        0.14,
        ("seal face wear", "dry running", "o-ring degradation", "shaft sleeve scoring"),
        (0.5, 0.95),
    ),
    FaultType(
        "cavitation",
        "NOI",
        {"pump": "impeller"},
        ("pump",),
        (1, 5),
        0.1,
        (
            "low suction pressure",
            "clogged suction strainer",
            "operation far from BEP",
            "vapour in suction line",
        ),
        (0.3, 0.9),
    ),
    FaultType(
        "overheating",
        "OHE",
        {t: "motor winding" for t in _ALL},
        _ALL,
        (1, 7),
        0.12,
        ("blocked cooling fins", "overload", "phase imbalance", "failed cooling fan"),
        (0.4, 0.95),
    ),
    FaultType(
        "sensor_stuck",
        "AIR",
        _SENSOR,
        _ALL,
        (0.25, 5),
        0.1,
        ("transmitter failure", "frozen impulse line", "loose connector"),
        (0.2, 0.6),
    ),
    FaultType(
        "sensor_spike",
        "AIR",
        _SENSOR,
        _ALL,
        (1, 3),
        0.12,
        ("EMI from VFD cable", "loose terminal", "damaged cable shield"),
        (0.2, 0.6),
    ),
    FaultType(
        "misalignment",
        "VIB",
        {t: "coupling" for t in _ALL},
        _ALL,
        (7, 30),
        0.1,
        ("soft foot", "thermal growth", "poor alignment after maintenance", "baseplate settlement"),
        (0.3, 0.9),
    ),
    FaultType(
        "imbalance",
        "VIB",
        {"pump": "impeller", "fan": "fan wheel", "motor": "cooling fan"},
        ("pump", "fan", "motor"),
        (7, 30),
        0.1,
        ("impeller fouling", "blade erosion", "lost balance weight", "material build-up"),
        (0.3, 0.9),
    ),
)
FAULT_TYPES: tuple[str, ...] = tuple(f.name for f in FAULTS)
FAULT_CODES: dict[str, int] = {name: code for code, name in enumerate(FAULT_TYPES, start=1)}
BY_NAME: dict[str, FaultType] = {f.name: f for f in FAULTS}


@dataclass(frozen=True)
class Fault:
    """One injected fault of one asset, in time steps of its series.

    ``detect_step`` is when operators noticed it (-1 when nobody did); a noticed fault ends
    with its repair, an unnoticed one when it fades or the history ends.
    """

    asset_id: str
    fault_type: str
    onset: int
    end: int
    develop: int
    severity: float
    cause: str
    component: str
    channels: tuple[str, ...]
    detect_step: int
    priority: int


def priority_of(severity: float, criticality: str) -> int:
    """Work-order priority 1 (emergency) to 3 (routine) from severity and asset criticality."""
    if severity > 0.75 or (criticality == "A" and severity > 0.5):
        return 1
    return 2 if severity > 0.4 else 3


_RESPONSE_HOURS = {1: (2.0, 8.0), 2: (12.0, 48.0), 3: (48.0, 168.0)}


def _sensor_channel(asset: AssetSpec, rng: np.random.Generator) -> str:
    names = asset.kind.channel_names
    return str(names[int(rng.integers(len(names)))])


def _touched(kind: FaultType, asset: AssetSpec, rng: np.random.Generator) -> tuple[str, ...]:
    have = set(asset.kind.channel_names)
    wanted = {
        "bearing_wear": ("vibration_rms", "bearing_temp"),
        "seal_leak": ("discharge_pressure", "flow"),
        "cavitation": ("vibration_rms", "discharge_pressure", "flow", "suction_pressure"),
        "overheating": ("motor_temp" if "motor_temp" in have else "discharge_temp", "current"),
        "misalignment": ("vibration_rms", "bearing_temp", "current"),
        "imbalance": ("vibration_rms",),
    }
    if kind.name.startswith("sensor_"):
        return (_sensor_channel(asset, rng),)
    return tuple(c for c in wanted[kind.name] if c in have)


def sample_faults(
    asset: AssetSpec, *, num_steps: int, steps_per_day: int, fault_rate: float, rng: np.random.Generator
) -> list[Fault]:
    """The faults of one asset over its history, in time order, never overlapping."""
    T = num_steps
    kinds = [f for f in FAULTS if asset.kind.name in f.asset_types]
    weights = np.array([f.weight for f in kinds])
    count = int(rng.poisson(fault_rate * T / (steps_per_day * 365.0)))
    margin = min(2 * steps_per_day, T // 10)
    onsets = np.sort(rng.integers(margin, max(margin + 1, T - 2), size=count))
    faults: list[Fault] = []
    free_from = 0
    for onset in onsets.tolist():
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        severity = round(0.1 + 0.9 * float(rng.beta(2.0, 2.0)), 2)
        develop = max(2, int(rng.uniform(*kind.duration_days) * steps_per_day))
        cause = str(rng.choice(kind.causes))
        channels = _touched(kind, asset, rng)
        priority = priority_of(severity, asset.criticality)
        low, high = kind.detect
        detected = rng.random() < low + (high - low) * severity
        # Sudden or noisy faults are noticed early; slow drifts once their symptoms are clear.
        early = (0.3, 0.8) if kind.name in ("cavitation", "sensor_spike", "sensor_stuck") else (0.6, 1.0)
        detect = onset + max(1, int(rng.uniform(*early) * develop))
        repair = detect + int(
            (rng.uniform(*_RESPONSE_HOURS[priority]) + rng.uniform(2, 12)) * steps_per_day / 24.0
        )
        end = min(T, repair if detected else onset + develop)
        if onset < free_from or end - onset < 2:
            continue
        faults.append(
            Fault(
                asset_id=asset.asset_id,
                fault_type=kind.name,
                onset=onset,
                end=end,
                develop=develop,
                severity=severity,
                cause=cause,
                component=kind.components[asset.kind.name],
                channels=channels,
                detect_step=detect if detected and detect < end else -1,
                priority=priority,
            )
        )
        free_from = end + steps_per_day  # a quiet day between two faults of one asset
    return faults


# --- effects on the sensors -----------------------------------------------------------------------

Effect = Callable[[np.ndarray, dict[str, int], "Fault", np.ndarray, np.ndarray, np.random.Generator], None]


def _ramp(fault: Fault, n: int, exponent: float, speed: float = 1.0) -> np.ndarray:
    """Effect profile in [0, 1] over the fault window: 0 at onset, 1 once fully developed."""
    r = np.arange(n, dtype=np.float64) / max(fault.develop, 1)
    return np.asarray(np.clip(speed * r, 0.0, 1.0) ** exponent)


def _level(x: np.ndarray) -> float:
    level = float(np.median(np.abs(x)))
    return level if level > 1e-6 else 1.0


def _bearing_wear(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    p = _ramp(f, len(w), 1.5)
    w[:, col["vibration_rms"]] *= 1.0 + 4.0 * f.severity * p
    w[:, col["bearing_temp"]] += 20.0 * f.severity * p


def _seal_leak(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    p = _ramp(f, len(w), 0.5)
    w[:, col["discharge_pressure"]] *= 1.0 - 0.35 * f.severity * p
    w[:, col["flow"]] *= 1.0 - 0.25 * f.severity * p


def _cavitation(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    n = len(w)
    p = _ramp(f, n, 1.0, speed=4.0)
    bursts = (rng.random(n) < 0.4) | (np.roll(rng.random(n), 1) < 0.2)  # clustered noisy hours
    vib = col["vibration_rms"]
    w[:, vib] += _level(w[:, vib]) * f.severity * p * bursts * (1.5 + np.abs(rng.standard_normal(n)))
    dp = col["discharge_pressure"]
    w[:, dp] += _level(w[:, dp]) * 0.1 * f.severity * p * rng.standard_normal(n)
    w[:, col["flow"]] *= 1.0 - 0.2 * f.severity * p
    sp = col["suction_pressure"]
    w[:, sp] -= _level(w[:, sp]) * 0.25 * f.severity * p


def _overheating(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    p = _ramp(f, len(w), 1.2)
    temp = col["motor_temp"] if "motor_temp" in col else col["discharge_temp"]
    w[:, temp] += 35.0 * f.severity * p
    w[:, col["current"]] *= 1.0 + 0.2 * f.severity * p


def _misalignment(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    n = len(w)
    p = _ramp(f, n, 1.0, speed=5.0)
    w[:, col["vibration_rms"]] *= 1.0 + 2.0 * f.severity * p
    w[:, col["bearing_temp"]] += 8.0 * f.severity * p
    cur = col["current"]
    # The 1x shaft-speed component shows in the current as a ripple; sampled hourly it aliases
    # to a slow beat, which is what a historian would record.
    ripple = np.sin(2 * np.pi * np.arange(n) / 2.7 + rng.uniform(0, 2 * np.pi))
    # The extra friction also raises the mean current a little.
    w[:, cur] += (0.05 + 0.15 * ripple) * f.severity * p * _level(w[:, cur])


def _imbalance(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    p = _ramp(f, len(w), 1.0)
    vib = col["vibration_rms"]
    speed_sq = (load / max(float(np.median(load)), 1e-6)) ** 2  # centrifugal force ~ speed squared
    w[:, vib] += 2.5 * f.severity * p * speed_sq * _level(w[:, vib])


def _sensor_stuck(
    w: np.ndarray, col: dict[str, int], f: Fault, load: np.ndarray, _: np.ndarray, rng: np.random.Generator
) -> None:
    c = col[f.channels[0]]
    w[:, c] = w[0, c]


def _sensor_spike(
    w: np.ndarray,
    col: dict[str, int],
    f: Fault,
    load: np.ndarray,
    spread: np.ndarray,
    rng: np.random.Generator,
) -> None:
    c = col[f.channels[0]]
    n = len(w)
    count = min(n, 3 + int(10 * f.severity))
    at = rng.choice(n, size=count, replace=False)
    sign = rng.choice([-1.0, 1.0], size=count)
    w[at, c] += sign * (4.0 + 8.0 * f.severity) * spread[c]


EFFECTS: dict[str, Effect] = {
    "bearing_wear": _bearing_wear,
    "seal_leak": _seal_leak,
    "cavitation": _cavitation,
    "overheating": _overheating,
    "misalignment": _misalignment,
    "imbalance": _imbalance,
    "sensor_stuck": _sensor_stuck,
    "sensor_spike": _sensor_spike,
}
assert set(EFFECTS) == set(FAULT_TYPES)


def inject_faults(
    values: np.ndarray,
    channels: Sequence[str],
    faults: Sequence[Fault],
    *,
    load: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A copy of ``values`` (T, C) with every fault's effect applied inside its window.

    Args:
        values: (T, C) healthy readings.
        channels: the C channel names.
        faults: faults of this asset (their channels must be among ``channels``).
        load: (T,) relative load, which some effects scale with.
        rng: the asset's generator, for the random parts of the effects.
    """
    out = np.array(values, dtype=np.float64, copy=True)
    col = {name: i for i, name in enumerate(channels)}
    spread = np.std(values, axis=0) + 1e-9
    for fault in faults:
        missing = [c for c in fault.channels if c not in col]
        if missing:
            raise ValueError(
                f"fault {fault.fault_type} of {fault.asset_id} touches {missing}, "
                f"which are not among the channels {list(channels)}"
            )
        window = out[fault.onset : fault.end]
        EFFECTS[fault.fault_type](window, col, fault, load[fault.onset : fault.end], spread, rng)
    return out


def fault_labels(num_steps: int, faults: Sequence[Fault]) -> np.ndarray:
    """(T,) int16: the code of the fault active at each step (FAULT_CODES), 0 when healthy."""
    labels = np.zeros(num_steps, dtype=np.int16)
    for fault in faults:
        labels[fault.onset : fault.end] = FAULT_CODES[fault.fault_type]
    return labels
