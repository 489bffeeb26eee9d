"""CompetitionRouter: the schedule, the competition against a per-token reference, imitation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from moesaic.moe import CompetitionRouter, SparseMoE, make_experts

D, E, K = 8, 4, 2


def _layer(rate: float = 1.0) -> SparseMoE:
    router = CompetitionRouter(dim=D, num_experts=E, top_k=K, rate=rate)
    return SparseMoE(router=router, experts=make_experts(num_experts=E, dim=D, hidden=16))


def test_schedule_competes_on_the_given_share_of_training_steps() -> None:
    router = CompetitionRouter(dim=D, num_experts=E, top_k=K, rate=0.5)
    x = torch.randn(3, D)
    competed = []
    for _ in range(6):
        competed.append(router.needs_expert_outputs())
        outputs = torch.randn(3, E, D) if competed[-1] else None
        router(x, expert_outputs=outputs)
    assert competed == [False, True, False, True, False, True]
    assert int(router.step) == 6
    router.eval()
    assert not router.needs_expert_outputs()


@torch.no_grad()
def test_competition_step_matches_per_token_reference(mix_reference: Callable[..., Tensor]) -> None:
    layer = _layer(rate=1.0)
    x = torch.randn(2, 3, D)
    flat = x.reshape(-1, D)
    weights, experts = [], []
    for token in flat:
        affinity = torch.stack([F.softplus(expert(token).norm()) for expert in layer.experts])  # (E,)
        order = sorted(range(E), key=lambda e: -float(affinity[e]))[:K]
        weights.append(torch.softmax(affinity[order], dim=0))
        experts.append(torch.tensor(order))
    out = layer(x)
    torch.testing.assert_close(out.routing.experts, torch.stack(experts))
    expected = mix_reference(flat, torch.stack(weights), torch.stack(experts), layer.experts)
    torch.testing.assert_close(out.y, expected.reshape(2, 3, D))


@torch.no_grad()
def test_in_eval_competition_router_routes_like_top_k(mix_reference: Callable[..., Tensor]) -> None:
    layer = _layer(rate=1.0).eval()
    assert isinstance(layer.router, CompetitionRouter)
    x = torch.randn(1, 5, D)
    out = layer(x)
    weights, experts = torch.softmax(x[0] @ layer.router.gate.weight.T, dim=-1).topk(K, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    torch.testing.assert_close(out.y[0], mix_reference(x[0], weights, experts, layer.experts))
    torch.testing.assert_close(out.aux_losses["competition"], torch.tensor(0.0))


def test_imitation_loss_is_positive_and_decreases_when_the_router_imitates() -> None:
    layer = _layer(rate=1.0)
    x = torch.randn(4, 6, D)
    optimizer = torch.optim.SGD(layer.router.parameters(), lr=0.5)
    losses = []
    for _ in range(30):
        loss = layer(x).aux_losses["competition"]
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[0] > 0
    assert losses[-1] < 0.5 * losses[0]


def test_imitation_loss_trains_only_the_router() -> None:
    layer = _layer(rate=1.0)
    layer(torch.randn(2, 3, D)).aux_losses["competition"].backward()
    assert layer.router.gate.weight.grad is not None
    assert all(p.grad is None for p in layer.experts.parameters())


def test_competition_step_without_expert_outputs_raises() -> None:
    router = CompetitionRouter(dim=D, num_experts=E, top_k=K, rate=1.0)
    with pytest.raises(
        ValueError, match=r"`expert_outputs` must have shape .* \(3, 4, D\) on a competition step"
    ):
        router(torch.randn(3, D))
    assert int(router.step) == 0  # a refused call does not advance the schedule


def test_invalid_rate_raises() -> None:
    with pytest.raises(ValueError, match=r"`rate` must be in \(0, 1\], got 0.0"):
        CompetitionRouter(dim=D, num_experts=E, top_k=K, rate=0.0)
