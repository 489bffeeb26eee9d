"""Hypernetwork routing (HyperRouter, Do et al. 2023, arXiv 2312.07035).

The router weight matrix (D, E) is not a free parameter: a small MLP, randomly initialised and
then frozen, generates it from a trainable embedding vector. Training moves only the embedding,
which keeps the router from overfitting to a few experts early and so delays routing collapse.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from moesaic.moe.routing import Router, Routing, check_sizes, check_tokens, make_routing, select_top_k


class HyperRouter(Router):
    """Top-k routing over logits ``x @ W`` where ``W = hypernet(embedding)``, reshaped to (D, E).

    The hypernetwork parameters have ``requires_grad`` False; only ``embedding`` trains. Code that
    unfreezes every parameter (full fine-tuning) will unfreeze the hypernetwork too: re-freeze it
    with ``router.hypernet.requires_grad_(False)`` when that is not wanted.

    Args:
        dim: D, token width.
        num_experts: E.
        top_k: K experts per token.
        embedding_dim: size of the trainable embedding.
        hidden: hidden width of the frozen hypernetwork.
        normalize: see :class:`moesaic.moe.topk.TopKRouter`.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_experts: int,
        top_k: int,
        embedding_dim: int = 16,
        hidden: int = 64,
        normalize: bool = True,
    ) -> None:
        super().__init__()
        check_sizes(dim=dim, num_experts=num_experts, top_k=top_k)
        if embedding_dim < 1:
            raise ValueError(f"`embedding_dim` must be >= 1, got {embedding_dim}")
        if hidden < 1:
            raise ValueError(f"`hidden` must be >= 1, got {hidden}")
        self.dim, self.num_experts, self.top_k, self.normalize = dim, num_experts, top_k, normalize
        self.embedding = nn.Parameter(torch.randn(embedding_dim))
        self.hypernet = nn.Sequential(
            nn.Linear(embedding_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, dim * num_experts),
        ).requires_grad_(False)

    def router_weight(self) -> Tensor:
        """The generated (D, E) float32 router weight."""
        return self.hypernet(self.embedding).float().view(self.dim, self.num_experts)

    def forward(
        self,
        x: Tensor,
        *,
        mask: Tensor | None = None,
        modality: Tensor | None = None,
        expert_outputs: Tensor | None = None,
    ) -> Routing:
        """Route (N, D) tokens; ``modality`` and ``expert_outputs`` are not used. See :class:`Router`."""
        mask = check_tokens(x, mask)
        logits = x.float() @ self.router_weight()  # (N, E)
        weights, experts = select_top_k(logits, self.top_k, normalize=self.normalize)
        return make_routing(logits, weights, experts, mask)
