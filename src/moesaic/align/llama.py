"""A Llama-family decoder as one module, and generation restricted to chosen tokens.

:class:`LlamaStack` runs decoder layers of a causal LM (its rotary embedding and final RMSNorm
included) over input embeddings, with left padding (:func:`left_pad`) and a KV cache. The
frozen-LM forecasters of :mod:`moesaic.align.reprogramming` keep private copies of the first
layers; the text forecasters of :mod:`moesaic.align.series_text` and
:mod:`moesaic.align.chattime` decode through it with :func:`generate`.

Axes: B prompts, N sequences (B times the samples), Q new tokens, K cached + new tokens, T prompt
length, D LM width, A candidate tokens.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

LORA_TARGETS = ("layers.*.self_attn.q_proj", "layers.*.self_attn.v_proj")
"""LoRA's layers in a :class:`LlamaStack`: the query and value projections."""


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
