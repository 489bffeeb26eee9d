"""The collapse study on a tiny simulated plant: hooks, metrics, rows, checkpoints and `moesaic inspect`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import typer
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from moesaic.cli.inspect import inspect
from moesaic.data.simulator import SimulatorConfig
from moesaic.data.windows import WindowConfig
from moesaic.eval import bench
from moesaic.eval.collapse_study import (
    CollapseLogger,
    StudyData,
    StudyResult,
    build_windows,
    collapse_per_layer,
    collect_layer_inputs,
    modality_contribution,
    prepare_data,
    run_configuration,
    save_study_checkpoint,
    task_loss,
)
from moesaic.eval.suites import collapse as suite
from moesaic.heads import FaultClassifier
from moesaic.moe.modality import MODALITIES
from moesaic.train import TrainConfig

PLANT = SimulatorConfig(num_assets=4, days=10, seed=0, fault_rate=24.0)
WINDOWS = WindowConfig(context_length=32, stride=16, max_text_length=8, image_size=32)
TRAIN = TrainConfig(lr=2e-3, max_steps=4, batch_size=8, log_every=2, num_threads=1, checkpoint_every=4)
METRICS = {"task_loss", "utilisation_min", "utilisation_max", "dead_experts", "load_gini", "expert_cosine",
           "expert_cka", "effective_rank"}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    """A model this small runs fastest on one thread, above all on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data() -> StudyData:
    return prepare_data(build_windows(PLANT, WINDOWS), batch_size=8, probe_size=8)


@pytest.fixture(scope="module")
def result(data: StudyData) -> StudyResult:
    config = suite.model_config(data.windows, suite.CONFIGURATIONS[1])  # top-2, no balance loss
    return run_configuration("moesaic-topk", "balance_loss=0", config, data, TRAIN)


def _model(data: StudyData, index: int) -> FaultClassifier:
    config = suite.model_config(data.windows, suite.CONFIGURATIONS[index])
    return FaultClassifier(config, num_classes=len(data.windows.class_names))


def test_hooks_capture_each_feed_forward_input(data: StudyData) -> None:
    model = _model(data, 0)
    inputs = collect_layer_inputs(model, data.probe)
    assert len(inputs) == model.config.num_layers
    B, N = inputs[0].mask.shape
    assert data.probe.size == B and inputs[0].tokens.shape == (B, N, 64)
    assert set(inputs[0].modality[inputs[0].mask].tolist()) == {0, 1, 2, 3}
    assert model.training  # the mode is restored


def test_collapse_reports_for_sparse_and_dense_layers(data: StudyData) -> None:
    sparse = collapse_per_layer(_model(data, 0), data.probe)
    assert len(sparse) == 2
    assert sparse[0].utilisation.shape == (8,) and math.isclose(sparse[0].utilisation.sum(), 1.0)
    assert sparse[0].modality_matrix is not None and sparse[0].modality_matrix.shape == (len(MODALITIES), 8)
    dense_index = [c.system for c in suite.CONFIGURATIONS].index("moesaic-dense")
    dense = collapse_per_layer(_model(data, dense_index), data.probe)
    assert dense[0].utilisation.tolist() == [1.0] and dense[0].gini == 0.0
    assert math.isnan(dense[0].expert_cosine) and dense[0].effective_rank > 1


def test_modality_contribution_covers_every_modality(data: StudyData) -> None:
    model = _model(data, 0)
    contribution = modality_contribution(model, data.val)
    assert set(contribution) == set(MODALITIES)
    assert all(math.isfinite(v) for v in contribution.values())
    assert task_loss(model, data.val) > 0


def test_logger_adds_per_layer_scalars_every_n_steps(data: StudyData) -> None:
    logger = CollapseLogger(data.probe, every=2)
    model = _model(data, 0)
    quiet: dict[str, float] = {}
    logger(1, model, quiet)
    assert quiet == {}
    first: dict[str, float] = {}
    logger(2, model, first)
    assert {"l0.gini", "l1.num_dead", "l0.utilisation_min", "l1.expert_cka"} <= set(first)
    second: dict[str, float] = {}
    logger(4, model, second)
    assert second["l0.consistency"] == 1.0  # same weights, same probe: same top-1 experts


def test_rows_follow_the_contract(result: StudyResult) -> None:
    rows = suite.result_rows(result)
    assert {r.metric for r in rows} == METRICS | {"modality_contribution"}
    assert all(r.system == "moesaic-topk" and r.source == "measured" for r in rows)
    assert all(getattr(r, f) is not None for r in rows for f in bench.MEASURED_FIELDS)
    settings = sorted(r.setting for r in rows if r.metric == "modality_contribution")
    assert settings == sorted(f"balance_loss=0,modality={m}" for m in MODALITIES)
    assert result.params.active < result.params.total
    assert any("l0.gini" in record for record in result.history)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(inspect)
    return app


def test_inspect_prints_the_table_and_writes_plots(result: StudyResult, tmp_path: Path) -> None:
    folder = tmp_path / "moesaic-topk-balance_loss=0"
    save_study_checkpoint(folder, result, plant=PLANT, windows=WINDOWS, variant="", probe_size=8)
    out = tmp_path / "plots"
    run = CliRunner().invoke(_cli(), [str(folder), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "collapse on 8 probe windows" in run.output and "logged during training" in run.output
    assert {p.name for p in out.iterdir()} == {"load.png", "modality.png", "similarity.png"}
    assert (out / "load.png").read_bytes()[:4] == b"\x89PNG"


def test_inspect_reports_a_missing_or_tampered_checkpoint(result: StudyResult, tmp_path: Path) -> None:
    run = CliRunner().invoke(_cli(), [str(tmp_path / "nowhere")])
    assert (
        run.exit_code == 2 and "expected a checkpoint folder" in run.output and "found nothing" in run.output
    )
    folder = tmp_path / "ckpt"
    save_study_checkpoint(folder, result, plant=PLANT, windows=WINDOWS, variant="", probe_size=8)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8])
    run = CliRunner().invoke(_cli(), [str(folder)])
    assert run.exit_code == 2 and "checksum mismatch" in run.output
    assert "Traceback" not in run.output


def test_suite_writes_rows_and_one_checkpoint_per_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = suite.Protocol(PLANT, WINDOWS, steps=2, batch_size=8, log_every=1, probe_size=4)
    monkeypatch.setattr(suite, "protocol", lambda quick, seed: tiny)
    chosen = [c for c in suite.CONFIGURATIONS if c.setting == "balance_loss=0" or c.system == "moesaic-dense"]
    monkeypatch.setattr(suite, "CONFIGURATIONS", tuple(chosen))
    ctx = bench.SuiteContext(quick=True, options={"checkpoints": str(tmp_path / "ckpt")})
    torch.manual_seed(0)
    written = bench.run_suite("collapse", ctx, out=tmp_path, command="moesaic bench collapse --quick")
    rows = json.loads(written.json_path.read_text())["rows"]
    assert {r["system"] for r in rows} == {"moesaic-topk", "moesaic-dense"}
    dense = {r["metric"] for r in rows if r["system"] == "moesaic-dense"}
    assert "expert_cosine" not in dense and {"task_loss", "utilisation_max", "effective_rank"} <= dense
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "moesaic-dense",
        "moesaic-topk-balance_loss=0",
    ]
