"""The configuration of the modality encoders: one frozen dataclass, validated as a whole."""

from __future__ import annotations

from dataclasses import dataclass

from moesaic.config import ConfigError
from moesaic.encoders.tokens import MODALITY_IDS

DRAWING_BACKBONES = ("conv", "efficientnet-lite0")
"""``"conv"``: the small trainable stem; ``"efficientnet-lite0"``: frozen pretrained features (extra)."""


@dataclass(frozen=True)
class EncoderConfig:
    """Sizes of the four encoders; every encoder is built as ``Encoder(config)``.

    Attributes:
        dim: D, the width of every token.
        modalities: the encoders :func:`moesaic.encoders.make_encoders` builds, keys of ``ENCODERS``.
        patch_len: time steps per series patch.
        max_patches: patches per channel the position embedding covers (context <= this * patch_len).
        max_channels: channels the channel embedding covers.
        max_tokens: if set, channels are mean-pooled in contiguous groups so that a series gives at
            most this many tokens; None keeps one token per channel and patch.
        revin_eps: added to the variance of reversible instance normalisation.
        num_numeric: F, numeric table features.
        categorical_cardinalities: categories of each categorical table feature, ids 1..cardinality
            (id 0 = missing).
        vocab_size: text token ids are in [0, vocab_size); see ``TextTokenizer.vocab_size``.
        max_text_length: L, the longest text the position embedding covers.
        image_size: drawings are resized to image_size x image_size pixels.
        image_patch: side of the square image patch that becomes one token.
        stem_channels: width of the convolutional stem of the drawing encoder.
        drawing_backbone: one of :data:`DRAWING_BACKBONES`.
    """

    dim: int = 64
    modalities: tuple[str, ...] = tuple(MODALITY_IDS)
    patch_len: int = 16
    max_patches: int = 64
    max_channels: int = 128
    max_tokens: int | None = None
    revin_eps: float = 1e-5
    num_numeric: int = 0
    categorical_cardinalities: tuple[int, ...] = ()
    vocab_size: int = 4096
    max_text_length: int = 128
    image_size: int = 128
    image_patch: int = 16
    stem_channels: int = 16
    drawing_backbone: str = "conv"

    def __post_init__(self) -> None:
        # YAML gives lists; a frozen config keeps tuples so that it stays hashable.
        object.__setattr__(self, "modalities", tuple(self.modalities))
        object.__setattr__(self, "categorical_cardinalities", tuple(self.categorical_cardinalities))
        problems = []
        for name in ("dim", "patch_len", "max_patches", "max_channels", "vocab_size", "max_text_length"):
            problems += _at_least(name, getattr(self, name), 1)
        problems += _at_least("image_size", self.image_size, 1)
        problems += _at_least("stem_channels", self.stem_channels, 1)
        problems += _at_least("num_numeric", self.num_numeric, 0)
        if self.max_tokens is not None:
            problems += _at_least("max_tokens", self.max_tokens, 1)
        if not self.revin_eps > 0:
            problems.append(f"`revin_eps` must be > 0, got {self.revin_eps}")
        unknown = [m for m in self.modalities if m not in MODALITY_IDS]
        if unknown:
            problems.append(f"`modalities` must be among {list(MODALITY_IDS)}, got unknown {unknown}")
        if len(set(self.modalities)) != len(self.modalities):
            problems.append(f"`modalities` must not repeat a modality, got {list(self.modalities)}")
        bad = [c for c in self.categorical_cardinalities if c < 1]
        if bad:
            problems.append(
                f"`categorical_cardinalities` must all be >= 1, got {list(self.categorical_cardinalities)}"
            )
        if self.image_patch < 2 or self.image_patch % 2:
            problems.append(f"`image_patch` must be an even number >= 2, got {self.image_patch}")
        elif self.image_size % self.image_patch:
            problems.append(
                f"`image_size` must be a multiple of image_patch={self.image_patch}, got {self.image_size}"
            )
        if self.drawing_backbone not in DRAWING_BACKBONES:
            problems.append(
                f"`drawing_backbone` must be one of {list(DRAWING_BACKBONES)}, got {self.drawing_backbone!r}"
            )
        if problems:
            raise ConfigError(problems)


def _at_least(name: str, value: int, low: int) -> list[str]:
    return [] if value >= low else [f"`{name}` must be >= {low}, got {value}"]
