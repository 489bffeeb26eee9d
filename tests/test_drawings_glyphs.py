"""Glyph rules for drawing text: the diameter sign, stacked deviations, reference marks, detection."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.glyphs import (
    diameter_glyph,
    is_slashed_ring,
    read_parts,
    restore_diameter,
    stacked_split,
)
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import RapidOCREngine, TextItem, box_quad
from moesaic.drawings.symbols import normalize_callout


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _thin_diameter(draw: ImageDraw.ImageDraw, x: int, y: int, d: int) -> None:
    """A thin ring with a slash from lower left to upper right, overshooting it."""
    draw.ellipse([x, y, x + d, y + d], outline=0, width=2)
    draw.line([x - 3, y + d + 5, x + d + 3, y - 5], fill=0, width=2)


def _line(
    text: str, *, diameter: int = 0, rule: bool = False, size: tuple[int, int] = (200, 64)
) -> np.ndarray:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    x = 10
    if diameter:
        _thin_diameter(draw, x, 16, diameter)
        x += diameter + 10
    draw.text((x, 10), text, fill=0, font=_font(36))
    if rule:  # a dimension line under the text, touched by the slash
        draw.line([0, 16 + diameter + 5, size[0], 16 + diameter + 5], fill=0, width=2)
    return np.asarray(image)


def _glyph(draw_fn: object) -> np.ndarray:
    image = Image.new("L", (40, 40), 255)
    draw_fn(ImageDraw.Draw(image))  # type: ignore[operator]
    return np.asarray(image) < 128


def test_a_thin_ring_cut_by_its_slash_is_a_diameter_sign_and_an_eight_is_not() -> None:
    ring = _glyph(
        lambda d: (d.ellipse([4, 8, 30, 34], outline=0, width=2), d.line([2, 38, 32, 2], fill=0, width=2))
    )
    ys, xs = np.nonzero(ring)
    assert is_slashed_ring(ring[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    eight = _glyph(
        lambda d: (
            d.ellipse([10, 2, 28, 18], outline=0, width=2),
            d.ellipse([8, 17, 30, 37], outline=0, width=2),
        )
    )
    ys, xs = np.nonzero(eight)
    assert not is_slashed_ring(eight[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def test_diameter_glyph_finds_a_leading_ring_even_on_a_dimension_line() -> None:
    assert diameter_glyph(_line("60", diameter=26)) == pytest.approx(10 + 26 + 4, abs=3)
    assert diameter_glyph(_line("60", diameter=26, rule=True)) is not None
    assert diameter_glyph(_line("60")) is None
    # a ring much lower than the figures after it is the loop of a figure, not a sign
    assert diameter_glyph(_line("60", diameter=12)) is None


class FakeRecogniser:
    """Stands in for the recogniser: answers in turn, and keeps the crops it was given."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.crops: list[np.ndarray] = []

    def __call__(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        self.crops += list(crops)
        return [(self.answers.pop(0), 0.9) for _ in crops]


def test_a_diameter_sign_read_as_a_figure_is_replaced_by_reading_the_figures_again() -> None:
    crop = _line("60", diameter=26)
    recognise = FakeRecogniser("60")
    assert restore_diameter(crop, "860", recognise) == "⌀60"
    # the second reading saw the figures only: no ring in front of them
    assert diameter_glyph(recognise.crops[0]) is None and recognise.crops[0].shape[1] < crop.shape[1]
    assert restore_diameter(crop, "60") == "⌀60"  # without a recogniser the sign is put in front
    assert restore_diameter(_line("60"), "860", FakeRecogniser("60")) == "860"
    assert restore_diameter(crop, "A60", FakeRecogniser("60")) == "A60"  # a letter first: not a size


def _stacked(main: str, upper: str, lower: str) -> np.ndarray:
    width = max(240, 80 + int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(main, font=_font(40))))
    image = Image.new("L", (width, 70), 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 12), main, fill=0, font=_font(40))
    right = 12 + int(draw.textlength(main, font=_font(40)))
    draw.text((right, 8), upper, fill=0, font=_font(18))
    draw.text((right, 34), lower, fill=0, font=_font(18))
    return np.asarray(image)


def test_stacked_split_finds_two_rows_of_small_figures_after_the_main_text() -> None:
    crop = _stacked("16,5", "+0,1", "0")
    split = stacked_split(crop)
    assert split is not None
    assert 70 < split.x < 140 and 20 < split.y < 45
    assert split.lower_zero and not split.upper_zero
    assert stacked_split(_line("16,5 +0,1")) is None  # one line of figures


def test_read_parts_reads_a_stacked_deviation_row_by_row() -> None:
    crop = _stacked("16,5", "+0,1", "0")
    # the upper row lost its sign and reads a point for the comma; the zero needs no reading
    recognise = FakeRecogniser("16,5", "0.1")
    assert read_parts(crop, "16,5 *01", recognise) == "16,5 +0,1 0"
    assert len(recognise.crops) == 2
    both = _stacked("25", "-0,1", "-0,3")
    assert read_parts(both, "25 01", FakeRecogniser("25", "0,1", "0,3")) == "25 +0,1 -0,3"
    # a row that is no number: the line is kept as first read
    assert read_parts(crop, "16,5 *01", FakeRecogniser("16,5", "Ra")) == "16,5 *01"
    assert read_parts(crop, "SECTION", FakeRecogniser()) == "SECTION"  # no figure, not a callout
    # a part number whose last figure sits apart is no size with a deviation: kept as first read
    part = _stacked("CO-EC-200", "+0,1", "-0,2")
    assert stacked_split(part) is not None  # the ink looks stacked
    assert read_parts(part, "CO-EC-2002", FakeRecogniser("CO-EC-200", "0,1", "0,2")) == "CO-EC-2002"


def test_a_reference_dimension_in_parentheses_is_its_value_with_the_reference_flag() -> None:
    ref = parse_callout("(12,5)")
    assert ref is not None and ref.reference and ref.value_text == "12,5"
    item = TextItem("(12,5)", box_quad(100, 50, 160, 70), 0.99)
    (dim,) = read_layout([item], width=1000, height=800).dimensions
    assert dim.text == "12,5" and dim.box == (110, 50, 150, 70)
    assert parse_callout("12,5").value_text == "12,5"  # type: ignore[union-attr]


def test_a_letter_o_before_a_decimal_separator_is_a_zero() -> None:
    assert normalize_callout("2x RO,2") == "2xR0,2"
    assert normalize_callout("⌀O.5") == "⌀0.5"
    assert normalize_callout("ROD 0,5") == "ROD 0,5"


def test_a_piece_of_a_line_found_turned_gives_way_to_the_upright_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    height = 400

    def sheet_to_turned(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
        # a point (x, y) of the sheet is (u, v) = (H - 1 - y, x) on the sheet turned by 90°
        return np.array(
            [[height - 1 - y, x] for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], dtype=np.float32
        )

    upright = [np.array(box_quad(100, 100, 146, 137), dtype=np.float32)]  # "16", squarish
    turned = [sheet_to_turned(117, 109, 135, 126)]  # only its "6"

    def detect(self: RapidOCREngine, image: np.ndarray) -> list[np.ndarray]:
        return upright if image.shape[0] == height else turned

    monkeypatch.setattr(RapidOCREngine, "_detect_upright", detect)
    found = RapidOCREngine().detect(np.full((height, 300), 255, dtype=np.uint8))
    assert [tuple(int(v) for v in q.min(axis=0)) for q in found] == [(100, 100)]
    # a vertical line found turned still replaces the squarish piece of it found upright
    upright[:] = [np.array(box_quad(100, 100, 130, 125), dtype=np.float32)]
    turned[:] = [sheet_to_turned(100, 60, 130, 200)]
    found = RapidOCREngine().detect(np.full((height, 300), 255, dtype=np.uint8))
    assert [tuple(int(v) for v in q.min(axis=0)) for q in found] == [(100, 60)]


def test_a_re_reading_that_took_the_rings_slash_for_a_one_is_not_taken() -> None:
    crop = _line("55k5", diameter=26)
    assert restore_diameter(crop, "055k5", FakeRecogniser("155k5")) == "⌀55k5"
    assert restore_diameter(crop, "55k5", FakeRecogniser("155k5")) == "⌀55k5"


def test_a_value_in_degrees_is_never_given_a_diameter_sign() -> None:
    assert restore_diameter(_line("45°", diameter=26), "245°", FakeRecogniser("45°")) == "245°"


def test_a_ring_after_a_count_is_the_diameter_sign_of_the_repeated_hole() -> None:
    image = Image.new("L", (260, 64), 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "4x", fill=0, font=_font(36))
    x = 12 + int(draw.textlength("4x", font=_font(36)))
    _thin_diameter(draw, x, 16, 26)
    draw.text((x + 36, 10), "13.5", fill=0, font=_font(36))
    crop = np.asarray(image)
    recognise = FakeRecogniser("13.5")
    assert restore_diameter(crop, "4x13.5", recognise) == "4x⌀13.5"
    assert diameter_glyph(recognise.crops[0]) is None  # read again right of the ring only
    assert restore_diameter(_line("4x18"), "4x18", FakeRecogniser()) == "4x18"


def test_specks_under_a_figure_are_no_stacked_deviation() -> None:
    """A thin "2" whose diagonal breaks into specks: an upper piece and a flat bottom stroke."""
    image = Image.new("L", (200, 64), 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "6", fill=0, font=_font(36))
    right = 14 + int(draw.textlength("6", font=_font(36)))
    draw.ellipse([right, 18, right + 12, 32], outline=0, width=2)  # the bowl of the 2
    draw.line([right, 42, right + 14, 42], fill=0, width=2)  # its foot, cut off from the bowl
    assert stacked_split(np.asarray(image)) is None
    assert stacked_split(_stacked("16,5", "+0,1", "0")) is not None
