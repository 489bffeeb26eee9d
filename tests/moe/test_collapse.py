"""Collapse diagnostics on hand-computable arrays, and measure_collapse on a tiny layer."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from moesaic.moe import MoEConfig, SparseMoE, TopKRouter, build_moe, make_experts, measure_collapse
from moesaic.moe.collapse import (
    dead_experts,
    effective_rank,
    expert_utilisation,
    linear_cka,
    load_gini,
    mean_pairwise_cka,
    mean_pairwise_cosine,
    modality_expert_matrix,
    routing_consistency,
    routing_entropy,
)


def test_utilisation_and_dead_experts() -> None:
    np.testing.assert_allclose(expert_utilisation([1, 1, 2]), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(expert_utilisation([0, 0]), [0.0, 0.0])
    # uniform share is 1/4; dead below 1% of it, i.e. below 0.0025
    np.testing.assert_array_equal(dead_experts([1000, 1000, 999, 1]), [False, False, False, True])
    np.testing.assert_array_equal(dead_experts([1, 1, 1, 1]), [False] * 4)
    with pytest.raises(ValueError, match=r"`fraction_of_uniform` must be in \[0, 1\], got 2"):
        dead_experts([1, 1], fraction_of_uniform=2)


@pytest.mark.parametrize("num_experts", [2, 4, 8])
def test_gini_is_zero_when_uniform_and_e_minus_one_over_e_when_one_hot(num_experts: int) -> None:
    assert load_gini(np.full(num_experts, 7.0)) == pytest.approx(0.0)
    one_hot = np.zeros(num_experts)
    one_hot[1] = 5
    assert load_gini(one_hot) == pytest.approx((num_experts - 1) / num_experts)
    assert load_gini(np.zeros(num_experts)) == 0.0


def test_routing_entropy_and_mutual_information() -> None:
    uniform = routing_entropy(np.full((3, 4), 0.25))
    assert uniform.token == pytest.approx(math.log(4))
    assert uniform.marginal == pytest.approx(math.log(4))
    assert uniform.mutual_information == pytest.approx(0.0)
    # every token certain, tokens spread evenly over 2 of the experts: MI = log 2
    confident = routing_entropy(np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    assert confident.token == pytest.approx(0.0)
    assert confident.marginal == pytest.approx(math.log(2))
    assert confident.mutual_information == pytest.approx(math.log(2))


def test_cosine_and_cka_of_identical_and_orthogonal_experts() -> None:
    rng = np.random.default_rng(0)
    output = rng.normal(size=(10, 3))
    assert mean_pairwise_cosine(np.stack([output, output, output])) == pytest.approx(1.0)
    assert mean_pairwise_cka(np.stack([output, output])) == pytest.approx(1.0)
    assert linear_cka(output, 3.0 * output) == pytest.approx(1.0)  # invariant to scale
    first = np.array([[1.0, 0.0], [0.0, 0.0]])
    second = np.array([[0.0, 1.0], [0.0, 0.0]])
    assert mean_pairwise_cosine(np.stack([first, second])) == pytest.approx(0.0)  # zero rows count as 0
    assert linear_cka(
        np.array([[1.0], [-1.0], [0], [0]]), np.array([[0.0], [0], [1], [-1]])
    ) == pytest.approx(0.0)
    assert math.isnan(mean_pairwise_cosine(output[None]))


def test_effective_rank_of_identity_rank_one_and_zero_matrices() -> None:
    assert effective_rank(np.eye(5)) == pytest.approx(5.0)
    assert effective_rank(np.outer(np.arange(1, 5), np.ones(3))) == pytest.approx(1.0)
    assert effective_rank(np.zeros((3, 3))) == 0.0
    assert effective_rank(np.diag([1.0, 1.0, 0.0])) == pytest.approx(2.0)


def test_routing_consistency_and_modality_matrix() -> None:
    assert routing_consistency([0, 1, 2, 3], [0, 1, 3, 2]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="`top1_a` and `top1_b` must be non-empty"):
        routing_consistency([0, 1], [0])
    matrix = modality_expert_matrix([0, 0, 2], [[0, 1], [0, 2], [3, 3]], num_modalities=3, num_experts=4)
    np.testing.assert_allclose(matrix, np.array([[0.5, 0.25, 0.25, 0], [0, 0, 0, 0], [0, 0, 0, 1.0]]))
    with pytest.raises(ValueError, match=r"`modality` ids must be in \[0, 3\), got \[0, 5\]"):
        modality_expert_matrix([0, 5], [[0], [1]], num_modalities=3, num_experts=4)


def test_measure_collapse_on_a_layer_of_identical_experts() -> None:
    expert = make_experts(num_experts=1, dim=6, hidden=8)[0]
    layer = SparseMoE(
        router=TopKRouter(dim=6, num_experts=3, top_k=1), experts=[copy.deepcopy(expert) for _ in range(3)]
    )
    probe = torch.randn(2, 10, 6)
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[1, 7:] = False
    report = measure_collapse(layer, probe, mask=mask, modality=torch.zeros(2, 10, dtype=torch.long))
    assert report.expert_cosine == pytest.approx(1.0)
    assert report.expert_cka == pytest.approx(1.0)
    assert report.utilisation.sum() == pytest.approx(1.0)
    assert report.top1.shape == (17,)
    assert report.modality_matrix is not None and report.modality_matrix.shape == (4, 3)
    assert report.consistency is None
    again = measure_collapse(layer, probe, mask=mask, previous=report)
    assert again.consistency == pytest.approx(1.0)
    assert set(again.scalars()) >= {"gini", "num_dead", "effective_rank", "mutual_information", "consistency"}


def test_measure_collapse_restores_training_mode_and_leaves_competition_schedule_alone() -> None:
    layer = build_moe(MoEConfig(router="competition", competition_rate=1.0), dim=6)
    report = measure_collapse(layer, torch.randn(1, 5, 6))
    assert layer.training
    assert int(layer.router.step) == 0  # type: ignore[arg-type]
    assert 0 < report.effective_rank <= 5
