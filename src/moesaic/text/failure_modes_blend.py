"""Blending two failure-mode classifiers' class scores, the weight chosen on development texts.

The fine-tuned MiniLM of :mod:`moesaic.text.failure_modes_tuned` gives class probabilities, the
linear n-gram classifier of :mod:`moesaic.text.failure_modes` decision values on another scale.
Each row of each is standardised over the classes (mean 0, standard deviation 1; the
probabilities as log-probabilities) and the two are mixed with one weight, so no temperature
has to be fitted. Axes: B texts, C classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.text.failure_modes import classification_f1

BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Weights of the linear classifier's scores tried by :func:`choose_blend_weight` (0: tuned alone)."""


def blend_scores(tuned_proba: np.ndarray, linear_scores: np.ndarray, weight: float) -> np.ndarray:
    """(B, C) ``(1 - weight) * z(log tuned_proba) + weight * z(linear_scores)``.

    ``z`` standardises each row over the classes (mean 0, standard deviation 1), so the two
    models' scores meet on one scale without a fitted temperature. Columns must name the same
    classes in the same order in both inputs.
    """
    if tuned_proba.shape != linear_scores.shape or tuned_proba.ndim != 2:
        raise ValueError(
            f"need two (B, C) score arrays of one shape, got {tuned_proba.shape} and {linear_scores.shape}"
        )
    if not 0 <= weight <= 1:
        raise ValueError(f"`weight` must be in [0, 1], got {weight}")
    tuned = _standardise_rows(np.log(np.clip(tuned_proba, 1e-12, None)))
    return (1 - weight) * tuned + weight * _standardise_rows(linear_scores)


class BlendChoice(NamedTuple):
    weight: float
    scores: dict[float, float]  # weight -> micro-F1 on the texts it was chosen on


def choose_blend_weight(
    tuned_proba: np.ndarray,
    linear_scores: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    *,
    weights: Sequence[float] = BLEND_WEIGHTS,
) -> BlendChoice:
    """The weight of ``weights`` whose blend has the best micro-F1 on ``labels`` (first on ties).

    Meant for development texts: both models are fitted without them.
    """
    if not weights:
        raise ValueError("`weights` must hold at least one weight")
    scores = {}
    for weight in weights:
        blended = blend_scores(tuned_proba, linear_scores, weight)
        predicted = [classes[int(i)] for i in blended.argmax(1)]
        scores[float(weight)] = classification_f1(list(labels), predicted).micro
    best = max(scores, key=lambda w: scores[w])  # dicts keep order: the first best wins
    return BlendChoice(best, scores)


def _standardise_rows(scores: np.ndarray) -> np.ndarray:
    centred = scores - scores.mean(1, keepdims=True)
    return centred / np.maximum(centred.std(1, keepdims=True), 1e-12)
