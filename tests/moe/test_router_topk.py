"""TopKRouter: routing against a per-token reference, the dense limit, the losses, noise."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from moesaic.moe import SparseMoE, TopKRouter, make_experts

D, E, K = 8, 4, 2


@torch.no_grad()
def _reference_routing(x: torch.Tensor, gate: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per token: softmax over the E logits, keep the K largest, renormalise."""
    weights, experts = [], []
    for token in x:
        probs = torch.softmax(torch.stack([gate[e] @ token for e in range(gate.shape[0])]), dim=0)
        order = sorted(range(gate.shape[0]), key=lambda e: -float(probs[e]))[:top_k]
        chosen = probs[order]
        weights.append(chosen / chosen.sum())
        experts.append(torch.tensor(order))
    return torch.stack(weights), torch.stack(experts)


def test_topk_layer_matches_per_token_reference(mix_reference: Callable[..., Tensor]) -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K)
    layer = SparseMoE(router=router, experts=make_experts(num_experts=E, dim=D, hidden=16))
    x = torch.randn(2, 5, D)
    out = layer(x)
    flat = x.reshape(-1, D)
    weights, experts = _reference_routing(flat, router.gate.weight, K)
    torch.testing.assert_close(out.routing.experts, experts)
    torch.testing.assert_close(out.routing.weights, weights)
    expected = mix_reference(flat, weights, experts, layer.experts)
    torch.testing.assert_close(out.y, expected.reshape(2, 5, D))


def test_when_top_k_is_num_experts_then_layer_is_dense_softmax_mixture() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=E)
    layer = SparseMoE(router=router, experts=make_experts(num_experts=E, dim=D, hidden=16))
    x = torch.randn(3, D)
    probs = torch.softmax(x @ router.gate.weight.T, dim=-1)  # (N, E)
    dense = sum(probs[:, e : e + 1] * layer.experts[e](x) for e in range(E))
    torch.testing.assert_close(layer(x[None]).y[0], dense)


def test_balance_loss_is_one_at_perfectly_uniform_routing() -> None:
    router = TopKRouter(dim=E, num_experts=E, top_k=1)
    with torch.no_grad():
        router.gate.weight.copy_(torch.eye(E))
    routing = router(3.0 * torch.eye(E))  # token e prefers expert e, probabilities symmetric
    torch.testing.assert_close(routing.load, torch.ones(E, dtype=torch.long))
    torch.testing.assert_close(routing.balance_loss, torch.tensor(1.0))


def test_balance_loss_when_every_token_picks_one_expert() -> None:
    router = TopKRouter(dim=E, num_experts=E, top_k=1)
    with torch.no_grad():
        router.gate.weight.copy_(torch.eye(E))
    x = torch.zeros(3, E)
    x[:, 0] = 2.0
    routing = router(x)
    p0 = math.exp(2.0) / (math.exp(2.0) + E - 1)
    torch.testing.assert_close(routing.balance_loss, torch.tensor(E * p0))  # E * (f_0 = 1) * P_0


def test_z_loss_at_zero_logits_is_log_num_experts_squared() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K)
    torch.nn.init.zeros_(router.gate.weight)
    routing = router(torch.randn(6, D))
    torch.testing.assert_close(routing.z_loss, torch.tensor(math.log(E) ** 2))


def test_unnormalised_weights_are_full_softmax_probabilities() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K, normalize=False)
    routing = router(torch.randn(5, D))
    torch.testing.assert_close(routing.weights, routing.probs.gather(1, routing.experts))
    assert bool((routing.weights.sum(dim=-1) < 1).all())


def test_noise_is_seeded_and_only_in_training() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K, noise_std=1.0)
    x = torch.randn(16, D)
    torch.manual_seed(1)
    first = router(x).probs
    torch.manual_seed(1)
    torch.testing.assert_close(router(x).probs, first)
    torch.manual_seed(2)
    assert not torch.allclose(router(x).probs, first)
    router.eval()
    torch.testing.assert_close(router(x).probs, torch.softmax(x @ router.gate.weight.T, dim=-1))


def test_routing_math_is_float32_for_bfloat16_tokens() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K).to(torch.bfloat16)
    routing = router(torch.randn(4, D, dtype=torch.bfloat16))
    assert routing.probs.dtype == torch.float32 and routing.weights.dtype == torch.float32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_k": 5}, r"`top_k` must be in \[1, num_experts=4\], got 5"),
        ({"top_k": 0}, r"`top_k` must be in \[1, num_experts=4\], got 0"),
        ({"noise_std": -1.0}, r"`noise_std` must be >= 0, got -1.0"),
    ],
)
def test_invalid_router_arguments_raise(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TopKRouter(**{"dim": D, "num_experts": E, "top_k": K, **kwargs})  # type: ignore[arg-type]


def test_wrong_mask_shape_raises() -> None:
    router = TopKRouter(dim=D, num_experts=E, top_k=K)
    with pytest.raises(ValueError, match=r"`mask` must be a bool tensor of shape \(3,\)"):
        router(torch.randn(3, D), mask=torch.ones(4, dtype=torch.bool))
