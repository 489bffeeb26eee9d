"""Public sensor sets (Tennessee Eastman, SKAB) in the pretraining corpus."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from moesaic.cli.adapt import pretrain as pretrain_command
from moesaic.config import ConfigError
from moesaic.data.registry import load_dataset
from moesaic.data.sets import skab, tep
from moesaic.data.windows import WindowConfig
from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import adaptation
from moesaic.moe import MoEConfig
from moesaic.tasks.pretrain import (
    CLASS_NAMES,
    CORPUS_CHANNELS,
    PretrainConfig,
    load_pretrained,
    model_config,
    pretrain,
    save_pretrained,
    series_batches,
    vocabulary,
)
from moesaic.tasks.public_corpus import (
    PUBLIC_SETS,
    SKAB_TRAIN_SHARE,
    flag_stretches,
    load_source,
    placed_windows,
    public_channels,
)
from moesaic.train import TrainConfig

WINDOWS = WindowConfig(context_length=32, stride=16)
TINY = PretrainConfig(
    num_assets=2,
    days=5,
    fault_rate=60.0,
    windows=WINDOWS,
    dim=16,
    num_heads=2,
    moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
    train=TrainConfig(lr=1e-2, max_steps=2, batch_size=16, eval_every=2, num_threads=1, log_every=2),
)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def sources(shared_data: Path) -> dict:
    return {name: load_source(name, WINDOWS, num_numeric=5, data_root=shared_data) for name in PUBLIC_SETS}


def test_flag_stretches_split_at_every_change() -> None:
    flags = np.array([0, 0, 1, 1, 1, 0, 1])
    assert list(flag_stretches(flags)) == [(0, 2), (2, 5), (5, 6), (6, 7)]
    assert list(flag_stretches(np.zeros(3))) == [(0, 3)]


def test_tep_source_reads_the_training_runs_only(sources, shared_data: Path) -> None:
    source = sources["tep"]
    runs = [s for s in load_dataset("tep", shared_data).series if s.meta["split"] == "train"]
    expected = sum((s.length - WINDOWS.context_length) // WINDOWS.stride + 1 for s in runs)
    assert len(source.windows) == expected  # the 960-sample test runs would add more
    assert source.channels == tuple(f"tep.{c}" for c in tep.CHANNELS) == public_channels("tep")
    assert source.classes[0] == "normal operation" and len(source.classes) == len(tep.FAULTS)
    assert set(source.windows.labels.tolist()) == set(range(len(tep.FAULTS)))
    assert source.windows.series.shape[1:] == (WINDOWS.context_length, len(tep.CHANNELS))


def test_skab_source_takes_the_early_part_of_each_stretch_and_labels_by_the_files_fault(
    sources, shared_data: Path
) -> None:
    source = sources["skab"]
    data = load_dataset("skab", shared_data)
    faults = sorted({str(s.meta["fault"]) for s in data.series} - {"none"})
    assert source.classes == ("normal operation", *faults)
    expected = 0
    for s in data.series:
        for start, stop in flag_stretches(s.labels["anomaly"]):
            rows = int(SKAB_TRAIN_SHARE * (stop - start))
            expected += max(0, (rows - WINDOWS.context_length) // WINDOWS.stride + 1)
    assert len(source.windows) == expected
    assert source.windows.numeric.shape == (expected, 5) and not source.windows.numeric_observed.any()
    # z-scored on the normal training rows: those windows are centred
    normal = source.windows.series[source.windows.labels == 0]
    assert abs(float(normal.mean())) < 0.5


def test_placed_windows_put_each_source_on_its_own_rows_with_offset_labels(sources) -> None:
    skab_set, tep_set = placed_windows([sources["skab"], sources["tep"]], first_column=12, first_label=9)
    assert skab_set.series.shape[2] == 12 + len(skab.CHANNELS)
    assert tep_set.series.shape[2] == 12 + len(skab.CHANNELS) + len(tep.CHANNELS)
    assert not tep_set.observed[:, :, : 12 + len(skab.CHANNELS)].any()
    assert torch.equal(tep_set.series[:, :, -len(tep.CHANNELS) :], sources["tep"].windows.series)
    assert int(skab_set.labels.min()) == 9 and int(tep_set.labels.min()) == 9 + len(sources["skab"].classes)


def test_public_sets_are_validated_and_add_vocabulary_rows() -> None:
    config = dataclasses.replace(TINY, public=["tep"])  # type: ignore[arg-type]  # a list, as YAML gives it
    assert config.public == ("tep",)
    assert vocabulary(config) == CORPUS_CHANNELS + public_channels("tep")
    assert model_config(config).encoders.max_channels == len(CORPUS_CHANNELS) + len(tep.CHANNELS)
    with pytest.raises(ConfigError, match="`public` must name distinct sets"):
        PretrainConfig(public=("tep", "ett"))
    with pytest.raises(ConfigError, match="`public` must name distinct sets"):
        PretrainConfig(public=("tep", "tep"))
    with pytest.raises(ValueError, match="unknown public sensor set 'ett'"):
        public_channels("ett")


def test_pretraining_with_public_sets_keeps_the_simulator_classes(shared_data: Path, tmp_path: Path) -> None:
    config = dataclasses.replace(TINY, public=PUBLIC_SETS)
    torch.manual_seed(0)
    result = pretrain(config, data_root=shared_data)
    assert [s.name for s in result.public] == list(PUBLIC_SETS)
    assert result.model.num_classes == len(CLASS_NAMES)
    assert result.model.head.linear.out_features == len(CLASS_NAMES)
    rows = result.model.state_dict()["backbone.encoders.timeseries.channel"].shape[0]
    assert rows == len(vocabulary(config))
    save_pretrained(tmp_path / "pre", result.model, config)
    loaded = load_pretrained(tmp_path / "pre")
    assert loaded.config.public == PUBLIC_SETS
    batch = series_batches(result.windows.val, 16)[0]
    torch.testing.assert_close(loaded.model(batch), result.model(batch))


def test_pretraining_batches_mix_every_source(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def spy(model, source, **kwargs):
        batches = source(0, torch.Generator().manual_seed(0))
        seen.extend(b.series.shape[2] for b in batches)
        raise RuntimeError("stop after one epoch")

    monkeypatch.setattr("moesaic.tasks.pretrain.train", spy)
    with pytest.raises(RuntimeError, match="stop after one epoch"):
        pretrain(dataclasses.replace(TINY, public=PUBLIC_SETS), data_root=shared_data)
    widths = {len(CORPUS_CHANNELS), len(CORPUS_CHANNELS) + len(skab.CHANNELS)}
    widths.add(len(CORPUS_CHANNELS) + len(skab.CHANNELS) + len(tep.CHANNELS))
    assert set(seen) == widths  # one source per batch, all three present
    changes = sum(a != b for a, b in itertools.pairwise(seen))
    assert changes > len(widths) - 1  # shuffled together, not one source after the other


def test_cli_pretrain_with_public_sets_and_a_bad_name(shared_data: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command(name="pretrain")(pretrain_command)
    app.command(name="other")(lambda: None)
    settings = (
        "days=6",
        "dim=16",
        "num_heads=2",
        "windows.context_length=32",
        "moe.num_experts=2",
        "moe.top_k=1",
    )
    small = [part for setting in settings for part in ("--set", setting)]
    base = ["pretrain", "--out", str(tmp_path / "pre"), "--assets", "3", "--steps", "2",
            "--data", str(shared_data)]  # fmt: skip
    result = CliRunner().invoke(app, [*base, "--public", "tep", *small])
    assert result.exit_code == 0, result.output
    assert "saved to" in result.output
    assert load_pretrained(tmp_path / "pre").config.public == ("tep",)
    result = CliRunner().invoke(app, [*base, "--public", "tep,ett", *small])
    assert result.exit_code != 0 and "`public` must name distinct sets" in result.output


def test_adaptation_suite_names_the_public_sets(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        adaptation,
        "protocol",
        lambda quick, seed, public: adaptation.Protocol(
            dataclasses.replace(TINY, public=public), 2, 0.2, 1, 1
        ),
    )
    options = {"pretrain_steps": "1", "target": "fan", "public": "tep", "tasks": "classification"}
    rows = adaptation.run(SuiteContext(quick=True, data=shared_data, options=options))
    assert {r.setting for r in rows if r.system == "moesaic-pretrain"} == {
        "types=pump+compressor+motor,public=tep"
    }
    assert {r.setting for r in rows if r.system != "moesaic-pretrain"} == {"target=fan,shots=0.2,public=tep"}
    with pytest.raises(ValueError, match="option public='tep,mimii'"):
        adaptation.run(SuiteContext(quick=True, data=shared_data, options={**options, "public": "tep,mimii"}))
