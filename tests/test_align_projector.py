"""Series encoder -> projector -> soft tokens in a (tiny, random) Llama LM with the real SmolLM2 tokenizer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from moesaic.align.attributes import QUESTIONS, Attributes, generate
from moesaic.align.number_tokens import CopyHead, NumberTokens, change_grid
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
        torch.as_tensor(data.series),
        tuple(p[0] for p in pairs),
        tuple(p[1] for p in pairs),
        tuple(data.attributes),
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
    model = SeriesCaptioner(replace(CONFIG, copy_numbers=False), tiny_lm)  # the LM's own logits
    batch = _batch(data)
    soft = model.soft_tokens(batch.series)
    assert soft.shape == (6, CONFIG.soft_tokens, 32)
    embeds, mask, after, places = model._prompt(batch.series, batch.instructions, batch.responses,
                                                batch.attributes)  # fmt: skip
    assert places is not None and places.shape == (6, 2 + 2 + 3, 12)  # step ("0"-"63"), period, change
    assert mask.sum(dim=1).tolist() == [CONFIG.soft_tokens + 7] * 6
    logits = model.lm(inputs_embeds=embeds).logits  # (B, L, V) over the whole sequence
    losses, prefix = [], len(model._ids("<|im_start|>user\n")) + model.series_length
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
    embeds, mask, _, _ = model._prompt(batch.series, batch.instructions, batch.responses)
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
    assert saved and all(k.startswith(("encoder.", "projector.", "experts.", "numbers.")) or "lora_" in k
                         for k in saved)  # fmt: skip
    model.save(tmp_path / "captioner")
    loaded = SeriesCaptioner.load(tmp_path / "captioner", tiny_lm)
    loaded.eval()
    assert loaded.config == model.config and loaded.stage == 2
    with torch.no_grad():
        torch.testing.assert_close(loaded.loss(batch), model.loss(batch))
    assert loaded.generate(batch.series, CAPTION_INSTRUCTIONS[0]) == texts


def _confident_heads(position: int, season: int, change: float) -> torch.nn.ModuleDict:
    """Attribute heads that ignore the features and put all their weight on the given values."""
    sizes = {"position": CONFIG.length, "season": 8, "log_change": 1}
    heads = torch.nn.ModuleDict({k: torch.nn.Linear(CONFIG.features, n) for k, n in sizes.items()})
    with torch.no_grad():
        for head in heads.values():
            head.weight.zero_()
            head.bias.fill_(-50.0)
        heads["position"].bias[position] = 50.0
        heads["season"].bias[season] = 50.0
        heads["log_change"].bias[0] = float(np.log(change))
    return heads


@needs_lm
def test_number_tokens_are_the_digit_embeddings_of_confident_heads(tiny_lm: LanguageModel) -> None:
    embed = tiny_lm.model.get_input_embeddings()
    numbers = NumberTokens(CONFIG, _confident_heads(57, 6, 3.5), tiny_lm.tokenizer, 32)  # PERIODS[5] = 24
    with torch.no_grad():
        numbers.pad.fill_(7.0)
        out, _ = numbers(torch.randn(2, CONFIG.features), embed)
    assert out.shape == (2, numbers.length, 32) and numbers.mask().shape == (numbers.length,)
    places = out[0, numbers.mask()]  # step "57", period "24", change "3.5"

    def digits(text: str) -> torch.Tensor:
        return embed(torch.tensor([tiny_lm.tokenizer.convert_tokens_to_ids(c) for c in text]))

    torch.testing.assert_close(places, torch.cat([digits("5724"), digits("3.5")]))
    labels = out[0, ~numbers.mask()]
    ids = tiny_lm.tokenizer("\nat step  period  by ", add_special_tokens=False)["input_ids"]
    torch.testing.assert_close(labels, embed(torch.tensor(ids)))


@needs_lm
def test_number_tokens_pad_short_and_absent_numbers(tiny_lm: LanguageModel) -> None:
    embed = tiny_lm.model.get_input_embeddings()
    numbers = NumberTokens(CONFIG, _confident_heads(7, 0, 12.0), tiny_lm.tokenizer, 32)  # no season
    with torch.no_grad():
        numbers.pad.fill_(7.0)
        places = numbers(torch.randn(1, CONFIG.features), embed)[0][0, numbers.mask()]
    pad = torch.full((32,), 7.0)
    seven, one, two = (embed(torch.tensor(tiny_lm.tokenizer.convert_tokens_to_ids(c))) for c in "712")
    expected = torch.stack([seven, pad, pad, pad, one, two, pad])  # "7", no period, "12"
    torch.testing.assert_close(places, expected)
    assert change_grid()[:3] == ["0.1", "0.2", "0.3"] and change_grid()[-1] == "99"


@needs_lm
def test_captioner_without_number_tokens_and_old_checkpoints(tiny_lm: LanguageModel, tmp_path: Path) -> None:
    plain = SeriesCaptioner(replace(CONFIG, number_tokens=False), tiny_lm)
    assert plain.numbers is None and plain.series_length == CONFIG.soft_tokens
    plain.save(tmp_path / "old")
    document = json.loads((tmp_path / "old" / "config.json").read_text())
    del document["config"]["number_tokens"]  # as saved before number tokens existed
    (tmp_path / "old" / "config.json").write_text(json.dumps(document))
    assert SeriesCaptioner.load(tmp_path / "old", tiny_lm).numbers is None
    pretrained = TemplateClassifier(CONFIG)
    model = SeriesCaptioner(CONFIG, tiny_lm, pretrained=pretrained)
    assert model.numbers is not None
    torch.testing.assert_close(model.numbers.heads["position"].weight, pretrained.heads["position"].weight)
    assert not any(p.requires_grad for p in model.numbers.heads.parameters())  # frozen with the encoder
    assert model.numbers.pad.requires_grad


@needs_lm
def test_number_tokens_are_teacher_forced_in_training_only(tiny_lm: LanguageModel, data: Any) -> None:
    numbers = NumberTokens(CONFIG, _confident_heads(7, 0, 12.0), tiny_lm.tokenizer, 32)
    truth = [Attributes("up", 3.54, 24, "spike", 41, 0.1), Attributes("flat", 0.0, None, "none", None, 0.1)]
    with torch.no_grad():
        weights = numbers.weights(torch.randn(2, CONFIG.features))
    taught = numbers.teacher(weights, truth)
    assert int(taught["step"][0].argmax()) == 41 and float(taught["step"][0].max()) == 1.0
    assert int(taught["period"][0].argmax()) == 6 and int(taught["period"][1].argmax()) == 0  # 24; none
    assert change_grid()[int(taught["change"][0].argmax())] == "3.5"
    torch.testing.assert_close(taught["step"][1], weights["step"][1])  # no anomaly: the head's guess
    torch.testing.assert_close(taught["change"][1], weights["change"][1])  # flat: the head's guess
    model = SeriesCaptioner(CONFIG, tiny_lm)
    batch = _batch(data)
    assert len(batch.attributes) == 6
    model.train()
    taught_tokens, _, _ = model.series_tokens(batch.series, batch.attributes)
    model.eval()
    read_tokens, _, _ = model.series_tokens(batch.series, batch.attributes)  # inference reads the heads
    torch.testing.assert_close(read_tokens, model.series_tokens(batch.series)[0])
    assert not torch.allclose(taught_tokens, read_tokens)


def test_copy_head_mixes_the_lm_with_the_attended_place() -> None:
    char_ids = torch.arange(100, 111)  # token ids of "0".."9" and "."
    head = CopyHead(width=8, places=2, char_ids=char_ids, dim=4)
    places = torch.zeros(1, 2, 12)
    places[0, 0, 5] = 1.0  # place 0 holds "5"
    places[0, 1, 11] = 1.0  # place 1 is a pad
    logits = torch.randn(1, 200)
    hidden = torch.randn(1, 8)
    with torch.no_grad():
        head.gate.bias.fill_(-40.0)  # closed gate: the LM alone
        torch.testing.assert_close(head(hidden, places, logits), logits.log_softmax(dim=-1))
        head.gate.bias.fill_(40.0)  # open gate, attention on place 0: "5" for sure
        head.query.weight.zero_()
        head.query.bias.zero_()
        head.keys.copy_(torch.tensor([[1.0, 0, 0, 0], [-1.0, 0, 0, 0]]))
        head.query.bias[0] = 60.0
        out = head(hidden, places, logits)
    assert int(out.argmax()) == 105 and float(out[0, 105]) > -1e-3
    with torch.no_grad():
        head.query.bias[0] = -60.0  # attention on the pad: its mass is dropped, the LM's share renormalised
        head.gate.bias.fill_(0.0)
        out = head(hidden, places, logits)
    torch.testing.assert_close(out, logits.log_softmax(dim=-1), atol=1e-4, rtol=1e-4)
