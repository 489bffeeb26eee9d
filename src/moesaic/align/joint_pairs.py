"""Training pairs of the joint model of :mod:`moesaic.align.joint`: negatives, masked words, batches.

:func:`make_pair_set` encodes windows with their captions and draws hard negatives, captions with
one attribute changed (:func:`perturb`); :func:`joint_batches` gives each window one negative
(hard or another caption of the batch) and one copy of its caption with words hidden
(:func:`mask_words`), the targets of :meth:`SeriesTextJoint.loss
<moesaic.align.joint.SeriesTextJoint.loss>`.

Axes: S windows, B batch, T time steps, C channels, L caption ids, H hard negatives per window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.align.captions import EVENT_KINDS, Event, describe
from moesaic.data.batch import Batch

IGNORE = -100  # label of the caption positions the masked LM does not predict


class MaskedText(NamedTuple):
    ids: Tensor  # (B, L) with the hidden words replaced by the mask id
    labels: Tensor  # (B, L) the hidden words' ids, IGNORE elsewhere


def mask_words(ids: Tensor, mask_id: int, *, generator: torch.Generator | None = None) -> MaskedText:
    """Hide k of the n words of each caption, k uniform in [1, n] (nothing to hide when n = 0).

    Args:
        ids: (B, L) caption ids, 0 = padding.
        mask_id: the id that replaces hidden words.
        generator: the source of randomness.
    """
    real = ids != 0
    n = real.sum(dim=1)  # (B,)
    k = (torch.rand(n.shape, generator=generator) * n).floor().long() + 1  # in [1, n]
    # Rank the real positions by a random key: the k smallest are hidden.
    key = torch.rand(ids.shape, generator=generator).masked_fill(~real, 2.0)
    rank = key.argsort(dim=1).argsort(dim=1)  # (B, L) rank of each position
    hide = real & (rank < k[:, None])
    return MaskedText(ids.masked_fill(hide, mask_id), torch.where(hide, ids, torch.full_like(ids, IGNORE)))


def perturb(events: Sequence[Event], num_channels: int, rng: np.random.Generator) -> tuple[Event, ...]:
    """``events`` with one attribute changed: an event's kind or channel, or an event added/removed.

    A normal window (no event) gets one random event; the result always differs from ``events``.
    """
    events = tuple(events)
    used = {e.channel for e in events}
    free = [c for c in range(num_channels) if c not in used]
    if not events:
        return (Event(str(rng.choice(EVENT_KINDS)), int(rng.integers(num_channels))),)
    moves = ["kind", "remove"] + (["channel", "add"] if free else [])
    move = str(rng.choice(moves))
    i = int(rng.integers(len(events)))
    if move == "kind":
        kind = str(rng.choice([k for k in EVENT_KINDS if k != events[i].kind]))
        return (*events[:i], Event(kind, events[i].channel), *events[i + 1 :])
    if move == "channel":
        return (*events[:i], Event(events[i].kind, int(rng.choice(free))), *events[i + 1 :])
    if move == "add":
        return (*events, Event(str(rng.choice(EVENT_KINDS)), int(rng.choice(free))))
    return events[:i] + events[i + 1 :]


class PairSet(NamedTuple):
    """Windows with their caption and hard-negative captions, ready for :func:`joint_batches`.

    Attributes:
        series: (S, T, C) float32.
        text_ids: (S, L) caption ids.
        hard_ids: (S, H, L) ids of H captions with one attribute changed.
        keys: (S,) int64, equal exactly for equal captions.
    """

    series: Tensor
    text_ids: Tensor
    hard_ids: Tensor
    keys: Tensor


def make_pair_set(
    series: np.ndarray,
    captions: Sequence[str],
    events: Sequence[Sequence[Event]],
    *,
    channel_names: Sequence[str],
    encode_text: Callable[[list[str]], Tensor],
    seed: int,
    hard: int = 2,
) -> PairSet:
    """Encode the pairs and draw ``hard`` hard negatives per window from its events.

    Args:
        series: (S, T, C) windows.
        captions: S captions.
        events: the events each caption states.
        channel_names: C names, for the negative captions.
        encode_text: strings -> (n, L) ids (the tokenizer at a fixed length).
        seed: seeds the negatives and their caption templates.
        hard: H, negatives per window.
    """
    if not len(series) == len(captions) == len(events):
        raise ValueError(
            f"`series`, `captions` and `events` must have the same length, got "
            f"{len(series)}, {len(captions)} and {len(events)}"
        )
    rng = np.random.default_rng(seed)
    negatives = [
        describe(perturb(e, len(channel_names), rng), channel_names, template=int(rng.integers(3)))
        for e in events
        for _ in range(hard)
    ]
    ids = encode_text(list(captions))
    hard_ids = encode_text(negatives).reshape(len(captions), hard, -1)
    index: dict[str, int] = {}
    keys = torch.tensor([index.setdefault(c, len(index)) for c in captions], dtype=torch.long)
    return PairSet(torch.as_tensor(series, dtype=torch.float32), ids, hard_ids, keys)


def concat_pair_sets(parts: Sequence[PairSet]) -> PairSet:
    """One pair set of all ``parts`` (same T, C, L and H); caption keys are re-made across parts."""
    captions_seen: dict[tuple[int, ...], int] = {}
    ids = torch.cat([p.text_ids for p in parts])
    keys = torch.tensor([captions_seen.setdefault(tuple(row.tolist()), len(captions_seen)) for row in ids])
    return PairSet(torch.cat([p.series for p in parts]), ids, torch.cat([p.hard_ids for p in parts]), keys)


def joint_batches(
    pairs: PairSet, batch_size: int, *, mask_id: int, hard_share: float, generator: torch.Generator
) -> list[Batch]:
    """Shuffled batches with one negative and one masked copy of every caption.

    A window's negative is one of its hard negatives with probability ``hard_share``, else the
    caption of another window of the batch; an in-batch caption equal to its own is replaced by a
    hard negative. All randomness comes from ``generator`` (exact resume in :func:`moesaic.train.train`).
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}")
    S, H, _ = pairs.hard_ids.shape
    batches = []
    for index in torch.randperm(S, generator=generator).split(batch_size):
        B = index.numel()
        ids, keys = pairs.text_ids[index], pairs.keys[index]
        hard = pairs.hard_ids[index, torch.randint(H, (B,), generator=generator)]  # (B, L)
        other = torch.randperm(B, generator=generator)
        use_hard = (torch.rand(B, generator=generator) < hard_share) | (keys[other] == keys)
        negative = torch.where(use_hard[:, None], hard, ids[other])
        width = trim(torch.cat([ids, negative])).shape[1]  # padding columns cost attention for nothing
        ids, negative = ids[:, :width], negative[:, :width]
        masked = mask_words(ids, mask_id, generator=generator)
        targets = {"negative_ids": negative, "masked_ids": masked.ids, "mlm_labels": masked.labels}
        batches.append(Batch(series=pairs.series[index], text_ids=ids, targets=targets))
    return batches


def trim(ids: Tensor) -> Tensor:
    """(B, L) ids without the trailing columns that are padding in every row (at least one kept)."""
    used = int((ids != 0).any(dim=0).nonzero().max()) + 1 if bool((ids != 0).any()) else 1
    return ids[:, :used]
