"""Sparse Mixture-of-Experts: routers, experts, the MoE layer and collapse diagnostics.

A layer is composed, not configured: ``SparseMoE(router=..., experts=..., shared=...)``, or built
from a :class:`MoEConfig` with :func:`build_moe`.
"""

from moesaic.moe.collapse import CollapseReport, RoutingEntropy, measure_collapse
from moesaic.moe.competition import CompetitionRouter
from moesaic.moe.config import ROUTERS, MoEConfig, build_dense_ffn, build_moe
from moesaic.moe.experts import FeedForwardExpert, make_experts
from moesaic.moe.hyper import HyperRouter
from moesaic.moe.layer import DenseFFN, MoEOutput, SparseMoE, sum_aux_losses
from moesaic.moe.modality import MODALITIES, ModalityRouter
from moesaic.moe.routing import Router, Routing
from moesaic.moe.topk import TopKRouter

__all__ = [
    "MODALITIES",
    "ROUTERS",
    "CollapseReport",
    "CompetitionRouter",
    "DenseFFN",
    "FeedForwardExpert",
    "HyperRouter",
    "MoEConfig",
    "MoEOutput",
    "ModalityRouter",
    "Router",
    "Routing",
    "RoutingEntropy",
    "SparseMoE",
    "TopKRouter",
    "build_dense_ffn",
    "build_moe",
    "make_experts",
    "measure_collapse",
    "sum_aux_losses",
]
