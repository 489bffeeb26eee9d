"""Feed-forward experts."""

from __future__ import annotations

from torch import Tensor, nn


class FeedForwardExpert(nn.Module):
    """Linear -> GELU -> Linear, the feed-forward block of a transformer.

    The sum of several such experts equals one expert whose hidden width is their sum, which is
    how the shared experts of DeepSeekMoE are built (see :func:`moesaic.moe.config.build_moe`).

    Args:
        dim: D, input and output width.
        hidden: hidden width.
    """

    def __init__(self, *, dim: int, hidden: int) -> None:
        super().__init__()
        if dim < 1:
            raise ValueError(f"`dim` must be >= 1, got {dim}")
        if hidden < 1:
            raise ValueError(f"`hidden` must be >= 1, got {hidden}")
        self.up = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        """(..., D) -> (..., D)."""
        return self.down(self.act(self.up(x)))


def make_experts(*, num_experts: int, dim: int, hidden: int) -> list[FeedForwardExpert]:
    """E independently initialised :class:`FeedForwardExpert` of the same size."""
    if num_experts < 1:
        raise ValueError(f"`num_experts` must be >= 1, got {num_experts}")
    return [FeedForwardExpert(dim=dim, hidden=hidden) for _ in range(num_experts)]
