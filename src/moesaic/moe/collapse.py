"""Diagnostics of routing and representation collapse, measured on a fixed probe set.

Pure functions over numpy arrays (float64), plus :func:`measure_collapse`, which runs a
:class:`SparseMoE` on probe tokens and returns every metric in a :class:`CollapseReport`.
Entropies are in nats. Axes: N probe tokens, D width, E experts, K active experts, M modalities.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

from moesaic.moe.layer import SparseMoE
from moesaic.moe.modality import MODALITIES, ModalityRouter


class RoutingEntropy(NamedTuple):
    """Routing entropies in nats."""

    token: float  # mean over tokens of the entropy of each token's routing distribution
    marginal: float  # entropy of the mean routing distribution
    mutual_information: float  # marginal - token: how much the expert choice depends on the token


class CollapseReport(NamedTuple):
    """Every collapse metric of one MoE layer on one probe set (real probe tokens only)."""

    utilisation: np.ndarray  # (E,) share of routed slots per expert, sums to 1
    dead: np.ndarray  # (E,) bool, see dead_experts
    gini: float  # Gini of the load: 0 uniform, (E-1)/E when one expert takes everything
    entropy: RoutingEntropy  # of the router probabilities
    expert_cosine: float  # mean pairwise cosine similarity of expert outputs on the same tokens
    expert_cka: float  # mean pairwise linear CKA of expert outputs on the same tokens
    effective_rank: float  # of the layer outputs (N, D)
    modality_matrix: np.ndarray | None  # (M, E) routing share per modality; None without modality ids
    consistency: float | None  # top-1 agreement with the `previous` report; None without one
    top1: np.ndarray  # (N,) int64 top-1 expert per probe token, for a later consistency check

    def scalars(self) -> dict[str, float]:
        """The scalar metrics by name, for logging."""
        values = {
            "num_dead": float(self.dead.sum()),
            "gini": self.gini,
            "token_entropy": self.entropy.token,
            "marginal_entropy": self.entropy.marginal,
            "mutual_information": self.entropy.mutual_information,
            "expert_cosine": self.expert_cosine,
            "expert_cka": self.expert_cka,
            "effective_rank": self.effective_rank,
        }
        if self.consistency is not None:
            values["consistency"] = self.consistency
        return values


def expert_utilisation(load: ArrayLike) -> np.ndarray:
    """(E,) routed slots per expert -> (E,) share per expert; all zeros when nothing was routed."""
    counts = np.asarray(load, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def dead_experts(load: ArrayLike, *, fraction_of_uniform: float = 0.01) -> np.ndarray:
    """(E,) bool: experts whose share is below ``fraction_of_uniform`` of the uniform share 1/E.

    With the default, an expert of 8 is dead when it gets less than 0.01 / 8 = 0.125% of the slots.
    """
    if not 0 <= fraction_of_uniform <= 1:
        raise ValueError(f"`fraction_of_uniform` must be in [0, 1], got {fraction_of_uniform}")
    share = expert_utilisation(load)
    return share < fraction_of_uniform / share.shape[0]


def load_gini(load: ArrayLike) -> float:
    """Gini coefficient of a non-negative (E,) load: sum_ij |l_i - l_j| / (2 E sum_i l_i).

    0 for uniform load (and for no load at all), (E - 1) / E when one expert takes everything.
    """
    counts = np.asarray(load, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        return 0.0
    return float(np.abs(counts[:, None] - counts[None, :]).sum() / (2 * counts.shape[0] * total))


def routing_entropy(probs: ArrayLike) -> RoutingEntropy:
    """Entropies of (N, E) routing probabilities (rows sum to 1), in nats."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"`probs` must have shape (tokens, experts) with tokens > 0, got {p.shape}")
    token = float(_entropy(p).mean())
    marginal = float(_entropy(p.mean(axis=0)))
    return RoutingEntropy(token=token, marginal=marginal, mutual_information=marginal - token)


def mean_pairwise_cosine(outputs: ArrayLike) -> float:
    """(E, N, D) expert outputs on the same N tokens -> cosine similarity averaged over tokens and
    expert pairs; 1.0 for identical experts, NaN with fewer than two experts."""
    values = _check_expert_outputs(outputs)
    norms = np.linalg.norm(values, axis=-1, keepdims=True)  # (E, N, 1)
    unit = values / np.where(norms > 0, norms, 1.0)
    pairs = [(unit[i] * unit[j]).sum(axis=-1).mean() for i, j in itertools.combinations(range(len(unit)), 2)]
    return float(np.mean(pairs)) if pairs else float("nan")


def linear_cka(a: ArrayLike, b: ArrayLike) -> float:
    """Linear CKA (Kornblith et al. 2019) of (N, D1) and (N, D2) representations of the same tokens.

    ``||B^T A||_F^2 / (||A^T A||_F ||B^T B||_F)`` on column-centred A and B; 1.0 for identical
    (or rotated, or scaled) representations, 0.0 when either is constant.
    """
    left, right = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if left.ndim != 2 or right.ndim != 2 or left.shape[0] != right.shape[0]:
        raise ValueError(
            f"`a` and `b` must be (tokens, dim) with the same tokens, got {left.shape} and {right.shape}"
        )
    left, right = left - left.mean(axis=0), right - right.mean(axis=0)
    denominator = np.linalg.norm(left.T @ left) * np.linalg.norm(right.T @ right)
    return float(np.linalg.norm(right.T @ left) ** 2 / denominator) if denominator > 0 else 0.0


def mean_pairwise_cka(outputs: ArrayLike) -> float:
    """(E, N, D) expert outputs -> linear CKA averaged over expert pairs; NaN with fewer than two."""
    values = _check_expert_outputs(outputs)
    pairs = [linear_cka(values[i], values[j]) for i, j in itertools.combinations(range(len(values)), 2)]
    return float(np.mean(pairs)) if pairs else float("nan")


def effective_rank(x: ArrayLike) -> float:
    """Effective rank (Roy & Vetterli 2007) of an (N, D) matrix, not centred.

    ``exp(H(p))`` with p the singular values divided by their sum; n for the n x n identity, 1 for
    a rank-one matrix, 0 for the zero matrix.
    """
    matrix = np.asarray(x, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"`x` must have shape (tokens, dim), got {matrix.shape}")
    singular = np.linalg.svd(matrix, compute_uv=False)
    total = singular.sum()
    return float(np.exp(_entropy(singular / total))) if total > 0 else 0.0


def routing_consistency(top1_a: ArrayLike, top1_b: ArrayLike) -> float:
    """Share of tokens whose (N,) top-1 expert is the same under two checkpoints."""
    first, second = np.asarray(top1_a), np.asarray(top1_b)
    if first.shape != second.shape or first.ndim != 1 or first.size == 0:
        raise ValueError(
            f"`top1_a` and `top1_b` must be non-empty (tokens,) arrays of equal shape, "
            f"got {first.shape} and {second.shape}"
        )
    return float((first == second).mean())


def modality_expert_matrix(
    modality: ArrayLike, experts: ArrayLike, *, num_modalities: int, num_experts: int
) -> np.ndarray:
    """(M, E) share of each modality's routed slots that went to each expert.

    Args:
        modality: (N,) modality id per token, in [0, num_modalities).
        experts: (N, K) chosen experts per token.
    Returns:
        (M, E) float64; each row sums to 1, or is all zeros for a modality absent from the probe.
    """
    ids, chosen = np.asarray(modality, dtype=np.int64), np.asarray(experts, dtype=np.int64)
    if chosen.ndim != 2 or ids.shape != chosen.shape[:1]:
        raise ValueError(f"`modality` must be (N,) and `experts` (N, K), got {ids.shape} and {chosen.shape}")
    if ids.size and not (ids.min() >= 0 and ids.max() < num_modalities):
        raise ValueError(f"`modality` ids must be in [0, {num_modalities}), got {sorted(set(ids.tolist()))}")
    counts = np.zeros((num_modalities, num_experts), dtype=np.float64)
    np.add.at(counts, (np.repeat(ids, chosen.shape[1]), chosen.ravel()), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    return counts / np.where(totals > 0, totals, 1.0)


@torch.no_grad()
def measure_collapse(
    layer: SparseMoE,
    probe_tokens: Tensor,
    *,
    mask: Tensor | None = None,
    modality: Tensor | None = None,
    previous: CollapseReport | None = None,
    fraction_of_uniform: float = 0.01,
) -> CollapseReport:
    """Run ``layer`` in eval mode on probe tokens and measure collapse; its mode is restored after.

    Args:
        layer: the sparse MoE layer to inspect.
        probe_tokens: (B, N, D) tokens, the same for every checkpoint compared.
        mask: (B, N) bool, True = real token; only real tokens are measured.
        modality: (B, N) int64 modality ids; needed by a modality router and for the modality matrix.
        previous: the report of an earlier checkpoint on the same probe, for routing consistency.
        fraction_of_uniform: threshold of :func:`dead_experts`.
    """
    was_training = layer.training
    layer.eval()
    try:
        out = layer(probe_tokens, modality=modality, mask=mask)
        real = torch.ones(probe_tokens.shape[:2], dtype=torch.bool) if mask is None else mask
        real = real.reshape(-1)  # (BN,)
        flat = probe_tokens.reshape(-1, probe_tokens.shape[-1])[real]  # (n, D)
        expert_outputs = torch.stack([expert(flat) for expert in layer.experts])  # (E, n, D)
    finally:
        layer.train(was_training)
    routing = out.routing
    outputs = expert_outputs.float().cpu().numpy()
    experts = routing.experts[real].cpu().numpy()  # (n, K)
    top1 = experts[:, 0]
    load = routing.load.cpu().numpy()
    modality_matrix = None
    if modality is not None:
        router = layer.router
        num_modalities = router.num_modalities if isinstance(router, ModalityRouter) else len(MODALITIES)
        modality_matrix = modality_expert_matrix(
            modality.reshape(-1)[real].cpu().numpy(),
            experts,
            num_modalities=num_modalities,
            num_experts=len(layer.experts),
        )
    return CollapseReport(
        utilisation=expert_utilisation(load),
        dead=dead_experts(load, fraction_of_uniform=fraction_of_uniform),
        gini=load_gini(load),
        entropy=routing_entropy(routing.probs[real].cpu().numpy()),
        expert_cosine=mean_pairwise_cosine(outputs),
        expert_cka=mean_pairwise_cka(outputs),
        effective_rank=effective_rank(out.y.reshape(-1, out.y.shape[-1])[real].float().cpu().numpy()),
        modality_matrix=modality_matrix,
        consistency=None if previous is None else routing_consistency(previous.top1, top1),
        top1=top1,
    )


def _entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in nats along the last axis, with 0 log 0 = 0."""
    logs = np.log(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(axis=-1)


def _check_expert_outputs(outputs: ArrayLike) -> np.ndarray:
    values = np.asarray(outputs, dtype=np.float64)
    if values.ndim != 3:
        raise ValueError(f"`outputs` must have shape (experts, tokens, dim), got {values.shape}")
    return values
