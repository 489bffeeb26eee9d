"""Failure-mode classification of short observations: cleaning, fit/predict, CV, F1."""

from __future__ import annotations

import pytest

from moesaic.text.failure_modes import (
    FailureModeClassifier,
    FailureModeConfig,
    NotFittedError,
    classification_f1,
    tune_by_cv,
)
from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words
from moesaic.text.neural import NeuralFailureModeClassifier, NeuralFmcConfig

TEXTS = [
    "leaking oil", "oil leak", "leaks at seal", "leaking badly", "hose leaking",
    "over heating", "overheating", "running hot", "too hot", "overheated motor",
    "vibration issue", "shaking", "vibrating badly", "excessive vibration", "vibrates",
]  # fmt: skip
LABELS = ["Leaking"] * 5 + ["Overheating"] * 5 + ["Vibration"] * 5


def test_cleaner_expands_contractions_and_splits_run_together_words() -> None:
    cleaner = ObservationCleaner(vocabulary=build_vocabulary(["vibration check", "damage blockage"]))
    assert cleaner.clean("Doesnt work") == "does not work"
    assert cleaner.clean("vibrationcheck") == "vibration check"
    assert cleaner.clean("damageblockage") == "damage blockage"
    assert cleaner.clean("unknownword") == "unknownword"  # no known split: left alone


def test_stem_words_merges_inflections_but_keeps_short_stems() -> None:
    assert stem_words("blocked blocking blockage") == "block block block"
    assert stem_words("bus is") == "bus is"


@pytest.mark.parametrize("model", ["logreg", "linear_svm"])
def test_classifier_learns_separable_classes(model: str) -> None:
    clf = FailureModeClassifier(FailureModeConfig(model=model, c=10.0)).fit(TEXTS, LABELS)
    assert clf.predict(["oil leaking", "motor too hot", "shaking badly"]) == [
        "Leaking",
        "Overheating",
        "Vibration",
    ]
    assert clf.classes_ == ["Leaking", "Overheating", "Vibration"]
    assert clf.predict([]) == []


def test_predict_before_fit_and_bad_inputs_raise() -> None:
    clf = FailureModeClassifier()
    with pytest.raises(NotFittedError, match="not fitted"):
        clf.predict(["x"])
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        clf.fit(["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        clf.fit(["a", "b"], ["x", "x"])
    with pytest.raises(TypeError, match="single string"):
        clf.fit("abc", ["x", "y", "z"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`model` must be one of"):
        FailureModeConfig(model="tree")
    with pytest.raises(ValueError, match="`c` must be > 0"):
        FailureModeConfig(c=0.0)


def test_classification_f1_by_hand() -> None:
    score = classification_f1(["a", "a", "b", "c"], ["a", "b", "b", "b"])
    assert score.micro == pytest.approx(0.5)
    # per class F1: a = 2/3, b = 2*(1/3*1)/(1/3+1) = 0.5, c = 0
    assert score.macro == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)


def test_tune_by_cv_returns_a_grid_member_with_its_score() -> None:
    grid = [FailureModeConfig(model="linear_svm", c=c) for c in (0.1, 1.0)]
    choice = tune_by_cv(TEXTS, LABELS, grid=grid, folds=3, seed=0)
    assert choice.config in grid
    assert set(choice.scores) == {g.label() for g in grid}
    assert choice.scores[choice.config.label()] == max(choice.scores.values())


def test_neural_classifier_fits_separable_classes() -> None:
    config = NeuralFmcConfig(dim=16, epochs=15, batch_size=16, lr=1e-2)
    clf = NeuralFailureModeClassifier(config).fit(TEXTS, LABELS)
    assert clf.predict(TEXTS) == LABELS  # a model that can learn must fit 15 separable texts
    assert clf.predict([]) == [] and clf.num_parameters() > 0
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuralFailureModeClassifier().fit(["a"], ["x"])
