"""Drawing reading and checking: callout parsing, symbol rules, layout, title block, checks, BOM."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from moesaic.data.tables import DataFormatError
from moesaic.drawings.bom import BomItem, read_bom
from moesaic.drawings.check import check_summary
from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.rules import CheckRules, load_rules
from moesaic.drawings.score import edit_distance, f1, field_accuracy, iou, match_dimensions
from moesaic.drawings.summary import DrawingSummary
from moesaic.drawings.symbols import normalize_callout, normalize_for_cer


@pytest.mark.parametrize(
    ("text", "kind", "nominal", "upper", "lower", "fit", "count"),
    [
        ("⌀12 H7", "diameter", 12.0, None, None, "H7", 1),
        ("2x M6", "thread", 6.0, None, None, "", 2),
        ("R5", "radius", 5.0, None, None, "", 1),
        ("45°", "angle", 45.0, None, None, "", 1),
        ("1,5 x 45°", "chamfer", 1.5, None, None, "", 1),
        ("25 ±0.1", "linear", 25.0, 0.1, -0.1, "", 1),
        ("40 +0.2/-0.1", "linear", 40.0, 0.2, -0.1, "", 1),
        ("⌀21,5±0,1", "diameter", 21.5, 0.1, -0.1, "", 1),
        ("2x⌀19,9 0 -0,1", "diameter", 19.9, 0.0, -0.1, "", 2),
        ("M10x1.5-6H", "thread", 10.0, None, None, "6H", 1),
        ("+0.40 4x⌀6.60-0.10", "diameter", 6.6, 0.4, -0.1, "", 4),
        ("Φ 30 g6", "diameter", 30.0, None, None, "g6", 1),
    ],
)
def test_callouts_parse_into_kind_nominal_deviations_fit_and_count(
    text: str, kind: str, nominal: float, upper: float | None, lower: float | None, fit: str, count: int
) -> None:
    c = parse_callout(text)
    assert c is not None, text
    assert (c.kind, c.nominal, c.upper, c.lower, c.fit, c.count) == (kind, nominal, upper, lower, fit, count)


def test_chamfer_keeps_its_angle_and_a_reference_dimension_is_marked() -> None:
    chamfer = parse_callout("1x45°")
    assert chamfer is not None and chamfer.kind == "chamfer" and chamfer.angle == 45.0
    ref = parse_callout("70 REF")
    assert ref is not None and ref.reference and ref.value_text == "70"
    assert parse_callout("(25,5)").reference  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["SECTION A-A", "2021-10-15", "18.19 g", "Ra 3,2", "SCALE 1:2", "A3", ""])
def test_text_that_is_not_a_dimension_parses_to_none(text: str) -> None:
    assert parse_callout(text) is None


def test_symbol_rules_restore_diameter_plus_minus_degree_and_count() -> None:
    assert normalize_callout("Ø 16,5") == "⌀16,5"
    assert normalize_callout("25 +/- 0,1") == "25±0,1"
    assert normalize_callout("30 º") == "30°"
    assert normalize_callout("4 X Φ14") == "4x⌀14"
    assert normalize_callout("2X M6") == "2x M6"
    assert normalize_callout("1,5") == "1,5"  # the decimal comma stays
    assert normalize_for_cer("⌀16,5 +0,1 0") == normalize_for_cer("⌀16,5+0,1 0")


def test_tolerance_width_and_toleranced() -> None:
    c = parse_callout("40 +0.2/-0.1")
    assert c is not None and c.toleranced and c.tolerance_width == pytest.approx(0.3)
    bare = parse_callout("40")
    assert bare is not None and not bare.toleranced and bare.tolerance_width is None


def test_iou_edit_distance_and_f1_are_hand_computable() -> None:
    assert iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    assert iou([0, 0, 1, 1], [2, 2, 3, 3]) == 0.0
    assert edit_distance("⌀12H7", "12H7") == 1
    assert f1(1, 1, 0) == pytest.approx(2 / 3)
    assert f1(0, 0, 0) == 1.0
    assert field_accuracy({"a": "iso 2768-m", "b": ""}, {"a": "ISO 2768-m", "b": "x"}) == (1, 2)


def test_match_dimensions_is_one_to_one_and_scores_cer_on_matched_pairs() -> None:
    truth = [("⌀12H7", [0, 0, 50, 20]), ("25", [100, 0, 130, 20])]
    found = [("12H7", [2, 0, 50, 20]), ("12H7", [0, 0, 48, 20]), ("99", [500, 500, 520, 520])]
    m = match_dimensions(found, truth)
    assert len(m.pairs) == 1 and m.found == 3 and m.truth == 2
    assert m.precision == pytest.approx(1 / 3) and m.recall == pytest.approx(1 / 2)
    assert m.cer == pytest.approx(1 / 5)


def _item(text: str, x1: int, y1: int, x2: int, y2: int, angle: float = 0.0) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, angle)


@pytest.fixture
def sheet_items() -> list[TextItem]:
    """A 1000 x 700 sheet: three dimensions, a note, a parts list and a title block below it."""
    return [
        _item("⌀40k6", 100, 100, 170, 120),
        _item("120±0.1", 300, 200, 380, 220),
        _item("45", 500, 150, 520, 170),
        _item("7", 5, 690, 12, 699),  # a zone number in the frame margin
        _item("NOTES:", 50, 560, 110, 575),
        _item("1. ALL DIMENSIONS IN mm", 50, 585, 280, 600),
        _item("ITEM", 600, 420, 640, 435),
        _item("PART NO", 650, 420, 720, 435),
        _item("QTY", 880, 420, 910, 435),
        _item("1", 605, 445, 612, 460),
        _item("PU-SH-1001", 650, 445, 750, 460),
        _item("1", 885, 445, 892, 460),
        _item("2", 605, 470, 612, 485),
        _item("STD-KEY-45", 650, 470, 750, 485),
        _item("2", 885, 470, 892, 485),
        _item("TITLE", 600, 520, 640, 530),
        _item("PUMP SHAFT", 605, 535, 720, 552),
        _item("DRAWING NO", 600, 560, 680, 570),
        _item("DWG-PU-SH-1001", 605, 575, 730, 590),
        _item("REV", 800, 560, 830, 570),
        _item("B", 805, 575, 815, 590),
        _item("MATERIAL", 600, 600, 670, 610),
        _item("42CrMo4", 605, 615, 680, 630),
        _item("GENERAL TOL.", 800, 600, 880, 610),
        _item("ISO 2768-m", 805, 615, 880, 630),
    ]


def test_layout_sorts_dimensions_notes_parts_list_and_title_block(sheet_items: list[TextItem]) -> None:
    layout = read_layout(sheet_items, width=1000, height=700)
    assert [d.text for d in layout.dimensions] == ["⌀40k6", "120±0.1", "45"]
    assert [n.text for n in layout.notes] == ["NOTES:", "1. ALL DIMENSIONS IN mm"]
    assert [(r.cells.get("part_number"), r.cells.get("qty")) for r in layout.bom] == [
        ("PU-SH-1001", "1"),
        ("STD-KEY-45", "2"),
    ]
    tb = layout.title_block
    assert {k: tb.get(k) for k in ("part_name", "drawing_number", "revision", "material")} == {
        "part_name": "PUMP SHAFT",
        "drawing_number": "DWG-PU-SH-1001",
        "revision": "B",
        "material": "42CrMo4",
    }
    assert tb.get("general_tolerance") == "ISO 2768-m" and tb.get("units") == "mm"
    assert tb.fields["material"].box == (605, 615, 680, 630)


def _summary(items: list[TextItem]) -> DrawingSummary:
    layout = read_layout(items, width=1000, height=700)
    return DrawingSummary(
        "sheet.png",
        1000,
        700,
        "test",
        layout.title_block,
        tuple(layout.dimensions),
        tuple(layout.notes),
        tuple(layout.bom),
        (),
        0.0,
    )


def _bom(*rows: tuple[str, int, str]) -> list[BomItem]:
    return [BomItem(part_number=p, qty=q, line=i + 2, revision=r) for i, (p, q, r) in enumerate(rows)]


def test_a_consistent_sheet_passes_the_bom_check_but_misses_required_fields(
    sheet_items: list[TextItem],
) -> None:
    result = check_summary(_summary(sheet_items), bom=_bom(("PU-SH-1001", 1, "B"), ("STD-KEY-45", 2, "")))
    assert {(f.rule, f.subject) for f in result.findings} == {
        ("title_block_field", "scale"),
        ("title_block_field", "drawn_by"),
        ("title_block_field", "date"),
    }
    relaxed = CheckRules(required_fields=("part_name", "material"))
    assert check_summary(_summary(sheet_items), bom=_bom(("PU-SH-1001", 1, "B")), rules=relaxed).findings == (
        check_summary(_summary(sheet_items), rules=relaxed).findings
        + (
            check_summary(_summary(sheet_items), bom=_bom(("PU-SH-1001", 1, "B")), rules=relaxed).findings[
                -1:
            ]
        )
    )


def test_bom_faults_are_found_with_their_bom_line_and_no_invented_part_number(
    sheet_items: list[TextItem],
) -> None:
    rules = CheckRules(required_fields=())
    bom = _bom(("PU-SH-1001", 1, "C"), ("STD-KEY-54", 2, ""), ("PU-BR-6309", 2, ""))
    findings = check_summary(_summary(sheet_items), bom=bom, rules=rules).findings
    keys = {(f.rule, f.subject, f.bom_line) for f in findings}
    assert keys == {
        ("revision_mismatch", "PU-SH-1001", 2),
        ("bom_part_number", "STD-KEY-54", 3),
        ("bom_item_missing", "PU-BR-6309", 4),
    }
    on_sheet = {"PU-SH-1001", "STD-KEY-45"}
    assert all(f.subject in on_sheet | {b.part_number for b in bom} for f in findings)


def test_a_bom_item_must_stand_on_the_sheet_as_a_whole_word(sheet_items: list[TextItem]) -> None:
    """A number inside a longer one ("1001" in "DWG-PU-SH-1001", "2768" in "ISO 2768-m") is no
    item on the sheet; the drawn part found only in the title block still has its revision checked."""
    rules = CheckRules(required_fields=())
    items = [i for i in sheet_items if i.text not in ("PU-SH-1001",)]  # the drawn part off the parts list
    bom = _bom(("1001", 1, ""), ("2768", 1, ""), ("DWG-PU-SH-1001", 1, "C"), ("STD-KEY-45", 2, ""))
    findings = check_summary(_summary(items), bom=bom, rules=rules).findings
    assert {(f.rule, f.subject) for f in findings} >= {
        ("bom_item_missing", "1001"),
        ("bom_item_missing", "2768"),
        ("revision_mismatch", "DWG-PU-SH-1001"),
    }
    assert ("bom_item_missing", "DWG-PU-SH-1001") not in {(f.rule, f.subject) for f in findings}


def test_a_bom_of_several_drawings_is_compared_on_this_sheets_rows_only(sheet_items: list[TextItem]) -> None:
    rules = CheckRules(required_fields=())
    rows = [("DWG-PU-SH-1001", "PU-SH-1001", 1), ("DWG-PU-SH-1001", "STD-KEY-45", 2),
            ("DWG-PU-HS-2002", "PU-HS-2002", 1), ("DWG-PU-HS-2002", "STD-KEY-45", 4)]  # fmt: skip
    bom = [BomItem(part_number=p, qty=q, line=i + 2, drawing=d) for i, (d, p, q) in enumerate(rows)]
    assert check_summary(_summary(sheet_items), bom=bom, rules=rules).findings == ()
    misread = [dataclasses.replace(b, drawing=b.drawing.replace("SH", "5H")) for b in bom]
    assert check_summary(_summary(sheet_items), bom=misread, rules=rules).findings == ()  # one edit away
    other = bom[2:]
    (finding,) = check_summary(_summary(sheet_items), bom=other, rules=rules).findings
    assert (finding.rule, finding.subject, finding.bom_line) == ("bom_other_drawing", "DWG-PU-SH-1001", 4)
    assert "'DWG-PU-HS-2002'" in finding.message and finding.box == (605, 575, 730, 590)


@pytest.mark.parametrize("header", ["Drawing_Number,part_number,qty", "Drawing No.,Part Number,QTY"])
def test_a_bom_file_with_a_drawing_column_may_repeat_a_part_under_another_drawing(
    tmp_path: Path, header: str
) -> None:
    """Column names are read whatever their case, spaces and dots."""
    path = tmp_path / "bom.csv"
    path.write_text(f"{header}\nA-1,K-45,2\nB-2,K-45,4\n", encoding="utf-8")
    assert [(b.drawing, b.part_number, b.qty) for b in read_bom(path)] == [
        ("A-1", "K-45", 2),
        ("B-2", "K-45", 4),
    ]
    path.write_text("drawing,part_number,qty\nA-1,K-45,2\nA-1,k-45 ,4\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"listed twice for drawing 'A-1' \(first on line 2"):
        read_bom(path)


def test_a_sister_drawing_is_never_taken_for_this_sheet_and_rows_naming_no_drawing_are_compared(
    sheet_items: list[TextItem],
) -> None:
    rules = CheckRules(required_fields=())

    def rows(*spec: tuple[str, str, int]) -> list[BomItem]:
        return [BomItem(part_number=p, qty=q, line=i + 2, drawing=d) for i, (d, p, q) in enumerate(spec)]

    exact = rows(("DWG-PU-SH-1001", "PU-SH-1001", 1), ("DWG-PU-SH-1001", "STD-KEY-45", 2),
                 ("DWG-PU-SH-1002", "PU-BR-6309", 2))  # fmt: skip
    assert check_summary(_summary(sheet_items), bom=exact, rules=rules).findings == ()
    sisters = rows(("DWG-PU-SH-1002", "PU-SH-1001", 1), ("DWG-PU-SH-1003", "STD-KEY-45", 2))
    (finding,) = check_summary(_summary(sheet_items), bom=sisters, rules=rules).findings
    assert finding.rule == "bom_other_drawing"  # two drawings one edit away: neither is this sheet
    mixed = rows(("", "PU-SH-1001", 1), ("", "STD-KEY-45", 2), ("DWG-CO-RT-2001", "CO-RT-2001", 1))
    assert check_summary(_summary(sheet_items), bom=mixed, rules=rules).findings == ()


def test_the_drawn_parts_material_is_compared_with_the_title_block(sheet_items: list[TextItem]) -> None:
    rules = CheckRules(required_fields=())
    bom = [BomItem(part_number="PU-SH-1001", qty=1, line=2, material="42 CrMo 4"),
           BomItem(part_number="STD-KEY-45", qty=2, line=3, material="C45+C")]  # fmt: skip
    assert check_summary(_summary(sheet_items), bom=bom, rules=rules).findings == ()  # spaces do not count
    bom[0] = dataclasses.replace(bom[0], material="X5CrNi18-10")
    (finding,) = check_summary(_summary(sheet_items), bom=bom, rules=rules).findings
    assert (finding.rule, finding.subject, finding.bom_line) == ("material_mismatch", "PU-SH-1001", 2)
    assert "'42CrMo4' on the drawing, 'X5CrNi18-10' in the BOM" in finding.message
    assert finding.box == (605, 615, 680, 630)


def test_quantity_mismatch_and_unknown_item(sheet_items: list[TextItem]) -> None:
    rules = CheckRules(required_fields=())
    findings = check_summary(_summary(sheet_items), bom=_bom(("PU-SH-1001", 3, "")), rules=rules).findings
    assert {(f.rule, f.subject) for f in findings} == {
        ("bom_quantity", "PU-SH-1001"),
        ("bom_unknown_item", "STD-KEY-45"),
    }


def test_untoleranced_dimensions_are_flagged_only_without_a_general_tolerance(
    sheet_items: list[TextItem],
) -> None:
    rules = CheckRules(required_fields=())
    assert not check_summary(_summary(sheet_items), rules=rules).findings
    without = [i for i in sheet_items if "2768" not in i.text]
    flagged = [
        f for f in check_summary(_summary(without), rules=rules).findings if f.rule == "dimension_tolerance"
    ]
    assert [f.subject for f in flagged] == ["45"] and flagged[0].box == (500, 150, 520, 170)


def test_a_sheet_without_any_title_block_gets_one_finding_not_one_per_field(
    sheet_items: list[TextItem],
) -> None:
    block = {"TITLE", "PUMP SHAFT", "DRAWING NO", "DWG-PU-SH-1001", "REV", "B", "MATERIAL", "42CrMo4",
             "GENERAL TOL.", "ISO 2768-m"}  # fmt: skip
    summary = _summary([i for i in sheet_items if i.text not in block])
    assert summary.title_block.region is None
    findings = check_summary(summary).findings
    assert len(findings) == 1, [(f.rule, f.message) for f in findings]
    (finding,) = findings
    assert finding.rule == "title_block_missing" and "rotated or cropped" in finding.message
    assert "'part_name'" in finding.message and finding.box is None


def test_revision_format_rule() -> None:
    items = [
        _item("REV", 800, 560, 830, 570),
        _item("rev-3!", 805, 575, 850, 590),
        _item("MATERIAL", 600, 600, 670, 610),
    ]
    findings = check_summary(
        _summary(items), rules=CheckRules(required_fields=(), require_units=False)
    ).findings
    assert [f.rule for f in findings] == ["revision_format"]


def test_bad_bom_csv_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("part_number,qty\nA-1,2\nB-2,two\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"bom\.csv, line 3, column 'qty': expected a positive whole quantity"
    ):
        read_bom(path)
    path.write_text("Teil;Qty\nA-1;2\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"missing required column\(s\) \['part_number'\]: rename .* \['teil', 'qty'\]"
    ):
        read_bom(path)
    path.write_text("part_number,qty\nA-1,2\n", encoding="utf-8")
    assert read_bom(path) == [BomItem(part_number="A-1", qty=2, line=2)]
    path.write_text("part_number;qty;description\nA-1;2;screw, M6\n", encoding="utf-8")  # sniffed
    assert read_bom(path) == [BomItem(part_number="A-1", qty=2, line=2, description="screw, M6")]
    path.write_text("part_number,qty\nCO-BR-7310,2\nco-br-7310 ,3\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"line 3, column 'part_number': part number 'co-br-7310' is listed twice"
    ):
        read_bom(path)


def test_bad_rules_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("require_units: true\nrequired_feilds: [material]\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"rules\.yaml: line 2, column 1: unknown rule 'required_feilds'"
    ):
        load_rules(path)
    path.write_text("required_fields: [material\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"rules\.yaml: line \d+, column \d+: not valid YAML"):
        load_rules(path)
    path.write_text("required_fields: [colour]\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"unknown fields \['colour'\]"):
        load_rules(path)
    path.write_text("required_fields: [material]\nrevision_pattern: '[0-9]+'\n", encoding="utf-8")
    assert load_rules(path) == CheckRules(required_fields=("material",), revision_pattern="[0-9]+")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('require_units: "no"', "`require_units` must be true or false, found 'no'"),  # quoted: a text
        ("require_units: ~", "`require_units` must be true or false, found None"),
        ("max_part_number_typo: 1.5", "`max_part_number_typo` must be a whole number, found 1.5"),
        ('max_part_number_typo: "2"', "`max_part_number_typo` must be a whole number, found '2'"),
        ("revision_pattern: 123", "`revision_pattern` must be a text, found 123"),
    ],
)
def test_a_rule_of_the_wrong_type_is_refused_not_misread(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("required_fields: [material]\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=re.escape("rules.yaml: line 2, column 1: " + message)):
        load_rules(path)
    path.write_bytes("require_units: true # é\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=r"rules\.yaml: expected UTF-8 text"):
        load_rules(path)


class _SideEngine:
    """Reads the title block only when the sheet stands upright, i.e. is taller than wide here."""

    name = "side"

    def __init__(self, items: list[TextItem]) -> None:
        self.items, self.shapes = items, []

    def read(self, image: object) -> list[TextItem]:
        shape = image.shape  # type: ignore[attr-defined]
        self.shapes.append(shape)
        return self.items if shape[0] > shape[1] else []


def test_a_sheet_lying_on_its_side_is_read_turned(sheet_items: list[TextItem], tmp_path: Path) -> None:
    from PIL import Image

    from moesaic.drawings.summary import summarize_drawing

    sheet = Image.new("L", (1000, 700), 255)  # 1000 wide, 700 high: on its side
    sheet.putpixel((500, 350), 0)  # some ink: a blank page is not read turned
    sheet.save(tmp_path / "side.png")
    engine = _SideEngine(sheet_items)
    summary = summarize_drawing(tmp_path / "side.png", engine=engine)  # type: ignore[arg-type]
    assert engine.shapes == [(700, 1000), (1000, 700)]  # upright first, then a quarter turn
    assert summary.title_block.get("drawing_number") == "DWG-PU-SH-1001"
    assert "read turned a quarter turn counter-clockwise" in summary.warnings[0]
    blank = summarize_drawing(tmp_path / "side.png", engine=_SideEngine([]))  # type: ignore[arg-type]
    assert blank.title_block.region is None and "no title block found" in blank.warnings[0]
