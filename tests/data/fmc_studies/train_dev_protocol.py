"""Study (twenty-ninth session): C in {0.3, 1, 3} chosen by 5-fold CV x 3 shuffles on train + dev,
the classifier fitted on train + dev, the test split read once. Run: `python
tests/data/fmc_studies/train_dev_protocol.py` (BENCHMARKS "Failure modes: three more designs")."""

import os

import numpy as np
from sklearn.model_selection import KFold

from moesaic.data.registry import load_dataset
from moesaic.text.failure_modes import FailureModeClassifier, FailureModeConfig, classification_f1

data = load_dataset("fmc_mwo2kg", os.environ.get("MOESAIC_DATA", "/work/shared/data"))


def split(s):
    ch = [d for d in data.documents if d.fields["split"] == s]
    return [d.text for d in ch], [str(d.fields["label"]) for d in ch]


(x, y), (xd, yd), (xt, yt) = split("train"), split("dev"), split("test")
X = np.array(x + xd, dtype=object)
Y = np.array(y + yd, dtype=object)
res = {}
for c in (0.3, 1.0, 3.0):
    cfg = FailureModeConfig(model="linear_svm", c=c, encoders=("minilm", "smollm2"))
    r = []
    for seed in (0, 1, 2):
        for tr, he in KFold(5, shuffle=True, random_state=seed).split(X):
            r.append(
                classification_f1(
                    list(Y[he]), FailureModeClassifier(cfg).fit(list(X[tr]), list(Y[tr])).predict(list(X[he]))
                ).micro
            )
    res[c] = float(np.mean(r))
print("CV train+dev", res)
c = max(res, key=res.get)
cfg = FailureModeConfig(model="linear_svm", c=c, encoders=("minilm", "smollm2"))
print("chosen", c, "test", classification_f1(yt, FailureModeClassifier(cfg).fit(x + xd, y + yd).predict(xt)))
