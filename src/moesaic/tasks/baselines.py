"""Forecasting baselines behind the same interface as the moesaic model.

Each baseline is a module with ``forecast(batch) -> (B, H, C, Q)``; the trainable ones also own
their ``loss(batch)``, so :class:`moesaic.tasks.forecast.Forecaster` fits, predicts, saves and
loads every system the same way. The batch is built by
:func:`moesaic.data.forecast_windows.make_forecast_batch`: ``series`` (B, L, C + covariates) with
the C forecast channels first, ``targets["future"]`` (B, H, C) and ``targets["future_observed"]``.

- :class:`SeasonalNaive`: repeats the last season of the context.
- :class:`DLinear`: trend / remainder decomposition, one linear map each (Zeng et al., AAAI 2023).
- :class:`PatchTST`: a small channel-independent patch transformer with RevIN and batch norm
  (Nie et al., ICLR 2023).
- :class:`FracastForecaster`: the pretrained ``fracast`` model (85k parameters, weights inside
  the wheel), zero-shot.

The baselines are univariate per channel: they ignore covariates and static features, and
SeasonalNaive, DLinear and PatchTST give a point forecast, repeated for every quantile level
(a degenerate distribution: their CRPS equals their MAE). Missing context values are filled with
the last observed value (the first observed one before it; 0, the training mean, if none) for
all but fracast, which reads the missing-value mask itself.

Axes: B windows, L context length, H horizon, C channels, Q quantiles, P patches, D width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import forecast_inputs
from moesaic.train import LossOutput

FRACAST_INSTALL = "pip install fracast"


def fill_missing(series: Tensor, observed: Tensor) -> Tensor:
    """(B, L, C) with each unobserved step replaced by the last observed value before it.

    Steps before the first observed value take that first value; a channel with no observed
    value becomes 0.
    """
    if bool(observed.all()):
        return series
    B, L, C = series.shape
    steps = torch.arange(L).view(1, L, 1).expand(B, L, C)
    last = torch.where(observed, steps, torch.full_like(steps, -1)).cummax(dim=1).values  # (B, L, C)
    first = torch.where(observed, steps, torch.full_like(steps, L)).min(dim=1, keepdim=True).values
    source = torch.where(last >= 0, last, first.expand(B, L, C)).clamp(max=L - 1)
    filled = series.gather(1, source)
    return torch.where(observed.any(dim=1, keepdim=True), filled, torch.zeros(()))


def point_loss(model: nn.Module, batch: Batch, point: Tensor) -> LossOutput:
    """Mean squared error of a (B, H, C) point forecast over the observed future steps."""
    target = batch.targets.get("future")
    if target is None:
        raise ValueError(f"the batch has no target 'future'; its targets are {sorted(batch.targets)}")
    observed = batch.targets.get("future_observed", torch.isfinite(target))
    target = torch.where(observed, target, torch.zeros(()))
    weight = observed.to(point.dtype)
    loss = (((point - target) ** 2) * weight).sum() / weight.sum().clamp(min=1.0)
    return LossOutput(loss, {"mse": loss.detach()})


def _as_quantiles(point: Tensor, num_quantiles: int) -> Tensor:
    """(B, H, C) point forecast -> (B, H, C, Q), the same value at every level."""
    return point[..., None].expand(*point.shape, num_quantiles)


class SeasonalNaive(nn.Module):
    """Forecast step h as the value one season (``period`` steps, or a multiple) before it.

    Args:
        num_channels: C.
        horizon: H.
        num_quantiles: Q of the returned forecast.
        period: the season, in steps (24 for hourly data with a daily cycle).
    """

    def __init__(self, *, num_channels: int, horizon: int, num_quantiles: int, period: int) -> None:
        super().__init__()
        if period < 1:
            raise ValueError(f"`period` must be >= 1, got {period}")
        self.num_channels, self.horizon, self.num_quantiles, self.period = (
            num_channels,
            horizon,
            num_quantiles,
            period,
        )

    def forecast(self, batch: Batch) -> Tensor:
        """(B, H, C, Q); needs a context of at least ``period`` steps."""
        series, observed = forecast_inputs(batch, self.num_channels)
        L = series.shape[1]
        if self.period > L:
            raise ValueError(f"seasonal naive needs a context of >= period={self.period} steps, got {L}")
        filled = fill_missing(series, observed)
        index = L - self.period + torch.arange(self.horizon) % self.period  # (H,)
        return _as_quantiles(filled[:, index], self.num_quantiles)


@dataclass(frozen=True)
class DLinearConfig:
    """DLinear settings: ``moving_average`` is the odd kernel of the trend (25 in the paper)."""

    moving_average: int = 25

    def __post_init__(self) -> None:
        if self.moving_average < 1 or self.moving_average % 2 == 0:
            raise ConfigError([f"`moving_average` must be an odd number >= 1, got {self.moving_average}"])


class DLinear(nn.Module):
    """Trend (moving average, edges repeated) and remainder each mapped by ``Linear(L -> H)``.

    The two maps are shared by all channels (the paper's default on ETTh1).
    """

    def __init__(
        self,
        *,
        context_length: int,
        horizon: int,
        num_channels: int,
        num_quantiles: int,
        config: DLinearConfig,
    ) -> None:
        super().__init__()
        self.num_channels, self.num_quantiles = num_channels, num_quantiles
        self.kernel = config.moving_average
        self.trend = nn.Linear(context_length, horizon)
        self.remainder = nn.Linear(context_length, horizon)

    def decompose(self, series: Tensor) -> tuple[Tensor, Tensor]:
        """(B, L, C) -> trend and remainder, each (B, L, C); trend + remainder == series."""
        half = (self.kernel - 1) // 2
        padded = torch.cat(
            [series[:, :1].expand(-1, half, -1), series, series[:, -1:].expand(-1, half, -1)], 1
        )
        trend = F.avg_pool1d(padded.transpose(1, 2), self.kernel, stride=1).transpose(1, 2)
        return trend, series - trend

    def point(self, batch: Batch) -> Tensor:
        """(B, H, C) point forecast."""
        series, observed = forecast_inputs(batch, self.num_channels)
        trend, remainder = self.decompose(fill_missing(series, observed))
        out = self.trend(trend.transpose(1, 2)) + self.remainder(remainder.transpose(1, 2))  # (B, C, H)
        return out.transpose(1, 2)

    def forecast(self, batch: Batch) -> Tensor:
        return _as_quantiles(self.point(batch), self.num_quantiles)

    def loss(self, batch: Batch) -> LossOutput:
        return point_loss(self, batch, self.point(batch))


@dataclass(frozen=True)
class PatchTSTConfig:
    """A small PatchTST (the paper's ETTh1 sizes: D=16, 3 layers, 4 heads, d_ff=128)."""

    patch_len: int = 16
    stride: int = 8
    dim: int = 16
    num_layers: int = 3
    num_heads: int = 4
    ffn_hidden: int = 128
    dropout: float = 0.3
    head_dropout: float = 0.0

    def __post_init__(self) -> None:
        problems = [
            f"`{n}` must be >= 1, got {getattr(self, n)}"
            for n in ("patch_len", "stride", "dim", "num_layers", "num_heads", "ffn_hidden")
            if getattr(self, n) < 1
        ]
        if self.dim % max(self.num_heads, 1):
            problems.append(f"`num_heads` must divide dim={self.dim}, got {self.num_heads}")
        for name in ("dropout", "head_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                problems.append(f"`{name}` must be in [0, 1), got {getattr(self, name)}")
        if problems:
            raise ConfigError(problems)


class _PostNormLayer(nn.Module):
    """Attention and feed-forward, each followed by a residual add and batch norm over D."""

    def __init__(self, config: PatchTSTConfig) -> None:
        super().__init__()
        D = config.dim
        self.attn = nn.MultiheadAttention(D, config.num_heads, dropout=config.dropout, batch_first=True)
        self.norm_attn = nn.BatchNorm1d(D)
        self.ffn = nn.Sequential(
            nn.Linear(D, config.ffn_hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.ffn_hidden, D),
        )
        self.norm_ffn = nn.BatchNorm1d(D)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:  # (B, P, D)
        attended, _ = self.attn(x, x, x, need_weights=False)
        x = self.norm_attn((x + self.drop(attended)).transpose(1, 2)).transpose(1, 2)
        return self.norm_ffn((x + self.drop(self.ffn(x))).transpose(1, 2)).transpose(1, 2)


class PatchTST(nn.Module):
    """Channel-independent patch transformer: RevIN, overlapping patches, flatten head."""

    def __init__(
        self,
        *,
        context_length: int,
        horizon: int,
        num_channels: int,
        num_quantiles: int,
        config: PatchTSTConfig,
    ) -> None:
        super().__init__()
        self.config, self.num_channels, self.num_quantiles = config, num_channels, num_quantiles
        # The context is padded at the end by `stride` copies of its last value, as in the paper.
        self.num_patches = (context_length + config.stride - config.patch_len) // config.stride + 1
        self.embed = nn.Linear(config.patch_len, config.dim)
        self.position = nn.Parameter(torch.empty(self.num_patches, config.dim).uniform_(-0.02, 0.02))
        self.drop = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList(_PostNormLayer(config) for _ in range(config.num_layers))
        self.head_drop = nn.Dropout(config.head_dropout)
        self.head = nn.Linear(self.num_patches * config.dim, horizon)

    def point(self, batch: Batch) -> Tensor:
        """(B, H, C) point forecast."""
        series, observed = forecast_inputs(batch, self.num_channels)
        x = fill_missing(series, observed)
        B, L, C = x.shape
        mean = x.mean(dim=1, keepdim=True)
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + 1e-5)
        x = ((x - mean) / std).transpose(1, 2).reshape(B * C, L)  # (BC, L)
        x = torch.cat([x, x[:, -1:].expand(-1, self.config.stride)], dim=1)
        patches = x.unfold(1, self.config.patch_len, self.config.stride)  # (BC, P, patch_len)
        h = self.drop(self.embed(patches) + self.position)  # (BC, P, D)
        for layer in self.layers:
            h = layer(h)
        out = self.head(self.head_drop(h.flatten(1)))  # (BC, H)
        out = out.reshape(B, C, -1).transpose(1, 2)  # (B, H, C)
        return out * std + mean

    def forecast(self, batch: Batch) -> Tensor:
        return _as_quantiles(self.point(batch), self.num_quantiles)

    def loss(self, batch: Batch) -> LossOutput:
        return point_loss(self, batch, self.point(batch))


FRACAST_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class FracastForecaster(nn.Module):
    """The pretrained ``fracast`` forecaster (Fracast-0, bundled weights), zero-shot.

    Fracast reads up to 2048 steps and forecasts blocks of 48 steps; a longer horizon is rolled
    out block by block on its own median. Each channel is forecast on its own, from the same
    context as the other systems. It has no trainable parameters here: ``state_dict`` is empty
    and the weights are read from the installed wheel.

    Args:
        num_channels: C.
        horizon: H.
        quantiles: levels to return, a subset of :data:`FRACAST_LEVELS`.
        weights: ``"fp32"`` or ``"w8"`` (int8) release weights.
        rows_per_call: channel contexts forecast per call (bounds the memory).

    Raises:
        ImportError: ``fracast`` is not installed, naming the pip command.
    """

    def __init__(
        self,
        *,
        num_channels: int,
        horizon: int,
        quantiles: Sequence[float],
        weights: str = "fp32",
        rows_per_call: int = 64,
    ) -> None:
        super().__init__()
        missing = [q for q in quantiles if not any(abs(q - level) < 1e-9 for level in FRACAST_LEVELS)]
        if missing:
            raise ValueError(f"fracast forecasts the levels {list(FRACAST_LEVELS)}; cannot give {missing}")
        try:
            from fracast import FracastModel
        except ImportError as err:
            raise ImportError(f"the fracast baseline needs the `fracast` package: {FRACAST_INSTALL}") from err
        self.num_channels, self.horizon, self.rows_per_call = num_channels, horizon, rows_per_call
        self.levels = [int(np.argmin([abs(q - level) for level in FRACAST_LEVELS])) for q in quantiles]
        # Kept outside the module tree on purpose: the weights belong to the wheel, not to our checkpoint.
        self.__dict__["pretrained"] = FracastModel.from_pretrained(weights=weights)

    def parameter_count(self) -> int:
        """Parameters of the pretrained model (not registered in this module)."""
        pretrained: Any = self.__dict__["pretrained"]
        return sum(p.numel() for m in (pretrained.core, pretrained.head) for p in m.parameters())

    def forecast(self, batch: Batch) -> Tensor:
        """(B, H, C, Q) from the context; missing steps are handed to fracast as NaN."""
        series, observed = forecast_inputs(batch, self.num_channels)
        B, L, C = series.shape
        rows = torch.where(observed, series, torch.full((), float("nan"))).transpose(1, 2).reshape(B * C, L)
        rows_np = rows.numpy().astype(np.float32)
        pretrained: Any = self.__dict__["pretrained"]
        out = [
            pretrained.forecast_batch(rows_np[i : i + self.rows_per_call], horizon=self.horizon)
            for i in range(0, B * C, self.rows_per_call)
        ]
        quantiles = torch.from_numpy(np.concatenate(out)[..., self.levels])  # (BC, H, Q)
        return quantiles.reshape(B, C, self.horizon, -1).transpose(1, 2).float()
