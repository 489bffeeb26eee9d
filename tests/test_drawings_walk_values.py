"""Title-block values from a user walkthrough: a steel grade OCR misread ("S355]2") was stored and
compared as read, and "GENERAL TOLERANCE: N/A" was refused as no value."""

from __future__ import annotations

import pytest

from moesaic.drawings.labels import fold_material
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


@pytest.mark.parametrize(
    ("read", "folded"),
    [("S355]2", "S355J2"), ("$355)2", "S355J2"), ("S235]R", "S235JR"), ("5355J2", "S355J2"),
     ("S355J2+N", "S355J2+N"), ("1.4301", "1.4301"), ("42CrMo4", "42CrMo4"), ("EN AW-6082", "EN AW-6082")],
)  # fmt: skip
def test_a_steel_grade_misread_by_ocr_is_folded(read: str, folded: str) -> None:
    assert fold_material(read) == folded


def test_the_title_block_and_the_parts_list_store_the_folded_grade() -> None:
    items = [_item("ITEM", 500, 300, 540, 315), _item("PART NO", 560, 300, 630, 315),
             _item("QTY", 760, 300, 790, 315), _item("MATERIAL", 820, 300, 900, 315),
             _item("1", 505, 325, 514, 340), _item("PK-1045", 560, 325, 630, 340),
             _item("1", 765, 325, 774, 340), _item("S355]2", 820, 325, 880, 340),
             _item("MATERIAL: S355]2", 500, 600, 660, 615), _item("REV: A", 500, 630, 560, 645)]  # fmt: skip
    layout = read_layout(items, width=1000, height=700)
    assert layout.title_block.get("material") == "S355J2"
    assert [row.cells["material"] for row in layout.bom] == ["S355J2"]


def _checked(tolerance: str) -> list[tuple[str, str]]:
    from moesaic.drawings.check import check_summary
    from moesaic.drawings.rules import CheckRules
    from moesaic.drawings.summary import DrawingSummary

    items = [_item(f"GENERAL TOLERANCE: {tolerance}", 500, 600, 760, 615),
             _item("REV: A", 500, 630, 560, 645),
             _item("700", 200, 200, 236, 215), _item("⌀20 h7", 300, 200, 360, 215)]  # fmt: skip
    layout = read_layout(items, width=1000, height=700)
    sheet = DrawingSummary(
        "s.png", 1000, 700, "test", layout.title_block, tuple(layout.dimensions), (), (), (), 0.0
    )
    rules = CheckRules(required_fields=("general_tolerance",), require_units=False)
    return [(f.rule, f.message) for f in check_summary(sheet, rules=rules).findings]


@pytest.mark.parametrize("none", ["N/A", "NONE", "n.a."])
def test_a_general_tolerance_of_none_is_stated_and_each_size_needs_its_own(none: str) -> None:
    """A demanding office takes "N/A" at its word: no general tolerance applies, so a size without
    its own tolerance or fit is an error that says why; the field is not "not stated"."""
    assert _checked(none) == [
        (
            "dimension_tolerance",
            f"dimension '700' has no tolerance and the title block states that no general tolerance "
            f"applies ({none!r}): give it a tolerance or fit, or state one (ISO 2768-m)",
        )
    ]
    assert _checked("ISO 2768-m") == []
