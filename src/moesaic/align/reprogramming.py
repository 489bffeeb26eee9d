"""Forecasting through a frozen language model with a few trainable layers around it.

Three families, each reading univariate windows (B windows of L steps; a multivariate series is
forecast channel by channel, its channels flattened into B). Each window is normalised by RevIN,
cut into P overlapping patches (the last one padded by repeating the final value, as GPT4TS
does), embedded at the language model's width D, passed through the first ``num_layers`` decoder
layers of a Llama-family causal LM, and the patch outputs are mapped to H steps, which RevIN maps
back. On SmolLM2-135M-Instruct (30 layers) the default keeps 6 layers, as GPT4TS keeps 6 of
GPT-2's 12; all three are trained with the MSE of the forecast on the input's scale.

- :class:`GPT4TS` (OFA, Zhou et al., NeurIPS 2023): linear patch embedding, the decoder layers
  frozen except their RMSNorm weights (GPT-2's layer norms in the paper), and a linear head over
  the flattened patch outputs.
- :class:`TimeLLM` (Jin et al., ICLR 2024): patches are reprogrammed by multi-head cross-attention
  onto S text prototypes, each a learned linear combination of the LM's V token embeddings; a
  plain-text prompt (dataset description, task, input statistics) precedes them; the LM is frozen
  entirely and the head reads the first ``head_dim`` features of each patch output, as in the paper.
- :class:`TEMPO` (Cao et al., ICLR 2024): the window is decomposed into trend (moving average),
  season (the mean of each phase of the period) and residual (:func:`decompose`); each component
  has its own patch embedding, soft prompt and head; the three token groups share one pass of the
  frozen LM (LoRA on its query and value projections when ``lora_rank > 0``) and the three
  forecasts are summed. TEMPO's prompt pool is reduced to one soft prompt per component.

The decoder layers are private copies (:meth:`LlamaStack.from_causal_lm`), so training their norms
or LoRA never changes the shared language model. A checkpoint holds the trained tensors only
(:func:`save_trained`); :func:`load_trained` rebuilds the frozen parts from the language model.
The shared pieces live in their own modules and are re-exported here: the decoder stack in
:mod:`moesaic.align.llama`, the base class, settings and window batches in
:mod:`moesaic.align.lm_forecaster`, the checkpoint format in :mod:`moesaic.align.trained_state`.

Axes: B windows, L context length, H horizon, P patches, D LM width, S prototypes, T tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.adapt.lora import LoRAConfig, apply_lora
from moesaic.align.llama import LORA_TARGETS, LlamaStack, left_pad
from moesaic.align.lm_forecaster import LMForecastConfig, LMForecaster, WindowBatch, patchify, window_batches
from moesaic.align.trained_state import load_trained_tensors, read_trained, save_trained
from moesaic.checkpoint import CheckpointError
from moesaic.config import ConfigError, from_dict
from moesaic.text.language_model import LanguageModel

__all__ = [
    "GPT4TS",
    "MODELS",
    "TEMPO",
    "Components",
    "GPT4TSConfig",
    "LMForecastConfig",
    "LMForecaster",
    "LlamaStack",
    "Reprogramming",
    "TEMPOConfig",
    "TimeLLM",
    "TimeLLMConfig",
    "WindowBatch",
    "build_model",
    "decompose",
    "input_statistics",
    "left_pad",
    "load_trained",
    "load_trained_tensors",
    "patchify",
    "save_trained",
    "time_llm_prompt",
    "window_batches",
]


@dataclass(frozen=True)
class GPT4TSConfig(LMForecastConfig):
    """GPT4TS: nothing beyond the shared settings."""


@dataclass(frozen=True)
class TimeLLMConfig(LMForecastConfig):
    """Time-LLM's reprogramming and prompt.

    Attributes:
        num_prototypes: S text prototypes (1000 in the paper, for a 7B LM).
        patch_dim: width of the patch embedding (the queries' input).
        num_heads: heads of the reprogramming cross-attention.
        key_dim: width of each head.
        head_dim: leading features of each patch output that the head reads (the paper's d_ff).
        description: the dataset description opening every prompt.
    """

    num_prototypes: int = 100
    patch_dim: int = 32
    num_heads: int = 8
    key_dim: int = 16
    head_dim: int = 32
    description: str = "hourly oil temperature of an electricity transformer (ETTh1)."

    def _more_problems(self) -> list[str]:
        names = ("num_prototypes", "patch_dim", "num_heads", "key_dim", "head_dim")
        return [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in names if getattr(self, n) < 1]


@dataclass(frozen=True)
class TEMPOConfig(LMForecastConfig):
    """TEMPO's decomposition, prompts and adapters.

    Attributes:
        trend_kernel: odd moving-average window of the trend.
        period: season length in steps (24 for hourly data).
        prompt_length: soft-prompt tokens per component.
        lora_rank: rank of LoRA on the query and value projections; 0 keeps the LM frozen.
        lora_alpha: LoRA scale numerator.
    """

    trend_kernel: int = 25
    period: int = 24
    prompt_length: int = 4
    lora_rank: int = 8
    lora_alpha: float = 16.0

    def _more_problems(self) -> list[str]:
        problems = []
        if self.trend_kernel < 1 or self.trend_kernel % 2 == 0:
            problems.append(f"`trend_kernel` must be an odd number >= 1, got {self.trend_kernel}")
        for name in ("period", "prompt_length"):
            if getattr(self, name) < 1:
                problems.append(f"`{name}` must be >= 1, got {getattr(self, name)}")
        if self.lora_rank < 0:
            problems.append(f"`lora_rank` must be >= 0, got {self.lora_rank}")
        return problems


class Components(NamedTuple):
    """TEMPO's additive decomposition; each (B, L), and trend + season + residual == the input."""

    trend: Tensor
    season: Tensor
    residual: Tensor


def decompose(x: Tensor, *, trend_kernel: int, period: int) -> Components:
    """Trend by a centred moving average (edges repeated), season by the mean of each phase.

    The phase of step t is counted back from the window's end, ``(t - L) mod period``, so the
    phases line up with the forecast steps that follow the window.

    Args:
        x: (B, L).
    """
    if x.ndim != 2:
        raise ValueError(f"`x` must have shape (batch, time), got {tuple(x.shape)}")
    L = x.shape[1]
    half = (trend_kernel - 1) // 2
    padded = torch.cat([x[:, :1].expand(-1, half), x, x[:, -1:].expand(-1, half)], dim=1)
    trend = F.avg_pool1d(padded[:, None], trend_kernel, stride=1)[:, 0]  # (B, L)
    detrended = x - trend
    phase = (torch.arange(L) - L) % period  # (L,)
    one_hot = F.one_hot(phase, period).to(x.dtype)  # (L, period)
    means = (detrended @ one_hot) / one_hot.sum(0).clamp(min=1)  # (B, period)
    season = means[:, phase]
    return Components(trend, season, detrended - season)


class GPT4TS(LMForecaster):
    """Patch embedding -> first decoder layers (RMSNorm weights trained) -> linear head."""

    kind = "gpt4ts"
    config: GPT4TSConfig

    def __init__(self, config: GPT4TSConfig, lm: LanguageModel) -> None:
        super().__init__()
        self.config = config
        self.stack = LlamaStack.from_causal_lm(lm.model, config.num_layers)
        for name, param in self.stack.named_parameters():
            param.requires_grad_("norm" in name)  # input_layernorm, post_attention_layernorm, norm
        D = self.stack.width
        self.embed = nn.Linear(config.patch_len, D)
        self.head = nn.Linear(config.num_patches * D, config.horizon)

    def forecast_normalised(self, x: Tensor) -> Tensor:
        patches = patchify(x, patch_len=self.config.patch_len, stride=self.config.stride)  # (B, P, patch_len)
        out = self.stack(self.embed(patches))  # (B, P, D)
        return self.head(out.flatten(1))


class Reprogramming(nn.Module):
    """Multi-head cross-attention from patch embeddings (queries) onto text prototypes (keys, values)."""

    def __init__(self, *, patch_dim: int, lm_dim: int, num_heads: int, key_dim: int) -> None:
        super().__init__()
        self.num_heads, self.key_dim = num_heads, key_dim
        self.query = nn.Linear(patch_dim, num_heads * key_dim)
        self.key = nn.Linear(lm_dim, num_heads * key_dim)
        self.value = nn.Linear(lm_dim, num_heads * key_dim)
        self.out = nn.Linear(num_heads * key_dim, lm_dim)

    def forward(self, patches: Tensor, prototypes: Tensor) -> Tensor:
        """(B, P, patch_dim) and (S, D) -> (B, P, D)."""
        B, P, _ = patches.shape
        S = prototypes.shape[0]
        q = self.query(patches).view(B, P, self.num_heads, self.key_dim).transpose(1, 2)  # (B, h, P, k)
        k = self.key(prototypes).view(S, self.num_heads, self.key_dim).transpose(0, 1)  # (h, S, k)
        v = self.value(prototypes).view(S, self.num_heads, self.key_dim).transpose(0, 1)
        attended = F.scaled_dot_product_attention(
            q, k[None].expand(B, -1, -1, -1), v[None].expand(B, -1, -1, -1)
        )
        return self.out(attended.transpose(1, 2).reshape(B, P, -1))


def input_statistics(x: np.ndarray, *, top_lags: int = 5) -> str:
    """Time-LLM's prompt statistics of one normalised window ``x`` (L,): range, median, trend, lags.

    The lags are the ``top_lags`` largest of the autocorrelation (by FFT), lag 0 excluded.
    """
    centred = x - x.mean()
    spectrum = np.fft.rfft(centred, n=2 * len(x))
    correlation = np.fft.irfft(spectrum * np.conj(spectrum))[1 : len(x)]
    lags = (np.argsort(-correlation, kind="stable")[:top_lags] + 1).tolist()
    trend = "upward" if x[-1] - x[0] > 0 else "downward"
    return (
        f"min value {x.min():.2f}, max value {x.max():.2f}, median value {np.median(x):.2f}, "
        f"the trend of input is {trend}, top {top_lags} lags are {lags}"
    )


def time_llm_prompt(x: np.ndarray, *, description: str, context_length: int, horizon: int) -> str:
    """The prompt prefix of one normalised window (L,)."""
    return (
        f"Dataset description: {description} Task description: forecast the next {horizon} steps "
        f"given the previous {context_length} steps. Input statistics: {input_statistics(x)}. "
    )


class TimeLLM(LMForecaster):
    """Prompt prefix + patches reprogrammed onto text prototypes -> frozen decoder layers -> head."""

    kind = "timellm"
    config: TimeLLMConfig

    def __init__(self, config: TimeLLMConfig, lm: LanguageModel) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = lm.tokenizer
        self.words = lm.model.get_input_embeddings()  # shared and frozen: (V, D)
        self.stack = LlamaStack.from_causal_lm(lm.model, config.num_layers)
        V, D = self.words.weight.shape
        self.patch_embed = nn.Linear(config.patch_len, config.patch_dim)
        self.mapping = nn.Linear(V, config.num_prototypes)
        self.reprogram = Reprogramming(
            patch_dim=config.patch_dim, lm_dim=D, num_heads=config.num_heads, key_dim=config.key_dim
        )
        self.head = nn.Linear(config.num_patches * config.head_dim, config.horizon)
        self._cached_prototypes: Tensor | None = None

    def train(self, mode: bool = True) -> TimeLLM:
        self._cached_prototypes = None  # the mapping may change: recompute the prototypes
        return super().train(mode)

    def prototypes(self) -> Tensor:
        """(S, D) text prototypes; cached while the model is in eval mode."""
        if self.training or self._cached_prototypes is None:
            prototypes = self.mapping(self.words.weight.T).T  # (S, D)
            self._cached_prototypes = None if self.training else prototypes
            return prototypes
        return self._cached_prototypes

    def prompt_ids(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Left-padded prompt ids (B, T) and their mask (B, T) for normalised windows (B, L)."""
        cfg = self.config
        texts = [
            time_llm_prompt(
                w, description=cfg.description, context_length=cfg.context_length, horizon=cfg.horizon
            )
            for w in x.detach().numpy()
        ]
        return left_pad([self.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts])

    def forecast_normalised(self, x: Tensor) -> Tensor:
        cfg = self.config
        patches = self.patch_embed(
            patchify(x, patch_len=cfg.patch_len, stride=cfg.stride)
        )  # (B, P, patch_dim)
        tokens = self.reprogram(patches, self.prototypes())  # (B, P, D)
        ids, prompt_mask = self.prompt_ids(x)
        sequence = torch.cat([self.words(ids), tokens], dim=1)  # (B, T + P, D)
        mask = torch.cat([prompt_mask, torch.ones(tokens.shape[:2], dtype=torch.bool)], dim=1)
        out = self.stack(sequence, mask=mask)[:, -cfg.num_patches :, : cfg.head_dim]  # (B, P, head_dim)
        return self.head(out.flatten(1))


class TEMPO(LMForecaster):
    """Trend / season / residual, each patched with its own prompt and head; forecasts summed."""

    kind = "tempo"
    config: TEMPOConfig
    COMPONENTS = ("trend", "season", "residual")

    def __init__(self, config: TEMPOConfig, lm: LanguageModel) -> None:
        super().__init__()
        self.config = config
        self.stack = LlamaStack.from_causal_lm(lm.model, config.num_layers)
        if config.lora_rank > 0:
            apply_lora(
                self.stack, LoRAConfig(rank=config.lora_rank, alpha=config.lora_alpha, targets=LORA_TARGETS)
            )
        D = self.stack.width
        n = len(self.COMPONENTS)
        self.embed = nn.ModuleList(nn.Linear(config.patch_len, D) for _ in range(n))
        self.prompts = nn.Parameter(0.02 * torch.randn(n, config.prompt_length, D))  # (3, prompt_length, D)
        self.heads = nn.ModuleList(nn.Linear(config.num_patches * D, config.horizon) for _ in range(n))

    def forecast_normalised(self, x: Tensor) -> Tensor:
        cfg = self.config
        B, P, n = x.shape[0], cfg.num_patches, cfg.prompt_length
        parts = decompose(x, trend_kernel=cfg.trend_kernel, period=cfg.period)
        groups = [
            torch.cat(
                [
                    self.prompts[i].expand(B, -1, -1),
                    embed(patchify(part, patch_len=cfg.patch_len, stride=cfg.stride)),
                ],
                1,
            )
            for i, (embed, part) in enumerate(zip(self.embed, parts, strict=True))
        ]  # each (B, n + P, D)
        out = self.stack(torch.cat(groups, dim=1))  # (B, 3 (n + P), D)
        forecasts = [
            head(out[:, i * (n + P) + n : (i + 1) * (n + P)].flatten(1)) for i, head in enumerate(self.heads)
        ]
        return torch.stack(forecasts).sum(0)


MODELS: dict[str, tuple[type[LMForecastConfig], Callable[[Any, LanguageModel], LMForecaster]]] = {
    "gpt4ts": (GPT4TSConfig, GPT4TS),
    "timellm": (TimeLLMConfig, TimeLLM),
    "tempo": (TEMPOConfig, TEMPO),
}
"""Frozen-LM forecasters by name: (config class, builder(config, lm))."""


def build_model(kind: str, config: LMForecastConfig, lm: LanguageModel) -> LMForecaster:
    """The ``kind`` model (a key of :data:`MODELS`) around ``lm``; its config class must match."""
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of {sorted(MODELS)}")
    config_class, builder = MODELS[kind]
    if type(config) is not config_class:
        raise TypeError(f"model {kind!r} needs a {config_class.__name__}, got {type(config).__name__}")
    return builder(config, lm)


def load_trained(folder: Path, lm: LanguageModel) -> LMForecaster:
    """Rebuild a model saved by ``save_trained(folder, model, kind=model.kind, config=model.config)``."""
    saved = read_trained(folder)
    if saved.kind not in MODELS:
        raise CheckpointError(f"{folder}: unknown model {saved.kind!r}; known models are {sorted(MODELS)}")
    try:
        config = from_dict(MODELS[saved.kind][0], saved.settings)
    except ConfigError as err:
        raise CheckpointError(f"{folder}: cannot read the model settings ({err})") from err
    model = build_model(saved.kind, config, lm)
    load_trained_tensors(model, saved.tensors, Path(folder))
    return model.eval()
