"""Gold answers of the ask_real question set, computed with pandas from the raw CSV only.

    python make_gold.py --write   # compute every gold and write questions.json
    python make_gold.py           # recompute and compare with questions.json (exit 1 on a difference)

Source: /work/shared/data/excavator_mwo/case_study_pdl.csv (5,485 real work orders of
excavators A-E, 2001-07-05 .. 2012-12-13; the file ``moesaic kb ingest excavator_mwo`` reads).
Nothing here goes through moesaic.

Conventions (the same for every question):
- one CSV row = one work order (WO); the excavator is column ``Asset`` (A-E), the date column
  ``BscStartDate``, the order type ``PMType``, the cost ``Cost`` (recorded as is: 0 and the six
  negative credits are kept; the cost questions were chosen on groups with neither).
- failure mode = expert-coded column ``FM``, part = ``Part``, major system = ``MajorSystem``,
  action = ``Action``. These columns join several codes with ``_`` ("Leak_Missing / Loose").
  A row "has" a code when the code is one of its ``_``-separated pieces. Every count, most-frequent
  and latest question was chosen so that the gold is the same whether combined codes are counted
  (pieces) or only exact single-code cells are: ``alternatives()`` recomputes each gold under the
  other readings and prints any that differ (none should).
- nothing reads the free text ``OriginalShorttext`` for a gold; for the "latest" questions the
  latest coded record's own text also names the part (checked in ``alternatives()``).
- "after FM X" (kind after): for every WO that has failure mode X (optionally on one excavator,
  or also a major system), take the next later-dated WO on the same excavator whose Action
  includes Replace and whose Part is coded; the gold is the most frequent Part of those WOs.
  ``alternatives()`` also checks: only next WOs within 7 / 30 days, and all Replace WOs within
  30 days (not just the next one); the gold was chosen where all agree.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
CSV = Path(os.environ.get("MOESAIC_DATA", "/work/shared/data")) / "excavator_mwo" / "case_study_pdl.csv"
OUT = HERE / "questions.json"


def load() -> pd.DataFrame:
    d = pd.read_csv(CSV, parse_dates=["BscStartDate"])
    d = d.sort_values(["Asset", "BscStartDate", "id"]).reset_index(drop=True)
    return d


def has(d: pd.DataFrame, col: str, code: str, exact: bool = False) -> pd.Series:
    s = d[col].fillna("")
    if exact:
        return s == code
    return s.str.split("_").apply(lambda parts: code in parts)


def asset(d, a):
    return d if a is None else d[d.Asset == a]


def year(d, y):
    return d if y is None else d[d.BscStartDate.dt.year == y]


def month(d, y, m):
    return d[(d.BscStartDate.dt.year == y) & (d.BscStartDate.dt.month == m)]


def most_frequent(d, col, exact=False) -> tuple[str, int, int]:
    """(winner, its count, runner-up count); raises on a tie."""
    s = d[col].dropna()
    if not exact:
        s = s.str.split("_").explode()
    vc = s.value_counts()
    if len(vc) > 1 and vc.iloc[0] == vc.iloc[1]:
        raise ValueError(f"tie in {col}: {vc.head(3).to_dict()}")
    return vc.index[0], int(vc.iloc[0]), int(vc.iloc[1]) if len(vc) > 1 else 0


def after(d, fm, a=None, system=None, window_days=None, every=False, exact_action=False):
    m = has(d, "FM", fm)
    if a is not None:
        m &= d.Asset == a
    if system is not None:
        m &= has(d, "MajorSystem", system)
    if exact_action:
        rep = d.Action.fillna("") == "Replace"
    else:
        rep = d.Action.fillna("").str.split("_").apply(lambda p: "Replace" in p)
    cand = d[rep & d.Part.notna()]
    parts = []
    for _, r in d[m].iterrows():
        nxt = cand[(cand.Asset == r.Asset) & (cand.BscStartDate > r.BscStartDate)]
        if window_days is not None:
            nxt = nxt[nxt.BscStartDate <= r.BscStartDate + pd.Timedelta(days=window_days)]
        if len(nxt):
            parts.extend(list(nxt.Part) if every else [nxt.iloc[0].Part])
    vc = pd.Series(parts, dtype=object).value_counts()
    if len(vc) > 1 and vc.iloc[0] == vc.iloc[1]:
        raise ValueError(f"tie after {fm}: {vc.head(3).to_dict()}")
    if len(vc) == 0:
        raise ValueError(f"nothing replaced after {fm}")
    return vc.index[0], int(vc.iloc[0]), int(vc.iloc[1]) if len(vc) > 1 else 0


def latest(d, part, a=None, exact=False) -> str:
    s = asset(d, a)
    s = s[has(s, "Part", part, exact)]
    last = s.BscStartDate.max()
    if (s.BscStartDate == last).sum() != 1:
        raise ValueError(f"several WOs on {part} on the latest day {last.date()}")
    return str(last.date())


def latest_text(d, part, a, pattern) -> tuple[str, str]:
    s = asset(d, a)
    s = s[has(s, "Part", part)]
    row = s.sort_values("BscStartDate").iloc[-1]
    return row.OriginalShorttext, bool(re.search(pattern, row.OriginalShorttext, re.I))


# ---------------------------------------------------------------- the questions
# Each spec: id, question, kind, check, gold(d) -> value, alts(d) -> {reading: value} (optional).

SPECS: list[dict] = [
    # ---- count (q01-q09): number of rows matching a filter on Asset / date / PMType / FM.
    dict(
        q="How many work orders are there for excavator A?",
        kind="count",
        check="number",
        gold=lambda d: len(asset(d, "A")),
    ),  # rows with Asset == A
    dict(
        q="wo count exc D 2007", kind="count", check="number", gold=lambda d: len(year(asset(d, "D"), 2007))
    ),  # Asset D, BscStartDate in 2007
    dict(
        q="How many WOs did excavator D have in April 2009?",
        kind="count",
        check="number",
        gold=lambda d: len(month(asset(d, "D"), 2009, 4)),
    ),  # Asset D, 2009-04-01..2009-04-30
    dict(
        q="how many PM02 orders on exc C",
        kind="count",
        check="number",
        gold=lambda d: int((asset(d, "C").PMType == "PM02").sum()),
    ),  # PMType column
    dict(
        q="How many WOs with failure mode Leak did excavator E have in 2007?",
        kind="count",
        check="number",
        gold=lambda d: int(has(year(asset(d, "E"), 2007), "FM", "Leak").sum()),  # FM column
        alts=lambda d: {"exact FM == Leak": int(has(year(asset(d, "E"), 2007), "FM", "Leak", True).sum())},
    ),
    dict(
        q="how many over temp failures has excavator E had?",
        kind="count",
        check="number",
        gold=lambda d: int(has(asset(d, "E"), "FM", "Over Temp").sum()),  # FM column
        alts=lambda d: {"exact": int(has(asset(d, "E"), "FM", "Over Temp", True).sum())},
    ),
    # list-style: the gold is the number of WOs the list must hold
    dict(
        q="List all work orders with failure mode Seized.",
        kind="count",
        check="number",
        gold=lambda d: int(has(d, "FM", "Seized").sum()),  # FM column, all excavators
        alts=lambda d: {"exact": int(has(d, "FM", "Seized", True).sum())},
    ),
    dict(
        q="list the PM13 WOs", kind="count", check="number", gold=lambda d: int((d.PMType == "PM13").sum())
    ),  # PMType column, all excavators
    dict(
        q="Did excavator E have any work orders in 2005?",
        kind="count",
        check="no",
        gold=lambda d: "yes" if len(year(asset(d, "E"), 2005)) else "no",
    ),  # E starts 2006-01
    # ---- total (q10-q13): sum / mean of Cost over a group with no zero and no negative cost
    dict(
        q="What was the total cost of work orders for excavator E in 2007?",
        kind="total",
        check="number",
        gold=lambda d: round(float(year(asset(d, "E"), 2007).Cost.sum()), 2),
    ),
    dict(
        q="total WO cost exc A 2006",
        kind="total",
        check="number",
        gold=lambda d: round(float(year(asset(d, "A"), 2006).Cost.sum()), 2),
    ),
    dict(
        q="averge cost per work order for excavator A in 2003?",
        kind="total",
        check="number",
        gold=lambda d: round(float(year(asset(d, "A"), 2003).Cost.mean()), 2),
    ),  # 3 WOs, all > 0
    dict(
        q="avg cost per WO exc E July 2007",
        kind="total",
        check="number",
        gold=lambda d: round(float(month(asset(d, "E"), 2007, 7).Cost.mean()), 2),
    ),  # 14 WOs, all > 0
    # ---- most_frequent (q14-q18): mode of a coded column (Part / FM / MajorSystem)
    dict(
        q="Which part shows up most often in the work orders overall?",
        kind="most_frequent",
        check="name",
        gold=lambda d: most_frequent(d, "Part")[0],
        alts=lambda d: {"exact cells": most_frequent(d, "Part", True)[0]},
    ),
    dict(
        q="most freq failure mode on excavator C",
        kind="most_frequent",
        check="name",
        gold=lambda d: most_frequent(asset(d, "C"), "FM")[0],
        alts=lambda d: {"exact cells": most_frequent(asset(d, "C"), "FM", True)[0]},
    ),
    dict(
        q="Which part has the most work orders on exc A?",
        kind="most_frequent",
        check="name",
        gold=lambda d: most_frequent(asset(d, "A"), "Part")[0],
        alts=lambda d: {"exact cells": most_frequent(asset(d, "A"), "Part", True)[0]},
    ),
    dict(
        q="Which major system has the most WOs for excavtor E?",
        kind="most_frequent",
        check="name",
        gold=lambda d: most_frequent(asset(d, "E"), "MajorSystem")[0],
        alts=lambda d: {"exact cells": most_frequent(asset(d, "E"), "MajorSystem", True)[0]},
    ),
    dict(
        q="most common failure mode exc D in 2009",
        kind="most_frequent",
        check="name",
        gold=lambda d: most_frequent(year(asset(d, "D"), 2009), "FM")[0],
        alts=lambda d: {"exact cells": most_frequent(year(asset(d, "D"), 2009), "FM", True)[0]},
    ),
    # ---- after (q19-q22): Part of the next Replace WO on the same excavator (see docstring)
    dict(
        q="Which part is replaced most often after a hydraulic leak?",
        kind="after",
        check="name",
        gold=lambda d: after(d, "Leak", system="Hydraulic System")[
            0
        ],  # FM Leak & MajorSystem Hydraulic System
        alts=lambda d: {
            "every leak, any system": after(d, "Leak", system=None)[0],
            "next within 7 d": after(d, "Leak", system="Hydraulic System", window_days=7)[0],
            "next within 30 d": after(d, "Leak", system="Hydraulic System", window_days=30)[0],
            "all within 30 d": after(d, "Leak", system="Hydraulic System", window_days=30, every=True)[0],
            "Action == Replace": after(d, "Leak", system="Hydraulic System", exact_action=True)[0],
        },
    ),
    dict(
        q="what part is replced most often after a missing/loose failure?",
        kind="after",
        check="name",
        gold=lambda d: after(d, "Missing / Loose")[0],
        alts=lambda d: {
            "next within 7 d": after(d, "Missing / Loose", window_days=7)[0],
            "next within 30 d": after(d, "Missing / Loose", window_days=30)[0],
            "all within 30 d": after(d, "Missing / Loose", window_days=30, every=True)[0],
            "Action == Replace": after(d, "Missing / Loose", exact_action=True)[0],
            "same WO, Replace": most_frequent(
                d[has(d, "FM", "Missing / Loose") & has(d, "Action", "Replace")], "Part", True
            )[0],
        },
    ),
    dict(
        q="On excavator B, which part is most often replaced after a leak?",
        kind="after",
        check="name",
        gold=lambda d: after(d, "Leak", a="B")[0],  # FM Leak on Asset B
        alts=lambda d: {
            "next within 7 d": after(d, "Leak", a="B", window_days=7)[0],
            "next within 30 d": after(d, "Leak", a="B", window_days=30)[0],
            "all within 30 d": after(d, "Leak", a="B", window_days=30, every=True)[0],
            "Action == Replace": after(d, "Leak", a="B", exact_action=True)[0],
        },
    ),
    dict(
        q="exc C - what gets replaced most after hydraulic leaks?",
        kind="after",
        check="name",
        gold=lambda d: after(d, "Leak", a="C", system="Hydraulic System")[0],
        alts=lambda d: {
            "next within 7 d": after(d, "Leak", a="C", system="Hydraulic System", window_days=7)[0],
            "next within 30 d": after(d, "Leak", a="C", system="Hydraulic System", window_days=30)[0],
            "all within 30 d": after(d, "Leak", a="C", system="Hydraulic System", window_days=30, every=True)[
                0
            ],
            "Action == Replace": after(d, "Leak", a="C", system="Hydraulic System", exact_action=True)[0],
        },
    ),
    # ---- latest (q23-q26): date of the latest WO with the Part code (unique on its day)
    dict(
        q="When was the last aircon WO on exc E?",
        kind="latest",
        check="date",
        gold=lambda d: latest(d, "Air Conditioning", "E"),
        alts=lambda d: {
            "exact": latest(d, "Air Conditioning", "E", True),
            "text names it": latest_text(d, "Air Conditioning", "E", r"a/c|air ?con")[1],
        },
    ),
    dict(
        q="most recent work order on the starting system of excavator A",
        kind="latest",
        check="date",
        gold=lambda d: latest(d, "Starting System", "A"),
        alts=lambda d: {
            "exact": latest(d, "Starting System", "A", True),
            "text names it": latest_text(d, "Starting System", "A", r"start")[1],
        },
    ),
    dict(
        q="When was the latest fire suppression work order for excavator D?",
        kind="latest",
        check="date",
        gold=lambda d: latest(d, "Fire Suppression", "D"),
        alts=lambda d: {
            "exact": latest(d, "Fire Suppression", "D", True),
            "text names it": latest_text(d, "Fire Suppression", "D", r"fire")[1],
        },
    ),
    dict(
        q="last WO on the pump, exc C?",
        kind="latest",
        check="date",
        gold=lambda d: latest(d, "Pump", "C"),
        alts=lambda d: {
            "exact": latest(d, "Pump", "C", True),
            "text names it": latest_text(d, "Pump", "C", r"pump")[1],
        },
    ),
    # ---- unanswerable (q27-q30): the base holds no such data
    dict(
        q="How many spare hydraulic pump seals do we have in stock?",
        kind="unanswerable",
        check="abstain",
        gold=lambda d: None,
    ),  # no inventory column
    dict(
        q="Which technician completed the most work orders on excavator D?",
        kind="unanswerable",
        check="abstain",
        gold=lambda d: None,
    ),  # no technician column
    dict(
        q="How many work orders did excavator F have in 2008?",
        kind="unanswerable",
        check="abstain",
        gold=lambda d: None if "F" not in set(d.Asset) else len(asset(d, "F")),
    ),
    dict(
        q="What was the fuel consumption of excavator C in 2010, in litres per hour?",
        kind="unanswerable",
        check="abstain",
        gold=lambda d: None,
    ),  # no fuel data
]


def expected_alt(spec, value, gold):
    return value is True or value == gold


def build(verbose: bool) -> list[dict]:
    d = load()
    assert len(d) == 5485, len(d)
    out = []
    for i, s in enumerate(SPECS, 1):
        g = s["gold"](d)
        out.append({"id": f"q{i:02d}", "question": s["q"], "kind": s["kind"], "gold": g, "check": s["check"]})
        if "alts" in s:
            for name, v in s["alts"](d).items():
                if not expected_alt(s, v, g):
                    print(f"note q{i:02d}: reading '{name}' gives {v!r}, gold {g!r}")
                elif verbose:
                    print(f"  q{i:02d} {name}: {v!r} agrees")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="write questions.json")
    p.add_argument("-v", "--verbose", action="store_true", help="show every alternative reading")
    args = p.parse_args()
    qs = build(args.verbose)
    if args.write:
        OUT.write_text(json.dumps(qs, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {OUT} ({len(qs)} questions)")
        return 0
    old = json.loads(OUT.read_text())
    bad = 0
    if len(old) != len(qs):
        print(f"questions.json has {len(old)} questions, specs {len(qs)}")
        bad += 1
    for a, b in zip(old, qs, strict=False):
        if a != b:
            print(f"DIFF {b['id']}: file {a!r}\n          now  {b!r}")
            bad += 1
    print("all golds match" if not bad else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
