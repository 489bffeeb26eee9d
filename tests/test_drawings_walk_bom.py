"""BOM checks from a user walkthrough: a BOM of a sister drawing, a parts-list material that
differs from the BOM's, and the BOM headers ERP exports write."""

from __future__ import annotations

from pathlib import Path

import pytest

from moesaic.data.tables import DataFormatError
from moesaic.drawings.bom import read_bom
from moesaic.drawings.check import check_summary
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.rules import CheckRules
from moesaic.drawings.summary import DrawingSummary

RULES = CheckRules(required_fields=(), require_units=False)


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


def _sheet(rows: list[tuple[str, str, str, str]], number: str = "DWG-PK-1042") -> DrawingSummary:
    """A 1000 x 700 sheet: a parts list (item, part number, qty, material) over a title block."""
    items = [_item("ITEM", 500, 300, 540, 315), _item("PART NO", 560, 300, 630, 315),
             _item("QTY", 760, 300, 790, 315), _item("MATERIAL", 820, 300, 900, 315)]  # fmt: skip
    for i, cells in enumerate(rows):
        y = 325 + 20 * i
        for text, x in zip(cells, (505, 560, 765, 820), strict=True):
            items.append(_item(text, x, y, x + 9 * len(text), y + 15))
    items += [_item(f"DRAWING NO: {number}", 500, 600, 700, 615), _item("REV: C", 500, 630, 560, 645)]
    layout = read_layout(items, width=1000, height=700)
    return DrawingSummary(
        "sheet.png", 1000, 700, "test", layout.title_block, (), (), tuple(layout.bom), (), 0.0
    )


PARTS = [("1", "PK-1042", "1", "42CrMo4"), ("2", "DIN6885-A10x8x40", "2", "C45")]


@pytest.mark.parametrize("column", ["drawing_number", "dwg", "Drawing No.", "drawing"])
def test_a_bom_of_a_sister_drawing_gives_one_other_drawing_error(tmp_path: Path, column: str) -> None:
    """DWG-PK-1043 is one figure from DWG-PK-1042: a sister drawing, not a misreading of it."""
    path = tmp_path / "bom.csv"
    path.write_text(f"{column},part_number,qty\nDWG-PK-1043,PK-1043-01,1\nDWG-PK-1043,PK-1043-02,2\n")
    (finding,) = check_summary(_sheet(PARTS), bom=read_bom(path), rules=RULES).findings
    assert (finding.rule, finding.bom_line) == ("bom_other_drawing", 2)
    assert "'DWG-PK-1043'" in finding.message


def test_a_bom_naming_the_drawing_as_ocr_misread_it_is_this_sheets(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("dwg,part_number,qty\nDWG-PK-1O42,PK-1042,1\nDWG PK 1042,DIN6885-A10x8x40,2\n")
    assert check_summary(_sheet(PARTS), bom=read_bom(path), rules=RULES).findings == ()


def _bom_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bom.csv"
    path.write_text(text)
    return path


def test_a_parts_list_material_differing_from_the_boms_is_an_error_with_the_bom_line(tmp_path: Path) -> None:
    path = _bom_file(tmp_path, "part_number,qty,material\nPK-1042,1,42CrMo4\nDIN6885-A10x8x40,2,42CrMo4\n")
    (finding,) = check_summary(_sheet(PARTS), bom=read_bom(path), rules=RULES).findings
    assert (finding.rule, finding.subject, finding.bom_line) == ("material_mismatch", "DIN6885-A10x8x40", 3)
    assert "'C45' on the parts list, '42CrMo4' in the BOM" in finding.message
    # OCR's S for 5 and the punctuation of a material name are no difference
    read = [("1", "PK-1042", "1", "42CrMo4"), ("2", "DIN6885-A10x8x40", "2", "EN AW-6O82")]
    path = _bom_file(tmp_path, "part_number,qty,material\nPK-1042,1,42CrMo4\nDIN6885-A10x8x40,2,ENAW6082\n")
    assert check_summary(_sheet(read), bom=read_bom(path), rules=RULES).findings == ()


@pytest.mark.parametrize(
    "header",
    ["Item,Part No.,Qty.", "Pos,Part #,Pcs", "Item,P/N,Quantity", "Item,Art.-Nr.,Menge", "Item,Item No.,Qty"],
)
def test_the_part_number_headers_of_erp_exports_are_read(tmp_path: Path, header: str) -> None:
    path = _bom_file(tmp_path, f"{header}\n1,PK-1042,1\n2,DIN6885-A10x8x40,2\n")
    assert [(b.part_number, b.qty) for b in read_bom(path)] == [("PK-1042", 1), ("DIN6885-A10x8x40", 2)]


def test_an_item_number_of_positions_is_no_part_number_and_the_error_says_what_to_rename(
    tmp_path: Path,
) -> None:
    path = _bom_file(tmp_path, "Item No.,Benennung,Qty\n1,SHAFT,1\n2,KEY,2\n")
    with pytest.raises(
        DataFormatError, match=r"rename the column of part numbers 'part_number' \(or 'Part No\.'"
    ):
        read_bom(path)
    path = _bom_file(tmp_path, "PN,Qty\nPN16,1\n")  # a nominal pressure, not a part number
    with pytest.raises(DataFormatError, match=r"found columns \['pn', 'qty'\]"):
        read_bom(path)
