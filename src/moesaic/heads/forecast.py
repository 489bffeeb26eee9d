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

The head, its :class:`PeriodicLinear` path, :func:`check_quantiles` and :func:`pinball_loss` live
in :mod:`moesaic.heads.quantile` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.forecast_windows import forecast_inputs
from moesaic.encoders import EncoderConfig, RevINStats, fit_revin
from moesaic.heads.quantile import PeriodicLinear, QuantileForecastHead, check_quantiles, pinball_loss
from moesaic.heads.ridge import RidgeSamples
from moesaic.model import Backbone, ModelConfig
from moesaic.moe import MoEConfig
from moesaic.train import LossOutput, TrainConfig

logger = logging.getLogger(__name__)

__all__ = [
    "STAGES",
    "ForecastSpec",
    "MoesaicForecastConfig",
    "MoesaicForecastModel",
    "PeriodicLinear",
    "QuantileForecastHead",
    "check_quantiles",
    "pinball_loss",
]


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


STAGES: dict[str, tuple[str, ...]] = {
    "periodic": ("head.periodic.", "head.spread."),
    "linear": ("head.skip.", "head.periodic.", "head.spread."),
    "ridge": ("head.spread.",),
    "blocks": ("backbone.", "head.reduce.", "head.centre.", "head.spread."),
    "all": ("",),
}
"""Training stages of :class:`MoesaicForecastModel` and the parameter-name prefixes each trains.

"periodic" and "linear" do not run the backbone at all (cheap); "ridge" solves the full linear
path in closed form on what the periodic path leaves (:mod:`moesaic.heads.ridge`, driven by the
Forecaster; its penalty so shrinks towards the periodic forecast) and trains only the quantile
spreads around it; "blocks" trains the backbone and the token path on what the linear
paths, then frozen, leave over; "all" trains everything at once.
"""
LINEAR_STAGES = ("periodic", "linear", "ridge")
"""Stages whose model forecasts with the linear paths alone, without running the backbone."""


@dataclass(frozen=True)
class MoesaicForecastConfig:
    """The moesaic forecaster: backbone sizes, head, loss and training stages.

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
        head_dim: each patch token is reduced to this width before the flatten head (its
            parameters grow as P * head_dim * H).
        head_dropout: on the flattened patch tokens.
        period: season of the head's periodic path in steps; 0 leaves the path out.
        spread_rank: bottleneck of the head's quantile-spread path.
        mse_weight: weight of the median's squared error, added to the pinball loss in training
            (the pinball loss alone makes the median minimise the absolute error).
        stages: keys of :data:`STAGES`, trained in order, each with early stopping on validation
            (the "ridge" stage is solved, its spreads trained without stopping); the Forecaster
            rolls back a stage that does not improve the validation MSE.
        stage_steps: steps of each "periodic", "linear" and "ridge" stage ("blocks" and "all" use
            ``ForecastConfig.train.max_steps``).
        periodic_lr: learning rate of the "periodic" stage.
        linear_lr: learning rate of the "linear" stage, and of the spreads in the "ridge" stage.
        blocks_lr: learning rate of the "blocks" stage; low, because the blocks fit the training
            months within a few hundred steps ("all" uses ``ForecastConfig.train.lr``).
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
    head_dim: int = 8
    head_dropout: float = 0.1
    period: int = 24
    spread_rank: int = 16
    mse_weight: float = 1.0
    stages: tuple[str, ...] = ("periodic", "linear", "ridge", "blocks")
    stage_steps: int = 300
    periodic_lr: float = 1e-2
    linear_lr: float = 1e-3
    blocks_lr: float = 1e-4

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        positive = ("patch_len", "head_dim", "spread_rank", "stage_steps")
        problems = [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in positive if getattr(self, n) < 1]
        if self.period < 0:
            problems.append(f"`period` must be >= 0 (0: no periodic path), got {self.period}")
        if not 0.0 <= self.head_dropout < 1.0:
            problems.append(f"`head_dropout` must be in [0, 1), got {self.head_dropout}")
        if self.mse_weight < 0:
            problems.append(f"`mse_weight` must be >= 0, got {self.mse_weight}")
        if self.periodic_lr <= 0 or self.linear_lr <= 0:
            problems.append(
                f"`periodic_lr` and `linear_lr` must be > 0, got {self.periodic_lr}, {self.linear_lr}"
            )
        unknown = [s for s in self.stages if s not in STAGES]
        if not self.stages or unknown:
            problems.append(f"`stages` must be a non-empty list of {list(STAGES)}, got {list(self.stages)}")
        elif "periodic" in self.stages and not self.period:
            problems.append("stage 'periodic' needs `period` >= 1")
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


_TOKEN_PATH = ("backbone.", "head.reduce.", "head.centre.")


class _Output(NamedTuple):
    quantiles: Tensor  # (B, H, C, Q)
    aux_losses: dict[str, Tensor]


class MoesaicForecastModel(nn.Module):
    """Sparse-MoE backbone + quantile head, channel-independent (see the module docstring).

    Trained in stages (:meth:`training_stages`, :data:`STAGES`): by default the periodic path,
    then the full linear path by gradient steps, then the same path solved in closed form (the
    Forecaster keeps whichever validates better), then the backbone and the token path on what
    the linear paths leave over. The head's later paths start at zero, so each stage starts from
    the forecaster the previous one left.
    """

    def __init__(self, spec: ForecastSpec, config: MoesaicForecastConfig) -> None:
        super().__init__()
        self.spec, self.config = spec, config
        self.stage = config.stages[-1]
        self.backbone = Backbone(config.backbone(spec))
        self.num_patches = math.ceil(spec.context_length / config.patch_len)
        self.head = QuantileForecastHead(
            num_patches=self.num_patches,
            dim=config.dim,
            head_dim=config.head_dim,
            horizon=spec.horizon,
            quantiles=spec.quantiles,
            context_length=spec.context_length,
            period=config.period if config.period <= spec.context_length else 0,
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
        stats, context = self._normalised(target, seen)
        aux: dict[str, Tensor] = {}
        if self.stage in LINEAR_STAGES:  # the blocks are not trained yet: do not run them
            q = self.head(context)  # (BC, H, Q)
        else:
            out = self.backbone(sample)
            q = self.head(context, out.tokens[:, : self.num_patches])  # the target's tokens come first
            aux = out.aux_losses
        q = q * stats.std + stats.mean  # (BC, 1, 1) statistics broadcast over H and Q
        q = q.reshape(B, C, spec.horizon, -1).transpose(1, 2)  # (B, H, C, Q)
        return _Output(q, aux)

    def _normalised(self, target: Tensor, seen: Tensor) -> tuple[RevINStats, Tensor]:
        """RevIN statistics (BC, 1, 1) of (BC, L, 1) contexts and the (BC, L) normalised context."""
        stats = fit_revin(target, seen, eps=self.backbone.config.encoders.revin_eps)  # as the encoder does
        return stats, torch.where(seen, stats.normalise(target), torch.zeros(())).squeeze(-1)

    def ridge_samples(self, batch: Batch) -> RidgeSamples:
        """The batch's (window, channel) samples whose horizon is fully observed, on the RevIN scale
        of their context, for the closed-form linear path (:mod:`moesaic.heads.ridge`)."""
        C, H = self.spec.num_channels, self.spec.horizon
        target, seen = forecast_inputs(batch, C)  # (B, L, C)
        B, L, _ = target.shape
        stats, context = self._normalised(
            target.transpose(1, 2).reshape(B * C, L, 1), seen.transpose(1, 2).reshape(B * C, L, 1)
        )
        future = batch.targets["future"].transpose(1, 2).reshape(B * C, H)
        observed = batch.targets["future_observed"].transpose(1, 2).reshape(B * C, H).all(dim=1)
        mean, std = stats.mean.reshape(-1), stats.std.reshape(-1)
        normalised = (torch.nan_to_num(future) - mean[:, None]) / std[:, None]
        if self.head.periodic is not None:  # the full path fits what the periodic one leaves
            normalised = normalised - self.head.periodic(context)
        keep = observed & seen.transpose(1, 2).reshape(B * C, L).any(dim=1)
        return RidgeSamples(context[keep], normalised[keep], std[keep] ** 2)

    def set_linear_path(self, weight: Tensor, bias: Tensor) -> None:
        """Set the head's full linear path: (H, L) weights and (H,) bias."""
        with torch.no_grad():
            self.head.skip.weight.copy_(weight)
            self.head.skip.bias.copy_(bias)

    def clear_periodic_path(self) -> None:
        """Zero the periodic path: an untrained one is no forecast for the "ridge" stage to start from."""
        with torch.no_grad():
            for param in [] if self.head.periodic is None else self.head.periodic.parameters():
                param.zero_()

    def forecast(self, batch: Batch) -> Tensor:
        """(B, H, C, Q) quantiles on the Forecaster's standardised scale."""
        return self._run(batch).quantiles

    def forward(self, batch: Batch) -> Tensor:
        """As :meth:`forecast`, so that the model can be called like any module."""
        return self.forecast(batch)

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
        if not self.training:
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
        """(stage, optimisation) pairs to train in order, derived from the ``config`` of stage "all"."""
        rates = {
            "periodic": self.config.periodic_lr,
            "linear": self.config.linear_lr,
            "ridge": self.config.linear_lr,  # its gradient steps train the quantile spreads only
            "blocks": self.config.blocks_lr,
        }
        out = []
        for stage in self.config.stages:
            if stage == "periodic" and self.head.periodic is None:
                # the period is longer than the context (a short file), so the head has no periodic path
                logger.info("no periodic stage: the period %d exceeds the context", self.config.period)
                continue
            stage_config = dataclasses.replace(config, lr=rates.get(stage, config.lr))
            if stage in LINEAR_STAGES:
                steps = self.config.stage_steps
                warmup = min(config.warmup_steps, steps // 10)
                stage_config = dataclasses.replace(stage_config, max_steps=steps, warmup_steps=warmup)
            out.append((stage, stage_config))
        return out

    def set_stage(self, stage: str) -> None:
        """Train ``stage`` next: only the parameters under its :data:`STAGES` prefixes are trainable."""
        if stage not in STAGES:
            raise ValueError(f"`stage` must be one of {list(STAGES)}, got {stage!r}")
        if stage == "periodic" and self.head.periodic is None:
            raise ValueError("stage 'periodic' needs a head with a periodic path (period >= 1)")
        self.stage = stage
        for name, param in self.named_parameters():
            param.requires_grad_(name.startswith(STAGES[stage]))

    def active_parameter_fraction(self, name: str) -> float:
        """Share of parameter ``name`` one forecast uses.

        The backbone says it for its own (K / E for routed experts); when the model forecasts as a
        linear stage (the "blocks" stage was rolled back or not trained), the backbone and the
        token path are not run at all: 0.
        """
        if self.stage in LINEAR_STAGES and name.startswith(_TOKEN_PATH):
            return 0.0
        if name.startswith("backbone."):
            return self.backbone.active_parameter_fraction(name.removeprefix("backbone."))
        return 1.0
