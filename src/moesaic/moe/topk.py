"""Softmax top-k routing (Shazeer et al. 2017; Mixtral's top-2), with optional noisy gating."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.moe.routing import Router, Routing, check_sizes, check_tokens, make_routing, select_top_k


class TopKRouter(Router):
    """A linear gate, softmax over E experts, keep the K largest.

    Args:
        dim: D, token width.
        num_experts: E.
        top_k: K experts per token.
        noise_std: standard deviation of Gaussian noise added to the logits in training mode only
            (noisy gating; Shazeer et al. learn the noise scale, we keep it a fixed, documented
            constant). The noisy logits are used for selection, probabilities and losses. Seed
            with ``torch.manual_seed`` for reproducible noise.
        normalize: if True the K gate weights sum to 1 (softmax over the chosen logits, as in
            Mixtral); if False they are the full-softmax probabilities (DeepSeekMoE).
    """

    def __init__(
        self, *, dim: int, num_experts: int, top_k: int, noise_std: float = 0.0, normalize: bool = True
    ) -> None:
        super().__init__()
        check_sizes(dim=dim, num_experts=num_experts, top_k=top_k)
        if noise_std < 0:
            raise ValueError(f"`noise_std` must be >= 0, got {noise_std}")
        self.gate = nn.Linear(dim, num_experts, bias=False)
        self.num_experts, self.top_k = num_experts, top_k
        self.noise_std, self.normalize = noise_std, normalize

    def logits(self, x: Tensor) -> Tensor:
        """(N, D) tokens -> (N, E) float32 logits, noisy in training mode when ``noise_std`` > 0."""
        logits = F.linear(x.float(), self.gate.weight.float())  # (N, E)
        if self.training and self.noise_std > 0:
            logits = logits + self.noise_std * torch.randn_like(logits)
        return logits

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
        logits = self.logits(x)  # (N, E)
        weights, experts = select_top_k(logits, self.top_k, normalize=self.normalize)  # (N, K), (N, K)
        return make_routing(logits, weights, experts, mask)
