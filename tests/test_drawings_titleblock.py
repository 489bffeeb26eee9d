"""Title-block labels from a user test: labels are never values; German OCR spellings and French."""

from __future__ import annotations

import pytest

from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.labels import fits_field, label_of
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.titleblock import FIELDS, read_title_block


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


def _cells(*cells: tuple[str, str], x: int = 600, y: int = 500, step: int = 60) -> list[TextItem]:
    """A column of title-block cells: each label with its value 20 px under it."""
    out = []
    for i, (label, value) in enumerate(cells):
        top = y + i * step
        out.append(_item(label, x, top, x + 10 * len(label), top + 15))
        if value:
            out.append(_item(value, x + 5, top + 20, x + 5 + 12 * len(value), top + 38))
    return out


def _read(items: list[TextItem]) -> dict[str, str]:
    block = read_title_block(items, width=1000, height=1000)
    return {k: v.value for k, v in block.fields.items()}


def test_labels_of_cells_no_field_is_read_from_are_never_values() -> None:
    items = _cells(("TITLE", "PUMP SHAFT"), ("DRAWN BY", ""), ("CHECKED BY", ""), ("APPROVED BY", ""))
    assert _read(items) == {"part_name": "PUMP SHAFT"}
    # "VEIGHT": the WEIGHT label OCR got one letter wrong; the drawing number beside its label is
    # written larger than the label, so further off
    items = [
        _item("DWG NO.", 600, 600, 650, 617),
        _item("2022001", 760, 596, 920, 637),
        _item("VEIGHT", 662, 660, 695, 674),
        _item("SCALE", 520, 656, 559, 677),
        _item("1:1", 570, 660, 611, 689),
    ]
    assert _read(items) == {"drawing_number": "2022001", "scale": "1:1"}


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("MaBstab", "scale"),
        ("MASSTAB", "scale"),
        ("Maßstab", "scale"),
        ("Anderungsindex", "revision"),
        ("Sachnummer", "part_number"),
        ("Désignation", "part_name"),
        ("Matiere", "material"),
        ("Échelle", "scale"),
        ("Echelle", "scale"),
        ("Indice", "revision"),
        ("Dessiné par", "drawn_by"),
        ("Feuille", "sheet"),
        ("Folio", "sheet"),
        ("No de plan", "drawing_number"),
        ("Numéro de plan", "drawing_number"),
        ("Tolérance générale", "general_tolerance"),
        ("ale/skala", "scale"),  # a bilingual label whose first half OCR cut
        ("SIZE DRG NO.", "drawing_number"),  # two label cells OCR joined
        ("GEPROFT", ""),
        ("Rev.by/Gransk.av", ""),  # who reviewed, not the revision
    ],
)
def test_german_ocr_spellings_french_and_other_cells_are_labels(label: str, field: str) -> None:
    found = label_of(label)
    assert found is not None and found.field == field


def test_a_label_with_its_value_inline_is_no_value_of_the_cell_above() -> None:
    items = _cells(("ZEICHNUNGSNR.", ""), ("WERKSTOFF:", "Stahl"), step=45)
    items.append(_item("MASSTAB:1:2", 600, 590, 760, 610))
    assert _read(items) == {"material": "Stahl", "scale": "1:2"}


def test_a_value_that_cannot_be_the_fields_is_passed_over() -> None:
    items = _cells(("Tolerance", "generella toleranser"), ("DRAWING NO", "A3"), ("DATE", "2024-01-02"))
    items.append(_item("ISO 2768-mK", 605, 545, 740, 562))  # the next line under the tolerance label
    assert _read(items) == {"general_tolerance": "ISO 2768-mK", "date": "2024-01-02"}
    assert not fits_field("drawing_number", "A3") and fits_field("drawing_number", "QM230307_dwg1")
    assert not fits_field("scale", "VEIGHT") and fits_field("scale", "1:2.5")


def test_a_line_of_two_labels_gives_the_value_under_it_to_the_field_it_fits() -> None:
    items = _cells(("SHEETREV", "A"), ("SCALE 1:1", ""))
    assert _read(items) == {"revision": "A", "scale": "1:1"}
    assert _read(_cells(("BLATTIVON1", ""), ("SCALE", "1:2"))) == {"sheet": "1VON1", "scale": "1:2"}


@pytest.mark.parametrize(
    ("note", "units"),
    [
        ("DIMENSIONSAREINMILLIMETERS", "mm"),
        ("BEMASSUNGEN SIND IN MILLIMETER", "mm"),
        ('ALL DIMENSIONS ARE IN "mm"', "mm"),
        ("COTES EN mm", "mm"),
        ("ALL DIMENSIONS IN INCHES", "inches"),
    ],
)
def test_units_are_read_from_the_usual_notes(note: str, units: str) -> None:
    items = [*_cells(("TITLE", "PLATE"), ("SCALE", "1:2")), _item(note, 50, 900, 400, 920)]
    assert _read(items)["units"] == units


def test_a_unit_alone_in_the_title_block_and_a_linear_general_tolerance_are_read() -> None:
    items = [*_cells(("TITLE", "PLATE"), ("SCALE", "1:2")), _item("mm", 800, 520, 830, 540)]
    items.append(_item("UNEAR: +0.1/-0.1", 50, 900, 250, 920))  # LINEAR, its L read as U
    fields = _read(items)
    assert fields["units"] == "mm" and fields["general_tolerance"] == "UNEAR: +0.1/-0.1"
    outside = [*_cells(("TITLE", "PLATE"), ("SCALE", "1:2")), _item("mm", 100, 100, 130, 120)]
    assert "units" not in _read(outside)  # a lone "mm" on the drawing is no title-block cell


def test_a_german_parts_list_is_a_parts_list_not_dimensions() -> None:
    items = [
        _item("Pos", 100, 100, 140, 120),
        _item("Sachnummer", 200, 100, 330, 120),
        _item("Benennung", 400, 100, 520, 120),
        _item("Menge", 600, 100, 660, 120),
        _item("Werkstof", 700, 100, 790, 120),  # OCR dropped an f
        _item("1", 105, 130, 115, 150),
        _item("004711", 200, 130, 280, 150),
        _item("Lagerdeckel", 400, 130, 520, 150),
        _item("1", 605, 130, 615, 150),
        _item("S235JR", 700, 130, 780, 150),
        _item("⌀20H7", 300, 400, 380, 420),
    ]
    layout = read_layout(items, width=1000, height=1000)
    assert [d.text for d in layout.dimensions] == ["⌀20H7"]
    assert [line.cells for line in layout.bom] == [
        {"item": "1", "part_number": "004711", "description": "Lagerdeckel", "qty": "1", "material": "S235JR"}
    ]


def test_zone_labels_overhanging_the_frame_margin_and_unread_cells_are_no_dimensions() -> None:
    items = [
        _item("5", 480, 965, 495, 995),  # a zone label: its centre in the 3 % margin, its top not
        _item("8", 300, 12, 315, 40),
        _item("45", 300, 400, 330, 420),
        *_cells(("TITLE", "PLATE"), ("SCALE", "1:2"), x=700, y=800),
        _item("CHECKED BY", 560, 800, 660, 815),  # a cell of the block that holds no value
        _item("7", 600, 830, 612, 848),  # on the rows of the block: no dimension
    ]
    layout = read_layout(items, width=1000, height=1000)
    assert [d.text for d in layout.dimensions] == ["45"]
    assert layout.title_block.region == (560, 800, 1000, 1000)


def test_a_lone_figure_after_a_numbers_decimals_is_no_part_of_it() -> None:
    stray = parse_callout("200.00 1")
    assert stray is not None and stray.nominal == 200.0
    thousands = parse_callout("1 000")
    assert thousands is not None and thousands.nominal == 1000.0
    assert parse_callout("4x⌀11.00 20.00") is None  # a hole callout with its depth is not one size


def test_a_lone_figure_far_smaller_than_the_callouts_is_an_arrowhead_not_a_dimension() -> None:
    items = [
        _item("⌀35g6", 100, 100, 160, 116),
        _item("110", 300, 100, 336, 116),
        _item("50", 400, 200, 424, 216),
        _item("1", 170, 104, 179, 112),  # 9 x 8 px on the arrow tip
        _item("7", 190, 104, 195, 110),
        _item("5", 500, 300, 509, 316),  # a one-figure callout as tall as the others
    ]
    layout = read_layout(items, width=1000, height=1000)
    assert [d.text for d in layout.dimensions] == ["⌀35g6", "110", "50", "5"]


def test_a_turned_size_takes_the_stacked_deviations_written_after_it_in_its_direction() -> None:
    turned = 90.0  # read bottom to top: what follows the size stands above it
    items = [
        TextItem("70.5", box_quad(2095, 1398, 2144, 1488), 0.99, turned),
        TextItem("+0.02", box_quad(2090, 1319, 2120, 1395), 0.99, turned),  # upper deviation: left
        TextItem("0", box_quad(2122, 1365, 2145, 1387), 0.99, 0.0),  # a lone figure is read upright
        TextItem("3", box_quad(1280, 1233, 1322, 1270), 0.99, 0.0),
        TextItem("±0.02", box_quad(1283, 1155, 1313, 1243), 0.99, turned),
        TextItem("25", box_quad(400, 400, 440, 420), 0.99, 0.0),
        TextItem("+0.1", box_quad(400, 380, 440, 398), 0.99, 0.0),  # upright text: above is no deviation
    ]
    layout = read_layout(items, width=3000, height=2400)
    assert sorted(d.text for d in layout.dimensions) == ["25", "3±0.02", "70.5 +0.02 0"]
    (size,) = [d for d in layout.dimensions if d.text.startswith("70.5")]
    assert size.callout.upper == 0.02 and size.callout.lower == 0.0 and size.box == (2090, 1319, 2145, 1488)


def test_the_json_title_block_names_every_field_and_null_for_those_not_found() -> None:
    block = read_title_block(_cells(("TITLE", "PLATE"), ("SCALE", "1:2")), width=1000, height=1000)
    out = block.to_json()
    assert set(out) == set(FIELDS) and out["material"] is None
    assert out["scale"] == {"value": "1:2", "box": [605, 580, 641, 598]}


def _rows(
    *cells: tuple[str, str], x: int = 1100, value_x: int = 1300, y: int = 900, step: int = 34
) -> list[TextItem]:
    """A block of "LABEL | value" rows: labels left-aligned, values in one column right of them."""
    out = []
    for i, (label, value) in enumerate(cells):
        top = y + i * step
        out.append(_item(label, x, top, x + 13 * len(label), top + 26))
        out.append(_item(value, value_x, top, value_x + 14 * len(value), top + 26))
    return out


def test_a_block_of_label_and_value_rows_reads_each_value_beside_its_label() -> None:
    # a user test: the line under each label, the next row's value, was read as its value
    items = _rows(("PART NAME", "DISCHARGE FLANGE"), ("DRAWING NO", "DWG-PU-FL-1200"),
                  ("MATERIAL", "S355J2"), ("SCALE", "1:2"), ("REV", "C"), ("DATE", "2024-03-01"),
                  ("DRAWN BY", "J. MARTIN"))  # fmt: skip
    fields = {k: v for k, v in _read_wide(items).items() if k != "units"}
    assert fields == {
        "part_name": "DISCHARGE FLANGE", "drawing_number": "DWG-PU-FL-1200", "material": "S355J2",
        "scale": "1:2", "revision": "C", "date": "2024-03-01", "drawn_by": "J. MARTIN",
    }  # fmt: skip


def test_a_parts_list_ends_where_a_block_of_label_and_value_rows_begins() -> None:
    header = [_item("ITEM", 1100, 760, 1150, 786), _item("PART NO", 1170, 760, 1270, 786),
              _item("DESCRIPTION", 1380, 760, 1530, 786), _item("QTY", 1660, 760, 1700, 786)]  # fmt: skip
    parts = [_item("1", 1104, 797, 1115, 820), _item("PU-FL-1200", 1173, 797, 1300, 820),
             _item("FLANGE", 1383, 797, 1480, 820), _item("1", 1664, 797, 1675, 820)]  # fmt: skip
    block = _rows(("PART NAME", "FLANGE"), ("DRAWING NO", "DWG-1200"), ("REV", "C"), y=835)
    layout = read_layout(header + parts + block, width=1754, height=1240)
    assert [line.cells.get("part_number") for line in layout.bom] == ["PU-FL-1200"]
    assert layout.title_block.fields["revision"].value == "C"
    assert layout.title_block.fields["drawing_number"].value == "DWG-1200"


def _read_wide(items: list[TextItem]) -> dict[str, str]:
    block = read_title_block(items, width=1754, height=1240)
    return {k: v.value for k, v in block.fields.items()}
