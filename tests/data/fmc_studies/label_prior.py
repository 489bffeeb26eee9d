"""Study (twenty-ninth session): the failure-mode classifier's scores plus w times the MiniLM
similarity of each text to its class name or an ISO 14224 description, w in {0.25, 0.5, 1};
5-fold CV on train x 3 shuffles and the dev split. Run: `python tests/data/fmc_studies/label_prior.py`
(BENCHMARKS "Failure modes: three more designs")."""

import os

import numpy as np
from sklearn.model_selection import KFold

from moesaic.data.registry import load_dataset
from moesaic.text.failure_modes import FailureModeClassifier, FailureModeConfig, classification_f1
from moesaic.text.failure_modes_blend import _standardise_rows
from moesaic.text.neural import _minilm

data = load_dataset("fmc_mwo2kg", os.environ.get("MOESAIC_DATA", "/work/shared/data"))


def split(s):
    ch = [d for d in data.documents if d.fields["split"] == s]
    return [d.text for d in ch], [str(d.fields["label"]) for d in ch]


(x, y), (xd, yd) = split("train"), split("dev")
ISO = {
    "Abnormal instrument reading": "abnormal instrument reading: false alarm, faulty instrument indication",
    "Breakdown": "breakdown: serious damage, seizure, breakage",
    "Contamination": "contamination: contaminated fluid, dirt, foreign matter",
    "Electrical": "electrical fault: wiring, power supply, short circuit, earth fault",
    "Erratic output": "erratic output: oscillating, hunting, instability",
    "Fail to close": "fail to close on demand",
    "Fail to function": "fail to function on demand",
    "Fail to open": "fail to open on demand",
    "Failure to rotate": "failure to rotate",
    "Failure to start on demand": "failure to start on demand: does not start",
    "Failure to stop on demand": "failure to stop on demand: does not stop, incorrect shutdown",
    "High output": "high output: output above acceptance, overspeed",
    "Leaking": "leaking: external leakage of fluid or process medium",
    "Low output": "low output: delivery or performance below acceptance",
    "Minor in-service problems": "minor in-service problems: loose items, discoloration, dirt",
    "Noise": "noise: abnormal noise",
    "Other": "other failure mode",
    "Overheating": "overheating: machine parts, exhaust, cooling water too hot",
    "Plugged / choked": "plugged or choked: flow restriction, blockage",
    "Spurious stop": "spurious stop: unexpected shutdown",
    "Structural deficiency": "structural deficiency: material damage, cracks, wear, fracture, corrosion",
    "Vibration": "vibration: abnormal vibration",
}
cfg = FailureModeConfig(model="linear_svm", c=0.3, encoders=("minilm", "smollm2"))
W = (0.25, 0.5, 1.0)


def run(xtr, ytr, xte, yte):
    m = FailureModeClassifier(cfg).fit(xtr, ytr)
    cls = m.classes_
    s = _standardise_rows(m.scores(xte))
    e = _minilm(list(xte))
    res = {"base": classification_f1(yte, [cls[i] for i in s.argmax(1)]).micro}
    for kind, lab in (("name", {c: c for c in cls}), ("iso", {c: ISO.get(c, c) for c in cls})):
        le = _minilm([lab[c] for c in cls])
        sim = _standardise_rows(e @ le.T)
        for w in W:
            res[f"{kind}{w}"] = classification_f1(yte, [cls[i] for i in (s + w * sim).argmax(1)]).micro
    return res


allr = []
X = np.array(x, dtype=object)
Y = np.array(y, dtype=object)
for seed in (0, 1, 2):
    for tr, he in KFold(5, shuffle=True, random_state=seed).split(X):
        allr.append(run(list(X[tr]), list(Y[tr]), list(X[he]), list(Y[he])))
keys = allr[0].keys()
print("CV", {k: round(float(np.mean([r[k] for r in allr])), 4) for k in keys})
print("dev", {k: round(v, 4) for k, v in run(x, y, xd, yd).items()})
