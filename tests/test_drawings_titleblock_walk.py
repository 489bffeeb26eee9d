"""Title blocks of a user walk: German label synonyms, a date beside the general tolerance, a
scale whose colon OCR lost, and a page the PDF does not have, worded as the CLI counts pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moesaic.cli.drawing import app
from moesaic.drawings.check import check_summary
from moesaic.drawings.labels import fits_field, label_of
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.summary import summarize_image
from moesaic.drawings.titleblock import read_title_block


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


# the lines rapidocr read from the title block of a German sheet (1600 x 1100), as (text, box)
GERMAN_SHEET = [
    ("ISO 2768-f", (1385, 1039, 1519, 1069)),
    ("12.05.2021", (1206, 1042, 1343, 1067)),
    ("M. Keller", (1003, 1039, 1112, 1070)),
    ("ALLGEMEINTOLERANZ", (1386, 1019, 1543, 1036)),
    ("DATUM", (1203, 1018, 1259, 1036)),
    ("GEZEICHNET", (1003, 1015, 1099, 1038)),
    ("S235JR", (1003, 976, 1094, 1007)),
    ("1:2", (1303, 975, 1348, 1005)),
    ("BLATT", (1452, 953, 1502, 972)),
    ("MASSSTAB", (1303, 952, 1384, 973)),
    ("WERKSTOFF", (1004, 952, 1094, 973)),
    ("1. ALLE MASSE IN mm", (48, 930, 274, 954)),
    ("Z-4711-03", (1005, 916, 1133, 943)),
    ("HINWEISE:", (49, 900, 159, 923)),
    ("INDEX", (1302, 889, 1353, 913)),
    ("ZEICHNUNGSNUMMER", (1005, 892, 1167, 912)),
    ("LAGERDECKEL", (1006, 856, 1183, 883)),
    ("BENENNUNG", (1003, 832, 1099, 852)),
    ("1/1", (1456, 973, 1496, 1001)),
    ("B", (1308, 917, 1326, 937)),
    ("⌀400 h7", (128, 440, 226, 467)),
]


def _sheet(lines: list[tuple[str, tuple[int, int, int, int]]]) -> list[TextItem]:
    return [_item(text, *box) for text, box in lines]


def _fields(items: list[TextItem], width: int = 1600, height: int = 1100) -> dict[str, str]:
    return {k: v.value for k, v in read_title_block(items, width=width, height=height).fields.items()}


def test_a_german_block_reads_index_as_revision_the_date_apart_and_the_units_note() -> None:
    assert _fields(_sheet(GERMAN_SHEET)) == {
        "part_name": "LAGERDECKEL", "drawing_number": "Z-4711-03", "revision": "B", "material": "S235JR",
        "scale": "1:2", "sheet": "1/1", "drawn_by": "M. Keller", "date": "12.05.2021",
        "general_tolerance": "ISO 2768-f", "units": "mm",
    }  # fmt: skip


@pytest.mark.parametrize("label", ["INDEX", "Index", "Ausgabe", "Version", "Änderungsindex", "Utgåva"])
def test_the_usual_names_of_the_revision_cell_are_revision_labels(label: str) -> None:
    found = label_of(label)
    assert found is not None and found.field == "revision"


@pytest.mark.parametrize(
    "note", ["1. ALLE MASSE IN mm", "MASSANGABEN IN MILLIMETER", "ABMESSUNGEN IN mm", "ALLA MÅTT I mm"]
)
def test_units_are_read_from_german_and_swedish_notes(note: str) -> None:
    items = [_item("TITLE", 600, 600, 650, 615), _item("PLATE", 605, 620, 680, 638)]
    items += [
        _item("SCALE", 600, 660, 650, 675),
        _item("1:2", 605, 680, 640, 698),
        _item(note, 50, 900, 400, 920),
    ]
    assert _fields(items, 1000, 1000)["units"] == "mm"


def test_a_date_read_in_one_line_with_the_tolerance_is_no_part_of_it() -> None:
    items = [
        _item("GENERAL TOL", 692, 507, 743, 519),
        _item("DATE", 601, 508, 623, 519),
        _item("ISO2768-f 12.05.2021", 692, 519, 790, 534),  # OCR joined the cell and the date's beside
        _item("TITLE", 501, 415, 525, 427),
        _item("LAGERDECKEL", 503, 428, 591, 441),
    ]
    assert _fields(items, 800, 550)["general_tolerance"] == "ISO2768-f"


def test_a_scale_read_without_its_colon_is_refused_with_a_warning_not_an_error() -> None:
    # rapidocr read "1:2" as "2" on the English sheet shrunk to 800 x 550
    items = [
        _item("TITLE", 501, 415, 525, 427),
        _item("LAGERDECKEL", 503, 428, 591, 441),
        _item("SCALE", 651, 475, 678, 487),
        _item("2", 651, 485, 675, 503),
    ]
    block = read_title_block(items, width=800, height=550)
    assert "scale" not in block.fields and block.refused["scale"].value == "2"
    assert not fits_field("scale", "2") and fits_field("scale", "1 : 2")

    class Lines:
        name = "fixed"

        def read(self, image: np.ndarray) -> list[TextItem]:
            return items

    summary = summarize_image(np.zeros((550, 800), dtype=np.uint8), engine=Lines())  # type: ignore[arg-type]
    assert any(
        w.startswith("title-block scale read as '2', not a ratio such as 1:2") for w in summary.warnings
    )
    (finding,) = [f for f in check_summary(summary).findings if f.subject == "scale"]
    assert finding.severity == "warning" and finding.box == (651, 485, 675, 503)


def test_cli_says_a_missing_page_in_its_own_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moesaic.drawings import summary

    monkeypatch.setattr(summary, "load_pages", lambda path: [np.zeros((10, 10), dtype=np.uint8)] * 2)
    for command in ("check", "summarize"):
        result = CliRunner().invoke(app, [command, str(tmp_path / "two.pdf"), "--page", "3"])
        assert result.exit_code == 2
        said = " ".join(result.output.split())
        assert "two.pdf: page 3 does not exist: the PDF has 2 pages (--page counts from 1)" in said
        assert "counts from 0" not in said
