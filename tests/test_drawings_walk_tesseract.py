"""The tesseract engine on clean sheets, from a user walkthrough: text boxed in by a title block's
ruled cells was not read at all, so no title block was found and the reason given was false."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.summary import summarize_image
from moesaic.drawings.tesseract import _cells, erase_rules


def test_ruled_lines_are_erased_and_the_text_they_box_in_is_kept() -> None:
    image = Image.new("L", (600, 300), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 580, 280], outline=0, width=3)  # a cell
    draw.line([20, 150, 580, 150], fill=0, width=2)  # a row border
    draw.text((40, 60), "TITLE: DRIVE SHAFT", fill=0, font=ImageFont.load_default(size=24))
    sheet = np.asarray(image)
    erased = erase_rules(sheet)
    assert (erased[148:153, 30:570] > 128).all() and (erased[18:24, 30:570] > 128).all()
    text = (slice(55, 95), slice(35, 320))
    assert (erased[text] < 128).sum() >= 0.9 * (sheet[text] < 128).sum()


def test_a_blank_sheet_is_left_as_it_is() -> None:
    blank = np.full((50, 80), 250, dtype=np.uint8)
    assert erase_rules(blank) is blank


def test_words_of_one_line_far_apart_are_two_cells() -> None:
    words = [("TITLE:", 0.9, (10, 10, 70, 26)), ("SHAFT", 0.9, (78, 10, 140, 26)),
             ("DRAWING", 0.9, (400, 10, 480, 26)), ("NO:", 0.9, (488, 10, 520, 26))]  # fmt: skip
    assert [c["words"] for c in _cells(words)] == [["TITLE:", "SHAFT"], ["DRAWING", "NO:"]]
    assert _cells(words)[1]["box"] == [400, 10, 520, 26]


def test_parts_list_rows_in_tight_boxes_are_one_table() -> None:
    """Tesseract's boxes hug the glyphs: rows 40 px apart hold text 16 px tall."""
    items = [TextItem(t, box_quad(x, 300, x + 9 * len(t), 316), 0.9) for t, x in
             (("ITEM", 500), ("PART NO", 560), ("QTY", 760))]  # fmt: skip
    for k, (number, qty) in enumerate((("PK-1", "1"), ("PK-2", "2"), ("PK-3", "2"), ("PK-4", "4"))):
        y = 340 + 40 * k + (k > 1)  # the rows' spacing varies by a pixel
        items += [
            TextItem(number, box_quad(560, y, 600, y + 16), 0.9),
            TextItem(qty, box_quad(765, y, 774, y + 16), 0.9),
        ]
    layout = read_layout(items, width=1000, height=700)
    assert [row.cells["part_number"] for row in layout.bom] == ["PK-1", "PK-2", "PK-3", "PK-4"]


class Unlabelled:
    name = "tesseract"

    def read(self, image: np.ndarray) -> list[TextItem]:
        return [TextItem("700", box_quad(100, 100, 140, 120), 0.9)]


def test_no_title_block_says_which_engine_read_no_label() -> None:
    image = np.full((700, 1000), 255, dtype=np.uint8)
    image[100:120, 100:140] = 0  # ink: a sheet, not a blank page
    sheet = summarize_image(image, engine=Unlabelled())  # type: ignore[arg-type]
    (warning,) = [w for w in sheet.warnings if w.startswith("no title block")]
    assert "tesseract read no field label" in warning and "--engine" in warning


def test_a_deviation_read_alone_is_flagged_as_a_possible_plus_minus() -> None:
    """Tesseract read "240 ±0.1" as "240 +0.1": kept as +0.1/0, but said to be doubtful."""
    image = np.full((700, 1000), 255, dtype=np.uint8)
    image[100:120, 100:140] = 0

    class Lone:
        name = "tesseract"

        def read(self, image: np.ndarray) -> list[TextItem]:
            return [
                TextItem("240 +0.1", box_quad(100, 100, 190, 120), 0.95),
                TextItem("⌀20 +0.1 0", box_quad(300, 100, 420, 120), 0.95),
            ]

    sheet = summarize_image(image, engine=Lone())  # type: ignore[arg-type]
    assert [(d.callout.upper, d.callout.lower, d.callout.lone_deviation) for d in sheet.dimensions] == [
        (0.1, 0.0, True),
        (0.1, 0.0, False),
    ]
    (warning,) = [w for w in sheet.warnings if w.startswith("one deviation read alone")]
    assert "240 +0.1" in warning and "⌀20" not in warning
