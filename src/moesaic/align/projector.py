"""A series encoder and projector into a language model (LLaVA), instruction-tuned to caption and answer.

The pipeline, trained on :mod:`moesaic.align.attributes` series:

0. **Encoder pretraining** (:class:`TemplateClassifier`): the project's :class:`PatchEncoder` (RevIN
   patches, so a window's level and scale do not matter), a scale token (log standard deviation and
   mean of the window, which RevIN removes but stated changes need), two small transformer layers
   mixing the tokens and a layer to F features, trained with linear attribute heads. LLaVA starts
   from a pretrained vision encoder; this is ours, and its heads filling the caption template are
   the non-LM baseline.
1. **Projector** (:class:`SeriesCaptioner`, stage 1): an MLP maps the F features to K soft tokens
   of the LM's width (layer-normalised, scaled to the RMS of the LM's token embeddings), placed in
   a chat-template user turn (``\\n`` is a newline)::

       <|im_start|>user\\n [K soft tokens] \\n{instruction}<|im_end|>\\n
       <|im_start|>assistant\\n{response}<|im_end|>

   The LM is frozen; the projector (and the encoder, with ``tune_encoder``) learns from the
   cross-entropy of the response tokens only (logits only at the positions that predict them).
   No system prompt: short.
   One soft token per patch, as LLaVA does with image patches, would leave the LM to locate an
   anomaly from which patch holds it; features of the whole window hand it that position.
2. **Instruction tuning** (stage 2, :meth:`SeriesCaptioner.add_adapters`): the project LoRA
   (:mod:`moesaic.adapt.lora`) on the attention projections of every kept LM layer
   (``adapter="lora"``, LLaVA). ``adapter="expert"`` (CogVLM's visual expert) adds, on the
   attention and MLP projections, a second low-rank delta that acts only at the series positions:
   text positions keep the text weights (base + LoRA), series positions get base + LoRA + expert.

Frugality: only the first ``lm_layers`` layers of the LM are kept (as GPT4TS keeps 6 of GPT-2's),
followed by its final norm and tied output head. Generation is greedy with a KV cache; prompts of
one batch share their instruction, so they need no padding. Only trained tensors are saved.
Axes: B batch, T time steps, P patches, N encoder tokens (P + 1), K soft tokens, D encoder width, W LM
width, L sequence, V vocab.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from moesaic.adapt.lora import ADAPTER_MARK, LoRAConfig, apply_lora
from moesaic.align.attributes import ANOMALIES, PERIODS, QUESTIONS, TRENDS, Attributes, answer, caption
from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CONFIG_JSON, FORMAT_VERSION, MODEL_FILE, CheckpointError, load_model_state
from moesaic.config import ConfigError, from_dict, to_dict
from moesaic.data.batch import Batch
from moesaic.encoders.config import EncoderConfig
from moesaic.encoders.series import PatchEncoder
from moesaic.text.language_model import LanguageModel

ADAPTERS = ("lora", "expert")
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CAPTION_INSTRUCTIONS = (
    "Describe this series.",
    "Describe this series in one sentence.",
    "List the trend, seasonality and anomaly of this series.",
)
"""Instruction i asks for caption template i; template 0 is the one evaluated."""
_HEAD = "<|im_start|>user\n"
_TAIL = "\n{instruction}<|im_end|>\n<|im_start|>assistant\n"
_END = "<|im_end|>"


@dataclass(frozen=True)
class ProjectorConfig:
    """Sizes of the encoder, projector and adapters.

    Attributes:
        length: T, steps per series.
        patch_len: steps per encoder patch; T must be a multiple.
        dim: D, encoder width.
        encoder_layers: transformer layers mixing the encoder tokens.
        features: F, width of the encoder's output features.
        soft_tokens: K, soft tokens the projector writes into the LM.
        projector_hidden: hidden width of the projector MLP.
        lm_layers: keep the first this many LM layers; None keeps all.
        adapter: stage-2 adapter, one of :data:`ADAPTERS`.
        rank: rank of the LoRA and expert deltas.
        alpha: their scale numerator (scale alpha / rank).
        projections: LM linear layers (last name part) that get LoRA, among :data:`PROJECTIONS`.
            Attention only by default: LoRA as a weight parametrization computes full weight
            gradients, and the MLP's would cost about as much as its forward pass.
        expert_projections: LM linear layers that get a series expert (``adapter="expert"``);
            attention and MLP, as CogVLM's visual expert. Experts are computed as ``x @ A.T @ B.T``,
            so they add little.
        max_new_tokens: generation stops after this many tokens.
        tune_encoder: train the encoder in stages 1 and 2 too. Off by default, as LLaVA keeps its
            pretrained vision encoder frozen: here, tuning it through the LM's loss erased what
            stage 0 taught it (validation caption accuracy 7 % after 150 stage-2 steps against 45 %
            after 200 with it frozen, same recipe otherwise).
    """

    length: int = 128
    patch_len: int = 16
    dim: int = 64
    encoder_layers: int = 2
    features: int = 256
    soft_tokens: int = 8
    projector_hidden: int = 1024
    lm_layers: int | None = 6
    adapter: str = "lora"
    rank: int = 8
    alpha: float = 16.0
    projections: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    expert_projections: tuple[str, ...] = PROJECTIONS
    max_new_tokens: int = 40
    tune_encoder: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "projections", tuple(self.projections))
        object.__setattr__(self, "expert_projections", tuple(self.expert_projections))
        positive = ("length", "patch_len", "dim", "encoder_layers", "features", "soft_tokens",
                    "projector_hidden", "rank", "max_new_tokens")  # fmt: skip
        problems = [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in positive if getattr(self, n) < 1]
        if self.length % self.patch_len:
            problems.append(f"`length` must be a multiple of patch_len={self.patch_len}, got {self.length}")
        if self.dim % 4:
            problems.append(f"`dim` must be a multiple of 4 (attention heads), got {self.dim}")
        if self.lm_layers is not None and self.lm_layers < 1:
            problems.append(f"`lm_layers` must be >= 1 or None, got {self.lm_layers}")
        if self.adapter not in ADAPTERS:
            problems.append(f"`adapter` must be one of {list(ADAPTERS)}, got {self.adapter!r}")
        for name in ("projections", "expert_projections"):
            chosen = getattr(self, name)
            unknown = [p for p in chosen if p not in PROJECTIONS]
            if unknown or not chosen:
                problems.append(
                    f"`{name}` must be a non-empty subset of {list(PROJECTIONS)}, got {list(chosen)}"
                )
        if problems:
            raise ConfigError(problems)

    @property
    def encoder_tokens(self) -> int:
        """N, encoder tokens per series: the scale token and one per patch."""
        return self.length // self.patch_len + 1


class SeriesEncoder(nn.Module):
    """(B, T) series -> (B, F) features.

    N = P + 1 tokens of width D (the scale token, then one per patch) are mixed by a small
    transformer, flattened (so that where a token sits stays known) and mapped to F features.
    """

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        self.config = config
        patches = config.length // config.patch_len
        self.patches = PatchEncoder(
            EncoderConfig(dim=config.dim, modalities=("timeseries",), patch_len=config.patch_len,
                          max_patches=patches, max_channels=1)
        )  # fmt: skip
        self.scale = nn.Linear(2, config.dim)
        layer = nn.TransformerEncoderLayer(config.dim, 4, 2 * config.dim, dropout=0.0, batch_first=True,
                                           norm_first=True)  # fmt: skip
        self.mix = nn.TransformerEncoder(layer, config.encoder_layers, enable_nested_tensor=False)
        self.trunk = nn.Sequential(nn.Linear(config.encoder_tokens * config.dim, config.features), nn.GELU())

    def forward(self, series: Tensor) -> Tensor:
        if series.ndim != 2 or series.shape[1] != self.config.length:
            raise ValueError(f"`series` must be (batch, {self.config.length}), got {tuple(series.shape)}")
        encoding = self.patches.encode_with_stats(Batch(series=series[..., None]))
        assert encoding.stats is not None
        stats = torch.cat([encoding.stats.std.log(), torch.asinh(encoding.stats.mean)], dim=-1)  # (B, 1, 2)
        tokens = self.mix(torch.cat([self.scale(stats), encoding.tokens.x], dim=1))  # (B, N, D)
        return cast(Tensor, self.trunk(tokens.flatten(1)))  # (B, F)


# --- stage 0: encoder pretraining, and the template-classifier baseline ----------------------------


class AttributeBatch(NamedTuple):
    """series: (B, T); targets: trend, season (0 none, 1 + index in PERIODS), anomaly, position
    (-100 where none), log_change (log |change|, NaN where flat)."""

    series: Tensor
    targets: dict[str, Tensor]


def attribute_batch(series: np.ndarray, attributes: Sequence[Attributes]) -> AttributeBatch:
    """The targets of the attribute heads for (B, T) ``series`` with known ``attributes``."""
    targets = {
        "trend": [TRENDS.index(a.trend) for a in attributes],
        "season": [0 if a.period is None else 1 + PERIODS.index(a.period) for a in attributes],
        "anomaly": [ANOMALIES.index(a.anomaly) for a in attributes],
        "position": [-100 if a.position is None else a.position for a in attributes],
    }
    log_change = [float("nan") if a.trend == "flat" else float(np.log(abs(a.change))) for a in attributes]
    return AttributeBatch(
        torch.as_tensor(series, dtype=torch.float32),
        {k: torch.tensor(v) for k, v in targets.items()} | {"log_change": torch.tensor(log_change)},
    )


class TemplateClassifier(nn.Module):
    """Linear attribute heads on the encoder features; its predictions fill caption templates."""

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        self.encoder = SeriesEncoder(config)
        sizes = {"trend": len(TRENDS), "season": 1 + len(PERIODS), "anomaly": len(ANOMALIES),
                 "position": config.length, "log_change": 1}  # fmt: skip
        self.heads = nn.ModuleDict({name: nn.Linear(config.features, size) for name, size in sizes.items()})

    def forward(self, series: Tensor) -> dict[str, Tensor]:
        """Logits of each head (log |change| for "log_change", shape (B,))."""
        features = self.encoder(series)  # (B, F)
        out = {name: head(features) for name, head in self.heads.items()}
        out["log_change"] = out["log_change"][:, 0]
        return out

    def loss(self, batch: AttributeBatch) -> Tensor:
        out, t = self(batch.series), batch.targets
        total = sum(F.cross_entropy(out[k], t[k], ignore_index=-100) for k in ("trend", "season", "anomaly"))
        if (t["position"] >= 0).any():
            total = total + F.cross_entropy(out["position"], t["position"], ignore_index=-100)
        sloped = ~torch.isnan(t["log_change"])
        if sloped.any():
            total = total + F.mse_loss(out["log_change"][sloped], t["log_change"][sloped])
        return cast(Tensor, total)

    @torch.no_grad()
    def predict(self, series: Tensor) -> list[Attributes]:
        """Predicted attributes of (B, T) series (``noise`` is not predicted: NaN)."""
        out = {k: v.numpy() for k, v in self(series).items()}
        predicted = []
        for b in range(series.shape[0]):
            trend, anomaly = TRENDS[out["trend"][b].argmax()], ANOMALIES[out["anomaly"][b].argmax()]
            season = int(out["season"][b].argmax())
            sign = {"up": 1.0, "down": -1.0, "flat": 0.0}[trend]
            period = None if season == 0 else PERIODS[season - 1]
            position = None if anomaly == "none" else int(out["position"][b].argmax())
            change = sign * float(np.exp(out["log_change"][b]))
            predicted.append(Attributes(trend, change, period, anomaly, position, float("nan")))
        return predicted


# --- stages 1 and 2: soft tokens in the language model -------------------------------------------


class InstructionBatch(NamedTuple):
    """series: (B, T); one instruction and one response (what the LM must write) per series."""

    series: Tensor
    instructions: tuple[str, ...]
    responses: tuple[str, ...]


_MIX = ((0.55, "caption", 0), (0.60, "caption", 1), (0.65, "caption", 2), (0.767, "question", "trend"),
        (0.883, "question", "seasonality"), (1.0, "question", "anomaly"))  # fmt: skip
"""(cumulative share, task, template or question kind) of the instruction mix."""


def instruction_pair(attributes: Attributes, draw: float) -> tuple[str, str]:
    """The (instruction, response) of one series for a uniform ``draw`` in [0, 1).

    Mix: caption template 0 for 55 %, templates 1 and 2 for 5 % each, each question kind 11.7 %.
    """
    task, which = next((t, w) for bound, t, w in _MIX if draw < bound)
    if task == "caption":
        return CAPTION_INSTRUCTIONS[int(which)], caption(attributes, template=int(which))
    return QUESTIONS[str(which)], answer(attributes, str(which))


def instruction_batches(
    series: np.ndarray, attributes: Sequence[Attributes], batch_size: int, generator: torch.Generator
) -> list[InstructionBatch]:
    """Shuffled batches of (S, T) ``series`` with an instruction mix drawn from ``generator``.

    Within each run of 8 batches, series are grouped by the length of their response: a batch then
    pads its sequences less.
    """
    order = torch.randperm(len(attributes), generator=generator).tolist()
    draws = torch.rand(len(attributes), generator=generator).tolist()
    pairs = {i: instruction_pair(attributes[i], draws[i]) for i in order}
    window = 8 * batch_size
    order = [i for w in range(0, len(order), window)
             for i in sorted(order[w : w + window], key=lambda i: len(pairs[i][1]))]  # fmt: skip
    batches = []
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        instructions, responses = tuple(pairs[i][0] for i in rows), tuple(pairs[i][1] for i in rows)
        values = torch.as_tensor(series[rows], dtype=torch.float32)
        batches.append(InstructionBatch(values, instructions, responses))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def truncated_language_model(model: Any, layers: int | None) -> Any:
    """A frozen, eval-mode copy of a causal LM keeping its first ``layers`` decoder layers.

    Args:
        model: a transformers causal LM whose decoder layers are ``model.model.layers``.
    """
    config = copy.deepcopy(model.config)
    if layers is not None:
        if layers > config.num_hidden_layers:
            raise ValueError(f"`lm_layers`={layers} but the language model has {config.num_hidden_layers}")
        config.num_hidden_layers = layers
    copied = type(model)(config)
    source = model.state_dict()
    copied.load_state_dict({k: source[k] for k in copied.state_dict()})
    copied.eval()
    for param in copied.parameters():
        param.requires_grad_(False)
    return copied


class SeriesExpert(nn.Module):
    """A low-rank delta ``(alpha / rank) * B @ A`` of one linear layer; B starts at zero."""

    def __init__(self, in_features: int, out_features: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.expert_a = nn.Parameter(torch.randn(rank, in_features) / in_features**0.5)
        self.expert_b = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = alpha / rank

    def forward(self, x: Tensor) -> Tensor:
        return self.scale * (x @ self.expert_a.T) @ self.expert_b.T


class SeriesCaptioner(nn.Module):
    """Encoder -> projector -> K soft tokens in a causal LM; ``loss`` on response tokens; ``generate``.

    Args:
        config: sizes.
        lm: the language model; a truncated private copy of it is kept, its base weights frozen.
        encoder: a pretrained encoder to start from (a deep copy is kept); None: a fresh one.
    """

    def __init__(
        self, config: ProjectorConfig, lm: LanguageModel, encoder: SeriesEncoder | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = lm.tokenizer
        self.lm = truncated_language_model(lm.model, config.lm_layers)
        width = int(self.lm.config.hidden_size)
        self.encoder = copy.deepcopy(encoder) if encoder is not None else SeriesEncoder(config)
        self.encoder.requires_grad_(config.tune_encoder)
        self.projector = nn.Sequential(
            nn.Linear(config.features, config.projector_hidden), nn.GELU(),
            nn.Linear(config.projector_hidden, config.soft_tokens * width),
        )  # fmt: skip
        # Soft tokens at the norm of real token embeddings: the frozen first layer expects that scale.
        self.embedding_rms = float(self.lm.get_input_embeddings().weight.pow(2).mean().sqrt())
        self.experts = nn.ModuleDict()
        self.stage = 1
        self._series_mask: Tensor | None = None  # (B, L) True at soft tokens, read by the expert hooks
        self._head = self._ids(_HEAD)
        self._end = int(self.tokenizer.convert_tokens_to_ids(_END))

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def add_adapters(self, adapter: str | None = None) -> list[str]:
        """Stage 2: LoRA on the chosen projections (and series experts for ``adapter="expert"``).

        Args:
            adapter: one of :data:`ADAPTERS`, replacing ``config.adapter``; None keeps it. (Two
                variants may thus branch from one stage-1 model.)

        Returns:
            The names of the LM layers that got LoRA.
        """
        if self.stage != 1:
            raise ValueError("adapters are already added; build a new SeriesCaptioner to start over")
        if adapter is not None:
            self.config = replace(self.config, adapter=adapter)  # validates the name
        c = self.config
        patterns = tuple(f"model.layers.*.{p}" for p in c.projections)  # fnmatch's * spans dots
        names = apply_lora(self.lm, LoRAConfig(rank=c.rank, alpha=c.alpha, targets=patterns))
        if c.adapter == "expert":
            for name, linear in self.lm.named_modules():
                if not (isinstance(linear, nn.Linear) and name.startswith("model.layers.")
                        and name.rpartition(".")[2] in c.expert_projections):  # fmt: skip
                    continue
                key = name.replace(".", "__")
                self.experts[key] = SeriesExpert(linear.in_features, linear.out_features, c.rank, c.alpha)
                linear.register_forward_hook(self._expert_hook(key))
        self.stage = 2
        return names

    def _expert_hook(self, key: str) -> Callable[[nn.Module, tuple[Tensor, ...], Tensor], Tensor | None]:
        def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> Tensor | None:
            mask = self._series_mask
            if mask is None or not bool(mask.any()):
                return None
            return output + self.experts[key](inputs[0]) * mask[..., None].to(output.dtype)

        return hook

    def soft_tokens(self, series: Tensor) -> Tensor:
        """(B, T) series -> (B, K, W) soft tokens in the LM's embedding space."""
        flat = self.projector(self.encoder(series))  # (B, K * W)
        soft = flat.view(series.shape[0], self.config.soft_tokens, -1)
        return F.layer_norm(soft, soft.shape[-1:]) * self.embedding_rms

    def _prompt(self, series: Tensor, instructions: Sequence[str], responses: Sequence[str] | None
                ) -> tuple[Tensor, Tensor, list[list[int]]]:  # fmt: skip
        """Right-padded embeddings (B, L, W), the series mask (B, L) and each row's tail + response ids."""
        soft = self.soft_tokens(series)  # (B, K, W)
        embed = self.lm.get_input_embeddings()
        head = embed(torch.tensor(self._head))
        rows, after = [], []
        for b, instruction in enumerate(instructions):
            ids = self._ids(_TAIL.format(instruction=instruction))
            if responses is not None:
                ids += self._ids(responses[b] + _END)
            after.append(ids)
            rows.append(torch.cat([head, soft[b], embed(torch.tensor(ids))]))
        embeds = nn.utils.rnn.pad_sequence(rows, batch_first=True)  # zeros after a row's end: causal, unseen
        mask = torch.zeros(embeds.shape[:2], dtype=torch.bool)
        mask[:, len(self._head) : len(self._head) + soft.shape[1]] = True
        return embeds, mask, after

    def _hidden(self, embeds: Tensor, mask: Tensor, cache: Any = None) -> Tensor:
        self._series_mask = mask
        try:
            out = self.lm.model(inputs_embeds=embeds, cache=cache, use_cache=cache is not None)
        finally:
            self._series_mask = None
        return cast(Tensor, out.last_hidden_state)

    def loss(self, batch: InstructionBatch) -> Tensor:
        """Mean cross-entropy of the response tokens (their end token included)."""
        embeds, mask, after = self._prompt(batch.series, batch.instructions, batch.responses)
        hidden = self._hidden(embeds, mask)
        prefix = len(self._head) + self.config.soft_tokens
        rows: list[int] = []
        positions: list[int] = []
        targets: list[int] = []
        for b, response in enumerate(batch.responses):
            n = len(self._ids(response + _END))
            start = prefix + len(after[b]) - n  # position of the first response token
            rows += [b] * n
            positions += range(start - 1, start - 1 + n)  # each position predicts the next token
            targets += after[b][-n:]
        logits = self.lm.lm_head(hidden[torch.tensor(rows), torch.tensor(positions)])  # (M, V)
        return F.cross_entropy(logits, torch.tensor(targets))

    @torch.no_grad()
    def generate(self, series: Tensor, instruction: str) -> list[str]:
        """Greedy responses to one ``instruction`` for each of the (B, T) ``series``."""
        from transformers import DynamicCache

        with parametrize.cached():  # LoRA weights are fixed while generating: add each delta once
            return self._generate(series, instruction, DynamicCache(config=self.lm.config))

    def _generate(self, series: Tensor, instruction: str, cache: Any) -> list[str]:
        embeds, mask, _ = self._prompt(series, [instruction] * series.shape[0], None)
        hidden = self._hidden(embeds, mask, cache)
        embed = self.lm.get_input_embeddings()
        tokens: list[Tensor] = []
        done = torch.zeros(series.shape[0], dtype=torch.bool)
        for _ in range(self.config.max_new_tokens):
            next_ids = self.lm.lm_head(hidden[:, -1]).argmax(dim=-1)  # (B,)
            tokens.append(next_ids)
            done |= next_ids == self._end
            if bool(done.all()):
                break
            step_mask = torch.zeros(series.shape[0], 1, dtype=torch.bool)  # text positions only
            hidden = self._hidden(embed(next_ids[:, None]), step_mask, cache)
        ids = torch.stack(tokens, dim=1).tolist()
        return [self.tokenizer.decode(row[: row.index(self._end)] if self._end in row else row,
                                      skip_special_tokens=True).strip() for row in ids]  # fmt: skip

    def trained_state(self) -> dict[str, Tensor]:
        """The tensors training changes: encoder, projector, experts and LoRA (never the LM base)."""
        trained = ("encoder.", "projector.", "experts.")
        state = self.state_dict().items()
        return {k: v for k, v in state if k.startswith(trained) or ADAPTER_MARK in k.rpartition(".")[2]}

    def save(self, folder: Path) -> None:
        """``model.safetensors`` (trained tensors only) and ``config.json``, atomically."""
        plain = {k: v.detach().contiguous().clone() for k, v in self.trained_state().items()}
        blob = safetensors.torch.save(plain)
        document = {"format_version": FORMAT_VERSION, "config": to_dict(self.config) | {"stage": self.stage},
                    "sha256": {MODEL_FILE: hashlib.sha256(blob).hexdigest()}}  # fmt: skip
        with atomic_directory(Path(folder)) as tmp:
            write_bytes_atomic(tmp / MODEL_FILE, blob)
            write_text_atomic(tmp / CONFIG_JSON, json.dumps(document, indent=1))

    @classmethod
    def load(cls, folder: Path, lm: LanguageModel) -> SeriesCaptioner:
        """Rebuild a saved captioner on ``lm`` (the LM it was trained on).

        Raises:
            CheckpointError: a damaged folder, or tensors that do not fit this LM and config.
        """
        state = load_model_state(Path(folder))
        settings = dict(state.config)
        stage = settings.pop("stage", 1)
        model = cls(from_dict(ProjectorConfig, settings), lm)
        if stage == 2:
            model.add_adapters()
        expected = set(model.trained_state())
        if set(state.state_dict) != expected:
            missing, unexpected = (
                sorted(expected - set(state.state_dict)),
                sorted(set(state.state_dict) - expected),
            )
            raise CheckpointError(
                f"{folder}: tensors do not fit this model; missing {missing[:5]}, unexpected {unexpected[:5]}"
            )
        try:
            model.load_state_dict(state.state_dict, strict=False)
        except RuntimeError as err:
            raise CheckpointError(f"{folder}: the tensors do not fit this language model ({err})") from err
        return model
