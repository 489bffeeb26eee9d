"""ModalityRouter: routing against a per-token reference; no token leaves its modality's group."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from moesaic.moe import ModalityRouter, SparseMoE, make_experts

D, K = 8, 2
GROUPS = ([0, 1], [2, 3], [4], [5])  # timeseries, tabular, text, drawing
SHARED = [6]
E = 7


def _router() -> ModalityRouter:
    return ModalityRouter(dim=D, num_experts=E, top_k=K, groups=GROUPS, shared_experts=SHARED)


@torch.no_grad()
def test_modality_layer_matches_per_token_reference(mix_reference: Callable[..., Tensor]) -> None:
    router = _router()
    layer = SparseMoE(router=router, experts=make_experts(num_experts=E, dim=D, hidden=16))
    x = torch.randn(2, 4, D)
    modality = torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0]])
    flat, ids = x.reshape(-1, D), modality.reshape(-1)
    weights, experts = [], []
    for token, m in zip(flat, ids.tolist(), strict=True):
        allowed = [*GROUPS[m], *SHARED]
        logits = torch.stack([router.gate.weight[e] @ token for e in allowed])
        order = sorted(range(len(allowed)), key=lambda i: -float(logits[i]))[:K]
        weights.append(torch.softmax(logits[order], dim=0))
        experts.append(torch.tensor([allowed[i] for i in order]))
    out = layer(x, modality=modality)
    torch.testing.assert_close(out.routing.experts, torch.stack(experts))
    expected = mix_reference(flat, torch.stack(weights), torch.stack(experts), layer.experts)
    torch.testing.assert_close(out.y, expected.reshape(2, 4, D))


@torch.no_grad()
def test_no_token_routes_outside_its_modality_group() -> None:
    router = ModalityRouter(
        dim=D, num_experts=E, top_k=K, groups=GROUPS, shared_experts=SHARED, noise_std=3.0
    )
    x = 5.0 * torch.randn(200, D)
    modality = torch.randint(0, 4, (200,))
    routing = router(x, modality=modality)
    for m, group in enumerate(GROUPS):
        chosen = set(routing.experts[modality == m].flatten().tolist())
        assert chosen <= {*group, *SHARED}
        assert (
            float(routing.probs[modality == m][:, [e for e in range(E) if e not in {*group, *SHARED}]].sum())
            == 0
        )


def test_padding_tokens_may_carry_any_modality_id() -> None:
    router = _router()
    mask = torch.tensor([True, True, False])
    routing = router(torch.randn(3, D), modality=torch.tensor([0, 1, -1]), mask=mask)
    assert int(routing.load.sum()) == 2 * K


def test_modality_router_errors_name_the_argument() -> None:
    router = _router()
    with pytest.raises(ValueError, match="`modality` is required by ModalityRouter"):
        router(torch.randn(3, D))
    with pytest.raises(ValueError, match=r"`modality` ids must be in \[0, 4\), got \[4\]"):
        router(torch.randn(3, D), modality=torch.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match="every modality needs at least top_k=2 experts open to it"):
        ModalityRouter(dim=D, num_experts=E, top_k=K, groups=GROUPS)
    with pytest.raises(ValueError, match=r"expert indices must be in \[0, num_experts=7\), got \[9\]"):
        ModalityRouter(dim=D, num_experts=E, top_k=K, groups=([0, 9], [1, 2]))
