"""Failure-mode classification of short observations: cleaning, fit/predict, CV, F1."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from moesaic.knowledge.embed import minilm_available
from moesaic.text import neural
from moesaic.text.failure_modes import (
    FailureModeClassifier,
    FailureModeConfig,
    NotFittedError,
    classification_f1,
    tune_by_cv,
    tune_on_dev,
)
from moesaic.text.features import ObservationCleaner, build_vocabulary, stem_words
from moesaic.text.language_model import language_model_available
from moesaic.text.neural import (
    NeuralFailureModeClassifier,
    NeuralFmcConfig,
    PretrainedTextFeatures,
    available_encoders,
    clear_feature_cache,
)

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


def test_tune_on_dev_picks_the_best_dev_score() -> None:
    grid = [FailureModeConfig(model="linear_svm", c=c) for c in (0.1, 1.0)]
    choice = tune_on_dev(TEXTS[::2], LABELS[::2], TEXTS[1::2], LABELS[1::2], grid=grid)
    assert choice.config in grid and choice.scores[choice.config.label()] == max(choice.scores.values())


def test_encoder_config_is_validated_and_labelled() -> None:
    assert FailureModeConfig(encoders=("minilm", "smollm2")).label().endswith(",encoders=minilm+smollm2@6")
    with pytest.raises(ValueError, match="`encoders` must be distinct names"):
        FailureModeConfig(encoders=("bert",))
    with pytest.raises(ValueError, match="`encoder_weight` must be > 0"):
        FailureModeConfig(encoder_weight=0.0)
    with pytest.raises(ValueError, match="`lm_layers`"):
        FailureModeConfig(lm_layers=31)
    with pytest.raises(ValueError, match="non-empty subset"):
        PretrainedTextFeatures(())


def test_missing_encoders_fall_back_to_ngrams_with_a_logged_note(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(neural, "encoder_available", lambda name: False)
    with caplog.at_level(logging.WARNING, logger="moesaic.text.neural"):
        found = available_encoders()
    assert found == () and "not installed" in caplog.text
    clf = FailureModeClassifier(FailureModeConfig(model="linear_svm", c=10.0, encoders=found)).fit(
        TEXTS, LABELS
    )
    assert clf.predict(["oil leaking"]) == ["Leaking"]
    assert clf.num_parameters() == 3 * clf.pipeline_.named_steps["features"].transform(["x"]).shape[1] + 3


def test_pretrained_features_are_cached_standardised_and_weighted(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_smollm2(texts: list[str], layers: int) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[len(t), 100.0 + len(t.split()), layers] for t in texts], dtype=np.float32)

    monkeypatch.setattr(neural, "_smollm2", fake_smollm2)
    clear_feature_cache()
    features = PretrainedTextFeatures(("smollm2",), weight=2.0, lm_layers=3).fit(["a b", "ccc", "dd e f"])
    out = features.transform(["a b", "new text"])
    assert calls == [["a b", "ccc", "dd e f"], ["new text"]]  # "a b" came from the cache
    assert out.shape == (2, 3) and np.allclose(np.linalg.norm(out, axis=1), 2.0)
    with pytest.raises(NotFittedError):
        PretrainedTextFeatures(("minilm",)).transform(["x"])
    clear_feature_cache()


@pytest.mark.skipif(not minilm_available(), reason="MiniLM (the `language` extra) is not installed")
def test_minilm_features_join_the_ngrams() -> None:
    config = FailureModeConfig(model="linear_svm", c=10.0, encoders=("minilm",))
    clf = FailureModeClassifier(config).fit(TEXTS, LABELS)
    assert clf.predict(["oil leaking", "motor too hot", "shaking badly"]) == [
        "Leaking",
        "Overheating",
        "Vibration",
    ]
    assert clf.num_parameters() > 22_000_000  # the frozen MiniLM counts


@pytest.mark.skipif(not language_model_available(), reason="SmolLM2 (the `language` extra) is not installed")
def test_smollm2_features_stop_after_the_wanted_layer() -> None:
    from moesaic.text.language_model import load_language_model

    clear_feature_cache()
    ours = neural._smollm2(["pump leaking badly", "no power"], layers=2)
    lm = load_language_model()
    enc = lm.tokenizer(["pump leaking badly", "no power"], return_tensors="pt", padding=True)
    with torch.no_grad():
        hidden = lm.model.model(**enc, output_hidden_states=True).hidden_states[2]  # after 2 layers
    mask = enc["attention_mask"].unsqueeze(-1).float()
    expected = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    assert ours.shape == (2, lm.width) and np.allclose(ours, expected, atol=1e-4)
