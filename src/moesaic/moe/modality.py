"""Modality-aware routing: an expert group per modality, as CogVLM's "visual expert".

Each token carries the id of the modality it came from, and may only route among the experts of
that modality's group plus the experts shared by all modalities; the other logits are set to -inf.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from moesaic.moe.routing import Routing, check_tokens, make_routing, select_top_k
from moesaic.moe.topk import TopKRouter

MODALITIES: tuple[str, ...] = ("timeseries", "tabular", "text", "drawing")
"""Modality ids: a token of modality ``MODALITIES[i]`` carries id i."""


class ModalityRouter(TopKRouter):
    """Top-k routing restricted, per token, to the experts open to its modality.

    Args:
        dim: D, token width.
        num_experts: E.
        top_k: K experts per token; every modality must have at least K experts open to it.
        groups: ``groups[m]`` lists the experts reserved for modality m (M = len(groups)); the
            modality ids in :data:`MODALITIES` index this sequence.
        shared_experts: experts open to every modality.
        noise_std: see :class:`TopKRouter`.
        normalize: see :class:`TopKRouter`.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_experts: int,
        top_k: int,
        groups: Sequence[Sequence[int]],
        shared_experts: Sequence[int] = (),
        noise_std: float = 0.0,
        normalize: bool = True,
    ) -> None:
        super().__init__(
            dim=dim, num_experts=num_experts, top_k=top_k, noise_std=noise_std, normalize=normalize
        )
        if not groups:
            raise ValueError("`groups` must list the experts of at least one modality, got none")
        named = [*(e for g in groups for e in g), *shared_experts]
        outside = sorted({e for e in named if not 0 <= e < num_experts})
        if outside:
            raise ValueError(f"expert indices must be in [0, num_experts={num_experts}), got {outside}")
        allowed = torch.zeros(len(groups), num_experts, dtype=torch.bool)  # (M, E)
        for m, group in enumerate(groups):
            allowed[m, list(group)] = True
        allowed[:, list(shared_experts)] = True
        counts = allowed.sum(dim=1).tolist()
        short = [m for m, count in enumerate(counts) if count < top_k]
        if short:
            raise ValueError(
                f"every modality needs at least top_k={top_k} experts open to it; "
                f"modalities {short} have {[counts[m] for m in short]}"
            )
        self.allowed: Tensor
        self.register_buffer("allowed", allowed)

    @property
    def num_modalities(self) -> int:
        """M, the number of modality groups."""
        return int(self.allowed.shape[0])

    def forward(
        self,
        x: Tensor,
        *,
        mask: Tensor | None = None,
        modality: Tensor | None = None,
        expert_outputs: Tensor | None = None,
    ) -> Routing:
        """Route (N, D) tokens of (N,) int64 ``modality``; padding tokens' ids are not checked.

        See :class:`moesaic.moe.routing.Router` for the arguments.
        """
        mask = check_tokens(x, mask)
        if modality is None:
            raise ValueError("`modality` is required by ModalityRouter: an (N,) int64 id per token, got None")
        if modality.shape != mask.shape or modality.dtype != torch.long:
            raise ValueError(
                f"`modality` must be an int64 tensor of shape {tuple(mask.shape)}, "
                f"got {modality.dtype} {tuple(modality.shape)}"
            )
        real_ids = modality[mask]
        bad = real_ids[(real_ids < 0) | (real_ids >= self.num_modalities)]
        if bad.numel():
            raise ValueError(
                f"`modality` ids must be in [0, {self.num_modalities}), got {sorted(set(bad.tolist()))}"
            )
        # a padding token's id may be anything; it is routed as modality 0 and never counted
        ids = torch.where(mask, modality, 0)  # (N,)
        logits = self.logits(x).masked_fill(~self.allowed[ids], float("-inf"))  # (N, E)
        weights, experts = select_top_k(logits, self.top_k, normalize=self.normalize)
        return make_routing(logits, weights, experts, mask)
