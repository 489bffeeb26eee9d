"""Title-block labels of several words written "LABEL: value" on one line, from a user walkthrough:
"DRAWN BY: J. NOVAK" was never read, so every check of such a sheet failed."""

from __future__ import annotations

import pytest

from moesaic.drawings.labels import label_of
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.titleblock import read_title_block


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


def _inline_cells(*lines: str, x: int = 1385, y: int = 1350, step: int = 52) -> list[TextItem]:
    """A column of title-block cells, each "LABEL: value" on one line (the lines rapidocr gave)."""
    return [
        _item(text, x, y + i * step, x + 14 * len(text), y + i * step + 31) for i, text in enumerate(lines)
    ]


@pytest.mark.parametrize(
    "drawn", ["DRAWN BY: J. NOVAK", "DRAWN BY J. NOVAK", "DRAWN: J. NOVAK", "Drawn by: J. Novak"]
)
def test_a_drawn_by_cell_with_its_value_on_its_line_is_read(drawn: str) -> None:
    items = _inline_cells("TITLE: DRIVE SHAFT", "MATERIAL: 42CrMo4", "REV: C", drawn, "CHECKED BY: M. ROSS")
    fields = read_title_block(items, width=2339, height=1654).fields
    assert fields["drawn_by"].value.upper() == "J. NOVAK"
    assert fields["revision"].value == "C"


@pytest.mark.parametrize(
    ("line", "field", "rest"),
    [
        ("GENERAL TOLERANCE: ISO 2768-m", "general_tolerance", ": ISO 2768-m"),
        ("DRAWN BY: NOVAK", "drawn_by", ": NOVAK"),
        ("Gezeichnet von M. Huber", "drawn_by", ": M. Huber"),
        ("MATERIAL SPEC: C45", "material", ": C45"),
        ("SHEET NO: 1 OF 1", "sheet", ": 1 OF 1"),
        ("SHEET REV: C", "sheet", " REV: C"),  # two cells OCR joined: REV is a label of its own
        ("CHECKED BY: M. ROSS", "", " BY: M. ROSS"),  # never a value
    ],
)
def test_the_words_of_a_label_up_to_its_colon_are_the_label(line: str, field: str, rest: str) -> None:
    assert label_of(line) == (field, rest)


@pytest.mark.parametrize(
    "scale", ["SCALE: NTS", "SCALE: N.T.S.", "SCALE NTS", "SCALE: NOT TO SCALE", "SCALE: NONE"]
)
def test_a_sheet_not_to_scale_states_its_scale(scale: str) -> None:
    """A P&ID's "NTS" is a stated scale: none (a user saw "scale ?" and a missing-field error)."""
    items = _inline_cells("TITLE: GLUE SYSTEM P&ID", scale, "DRAWN BY: S. DUBOIS")
    assert read_title_block(items, width=2339, height=1654).fields["scale"].value == scale.split(" ", 1)[
        1
    ].lstrip(": ")


def test_a_not_to_scale_line_outside_the_cells_is_the_scale_but_do_not_scale_is_not() -> None:
    cells = _inline_cells("TITLE: GLUE SYSTEM P&ID", "DRAWN BY: S. DUBOIS")
    note = _item("NOT TO SCALE", 100, 1500, 300, 1530)
    assert read_title_block([*cells, note], width=2339, height=1654).fields["scale"].value == "NOT TO SCALE"
    note = _item("DO NOT SCALE DRAWING", 100, 1500, 300, 1530)
    assert "scale" not in read_title_block([*cells, note], width=2339, height=1654).fields
