"""Step-3 checks for sheet/fmea.csv and questions.csv."""

import json
import os
from collections import Counter

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
df = pd.read_csv(os.path.join(HERE, "sheet", "fmea.csv"), keep_default_na=False)
q = pd.read_csv(os.path.join(HERE, "questions.csv"))
ref = pd.read_csv("/work/shared/data/fmea_mining_truck/fmea_dataset_filled.csv", nrows=0)
assert list(df.columns) == list(ref.columns)
assert list(q.columns) == ["ID", "Question", "Answer", "Categories", "Nuggets"]
assert 100 <= len(df) <= 150
for c in ["Severity", "Occurrence", "Detection"]:
    assert df[c].between(1, 10).all()
assert (df.Severity * df.Occurrence * df.Detection == df.RPN).all()
assert len(q) == 40 and sorted(q.ID) == list(range(1, 41))
UN = "The FMEA does not contain this information."
cat = Counter()
for r in q.itertuples():
    nug = json.loads(r.Nuggets)
    assert all(n["status"] == "ESSENTIAL" for n in nug)
    for c in r.Categories.split(", "):
        cat[c] += 1
    if r.Categories == "Unanswerable":
        assert r.Answer == UN and [n["nugget"] for n in nug] == [UN]
    else:
        assert 1 <= len(nug) <= 4 and r.Answer != UN
print("rows", len(df), "| questions", len(q), "| unanswerable", (q.Categories == "Unanswerable").sum())
print(dict(cat))
print("all checks passed")
