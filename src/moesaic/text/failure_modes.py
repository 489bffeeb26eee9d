"""Failure-mode classification of free-text work orders: n-gram TF-IDF and a linear model.

Short observations ("smoking up", "not pumpung", "vibrationcheck") are mapped to failure-mode
classes (ISO 14224-style in FMC-MWO2KG, expert codes in the excavator work orders). The
features are character n-grams inside word boundaries (robust to typos) joined with word
n-grams over stemmed words (robust to inflection), after the clean-up of
:class:`~moesaic.text.features.ObservationCleaner`; optionally, frozen pretrained sentence
features are appended (``encoders``: MiniLM, the first layers of SmolLM2; see
:class:`~moesaic.text.neural.PretrainedTextFeatures`), which carry what n-grams cannot see:
that "running hot" and "overheating" mean the same. The model is a logistic regression or a
linear SVM; :func:`tune_by_cv` picks the model and its C by K-fold cross-validation on the
training texts only, :func:`tune_on_dev` by the micro-F1 on a development split.
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

from moesaic.errors import NotFittedError
from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words

logger = logging.getLogger(__name__)

MODELS = ("logreg", "linear_svm")
ENCODERS = ("minilm", "smollm2")  # frozen encoders of moesaic.text.neural (imported only when used)


@dataclass(frozen=True)
class FailureModeConfig:
    """How observations become features and which linear model reads them.

    Attributes:
        model: "logreg" (multinomial logistic regression) or "linear_svm".
        c: inverse regularisation strength of the model, > 0.
        char_ngrams: (min, max) character n-gram lengths, inside word boundaries.
        word_ngrams: (min, max) word n-gram lengths, over stemmed words.
        encoders: frozen pretrained encoders whose sentence features are appended, from
            :data:`ENCODERS` (empty: n-grams only). Fitting raises
            ImportError when one is not installed; :func:`~moesaic.text.neural.available_encoders`
            keeps the installed ones, with a logged note for the others.
        encoder_weight: scale of each encoder block against the unit-norm n-gram blocks.
        lm_layers: SmolLM2 layers run for its features.
        seed: seed of the solver where it is stochastic.
    """

    model: str = "logreg"
    c: float = 10.0
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    encoders: tuple[str, ...] = ()
    encoder_weight: float = 1.0
    lm_layers: int = 6
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
        unknown = [e for e in self.encoders if e not in ENCODERS]
        if unknown or len(set(self.encoders)) != len(self.encoders):
            raise ValueError(f"`encoders` must be distinct names from {ENCODERS}, got {self.encoders}")
        if not self.encoder_weight > 0:
            raise ValueError(f"`encoder_weight` must be > 0, got {self.encoder_weight}")
        if not 1 <= self.lm_layers <= 30:
            raise ValueError(f"`lm_layers` must be in [1, 30], got {self.lm_layers}")

    def label(self) -> str:
        label = f"model={self.model},c={self.c:g}"
        if self.encoders:
            layers = f"@{self.lm_layers}" if "smollm2" in self.encoders else ""
            label += f",encoders={'+'.join(self.encoders)}{layers}"
        return label


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

        blocks: list[tuple[str, Any]] = [
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
        if cfg.encoders:
            from moesaic.text.neural import PretrainedTextFeatures

            blocks.append(
                ("pretrained", PretrainedTextFeatures(cfg.encoders, cfg.encoder_weight, cfg.lm_layers))
            )
        features = FeatureUnion(blocks)
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

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(B, num_classes) the linear model's class scores (decision values), columns as ``classes_``."""
        if not hasattr(self, "pipeline_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        _check_texts(texts)
        out = np.asarray(self.pipeline_.decision_function(list(texts)), dtype=np.float64)
        if out.ndim == 1:  # two classes: one score, positive for the second class
            out = np.stack([-out, out], axis=1)
        return out

    def num_parameters(self) -> int:
        """Learned weights of the linear model plus the frozen encoder parameters that run."""
        if not hasattr(self, "pipeline_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        model = self.pipeline_.named_steps["model"]
        total = int(model.coef_.size + model.intercept_.size)
        for name, block in self.pipeline_.named_steps["features"].transformer_list:
            if name == "pretrained":
                total += block.num_parameters()
        return total

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
    scores: dict[str, float]  # config label -> mean micro-F1 over the folds (or on the dev split)


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


def tune_on_dev(
    texts: Sequence[str],
    labels: Sequence[str],
    dev_texts: Sequence[str],
    dev_labels: Sequence[str],
    *,
    grid: Sequence[FailureModeConfig],
    vocabulary: Mapping[str, int] | None = None,
) -> CvChoice:
    """The config of ``grid`` fitted on the training texts with the best micro-F1 on the
    development texts (first one on ties); ``scores`` holds the development micro-F1."""
    if not grid:
        raise ValueError("`grid` must hold at least one FailureModeConfig")
    _check_texts(dev_texts, dev_labels)
    scores = {}
    for cfg in grid:
        model = FailureModeClassifier(cfg, vocabulary=vocabulary).fit(texts, labels)
        scores[cfg.label()] = classification_f1(list(dev_labels), model.predict(dev_texts)).micro
    best = max(grid, key=lambda cfg: scores[cfg.label()])
    logger.info("failure-mode dev selection: %s -> %s", scores, best.label())
    return CvChoice(replace(best), scores)


def default_grid(seed: int = 0) -> list[FailureModeConfig]:
    """The small grid searched by the benchmark: both models, three strengths each."""
    return [
        FailureModeConfig(model=model, c=c, seed=seed)
        for model, cs in (("logreg", (3.0, 10.0, 30.0)), ("linear_svm", (0.3, 1.0, 3.0)))
        for c in cs
    ]
