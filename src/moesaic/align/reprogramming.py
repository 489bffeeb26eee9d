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

Axes: B windows, L context length, H horizon, P patches, D LM width, S prototypes, T tokens.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.adapt.lora import LoRAConfig, apply_lora
from moesaic.adapt.methods import adapter_state
from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CONFIG_JSON, FORMAT_VERSION, MODEL_FILE, CheckpointError, load_model_state
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.encoders.series import fit_revin
from moesaic.text.language_model import LanguageModel
from moesaic.train import LossOutput

LORA_TARGETS = ("layers.*.self_attn.q_proj", "layers.*.self_attn.v_proj")
TRAINED_KIND = "lm-forecaster"


class WindowBatch(NamedTuple):
    """Windows of a univariate series: ``context`` (B, L) and ``target`` (B, H), float32."""

    context: Tensor
    target: Tensor


@dataclass(frozen=True)
class LMForecastConfig:
    """What every frozen-LM forecaster shares.

    Attributes:
        context_length: L.
        horizon: H.
        patch_len: steps per patch.
        stride: steps between patch starts; P = (L - patch_len) // stride + 2.
        num_layers: decoder layers of the language model kept (its first ones).
    """

    context_length: int = 96
    horizon: int = 24
    patch_len: int = 16
    stride: int = 8
    num_layers: int = 6

    def __post_init__(self) -> None:
        problems = [
            f"`{name}` must be >= 1, got {getattr(self, name)}"
            for name in ("context_length", "horizon", "patch_len", "stride", "num_layers")
            if getattr(self, name) < 1
        ]
        if self.patch_len > self.context_length:
            problems.append(f"`patch_len`={self.patch_len} exceeds `context_length`={self.context_length}")
        problems += self._more_problems()
        if problems:
            raise ConfigError(problems)

    def _more_problems(self) -> list[str]:
        return []

    @property
    def num_patches(self) -> int:
        """P, after padding the window's end with ``stride`` copies of its last value."""
        return (self.context_length - self.patch_len) // self.stride + 2


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


class LlamaStack(nn.Module):
    """Decoder layers of a Llama-family LM with its rotary embedding and final RMSNorm.

    Built by :meth:`from_causal_lm` (private copies of the first layers, frozen) or directly from
    modules (shared, e.g. all layers of the frozen LM for generation).
    """

    def __init__(self, layers: nn.ModuleList, norm: nn.Module, rotary: nn.Module) -> None:
        super().__init__()
        self.layers, self.norm, self.rotary = layers, norm, rotary
        weight = norm.weight
        assert isinstance(weight, Tensor)  # an RMSNorm: its (D,) scale
        self.width = int(weight.shape[0])

    @classmethod
    def from_causal_lm(cls, model: nn.Module, num_layers: int) -> LlamaStack:
        """Frozen copies of the first ``num_layers`` decoder layers of ``model`` (a LlamaForCausalLM)."""
        body: Any = model.model
        available = len(body.layers)
        if not 1 <= num_layers <= available:
            raise ValueError(f"`num_layers` must be in [1, {available}] for this model, got {num_layers}")
        stack = cls(
            copy.deepcopy(nn.ModuleList(body.layers[:num_layers])),
            copy.deepcopy(body.norm),
            copy.deepcopy(body.rotary_emb),
        )
        stack.requires_grad_(False)
        return stack

    def forward(self, x: Tensor, *, mask: Tensor | None = None, cache: Any = None) -> Tensor:
        """Causal self-attention over ``x`` after the ``cache``'s tokens.

        Args:
            x: (B, Q, D) input embeddings.
            mask: (B, K) bool over the cache's tokens then ``x``'s (K = cached + Q); False marks
                left padding, which no token attends to. None: every token is real.
            cache: a transformers ``DynamicCache`` that receives the keys and values, or None.
        Returns:
            (B, Q, D) normalised outputs.
        """
        B, Q, _ = x.shape
        past = 0 if cache is None else int(cache.get_seq_length())
        K = past + Q
        if mask is None:
            mask = torch.ones(B, K, dtype=torch.bool)
        if mask.shape != (B, K):
            raise ValueError(
                f"`mask` must have shape ({B}, {K}) (cached + new tokens), got {tuple(mask.shape)}"
            )
        positions = (mask.long().cumsum(-1) - 1).clamp(min=0)[:, past:]  # (B, Q): padding does not count
        rotary = self.rotary(x, positions)
        query = torch.arange(past, K)[:, None]  # (Q, 1)
        key = torch.arange(K)[None, :]  # (1, K)
        allowed = (key <= query)[None] & mask[:, None, :]  # (B, Q, K)
        allowed = allowed | (key == query)[None]  # a padding query sees itself: no empty softmax row
        bias = torch.zeros(B, 1, Q, K, dtype=x.dtype).masked_fill(~allowed[:, None], torch.finfo(x.dtype).min)
        for layer in self.layers:
            x = layer(
                x,
                attention_mask=bias,
                position_embeddings=rotary,
                position_ids=positions,
                cache=cache,
                use_cache=cache is not None,
            )
        return self.norm(x)


def patchify(x: Tensor, *, patch_len: int, stride: int) -> Tensor:
    """(B, L) -> (B, P, patch_len), the end padded with ``stride`` copies of the last value."""
    padded = torch.cat([x, x[:, -1:].expand(-1, stride)], dim=1)
    return padded.unfold(1, patch_len, stride)


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


class LMForecaster(nn.Module):
    """RevIN around a model of the normalised window; subclasses define ``forecast_normalised``."""

    kind: ClassVar[str]
    config: LMForecastConfig

    def forward(self, context: Tensor) -> Tensor:
        """(B, L) context -> (B, H) point forecast on the same scale."""
        cfg = self.config
        if context.ndim != 2 or context.shape[1] != cfg.context_length:
            raise ValueError(
                f"`context` must have shape (batch, {cfg.context_length}), got {tuple(context.shape)}"
            )
        series = context[..., None].float()  # (B, L, 1)
        stats = fit_revin(series, torch.ones_like(series, dtype=torch.bool))
        normalised = self.forecast_normalised(stats.normalise(series)[..., 0])  # (B, H)
        return stats.denormalise(normalised[..., None])[..., 0]

    def forecast_normalised(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def loss(self, batch: WindowBatch) -> LossOutput:
        loss = F.mse_loss(self(batch.context), batch.target)
        return LossOutput(loss, {"mse": loss.detach()})

    @torch.inference_mode()
    def predict(self, context: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
        """(W, L) contexts -> (W, H) forecasts, in eval mode, ``batch_size`` windows at a time."""
        self.eval()
        tensor = torch.as_tensor(np.asarray(context, dtype=np.float32))
        return torch.cat([self(part) for part in tensor.split(batch_size)]).numpy()


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


def left_pad(sequences: list[list[int]], *, pad_id: int = 0) -> tuple[Tensor, Tensor]:
    """Token id lists -> (B, T) ids padded on the left with ``pad_id`` and the (B, T) mask of real ids."""
    if not sequences or not all(sequences):
        raise ValueError("expected one or more non-empty id sequences")
    T = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), T), pad_id, dtype=torch.long)
    mask = torch.zeros(len(sequences), T, dtype=torch.bool)
    for row, seq in enumerate(sequences):
        ids[row, T - len(seq) :] = torch.tensor(seq)
        mask[row, T - len(seq) :] = True
    return ids, mask


def window_batches(
    context: Tensor, target: Tensor, *, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[WindowBatch]:
    """Batches of (W, L) contexts and (W, H) targets, shuffled by ``generator`` when given."""
    order = (
        torch.randperm(len(context), generator=generator)
        if generator is not None
        else torch.arange(len(context))
    )
    for index in order.split(batch_size):
        yield WindowBatch(context[index], target[index])


def save_trained(folder: Path, model: nn.Module, *, kind: str, config: Any) -> None:
    """Write the trainable tensors of ``model`` (safetensors) and its kind and config (JSON) to ``folder``.

    The layout is :func:`moesaic.checkpoint.save_model`'s, so ``load_model_state`` verifies it.
    """
    tensors = adapter_state(model)
    if not tensors:
        raise ValueError(f"{type(model).__name__} has no trainable tensor to save")
    blob = safetensors.torch.save(tensors)
    document = {
        "format_version": FORMAT_VERSION,
        "config": {"kind": TRAINED_KIND, "model": kind, "settings": to_dict(config)},
        "sha256": {MODEL_FILE: hashlib.sha256(blob).hexdigest()},
    }
    with atomic_directory(Path(folder)) as tmp:
        write_bytes_atomic(tmp / MODEL_FILE, blob)
        write_text_atomic(tmp / CONFIG_JSON, json.dumps(document, indent=1))


class SavedModel(NamedTuple):
    """What :func:`read_trained` found: the model name, its settings and the trained tensors."""

    kind: str
    settings: dict[str, Any]
    tensors: dict[str, Tensor]


def read_trained(folder: Path) -> SavedModel:
    """Verify and read a checkpoint of :func:`save_trained`.

    Raises:
        CheckpointError: not such a checkpoint.
    """
    state = load_model_state(Path(folder))
    if state.config.get("kind") != TRAINED_KIND:
        raise CheckpointError(
            f"{folder}: not a trained-layers checkpoint (kind {state.config.get('kind')!r})"
        )
    return SavedModel(str(state.config["model"]), dict(state.config["settings"]), state.state_dict)


def load_trained_tensors(model: nn.Module, tensors: dict[str, Tensor], folder: Path) -> None:
    """Copy saved trainable tensors into ``model``, checking names and shapes."""
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    missing, extra = sorted(set(trainable) - set(tensors)), sorted(set(tensors) - set(trainable))
    if missing or extra:
        raise CheckpointError(
            f"{folder}: tensors do not fit the model: missing {missing}, unexpected {extra}"
        )
    with torch.no_grad():
        for name, tensor in tensors.items():
            if trainable[name].shape != tensor.shape:
                raise CheckpointError(
                    f"{folder}: tensor {name} has shape {tuple(tensor.shape)}, the model expects "
                    f"{tuple(trainable[name].shape)}"
                )
            trainable[name].copy_(tensor)


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
