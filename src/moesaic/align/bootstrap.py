"""Caption bootstrapping (BLIP's CapFilt) for series: caption unlabelled real windows, filter, retrain.

Li et al. (2022) clean a noisy image-text corpus with two heads of one pre-trained model: a
*captioner* writes a caption for each web image and a *filter* (the image-text matching head)
removes the pairs it judges mismatched; a model is then trained on what remains. Here both heads
are those of :class:`~moesaic.align.joint.SeriesTextJoint`, trained on synthetic pairs only:

- captioner: the masked language model, decoding a caption from nothing but the window. Each
  candidate caption (normal operation, or one event of any kind in any channel, in every caption
  template) is scored as a conditional masked LM scores a sequence of n words:
  ``log p(n | window) + sum_i log p(word_i | window, n masks)``, one forward pass per distinct
  length; a candidate's score is the log-sum over its templates. The captioner says "normal"
  when the normal caption is more probable than all event captions together, else it names the
  most probable event.
  It chooses from the caption space of the synthetic corpus, so it never invents words it was
  not trained on, but it is generative: the window alone decides the words.
- filter: the matching head's probability that the chosen caption describes the window, accepted
  above a threshold chosen on synthetic *validation* pairs (captioned the same way, with known
  events), never on real labels.

The accepted real pairs join the synthetic ones and the model trains further; agreement of the
captions with the true labels of held-out real windows is measured before and after.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.align.captions import _TEMPLATES, EVENT_KINDS, CaptionedSeries, Event, describe
from moesaic.align.joint import SeriesTextJoint, match_scores
from moesaic.align.joint_pairs import PairSet, concat_pair_sets, joint_batches, make_pair_set
from moesaic.data.batch import Batch
from moesaic.train import TrainConfig, train

EncodeText = Callable[[list[str]], Tensor]


class CaptionSpace(NamedTuple):
    """The captions the captioner chooses from.

    Attributes:
        events: K event tuples: normal operation, then one event of every kind in every channel.
        captions: K captions in the first template (the form fault descriptions use).
        variants: per candidate, the ids (L,) of each distinct caption text (all templates).
    """

    events: list[tuple[Event, ...]]
    captions: list[str]
    variants: list[list[Tensor]]


def caption_space(channel_names: Sequence[str], encode_text: EncodeText) -> CaptionSpace:
    """Normal operation plus one event of each kind in each channel: 1 + 7 C candidates."""
    events: list[tuple[Event, ...]] = [()]
    events += [(Event(kind, c),) for c in range(len(channel_names)) for kind in EVENT_KINDS]
    variants = []
    for e in events:
        # Every template of the captions: the captioner sums a candidate's probability over them.
        texts = list(dict.fromkeys(describe(e, channel_names, template=t) for t in range(len(_TEMPLATES))))
        ids = encode_text(texts)
        variants.append([row[row != 0] for row in ids])
    return CaptionSpace(events, [describe(e, channel_names) for e in events], variants)


@torch.no_grad()
def caption_scores(
    model: SeriesTextJoint, series: Tensor, space: CaptionSpace, *, chunk: int = 512
) -> Tensor:
    """(W, K) log-probability of each candidate caption given each window alone.

    Args:
        series: (W, T, C) windows.
        space: the K candidates.
    """
    was_training = model.training
    model.eval()
    by_length: dict[int, list[tuple[int, Tensor]]] = {}
    for k, texts in enumerate(space.variants):
        for ids in texts:
            by_length.setdefault(int(ids.numel()), []).append((k, ids))
    W, K = series.shape[0], len(space.events)
    scores = torch.full((W, K), float("-inf"))
    for part_start in range(0, W, chunk):
        part = series[part_start : part_start + chunk]
        rows = slice(part_start, part_start + part.shape[0])
        length_logp = model.length_logits(part).log_softmax(dim=-1)  # (w, max_text_length + 1)
        for n, members in by_length.items():
            masks = torch.full((part.shape[0], n), model.config.mask_id, dtype=torch.long)
            out = model(Batch(series=part, text_ids=masks))
            logp = model.mlm_logits(out, n).log_softmax(dim=-1)  # (w, n, V + 1)
            ids = torch.stack([ids for _, ids in members])  # (m, n)
            positions = torch.arange(n)
            words = logp[:, positions[None, :], ids].sum(dim=-1)  # (w, m)
            total = words + length_logp[:, n : n + 1]
            for j, (k, _) in enumerate(members):
                scores[rows, k] = torch.logaddexp(scores[rows, k], total[:, j])
    model.train(was_training)
    return scores


class Captions(NamedTuple):
    """The captioner's choice per window and the filter's verdict.

    Attributes:
        choice: (W,) int64, the chosen candidate of the caption space.
        match: (W,) the filter's probability that the chosen caption describes the window.
    """

    choice: np.ndarray
    match: np.ndarray


def caption_windows(
    model: SeriesTextJoint, series: np.ndarray, space: CaptionSpace, encode_text: EncodeText
) -> Captions:
    """Caption each (W, T, C) window with the captioner and score the caption with the filter."""
    windows = torch.as_tensor(series, dtype=torch.float32)
    choice = choose_captions(caption_scores(model, windows, space), space)
    ids = encode_text([space.captions[int(k)] for k in choice])
    match = torch.sigmoid(match_scores(model, windows, ids))
    return Captions(choice.numpy(), match.numpy())


def choose_captions(scores: Tensor, space: CaptionSpace) -> Tensor:
    """(W,) chosen candidates from (W, K) caption log-probabilities.

    The captioner first decides whether anything happened, by the total probability of the event
    captions against that of the normal one, then names the most probable event. Taking the single
    most probable caption instead would almost always say "normal": its probability is not shared
    among 7 C rivals, as the probability of "some event" is.
    """
    normal = space.events.index(())
    events = torch.ones(scores.shape[1], dtype=torch.bool)
    events[normal] = False
    event_mass = torch.logsumexp(scores[:, events], dim=1)  # (W,)
    best_event = torch.arange(scores.shape[1])[events][scores[:, events].argmax(dim=1)]
    return torch.where(event_mass > scores[:, normal], best_event, torch.full_like(best_event, normal))


def agrees(caption: Sequence[Event], truth: Sequence[Event]) -> bool:
    """Whether a caption is consistent with the true events of a window.

    A normal caption agrees exactly with a normal window; a caption with events agrees with an
    abnormal window when at least one of its events (kind and channel) is among the true ones.
    """
    if not caption or not truth:
        return not caption and not truth
    return any(event in truth for event in caption)


def choose_threshold(scores: np.ndarray, correct: np.ndarray, *, beta: float = 0.5) -> float:
    """The filter threshold with the best F-beta of accepting correct captions, on *validation* data.

    Args:
        scores: (V,) the filter's probabilities on validation windows.
        correct: (V,) bool, whether each validation caption agrees with its known events.
        beta: below 1 favours precision: a wrong caption accepted teaches the model a wrong pair.

    Returns:
        Accept a caption when its score is >= the threshold; above every score when no
        validation caption is correct (nothing is then accepted).
    """
    if scores.shape != correct.shape or scores.ndim != 1:
        raise ValueError(f"`scores` and `correct` must be (V,) each, got {scores.shape} and {correct.shape}")
    if not correct.any():
        return float(np.nextafter(scores.max(initial=1.0), np.inf))
    best, best_f = 1.0, -1.0
    for threshold in np.unique(scores):
        accepted = scores >= threshold
        tp = float((accepted & correct).sum())
        precision, recall = tp / accepted.sum(), tp / correct.sum()
        f = 0.0 if tp == 0 else (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
        if f > best_f:
            best, best_f = float(threshold), f
    return best


class CaptionFilter(NamedTuple):
    """The acceptance threshold and the validation evidence it came from."""

    threshold: float
    validation_accuracy: float  # share of validation captions that agree with their events
    validation_precision: float  # of those accepted


def fit_filter(
    model: SeriesTextJoint, validation: CaptionedSeries, space: CaptionSpace, encode_text: EncodeText
) -> CaptionFilter:
    """Caption synthetic validation windows and choose the threshold against their known events."""
    captions = caption_windows(model, validation.series, space, encode_text)
    correct = np.array(
        [agrees(space.events[int(k)], e) for k, e in zip(captions.choice, validation.events, strict=True)]
    )
    threshold = choose_threshold(captions.match, correct)
    accepted = captions.match >= threshold
    precision = float(correct[accepted].mean()) if accepted.any() else 0.0
    return CaptionFilter(threshold, float(correct.mean()), precision)


class CapFilt(NamedTuple):
    """Captions of unlabelled windows and which of them the filter accepted."""

    captions: Captions
    accepted: np.ndarray  # (W,) bool


def capfilt(
    model: SeriesTextJoint,
    unlabelled: np.ndarray,
    space: CaptionSpace,
    caption_filter: CaptionFilter,
    encode_text: EncodeText,
) -> CapFilt:
    """Caption (W, T, C) unlabelled windows and keep those the filter accepts; labels never enter."""
    captions = caption_windows(model, unlabelled, space, encode_text)
    return CapFilt(captions, captions.match >= caption_filter.threshold)


def retrain(
    model: SeriesTextJoint,
    synthetic: PairSet,
    windows: np.ndarray,
    events: Sequence[tuple[Event, ...]],
    *,
    channel_names: Sequence[str],
    encode_text: EncodeText,
    config: TrainConfig,
    real_share: float = 0.25,
) -> SeriesTextJoint:
    """A copy of ``model`` trained further on synthetic pairs plus accepted real (window, caption) pairs.

    The real pairs are repeated so that they make about ``real_share`` of the pairs (at least once
    each); their captions use the first template and their hard negatives change one attribute.
    """
    if not 0.0 < real_share < 1.0:
        raise ValueError(f"`real_share` must be in (0, 1), got {real_share}")
    tuned = copy.deepcopy(model)
    parts = [synthetic]
    if len(windows):
        real = make_pair_set(
            windows, [describe(e, channel_names) for e in events], events,
            channel_names=channel_names, encode_text=encode_text, seed=config.seed,
        )  # fmt: skip
        width = synthetic.text_ids.shape[1]
        if real.text_ids.shape[1] != width:
            raise ValueError(f"`encode_text` must give {width} ids per caption, as the synthetic pairs")
        repeats = max(1, round(real_share / (1 - real_share) * len(synthetic.keys) / len(real.keys)))
        parts += [real] * repeats
    pairs = concat_pair_sets(parts)
    mask_id, hard_share = model.config.mask_id, model.config.hard_share

    def source(epoch: int, generator: torch.Generator) -> list[Batch]:
        return joint_batches(
            pairs, config.batch_size, mask_id=mask_id, hard_share=hard_share, generator=generator
        )

    train(tuned, source, config=config)
    return tuned.eval()
