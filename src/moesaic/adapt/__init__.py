"""Adaptation of a pretrained backbone: LoRA, prefix-tuning, head-only and full fine-tuning, few-shot.

:mod:`~moesaic.adapt.lora`, :mod:`~moesaic.adapt.prefix` and :mod:`~moesaic.adapt.methods` depend
only on torch and config; :mod:`~moesaic.tasks.pretrain` composes data, backbone and heads into the
pretraining corpus and the held-out targets, so import it from there.
"""

from moesaic.adapt.lora import (
    LoRAConfig,
    apply_lora,
    has_lora,
    lora_parameters,
    merge_lora,
    remove_lora,
    unmerge_lora,
)
from moesaic.adapt.methods import (
    METHODS,
    Adaptation,
    AdaptConfig,
    few_shot_indices,
    load_adapter,
    prepare_adaptation,
    save_adapter,
)
from moesaic.adapt.prefix import PrefixAttention, PrefixConfig, apply_prefix, prefix_parameters, remove_prefix

__all__ = [
    "METHODS",
    "AdaptConfig",
    "Adaptation",
    "LoRAConfig",
    "PrefixAttention",
    "PrefixConfig",
    "apply_lora",
    "apply_prefix",
    "few_shot_indices",
    "has_lora",
    "load_adapter",
    "lora_parameters",
    "merge_lora",
    "prefix_parameters",
    "prepare_adaptation",
    "remove_lora",
    "remove_prefix",
    "save_adapter",
    "unmerge_lora",
]
