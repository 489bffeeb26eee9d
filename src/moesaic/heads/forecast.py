"""Probabilistic forecasting on the backbone: the quantile head and the moesaic forecast model.

:class:`QuantileForecastHead` reads the P patch tokens of a channel, flattened (as PatchTST's
flatten head), and returns quantiles that never cross: a centre path gives the median, a narrow
spread path gives positive increments summed outward from it. An optional linear skip maps the
normalised context straight to the horizon (a DLinear-style path), so the blocks only learn what a
linear map misses. Everything is on the RevIN-normalised scale.

:class:`MoesaicForecastModel` runs the multimodal sparse-MoE backbone channel-independently: each
forecast channel of each window is one sample whose series holds that channel first and the
covariate channels after it, so attention and the experts see the target's patch tokens next to
the covariates' (and next to the asset's table tokens when static attributes are given). The head
reads the target's tokens; its output is mapped back with the target's RevIN statistics. The
model owns its loss, as every head model does; :class:`moesaic.tasks.forecast.Forecaster` drives it.

Axes: B windows (or window x channel samples inside the model), L context length, H horizon,
C forecast channels, K covariates, F static features, Q quantiles, P patches, D model width.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import forecast_inputs
from moesaic.encoders import EncoderConfig, fit_revin
from moesaic.model import Backbone, ModelConfig
from moesaic.moe import MoEConfig
from moesaic.train import LossOutput, TrainConfig


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


class QuantileForecastHead(nn.Module):
    """(B, P, D) patch tokens [+ (B, L) normalised context] -> (B, H, Q) non-crossing quantiles.

    Args:
        num_patches: P tokens read per sample.
        dim: D.
        horizon: H.
        quantiles: Q increasing levels holding 0.5 (see :func:`check_quantiles`).
        context_length: L; with ``linear_skip`` the head adds a linear map of the context.
        linear_skip: add the DLinear-style path ``Linear(L -> H)`` to every quantile.
        spread_rank: width of the bottleneck of the spread path (its cost grows with H * Q only
            through this rank).
        dropout: on the flattened tokens.
    """

    def __init__(
        self,
        *,
        num_patches: int,
        dim: int,
        horizon: int,
        quantiles: Sequence[float],
        context_length: int,
        linear_skip: bool = False,
        spread_rank: int = 16,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (("num_patches", num_patches), ("dim", dim), ("horizon", horizon)):
            if value < 1:
                raise ValueError(f"`{name}` must be >= 1, got {value}")
        self.quantiles = check_quantiles(quantiles)
        self.horizon = horizon
        self.median_index = self.quantiles.index(0.5)
        flat = num_patches * dim
        self.drop = nn.Dropout(dropout)
        self.centre = nn.Linear(flat, horizon)
        self.skip = None
        if linear_skip:
            self.skip = nn.Linear(context_length, horizon)
            # Start as RevIN + linear map (a strong forecaster on its own): the token path begins
            # at zero and only grows where it lowers the loss, which curbs early overfitting.
            nn.init.zeros_(self.centre.weight)
            nn.init.zeros_(self.centre.bias)
        extra = len(self.quantiles) - 1
        self.spread = (
            nn.Sequential(nn.Linear(flat, spread_rank), nn.GELU(), nn.Linear(spread_rank, horizon * extra))
            if extra
            else None
        )

    def forward(self, tokens: Tensor, context: Tensor | None = None) -> Tensor:
        """Quantiles on the normalised scale.

        Args:
            tokens: (B, P, D) patch tokens of the forecast channel, oldest first.
            context: (B, L) normalised context, unobserved steps 0; required with ``linear_skip``.
        Returns:
            (B, H, Q), increasing along Q.
        """
        B = tokens.shape[0]
        flat = self.drop(tokens.flatten(1))  # (B, P * D)
        centre = self.centre(flat)  # (B, H)
        if self.skip is not None:
            if context is None:
                raise ValueError("this head has a linear skip: pass the (B, L) normalised context")
            centre = centre + self.skip(context)
        if self.spread is None:
            return centre[..., None]
        steps = F.softplus(self.spread(flat)).reshape(B, self.horizon, -1)  # (B, H, Q - 1), > 0
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


@dataclass(frozen=True)
class ForecastSpec:
    """What a forecast model is built for, learned by ``Forecaster.fit`` from the data.

    Attributes:
        context_length: L.
        horizon: H, the steps one forward pass forecasts.
        quantiles: Q levels, increasing, holding 0.5.
        num_channels: C forecast channels.
        num_covariates: K past-only covariate channels.
        num_static: F numeric static attributes per series.
    """

    context_length: int
    horizon: int
    quantiles: tuple[float, ...]
    num_channels: int
    num_covariates: int = 0
    num_static: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantiles", check_quantiles(self.quantiles))
        sizes = ("context_length", "horizon", "num_channels")
        problems = [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in sizes if getattr(self, n) < 1]
        counts = ("num_covariates", "num_static")
        problems += [f"`{n}` must be >= 0, got {getattr(self, n)}" for n in counts if getattr(self, n) < 0]
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True)
class MoesaicForecastConfig:
    """The moesaic forecaster: backbone sizes, quantile head and loss.

    Attributes:
        dim: D.
        num_layers: attention + sparse MoE blocks.
        num_heads: attention heads.
        patch_len: steps per patch token.
        num_experts: E experts per MoE layer.
        top_k: K experts per token.
        expert_hidden: hidden width of an expert.
        router: a key of :data:`moesaic.moe.ROUTERS`.
        dropout: in the blocks.
        head_dropout: on the flattened patch tokens.
        linear_skip: add a linear context -> horizon path to the head.
        spread_rank: bottleneck of the head's quantile-spread path.
        mse_weight: weight of the median's squared error, added to the pinball loss in training
            (the pinball loss alone makes the median minimise the absolute error).
        linear_steps: steps of the first training stage, which fits the linear skip alone (RevIN +
            linear map, fast and hard to overfit) before the blocks learn what it misses; 0 skips it.
        linear_lr: learning rate of that stage.
    """

    dim: int = 32
    num_layers: int = 2
    num_heads: int = 4
    patch_len: int = 16
    num_experts: int = 4
    top_k: int = 2
    expert_hidden: int = 64
    router: str = "topk"
    dropout: float = 0.2
    head_dropout: float = 0.1
    linear_skip: bool = True
    spread_rank: int = 16
    mse_weight: float = 1.0
    linear_steps: int = 1000
    linear_lr: float = 5e-3

    def __post_init__(self) -> None:
        problems = [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in ("patch_len", "spread_rank")
                    if getattr(self, n) < 1]  # fmt: skip
        if self.linear_steps < 0:
            problems.append(f"`linear_steps` must be >= 0, got {self.linear_steps}")
        if self.linear_lr <= 0:
            problems.append(f"`linear_lr` must be > 0, got {self.linear_lr}")
        if not 0.0 <= self.head_dropout < 1.0:
            problems.append(f"`head_dropout` must be in [0, 1), got {self.head_dropout}")
        if self.mse_weight < 0:
            problems.append(f"`mse_weight` must be >= 0, got {self.mse_weight}")
        if problems:
            raise ConfigError(problems)

    def backbone(self, spec: ForecastSpec) -> ModelConfig:
        """The backbone for ``spec``: series tokens, plus table tokens when there are static features."""
        modalities = ("timeseries", "tabular") if spec.num_static else ("timeseries",)
        encoders = EncoderConfig(
            dim=self.dim,
            modalities=modalities,
            patch_len=self.patch_len,
            max_patches=math.ceil(spec.context_length / self.patch_len),
            max_channels=1 + spec.num_covariates,
            num_numeric=spec.num_static,
        )
        moe = MoEConfig(
            num_experts=self.num_experts,
            top_k=self.top_k,
            router=self.router,
            expert_hidden=self.expert_hidden,
        )
        return ModelConfig(
            encoders=encoders,
            moe=moe,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            dropout=self.dropout,
        )


class _Output(NamedTuple):
    quantiles: Tensor  # (B, H, C, Q)
    aux_losses: dict[str, Tensor]


STAGES = ("linear", "full")
"""Training stages of :class:`MoesaicForecastModel`: the linear skip alone, then everything."""


class MoesaicForecastModel(nn.Module):
    """Sparse-MoE backbone + quantile head, channel-independent (see the module docstring).

    Trained in two stages (:meth:`training_stages`): first the linear skip alone, on the median's
    squared error (the blocks are not even run), then every parameter on the full loss, starting
    from the linear forecaster because the head's token path is initialised at zero.
    """

    def __init__(self, spec: ForecastSpec, config: MoesaicForecastConfig) -> None:
        super().__init__()
        self.spec, self.config = spec, config
        self.stage = "full"
        self.backbone = Backbone(config.backbone(spec))
        self.num_patches = math.ceil(spec.context_length / config.patch_len)
        self.head = QuantileForecastHead(
            num_patches=self.num_patches,
            dim=config.dim,
            horizon=spec.horizon,
            quantiles=spec.quantiles,
            context_length=spec.context_length,
            linear_skip=config.linear_skip,
            spread_rank=config.spread_rank,
            dropout=config.head_dropout,
        )

    def _run(self, batch: Batch) -> _Output:
        spec = self.spec
        C, K = spec.num_channels, spec.num_covariates
        target, seen = forecast_inputs(batch, C)  # (B, L, C) zero-filled, observed
        B, L, _ = target.shape
        if spec.context_length != L:
            raise ValueError(f"expected a context of {spec.context_length} steps, got {L}")
        target = target.transpose(1, 2).reshape(B * C, L, 1)  # one sample per (window, channel)
        seen = seen.transpose(1, 2).reshape(B * C, L, 1)
        series, observed = target, seen
        if K:
            assert batch.series is not None and batch.observed is not None
            cov = batch.series[..., C : C + K].float().repeat_interleave(C, dim=0)  # (BC, L, K)
            series = torch.cat([target, cov], dim=-1)
            observed = torch.cat([seen, batch.observed[..., C : C + K].repeat_interleave(C, dim=0)], dim=-1)
        numeric = (
            None if batch.numeric is None or not spec.num_static else batch.numeric.repeat_interleave(C, 0)
        )
        numeric_observed = None if numeric is None else batch.numeric_observed.repeat_interleave(C, 0)  # type: ignore[union-attr]
        sample = Batch(series=series, observed=observed, numeric=numeric, numeric_observed=numeric_observed)
        stats = fit_revin(target, seen, eps=self.backbone.config.encoders.revin_eps)  # as the encoder does
        context = torch.where(seen, stats.normalise(target), torch.zeros(())).squeeze(-1)  # (BC, L)
        if self.stage == "linear":
            assert self.head.skip is not None  # training_stages offers this stage only with a skip
            q = self.head.skip(context)[..., None].expand(-1, -1, len(spec.quantiles))
            aux: dict[str, Tensor] = {}
        else:
            out = self.backbone(sample)
            q = self.head(out.tokens[:, : self.num_patches], context)  # (BC, H, Q), target's tokens first
            aux = out.aux_losses
        q = q * stats.std + stats.mean  # (BC, 1, 1) statistics broadcast over H and Q
        q = q.reshape(B, C, spec.horizon, -1).transpose(1, 2)  # (B, H, C, Q)
        return _Output(q, aux)

    def forecast(self, batch: Batch) -> Tensor:
        """(B, H, C, Q) quantiles on the Forecaster's standardised scale."""
        return self._run(batch).quantiles

    def loss(self, batch: Batch) -> LossOutput:
        """Training: pinball + ``mse_weight`` * median squared error + weighted aux losses.

        Evaluation mode returns the median's mean squared error alone, so early stopping follows
        the benchmark's metric.
        """
        target, observed = batch.targets.get("future"), batch.targets.get("future_observed")
        if target is None or observed is None:
            raise ValueError(
                f"the batch needs targets 'future' and 'future_observed', got {sorted(batch.targets)}"
            )
        out = self._run(batch)
        median = out.quantiles[..., self.head.median_index]
        weight = observed.to(median.dtype)
        squared = (((median - target) ** 2) * weight).sum() / weight.sum().clamp(min=1.0)
        if not self.training or self.stage == "linear":
            return LossOutput(squared, {"mse": squared.detach()})
        pinball = pinball_loss(out.quantiles, target, self.spec.quantiles, observed)
        aux = self.backbone.aux_loss(out.aux_losses)
        parts: dict[str, float | Tensor] = {
            "pinball": pinball.detach(),
            "mse": squared.detach(),
            "aux": aux.detach(),
        }
        return LossOutput(pinball + self.config.mse_weight * squared + aux, parts)

    def training_stages(self, config: TrainConfig) -> list[tuple[str, TrainConfig]]:
        """(stage, optimisation) pairs to train in order; ``config`` is the full stage's."""
        if self.head.skip is None or not self.config.linear_steps:
            return [("full", config)]
        steps = self.config.linear_steps
        linear = dataclasses.replace(
            config,
            lr=self.config.linear_lr,
            max_steps=steps,
            warmup_steps=min(config.warmup_steps, steps // 10),
        )
        return [("linear", linear), ("full", config)]

    def set_stage(self, stage: str) -> None:
        """Train ``stage`` next: only the linear skip is trainable in "linear", everything in "full"."""
        if stage not in STAGES:
            raise ValueError(f"`stage` must be one of {list(STAGES)}, got {stage!r}")
        self.stage = stage
        for name, param in self.named_parameters():
            param.requires_grad_(stage == "full" or name.startswith("head.skip."))

    def active_parameter_fraction(self, name: str) -> float:
        """As the backbone says for its parameters; the head is always active."""
        if name.startswith("backbone."):
            return self.backbone.active_parameter_fraction(name.removeprefix("backbone."))
        return 1.0
