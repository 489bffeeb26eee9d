from __future__ import annotations

import torch
from torch import nn

from moesaic.eval.meters import count_parameters, flops_per_window, measure_latency, peak_rss_mb


def test_count_parameters_with_active_fraction() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2, bias=False))  # 15 + 6
    assert count_parameters(model) == (21, 21)
    half_second = count_parameters(model, active_fraction=lambda name: 0.5 if name.startswith("1.") else 1.0)
    assert half_second == (21, 18)


def test_flops_of_a_linear_layer_per_window() -> None:
    model = nn.Linear(8, 4, bias=False)
    assert flops_per_window(model, torch.zeros(5, 8)) == 2 * 8 * 4


def test_latency_and_memory_are_positive() -> None:
    latency = measure_latency(lambda: sum(range(1000)), repeats=5, warmup=1)
    assert 0 < latency.p50_ms <= latency.p95_ms
    assert peak_rss_mb() > 10
