"""Classification on the backbone: a head on the pooled representation, and a model owning its loss.

Axes: B batch, D model width, K classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.model import Backbone, ModelConfig
from moesaic.train import LossOutput


class ClassificationHead(nn.Module):
    """Layer norm then a linear map of the pooled (B, D) representation to (B, K) logits."""

    def __init__(self, *, dim: int, num_classes: int) -> None:
        super().__init__()
        if dim < 1:
            raise ValueError(f"`dim` must be >= 1, got {dim}")
        if num_classes < 2:
            raise ValueError(f"`num_classes` must be >= 2, got {num_classes}")
        self.norm = nn.LayerNorm(dim)
        self.linear = nn.Linear(dim, num_classes)

    def forward(self, pooled: Tensor) -> Tensor:
        """(B, D) -> (B, K) logits."""
        return self.linear(self.norm(pooled))


class FaultClassifier(nn.Module):
    """Backbone + :class:`ClassificationHead`: the fault type of a multimodal window.

    ``loss(batch)`` is the cross-entropy against ``batch.targets["label"]`` (B,) int64 plus the
    backbone's weighted aux losses; the parts log the task loss and each unweighted aux loss.

    Args:
        config: the backbone.
        num_classes: K, class ids are in [0, K).
    """

    def __init__(self, config: ModelConfig, *, num_classes: int) -> None:
        super().__init__()
        self.config = config
        self.num_classes = num_classes
        self.backbone = Backbone(config)
        self.head = ClassificationHead(dim=config.dim, num_classes=num_classes)

    def forward(self, batch: Batch) -> Tensor:
        """(B, K) logits of ``batch``."""
        return self.head(self.backbone(batch).pooled)

    def loss(self, batch: Batch) -> LossOutput:
        """Cross-entropy plus weighted aux losses; ``parts`` holds "task", "aux" and each aux loss."""
        labels = self._labels(batch)
        out = self.backbone(batch)
        task = F.cross_entropy(self.head(out.pooled), labels)
        aux = self.backbone.aux_loss(out.aux_losses)
        parts: dict[str, float | Tensor] = {"task": task.detach(), "aux": aux.detach()}
        parts.update({name: value.detach() for name, value in out.aux_losses.items()})
        return LossOutput(task + aux, parts)

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``name`` one token uses, as the backbone says (the head is always active)."""
        return self.backbone.active_parameter_fraction(name.removeprefix("backbone."))

    def _labels(self, batch: Batch) -> Tensor:
        labels = batch.targets.get("label")
        if labels is None:
            raise ValueError(f"the batch has no target 'label'; its targets are {sorted(batch.targets)}")
        if labels.shape != (batch.size,) or labels.dtype != torch.long:
            raise ValueError(
                f"target 'label' must be int64 of shape ({batch.size},), "
                f"got {labels.dtype} {tuple(labels.shape)}"
            )
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise ValueError(
                f"target 'label' must be in [0, num_classes={self.num_classes}), found "
                f"[{int(labels.min())}, {int(labels.max())}]"
            )
        return labels
