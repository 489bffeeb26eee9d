"""What every frozen-LM forecaster of :mod:`moesaic.align.reprogramming` shares.

Its settings (:class:`LMForecastConfig`: window, horizon, patches, decoder layers kept), the
batches of univariate windows it trains on (:class:`WindowBatch`, :func:`window_batches`), the
patching of a window (:func:`patchify`) and the base class :class:`LMForecaster`: RevIN around a
model of the normalised window, the MSE loss and batched prediction.

Axes: B windows, W windows to predict, L context length, H horizon, P patches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.encoders.series import fit_revin
from moesaic.train import LossOutput


class WindowBatch(NamedTuple):
    """Windows of a univariate series: ``context`` (B, L) and ``target`` (B, H), float32."""

    context: Tensor
    target: Tensor


@dataclass(frozen=True)
class LMForecastConfig:
    """What every frozen-LM forecaster shares.

    Attributes:
        context_length: L.
        horizon: H.
        patch_len: steps per patch.
        stride: steps between patch starts; P = (L - patch_len) // stride + 2.
        num_layers: decoder layers of the language model kept (its first ones).
    """

    context_length: int = 96
    horizon: int = 24
    patch_len: int = 16
    stride: int = 8
    num_layers: int = 6

    def __post_init__(self) -> None:
        problems = [
            f"`{name}` must be >= 1, got {getattr(self, name)}"
            for name in ("context_length", "horizon", "patch_len", "stride", "num_layers")
            if getattr(self, name) < 1
        ]
        if self.patch_len > self.context_length:
            problems.append(f"`patch_len`={self.patch_len} exceeds `context_length`={self.context_length}")
        problems += self._more_problems()
        if problems:
            raise ConfigError(problems)

    def _more_problems(self) -> list[str]:
        return []

    @property
    def num_patches(self) -> int:
        """P, after padding the window's end with ``stride`` copies of its last value."""
        return (self.context_length - self.patch_len) // self.stride + 2


def window_batches(
    context: Tensor, target: Tensor, *, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[WindowBatch]:
    """Batches of (W, L) contexts and (W, H) targets, shuffled by ``generator`` when given."""
    order = (
        torch.randperm(len(context), generator=generator)
        if generator is not None
        else torch.arange(len(context))
    )
    for index in order.split(batch_size):
        yield WindowBatch(context[index], target[index])


def patchify(x: Tensor, *, patch_len: int, stride: int) -> Tensor:
    """(B, L) -> (B, P, patch_len), the end padded with ``stride`` copies of the last value."""
    padded = torch.cat([x, x[:, -1:].expand(-1, stride)], dim=1)
    return padded.unfold(1, patch_len, stride)


class LMForecaster(nn.Module):
    """RevIN around a model of the normalised window; subclasses define ``forecast_normalised``."""

    kind: ClassVar[str]
    config: LMForecastConfig

    def forward(self, context: Tensor) -> Tensor:
        """(B, L) context -> (B, H) point forecast on the same scale."""
        cfg = self.config
        if context.ndim != 2 or context.shape[1] != cfg.context_length:
            raise ValueError(
                f"`context` must have shape (batch, {cfg.context_length}), got {tuple(context.shape)}"
            )
        series = context[..., None].float()  # (B, L, 1)
        stats = fit_revin(series, torch.ones_like(series, dtype=torch.bool))
        normalised = self.forecast_normalised(stats.normalise(series)[..., 0])  # (B, H)
        return stats.denormalise(normalised[..., None])[..., 0]

    def forecast_normalised(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def loss(self, batch: WindowBatch) -> LossOutput:
        loss = F.mse_loss(self(batch.context), batch.target)
        return LossOutput(loss, {"mse": loss.detach()})

    @torch.inference_mode()
    def predict(self, context: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
        """(W, L) contexts -> (W, H) forecasts, in eval mode, ``batch_size`` windows at a time."""
        self.eval()
        tensor = torch.as_tensor(np.asarray(context, dtype=np.float32))
        return torch.cat([self(part) for part in tensor.split(batch_size)]).numpy()
