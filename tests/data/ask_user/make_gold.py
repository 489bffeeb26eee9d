"""The ask_user questions and their golds, computed with pandas from the folder make_data.py writes.

    python make_gold.py [--data DIR] [--write]

Without --data the folder is regenerated in a temporary directory (``python make_data.py TMP``).
--write writes questions.json; without it the golds are recomputed and compared with questions.json
(exit 1 on any difference). moesaic is not used. Each gold function asserts what keeps its gold
unambiguous (a clear winner, one reading of a date, a trend well clear of the noise).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "questions.json"


class Data:
    def __init__(self, folder: Path) -> None:
        assets = pd.read_csv(folder / "assets.csv")
        wo = pd.read_csv(folder / "work_orders.csv", parse_dates=["created"])
        self.w = wo.merge(assets, on="asset_id", how="left", validate="many_to_one")
        self.w["year"] = self.w["created"].dt.year
        self.fail = self.w[self.w["work_type"] != "PM"]
        # a failure is a CM or EM order; exactly those carry a failure code
        assert self.fail.index.equals(self.w.index[self.w["failure_code"].notna()])
        self.s = {
            p.stem: pd.read_csv(p, parse_dates=["timestamp"]).set_index("timestamp")
            for p in sorted((folder / "series").glob("*.csv"))
        }


def winner(values: pd.Series, ratio: float = 1.15) -> str:
    """The top label, asserted to lead the runner-up by the factor ``ratio``."""
    top = values.sort_values(ascending=False)
    assert top.iloc[0] >= ratio * top.iloc[1], top.head(3)
    return str(top.index[0])


def count(mask: pd.Series) -> int:
    n = int(mask.sum())
    assert n >= 10, n
    return n


def latest(d: Data, mask: pd.Series) -> str:
    """Time of the latest matching order, asserted alone on its day (so a date reading is unique)."""
    t = d.w.loc[mask, "created"].max()
    assert (d.w.loc[mask, "created"].dt.normalize() == t.normalize()).sum() == 1
    return f"{t:%Y-%m-%d %H:%M}"


def text_has(d: Data, pattern: str) -> pd.Series:
    return d.w["text"].str.contains(pattern, case=False, regex=True)


def trend(d: Data, asset: str, channel: str, weeks: int) -> str:
    """yes: a rise of over 15 % of the level, t > 10; no: a change under 2 % of the level, |t| < 2."""
    y = d.s[asset][channel].to_numpy()[-weeks * 7 * 24 :]
    x = np.arange(len(y), dtype=float)
    slope, icpt = np.polyfit(x, y, 1)
    resid = y - (slope * x + icpt)
    t = slope / (resid.std(ddof=2) / np.sqrt(((x - x.mean()) ** 2).sum()))
    change = slope * (len(y) - 1) / abs(y.mean())
    if change > 0.15 and t > 10:
        return "yes"
    assert abs(change) < 0.02 and abs(t) < 2, (change, t)
    return "no"


def step_time(d: Data, asset: str, channel: str) -> str:
    """The split that maximises the standardised difference of means before and after it."""
    y = d.s[asset][channel]
    n, c = len(y), (y - y.mean()).cumsum().to_numpy()
    k = np.arange(1, n)
    score = np.abs(c[:-1]) / np.sqrt(k * (n - k) / n)
    i = int(np.argmax(score)) + 1
    before, after = y.iloc[:i], y.iloc[i:]
    assert after.mean() - before.mean() > 10 * before.std()
    return f"{y.index[i]:%Y-%m-%d %H:%M}"


def mean(d: Data, column: str, mask: pd.Series) -> float:
    """Mean over orders that all have the value (so blank-as-zero and blank-skipped readings agree)."""
    v = d.w.loc[mask, column]
    assert v.notna().all() and len(v) >= 10
    return round(float(v.mean()), 2)


def most_orders(d: Data) -> str:
    g = winner(d.w.groupby("asset_id").size(), 1.05)
    assert g == winner(d.fail.groupby("asset_id").size())  # the same asset when only failures count
    return g


def last_seal(d: Data) -> str:
    on = d.w["asset_id"] == "P-101"
    g = latest(d, on & text_has(d, r"\bseal"))
    assert g == latest(d, on & text_has(d, r"mech(?:anical)? seal") & text_has(d, r"repl|chang"))
    return g


def last_belt(d: Data) -> str:
    on = d.w["asset_id"] == "CV-302"
    g = latest(d, on & text_has(d, r"(?:replaced|new) belt"))
    assert g == latest(d, on & text_has(d, r"\bbelt\b") & (d.w["failure_code"] == "WEAR"))
    return g


def sel(d: Data, year: int | None = None, **eq: object) -> pd.Series:
    """Orders of ``year`` (any year if None) whose columns equal the given values."""
    m = d.w["year"] == year if year else pd.Series(True, index=d.w.index)
    for name, value in eq.items():
        m &= d.w[name] == value
    return m


def total(d: Data, column: str, mask: pd.Series) -> float:
    return round(float(d.w.loc[mask, column].sum()), 2)


Q: list[tuple[str, str, str, str, Callable[[Data], object]]] = [
    # id, kind, check, question, gold
    ("q01", "count", "number", "How many work orders does P-102 have in total?",
     lambda d: count(sel(d, asset_id="P-102"))),
    ("q02", "count", "number",
     "How many corrective (CM) work orders were raised at the Terneuzen site in 2025?",
     lambda d: count(sel(d, 2025, site="Terneuzen", work_type="CM"))),
    ("q03", "count", "number", "number of WEAR failures on belt conveyors in 2024",
     lambda d: count(sel(d, 2024, asset_type="belt conveyor", failure_code="WEAR"))),
    ("q04", "count", "number", "How many High priority work orders were created in Q3 2025?",
     lambda d: count(sel(d, priority="High") & (d.w["created"].dt.to_period("Q") == pd.Period("2025Q3")))),
    ("q05", "count", "number",
     "How many work orders with a failure code were logged on criticality A assets in 2025?",
     lambda d: count(sel(d, 2025, criticality="A") & d.w["failure_code"].notna())),
    ("q06", "count", "number", "wo count march 2025, all assets",
     lambda d: count(d.w["created"].dt.to_period("M") == pd.Period("2025-03"))),
    ("q07", "count", "number", "how many WOs are still open?",
     lambda d: count(sel(d, status="Open"))),
    ("q08", "count", "number", "How many LEAK failures have the centrifugal pumps had in total?",
     lambda d: count(sel(d, asset_type="centrifugal pump", failure_code="LEAK"))),
    ("q09", "count", "number", "How many work orders were raised in 2025 on assets installed before 2012?",
     lambda d: count(sel(d, 2025) & (d.w["install_year"] < 2012))),
    ("q10", "count", "number", "Number of PM jobs done on the screw compressors in 2024?",
     lambda d: count(sel(d, 2024, asset_type="screw compressor", work_type="PM"))),
    ("q11", "total", "number", "What was the total maintenance cost of P-102 in 2025?",
     lambda d: total(d, "cost", sel(d, 2025, asset_id="P-102"))),
    ("q12", "total", "number", "total cost of all work orders at Geleen in 2024",
     lambda d: total(d, "cost", sel(d, 2024, site="Geleen"))),
    ("q13", "total", "number", "What was the average cost of an emergency (EM) work order in 2024?",
     lambda d: mean(d, "cost", sel(d, 2024, work_type="EM"))),
    ("q14", "total", "number", "total labour hrs spent on the conveyors in 2025?",
     lambda d: total(d, "labour_hours", sel(d, 2025, asset_type="belt conveyor"))),
    ("q15", "total", "number", "On average, how many labour hours does a PM on the fans take?",
     lambda d: mean(d, "labour_hours", sel(d, asset_type="fan", work_type="PM"))),
    ("q16", "most", "name", "Which asset had the most work orders?", most_orders),
    ("q17", "most", "name", "which asset type cost us the most in 2025",
     lambda d: winner(d.w[sel(d, 2025)].groupby("asset_type")["cost"].sum())),
    ("q18", "most", "name", "Which site has had the most EM work orders?",
     lambda d: winner(d.w[sel(d, work_type="EM")].groupby("site").size(), 1.5)),
    ("q19", "most", "name", "Which manufacturer's machines had the most failures (CM + EM) over 2024-2025?",
     lambda d: winner(d.fail.groupby("manufacturer").size())),
    ("q20", "most", "name", "most common failure code on the centrifugal pumps?",
     lambda d: winner(d.w[sel(d, asset_type="centrifugal pump")].groupby("failure_code").size(), 1.3)),
    ("q21", "most", "name", "Among the criticality B assets, which one took the most labour hours in 2025?",
     lambda d: winner(d.w[sel(d, 2025, criticality="B")].groupby("asset_id")["labour_hours"].sum(), 1.5)),
    ("q22", "latest", "date", "When was the last work order on GB-402?",
     lambda d: latest(d, sel(d, asset_id="GB-402"))),
    ("q23", "latest", "date", "when was the mech seal on P-101 last replaced", last_seal),
    ("q24", "latest", "date", "Date of the last belt replacement on CV-302?", last_belt),
    ("q25", "series", "yes",
     "Is there an upward trend in the vibration of P-102 over the last 3 weeks of data?",
     lambda d: trend(d, "P-102", "vibration_mm_s", 3)),
    ("q26", "series", "no", "F-501 vibration - any trend in the last 4 weeks?",
     lambda d: trend(d, "F-501", "vibration_mm_s", 4)),
    ("q27", "series", "no", "is the bearing temp on P-102 rising over the last 3 weeks?",
     lambda d: trend(d, "P-102", "bearing_temp_c", 3)),
    ("q28", "series", "date", "When did the discharge temperature of compressor K-201 jump?",
     lambda d: step_time(d, "K-201", "discharge_temp_c")),
    ("q29", "series", "number", "What is the highest vibration reading recorded for P-102 (mm/s)?",
     lambda d: round(float(d.s["P-102"]["vibration_mm_s"].max()), 3)),
    ("q30", "series", "number", "mean bearing temperature of fan F-501?",
     lambda d: round(float(d.s["F-501"]["bearing_temp_c"].mean()), 2)),
    ("q31", "unanswerable", "abstain", "How many mechanical seals for the P-10x pumps do we have in stock?",
     lambda d: None),
    ("q32", "unanswerable", "abstain", "Which technician closed the most work orders in 2025?",
     lambda d: None),
    ("q33", "unanswerable", "abstain", "What was the total maintenance cost of compressor K-207 in 2025?",
     lambda d: None),
    ("q34", "unanswerable", "abstain", "whats the electricity price per kWh at Geleen?",
     lambda d: None),
    ("q35", "unanswerable", "abstain", "When does the warranty on gearbox GB-401 expire?",
     lambda d: None),
]  # fmt: skip


def questions(folder: Path) -> list[dict]:
    d = Data(folder)
    assert "K-207" not in set(d.w["asset_id"]) and not any("techn" in c.lower() for c in d.w.columns)
    out = []
    for qid, kind, check, text, gold in Q:
        g = gold(d)
        if check in ("yes", "no"):
            assert g == check, (qid, g)
        out.append({"id": qid, "question": text, "kind": kind, "gold": g, "check": check})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a folder written by make_data.py (default: regenerate one)")
    ap.add_argument("--write", action="store_true", help="write questions.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp)
            subprocess.run([sys.executable, str(HERE / "make_data.py"), tmp], check=True)
        qs = questions(folder)
    if args.write:
        OUT.write_text(json.dumps(qs, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {len(qs)} questions to {OUT}")
        return
    old = {q["id"]: q for q in json.loads(OUT.read_text())}
    bad = [q["id"] for q in qs if old.get(q["id"]) != q] + [i for i in old if i not in {q["id"] for q in qs}]
    for q in qs:
        print(f"{q['id']} {q['kind']:12} {q['check']:7} {q['gold']!r:>22}  {q['question']}")
    print("differences: " + (", ".join(bad) if bad else "none"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
