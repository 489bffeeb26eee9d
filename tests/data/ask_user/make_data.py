"""Write a plant's CMMS export, as a user would hand it to ``moesaic kb ingest``, into OUTDIR.

    python make_data.py OUTDIR

OUTDIR gets ``assets.csv`` (14 assets of 5 types on 3 sites), ``work_orders.csv`` (about 350
orders, 2024-2025, technician free text) and ``series/`` (hourly sensor files of P-102, K-201
and F-501). Everything is drawn from one seeded generator, so the folder is the same on every run.
"""

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
START, END = pd.Timestamp("2024-01-02"), pd.Timestamp("2025-12-19")

ASSETS = pd.read_csv(
    io.StringIO("""\
asset_id,asset_type,site,manufacturer,install_year,criticality,rated_power_kw
P-101,centrifugal pump,Geleen,KSB,2012,A,75
P-102,centrifugal pump,Geleen,KSB,2009,A,90
P-103,centrifugal pump,Moerdijk,Sulzer,2016,B,55
P-104,centrifugal pump,Moerdijk,Sulzer,2019,C,30
K-201,screw compressor,Geleen,Atlas Copco,2014,A,160
K-202,screw compressor,Moerdijk,Kaeser,2011,B,110
K-203,screw compressor,Terneuzen,Atlas Copco,2020,B,90
CV-301,belt conveyor,Terneuzen,Fenner Dunlop,2010,B,45
CV-302,belt conveyor,Terneuzen,Fenner Dunlop,2008,A,55
CV-303,belt conveyor,Moerdijk,Continental,2017,C,37
GB-401,gearbox,Terneuzen,Flender,2010,B,200
GB-402,gearbox,Geleen,SEW-Eurodrive,2015,C,132
F-501,fan,Geleen,Howden,2013,B,250
F-502,fan,Terneuzen,Howden,2018,C,185
""")
)

# corrective + emergency orders per asset over the two years (the bad actors are P-102, CV-302, K-202)
FAILURES = {
    "P-102": 44, "CV-302": 33, "K-202": 24, "P-101": 15, "CV-301": 14, "K-201": 12, "GB-401": 11,
    "P-103": 10, "F-501": 9, "CV-303": 8, "K-203": 7, "F-502": 6, "GB-402": 5, "P-104": 4,
}  # fmt: skip
PM_DAYS = {"centrifugal pump": 90, "screw compressor": 60, "belt conveyor": 45, "gearbox": 120, "fan": 90}
# how likely each failure code is, per asset type
CODE_P = {
    "centrifugal pump": {"LEAK": 0.35, "VIB": 0.25, "OVHT": 0.1, "BLOCK": 0.15, "ELEC": 0.15},
    "screw compressor": {"OVHT": 0.35, "LEAK": 0.25, "ELEC": 0.2, "VIB": 0.2},
    "belt conveyor": {"WEAR": 0.4, "BLOCK": 0.25, "VIB": 0.15, "ELEC": 0.2},
    "gearbox": {"LEAK": 0.35, "VIB": 0.25, "OVHT": 0.2, "WEAR": 0.2},
    "fan": {"VIB": 0.4, "WEAR": 0.2, "BLOCK": 0.2, "ELEC": 0.2},
}
# the technicians' texts per asset type and failure code (PM: preventive work)
TEXTS = """
centrifugal pump | LEAK  | mech seal leaking DE side, replcd mech seal + o-rings
centrifugal pump | LEAK  | seal leak approx 20 drops/min. changed mechanical seal
centrifugal pump | LEAK  | pump leaking at gland, mech seal replaced, flushed seal pot
centrifugal pump | LEAK  | leak frm casing gasket, replaced gasket and retorqued
centrifugal pump | VIB   | high vib on pump NDE brg, replaced bearings both ends
centrifugal pump | VIB   | vibration alarm, coupling insert worn. replaced coupling insert + laser align
centrifugal pump | VIB   | excesive vibration and brg noise. changed brg
centrifugal pump | VIB   | vib high after restart, realigned motor/pump, soft foot corrected
centrifugal pump | OVHT  | brg temp high, regreased, lube was dry
centrifugal pump | OVHT  | motor overheating, cleaned fan cowl, chk amps ok
centrifugal pump | BLOCK | low flow, suction strainer blocked. cleaned strainer
centrifugal pump | BLOCK | impeller clogged w/ debris, cleaned impeller + volute
centrifugal pump | BLOCK | impeller worn and partly blocked, replaced impeller
centrifugal pump | ELEC  | pump tripped on overload, reset. megger motor ok
centrifugal pump | ELEC  | motor wont start, replaced contactor in MCC
centrifugal pump | ELEC  | cable termination burnt at motor TB, re-terminated
centrifugal pump | PM    | PM quarterly: greased brgs, vib readings ok
centrifugal pump | PM    | 3M PM - lube + alignment chk, no issues
screw compressor | OVHT  | high discharge temp trip, oil cooler fouled - cleaned cooler
screw compressor | OVHT  | comp tripped on hi temp, thermostatic valve stuck, replaced valve
screw compressor | OVHT  | overheating, cooling fan motor faulty. replaced fan motor
screw compressor | LEAK  | oil leak at separator tank flange, new gasket fitted
screw compressor | LEAK  | air leak on discharge line, replaced hose
screw compressor | LEAK  | oil carry over, separator element replaced
screw compressor | ELEC  | comp wont load, solenoid valve coil burnt, replaced
screw compressor | ELEC  | VSD fault, reset + cleaned VSD filters
screw compressor | VIB   | abnormal noise + vib from airend, inspected, motor brg replaced
screw compressor | VIB   | drive coupling worn, replaced coupling
screw compressor | PM    | 2000h service: changed oil filter + air filter, oil sample taken
screw compressor | PM    | PM: air filter element replaced, condensate drain chkd
screw compressor | PM    | service kit fitted (oil filter, separator), ok
belt conveyor    | WEAR  | belt torn at splice, replaced belt section + new splice
belt conveyor    | WEAR  | belt worn thru cover, new belt fitted
belt conveyor    | WEAR  | return idlers worn, replaced 6 idlers
belt conveyor    | WEAR  | scraper blade worn out, replaced scraper
belt conveyor    | BLOCK | transfer chute blocked, cleared spillage
belt conveyor    | BLOCK | chute blockage at head end, cleaned out, checked plow
belt conveyor    | VIB   | head pulley brg noisy, replaced pulley brg
belt conveyor    | VIB   | drive vib high, tail pulley lagging damaged, relagged
belt conveyor    | ELEC  | pull wire switch faulty, replaced switch
belt conveyor    | ELEC  | conveyor tripped, belt speed sensor faulty, replaced sensor
belt conveyor    | PM    | PM insp: tracking adjusted, idlers chkd
belt conveyor    | PM    | PM greased pulleys, checked splice ok
belt conveyor    | PM    | insp scraper, adjusted tension
gearbox          | LEAK  | oil leak at output shaft seal, replaced lip seal
gearbox          | LEAK  | oil weeping frm inspection cover, new gasket
gearbox          | VIB   | high vib on HS shaft, bearing replaced
gearbox          | VIB   | gearbox noise, coupling misaligned, realigned
gearbox          | OVHT  | oil temp high, cooler fan blocked w/ dust, cleaned
gearbox          | OVHT  | gb overheating, oil level low - topped up, leak chk
gearbox          | WEAR  | pitting on gear teeth found at insp, gear set replaced
gearbox          | WEAR  | worn coupling teeth, coupling replaced
gearbox          | PM    | PM oil sample + top up, breather cleaned
gearbox          | PM    | PM gearbox oil change, oil filter replaced
fan              | VIB   | fan vib high, impeller build-up cleaned + balanced
fan              | VIB   | high vibration, fan brg replaced DE
fan              | WEAR  | v-belts worn, replaced belt set and tensioned
fan              | WEAR  | impeller blades eroded, impeller replaced
fan              | BLOCK | inlet filter blocked, filter replaced
fan              | BLOCK | damper stuck closed, freed + greased linkage
fan              | ELEC  | fan motor tripped, winding insulation low, motor rewound
fan              | ELEC  | VFD fault, replaced cooling fan of VFD
fan              | PM    | PM: greased fan brgs, inlet filter cleaned
fan              | PM    | PM vib route, readings normal
"""
TEXT: dict[tuple[str, str], list[str]] = {}
for _line in TEXTS.strip().splitlines():
    _type, _code, _text = (part.strip() for part in _line.split("|"))
    TEXT.setdefault((_type, _code), []).append(_text)

# hand-placed orders that go with the sensor files
STORY = [
    ("P-102", "2025-05-02 09:15", "CM", "VIB",
     "vib trending up since mid april, DE + NDE bearings replaced, laser aligned"),
    ("K-201", "2025-08-15 07:40", "CM", "OVHT",
     "high disch temp since 14/08 early morning, oil cooler fouled. needs shutdown, new cooler core ordered"),
    ("K-201", "2025-09-03 10:20", "CM", "OVHT",
     "shutdown: replaced oil cooler core, disch temp back to normal"),
]  # fmt: skip


def when(rng: np.random.Generator, day: pd.Timestamp, emergency: bool = False) -> pd.Timestamp:
    hour = rng.integers(0, 24) if emergency else rng.integers(6, 22)
    return day.normalize() + pd.Timedelta(hours=int(hour), minutes=int(rng.integers(0, 60)))


def cost_hours(rng: np.random.Generator, wt: str) -> tuple[float, float]:
    mu, sigma, lo, hi = {"PM": (5.6, 0.4, 1, 5), "CM": (7.2, 0.7, 2, 16), "EM": (8.6, 0.5, 4, 24)}[wt]
    return round(float(rng.lognormal(mu, sigma)), 2), float(rng.integers(lo * 2, hi * 2 + 1)) / 2


def work_orders(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    span = (END - START).days
    for asset, kind in ASSETS[["asset_id", "asset_type"]].to_numpy().tolist():
        every = PM_DAYS[kind]
        day = START + pd.Timedelta(days=int(rng.integers(0, every)))
        while day <= END:
            rows.append((asset, when(rng, day), "PM", "", str(rng.choice(TEXT[kind, "PM"]))))
            day += pd.Timedelta(days=every + int(rng.integers(-5, 6)))
        codes = CODE_P[kind]
        p = np.array(list(codes.values()))
        for _ in range(FAILURES[asset]):
            code = str(rng.choice(list(codes), p=p / p.sum()))
            wt = "EM" if rng.random() < 0.18 else "CM"
            day = START + pd.Timedelta(days=int(rng.integers(0, span + 1)))
            text = str(rng.choice(TEXT[kind, code]))
            rows.append((asset, when(rng, day, wt == "EM"), wt, code, text))
    rows += [(a, pd.Timestamp(t), wt, c, x) for a, t, wt, c, x in STORY]
    wo = pd.DataFrame(rows, columns=["asset_id", "created", "work_type", "failure_code", "text"])
    wo = wo.sort_values(["created", "asset_id"], kind="stable").reset_index(drop=True)
    wo["cost"], wo["labour_hours"] = zip(*(cost_hours(rng, wt) for wt in wo["work_type"]), strict=True)
    prio = {"PM": (["Low", "Medium"], [0.7, 0.3]), "CM": (["High", "Medium", "Low"], [0.3, 0.6, 0.1])}
    wo["priority"] = [
        "High" if wt == "EM" else str(rng.choice(prio[wt][0], p=prio[wt][1])) for wt in wo["work_type"]
    ]
    late = wo["created"] >= pd.Timestamp("2025-11-24")
    wo["status"] = np.where(late & (rng.random(len(wo)) < 0.75), "Open", "Closed")
    is_open = wo["status"] == "Open"
    wo.loc[is_open, ["cost", "labour_hours"]] = np.nan
    # an open order tells the symptom only: the work is not done yet
    wait = np.resize(["in progress", "awaiting parts"], int(is_open.sum()))
    symptom = wo.loc[is_open, "text"].str.split(",").str[0]
    wo.loc[is_open, "text"] = np.where(wo.loc[is_open, "work_type"] == "PM", "PM due", symptom + " - " + wait)
    n = wo.groupby(wo["created"].dt.year).cumcount() + 1
    wo.insert(0, "wo_id", [f"WO{t:%y}{i:04d}" for t, i in zip(wo["created"], n, strict=True)])
    wo["created"] = wo["created"].dt.strftime("%Y-%m-%d %H:%M")
    cols = ["wo_id", "asset_id", "created", "work_type", "priority", "status", "failure_code", "text"]
    return wo[[*cols, "cost", "labour_hours"]]


def series(rng: np.random.Generator, start: str, channels: dict[str, tuple[float, float]]) -> pd.DataFrame:
    t = pd.date_range(start, periods=60 * 24, freq="h")
    df = pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S")})
    for name, (level, sd) in channels.items():
        df[name] = level + rng.normal(0, sd, len(t))
    return df


def sensor_files(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    pump = series(rng, "2025-03-01", {"vibration_mm_s": (2.8, 0.15), "bearing_temp_c": (61.5, 0.8),
                                       "discharge_pressure_bar": (6.4, 0.08)})  # fmt: skip
    ramp = np.clip(np.arange(len(pump)) - 39 * 24, 0, None) / (21 * 24)  # 0 -> 1 over the last 21 days
    pump["vibration_mm_s"] += 3.6 * ramp**1.3
    comp = series(rng, "2025-07-01", {"discharge_temp_c": (82.0, 0.7), "motor_current_a": (145.0, 2.0),
                                       "vibration_mm_s": (1.9, 0.1)})  # fmt: skip
    after_step = pd.to_datetime(comp["timestamp"]) >= pd.Timestamp("2025-08-14 06:00")
    comp.loc[after_step, "discharge_temp_c"] += 11.0
    fan = series(rng, "2025-09-01", {"vibration_mm_s": (3.1, 0.2), "bearing_temp_c": (48.0, 1.0),
                                      "motor_current_a": (310.0, 4.0)})  # fmt: skip
    out = {"P-102": pump, "K-201": comp, "F-501": fan}
    return {k: v.round(3) for k, v in out.items()}


def main(outdir: Path) -> None:
    rng = np.random.default_rng(SEED)
    (outdir / "series").mkdir(parents=True, exist_ok=True)
    ASSETS.to_csv(outdir / "assets.csv", index=False)
    work_orders(rng).to_csv(outdir / "work_orders.csv", index=False)
    for asset, df in sensor_files(rng).items():
        df.to_csv(outdir / "series" / f"{asset}.csv", index=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
