"""Parts lists from a user walkthrough: header cells OCR read as one line, a scan skewed by 3°,
and a table whose rows cannot be read, whose cells were counted as dimensions."""

from __future__ import annotations

import math

import pytest

from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad

ROWS = [("1", "PK-1044", "BRACKET", "1", "EN AW-6082"), ("2", "ISO4762-M10x30", "SCREW", "4", "8.8")]
COLUMNS = (500, 560, 760, 900, 960)  # item, part number, description, qty, material


def _item(text: str, x1: float, y1: float, x2: float, y2: float, skew: float = 0.0) -> TextItem:
    """A line of text; ``skew`` (radians) turns the sheet about its top-left corner, as a scan does."""
    t = math.tan(skew)
    quad = tuple((x - t * y, y + t * x) for x, y in box_quad(x1, y1, x2, y2))
    return TextItem(text, quad, 0.99, 0.0)  # type: ignore[arg-type]


def _sheet(header: list[tuple[str, int]], skew: float = 0.0) -> list[TextItem]:
    items = [_item(text, x, 300, x + 12 * len(text), 318, skew) for text, x in header]
    for i, row in enumerate(ROWS):
        y = 330 + 24 * i
        items += [_item(t, x, y, x + 12 * len(t), y + 18, skew) for t, x in zip(row, COLUMNS, strict=True)]
    items.append(_item("300", 200, 150, 236, 168, skew))  # a dimension of the view
    items += [_item("DRAWING NO: DWG-PK-1044", 500, 600, 780, 618), _item("REV: B", 500, 630, 572, 648)]
    return items


JOINED = [("DESCRIPTION", 760), ("QTY", 900), ("MATERIAL", 960)]


@pytest.mark.parametrize("cell", ["ITEM PART NUMBER", "ITEMPART NUMBER", "ITEM|PART NUMBER", "POS PART NO."])
def test_header_cells_read_as_one_line_still_name_their_columns(cell: str) -> None:
    layout = read_layout(_sheet([(cell, 500), *JOINED]), width=1200, height=700)
    assert [(b.cells.get("item"), b.cells["part_number"], b.cells["qty"]) for b in layout.bom] == [
        ("1", "PK-1044", "1"),
        ("2", "ISO4762-M10x30", "4"),
    ]
    assert [d.text for d in layout.dimensions] == ["300"]


@pytest.mark.parametrize("degrees", [3.0, -3.0])
def test_a_parts_list_skewed_by_a_scan_is_read_along_its_header(degrees: float) -> None:
    header = [("ITEM", 500), ("PART NUMBER", 560), *JOINED]
    layout = read_layout(_sheet(header, math.radians(degrees)), width=1200, height=700)
    assert [(b.cells["part_number"], b.cells["qty"], b.cells["material"]) for b in layout.bom] == [
        ("PK-1044", "1", "EN AW-6082"),
        ("ISO4762-M10x30", "4", "8.8"),
    ]
    assert [d.text for d in layout.dimensions] == ["300"]  # no cell of the table is a dimension


def test_the_cells_of_a_parts_list_whose_rows_are_unread_are_no_dimensions() -> None:
    """OCR lost the PART NUMBER cell of the header: the table is seen, its rows not read."""
    layout = read_layout(_sheet([("ITEM", 500), *JOINED]), width=1200, height=700)
    assert layout.bom == [] and [name for name, _ in layout.bom_columns] == [
        "item",
        "description",
        "qty",
        "material",
    ]
    assert [d.text for d in layout.dimensions] == ["300"]
    assert layout.title_block.fields["drawing_number"].value == "DWG-PK-1044"
