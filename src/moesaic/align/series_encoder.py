"""Stage 0 of the LLaVA-style pipeline of :mod:`moesaic.align.projector`: the series encoder.

:class:`SeriesEncoder` turns a window into F features: the project's :class:`PatchEncoder` (RevIN
patches), a scale token (log standard deviation and mean of the window, which RevIN removes but
stated changes need), two small transformer layers mixing the tokens and a layer to F features.
It is pretrained with linear attribute heads (:class:`TemplateClassifier`) on the targets of
:func:`attribute_batch`; the heads filling the caption template are the non-LM baseline.

Axes: B batch, T time steps, P patches, N encoder tokens (P + 1), D encoder width, F features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.align.attributes import ANOMALIES, PERIODS, TRENDS, Attributes
from moesaic.align.projector_config import ProjectorConfig
from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.series import PatchEncoder


class SeriesEncoder(nn.Module):
    """(B, T) series -> (B, F) features.

    N = P + 1 tokens of width D (the scale token, then one per patch) are mixed by a small
    transformer, flattened (so that where a token sits stays known) and mapped to F features.
    """

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        self.config = config
        patches = config.length // config.patch_len
        self.patches = PatchEncoder(
            EncoderConfig(dim=config.dim, modalities=("timeseries",), patch_len=config.patch_len,
                          max_patches=patches, max_channels=1)
        )  # fmt: skip
        self.scale = nn.Linear(2, config.dim)
        layer = nn.TransformerEncoderLayer(config.dim, 4, 2 * config.dim, dropout=0.0, batch_first=True,
                                           norm_first=True)  # fmt: skip
        self.mix = nn.TransformerEncoder(layer, config.encoder_layers, enable_nested_tensor=False)
        self.trunk = nn.Sequential(nn.Linear(config.encoder_tokens * config.dim, config.features), nn.GELU())

    def forward(self, series: Tensor) -> Tensor:
        if series.ndim != 2 or series.shape[1] != self.config.length:
            raise ValueError(f"`series` must be (batch, {self.config.length}), got {tuple(series.shape)}")
        encoding = self.patches.encode_with_stats(Batch(series=series[..., None]))
        assert encoding.stats is not None
        stats = torch.cat([encoding.stats.std.log(), torch.asinh(encoding.stats.mean)], dim=-1)  # (B, 1, 2)
        tokens = self.mix(torch.cat([self.scale(stats), encoding.tokens.x], dim=1))  # (B, N, D)
        return cast(Tensor, self.trunk(tokens.flatten(1)))  # (B, F)


class AttributeBatch(NamedTuple):
    """series: (B, T); targets: trend, season (0 none, 1 + index in PERIODS), anomaly, position
    (-100 where none), log_change (log |change|, NaN where flat)."""

    series: Tensor
    targets: dict[str, Tensor]


def attribute_batch(series: np.ndarray, attributes: Sequence[Attributes]) -> AttributeBatch:
    """The targets of the attribute heads for (B, T) ``series`` with known ``attributes``."""
    targets = {
        "trend": [TRENDS.index(a.trend) for a in attributes],
        "season": [0 if a.period is None else 1 + PERIODS.index(a.period) for a in attributes],
        "anomaly": [ANOMALIES.index(a.anomaly) for a in attributes],
        "position": [-100 if a.position is None else a.position for a in attributes],
    }
    log_change = [float("nan") if a.trend == "flat" else float(np.log(abs(a.change))) for a in attributes]
    return AttributeBatch(
        torch.as_tensor(series, dtype=torch.float32),
        {k: torch.tensor(v) for k, v in targets.items()} | {"log_change": torch.tensor(log_change)},
    )


HEADS = ("trend", "season", "anomaly", "position", "log_change")
"""The attribute heads of :class:`TemplateClassifier` (outputs: classes, or 1 for the log change)."""


def attribute_heads(config: ProjectorConfig, names: Sequence[str] = HEADS) -> nn.ModuleDict:
    """Fresh linear attribute heads ``names`` (among :data:`HEADS`) on the encoder's F features."""
    sizes = {"trend": len(TRENDS), "season": 1 + len(PERIODS), "anomaly": len(ANOMALIES),
             "position": config.length, "log_change": 1}  # fmt: skip
    return nn.ModuleDict({name: nn.Linear(config.features, sizes[name]) for name in names})


class TemplateClassifier(nn.Module):
    """Linear attribute heads on the encoder features; its predictions fill caption templates."""

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        self.encoder = SeriesEncoder(config)
        self.heads = attribute_heads(config)

    def forward(self, series: Tensor) -> dict[str, Tensor]:
        """Logits of each head (log |change| for "log_change", shape (B,))."""
        features = self.encoder(series)  # (B, F)
        out = {name: head(features) for name, head in self.heads.items()}
        out["log_change"] = out["log_change"][:, 0]
        return out

    def loss(self, batch: AttributeBatch) -> Tensor:
        out, t = self(batch.series), batch.targets
        total = sum(F.cross_entropy(out[k], t[k], ignore_index=-100) for k in ("trend", "season", "anomaly"))
        if (t["position"] >= 0).any():
            total = total + F.cross_entropy(out["position"], t["position"], ignore_index=-100)
        sloped = ~torch.isnan(t["log_change"])
        if sloped.any():
            total = total + F.mse_loss(out["log_change"][sloped], t["log_change"][sloped])
        return cast(Tensor, total)

    @torch.no_grad()
    def predict(self, series: Tensor) -> list[Attributes]:
        """Predicted attributes of (B, T) series (``noise`` is not predicted: NaN)."""
        out = {k: v.numpy() for k, v in self(series).items()}
        predicted = []
        for b in range(series.shape[0]):
            trend, anomaly = TRENDS[out["trend"][b].argmax()], ANOMALIES[out["anomaly"][b].argmax()]
            season = int(out["season"][b].argmax())
            sign = {"up": 1.0, "down": -1.0, "flat": 0.0}[trend]
            period = None if season == 0 else PERIODS[season - 1]
            position = None if anomaly == "none" else int(out["position"][b].argmax())
            change = sign * float(np.exp(out["log_change"][b]))
            predicted.append(Attributes(trend, change, period, anomaly, position, float("nan")))
        return predicted
