"""The one narrow door between data and model: a :class:`Batch` of any subset of modalities.

Each modality is optional. A sample of the batch may lack a modality that others have: its
``*_present`` flag is False and the encoder emits only masked tokens for it. Axis names:
B batch, T time steps, C channels, F table features, L text tokens, H x W image pixels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor


@dataclass
class Batch:
    """A batch of multimodal samples.

    Attributes:
        series: (B, T, C) float, missing values zero-filled.
        observed: (B, T, C) bool, True where ``series`` holds a real reading.
        series_present: (B,) bool, False for samples without a series.
        numeric: (B, F) float table features, missing cells zero-filled.
        numeric_observed: (B, F) bool.
        categorical: (B, G) int64 category ids, 0 = missing.
        text_ids: (B, L) int64 token ids, 0 = padding.
        images: (B, 1, H, W) float in [0, 1].
        images_present: (B,) bool.
        targets: named targets for the heads (forecast horizon, labels, ...).
    """

    series: Tensor | None = None
    observed: Tensor | None = None
    series_present: Tensor | None = None
    numeric: Tensor | None = None
    numeric_observed: Tensor | None = None
    categorical: Tensor | None = None
    text_ids: Tensor | None = None
    images: Tensor | None = None
    images_present: Tensor | None = None
    targets: Mapping[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = {name: t.shape[0] for name, t in self._tensors().items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"every field of a Batch must have the same batch size, got {sizes}")
        if self.series is not None:
            if self.series.ndim != 3:
                raise ValueError(
                    f"`series` must be (batch, time, channels), got shape {tuple(self.series.shape)}"
                )
            if self.observed is None:
                self.observed = torch.ones_like(self.series, dtype=torch.bool)
            elif self.observed.shape != self.series.shape:
                raise ValueError(
                    f"`observed` must have shape {tuple(self.series.shape)}, got {tuple(self.observed.shape)}"
                )
            if self.series_present is None:
                self.series_present = torch.ones(self.series.shape[0], dtype=torch.bool)
        if self.numeric is not None and self.numeric_observed is None:
            self.numeric_observed = ~torch.isnan(self.numeric)
            self.numeric = torch.nan_to_num(self.numeric)
        if self.images is not None and self.images_present is None:
            self.images_present = torch.ones(self.images.shape[0], dtype=torch.bool)

    def _tensors(self) -> dict[str, Tensor]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "targets"}
        out.update({f"targets.{k}": v for k, v in self.targets.items()})
        return {k: v for k, v in out.items() if isinstance(v, Tensor)}

    @property
    def size(self) -> int:
        tensors = self._tensors()
        if not tensors:
            raise ValueError("an empty Batch has no size")
        return int(next(iter(tensors.values())).shape[0])

    def modalities(self) -> list[str]:
        """The modalities this batch carries."""
        present = {
            "timeseries": self.series,
            "tabular": self.numeric if self.numeric is not None else self.categorical,
            "text": self.text_ids,
            "drawing": self.images,
        }
        return [name for name, value in present.items() if value is not None]

    def without(self, modality: str) -> Batch:
        """The same batch with one modality removed (for ablations)."""
        fields = {
            "timeseries": ("series", "observed", "series_present"),
            "tabular": ("numeric", "numeric_observed", "categorical"),
            "text": ("text_ids",),
            "drawing": ("images", "images_present"),
        }
        if modality not in fields:
            raise ValueError(f"unknown modality {modality!r}; choose one of {sorted(fields)}")
        cleared: dict[str, Any] = dict.fromkeys(fields[modality])
        return dataclasses.replace(self, **cleared)
