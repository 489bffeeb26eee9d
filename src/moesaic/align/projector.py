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
   With ``number_tokens`` (the default), the numbers a caption states (anomaly position, period,
   change) follow the soft tokens as expected digit embeddings under the stage-0 heads'
   distributions (:mod:`moesaic.align.number_tokens`), and a copy head (pointer-generator) mixes
   copies of those digits into the LM's next-token distribution: the truncated LM, even with LoRA,
   did not learn to copy them by itself at the quick size (the position it wrote matched the
   head's in 9 to 47 % of captions; with the copy head, in all).
2. **Instruction tuning** (stage 2, :meth:`SeriesCaptioner.add_adapters`): the project LoRA
   (:mod:`moesaic.adapt.lora`) on the attention projections of every kept LM layer
   (``adapter="lora"``, LLaVA). ``adapter="expert"`` (CogVLM's visual expert) adds, on the
   attention and MLP projections, a second low-rank delta that acts only at the series positions:
   text positions keep the text weights (base + LoRA), series positions get base + LoRA + expert.

Frugality: only the first ``lm_layers`` layers of the LM are kept (as GPT4TS keeps 6 of GPT-2's),
followed by its final norm and tied output head. Generation is greedy with a KV cache; prompts of
one batch share their instruction, so they need no padding. Only trained tensors are saved.
The settings (:mod:`moesaic.align.projector_config`), the encoder and stage 0
(:mod:`moesaic.align.series_encoder`) and the instruction data (:mod:`moesaic.align.instructions`)
live in their own modules; the names the callers use are re-exported here.
Axes: B batch, T time steps, P patches, N encoder tokens (P + 1), K soft tokens, D encoder width, W LM
width, L sequence, V vocab.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import safetensors.torch
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from moesaic.adapt.lora import ADAPTER_MARK, LoRAConfig, apply_lora
from moesaic.align.attributes import Attributes
from moesaic.align.instructions import (
    CAPTION_INSTRUCTIONS,
    InstructionBatch,
    instruction_batches,
    instruction_pair,
)
from moesaic.align.number_tokens import NumberTokens
from moesaic.align.projector_config import ADAPTERS, ProjectorConfig
from moesaic.align.series_encoder import AttributeBatch, SeriesEncoder, TemplateClassifier, attribute_batch
from moesaic.atomic import atomic_directory, write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import (
    CONFIG_JSON,
    FORMAT_VERSION,
    MODEL_FILE,
    CheckpointError,
    check_model_folder,
    load_model_state,
)
from moesaic.config import from_dict, to_dict
from moesaic.text.language_model import LanguageModel

__all__ = [
    "ADAPTERS",
    "CAPTION_INSTRUCTIONS",
    "AttributeBatch",
    "InstructionBatch",
    "ProjectorConfig",
    "SeriesCaptioner",
    "SeriesEncoder",
    "SeriesExpert",
    "TemplateClassifier",
    "attribute_batch",
    "instruction_batches",
    "instruction_pair",
    "truncated_language_model",
]

_HEAD = "<|im_start|>user\n"
_TAIL = "\n{instruction}<|im_end|>\n<|im_start|>assistant\n"
_END = "<|im_end|>"


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
        pretrained: a stage-0 classifier whose encoder (and, for number tokens, attribute heads) to
            start from (deep copies are kept); None: fresh ones.
    """

    def __init__(
        self, config: ProjectorConfig, lm: LanguageModel, pretrained: TemplateClassifier | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = lm.tokenizer
        self.lm = truncated_language_model(lm.model, config.lm_layers)
        width = int(self.lm.config.hidden_size)
        self.encoder = copy.deepcopy(pretrained.encoder) if pretrained is not None else SeriesEncoder(config)
        self.encoder.requires_grad_(config.tune_encoder)
        self.numbers: NumberTokens | None = None
        if config.number_tokens:
            heads = pretrained.heads if pretrained is not None else None
            self.numbers = NumberTokens(config, heads, self.tokenizer, width)
            self.numbers.heads.requires_grad_(config.tune_encoder)
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
        return self._soft(self.encoder(series))

    def _soft(self, features: Tensor) -> Tensor:
        flat = self.projector(features)  # (B, K * W)
        soft = flat.view(features.shape[0], self.config.soft_tokens, -1)
        return F.layer_norm(soft, soft.shape[-1:]) * self.embedding_rms

    def series_tokens(
        self, series: Tensor, truth: Sequence[Attributes] = ()
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """(B, T) series -> (B, S, W) embeddings of the series part of the prompt (soft tokens, then
        the number tokens when configured), its (S,) mask, True at the series-derived tokens, and the
        (B, P, E) character distributions of the number places (None without number tokens).

        Args:
            truth: the series' true attributes; in training with ``teacher_numbers`` the number
                tokens hold their numbers (ignored otherwise).
        """
        features = self.encoder(series)
        soft = self._soft(features)
        mask = torch.ones(soft.shape[1], dtype=torch.bool)
        if self.numbers is None:
            return soft, mask, None
        teach = truth if self.training and self.config.teacher_numbers else ()
        numbers, places = self.numbers(features, self.lm.get_input_embeddings(), teach)
        return torch.cat([soft, numbers], dim=1), torch.cat([mask, self.numbers.mask()]), places

    def _next_token_log_probs(self, hidden: Tensor, places: Tensor | None) -> Tensor:
        """(M, W) last hidden states -> (M, V) log-probabilities of the next token: the LM's, or with
        a copy head those of its mixture; ``places`` (M, P, E) for each row."""
        logits = self.lm.lm_head(hidden)
        if places is None or self.numbers is None or self.numbers.copy is None:
            return cast(Tensor, logits.log_softmax(dim=-1))
        return cast(Tensor, self.numbers.copy(hidden, places, logits))

    @property
    def series_length(self) -> int:
        """S, tokens of the series part of the prompt."""
        return self.config.soft_tokens + (self.numbers.length if self.numbers is not None else 0)

    def _prompt(self, series: Tensor, instructions: Sequence[str], responses: Sequence[str] | None,
                truth: Sequence[Attributes] = ()
                ) -> tuple[Tensor, Tensor, list[list[int]], Tensor | None]:  # fmt: skip
        """Right-padded embeddings (B, L, W), the series mask (B, L), each row's tail + response ids and
        the number places (:meth:`series_tokens`)."""
        soft, series_mask, places = self.series_tokens(series, truth)  # (B, S, W), (S,), (B, P, E)
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
        mask[:, len(self._head) : len(self._head) + soft.shape[1]] = series_mask
        return embeds, mask, after, places

    def _hidden(self, embeds: Tensor, mask: Tensor, cache: Any = None) -> Tensor:
        self._series_mask = mask
        try:
            out = self.lm.model(inputs_embeds=embeds, cache=cache, use_cache=cache is not None)
        finally:
            self._series_mask = None
        return cast(Tensor, out.last_hidden_state)

    def loss(self, batch: InstructionBatch) -> Tensor:
        """Mean cross-entropy of the response tokens (their end token included)."""
        series, instructions, responses, truth = batch
        embeds, mask, after, places = self._prompt(series, instructions, responses, truth)
        hidden = self._hidden(embeds, mask)
        prefix = len(self._head) + self.series_length
        rows: list[int] = []
        positions: list[int] = []
        targets: list[int] = []
        for b, response in enumerate(responses):
            n = len(self._ids(response + _END))
            start = prefix + len(after[b]) - n  # position of the first response token
            rows += [b] * n
            positions += range(start - 1, start - 1 + n)  # each position predicts the next token
            targets += after[b][-n:]
        index = torch.tensor(rows)
        log_probs = self._next_token_log_probs(
            hidden[index, torch.tensor(positions)], None if places is None else places[index]
        )  # (M, V)
        return F.nll_loss(log_probs, torch.tensor(targets))

    @torch.no_grad()
    def generate(self, series: Tensor, instruction: str) -> list[str]:
        """Greedy responses to one ``instruction`` for each of the (B, T) ``series``."""
        from transformers import DynamicCache

        with parametrize.cached():  # LoRA weights are fixed while generating: add each delta once
            return self._generate(series, instruction, DynamicCache(config=self.lm.config))

    def _generate(self, series: Tensor, instruction: str, cache: Any) -> list[str]:
        embeds, mask, _, places = self._prompt(series, [instruction] * series.shape[0], None)
        hidden = self._hidden(embeds, mask, cache)
        embed = self.lm.get_input_embeddings()
        tokens: list[Tensor] = []
        done = torch.zeros(series.shape[0], dtype=torch.bool)
        for _ in range(self.config.max_new_tokens):
            next_ids = self._next_token_log_probs(hidden[:, -1], places).argmax(dim=-1)  # (B,)
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
        """The tensors training changes: encoder, projector, number tokens, experts and LoRA (never the
        LM base)."""
        trained = ("encoder.", "projector.", "experts.", "numbers.")
        state = self.state_dict().items()
        return {k: v for k, v in state if k.startswith(trained) or ADAPTER_MARK in k.rpartition(".")[2]}

    def save(self, folder: Path) -> None:
        """``model.safetensors`` (trained tensors only) and ``config.json``, atomically."""
        check_model_folder(Path(folder), None)  # its config has no kind
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
        settings.setdefault("number_tokens", False)  # saved before number tokens existed
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
