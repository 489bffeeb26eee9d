"""Series encoder -> projector -> soft tokens in a (tiny, random) Llama LM with the real SmolLM2 tokenizer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moesaic.align.attributes import QUESTIONS, Attributes, generate
from moesaic.align.projector import (
    CAPTION_INSTRUCTIONS,
    InstructionBatch,
    ProjectorConfig,
    SeriesCaptioner,
    TemplateClassifier,
    attribute_batch,
    instruction_batches,
    instruction_pair,
    truncated_language_model,
)
from moesaic.config import ConfigError
from moesaic.text.language_model import (
    LanguageModel,
    cache_dir,
    language_model_available,
    load_language_model,
)

needs_lm = pytest.mark.skipif(not language_model_available(), reason="SmolLM2 (language extra) not installed")

CONFIG = ProjectorConfig(length=64, patch_len=16, dim=16, encoder_layers=1, features=24, soft_tokens=3,
                         projector_hidden=32,
                         lm_layers=None, rank=2, max_new_tokens=4)  # fmt: skip


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_lm() -> LanguageModel:
    """A 2-layer random Llama of width 32 with the SmolLM2 tokenizer (loaded once per module)."""
    import transformers

    if (cache_dir() / "tokenizer.json").is_file():
        tokenizer = transformers.AutoTokenizer.from_pretrained(cache_dir())
    else:
        tokenizer = load_language_model().tokenizer
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return LanguageModel(tokenizer, model)


@pytest.fixture(scope="module")
def data() -> Any:
    return generate(6, seed=1, length=64)


def _batch(data: Any) -> InstructionBatch:
    pairs = [
        instruction_pair(a, draw)
        for a, draw in zip(data.attributes, (0.1, 0.57, 0.62, 0.7, 0.8, 0.95), strict=True)
    ]
    return InstructionBatch(
        torch.as_tensor(data.series), tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    )


def test_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        ProjectorConfig(length=100, patch_len=16, adapter="prefix", projections=("q_proj", "lm_head"))
    text = str(err.value)
    assert "length" in text and "adapter" in text and "projections" in text


def test_instruction_mix_covers_captions_and_questions(data: Any) -> None:
    a = data.attributes[0]
    instructions = {instruction_pair(a, d)[0] for d in np.linspace(0, 0.999, 50)}
    assert instructions == set(CAPTION_INSTRUCTIONS) | set(QUESTIONS.values())
    batches = instruction_batches(data.series, data.attributes, 4, torch.Generator().manual_seed(0))
    assert [b.series.shape for b in batches] == [(4, 64), (2, 64)]


def test_template_classifier_shapes_loss_and_predictions(data: Any) -> None:
    model = TemplateClassifier(CONFIG)
    batch = attribute_batch(data.series, data.attributes)
    assert model.encoder(batch.series).shape == (6, CONFIG.features)
    loss = model.loss(batch)
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(loss)
    predicted = model.predict(batch.series)
    assert len(predicted) == 6 and all(isinstance(a, Attributes) for a in predicted)
    assert all((a.position is None) == (a.anomaly == "none") for a in predicted)


@needs_lm
def test_truncated_copy_keeps_first_layers_frozen(tiny_lm: LanguageModel) -> None:
    copy = truncated_language_model(tiny_lm.model, 1)
    assert len(copy.model.layers) == 1 and copy.config.num_hidden_layers == 1
    assert tiny_lm.model.config.num_hidden_layers == 2  # the source is untouched
    torch.testing.assert_close(
        copy.model.layers[0].mlp.up_proj.weight, tiny_lm.model.model.layers[0].mlp.up_proj.weight
    )
    assert not any(p.requires_grad for p in copy.parameters())
    with pytest.raises(ValueError, match="lm_layers"):
        truncated_language_model(tiny_lm.model, 3)


@needs_lm
def test_soft_tokens_and_loss_only_on_response_tokens(tiny_lm: LanguageModel, data: Any) -> None:
    model = SeriesCaptioner(CONFIG, tiny_lm)
    batch = _batch(data)
    soft = model.soft_tokens(batch.series)
    assert soft.shape == (6, CONFIG.soft_tokens, 32)
    embeds, mask, after = model._prompt(batch.series, batch.instructions, batch.responses)
    assert mask.sum(dim=1).tolist() == [CONFIG.soft_tokens] * 6
    logits = model.lm(inputs_embeds=embeds).logits  # (B, L, V) over the whole sequence
    losses, prefix = [], len(model._ids("<|im_start|>user\n")) + CONFIG.soft_tokens
    for b, response in enumerate(batch.responses):
        target = model._ids(response + "<|im_end|>")
        start = prefix + len(after[b]) - len(target)
        assert after[b][-len(target) :] == target
        losses.append(F.cross_entropy(logits[b, start - 1 : start - 1 + len(target)], torch.tensor(target),
                                      reduction="sum"))  # fmt: skip
    tokens = sum(len(model._ids(r + "<|im_end|>")) for r in batch.responses)
    expected = torch.stack(losses).sum() / tokens
    torch.testing.assert_close(model.loss(batch), expected, rtol=1e-4, atol=1e-5)
    model.loss(batch).backward()
    assert model.projector[0].weight.grad is not None
    assert all(p.grad is None for p in model.lm.parameters())
    assert all(p.grad is None for p in model.encoder.parameters())  # frozen unless tune_encoder
    tuned = SeriesCaptioner(replace(CONFIG, tune_encoder=True), tiny_lm)
    tuned.loss(batch).backward()
    assert tuned.encoder.scale.weight.grad is not None


@needs_lm
def test_adapters_start_as_identity_and_experts_touch_only_series_positions(
    tiny_lm: LanguageModel, data: Any
) -> None:
    model = SeriesCaptioner(CONFIG, tiny_lm)
    batch = _batch(data)
    embeds, mask, _ = model._prompt(batch.series, batch.instructions, batch.responses)
    before = model._hidden(embeds, mask)
    names = model.add_adapters("expert")
    assert len(names) == 2 * 4 and len(model.experts) == 2 * 7
    torch.testing.assert_close(model._hidden(embeds, mask), before)  # B = 0 at init
    with torch.no_grad():
        for expert in model.experts.values():
            expert.expert_b.normal_()
    text_only = torch.zeros_like(mask)
    torch.testing.assert_close(model._hidden(embeds, text_only), before)  # text weights untouched
    after = model._hidden(embeds, mask)
    first = int(mask[0].nonzero()[0])
    torch.testing.assert_close(after[:, :first], before[:, :first])  # before the series: causal, unchanged
    assert not torch.allclose(after[:, first:], before[:, first:])
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable) and any(n.startswith("experts.") for n in trainable)
    assert not any(n.startswith("lm.") and "lora_" not in n for n in trainable)


@needs_lm
def test_lora_variant_has_no_experts(tiny_lm: LanguageModel) -> None:
    model = SeriesCaptioner(CONFIG, tiny_lm)
    model.add_adapters()
    assert model.config.adapter == "lora" and len(model.experts) == 0
    with pytest.raises(ValueError, match="already"):
        model.add_adapters()


@needs_lm
def test_greedy_generation_and_save_load_reproduce_outputs(
    tiny_lm: LanguageModel, data: Any, tmp_path: Path
) -> None:
    model = SeriesCaptioner(CONFIG, tiny_lm)
    model.add_adapters("expert")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    batch = _batch(data)
    for _ in range(2):
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
    model.eval()
    texts = model.generate(batch.series, CAPTION_INSTRUCTIONS[0])
    assert len(texts) == 6 and all(isinstance(t, str) for t in texts)
    assert model.generate(batch.series, CAPTION_INSTRUCTIONS[0]) == texts
    saved = model.trained_state()
    assert saved and all(k.startswith(("encoder.", "projector.", "experts.")) or "lora_" in k for k in saved)
    model.save(tmp_path / "captioner")
    loaded = SeriesCaptioner.load(tmp_path / "captioner", tiny_lm)
    loaded.eval()
    assert loaded.config == model.config and loaded.stage == 2
    with torch.no_grad():
        torch.testing.assert_close(loaded.loss(batch), model.loss(batch))
    assert loaded.generate(batch.series, CAPTION_INSTRUCTIONS[0]) == texts
