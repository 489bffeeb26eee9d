"""Gold answers for the ask_fresh question set, computed with pandas from the raw plant files.

The plant is the one written by

    moesaic simulate --assets 8 --days 60 --seed 77 --fault-rate 12 --out /tmp/askfresh/plant

and the mining-truck FMEA is the registered set's ``fmea_dataset_filled.csv``. This script never
imports or calls moesaic. Run it with no argument to recompute every gold answer and compare it
with ``questions.json`` beside it (exit status 1 on any difference); ``--write`` rewrites
``questions.json`` from the specs below.

    python make_gold.py [--plant /tmp/askfresh/plant] [--fmea .../fmea_dataset_filled.csv] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
DEFAULT_PLANT = Path("/tmp/askfresh/plant")
DEFAULT_FMEA = Path("/work/shared/data/fmea_mining_truck/fmea_dataset_filled.csv")


class Plant:
    def __init__(self, plant: Path, fmea: Path) -> None:
        self.root = plant
        self.assets = pd.read_csv(plant / "assets.csv")
        self.events = pd.read_csv(plant / "events.csv", parse_dates=["start", "end"])
        self.truth = pd.read_csv(plant / "ground_truth.csv", parse_dates=["onset", "end"])
        self.wo = pd.read_csv(plant / "work_orders.csv", parse_dates=["created", "finished"])
        self.bom = pd.read_csv(plant / "bom.csv")
        self.drawings = json.loads((plant / "drawings.json").read_text())
        self.truck = pd.read_csv(fmea)
        self._series: dict[str, pd.DataFrame] = {}

    def series(self, asset: str) -> pd.DataFrame:
        if asset not in self._series:
            self._series[asset] = pd.read_parquet(self.root / "series" / f"{asset}.parquet")
        return self._series[asset]

    def window(self, asset: str, channel: str, start: str, end: str) -> np.ndarray:
        """Readings of a channel with start <= time < end, missing readings dropped."""
        df = self.series(asset)
        m = (df["time"] >= pd.Timestamp(start)) & (df["time"] < pd.Timestamp(end))
        x = df.loc[m, channel].to_numpy(dtype=float)
        return x[~np.isnan(x)]

    def last_reading(self) -> pd.Timestamp:
        return max(self.series(a)["time"].max() for a in self.assets["asset_id"])


def alarms(p: Plant) -> pd.DataFrame:
    return p.events[p.events["kind"] == "alarm"]


def faults(p: Plant) -> pd.DataFrame:
    return p.events[p.events["kind"] == "fault"]


def unique_top(counts: pd.Series) -> str:
    """The most frequent value, refusing a tie (a question with two right answers is not gold)."""
    counts = counts.sort_values(ascending=False)
    assert len(counts) == 1 or counts.iloc[0] > counts.iloc[1], f"tie: {counts.head(3).to_dict()}"
    return str(counts.index[0])


def rises(x: np.ndarray) -> bool:
    """Mann-Kendall (Kendall's tau against time) increasing trend at the 5 % level."""
    tau, pval = stats.kendalltau(np.arange(len(x)), x)
    return bool(tau > 0 and pval < 0.05)


def drifts(x: np.ndarray) -> bool:
    _, pval = stats.kendalltau(np.arange(len(x)), x)
    return bool(pval < 0.05)


def onset(p: Plant, asset: str, fault_type: str) -> str:
    t = p.truth[(p.truth["asset_id"] == asset) & (p.truth["fault_type"] == fault_type)]
    assert len(t) == 1, (asset, fault_type, len(t))
    ev = faults(p)
    ev = ev[(ev["asset_id"] == asset) & (ev["label"] == fault_type)]
    assert len(ev) == 1 and ev["start"].iloc[0] == t["onset"].iloc[0]
    return t["onset"].iloc[0].strftime("%Y-%m-%d %H:%M")


def wo_after_fault(p: Plant, asset: str, fault_type: str) -> pd.DataFrame:
    """Work orders on the asset created from the fault's onset to 7 days after its end."""
    t = p.truth[(p.truth["asset_id"] == asset) & (p.truth["fault_type"] == fault_type)].iloc[0]
    w = p.wo[(p.wo["asset_id"] == asset) & (p.wo["created"] >= t["onset"])]
    return w[w["created"] <= t["end"] + pd.Timedelta(days=7)].sort_values("created")


def truck_rows(p: Plant, sub: str, mode: str | None = None) -> pd.DataFrame:
    t = p.truck
    m = t["Sub-Component"].str.strip().str.lower() == sub.lower()
    if mode is not None:
        m &= t["Potential Failure Mode"].str.strip().str.lower() == mode.lower()
    rows = t[m]
    assert len(rows) >= 1, (sub, mode)
    return rows


def single(values: pd.Series) -> Any:
    uniq = values.unique()
    assert len(uniq) == 1, list(uniq)
    v = uniq[0]
    return v.item() if hasattr(v, "item") else v


def title_block(p: Plant, drawing: str) -> dict[str, Any]:
    tb: dict[str, Any] = p.drawings[drawing]["title_block"]
    return tb


# --- the gold computations, one per question ------------------------------------------------------


def g_wo_p102_jan(p: Plant) -> int:
    w = p.wo[(p.wo["asset_id"] == "P-102") & (p.wo["created"].dt.strftime("%Y-%m") == "2024-01")]
    return len(w)


def g_cm_feb(p: Plant) -> int:
    w = p.wo[(p.wo["wo_type"] == "CM") & (p.wo["created"].dt.strftime("%Y-%m") == "2024-02")]
    return len(w)


def g_alarms_f403_feb1_15(p: Plant) -> int:
    a = alarms(p)
    a = a[a["asset_id"] == "F-403"]
    lo, hi = pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-16")  # to the end of 15 Feb
    started = a[(a["start"] >= lo) & (a["start"] < hi)]
    overlapping = a[(a["start"] < hi) & (a["end"] >= lo)]
    assert len(started) == len(overlapping)  # the same whether alarms are counted by start or overlap
    return len(started)


def g_bearing_wear_faults(p: Plant) -> int:
    return int((p.truth["fault_type"] == "bearing_wear").sum())


def g_wo_january(p: Plant) -> int:
    years = p.wo["created"].dt.year.unique()
    assert list(years) == [2024]  # "January" has one reading in this plant
    return int((p.wo["created"].dt.month == 1).sum())


def g_top_fault_type(p: Plant) -> str:
    return unique_top(p.truth["fault_type"].value_counts()).replace("_", " ")


def g_top_alarm_asset(p: Plant) -> str:
    return unique_top(alarms(p)["asset_id"].value_counts())


def g_top_wo_asset(p: Plant) -> str:
    return unique_top(p.wo["asset_id"].value_counts())


def g_top_alarm_f403(p: Plant) -> str:
    a = alarms(p)
    top = unique_top(a[a["asset_id"] == "F-403"]["label"].value_counts())
    return top.split()[0].split("_")[0]  # "vibration_rms high" -> "vibration"


def g_top_wo_component(p: Plant) -> str:
    return unique_top(p.wo["component"].dropna().value_counts())


def g_fix_f401_overheat(p: Plant) -> str:
    w = wo_after_fault(p, "F-401", "overheating")
    repair = w[w["action"].isin(["REPAIR", "REPLACE"])]
    assert len(repair) == 1
    text = str(repair["text"].iloc[0]).lower()
    assert "loose terminal" in text
    return "loose terminal"


def g_fix_m301_spike(p: Plant) -> str:
    w = wo_after_fault(p, "M-301", "sensor_spike")
    repair = w[w["action"].isin(["REPAIR", "REPLACE"])]
    assert len(repair) == 1
    text = str(repair["text"].iloc[0]).lower()
    assert "speed cable" in text
    return "speed cable"


def g_after_f403_first_vib_alarm(p: Plant) -> str:
    a = alarms(p)
    a = a[(a["asset_id"] == "F-403") & a["label"].str.startswith("vibration")].sort_values("start")
    first = a["start"].iloc[0]
    w = p.wo[(p.wo["asset_id"] == "F-403") & (p.wo["created"] >= first)].sort_values("created")
    text = str(w["text"].iloc[0]).lower()
    assert text.startswith("greased")
    return "greased"


def g_component_after_overheat(p: Plant) -> str:
    ft = p.truth[p.truth["fault_type"] == "overheating"]
    assert len(ft) == 1
    w = wo_after_fault(p, ft["asset_id"].iloc[0], "overheating")
    return str(single(w["component"].dropna()))


def g_max_vib_f403_feb(p: Plant) -> float:
    return round(float(p.window("F-403", "vibration_rms", "2024-02-01", "2024-03-01").max()), 3)


def g_mean_bt_p102_10_20feb(p: Plant) -> float:
    return round(float(p.window("P-102", "bearing_temp", "2024-02-10", "2024-02-21").mean()), 3)


def g_min_dp_c201_15jan(p: Plant) -> float:
    return round(float(p.window("C-201", "discharge_pressure", "2024-01-15", "2024-01-16").min()), 3)


def g_max_mt_f401_30jan(p: Plant) -> float:
    return round(float(p.window("F-401", "motor_temp", "2024-01-30", "2024-01-31").max()), 3)


def g_mean_current_m301_jan(p: Plant) -> float:
    return round(float(p.window("M-301", "current", "2024-01-01", "2024-02-01").mean()), 3)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def g_trend_f403_vib(p: Plant) -> str:
    return yes_no(rises(p.window("F-403", "vibration_rms", "2024-01-17", "2024-02-18")))


def g_trend_p102_vib_last_month(p: Plant) -> str:
    last = p.last_reading()
    back = str(last - pd.DateOffset(months=1))
    end = str(last + pd.Timedelta(hours=1))
    answers = {
        # a month back from the last reading, the last calendar month with data, the one before
        rises(p.window("P-102", "vibration_rms", back, end)),
        rises(p.window("P-102", "vibration_rms", "2024-02-01", "2024-03-01")),
        rises(p.window("P-102", "vibration_rms", "2024-01-01", "2024-02-01")),
    }
    assert len(answers) == 1  # the same under every reading of "last month"
    return yes_no(answers.pop())


def g_trend_p101_vib_jan(p: Plant) -> str:
    return yes_no(rises(p.window("P-101", "vibration_rms", "2024-01-01", "2024-02-01")))


def g_drift_m301_vib(p: Plant) -> str:
    return yes_no(drifts(p.window("M-301", "vibration_rms", "2000-01-01", "2100-01-01")))


def g_fmea_turbo_leak(p: Plant) -> int:
    return int(single(truck_rows(p, "Turbocharger", "Leaking")["RPN"]))


def g_fmea_tyre(p: Plant) -> int:
    return int(single(truck_rows(p, "Tyre")["RPN"]))


def g_fmea_rpn_over_30(p: Plant) -> int:
    return int((p.truck["RPN"] > 30).sum())


def g_fmea_fire_top(p: Plant) -> str:
    t = p.truck[p.truck["Subsystem"].str.strip() == "Fire Suppression System"]
    top = t[t["RPN"] == t["RPN"].max()]
    return str(single(top["Sub-Component"].str.strip())).split("&")[0].strip()  # "Activation System"


def g_dwg_material_pu_sh(p: Plant) -> str:
    tb = title_block(p, "DWG-PU-SH-1001")
    bom = p.bom[(p.bom["drawing_number"] == "DWG-PU-SH-1001") & (p.bom["item"] == 1)]
    assert tb["material"] == single(bom["material"])  # title block and BOM agree
    return str(tb["material"])


def g_dwg_rev_end_shield(p: Plant) -> str:
    hits = [
        d for d, v in p.drawings.items() if v["title_block"]["part_name"].upper().startswith("END SHIELD")
    ]
    assert len(hits) == 1
    return str(title_block(p, hits[0])["revision"])


def g_dwg_fan_shaft_material(p: Plant) -> str:
    hits = [d for d, v in p.drawings.items() if v["title_block"]["part_name"].upper() == "FAN SHAFT"]
    assert len(hits) == 1
    tb = title_block(p, hits[0])
    bom = p.bom[(p.bom["drawing_number"] == hits[0]) & (p.bom["item"] == 1)]
    assert tb["material"] == single(bom["material"])
    return str(tb["material"])


def g_dwg_bearing_co_rt(p: Plant) -> str:
    b = p.bom[(p.bom["drawing_number"] == "DWG-CO-RT-2001")]
    b = b[b["description"].str.contains("BEARING")]
    pn = str(single(b["part_number"]))
    assert pn.endswith("7310") and "7310" in str(single(b["description"]))
    return "7310"


def g_abstain(p: Plant) -> str:
    return "abstain"


def g_abstain_unknown_asset(asset: str) -> Callable[[Plant], str]:
    def f(p: Plant) -> str:
        assert asset not in set(p.assets["asset_id"])
        return "abstain"

    return f


def g_abstain_no_oil_pressure(p: Plant) -> str:
    row = p.assets[p.assets["asset_id"] == "F-401"].iloc[0]
    assert "oil_pressure" not in row["channels"].split(";")
    assert "oil_pressure" not in p.series("F-401").columns
    return "abstain"


# --- the questions ---------------------------------------------------------------------------------

Spec = tuple[str, str, str, str, Callable[[Plant], Any]]

SPECS: list[Spec] = [
    # 1. counts
    ("q01", "how many WOs did p-102 get in jan 2024?", "count", "number", g_wo_p102_jan),
    ("q02", "How many corrective work orders were opened in February 2024?", "count", "number", g_cm_feb),
    (
        "q03",
        "How many alarms did F-403 raise between 1st Feb and 15th Feb 2024?",
        "count",
        "number",
        g_alarms_f403_feb1_15,
    ),
    (
        "q04",
        "how many bearing wear faults are on record across the plant?",
        "count",
        "number",
        g_bearing_wear_faults,
    ),
    ("q05", "How many work orders were raised in January?", "count", "number", g_wo_january),
    # 2. most frequent
    (
        "q06",
        "Which failure type shows up most often in the fault records?",
        "most_frequent",
        "name",
        g_top_fault_type,
    ),
    ("q07", "which asset throws the most alarms?", "most_frequent", "name", g_top_alarm_asset),
    ("q08", "Which machine had the most work orders?", "most_frequent", "name", g_top_wo_asset),
    ("q09", "What's the most common alarm on f-403?", "most_frequent", "name", g_top_alarm_f403),
    ("q10", "What component comes up most in the work orders?", "most_frequent", "name", g_top_wo_component),
    # 3. what was done after a fault
    ("q11", "What was done to fix the overheating on F-401?", "action_after", "name", g_fix_f401_overheat),
    (
        "q12",
        "After the speed signal spikes on m-301, what did the techs do?",
        "action_after",
        "name",
        g_fix_m301_spike,
    ),
    (
        "q13",
        "What did maintenance do on f-403 after its first high vibration alarm?",
        "action_after",
        "name",
        g_after_f403_first_vib_alarm,
    ),
    (
        "q14",
        "Which component was worked on after the overheating fault?",
        "action_after",
        "name",
        g_component_after_overheat,
    ),
    # 4. series statistics
    ("q15", "What was the peak vibration on f-403 in Feb 2024?", "series_stat", "number", g_max_vib_f403_feb),
    (
        "q16",
        "avg bearing temp on P-102 from the 10th to the 20th of February 2024?",
        "series_stat",
        "number",
        g_mean_bt_p102_10_20feb,
    ),
    (
        "q17",
        "lowest discharge pressure c-201 saw on 15/01/2024?",
        "series_stat",
        "number",
        g_min_dp_c201_15jan,
    ),
    ("q18", "How hot did F-401's motor get on Jan 30th, 2024?", "series_stat", "number", g_max_mt_f401_30jan),
    ("q19", "What was M-301's average current in January?", "series_stat", "number", g_mean_current_m301_jan),
    # 5. trends
    (
        "q20",
        "Is the vibration of f-403 creeping up between 17 Jan 2024 and 17 Feb 2024?",
        "trend",
        "yes/no",
        g_trend_f403_vib,
    ),
    ("q21", "p-102 vib trending upward last month?", "trend", "yes/no", g_trend_p102_vib_last_month),
    (
        "q22",
        "Was there any upward trend in P-101 vibration_rms in January 2024?",
        "trend",
        "yes/no",
        g_trend_p101_vib_jan,
    ),
    ("q23", "Is m-301's vibration drifting over the whole record?", "trend", "yes/no", g_drift_m301_vib),
    # 6. onsets
    (
        "q24",
        "when did the bearing problem on f-403 start?",
        "onset",
        "date",
        lambda p: onset(p, "F-403", "bearing_wear"),
    ),
    (
        "q25",
        "When did f-403's misalignment begin?",
        "onset",
        "date",
        lambda p: onset(p, "F-403", "misalignment"),
    ),
    (
        "q26",
        "When did the overheating on F-401 kick off?",
        "onset",
        "date",
        lambda p: onset(p, "F-401", "overheating"),
    ),
    (
        "q27",
        "When did the speed signal on m301 start spiking?",
        "onset",
        "date",
        lambda p: onset(p, "M-301", "sensor_spike"),
    ),
    # 7. FMEA of the mining truck
    (
        "q28",
        "What's the RPN for a leaking turbocharger on the haul truck?",
        "fmea",
        "number",
        g_fmea_turbo_leak,
    ),
    ("q29", "what RPN does tyre balding get in the truck FMEA?", "fmea", "number", g_fmea_tyre),
    (
        "q30",
        "How many failure modes in the mining truck FMEA have an RPN above 30?",
        "fmea",
        "number",
        g_fmea_rpn_over_30,
    ),
    (
        "q31",
        "Which part of the fire suppression system has the highest RPN?",
        "fmea",
        "name",
        g_fmea_fire_top,
    ),
    # 8. drawings
    ("q32", "what material is dwg-pu-sh-1001?", "drawing", "name", g_dwg_material_pu_sh),
    ("q33", "which revision is the motor end shield drawing at?", "drawing", "name", g_dwg_rev_end_shield),
    ("q34", "What's the fan shaft made of?", "drawing", "name", g_dwg_fan_shaft_material),
    ("q35", "Which bearing is on the BOM of DWG-CO-RT-2001?", "drawing", "name", g_dwg_bearing_co_rt),
    # 9. unanswerable
    (
        "q36",
        "How many work orders did P-999 have in Feb 2024?",
        "unanswerable",
        "abstain",
        g_abstain_unknown_asset("P-999"),
    ),
    (
        "q37",
        "What was the max oil pressure on f-401 in January 2024?",
        "unanswerable",
        "abstain",
        g_abstain_no_oil_pressure,
    ),
    (
        "q38",
        "What's the weather going to be like tomorrow at North works?",
        "unanswerable",
        "abstain",
        g_abstain,
    ),
    ("q39", "Who won the 2018 FIFA World Cup?", "unanswerable", "abstain", g_abstain),
    (
        "q40",
        "When did the cavitation on k-500 start?",
        "unanswerable",
        "abstain",
        g_abstain_unknown_asset("K-500"),
    ),
]


def build(plant: Path, fmea: Path) -> list[dict[str, Any]]:
    p = Plant(plant, fmea)
    out = []
    for qid, question, kind, check, fn in SPECS:
        gold = fn(p)
        if check == "yes/no":
            check = str(gold)
        out.append({"id": qid, "question": question, "kind": kind, "gold": gold, "check": check})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plant", type=Path, default=DEFAULT_PLANT)
    ap.add_argument("--fmea", type=Path, default=DEFAULT_FMEA)
    ap.add_argument("--write", action="store_true", help="rewrite questions.json")
    args = ap.parse_args()
    items = build(args.plant, args.fmea)
    target = HERE / "questions.json"
    if args.write:
        target.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(items)} questions to {target}")
        return 0
    stored = {q["id"]: q for q in json.loads(target.read_text())}
    bad = 0
    for q in items:
        s = stored.get(q["id"])
        if s != q:
            bad += 1
            print(f"{q['id']}: computed {q} but questions.json has {s}")
    if len(stored) != len(items):
        bad += 1
        print(f"questions.json has {len(stored)} questions, the specs {len(items)}")
    print(f"{len(items) - bad}/{len(items)} gold answers reproduced")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
