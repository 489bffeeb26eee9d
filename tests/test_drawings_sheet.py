"""Sheets with small or large print: resized before reading, every position put back on the sheet as given."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from moesaic.drawings.ocr import RapidOCREngine
from moesaic.drawings.sheet import LARGE_TEXT, MAX_FACTOR, SMALL_TEXT, TEXT_TARGET, reading_scale, resize
from moesaic.drawings.text import TextItem, box_quad


def test_print_of_the_usual_size_is_read_as_it_is() -> None:
    assert reading_scale([22.0, 25.0, 27.0, 31.0, 40.0, 41.0]) == 1.0
    assert reading_scale([SMALL_TEXT] * 8) == 1.0
    assert reading_scale([LARGE_TEXT] * 8) == 1.0


def test_small_or_large_print_is_resized_until_its_shorter_quarter_reaches_the_target() -> None:
    heights = [12.0, 12.0, 12.0, 12.0, 20.0, 20.0, 20.0, 20.0]  # 25th percentile: 12
    assert reading_scale(heights) == pytest.approx(TEXT_TARGET / 12.0)
    assert reading_scale([44.0] * 6 + [80.0] * 2) == pytest.approx(TEXT_TARGET / 44.0)
    assert reading_scale([1.0] * 10) == MAX_FACTOR


def test_too_few_lines_tell_nothing_about_the_print() -> None:
    assert reading_scale([8.0, 9.0]) == 1.0
    assert reading_scale([]) == 1.0


@pytest.mark.parametrize("factor", [2.5, 0.5])
def test_positions_read_on_a_resized_sheet_land_back_on_the_sheet(factor: float) -> None:
    image = np.full((700, 1000), 255, np.uint8)
    image[200:260, 100:300] = 0
    resized = resize(image, factor)
    assert resized.image.shape == (round(700 * factor), round(1000 * factor))
    assert resized.image[int(230 * factor), int(200 * factor)] < 64  # the ink moved with the sheet
    on_resized = box_quad(*(v * factor for v in (100, 200, 300, 260)))
    (back,) = resized.to_sheet([TextItem("25", on_resized, 0.9, 90.0)])
    assert np.allclose(back.quad, box_quad(100, 200, 300, 260))
    assert (back.text, back.score, back.angle) == ("25", 0.9, 90.0)


def test_a_factor_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        resize(np.zeros((10, 10), np.uint8), 0.0)


class _Recorder(RapidOCREngine):
    """The engine with its detector and recogniser replaced: lines of a fixed height per sheet width."""

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        self.seen.append(image.shape)  # type: ignore[attr-defined]
        height = {1000: 10.0, 3300: 66.0}.get(image.shape[1], 22.0)
        box = np.array([[0, 0], [200, 0], [200, height], [0, height]], np.float32)
        return [box + 50 * k for k in range(6)]

    def _read_lines(self, image: np.ndarray, quads: Sequence[np.ndarray]) -> list[TextItem]:
        return [TextItem("12", tuple(map(tuple, q)), 0.99) for q in quads]  # type: ignore[arg-type]


@pytest.mark.parametrize("rescale", [True, False])
@pytest.mark.parametrize(("width", "line"), [(1000, 10.0), (3300, 66.0)])
def test_the_engine_reads_small_or_large_print_resized_and_reports_it_where_it_lies(
    rescale: bool, width: int, line: float
) -> None:
    engine = _Recorder(rescale=rescale)
    engine.seen = []  # type: ignore[attr-defined]
    items = engine.read(np.full((700, width), 255, np.uint8))
    factor = TEXT_TARGET / line
    if rescale:
        assert engine.seen == [(700, width), (round(700 * factor), round(width * factor))]  # type: ignore[attr-defined]
        # read on the resized copy (lines 22 pixels tall there), put back at the sheet's size
        assert items[0].height == pytest.approx(22.0 / factor, rel=1e-2)
    else:
        assert engine.seen == [(700, width)]  # type: ignore[attr-defined]
        assert items[0].height == pytest.approx(line)
