"""Boosted trees as arrays (moesaic.reports.diagnose.boosting): scikit-learn's probabilities,
held-out probabilities from the folds, and a fault classifier saved with either model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from moesaic.reports.diagnose.boosting import Boosting, fit_boosting
from moesaic.reports.diagnose.faults import FaultClassifier


def _data(rng: np.random.Generator, n: int = 150, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((n, 5))
    y = np.where(x[:, 0] + 0.5 * x[:, 1] > 0.3, "a", np.where(x[:, 2] > 0, "b", "c"))
    if classes == 2:
        y = np.where(y == "a", "a", "b")
    return x, y


@pytest.mark.parametrize("classes", [2, 3])
def test_boosting_predicts_what_scikit_learn_predicts_missing_values_included(classes: int) -> None:
    rng = np.random.default_rng(0)
    x, y = _data(rng, classes=classes)
    x[:15, 3] = np.nan  # trees learn where a missing value goes
    model = HistGradientBoostingClassifier(max_iter=20, class_weight="balanced", random_state=0).fit(x, y)
    arrays = Boosting.from_sklearn(model)
    probe = rng.standard_normal((40, 5)) * 2
    probe[::7, 3] = np.nan
    assert np.allclose(arrays.predict_proba(probe), model.predict_proba(probe), rtol=0, atol=1e-12)
    assert arrays.classes_.tolist() == sorted(set(y.tolist()))
    assert len(arrays.roots) == 20 * (1 if classes == 2 else classes)


def test_held_out_probabilities_come_from_models_that_did_not_see_the_sample() -> None:
    x, y = _data(np.random.default_rng(1))
    boosting = fit_boosting(x, y, max_iter=15, random_state=0)
    held = boosting.held_out_
    assert held is not None and held.shape == (len(x), 3)
    assert np.allclose(held.sum(axis=1), 1.0)
    # The full model has seen every sample: it is surer of their labels than the fold models.
    column = [boosting.classes_.tolist().index(label) for label in y]
    seen = boosting.predict_proba(x)[np.arange(len(x)), column]
    assert seen.mean() > held[np.arange(len(x)), column].mean()


def test_a_class_missing_from_a_fold_gets_zero_probability_there() -> None:
    x, y = _data(np.random.default_rng(2))
    y[0] = "d"  # one sample: the fold that holds it trains without it
    boosting = fit_boosting(x, y, folds=5, max_iter=5, random_state=0)
    held = boosting.held_out_
    assert boosting.classes_.tolist() == ["a", "b", "c", "d"]
    assert held is not None and held[0, 3] == 0.0 and np.allclose(held.sum(axis=1), 1.0)
    assert boosting.predict_proba(x[:1])[0, 3] > 0.0


def test_inconsistent_arrays_are_refused_with_what_is_wrong() -> None:
    x, y = _data(np.random.default_rng(3))
    arrays = fit_boosting(x, y, max_iter=3, random_state=0).arrays("m")
    arrays["m.baseline"] = arrays["m.baseline"][:2]
    with pytest.raises(ValueError, match=r"`baseline` must be \(3,\)"):
        Boosting.from_arrays(arrays, "m", ["a", "b", "c"])
    del arrays["m.value"]
    with pytest.raises(ValueError, match="has no array `value`"):
        Boosting.from_arrays(arrays, "m", ["a", "b", "c"])


@pytest.mark.parametrize("model", ["boosting", "forest"])
def test_fault_classifier_saves_and_reloads_either_model(
    tmp_path: Path, two_channel_window: Any, stuck_or_normal: Any, model: str
) -> None:
    windows, labels = stuck_or_normal(4, 30)
    rng = np.random.default_rng(104)
    clf = FaultClassifier(model=model, num_trees=10).fit(windows, labels)
    clf.save(tmp_path / "clf")
    again = FaultClassifier.load(tmp_path / "clf")
    assert again.model == model and type(again.model_) is type(clf.model_)
    for w in (two_channel_window(rng, stuck=True), two_channel_window(rng, stuck=False)):
        assert again.predict(w) == clf.predict(w)
    assert np.array_equal(again.held_out_probabilities(), clf.held_out_probabilities())
    with pytest.raises(ValueError, match="`model` must be one of"):
        FaultClassifier(model="svm")


def test_a_classifier_saved_before_boosting_loads_as_the_forest_it_was(
    tmp_path: Path, two_channel_window: Any, stuck_or_normal: Any
) -> None:
    windows, labels = stuck_or_normal(5, 20)
    rng = np.random.default_rng(105)
    clf = FaultClassifier(model="forest", num_trees=10).fit(windows, labels)
    clf.save(tmp_path / "old")
    meta_path = tmp_path / "old" / "state.json"
    meta = json.loads(meta_path.read_text())
    del meta["config"]["model"]  # as saved before the classifier had a choice of model
    meta_path.write_text(json.dumps(meta))
    again = FaultClassifier.load(tmp_path / "old")
    probe = two_channel_window(rng, stuck=True)
    assert again.model == "forest" and again.predict(probe) == clf.predict(probe)
