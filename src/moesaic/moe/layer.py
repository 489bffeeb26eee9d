"""The sparse MoE layer, composed from an injected router and experts, and its dense baseline.

Axes: B batch, N tokens per sequence, D model width, E experts, K active experts per token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.moe.experts import FeedForwardExpert
from moesaic.moe.routing import Router, Routing


class MoEOutput(NamedTuple):
    """Output of a :class:`SparseMoE` or :class:`DenseFFN` layer."""

    y: Tensor  # (B, N, D); 0 at padding tokens
    aux_losses: dict[str, Tensor]  # unweighted scalars: "balance", "z", "diversity" and router extras
    routing: Routing  # over the B * N flattened tokens


class SparseMoE(nn.Module):
    """Each token goes through the K experts its router picks, plus an optional shared module.

    ``y = shared(x) + sum_k weight_k * expert_k(x)`` for real tokens, 0 for padding tokens.
    Padding tokens are never sent to routed experts and count toward no load or loss.

    Aux losses, returned unweighted (the caller weighs them, see :func:`sum_aux_losses`):

    - ``balance``: the router's load balance loss (1.0 at uniform routing);
    - ``z``: the router z-loss;
    - ``diversity``: expert-output diversity penalty, the mean pairwise cosine similarity of the
      experts' mean outputs, each mean taken (unweighted) over the real tokens routed to that
      expert in this batch; experts that got no token are left out, and it is 0 with fewer than
      two active experts. Minimising it pushes experts apart, against representation collapse;
    - whatever the router adds in ``Routing.extra_losses`` (e.g. ``competition``).

    Args:
        router: the :class:`Router`; its ``num_experts`` must equal ``len(experts)``.
        experts: E modules mapping (n, D) -> (n, D).
        shared: optional module applied to every token (DeepSeekMoE's shared experts).
    """

    def __init__(
        self, *, router: Router, experts: Sequence[nn.Module], shared: nn.Module | None = None
    ) -> None:
        super().__init__()
        if len(experts) != router.num_experts:
            raise ValueError(
                f"`experts` must hold router.num_experts={router.num_experts} modules, got {len(experts)}"
            )
        self.router = router
        self.experts = nn.ModuleList(experts)
        self.shared = shared

    def forward(self, x: Tensor, *, modality: Tensor | None = None, mask: Tensor | None = None) -> MoEOutput:
        """Mix experts over tokens.

        Args:
            x: (B, N, D) tokens.
            modality: (B, N) int64 modality id per token, required by modality-aware routers.
            mask: (B, N) bool, True = real token; None means all tokens are real.
        Returns:
            :class:`MoEOutput` with y: (B, N, D).
        """
        flat, flat_mask, flat_modality = _flatten(x, modality=modality, mask=mask)  # (BN, D), (BN,), (BN,)
        dense = None
        if self.router.needs_expert_outputs():  # competition step: every expert sees every token
            dense = torch.stack([expert(flat) for expert in self.experts], dim=1)  # (BN, E, D)
        routing = self.router(flat, mask=flat_mask, modality=flat_modality, expert_outputs=dense)
        weights = routing.weights.to(flat.dtype)  # (BN, K)
        y = torch.zeros_like(flat)  # (BN, D)
        means = []
        for e, expert in enumerate(self.experts):  # E is small: a plain loop is clearest
            token, slot = ((routing.experts == e) & flat_mask[:, None]).nonzero(as_tuple=True)
            if token.numel() == 0:
                continue
            out = expert(flat[token]) if dense is None else dense[token, e]  # (n, D)
            y = y.index_add(0, token, weights[token, slot, None] * out)
            means.append(out.float().mean(dim=0))
        if self.shared is not None:
            y = y + torch.where(flat_mask[:, None], self.shared(flat), 0.0)
        aux = {
            "balance": routing.balance_loss,
            "z": routing.z_loss,
            "diversity": _mean_pairwise_cosine(means, like=routing.z_loss),
            **routing.extra_losses,
        }
        return MoEOutput(y.reshape(x.shape), aux, routing)


class DenseFFN(nn.Module):
    """The dense baseline: one feed-forward block as wide as a sparse layer's active experts.

    Returns the same :class:`MoEOutput` as :class:`SparseMoE`, with one "expert" that every real
    token uses with weight 1 and aux losses ``balance``, ``z`` and ``diversity`` all 0.

    Args:
        dim: D.
        hidden: hidden width; ``(top_k + num_shared) * expert_hidden`` matches a sparse layer's
            active size.
    """

    def __init__(self, *, dim: int, hidden: int) -> None:
        super().__init__()
        self.ffn = FeedForwardExpert(dim=dim, hidden=hidden)

    def forward(self, x: Tensor, *, modality: Tensor | None = None, mask: Tensor | None = None) -> MoEOutput:
        """(B, N, D) -> :class:`MoEOutput`; ``modality`` is accepted for interface parity and unused."""
        flat, flat_mask, _ = _flatten(x, modality=modality, mask=mask)
        y = torch.where(flat_mask[:, None], self.ffn(flat), 0.0)  # (BN, D)
        num_tokens = flat.shape[0]
        zero = flat.new_zeros((), dtype=torch.float32)
        routing = Routing(
            weights=zero.new_ones(num_tokens, 1),
            experts=flat_mask.new_zeros(num_tokens, 1, dtype=torch.long),
            probs=zero.new_ones(num_tokens, 1),
            load=flat_mask.sum().reshape(1),
            balance_loss=zero,
            z_loss=zero,
            extra_losses={},
        )
        return MoEOutput(y.reshape(x.shape), {"balance": zero, "z": zero, "diversity": zero}, routing)


def sum_aux_losses(aux_losses: Mapping[str, Tensor], weights: Mapping[str, float]) -> Tensor:
    """The weighted sum of a layer's aux losses, e.g. with ``MoEConfig.aux_loss_weights``.

    Raises:
        ValueError: an aux loss has no weight (it would otherwise be dropped silently).
    """
    missing = sorted(set(aux_losses) - set(weights))
    if missing:
        raise ValueError(f"no weight for aux losses {missing}; weights are given for {sorted(weights)}")
    total = torch.zeros(())
    for name, loss in aux_losses.items():
        total = total + weights[name] * loss
    return total


def _flatten(
    x: Tensor, *, modality: Tensor | None, mask: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Check (B, N, D) tokens and their (B, N) mask and modality; flatten them to B * N tokens."""
    if x.ndim != 3:
        raise ValueError(f"`x` must have shape (batch, tokens, dim), got {tuple(x.shape)}")
    B, N, D = x.shape
    if mask is None:
        mask = torch.ones(B, N, dtype=torch.bool, device=x.device)
    if mask.shape != (B, N) or mask.dtype != torch.bool:
        raise ValueError(
            f"`mask` must be a bool tensor of shape {(B, N)}, got {mask.dtype} {tuple(mask.shape)}"
        )
    if modality is not None and (modality.shape != (B, N) or modality.dtype != torch.long):
        raise ValueError(
            f"`modality` must be an int64 tensor of shape {(B, N)}, "
            f"got {modality.dtype} {tuple(modality.shape)}"
        )
    flat_modality = None if modality is None else modality.reshape(B * N)
    return x.reshape(B * N, D), mask.reshape(B * N), flat_modality


def _mean_pairwise_cosine(vectors: Sequence[Tensor], *, like: Tensor) -> Tensor:
    """Mean cosine similarity over the pairs of (D,) vectors; 0 (like ``like``) for fewer than two."""
    if len(vectors) < 2:
        return like.new_zeros(())
    unit = F.normalize(torch.stack(list(vectors)), dim=-1)  # (A, D)
    similarity = unit @ unit.T  # (A, A)
    upper = torch.triu_indices(len(vectors), len(vectors), offset=1)
    return similarity[upper[0], upper[1]].mean()
