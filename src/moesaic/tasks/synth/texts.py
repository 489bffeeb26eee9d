"""Free texts as a synthesizer condition: checked, then embedded by a frozen embedder.

A window's text (a work order, an operator's note; "" for none) becomes one row of E numbers
from :mod:`moesaic.knowledge.embed` (hashed words and character trigrams, or MiniLM). A blank text
is a zero row, which the generator's trunk reads as a masked token. A fitted model keeps its most
frequent training texts (:func:`kept_texts`), so that a request can be shown beside the training
texts it resembles most (:meth:`TextEmbedding.closest`). Axes: B texts, E embedding width.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from moesaic.knowledge.embed import Embedder, embedder_dim, embedder_name, make_embedder

MAX_KEPT_TEXTS = 2000  # distinct training texts a fitted model keeps, the most frequent first


def kept_texts(texts: Sequence[str]) -> tuple[str, ...]:
    """The distinct non-blank ``texts``, the most frequent first (ties alphabetically), at most
    :data:`MAX_KEPT_TEXTS`."""
    counts = Counter(t for t in texts if t.strip())
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return tuple(ranked[:MAX_KEPT_TEXTS])


def checked_texts(texts: Sequence[str], windows: int, choice: str) -> str:
    """The canonical name of embedder ``choice`` for ``texts``, after checking them (one string per window).

    Raises:
        TypeError: a single string instead of one per window.
        ValueError: a count that differs from ``windows``, a non-string, or only blank texts.
    """
    if isinstance(texts, str):
        raise TypeError("`texts` must be one string per window, got a single string; wrap it in a list")
    if len(texts) != windows:
        raise ValueError(f"got {windows} windows but {len(texts)} texts")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(f"text {bad} is {texts[bad]!r}, expected a string ('' for a window without text)")
    if not any(t.strip() for t in texts):
        raise ValueError("every text is empty; pass texts=None to fit a model that reads no text")
    return embedder_name(choice)


def requested_texts(texts: str | Sequence[str | None] | None, n: int, *, reads_text: bool) -> list[str]:
    """The n texts of a sampling request ("" where none): one text for all, or one per sample.

    Raises:
        ValueError: a count other than n, or a text for a model that reads none.
    """
    said = [texts] * n if texts is None or isinstance(texts, str) else list(texts)
    if len(said) != n:
        raise ValueError(f"got {len(said)} texts for n={n} samples")
    if not reads_text and any(said):
        raise ValueError(
            "this synthesizer was fitted without texts, so it cannot read one; name the "
            "condition with factors instead (moesaic.tasks.synth.text_condition reads factors from words)"
        )
    return [t or "" for t in said]


class TextEmbedding:
    """The frozen embedder called ``name`` (canonical, from :func:`checked_texts`), loaded on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dim = embedder_dim(name)
        self._embedder: Embedder | None = None

    def __call__(self, texts: Sequence[str]) -> Tensor:
        """(B, E) float32 embeddings; a blank text is a zero row. Each distinct text is embedded once."""
        unique = sorted({t for t in texts if t.strip()})
        embedded = np.zeros((len(texts), self.dim), dtype=np.float32)
        if unique:
            if self._embedder is None:
                self._embedder = make_embedder(self.name)
            row = {t: i for i, t in enumerate(unique)}
            vectors = self._embedder.embed(unique)
            present = [i for i, t in enumerate(texts) if t in row]
            embedded[present] = vectors[[row[texts[i]] for i in present]]
        return torch.from_numpy(embedded)

    def closest(self, query: str, candidates: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` candidates whose embeddings are nearest ``query``'s, with their cosine similarity."""
        if not candidates or not query.strip():
            return []
        vectors = self([query, *candidates]).numpy()
        norms = np.linalg.norm(vectors, axis=1)
        similarity = vectors[1:] @ vectors[0] / np.maximum(norms[1:] * norms[0], 1e-12)
        order = np.argsort(-similarity, kind="stable")[:k]
        return [(candidates[i], float(similarity[i])) for i in order]
