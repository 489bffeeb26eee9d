"""What each asset type is made of: its sensor channels, models, parts (BOM) and PM routines.

Every name here is invented for the simulator (manufacturers, models, part numbers); the
physical magnitudes are plausible for mid-size industrial rotating equipment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelSpec:
    """How one sensor channel responds to load and ambient temperature.

    The noiseless value is ``size**scale * (base + gain * load**power) + ambient * (T_amb - 15)``,
    followed by a first-order lag of ``lag_hours`` (thermal inertia), slow AR(1) process noise of
    standard deviation ``ar`` and white sensor noise ``noise``; readings keep ``decimals`` digits.
    ``alarm`` is "hi" or "lo" when the DCS watches the channel for that direction.
    """

    name: str
    unit: str
    base: float
    gain: float
    power: float = 1.0
    ambient: float = 0.0
    lag_hours: float = 0.0
    ar: float = 0.0
    noise: float = 0.0
    decimals: int = 2
    alarm: str = ""
    scale: float = 0.0


@dataclass(frozen=True)
class Part:
    """One line of an asset type's bill of materials; ``drawing`` names the drawn shape family."""

    part_number: str
    description: str
    component: str
    material: str
    unit_cost: float
    qty: int = 1
    drawing: str = ""
    size: float = 0.0


@dataclass(frozen=True)
class PMTask:
    """A preventive routine: every ``interval_days``, ``hours`` of work, consuming ``part`` if set."""

    code: str
    name: str
    interval_days: int
    hours: float
    part: str = ""


@dataclass(frozen=True)
class AssetType:
    name: str
    prefix: str
    digit: int
    share: float
    channels: tuple[ChannelSpec, ...]
    models: tuple[str, ...]
    manufacturers: tuple[str, ...]
    power_kw: tuple[float, ...]
    areas: tuple[str, ...]
    parts: tuple[Part, ...]
    pm_tasks: tuple[PMTask, ...]

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels)

    def part(self, component: str) -> Part:
        """The first part of the BOM for ``component``."""
        for p in self.parts:
            if p.component == component:
                return p
        raise KeyError(f"{self.name} has no part for component {component!r}")


def _ch(name: str, unit: str, base: float, gain: float, **kw: float | int | str) -> ChannelSpec:
    return ChannelSpec(name, unit, base, gain, **kw)  # type: ignore[arg-type]


PUMP = AssetType(
    name="pump",
    prefix="P",
    digit=1,
    share=0.4,
    channels=(
        _ch("flow", "m3/h", 0.0, 120.0, ar=1.5, noise=0.8, decimals=1, alarm="lo", scale=1.0),
        _ch("discharge_pressure", "bar", 3.0, 3.5, power=2.0, ar=0.06, noise=0.03, alarm="lo"),
        _ch("suction_pressure", "bar", 1.6, -0.4, power=2.0, ar=0.02, noise=0.01, alarm="lo"),
        _ch("vibration_rms", "mm/s", 1.2, 1.0, ar=0.08, noise=0.06, alarm="hi"),
        _ch(
            "bearing_temp",
            "degC",
            35.0,
            18.0,
            ambient=0.6,
            lag_hours=2.0,
            ar=0.4,
            noise=0.15,
            decimals=1,
            alarm="hi",
        ),
        _ch(
            "motor_temp",
            "degC",
            40.0,
            35.0,
            ambient=0.7,
            lag_hours=3.0,
            ar=0.5,
            noise=0.2,
            decimals=1,
            alarm="hi",
        ),
        _ch("current", "A", 25.0, 70.0, ar=0.8, noise=0.5, decimals=1, alarm="hi", scale=1.0),
        _ch("speed", "rpm", 2985.0, -30.0, ar=1.0, noise=1.0, decimals=0),
    ),
    models=("NCB 80-200", "HX 65-250", "VF 100-315"),
    manufacturers=("Nordal Pumps", "Hydrora", "Vesta Fluid"),
    power_kw=(30.0, 45.0, 55.0, 75.0, 90.0),
    areas=("cooling water", "process water", "boiler feed", "effluent"),
    parts=(
        Part("PU-SH-1001", "PUMP SHAFT", "shaft", "42CrMo4", 640.0, drawing="shaft", size=45.0),
        Part(
            "PU-IM-1002", "IMPELLER, CLOSED 5 VANE", "impeller", "1.4408", 1850.0, drawing="disc", size=250.0
        ),
        Part(
            "PU-BH-1003",
            "BEARING HOUSING COVER",
            "bearing housing",
            "EN-GJL-250",
            310.0,
            drawing="disc",
            size=160.0,
        ),
        Part("PU-BR-6309", "BALL BEARING 6309-2Z (DE)", "bearing", "100Cr6", 85.0),
        Part("PU-BR-6308", "BALL BEARING 6308-2Z (NDE)", "bearing", "100Cr6", 72.0),
        Part("PU-MS-0450", "MECH SEAL KIT 45MM", "mechanical seal", "SiC/carbon", 920.0),
        Part("PU-CP-0110", "COUPLING ELEMENT", "coupling", "NBR", 140.0),
        Part("PU-GK-0200", "CASING GASKET", "casing", "aramid fibre", 35.0),
        Part("PU-TX-0016", "PRESSURE TRANSMITTER 0-16 BAR", "transmitter", "316L", 480.0),
        Part("PU-WD-0075", "MOTOR STATOR REWIND", "motor winding", "Cu class F", 2600.0),
        Part("PU-GR-0002", "GREASE EP2 400G", "lubricant", "lithium complex", 12.0, qty=2),
        Part("PU-ST-0080", "SUCTION STRAINER BASKET", "strainer", "1.4301", 150.0),
    ),
    pm_tasks=(
        PMTask("INSP", "monthly inspection", 30, 1.0),
        PMTask("LUBE", "bearing lubrication", 90, 0.5, part="PU-GR-0002"),
        PMTask("STRN", "suction strainer cleaning", 60, 1.5),
    ),
)

COMPRESSOR = AssetType(
    name="compressor",
    prefix="C",
    digit=2,
    share=0.15,
    channels=(
        _ch("suction_pressure", "bar", 1.0, -0.05, ar=0.004, noise=0.003, decimals=3, alarm="lo"),
        _ch("discharge_pressure", "bar", 7.8, -0.5, ar=0.04, noise=0.02, alarm="lo"),
        _ch(
            "discharge_temp",
            "degC",
            70.0,
            18.0,
            ambient=0.8,
            lag_hours=1.0,
            ar=0.5,
            noise=0.2,
            decimals=1,
            alarm="hi",
        ),
        _ch("flow", "m3/min", 0.0, 20.0, ar=0.25, noise=0.15, alarm="lo", scale=1.0),
        _ch("vibration_rms", "mm/s", 2.0, 1.2, ar=0.1, noise=0.08, alarm="hi"),
        _ch(
            "bearing_temp",
            "degC",
            45.0,
            20.0,
            ambient=0.6,
            lag_hours=2.0,
            ar=0.4,
            noise=0.15,
            decimals=1,
            alarm="hi",
        ),
        _ch("oil_pressure", "bar", 3.2, 0.3, ar=0.03, noise=0.02, alarm="lo"),
        _ch("current", "A", 60.0, 160.0, ar=1.5, noise=1.0, decimals=1, alarm="hi", scale=1.0),
    ),
    models=("SK 75", "AK 110 VSD", "RS 160"),
    manufacturers=("Aerkon", "Brisa Industrial"),
    power_kw=(75.0, 110.0, 160.0),
    areas=("instrument air", "plant air"),
    parts=(
        Part("CO-RT-2001", "MALE ROTOR SHAFT END", "rotor", "34CrNiMo6", 1450.0, drawing="shaft", size=55.0),
        Part(
            "CO-EC-2002",
            "END COVER, DISCHARGE SIDE",
            "casing",
            "EN-GJS-400-15",
            780.0,
            drawing="disc",
            size=220.0,
        ),
        Part("CO-MP-2003", "MOTOR MOUNTING PLATE", "baseplate", "S355J2", 260.0, drawing="plate", size=420.0),
        Part("CO-BR-7310", "ANGULAR CONTACT BEARING 7310-B", "bearing", "100Cr6", 210.0, qty=2),
        Part("CO-SS-0055", "SHAFT SEAL 55MM", "shaft seal", "PTFE", 380.0),
        Part("CO-CP-0140", "COUPLING INSERT", "coupling", "PU 92 Shore A", 120.0),
        Part("CO-AF-0900", "AIR FILTER ELEMENT", "air filter", "cellulose", 95.0),
        Part("CO-OF-0310", "OIL FILTER", "oil filter", "glass fibre", 60.0),
        Part("CO-OL-0020", "COMPRESSOR OIL 20L", "lubricant", "synthetic PAO", 240.0),
        Part("CO-TX-0025", "TEMPERATURE TRANSMITTER PT100", "transmitter", "316L", 350.0),
        Part("CO-WD-0110", "MOTOR STATOR REWIND", "motor winding", "Cu class F", 4100.0),
    ),
    pm_tasks=(
        PMTask("INSP", "monthly inspection", 30, 1.0),
        PMTask("FILT", "air filter change", 120, 1.0, part="CO-AF-0900"),
        PMTask("OILC", "oil and oil filter change", 180, 3.0, part="CO-OF-0310"),
    ),
)

MOTOR = AssetType(
    name="motor",
    prefix="M",
    digit=3,
    share=0.25,
    channels=(
        _ch("current", "A", 15.0, 80.0, ar=0.8, noise=0.5, decimals=1, alarm="hi", scale=1.0),
        _ch("voltage", "V", 401.0, -4.0, ar=0.8, noise=0.6, decimals=1),
        _ch("speed", "rpm", 1495.0, -20.0, ar=0.6, noise=0.6, decimals=0),
        _ch("power", "kW", 3.0, 45.0, ar=0.5, noise=0.3, decimals=1, scale=1.0),
        _ch(
            "motor_temp",
            "degC",
            35.0,
            45.0,
            ambient=0.7,
            lag_hours=3.0,
            ar=0.5,
            noise=0.2,
            decimals=1,
            alarm="hi",
        ),
        _ch(
            "bearing_temp",
            "degC",
            32.0,
            15.0,
            ambient=0.6,
            lag_hours=2.0,
            ar=0.4,
            noise=0.15,
            decimals=1,
            alarm="hi",
        ),
        _ch("vibration_rms", "mm/s", 0.9, 0.8, ar=0.06, noise=0.05, alarm="hi"),
    ),
    models=("EM3 280M-4", "TV 250-4", "EM3 315S-4"),
    manufacturers=("Elvarn Motors", "Torvik Electric"),
    power_kw=(22.0, 55.0, 90.0, 132.0),
    areas=("conveyor line 1", "conveyor line 2", "mixer", "crusher"),
    parts=(
        Part("MO-SH-3001", "ROTOR SHAFT, DRIVE END", "shaft", "C45E", 720.0, drawing="shaft", size=60.0),
        Part("MO-ES-3002", "END SHIELD, DE", "end shield", "EN-GJL-250", 380.0, drawing="disc", size=300.0),
        Part("MO-FP-3003", "FOOT PLATE", "baseplate", "S235JR", 150.0, drawing="plate", size=360.0),
        Part("MO-BR-6312", "BALL BEARING 6312-C3 (DE)", "bearing", "100Cr6", 120.0),
        Part("MO-BR-6310", "BALL BEARING 6310-C3 (NDE)", "bearing", "100Cr6", 95.0),
        Part("MO-FN-0280", "COOLING FAN, PLASTIC", "cooling fan", "PA6 GF30", 65.0),
        Part("MO-CP-0160", "COUPLING HALF, FLEXIBLE", "coupling", "EN-GJL-250", 210.0),
        Part("MO-WD-0280", "STATOR REWIND", "motor winding", "Cu class F", 3200.0),
        Part("MO-TB-0004", "TERMINAL BOARD KIT", "terminal box", "DMC", 45.0),
        Part("MO-TX-0100", "PT100 WINDING SENSOR", "transmitter", "Cu/PTFE", 90.0),
        Part("MO-GR-0002", "GREASE POLYUREA 400G", "lubricant", "polyurea", 14.0),
    ),
    pm_tasks=(
        PMTask("INSP", "monthly inspection", 30, 0.5),
        PMTask("LUBE", "bearing greasing", 90, 0.5, part="MO-GR-0002"),
        PMTask("MEGR", "insulation resistance test", 365, 2.0),
    ),
)

FAN = AssetType(
    name="fan",
    prefix="F",
    digit=4,
    share=0.2,
    channels=(
        _ch("speed", "rpm", 400.0, 1000.0, ar=4.0, noise=2.0, decimals=0),
        _ch("flow", "m3/s", 0.0, 12.0, ar=0.12, noise=0.08, alarm="lo", scale=1.0),
        _ch("discharge_pressure", "mbar", 0.5, 25.0, power=2.0, ar=0.25, noise=0.15, alarm="lo"),
        _ch("current", "A", 6.0, 40.0, power=3.0, ar=0.5, noise=0.3, decimals=1, alarm="hi", scale=1.0),
        _ch("vibration_rms", "mm/s", 1.0, 2.0, power=2.0, ar=0.1, noise=0.07, alarm="hi"),
        _ch(
            "bearing_temp",
            "degC",
            30.0,
            20.0,
            ambient=0.7,
            lag_hours=2.0,
            ar=0.4,
            noise=0.15,
            decimals=1,
            alarm="hi",
        ),
        _ch(
            "motor_temp",
            "degC",
            35.0,
            35.0,
            ambient=0.7,
            lag_hours=3.0,
            ar=0.5,
            noise=0.2,
            decimals=1,
            alarm="hi",
        ),
    ),
    models=("CF 630", "AX 800", "CF 900-R"),
    manufacturers=("Ventora", "Aeolis Fans"),
    power_kw=(15.0, 30.0, 45.0, 75.0),
    areas=("boiler ID", "cooling tower", "dust extraction"),
    parts=(
        Part("FA-SH-4001", "FAN SHAFT", "shaft", "C45E", 540.0, drawing="shaft", size=50.0),
        Part("FA-HB-4002", "FAN WHEEL HUB", "fan wheel", "S355J2", 690.0, drawing="disc", size=280.0),
        Part(
            "FA-BP-4003", "BEARING PEDESTAL BASE", "baseplate", "S235JR", 180.0, drawing="plate", size=400.0
        ),
        Part("FA-BR-2210", "SELF-ALIGNING BEARING 2210-K", "bearing", "100Cr6", 110.0, qty=2),
        Part("FA-WH-0630", "FAN WHEEL ASSY 630", "fan wheel", "S355J2", 2900.0),
        Part("FA-BW-0006", "BALANCE WEIGHT SET", "fan wheel", "S235JR", 25.0),
        Part("FA-CP-0125", "COUPLING TYRE", "coupling", "natural rubber", 95.0),
        Part("FA-WD-0075", "MOTOR STATOR REWIND", "motor winding", "Cu class F", 2400.0),
        Part("FA-TX-0050", "VIBRATION TRANSMITTER 4-20MA", "transmitter", "316L", 420.0),
        Part("FA-GR-0002", "GREASE EP2 400G", "lubricant", "lithium complex", 12.0),
    ),
    pm_tasks=(
        PMTask("INSP", "monthly inspection", 30, 0.5),
        PMTask("LUBE", "bearing lubrication", 90, 0.5, part="FA-GR-0002"),
        PMTask("DAMP", "damper and inlet cone check", 120, 1.5),
    ),
)

CATALOGUE: dict[str, AssetType] = {t.name: t for t in (PUMP, COMPRESSOR, MOTOR, FAN)}

SITES = ("North works", "South works")
CRITICALITY = ("A", "B", "C")
DUTIES = ("continuous", "variable", "batch")
TECHNICIANS = tuple(f"T{n:03d}" for n in (11, 14, 17, 23, 28, 31, 36, 42, 47, 53))
LABOUR_RATE = 68.0  # currency units per labour hour
