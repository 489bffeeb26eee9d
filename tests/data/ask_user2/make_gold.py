"""Compute the gold of every ask_user2 question from the folder of make_data.py (pandas only).

    python make_gold.py            # regenerate the folder in a temp dir, recompute, compare
    python make_gold.py --write    # ... and (re)write questions.json
    python make_gold.py --data DIR # use an already generated folder

Exit status 1 when a recomputed gold differs from questions.json, or when a "which ... most" question
has no clear winner (the leader must be ahead of the runner-up by at least 10 %).
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "questions.json"
MARGIN = 0.10


def load(folder: Path) -> pd.DataFrame:
    assets = pd.read_csv(folder / "assets.csv")
    wo = pd.read_csv(folder / "work_orders.csv", keep_default_na=False, na_values=[""])
    wo["created"] = pd.to_datetime(wo["created"])
    wo["year"] = wo["created"].dt.year
    return wo.merge(assets, on="asset_id", how="left", validate="many_to_one")


def top(series: pd.Series) -> str:
    """The label of the largest value, which must beat the runner-up by MARGIN."""
    s = series.sort_values(ascending=False)
    if len(s) > 1 and s.iloc[0] < (1 + MARGIN) * s.iloc[1]:
        raise ValueError(f"no clear winner: {s.head(3).to_dict()}")
    return str(s.index[0])


def short_plant(name: str) -> str:
    """'Riverside WwTW' -> 'Riverside': the works' own name, unique among the three, is the gold."""
    return name.removesuffix(" WwTW").removesuffix(" WTW")


def when(rows: pd.DataFrame, closed: bool = False) -> str:
    """The latest created time; with ``closed`` the latest row must be a Closed order (work done)."""
    last = rows.loc[rows["created"].idxmax()]
    if closed and last["status"] != "Closed":
        raise ValueError(f"latest matching order {last['wo_id']} is {last['status']}, not Closed")
    return last["created"].strftime("%Y-%m-%d %H:%M")


def eq(w: pd.DataFrame, **values: object) -> pd.Series:
    """The rows whose columns equal the given values (all of them)."""
    mask = pd.Series(True, index=w.index)
    for col, v in values.items():
        mask &= w[col] == v
    return mask


def money(x: float) -> float:
    return round(float(x), 2)


def ym(w: pd.DataFrame, year: int, month: int) -> pd.Series:
    return (w["year"] == year) & (w["created"].dt.month == month)


def quarter(w: pd.DataFrame, year: int, q: int) -> pd.Series:
    return (w["year"] == year) & (w["created"].dt.quarter == q)


LAMP_REPLACED = re.compile(r"lamp.*\b(?:replac\w*|repl)\b", re.IGNORECASE)

# id, question, kind, check, gold(w)
Spec = tuple[str, str, str, str, Callable[[pd.DataFrame], object]]
SPECS: list[Spec] = [
    # --- counts -----------------------------------------------------------------------------------
    (
        "u2_01",
        "How many work orders were raised on RVS-PMP-01?",
        "count",
        "number",
        lambda w: int((w["asset_id"] == "RVS-PMP-01").sum()),
    ),
    (
        "u2_02",
        "how many WOs on the blowers in 2024",
        "count",
        "number",
        lambda w: int(((w["asset_type"] == "blower") & (w["year"] == 2024)).sum()),
    ),
    (
        "u2_03",
        "Number of work orders on Xylem equipment in 2024?",
        "count",
        "number",
        lambda w: int(((w["vendor"] == "Xylem") & (w["year"] == 2024)).sum()),
    ),
    (
        "u2_04",
        "How many Emergency work orders did we have in 2024?",
        "count",
        "number",
        lambda w: int(((w["order_type"] == "Emergency") & (w["year"] == 2024)).sum()),
    ),
    (
        "u2_05",
        "count of P1 jobs at Riverside WwTW",
        "count",
        "number",
        lambda w: int(((w["priority"] == "P1") & (w["plant"] == "Riverside WwTW")).sum()),
    ),
    (
        "u2_06",
        "How many work orders have status Open right now?",
        "count",
        "number",
        lambda w: int((w["status"] == "Open").sum()),
    ),
    (
        "u2_07",
        "how many BLOCK failures on submersible pumps in 2023",
        "count",
        "number",
        lambda w: int(eq(w, failure_code="BLOCK", asset_type="submersible pump", year=2023).sum()),
    ),
    (
        "u2_08",
        "How many reactive work orders were raised in Q3 2023?",
        "count",
        "number",
        lambda w: int(((w["order_type"] == "Reactive") & quarter(w, 2023, 3)).sum()),
    ),
    (
        "u2_09",
        "how many work orders were created in Oct 2023 across all works?",
        "count",
        "number",
        lambda w: int(ym(w, 2023, 10).sum()),
    ),
    (
        "u2_10",
        "How many work orders did the Sludge Treatment department's assets get in 2024?",
        "count",
        "number",
        lambda w: int(((w["department"] == "Sludge Treatment") & (w["year"] == 2024)).sum()),
    ),
    # --- totals and averages -------------------------------------------------------------------------
    (
        "u2_11",
        "What was the total cost of work orders on RVS-BLW-01 in 2023?",
        "sum",
        "number",
        lambda w: money(w.loc[(w["asset_id"] == "RVS-BLW-01") & (w["year"] == 2023), "cost"].sum()),
    ),
    (
        "u2_12",
        "total spend on the screw presses over 2023-2024",
        "sum",
        "number",
        lambda w: money(w.loc[w["asset_type"] == "screw press", "cost"].sum()),
    ),
    (
        "u2_13",
        "How many labour hours were booked at Hillfoot WTW in 2024?",
        "sum",
        "number",
        lambda w: round(float(w.loc[eq(w, plant="Hillfoot WTW", year=2024), "labour_hours"].sum()), 1),
    ),
    (
        "u2_14",
        "What's the average cost of an Emergency work order?",
        "mean",
        "number",
        lambda w: money(w.loc[w["order_type"] == "Emergency", "cost"].mean()),
    ),
    (
        "u2_15",
        "avg labour hrs per work order on mixers",
        "mean",
        "number",
        lambda w: round(float(w.loc[w["asset_type"] == "mixer", "labour_hours"].mean()), 2),
    ),
    (
        "u2_16",
        "How much did work orders with failure code SEAL cost in total?",
        "sum",
        "number",
        lambda w: money(w.loc[w["failure_code"] == "SEAL", "cost"].sum()),
    ),
    # --- which ... most --------------------------------------------------------------------------------
    (
        "u2_17",
        "Which asset has the most work orders?",
        "top",
        "name",
        lambda w: top(w["asset_id"].value_counts()),
    ),
    (
        "u2_18",
        "which asset type had the most Reactive work orders in 2024?",
        "top",
        "name",
        lambda w: top(w.loc[eq(w, order_type="Reactive", year=2024), "asset_type"].value_counts()),
    ),
    (
        "u2_19",
        "wich works spent the most on maintenance in 2023 (total WO cost)?",
        "top",
        "name",
        lambda w: short_plant(top(w.loc[w["year"] == 2023].groupby("plant")["cost"].sum())),
    ),
    (
        "u2_20",
        "Which vendor's equipment has the most Emergency work orders?",
        "top",
        "name",
        lambda w: top(w.loc[w["order_type"] == "Emergency", "vendor"].value_counts()),
    ),
    (
        "u2_21",
        "Which crew logged the most labour hours in 2024?",
        "top",
        "name",
        lambda w: top(w.loc[w["year"] == 2024].groupby("crew")["labour_hours"].sum()),
    ),
    (
        "u2_22",
        "which blower cost us the most in total?",
        "top",
        "name",
        lambda w: top(w.loc[w["asset_type"] == "blower"].groupby("asset_id")["cost"].sum()),
    ),
    (
        "u2_23",
        "most common failure code on the blowers?",
        "top",
        "name",
        lambda w: top(w.loc[w["asset_type"] == "blower", "failure_code"].dropna().value_counts()),
    ),
    # --- latest ------------------------------------------------------------------------------------------
    (
        "u2_24",
        "When were the UV lamps on HLF-UVR-02 last replaced?",
        "latest",
        "date",
        lambda w: when(w[eq(w, asset_id="HLF-UVR-02") & w["text"].str.contains(LAMP_REPLACED)], closed=True),
    ),
    (
        "u2_25",
        "When was the last work order on MSL-SLG-01?",
        "latest",
        "date",
        lambda w: when(w[w["asset_id"] == "MSL-SLG-01"]),
    ),
    (
        "u2_26",
        "last blockage on RVS-PMP-01 - when was it?",
        "latest",
        "date",
        lambda w: when(w[(w["asset_id"] == "RVS-PMP-01") & (w["failure_code"] == "BLOCK")], closed=True),
    ),
    # --- unanswerable --------------------------------------------------------------------------------
    (
        "u2_27",
        "How many work orders were raised on RVS-PMP-07?",
        "unanswerable",
        "abstain",
        lambda w: None if (w["asset_id"] == "RVS-PMP-07").sum() == 0 else "RVS-PMP-07 exists",
    ),
    (
        "u2_28",
        "What was the energy consumption in kWh of the Riverside blowers in 2024?",
        "unanswerable",
        "abstain",
        lambda w: None,
    ),
    (
        "u2_29",
        "final effluent ammonia at Marsh Lane in June 2024?",
        "unanswerable",
        "abstain",
        lambda w: None,
    ),
    (
        "u2_30",
        "Which supplier has the longest lead time on spare parts?",
        "unanswerable",
        "abstain",
        lambda w: None,
    ),
]


def compute(folder: Path) -> list[dict]:
    w = load(folder)
    out = []
    for qid, question, kind, check, fn in SPECS:
        out.append({"id": qid, "question": question, "kind": kind, "gold": fn(w), "check": check})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="(re)write questions.json")
    parser.add_argument("--data", type=Path, help="an already generated folder (default: generate one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "user"
            subprocess.run([sys.executable, str(HERE / "make_data.py"), str(folder)], check=True)
        try:
            qs = compute(folder)
        except ValueError as e:
            sys.exit(f"gold not clear: {e}")
    for q in qs:
        print(f"{q['id']} [{q['kind']}/{q['check']}] gold={q['gold']!r}  {q['question']}")
    if args.write:
        OUT.write_text(json.dumps(qs, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {OUT} ({len(qs)} questions)")
        return
    old = {q["id"]: q for q in json.loads(OUT.read_text())}
    bad = [q["id"] for q in qs if old.get(q["id"]) != q]
    bad += [i for i in old if i not in {q["id"] for q in qs}]
    if bad:
        print(f"DIFFERENT: {bad}")
        sys.exit(1)
    print(f"all {len(qs)} golds match {OUT.name}")


if __name__ == "__main__":
    main()
