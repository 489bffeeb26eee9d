"""The training loop: learning, schedule, clipping, early stopping and exact resume."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.checkpoint import CheckpointError, load_checkpoint
from moesaic.config import ConfigError
from moesaic.data.batch import Batch as DataBatch
from moesaic.train import LossOutput, TrainConfig, batch_rows, evaluate, lr_factor, train

Batch = tuple[Tensor, Tensor]


class TinyRegressor(nn.Module):
    """A 2-layer MLP with dropout, so exact resume also needs the torch RNG state."""

    def __init__(self, *, seed: int = 0, dropout: float = 0.2) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 1))

    def forward(self, x: Tensor) -> Tensor:  # (B, 4) -> (B,)
        return self.net(x).squeeze(-1)

    def loss(self, batch: Batch) -> LossOutput:
        x, y = batch
        mse = F.mse_loss(self(x), y)
        penalty = self.net[0].weight.pow(2).mean()
        return LossOutput(mse + 1e-3 * penalty, {"mse": mse, "penalty": penalty})


def make_data(n: int = 64, *, seed: int = 1) -> Batch:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(n, generator=g)
    return x, y


X, Y = make_data()
VAL = [make_data(16, seed=2)]


def batches(epoch: int, generator: torch.Generator) -> Any:
    """8 shuffled batches of 8 per epoch; all randomness from `generator`."""
    order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), 8):
        index = order[start : start + 8]
        yield X[index], Y[index]


def fast(**overrides: Any) -> TrainConfig:
    settings: dict[str, Any] = dict(lr=1e-2, max_steps=24, warmup_steps=2, num_threads=1, log_every=1)
    return TrainConfig(**(settings | overrides))


def test_loss_decreases_and_history_records_parts() -> None:
    module = TinyRegressor()
    result = train(module, batches, config=fast(max_steps=60, lr=3e-2))
    losses = [r["loss"] for r in result.history]
    assert result.steps == 60 and len(result.history) == 60
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    assert {"step", "loss", "mse", "penalty", "lr", "grad_norm", "seconds"} <= set(result.history[0])
    assert result.best_val_loss is None and not result.stopped_early


def test_lr_factor_warmup_then_cosine_to_ten_percent() -> None:
    f = lambda s: lr_factor(s, warmup_steps=4, max_steps=13)  # noqa: E731
    assert [f(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert f(4) == 1.0
    assert f(8) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way through the 8 decay steps
    assert f(12) == pytest.approx(0.1)
    assert lr_factor(0, warmup_steps=0, max_steps=5) == 1.0


def test_history_lr_follows_the_schedule() -> None:
    config = fast(max_steps=10, warmup_steps=3)
    result = train(TinyRegressor(), batches, config=config)
    expected = [config.lr * lr_factor(s, warmup_steps=3, max_steps=10) for s in range(10)]
    assert [r["lr"] for r in result.history] == pytest.approx(expected)


def test_gradients_are_clipped_to_grad_clip() -> None:
    norms_after: list[float] = []

    def measure(step: int, module: nn.Module, record: dict[str, float]) -> None:
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        norms_after.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    result = train(TinyRegressor(), batches, config=fast(max_steps=5, grad_clip=0.05), callbacks=[measure])
    assert all(r["grad_norm"] > 0.05 for r in result.history)  # clipping was needed
    assert max(norms_after) <= 0.05 * (1 + 1e-5)


def test_early_stopping_stops_and_restores_best_weights() -> None:
    x, y = VAL[0]
    opposite = [(x, -y)]  # fitting the training data makes this validation loss worse
    snapshots: dict[int, dict[str, Tensor]] = {}

    def snapshot(step: int, module: nn.Module, record: dict[str, float]) -> None:
        snapshots[step] = {k: v.clone() for k, v in module.state_dict().items()}

    module = TinyRegressor()
    config = fast(max_steps=100, lr=3e-2, eval_every=2, patience=3)
    result = train(module, batches, config=config, val_batches=opposite, callbacks=[snapshot])
    assert result.stopped_early and result.steps == result.best_step + 3 * 2
    assert result.steps < 100
    val_losses = [r["val_loss"] for r in result.history if "val_loss" in r]
    assert result.best_val_loss == min(val_losses)
    for name, value in module.state_dict().items():
        assert torch.equal(value, snapshots[result.best_step][name]), name
    assert evaluate(module, opposite) == pytest.approx(result.best_val_loss)


def test_evaluate_weighs_each_example_alike_whatever_the_batch_sizes() -> None:
    module = TinyRegressor(dropout=0.0)
    x, y = make_data(21, seed=3)
    whole = evaluate(module, [(x, y)])
    uneven = [(x[:16], y[:16]), (x[16:], y[16:])]  # a mean of the two batch means would be off
    assert evaluate(module, uneven) == pytest.approx(whole, rel=1e-5)
    means = [float(module.loss(b).loss.detach()) for b in uneven]
    assert abs(sum(means) / 2 - whole) > 1e-3


def test_batch_rows_reads_the_leading_size_of_the_first_tensor() -> None:
    x, y = make_data(5)
    assert batch_rows((x, y)) == 5
    assert batch_rows({"names": ["a"], "x": x}) == 5
    assert batch_rows(DataBatch(series=torch.zeros(3, 4, 2))) == 3
    assert batch_rows(("no tensor",)) == 1


class Kill(RuntimeError):
    pass


def kill_at(k: int) -> Any:
    def callback(step: int, module: nn.Module, record: dict[str, float]) -> None:
        if step == k:
            raise Kill(f"simulated kill at step {k}")

    return callback


@pytest.mark.parametrize(
    "kill_step", [9, 15], ids=["right-after-checkpoint-at-epoch-end", "between-checkpoints"]
)
def test_interrupted_run_resumes_bit_identical(tmp_path: Path, kill_step: int) -> None:
    config = fast(checkpoint_every=4, eval_every=3, patience=50)
    reference = TinyRegressor()
    full = train(reference, batches, config=config, val_batches=VAL)

    folder = tmp_path / "ckpt"
    with pytest.raises(Kill):
        train(
            TinyRegressor(),
            batches,
            config=config,
            val_batches=VAL,
            checkpoint_dir=folder,
            callbacks=[kill_at(kill_step)],
        )
    saved = load_checkpoint(folder)
    assert saved.step == (kill_step - 1) // 4 * 4  # the step-k checkpoint is written after the callbacks
    assert saved.best_state is not None

    fresh = TinyRegressor(seed=123)  # different initial weights: everything must come from the checkpoint
    resumed = train(fresh, batches, config=config, val_batches=VAL, checkpoint_dir=folder, resume=True)
    assert resumed.steps == full.steps and resumed.best_step == full.best_step
    assert resumed.best_val_loss == full.best_val_loss
    for name, value in reference.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name
    strip = lambda history: [{k: v for k, v in r.items() if k != "seconds"} for r in history]  # noqa: E731
    assert strip(resumed.history) == strip(full.history)


def test_resume_false_starts_over_and_a_finished_run_returns_at_once(tmp_path: Path) -> None:
    config = fast(max_steps=6, checkpoint_every=2)
    first = TinyRegressor()
    train(first, batches, config=config, checkpoint_dir=tmp_path / "c")
    again = TinyRegressor(seed=5)
    result = train(again, batches, config=config, checkpoint_dir=tmp_path / "c")  # already finished
    assert result.steps == 6 and len(result.history) == 6
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters(), strict=True))
    restart = TinyRegressor()
    train(restart, batches, config=config, checkpoint_dir=tmp_path / "c", resume=False)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), restart.parameters(), strict=True))


def test_sequence_of_batches_is_shuffled_reproducibly() -> None:
    data = list(batches(0, torch.Generator().manual_seed(0)))
    a, b = TinyRegressor(), TinyRegressor()
    train(a, data, config=fast(max_steps=12))
    train(b, data, config=fast(max_steps=12))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_checkpoint_of_another_module_is_refused(tmp_path: Path) -> None:
    train(TinyRegressor(), batches, config=fast(max_steps=2, warmup_steps=0), checkpoint_dir=tmp_path / "c")

    class Wider(TinyRegressor):
        def __init__(self) -> None:
            super().__init__()
            self.net[0] = nn.Linear(4, 16, bias=False)

    with pytest.raises(CheckpointError, match="does not fit this module"):
        train(Wider(), batches, config=fast(max_steps=4), checkpoint_dir=tmp_path / "c")


def test_checkpoint_dir_with_foreign_files_fails_before_training(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match=r"not part of a checkpoint \['notes.txt'\]"):
        train(TinyRegressor(), batches, config=fast(), checkpoint_dir=tmp_path, callbacks=[kill_at(1)])
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_config_errors_are_reported_together() -> None:
    with pytest.raises(ConfigError, match="`lr` must be > 0, got 0") as info:
        TrainConfig(lr=0, max_steps=0, grad_clip=-1.0)
    assert len(info.value.problems) == 4  # lr, warmup_steps, max_steps, grad_clip
    with pytest.raises(ConfigError, match=r"`max_steps` must be an integer, got 1\.5"):
        TrainConfig(max_steps=1.5)  # type: ignore[arg-type]


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="must define loss"):
        train(nn.Linear(2, 2), batches, config=fast())
    with pytest.raises(TypeError, match="one-shot iterator"):
        train(TinyRegressor(), iter(list(batches(0, torch.Generator()))), config=fast())
    with pytest.raises(ValueError, match="yielded no batches for epoch 0"):
        train(TinyRegressor(), lambda epoch, g: [], config=fast())

    class Exploding(TinyRegressor):
        def loss(self, batch: Batch) -> LossOutput:
            return LossOutput(torch.tensor(math.nan, requires_grad=True), {})

    with pytest.raises(FloatingPointError, match="training loss is nan at step 1"):
        train(Exploding(), batches, config=fast())
