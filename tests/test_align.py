"""Series-text alignment: captions, the CLIP model, retrieval metric and TEP descriptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from moesaic.align import (
    EVENT_KINDS,
    CLIPConfig,
    Event,
    SeriesTextCLIP,
    caption_keys,
    describe,
    fault_descriptions,
    make_pairs,
    pair_batches,
    recall_at_k,
)
from moesaic.align.captions import NORMAL_CAPTION, inject
from moesaic.align.tep import DESCRIBED_FAULTS, VARIABLES, NormalScale, cut_windows, window_features
from moesaic.config import ConfigError
from moesaic.data.schema import Series
from moesaic.data.tokenizer import TextTokenizer
from moesaic.eval.suites.alignment import tep_settings
from moesaic.train import TrainConfig, evaluate, train

NAMES = ("pump flow", "motor current", "bearing temperature", "valve position")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


def test_make_pairs_is_seeded_and_captions_state_the_events() -> None:
    a = make_pairs(20, length=16, channel_names=NAMES, seed=3)
    b = make_pairs(20, length=16, channel_names=NAMES, seed=3)
    assert a.series.shape == (20, 16, 4) and a.series.dtype == np.float32
    np.testing.assert_array_equal(a.series, b.series)
    assert a.captions == b.captions
    for caption, events in zip(a.captions, a.events, strict=True):
        if not events:
            assert caption == NORMAL_CAPTION
        for event in events:
            assert f"in {NAMES[event.channel]}" in caption
    assert make_pairs(20, length=16, channel_names=NAMES, seed=4).captions != a.captions


def test_inject_changes_only_after_the_onset() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(40)
    stuck = inject(x, "stuck", 10, rng)
    np.testing.assert_array_equal(stuck[:10], x[:10])
    assert np.all(stuck[10:] == x[10])
    step = inject(x, "step", 20, rng)
    shift = step[20:] - x[20:]
    np.testing.assert_allclose(shift, shift[0])  # one constant offset
    assert 2.5 <= abs(shift[0]) <= 4.0
    with pytest.raises(ValueError, match="unknown event kind 'jump'"):
        inject(x, "jump", 5, rng)


def test_describe_and_make_pairs_reject_bad_input() -> None:
    assert describe([Event("spikes", 1)], NAMES) == "sudden spikes in motor current."
    with pytest.raises(ValueError, match="event channel 9 has no name"):
        describe([Event("step", 9)], NAMES)
    with pytest.raises(ValueError, match="`length` must be >= 8, got 4"):
        make_pairs(3, length=4, channel_names=NAMES, seed=0)


def test_recall_at_k_hand_computed() -> None:
    assert recall_at_k(np.eye(3), 1) == 1.0
    sim = np.array([[0.5, 0.9], [0.1, 0.8]])  # query 0's own item ranks second
    assert recall_at_k(sim, 1) == 0.5
    assert recall_at_k(sim, 2) == 1.0
    assert recall_at_k(np.ones((2, 2)), 1) == 0.0  # a tie is not a hit
    with pytest.raises(ValueError, match="must be square"):
        recall_at_k(np.ones((2, 3)), 1)


def test_caption_keys_equal_for_equal_captions() -> None:
    assert caption_keys(["a", "b", "a", "c"]).tolist() == [0, 1, 0, 2]


def test_clip_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError, match="`length` must be a multiple of patch_len=8") as err:
        CLIPConfig(length=12, patch_len=8, temperature=2.0)
    assert "`temperature` must be in (0, 1)" in str(err.value)


def _tiny(vocab_size: int) -> SeriesTextCLIP:
    config = CLIPConfig(dim=16, embed_dim=8, length=16, channels=len(NAMES), patch_len=8,
                        vocab_size=vocab_size, max_text_length=12, series_layers=1)  # fmt: skip
    return SeriesTextCLIP(config)


def test_clip_embeddings_are_unit_vectors_and_shapes_are_checked() -> None:
    model = _tiny(64)
    emb = model.embed_series(torch.randn(3, 16, 4))
    assert emb.shape == (3, 8)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(3))
    assert model.embed_text(torch.randint(1, 64, (2, 12))).shape == (2, 8)
    with pytest.raises(ValueError, match=r"`series` must have shape \(batch, 16, 4\), got \(3, 16, 5\)"):
        model.embed_series(torch.randn(3, 16, 5))


def test_pair_batches_keeps_every_pair_and_checks_counts() -> None:
    batches = pair_batches(torch.zeros(5, 16, 4), torch.ones(5, 12, dtype=torch.long), torch.arange(5), 2)
    assert [b.size for b in batches] == [2, 2, 1]
    with pytest.raises(ValueError, match="same number of pairs, got 5, 4 and 5"):
        pair_batches(torch.zeros(5, 16, 4), torch.ones(4, 12, dtype=torch.long), torch.arange(5), 2)


def test_clip_training_lowers_the_held_out_contrastive_loss() -> None:
    pairs = make_pairs(128, length=16, channel_names=NAMES, seed=0, max_events=1, normal_share=0.0)
    held = make_pairs(48, length=16, channel_names=NAMES, seed=1, max_events=1, normal_share=0.0)
    tokenizer = TextTokenizer(num_buckets=8).fit(pairs.captions)
    model = _tiny(tokenizer.vocab_size)

    def batches(p: object, size: int) -> list:
        return pair_batches(torch.from_numpy(p.series), tokenizer.encode(p.captions, 12),  # type: ignore[attr-defined]
                            caption_keys(p.captions), size)  # type: ignore[attr-defined]  # fmt: skip

    val = batches(held, 48)
    before = evaluate(model, val)
    config = TrainConfig(lr=3e-3, max_steps=20, batch_size=32, seed=0, num_threads=1, log_every=20,
                         checkpoint_every=20)  # fmt: skip
    train(model, batches(pairs, 32), config=config)
    assert evaluate(model, val) < before - 0.2


def test_tep_descriptions_cover_the_documented_faults_only() -> None:
    descriptions = fault_descriptions()
    assert len(VARIABLES) == 52
    assert set(descriptions) == set(DESCRIBED_FAULTS) == set(range(16)) | {21}  # IDV 16-20 are unknown
    assert len(set(descriptions.values())) == len(descriptions)
    assert all(any(k in text for k in ("step", "drift", "random", "sticking", "stuck", "normal"))
               for text in descriptions.values())  # fmt: skip
    assert set(EVENT_KINDS) >= {"step", "drift", "random", "sticking", "stuck"}


def test_window_features_on_the_normal_scale() -> None:
    windows = np.zeros((1, 8, 2), dtype=np.float32)
    windows[0, 4:, 0] = 2.0  # channel 0 steps from 0 to 2 halfway
    features = window_features(windows, NormalScale(np.zeros(2), np.array([1.0, 2.0])))
    assert features.shape == (1, 6)
    np.testing.assert_allclose(features[0], [1.0, 0.0, 1.0, 0.0, 2.0, 0.0])  # means, stds, changes


def _run(fault: int, length: int) -> Series:
    values = np.arange(length * 2, dtype=np.float32).reshape(length, 2)
    return Series.from_frame(
        pd.DataFrame(values, columns=["a", "b"]), series_id=f"f{fault}", meta={"fault": fault}
    )


def test_cut_windows_labels_each_window_with_its_run_fault() -> None:
    windows = cut_windows([_run(0, 10), _run(4, 10)], length=4, starts=[0, 6])
    assert windows.series.shape == (4, 4, 2)
    assert windows.labels.tolist() == [0, 0, 4, 4]
    np.testing.assert_array_equal(windows.series[1, :, 0], [12, 14, 16, 18])  # rows 6-9, channel a
    with pytest.raises(ValueError, match="run 'f0' has 10 steps: no window of 4 starts at 7"):
        cut_windows([_run(0, 10)], length=4, starts=[7])


def test_tep_settings_place_the_onset_as_the_captions_do() -> None:
    settings = tep_settings([_run(1, 960)])
    assert settings["windows=after-onset"] == list(range(160, 929, 32))  # 25 windows after sample 160
    for start in settings["windows=at-onset"]:
        assert 0.25 * 32 <= 160 - start <= 0.6 * 32


def test_clip_loss_reaches_both_towers_and_the_temperature() -> None:
    pairs = make_pairs(8, length=16, channel_names=NAMES, seed=0)
    tokenizer = TextTokenizer(num_buckets=8).fit(pairs.captions)
    model = _tiny(tokenizer.vocab_size)
    batch = pair_batches(
        torch.from_numpy(pairs.series), tokenizer.encode(pairs.captions, 12), caption_keys(pairs.captions), 8
    )[0]
    model.loss(batch).loss.backward()
    for name in ("series_tower.encoders.timeseries.patch.weight", "text_tower.encoders.text.embedding.weight",
                 "logit_scale"):  # fmt: skip
        grad = model.get_parameter(name).grad
        assert grad is not None and float(grad.abs().sum()) > 0, name
    with pytest.raises(ValueError, match="needs `series`, `text_ids` and targets"):
        model.loss(pair_batches(batch.series, batch.text_ids, torch.arange(8), 8)[0].without("text"))


def test_alignment_systems_option_defaults_to_all_and_rejects_unknown_names() -> None:
    from moesaic.eval.suites.alignment import SYSTEMS, selected_systems

    assert selected_systems(None) == list(SYSTEMS)
    assert selected_systems(" clip, gpt4ts ") == ["clip", "gpt4ts"]
    with pytest.raises(ValueError, match="unknown alignment system"):
        selected_systems("clip,gpt5")


def test_the_alignment_suite_shows_progress_over_its_families_of_systems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    from moesaic.eval.bench import BenchRow, SuiteContext
    from moesaic.eval.suites import alignment

    def row(system: str) -> BenchRow:
        return BenchRow(system, "d", "t", "s", "m", 1.0)

    family = next(iter(alignment.FAMILIES))
    fake = types.SimpleNamespace(rows=lambda ctx, wanted: [row(s) for s in wanted])
    monkeypatch.setattr(alignment, "run_clip", lambda ctx: [row("clip")])
    monkeypatch.setattr(alignment.importlib, "import_module", lambda name: fake)
    seen: list[tuple[list[str], str]] = []

    def progress(items, description, total=None):  # type: ignore[no-untyped-def]
        seen.append((list(items), description))
        return iter(seen[-1][0])

    first = alignment.FAMILIES[family][0]
    ctx = SuiteContext(options={"systems": f"clip,{first}"}, progress=progress)
    rows = alignment.run(ctx)
    assert seen == [(["clip", family], "alignment: families of systems")]
    assert [r.system for r in rows] == ["clip", alignment._project_name(row(first)).system]
