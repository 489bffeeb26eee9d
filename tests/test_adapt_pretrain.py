"""Pretraining on simulated plant types and few-shot adaptation to the held-out type, tiny and seeded."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.adapt.methods import AdaptConfig, few_shot_indices, load_adapter
from moesaic.checkpoint import CheckpointError
from moesaic.cli.adapt import _fraction, adapt
from moesaic.cli.adapt import pretrain as pretrain_command
from moesaic.config import ConfigError
from moesaic.data.windows import WindowConfig
from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import adaptation
from moesaic.moe import MoEConfig
from moesaic.tasks.few_shot import adapt_classifier
from moesaic.tasks.pretrain import (
    CLASS_NAMES,
    CORPUS_CHANNELS,
    PretrainConfig,
    align_channels,
    baseline_features,
    evaluate_classifier,
    load_pretrained,
    plant_windows,
    pretrain,
    save_pretrained,
    series_batches,
)
from moesaic.train import TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")


TINY = PretrainConfig(
    num_assets=3,
    days=6,
    fault_rate=60.0,
    windows=WindowConfig(context_length=32, stride=16),
    dim=16,
    num_heads=2,
    moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
    train=TrainConfig(lr=1e-2, max_steps=2, batch_size=8, eval_every=2, num_threads=1, log_every=2),
)


@pytest.fixture(scope="module")
def pretrained() -> tuple:
    torch.manual_seed(0)
    return pretrain(TINY)


def test_corpus_leaves_out_the_held_out_type_and_target_is_only_that_type() -> None:
    assert "fan" not in TINY.corpus_plant().asset_types
    assert TINY.target_plant(num_assets=2, seed=0).asset_types == ("fan",)
    assert TINY.target_plant(num_assets=2, seed=0).seed != TINY.corpus_plant().seed
    with pytest.raises(ConfigError, match="`held_out` must be one of"):
        PretrainConfig(held_out="turbine")


def test_align_channels_puts_each_channel_in_its_corpus_column(pretrained) -> None:
    windows = pretrained.windows.train
    assert windows.series.shape[2] == len(CORPUS_CHANNELS)
    aligned = align_channels(
        dataclasses.replace(windows, series=windows.series[:, :, :2], observed=windows.observed[:, :, :2]),
        ("voltage", "flow"),
    )
    voltage, flow = CORPUS_CHANNELS.index("voltage"), CORPUS_CHANNELS.index("flow")
    torch.testing.assert_close(aligned.series[:, :, voltage], windows.series[:, :, 0])
    torch.testing.assert_close(aligned.series[:, :, flow], windows.series[:, :, 1])
    assert int(aligned.observed.sum()) == int(windows.observed[:, :, :2].sum())
    with pytest.raises(ValueError, match=r"channels \['thrust'\] are not corpus channels"):
        align_channels(windows, ("thrust",) * windows.series.shape[2])


def test_baseline_features_measure_the_shift_from_the_assets_own_history(pretrained) -> None:
    train = pretrained.windows.train
    features, observed = baseline_features(train, train)
    C = len(CORPUS_CHANNELS)
    assert features.shape == observed.shape == (len(train), 2 * C)
    assert torch.equal(observed[:, :C], train.observed.any(dim=1))  # a channel never seen is masked
    assert (features[~observed] == 0).all()
    c = int(train.observed.any(dim=1).float().mean(dim=0).argmax())  # a channel most windows have
    shifted = dataclasses.replace(
        train, series=train.series + 1e3 * train.observed.float() * (torch.arange(C) == c).float()
    )
    moved, _ = baseline_features(shifted, train)
    rows = observed[:, c]
    assert (moved[rows, c] > features[rows, c]).all()  # a higher level is a positive shift
    torch.testing.assert_close(moved[:, C + c], features[:, C + c], atol=1e-4, rtol=1e-4)  # same spread
    with pytest.raises(ValueError, match="have no reference window"):
        baseline_features(train, dataclasses.replace(train, asset_ids=("other",) * len(train)))


def test_series_batches_cover_every_window_once_in_order(pretrained) -> None:
    windows = pretrained.windows.val
    batches = series_batches(windows, 5)
    assert torch.equal(torch.cat([b.targets["label"] for b in batches]), windows.labels)
    assert all(b.modalities() == ["timeseries", "tabular"] for b in batches)


def test_pretrained_checkpoint_round_trip(pretrained, tmp_path: Path) -> None:
    save_pretrained(tmp_path / "pre", pretrained.model, TINY)
    model, config = load_pretrained(tmp_path / "pre")
    assert config == TINY
    batch = series_batches(pretrained.windows.val, 4)[0]
    torch.testing.assert_close(model(batch), pretrained.model.eval()(batch))
    assert pretrained.model.head.linear.out_features == len(CLASS_NAMES)
    with pytest.raises(CheckpointError, match=r"config\.json"):
        load_pretrained(tmp_path)


def test_zero_shot_trains_nothing_and_lora_trains_few(pretrained) -> None:
    target = plant_windows(TINY.target_plant(num_assets=2, seed=0), TINY.windows)
    model = pretrained.model
    before = evaluate_classifier(model, target.val)
    train_config = dataclasses.replace(TINY.train, max_steps=2)
    labelled = few_shot_indices(target.train.labels, fraction=0.2, seed=0)
    zero = adapt_classifier(
        model,
        target.train,
        adapt=AdaptConfig(method="zeroshot"),
        train_config=train_config,
        labelled=labelled,
    )
    assert zero.run is None and zero.adaptation.trainable_params == 0
    assert evaluate_classifier(model, target.val) == before
    lora = adapt_classifier(
        copy.deepcopy(model),
        target.train,
        adapt=AdaptConfig(method="lora"),
        train_config=train_config,
        labelled=labelled,
    )
    assert lora.run is not None and lora.run.steps == 2
    assert 0 < lora.adaptation.trainable_params < 0.2 * lora.adaptation.total_params
    assert 0 < lora.shots < len(target.train)


def test_shots_are_a_count_or_a_share() -> None:
    assert _fraction("5%", 700, "windows") == pytest.approx(0.05)
    assert _fraction("35", 700, "windows") == pytest.approx(0.05)
    with pytest.raises(ValueError, match="a count like 40 or a share like 5%"):
        _fraction("few", 700, "windows")
    with pytest.raises(
        ValueError,
        match=r"'800' asks for 800 of the 700 windows \(114%\); it must be more than 0 and at most all",
    ):
        _fraction("800", 700, "windows")


def test_cli_pretrain_then_adapt(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command(name="pretrain")(pretrain_command)
    app.command(name="adapt")(adapt)
    runner = CliRunner()
    overrides = [
        "--set",
        "days=6",
        "--set",
        "dim=16",
        "--set",
        "num_heads=2",
        "--set",
        "windows.context_length=32",
        "--set",
        "moe.num_experts=2",
        "--set",
        "moe.top_k=1",
        "--set",
        "train.batch_size=8",
    ]
    result = runner.invoke(
        app,
        [
            "pretrain",
            "--out",
            str(tmp_path / "pre"),
            "--assets",
            "3",
            "--steps",
            "2",
            "--public",
            "none",
            *overrides,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "saved to" in result.output
    result = runner.invoke(
        app,
        [
            "adapt",
            "--pretrained",
            str(tmp_path / "pre"),
            "--method",
            "head",
            "--shots",
            "20%",
            "--target-assets",
            "2",
            "--steps",
            "2",
            "--out",
            str(tmp_path / "ad"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
    model, _ = load_pretrained(tmp_path / "pre")
    assert load_adapter(tmp_path / "ad", model).config["target"] == "fan"
    result = runner.invoke(app, ["adapt", "--pretrained", str(tmp_path / "pre"), "--method", "adapter"])
    assert result.exit_code == 2 and "`method` must be one of" in result.output


def test_adaptation_suite_rows_follow_the_contract(
    pretrained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        adaptation, "protocol", lambda quick, seed, public: adaptation.Protocol(TINY, 2, 0.2, 1, 2)
    )
    save_pretrained(tmp_path / "pre", pretrained.model, TINY)
    options = {"pretrained": str(tmp_path / "pre"), "target": "fan", "tasks": "classification"}
    rows = adaptation.run(SuiteContext(quick=True, options=options))
    systems = {row.system for row in rows}
    assert systems == {f"moesaic-{s}" for s in adaptation.SYSTEMS}
    by_key = {(row.system, row.metric): row for row in rows}
    metrics = ("macro_f1", "accuracy", "macro_f1_std", "accuracy_std", "trainable_params", "labelled_windows")
    assert set(by_key) == {(s, m) for s in systems for m in metrics}
    assert by_key[("moesaic-zeroshot", "trainable_params")].value == 0
    head, lora = by_key[("moesaic-head", "trainable_params")], by_key[("moesaic-lora", "trainable_params")]
    assert 0 < head.value < lora.value < 0.2 * lora.params_total  # LoRA adds a little to the head
    full = by_key[("moesaic-full", "trainable_params")]
    assert by_key[("moesaic-scratch", "trainable_params")].value == full.value == full.params_total
    assert all(row.setting == "target=fan,shots=0.2" and row.dataset == "simulated_fan" for row in rows)
    assert all(0 <= by_key[(s, "macro_f1")].value <= 1 for s in systems)
    labelled = by_key[("moesaic-lora", "labelled_windows")].value
    assert labelled == by_key[("moesaic-full", "labelled_windows")].value > 0


def test_adaptation_suite_pretrains_when_given_no_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        adaptation, "protocol", lambda quick, seed, public: adaptation.Protocol(TINY, 2, 0.2, 1, 1)
    )
    options = {"pretrain_steps": "1", "target": "fan", "public": "none", "tasks": "classification"}
    rows = adaptation.run(SuiteContext(quick=True, options=options))
    pretrain_rows = [row for row in rows if row.system == "moesaic-pretrain"]
    assert {row.metric for row in pretrain_rows} == {"accuracy", "macro_f1"}
    assert all(
        row.setting == "types=pump+compressor+motor" and row.train_seconds > 0 for row in pretrain_rows
    )
    assert not any(row.metric.endswith("_std") for row in rows)  # one draw: no spread to report
