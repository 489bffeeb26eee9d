"""Prefix-tuning (Li & Liang 2021): trainable key/value tokens prepended in every attention layer.

Li & Liang learn, for each layer, P prefix activations that every query may attend to, while the
whole network stays frozen. The backbone's attention is ``nn.MultiheadAttention`` and exposes no
hook for extra keys, so each matching attention module is *wrapped*: :class:`PrefixAttention`
concatenates P learned key inputs and P learned value inputs in front of the key and value
sequences it is given, and lets the frozen attention project them with its own W_k and W_v.
Queries are unchanged, so the output keeps N tokens. As W_k and W_v are full-rank (D, D) maps,
learning the inputs reaches the same key/value prefixes as learning the projected vectors,
head by head; it is also a reparameterisation through a fixed linear map, in the spirit of the
paper's MLP reparameterisation that stabilises training. Prefix tokens are never masked.

The prefix starts from small random vectors (standard deviation ``init_std``), so unlike LoRA
an adapted model does not equal its base at initialisation; :func:`remove_prefix` restores the
base modules exactly. Axes: B batch, N tokens, D model width, P prefix length.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from moesaic.config import ConfigError

ADAPTER_MARK = "prefix_"
"""Every prefix parameter's name contains this (``blocks.0.attn.prefix_key``)."""


@dataclass(frozen=True)
class PrefixConfig:
    """Where and how long the prefixes are.

    Attributes:
        length: P, prefix tokens per attention layer.
        targets: ``fnmatch`` patterns over the names of ``nn.MultiheadAttention`` modules.
        init_std: standard deviation of the initial prefix inputs (the attention's inputs are
            layer-normalised, so of order 1).
    """

    length: int = 8
    targets: tuple[str, ...] = ("*blocks.*.attn",)
    init_std: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        problems = []
        if type(self.length) is not int or self.length < 1:
            problems.append(f"`length` must be an integer >= 1, got {self.length!r}")
        if not self.targets or not all(isinstance(t, str) and t for t in self.targets):
            problems.append(
                f"`targets` must be a non-empty list of module name patterns, got {self.targets!r}"
            )
        if not isinstance(self.init_std, int | float) or not self.init_std > 0:
            problems.append(f"`init_std` must be a number > 0, got {self.init_std!r}")
        if problems:
            raise ConfigError(problems)


class PrefixAttention(nn.Module):
    """A frozen ``nn.MultiheadAttention`` (batch first) whose keys and values start with P learned tokens.

    Called like the module it wraps; ``attn_mask`` is refused because it would have to cover the
    prefix as well.

    Args:
        attention: the attention to wrap; its parameters are frozen here.
        length: P.
        init_std: standard deviation of the initial prefix inputs.
    """

    def __init__(self, attention: nn.MultiheadAttention, *, length: int, init_std: float) -> None:
        super().__init__()
        if not attention.batch_first:
            raise ValueError("PrefixAttention needs an nn.MultiheadAttention built with batch_first=True")
        self.attention = attention.requires_grad_(False)
        D = attention.embed_dim
        self.prefix_key = nn.Parameter(torch.randn(length, D) * init_std)  # (P, D)
        self.prefix_value = nn.Parameter(torch.randn(length, D) * init_std)  # (P, D)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        **kwargs: Any,
    ) -> tuple[Tensor, Tensor | None]:
        """query (B, N, D), key and value (B, M, D), key_padding_mask (B, M) True = ignore."""
        if attn_mask is not None:
            raise ValueError("PrefixAttention does not support `attn_mask`; use `key_padding_mask`")
        B = query.shape[0]
        P = self.prefix_key.shape[0]
        key = torch.cat([self.prefix_key.expand(B, P, -1).to(key.dtype), key], dim=1)  # (B, P + M, D)
        value = torch.cat([self.prefix_value.expand(B, P, -1).to(value.dtype), value], dim=1)
        if key_padding_mask is not None:
            keep = torch.zeros(B, P, dtype=key_padding_mask.dtype, device=key_padding_mask.device)
            key_padding_mask = torch.cat([keep, key_padding_mask], dim=1)  # (B, P + M)
        return self.attention(  # type: ignore[no-any-return]
            query, key, value, key_padding_mask=key_padding_mask, need_weights=need_weights, **kwargs
        )


def apply_prefix(model: nn.Module, config: PrefixConfig) -> list[str]:
    """Wrap every ``nn.MultiheadAttention`` matching ``config.targets``; freeze everything else.

    Returns:
        The names of the wrapped attention modules.

    Raises:
        ValueError: nothing matches, naming the attention modules that exist; or prefixes are
            already applied.
    """
    if any(isinstance(m, PrefixAttention) for m in model.modules()):
        raise ValueError("the model already carries prefixes; apply them once, or start from the base model")
    candidates = [n for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]
    names = [n for n in candidates if any(fnmatch.fnmatchcase(n, p) for p in config.targets)]
    if not names:
        raise ValueError(
            f"no nn.MultiheadAttention matches the prefix targets {list(config.targets)}; "
            f"attention layers in this model: {candidates}"
        )
    for param in model.parameters():
        param.requires_grad_(False)
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent) if parent else model
        attention = owner.get_submodule(child)
        assert isinstance(attention, nn.MultiheadAttention)
        setattr(owner, child, PrefixAttention(attention, length=config.length, init_std=config.init_std))
    return names


def remove_prefix(model: nn.Module) -> list[str]:
    """Put the wrapped attention modules back; returns their names."""
    removed = []
    for name, module in list(model.named_modules()):
        if isinstance(module, PrefixAttention):
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, child, module.attention)
            removed.append(name)
    return removed


def prefix_parameters(model: nn.Module) -> dict[str, Tensor]:
    """The prefix tensors by parameter name."""
    return {n: p for n, p in model.named_parameters() if n.rpartition(".")[2].startswith(ADAPTER_MARK)}
