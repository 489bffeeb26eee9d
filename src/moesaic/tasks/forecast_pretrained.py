"""Forecasting any sensor file with the pretrained forecaster as it is: no training on the file.

The forecaster of :mod:`moesaic.tasks.pretrain_forecast` reads ``context_length`` steps of one
sensor and forecasts ``horizon``. :func:`pretrained_forecast` applies it to every channel of a
(T, C) table: each channel is z-scored with its own mean and standard deviation over the table
(the forecaster was pretrained on z-scored series), its last ``context_length`` rows are the
context, and the forecast is mapped back. Longer horizons are rolled out block by block: the
median of a block is appended to the context of the next. The quantiles of a later block are
conditional on that median path, so they understate the spread of a long horizon.

Axes: T rows, C channels, L context length, H the model's horizon, N the asked horizon, Q quantiles.
"""

from __future__ import annotations

import numpy as np
import torch

from moesaic.data.batch import Batch
from moesaic.heads.forecast import MoesaicForecastModel
from moesaic.tasks.forecast_config import QuantileForecast
from moesaic.tasks.rul_windows import ChannelScaler


@torch.no_grad()
def pretrained_forecast(model: MoesaicForecastModel, values: np.ndarray, horizon: int) -> QuantileForecast:
    """The (N, C) median and (N, C, Q) quantiles of the ``horizon`` steps after (T, C) ``values``.

    NaN marks a missing value; a channel is forecast from the readings it has.

    Raises:
        ValueError: ``values`` is not (T, C), has fewer than L rows, or ``horizon`` < 1.
    """
    values = np.asarray(values, dtype=np.float64)
    L, H = model.spec.context_length, model.spec.horizon
    if values.ndim != 2:
        raise ValueError(f"`values` must be (time, channels), got shape {values.shape}")
    if len(values) < L:
        raise ValueError(
            f"the pretrained forecaster reads {L} steps of context; the series has {len(values)}"
        )
    if horizon < 1:
        raise ValueError(f"`horizon` must be >= 1, got {horizon}")
    scaler = ChannelScaler.fit(values, "zscore")
    context = torch.from_numpy(scaler.transform(values[-L:]).T.copy())  # (C, L)
    observed = torch.isfinite(context)
    context = torch.where(observed, context, torch.zeros(()))
    was_training = model.training
    model.eval()
    blocks = []
    try:
        for _ in range(-(-horizon // H)):
            batch = Batch(series=context[:, -L:, None], observed=observed[:, -L:, None])
            block = model.forecast(batch)[:, :, 0, :]  # (C, H, Q)
            blocks.append(block)
            median = block[..., model.head.median_index]
            context = torch.cat([context, median], dim=1)
            observed = torch.cat([observed, torch.ones_like(median, dtype=torch.bool)], dim=1)
    finally:
        model.train(was_training)
    quantiles = torch.cat(blocks, dim=1)[:, :horizon].permute(1, 0, 2).double().numpy()  # (N, C, Q)
    quantiles = quantiles * scaler.scale[None, :, None] + scaler.offset[None, :, None]
    median = quantiles[..., model.head.median_index]
    return QuantileForecast(median, quantiles, tuple(model.spec.quantiles))
