"""The forecast head's linear path solved in closed form: weighted ridge regression.

The linear path of :class:`~moesaic.heads.quantile.QuantileForecastHead` maps a RevIN-normalised
context (L,) to the normalised horizon (H,) with one matrix and a bias. The training loss is the
squared error on the Forecaster's standardised scale, where a sample's error is its RevIN
standard deviation times its normalised error, so minimising it is a least-squares problem with
weights ``std**2``, solved exactly here instead of by gradient steps (as Toner & Darlow, ICML
2024, find ordinary least squares as good as trained linear forecasters). The penalty is
``alpha`` times the mean diagonal of the weighted Gram matrix (the bias is not penalised), with
``alpha`` chosen from :data:`ALPHAS` by the squared error on validation windows, or
:data:`DEFAULT_ALPHA` without them. When the largest penalty of the grid validates best, the best
lies beyond it: the grid goes on up, three times larger at a time, while the error keeps falling
(up to :data:`MAX_ALPHA`); a noisy series whose future its past hardly tells then gets the
shrinkage it needs instead of the grid's edge.

The path may also read only the latest part of the context (the whole, a half, a quarter, and so
on down to :data:`MIN_SPAN` steps; older steps get weight 0), chosen with the penalty on the
validation windows. The context still sets the RevIN statistics and feeds the periodic path. On
ETTh1's validation months (L = 512) the closed-form path validated best on the last 32 to 256
steps, about 1 % lower on average over the four horizons than on all 512: a long context gives
the least-squares fit more ways to read the noise of the training months.

Axes: N samples (window x channel), L context length, H horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

ALPHAS = (1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
"""Penalties tried, relative to the mean diagonal of the Gram matrix. On ETTh1's validation months
(L = 512) the best were 0.01 at H = 96 and about 1 at H = 720 on the whole context, and the
smallest on the shorter spans that validated better."""
DEFAULT_ALPHA = 0.1
MAX_ALPHA = 1000.0
"""The largest penalty the grid goes on to (a path this shrunk is close to the bias alone)."""


class RidgeSamples(NamedTuple):
    context: Tensor  # (N, L) RevIN-normalised, unobserved steps 0
    target: Tensor  # (N, H) normalised with the context's statistics
    weight: Tensor  # (N,) std ** 2: the sample's weight on the standardised scale


MIN_SPAN = 16
"""The shortest part of the context (the latest steps) the path may read, when the context is longer."""


class RidgeFit(NamedTuple):
    weight: Tensor  # (H, L), float32; zero on the steps before the span
    bias: Tensor  # (H,)
    alpha: float
    span: int  # the latest context steps the path reads
    scores: dict[tuple[int, float], float]  # (span, alpha) -> validation MSE (empty without validation)


class RidgeTerms:
    """The weighted normal equations of the linear path, accumulated sample batch by batch (float64)."""

    def __init__(self, context_length: int, horizon: int) -> None:
        self.gram = torch.zeros(context_length + 1, context_length + 1, dtype=torch.float64)
        self.moment = torch.zeros(context_length + 1, horizon, dtype=torch.float64)
        self.count = 0

    def add(self, samples: RidgeSamples) -> None:
        x = _with_bias(samples.context)
        weighted = x * samples.weight.double()[:, None]
        self.gram += weighted.T @ x
        self.moment += weighted.T @ samples.target.double()
        self.count += len(x)

    def spans(self) -> list[int]:
        """The spans :func:`fit_ridge` tries on this context length: L, then halved while at
        least :data:`MIN_SPAN` steps long."""
        spans = [self.gram.shape[0] - 1]
        while spans[-1] // 2 >= MIN_SPAN:
            spans.append(spans[-1] // 2)
        return spans

    def solve(self, alpha: float, span: int | None = None) -> tuple[Tensor, Tensor]:
        """(weight (H, L), bias (H,)) minimising the weighted squared error plus the penalty, the
        weight reading the last ``span`` context steps only (default: all)."""
        L = self.gram.shape[0] - 1
        span = L if span is None else span
        if not 1 <= span <= L:
            raise ValueError(f"`span` must be in [1, {L}], got {span}")
        keep = torch.arange(L - span, L + 1)  # the span's steps and the bias
        gram, moment = self.gram[keep][:, keep], self.moment[keep]
        scale = max(float(gram.diagonal()[:-1].mean()), 1e-12)
        penalty = torch.full((span + 1,), alpha * scale, dtype=torch.float64)
        penalty[-1] = 1e-9 * scale  # the bias: numerically safe, not shrunk
        coef = torch.linalg.solve(gram + torch.diag(penalty), moment)  # (span + 1, H)
        weight = torch.zeros(moment.shape[1], L)
        weight[:, L - span :] = coef[:-1].T.float()
        return weight, coef[-1].float().contiguous()


def fit_ridge(terms: RidgeTerms, val: Sequence[RidgeSamples], alphas: Sequence[float] = ALPHAS) -> RidgeFit:
    """Solve for every penalty and keep the one with the lowest validation error (``val`` may be empty).

    Raises:
        ValueError: no training sample was added.
    """
    if terms.count == 0:
        raise ValueError("no training window has every horizon step observed: nothing to fit the path on")
    if not val:
        weight, bias = terms.solve(DEFAULT_ALPHA)
        return RidgeFit(weight, bias, DEFAULT_ALPHA, terms.gram.shape[0] - 1, {})
    scores = {
        (span, alpha): validation_error(*terms.solve(alpha, span), val)
        for span in terms.spans()
        for alpha in alphas
    }
    span, best = min(scores, key=scores.__getitem__)
    while best >= max(alphas) and best * 3 <= MAX_ALPHA:  # the best at the grid's top: go on up
        larger = best * 3
        scores[span, larger] = validation_error(*terms.solve(larger, span), val)
        if scores[span, larger] >= scores[span, best]:
            break
        best = larger
    weight, bias = terms.solve(best, span)
    return RidgeFit(weight, bias, best, span, scores)


def validation_error(weight: Tensor, bias: Tensor, val: Sequence[RidgeSamples]) -> float:
    """Mean squared error on the standardised scale of the path (weight, bias) over ``val``."""
    total, count = 0.0, 0
    for s in val:
        error = (s.context @ weight.T + bias - s.target) ** 2 * s.weight[:, None]  # (N, H)
        total += float(error.double().sum())
        count += error.numel()
    return total / max(count, 1)


def _with_bias(x: Tensor) -> Tensor:
    return torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
