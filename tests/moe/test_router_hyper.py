"""HyperRouter: routing against a per-token reference; only the embedding trains."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from moesaic.moe import HyperRouter, SparseMoE, make_experts

D, E, K = 8, 4, 2


def _layer() -> SparseMoE:
    router = HyperRouter(dim=D, num_experts=E, top_k=K, embedding_dim=6, hidden=12)
    return SparseMoE(router=router, experts=make_experts(num_experts=E, dim=D, hidden=16))


@torch.no_grad()
def test_hyper_layer_matches_per_token_reference(mix_reference: Callable[..., Tensor]) -> None:
    layer = _layer()
    router = layer.router
    assert isinstance(router, HyperRouter)
    first, _, second = router.hypernet
    generated = second(torch.nn.functional.gelu(first(router.embedding))).reshape(D, E)  # (D, E)
    x = torch.randn(2, 3, D)
    flat = x.reshape(-1, D)
    weights, experts = [], []
    for token in flat:
        probs = torch.softmax(token @ generated, dim=0)
        order = sorted(range(E), key=lambda e: -float(probs[e]))[:K]
        weights.append(probs[order] / probs[order].sum())
        experts.append(torch.tensor(order))
    expected = mix_reference(flat, torch.stack(weights), torch.stack(experts), layer.experts)
    torch.testing.assert_close(layer(x).y, expected.reshape(2, 3, D))


def test_hypernetwork_is_frozen_and_only_the_embedding_trains() -> None:
    layer = _layer()
    router = layer.router
    assert isinstance(router, HyperRouter)
    assert all(not p.requires_grad for p in router.hypernet.parameters())
    trainable = [name for name, p in router.named_parameters() if p.requires_grad]
    assert trainable == ["embedding"]
    frozen = [p.clone() for p in router.hypernet.parameters()]
    embedding = router.embedding.detach().clone()
    optimizer = torch.optim.SGD([p for p in layer.parameters() if p.requires_grad], lr=0.1)
    out = layer(torch.randn(2, 5, D))
    (out.y.square().mean() + out.aux_losses["balance"] + out.aux_losses["z"]).backward()
    optimizer.step()
    assert router.embedding.grad is not None
    assert not torch.equal(router.embedding.detach(), embedding)
    for before, after in zip(frozen, router.hypernet.parameters(), strict=True):
        torch.testing.assert_close(after, before)
