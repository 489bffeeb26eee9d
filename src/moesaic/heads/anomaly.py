"""Anomaly scoring on the backbone: forecast the next steps of every channel; the error is the evidence.

Each channel of a window of ``context_length`` standardised steps is one sample for the backbone
(channel independence, as PatchTST): a few patch tokens for its shape (normalised per window by
RevIN) and two table tokens for its level, the window mean and log standard deviation on the
training scale, which RevIN removes. So one model serves any number of channels, attention stays
cheap with many channels, and the experts can specialise in kinds of channels (smooth or noisy,
flat or periodic). The head reads the last patch token and returns the next ``horizon`` steps:

    forecast = g * window mean + shape * window std,

with ``g`` in (0, 1) the persistence of the level. Training pays ``persistence_penalty * g``, as a
ridge autoregression pays for its coefficients: on a noisy channel carrying the window mean on
hardly improves the forecast, so ``g`` goes to 0 and the forecast returns to the training mean,
and a level shift keeps a residual for as long as it lasts; on a smooth, drifting channel the
level is worth its cost, ``g`` stays near 1, and a slow drift is not an anomaly.

Axes: B batch, T context steps, H horizon, C channels, D model width, P patches per channel.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.encoders import fit_revin
from moesaic.model import Backbone, ModelConfig
from moesaic.train import LossOutput


class HeadOutput(NamedTuple):
    shape: Tensor  # (N, H) in RevIN units of the context, N = B * C channel samples
    persistence: Tensor  # (N, 1) in (0, 1): how much of the context level carries on


class AnomalyHead(nn.Module):
    """(N, D) last-patch tokens -> :class:`HeadOutput`."""

    def __init__(self, *, dim: int, horizon: int) -> None:
        super().__init__()
        if dim < 1 or horizon < 1:
            raise ValueError(f"`dim` and `horizon` must be >= 1, got {dim} and {horizon}")
        self.horizon = horizon
        self.norm = nn.LayerNorm(dim)
        self.linear = nn.Linear(dim, horizon + 1)

    def forward(self, tokens: Tensor) -> HeadOutput:
        out = self.linear(self.norm(tokens))  # (N, H + 1)
        return HeadOutput(out[:, : self.horizon], torch.sigmoid(out[:, self.horizon :]))


class AnomalyModel(nn.Module):
    """Backbone + :class:`AnomalyHead`: (B, H, C) forecast of the steps after a (B, T, C) context.

    ``batch.series`` is the context on the training scale; ``batch.numeric`` the (B, 2C) table of
    window means then log standard deviations (None when ``tabular`` is not a modality);
    ``batch.targets["future"]`` (B, H, C) the steps to forecast, NaN where unobserved. The
    backbone config must take one channel (``max_channels=1``) and, with a table, two numeric
    features; ``"timeseries"`` must be its first modality, so that series tokens come first.
    """

    def __init__(self, config: ModelConfig, *, horizon: int, persistence_penalty: float = 0.0) -> None:
        super().__init__()
        encoders = config.encoders
        if encoders.modalities[:1] != ("timeseries",):
            raise ValueError(
                f"the anomaly model needs 'timeseries' as first modality, got {list(encoders.modalities)}"
            )
        if encoders.max_channels != 1 or encoders.num_numeric not in (0, 2):
            raise ValueError(
                "the anomaly model reads one channel per sample: it needs max_channels=1 and num_numeric "
                f"0 or 2, got {encoders.max_channels} and {encoders.num_numeric}"
            )
        self.config = config
        self.horizon = horizon
        self.persistence_penalty = persistence_penalty
        self.backbone = Backbone(config)
        self.head = AnomalyHead(dim=config.dim, horizon=horizon)

    def forward(self, batch: Batch) -> Tensor:
        """(B, H, C) forecast on the training scale."""
        return self._forecast(batch)[0]

    def loss(self, batch: Batch) -> LossOutput:
        """Squared error over the observed future steps, the persistence penalty and the aux losses."""
        future = batch.targets.get("future")
        if future is None or batch.series is None or future.shape[::2] != batch.series.shape[::2]:
            found = None if future is None else tuple(future.shape)
            raise ValueError(
                f"the batch needs target 'future' of shape (B, {self.horizon}, C), found {found}"
            )
        forecast, head, aux_losses = self._forecast(batch)
        seen = torch.isfinite(future)
        task = F.mse_loss(forecast[seen], future[seen]) if seen.any() else forecast.sum() * 0.0
        persistence = head.persistence.mean()
        aux = self.backbone.aux_loss(aux_losses)
        parts: dict[str, float | Tensor] = {"task": task.detach(), "persistence": persistence.detach()}
        return LossOutput(task + self.persistence_penalty * persistence + aux, {**parts, "aux": aux.detach()})

    def _forecast(self, batch: Batch) -> tuple[Tensor, HeadOutput, dict[str, Tensor]]:
        if batch.series is None or batch.observed is None:
            raise ValueError("the anomaly model needs `batch.series` (B, T, C)")
        B, T, C = batch.series.shape
        table = batch.numeric  # (B, 2C): means then log standard deviations
        per_channel = Batch(
            series=batch.series.transpose(1, 2).reshape(B * C, T, 1),
            observed=batch.observed.transpose(1, 2).reshape(B * C, T, 1),
            numeric=None if table is None else table.reshape(B, 2, C).transpose(1, 2).reshape(B * C, 2),
        )
        out = self.backbone(per_channel)
        P = -(-T // self.config.encoders.patch_len)
        head = self.head(out.tokens[:, P - 1])  # the last patch token of each channel sample
        assert per_channel.series is not None and per_channel.observed is not None
        observed = per_channel.observed & torch.isfinite(per_channel.series)
        series = torch.where(observed, per_channel.series, torch.zeros((), dtype=per_channel.series.dtype))
        stats = fit_revin(series.float(), observed, eps=self.config.encoders.revin_eps)  # (N, 1, 1) each
        # No free offset on the training scale: the level can only come on through g, at its price.
        forecast = head.persistence * stats.mean[:, 0] + head.shape * stats.std[:, 0]  # (N, H)
        return forecast.reshape(B, C, self.horizon).transpose(1, 2), head, out.aux_losses

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``name`` one token uses, as the backbone says (the head is always active)."""
        return self.backbone.active_parameter_fraction(name.removeprefix("backbone."))


def window_table(context: np.ndarray) -> np.ndarray:
    """(W, 2C) float32 table of each window's channel means then log standard deviations.

    ``context``: (W, T, C) standardised values, NaN where unobserved; a channel without any
    reading in a window gets NaN (a masked table token).
    """
    seen = np.isfinite(context)
    count = seen.sum(axis=1)
    filled = np.where(seen, context, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / count
        var = (np.where(seen, context - mean[:, None, :], 0.0) ** 2).sum(axis=1) / count
        log_std = 0.5 * np.log(var + 1e-4)
    table = np.concatenate([mean, log_std], axis=1)
    table[np.tile(count == 0, 2)] = np.nan
    return table.astype(np.float32)
