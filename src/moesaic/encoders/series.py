"""Time series to tokens: channel-independent patches with reversible instance normalisation.

Each channel of each sample is scaled by its own mean and standard deviation over the observed
values only (RevIN), cut into non-overlapping patches of ``patch_len`` steps, and each patch becomes
one token: a linear map of its values, its observed mask and its observed fraction, plus a learned
channel embedding and a learned patch-position embedding. The linear map is shared by all channels,
so one encoder serves 1 to ``max_channels`` channels. Tokens are ordered channel-major:
token ``c * P + p`` is patch p of channel c.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.tokens import MODALITY_IDS, Tokens, empty_tokens


class RevINStats(NamedTuple):
    """Per sample and channel statistics of reversible instance normalisation.

    ``mean`` and ``std``: (B, 1, C), so that they broadcast over any number of time steps: a
    forecast head maps its normalised (B, H, C) output back with :meth:`denormalise`.
    """

    mean: Tensor
    std: Tensor

    def normalise(self, series: Tensor) -> Tensor:
        """(B, T, C) values to the scale the encoder sees."""
        return (series - self.mean) / self.std

    def denormalise(self, normalised: Tensor) -> Tensor:
        """(B, T, C) values on the encoder's scale back to the original scale."""
        return normalised * self.std + self.mean


class SeriesEncoding(NamedTuple):
    """The tokens of a series and the statistics that invert its normalisation (None: no series)."""

    tokens: Tokens
    stats: RevINStats | None


def fit_revin(series: Tensor, observed: Tensor, *, eps: float = 1e-5) -> RevINStats:
    """Mean and standard deviation of each sample and channel over its observed values only.

    Args:
        series: (B, T, C) float; unobserved entries may hold anything, NaN included.
        observed: (B, T, C) bool.
        eps: added to the variance, so that a constant channel has a finite scale.

    Returns:
        RevINStats with (B, 1, C) tensors. A channel without any observed value gets mean 0 and
        std 1, so that normalising and denormalising leave it unchanged.
    """
    weight = observed.to(series.dtype)
    values = torch.where(observed, series, torch.zeros((), dtype=series.dtype))
    count = weight.sum(dim=1, keepdim=True)  # (B, 1, C)
    seen = count > 0
    mean = values.sum(dim=1, keepdim=True) / count.clamp(min=1)
    var = ((values - mean) ** 2 * weight).sum(dim=1, keepdim=True) / count.clamp(min=1)
    std = torch.where(seen, torch.sqrt(var + eps), torch.ones_like(var))
    return RevINStats(mean, std)


class PatchEncoder(nn.Module):
    """Patch tokens of ``batch.series`` (B, T, C).

    N = C * P tokens with P = ceil(T / patch_len); T not divisible by ``patch_len`` is left-padded
    with unobserved steps, so that the last patch always ends at the most recent step. The patch
    position embedding is counted from the right for the same reason: position ``max_patches - 1``
    is always the most recent patch, whatever the context length.

    A patch without any observed value is masked out; so are all tokens of a sample whose
    ``series_present`` is False. Non-finite values are treated as unobserved.

    With ``max_tokens`` set and C * P > max_tokens, channels are pooled into G = max_tokens // P
    contiguous groups (channel c goes to group floor(c * G / C)) and each group token is the mean
    of its channels' valid patch tokens, after the channel embedding is added so that the mixture
    still says which channels it holds. A contiguous split is chosen because related sensors are
    usually adjacent columns of an export. Then N = G * P, group-major.
    """

    modality: ClassVar[str] = "timeseries"

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        dim, patch_len = config.dim, config.patch_len
        # Values, observed mask and observed fraction of the patch: the model can tell a zero
        # reading from a missing one, and a patch of one reading from a complete one.
        self.patch = nn.Linear(2 * patch_len + 1, dim)
        self.channel = nn.Parameter(torch.randn(config.max_channels, dim) * 0.02)
        self.position = nn.Parameter(torch.randn(config.max_patches, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)

    def forward(self, batch: Batch) -> Tokens:
        """Tokens with x: (B, N, D), mask: (B, N); empty when the batch has no series."""
        return self.encode_with_stats(batch).tokens

    def encode_with_stats(self, batch: Batch) -> SeriesEncoding:
        """The tokens and the RevIN statistics a forecast head needs to return to the data scale."""
        if batch.series is None:
            return SeriesEncoding(empty_tokens(batch.size, self.config.dim, self.modality), None)
        series, observed, present = batch.series, batch.observed, batch.series_present
        assert observed is not None and present is not None  # Batch.__post_init__ fills them
        B, T, C = series.shape
        P = -(-T // self.config.patch_len)
        self._check(T=T, C=C, P=P)

        series = series.to(self.patch.weight.dtype)
        observed = observed & torch.isfinite(series) & present[:, None, None]
        zero = torch.zeros((), dtype=series.dtype)
        # Zero what is unobserved before any arithmetic: a NaN there would reach the gradients.
        series = torch.where(observed, series, zero)
        stats = fit_revin(series, observed, eps=self.config.revin_eps)
        values = torch.where(observed, stats.normalise(series), zero)

        pad = P * self.config.patch_len - T
        values = F.pad(values, (0, 0, pad, 0))  # (B, P * patch_len, C), zeros before the start
        seen = F.pad(observed.to(values.dtype), (0, 0, pad, 0))
        values = values.transpose(1, 2).reshape(B, C, P, self.config.patch_len)  # (B, C, P, patch_len)
        seen = seen.transpose(1, 2).reshape(B, C, P, self.config.patch_len)
        fraction = seen.mean(dim=-1, keepdim=True)  # (B, C, P, 1)

        x = self.patch(torch.cat([values, seen, fraction], dim=-1))  # (B, C, P, D)
        x = x + self.channel[:C, None, :] + self.position[self.config.max_patches - P :]
        mask = fraction.squeeze(-1) > 0  # (B, C, P)
        if self.config.max_tokens is not None and self.config.max_tokens < C * P:
            member = _channel_groups(C, self.config.max_tokens // P).to(x.dtype)  # (C, G)
            weight = mask.to(x.dtype)
            count = torch.einsum("bcp,cg->bgp", weight, member)  # valid channels per group token
            x = torch.einsum("bcpd,bcp,cg->bgpd", x, weight, member) / count.clamp(min=1)[..., None]
            mask = count > 0  # (B, G, P)
        x = self.norm(x).flatten(1, 2)  # (B, N, D), channel-major
        mask = mask.flatten(1, 2)  # (B, N)
        x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype))
        modality = torch.full(mask.shape, MODALITY_IDS[self.modality], dtype=torch.long)
        return SeriesEncoding(Tokens(x, mask, modality), stats)

    def _check(self, *, T: int, C: int, P: int) -> None:
        cfg = self.config
        if cfg.max_channels < C:
            raise ValueError(
                f"the series has {C} channels but the encoder covers `max_channels`={cfg.max_channels}; "
                "raise max_channels in EncoderConfig"
            )
        if cfg.max_patches < P:
            raise ValueError(
                f"a series of {T} steps makes {P} patches of patch_len={cfg.patch_len}, more than "
                f"`max_patches`={cfg.max_patches}; raise max_patches or shorten the context"
            )
        if cfg.max_tokens is not None and cfg.max_tokens < P:
            raise ValueError(
                f"a series of {T} steps makes {P} patches per channel, more than "
                f"`max_tokens`={cfg.max_tokens} even with all channels pooled into one group"
            )


def _channel_groups(num_channels: int, num_groups: int) -> Tensor:
    """(C, G) one-hot membership of channel c in contiguous group floor(c * G / C)."""
    group = torch.arange(num_channels) * num_groups // num_channels
    return F.one_hot(group, num_groups)
