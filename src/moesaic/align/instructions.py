"""What stages 1 and 2 of :mod:`moesaic.align.projector` train on: instructions and their responses.

Each series gets one instruction and the response the language model must write
(:func:`instruction_pair`): a caption of :mod:`moesaic.align.attributes` in one of its templates,
asked by :data:`CAPTION_INSTRUCTIONS`, or the short answer to one of its :data:`QUESTIONS`.
:func:`instruction_batches` draws the mix and batches series with responses of similar length.

Axes: S series, B batch, T time steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.align.attributes import QUESTIONS, Attributes, answer, caption

CAPTION_INSTRUCTIONS = (
    "Describe this series.",
    "Describe this series in one sentence.",
    "List the trend, seasonality and anomaly of this series.",
)
"""Instruction i asks for caption template i; template 0 is the one evaluated."""


class InstructionBatch(NamedTuple):
    """series: (B, T); one instruction and one response (what the LM must write) per series; the
    series' true attributes where known (training only: teacher-forced number tokens)."""

    series: Tensor
    instructions: tuple[str, ...]
    responses: tuple[str, ...]
    attributes: tuple[Attributes, ...] = ()


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
        batches.append(InstructionBatch(values, instructions, responses, tuple(attributes[i] for i in rows)))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]
