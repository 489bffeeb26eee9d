"""Drawing checks found in a user test: the title block's part number, BOM exports as offices write them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moesaic.data.tables import DataFormatError
from moesaic.drawings.bom import BomItem, read_bom
from moesaic.drawings.check import check_summary
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.rules import CheckRules
from moesaic.drawings.summary import DrawingSummary

RULES = CheckRules(required_fields=(), require_units=False)


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


def _sheet(part_number: str, drawing_number: str = "DWG-CO-RT-2001") -> DrawingSummary:
    """A 1000 x 700 sheet with a two-row parts list and a title block naming ``part_number``."""
    items = [
        _item("120±0.1", 300, 200, 380, 220),
        _item("ITEM", 600, 420, 640, 435),
        _item("PART NO", 650, 420, 720, 435),
        _item("QTY", 880, 420, 910, 435),
        _item("1", 605, 445, 612, 460),
        _item("CO-RT-2001", 650, 445, 750, 460),
        _item("1", 885, 445, 892, 460),
        _item("2", 605, 470, 612, 485),
        _item("STD-KEY-45", 650, 470, 750, 485),
        _item("2", 885, 470, 892, 485),
        _item("PART NO.", 600, 520, 680, 530),
        _item(part_number, 605, 535, 720, 552),
        _item("DRAWING NO", 600, 560, 680, 570),
        _item(drawing_number, 605, 575, 730, 590),
        _item("GENERAL TOL.", 800, 600, 880, 610),
        _item("ISO 2768-m", 805, 615, 880, 630),
    ]
    layout = read_layout(items, width=1000, height=700)
    return DrawingSummary(
        "sheet.png", 1000, 700, "test", layout.title_block, tuple(layout.dimensions), (),
        tuple(layout.bom), (), 0.0,
    )  # fmt: skip


BOM = [BomItem(part_number="CO-RT-2001", qty=1, line=2), BomItem(part_number="STD-KEY-45", qty=2, line=3)]


def test_a_title_block_part_number_differing_from_the_bom_and_parts_list_is_an_error() -> None:
    result = check_summary(_sheet("CO-RT-2002"), bom=BOM, rules=RULES)
    (finding,) = result.findings
    assert (finding.rule, finding.severity, finding.subject, finding.bom_line) == (
        "title_block_part_number",
        "error",
        "CO-RT-2002",
        2,
    )
    assert "'CO-RT-2001'" in finding.message and "the BOM and the parts list" in finding.message
    assert finding.box == (605, 535, 720, 552) and not result.passed


@pytest.mark.parametrize("read_as", ["CO-RT-2001", "co-rt-2001", "CO-RT-20O1"])
def test_the_same_part_number_or_an_ocr_confusion_of_it_passes(read_as: str) -> None:
    assert check_summary(_sheet(read_as), bom=BOM, rules=RULES).findings == ()


def test_without_a_part_named_by_the_drawing_number_an_unlisted_part_number_is_a_warning() -> None:
    result = check_summary(_sheet("CO-RT-2002", drawing_number="A-77"), bom=BOM, rules=RULES)
    (finding,) = result.findings
    assert (finding.rule, finding.severity, finding.subject) == (
        "title_block_part_number",
        "warning",
        "CO-RT-2002",
    )
    listed = check_summary(_sheet("STD-KEY-45", drawing_number="A-77"), bom=BOM, rules=RULES)
    assert listed.findings == ()


def test_no_finding_names_a_number_that_is_on_neither_the_sheet_nor_the_bom() -> None:
    sheet = _sheet("CO-RT-2002")
    findings = check_summary(sheet, bom=BOM, rules=RULES).findings
    on_sheet = {"CO-RT-2002", "CO-RT-2001", "STD-KEY-45", "DWG-CO-RT-2001"}
    assert all(f.subject in on_sheet | {b.part_number for b in BOM} for f in findings)
    assert check_summary(sheet, rules=RULES).findings == ()  # no BOM: nothing to compare


def test_a_bom_export_with_blank_rows_and_unit_quantities_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(
        "part_number,qty,note\nA-1,1 pc,x\n,,\n\nB-2,2 pcs,\n;;\nC-3,4.0,\nD-4,3 Stk.,\n,,\n",
        encoding="utf-8",
    )
    assert [(b.part_number, b.qty, b.line) for b in read_bom(path)] == [
        ("A-1", 1, 2),
        ("B-2", 2, 5),
        ("C-3", 4, 7),
        ("D-4", 3, 8),
    ]
    path.write_text("part_number,qty\nA-1,1.5\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"line 2, column 'qty': expected a positive whole quantity"):
        read_bom(path)


def test_german_headers_and_a_windows_1252_bom_are_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("Sachnummer;Menge;Benennung\n004711;2;Deckel für Ø 45\n".encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        (row,) = read_bom(path)
    assert (row.part_number, row.qty, row.description) == ("004711", 2, "Deckel für Ø 45")
    assert "not UTF-8 text; read it as Windows-1252" in caplog.text
    path.write_bytes(b"part_number,qty\nA-1,\x81\n")  # 0x81 is no Windows-1252 character either
    with pytest.raises(DataFormatError, match="not valid utf-8"):
        read_bom(path)
