"""Fixtures of the MoE tests: the naive per-token mixture every router is checked against."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import torch
from torch import Tensor, nn

MixReference = Callable[..., Tensor]


@torch.no_grad()
def _mix_reference(
    x: Tensor,
    weights: Tensor,
    experts: Tensor,
    modules: Sequence[nn.Module],
    *,
    shared: nn.Module | None = None,
) -> Tensor:
    """(N, D) tokens, (N, K) weights and experts -> (N, D), one token and one expert at a time."""
    rows = []
    for n in range(x.shape[0]):
        y = torch.zeros(x.shape[1]) if shared is None else shared(x[n])
        for k in range(experts.shape[1]):
            y = y + weights[n, k] * modules[int(experts[n, k])](x[n])
        rows.append(y)
    return torch.stack(rows)


@pytest.fixture
def mix_reference() -> MixReference:
    return _mix_reference
