"""Sheets with small print: enlarged before reading, every position put back on the sheet as given."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from moesaic.drawings.ocr import RapidOCREngine
from moesaic.drawings.sheet import MAX_FACTOR, SMALL_TEXT, TEXT_TARGET, enlarge, enlargement
from moesaic.drawings.text import TextItem, box_quad


def test_print_of_the_usual_size_is_read_as_it_is() -> None:
    assert enlargement([22.0, 25.0, 30.0, 31.0, 40.0, 41.0]) == 1.0
    assert enlargement([SMALL_TEXT] * 8) == 1.0


def test_small_print_is_enlarged_until_its_shorter_quarter_reaches_the_target() -> None:
    heights = [12.0, 12.0, 12.0, 12.0, 20.0, 20.0, 20.0, 20.0]  # 25th percentile: 12
    assert enlargement(heights) == pytest.approx(TEXT_TARGET / 12.0)
    assert enlargement([1.0] * 10) == MAX_FACTOR


def test_too_few_lines_tell_nothing_about_the_print() -> None:
    assert enlargement([8.0, 9.0]) == 1.0
    assert enlargement([]) == 1.0


def test_positions_read_on_an_enlarged_sheet_land_back_on_the_sheet() -> None:
    image = np.full((700, 1000), 255, np.uint8)
    image[200:260, 100:300] = 0
    enlarged = enlarge(image, 2.5)
    assert enlarged.image.shape == (1750, 2500)
    assert enlarged.image[int(230 * 2.5), int(200 * 2.5)] < 64  # the ink moved with the sheet
    (back,) = enlarged.to_sheet([TextItem("25", box_quad(250, 500, 750, 650), 0.9, 90.0)])
    assert np.allclose(back.quad, box_quad(100, 200, 300, 260))
    assert (back.text, back.score, back.angle) == ("25", 0.9, 90.0)
    with pytest.raises(ValueError, match="above 1"):
        enlarge(image, 1.0)


class _Recorder(RapidOCREngine):
    """The engine with its detector and recogniser replaced: lines of a fixed height per sheet size."""

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        self.seen.append(image.shape)  # type: ignore[attr-defined]
        height = 10.0 if image.shape[1] == 1000 else 22.0
        return [np.array([[0, 0], [60, 0], [60, height], [0, height]], np.float32) + 50 * k for k in range(6)]

    def _read_lines(self, image: np.ndarray, quads: Sequence[np.ndarray]) -> list[TextItem]:
        return [TextItem("12", tuple(map(tuple, q)), 0.99) for q in quads]  # type: ignore[arg-type]


@pytest.mark.parametrize("enlarge_small", [True, False])
def test_the_engine_reads_small_print_enlarged_and_reports_it_where_it_lies(enlarge_small: bool) -> None:
    engine = _Recorder(enlarge_small=enlarge_small)
    engine.seen = []  # type: ignore[attr-defined]
    items = engine.read(np.full((700, 1000), 255, np.uint8))
    factor = TEXT_TARGET / 10.0
    if enlarge_small:
        assert engine.seen == [(700, 1000), (round(700 * factor), round(1000 * factor))]  # type: ignore[attr-defined]
        # read on the enlarged copy (lines 22 pixels tall there), put back at a factor-th of that
        assert items[0].height == pytest.approx(22.0 / factor, rel=1e-3)
    else:
        assert engine.seen == [(700, 1000)]  # type: ignore[attr-defined]
        assert items[0].height == pytest.approx(10.0)
