"""A parts list seen but not read, and a sheet not read at all, from a user walkthrough: every BOM
row was reported "not on the drawing" although the rows were there, unread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moesaic.drawings import summary as summary_module
from moesaic.drawings.bom import BomItem
from moesaic.drawings.check import check_summary
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.rules import CheckRules
from moesaic.drawings.summary import summarize_drawing, summarize_image

RULES = CheckRules(required_fields=(), require_units=False)
BOM = [BomItem("PK-1044", 1, 2), BomItem("ISO4762-M10x30", 4, 3), BomItem("DIN125-10.5", 4, 4)]


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


class Lines:
    """An OCR engine that reads the given lines on any sheet."""

    name = "fixed"

    def __init__(self, items: list[TextItem]) -> None:
        self.items = items

    def read(self, image: np.ndarray) -> list[TextItem]:
        return self.items


# a title block, and a parts-list header whose ITEM and PART NUMBER cells OCR lost; the rows'
# cells were read out of line (a skewed scan)
TITLE = [_item("DRAWING NO: DWG-PK-1044", 500, 600, 700, 615), _item("REV: B", 500, 630, 560, 645)]
HEADER = [_item("DESCRIPTION", 560, 300, 660, 315), _item("QTY", 760, 296, 790, 311),
          _item("MATERIAL", 820, 292, 900, 307)]  # fmt: skip


def test_a_parts_list_header_with_no_row_read_is_said_and_the_bom_not_compared_row_by_row() -> None:
    sheet = summarize_image(np.zeros((700, 1000), dtype=np.uint8), engine=Lines(TITLE + HEADER))  # type: ignore[arg-type]
    assert sheet.parts_list_unread and not sheet.bom
    assert any(
        w.startswith("a parts-list header was found (description, qty, material)") for w in sheet.warnings
    )
    (finding,) = check_summary(sheet, bom=BOM, rules=RULES).findings
    assert (finding.rule, finding.bom_line) == ("bom_not_compared", 2)
    assert finding.message.startswith("the parts list could not be read")
    # with no parts-list header, a BOM item on no part of the sheet is missing from it
    plain = summarize_image(np.zeros((700, 1000), dtype=np.uint8), engine=Lines(TITLE))  # type: ignore[arg-type]
    assert not plain.parts_list_unread
    assert {f.rule for f in check_summary(plain, bom=BOM, rules=RULES).findings} == {"bom_item_missing"}


def test_a_blank_sheet_lists_no_bom_row_as_missing() -> None:
    blank = summarize_image(np.full((700, 1000), 250, dtype=np.uint8), engine=Lines([]))  # type: ignore[arg-type]
    rules = [f.rule for f in check_summary(blank, bom=BOM).findings]
    assert rules == ["title_block_missing", "bom_not_compared"]


def test_the_page_note_of_a_pdf_fits_a_check_as_well_as_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        summary_module, "load_pages", lambda path: [np.zeros((700, 1000), dtype=np.uint8)] * 2
    )
    sheet = summarize_drawing(Path("two.pdf"), engine=Lines(TITLE), page=1)  # type: ignore[arg-type]
    assert "the file has 2 pages; page 2 was read" in sheet.warnings
    assert not any("summary" in w for w in sheet.warnings)


def test_without_a_bom_an_unread_parts_list_is_a_finding_of_check_json() -> None:
    sheet = summarize_image(np.zeros((700, 1000), dtype=np.uint8), engine=Lines(TITLE + HEADER))  # type: ignore[arg-type]
    result = check_summary(sheet, rules=RULES).to_json()
    assert [(f["rule"], f["severity"]) for f in result["findings"]] == [("parts_list_unread", "warning")]
    assert result["summary"]["parts_list_unread"] is True
