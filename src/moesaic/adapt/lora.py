"""LoRA (Hu et al. 2021): a frozen weight W plus a trainable low-rank update ``(alpha / rank) * B @ A``.

The update is a *weight parametrization* (``torch.nn.utils.parametrize``), not a wrapper layer:
the backbone's attention is ``nn.MultiheadAttention``, which reads its packed ``in_proj_weight``
and ``out_proj.weight`` tensors directly instead of calling sub-layers, so a wrapped
``nn.Linear`` would be silently bypassed there. A parametrized weight is seen by every reader.

Targets are ``fnmatch`` patterns over module names (``"*blocks.*.attn"``, ``"*.experts.*.up"``).
A matching ``nn.Linear`` gets LoRA on ``weight``; a matching ``nn.MultiheadAttention`` on its
packed query/key/value ``in_proj_weight`` (one low-rank update of the (3D, D) matrix; its output
projection is the separate module ``<name>.out_proj``). A pattern list that matches nothing is an
error listing the layers that exist.

B starts at zero, so an adapted model equals its base at initialisation. :func:`merge_lora`
folds the update into W (inference without the extra matmul); :func:`unmerge_lora` takes it out
again. Axes: D model width, R rank.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import NamedTuple, cast

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from moesaic.config import ConfigError

ADAPTER_MARK = "lora_"
"""Every LoRA parameter's name contains this (``...parametrizations.weight.0.lora_a``)."""

_MAX_LISTED = 40


@dataclass(frozen=True)
class LoRAConfig:
    """Where and how big the low-rank updates are.

    Attributes:
        rank: R, the rank of each update.
        alpha: scale numerator; the update is multiplied by ``alpha / rank``.
        targets: ``fnmatch`` patterns over module names; see the module docstring.
    """

    rank: int = 4
    alpha: float = 8.0
    targets: tuple[str, ...] = ("*blocks.*.attn", "*blocks.*.attn.out_proj")

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        problems = []
        if type(self.rank) is not int or self.rank < 1:
            problems.append(f"`rank` must be an integer >= 1, got {self.rank!r}")
        if not isinstance(self.alpha, int | float) or not self.alpha > 0:
            problems.append(f"`alpha` must be a number > 0, got {self.alpha!r}")
        if not self.targets or not all(isinstance(t, str) and t for t in self.targets):
            problems.append(
                f"`targets` must be a non-empty list of module name patterns, got {self.targets!r}"
            )
        if problems:
            raise ConfigError(problems)


class LoRAWeight(nn.Module):
    """The parametrization ``W -> W + scale * B @ A`` of one (out, in) weight.

    Args:
        out_features: rows of W.
        in_features: columns of W.
        rank: R.
        alpha: the update is scaled by ``alpha / rank``.
    """

    def __init__(self, *, out_features: int, in_features: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.lora_a = nn.Parameter(torch.empty(rank, in_features))  # (R, in)
        self.lora_b = nn.Parameter(
            torch.zeros(out_features, rank)
        )  # (out, R): zero, so W is unchanged at init
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))  # as nn.Linear initialises its weight
        self.scale = alpha / rank
        self.merged = False

    def delta(self) -> Tensor:
        """(out, in) the low-rank update."""
        return self.scale * (self.lora_b @ self.lora_a)

    def forward(self, weight: Tensor) -> Tensor:
        # Once merged, the stored weight already holds the update.
        return weight if self.merged else weight + self.delta()


def lora_candidates(model: nn.Module) -> list[str]:
    """Names of the modules LoRA can adapt: every ``nn.Linear`` and ``nn.MultiheadAttention``."""
    return [name for name, module in model.named_modules() if _weight_name(module) is not None]


def apply_lora(model: nn.Module, config: LoRAConfig) -> list[str]:
    """Add LoRA to every candidate module matching ``config.targets`` and freeze all else.

    Afterwards only LoRA parameters require gradients; a caller that also trains a task head
    unfreezes it itself (see :func:`moesaic.adapt.methods.prepare_adaptation`).

    Returns:
        The names of the adapted modules, in model order.

    Raises:
        ValueError: no module matches, naming the layers that exist; or LoRA is already applied.
    """
    if has_lora(model):
        raise ValueError("the model already carries LoRA; apply it once, or start from the base model")
    candidates = lora_candidates(model)
    names = [n for n in candidates if any(fnmatch.fnmatchcase(n, p) for p in config.targets)]
    if not names:
        listed = candidates[:_MAX_LISTED] + (
            [f"... {len(candidates) - _MAX_LISTED} more"] if len(candidates) > _MAX_LISTED else []
        )
        raise ValueError(
            f"no nn.Linear or nn.MultiheadAttention matches the LoRA targets {list(config.targets)}; "
            f"layers in this model: {listed}"
        )
    for param in model.parameters():
        param.requires_grad_(False)
    for name in names:
        module = model.get_submodule(name)
        attribute = _weight_name(module)
        assert attribute is not None  # candidates have one
        weight = getattr(module, attribute)
        out_features, in_features = weight.shape
        lora = LoRAWeight(
            out_features=out_features, in_features=in_features, rank=config.rank, alpha=float(config.alpha)
        ).to(weight.dtype)
        parametrize.register_parametrization(module, attribute, lora)
    return names


def has_lora(model: nn.Module) -> bool:
    return any(isinstance(m, LoRAWeight) for m in model.modules())


def lora_parameters(model: nn.Module) -> dict[str, Tensor]:
    """The LoRA tensors by parameter name."""
    return {n: p for n, p in model.named_parameters() if ADAPTER_MARK in n.rpartition(".")[2]}


def merge_lora(model: nn.Module) -> int:
    """Fold every unmerged update into its weight; returns how many were merged."""
    return _set_merged(model, merged=True)


def unmerge_lora(model: nn.Module) -> int:
    """Take every merged update out of its weight again; returns how many were unmerged."""
    return _set_merged(model, merged=False)


def remove_lora(model: nn.Module, *, merge: bool) -> list[str]:
    """Drop LoRA and restore plain weights: with ``merge`` the updates stay in W, without they vanish.

    Returns:
        The names of the modules that carried LoRA.
    """
    removed = []
    for site in _lora_sites(model):
        if merge != site.lora.merged:
            _shift(site.plist, site.lora, add=merge)
        site.lora.merged = True  # the stored weight is now the final one: let it pass through unchanged
        parametrize.remove_parametrizations(site.module, site.attribute, leave_parametrized=True)
        removed.append(site.name)
    return removed


class _Site(NamedTuple):
    name: str  # of the module
    module: nn.Module
    attribute: str  # the parametrized weight
    plist: nn.ModuleList  # its parametrizations, holding `original`
    lora: LoRAWeight


def _lora_sites(model: nn.Module) -> list[_Site]:
    sites = []
    for name, module in model.named_modules():
        if not parametrize.is_parametrized(module):
            continue
        lists = cast(nn.ModuleDict, module.parametrizations)
        for attribute, plist in lists.items():
            for lora in cast(nn.ModuleList, plist):
                if isinstance(lora, LoRAWeight):
                    assert len(cast(nn.ModuleList, plist)) == 1  # apply_lora registers one per weight
                    sites.append(_Site(name, module, attribute, cast(nn.ModuleList, plist), lora))
    return sites


def _set_merged(model: nn.Module, *, merged: bool) -> int:
    count = 0
    for site in _lora_sites(model):
        if site.lora.merged != merged:
            _shift(site.plist, site.lora, add=merged)
            site.lora.merged = merged
            count += 1
    return count


@torch.no_grad()
def _shift(plist: nn.ModuleList, lora: LoRAWeight, *, add: bool) -> None:
    original = cast(Tensor, plist.original)
    delta = lora.delta()
    original.add_(delta if add else -delta)


def _weight_name(module: nn.Module) -> str | None:
    """The 2-D weight LoRA adapts on ``module``, or None when it is not a candidate."""
    if isinstance(module, nn.MultiheadAttention):
        # Packed q/k/v only exists when query, key and value share the width.
        return "in_proj_weight" if module._qkv_same_embed_dim else None
    if isinstance(module, nn.Linear):
        return "weight"
    return None
