"""SparseMoE and DenseFFN: padding, gradients, aux losses, diversity, errors."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch

from moesaic.moe import (
    ROUTERS,
    DenseFFN,
    MoEConfig,
    SparseMoE,
    TopKRouter,
    build_dense_ffn,
    build_moe,
    make_experts,
    sum_aux_losses,
)

D = 8


def _config(router: str) -> MoEConfig:
    if router == "modality":
        return MoEConfig(
            router=router, num_experts=5, top_k=1, modality_groups=(1, 1, 1, 1), modality_shared=1
        )
    if router == "competition":  # compete on every step, so that the competition path is exercised
        return MoEConfig(router=router, num_experts=4, top_k=2, competition_rate=1.0)
    return MoEConfig(router=router, num_experts=4, top_k=2, num_shared=1 if router == "shared" else 0)


def _inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.randn(2, 6, D)
    modality = torch.tensor([[0, 0, 1, 1, 2, 3], [3, 3, 2, 2, 1, 0]])
    mask = torch.tensor([[True] * 6, [True, True, True, True, False, False]])
    return x, modality, mask


def test_padding_tokens_do_not_count_toward_load_or_losses() -> None:
    layer = build_moe(_config("topk"), dim=D)
    x, _, mask = _inputs()
    out = layer(x, mask=mask)
    assert int(out.routing.load.sum()) == int(mask.sum()) * 2
    garbage = x.clone()
    garbage[~mask] = 100.0 * torch.randn(int((~mask).sum()), D)
    again = layer(garbage, mask=mask)
    torch.testing.assert_close(again.routing.load, out.routing.load)
    for name in ("balance", "z", "diversity"):
        torch.testing.assert_close(again.aux_losses[name], out.aux_losses[name])
    torch.testing.assert_close(again.y[mask], out.y[mask])
    assert bool((again.y[~mask] == 0).all())


@pytest.mark.parametrize("router", sorted(ROUTERS))
def test_gradient_reaches_router_and_experts(router: str) -> None:
    config = _config(router)
    layer = build_moe(config, dim=D)
    x, modality, mask = _inputs()
    out = layer(x.requires_grad_(), modality=modality, mask=mask)
    assert set(out.aux_losses) >= {"balance", "z", "diversity"}
    loss = out.y.square().mean() + sum_aux_losses(out.aux_losses, config.aux_loss_weights)
    loss.backward()
    for name, p in layer.router.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and bool(p.grad.abs().sum() > 0), name
    used = set(out.routing.experts[mask.reshape(-1)].flatten().tolist())
    for e in used:
        assert layer.experts[e].up.weight.grad is not None  # type: ignore[union-attr]
    assert x.grad is not None


def test_every_router_is_deterministic_under_a_seed() -> None:
    for router in sorted(ROUTERS):
        config = dataclasses.replace(_config(router), noise_std=0.0 if router == "hyper" else 0.5)
        x, modality, mask = _inputs()
        outputs = []
        for _ in range(2):
            torch.manual_seed(3)
            layer = build_moe(config, dim=D)
            outputs.append(layer(x, modality=modality, mask=mask).y)
        torch.testing.assert_close(outputs[0], outputs[1])


def test_diversity_is_one_for_identical_experts_and_zero_with_one_active_expert() -> None:
    expert = make_experts(num_experts=1, dim=D, hidden=16)[0]
    router = TopKRouter(dim=D, num_experts=3, top_k=3)
    layer = SparseMoE(router=router, experts=[copy.deepcopy(expert) for _ in range(3)])
    torch.testing.assert_close(layer(torch.randn(1, 4, D)).aux_losses["diversity"], torch.tensor(1.0))
    single = SparseMoE(router=TopKRouter(dim=D, num_experts=1, top_k=1), experts=[expert])
    torch.testing.assert_close(single(torch.randn(1, 4, D)).aux_losses["diversity"], torch.tensor(0.0))


def test_dense_ffn_has_the_active_size_and_the_same_output_shape() -> None:
    config = MoEConfig(num_experts=4, top_k=2, num_shared=1, expert_hidden=8)
    dense, sparse = build_dense_ffn(config, dim=D), build_moe(config, dim=D)
    assert isinstance(dense, DenseFFN)

    def matrices(module: torch.nn.Module) -> int:  # weight entries, biases aside
        return sum(p.numel() for name, p in module.named_parameters() if name.endswith("weight"))

    assert sparse.shared is not None
    assert matrices(dense) == 2 * matrices(sparse.experts[0]) + matrices(sparse.shared)
    x, _, mask = _inputs()
    out = dense(x, mask=mask)
    assert out.y.shape == x.shape and set(out.aux_losses) == {"balance", "z", "diversity"}
    assert all(float(v) == 0 for v in out.aux_losses.values())
    assert int(out.routing.load.sum()) == int(mask.sum())


def test_sum_aux_losses_weighs_and_refuses_unweighted_losses() -> None:
    aux = {"balance": torch.tensor(2.0), "z": torch.tensor(3.0)}
    torch.testing.assert_close(sum_aux_losses(aux, {"balance": 0.5, "z": 2.0}), torch.tensor(7.0))
    with pytest.raises(ValueError, match=r"no weight for aux losses \['z'\]"):
        sum_aux_losses(aux, {"balance": 1.0})


def test_layer_errors_name_the_argument_and_shapes() -> None:
    router = TopKRouter(dim=D, num_experts=4, top_k=2)
    with pytest.raises(ValueError, match=r"`experts` must hold router.num_experts=4 modules, got 3"):
        SparseMoE(router=router, experts=make_experts(num_experts=3, dim=D, hidden=4))
    layer = SparseMoE(router=router, experts=make_experts(num_experts=4, dim=D, hidden=4))
    with pytest.raises(ValueError, match=r"`x` must have shape \(batch, tokens, dim\), got \(3, 8\)"):
        layer(torch.randn(3, D))
    with pytest.raises(ValueError, match=r"`mask` must be a bool tensor of shape \(1, 3\)"):
        layer(torch.randn(1, 3, D), mask=torch.ones(1, 3))
    with pytest.raises(ValueError, match=r"`modality` must be an int64 tensor of shape \(1, 3\)"):
        layer(torch.randn(1, 3, D), modality=torch.zeros(1, 4, dtype=torch.long))
