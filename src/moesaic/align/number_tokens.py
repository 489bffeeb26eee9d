"""Number tokens: the numbers a caption states, handed to the language model as digit embeddings.

Soft tokens made from whole-window features carry the trend, the seasonality and the anomaly kind
well, but a language model finds it hard to write a position or a change as digits from them: at
the quick size, the anomaly position was right in about half of the LLaVA captions. Here the
encoder's attribute heads (stage 0, :class:`~moesaic.align.series_encoder.TemplateClassifier`) give
a distribution over each number, and every character place of the number becomes one input token:
the expected LM embedding of the character in that place under the distribution (a learned pad
embedding past the number's end). The numbers and their text labels follow the soft tokens::

    [K soft tokens] \\nat step [3 places] period [2 places] by [3 places]

* ``step``: the anomaly position, from the position head's softmax over the T steps;
* ``period``: from the season head (its "no season" class writes only pads);
* ``change``: the magnitude of the total change as :func:`~moesaic.align.attributes.format_change`
  writes it, over a grid of such values (0.1 to 99, which the simulated series stay within; a
  larger change would be written as 99) weighted by a Gaussian (:data:`CHANGE_SIGMA` in log units)
  around the log-change head's prediction.

Every slot is a weighted sum of embeddings, so gradients reach the heads when they are tuned.
Seeing the digits was not enough: the truncated LM, tuned with LoRA, wrote the head's position in
only 9 to 47 % of captions at the quick size. :class:`CopyHead` (``ProjectorConfig.copy_numbers``)
therefore mixes copies of the places' characters into the next-token distribution, with a gate
and an attention over the places read from the LM's hidden state (a pointer-generator).
In training (``ProjectorConfig.teacher_numbers``), the true numbers of each series replace the
heads' distributions, one-hot (teacher forcing): the captions the LM learns from state the true
numbers, and a head's small errors (a change of 3.2 predicted for a true 3.4) would otherwise teach
it that copying does not pay (without it, the copied change matched the head's in 26 of 70
captions; with it, in all). Validation and inference read the heads.
Axes: B batch, C candidate values of one number, P character places, E characters (digits, the
decimal point, pad), W LM width, S tokens of the number part.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from moesaic.align.attributes import PERIODS, Attributes, format_change
from moesaic.align.projector_config import ProjectorConfig
from moesaic.align.series_encoder import attribute_heads

CHARACTERS = "0123456789."
"""The characters a number token can hold; each must be one token of the LM's tokenizer."""
CHANGE_SIGMA = 0.005
"""Width (log units) of the Gaussian weighting the change grid around the predicted log change:
narrow, so that the last digit is sharp (neighbours on the grid are 1 % to 10 % apart)."""
LABELS = {"step": "\nat step ", "period": " period ", "change": " by "}
"""The text before each number's places, in prompt order: the words the captions put before the
number (``... at step 57``, ``period 24``, ``rising by 3.5``), so that the LM, having written them,
finds the digits after the same words in its prompt."""


def change_grid(largest: int = 99) -> list[str]:
    """Every magnitude :func:`format_change` writes from 0.1 to ``largest``, in increasing order."""
    small = [format_change(v / 10) for v in range(1, 100)]  # 0.1 ... 9.9
    return small + [format_change(float(v)) for v in range(10, largest + 1)]


def _one_hot(strings: list[str]) -> Tensor:
    """(C, P, E) one-hot characters of each string, left-aligned, pad (the last index) past its end."""
    places = max(len(s) for s in strings)
    out = torch.zeros(len(strings), places, len(CHARACTERS) + 1)
    for c, text in enumerate(strings):
        for p in range(places):
            out[c, p, CHARACTERS.index(text[p]) if p < len(text) else len(CHARACTERS)] = 1.0
    return out


class NumberTokens(nn.Module):
    """Attribute heads -> (B, S, W) embeddings of the number labels and their character places.

    Args:
        config: sizes (``length`` and ``features``).
        heads: a stage-0 classifier's ``heads`` (copied); None: fresh heads.
        tokenizer: the LM's tokenizer.
        width: W, the LM's embedding width.

    Raises:
        ValueError: the tokenizer splits one of :data:`CHARACTERS` into several tokens.
    """

    char_ids: Tensor  # (E - 1,) token id of each character
    grid_log: Tensor  # (C,) log of each change-grid value

    def __init__(
        self, config: ProjectorConfig, heads: nn.ModuleDict | None, tokenizer: Any, width: int
    ) -> None:
        super().__init__()
        names = ("position", "season", "log_change")
        self.heads = (
            nn.ModuleDict({name: deepcopy(heads[name]) for name in names})
            if heads is not None
            else attribute_heads(config, names)
        )
        char_ids = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in CHARACTERS]
        split = [c for c, ids in zip(CHARACTERS, char_ids, strict=True) if len(ids) != 1]
        if split:
            raise ValueError(f"the tokenizer splits {split} into several tokens; number tokens need one each")
        self.register_buffer("char_ids", torch.tensor([ids[0] for ids in char_ids]), persistent=False)
        self.pad = nn.Parameter(torch.zeros(width))
        grid = change_grid()
        strings = {
            "step": [str(i) for i in range(config.length)],
            "period": [""] + [str(p) for p in PERIODS],
            "change": grid,
        }
        for name, texts in strings.items():
            self.register_buffer(f"chars_{name}", _one_hot(texts), persistent=False)
        self.grid_index = {text: i for i, text in enumerate(grid)}
        self.register_buffer("grid_log", torch.tensor(np.log([float(g) for g in grid]), dtype=torch.float32),
                             persistent=False)  # fmt: skip
        self.label_ids = {name: list(tokenizer(text, add_special_tokens=False)["input_ids"])
                          for name, text in LABELS.items()}  # fmt: skip
        self.place_counts = {name: len(max(strings[name], key=len)) for name in LABELS}
        places = sum(self.place_counts.values())
        self.copy = CopyHead(width, places, self.char_ids) if config.copy_numbers else None

    @property
    def length(self) -> int:
        """S, tokens of the number part (labels and places)."""
        return sum(len(self.label_ids[n]) + self.place_counts[n] for n in LABELS)

    def mask(self) -> Tensor:
        """(S,) True at the character places (series-derived), False at the label tokens."""
        flags: list[bool] = []
        for name in LABELS:
            flags += [False] * len(self.label_ids[name]) + [True] * self.place_counts[name]
        return torch.tensor(flags)

    def weights(self, features: Tensor) -> dict[str, Tensor]:
        """Number -> (B, C) distribution over its candidate values."""
        step = self.heads["position"](features).softmax(dim=-1)
        period = self.heads["season"](features).softmax(dim=-1)
        log_change = self.heads["log_change"](features)  # (B, 1)
        change = (-((self.grid_log - log_change) ** 2) / (2 * CHANGE_SIGMA**2)).softmax(dim=-1)
        return {"step": step, "period": period, "change": change}

    def teacher(self, weights: dict[str, Tensor], truth: Sequence[Attributes]) -> dict[str, Tensor]:
        """``weights`` with each number a series has replaced by a one-hot on its true value."""
        out = {name: w.clone() for name, w in weights.items()}
        for b, a in enumerate(truth):
            chosen = {
                "step": a.position,
                "period": 0 if a.period is None else 1 + PERIODS.index(a.period),
                "change": None if a.trend == "flat" else self.grid_index.get(format_change(a.change)),
            }
            for name, index in chosen.items():
                if index is not None:
                    out[name][b] = 0.0
                    out[name][b, index] = 1.0
        return out

    def places(self, features: Tensor, truth: Sequence[Attributes] = ()) -> Tensor:
        """(B, P, E) distribution over the characters (pad last) of every place, in prompt order.

        Args:
            truth: the series' true attributes (training only): the numbers they have replace the
                heads' distributions (teacher forcing, :meth:`teacher`).
        """
        weights = self.weights(features)
        if truth:
            weights = self.teacher(weights, truth)
        return torch.cat([weights[n] @ getattr(self, f"chars_{n}").flatten(1) for n in LABELS], dim=1).view(
            features.shape[0], -1, len(CHARACTERS) + 1
        )

    def forward(
        self, features: Tensor, embed: nn.Embedding, truth: Sequence[Attributes] = ()
    ) -> tuple[Tensor, Tensor]:
        """(B, F) encoder features -> (B, S, W) label embeddings and expected character embeddings,
        and the (B, P, E) character distributions of the places (:meth:`places`)."""
        table = torch.cat([embed.weight[self.char_ids], self.pad[None]])  # (E, W)
        places = self.places(features, truth)
        batch, start, parts = features.shape[0], 0, []
        for name in LABELS:
            count = self.place_counts[name]
            parts += [embed(torch.tensor(self.label_ids[name]))[None].expand(batch, -1, -1),
                      places[:, start : start + count] @ table]  # fmt: skip
            start += count
        return torch.cat(parts, dim=1), places


class CopyHead(nn.Module):
    """A pointer-generator (See et al. 2017) over the number places.

    At each output position the next-token distribution is ``(1 - g) * softmax(LM logits) + g * copy``:
    a gate g and an attention over the P places, both read from the LM's last hidden state; ``copy``
    spreads the attended places' character distributions onto the characters' token ids (the mass
    of pads is dropped and the mixture renormalised). Copying a digit then needs only the gate and
    the attention to learn where numbers go, not the LM.

    Args:
        width: W, the LM's hidden width.
        places: P, number places in the prompt.
        char_ids: (E - 1,) token ids of :data:`CHARACTERS`.
        dim: width of the attention's queries and keys.
    """

    char_ids: Tensor

    def __init__(self, width: int, places: int, char_ids: Tensor, dim: int = 64) -> None:
        super().__init__()
        self.query = nn.Linear(width, dim)
        self.keys = nn.Parameter(torch.randn(places, dim) / dim**0.5)
        self.gate = nn.Linear(width, 1)
        nn.init.zeros_(self.gate.weight)
        nn.init.constant_(self.gate.bias, -2.0)  # start by trusting the LM
        self.register_buffer("char_ids", char_ids.clone(), persistent=False)

    def forward(self, hidden: Tensor, places: Tensor, logits: Tensor) -> Tensor:
        """(M, W) hidden states, (M, P, E) places, (M, V) LM logits -> (M, V) log-probabilities."""
        attend = (self.query(hidden) @ self.keys.T / self.keys.shape[1] ** 0.5).softmax(dim=-1)  # (M, P)
        copy = torch.einsum("mp,mpe->me", attend, places[..., :-1])  # (M, E - 1)
        gate = torch.sigmoid(self.gate(hidden))  # (M, 1)
        probs = ((1 - gate) * logits.softmax(dim=-1)).index_add(1, self.char_ids, gate * copy)
        return (probs / probs.sum(dim=-1, keepdim=True)).clamp_min(1e-12).log()
