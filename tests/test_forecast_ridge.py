"""The forecast head's linear path in closed form: the weighted ridge solution and the "ridge" stage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from moesaic.config import apply_overrides
from moesaic.heads.ridge import (
    ALPHAS,
    DEFAULT_ALPHA,
    MAX_ALPHA,
    STUDY_ALPHAS,
    RidgeSamples,
    RidgeTerms,
    cross_half_errors,
    fit_ridge,
)
from moesaic.tasks.forecast import ForecastConfig, Forecaster

L, H = 32, 8


def validation_errors(weight: torch.Tensor, bias: torch.Tensor, val: list[RidgeSamples]) -> torch.Tensor:
    """(H,) mean squared error of each horizon step over the samples themselves (the reference
    :meth:`RidgeTerms.errors` must agree with)."""
    total, count = torch.zeros(weight.shape[0], dtype=torch.float64), 0
    for s in val:
        error = (s.context @ weight.T + bias - s.target) ** 2 * s.weight[:, None]  # (N, H)
        total += error.double().sum(dim=0)
        count += len(error)
    return total / max(count, 1)


def validation_error(weight: torch.Tensor, bias: torch.Tensor, val: list[RidgeSamples]) -> float:
    return float(validation_errors(weight, bias, val).mean())


def _samples(n: int, weight: torch.Tensor | None = None, seed: int = 0) -> tuple[RidgeSamples, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    true = torch.randn(H, L, generator=g)
    x = torch.randn(n, L, generator=g)
    y = x @ true.T + 0.5
    return RidgeSamples(x, y, torch.ones(n) if weight is None else weight), true


def test_without_noise_the_solution_is_the_generating_map() -> None:
    samples, true = _samples(400)
    terms = RidgeTerms(L, H)
    terms.add(
        samples._replace(
            context=samples.context[:150], target=samples.target[:150], weight=samples.weight[:150]
        )
    )
    terms.add(
        samples._replace(
            context=samples.context[150:], target=samples.target[150:], weight=samples.weight[150:]
        )
    )
    weight, bias = terms.solve(1e-8)
    assert terms.count == 400
    torch.testing.assert_close(weight, true, atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(bias, torch.full((H,), 0.5), atol=1e-3, rtol=1e-3)


def test_a_sample_of_weight_zero_changes_nothing() -> None:
    samples, _ = _samples(200)
    wild = RidgeSamples(torch.randn(5, L), 100 * torch.randn(5, H), torch.zeros(5))
    clean, polluted = RidgeTerms(L, H), RidgeTerms(L, H)
    clean.add(samples)
    polluted.add(samples)
    polluted.add(wild)
    torch.testing.assert_close(clean.solve(0.1)[0], polluted.solve(0.1)[0])


def test_the_terms_give_the_errors_the_samples_give() -> None:
    samples, _ = _samples(300)
    terms = RidgeTerms(L, H)
    terms.add(samples)
    val = [_samples(70, seed=s, weight=torch.rand(70) + 0.5)[0] for s in (1, 2)]
    weight, bias = terms.solve(0.3, span=L // 2)
    expected = validation_errors(weight, bias, val)
    torch.testing.assert_close(RidgeTerms.of(val, L, H).errors(weight, bias), expected, rtol=1e-6, atol=1e-9)
    by_terms, by_samples = fit_ridge(terms, RidgeTerms.of(val, L, H)), fit_ridge(terms, val)
    assert (by_terms.span, by_terms.alpha) == (by_samples.span, by_samples.alpha)


def test_the_penalty_with_the_lowest_validation_error_is_kept() -> None:
    samples, _ = _samples(60)  # few samples for L = 32: a penalty helps on new ones
    noisy = samples._replace(
        target=samples.target + 3 * torch.randn(60, H, generator=torch.Generator().manual_seed(1))
    )
    terms = RidgeTerms(L, H)
    terms.add(noisy)
    val, _ = _samples(200, seed=0)
    fit = fit_ridge(terms, [val], alphas=(1e-6, 1.0, 1e3))
    table = torch.stack(list(fit.scores.values()))  # (keys, H)
    chosen = torch.stack([fit.scores[key][h] for h, key in enumerate(zip(fit.span, fit.alpha, strict=True))])
    torch.testing.assert_close(chosen, table.min(dim=0).values)
    torch.testing.assert_close(validation_errors(fit.weight, fit.bias, [val]), chosen, rtol=1e-5, atol=1e-8)
    assert validation_error(fit.weight, fit.bias, [val]) <= float(table.mean(dim=1).min()) + 1e-6
    assert set(fit.alpha) <= {1e-6, 1.0, 1e3} and set(fit.alpha) != {1e-6}  # the noise wants shrinkage
    unvalidated = fit_ridge(terms, [])
    assert unvalidated.alpha == (DEFAULT_ALPHA,) * H and unvalidated.span == (L,) * H
    assert not unvalidated.scores
    with pytest.raises(ValueError, match="no training window has every horizon step observed"):
        fit_ridge(RidgeTerms(L, H), [val])


def test_a_best_penalty_at_the_top_of_the_grid_sends_the_grid_on_up() -> None:
    g = torch.Generator().manual_seed(2)
    # the future has nothing to do with the past: the more shrinkage the better, past the grid
    noise = RidgeSamples(torch.randn(80, L, generator=g), torch.randn(80, H, generator=g), torch.ones(80))
    val = RidgeSamples(torch.randn(400, L, generator=g), torch.randn(400, H, generator=g), torch.ones(400))
    terms = RidgeTerms(L, H)
    terms.add(noise)
    fit = fit_ridge(terms, [val])
    assert sum(a > max(ALPHAS) for a in fit.alpha) > H // 2  # most steps want more shrinkage than the grid's
    assert max(alpha for _, alpha in fit.scores) <= MAX_ALPHA
    lowest = torch.stack(list(fit.scores.values())).min(dim=0).values
    for h, key in enumerate(zip(fit.span, fit.alpha, strict=True)):
        assert fit.scores[key][h] == lowest[h]
    # a best penalty inside the grid tries nothing more
    samples, _ = _samples(400)
    clean = RidgeTerms(L, H)
    clean.add(samples)
    inside = fit_ridge(clean, [_samples(100, seed=0)[0]])
    assert max(inside.alpha) < max(ALPHAS)
    assert set(inside.scores) == {(s, a) for s in (L, L // 2) for a in ALPHAS}
    assert inside.span == (L,) * H  # the generating map reads every step


def test_a_span_reads_the_latest_steps_alone_as_a_fit_on_them_would() -> None:
    samples, _ = _samples(300)
    terms, short = RidgeTerms(L, H), RidgeTerms(L // 2, H)
    terms.add(samples)
    short.add(samples._replace(context=samples.context[:, L // 2 :]))
    weight, bias = terms.solve(0.1, span=L // 2)
    expected_weight, expected_bias = short.solve(0.1)
    assert float(weight[:, : L // 2].abs().sum()) == 0
    torch.testing.assert_close(weight[:, L // 2 :], expected_weight)
    torch.testing.assert_close(bias, expected_bias)
    assert terms.spans() == [L, L // 2] and RidgeTerms(200, H).spans() == [200, 100, 50, 25]
    with pytest.raises(ValueError, match=r"`span` must be in \[1, 32\], got 33"):
        terms.solve(0.1, span=L + 1)


def test_a_future_that_only_the_latest_steps_tell_is_fitted_on_them() -> None:
    g = torch.Generator().manual_seed(3)
    mix = torch.randn(H, 4, generator=g)

    def draw(n: int) -> RidgeSamples:
        x = torch.randn(n, L, generator=g)
        return RidgeSamples(x, x[:, -4:] @ mix.T + 0.3 * torch.randn(n, H, generator=g), torch.ones(n))

    terms = RidgeTerms(L, H)
    terms.add(draw(45))  # few windows: the 16 old steps only add ways to fit the noise
    fit = fit_ridge(terms, [draw(500)], alphas=(1e-4,))
    assert fit.span == (L // 2,) * H and bool((fit.scores[L // 2, 1e-4] < fit.scores[L, 1e-4]).all())


def test_each_horizon_step_reads_the_span_that_tells_it() -> None:
    g = torch.Generator().manual_seed(4)
    mix = torch.randn(H // 2, 4, generator=g)

    def draw(n: int) -> RidgeSamples:
        x = torch.randn(n, L, generator=g)
        near = x[:, -4:] @ mix.T  # the first half of the horizon: the latest steps tell it
        far = x[:, :4] @ mix.T  # the second half: the oldest steps, outside the shorter span
        noise = 0.3 * torch.randn(n, H, generator=g)
        return RidgeSamples(x, torch.cat([near, far], 1) + noise, torch.ones(n))

    terms = RidgeTerms(L, H)
    terms.add(draw(45))
    val = draw(500)
    fit = fit_ridge(terms, [val], alphas=(1e-4,))
    assert fit.span == (L // 2,) * (H // 2) + (L,) * (H // 2)
    assert float(fit.weight[: H // 2, : L // 2].abs().sum()) == 0
    assert bool((fit.weight[H // 2 :, :4] != 0).all())
    one_span = min(float(fit.scores[span, 1e-4].mean()) for span in (L, L // 2))
    assert validation_error(fit.weight, fit.bias, [val]) < one_span


def test_the_terms_of_two_sets_add_up_to_the_terms_of_both() -> None:
    first, second = _samples(40, seed=1)[0], _samples(60, seed=2)[0]
    both, added = (
        RidgeTerms.of([first, second], L, H),
        RidgeTerms.of([first], L, H) + RidgeTerms.of([second], L, H),
    )
    for name in ("gram", "moment", "square"):
        torch.testing.assert_close(getattr(added, name), getattr(both, name))
    assert added.count == both.count == 100
    early, late = RidgeTerms.halves([first, second], L, H)  # 50 samples each: all of first and 10 of second
    assert (early.count, late.count) == (50, 50)
    torch.testing.assert_close((early + late).gram, both.gram)
    head = second._replace(context=second.context[:10], target=second.target[:10], weight=second.weight[:10])
    torch.testing.assert_close(early.moment, RidgeTerms.of([first, head], L, H).moment)
    with pytest.raises(ValueError, match="terms of different shapes"):
        RidgeTerms(L, H) + RidgeTerms(L, H + 1)


def _near_and_far(g: torch.Generator, n: int) -> RidgeSamples:
    """The first half of the horizon told by the latest 4 context steps, the second by the oldest 4."""
    mix = torch.ones(H // 2, 4)
    x = torch.randn(n, L, generator=g)
    target = torch.cat([x[:, -4:] @ mix.T, x[:, :4] @ mix.T], 1) + 0.3 * torch.randn(n, H, generator=g)
    return RidgeSamples(x, target, torch.ones(n))


def test_the_cross_half_study_scores_each_choice_on_the_half_it_did_not_see() -> None:
    g = torch.Generator().manual_seed(4)
    terms, first, second = (RidgeTerms.of([_near_and_far(g, n)], L, H) for n in (45, 300, 300))
    study = cross_half_errors(terms, first, second, blocks=(1, 2, H))
    # one pair for every step, by hand: the pair best on one half, scored on the other
    pairs = [(span, alpha) for span in terms.spans() for alpha in STUDY_ALPHAS]
    on_first = [float(first.errors(*terms.solve(a, s)).mean()) for s, a in pairs]
    on_second = [float(second.errors(*terms.solve(a, s)).mean()) for s, a in pairs]
    expected = (on_second[int(np.argmin(on_first))] + on_first[int(np.argmin(on_second))]) / 2
    assert study[1] == pytest.approx(expected, rel=1e-9)
    # the near half wants the short span, the far half the whole context: one pair cannot serve both
    assert study[2] < 0.9 * study[1] and study[H] < 0.9 * study[1]
    with pytest.raises(ValueError, match="both halves"):
        cross_half_errors(terms, first, RidgeTerms(L, H), blocks=(1,))
    with pytest.raises(ValueError, match=r"`blocks` must lie in \[1, 8\]"):
        cross_half_errors(terms, first, second, blocks=(0,))


@pytest.fixture
def series() -> np.ndarray:
    t = np.arange(300)
    values = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 12), 0.01 * t], axis=-1)
    return (values + 0.1 * np.random.default_rng(0).standard_normal((300, 3))).astype(np.float32)


def _config(stages: str) -> ForecastConfig:
    overrides = [
        "moesaic.dim=8", "moesaic.num_layers=1", "moesaic.num_heads=2", "moesaic.patch_len=8",
        "moesaic.expert_hidden=8", "moesaic.stage_steps=4", f"moesaic.stages={stages}",
        "train.max_steps=4", "train.warmup_steps=0", "train.eval_every=2", "train.num_threads=1",
        "train.batch_size=8", "predict_batch_size=16",
    ]  # fmt: skip
    return apply_overrides(ForecastConfig(context_length=L, horizon=H), overrides)


def test_the_ridge_stage_sets_the_linear_path_and_trains_only_the_spreads(series: np.ndarray) -> None:
    torch.manual_seed(0)
    forecaster = Forecaster(_config("ridge,blocks")).fit(series)
    assert [s.stage for s in forecaster.stages_] == ["ridge", "blocks"] and forecaster.stages_[0].kept
    head = forecaster.model_.head  # type: ignore[union-attr]
    assert head.skip.weight.abs().sum() > 0
    assert all(float(p.abs().sum()) == 0 for p in head.periodic.parameters())
    model = forecaster.model_
    model.set_stage("ridge")  # type: ignore[operator]
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("head.spread.") for n in trainable)
    out = forecaster.predict(series[-L:])
    assert np.isfinite(out.quantiles).all() and (np.diff(out.quantiles, axis=-1) >= 0).all()


def test_the_ridge_stage_keeps_its_terms_with_the_validation_windows_in_two_halves(
    series: np.ndarray,
) -> None:
    torch.manual_seed(0)
    forecaster = Forecaster(_config("ridge")).fit(series)
    assert forecaster.ridge_terms_ is not None
    train, first, second = forecaster.ridge_terms_
    assert train.count > 0 and first.count > 0 and second.count - first.count in (0, 1)
    study = cross_half_errors(train, first, second, blocks=(1, H))
    assert set(study) == {1, H} and all(np.isfinite(v) and v > 0 for v in study.values())
    assert Forecaster(_config("linear")).fit(series).ridge_terms_ is None


def test_a_ridge_path_forecasts_a_clean_season_better_than_nothing(series: np.ndarray) -> None:
    torch.manual_seed(0)
    forecaster = Forecaster(_config("ridge")).fit(series[:240])
    median = forecaster.predict(series[240 - L : 240]).quantiles[..., 4]  # (H, C)
    error = float(((median - series[240 : 240 + H]) ** 2)[:, :2].mean())
    assert error < 0.1  # the seasons' variance is 0.5: the solved path reads them


def test_windows_with_an_unobserved_horizon_step_are_left_out_of_the_solution(series: np.ndarray) -> None:
    gappy = series.copy()
    gappy[100:110, 0] = np.nan
    torch.manual_seed(0)
    forecaster = Forecaster(_config("ridge")).fit(gappy)
    assert forecaster.stages_[0].kept and np.isfinite(forecaster.predict(gappy[-L:]).quantiles).all()
