"""Safe checkpoints: round trips, verification of every file, atomic replacement, no pickle."""

from __future__ import annotations

import ast
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import moesaic.checkpoint as checkpoint_module
from moesaic.checkpoint import (
    CheckpointError,
    capture_rng_state,
    check_model_folder,
    load_checkpoint,
    load_model_state,
    load_weights,
    model_kind,
    restore_rng_state,
    save_checkpoint,
    save_model,
)


def trained_parts() -> tuple[nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    module = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    optimizer = torch.optim.AdamW(module.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 / (s + 1))
    for _ in range(2):
        module(torch.randn(4, 3)).pow(2).mean().backward()
        optimizer.step()
        scheduler.step()
    return module, optimizer, scheduler


def write(folder: Path, *, step: int = 7, best: bool = True) -> nn.Module:
    module, optimizer, scheduler = trained_parts()
    save_checkpoint(
        folder,
        model_state=module.state_dict(),
        optimizer_state=optimizer.state_dict(),
        scheduler_state=scheduler.state_dict(),
        step=step,
        rng_state=capture_rng_state(),
        config={"lr": 0.1, "max_steps": 10},
        extra={"epoch": 1, "history": [{"step": 1, "loss": 0.5}]},
        best_state=module.state_dict() if best else None,
    )
    return module


def test_round_trip_restores_every_part(tmp_path: Path) -> None:
    module, optimizer, scheduler = trained_parts()
    rng = capture_rng_state()
    expected_draws = (torch.rand(3), np.random.rand(3), [random.random() for _ in range(3)])
    save_checkpoint(
        tmp_path / "c",
        model_state=module.state_dict(),
        optimizer_state=optimizer.state_dict(),
        scheduler_state=scheduler.state_dict(),
        step=2,
        rng_state=rng,
        config={"lr": 0.1},
        extra={"epoch": 0, "consumed": 2},
    )
    loaded = load_checkpoint(tmp_path / "c")
    assert loaded.step == 2 and loaded.config == {"lr": 0.1} and loaded.extra == {"epoch": 0, "consumed": 2}
    assert loaded.best_state is None
    for name, value in module.state_dict().items():
        assert torch.equal(loaded.model_state[name], value)

    _, other_optimizer, other_scheduler = trained_parts()
    other_optimizer.load_state_dict(loaded.optimizer_state)
    other_scheduler.load_state_dict(loaded.scheduler_state)
    original = optimizer.state_dict()
    restored = other_optimizer.state_dict()
    assert restored["param_groups"] == original["param_groups"]  # betas come back as a tuple
    for index, state in original["state"].items():
        for key, value in state.items():
            assert torch.equal(restored["state"][index][key], value), (index, key)
    assert other_scheduler.state_dict() == scheduler.state_dict()

    restore_rng_state(loaded.rng_state)
    assert torch.equal(torch.rand(3), expected_draws[0])
    assert np.array_equal(np.random.rand(3), expected_draws[1])
    assert [random.random() for _ in range(3)] == expected_draws[2]


def test_tied_weights_are_saved(tmp_path: Path) -> None:
    module = nn.Sequential(nn.Linear(4, 4, bias=False), nn.Linear(4, 4, bias=False))
    module[1].weight = module[0].weight
    save_model(tmp_path / "m", module, {"dim": 4})
    state, config = load_model_state(tmp_path / "m")
    assert config == {"dim": 4}
    assert torch.equal(state["0.weight"], state["1.weight"])


def test_tampered_byte_is_a_checksum_mismatch(tmp_path: Path) -> None:
    write(tmp_path / "c")
    path = tmp_path / "c" / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    message = f"{re.escape(str(path))}: checksum mismatch, the file was modified or truncated"
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "c")


def test_truncated_file_is_reported_by_name(tmp_path: Path) -> None:
    write(tmp_path / "c")
    path = tmp_path / "c" / "best.safetensors"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CheckpointError, match=r"best\.safetensors: checksum mismatch"):
        load_checkpoint(tmp_path / "c")


def test_truncated_file_with_matching_checksum_fails_to_parse(tmp_path: Path) -> None:
    """A checksum rewritten to match still cannot smuggle in a broken safetensors header."""
    import hashlib

    save_model(tmp_path / "m", nn.Linear(2, 2), {})
    path = tmp_path / "m" / "model.safetensors"
    broken = path.read_bytes()[:20]
    path.write_bytes(broken)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["sha256"]["model.safetensors"] = hashlib.sha256(broken).hexdigest()
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"model\.safetensors: not a valid safetensors file"):
        load_model_state(tmp_path / "m")


def test_missing_file_is_named(tmp_path: Path) -> None:
    write(tmp_path / "c")
    (tmp_path / "c" / "optimizer.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"optimizer\.safetensors: file missing"):
        load_checkpoint(tmp_path / "c")
    with pytest.raises(
        CheckpointError, match=r"checkpoint\.json: file missing; .* is not a training checkpoint"
    ):
        load_checkpoint(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d | {"format_version": 99}, r"unknown format_version 99; this moesaic reads \[1\]"),
        (lambda d: {k: v for k, v in d.items() if k != "step"}, "missing key 'step'"),
    ],
)
def test_unknown_version_or_missing_key_is_clear(tmp_path: Path, edit: Any, message: str) -> None:
    write(tmp_path / "c")
    path = tmp_path / "c" / "checkpoint.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "c")


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    write(tmp_path / "c")
    (tmp_path / "c" / "checkpoint.json").write_text('{\n "format_version": 1,\n oops\n}')
    with pytest.raises(CheckpointError, match=r"checkpoint\.json: not valid JSON \(line 3, column 2"):
        load_checkpoint(tmp_path / "c")


def test_interrupted_save_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "c", step=3)

    def crash(path: Path, text: str) -> None:
        raise KeyboardInterrupt("killed while writing checkpoint.json")

    monkeypatch.setattr(checkpoint_module, "write_text_atomic", crash)
    with pytest.raises(KeyboardInterrupt):
        write(tmp_path / "c", step=4)
    assert load_checkpoint(tmp_path / "c").step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # no temporary folder left behind


def test_folder_with_foreign_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match=r"not part of a checkpoint \['notes.txt'\]"):
        write(tmp_path / "run")
    assert (tmp_path / "run" / "notes.txt").read_text() == "keep me"


def test_model_round_trip_and_tampering(tmp_path: Path) -> None:
    module = nn.Linear(3, 2)
    save_model(tmp_path / "m", module, {"dim": 3, "names": ["a"]})
    state, config = load_model_state(tmp_path / "m")
    assert config == {"dim": 3, "names": ["a"]}
    assert all(torch.equal(state[k], v) for k, v in module.state_dict().items())
    path = tmp_path / "m" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_model_state(tmp_path / "m")


def test_checkpoint_source_never_uses_pickle() -> None:
    source = Path(checkpoint_module.__file__).read_text(encoding="utf-8")
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not imported & {"pickle", "dill", "cloudpickle", "joblib", "marshal"}
    # safetensors.torch.load/save are the safe ones; a bare torch.load/save would unpickle.
    for pattern in (r"\bpickle\b", r"(?<![\w.])torch\.(load|save)\b", r"weights_only"):
        assert not re.search(pattern, source), pattern


def test_model_state_of_another_kind_is_refused_with_both_kinds(tmp_path: Path) -> None:
    save_model(tmp_path / "m", nn.Linear(2, 2), {"kind": "moesaic.adapter"})
    assert model_kind(tmp_path / "m") == "moesaic.adapter"
    assert load_model_state(tmp_path / "m", kind="moesaic.adapter").config["kind"] == "moesaic.adapter"
    with pytest.raises(
        CheckpointError, match=r"not a pretrained forecaster checkpoint \(kind 'moesaic.adapter'\)"
    ):
        load_model_state(tmp_path / "m", kind="moesaic.pretrained_forecaster", what="a pretrained forecaster")
    with pytest.raises(CheckpointError, match="not 'other' checkpoint"):
        load_model_state(tmp_path / "m", kind="other")


def test_a_model_of_another_kind_is_never_saved_over(tmp_path: Path) -> None:
    save_model(tmp_path / "m", nn.Linear(2, 2), {"kind": "moesaic.pretrained_forecaster"})
    with pytest.raises(
        CheckpointError, match=r"kind 'moesaic.pretrained_forecaster'; saving one of kind 'a'"
    ):
        check_model_folder(tmp_path / "m", "a")
    with pytest.raises(CheckpointError, match="would replace it"):
        save_model(tmp_path / "m", nn.Linear(2, 2), {"kind": "a"})
    assert model_kind(tmp_path / "m") == "moesaic.pretrained_forecaster"
    save_model(tmp_path / "m", nn.Linear(2, 3), {"kind": "moesaic.pretrained_forecaster"})  # same kind
    assert load_model_state(tmp_path / "m").state_dict["weight"].shape == (3, 2)
    (tmp_path / "m" / "config.json").write_text("{broken")  # nothing loadable left to lose
    check_model_folder(tmp_path / "m", "a")


def test_weights_holding_nan_are_refused_by_name(tmp_path: Path) -> None:
    module = nn.Linear(2, 2)
    with torch.no_grad():
        module.bias[0] = float("nan")
    save_model(tmp_path / "m", module, {})
    with pytest.raises(CheckpointError, match=r"model.safetensors: 1 tensor\(s\) hold NaN \(bias\)"):
        load_model_state(tmp_path / "m")


def test_weights_that_do_not_fit_name_missing_unexpected_and_reshaped_tensors(tmp_path: Path) -> None:
    saved = {"0.weight": torch.zeros(4, 3), "0.bias": torch.zeros(5), "extra": torch.zeros(1)}
    with pytest.raises(CheckpointError) as caught:
        load_weights(nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2)), saved, tmp_path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "model.safetensors"))
    assert "2 missing (1.bias, 1.weight)" in message and "1 unexpected (extra)" in message
    assert "1 of another shape (0.weight saved (4, 3), built (5, 3))" in message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("step", "7", r"'step' is a string; expected an integer"), ("extra", None, r"'extra' is null")],
)
def test_a_key_of_the_wrong_json_type_is_named(tmp_path: Path, key: str, value: Any, message: str) -> None:
    write(tmp_path / "run")
    path = tmp_path / "run" / "checkpoint.json"
    document = json.loads(path.read_text())
    document[key] = value
    path.write_text(json.dumps(document))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "run")


def test_a_checkpoint_error_is_one_line() -> None:
    assert str(CheckpointError("bad config:\n  - a: too big\n  - b: missing\n")) == (
        "bad config: - a: too big - b: missing"
    )
