"""An FMEA sheet per asset type, linked to the simulated fault types and failure codes.

Severity, occurrence and detection use the usual 1-10 scales; occurrence follows how often
the simulator injects the mode, detection how often operators miss it, so the sheet and the
data agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from moesaic.data.simulator.assets import STREAM_FMEA, stream
from moesaic.data.simulator.catalogue import CATALOGUE
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.faults import FAULTS

FMEA_COLUMNS = (
    "fmea_id",
    "asset_type",
    "component",
    "function",
    "failure_mode",
    "fault_type",
    "failure_code",
    "effects",
    "causes",
    "current_controls",
    "severity",
    "occurrence",
    "detection",
    "rpn",
    "recommended_action",
)

# fault type -> (failure mode, effects, current controls, recommended action, severity 1-10)
_MODES: dict[str, tuple[str, str, str, str, int]] = {
    "bearing_wear": (
        "Bearing wear / fatigue spalling",
        "Rising vibration and bearing temperature; seizure and shaft damage if left running",
        "Monthly vibration route; bearing temperature alarm; greasing PM",
        "Trend vibration_rms and bearing_temp weekly; replace bearing above 2x baseline",
        7,
    ),
    "seal_leak": (
        "External leakage at shaft seal",
        "Loss of discharge pressure and flow; product on floor; environmental and slip hazard",
        "Visual check on rounds; low pressure alarm",
        "Keep seal kit in stock; check flush plan; avoid dry running",
        6,
    ),
    "cavitation": (
        "Cavitation",
        "Noise, pressure pulsation, flow drop, impeller pitting",
        "Suction pressure indication; strainer cleaning PM",
        "Alarm on low suction pressure; keep duty point near BEP",
        5,
    ),
    "overheating": (
        "Winding overheating",
        "High winding temperature and current; insulation ageing; trip",
        "Winding temperature alarm; thermal overload relay",
        "Clean cooling fins quarterly; check phase balance and load",
        8,
    ),
    "sensor_stuck": (
        "Frozen transmitter signal",
        "Reading stays flat; real excursions are missed",
        "None automatic; operator notices on trends",
        "Add flat-line detection on critical channels",
        4,
    ),
    "sensor_spike": (
        "Erratic / spiking signal",
        "Nuisance alarms; operators start ignoring the alarm",
        "Alarm filtering in the DCS",
        "Check cable shields and terminations; separate signal and VFD cables",
        3,
    ),
    "misalignment": (
        "Shaft misalignment",
        "Vibration at 1x and 2x, coupling wear, bearing load, current ripple",
        "Alignment check after any maintenance on the drive train",
        "Laser alignment after every coupling job; check soft foot",
        6,
    ),
    "imbalance": (
        "Rotor imbalance",
        "Vibration at 1x rising with speed; bearing and structure fatigue",
        "Vibration route",
        "Clean rotating element; balance in situ when vibration exceeds limit",
        6,
    ),
}

# Modes the sheet lists that the simulator never injects:
# (component, mode, failure code, effects, controls, action, severity)
_EXTRA: dict[str, tuple[tuple[str, str, str, str, str, str, int], ...]] = {
    "pump": (
        (
            "impeller",
            "Impeller erosion",
            "LOO",
            "Gradual loss of head and efficiency",
            "Performance test yearly",
            "Check wear ring clearance at overhaul",
            5,
        ),
        (
            "casing",
            "Casing gasket leak",
            "ELU",
            "Leak at casing joint",
            "Visual check on rounds",
            "Replace gasket at every opening of the casing",
            4,
        ),
    ),
    "compressor": (
        (
            "air filter",
            "Air filter clogging",
            "LOO",
            "Reduced delivery, higher discharge temperature",
            "Differential pressure indicator",
            "Change filter on differential pressure, not only time",
            4,
        ),
        (
            "lubricant",
            "Oil degradation",
            "PDE",
            "Poor lubrication of rotors and bearings",
            "Oil change PM",
            "Oil analysis every 1000 h",
            6,
        ),
    ),
    "motor": (
        (
            "motor winding",
            "Insulation breakdown",
            "BRD",
            "Earth fault and trip; rewind needed",
            "Yearly insulation resistance test",
            "Trend polarisation index; keep heaters on at standstill",
            9,
        ),
    ),
    "fan": (
        (
            "baseplate",
            "Loose foundation bolts",
            "STD",
            "Vibration and cracks in the pedestal",
            "Monthly inspection",
            "Torque check of foundation bolts twice a year",
            5,
        ),
    ),
}


def _occurrence(weight: float, fault_rate: float) -> int:
    per_year = weight * fault_rate
    for score, limit in ((2, 0.02), (3, 0.05), (4, 0.1), (5, 0.2), (6, 0.4), (7, 0.8), (8, 1.5), (9, 3.0)):
        if per_year < limit:
            return score
    return 10


def _detection(chance_missed: float) -> int:
    return int(min(10, max(1, round(1 + 9 * chance_missed))))


def make_fmea(config: SimulatorConfig, asset_types: Sequence[str] | None = None) -> pd.DataFrame:
    """The FMEA rows of every asset type in the plant: one per fault type it can have, plus a few more."""
    rows = []
    for t_index, name in enumerate(asset_types or config.asset_types):
        kind = CATALOGUE[name]
        rng = stream(config.seed, STREAM_FMEA, t_index)
        total = sum(f.weight for f in FAULTS if name in f.asset_types)
        number = 0
        for fault in FAULTS:
            if name not in fault.asset_types:
                continue
            mode, effects, controls, action, severity = _MODES[fault.name]
            missed = 1.0 - (fault.detect[0] + fault.detect[1]) / 2
            occurrence = _occurrence(fault.weight / total, config.fault_rate)
            detection = min(10, _detection(missed) + int(rng.integers(0, 2)))
            number += 1
            rows.append(
                {
                    "fmea_id": f"FM-{kind.prefix}-{number:02d}",
                    "asset_type": name,
                    "component": fault.components[name],
                    "function": f"{name} {fault.components[name]} in service",
                    "failure_mode": mode,
                    "fault_type": fault.name,
                    "failure_code": fault.failure_code,
                    "effects": effects,
                    "causes": "; ".join(fault.causes),
                    "current_controls": controls,
                    "severity": severity,
                    "occurrence": occurrence,
                    "detection": detection,
                    "rpn": severity * occurrence * detection,
                    "recommended_action": action,
                }
            )
        for component, mode, code, effects, controls, action, severity in _EXTRA[name]:
            number += 1
            occurrence = int(rng.integers(2, 5))
            detection = int(rng.integers(3, 7))
            rows.append(
                {
                    "fmea_id": f"FM-{kind.prefix}-{number:02d}",
                    "asset_type": name,
                    "component": component,
                    "function": f"{name} {component} in service",
                    "failure_mode": mode,
                    "fault_type": "",
                    "failure_code": code,
                    "effects": effects,
                    "causes": "wear; ageing",
                    "current_controls": controls,
                    "severity": severity,
                    "occurrence": occurrence,
                    "detection": detection,
                    "rpn": severity * occurrence * detection,
                    "recommended_action": action,
                }
            )
    return pd.DataFrame(rows, columns=list(FMEA_COLUMNS))
