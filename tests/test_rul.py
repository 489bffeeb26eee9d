"""RUL estimation: protocol pieces, the estimator contract, save/load, and a quick fit that learns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from moesaic.checkpoint import CheckpointError, save_model
from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.schema import Series
from moesaic.encoders import EncoderConfig, NotFittedError
from moesaic.eval.bench import SUITE_MODULES
from moesaic.eval.metrics import rmse
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.rul import (
    SMOOTH_CHOICES,
    ChannelScaler,
    RULConfig,
    RULEstimator,
    make_windows,
    select_channels,
    split_series,
)
from moesaic.tasks.rul_ensemble import RegressorMean, shifted_mean
from moesaic.train import TrainConfig

CAP = 40.0


def engine(unit: int, length: int, rng: np.random.Generator, *, cut: int | None = None) -> Series:
    """A run-to-failure engine: two sensors drift with wear, one is constant, one is pure noise.

    ``cut`` stops the series that many steps before failure (a test engine).
    """
    life = np.arange(length, dtype=np.float64)
    wear = (life / length) ** 2  # slow at first, fast near failure
    frame = pd.DataFrame(
        {
            "temp": 500 + 30 * wear + rng.normal(0, 0.5, length),
            "pressure": 20 - 4 * wear + rng.normal(0, 0.1, length),
            "constant": np.full(length, 7.0),
            "noise": rng.normal(0, 1, length),
        }
    )
    rul = (length - 1 - life).astype(np.float32)
    stop = length - (cut or 0)
    return Series.from_frame(
        frame.iloc[:stop], series_id=f"u{unit}", time=life[:stop].astype(np.int64), labels={"rul": rul[:stop]}
    )


def tiny_config(**changes: object) -> RULConfig:
    encoders = EncoderConfig(dim=16, patch_len=5)
    moe = MoEConfig(num_experts=2, top_k=1, expert_hidden=16)
    model = ModelConfig(encoders=encoders, moe=moe, num_layers=1, num_heads=2)
    train = TrainConfig(lr=5e-3, warmup_steps=5, max_steps=120, batch_size=32, eval_every=40, seed=0,
                        num_threads=1, checkpoint_every=120, log_every=40)  # fmt: skip
    return dataclasses.replace(RULConfig(window=10, rul_cap=CAP, model=model, train=train), **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fleet() -> tuple[list[Series], list[Series]]:
    rng = np.random.default_rng(0)
    train = [engine(u, int(rng.integers(60, 90)), rng) for u in range(12)]
    test = [engine(100 + u, int(rng.integers(60, 90)), rng, cut=int(rng.integers(0, 50))) for u in range(8)]
    return train, test


@pytest.fixture(scope="module")
def fitted(fleet: tuple[list[Series], list[Series]]) -> RULEstimator:
    torch.manual_seed(0)
    return RULEstimator(tiny_config()).fit(fleet[0])


def test_predict_before_fit_raises_not_fitted(fleet: tuple[list[Series], list[Series]]) -> None:
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call `fit` or `RULEstimator\.load`"):
        RULEstimator(tiny_config()).predict(fleet[1])


def test_fit_returns_self_and_sets_learned_state(fleet: tuple[list[Series], list[Series]]) -> None:
    estimator = RULEstimator(
        tiny_config(train=dataclasses.replace(tiny_config().train, max_steps=2, warmup_steps=0))
    )
    assert estimator.fit(fleet[0]) is estimator
    learned = {name for name in vars(estimator) if name.endswith("_")}
    assert learned == {
        "channels_",
        "scaler_",
        "model_config_",
        "model_",
        "train_result_",
        "train_results_",
        "smooth_",
    }


def test_channels_drop_constant_and_unrelated_ones(fleet: tuple[list[Series], list[Series]]) -> None:
    chosen = select_channels(fleet[0], rul_cap=CAP, min_distinct=3, min_correlation=0.2)
    assert chosen == ("temp", "pressure")


def test_windows_pad_short_history_and_cap_the_target() -> None:
    values = [np.arange(8, dtype=np.float64).reshape(4, 2), np.ones((6, 2))]
    rul = [np.minimum(np.array([60.0, 50, 3, 2]), CAP), np.minimum(np.arange(5.0, -1, -1), CAP)]
    windows = make_windows(values, window=5, rul=rul)
    assert windows.series.shape == (1 + 2, 5, 2)  # short series: one padded window; long: ends 4 and 5
    assert not windows.observed[0, 0].any() and windows.observed[0, 1:].all()
    assert windows.rul.tolist() == [2.0, 1.0, 0.0]
    last = make_windows(values, window=5, rul=[np.full(4, CAP), np.full(6, CAP)], last_only=True)
    assert last.source.tolist() == [0, 1] and float(last.rul.max()) == CAP
    std = float(np.std([0.0, 2, 4, 6]))
    torch.testing.assert_close(last.levels[0], torch.tensor([3.0, 4.0, std, std]))  # observed steps only
    early = make_windows(values, window=5, rul=rul, min_history=2)
    assert early.source.tolist() == [0, 0, 0, 1, 1, 1, 1, 1]  # ends 1..3 and 1..5, padded where short
    assert early.age.tolist() == [2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # steps seen at each end


def test_scaler_minmax_maps_training_range_to_unit_interval() -> None:
    values = np.array([[0.0, 5.0], [10.0, 5.0], [5.0, np.nan]])
    scaler = ChannelScaler.fit(values, "minmax")
    np.testing.assert_allclose(scaler.transform(values)[:, 0], [0.0, 1.0, 0.5])
    assert scaler.scale[1] == 1.0  # a constant channel is shifted, never divided by zero


def test_split_keeps_series_whole_and_is_seeded(fleet: tuple[list[Series], list[Series]]) -> None:
    train, val = split_series(fleet[0], val_fraction=0.25, seed=3)
    assert len(val) == 3 and len(train) == 9
    assert {s.series_id for s in train}.isdisjoint(s.series_id for s in val)
    again = split_series(fleet[0], val_fraction=0.25, seed=3)[1]
    assert [s.series_id for s in again] == [s.series_id for s in val]


def test_predictions_have_one_value_per_series_within_the_cap(
    fitted: RULEstimator, fleet: tuple[list[Series], list[Series]]
) -> None:
    predictions = fitted.predict(fleet[1])
    assert predictions.shape == (len(fleet[1]),)
    assert (predictions >= 0).all() and (predictions <= CAP).all()
    windows = fitted.windows(fleet[0], labelled=True)
    assert float(windows.rul.max()) == CAP  # training targets are capped


def test_quick_fit_beats_predicting_the_mean(
    fitted: RULEstimator, fleet: tuple[list[Series], list[Series]]
) -> None:
    truth = np.array([min(float(s.labels["rul"][-1]), CAP) for s in fleet[1]])
    mean = float(fitted.windows(fleet[0], labelled=True).rul.mean())
    assert rmse(truth, fitted.predict(fleet[1])) < 0.7 * rmse(truth, np.full_like(truth, mean))


def test_save_load_reproduces_predictions(
    fitted: RULEstimator, fleet: tuple[list[Series], list[Series]], tmp_path: Path
) -> None:
    fitted.save(tmp_path / "rul")
    loaded = RULEstimator.load(tmp_path / "rul")
    assert loaded.channels_ == fitted.channels_ and loaded.config == fitted.config
    np.testing.assert_array_equal(loaded.predict(fleet[1]), fitted.predict(fleet[1]))


def test_ensemble_averages_members_snapshots_and_lags(
    fleet: tuple[list[Series], list[Series]], fitted: RULEstimator, tmp_path: Path
) -> None:
    config = tiny_config(members=2, snapshots=2, smooth=0)  # smooth=0: chosen on the validation series
    ensemble = RULEstimator(config).fit(fleet[0])
    assert isinstance(ensemble.model_, RegressorMean) and len(ensemble.model_.members) == 4
    assert len(ensemble.train_results_) == 2 and ensemble.train_result_ is ensemble.train_results_[0]
    assert ensemble.smooth_ in SMOOTH_CHOICES
    each = ensemble.member_predictions(fleet[1], lags=ensemble.smooth_)  # (M, S, K)
    assert each.shape == (4, len(fleet[1]), ensemble.smooth_)
    # The first model is the single model of the same seed: same split, seed and training.
    np.testing.assert_allclose(each[0, :, 0], fitted.predict(fleet[1]), atol=1e-4)
    np.testing.assert_allclose(ensemble.predict(fleet[1]), shifted_mean(each.mean(axis=0), CAP))
    ensemble.save(tmp_path / "ens")
    np.testing.assert_array_equal(
        RULEstimator.load(tmp_path / "ens").predict(fleet[1]), ensemble.predict(fleet[1])
    )


def test_age_feature_follows_the_series_and_survives_save_load(
    fleet: tuple[list[Series], list[Series]], tmp_path: Path
) -> None:
    aged = RULEstimator(tiny_config(age=True)).fit(fleet[0])
    assert aged.model_config_.encoders.num_numeric == 2 * len(aged.channels_) + 1
    windows = aged.windows(fleet[1][:2], labelled=False, last_only=True)
    numeric = aged.batches(windows)[0].numeric
    assert numeric is not None
    lengths = [len(s.time) for s in fleet[1][:2]]
    torch.testing.assert_close(numeric[:, -1], torch.tensor(lengths, dtype=torch.float32) / CAP)
    aged.save(tmp_path / "aged")
    loaded = RULEstimator.load(tmp_path / "aged")
    assert loaded.config.age
    np.testing.assert_array_equal(loaded.predict(fleet[1]), aged.predict(fleet[1]))


def test_lagged_predictions_are_those_of_the_cut_series(
    fitted: RULEstimator, fleet: tuple[list[Series], list[Series]]
) -> None:
    series = fleet[1][0]
    lagged = fitted.member_predictions([series], lags=4)[0, 0]
    cut = dataclasses.replace(
        series, values=series.values[:-2], observed=series.observed[:-2], time=series.time[:-2],
        labels={k: v[:-2] for k, v in series.labels.items()},
    )  # fmt: skip
    np.testing.assert_allclose(lagged[2], fitted.predict([cut])[0], atol=1e-4)


def test_load_refuses_a_foreign_checkpoint(tmp_path: Path) -> None:
    save_model(tmp_path / "other", torch.nn.Linear(2, 2), {"kind": "something else"})
    with pytest.raises(CheckpointError, match="not an RULEstimator checkpoint"):
        RULEstimator.load(tmp_path / "other")


def test_bad_input_is_named(fitted: RULEstimator, fleet: tuple[list[Series], list[Series]]) -> None:
    unlabelled = dataclasses.replace(fleet[0][0], labels={})
    with pytest.raises(ValueError, match="series 'u0' has no 'rul' label"):
        RULEstimator(tiny_config()).fit([unlabelled, *fleet[0][1:]])
    renamed = dataclasses.replace(fleet[1][0], channels=("a", "b", "c", "d"))
    with pytest.raises(ValueError, match=r"series 'u100' lacks channels \['temp', 'pressure'\]"):
        fitted.predict([renamed])


def test_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError, match="`window` must be >= 1") as info:
        RULConfig(window=0, scaling="robust", val_fraction=1.0)
    assert len(info.value.problems) == 3
    with pytest.raises(ConfigError, match="`snapshots` must be >= 1, and 1 without validation"):
        RULConfig(snapshots=2, val_fraction=0.0)


def test_suite_is_registered_with_valid_published_rows() -> None:
    from moesaic.eval.suites import rul as suite

    assert "rul" in SUITE_MODULES
    rows = suite.published_rows()
    assert {r.metric for r in rows} == {"rmse", "nasa_score"}
    assert all(r.source.startswith("published: ") and r.params_total is None for r in rows)


def test_cnn_baseline_maps_a_window_to_one_value() -> None:
    from moesaic.eval.suites.rul import CNNRegressor

    model = CNNRegressor(window=12, channels=3)
    batch = Batch(series=torch.randn(4, 12, 3), targets={"rul": torch.rand(4)})
    assert model(batch).shape == (4,)
    assert model.loss(batch).loss.ndim == 0


def test_suite_ensemble_options_default_to_the_protocol() -> None:
    from moesaic.eval.suites import rul as suite

    quick = suite.protocol(True).members
    assert suite._ensemble_options({}, quick) == {"members": quick, "snapshots": 1, "smooth": 0}
    assert suite._ensemble_options({"members": "5", "smooth": "3"}, quick)["members"] == 5
    with pytest.raises(ValueError, match=r"option members='0': expected an integer >= 1"):
        suite._ensemble_options({"members": "0"}, quick)
    config = suite._rul_config(50, TrainConfig(), {"members": 3, "snapshots": 2, "smooth": 0})
    assert (config.members, config.snapshots, config.smooth, config.model.encoders.patch_len) == (3, 2, 0, 50)
    assert suite._rul_config(30, TrainConfig()).members == 1


def test_suite_gives_moesaic_the_engine_age_unless_asked_not_to() -> None:
    from moesaic.eval.suites import rul as suite

    assert suite._rul_config(50, TrainConfig()).age
    assert not suite._rul_config(50, TrainConfig(), age=False).age
    assert suite._yes_no({}, "age") and not suite._yes_no({"age": "no"}, "age")
    with pytest.raises(ValueError, match=r"option age='off': expected yes or no"):
        suite._yes_no({"age": "off"}, "age")
    result = suite.SystemResult("moesaic", np.full(2, 100.0), 1, 1, 0.0, 0.0, 0.0)
    rows = suite.result_rows(result, np.array([100.0, 150.0]), 50, ",age=no")
    settings = {r.setting: r.value for r in rows if r.metric == "rmse"}
    raw, capped = (
        settings["window=50,cap=125,truth=raw,age=no"],
        settings["window=50,cap=125,truth=capped,age=no"],
    )
    assert (raw, capped) == (
        pytest.approx(np.sqrt(2500 / 2), abs=1e-4),
        pytest.approx(np.sqrt(625 / 2), abs=1e-4),
    )
