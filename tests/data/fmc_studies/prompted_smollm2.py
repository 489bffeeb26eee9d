"""Study (twenty-ninth session): SmolLM2 features of the observation inside a one-line prompt, the
last token's or the mean hidden state after LAYER layers, in place of the plain mean-pooled block.
Run: `python tests/data/fmc_studies/prompted_smollm2.py LAYER,POOL,PROMPT` for 6,mean,0 (the
current features), 6,mean,1, 6,last,1, 12,last,1, 12,mean,1, 18,last,1 (BENCHMARKS "Failure
modes: three more designs")."""

import os
import sys

import numpy as np
import torch
from sklearn.model_selection import KFold

from moesaic.data.registry import load_dataset
from moesaic.text import neural
from moesaic.text.failure_modes import FailureModeClassifier, FailureModeConfig, classification_f1
from moesaic.text.language_model import load_language_model

data = load_dataset("fmc_mwo2kg", os.environ.get("MOESAIC_DATA", "/work/shared/data"))


def split(s):
    ch = [d for d in data.documents if d.fields["split"] == s]
    return [d.text for d in ch], [str(d.fields["label"]) for d in ch]


(x, y), (xd, yd) = split("train"), split("dev")
TEMPLATE = 'This maintenance work order: "{}" means in one word:"'
lm = load_language_model()
body = lm.model.model
lm.tokenizer.padding_side = "left"
CACHE = {}


def feats(texts, layer, pool, prompt):
    key = (layer, pool, prompt)
    todo = [t for t in texts if (key, t) not in CACHE]
    for st in range(0, len(todo), 32):
        b = todo[st : st + 32]
        inp = [TEMPLATE.format(t) if prompt else t for t in b]
        enc = lm.tokenizer(inp, return_tensors="pt", padding=True)
        with torch.no_grad():
            out = body(**enc, use_cache=False, output_hidden_states=True)
        h = out.hidden_states[layer]
        if pool == "last":
            v = h[:, -1, :]
        else:
            m = enc["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1)
        for t, vv in zip(b, v.numpy(), strict=False):
            CACHE[(key, t)] = vv
    return np.stack([CACHE[(key, t)] for t in texts]).astype(np.float32)


VAR = sys.argv[1]  # e.g. 6,last,1
layer, pool, prompt = VAR.split(",")
layer = int(layer)
prompt = prompt == "1"
neural._smollm2 = lambda texts, layers, batch_size=32: feats(list(texts), layer, pool, prompt)
cfg = FailureModeConfig(model="linear_svm", c=0.3, encoders=("minilm", "smollm2"))


def run(a, b, c, d):
    return classification_f1(d, FailureModeClassifier(cfg).fit(a, b).predict(c)).micro


X = np.array(x, dtype=object)
Y = np.array(y, dtype=object)
r = []
for seed in (0, 1, 2):
    for tr, he in KFold(5, shuffle=True, random_state=seed).split(X):
        neural.clear_feature_cache()
        r.append(run(list(X[tr]), list(Y[tr]), list(X[he]), list(Y[he])))
neural.clear_feature_cache()
print(VAR, "CV", round(float(np.mean(r)), 4), "dev", round(run(x, y, xd, yd), 4), flush=True)
