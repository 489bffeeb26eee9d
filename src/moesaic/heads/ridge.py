"""The forecast head's linear path solved in closed form: weighted ridge regression.

The linear path of :class:`~moesaic.heads.quantile.QuantileForecastHead` maps a RevIN-normalised
context (L,) to the normalised horizon (H,) with one matrix and a bias. The training loss is the
squared error on the Forecaster's standardised scale, where a sample's error is its RevIN
standard deviation times its normalised error, so minimising it is a least-squares problem with
weights ``std**2``, solved exactly here instead of by gradient steps (as Toner & Darlow, ICML
2024, find ordinary least squares as good as trained linear forecasters). The penalty is
``alpha`` times the mean diagonal of the weighted Gram matrix (the bias is not penalised), with
``alpha`` chosen from :data:`ALPHAS` by the squared error on validation windows (for each
horizon step, below), or :data:`DEFAULT_ALPHA` without them. When the largest penalty of the
grid validates best, the best lies beyond it: the grid goes on up, three times larger at a time,
while the error keeps falling (up to :data:`MAX_ALPHA`); a noisy series whose future its past
hardly tells then gets the shrinkage it needs instead of the grid's edge.

The path may also read only the latest part of the context (the whole, a half, a quarter, and so
on down to :data:`MIN_SPAN` steps; older steps get weight 0), chosen with the penalty on the
validation windows. The context still sets the RevIN statistics and feeds the periodic path. On
ETTh1's validation months (L = 512) the closed-form path validated best on the last 32 to 256
steps, about 1 % lower on average over the four horizons than on all 512: a long context gives
the least-squares fit more ways to read the noise of the training months.

Each horizon step is a least-squares problem of its own (the same Gram matrix, its own column of
targets), so the span and the penalty are chosen step by step: one pair need not suit both the
next hour and the hour a month ahead. On ETTh1's validation months, choosing on one half of the
windows and scoring on the other (both ways; :func:`cross_half_errors`, run by ``moesaic bench
forecast -o ridge_study=1``), the choice step by step was 0.49 % below one choice for every step,
averaged over the four horizons (1.25 % at H = 336, 0.09 % above at H = 192); a choice for each of
2, 4 or 8 blocks of steps gained less (0.21 to 0.36 %). Smoothing the choice over neighbouring
steps or averaging each step's best few moved the error by under 0.1 % in an earlier study.

Axes: N samples (window x channel), L context length, H horizon.
"""

from __future__ import annotations

import itertools
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
    weight: Tensor  # (H, L), float32; zero on each step's row before its span
    bias: Tensor  # (H,)
    alpha: tuple[float, ...]  # (H,) the penalty of each horizon step
    span: tuple[int, ...]  # (H,) the latest context steps each horizon step reads
    scores: dict[tuple[int, float], Tensor]  # (span, alpha) -> (H,) validation MSE by step, or empty


class RidgeTerms:
    """The weighted normal equations of the linear path, accumulated sample batch by batch (float64)."""

    def __init__(self, context_length: int, horizon: int) -> None:
        self.gram = torch.zeros(context_length + 1, context_length + 1, dtype=torch.float64)
        self.moment = torch.zeros(context_length + 1, horizon, dtype=torch.float64)
        self.square = torch.zeros(horizon, dtype=torch.float64)  # the weighted squared targets
        self.count = 0

    @classmethod
    def of(cls, samples: Sequence[RidgeSamples], context_length: int, horizon: int) -> RidgeTerms:
        """The terms of ``samples``."""
        terms = cls(context_length, horizon)
        for s in samples:
            terms.add(s)
        return terms

    @classmethod
    def halves(
        cls, samples: Sequence[RidgeSamples], context_length: int, horizon: int
    ) -> tuple[RidgeTerms, RidgeTerms]:
        """The terms of the first half of ``samples``, in order (the earlier windows when they come
        in time order), and of the second half."""
        first, second = cls(context_length, horizon), cls(context_length, horizon)
        left = sum(len(s.weight) for s in samples) // 2  # samples the first half still takes
        for s in samples:
            cut = min(left, len(s.weight))
            if cut:
                first.add(RidgeSamples(s.context[:cut], s.target[:cut], s.weight[:cut]))
            if cut < len(s.weight):
                second.add(RidgeSamples(s.context[cut:], s.target[cut:], s.weight[cut:]))
            left -= cut
        return first, second

    def add(self, samples: RidgeSamples) -> None:
        x = _with_bias(samples.context)
        weighted = x * samples.weight.double()[:, None]
        self.gram += weighted.T @ x
        self.moment += weighted.T @ samples.target.double()
        self.square += (samples.weight.double()[:, None] * samples.target.double() ** 2).sum(dim=0)
        self.count += len(x)

    def __add__(self, other: RidgeTerms) -> RidgeTerms:
        """The terms of both sets of samples."""
        if self.moment.shape != other.moment.shape:
            raise ValueError(
                f"terms of different shapes: {tuple(self.moment.shape)} and {tuple(other.moment.shape)}"
            )
        both = RidgeTerms(self.gram.shape[0] - 1, self.moment.shape[1])
        both.gram, both.moment = self.gram + other.gram, self.moment + other.moment
        both.square, both.count = self.square + other.square, self.count + other.count
        return both

    def errors(self, weight: Tensor, bias: Tensor) -> Tensor:
        """(H,) mean squared error of each horizon step of the path (weight, bias) over the samples
        added, on the standardised scale, from the terms alone: coef' G coef - 2 coef' M + y'Wy."""
        coef = torch.cat([weight.double().T, bias.double()[None]])  # (L + 1, H)
        total = (coef * (self.gram @ coef)).sum(dim=0) - 2 * (coef * self.moment).sum(dim=0) + self.square
        return total.clamp(min=0.0) / max(self.count, 1)

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


def fit_ridge(
    terms: RidgeTerms, val: RidgeTerms | Sequence[RidgeSamples], alphas: Sequence[float] = ALPHAS
) -> RidgeFit:
    """Solve for every span and penalty and keep, horizon step by horizon step, the pair with the
    lowest validation error (``val``, its samples or their terms, may be empty: every step then
    gets :data:`DEFAULT_ALPHA` on the whole context).

    Raises:
        ValueError: no training sample was added.
    """
    if terms.count == 0:
        raise ValueError("no training window has every horizon step observed: nothing to fit the path on")
    L, H = terms.gram.shape[0] - 1, terms.moment.shape[1]
    if not isinstance(val, RidgeTerms):
        val = RidgeTerms.of(val, L, H)
    if val.count == 0:
        weight, bias = terms.solve(DEFAULT_ALPHA)
        return RidgeFit(weight, bias, (DEFAULT_ALPHA,) * H, (L,) * H, {})
    scores = {
        (span, alpha): val.errors(*terms.solve(alpha, span)) for span in terms.spans() for alpha in alphas
    }
    chosen, top = _best_by_step(scores), max(alphas)
    while top * 3 <= MAX_ALPHA and (at_top := {span for span, alpha in chosen if alpha == top}):
        top *= 3  # a step's best at the grid's top: go on up on the spans where it was
        scores.update({(span, top): val.errors(*terms.solve(top, span)) for span in at_top})
        chosen = _best_by_step(scores)
    weight, bias = torch.zeros(H, L), torch.zeros(H)
    for key in dict.fromkeys(chosen):
        rows = torch.tensor([k == key for k in chosen])
        key_weight, key_bias = terms.solve(key[1], key[0])
        weight[rows], bias[rows] = key_weight[rows], key_bias[rows]
    return RidgeFit(weight, bias, tuple(a for _, a in chosen), tuple(s for s, _ in chosen), scores)


STUDY_ALPHAS = (*ALPHAS, 9.0, 27.0, 81.0, 243.0, 729.0)
"""The penalties of :func:`cross_half_errors`: the grid and every step :func:`fit_ridge` may go on up."""


def cross_half_errors(
    terms: RidgeTerms, first: RidgeTerms, second: RidgeTerms, blocks: Sequence[int]
) -> dict[int, float]:
    """How well the (span, penalty) choice carries over to windows it did not see.

    For each count in ``blocks`` the horizon is cut into that many equal blocks of steps (the
    horizon length: a choice per step; 1: one pair for every step); each block's pair is chosen
    on the ``first`` half of the validation windows and scored on the ``second``, then the other
    way round. Returns count -> the mean of the two, averaged over the horizon steps (the
    standardised MSE). The path is fitted on ``terms``; the penalties are :data:`STUDY_ALPHAS`.
    """
    H = terms.moment.shape[1]
    if first.count == 0 or second.count == 0:
        raise ValueError("both halves of the validation windows need samples")
    if any(not 1 <= b <= H for b in blocks):
        raise ValueError(f"`blocks` must lie in [1, {H}], got {list(blocks)}")
    on_first, on_second = [], []
    for span in terms.spans():
        for alpha in STUDY_ALPHAS:
            path = terms.solve(alpha, span)
            on_first.append(first.errors(*path))
            on_second.append(second.errors(*path))
    errors_first, errors_second = torch.stack(on_first), torch.stack(on_second)  # (pairs, H)
    out = {}
    for count in blocks:
        edges = torch.linspace(0, H, count + 1).long().tolist()
        total = 0.0
        for low, high in itertools.pairwise(edges):
            chosen_first = int(errors_first[:, low:high].sum(1).argmin())
            chosen_second = int(errors_second[:, low:high].sum(1).argmin())
            total += (
                float(
                    errors_second[chosen_first, low:high].sum() + errors_first[chosen_second, low:high].sum()
                )
                / 2
            )
        out[count] = total / H
    return out


def _best_by_step(scores: dict[tuple[int, float], Tensor]) -> list[tuple[int, float]]:
    """The (span, alpha) of the lowest score at each horizon step (the first such in ``scores``)."""
    keys = list(scores)
    return [keys[i] for i in torch.stack([scores[k] for k in keys]).argmin(dim=0).tolist()]


def _with_bias(x: Tensor) -> Tensor:
    return torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], dim=1)
