"""Forecaster contract, the Informer windowing, the quantile head, the suite and the CLI, all tiny."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.checkpoint import CheckpointError, save_model
from moesaic.cli.forecast import forecast
from moesaic.config import apply_overrides
from moesaic.data.forecast_windows import (
    ETTH1_SIZES,
    count_windows,
    informer_sizes,
    read_dated_csv,
    sliding_windows,
    split_informer,
)
from moesaic.data.tables import DataFormatError
from moesaic.encoders import NotFittedError
from moesaic.eval.bench import OptionError, SuiteContext, run_suite
from moesaic.heads.forecast import PeriodicLinear, QuantileForecastHead, pinball_loss
from moesaic.tasks.forecast import ForecastConfig, Forecaster

L, H = 32, 8


def tiny(model: str = "moesaic", **changes: object) -> ForecastConfig:
    overrides = [
        "moesaic.dim=8", "moesaic.num_layers=1", "moesaic.num_heads=2", "moesaic.patch_len=8",
        "moesaic.expert_hidden=8", "patchtst.dim=8", "patchtst.num_layers=1", "patchtst.ffn_hidden=8",
        "train.max_steps=4", "train.warmup_steps=0", "train.eval_every=2", "train.num_threads=1",
        "train.batch_size=8", "predict_batch_size=16",
    ]  # fmt: skip
    config = apply_overrides(ForecastConfig(model=model, context_length=L, horizon=H), overrides)
    return apply_overrides(config, [f"{k}={v}" for k, v in changes.items()])


@pytest.fixture
def series() -> np.ndarray:
    t = np.arange(300)
    values = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 12), 0.01 * t], axis=-1)
    return (values + 0.1 * np.random.randn(300, 3)).astype(np.float32)


@pytest.mark.parametrize("model", ["moesaic", "dlinear", "seasonal_naive"])
def test_predicting_before_fit_raises_not_fitted(model: str, series: np.ndarray) -> None:
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call `fit` or `Forecaster\.load`"):
        Forecaster(tiny(model)).predict(series[:L])


def test_fit_returns_self_and_learned_state_ends_in_underscore(series: np.ndarray) -> None:
    forecaster = Forecaster(tiny())
    assert forecaster.fit(series) is forecaster
    assert forecaster.spec_.num_channels == 3 and forecaster.train_result_ is not None
    assert forecaster.train_result_.steps == 4 and forecaster.train_seconds_ > 0


def test_validation_windows_each_count_once_in_batches_of_near_equal_size(series: np.ndarray) -> None:
    # 300 - L - H + 1 = 261 windows in batches of at most 16: 17 batches of 15 or 16, not 16 x 16 + 5
    forecaster = Forecaster(tiny()).fit(series)
    batches = forecaster._batches(forecaster._segments([series], None, None), stride=1)
    sizes = [batch.size for batch in batches]
    assert sum(sizes) == 261 and len(sizes) == 17
    assert max(sizes) <= 16 and max(sizes) - min(sizes) <= 1
    assert forecaster._batches(forecaster._segments([series[: L + H - 1]], None, None), stride=1) == []


@pytest.mark.parametrize("horizon", [1, 5, H, 21])
def test_any_horizon_gives_non_crossing_quantiles(horizon: int, series: np.ndarray) -> None:
    forecaster = Forecaster(tiny()).fit(series)
    out = forecaster.predict(series[-L:], horizon=horizon)
    assert out.median.shape == (horizon, 3)
    assert out.quantiles.shape == (horizon, 3, 9)
    assert (np.diff(out.quantiles, axis=-1) >= 0).all()
    np.testing.assert_allclose(out.median, out.quantiles[..., 4])
    batch = forecaster.predict(np.stack([series[:40], series[40:80]]), horizon=horizon)  # longer contexts
    assert batch.median.shape == (2, horizon, 3)


def test_missing_values_in_the_context_give_a_finite_forecast(series: np.ndarray) -> None:
    forecaster = Forecaster(tiny()).fit(series)
    context = series[-L:].copy()
    context[3:11, 0] = np.nan  # a whole patch missing
    context[20, 2] = np.nan
    assert np.isfinite(forecaster.predict(context).quantiles).all()
    assert np.isfinite(forecaster.predict(series[-10:]).quantiles).all()  # short context: padded as missing


def test_nothing_observed_is_refused_not_forecast(series: np.ndarray) -> None:
    forecaster = Forecaster(tiny("dlinear"))
    dead = series.copy()
    dead[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"channels \[1\] of `series` hold no reading at all"):
        forecaster.fit(dead)
    forecaster.fit(series)
    blind = np.stack([series[-L:], np.full((L, 3), np.nan)])
    with pytest.raises(ValueError, match=f"context window 1 has no observed value in its last {L} steps"):
        forecaster.predict(blind)
    with pytest.raises(ValueError, match=r"`series`\[1\] has 2 channels, `series`\[0\] has 3"):
        Forecaster(tiny("dlinear")).fit([series, series[:, :2]])
    with pytest.raises(ValueError, match=r"must be \(time, channels\) or a list of them, got shape \(200,\)"):
        Forecaster(tiny("dlinear")).fit(series[:200, 0])


@pytest.mark.parametrize("model", ["moesaic", "patchtst", "dlinear"])
def test_save_and_load_reproduce_the_predictions(model: str, series: np.ndarray, tmp_path: Path) -> None:
    forecaster = Forecaster(tiny(model)).fit(series)
    forecaster.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "model.safetensors"]
    loaded = Forecaster.load(tmp_path / "model")
    np.testing.assert_array_equal(
        loaded.predict(series[-L:]).quantiles, forecaster.predict(series[-L:]).quantiles
    )


def test_load_names_a_checkpoint_of_another_kind(tmp_path: Path) -> None:
    save_model(tmp_path / "d", torch.nn.Linear(2, 2), {"kind": "moesaic.detector.zscore"})
    with pytest.raises(
        CheckpointError, match=r"not a Forecaster checkpoint .*\(kind 'moesaic.detector.zscore'\)"
    ):
        Forecaster.load(tmp_path / "d")


def test_covariates_and_static_attributes_enter_the_backbone(series: np.ndarray) -> None:
    targets, covariates = series[:, :1], series[:, 1:]
    second = [targets + 1.0, targets]
    forecaster = Forecaster(tiny()).fit(
        second, covariates=[covariates, covariates], static=np.array([[1.0], [2.0]])
    )
    assert forecaster.spec_.num_covariates == 2 and forecaster.spec_.num_static == 1
    assert "tabular" in forecaster.model_.backbone.encoders  # type: ignore[operator]
    out = forecaster.predict(targets[-L:], covariates=covariates[-L:], static=np.array([1.0]), horizon=12)
    assert out.quantiles.shape == (12, 1, 9)
    with pytest.raises(ValueError, match="fitted with 2 covariates"):
        forecaster.predict(targets[-L:], static=np.array([1.0]))


def test_informer_borders_score_every_test_window() -> None:
    values = np.random.randn(ETTH1_SIZES.total + 100, 2)
    split = split_informer(values, context_length=336, sizes=ETTH1_SIZES)
    assert split.val.shape == (336 + 2880, 2) and split.test.shape == (336 + 2880, 2)
    np.testing.assert_allclose(split.test[0], split.scaler.transform(values[11520 - 336]))
    np.testing.assert_allclose(split.train.mean(axis=0), 0.0, atol=1e-5)  # scaler fitted on train
    for horizon in (96, 720):
        windows = sliding_windows(split.test, context_length=336, horizon=horizon)
        assert (
            len(windows.context)
            == 2880 - horizon + 1
            == count_windows(336 + 2880, context_length=336, horizon=horizon)
        )
        # the last window's target ends on the last test row
        np.testing.assert_array_equal(windows.target[-1, -1], split.test[-1])


def test_informer_sizes_from_the_sampling_step() -> None:
    assert informer_sizes(17420, step_seconds=3600) == ETTH1_SIZES
    assert informer_sizes(70000, step_seconds=900).train == 4 * 8640
    short = informer_sizes(1000, step_seconds=3600)
    assert (short.train, short.val, short.test, short.protocol) == (600, 200, 200, "ratio")


def test_quantile_head_never_crosses_and_pinball_by_hand() -> None:
    head = QuantileForecastHead(num_patches=3, dim=4, head_dim=2, horizon=5, quantiles=(0.1, 0.5, 0.9),
                                context_length=6, period=2)  # fmt: skip
    for tokens in (torch.randn(7, 3, 4), None):
        q = head(torch.randn(7, 6), tokens)
        assert q.shape == (7, 5, 3) and (q.diff(dim=-1) > 0).all()
    forecast = torch.tensor([[0.0, 1.0, 2.0]])  # levels 0.1, 0.5, 0.9 for a target of 1.5
    loss = pinball_loss(forecast, torch.tensor([1.5]), (0.1, 0.5, 0.9), torch.tensor([True]))
    assert float(loss) == pytest.approx((0.1 * 1.5 + 0.5 * 0.5 + 0.1 * 0.5) / 3)


def test_periodic_linear_maps_each_phase_with_one_shared_matrix() -> None:
    layer = PeriodicLinear(context_length=5, horizon=3, period=2)  # the oldest step is not read
    with torch.no_grad():
        layer.map.weight.copy_(torch.tensor([[1.0, 10.0], [100.0, 1000.0]]))  # 2 past -> 2 future per phase
    context = torch.tensor([[9.0, 1.0, 2.0, 3.0, 4.0]])  # phase 0: 1, 3; phase 1: 2, 4
    out = layer(context)  # the smoothing filter starts at zero: the identity
    assert out.tolist() == [[31.0, 42.0, 3100.0]]  # steps interleave the phases: p0, p1, p0


def test_stages_train_only_their_parameters_and_the_kept_stage_forecasts(series: np.ndarray) -> None:
    forecaster = Forecaster(tiny()).fit(series)
    assert [s.stage for s in forecaster.stages_] == ["periodic", "linear", "ridge", "blocks"]
    assert forecaster.stages_[0].kept  # the first stage with a validation loss is always kept
    kept = [s for s in forecaster.stages_ if s.kept][-1]
    assert forecaster.model_.stage == kept.stage  # type: ignore[union-attr]
    model = forecaster.model_
    model.set_stage("periodic")  # type: ignore[operator]
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("head.periodic.", "head.spread.")) for n in trainable)


def _write_csv(path: Path, rows: int, *, bad_cell: bool = False) -> Path:
    t = np.arange(rows)
    lines = ["date,a,b"]
    for i in t:
        stamp = np.datetime64("2020-01-01T00:00") + np.timedelta64(int(i), "h")
        b = "x" if bad_cell and i == 1 else f"{np.cos(i / 5):.4f}"
        a = "" if i == 7 else f"{np.sin(i / 4):.4f}"
        lines.append(f"{str(stamp).replace('T', ' ')}:00,{a},{b}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_suite_names_the_file_and_the_options_when_its_windows_do_not_fit(tmp_path: Path) -> None:
    csv = _write_csv(tmp_path / "short.csv", 120)
    options = {"csv": str(csv), "systems": "seasonal_naive"}  # the default context, 512, is too long
    with pytest.raises(OptionError, match=r"short\.csv: `context_length`=512 .*-o context=N.*-o horizons="):
        run_suite("forecast", SuiteContext(quick=True, options=options), out=tmp_path / "out", command="test")
    assert not (tmp_path / "out").exists()
    dead = tmp_path / "dead.csv"
    dead.write_text(csv.read_text().replace("\n", ",\n").replace("date,a,b,", "date,a,b,c", 1))  # empty c
    options = {"csv": str(dead), "systems": "seasonal_naive", "context": "24"}
    with pytest.raises(OptionError, match=r"dead\.csv: columns \['c'\] hold no reading at all"):
        run_suite("forecast", SuiteContext(quick=True, options=options), out=tmp_path / "out", command="test")


def test_suite_warns_of_gaps_in_the_time_column(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from moesaic.eval.suites.forecast import _warn_gaps

    time = np.concatenate([np.arange(10), np.arange(30, 40)]).astype("datetime64[h]")
    with caplog.at_level(logging.WARNING, logger="moesaic.eval.suites.forecast"):
        _warn_gaps(tmp_path / "f.csv", np.arange(20).astype("datetime64[h]"))
        assert not caplog.text
        _warn_gaps(tmp_path / "f.csv", time)
    assert "1 gap(s) in the time column (the longest 21 hours)" in caplog.text


def test_read_dated_csv_names_the_bad_cell(tmp_path: Path) -> None:
    series = read_dated_csv(_write_csv(tmp_path / "ok.csv", 20))
    assert series.channels == ("a", "b") and np.isnan(series.values[7, 0])
    with pytest.raises(DataFormatError, match=r"line 3, column 'b': expected a number"):
        read_dated_csv(_write_csv(tmp_path / "bad.csv", 20, bad_cell=True))


def test_suite_runs_the_protocol_on_any_csv(tmp_path: Path) -> None:
    csv = _write_csv(tmp_path / "plant.csv", 400)
    options = {"csv": str(csv), "context": "24", "horizons": "8", "systems": "seasonal_naive,dlinear",
               "max_steps": "2", "threads": "1"}  # fmt: skip
    result = run_suite("forecast", SuiteContext(options=options), out=tmp_path / "out", command="test")
    document = json.loads(result.json_path.read_text())
    rows = {(r["system"], r["metric"]): r for r in document["rows"]}
    assert {s for s, _ in rows} == {"seasonal_naive", "dlinear"}
    row = rows[("dlinear", "mse")]
    assert row["setting"] == "L=24,H=8,split=ratio,steps=2" and row["source"] == "measured"
    assert row["params_total"] == 2 * (24 * 8 + 8) and row["train_seconds"] is not None


def test_suite_ensemble_averages_its_members_and_adds_their_costs(tmp_path: Path) -> None:
    csv = _write_csv(tmp_path / "plant.csv", 400)
    options = {"csv": str(csv), "context": "24", "horizons": "8", "systems": "moesaic,moesaic-ensemble",
               "max_steps": "2", "threads": "1", "members": "2"}  # fmt: skip
    result = run_suite("forecast", SuiteContext(options=options), out=tmp_path / "out", command="test")
    rows = {(r["system"], r["metric"]): r for r in json.loads(result.json_path.read_text())["rows"]}
    single, ensemble = rows[("moesaic", "mse")], rows[("moesaic-ensemble", "mse")]
    assert ensemble["params_total"] == 2 * single["params_total"]
    assert ("moesaic-ensemble", "crps") in rows
    # the members differ only by their seeds: they may coincide when the closed-form path is kept
    assert np.isfinite(ensemble["value"]) and ensemble["value"] <= single["value"] * 1.5


def test_cli_writes_the_forecast_after_the_last_row(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(forecast)
    csv = _write_csv(tmp_path / "plant.csv", 120)
    out = tmp_path / "forecast.csv"
    model = tmp_path / "m"
    args = ["--csv", str(csv), "--horizon", "5", "--out", str(out), "--model", "dlinear", "--context", "24",
            "--set", "train.max_steps=2", "--set", "train.warmup_steps=0", "--save", str(model)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "check on the last 20% of the rows (4 forecasts;" in " ".join(result.output.split())  # 96 ... 111
    lines = out.read_text().splitlines()
    assert lines[0] == "date,a,b" and len(lines) == 6  # dlinear is a point forecaster: no quantile columns
    assert lines[1].startswith("2020-01-06 00:00:00")  # the hour after the last row (row 119)
    plot = tmp_path / "forecast.png"
    again = CliRunner().invoke(
        app,
        [
            "--csv",
            str(csv),
            "--horizon",
            "5",
            "--out",
            str(out),
            "--load",
            str(tmp_path / "m"),
            "--plot",
            str(plot),
        ],
    )
    assert again.exit_code == 0, again.output
    assert plot.read_bytes().startswith(b"\x89PNG") and f"wrote {plot}" in again.output.replace("\n", "")
    narrower = CliRunner().invoke(
        app, ["--csv", str(csv), "--channels", "a", "--out", str(out), "--load", str(model)]
    )
    assert (
        narrower.exit_code == 2
        and "forecasts 2 channels;" in narrower.output
        and "gives 1 (a)" in narrower.output
    )


def test_cli_names_the_time_column_of_a_file_without_one_step(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(forecast)
    csv = tmp_path / "plain.csv"
    csv.write_text("vib,load\n" + "\n".join(f"{np.sin(i / 5):.4f},{i % 7}" for i in range(120)) + "\n")
    out = tmp_path / "forecast.csv"
    args = ["--csv", str(csv), "--horizon", "2", "--out", str(out), "--model", "seasonal_naive",
            "--context", "24"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == ["step", "vib", "load"]


def test_cli_reads_any_sensor_file_time_column_separator_and_chosen_channels(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(forecast)
    rows = [f"{10 * i};{np.sin(i / 5):.4f}".replace(".", ",") + f";ok;{i % 7}" for i in range(120)]
    csv = tmp_path / "eu.csv"
    csv.write_text("cycle;vib;status;load\n" + "\n".join(rows) + "\n")
    out = tmp_path / "forecast.csv"
    args = ["--csv", str(csv), "--horizon", "3", "--out", str(out), "--model", "seasonal_naive",
            "--context", "24", "--channels", "vib,load"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["cycle"].tolist() == [1200, 1210, 1220]  # whole step numbers continue at their step
    assert {"vib", "load"} <= set(frame.columns) and "status" not in frame.columns
    left_out = CliRunner().invoke(app, args[:-2])  # without --channels: the text column is left out
    assert left_out.exit_code == 0, left_out.output
    assert {"vib", "load"} <= set(pd.read_csv(out).columns) and "status" not in pd.read_csv(out).columns


def test_cli_shortens_the_default_context_of_a_short_file_and_skips_a_longer_period(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(forecast)
    csv = _write_csv(tmp_path / "short.csv", 60)  # 48 training rows: 512 steps of context do not fit
    out = tmp_path / "forecast.csv"
    args = ["--csv", str(csv), "--horizon", "6", "--out", str(out), "--set", "train.max_steps=2",
            "--set", "train.warmup_steps=0", "--set", "moesaic.stage_steps=2"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "context 21 steps" in " ".join(result.output.split())  # (48 - 6) // 2; the period 24 > 21
    assert len(pd.read_csv(out)) == 6


def test_cli_warns_when_the_model_loses_to_the_naive_forecast_on_its_check(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(forecast)
    csv = tmp_path / "daily.csv"
    stamps = np.datetime64("2020-01-01T00:00") + np.arange(240) * np.timedelta64(1, "h")
    rows = [f"{str(s).replace('T', ' ')},{np.sin(2 * np.pi * (i % 24) / 24):.4f}"
            for i, s in enumerate(stamps)]  # fmt: skip
    csv.write_text("date,a\n" + "\n".join(rows) + "\n")  # repeats every day: the seasonal naive is exact
    common = ["--csv", str(csv), "--horizon", "5", "--out", str(tmp_path / "f.csv"), "--context", "48"]
    trained = CliRunner().invoke(app, [*common, "--model", "dlinear", "--set", "train.max_steps=2",
                                       "--set", "train.warmup_steps=0"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    words = " ".join(trained.output.split())
    assert "the model is worse than the seasonal naive (period 24) forecast" in words
    naive = CliRunner().invoke(app, [*common, "--model", "seasonal_naive"])
    assert naive.exit_code == 0, naive.output
    assert "worse than" not in naive.output


def test_a_channel_held_at_its_training_value_is_forecast_exactly() -> None:
    from moesaic.tasks.forecast import _held_constant

    quantiles = np.random.default_rng(0).normal(75.0, 0.01, size=(2, 4, 3, 5))
    context = np.zeros((2, 6, 3))
    context[:, :, 0] = 75.0  # a set point, as in training
    context[:, :, 1] = np.arange(6)  # moving
    context[0, :, 2], context[1, :, 2] = 5.0, np.nan  # flat but off its training value; unobserved
    context[1, 0, 0] = np.nan  # a missing reading does not break the hold
    out = _held_constant(quantiles, context, mean=np.array([75.0, 2.5, 1.0]))
    assert (out[:, :, 0, :] == 75.0).all()
    assert np.array_equal(out[:, :, 1:, :], quantiles[:, :, 1:, :])


def test_cli_floors_a_channel_that_is_never_negative_at_zero(tmp_path: Path) -> None:
    # walk-through: a 2,500 kW turbine's power band went down to -206 kW
    app = typer.Typer()
    app.command()(forecast)
    rng = np.random.default_rng(0)
    hours = np.arange(24 * 10)
    power = np.clip(800 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 150, hours.size), 0, None)
    temp = 40 + 5 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 2, hours.size)
    times = pd.date_range("2025-01-01", periods=hours.size, freq="h")
    csv = tmp_path / "wtg.csv"
    pd.DataFrame({"time": times, "power": power, "temp": temp}).to_csv(csv, index=False)
    out = tmp_path / "f.csv"
    args = ["--csv", str(csv), "--horizon", "24", "--out", str(out), "--model", "seasonal_naive"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    band = [c for c in frame.columns if c.startswith("power")]
    assert (frame[band] >= 0).all().all()
    assert "never negative in the file, floored at 0: power" in result.output
