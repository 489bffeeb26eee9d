"""Encoders: one file per modality, each turning a Batch into the same Tokens(x, mask, modality)."""

from __future__ import annotations

from torch import nn

from moesaic.data.batch import Batch
from moesaic.data.tokenizer import NotFittedError, TextTokenizer, split_words
from moesaic.encoders.config import DRAWING_BACKBONES, EncoderConfig
from moesaic.encoders.drawing import DrawingEncoder, EfficientNetLiteEncoder
from moesaic.encoders.series import PatchEncoder, RevINStats, SeriesEncoding, fit_revin
from moesaic.encoders.table import TabularEncoder
from moesaic.encoders.text import MiniLMTextEncoder, TextEncoder
from moesaic.encoders.tokens import MODALITY_IDS, Tokens, concat_tokens, empty_tokens

__all__ = [
    "DRAWING_BACKBONES",
    "ENCODERS",
    "MODALITY_IDS",
    "DrawingEncoder",
    "EfficientNetLiteEncoder",
    "EncoderConfig",
    "MiniLMTextEncoder",
    "NotFittedError",
    "PatchEncoder",
    "RevINStats",
    "SeriesEncoding",
    "TabularEncoder",
    "TextEncoder",
    "TextTokenizer",
    "Tokens",
    "concat_tokens",
    "empty_tokens",
    "encode",
    "fit_revin",
    "make_encoders",
    "split_words",
]

ENCODERS: dict[str, type[nn.Module]] = {
    "timeseries": PatchEncoder,
    "tabular": TabularEncoder,
    "text": TextEncoder,
    "drawing": DrawingEncoder,
}
"""The default encoder of each modality, built as ``ENCODERS[name](config)``."""


def make_encoders(config: EncoderConfig) -> nn.ModuleDict:
    """One encoder per entry of ``config.modalities``, in that order (the order of the tokens).

    ``config.drawing_backbone == "efficientnet-lite0"`` swaps in :class:`EfficientNetLiteEncoder`,
    which raises ImportError naming the pip command when its optional packages are missing.
    """
    builders = dict(ENCODERS)
    if config.drawing_backbone == "efficientnet-lite0":
        builders["drawing"] = EfficientNetLiteEncoder
    return nn.ModuleDict({name: builders[name](config) for name in config.modalities})


def encode(encoders: nn.ModuleDict, batch: Batch) -> Tokens:
    """All tokens of ``batch``: each encoder's tokens concatenated along N, in the dict's order.

    An encoder whose modality the batch lacks contributes no token (N = 0 for it).

    Raises:
        ValueError: the batch carries a modality that has no encoder (it would be silently dropped).
    """
    orphans = [m for m in batch.modalities() if m not in encoders]
    if orphans:
        raise ValueError(
            f"the batch carries {orphans} but there is no encoder for them; encoders: {list(encoders)}. "
            "Add the modality to EncoderConfig.modalities or drop it with Batch.without"
        )
    return concat_tokens([encoder(batch) for encoder in encoders.values()])
