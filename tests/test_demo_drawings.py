"""The demo's drawings section: the simulator's BOM as check items, and a page without OCR."""

from __future__ import annotations

from pathlib import Path

import pytest

from moesaic import demo_drawings
from moesaic.data.schema import Drawing
from moesaic.drawings.ocr import MissingEngineError


def _drawing(tmp_path: Path) -> Drawing:
    from PIL import Image

    path = tmp_path / "DWG-1.png"
    Image.new("L", (40, 30), 255).save(path)
    bom = [
        {"item": 1, "part_number": "PU-SH-1001", "qty": 1, "description": "SHAFT", "material": "42CrMo4"},
        {"item": 2, "part_number": "STD-BLT-M12", "qty": 8},
    ]
    return Drawing("DWG-1", path, title_block={"part_name": "PUMP SHAFT"}, fields={"bom": bom})


def test_reference_bom_keeps_numbers_quantities_and_csv_lines(tmp_path: Path) -> None:
    items = demo_drawings.reference_bom(_drawing(tmp_path))
    assert [(i.part_number, i.qty, i.line, i.item) for i in items] == [
        ("PU-SH-1001", 1, 2, "1"),
        ("STD-BLT-M12", 8, 3, "2"),
    ]
    assert items[0].material == "42CrMo4" and items[1].material == ""


def test_without_an_ocr_engine_the_section_shows_the_sheet_and_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise MissingEngineError("rapidocr is not installed")

    monkeypatch.setattr(demo_drawings, "summarize_drawing", missing)
    section = demo_drawings.drawing_section([_drawing(tmp_path)])
    html = "".join(section.parts)
    assert "<img" in html
    assert "No OCR engine is installed" in html and ".[drawings]" in html
