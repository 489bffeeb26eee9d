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
- :class:`ChatTime` (Wang et al., AAAI 2025), trained: each window's values, min-max scaled and
  binned, become new value tokens whose embeddings are trained with LoRA on the first decoder
  layers; it lives in :mod:`moesaic.align.chattime` and is re-exported here.

Every gap left by a malformed answer (all samples, for LLMTime) is filled with the forecast of the
step before it, or the last context value for the first step. Writing and reading values as text
(:mod:`moesaic.align.serialisation`) and constrained decoding (:mod:`moesaic.align.llama`) live
apart; the names the callers use are re-exported here.

Axes: W windows, L context length, H horizon, S samples, V vocabulary, D LM width.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.align.chattime import (
    ChatTime,
    ChatTimeConfig,
    ValueVocabulary,
    extend_tokenizer,
    load_chattime,
    save_chattime,
)
from moesaic.align.llama import generate, shared_stack, single_token
from moesaic.align.serialisation import (
    DigitScaling,
    check_contexts,
    fill_gaps,
    fit_digit_scaling,
    parse_digits,
    parse_numbers,
    sample_median,
    serialise_digits,
)
from moesaic.config import ConfigError
from moesaic.text.language_model import LanguageModel

__all__ = [
    "ChatTime",
    "ChatTimeConfig",
    "LLMTime",
    "LLMTimeConfig",
    "PromptCast",
    "PromptCastConfig",
    "ValueVocabulary",
    "ZeroShotForecast",
    "extend_tokenizer",
    "fill_gaps",
    "fit_digit_scaling",
    "generate",
    "load_chattime",
    "parse_digits",
    "parse_numbers",
    "promptcast_answer",
    "promptcast_prompt",
    "sample_median",
    "save_chattime",
    "serialise_digits",
    "shared_stack",
    "single_token",
]

logger = logging.getLogger(__name__)


class ZeroShotForecast(NamedTuple):
    """Forecasts (W, H) and the share of forecast values that had to be filled in."""

    values: np.ndarray
    invalid_fraction: float


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
        contexts = check_contexts(contexts)
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
        contexts = check_contexts(contexts)
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
