"""Write the ask_user2 user folder: a water / wastewater utility's assets and work orders.

    python make_data.py OUTDIR

Seeded (numpy default_rng(20250611)), so the folder is the same on every run. Three works (Riverside
WwTW, Marsh Lane WwTW, Hillfoot WTW), 16 assets of 6 types, 300 work orders over 2023-2024 with
operator free text, failure codes (blank for planned work), cost, labour hours and the text columns
order_type, priority, status and crew.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250611

# asset_id, asset_type, plant, vendor, commissioned, department, duty, rated_kw, number of work orders
ASSETS = [
    ("RVS-PMP-01", "submersible pump", "Riverside WwTW", "Xylem", 2009, "Wastewater Ops", "duty", 45, 42),
    ("RVS-PMP-02", "submersible pump", "Riverside WwTW", "Xylem", 2009, "Wastewater Ops", "standby", 45, 30),
    ("MSL-PMP-01", "submersible pump", "Marsh Lane WwTW", "Xylem", 2015, "Wastewater Ops", "duty", 22, 22),
    ("HLF-PMP-01", "submersible pump", "Hillfoot WTW", "Grundfos", 2018, "Clean Water Ops", "duty", 15, 12),
    ("RVS-BLW-01", "blower", "Riverside WwTW", "Aerzen", 2012, "Wastewater Ops", "duty", 110, 26),
    ("RVS-BLW-02", "blower", "Riverside WwTW", "Aerzen", 2012, "Wastewater Ops", "standby", 110, 18),
    ("MSL-BLW-01", "blower", "Marsh Lane WwTW", "Kaeser", 2016, "Wastewater Ops", "duty", 75, 14),
    ("RVS-MIX-01", "mixer", "Riverside WwTW", "Xylem", 2011, "Wastewater Ops", "duty", 7.5, 16),
    ("MSL-MIX-01", "mixer", "Marsh Lane WwTW", "Sulzer", 2016, "Wastewater Ops", "duty", 5.5, 10),
    ("HLF-UVR-01", "UV reactor", "Hillfoot WTW", "Trojan", 2017, "Clean Water Ops", "duty", 30, 24),
    ("HLF-UVR-02", "UV reactor", "Hillfoot WTW", "Trojan", 2017, "Clean Water Ops", "standby", 30, 14),
    ("RVS-SLG-01", "sluice gate", "Riverside WwTW", "Glenfield", 2005, "Wastewater Ops", "duty", 1.1, 8),
    ("HLF-SLG-01", "sluice gate", "Hillfoot WTW", "AUMA", 2018, "Clean Water Ops", "duty", 0.75, 6),
    ("MSL-SLG-01", "sluice gate", "Marsh Lane WwTW", "AUMA", 2015, "Wastewater Ops", "duty", 0.75, 10),
    ("RVS-SCP-01", "screw press", "Riverside WwTW", "Huber", 2014, "Sludge Treatment", "duty", 11, 28),
    ("MSL-SCP-01", "screw press", "Marsh Lane WwTW", "Andritz", 2019, "Sludge Treatment", "duty", 7.5, 20),
]

# order-type probabilities (Planned, Reactive, Emergency) per asset type
ORDER_MIX = {
    "submersible pump": (0.25, 0.60, 0.15),
    "blower": (0.50, 0.40, 0.10),
    "mixer": (0.40, 0.50, 0.10),
    "UV reactor": (0.45, 0.50, 0.05),
    "sluice gate": (0.50, 0.40, 0.10),
    "screw press": (0.35, 0.50, 0.15),
}

# failure code -> weight, per asset type (reactive and emergency work only)
CODES = {
    "submersible pump": {"BLOCK": 0.55, "SEAL": 0.2, "ELEC": 0.15, "BEAR": 0.1},
    "blower": {"BEAR": 0.4, "VIBR": 0.3, "ELEC": 0.2, "LEAK": 0.1},
    "mixer": {"BLOCK": 0.5, "BEAR": 0.3, "ELEC": 0.2},
    "UV reactor": {"LAMP": 0.6, "INST": 0.25, "ELEC": 0.15},
    "sluice gate": {"LEAK": 0.4, "ELEC": 0.35, "WEAR": 0.25},
    "screw press": {"WEAR": 0.45, "BLOCK": 0.3, "SEAL": 0.1, "ELEC": 0.15},
}

PLANNED_TEXT = {
    "submersible pump": [
        "PPM - lift pump, insp impeller & volute, megger motor ok",
        "6 monthly PM: chk oil in seal chamber, condition ok",
        "annual serv - pump lifted, wear ring chked, refitted",
        "PM insp, cable & chain checked, no defects",
    ],
    "blower": [
        "oil change + air filter replaced, belts tensioned",
        "PPM blower - oil chg, chk belts, vib readings ok",
        "quarterly PM: inlet filter replcd, diffuser grid pressure ok",
        "annual service, check safety valve & silencer",
    ],
    "mixer": [
        "PM: lift mixer, insp propellor, guide rail ok",
        "6 mthly insp mixer, oil chk, no issues",
        "annual serv mixer - seals chkd, refitted",
    ],
    "UV reactor": [
        "PPM - UV lamps replaced bank 1 (12000 hr change)",
        "quarterly PM: wipers chkd, sleeves cleaned, UVT sensor calib",
        "lamp replacement 12k hrs, all lamps repl bank 2",
        "PM insp reactor, ballast cab cleaned, filters chkd",
        "sleeve clean + intensity sensor cal check",
    ],
    "sluice gate": [
        "PPM - exercise gate full travel, grease spindle",
        "annual insp actuator, limits checked ok",
        "6 mthly PM, grease & exercise penstock",
    ],
    "screw press": [
        "PM: brush & screen insp, polymer line flushed",
        "oil chg gearbox, chk wear on flights",
        "quarterly PPM - wash water nozzles cleaned",
        "annual serv screw press, screen basket insp",
    ],
}

FAILURE_TEXT = {
    "BLOCK": [
        "pump ragged up, lifted & cleared rags from impeller",
        "ragging - impeller blocked, deragged and refitted",
        "high amps trip, blockage - rags round impeler cleared",
        "blocked w/ wipes, lifted pump and cleared",
    ],
    "SEAL": [
        "seal leak alarm (FLS), pump lifted, mech seal replaced",
        "water in oil, seal failed - new mech seal fitted",
        "seal water leak, replaced seal kit",
    ],
    "ELEC": [
        "motor trip on overload, reset & investigated, contactor replcd",
        "VSD fault F0002, reset, cable termination tightened",
        "no run sig, blown fuse in MCC replaced",
    ],
    "BEAR": [
        "noisy bearing, bearings replaced DE & NDE",
        "high temp on brg, greased & monitored, brg replaced",
        "bearing failure, unit stripped & rebuilt",
    ],
    "VIBR": [
        "high vib alarm, belts realigned & retensioned",
        "vibration high on DE, coupling insert replaced",
        "excessive vibration - base bolts loose, tightened",
    ],
    "LAMP": [
        "lamp fail alarm bank 2 - lamp replaced",
        "2x lamps failed, lamps replaced & hours reset",
        "lamp out alarm, failed lamp repl, sleeve ok",
    ],
    "INST": [
        "UVT analyser reading low, recalibrated",
        "intensity sensor fault, sensor cleaned & recal",
        "flow meter signal lost, instrument reset",
    ],
}

# texts for a failure code that depend on the asset type (instead of FAILURE_TEXT)
TYPE_TEXT = {
    ("mixer", "BLOCK"): [
        "mixer ragged, lifted & cleared rags off prop",
        "mixer trip high amps - prop blocked w/ rags, cleared",
    ],
    ("screw press", "BLOCK"): [
        "screw blocked with debris, cleared and restarted",
        "press blocked - inlet choked w/ sludge, flushed",
    ],
    ("screw press", "WEAR"): [
        "worn screen brushes replaced",
        "flights worn, screw rebuilt by contractor",
    ],
    ("sluice gate", "WEAR"): [
        "spindle nut worn, replaced",
        "gate guides worn, wear strips renewed",
    ],
    ("sluice gate", "LEAK"): [
        "gate leaking past seal, seals adjusted",
        "leaking past gate, seal strip renewed",
    ],
    ("sluice gate", "ELEC"): [
        "actuator fault - no power, control card swapped",
        "actuator tripped on torque, limits reset",
    ],
    ("blower", "LEAK"): [
        "oil leak from gearbox, gasket replaced",
        "air leak on discharge flange, gasket renewed",
    ],
}

COST_MU = {"Planned": np.log(450), "Reactive": np.log(1400), "Emergency": np.log(4200)}
HOURS_MU = {"Planned": 3.0, "Reactive": 6.0, "Emergency": 12.0}


def make(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    assets = pd.DataFrame(
        [a[:8] for a in ASSETS],
        columns=[
            "asset_id",
            "asset_type",
            "plant",
            "vendor",
            "commissioned",
            "department",
            "duty",
            "rated_kw",
        ],
    )
    assets.to_csv(out / "assets.csv", index=False)

    start = pd.Timestamp("2023-01-01")
    rows = []
    for asset_id, atype, plant, _vendor, _comm, _dept, _duty, _kw, n in ASSETS:
        for _ in range(n):
            otype = str(rng.choice(["Planned", "Reactive", "Emergency"], p=ORDER_MIX[atype]))
            day = int(rng.integers(0, 731))
            if otype == "Emergency":
                minute = int(rng.integers(0, 24 * 60))
            else:
                minute = int(rng.integers(7 * 60, 16 * 60))
            created = start + pd.Timedelta(days=day, minutes=minute)
            if otype == "Planned":
                code = ""
                text = str(rng.choice(PLANNED_TEXT[atype]))
            else:
                codes = CODES[atype]
                code = str(rng.choice(list(codes), p=list(codes.values())))
                texts = TYPE_TEXT[(atype, code)] if (atype, code) in TYPE_TEXT else FAILURE_TEXT[code]
                text = str(rng.choice(texts))
            if otype == "Emergency" and rng.random() < 0.5:
                text = "CALLOUT - " + text
            cost = round(float(rng.lognormal(COST_MU[otype], 0.35)), 2)
            hours = max(0.5, round(float(rng.gamma(4.0, HOURS_MU[otype] / 4.0)) * 2) / 2)
            prio = {"Planned": "P3", "Reactive": "P2", "Emergency": "P1"}[otype]
            if otype == "Reactive" and rng.random() < 0.2:
                prio = "P1"
            if otype == "Emergency" and rng.random() < 0.4:
                crew = "Contractor"
            elif code in ("ELEC", "INST"):
                crew = "Electrical & ICA"
            elif plant == "Riverside WwTW":
                crew = "Mech North"
            else:
                crew = "Mech South"
            rows.append(
                {
                    "asset_id": asset_id,
                    "text": text,
                    "created": created,
                    "failure_code": code,
                    "cost": cost,
                    "labour_hours": hours,
                    "order_type": otype,
                    "priority": prio,
                    "crew": crew,
                }
            )
    wo = pd.DataFrame(rows).sort_values("created", kind="stable").reset_index(drop=True)
    late = wo["created"] >= pd.Timestamp("2024-12-01")
    draw = rng.random(len(wo))
    wo["status"] = np.where(late & (draw < 0.55), "Open", np.where(late & (draw < 0.75), "On Hold", "Closed"))
    wo.insert(0, "wo_id", [f"WO{240001 + i}" for i in range(len(wo))])
    wo["created"] = wo["created"].dt.strftime("%Y-%m-%d %H:%M")
    cols = ["wo_id", "asset_id", "text", "created", "failure_code", "cost", "labour_hours"]
    cols += ["order_type", "priority", "status", "crew"]
    wo[cols].to_csv(out / "work_orders.csv", index=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python make_data.py OUTDIR")
    make(Path(sys.argv[1]))
