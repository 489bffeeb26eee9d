"""Competition routing (CompeteSMoE, Pham et al. 2024, arXiv 2402.02526).

On a scheduled share of training steps every expert processes every token, and the experts
*compete*: each token goes to the K experts whose outputs have the largest affinity
``softplus(||expert(x)||)``, gated by the softmax of those affinities. The router is trained to
imitate the competition through an aux loss, and on all other steps, and in eval mode, it routes
like a plain top-k router, at sparse cost.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from moesaic.moe.routing import Routing, check_tokens, make_routing, select_top_k
from moesaic.moe.topk import TopKRouter


class CompetitionRouter(TopKRouter):
    """Top-k router that competes on a fraction ``rate`` of training steps and learns from it.

    The schedule is deterministic: training call number s (counted in the ``step`` buffer, saved
    with the state dict) competes when ``floor((s + 1) * rate) > floor(s * rate)``, so ``rate=0.5``
    competes on every other step and ``rate=1`` on all of them.

    On a competition step the :class:`Routing` carries the competition's choice in ``weights`` and
    ``experts``, the router's own probabilities in ``probs`` (for the balance loss and logging),
    and ``extra_losses["competition"]``: the imitation loss, the mean over real tokens of
    ``sum_e (p_router_e - p_competition_e) ** 2`` with ``p_competition = softmax(affinity)`` held
    fixed, so that its gradient only reaches the router. On other steps that loss is 0.

    Args:
        dim: D, token width.
        num_experts: E.
        top_k: K experts per token.
        rate: share of training steps that compete, in (0, 1].
        noise_std: see :class:`TopKRouter`.
        normalize: see :class:`TopKRouter`; applies to both the router and the competition.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_experts: int,
        top_k: int,
        rate: float = 0.5,
        noise_std: float = 0.0,
        normalize: bool = True,
    ) -> None:
        super().__init__(
            dim=dim, num_experts=num_experts, top_k=top_k, noise_std=noise_std, normalize=normalize
        )
        if not 0 < rate <= 1:
            raise ValueError(f"`rate` must be in (0, 1], got {rate}")
        self.rate = rate
        self.step: Tensor
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def needs_expert_outputs(self) -> bool:
        """True when the next training call is a competition step."""
        if not self.training:
            return False
        step = int(self.step)
        return math.floor((step + 1) * self.rate) > math.floor(step * self.rate)

    def forward(
        self,
        x: Tensor,
        *,
        mask: Tensor | None = None,
        modality: Tensor | None = None,
        expert_outputs: Tensor | None = None,
    ) -> Routing:
        """Route (N, D) tokens; ``expert_outputs`` (N, E, D) is required on competition steps.

        See :class:`moesaic.moe.routing.Router` for the arguments.
        """
        competing = self.needs_expert_outputs()
        mask = check_tokens(x, mask)
        expected = (x.shape[0], self.num_experts)
        found = None if expert_outputs is None else tuple(expert_outputs.shape)
        if competing and (found is None or len(found) != 3 or found[:2] != expected):
            raise ValueError(
                f"`expert_outputs` must have shape (tokens, experts, dim) = "
                f"({expected[0]}, {expected[1]}, D) on a competition step, got {found}"
            )
        if self.training:
            self.step += 1
        logits = self.logits(x)  # (N, E)
        if not competing:
            weights, experts = select_top_k(logits, self.top_k, normalize=self.normalize)
            zero = logits.new_zeros(())
            return make_routing(logits, weights, experts, mask, extra_losses={"competition": zero})
        assert expert_outputs is not None
        affinity = F.softplus(expert_outputs.float().norm(dim=-1))  # (N, E)
        weights, experts = select_top_k(affinity, self.top_k, normalize=self.normalize)  # (N, K)
        target = affinity.detach().softmax(dim=-1)  # (N, E)
        gap = (logits.softmax(dim=-1) - target).square().sum(dim=-1)  # (N,)
        imitation = torch.where(mask, gap, 0.0).sum() / mask.sum().clamp(min=1)
        return make_routing(logits, weights, experts, mask, extra_losses={"competition": imitation})
