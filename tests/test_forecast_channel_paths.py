"""Each forecast channel's correction of the shared closed-form path (``channel_span``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.config import ConfigError, apply_overrides
from moesaic.heads.forecast import (
    CHANNEL_PATH_BUDGET,
    ForecastSpec,
    MoesaicForecastConfig,
    MoesaicForecastModel,
)
from moesaic.heads.ridge import (
    ChannelPath,
    RidgeSamples,
    RidgeTerms,
    channel_cross_half,
    choose_channel_path,
    fit_channel_path,
)
from moesaic.tasks.forecast import ForecastConfig, Forecaster

S, H = 16, 4


def _terms(n: int, map_: torch.Tensor | None, seed: int) -> RidgeTerms:
    """Terms of n samples whose target is ``map_`` applied to the context plus noise (noise alone
    when ``map_`` is None)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, S, generator=g)
    noise = 0.3 * torch.randn(n, H, generator=g)
    y = noise if map_ is None else x @ map_.T + noise
    return RidgeTerms.of([RidgeSamples(x, y, torch.ones(n))], S, H)


def test_a_channel_whose_residual_follows_its_past_gets_a_correction_that_validates_lower() -> None:
    map_ = torch.zeros(H, S)
    map_[:, -1] = 0.8  # the residual follows the latest step
    path = fit_channel_path(_terms(400, map_, 0), _terms(200, map_, 1))
    assert isinstance(path, ChannelPath) and path.weight.shape == (H, S) and path.span in (S, S // 2)
    assert torch.allclose(path.weight[:, -1], torch.full((H,), 0.8), atol=0.1)
    val = _terms(200, map_, 2)
    none = float(val.errors(torch.zeros(H, S), torch.zeros(H)).mean())
    assert float(val.errors(path.weight, path.bias).mean()) < 0.5 * none


def test_a_channel_whose_residual_is_noise_gets_none_or_a_shrunk_one() -> None:
    path = fit_channel_path(_terms(400, None, 0), _terms(400, None, 1))
    assert path is None or float(path.weight.abs().max()) < 0.05
    assert fit_channel_path(_terms(400, None, 0), RidgeTerms(S, H)) is None  # no validation sample


def test_the_cross_half_study_scores_choices_on_windows_they_did_not_see() -> None:
    map_ = torch.zeros(H, S)
    map_[:, -2] = -0.5
    train = [_terms(300, map_, 0), _terms(300, None, 1)]
    first, second = [_terms(100, map_, 2), _terms(100, None, 3)], [_terms(100, map_, 4), _terms(100, None, 5)]
    without, with_paths = channel_cross_half(train, first, second)
    assert 0 < with_paths < without
    with pytest.raises(ValueError, match="one set of terms per channel"):
        channel_cross_half(train, first, second[:1])


def test_a_correction_is_kept_only_when_its_choice_carries_over_between_the_halves() -> None:
    map_ = torch.zeros(H, S)
    map_[:, -1] = 0.8
    kept = choose_channel_path(_terms(400, map_, 0), _terms(100, map_, 1), _terms(100, map_, 2))
    assert kept is not None and torch.allclose(kept.weight[:, -1], torch.full((H,), 0.8), atol=0.1)
    # a handful of validation windows of noise: whatever one half picks, the other half does not want
    dropped = [
        choose_channel_path(_terms(60, None, k), _terms(3, None, 10 + k), _terms(3, None, 20 + k))
        for k in range(5)
    ]
    assert dropped.count(None) >= 4
    assert choose_channel_path(_terms(400, map_, 0), RidgeTerms(S, H), RidgeTerms(S, H)) is None


def test_samples_split_by_channel_and_refuse_without_channels() -> None:
    samples = RidgeSamples(
        torch.arange(12.0).reshape(6, 2), torch.zeros(6, 1), torch.ones(6), torch.arange(3).repeat(2)
    )
    one = samples.of_channel(1)
    assert one.context[:, 0].tolist() == [2.0, 8.0] and one.channel.tolist() == [1, 1]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="do not say their channels"):
        RidgeSamples(samples.context, samples.target, samples.weight).of_channel(0)


def _model(channels: int, span: int = 8, horizon: int = 4) -> MoesaicForecastModel:
    spec = ForecastSpec(context_length=32, horizon=horizon, quantiles=(0.1, 0.5, 0.9), num_channels=channels)
    config = MoesaicForecastConfig(
        dim=8, num_layers=1, num_heads=2, patch_len=8, expert_hidden=8, channel_span=span
    )
    return MoesaicForecastModel(spec, config)


def test_a_correction_moves_only_its_own_channel_and_every_quantile_alike() -> None:
    from moesaic.data.forecast_windows import make_forecast_batch

    torch.manual_seed(0)
    model = _model(3).eval()
    model.set_stage("ridge")
    batch = make_forecast_batch(np.random.default_rng(0).standard_normal((2, 32, 3)).astype(np.float32))
    before = model.forecast(batch)
    model.set_channel_paths([None, ChannelPath(torch.zeros(4, 8), torch.ones(4), 1.0, 8), None])
    after = model.forecast(batch)
    shift = after - before  # (B, H, C, Q) on the standardised scale: RevIN std times 1
    assert torch.allclose(shift[:, :, [0, 2]], torch.zeros(()))
    assert (shift[:, :, 1] > 0).all() and torch.allclose(
        shift[:, :, 1], shift[:, :, 1, :1].expand_as(shift[:, :, 1])
    )
    with pytest.raises(ValueError, match="expected 3 channel paths"):
        model.set_channel_paths([None])


def test_one_channel_a_zero_span_or_too_many_weights_leave_the_corrections_out() -> None:
    assert _model(1).channel_weight is None and _model(3, span=0).channel_weight is None
    assert _model(3).channel_weight.shape == (3, 4, 8)  # type: ignore[union-attr]
    wide = CHANNEL_PATH_BUDGET // (4 * 9) + 1  # channels x 4 steps x (8 + 1) over the budget
    assert _model(wide).channel_weight is None
    with pytest.raises(ValueError, match="no channel corrections"):
        _model(1).set_channel_paths([None])
    with pytest.raises(ConfigError, match="channel_span"):
        MoesaicForecastConfig(channel_span=-1)


def _config(span: int) -> ForecastConfig:
    overrides = [
        "moesaic.dim=8", "moesaic.num_layers=1", "moesaic.num_heads=2", "moesaic.patch_len=8",
        "moesaic.expert_hidden=8", "moesaic.stage_steps=4", "moesaic.stages=ridge",
        f"moesaic.channel_span={span}", "train.max_steps=4", "train.warmup_steps=0",
        "train.eval_every=2", "train.num_threads=1", "train.batch_size=8", "predict_batch_size=16",
    ]  # fmt: skip
    return apply_overrides(ForecastConfig(context_length=32, horizon=H), overrides)


def two_dynamics(n: int, seed: int) -> np.ndarray:
    """Two channels alike (a slow AR(1)) and one that oscillates (an AR(2) of period about 6):
    one shared linear map cannot forecast both kinds well."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3))
    for t in range(2, n):
        x[t, :2] = 0.95 * x[t - 1, :2] + rng.standard_normal(2)
        x[t, 2] = 1.0 * x[t - 1, 2] - 0.9 * x[t - 2, 2] + rng.standard_normal()
    return x.astype(np.float32)


def test_the_ridge_stage_corrects_the_channel_the_shared_path_misses() -> None:
    series, test = two_dynamics(1500, 0), two_dynamics(600, 1)
    errors = {}
    for span in (0, 16):
        torch.manual_seed(0)
        forecaster = Forecaster(_config(span)).fit(series)
        windows = np.stack([test[i : i + 32] for i in range(0, 560, 4)])
        truth = np.stack([test[i + 32 : i + 32 + H] for i in range(0, 560, 4)])
        median = forecaster.predict(windows).quantiles[..., forecaster.spec_.quantiles.index(0.5)]
        errors[span] = float(((median - truth) ** 2)[..., 2].mean())
        if span:
            assert forecaster.channel_terms_ is not None and len(forecaster.channel_terms_[0]) == 3
            weight = forecaster.model_.channel_weight  # type: ignore[union-attr]
            assert float(weight[2].abs().sum()) > 0
        else:
            assert forecaster.channel_terms_ is None
    assert errors[16] < 0.9 * errors[0]
