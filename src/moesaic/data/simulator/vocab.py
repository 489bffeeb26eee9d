"""The words technicians use: work-order templates, abbreviations and typos (all written for moesaic).

Templates use ``str.format`` fields: {tag} asset tag, {kind} asset type, {side} DE/NDE,
{pn} part number, {part} part description, {chan} channel abbreviation, {val} a reading,
{comp} component, {wheel} rotating element, {n} a small number.
"""

from __future__ import annotations

import numpy as np

CHANNEL_ABBREV = {
    "vibration_rms": "vib",
    "bearing_temp": "brg temp",
    "motor_temp": "mtr temp",
    "discharge_pressure": "disch press",
    "suction_pressure": "suct press",
    "flow": "flow",
    "current": "amps",
    "speed": "speed",
    "discharge_temp": "disch temp",
    "oil_pressure": "oil press",
    "voltage": "volts",
    "power": "kW",
}

WHEEL = {"pump": "impeller", "fan": "fan wheel", "motor": "cooling fan", "compressor": "rotor"}

SYMPTOMS: dict[str, tuple[str, ...]] = {
    "bearing_wear": (
        "{tag} noisy, brg temp hi",
        "{tag} {side} brg running hot + rumbling noise",
        "high vib on {tag} {side} brg, pls check",
        "Operator reports grinding noise from {tag} brg housing",
        "brg temp alarm {tag} ({val} C), noisy",
    ),
    "seal_leak": (
        "{tag} seal leaking, puddle under {kind}",
        "seal leak {tag} - dripping approx {n} l/h",
        "{tag} disch press dropping, suspect seal",
        "leak at {tag} seal area, product on floor",
    ),
    "cavitation": (
        "{tag} making gravel noise, flow unstable",
        "cavitation noise {tag}, suct press low ({val} bar)",
        "{tag} crackling sound + press swings",
    ),
    "overheating": (
        "{tag} motor hot to touch, tripped once",
        "mtr temp alarm {tag}, amps hi",
        "{tag} overheating - smell of burnt varnish",
        "{tag} running hot, {chan} {val} C",
    ),
    "sensor_stuck": (
        "{tag} {chan} reading frozen at {val}",
        "DCS shows flat {chan} on {tag}, pls check transmitter",
        "{chan} on {tag} not changing since {n} days",
    ),
    "sensor_spike": (
        "{tag} {chan} spiking, nuisance alarms",
        "erratic {chan} signal {tag}",
        "{tag} {chan} jumps every few hrs, alarms flooding",
    ),
    "misalignment": (
        "{tag} vib hi at coupling end",
        "coupling guard hot + vib {tag}",
        "{tag} vibrating since last job, chk alignment",
    ),
    "imbalance": (
        "{tag} excessive vibration at full load",
        "{tag} shaking, vib hi ({val} mm/s)",
        "{tag} vib increase, suspect build-up on {wheel}",
    ),
}

# (action, component of the part used or "", text)
REPAIRS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "bearing_wear": (
        ("REPLACE", "bearing", "REPLACED {side} BRG ({pn}). OUTER RACE PITTED, GREASE DARK. TEST RUN OK"),
        ("REPLACE", "bearing", "c/o {side} brg {pn} + seal kit, realigned coupling. vib now {val} mm/s"),
        ("REPLACE", "bearing", "Found {side} bearing worn - rplcd brg {pn}, cleaned housing, new grease"),
    ),
    "seal_leak": (
        ("REPLACE", "{comp}", "REPLACED {comp} KIT {pn}. SEAL FACES SCORED, O-RINGS HARD. LEAK TEST OK"),
        ("REPLACE", "{comp}", "Renewed {comp} ({pn}), new shaft sleeve o-ring. no leak at full press"),
    ),
    "cavitation": (
        ("CLEAN", "strainer", "CLEANED SUCT STRAINER, FOUND RAGS + DEBRIS. IMPELLER EYE PITTED - MONITOR"),
        (
            "REPLACE",
            "impeller",
            "Replaced impeller {pn} (cavitation damage on vanes), opened suct valve fully",
        ),
        ("ADJUST", "", "adjusted duty point, less throttling on disch valve; noise gone"),
    ),
    "overheating": (
        ("CLEAN", "", "Cleaned motor cooling fins + fan cowl, blocked w/ dust. temp back to normal"),
        ("REPAIR", "motor winding", "MOTOR SENT FOR REWIND ({pn}), IR 0.4 MOHM. SPARE MOTOR FITTED"),
        ("REPAIR", "", "found phase imbalance {n}%, tightened loose terminal in T-box, amps balanced"),
    ),
    "sensor_stuck": (
        ("REPLACE", "transmitter", "Replaced {chan} transmitter {pn}, reading live again"),
        ("REPAIR", "", "cleared blocked impulse line, {chan} signal responding"),
        ("REPAIR", "", "RESEATED LOOSE CONNECTOR ON {chan} SENSOR, LOOP CHECK 4-20MA OK"),
    ),
    "sensor_spike": (
        ("REPAIR", "", "Re-terminated {chan} cable, shield earthed one end only. spikes gone"),
        ("REPLACE", "transmitter", "REPLACED DAMAGED SIGNAL CABLE + TRANSMITTER {pn}"),
    ),
    "misalignment": (
        (
            "ADJUST",
            "",
            "REALIGNED {kind}/MOTOR, LASER ALIGN: 0.{n}MM OFFSET FOUND, NOW 0.03MM. SHIMMED SOFT FOOT",
        ),
        ("REPLACE", "coupling", "Replaced coupling element {pn} (worn), realigned shafts"),
    ),
    "imbalance": (
        ("CLEAN", "", "Cleaned build-up off {wheel}, trim balanced in situ, vib now {val} mm/s"),
        ("REPAIR", "", "BALANCED {wheel} - ADDED {n}G AT 140 DEG. VIB OK"),
    ),
}

PM_TEXT: dict[str, tuple[str, ...]] = {
    "INSP": (
        "Monthly PM insp {tag}: chk vib, temps, leaks, noise. all ok",
        "PM INSPECTION {tag} - NO DEFECTS",
        "monthly round {tag}. vib {val} mm/s, no abnormal noise",
        "PM insp done, guard bolt missing - replaced",
        "Monthly check {tag} ok, slight weep at flange, monitor",
    ),
    "LUBE": (
        "Greased DE/NDE brgs, {n} shots each ({pn})",
        "LUBRICATION PM - {n} STROKES EP2, BRGS OK",
        "lube route {tag}: greased brgs, old grease purged clean",
    ),
    "STRN": (
        "Cleaned suction strainer, light debris",
        "STRAINER CLEAN - OK",
        "strainer basket cleaned, gasket ok",
    ),
    "FILT": ("Changed air filter element {pn}, old one dirty", "AIR FILTER C/O ({pn})"),
    "OILC": ("Oil + oil filter change, {pn}. oil sample sent to lab", "OIL CHANGE 20L PAO + FILTER {pn}"),
    "MEGR": ("IR test stator: {n}00 MOhm @ 1000V, PI 3.1. OK", "MEGGER TEST OK, {n}00 MOHM"),
    "DAMP": ("Checked damper linkage + inlet cone clearance, ok", "DAMPER ACTUATOR STROKED 0-100%, OK"),
}

# (action, failure code, text) of small corrective jobs that are not one of the injected faults
MINOR_JOBS: tuple[tuple[str, str, str], ...] = (
    ("REPLACE", "OTH", "Replaced broken pressure gauge on {tag}"),
    ("REPAIR", "STD", "Tightened loose guard bolts {tag}"),
    ("INSPECT", "OTH", "checked {chan} alarm on {tag}, no fault found (NFF)"),
    ("REPAIR", "ELU", "Repaired oil leak at sight glass {tag}"),
    ("REPLACE", "OTH", "REPLACED BLOWN FUSE IN LOCAL CONTROL STN {tag}"),
    ("REPAIR", "OTH", "{tag} nameplate missing, new tag fitted"),
    ("INSPECT", "PDE", "{tag} {chan} looks high vs last week, checked on site - within limits"),
)


def add_typo(text: str, rng: np.random.Generator) -> str:
    """``text`` with one plausible slip of the keyboard in a word of four letters or more."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = candidates[int(rng.integers(len(candidates)))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swapped letters
    elif kind == 1:
        w = w[:j] + w[j + 1 :]  # dropped letter
    else:
        w = w[:j] + w[j] + w[j:]  # doubled letter
    words[i] = w
    return " ".join(words)


def style(text: str, rng: np.random.Generator, *, typo_rate: float = 0.15) -> str:
    """A technician's rendering of ``text``: sometimes all capitals, sometimes a typo."""
    if rng.random() < typo_rate:
        text = add_typo(text, rng)
    if rng.random() < 0.3:
        text = text.upper()
    return text
