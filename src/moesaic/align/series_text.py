"""Series as text for a language model: digit strings, a question in words, and value tokens.

Three ways to let a causal language model forecast a univariate window, on its own tokens:

- :class:`LLMTime` (Gruver et al., NeurIPS 2023), zero-shot. The context is shifted and scaled so
  that its minimum sits at ``beta`` times its range above zero and its ``alpha``-quantile at 1
  (:func:`fit_digit_scaling`); each value is written with ``precision`` digits after the (dropped)
  decimal point, and values are joined by ``" ,"``. SmolLM2's tokenizer already splits digits one
  per token and keeps ``" ,"`` as one token, so no spaces go between digits. Several continuations
  are sampled with only digits and the separator allowed, as LLMTime restricts its vocabulary;
  each is parsed (:func:`parse_digits`: a malformed or missing value becomes NaN and is counted),
  and the forecast is the median over samples of the values that parsed.
- :class:`PromptCast` (Xue & Salim, TKDE 2023), zero-shot. The context, on its own units, goes in a
  sentence ("From <t1> to <tL>, the <quantity> was v1, ..., vL ... What will it be for the next H
  hours?") through the chat template, and the assistant's turn opens with PromptCast's output
  template ("The <quantity> for the next H hours will be, hour by hour:"), which SmolLM2 then
  continues with numbers (asked bare, it mostly repeats the question's dates). The first H numbers
  of the greedy answer are the forecast (:func:`parse_numbers`; dates and clock times are
  ignored, missing numbers counted). All H steps are asked at once (one generation per window).
- :class:`ChatTime` (Wang et al., AAAI 2025), trained. Each window is min-max scaled so its history
  spans [-0.5, 0.5], the values are cut into ``num_bins`` uniform bins over [-1, 1], and each bin
  is a new token ``###<centre>###`` added to the vocabulary (:class:`ValueVocabulary`): its
  embedding is a new, trainable row of the (tied) embedding matrix. The new rows and LoRA on the
  first ``num_layers`` decoder layers are trained to continue the history's tokens with the
  target's, after a short instruction; forecasting decodes value tokens greedily (only the value
  tokens are candidates) and maps them back to bin centres.

Every gap left by a malformed answer (all samples, for LLMTime) is filled with the forecast of the
step before it, or the last context value for the first step.

Axes: W windows, L context length, H horizon, S samples, V vocabulary, K value bins, D LM width.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from moesaic.adapt.lora import LoRAConfig, apply_lora
from moesaic.align.reprogramming import (
    LORA_TARGETS,
    LlamaStack,
    left_pad,
    load_trained_tensors,
    read_trained,
    save_trained,
)
from moesaic.checkpoint import CheckpointError
from moesaic.config import ConfigError, from_dict
from moesaic.text.language_model import LanguageModel
from moesaic.train import LossOutput

logger = logging.getLogger(__name__)


class Parsed(NamedTuple):
    """Values read from generated text: ``values`` (H,) with NaN where none was readable."""

    values: np.ndarray
    invalid: int


class ZeroShotForecast(NamedTuple):
    """Forecasts (W, H) and the share of forecast values that had to be filled in."""

    values: np.ndarray
    invalid_fraction: float


def fill_gaps(values: np.ndarray, last: float) -> np.ndarray:
    """(H,) values with each NaN replaced by the value before it (``last`` before the first)."""
    out = np.array(values, dtype=np.float64)
    previous = last
    for h, value in enumerate(out):
        if np.isnan(value):
            out[h] = previous
        previous = out[h]
    return out


def sample_median(samples: np.ndarray) -> np.ndarray:
    """(S, H) samples with NaN gaps -> (H,) median of the parsed values; NaN where none parsed."""
    parsed = ~np.isnan(samples).all(0)
    median = np.full(samples.shape[1], np.nan)
    median[parsed] = np.nanmedian(samples[:, parsed], axis=0)
    return median


# ---------------------------------------------------------------- generation


def shared_stack(model: nn.Module) -> LlamaStack:
    """All decoder layers of ``model`` (a LlamaForCausalLM), shared, not copied: for frozen use only."""
    body: Any = model.model
    return LlamaStack(body.layers, body.norm, body.rotary_emb)


@torch.inference_mode()
def generate(
    stack: LlamaStack,
    embed: Callable[[Tensor], Tensor],
    output: Tensor,
    prompts: list[list[int]],
    *,
    candidates: Tensor,
    max_new_tokens: int,
    finished: Callable[[Tensor], Tensor],
    num_samples: int = 1,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Continue each prompt ``num_samples`` times, choosing only among ``candidates``.

    Args:
        stack: decoder layers and final norm.
        embed: (N, T) token ids -> (N, T, D).
        output: (A, D) output embeddings of the candidates (rows of the tied embedding matrix).
        prompts: token id lists; they are left-padded into one batch.
        candidates: (A,) the token ids that may be generated.
        max_new_tokens: tokens generated at most.
        finished: (N, t) tokens so far -> (N,) bool, True once a sequence is complete.
        num_samples: S continuations per prompt (consecutive rows of the result).
        temperature: 0 for greedy decoding, else sampling from softmax(logits / temperature).
        generator: the random generator of sampling.
    Returns:
        (len(prompts) * S, t) generated ids, t <= max_new_tokens; -1 after a sequence finished.
    """
    from transformers import DynamicCache

    ids, mask = left_pad(prompts)
    cache = DynamicCache()
    hidden = stack(embed(ids), mask=mask, cache=cache)[:, -1]  # (B, D)
    if num_samples > 1:
        cache.batch_repeat_interleave(num_samples)
        hidden, mask = hidden.repeat_interleave(num_samples, 0), mask.repeat_interleave(num_samples, 0)
    N = hidden.shape[0]
    tokens = torch.empty(N, 0, dtype=torch.long)
    done = torch.zeros(N, dtype=torch.bool)
    for _ in range(max_new_tokens):
        logits = hidden @ output.T  # (N, A)
        if temperature > 0:
            choice = torch.multinomial((logits / temperature).softmax(-1), 1, generator=generator)[:, 0]
        else:
            choice = logits.argmax(-1)
        step = torch.where(done, torch.full_like(choice, -1), candidates[choice])
        tokens = torch.cat([tokens, step[:, None]], dim=1)
        done = done | finished(tokens)
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones(N, 1, dtype=torch.bool)], dim=1)
        hidden = stack(embed(candidates[choice][:, None]), mask=mask, cache=cache)[:, -1]
    return tokens


def single_token(tokenizer: Any, text: str) -> int:
    """The id of ``text`` when the tokenizer keeps it as one token; else a ValueError."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        raise ValueError(f"the tokenizer splits {text!r} into {len(ids)} tokens {ids}; expected exactly one")
    return int(ids[0])


# ---------------------------------------------------------------- LLMTime


@dataclass(frozen=True)
class LLMTimeConfig:
    """LLMTime's serialisation and sampling.

    ``alpha``, ``beta`` and ``precision`` are LLMTime's LLaMA settings, the separator and the
    temperature its GPT-3 ones (its LLaMA runs sample at 1.0 and join values by ``","``); it draws
    20 samples, fewer here for the CPU.

    Attributes:
        alpha: the quantile of the shifted context that is scaled to 1.
        beta: the shift puts the context's minimum ``beta`` times its range above 0.
        precision: digits after the (dropped) decimal point.
        max_digits: a generated value with more digits is malformed.
        num_samples: continuations per window (the forecast is their median).
        temperature: sampling temperature.
        separator: between values; one token of the tokenizer.
    """

    alpha: float = 0.99
    beta: float = 0.3
    precision: int = 3
    max_digits: int = 6
    num_samples: int = 5
    temperature: float = 0.7
    separator: str = " ,"

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.alpha <= 1:
            problems.append(f"`alpha` must be in (0, 1], got {self.alpha}")
        if self.beta < 0:
            problems.append(f"`beta` must be >= 0, got {self.beta}")
        if not 1 <= self.precision < self.max_digits:
            problems.append(f"`precision` must be in [1, max_digits={self.max_digits}), got {self.precision}")
        if self.num_samples < 1:
            problems.append(f"`num_samples` must be >= 1, got {self.num_samples}")
        if self.temperature < 0:
            problems.append(f"`temperature` must be >= 0, got {self.temperature}")
        if problems:
            raise ConfigError(problems)


class DigitScaling(NamedTuple):
    """``scaled = (x - offset) / scale``."""

    offset: float
    scale: float

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.offset) / self.scale

    def invert(self, scaled: np.ndarray) -> np.ndarray:
        return np.asarray(scaled, dtype=np.float64) * self.scale + self.offset


def fit_digit_scaling(history: np.ndarray, *, alpha: float, beta: float) -> DigitScaling:
    """LLMTime's affine scaling of a context (L,): min at ``beta * range``, ``alpha``-quantile at 1."""
    history = np.asarray(history, dtype=np.float64)
    low, high = float(history.min()), float(history.max())
    offset = low - beta * (high - low)
    scale = float(np.quantile(history - offset, alpha))
    return DigitScaling(offset, scale if scale > 1e-8 else 1.0)


def serialise_digits(scaled: np.ndarray, *, precision: int, separator: str = " ,") -> str:
    """Non-negative scaled values -> ``"523 ,1020 ,7"``: ``precision`` decimals, no point, no sign."""
    integers = np.round(np.clip(np.asarray(scaled, dtype=np.float64), 0, None) * 10**precision).astype(
        np.int64
    )
    return separator.join(str(int(v)) for v in integers)


def parse_digits(text: str, count: int, *, precision: int, max_digits: int, separator: str = " ,") -> Parsed:
    """The first ``count`` values of a generated digit string; malformed or missing ones are NaN.

    A value is malformed unless it is 1 to ``max_digits`` digits after stripping spaces.
    """
    pieces = text.split(separator)[:count]
    values = np.full(count, np.nan)
    for h, piece in enumerate(pieces):
        digits = piece.strip()
        if digits.isdigit() and len(digits) <= max_digits and digits.isascii():
            values[h] = int(digits) / 10**precision
    return Parsed(values, int(np.isnan(values).sum()))


class LLMTime:
    """Zero-shot forecasts by sampling digit strings from the language model."""

    def __init__(self, lm: LanguageModel, config: LLMTimeConfig | None = None) -> None:
        self.lm, self.config = lm, config or LLMTimeConfig()
        tokenizer = lm.tokenizer
        self.separator_id = single_token(tokenizer, self.config.separator)
        self.candidates = torch.tensor(
            [single_token(tokenizer, str(d)) for d in range(10)] + [self.separator_id]
        )
        self.stack = shared_stack(lm.model)

    def prompt(self, history: np.ndarray) -> tuple[str, DigitScaling]:
        """The serialised context (ending with a separator, so a new value follows) and its scaling."""
        cfg = self.config
        scaling = fit_digit_scaling(history, alpha=cfg.alpha, beta=cfg.beta)
        text = serialise_digits(scaling.apply(history), precision=cfg.precision, separator=cfg.separator)
        return text + cfg.separator, scaling

    def forecast(
        self, contexts: np.ndarray, horizon: int, *, seed: int = 0, batch_windows: int = 4
    ) -> ZeroShotForecast:
        """(W, L) contexts -> (W, H) medians of ``num_samples`` sampled continuations."""
        cfg = self.config
        contexts = _check_contexts(contexts)
        generator = torch.Generator().manual_seed(seed)
        output = self.lm.model.get_output_embeddings().weight[self.candidates]  # (11, D)
        embed = self.lm.model.get_input_embeddings()
        separator = self.separator_id

        def finished(tokens: Tensor) -> Tensor:  # H values, each closed by a separator
            return (tokens == separator).sum(1) >= horizon

        values, invalid = np.empty((len(contexts), horizon)), 0
        for start in range(0, len(contexts), batch_windows):
            part = contexts[start : start + batch_windows]
            prompts = [self.prompt(history) for history in part]
            ids = [self.lm.tokenizer(text, add_special_tokens=False)["input_ids"] for text, _ in prompts]

            tokens = generate(
                self.stack, embed, output, ids, candidates=self.candidates,
                max_new_tokens=horizon * (cfg.max_digits + 1), finished=finished,
                num_samples=cfg.num_samples, temperature=cfg.temperature, generator=generator,
            )  # fmt: skip
            logger.info("llmtime: %d of %d windows forecast", start + len(part), len(contexts))
            for w, (history, (_, scaling)) in enumerate(zip(part, prompts, strict=True)):
                rows = tokens[w * cfg.num_samples : (w + 1) * cfg.num_samples]
                median, bad = self._read(rows, scaling, horizon)
                values[start + w] = fill_gaps(median, float(history[-1]))
                invalid += bad
        return ZeroShotForecast(values, invalid / (len(contexts) * cfg.num_samples * horizon))

    def _read(self, rows: Tensor, scaling: DigitScaling, horizon: int) -> tuple[np.ndarray, int]:
        """One window's (S, t) sampled tokens -> the (H,) median of the values that parsed, and
        how many of the S * H values did not."""
        cfg = self.config
        samples, invalid = [], 0
        for row in rows:
            text = self.lm.tokenizer.decode([int(t) for t in row if t >= 0])
            parsed = parse_digits(
                text, horizon, precision=cfg.precision, max_digits=cfg.max_digits, separator=cfg.separator
            )
            samples.append(scaling.invert(parsed.values))
            invalid += parsed.invalid
        return sample_median(np.stack(samples)), invalid


# ---------------------------------------------------------------- PromptCast


@dataclass(frozen=True)
class PromptCastConfig:
    """PromptCast's templates: what is measured, in which unit, with how many decimals.

    Attributes:
        subject: what the readings are of.
        quantity: what is read.
        unit: the readings' unit.
        decimals: decimals of each reading in the question.
        tokens_per_value: the answer may take ``H * tokens_per_value + 16`` tokens.
    """

    subject: str = "the transformer"
    quantity: str = "oil temperature"
    unit: str = "degrees Celsius"
    decimals: int = 1
    tokens_per_value: int = 7

    def __post_init__(self) -> None:
        problems = []
        if self.decimals < 0:
            problems.append(f"`decimals` must be >= 0, got {self.decimals}")
        if self.tokens_per_value < 1:
            problems.append(f"`tokens_per_value` must be >= 1, got {self.tokens_per_value}")
        if problems:
            raise ConfigError(problems)


def _clock(t: np.datetime64) -> str:
    return str(np.datetime_as_string(t, unit="m")).replace("T", " ")


def promptcast_prompt(
    history: np.ndarray, *, start: np.datetime64, step: np.timedelta64, horizon: int, config: PromptCastConfig
) -> str:
    """The question about one context (L,) of readings taken every ``step`` from ``start``."""
    L = len(history)
    readings = ", ".join(f"{v:.{config.decimals}f}" for v in history)
    first, last = _clock(start), _clock(start + (L - 1) * step)
    after, end = _clock(start + L * step), _clock(start + (L + horizon - 1) * step)
    return (
        f"From {first} to {last}, the {config.quantity} of {config.subject} was {readings} {config.unit}, "
        f"one reading per hour. What will the {config.quantity} be for the next {horizon} hours, "
        f"from {after} to {end}? Answer with a list of {horizon} numbers."
    )


def promptcast_answer(*, horizon: int, config: PromptCastConfig) -> str:
    """The opening of the answer (PromptCast's output template), which the model continues."""
    return f"The {config.quantity} for the next {horizon} hours will be, hour by hour:"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def parse_numbers(text: str, count: int) -> Parsed:
    """The first ``count`` numbers of an answer, dates and clock times removed; missing ones NaN."""
    found = [float(m) for m in _NUMBER.findall(_DATE.sub(" ", text))][:count]
    values = np.full(count, np.nan)
    values[: len(found)] = found
    return Parsed(values, count - len(found))


class PromptCast:
    """Zero-shot forecasts as the greedy answer to a question in words, through the chat template."""

    def __init__(self, lm: LanguageModel, config: PromptCastConfig | None = None) -> None:
        self.lm, self.config = lm, config or PromptCastConfig()
        self.stack = shared_stack(lm.model)
        self.end_id = int(lm.tokenizer.convert_tokens_to_ids(lm.tokenizer.eos_token))
        self.comma_id = single_token(lm.tokenizer, ",")

    def prompt_ids(self, question: str, horizon: int) -> list[int]:
        """The question as the user's turn, then the opening of the assistant's answer."""
        messages = [{"role": "user", "content": question}]
        rendered = self.lm.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        answer = promptcast_answer(horizon=horizon, config=self.config)
        return list(self.lm.tokenizer(rendered + answer, add_special_tokens=False)["input_ids"])

    def forecast(
        self,
        contexts: np.ndarray,
        horizon: int,
        *,
        starts: np.ndarray,
        step: np.timedelta64,
        batch_windows: int = 4,
    ) -> ZeroShotForecast:
        """(W, L) contexts on their own units, first timestamps (W,) -> (W, H) forecasts."""
        contexts = _check_contexts(contexts)
        if len(starts) != len(contexts):
            raise ValueError(f"`starts` needs one timestamp per context ({len(contexts)}), got {len(starts)}")
        model = self.lm.model
        output = model.get_output_embeddings().weight
        candidates = torch.arange(output.shape[0])
        end_id, comma_id = self.end_id, self.comma_id

        def finished(tokens: Tensor) -> Tensor:  # the end of the turn, or H values each closed by a comma
            return (tokens == end_id).any(1) | ((tokens == comma_id).sum(1) >= horizon)

        values, invalid = np.empty((len(contexts), horizon)), 0
        for first in range(0, len(contexts), batch_windows):
            part = contexts[first : first + batch_windows]
            prompts = [
                self.prompt_ids(
                    promptcast_prompt(h, start=s, step=step, horizon=horizon, config=self.config), horizon
                )
                for h, s in zip(part, starts[first : first + batch_windows], strict=True)
            ]
            tokens = generate(
                self.stack, model.get_input_embeddings(), output, prompts, candidates=candidates,
                max_new_tokens=horizon * self.config.tokens_per_value + 16, finished=finished,
            )  # fmt: skip
            logger.info("promptcast: %d of %d windows forecast", first + len(part), len(contexts))
            for w, row in enumerate(tokens):
                answer = self.lm.tokenizer.decode([int(t) for t in row if t >= 0], skip_special_tokens=True)
                parsed = parse_numbers(answer, horizon)
                invalid += parsed.invalid
                values[first + w] = fill_gaps(parsed.values, float(part[w][-1]))
        return ZeroShotForecast(values, invalid / (len(contexts) * horizon))


def _check_contexts(contexts: np.ndarray) -> np.ndarray:
    contexts = np.asarray(contexts, dtype=np.float64)
    if contexts.ndim != 2 or not np.isfinite(contexts).all():
        raise ValueError(f"`contexts` must be finite (windows, context_length), got shape {contexts.shape}")
    return contexts


# ---------------------------------------------------------------- ChatTime


@dataclass(frozen=True)
class ChatTimeConfig:
    """ChatTime's value tokens and what is trained (new embeddings + LoRA on the first layers).

    Attributes:
        context_length: L.
        horizon: H.
        num_bins: K value tokens over [-1, 1] (ChatTime uses about 10,000).
        num_layers: decoder layers kept.
        lora_rank: rank of LoRA on the query and value projections.
        lora_alpha: LoRA scale numerator.
        instruction: the text before the history's value tokens.
        response: the text between the history and the forecast.
    """

    context_length: int = 96
    horizon: int = 24
    num_bins: int = 256
    num_layers: int = 6
    lora_rank: int = 8
    lora_alpha: float = 16.0
    instruction: str = "### Instruction: Predict the next values of the series.\n### Input: "
    response: str = "\n### Response: "

    def __post_init__(self) -> None:
        problems = [
            f"`{n}` must be >= 1, got {getattr(self, n)}"
            for n in ("context_length", "horizon", "num_layers", "lora_rank")
            if getattr(self, n) < 1
        ]
        if self.num_bins < 2:
            problems.append(f"`num_bins` must be >= 2, got {self.num_bins}")
        if problems:
            raise ConfigError(problems)


class MinMaxScaling(NamedTuple):
    """``scaled = (x - centre) / span`` per window; ``centre`` and ``span`` are (W, 1)."""

    centre: np.ndarray
    span: np.ndarray

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.centre) / self.span

    def invert(self, scaled: np.ndarray) -> np.ndarray:
        return np.asarray(scaled, dtype=np.float64) * self.span + self.centre


class ValueVocabulary:
    """K uniform bins over [-1, 1], each one token ``###<centre>###``; histories span [-0.5, 0.5]."""

    def __init__(self, num_bins: int) -> None:
        self.num_bins = num_bins
        self.centres = -1.0 + (np.arange(num_bins) + 0.5) * (2.0 / num_bins)  # (K,)
        self.tokens = [f"###{c:.4f}###" for c in self.centres]
        self._by_token = {t: i for i, t in enumerate(self.tokens)}

    @staticmethod
    def fit_scaling(history: np.ndarray) -> MinMaxScaling:
        """Min-max scaling of each context (W, L) onto [-0.5, 0.5]; a constant one gets range 1."""
        history = np.asarray(history, dtype=np.float64)
        low, high = history.min(-1, keepdims=True), history.max(-1, keepdims=True)
        span = np.where(high - low > 1e-8, high - low, 1.0)
        return MinMaxScaling((low + high) / 2, span)

    def to_bins(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled values -> bin indices in [0, K); values beyond [-1, 1] fall into the edge bins."""
        index = np.floor((np.asarray(scaled, dtype=np.float64) + 1.0) / 2.0 * self.num_bins)
        return np.clip(index, 0, self.num_bins - 1).astype(np.int64)

    def to_values(self, bins: np.ndarray) -> np.ndarray:
        """Bin indices -> their centres."""
        return self.centres[np.asarray(bins)]

    def to_text(self, bins: np.ndarray) -> str:
        return "".join(self.tokens[int(b)] for b in bins)

    def from_tokens(self, tokens: list[str]) -> np.ndarray:
        """Token strings -> bin indices; a string that is not a value token is a ValueError."""
        unknown = [t for t in tokens if t not in self._by_token]
        if unknown:
            raise ValueError(f"not value tokens: {unknown[:5]}")
        return np.array([self._by_token[t] for t in tokens], dtype=np.int64)


def extend_tokenizer(tokenizer: Any, vocabulary: ValueVocabulary, base_size: int) -> Any:
    """A copy of ``tokenizer`` with the value tokens added as ids ``base_size .. base_size + K - 1``.

    Raises:
        ValueError: the tokenizer's size differs from ``base_size`` (the embedding rows), so the
            new ids would not follow the existing embeddings.
    """
    if len(tokenizer) != base_size:
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but the embedding has {base_size} rows")
    extended = copy.deepcopy(tokenizer)
    extended.add_tokens(vocabulary.tokens)
    assert extended.convert_tokens_to_ids(vocabulary.tokens[-1]) == base_size + vocabulary.num_bins - 1
    return extended


class TokenBatch(NamedTuple):
    """Bin indices of windows: ``history`` (B, L) and ``target`` (B, H), int64."""

    history: Tensor
    target: Tensor


class ChatTime(nn.Module):
    """The language model with K value tokens appended to its tied embedding, and LoRA."""

    kind = "chattime"
    instruction: Tensor  # (1, T) ids of the instruction text (buffer)
    response: Tensor  # (1, T) ids of the response marker (buffer)

    def __init__(self, config: ChatTimeConfig, lm: LanguageModel) -> None:
        super().__init__()
        self.config = config
        self.vocabulary = ValueVocabulary(config.num_bins)
        self.words = lm.model.get_input_embeddings()  # shared, frozen (V, D)
        V, D = self.words.weight.shape
        self.base_size = V
        with torch.no_grad():  # new rows start near the old ones, as transformers' resizing does
            mean, std = self.words.weight.mean(0), self.words.weight.std(0)
            self.values = nn.Parameter(mean + std * torch.randn(config.num_bins, D) * 0.1)  # (K, D)
        self.stack = LlamaStack.from_causal_lm(lm.model, config.num_layers)
        apply_lora(
            self.stack, LoRAConfig(rank=config.lora_rank, alpha=config.lora_alpha, targets=LORA_TARGETS)
        )
        tokenize = lm.tokenizer
        self.register_buffer("instruction", _ids(tokenize, config.instruction), persistent=False)
        self.register_buffer("response", _ids(tokenize, config.response), persistent=False)

    def embed(self, ids: Tensor) -> Tensor:
        """(B, T) ids of the extended vocabulary [0, V + K) -> (B, T, D)."""
        is_value = ids >= self.base_size
        words = self.words(ids.clamp(max=self.base_size - 1))
        values = self.values[(ids - self.base_size).clamp(min=0)]
        return torch.where(is_value[..., None], values, words)

    def prompt(self, history: Tensor) -> Tensor:
        """(B, L) history bins -> (B, T) ids: instruction, value tokens, response marker."""
        B = history.shape[0]
        return torch.cat(
            [self.instruction.expand(B, -1), history + self.base_size, self.response.expand(B, -1)], dim=1
        )

    def loss(self, batch: TokenBatch) -> LossOutput:
        """Cross-entropy of each target value token given the prompt and the targets before it."""
        H = batch.target.shape[1]
        ids = torch.cat([self.prompt(batch.history), batch.target[:, :-1] + self.base_size], dim=1)
        hidden = self.stack(self.embed(ids))[:, -H:]  # (B, H, D): the positions that predict targets
        logits = hidden @ self.values.T  # (B, H, K)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.target.reshape(-1))
        return LossOutput(loss, {"cross_entropy": loss.detach()})

    @torch.inference_mode()
    def forecast_bins(self, history: Tensor, horizon: int) -> Tensor:
        """(B, L) history bins -> (B, H) greedily decoded bins."""
        self.eval()
        prompts = [row.tolist() for row in self.prompt(history)]
        candidates = torch.arange(self.config.num_bins) + self.base_size
        tokens = generate(
            self.stack, self.embed, self.values, prompts, candidates=candidates, max_new_tokens=horizon,
            finished=lambda t: torch.full((t.shape[0],), t.shape[1] >= horizon),
        )  # fmt: skip
        return tokens - self.base_size

    def predict(self, contexts: np.ndarray, *, batch_size: int = 32) -> np.ndarray:
        """(W, L) contexts -> (W, H) forecasts on the same scale."""
        contexts = _check_contexts(contexts)
        scaling = self.vocabulary.fit_scaling(contexts)
        bins = torch.from_numpy(self.vocabulary.to_bins(scaling.apply(contexts)))
        out = torch.cat([self.forecast_bins(part, self.config.horizon) for part in bins.split(batch_size)])
        return scaling.invert(self.vocabulary.to_values(out.numpy()))

    def token_batch(self, context: np.ndarray, target: np.ndarray) -> TokenBatch:
        """Windows (B, L) and (B, H) -> their bins, each window scaled by its own history."""
        scaling = self.vocabulary.fit_scaling(context)
        return TokenBatch(
            torch.from_numpy(self.vocabulary.to_bins(scaling.apply(context))),
            torch.from_numpy(self.vocabulary.to_bins(scaling.apply(target))),
        )


def _ids(tokenizer: Any, text: str) -> Tensor:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise ValueError(f"the text {text!r} has no tokens")
    return torch.tensor(ids, dtype=torch.long)[None]  # (1, T)


def save_chattime(folder: Path, model: ChatTime) -> None:
    """The new embeddings and LoRA tensors (safetensors) with the config (JSON)."""
    save_trained(folder, model, kind=ChatTime.kind, config=model.config)


def load_chattime(folder: Path, lm: LanguageModel) -> ChatTime:
    """Rebuild a :class:`ChatTime` saved by :func:`save_chattime` on the same language model."""
    saved = read_trained(Path(folder))
    if saved.kind != ChatTime.kind:
        raise CheckpointError(f"{folder}: holds a {saved.kind!r} model, not {ChatTime.kind!r}")
    try:
        config = from_dict(ChatTimeConfig, saved.settings)
    except ConfigError as err:
        raise CheckpointError(f"{folder}: cannot read the ChatTime settings ({err})") from err
    model = ChatTime(config, lm)
    load_trained_tensors(model, saved.tensors, Path(folder))
    return model.eval()
