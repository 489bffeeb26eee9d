"""Sanity checks for sheet/fmea.csv and questions.csv."""

import json
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = [
    "Subsystem",
    "Component",
    "Sub-Component",
    "Potential Failure Mode",
    "Potential Effect(s) of Failure",
    "Severity",
    "Potential Cause(s) of Failure",
    "Occurrence",
    "Current Controls",
    "Detection",
    "RPN",
    "Recommended Action",
]
CATS = {
    "Name matching",
    "Type matching",
    "Semantic matching",
    "Numeric ranking",
    "Numeric filtering",
    "Aggregation/ Computation",
    "Unanswerable",
}
UNANSWERABLE = "The FMEA does not contain this information."
errors = []


def err(msg):
    errors.append(msg)


df = pd.read_csv(os.path.join(HERE, "sheet", "fmea.csv"), keep_default_na=False)
q = pd.read_csv(os.path.join(HERE, "questions.csv"))
with open(os.path.join(HERE, "nugget_names.json")) as fh:
    names = json.load(fh)

# ---- sheet
if list(df.columns) != COLUMNS:
    err(f"sheet columns {list(df.columns)}")
if not 90 <= len(df) <= 140:
    err(f"sheet has {len(df)} rows")
for c in ["Severity", "Occurrence", "Detection", "RPN"]:
    if not pd.api.types.is_integer_dtype(df[c]):
        err(f"{c} not integer")
for c in ["Severity", "Occurrence", "Detection"]:
    if not df[c].between(1, 10).all():
        err(f"{c} outside 1-10")
bad = df[df["RPN"] != df["Severity"] * df["Occurrence"] * df["Detection"]]
if len(bad):
    err(f"RPN != S*O*D on rows {list(bad.index)}")
if (
    df[["Subsystem", "Component", "Sub-Component", "Potential Failure Mode", "Potential Cause(s) of Failure"]]
    .eq("")
    .any()
    .any()
):
    err("blank hierarchy / failure mode / cause cell")
if df.duplicated().any():
    err("duplicate sheet rows")
n_sub = df["Subsystem"].nunique()
n_comp = df.groupby("Subsystem")["Component"].nunique()
n_sc = df.groupby(["Subsystem", "Component"])["Sub-Component"].nunique()
if not 3 <= n_sub <= 5 or not n_comp.between(3, 6).all() or not n_sc.between(1, 4).all():
    err("hierarchy sizes out of range")

# ---- questions
if list(q.columns) != ["ID", "Question", "Answer", "Categories", "Nuggets"]:
    err(f"question columns {list(q.columns)}")
if len(q) != 40 or sorted(q["ID"]) != list(range(1, 41)) or q["ID"].duplicated().any():
    err("IDs are not 1..40 unique")
if q["Question"].duplicated().any():
    err("duplicate question text")
cells = set(
    df[[c for c in COLUMNS if c not in ("Severity", "Occurrence", "Detection", "RPN")]]
    .astype(str)
    .values.ravel()
)
for _, r in q.iterrows():
    qid = str(r["ID"])
    cats = [c.strip() for c in r["Categories"].split(",")]
    # "Aggregation/ Computation" contains no comma, so splitting on commas is safe
    for c in cats:
        if c not in CATS:
            err(f"Q{qid}: unknown category {c!r}")
    try:
        nug = json.loads(r["Nuggets"])
    except json.JSONDecodeError as e:
        err(f"Q{qid}: nuggets not JSON ({e})")
        continue
    if not all(set(n) == {"nugget", "status"} and n["status"] == "ESSENTIAL" for n in nug):
        err(f"Q{qid}: bad nugget objects")
    texts = [n["nugget"] for n in nug]
    if "Unanswerable" in cats:
        if cats != ["Unanswerable"] or r["Answer"] != UNANSWERABLE or texts != [UNANSWERABLE]:
            err(f"Q{qid}: unanswerable item malformed")
        continue
    if not 1 <= len(texts) <= 4:
        err(f"Q{qid}: {len(texts)} nuggets")
    if qid not in names:
        err(f"Q{qid}: no name list")
        continue
    joined = "\n".join(texts)
    for nm in names[qid]:
        if nm not in cells:
            err(f"Q{qid}: name {nm!r} is not a sheet cell")
        if nm not in joined:
            err(f"Q{qid}: name {nm!r} not written in its nuggets")

n_un = sum("Unanswerable" in c for c in q["Categories"])
n_sem = sum("Semantic matching" in c for c in q["Categories"])
if n_un != 5:
    err(f"{n_un} unanswerable questions")
if n_sem != 6:
    err(f"{n_sem} semantic questions")

print(f"sheet rows: {len(df)}, subsystems: {n_sub}, questions: {len(q)}")
if errors:
    print("FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("all checks passed")
