"""Gold answers of the ask_fresh2 held-out question set, computed with pandas from the raw files.

The plant:  moesaic simulate --assets 10 --days 75 --seed 91 --fault-rate 10 --out /tmp/askfresh2/plant
The base:   moesaic kb ingest /tmp/askfresh2/plant --kb /tmp/askfresh2/kb
            moesaic kb ingest fmea_mining_truck --kb /tmp/askfresh2/kb --data /work/shared/data

    ASK_FRESH2_PLANT=/tmp/askfresh2/plant python make_gold.py --write   # (re)write questions.json
    ASK_FRESH2_PLANT=/tmp/askfresh2/plant python make_gold.py   # recompute, compare: exit 1 on a difference

Every gold is computed here from plant/*.csv, plant/series/*.parquet, plant/drawings.json and the
mining-truck sheet fmea_dataset_filled.csv; never through moesaic.
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PLANT = Path(os.environ.get("ASK_FRESH2_PLANT", HERE / "plant"))
FMEA_TRUCK = Path(
    os.environ.get("ASK_FRESH2_FMEA", "/work/shared/data/fmea_mining_truck/fmea_dataset_filled.csv")
)
Q = HERE / "questions.json"

# ---------------------------------------------------------------- raw data
ASSETS = pd.read_csv(PLANT / "assets.csv")
WO = pd.read_csv(PLANT / "work_orders.csv", parse_dates=["created", "finished"])
EV = pd.read_csv(PLANT / "events.csv", parse_dates=["start", "end"])
ALARMS = EV[EV.kind == "alarm"]
GT = pd.read_csv(PLANT / "ground_truth.csv", parse_dates=["onset", "end"])
BOM = pd.read_csv(PLANT / "bom.csv")
DWG = json.loads((PLANT / "drawings.json").read_text())
TRUCK = pd.read_csv(FMEA_TRUCK)
DATA_END = max(
    pd.read_parquet(p, columns=["time"])["time"].max() for p in (PLANT / "series").glob("*.parquet")
)


def series(asset: str, channel: str, t0: str | None = None, t1: str | None = None) -> pd.Series:
    s = pd.read_parquet(PLANT / "series" / f"{asset}.parquet").set_index("time")[channel].astype(float)
    return s.loc[t0:t1].dropna()


def day_end(d: str) -> str:
    return f"{d} 23:59:59"


def only(df: pd.DataFrame) -> pd.Series:
    assert len(df) == 1, f"expected one row, got {len(df)}"
    return df.iloc[0]


def unique_top(counts: pd.Series) -> str:
    counts = counts.sort_values(ascending=False)
    assert counts.iloc[0] > counts.iloc[1], f"tie at the top: {counts.head(3).to_dict()}"
    return str(counts.index[0])


def fault(asset: str, ftype: str) -> pd.Series:
    return only(GT[(GT.asset_id == asset) & (GT.fault_type == ftype)])


def mann_kendall(x: np.ndarray) -> tuple[float, float]:
    """(z, two-sided p) of the Mann-Kendall test without tie correction."""
    x = np.asarray(x, float)
    n = len(x)
    s = np.sign(x[None, :] - x[:, None])[np.triu_indices(n, 1)].sum()
    var = n * (n - 1) * (2 * n + 5) / 18
    z = (s - np.sign(s)) / math.sqrt(var)
    return float(z), math.erfc(abs(z) / math.sqrt(2))


def rising(asset: str, channel: str, t0: str, t1: str) -> str:
    """'yes' when the channel clearly rises over [t0, t1], 'no' when it clearly does not;
    anything in between is refused (the set keeps only clear-cut trends)."""
    s = series(asset, channel, t0, t1)
    z, p = mann_kendall(s.values)
    zd, pd_ = mann_kendall(s.resample("D").mean().dropna().values)
    if z > 0 and p < 1e-6 and zd > 0 and pd_ < 1e-3:
        return "yes"
    if p > 0.2 and pd_ > 0.2:
        return "no"
    raise AssertionError(
        f"trend of {asset} {channel} {t0}..{t1} not clear-cut: z={z:.2f} p={p:.3g} daily p={pd_:.3g}"
    )


def wo_of_fault(asset: str, ftype: str) -> pd.DataFrame:
    f = fault(asset, ftype)
    return WO[WO.fault_id == f.fault_id].sort_values("created")


def text_has(df: pd.DataFrame, word: str) -> str:
    assert df.text.str.lower().str.contains(word.lower()).any(), f"{word!r} not in {df.text.tolist()}"
    return word


def truck(sub: str, mode: str | None = None) -> pd.DataFrame:
    r = TRUCK[TRUCK["Sub-Component"].str.strip().str.lower() == sub.lower()]
    if mode is not None:
        r = r[r["Potential Failure Mode"].str.strip().str.lower() == mode.lower()]
    return r


def bom_row(dwg: str, part_desc_contains: str) -> pd.Series:
    return only(
        BOM[
            (BOM.drawing_number == dwg)
            & BOM.description.str.contains(part_desc_contains, case=False, regex=False)
        ]
    )


def title(dwg: str, field: str) -> str:
    tb = DWG[dwg]["title_block"][field]
    if field in ("material", "revision"):  # the sheet and the reference BOM agree on these drawings
        assert str(only(BOM[(BOM.drawing_number == dwg) & (BOM.item == 1)])[field]) == tb, (dwg, field)
    return tb


def r2(x: float) -> float:
    return round(float(x), 2)


def iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).isoformat()


# ---------------------------------------------------------------- the questions
# (question, kind, check, gold function); check None = decided by the gold (trend questions: yes/no)
SPECS = [
    # ---- count (q01-q05)
    (
        "How many work orders were raised on C-201 in February 2024?",
        "count",
        "number",
        lambda: int(
            ((WO.asset_id == "C-201") & (WO.created >= "2024-02-01") & (WO.created < "2024-03-01")).sum()
        ),
    ),
    ("no. of alarms on f-403 overall?", "count", "number", lambda: int((ALARMS.asset_id == "F-403").sum())),
    ("how many priority 1 WOs do we have", "count", "number", lambda: int((WO.priority == 1).sum())),
    (
        "How many WOs were created in the first week of March 2024?",
        "count",
        "number",
        lambda: int(((WO.created >= "2024-03-01") & (WO.created < "2024-03-08")).sum()),
    ),
    ("how many faults recorded on p-103", "count", "number", lambda: int((GT.asset_id == "P-103").sum())),
    # ---- most_frequent (q06-q09)
    (
        "Which asset threw the most alarms?",
        "most_frequent",
        "name",
        lambda: unique_top(ALARMS.asset_id.value_counts()),
    ),
    (
        "most common fault type across the plant?",
        "most_frequent",
        "name",
        lambda: unique_top(GT.fault_type.value_counts()),
    ),
    (
        "which component gets replaced most often in the WOs?",
        "most_frequent",
        "name",
        lambda: unique_top(WO[WO.action == "REPLACE"].component.value_counts()),
    ),
    (
        "what's the most frequent alarm we get",
        "most_frequent",
        "name",
        lambda: unique_top(ALARMS.label.value_counts()),
    ),
    # ---- action_after (q10-q13)
    (
        "What was done after the cavitation fault on P-101?",
        "action_after",
        "name",
        lambda: str(only(wo_of_fault("P-101", "cavitation").query("action == 'REPLACE'")).part_number),
    ),
    (
        "p-102 overheating in jan 2024 - what did maintenance do about it?",
        "action_after",
        "name",
        lambda: text_has(wo_of_fault("P-102", "overheating").query("action == 'CLEAN'"), "cooling fins"),
    ),
    (
        "what action was taken after the misalignment on P-103?",
        "action_after",
        "name",
        lambda: text_has(wo_of_fault("P-103", "misalignment").query("action == 'ADJUST'"), "realign"),
    ),
    (
        "After the bearing temp alarms on C-201 in Feb 2024, what was done?",
        "action_after",
        "name",
        lambda: str(
            only(
                WO[
                    (
                        WO.fault_id
                        == only(
                            ALARMS[
                                (ALARMS.asset_id == "C-201")
                                & (ALARMS.label == "bearing_temp high")
                                & (ALARMS.start.dt.month == 2)
                            ]
                            .fault_id.drop_duplicates()
                            .to_frame()
                        ).fault_id
                    )
                    & (WO.action == "REPLACE")
                ]
            ).part_number
        ),
    ),
    # ---- series_stat (q14-q18)
    (
        "max bearing temprature on C-201 in Feb 2024?",
        "series_stat",
        "number",
        lambda: r2(series("C-201", "bearing_temp", "2024-02-01", day_end("2024-02-29")).max()),
    ),
    (
        "avg motor temp of P-102 on 20 Jan 2024",
        "series_stat",
        "number",
        lambda: r2(series("P-102", "motor_temp", "2024-01-20", day_end("2024-01-20")).mean()),
    ),
    (
        "What was the lowest flow reading on F-401 between 18 Feb 2024 and 20 Feb 2024?",
        "series_stat",
        "number",
        lambda: r2(series("F-401", "flow", "2024-02-18", day_end("2024-02-20")).min()),
    ),
    (
        "last vibration_rms value recorded for p-102?",
        "series_stat",
        "number",
        lambda: r2(series("P-102", "vibration_rms").iloc[-1]),
    ),
    (
        "mean vib on F-404 over the last 10 days of data",
        "series_stat",
        "number",
        lambda: r2(
            series(
                "F-404",
                "vibration_rms",
                str(DATA_END - pd.Timedelta(days=10) + pd.Timedelta(hours=1)),
                str(DATA_END),
            ).mean()
        ),
    ),
    # ---- trend (q19-q23)
    (
        "is the vib on F-402 rising between 13 Feb 2024 and 13 Mar 2024?",
        "trend",
        None,
        lambda: rising("F-402", "vibration_rms", "2024-02-13", day_end("2024-03-13")),
    ),
    (
        "C-201 vibration trending up between 1 Feb 2024 and 25 Feb 2024?",
        "trend",
        None,
        lambda: rising("C-201", "vibration_rms", "2024-02-01", day_end("2024-02-25")),
    ),
    (
        "Is vibraton on P-101 increasing since 22 Feb 2024?",
        "trend",
        None,
        lambda: rising("P-101", "vibration_rms", "2024-02-22", None),
    ),
    (
        "is discharge pressure of F-404 going up in January 2024?",
        "trend",
        None,
        lambda: rising("F-404", "discharge_pressure", "2024-01-01", day_end("2024-01-31")),
    ),
    (
        "any upward trend in P-103 discharge pressure in March 2024?",
        "trend",
        None,
        lambda: rising("P-103", "discharge_pressure", "2024-03-01", day_end("2024-03-31")),
    ),
    # ---- onset (q24-q27)
    (
        "When did the bearing wear on F-402 start?",
        "onset",
        "date",
        lambda: iso(fault("F-402", "bearing_wear").onset),
    ),
    (
        "when did the overheating on m-301 begin",
        "onset",
        "date",
        lambda: iso(fault("M-301", "overheating").onset),
    ),
    (
        "onset of the imbalance fault on P-102?",
        "onset",
        "date",
        lambda: iso(fault("P-102", "imbalance").onset),
    ),
    (
        "When did the cavitation on P-101 first show up?",
        "onset",
        "date",
        lambda: iso(fault("P-101", "cavitation").onset),
    ),
    # ---- fmea, mining-truck sheet (q28-q31)
    (
        "RPN for tyre balding on the mining truck?",
        "fmea",
        "number",
        lambda: int(only(truck("Tyre", "Balding")).RPN),
    ),
    (
        "recommended action for the lock-up clutch in the haul truck FMEA",
        "fmea",
        "name",
        lambda: text_has(
            truck("Lock-up clutch").rename(columns={"Recommended Action": "text"}),
            "visual inspection of clutch",
        ),
    ),
    (
        "severity of water pump mechanical failure (mining truck)?",
        "fmea",
        "number",
        lambda: int(only(truck("Water Pump", "Mechanical Failure")).Severity),
    ),
    (
        "whats causing wear of the drivelines centre bearing on the truck",
        "fmea",
        "name",
        lambda: text_has(
            truck("Drivelines Centre Bearing", "Wearing").rename(
                columns={"Potential Cause(s) of Failure": "text"}
            ),
            "incorrect installation",
        ),
    ),
    # ---- drawing (q32-q35)
    (
        "what material is DWG-FA-HB-4002 made of?",
        "drawing",
        "name",
        lambda: title("DWG-FA-HB-4002", "material"),
    ),
    ("current rev of dwg mo-es-3002?", "drawing", "name", lambda: title("DWG-MO-ES-3002", "revision")),
    (
        "part number of the DE bearing on drawing DWG-PU-SH-1001",
        "drawing",
        "name",
        lambda: str(bom_row("DWG-PU-SH-1001", "(DE)").part_number),
    ),
    (
        "How many self-aligning bearings are in the BOM of DWG-FA-SH-4001?",
        "drawing",
        "number",
        lambda: int(bom_row("DWG-FA-SH-4001", "SELF-ALIGNING").qty),
    ),
    # ---- unanswerable (q36-q40): nothing in the base records these
    ("how many FA-BR-2210 bearings do we have left in the stores?", "unanswerable", "abstain", lambda: None),
    (
        "what did the lab report say for the C-201 oil sample taken 12 Feb 2024?",
        "unanswerable",
        "abstain",
        lambda: None,
    ),
    (
        "avg vib on p-107 last week",
        "unanswerable",
        "abstain",
        lambda: (
            None
            if "P-107" not in set(ASSETS.asset_id)
            else (_ for _ in ()).throw(AssertionError("P-107 exists"))
        ),
    ),
    (
        "What's the purchase price of a new RS 160 compresor like C-201?",
        "unanswerable",
        "abstain",
        lambda: None,
    ),
    (
        "who is the area supervisor for the boiler ID fans at South works?",
        "unanswerable",
        "abstain",
        lambda: None,
    ),
]


def build() -> list[dict]:
    out = []
    for i, (question, kind, check, fn) in enumerate(SPECS, 1):
        gold = fn()
        if check is None:
            check = gold
        out.append({"id": f"q{i:02d}", "question": question, "kind": kind, "gold": gold, "check": check})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write questions.json")
    args = ap.parse_args()
    qs = build()
    if args.write:
        Q.write_text(json.dumps(qs, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {Q} ({len(qs)} questions)")
        return 0
    old = {q["id"]: q for q in json.loads(Q.read_text())}
    bad = 0
    for q in qs:
        o = old.pop(q["id"], None)
        if o != q:
            bad += 1
            print(f"DIFF {q['id']}: stored={o} computed={q}")
    for qid in old:
        bad += 1
        print(f"DIFF {qid}: in questions.json, not computed")
    print(f"{len(qs) - bad}/{len(qs)} golds agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
