"""The quantile forecast head, its periodic linear path, and the pinball loss.

:class:`QuantileForecastHead` maps a normalised context, and optionally a channel's patch tokens,
to non-crossing quantiles; :class:`PeriodicLinear` is its SparseTSF-style seasonal path. The
moesaic forecast model built on them is :class:`moesaic.heads.forecast.MoesaicForecastModel`.

Axes: B samples, L context length, H horizon, Q quantiles, P patches, D model width.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """The levels as a tuple; they must be strictly increasing in (0, 1) and hold the median 0.5.

    Raises:
        ValueError: naming what was expected and what was found.
    """
    levels = tuple(float(q) for q in quantiles)
    if not levels or any(not 0.0 < q < 1.0 for q in levels):
        raise ValueError(f"`quantiles` must be levels in (0, 1), got {list(levels)}")
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise ValueError(f"`quantiles` must be strictly increasing, got {list(levels)}")
    if 0.5 not in levels:
        raise ValueError(f"`quantiles` must contain the median 0.5 (the point forecast), got {list(levels)}")
    return levels


class PeriodicLinear(nn.Module):
    """A linear map shared across the phases of a season (after SparseTSF, Lin et al., ICML 2024).

    The context is smoothed by a learned moving filter over one period, then each phase of the
    period (step ``i mod period``) maps its ``L // period`` past values to its
    ``ceil(H / period)`` future values with the *same* small matrix. Hundreds of parameters
    instead of L x H: hard to overfit at long horizons, where a full linear map memorises noise.

    Args:
        context_length: L; its oldest ``L mod period`` steps are not read.
        horizon: H.
        period: the season, in steps (24 for hourly data).
    """

    def __init__(self, *, context_length: int, horizon: int, period: int) -> None:
        super().__init__()
        if not 1 <= period <= context_length:
            raise ValueError(f"`period` must be in [1, context_length={context_length}], got {period}")
        self.period, self.horizon = period, horizon
        self.smooth = nn.Conv1d(1, 1, 2 * (period // 2) + 1, padding=period // 2, bias=False)
        nn.init.zeros_(self.smooth.weight)  # starts as the identity (residual filter)
        self.map = nn.Linear(context_length // period, -(-horizon // period), bias=False)

    def forward(self, context: Tensor) -> Tensor:
        """(B, L) -> (B, H)."""
        B, L = context.shape
        x = context[:, L % self.period :, None].transpose(1, 2)  # (B, 1, L')
        x = (x + self.smooth(x)).reshape(B, -1, self.period).transpose(1, 2)  # (B, period, L' / period)
        return self.map(x).transpose(1, 2).reshape(B, -1)[:, : self.horizon]  # phase-interleaved back


class QuantileForecastHead(nn.Module):
    """Normalised context [+ (B, P, D) patch tokens] -> (B, H, Q) non-crossing quantiles.

    The median is the sum of three paths, each of which may be absent: the token path
    ``Linear(P * D -> H)`` over the flattened patch tokens, a full linear map of the context
    ``Linear(L -> H)``, and a :class:`PeriodicLinear` map. The token and full linear paths start
    at zero, so an untrained head forecasts with the periodic path alone and every later training
    stage starts from the forecaster the previous one left. The other quantiles step away from the
    median by positive increments computed from the context (``spread_rank`` bottleneck), so they
    can be fitted before the blocks are trained.

    Args:
        num_patches: P tokens read per sample.
        dim: D.
        head_dim: each token is first reduced to this width, so the token path has
            P * head_dim * H weights.
        horizon: H.
        quantiles: Q increasing levels holding 0.5 (see :func:`check_quantiles`).
        context_length: L.
        period: season of the periodic path; 0 leaves it out.
        spread_rank: width of the bottleneck of the spread path.
        dropout: on the flattened tokens.
    """

    def __init__(
        self,
        *,
        num_patches: int,
        dim: int,
        head_dim: int,
        horizon: int,
        quantiles: Sequence[float],
        context_length: int,
        period: int = 0,
        spread_rank: int = 16,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (
            ("num_patches", num_patches),
            ("dim", dim),
            ("head_dim", head_dim),
            ("horizon", horizon),
        ):
            if value < 1:
                raise ValueError(f"`{name}` must be >= 1, got {value}")
        self.quantiles = check_quantiles(quantiles)
        self.horizon = horizon
        self.median_index = self.quantiles.index(0.5)
        self.drop = nn.Dropout(dropout)
        self.reduce = nn.Linear(dim, head_dim)
        self.centre = nn.Linear(num_patches * head_dim, horizon)
        self.skip = nn.Linear(context_length, horizon)
        for layer in (self.centre, self.skip):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.periodic = (
            PeriodicLinear(context_length=context_length, horizon=horizon, period=period) if period else None
        )
        extra = len(self.quantiles) - 1
        self.spread = (
            nn.Sequential(
                nn.Linear(context_length, spread_rank), nn.GELU(), nn.Linear(spread_rank, horizon * extra)
            )
            if extra
            else None
        )

    def forward(self, context: Tensor, tokens: Tensor | None = None) -> Tensor:
        """Quantiles on the normalised scale.

        Args:
            context: (B, L) normalised context, unobserved steps 0.
            tokens: (B, P, D) patch tokens of the forecast channel, oldest first; None leaves the
                token path out (training stages before the blocks).
        Returns:
            (B, H, Q), increasing along Q.
        """
        B = context.shape[0]
        centre = self.skip(context)  # (B, H)
        if self.periodic is not None:
            centre = centre + self.periodic(context)
        if tokens is not None:
            centre = centre + self.centre(self.drop(self.reduce(tokens).flatten(1)))
        if self.spread is None:
            return centre[..., None]
        steps = F.softplus(self.spread(context)).reshape(B, self.horizon, -1)  # (B, H, Q - 1), > 0
        below = steps[..., : self.median_index].flip(-1).cumsum(-1).flip(-1)  # far quantiles step most
        above = steps[..., self.median_index :].cumsum(-1)
        return torch.cat([centre[..., None] - below, centre[..., None], centre[..., None] + above], dim=-1)


def pinball_loss(forecast: Tensor, target: Tensor, quantiles: Sequence[float], observed: Tensor) -> Tensor:
    """Mean pinball loss over the observed targets and the Q levels.

    Args:
        forecast: (..., Q) quantile forecasts.
        target: (...) values, anything where not observed.
        quantiles: Q levels.
        observed: (...) bool.
    Returns:
        A scalar; 0 when nothing is observed.
    """
    levels = torch.tensor(quantiles, dtype=forecast.dtype, device=forecast.device)  # (Q,)
    diff = torch.where(observed, target, torch.zeros((), dtype=target.dtype))[..., None] - forecast
    loss = torch.maximum(levels * diff, (levels - 1.0) * diff).mean(dim=-1)  # (...)
    weight = observed.to(loss.dtype)
    return (loss * weight).sum() / weight.sum().clamp(min=1.0)
