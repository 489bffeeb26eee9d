"""The DeepSeekMoE configuration: shared experts always active plus fine-grained routed experts."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from moesaic.moe import FeedForwardExpert, MoEConfig, SparseMoE, TopKRouter, build_moe

D = 8


def _deepseek() -> SparseMoE:
    layer = build_moe(
        MoEConfig(router="shared", num_experts=8, top_k=2, num_shared=2, expert_hidden=4), dim=D
    )
    return layer


def test_shared_config_builds_unnormalised_top_k_and_fused_shared_experts() -> None:
    layer = _deepseek()
    assert isinstance(layer.router, TopKRouter) and not layer.router.normalize
    assert isinstance(layer.shared, FeedForwardExpert)
    assert layer.shared.up.out_features == 2 * 4  # two shared experts of hidden 4, fused
    assert len(layer.experts) == 8


@torch.no_grad()
def test_shared_layer_matches_per_token_reference(mix_reference: Callable[..., Tensor]) -> None:
    layer = _deepseek()
    assert isinstance(layer.router, TopKRouter)
    x = torch.randn(2, 3, D)
    flat = x.reshape(-1, D)
    probs = torch.softmax(flat @ layer.router.gate.weight.T, dim=-1)  # (N, E)
    weights, experts = [], []
    for token_probs in probs:
        order = sorted(range(8), key=lambda e: -float(token_probs[e]))[:2]
        weights.append(token_probs[order])  # DeepSeekMoE: full-softmax gates, not renormalised
        experts.append(torch.tensor(order))
    expected = mix_reference(
        flat, torch.stack(weights), torch.stack(experts), layer.experts, shared=layer.shared
    )
    torch.testing.assert_close(layer(x).y, expected.reshape(2, 3, D))


@torch.no_grad()
def test_shared_expert_sees_every_real_token_even_when_gates_are_zero() -> None:
    layer = _deepseek()
    for expert in layer.experts:
        torch.nn.init.zeros_(expert.down.weight)
        torch.nn.init.zeros_(expert.down.bias)
    x = torch.randn(1, 4, D)
    assert layer.shared is not None
    torch.testing.assert_close(layer(x).y, layer.shared(x))
