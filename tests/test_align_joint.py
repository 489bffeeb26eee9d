"""Joint series-text encoding (VisualBERT): shapes, masking, matching, missing modalities, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from moesaic.align.captions import EVENT_KINDS, Event, make_pairs
from moesaic.align.clip import recall_at_k
from moesaic.align.joint import (
    IGNORE,
    JointConfig,
    SeriesTextJoint,
    concat_pair_sets,
    joint_batches,
    load_joint,
    make_pair_set,
    mask_words,
    match_scores,
    perturb,
    query_recall_at_k,
    save_joint,
    score_matrix,
    trim,
)
from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.tokenizer import TextTokenizer
from moesaic.train import TrainConfig, train

NAMES = ("pump flow", "motor current", "bearing temperature", "valve position")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


def _tiny(vocab_size: int = 40, **kw: object) -> SeriesTextJoint:
    config = JointConfig(dim=16, length=16, channels=4, patch_len=8, vocab_size=vocab_size,
                         max_text_length=12, num_layers=2, **kw)  # type: ignore[arg-type]  # fmt: skip
    return SeriesTextJoint(config)


def test_forward_shapes_put_cls_series_then_text() -> None:
    model = _tiny()
    series, ids = torch.randn(3, 16, 4), torch.randint(1, 40, (3, 5))
    out = model(Batch(series=series, text_ids=ids))
    assert out.tokens.shape == (3, 1 + 4 * 2 + 5, 16)  # [CLS], C * P series tokens, L words
    assert out.mask.shape == (3, 14) and bool(out.mask.all())
    assert out.match_logit.shape == (3,)
    assert model.mlm_logits(out, 5).shape == (3, 5, 41)  # the tokenizer's 40 ids + [MASK]
    assert model.length_logits(series).shape == (3, 13)


def test_a_missing_modality_is_absent_tokens() -> None:
    model = _tiny().eval()
    text_only = model(Batch(text_ids=torch.randint(1, 40, (2, 6))))
    series_only = model(Batch(series=torch.randn(2, 16, 4)))
    assert text_only.tokens.shape == (2, 7, 16) and series_only.tokens.shape == (2, 9, 16)
    assert torch.isfinite(text_only.match_logit).all() and torch.isfinite(series_only.match_logit).all()
    # Padding words are masked: a caption padded further scores the same.
    ids = torch.tensor([[5, 6, 7, 0]])
    series = torch.randn(1, 16, 4)
    a = model(Batch(series=series, text_ids=ids[:, :3])).match_logit
    b = model(Batch(series=series, text_ids=ids)).match_logit
    torch.testing.assert_close(a, b)


def test_forward_rejects_a_window_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"\(batch, 16, at most 4 channels\)"):
        _tiny()(Batch(series=torch.randn(2, 12, 4)))


def test_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        JointConfig(length=30, patch_len=8, hard_share=1.5, dim=0)
    text = str(err.value)
    assert "dim" in text and "multiple of patch_len" in text and "hard_share" in text


def test_mask_words_hides_between_one_and_all_real_words() -> None:
    ids = torch.tensor([[4, 5, 6, 7, 0, 0], [8, 9, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    counts = set()
    for seed in range(40):
        masked = mask_words(ids, 99, generator=torch.Generator().manual_seed(seed))
        hidden = masked.ids == 99
        assert not hidden[ids == 0].any()  # padding is never hidden
        torch.testing.assert_close(masked.labels[hidden], ids[hidden])
        assert bool((masked.labels[~hidden] == IGNORE).all())
        assert bool((masked.ids[~hidden] == ids[~hidden]).all())
        assert 1 <= int(hidden[0].sum()) <= 4 and 1 <= int(hidden[1].sum()) <= 2
        counts.add(int(hidden[0].sum()))
    assert counts == {1, 2, 3, 4}  # every k in [1, n] occurs, the fully masked caption included


def test_perturb_changes_one_attribute() -> None:
    rng = np.random.default_rng(0)
    events = (Event("step", 0), Event("drift", 2))
    for _ in range(50):
        changed = perturb(events, 4, rng)
        assert changed != events and all(e.kind in EVENT_KINDS and 0 <= e.channel < 4 for e in changed)
        assert abs(len(changed) - len(events)) <= 1
        if len(changed) == len(events):
            differing = [(a, b) for a, b in zip(events, changed, strict=True) if a != b]
            assert len(differing) == 1
            old, new = differing[0]
            assert old.kind == new.kind or old.channel == new.channel
    assert len(perturb((), 4, rng)) == 1


def _pairs(count: int, seed: int, tokenizer: TextTokenizer | None = None):  # type: ignore[no-untyped-def]
    pairs = make_pairs(count, length=16, channel_names=NAMES, seed=seed)
    tokenizer = tokenizer or TextTokenizer(num_buckets=8).fit(pairs.captions)
    pair_set = make_pair_set(pairs.series, pairs.captions, pairs.events, channel_names=NAMES,
                             encode_text=lambda t: tokenizer.encode(t, 24), seed=seed)  # fmt: skip
    return pairs, pair_set, tokenizer


def test_joint_batches_pair_each_window_with_a_different_negative() -> None:
    _, pair_set, tokenizer = _pairs(40, seed=1)
    batches = joint_batches(pair_set, 16, mask_id=tokenizer.vocab_size, hard_share=0.5,
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert [b.size for b in batches] == [16, 16, 8]  # no batch dropped
    for batch in batches:
        width = batch.text_ids.shape[1]
        assert batch.targets["negative_ids"].shape[1] == width and width <= 24
        assert not (batch.targets["negative_ids"] == batch.text_ids).all(dim=1).any()
    both = concat_pair_sets([pair_set, pair_set])
    assert both.series.shape[0] == 80 and torch.equal(both.keys[:40], both.keys[40:])


def test_matching_head_learns_a_separable_toy_problem() -> None:
    # Caption "rising" with an upward ramp, "falling" with a downward one: separable, but only by
    # an interaction of the two modalities (an XOR for the [CLS] state), hence two layers.
    n = 8
    t = torch.linspace(-1, 1, 16)[None, :, None]
    series = torch.cat([t.expand(n, 16, 4), -t.expand(n, 16, 4)]) + 0.05 * torch.randn(2 * n, 16, 4)
    rise, fall = torch.tensor([3, 0]), torch.tensor([4, 0])
    ids = torch.cat([rise.expand(n, 2), fall.expand(n, 2)])
    wrong = torch.cat([fall.expand(n, 2), rise.expand(n, 2)])
    masked = torch.tensor([[40, 0]]).expand(2 * n, 2)
    labels = torch.where(masked == 40, ids, torch.full_like(ids, IGNORE))
    targets = {"negative_ids": wrong, "masked_ids": masked, "mlm_labels": labels}
    model = _tiny(vocab_size=40)
    config = TrainConfig(lr=1e-2, max_steps=50, eval_every=50, seed=0, num_threads=1, log_every=50)
    train(model, [Batch(series=series, text_ids=ids, targets=targets)], config=config)
    assert bool((match_scores(model, series, ids) > 0).all())
    assert bool((match_scores(model, series, wrong) < 0).all())


def test_score_matrix_is_every_caption_against_every_window() -> None:
    model = _tiny().eval()
    series, ids = torch.randn(5, 16, 4), torch.randint(1, 40, (3, 4))
    scores = score_matrix(model, series, ids, chunk=4)
    assert scores.shape == (3, 5)
    torch.testing.assert_close(scores[2, 4], match_scores(model, series[4:5], ids[2:3])[0])


def test_query_recall_matches_square_recall_and_ranks_against_all_items() -> None:
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8], [0.1, 0.2, 0.7]])
    for k in (1, 2):
        assert query_recall_at_k(scores, np.arange(3), k) == recall_at_k(scores, k)
    assert query_recall_at_k(scores[[1]], np.array([1]), 1) == 0.0  # item 2 beats it
    assert query_recall_at_k(scores[[1]], np.array([1]), 2) == 1.0


def test_trim_drops_only_all_padding_columns() -> None:
    assert trim(torch.tensor([[1, 2, 0, 0], [3, 0, 0, 0]])).shape == (2, 2)
    assert trim(torch.zeros(2, 3, dtype=torch.long)).shape == (2, 1)


def test_channel_names_change_the_series_tokens() -> None:
    model = _tiny().eval()
    batch = Batch(series=torch.randn(2, 16, 4), text_ids=torch.randint(1, 40, (2, 3)))
    before = model(batch).match_logit
    model.set_channel_names(torch.tensor([[5, 6], [7, 0], [8, 9], [10, 0]]))
    assert not torch.allclose(before, model(batch).match_logit)
    with pytest.raises(ValueError, match="vocab_size=40"):
        model.set_channel_names(torch.tensor([[41]]))


def test_save_load_reproduces_outputs(tmp_path: Path) -> None:
    model = _tiny().eval()
    model.set_channel_names(torch.tensor([[5, 6], [7, 0], [8, 9], [10, 0]]))
    batch = Batch(series=torch.randn(2, 16, 4), text_ids=torch.randint(1, 40, (2, 3)))
    save_joint(tmp_path / "joint", model)
    loaded = load_joint(tmp_path / "joint")
    assert loaded.config == model.config
    torch.testing.assert_close(loaded(batch).match_logit, model(batch).match_logit)
    torch.testing.assert_close(loaded.length_logits(batch.series), model.length_logits(batch.series))


def test_suite_rows_reject_unknown_systems_and_allow_none() -> None:
    from moesaic.eval.bench import SuiteContext
    from moesaic.eval.suites.alignment_joint import SYSTEMS, rows

    assert SYSTEMS == ("visualbert", "blip")
    with pytest.raises(ValueError, match="choose among"):
        rows(SuiteContext(quick=True), ["clip"])
    assert rows(SuiteContext(quick=True), []) == []
