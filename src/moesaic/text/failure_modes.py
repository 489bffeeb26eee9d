"""Failure-mode classification of free-text work orders: n-gram TF-IDF and a linear model.

Short observations ("smoking up", "not pumpung", "vibrationcheck") are mapped to failure-mode
classes (ISO 14224-style in FMC-MWO2KG, expert codes in the excavator work orders). The
features are character n-grams inside word boundaries (robust to typos) joined with word
n-grams over stemmed words (robust to inflection), after the clean-up of
:class:`~moesaic.text.features.ObservationCleaner`. The model is a logistic regression or a
linear SVM; :func:`tune_by_cv` picks the model and its C by K-fold cross-validation on the
training texts only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words

logger = logging.getLogger(__name__)

MODELS = ("logreg", "linear_svm")


class NotFittedError(RuntimeError):
    """Predicting before ``fit``."""


@dataclass(frozen=True)
class FailureModeConfig:
    """How observations become features and which linear model reads them.

    Attributes:
        model: "logreg" (multinomial logistic regression) or "linear_svm".
        c: inverse regularisation strength of the model, > 0.
        char_ngrams: (min, max) character n-gram lengths, inside word boundaries.
        word_ngrams: (min, max) word n-gram lengths, over stemmed words.
        seed: seed of the solver where it is stochastic.
    """

    model: str = "logreg"
    c: float = 10.0
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"`model` must be one of {MODELS}, got {self.model!r}")
        if not self.c > 0:
            raise ValueError(f"`c` must be > 0, got {self.c}")
        for name in ("char_ngrams", "word_ngrams"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(f"`{name}` must be (min, max) with 1 <= min <= max, got {(low, high)}")

    def label(self) -> str:
        return f"model={self.model},c={self.c:g}"


def _check_texts(texts: Sequence[str], labels: Sequence[str] | None = None) -> None:
    if isinstance(texts, str):
        raise TypeError("`texts` must be a sequence of strings, got a single string")
    if labels is not None:
        if len(texts) != len(labels):
            raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
        if len(set(labels)) < 2:
            raise ValueError(f"need at least 2 distinct labels to classify, got {sorted(set(labels))}")


class FailureModeClassifier:
    """Fit on labelled observations, predict a failure-mode class per text.

    Args:
        config: features and model.
        vocabulary: extra known words (for example from a normalised maintenance corpus) that
            help the cleaner split run-together words; the training texts are always added.
    """

    def __init__(
        self, config: FailureModeConfig | None = None, *, vocabulary: Mapping[str, int] | None = None
    ):
        self.config = config or FailureModeConfig()
        self.vocabulary = dict(vocabulary or {})

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> FailureModeClassifier:
        """Learn the vocabulary, the n-gram weights and the linear model; returns ``self``."""
        _check_texts(texts, labels)
        known = dict(self.vocabulary)
        for word, count in build_vocabulary(texts).items():
            known[word] = known.get(word, 0) + count
        self.cleaner_ = ObservationCleaner(vocabulary=known)
        self.pipeline_ = self._pipeline(self.cleaner_)
        self.pipeline_.fit(list(texts), list(labels))
        return self

    def _pipeline(self, cleaner: ObservationCleaner) -> Pipeline:
        cfg = self.config

        def stemmed(text: str) -> str:
            return stem_words(cleaner.clean(text))

        features = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=cfg.char_ngrams,
                        sublinear_tf=True,
                        preprocessor=cleaner.clean,
                    ),
                ),
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word", ngram_range=cfg.word_ngrams, sublinear_tf=True, preprocessor=stemmed
                    ),
                ),
            ]
        )
        model: Any
        if cfg.model == "logreg":
            model = LogisticRegression(C=cfg.c, max_iter=3000, random_state=cfg.seed)
        else:
            model = LinearSVC(C=cfg.c, random_state=cfg.seed)
        return Pipeline([("features", features), ("model", model)])

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The predicted class of each text."""
        if not hasattr(self, "pipeline_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        _check_texts(texts)
        if not texts:
            return []
        return [str(p) for p in self.pipeline_.predict(list(texts))]

    @property
    def classes_(self) -> list[str]:
        if not hasattr(self, "pipeline_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        return [str(c) for c in self.pipeline_.named_steps["model"].classes_]


class ClassF1(NamedTuple):
    micro: float  # equals accuracy for single-label classification
    macro: float  # unweighted mean over the classes present in the gold or predicted labels


def classification_f1(labels: Sequence[str], predicted: Sequence[str]) -> ClassF1:
    """Micro and macro F1 of single-label predictions."""
    if len(labels) != len(predicted) or not labels:
        raise ValueError(f"need as many predictions as labels (> 0), got {len(predicted)} vs {len(labels)}")
    micro = float(f1_score(list(labels), list(predicted), average="micro"))
    macro = float(f1_score(list(labels), list(predicted), average="macro", zero_division=0))
    return ClassF1(micro, macro)


class CvChoice(NamedTuple):
    config: FailureModeConfig
    scores: dict[str, float]  # config label -> mean micro-F1 over the folds


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    config: FailureModeConfig,
    *,
    folds: int = 3,
    seed: int = 0,
    vocabulary: Mapping[str, int] | None = None,
) -> float:
    """Mean micro-F1 of ``config`` over ``folds`` shuffled folds of the given (training) texts."""
    _check_texts(texts, labels)
    if not 2 <= folds <= len(texts):
        raise ValueError(f"`folds` must be in [2, {len(texts)}], got {folds}")
    x, y = np.asarray(texts, dtype=object), np.asarray(labels, dtype=object)
    scores = []
    for train, held in KFold(folds, shuffle=True, random_state=seed).split(x):
        model = FailureModeClassifier(config, vocabulary=vocabulary).fit(list(x[train]), list(y[train]))
        scores.append(classification_f1(list(y[held]), model.predict(list(x[held]))).micro)
    return float(np.mean(scores))


def tune_by_cv(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    grid: Sequence[FailureModeConfig],
    folds: int = 3,
    seed: int = 0,
    vocabulary: Mapping[str, int] | None = None,
) -> CvChoice:
    """The config of ``grid`` with the best cross-validated micro-F1 (first one on ties)."""
    if not grid:
        raise ValueError("`grid` must hold at least one FailureModeConfig")
    scores = {
        cfg.label(): cross_validate(texts, labels, cfg, folds=folds, seed=seed, vocabulary=vocabulary)
        for cfg in grid
    }
    best = max(grid, key=lambda cfg: scores[cfg.label()])
    logger.info("failure-mode CV (%d folds): %s -> %s", folds, scores, best.label())
    return CvChoice(replace(best), scores)


def default_grid(seed: int = 0) -> list[FailureModeConfig]:
    """The small grid searched by the benchmark: both models, three strengths each."""
    return [
        FailureModeConfig(model=model, c=c, seed=seed)
        for model, cs in (("logreg", (3.0, 10.0, 30.0)), ("linear_svm", (0.3, 1.0, 3.0)))
        for c in cs
    ]
