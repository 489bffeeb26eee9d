"""Anomaly detectors behind one interface: the shared scoring pipeline and the classical detectors.

Every detector follows the scikit-learn contract (``__init__`` stores its config, ``fit`` returns
``self``, learned state ends in ``_``, scoring before ``fit`` raises :class:`NotFittedError`) and
the same pipeline, so that the sparse backbone (:class:`moesaic.tasks.anomaly.AnomalyDetector`)
and the classical detectors are compared on equal terms:

1. each channel is standardised with the mean and standard deviation of the training rows;
2. the detector turns the standardised values z (T, C) into signed deviations (T, P, C): P parts
   per channel, each what the detector cannot explain, in standardised units (the level z itself,
   a PCA residual, a forecast error, ...);
3. a causal moving average over ``smooth`` steps (the present and the past only): a sustained
   shift survives while noise averages out, and no score looks into the future;
4. each (part, channel) is divided by its root mean square on the calibration rows, so that a
   noisy channel does not drown a quiet one (a channel constant in training by 1 % of its level);
   the first ``smooth - 1`` calibration rows, whose averages span fewer steps, are left out of
   the scales and the threshold, and raise no alarm when scored;
5. ``contributions`` (T, C) are the squared scaled deviations, averaged over parts and channels;
   the score (T,) is their sum over channels, so the contributions say which channels raised it;
6. the threshold is ``quantile`` of the calibration scores times ``factor``, fixed a priori. The
   calibration rows are the training rows, or the ``validation`` rows given to ``fit``: never the
   rows being evaluated, and no method accepts scores to threshold;
7. a step is in alarm once its score has stayed above the threshold for ``min_run`` steps; with
   ``backdate``, a run that gets there is in alarm from its first step (a recorded series).

Classical detectors here: ``zscore`` (level only), ``pca`` (Hotelling T² and SPE), ``iforest``
(isolation forest), ``kmeans`` (distance to the nearest centroid) and ``ar`` (forecast residual of
a ridge autoregression). :mod:`moesaic.tasks.detectors_consensus` combines several into one
whose alarm needs all of them. Axes: T steps, C channels, P parts, K components or clusters.

The pipeline and :class:`BaseDetector` live in :mod:`moesaic.tasks.detectors_pipeline`, the
classical detectors in :mod:`moesaic.tasks.detectors_classical`; every public name is re-exported
here.
"""

from __future__ import annotations

from moesaic.tasks.detectors_classical import (
    CLASSICAL,
    ARConfig,
    ARDetector,
    IForestConfig,
    IForestDetector,
    KMeansConfig,
    KMeansDetector,
    PCAConfig,
    PCADetector,
    ZScoreDetector,
)
from moesaic.tasks.detectors_pipeline import (
    KIND_PREFIX,
    BaseDetector,
    Detection,
    Scores,
    ScoringConfig,
    Standardiser,
    alarm_runs,
    causal_mean,
    check_values,
    configure,
    sustained,
)

__all__ = [
    "CLASSICAL",
    "KIND_PREFIX",
    "ARConfig",
    "ARDetector",
    "BaseDetector",
    "Detection",
    "IForestConfig",
    "IForestDetector",
    "KMeansConfig",
    "KMeansDetector",
    "PCAConfig",
    "PCADetector",
    "Scores",
    "ScoringConfig",
    "Standardiser",
    "ZScoreDetector",
    "alarm_runs",
    "causal_mean",
    "check_values",
    "configure",
    "sustained",
]
