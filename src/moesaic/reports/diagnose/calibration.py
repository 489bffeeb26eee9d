"""Temperature scaling of class probabilities: stated confidences that mean what they say.

Gradient boosting drives its probabilities toward 0 and 1: on its own held-out windows a class it
gives 0.96 is right less often than that, and a second cause it gives 0.01 is right more often.
A temperature T > 1 softens them, T < 1 sharpens them: ``q_k`` proportional to ``p_k ** (1 / T)``,
which for a softmax model is the softmax of its scores divided by T. T is chosen on held-out
probabilities (never on the windows being scored) as the one under which the true classes are
most likely (Guo et al. 2017, "On calibration of modern neural networks"). The order of the
classes never changes, so neither does the predicted class.

Axes: N samples, K classes.
"""

from __future__ import annotations

import numpy as np

TEMPERATURES = np.geomspace(0.25, 8.0, 61)  # the grid T is chosen from
_FLOOR = 1e-6  # a held-out probability of 0 (a class absent from a fold) counts as this


def soften(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """(N, K) or (K,) ``probabilities`` raised to ``1 / temperature``, each row summing to 1 again."""
    if not temperature > 0:
        raise ValueError(f"`temperature` must be > 0, got {temperature}")
    p = np.asarray(probabilities, dtype=np.float64)
    logits = np.log(np.clip(p, _FLOOR, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    q = np.exp(logits)
    return np.asarray(q / q.sum(axis=-1, keepdims=True))


def log_loss(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """Mean negative log-probability of the true classes ``truth`` (N,) under ``probabilities`` (N, K)."""
    p = np.asarray(probabilities, dtype=np.float64)[np.arange(len(truth)), np.asarray(truth)]
    return float(-np.mean(np.log(np.clip(p, 1e-300, 1.0))))


def fit_temperature(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The temperature of :data:`TEMPERATURES` under which ``truth`` (N,) class indices are most
    likely given held-out ``probabilities`` (N, K); rows that sum to 0 (no held-out answer) are
    left out, and 1.0 is returned when none is left."""
    p = np.asarray(probabilities, dtype=np.float64)
    keep = p.sum(axis=1) > 0
    if not keep.any():
        return 1.0
    losses = [log_loss(soften(p[keep], t), np.asarray(truth)[keep]) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])
