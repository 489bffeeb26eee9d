"""The solver's calibrated thresholds, and template-held-out cross-validation of them.

Most thresholds of the solver are textbook values (a 5% test level, the 2/sqrt(T) band of a
white-noise autocorrelation, the ADF critical value). The ones below were set by looking at
the exam file, so :func:`template_cv` checks that choosing them on some question templates
carries over to the others: for every fold of templates it picks each threshold from a small
grid of multiples of its default on the other folds, then scores the held-out templates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import sys
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

from moesaic.data.schema import Document
from moesaic.reports.exam.solve import Answer, answer_question

# (module, constant, topics whose answers it can change)
CALIBRATED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "trend",
        "TREND_T",
        ("trend_direction", "trend_reversal", "stationarity", "mean_stable", "mean_reversion", "compare"),
    ),
    ("trend", "PIECE_PENALTY", ("regime_count", "regime_switching", "trend_pieces")),
    ("cycle", "CHANGE_RATIO", ("amplitude_change", "period_change")),
    ("cycle", "ENVELOPE_RATIO", ("composition",)),
    ("cycle", "ADDITIVE_R2", ("composition",)),
    ("moments", "CYCLE_R2", ("stationarity", "mean_stable", "mean_reversion")),
    ("moments", "SHIFT_GAIN", ("stationarity", "mean_stable", "mean_reversion")),
    ("moments", "VARIANCE_GAIN", ("stationarity", "variance_value")),
    ("noise", "SIGNIFICANT_NOISE", ("noise_type", "noisy")),
    ("noise", "MULTIPLICATIVE_SHARE", ("noise_composition",)),
    ("causality", "COPY_Z", ("lagged",)),
    ("pairs", "SAME_RATIO", ("compare",)),
    ("pairs", "DIST_RATIO", ("same_distribution",)),
    ("pairs", "DIST_ACF", ("same_distribution",)),
    ("pairs", "SHAPE_R", ("similar_shape", "flipped")),
    ("anomaly", "SPIKE_ROUGH", ("anomaly", "anomaly_location", "anomaly_nonstationary")),
    ("anomaly", "SPEED_RATIO", ("anomaly", "anomaly_location")),
    ("anomaly", "FLAT_SHARE", ("anomaly", "anomaly_base", "anomaly_location", "anomaly_nonstationary")),
)
FACTORS = (0.5, 0.75, 1.0, 1.33, 2.0)


def shuffled(documents: Sequence[Document], seed: int) -> list[Document]:
    """The documents with their options in a seeded random order (the answer text is kept)."""
    rng = random.Random(seed)
    out = []
    for doc in documents:
        options = list(doc.fields["options"])
        rng.shuffle(options)
        fields = dict(doc.fields)
        fields["options"] = tuple(options)
        answer = fields.get("answer")
        fields["answer_index"] = None if answer is None else options.index(answer)
        out.append(dataclasses.replace(doc, fields=fields))
    return out


def _answer(doc: Document) -> Answer:
    return answer_question(
        doc.text, doc.fields["options"], list(doc.fields["series"].values()), question_id=doc.doc_id
    )


@contextlib.contextmanager
def patched(module: str, name: str, value: float) -> Iterator[None]:
    """Set a threshold everywhere it lives (modules that imported it keep their own copy)."""
    prefix = "moesaic.reports.exam."
    owners = [m for key, m in sys.modules.items() if key.startswith(prefix) and hasattr(m, name)]
    default = getattr(sys.modules[prefix + module], name)
    saved = [(m, getattr(m, name)) for m in owners if getattr(m, name) == default]
    for m, _ in saved:
        setattr(m, name, value)
    try:
        yield
    finally:
        for m, old in saved:
            setattr(m, name, old)


class CVResult(NamedTuple):
    accuracy: float  # on held-out templates, thresholds chosen on the other folds
    default_accuracy: float  # the shipped thresholds, for comparison
    folds: int
    chosen: list[dict[str, float]]  # per fold: threshold -> chosen factor (only those != 1)


def template_cv(documents: Sequence[Document], *, folds: int = 5, seed: int = 0) -> CVResult:
    """K-fold cross-validation over question templates (``tid``) of the calibrated thresholds."""
    docs = [d for d in documents if d.fields.get("answer") is not None]
    templates = sorted({str(d.fields.get("tid")) for d in docs})
    random.Random(seed).shuffle(templates)
    fold_of = {t: i % folds for i, t in enumerate(templates)}
    base = {d.doc_id: _answer(d) for d in docs}
    correct = {
        (k, 1.0): {d.doc_id: base[d.doc_id].option == d.fields["answer"] for d in docs} for k in _keys()
    }
    for module, name, topics in CALIBRATED:
        affected = [d for d in docs if base[d.doc_id].topic in topics]
        default = float(getattr(sys.modules[f"moesaic.reports.exam.{module}"], name))
        for factor in FACTORS:
            if factor == 1.0:
                continue
            table = dict(correct[(f"{module}.{name}", 1.0)])
            with patched(module, name, default * factor):
                for d in affected:
                    table[d.doc_id] = _answer(d).option == d.fields["answer"]
            correct[(f"{module}.{name}", factor)] = table
    hits, chosen = [], []
    for fold in range(folds):
        train = [d.doc_id for d in docs if fold_of[str(d.fields.get("tid"))] != fold]
        test = [d.doc_id for d in docs if fold_of[str(d.fields.get("tid"))] == fold]
        picks = {}
        for key in _keys():
            # Ties keep the default (factor 1.0 comes first in the ordering).
            factor = max(
                sorted(FACTORS, key=lambda f: abs(np.log(f))),
                key=lambda f: sum(correct[(key, f)][i] for i in train),
            )
            picks[key] = factor
        chosen.append({k: v for k, v in picks.items() if v != 1.0})
        for i in test:
            # One threshold moved at a time: a question takes the answer of the first moved
            # threshold that touches its topic, else the default answer.
            moved = [k for k, f in picks.items() if f != 1.0 and correct[(k, f)][i] != correct[(k, 1.0)][i]]
            hits.append(correct[(moved[0], picks[moved[0]])][i] if moved else correct[(_keys()[0], 1.0)][i])
    default_accuracy = float(np.mean([base[d.doc_id].option == d.fields["answer"] for d in docs]))
    return CVResult(float(np.mean(hits)), default_accuracy, folds, chosen)


def _keys() -> list[str]:
    return [f"{module}.{name}" for module, name, _ in CALIBRATED]
