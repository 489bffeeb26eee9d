"""Two generator designs on the :class:`ConditionalTrunk`, both owning their loss.

- :class:`SeriesVAE` (one network evaluation per sample): a conditional VAE whose decoder is the
  trunk, fed with a latent vector at every step; the encoder is a small bidirectional GRU. The
  observation noise is learned per channel (a calibrated-decoder VAE), so there is no KL weight to
  tune. Samples are the decoder means.
- :class:`SeriesFlow` (``steps`` evaluations per sample): conditional flow matching on the straight
  path ``x_s = (1 - s) noise + s data``; the trunk predicts the velocity ``data - noise`` and
  sampling integrates it with ``steps`` Euler steps, starting at flow times
  ``(i / steps) ** grid_power``. Evenly spaced steps (power 1) left the window levels of Stocks
  spread too little: the early steps, where the samples part ways, were too coarse. Power 2
  packs the steps near the noise end.

Both see windows standardised per channel by the :class:`~moesaic.tasks.synth.synthesizer.Synthesizer`.
Axes: B batch, T steps, C channels, D width, Z latent width.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from moesaic.model import ModelConfig
from moesaic.tasks.synth.conditions import EncodedConditions
from moesaic.tasks.synth.trunk import ConditionalTrunk, drop_conditions, masked
from moesaic.train import LossOutput


class GeneratorBatch(NamedTuple):
    """Standardised windows with their conditions: what the generators' ``loss`` receives."""

    series: Tensor  # (B, T, C), 0 where unobserved
    observed: Tensor  # (B, T, C) bool
    conditions: EncodedConditions


def to_patches(x: Tensor, patch: int) -> Tensor:
    """(B, T, C) -> (B, T / patch, patch * C): each token holds ``patch`` consecutive steps."""
    B, T, C = x.shape
    return x.reshape(B, T // patch, patch * C)


def from_patches(x: Tensor, patch: int) -> Tensor:
    """(B, T / patch, patch * C) -> (B, T, C), the inverse of :func:`to_patches`."""
    B, N, PC = x.shape
    return x.reshape(B, N * patch, PC // patch)


def _masked_mean(values: Tensor, observed: Tensor) -> Tensor:
    return (values * observed).sum() / observed.sum().clamp(min=1)


class SeriesVAE(nn.Module):
    """Conditional VAE: GRU encoder q(z | x, c), trunk decoder p(x | z, c) with learned noise."""

    nfe_per_sample = 1

    def __init__(
        self,
        config: ModelConfig,
        *,
        length: int,
        channels: int,
        patch: int,
        latent: int,
        condition_dropout: float,
        text_dim: int = 0,
    ) -> None:
        super().__init__()
        D = config.dim
        self.latent, self.condition_dropout, self.patch = latent, condition_dropout, patch
        self.encoder = nn.GRU(channels, D, batch_first=True, bidirectional=True)
        self.posterior = nn.Linear(2 * D, 2 * latent)
        self.lift = nn.Linear(latent, D)
        self.trunk = ConditionalTrunk(config, length=length // patch, text_dim=text_dim)
        self.out = nn.Linear(D, channels * patch)
        self.log_noise = nn.Parameter(torch.full((channels,), -1.0))  # log std of the observation noise

    def decode(self, z: Tensor, conditions: EncodedConditions | None, length: int) -> tuple[Tensor, Tensor]:
        """(B, Z) -> (B, T, C) means, and the aux loss."""
        tokens = length // self.patch
        h = self.lift(z).unsqueeze(1).expand(-1, tokens, -1)  # (B, N, D), positions added by the trunk
        out = self.trunk(h, conditions)
        return from_patches(self.out(out.x), self.patch), out.aux_loss

    def loss(self, batch: GeneratorBatch) -> LossOutput:
        x, observed = batch.series, batch.observed
        _, last = self.encoder(x)  # (2, B, D)
        mean, log_var = self.posterior(torch.cat([last[0], last[1]], dim=-1)).chunk(2, dim=-1)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        conditions = (
            drop_conditions(batch.conditions, self.condition_dropout) if self.training else batch.conditions
        )
        recon, aux = self.decode(z, conditions, x.shape[1])
        # Gaussian negative log-likelihood per value (constant dropped), then KL per value.
        nll = 0.5 * ((x - recon) / self.log_noise.exp()) ** 2 + self.log_noise
        kl = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(dim=-1).mean()
        values = x.shape[1] * x.shape[2]
        recon_loss = _masked_mean(nll, observed)
        total = recon_loss + kl / values + aux
        return LossOutput(total, {"nll": recon_loss.detach(), "kl": kl.detach(), "aux": aux.detach()})

    @torch.no_grad()
    def sample(
        self, conditions: EncodedConditions | None, *, count: int, length: int, guidance: float = 1.0
    ) -> Tensor:
        """(count, T, C) standardised samples from the prior (``guidance`` is the flow's only)."""
        if guidance != 1.0:
            raise ValueError("guidance needs the flow design; the VAE samples in one evaluation")
        z = torch.randn(count, self.latent)
        return self.decode(z, conditions, length)[0]


class SeriesFlow(nn.Module):
    """Conditional flow matching; the trunk is the velocity field, integrated in ``steps`` Euler steps."""

    freqs: Tensor  # (D / 2,) frequencies of the sinusoidal embedding of the flow time

    def __init__(
        self,
        config: ModelConfig,
        *,
        length: int,
        channels: int,
        patch: int,
        steps: int,
        condition_dropout: float,
        grid_power: float = 1.0,
        text_dim: int = 0,
    ) -> None:
        super().__init__()
        D = config.dim
        self.steps, self.condition_dropout, self.patch, self.channels = (
            steps,
            condition_dropout,
            patch,
            channels,
        )
        self.grid_power = grid_power
        self.project = nn.Linear(channels * patch, D)
        self.time = nn.Sequential(nn.Linear(D, D), nn.SiLU(), nn.Linear(D, D))
        self.trunk = ConditionalTrunk(config, length=length // patch, text_dim=text_dim)
        self.out = nn.Linear(D, channels * patch)
        freqs = torch.exp(-math.log(1000.0) * torch.arange(D // 2) / max(1, D // 2))
        self.register_buffer("freqs", freqs, persistent=False)

    @property
    def nfe_per_sample(self) -> int:
        return self.steps

    def velocity(self, x: Tensor, s: Tensor, conditions: EncodedConditions | None) -> tuple[Tensor, Tensor]:
        """(B, T, C) at times (B,) in [0, 1] -> (B, T, C) velocity, and the aux loss."""
        angles = 1000.0 * s.unsqueeze(-1) * self.freqs  # (B, D/2)
        embedding = torch.cat([angles.sin(), angles.cos()], dim=-1)
        if embedding.shape[-1] < self.project.out_features:  # odd D
            embedding = nn.functional.pad(embedding, (0, 1))
        h = self.project(to_patches(x, self.patch)) + self.time(embedding).unsqueeze(1)  # (B, N, D)
        out = self.trunk(h, conditions)
        return from_patches(self.out(out.x), self.patch), out.aux_loss

    def loss(self, batch: GeneratorBatch) -> LossOutput:
        data, observed = batch.series, batch.observed
        noise = torch.randn_like(data)
        s = torch.rand(data.shape[0])
        x = (1 - s)[:, None, None] * noise + s[:, None, None] * data
        conditions = (
            drop_conditions(batch.conditions, self.condition_dropout) if self.training else batch.conditions
        )
        v, aux = self.velocity(x, s, conditions)
        task = _masked_mean((v - (data - noise)) ** 2, observed)
        return LossOutput(task + aux, {"task": task.detach(), "aux": aux.detach()})

    @torch.no_grad()
    def sample(
        self, conditions: EncodedConditions | None, *, count: int, length: int, guidance: float = 1.0
    ) -> Tensor:
        """(count, T, C) standardised samples: Euler from noise at s = 0 to data at s = 1.

        ``guidance`` w != 1 is classifier-free guidance: the velocity is ``v_free + w (v - v_free)``,
        with ``v_free`` the velocity with every condition masked (as condition dropout trains it).
        Above 1 the samples follow their condition more closely and spread less; each step then
        takes two evaluations.
        """
        free = None if conditions is None or guidance == 1.0 else masked(conditions)
        x = torch.randn(count, length, self.channels)
        grid = (torch.arange(self.steps + 1) / self.steps) ** self.grid_power
        for start, stop in zip(grid[:-1].tolist(), grid[1:].tolist(), strict=True):
            s = torch.full((count,), start)
            v = self.velocity(x, s, conditions)[0]
            if free is not None:
                v_free = self.velocity(x, s, free)[0]
                v = v_free + guidance * (v - v_free)
            x = x + (stop - start) * v
        return x
