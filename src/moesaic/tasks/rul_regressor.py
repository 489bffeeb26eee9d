"""The RUL model: the backbone with a linear head on its pooled representation, owning its loss.

:class:`moesaic.tasks.rul.RULEstimator` trains and averages these; its module docstring describes
the inputs (series patches and the table of channel levels).

Axes: B batch, D model width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.model import Backbone, ModelConfig
from moesaic.train import LossOutput


class RULRegressor(nn.Module):
    """Backbone + a linear head on the pooled representation: (B,) RUL as a fraction of the cap.

    ``loss(batch)`` is the mean squared error against ``batch.targets["rul"]`` (B,), plus the
    backbone's weighted aux losses in training mode.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = Backbone(config)
        self.head = nn.Sequential(nn.LayerNorm(config.dim), nn.Linear(config.dim, 1))

    def forward(self, batch: Batch) -> Tensor:
        """(B,) predicted RUL / rul_cap."""
        return self.head(self.backbone(batch).pooled).squeeze(-1)

    def loss(self, batch: Batch) -> LossOutput:
        target = batch.targets.get("rul")
        if target is None or target.shape != (batch.size,):
            found = None if target is None else tuple(target.shape)
            raise ValueError(f"the batch needs target 'rul' of shape ({batch.size},), found {found}")
        out = self.backbone(batch)
        task = F.mse_loss(self.head(out.pooled).squeeze(-1), target)
        # The aux losses shape the routing while training; in eval mode the loss is the task alone,
        # so that early stopping compares RUL errors, not router statistics.
        aux = self.backbone.aux_loss(out.aux_losses) if self.training else torch.zeros(())
        parts: dict[str, float | Tensor] = {"task": task.detach(), "aux": aux.detach()}
        return LossOutput(task + aux, parts)

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``name`` one token uses, as the backbone says (the head is always active)."""
        return self.backbone.active_parameter_fraction(name.removeprefix("backbone."))
