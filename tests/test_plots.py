"""The figures of moesaic.reports.plots: spans of a mask, and that each figure renders."""

from __future__ import annotations

import numpy as np

from moesaic.reports.plots import detection_figure, figure_png, forecast_figure, mask_spans
from moesaic.tasks.detectors_pipeline import Detection
from moesaic.tasks.forecast_config import QuantileForecast


def test_mask_spans_gives_the_first_and_last_time_of_each_run() -> None:
    time = np.arange(10) * 10
    mask = np.array([1, 1, 0, 0, 1, 0, 0, 1, 1, 1], dtype=bool)
    assert mask_spans(time, mask) == [(0, 10), (40, 40), (70, 90)]
    assert mask_spans(time, np.zeros(10, dtype=bool)) == []


def test_band_takes_the_levels_nearest_those_asked_for() -> None:
    quantiles = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)  # (H, C, Q)
    forecast = QuantileForecast(quantiles[..., 1], quantiles, (0.05, 0.5, 0.8, 0.95))
    lower, upper, levels = forecast.band(0.1, 0.9)
    assert levels == (0.05, 0.95)
    np.testing.assert_array_equal(lower, quantiles[..., 0])
    np.testing.assert_array_equal(upper, quantiles[..., 3])


def test_figures_render_to_png_with_one_channel_and_with_many() -> None:
    rng = np.random.default_rng(0)
    time = np.arange(50)
    for channels in (1, 5):
        values = rng.standard_normal((50, channels))
        names = tuple(f"c{i}" for i in range(channels))
        alarm = np.zeros(50, dtype=bool)
        alarm[30:35] = True
        detection = Detection(np.abs(values).sum(1), alarm, np.abs(values), 2.0, names)
        png = figure_png(
            detection_figure(time, values, detection, calibrated_rows=20, title="t", spans=[(40, 45)])
        )
        assert png.startswith(b"\x89PNG")
        future = np.arange(50, 60)
        median = np.zeros((10, channels))
        figure = forecast_figure(
            time, values, future, median, (median - 1, median + 1), names=names, title="t"
        )
        assert len(figure.axes) == min(channels, 4)
        assert figure_png(figure).startswith(b"\x89PNG")


def test_a_gap_in_the_readings_draws_no_score() -> None:
    time = np.arange(40)
    values = np.ones((40, 2))
    values[10:20] = np.nan  # a gap: rows put in by the reader with no reading
    score = np.ones(40)
    score[10:20] = 0.0  # what a detector gives a row with nothing to score
    detection = Detection(score, np.zeros(40, dtype=bool), np.zeros((40, 2)), 2.0, ("a", "b"))
    figure = detection_figure(time, values, detection, calibrated_rows=5, title="t")
    drawn = figure.axes[0].lines[0].get_ydata()
    assert np.isnan(drawn[10:20]).all() and (drawn[:10] == 1.0).all()
