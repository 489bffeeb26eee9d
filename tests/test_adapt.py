"""LoRA, prefix-tuning and parameter selection: the invariants of an adapter, on a tiny backbone."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from moesaic.adapt import (
    AdaptConfig,
    LoRAConfig,
    PrefixConfig,
    apply_lora,
    apply_prefix,
    few_shot_indices,
    load_adapter,
    lora_parameters,
    merge_lora,
    prefix_parameters,
    prepare_adaptation,
    remove_lora,
    remove_prefix,
    save_adapter,
    unmerge_lora,
)
from moesaic.checkpoint import CheckpointError
from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.heads import FaultClassifier
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.train import TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")


CONFIG = ModelConfig(
    encoders=EncoderConfig(dim=16, modalities=("timeseries",), patch_len=8, max_patches=4, max_channels=3),
    moe=MoEConfig(num_experts=4, top_k=2, expert_hidden=16),
    num_layers=2,
    num_heads=2,
)


def make_model() -> FaultClassifier:
    torch.manual_seed(0)
    return FaultClassifier(CONFIG, num_classes=3).eval()


def make_batch(size: int = 6) -> Batch:
    generator = torch.Generator().manual_seed(1)
    labels = torch.arange(size) % 3
    series = torch.randn(size, 32, 3, generator=generator) + labels[:, None, None].float()
    return Batch(series=series, targets={"label": labels})


def randomise(tensors: dict[str, torch.Tensor]) -> None:
    """Give adapter tensors non-trivial values, as training would."""
    with torch.no_grad():
        for tensor in tensors.values():
            tensor.normal_(std=0.5)


def fit(model: nn.Module, steps: int = 3) -> None:
    config = TrainConfig(lr=1e-2, max_steps=steps, num_threads=1, log_every=steps, checkpoint_every=steps)
    train(model, [make_batch()], config=config)
    model.eval()


def test_lora_at_init_equals_base() -> None:
    model, batch = make_model(), make_batch()
    before = model(batch)
    apply_lora(model, LoRAConfig(targets=("*attn", "*attn.out_proj", "*experts.*.up")))
    torch.testing.assert_close(model(batch), before)


def test_lora_targets_matching_nothing_list_the_real_layers() -> None:
    with pytest.raises(
        ValueError, match=r"no nn.Linear .* matches the LoRA targets \['q_proj'\].*backbone.blocks.0.attn"
    ):
        apply_lora(make_model(), LoRAConfig(targets=("q_proj",)))


def test_lora_training_changes_only_adapter_weights() -> None:
    model = make_model()
    adaptation = prepare_adaptation(model, AdaptConfig(method="lora", head=()))
    assert adaptation.trainable and all("lora_" in n for n in adaptation.trainable)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    fit(model)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == {n for n in adaptation.trainable if n.endswith("lora_b")} | {
        n for n in adaptation.trainable if n.endswith("lora_a")
    }


def test_lora_merged_equals_unmerged_and_unmerge_restores_weights() -> None:
    model, batch = make_model(), make_batch()
    apply_lora(model, LoRAConfig(targets=("*attn", "*experts.*.down")))
    randomise(lora_parameters(model))
    unmerged = model(batch)
    stored = {n: p.detach().clone() for n, p in model.named_parameters() if n.endswith(".original")}
    assert merge_lora(model) == 2 * (1 + 4)  # per layer: the attention and 4 experts
    torch.testing.assert_close(model(batch), unmerged, atol=1e-5, rtol=1e-5)
    assert unmerge_lora(model) == 10
    torch.testing.assert_close(model(batch), unmerged)
    for name, value in stored.items():
        torch.testing.assert_close(dict(model.named_parameters())[name], value, atol=1e-6, rtol=0)


def test_remove_lora_keeps_or_drops_the_update() -> None:
    batch = make_batch()
    base = make_model()
    expected_base = base(batch)
    for merge in (True, False):
        model = make_model()
        apply_lora(model, LoRAConfig())
        randomise(lora_parameters(model))
        adapted = model(batch)
        remove_lora(model, merge=merge)
        assert not lora_parameters(model)
        assert set(model.state_dict()) == set(base.state_dict())
        torch.testing.assert_close(model(batch), adapted if merge else expected_base, atol=1e-5, rtol=1e-5)


def test_prefix_adds_trainable_tokens_per_layer_and_removes_cleanly() -> None:
    model, batch = make_model(), make_batch()
    before = model(batch)
    names = apply_prefix(model, PrefixConfig(length=3))
    assert names == ["backbone.blocks.0.attn", "backbone.blocks.1.attn"]
    prefixes = prefix_parameters(model)
    assert sum(p.numel() for p in prefixes.values()) == 2 * 2 * 3 * 16  # layers x (key, value) x P x D
    assert [n for n, p in model.named_parameters() if p.requires_grad] == list(prefixes)
    assert model(batch).shape == before.shape
    assert not torch.allclose(model(batch), before)  # the prefix is attended to
    remove_prefix(model)
    torch.testing.assert_close(model(batch), before)


def test_prefix_training_changes_only_prefix_and_head() -> None:
    model = make_model()
    adaptation = prepare_adaptation(model, AdaptConfig(method="prefix"))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    fit(model)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == set(adaptation.trainable)
    assert {n.rpartition(".")[0] for n in changed} == {
        "backbone.blocks.0.attn",
        "backbone.blocks.1.attn",
        "head.norm",
        "head.linear",
    }


def test_prefix_targets_matching_nothing_list_the_attention_layers() -> None:
    with pytest.raises(ValueError, match=r"attention layers in this model: \['backbone.blocks.0.attn'"):
        apply_prefix(make_model(), PrefixConfig(targets=("*.ffn",)))


@pytest.mark.parametrize(
    ("method", "expected"),
    [("zeroshot", set()), ("head", {"head"}), ("full", {"head", "backbone"})],
)
def test_methods_select_their_parameters(method: str, expected: set[str]) -> None:
    model = make_model()
    adaptation = prepare_adaptation(model, AdaptConfig(method=method))
    assert {n.partition(".")[0] for n in adaptation.trainable} == expected
    assert adaptation.total_params == sum(p.numel() for p in model.parameters())
    if method == "head":
        assert adaptation.trainable_params == 2 * 16 + 16 * 3 + 3  # layer norm + linear


def test_unknown_method_and_unmatched_head_are_errors() -> None:
    with pytest.raises(ConfigError, match="`method` must be one of"):
        AdaptConfig(method="adapter")
    with pytest.raises(
        ValueError, match=r"no parameter matches the head patterns \['classifier.\*'\].*'head'"
    ):
        prepare_adaptation(make_model(), AdaptConfig(method="head", head=("classifier.*",)))


@pytest.mark.parametrize("method", ["lora", "prefix", "head"])
def test_adapter_checkpoint_reproduces_outputs(method: str, tmp_path: Path) -> None:
    batch = make_batch()
    model = make_model()
    config = AdaptConfig(method=method)
    prepare_adaptation(model, config)
    fit(model, steps=2)
    save_adapter(tmp_path / "adapter", model, config, extra={"target": "tiny"})
    files = sorted(p.name for p in (tmp_path / "adapter").iterdir())
    assert files == ["config.json", "model.safetensors"]
    restored = make_model()
    loaded = load_adapter(tmp_path / "adapter", restored)
    assert loaded.config["target"] == "tiny"
    assert loaded.adaptation.trainable == [n for n, p in model.named_parameters() if p.requires_grad]
    torch.testing.assert_close(restored.eval()(batch), model(batch))


def test_adapter_checkpoint_refuses_another_model(tmp_path: Path) -> None:
    model = make_model()
    prepare_adaptation(model, AdaptConfig(method="head"))
    save_adapter(tmp_path / "adapter", model, AdaptConfig(method="head"))
    other = FaultClassifier(CONFIG, num_classes=5)
    with pytest.raises(CheckpointError, match="has shape"):
        load_adapter(tmp_path / "adapter", other)


def test_few_shot_indices_are_stratified_and_seeded() -> None:
    labels = torch.tensor([0] * 40 + [1] * 20 + [2] * 3)
    index = few_shot_indices(labels, fraction=0.1, seed=0)
    assert torch.bincount(labels[index]).tolist() == [4, 2, 1]
    assert torch.equal(index, few_shot_indices(labels, fraction=0.1, seed=0))
    assert not torch.equal(index, few_shot_indices(labels, fraction=0.1, seed=1))
    with pytest.raises(ValueError, match="`fraction` must be in"):
        few_shot_indices(labels, fraction=0.0, seed=0)
