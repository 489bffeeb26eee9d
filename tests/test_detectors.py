"""The detector interface and the classical detectors: contract, threshold, contributions, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moesaic.checkpoint import CheckpointError
from moesaic.config import ConfigError
from moesaic.encoders import NotFittedError
from moesaic.tasks.detectors import (
    CLASSICAL,
    BaseDetector,
    Detection,
    KMeansConfig,
    PCADetector,
    ScoringConfig,
    ZScoreDetector,
    alarm_runs,
    causal_mean,
    check_values,
    configure,
    sustained,
)

FAST = {"iforest": {"trees": 20, "max_samples": 64}, "kmeans": {"clusters": 3}}


def make(name: str, **overrides: object) -> BaseDetector:
    cls = CLASSICAL[name]
    return cls(configure(cls, **{"smooth": 5, **FAST.get(name, {}), **overrides}))


@pytest.fixture
def spiky_sine() -> tuple[np.ndarray, np.ndarray]:
    """(400, 3) noisy sine, cosine and flat channels with spikes of +5 on the cosine at 300, 340, 341."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    x = np.stack([np.sin(2 * np.pi * t / 32), np.cos(2 * np.pi * t / 32), np.zeros(400)], axis=1)
    x += 0.05 * rng.standard_normal(x.shape)
    labels = np.zeros(400, dtype=bool)
    labels[[300, 340, 341]] = True
    x[labels, 1] += 5.0
    return x, labels


@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_contract_fit_returns_self_and_state_ends_in_underscore(name: str, spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    detector = make(name)
    assert detector.fit(x[:200]) is detector
    assert {"channels_", "scaler_", "scale_", "threshold_"} <= set(vars(detector))
    assert all(key == "config" or key.endswith("_") for key in vars(detector))


@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_when_not_fitted_then_predict_raises(name: str, spiky_sine: tuple) -> None:
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call `fit`"):
        make(name).predict(spiky_sine[0])


@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_spiky_sine_is_detected_and_contributions_sum_to_score(name: str, spiky_sine: tuple) -> None:
    x, labels = spiky_sine
    detection = make(name, smooth=1).fit(x[:200], channels=["sin", "cos", "flat"]).predict(x)
    assert detection.score.shape == (400,) and detection.contributions.shape == (400, 3)
    assert (detection.contributions >= 0).all()
    np.testing.assert_allclose(detection.contributions.sum(axis=1), detection.score, rtol=1e-9)
    assert detection.alarm[:280].mean() < 0.05
    if name == "iforest":  # splits come from training values: a point beyond them ends in a boundary leaf
        return
    assert detection.alarm[labels].all()
    assert detection.top_channels(1)[300] == ("cos",)


@pytest.mark.parametrize("name", sorted(CLASSICAL))
def test_save_load_reproduces_scores(name: str, spiky_sine: tuple, tmp_path: Path) -> None:
    x, _ = spiky_sine
    detector = make(name).fit(x[:200])
    detector.save(tmp_path / name)
    loaded = type(detector).load(tmp_path / name)
    np.testing.assert_array_equal(loaded.score(x).score, detector.score(x).score)
    assert loaded.threshold_ == detector.threshold_ and loaded.config == detector.config


def test_threshold_is_the_training_quantile_times_factor_and_ignores_scored_rows(spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    detector = ZScoreDetector(ScoringConfig(smooth=5, quantile=0.9, factor=2.0)).fit(x[:200])
    expected = np.quantile(detector.score(x[:200]).score[4:], 0.9) * 2.0  # after the 4-row warm-up
    assert detector.threshold_ == pytest.approx(expected)
    detector.predict(x)  # scoring anomalous rows must not move the threshold
    assert detector.threshold_ == pytest.approx(expected)


def test_the_smoothing_warm_up_neither_sets_the_threshold_nor_raises_alarms() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 2))
    x[0] += 12.0  # one odd first reading: alone in the first averages, diluted afterwards
    detector = ZScoreDetector(ScoringConfig(smooth=30, quantile=0.99, factor=1.0)).fit(x[:200])
    scores = detector.score(x).score
    assert scores[0] > detector.threshold_ and not detector.predict(x).alarm[:29].any()
    assert detector.threshold_ == pytest.approx(np.quantile(scores[29:200], 0.99))
    short = ZScoreDetector(ScoringConfig(smooth=30, quantile=0.99, factor=1.0)).fit(x[:35])  # 6 settled rows
    assert short.threshold_ == pytest.approx(np.quantile(short.score(x[:35]).score, 0.99))


def test_validation_rows_set_the_threshold_instead_of_training_rows(spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    detector = PCADetector().fit(x[:150], validation=x[150:250])
    assert detector.threshold_ > 0
    assert detector.threshold_ != PCADetector().fit(x[:150]).threshold_


def test_when_checkpoint_is_another_detector_then_load_refuses(spiky_sine: tuple, tmp_path: Path) -> None:
    ZScoreDetector().fit(spiky_sine[0]).save(tmp_path / "z")
    with pytest.raises(CheckpointError, match="not a PCADetector checkpoint"):
        PCADetector.load(tmp_path / "z")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.zeros(5), r"must have shape \(time, channels\)"),
        (np.zeros((1, 2)), "at least 2 rows"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "row 0, channel 1: infinite value"),
        (np.array([[1.0, np.nan], [0.0, np.nan]]), r"channels \[1\] hold no reading"),
    ],
)
def test_bad_values_are_named(values: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_values(values, "train")


def test_when_channels_differ_from_fit_then_score_says_so(spiky_sine: tuple) -> None:
    detector = ZScoreDetector().fit(spiky_sine[0])
    with pytest.raises(ValueError, match="must have the 3 channels seen in fit, got 2"):
        detector.score(spiky_sine[0][:, :2])


def test_missing_readings_are_scored_as_normal(spiky_sine: tuple) -> None:
    x = spiky_sine[0].copy()
    x[50:60, 0] = np.nan
    detection = ZScoreDetector(ScoringConfig(smooth=1)).fit(x[:200]).predict(x)
    assert np.isfinite(detection.score).all()
    assert (detection.contributions[50:60, 0] == 0).all()


def test_causal_mean_only_looks_back() -> None:
    x = np.array([0.0, 0.0, 3.0, 0.0])
    np.testing.assert_allclose(causal_mean(x, 2), [0.0, 0.0, 1.5, 1.5])
    np.testing.assert_allclose(causal_mean(x, 1), x)


def test_sustained_needs_a_run_of_min_run_steps() -> None:
    above = np.array([1, 1, 0, 1, 1, 1, 0], dtype=bool)
    np.testing.assert_array_equal(sustained(above, 3), [0, 0, 0, 0, 0, 1, 0])


def test_backdated_alarms_cover_a_confirmed_run_from_its_first_step() -> None:
    above = np.array([1, 1, 0, 1, 1, 1, 1, 0, 1], dtype=bool)
    np.testing.assert_array_equal(alarm_runs(above, 3), [0, 0, 0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(alarm_runs(above, 3, backdate=True), [0, 0, 0, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(alarm_runs(above, 1, backdate=True), above)


def test_backdate_setting_changes_only_the_alarms(spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    x = x.copy()
    x[320:340, 0] += 3.0  # a sustained shift the 5-step smoothing keeps above the threshold
    online = make("zscore", min_run=8).fit(x[:250]).predict(x)
    offline = make("zscore", min_run=8, backdate=True).fit(x[:250]).predict(x)
    np.testing.assert_array_equal(online.score, offline.score)
    assert offline.alarm.sum() > online.alarm.sum() and not (online.alarm & ~offline.alarm).any()
    first = int(np.flatnonzero(offline.alarm)[0])
    assert offline.score[first] > offline.threshold and offline.score[first - 1] <= offline.threshold


def test_top_channels_are_largest_first() -> None:
    detection = Detection(np.ones(1), np.ones(1, bool), np.array([[0.1, 0.7, 0.2]]), 0.5, ("a", "b", "c"))
    assert detection.top_channels(2) == [("b", "c")]


def test_config_errors_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        KMeansConfig(smooth=0, clusters=0)
    assert "`smooth` must be >= 1" in str(info.value) and "`clusters` must be >= 1" in str(info.value)
    with pytest.raises(ConfigError, match="unknown keys"):
        configure(ZScoreDetector, lags=3)


class _Leaky(BaseDetector):
    """A model whose error on each channel leaks a little of the other channels, as a shared
    forecaster's does."""

    name = "leaky"

    def _fit_model(self, z: np.ndarray) -> None:
        self.weights_ = np.zeros(1)

    def _deviations(self, z: np.ndarray) -> np.ndarray:
        filled = np.nan_to_num(z)
        return (filled - 0.01 * filled.sum(axis=1, keepdims=True))[:, None, :]

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights_": self.weights_}


def test_a_channel_constant_in_training_is_blamed_only_when_it_moves(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = np.stack([rng.standard_normal(300), rng.standard_normal(300), np.full(300, 3.0)], axis=1)
    x[250:, 0] += 6.0  # a fault on channel a; the set point c stays where it was
    detector = _Leaky(ScoringConfig(smooth=1, quantile=0.99, factor=1.0, min_run=1))
    detector.fit(x[:200], channels=("a", "b", "c"))
    assert detector.constant_.tolist() == [False, False, True]
    found = detector.predict(x)
    assert found.alarm[250:].all() and np.all(found.contributions[:, 2] == 0)
    assert {top[0] for top in found.top_channels(1)[250:]} == {"a"}
    moved = x.copy()
    moved[280:, 2] = 4.0  # now the set point moves: that is a departure, blamed on c
    assert found.channels[int(np.argmax(detector.predict(moved).contributions[290]))] == "c"
    nudged = x.copy()
    nudged[280:, 2] = 3.06  # a 2 % set-point change: 2 of its scales (1 % of 3), not millions
    assert detector.predict(nudged).contributions[290, 2] == pytest.approx(2.0**2 / 3)
    assert found.channels[int(np.argmax(detector.predict(nudged).contributions[290]))] == "a"


def test_too_few_normal_rows_are_refused(spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    with pytest.raises(ValueError, match="`train` has 10 rows; a detector needs at least 30 normal rows"):
        make("kmeans").fit(x[:10])
    make("kmeans").fit(x[:30])  # enough


def test_kmeans_refuses_more_centroids_than_its_training_rows_can_hold(spiky_sine: tuple) -> None:
    x, _ = spiky_sine
    with pytest.raises(ValueError, match=r"`clusters` = 20 needs at least 60 training rows .* got 40"):
        make("kmeans", clusters=20).fit(x[:40])
    assert make("kmeans", clusters=10).fit(x[:40]).threshold_ > 0


def test_saved_arrays_of_another_shape_or_detector_are_refused_by_name(
    spiky_sine: tuple, tmp_path: Path
) -> None:
    detector = ZScoreDetector().fit(spiky_sine[0])
    document, state = detector._document(), detector._bag().state_dict()
    short = {**state, "mean": state["mean"][:2]}  # numpy would broadcast it and score wrongly
    with pytest.raises(CheckpointError, match=r"array 'mean' has shape \(2,\); its 3 channels need \(3,\)"):
        ZScoreDetector._rebuild(document, short, tmp_path)
    with pytest.raises(
        CheckpointError, match=r"arrays \['components'\] in model.safetensors are not a ZScore"
    ):
        ZScoreDetector._rebuild(document, {**state, "components": state["mean"]}, tmp_path)
    assert ZScoreDetector._rebuild(document, state, tmp_path).threshold_ == detector.threshold_


@pytest.mark.parametrize("name", sorted(set(CLASSICAL) - {"iforest"}))  # its isolation score is bounded
def test_a_one_step_spike_is_alarmed_at_its_step_with_the_spike_setting(name: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(600, 2))
    values[450, 1] += 40.0  # one step, diluted 30 times by the moving average
    quiet = make(name, smooth=30, min_run=5).fit(values[:300])
    assert not quiet.predict(values).alarm[450]
    loud = make(name, smooth=30, min_run=5, spike=3.0).fit(values[:300])
    detection = loud.predict(values)
    assert detection.alarm[450] and detection.score[450] > detection.threshold
    assert not detection.alarm[300:440].any()  # normal steps stay quiet
    # the spike does not hold the moving average up (without the spike path: 26 alarms after it); an
    # autoregression still reads it among its lags for a few steps
    assert detection.alarm[451:500].sum() <= 3
    loud.save(tmp_path / "d")
    again = type(loud).load(tmp_path / "d").predict(values)
    assert np.array_equal(again.alarm, detection.alarm) and np.allclose(again.score, detection.score)


def test_spike_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="`spike` must be >= 0"):
        ScoringConfig(spike=-1.0)
