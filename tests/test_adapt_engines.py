"""C-MAPSS engines as an adaptation target: health stages, sensor mapping, engine shots, CLI and suite.

Engines here are synthetic, in the FD001 file format, so that every test is small and seeded.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.adapt.methods import load_adapter, prepare_adaptation
from moesaic.cli.adapt import adapt
from moesaic.config import ConfigError
from moesaic.data.sets.cmapss_fd001 import SENSOR_NAMES, read_cmapss_txt
from moesaic.data.windows import WindowConfig
from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import adaptation
from moesaic.heads import FaultClassifier
from moesaic.moe import MoEConfig
from moesaic.tasks.engines import (
    HEALTH_STAGES,
    INPUT_PARAMETERS,
    PHYSICAL_NAMES,
    SENSOR_ANALOGUES,
    EngineConfig,
    check_window,
    engine_adapt_config,
    engine_model,
    engine_shots,
    engine_target,
    health_stage,
    select_sensors,
    sensor_analogue,
)
from moesaic.tasks.few_shot import adapt_classifier
from moesaic.tasks.pretrain import (
    CORPUS_CHANNELS,
    FEATURE_NAMES,
    PretrainConfig,
    evaluate_classifier,
    model_config,
    save_pretrained,
)
from moesaic.tasks.public_corpus import PUBLIC_SETS
from moesaic.train import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")


TINY = PretrainConfig(
    num_assets=3,
    days=6,
    windows=WindowConfig(context_length=32, stride=16),
    dim=16,
    num_heads=2,
    moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
    train=TrainConfig(lr=1e-2, max_steps=2, batch_size=8, eval_every=2, num_threads=1, log_every=2),
)
FD001_SENSORS = tuple(
    f"sensor_{i}" for i in (2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21)
)  # the 14 that vary
VARYING = ("sensor_2", "sensor_3", "sensor_4", "sensor_7", "sensor_9", "sensor_11")  # T24 T30 T50 P30 Nc Ps30


def _engine_rows(unit: int, cycles: int, end_rul: int, rng: np.random.Generator) -> np.ndarray:
    """(cycles, 26) rows of one engine: the varying sensors drift up near failure, the rest constant."""
    rul = end_rul + cycles - 1 - np.arange(cycles)
    rows = np.zeros((cycles, 26))
    rows[:, 0], rows[:, 1] = unit, np.arange(1, cycles + 1)
    rows[:, 2:5] = rng.normal(0, 1e-3, (cycles, 3))  # operating settings: noise
    rows[:, 5:] = 100.0 + 10 * np.arange(21)  # every sensor constant ...
    for name in VARYING:  # ... but these, which drift as failure nears
        col = 5 + int(name.split("_")[1]) - 1
        rows[:, col] += rng.normal(0, 0.5, cycles) + 20 * np.exp(-rul / 40)
    return rows


def write_fd001(folder: Path, *, train: int = 6, test: int = 4, seed: int = 0) -> Path:
    """A data root with a small synthetic ``cmapss_fd001`` folder in the NASA file format."""
    rng = np.random.default_rng(seed)
    target = folder / "cmapss_fd001"
    target.mkdir(parents=True)
    runs = [_engine_rows(u + 1, int(rng.integers(170, 200)), 0, rng) for u in range(train)]
    ruls = rng.integers(5, 150, test)
    cut = [_engine_rows(u + 1, int(rng.integers(35, 90)), int(r), rng) for u, r in enumerate(ruls)]
    np.savetxt(target / "train_FD001.txt", np.concatenate(runs), fmt="%.4f")
    np.savetxt(target / "test_FD001.txt", np.concatenate(cut), fmt="%.4f")
    np.savetxt(target / "RUL_FD001.txt", ruls, fmt="%d")
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fd001(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def series(root: Path) -> tuple[list, list]:
    folder = root / "cmapss_fd001"
    train = read_cmapss_txt(folder / "train_FD001.txt", "train")
    rul = np.loadtxt(folder / "RUL_FD001.txt", dtype=np.int64).reshape(-1)
    return train, read_cmapss_txt(folder / "test_FD001.txt", "test", rul_at_end=rul)


@pytest.fixture(scope="module")
def target(series: tuple[list, list]):
    return engine_target(*series, EngineConfig())


def test_health_stage_from_rul() -> None:
    stages = health_stage(np.array([300, 126, 125.5, 125, 31, 30, 0]))
    assert [HEALTH_STAGES[s] for s in stages] == ["healthy"] * 3 + ["degrading"] * 2 + ["critical"] * 2
    with pytest.raises(ValueError, match="finite and >= 0"):
        health_stage(np.array([3.0, -1.0]))


def test_every_sensor_has_an_analogue_among_the_corpus_channels() -> None:
    assert set(SENSOR_ANALOGUES) == set(SENSOR_NAMES)
    assert {a for a in SENSOR_ANALOGUES.values() if a is not None} <= set(CORPUS_CHANNELS)
    assert sensor_analogue("sensor_3") == "discharge_temp"  # T30, the compressor's outlet temperature
    assert sensor_analogue("sensor_9") == "speed"  # Nc, the core speed
    with pytest.raises(ValueError, match="not a C-MAPSS sensor"):
        sensor_analogue("op_setting_1")


def test_sensor_selection_is_label_free_and_skips_constant_sensors_and_settings(series) -> None:
    train, _ = series
    assert select_sensors(train, min_distinct=3) == VARYING
    relabelled = [dataclasses.replace(s, labels={"rul": np.zeros(s.length, np.float32)}) for s in train]
    assert select_sensors(relabelled, min_distinct=3) == VARYING


def test_engine_windows_are_labelled_at_their_last_cycle_against_the_engines_own_baseline(
    target, series
) -> None:
    train, _ = series
    windows = target.train
    config = EngineConfig()
    assert target.sensors == VARYING
    assert windows.series.shape[1:] == (config.window, len(VARYING))
    assert windows.numeric.shape[1] == 2 * len(VARYING)
    assert len(windows) == sum(s.length - config.baseline_cycles + 1 for s in train)  # every cycle from 30 on
    first = train[0]
    rows = [i for i, e in enumerate(windows.asset_ids) if e == first.asset_id]
    assert windows.end_times[rows].tolist() == first.time[config.baseline_cycles - 1 :].tolist()
    expected = health_stage(first.labels["rul"][config.baseline_cycles - 1 :])
    assert windows.labels[rows].tolist() == expected.tolist()
    torch.testing.assert_close(windows.numeric[rows[0]], torch.zeros(2 * len(VARYING)))  # its own baseline
    assert (windows.numeric[rows[-1], : len(VARYING)] > 1).all()  # drifted up near failure


def test_evaluation_windows_take_every_stride_th_cycle_back_from_the_last(series) -> None:
    _, test = series
    strided = engine_target(*series, EngineConfig(test_stride=5)).test
    for engine in test:
        ends = strided.end_times[[i for i, e in enumerate(strided.asset_ids) if e == engine.asset_id]]
        assert ends[-1] == engine.time[-1] and (np.diff(ends) == 5).all() and ends[0] >= 30


def test_engine_shots_label_whole_training_engines_only(target) -> None:
    index = engine_shots(target.train.asset_ids, fraction=0.34, seed=1)
    chosen = {target.train.asset_ids[i] for i in index.tolist()}
    assert len(chosen) == 2  # round(0.34 * 6)
    assert index.tolist() == [i for i, e in enumerate(target.train.asset_ids) if e in chosen]  # whole engines
    assert all(e.startswith("FD001-train-") for e in chosen)
    assert chosen.isdisjoint(target.test.asset_ids)
    assert engine_shots(target.train.asset_ids, fraction=0.01, seed=0).numel() > 0  # at least one engine
    assert not torch.equal(index, engine_shots(target.train.asset_ids, fraction=0.34, seed=2))
    with pytest.raises(ValueError, match=r"`fraction` must be in \(0, 1\]"):
        engine_shots(target.train.asset_ids, fraction=0.0, seed=0)


def test_an_engine_cannot_be_both_trained_on_and_evaluated(series) -> None:
    train, _ = series
    with pytest.raises(ValueError, match="both training and evaluation engines"):
        engine_target(train[:4], train[3:], EngineConfig())
    with pytest.raises(ConfigError, match="`baseline_cycles` must be >= 2"):
        EngineConfig(baseline_cycles=1)


@pytest.mark.parametrize("public", [(), PUBLIC_SETS])
def test_engine_model_keeps_the_backbone_and_starts_each_sensor_from_its_analogue(public) -> None:
    torch.manual_seed(0)
    config = dataclasses.replace(TINY, public=public)  # public sets add channel rows of their own
    pretrained = FaultClassifier(model_config(config), num_classes=9)
    model = engine_model(pretrained, config, VARYING, seed=0)
    source, state = pretrained.state_dict(), model.state_dict()
    new = {*INPUT_PARAMETERS, "head.linear.weight", "head.linear.bias"}
    assert all(torch.equal(state[n], t) for n, t in source.items() if n not in new)
    channel = state["backbone.encoders.timeseries.channel"]
    assert channel.shape == (len(VARYING), TINY.dim)
    for row, sensor in enumerate(VARYING):
        analogue = SENSOR_ANALOGUES[PHYSICAL_NAMES[sensor]]
        assert analogue is not None
        pre = source["backbone.encoders.timeseries.channel"][CORPUS_CHANNELS.index(analogue)]
        torch.testing.assert_close(channel[row], pre)
        spread = source["backbone.encoders.tabular.feature"][FEATURE_NAMES.index(f"{analogue}.spread")]
        torch.testing.assert_close(state["backbone.encoders.tabular.feature"][len(VARYING) + row], spread)
    assert model.head.linear.out_features == len(HEALTH_STAGES)
    mean = engine_model(pretrained, config, ("sensor_1",), seed=0)  # T2 has an analogue; op settings do not
    assert mean.backbone.encoders["timeseries"].channel.shape == (1, TINY.dim)


def test_lora_on_engines_trains_the_input_rows_and_stays_under_5_percent() -> None:
    config = PretrainConfig()  # the benchmark's size, with FD001's sensors
    model = engine_model(
        FaultClassifier(model_config(config), num_classes=9),
        config,
        FD001_SENSORS,
        seed=0,
    )
    adaptation = prepare_adaptation(model, engine_adapt_config("lora"))
    assert set(INPUT_PARAMETERS) <= set(adaptation.trainable)
    assert adaptation.trainable_params <= 0.05 * adaptation.total_params
    with pytest.raises(ConfigError, match="`method` must be one of"):
        engine_adapt_config("adapter")


def test_adapting_to_engines_trains_only_on_the_labelled_engines(target) -> None:
    torch.manual_seed(0)
    model = engine_model(FaultClassifier(model_config(TINY), num_classes=9), TINY, target.sensors, seed=0)
    labelled = engine_shots(target.train.asset_ids, fraction=0.2, seed=0)
    result = adapt_classifier(
        model, target.train, adapt=engine_adapt_config("head"), train_config=TINY.train, labelled=labelled
    )
    assert result.run is not None and result.shots == labelled.numel()
    scores = evaluate_classifier(model, target.test)
    assert 0 <= scores.macro_f1 <= 1 and 0 <= scores.accuracy <= 1
    with pytest.raises(ValueError, match=r"`labelled` indices must be in \[0, "):
        adapt_classifier(model, target.train, adapt=engine_adapt_config("head"), train_config=TINY.train,
                         labelled=torch.tensor([len(target.train)]))  # fmt: skip
    check_window(TINY, EngineConfig(window=32))
    with pytest.raises(ValueError, match="the pretrained model holds 2"):
        check_window(TINY, EngineConfig(window=48))


def test_cli_adapts_to_engines(root: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    save_pretrained(tmp_path / "pre", FaultClassifier(model_config(TINY), num_classes=9), TINY)
    app = typer.Typer()
    app.command(name="adapt")(adapt)
    app.command(name="noop")(lambda: None)  # two commands: the first is named on the command line
    runner = CliRunner()
    base = ["adapt", "--pretrained", str(tmp_path / "pre"), "--target", "cmapss", "--data", str(root)]
    result = runner.invoke(
        app, [*base, "--method", "lora", "--shots", "2", "--steps", "2", "--out", str(tmp_path / "ad")]
    )
    assert result.exit_code == 0, result.output
    assert "test engines: accuracy" in result.output
    adapter = load_adapter(
        tmp_path / "ad",
        engine_model(FaultClassifier(model_config(TINY), num_classes=9), TINY, VARYING, seed=0),
    )
    assert adapter.config["target"] == "cmapss" and adapter.config["sensors"] == list(VARYING)
    result = runner.invoke(app, [*base, "--method", "zeroshot"])
    assert result.exit_code != 0 and "does not apply to --target cmapss" in result.output
    result = runner.invoke(app, [*base, "--method", "zeroshot", "--out", str(tmp_path / "none")])
    assert (
        result.exit_code == 2 and "no adapter to save" in result.output and not (tmp_path / "none").exists()
    )
    result = runner.invoke(app, [*base, "--shots", "7"])
    assert result.exit_code != 0 and "of the 6 training engines" in result.output
    result = runner.invoke(app, [*base[:3], "--target", "turbine"])
    assert result.exit_code != 0 and "`--target` must be one of" in result.output


def test_adaptation_suite_on_engines(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = adaptation.Protocol(TINY, 2, 0.34, 2, 2, EngineConfig(test_stride=3))
    monkeypatch.setattr(adaptation, "protocol", lambda quick, seed, public: plan)
    torch.manual_seed(0)
    save_pretrained(tmp_path / "pre", FaultClassifier(model_config(TINY), num_classes=9), TINY)
    options = {"pretrained": str(tmp_path / "pre"), "target": "cmapss", "tasks": "classification"}
    rows = adaptation.run(SuiteContext(quick=True, data=root, options=options))
    systems = {row.system for row in rows}
    assert systems == {f"moesaic-{s}" for s in adaptation.SYSTEMS} - {"moesaic-zeroshot"}
    assert all(row.setting == "target=cmapss,shots=0.34" and row.dataset == "cmapss_fd001" for row in rows)
    by_key = {(row.system, row.metric): row for row in rows}
    assert {m for _, m in by_key} == {
        "macro_f1",
        "accuracy",
        "macro_f1_std",
        "accuracy_std",
        "trainable_params",
        "labelled_windows",
    }
    full, lora = by_key[("moesaic-full", "trainable_params")], by_key[("moesaic-lora", "trainable_params")]
    assert full.value == full.params_total and 0 < lora.value < full.value
    assert all(row.peak_rss_mb and row.peak_rss_mb > 0 for row in rows)
    with pytest.raises(ValueError, match="option target='turbine'"):
        adaptation.run(SuiteContext(quick=True, data=root, options={**options, "target": "turbine"}))
