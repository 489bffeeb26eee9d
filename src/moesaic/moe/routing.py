"""The routing record every router returns, the router base class, and the shared routing math.

Axes: N tokens (batch and sequence flattened), D model width, E experts, K active experts per token.

All routing math runs in float32 whatever the dtype of the tokens, and padding tokens (``mask``
False) never count toward the load, the balance loss or the z-loss.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn


class Routing(NamedTuple):
    """What a router decided for N tokens, and the auxiliary losses that come with it."""

    weights: Tensor  # (N, K) float32 gate weights of the chosen experts
    experts: Tensor  # (N, K) int64 indices of the chosen experts
    probs: Tensor  # (N, E) float32 router probabilities over all experts
    load: Tensor  # (E,) int64 routed slots per expert, real tokens only
    balance_loss: Tensor  # () float32 Switch-style load balance loss, 1.0 at perfectly uniform routing
    z_loss: Tensor  # () float32 router z-loss, mean over real tokens of logsumexp(logits) ** 2
    extra_losses: dict[str, Tensor]  # router-specific aux losses, e.g. {"competition": ()}


class Router(nn.Module):
    """Base class of the routers: maps N tokens to K experts each, out of E.

    Subclasses set ``num_experts`` and ``top_k`` and implement :meth:`forward`. A router that
    must see every expert's output before deciding (competition routing) returns True from
    :meth:`needs_expert_outputs`; the MoE layer then evaluates all experts on all tokens and
    passes them in as ``expert_outputs``.
    """

    num_experts: int
    top_k: int

    def needs_expert_outputs(self) -> bool:
        """Whether the next call to :meth:`forward` needs ``expert_outputs``."""
        return False

    def forward(
        self,
        x: Tensor,
        *,
        mask: Tensor | None = None,
        modality: Tensor | None = None,
        expert_outputs: Tensor | None = None,
    ) -> Routing:
        """Route tokens to experts.

        Args:
            x: (N, D) tokens.
            mask: (N,) bool, True = real token; None means all tokens are real.
            modality: (N,) int64 modality id per token; only modality-aware routers use it.
            expert_outputs: (N, E, D) every expert's output on every token, given only when
                :meth:`needs_expert_outputs` returned True.
        Returns:
            The :class:`Routing` of the N tokens.
        """
        raise NotImplementedError


def check_sizes(*, dim: int, num_experts: int, top_k: int) -> None:
    """Validate the sizes every router shares."""
    if dim < 1:
        raise ValueError(f"`dim` must be >= 1, got {dim}")
    if num_experts < 1:
        raise ValueError(f"`num_experts` must be >= 1, got {num_experts}")
    if not 1 <= top_k <= num_experts:
        raise ValueError(f"`top_k` must be in [1, num_experts={num_experts}], got {top_k}")


def check_tokens(x: Tensor, mask: Tensor | None) -> Tensor:
    """Validate flattened router input and return the mask, all True when ``mask`` is None.

    Args:
        x: (N, D) tokens.
        mask: (N,) bool or None.
    Returns:
        (N,) bool mask.
    """
    if x.ndim != 2:
        raise ValueError(f"`x` must have shape (tokens, dim), got {tuple(x.shape)}")
    if mask is None:
        return torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
    if mask.shape != x.shape[:1] or mask.dtype != torch.bool:
        raise ValueError(
            f"`mask` must be a bool tensor of shape {tuple(x.shape[:1])}, "
            f"got {mask.dtype} {tuple(mask.shape)}"
        )
    return mask


def select_top_k(logits: Tensor, top_k: int, *, normalize: bool) -> tuple[Tensor, Tensor]:
    """Pick the ``top_k`` largest logits per token and their gate weights.

    With ``normalize`` the weights are the softmax over the chosen logits (Mixtral), which equals
    the full softmax renormalised over the chosen experts; without it they are the full softmax
    probabilities of the chosen experts (Switch, DeepSeekMoE). Selecting on logits rather than
    probabilities keeps -inf (forbidden) experts out even when probabilities underflow. With
    ``top_k == 1`` the weight is always the full-softmax probability (see below).

    Args:
        logits: (N, E) float32; -inf marks experts a token may not use.
        top_k: K, the number of experts per token.
    Returns:
        weights (N, K) float32 and experts (N, K) int64.
    """
    top_logits, experts = logits.topk(top_k, dim=-1)  # (N, K), (N, K)
    # With K = 1 a renormalised weight is always 1: the router would get no gradient from the
    # task, so top-1 routing uses the full-softmax probability, as the Switch Transformer does.
    if normalize and top_k > 1:
        weights = top_logits.softmax(dim=-1)
    else:
        weights = logits.softmax(dim=-1).gather(1, experts)
    return weights, experts


def make_routing(
    logits: Tensor,
    weights: Tensor,
    experts: Tensor,
    mask: Tensor,
    *,
    extra_losses: dict[str, Tensor] | None = None,
) -> Routing:
    """Assemble a :class:`Routing`: probabilities, load and the balance and z losses.

    Balance loss (Switch Transformer, generalised to K slots): ``E * sum_e f_e * P_e`` with f_e
    the share of routed slots that went to expert e and P_e the mean router probability of e, both
    over real tokens. It is 1.0 when routing is perfectly uniform. z-loss (ST-MoE): mean over real
    tokens of ``logsumexp(logits) ** 2``. Both are 0 when there is no real token.

    Args:
        logits: (N, E) float32 router logits (-inf allowed for forbidden experts).
        weights: (N, K) float32 gate weights of the chosen experts.
        experts: (N, K) int64 chosen experts.
        mask: (N,) bool, True = real token.
        extra_losses: router-specific aux losses to carry along.
    """
    num_experts = logits.shape[-1]
    probs = logits.softmax(dim=-1)  # (N, E)
    num_real = mask.sum().clamp(min=1).float()
    load = torch.bincount(experts[mask].flatten(), minlength=num_experts)  # (E,)
    fraction = load.float() / load.sum().clamp(min=1)  # (E,) share of routed slots
    # torch.where, not a product with the mask, so that a padding row can never leak a NaN
    mean_prob = torch.where(mask[:, None], probs, 0.0).sum(dim=0) / num_real  # (E,)
    balance = num_experts * (fraction * mean_prob).sum()
    z = torch.where(mask, logits.logsumexp(dim=-1).square(), 0.0).sum() / num_real
    return Routing(
        weights=weights,
        experts=experts,
        probs=probs,
        load=load,
        balance_loss=balance,
        z_loss=z,
        extra_losses=dict(extra_losses or {}),
    )
