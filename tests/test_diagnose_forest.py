"""Forests as arrays (moesaic.reports.diagnose.forest): scikit-learn's probabilities bit for bit,
save/load of the diagnosis models, and the on-disk cache of the default models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from moesaic.errors import NotFittedError
from moesaic.reports.diagnose import episodes
from moesaic.reports.diagnose.channels import ChannelModel, channel_rows
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier
from moesaic.reports.diagnose.forest import Forest, fit_forest, load_state, save_state


def _data(rng: np.random.Generator, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((n, 5))
    y = np.where(x[:, 0] + 0.5 * x[:, 1] > 0.3, "a", np.where(x[:, 2] > 0, "b", "c"))
    return x, y


def test_forest_predicts_what_scikit_learn_predicts_bit_for_bit_missing_values_included() -> None:
    rng = np.random.default_rng(0)
    x, y = _data(rng)
    x[:10, 3] = np.nan  # trees learn where a missing value goes
    forest = RandomForestClassifier(
        n_estimators=15, min_samples_leaf=2, class_weight="balanced", random_state=0
    )
    forest.fit(x, y)
    arrays = Forest.from_sklearn(forest)
    probe = rng.standard_normal((40, 5)) * 2
    probe[::7, 3] = np.nan
    assert np.array_equal(arrays.predict_proba(probe), forest.predict_proba(probe))
    assert arrays.classes_.tolist() == ["a", "b", "c"]
    assert arrays.leaves(probe).shape == (40, 15)


def test_fit_forest_keeps_out_of_bag_probabilities() -> None:
    x, y = _data(np.random.default_rng(1))
    forest = fit_forest(x, y, n_estimators=30, random_state=0)
    assert forest.oob_decision_function_ is not None and forest.oob_decision_function_.shape == (len(x), 3)
    again = fit_forest(x, y, n_estimators=30, random_state=0)
    assert np.array_equal(forest.predict_proba(x), again.predict_proba(x))  # seeded: same trees


def test_saved_state_is_checked_before_it_is_read(tmp_path: Path) -> None:
    save_state(tmp_path / "s", {"w": np.arange(3.0)}, {"kind": "demo"})
    arrays, config = load_state(tmp_path / "s", kind="demo", what="a demo")
    assert arrays["w"].tolist() == [0.0, 1.0, 2.0] and config == {"kind": "demo"}
    with pytest.raises(ValueError, match="holds a 'demo', not a channel model"):
        load_state(tmp_path / "s", kind="channel_model", what="a channel model")
    data = tmp_path / "s" / "state.safetensors"
    data.write_bytes(data.read_bytes()[:-2] + b"xx")
    with pytest.raises(ValueError, match=r"state\.safetensors: checksum does not match"):
        load_state(tmp_path / "s", kind="demo", what="a demo")
    with pytest.raises(ValueError, match="missing"):
        load_state(tmp_path / "nothing", kind="demo", what="a demo")
    meta = tmp_path / "s" / "state.json"
    meta.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(ValueError, match="format_version 99"):
        load_state(tmp_path / "s", kind="demo", what="a demo")


def test_fault_classifier_and_channel_model_reload_to_the_same_answers(
    tmp_path: Path, two_channel_window: Any
) -> None:
    _window = two_channel_window
    rng = np.random.default_rng(2)
    windows = [_window(rng, stuck=i % 2 == 0) for i in range(30)]
    labels = ["sensor_stuck" if i % 2 == 0 else NORMAL for i in range(30)]
    with pytest.raises(NotFittedError):
        FaultClassifier().save(tmp_path / "none")
    clf = FaultClassifier(num_trees=20).fit(windows, labels)
    probabilities = clf.held_out_probabilities()
    touched = [("b",) if i % 2 == 0 else () for i in range(30)]
    channels = ChannelModel(num_trees=20).fit(
        windows, touched, probabilities=probabilities, classes=clf.classes_
    )
    clf.save(tmp_path / "clf")
    channels.save(tmp_path / "channels")
    clf2, channels2 = FaultClassifier.load(tmp_path / "clf"), ChannelModel.load(tmp_path / "channels")
    probe = [_window(rng, stuck=s) for s in (True, False, True)]
    for w in probe:
        fault = clf.predict(w)
        assert clf2.predict(w) == fault
        assert np.array_equal(channels2.probability(w, fault), channels.probability(w, fault))
    assert np.array_equal(clf2.held_out_probabilities(), probabilities)
    with pytest.raises(ValueError, match="not a channel model"):
        ChannelModel.load(tmp_path / "clf")


def test_default_models_are_fitted_once_then_loaded_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_diagnosis_training_set: episodes.TrainingSet
) -> None:
    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path))
    monkeypatch.setattr(
        episodes, "training_set", lambda seed=episodes.TRAIN_SEED: small_diagnosis_training_set
    )
    episodes.default_models.cache_clear()
    try:
        clf, channels = episodes.default_models(5)
        folders = list(tmp_path.glob("fault-models-seed5-*"))
        assert len(folders) == 1 and (folders[0] / "classifier" / "state.safetensors").is_file()
        episodes.default_models.cache_clear()
        fitted = []
        monkeypatch.setattr(FaultClassifier, "fit_features", lambda *a, **k: fitted.append(1))
        clf2, channels2 = episodes.default_models(5)  # loaded: nothing is fitted again
        assert not fitted and clf2.classes_ == clf.classes_ and channels2.threshold_ == channels.threshold_
        x = small_diagnosis_training_set.features[:5]
        assert np.array_equal(clf2.model_.predict_proba(x), clf.model_.predict_proba(x))
        monkeypatch.undo()
        monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path))
        monkeypatch.setattr(
            episodes, "training_set", lambda seed=episodes.TRAIN_SEED: small_diagnosis_training_set
        )
        forest, _ = episodes.default_models(5, "forest")  # the alternative: cached apart
        assert forest.model == "forest" and isinstance(forest.model_, Forest) and clf.model == "boosting"
        assert len(list(tmp_path.glob("fault-models-seed5-*"))) == 2
    finally:
        episodes.default_models.cache_clear()


def test_the_reports_suite_names_the_classifiers_it_knows() -> None:
    from moesaic.eval.bench import SuiteContext
    from moesaic.eval.suites import reports

    with pytest.raises(ValueError, match="option `classifier` must be one of boosting, forest, got 'svm'"):
        reports.run(SuiteContext(quick=True, options={"classifier": "svm"}))


@pytest.fixture
def small_diagnosis_training_set(two_channel_window: Any) -> episodes.TrainingSet:
    """A hand-made training set of the shape the default models read (3 classes, 2 channels)."""
    _window = two_channel_window
    rng = np.random.default_rng(4)
    clf = FaultClassifier()
    clf.channels_, clf.asset_types_ = ("a", "b"), ("pump",)
    windows, labels, touched = [], [], []
    for i in range(36):
        kind = ("sensor_stuck", NORMAL, "sensor_spike")[i % 3]
        w = _window(rng, stuck=kind == "sensor_stuck")
        if kind == "sensor_spike":
            w.values[20, 0] = 40.0
        windows.append(w)
        labels.append(kind)
        touched.append({"sensor_stuck": ["b"], NORMAL: [], "sensor_spike": ["a"]}[kind])
    return episodes.TrainingSet(
        features=np.stack([clf.features(w) for w in windows]),
        labels=labels,
        channel_rows=np.concatenate([channel_rows(w) for w in windows]),
        channel_touched=np.array([c in t for w, t in zip(windows, touched, strict=True) for c in w.channels]),
        channel_names=[c for w in windows for c in w.channels],
        channel_owner=np.repeat(np.arange(len(windows)), 2),
        channels=["a", "b"],
        asset_types=["pump"],
        onset_shapes={},
    )
