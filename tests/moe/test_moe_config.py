"""MoEConfig validation, the router registry and build_moe."""

from __future__ import annotations

import pytest
import torch

from moesaic.config import ConfigError, from_dict
from moesaic.moe import (
    ROUTERS,
    CompetitionRouter,
    HyperRouter,
    ModalityRouter,
    MoEConfig,
    SparseMoE,
    TopKRouter,
    build_moe,
)


def test_when_top_k_exceeds_experts_then_config_raises() -> None:
    with pytest.raises(ValueError, match=r"`top_k` must be in \[1, num_experts=4\], got 5"):
        MoEConfig(num_experts=4, top_k=5)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        MoEConfig(top_k=9, router="nope", expert_hidden=0, noise_std=-1.0, competition_rate=0.0)
    problems = "\n".join(info.value.problems)
    for expected in (
        "`top_k` must be in [1, num_experts=4], got 9",
        "`router` must be one of ['competition', 'hyper', 'modality', 'shared', 'topk'], got 'nope'",
        "`expert_hidden` must be >= 1, got 0",
        "`noise_std` must be >= 0, got -1.0",
        "`competition_rate` must be in (0, 1], got 0.0",
    ):
        assert expected in problems


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"router": "shared"}, "`num_shared` must be >= 1 with router='shared', got 0"),
        ({"modality_groups": (1, 1, 1, 1)}, "`modality_groups` and `modality_shared` need router='modality'"),
        ({"router": "modality", "modality_groups": (2, 2)}, "`modality_groups` must hold 4 counts >= 0"),
        (
            {"router": "modality", "num_experts": 4, "top_k": 1, "modality_groups": (1, 1, 1, 2)},
            r"sum\(modality_groups\) \+ modality_shared must equal num_experts=4, got 5 \+ 0",
        ),
        (
            {"router": "modality", "num_experts": 5, "modality_groups": (2, 2, 1, 0)},
            r"modalities \['text', 'drawing'\] have fewer than top_k=2 experts",
        ),
    ],
)
def test_invalid_configs_raise_with_messages(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MoEConfig(**kwargs)  # type: ignore[arg-type]


def test_from_dict_turns_lists_into_tuples_and_rejects_unknown_keys() -> None:
    config = from_dict(
        MoEConfig, {"router": "modality", "num_experts": 4, "top_k": 1, "modality_groups": [1] * 4}
    )
    assert config.modality_groups == (1, 1, 1, 1)
    with pytest.raises(ConfigError, match="unknown keys \\['experts'\\]"):
        from_dict(MoEConfig, {"experts": 4})


@pytest.mark.parametrize(
    ("config", "router_type"),
    [
        (MoEConfig(router="topk"), TopKRouter),
        (MoEConfig(router="shared", num_shared=1), TopKRouter),
        (MoEConfig(router="competition"), CompetitionRouter),
        (MoEConfig(router="hyper"), HyperRouter),
        (
            MoEConfig(
                router="modality", num_experts=6, top_k=1, modality_groups=(1, 1, 1, 1), modality_shared=2
            ),
            ModalityRouter,
        ),
    ],
)
def test_build_moe_uses_the_registry(config: MoEConfig, router_type: type) -> None:
    assert set(ROUTERS) == {"topk", "shared", "competition", "hyper", "modality"}
    layer = build_moe(config, dim=8)
    assert isinstance(layer, SparseMoE) and isinstance(layer.router, router_type)
    assert len(layer.experts) == config.num_experts
    assert (layer.shared is None) == (config.num_shared == 0)
    modality = torch.tensor([[0, 1, 2, 3]])
    assert layer(torch.randn(1, 4, 8), modality=modality).y.shape == (1, 4, 8)


def test_modality_config_builds_contiguous_groups_and_shared_experts_last() -> None:
    config = MoEConfig(
        router="modality", num_experts=7, top_k=2, modality_groups=(2, 2, 1, 1), modality_shared=1
    )
    router = build_moe(config, dim=4).router
    assert isinstance(router, ModalityRouter)
    expected = torch.tensor(
        [
            [1, 1, 0, 0, 0, 0, 1],
            [0, 0, 1, 1, 0, 0, 1],
            [0, 0, 0, 0, 1, 0, 1],
            [0, 0, 0, 0, 0, 1, 1],
        ],
        dtype=torch.bool,
    )
    torch.testing.assert_close(router.allowed, expected)


def test_aux_loss_weights_name_every_aux_loss() -> None:
    weights = MoEConfig(balance_loss_weight=0.1, z_loss_weight=0.2).aux_loss_weights
    assert weights["balance"] == 0.1 and weights["z"] == 0.2
    assert set(weights) == {"balance", "z", "diversity", "competition"}
