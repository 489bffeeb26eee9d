"""Caption bootstrapping (BLIP CapFilt): caption space, captioner scores, filter threshold, retraining."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from moesaic.align.bootstrap import (
    CaptionFilter,
    agrees,
    capfilt,
    caption_scores,
    caption_space,
    caption_windows,
    choose_captions,
    choose_threshold,
    fit_filter,
    retrain,
)
from moesaic.align.captions import EVENT_KINDS, NORMAL_CAPTION, Event, make_pairs
from moesaic.align.joint import JointConfig, SeriesTextJoint, make_pair_set
from moesaic.data.batch import Batch
from moesaic.data.tokenizer import TextTokenizer
from moesaic.train import TrainConfig

NAMES = ("pump flow", "motor current", "bearing temperature")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def setup() -> tuple[SeriesTextJoint, TextTokenizer]:
    pairs = make_pairs(60, length=16, channel_names=NAMES, seed=0)
    tokenizer = TextTokenizer(num_buckets=4).fit(pairs.captions)
    config = JointConfig(dim=16, length=16, channels=3, patch_len=8, vocab_size=tokenizer.vocab_size,
                         max_text_length=24, num_layers=1)  # fmt: skip
    torch.manual_seed(0)
    return SeriesTextJoint(config).eval(), tokenizer


def _encoder(tokenizer: TextTokenizer):  # type: ignore[no-untyped-def]
    return lambda texts: tokenizer.encode(texts, 24)


def test_caption_space_is_normal_plus_every_kind_in_every_channel(setup) -> None:  # type: ignore[no-untyped-def]
    _, tokenizer = setup
    space = caption_space(NAMES, _encoder(tokenizer))
    assert (
        len(space.events) == len(space.captions) == len(space.variants) == 1 + len(EVENT_KINDS) * len(NAMES)
    )
    assert space.events[0] == () and space.captions[0] == NORMAL_CAPTION
    assert len(space.variants[0]) == 1  # the normal caption has one text in every template
    assert all(len(v) == 3 for v in space.variants[1:])  # three templates, without padding ids
    assert all(bool((ids != 0).all()) for v in space.variants for ids in v)


def test_caption_scores_are_length_plus_word_log_probabilities(setup) -> None:  # type: ignore[no-untyped-def]
    model, tokenizer = setup
    space = caption_space(NAMES, _encoder(tokenizer))
    series = torch.randn(4, 16, 3)
    scores = caption_scores(model, series, space, chunk=3)
    assert scores.shape == (4, len(space.events)) and bool(torch.isfinite(scores).all())
    # By hand for the normal caption: log p(n | window) + sum of log p(word_i | window, n masks).
    ids = space.variants[0][0]
    n = ids.numel()
    with torch.no_grad():
        length = model.length_logits(series).log_softmax(-1)[:, n]
        out = model(Batch(series=series, text_ids=torch.full((4, n), model.config.mask_id)))
        words = model.mlm_logits(out, n).log_softmax(-1)[:, torch.arange(n), ids].sum(-1)
    torch.testing.assert_close(scores[:, 0], length + words)


def test_the_captioner_decides_normal_against_all_events_together(setup) -> None:  # type: ignore[no-untyped-def]
    _, tokenizer = setup
    space = caption_space(NAMES, _encoder(tokenizer))
    K = len(space.events)
    # Window 0: normal 0.3 beats every single event (0.7 / 21 each) but not all of them together.
    # Window 1: normal 0.8 beats the 0.2 shared by all events. Window 2: one event stands out.
    probs = torch.full((3, K), 0.7 / (K - 1))
    probs[:, 0] = 0.3
    probs[1] = 0.2 / (K - 1)
    probs[1, 0] = 0.8
    probs[2] = 0.1 / (K - 2)
    probs[2, 0], probs[2, 5] = 0.4, 0.5
    choice = choose_captions(probs.log(), space)
    assert choice[0] != 0 and choice[1] == 0 and choice[2] == 5


def test_agreement_of_captions_with_true_events() -> None:
    assert agrees((), ())
    assert not agrees((), (Event("step", 1),)) and not agrees((Event("step", 1),), ())
    assert agrees((Event("step", 1),), (Event("drift", 0), Event("step", 1)))
    assert not agrees((Event("step", 0),), (Event("step", 1),))  # right kind, wrong channel


def test_choose_threshold_by_hand() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.2])
    correct = np.array([True, True, False, True, False])
    # Thresholds 0.8 (P 1, R 2/3) beats 0.4 (P 3/4, R 1) under F0.5: 0.909 vs 0.789.
    assert choose_threshold(scores, correct) == pytest.approx(0.8)
    assert choose_threshold(scores, correct, beta=4.0) == pytest.approx(0.4)  # recall-heavy
    nothing = choose_threshold(scores, np.zeros(5, dtype=bool))
    assert nothing > scores.max()
    with pytest.raises(ValueError, match=r"\(V,\)"):
        choose_threshold(scores, correct[:3])


def test_the_threshold_comes_from_validation_pairs_and_never_sees_real_labels(setup) -> None:  # type: ignore[no-untyped-def]
    model, tokenizer = setup
    encode = _encoder(tokenizer)
    space = caption_space(NAMES, encode)
    validation = make_pairs(12, length=16, channel_names=NAMES, seed=5)
    fitted = fit_filter(model, validation, space, encode)
    captions = caption_windows(model, validation.series, space, encode)
    correct = np.array(
        [agrees(space.events[int(k)], e) for k, e in zip(captions.choice, validation.events, strict=True)]
    )
    assert fitted.threshold == choose_threshold(captions.match, correct)
    assert fitted.validation_accuracy == pytest.approx(correct.mean())
    # The real side of CapFilt takes windows only: no argument could carry a label.
    for function in (capfilt, caption_windows):
        names = set(inspect.signature(function).parameters)
        assert not names & {"labels", "truth", "events", "captions", "targets"}, function.__name__
    unlabelled = np.random.default_rng(0).standard_normal((6, 16, 3)).astype(np.float32)
    kept = capfilt(model, unlabelled, space, fitted, encode)
    np.testing.assert_array_equal(kept.accepted, kept.captions.match >= fitted.threshold)
    everything = capfilt(model, unlabelled, space, CaptionFilter(0.0, 0.0, 0.0), encode)
    assert bool(everything.accepted.all())


def test_retrain_trains_a_copy_on_synthetic_plus_accepted_pairs(setup) -> None:  # type: ignore[no-untyped-def]
    model, tokenizer = setup
    encode = _encoder(tokenizer)
    pairs = make_pairs(16, length=16, channel_names=NAMES, seed=1)
    synthetic = make_pair_set(pairs.series, pairs.captions, pairs.events, channel_names=NAMES,
                              encode_text=encode, seed=1)  # fmt: skip
    before = {k: v.clone() for k, v in model.state_dict().items()}
    real = np.random.default_rng(1).standard_normal((3, 16, 3)).astype(np.float32)
    config = TrainConfig(lr=1e-3, max_steps=2, batch_size=8, seed=0, num_threads=1)
    tuned = retrain(model, synthetic, real, [(Event("step", 0),), (), (Event("spikes", 2),)],
                    channel_names=NAMES, encode_text=encode, config=config)  # fmt: skip
    assert not tuned.training and tuned is not model
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the original is untouched
    assert any(not torch.equal(before[k], v) for k, v in tuned.state_dict().items())
    none = retrain(model, synthetic, real[:0], [], channel_names=NAMES, encode_text=encode, config=config)
    assert isinstance(none, SeriesTextJoint)
    with pytest.raises(ValueError, match="real_share"):
        retrain(model, synthetic, real, [()] * 3, channel_names=NAMES, encode_text=encode, config=config,
                real_share=1.0)  # fmt: skip
