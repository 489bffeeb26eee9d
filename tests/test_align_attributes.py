"""Simulated series with known attributes: generator, captions, parsing, scoring, recomputation."""

from __future__ import annotations

import numpy as np
import pytest

from moesaic.align.attributes import (
    ANOMALIES,
    PERIODS,
    QUESTIONS,
    TEMPLATES,
    TRENDS,
    Attributes,
    Stated,
    answer,
    answer_correct,
    caption,
    format_change,
    generate,
    measure,
    parse_answer,
    parse_caption,
    score_caption,
    transform,
)


@pytest.fixture(scope="module")
def data() -> object:
    return generate(60, seed=5)


def _series(*, change: float = 0.0, period: int | None = None, spike: int | None = None,
            shift: int | None = None, length: int = 128, seed: int = 0) -> np.ndarray:  # fmt: skip
    i = np.arange(length)
    y = 3.0 + change * i / (length - 1) + 0.1 * np.random.default_rng(seed).standard_normal(length)
    if period is not None:
        y += np.sin(2 * np.pi * i / period)
    if spike is not None:
        y[spike] += 3.0
    if shift is not None:
        y[shift:] -= 2.0
    return y


def test_generate_is_seeded_and_draws_every_kind(data: object) -> None:
    again, other = generate(60, seed=5), generate(60, seed=6)
    assert data.series.shape == (60, 128) and data.series.dtype == np.float32
    np.testing.assert_array_equal(data.series, again.series)
    assert data.attributes == again.attributes
    assert not np.array_equal(data.series, other.series)
    assert {a.trend for a in data.attributes} == set(TRENDS)
    assert {a.anomaly for a in data.attributes} == set(ANOMALIES)
    for a in data.attributes:
        assert (a.trend == "flat") == (a.change == 0.0)
        assert a.period is None or a.period in PERIODS
        assert (a.position is None) == (a.anomaly == "none")
        assert a.position is None or 8 <= a.position < 120
        assert a.noise > 0


def test_generate_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="count"):
        generate(0, seed=0)
    with pytest.raises(ValueError, match="length"):
        generate(3, seed=0, length=32)


def test_measure_recovers_hand_built_series() -> None:
    m = measure(_series(change=2.0, period=16))
    assert (m.trend, m.period, m.anomaly, m.position) == ("up", 16, "none", None)
    assert m.change == pytest.approx(2.0, abs=0.15)
    assert m.noise == pytest.approx(0.1, rel=0.3)
    m = measure(_series(spike=40))
    assert (m.trend, m.period, m.anomaly, m.position) == ("flat", None, "spike", 40)
    m = measure(_series(change=-3.0, shift=70, period=24))
    assert (m.trend, m.period, m.anomaly) == ("down", 24, "shift")
    assert abs(m.position - 70) <= 1
    assert m.change == pytest.approx(-3.0, rel=0.1)


def test_measure_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        measure(np.zeros((2, 128)))
    with pytest.raises(ValueError, match="finite"):
        measure(np.full(128, np.nan))


def test_measure_agrees_with_the_truth_of_generated_series(data: object) -> None:
    for values, truth in zip(data.series, data.attributes, strict=True):
        m = measure(values)
        assert (m.trend, m.period, m.anomaly) == (truth.trend, truth.period, truth.anomaly)
        assert truth.position is None or abs(m.position - truth.position) <= 4


def test_caption_parse_round_trip_for_every_template(data: object) -> None:
    for a in data.attributes:
        for template in range(TEMPLATES):
            stated = parse_caption(caption(a, template=template))
            assert stated.trend == a.trend
            assert stated.seasonal == (a.period is not None) and stated.period == a.period
            assert stated.anomaly == a.anomaly and stated.position == a.position
            if a.trend == "flat":
                assert stated.change is None
            else:
                assert stated.change == pytest.approx(a.change, rel=0.07)


def test_caption_wording() -> None:
    a = Attributes("down", -12.34, None, "shift", 57, 0.1)
    assert caption(a) == "Downward trend, falling by 12; not seasonal; a level shift at step 57."
    b = Attributes("flat", 0.0, 16, "none", None, 0.1)
    assert caption(b, template=2) == "Trend: none. seasonality: period 16. anomaly: none."
    with pytest.raises(ValueError, match="template"):
        caption(a, template=TEMPLATES)
    assert [format_change(x) for x in (12.34, -3.46, 0.84)] == ["12", "3.5", "0.8"]


def test_parse_tolerates_variations_and_refuses_contradictions() -> None:
    text = "An increasing trend (up by 3.5 units), seasonal: period of 16 steps, and a Spike at index 57!"
    assert parse_caption(text) == Stated("up", 3.5, True, 16, "spike", 57)
    assert parse_caption("The series is flat, non-seasonal, with no anomaly.") == Stated(
        "flat", None, False, None, "none", None
    )
    contradiction = parse_caption("Upward then downward; a spike and a dip at step 3.")
    assert contradiction.trend is None and contradiction.anomaly is None and contradiction.position is None
    assert parse_caption("lorem ipsum") == Stated()


def test_score_true_caption_is_verified(data: object) -> None:
    for values, a in zip(data.series, data.attributes, strict=True):
        score = score_caption(caption(a), a, values)
        assert score.verified
        assert score.numbers_stated == (a.trend != "flat") + (a.period is not None) + (a.position is not None)


def test_score_marks_each_wrong_attribute_and_number() -> None:
    values = _series(change=2.0, period=16, spike=60)
    truth = Attributes("up", 2.0, 16, "spike", 60, 0.1)
    good = score_caption(
        "Upward trend, rising by 2.0; seasonal with period 16; a spike at step 63.", truth, values
    )
    assert good.verified and good.numbers_stated == 3
    off = score_caption(
        "Upward trend, rising by 2.0; seasonal with period 16; a spike at step 65.", truth, values
    )
    assert not off.anomaly_position and off.anomaly_type and off.numbers_recomputed == 2
    wrong_number = score_caption("Upward trend, rising by 4.0; seasonal with period 12; a spike at step 60.",
                                 truth, values)  # fmt: skip
    assert wrong_number.attributes and not wrong_number.verified and wrong_number.numbers_recomputed == 1
    wrong_kinds = score_caption("No trend; not seasonal; a dip at step 60.", truth, values)
    assert (wrong_kinds.trend, wrong_kinds.seasonality, wrong_kinds.anomaly_type) == (False, False, False)
    assert wrong_kinds.anomaly_position  # the position is right even if the kind is not
    nothing = score_caption("", truth, values)
    assert not any(nothing[:4]) and nothing.numbers_stated == 0


def test_answers_parse_and_score(data: object) -> None:
    for values, a in zip(data.series[:20], data.attributes[:20], strict=True):
        m = measure(values)
        for kind in QUESTIONS:
            assert answer_correct(answer(a, kind), kind, a, m)
    spiky = Attributes("flat", 0.0, None, "spike", 40, 0.1)
    m = measure(_series(spike=40))
    assert answer(spiky, "anomaly") == "Yes, a spike at step 40."
    assert not answer_correct("No.", "anomaly", spiky, m)
    assert answer_correct("No trend.", "trend", spiky, m)
    assert not answer_correct("Yes, period 16.", "seasonality", spiky, m)
    assert parse_answer("No.", "seasonality").seasonal is False
    with pytest.raises(ValueError, match="question kind"):
        parse_answer("No.", "colour")


def test_transform_keeps_attributes_recomputable(data: object) -> None:
    for values, a in zip(data.series[:30], data.attributes[:30], strict=True):
        for negate in (False, True):
            for reverse in (False, True):
                new, changed = transform(values, a, scale=2.0, offset=-1.0, negate=negate, reverse=reverse)
                assert new.shape == values.shape and new.dtype == np.float32
                assert score_caption(caption(changed), changed, new).verified
    up = Attributes("up", 2.0, None, "spike", 10, 0.1)
    _, both = transform(np.zeros(128), up, negate=True, reverse=True)
    assert (both.trend, both.change, both.anomaly, both.position) == ("up", 2.0, "dip", 117)
    with pytest.raises(ValueError, match="scale"):
        transform(np.zeros(128), up, scale=0.0)
