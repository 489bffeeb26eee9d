"""Forecasting as the pretraining task, its targets and its few-shot adaptation; tiny and seeded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.adapt.methods import AdaptConfig
from moesaic.checkpoint import CheckpointError, save_model
from moesaic.cli.adapt import adapt
from moesaic.cli.adapt import pretrain as pretrain_command
from moesaic.cli.forecast import forecast as forecast_command
from moesaic.config import ConfigError
from moesaic.data.registry import load_dataset
from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import adaptation
from moesaic.heads.forecast import MoesaicForecastConfig
from moesaic.tasks.few_shot import adapt_forecaster, window_shots
from moesaic.tasks.forecast_pretrained import pretrained_forecast
from moesaic.tasks.forecast_targets import forecast_target
from moesaic.tasks.pretrain_forecast import (
    ETT_TRAIN_ROWS,
    ForecastPretrainConfig,
    corpus_windows,
    evaluate_forecaster,
    load_pretrained_forecaster,
    naive_scores,
    new_forecaster,
    pretrain_forecaster,
    save_pretrained_forecaster,
)
from moesaic.tasks.univariate_windows import Windows, cut_windows
from moesaic.train import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ForecastPretrainConfig(
    num_assets=2,
    days=8,
    public=("ett",),
    context_length=32,
    horizon=8,
    stride=8,
    max_windows=300,
    model=MoesaicForecastConfig(
        dim=16, num_heads=2, num_experts=2, top_k=1, expert_hidden=16, period=0, stages=("all",)
    ),
    train=TrainConfig(lr=1e-2, max_steps=3, batch_size=32, eval_every=3, num_threads=1, log_every=3),
)


@pytest.fixture(scope="module")
def pretrained(shared_data: Path):
    return pretrain_forecaster(TINY, data_root=shared_data)


def test_cut_windows_takes_every_channel_and_drops_windows_without_readings() -> None:
    values = np.arange(24, dtype=np.float64).reshape(12, 2)  # channel 0 even, channel 1 odd numbers
    values[:6, 1] = np.nan  # channel 1 unobserved in the first half
    windows = cut_windows(values, "a", context_length=4, horizon=2, stride=3)  # starts 0, 3, 6
    # start 0: channel 1's context is all missing, so only channel 0 remains; then both channels
    assert len(windows) == 5 and windows.groups == ("a",) * 5
    torch.testing.assert_close(windows.context[0], torch.tensor([0.0, 2.0, 4.0, 6.0]))
    torch.testing.assert_close(windows.future[0], torch.tensor([8.0, 10.0]))
    assert windows.context_observed[2].tolist() == [False, False, False, True]  # start 3, channel 1
    torch.testing.assert_close(windows.context[2], torch.tensor([0.0, 0.0, 0.0, 13.0]))
    assert len(cut_windows(values[:5], "a", context_length=4, horizon=2, stride=1)) == 0  # too short


def test_naive_forecast_repeats_the_last_observed_value() -> None:
    windows = Windows(
        context=torch.tensor([[1.0, 2.0, 0.0]]),
        context_observed=torch.tensor([[True, True, False]]),
        future=torch.tensor([[3.0, 0.0]]),
        future_observed=torch.tensor([[True, True]]),
        groups=("a",),
    )
    scores = naive_scores(windows)  # forecast 2, 2 against 3, 0
    assert scores.mse == pytest.approx((1 + 4) / 2) and scores.mae == pytest.approx(1.5)


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="`public` must name distinct sets"):
        ForecastPretrainConfig(public=("ett", "mimii"))
    with pytest.raises(ConfigError, match="`horizon` must be an integer >= 1"):
        ForecastPretrainConfig(horizon=0)
    assert ForecastPretrainConfig(public=["ett"]).public == ("ett",)  # type: ignore[arg-type]
    assert "fan" not in TINY.plant().asset_types and TINY.plant(target=True).asset_types == ("fan",)


def test_corpus_reads_only_etts_training_months_and_caps_each_public_set(shared_data: Path) -> None:
    uncapped = dataclasses.replace(TINY, max_windows=10**6)
    corpus = corpus_windows(uncapped, data_root=shared_data)
    ett = load_dataset("ett", shared_data).series[0]
    per_channel = (ETT_TRAIN_ROWS - 40) // 8 + 1  # the validation and test months would add more
    assert corpus.sources["ett"] == per_channel * len(ett.channels)
    capped = corpus_windows(TINY, data_root=shared_data)
    assert capped.sources["ett"] == TINY.max_windows
    assert capped.sources["simulator"] == corpus.sources["simulator"] > 0 and len(capped.val) > 0


def test_pretrained_forecaster_round_trip_and_zero_shot_on_a_target(pretrained, tmp_path: Path) -> None:
    save_pretrained_forecaster(tmp_path / "pre", pretrained.model, TINY)
    model, config = load_pretrained_forecaster(tmp_path / "pre")
    assert config == TINY
    batch = pretrained.corpus.val.batches(16)[0]
    torch.testing.assert_close(model.forecast(batch), pretrained.model.forecast(batch))
    target = forecast_target(TINY, "fan", num_assets=2)
    scores = evaluate_forecaster(model, target.test)
    assert np.isfinite(scores.mse) and scores.mae > 0
    save_model(tmp_path / "other", pretrained.model, {"kind": "moesaic.pretrained_classifier"})
    with pytest.raises(CheckpointError, match="not a pretrained forecaster"):
        load_pretrained_forecaster(tmp_path / "other")


def test_adaptation_trains_only_what_the_method_says(pretrained) -> None:
    target = forecast_target(TINY, "fan", num_assets=2)
    labelled = window_shots(target.train, fraction=0.2, seed=0)
    assert labelled.numel() == round(0.2 * len(target.train))
    for method, changes_backbone in (("zeroshot", False), ("head", False), ("lora", False), ("full", True)):
        model = type(pretrained.model)(TINY.spec(), TINY.model)
        model.load_state_dict(pretrained.model.state_dict())
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        result = adapt_forecaster(model, target.train, adapt=AdaptConfig(method=method),
                                  train_config=TINY.train, labelled=labelled)  # fmt: skip
        moved = {n for n, p in model.named_parameters() if n in before and not torch.equal(p, before[n])}
        assert result.shots == labelled.numel()
        assert any(n.startswith("backbone.") for n in moved) == changes_backbone, method
        assert (not moved) == (method == "zeroshot"), method
    with pytest.raises(ValueError, match="`labelled` indices must be in"):
        adapt_forecaster(model, target.train, adapt=AdaptConfig(method="head"), train_config=TINY.train,
                         labelled=torch.tensor([len(target.train)]))  # fmt: skip


def test_engine_target_scores_test_engines_only(shared_data: Path) -> None:
    target = forecast_target(TINY, "cmapss", data_root=shared_data)
    data = load_dataset("cmapss_fd001", shared_data)
    train_ids = {s.asset_id for s in data.series if s.meta["split"] == "train"}
    test_ids = {s.asset_id for s in data.series if s.meta["split"] == "test"}
    assert set(target.train.groups) <= train_ids and set(target.test.groups) <= test_ids
    assert len(target.test) > 0 and target.test.context.shape[1] == TINY.context_length


def test_adaptation_suite_forecasting_rows(
    pretrained, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_pretrained_forecaster(tmp_path / "pre", pretrained.model, TINY)
    plan = adaptation.Protocol(adaptation.PretrainConfig(), 2, 0.2, 1, 2)
    monkeypatch.setattr(adaptation, "protocol", lambda quick, seed, public: plan)
    options = {"forecaster": str(tmp_path / "pre"), "target": "fan", "tasks": "forecasting"}
    rows = adaptation.run(SuiteContext(quick=True, data=shared_data, options=options))
    by_key = {(row.system, row.metric): row for row in rows}
    assert {s for s, _ in by_key} == {"naive", *(f"moesaic-{s}" for s in adaptation.SYSTEMS)}
    assert {m for s, m in by_key if s == "moesaic-lora"} == {
        "mse", "mae", "mse_std", "mae_std", "trainable_params", "labelled_windows",
    }  # fmt: skip
    assert all(
        row.task == "forecasting" and row.setting == "target=fan,shots=0.2,task=forecasting,public=ett"
        for row in rows
    )
    assert by_key[("moesaic-zeroshot", "trainable_params")].value == 0
    with pytest.raises(ValueError, match="option tasks='speech'"):
        adaptation.run(SuiteContext(quick=True, data=shared_data, options={**options, "tasks": "speech"}))


def test_cli_pretrains_a_forecaster_and_adapts_it(shared_data: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command(name="pretrain")(pretrain_command)
    app.command(name="adapt")(adapt)
    settings = ("days=8", "context_length=32", "horizon=8", "max_windows=200", "model.dim=16",
                "model.num_heads=2", "model.num_experts=2", "model.top_k=1")  # fmt: skip
    small = [part for setting in settings for part in ("--set", setting)]
    base = ["pretrain", "--task", "forecasting", "--out", str(tmp_path / "pre"), "--assets", "2",
            "--steps", "2", "--public", "ett", "--data", str(shared_data)]  # fmt: skip
    result = CliRunner().invoke(app, [*base, *small])
    assert result.exit_code == 0, result.output
    assert "corpus validation: MSE" in result.output
    result = CliRunner().invoke(
        app, ["adapt", "--pretrained", str(tmp_path / "pre"), "--method", "lora", "--shots", "10%",
              "--target-assets", "2", "--steps", "2", "--out", str(tmp_path / "ad")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "last-value forecast MSE" in result.output and "8-step forecasts: MSE" in result.output
    result = CliRunner().invoke(app, [*base[:2], "speech", *base[3:]])
    assert result.exit_code != 0 and "`--task` must be one of" in result.output


def test_both_tasks_in_one_run_give_one_row_per_key(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = adaptation.PretrainConfig()
    classify = dataclasses.replace(
        base, num_assets=2, days=8, windows=dataclasses.replace(base.windows, context_length=32), dim=16,
        num_heads=2, moe=dataclasses.replace(base.moe, num_experts=2, top_k=1), train=TINY.train,
    )  # fmt: skip
    monkeypatch.setattr(
        adaptation, "protocol", lambda quick, seed, public: adaptation.Protocol(classify, 2, 0.2, 1, 1)
    )
    monkeypatch.setattr(
        adaptation, "forecast_config", lambda quick, seed, public: dataclasses.replace(TINY, public=())
    )
    options = {"target": "fan", "public": "none", "pretrain_steps": "1"}
    rows = adaptation.run(SuiteContext(quick=True, data=shared_data, options=options))
    keys = [(r.system, r.dataset, r.setting, r.metric) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r.task for r in rows} == {"fault_classification", "forecasting"}


def test_pretrained_forecast_is_affine_equivariant_and_rolls_out_long_horizons() -> None:
    model = new_forecaster(TINY, seed=0)
    values = np.cumsum(np.random.default_rng(0).normal(size=(50, 2)), axis=0)
    values[45, 1] = np.nan  # a missing reading in the context
    first = pretrained_forecast(model, values, 20)  # 3 blocks of the model's 8 steps
    assert first.median.shape == (20, 2) and first.quantiles.shape == (20, 2, 3)
    assert np.isfinite(first.quantiles).all() and (np.diff(first.quantiles, axis=-1) >= 0).all()
    np.testing.assert_allclose(pretrained_forecast(model, values, 8).median, first.median[:8], rtol=1e-6)
    moved = pretrained_forecast(model, 3 * values + 7, 20)  # z-scoring makes the forecast follow
    np.testing.assert_allclose(moved.median, 3 * first.median + 7, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="reads 32 steps of context; the series has 20"):
        pretrained_forecast(model, values[:20], 5)


def test_cli_forecasts_a_csv_with_the_pretrained_forecaster(tmp_path: Path) -> None:
    save_pretrained_forecaster(tmp_path / "pre", new_forecaster(TINY, seed=0), TINY)
    dates = np.datetime64("2024-01-01T00") + np.arange(40) * np.timedelta64(1, "h")
    levels = np.cumsum(np.random.default_rng(1).normal(size=(40, 2)), axis=0)
    lines = ["date,a,b"] + [
        f"{d},{x:.4f},{y:.4f}" for d, (x, y) in zip(dates.astype(str), levels, strict=True)
    ]
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    app = typer.Typer()
    app.command(name="forecast")(forecast_command)
    app.command(name="other")(lambda: None)
    base = [
        "forecast",
        "--csv",
        str(tmp_path / "s.csv"),
        "--pretrained",
        str(tmp_path / "pre"),
        "--horizon",
        "10",
    ]
    result = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f.csv")
    assert len(frame) == 10 and {"a", "b", "a_q0.1", "b_q0.9"} <= set(frame.columns)
    assert frame["date"].iloc[0] == "2024-01-02 16:00:00"
    result = CliRunner().invoke(app, [*base, "--load", str(tmp_path / "pre")])
    assert result.exit_code != 0 and "takes neither --load nor --save" in result.output
