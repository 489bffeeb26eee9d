"""The demo's drawings section: the simulator's BOM as check items, and a page without OCR."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from moesaic import demo_drawings
from moesaic.data.schema import Drawing
from moesaic.drawings.check import Finding
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


MATERIAL = {"kind": "material_mismatch", "field": "material", "expected": "42CrMo4", "found": "1.4301"}


def _finding(rule: str) -> Finding:
    return Finding(rule, "error", f"a {rule} finding", "PU-SH-1001")


def test_findings_text_states_the_planted_error_and_what_no_planted_error_explains() -> None:
    text = demo_drawings.findings_text([MATERIAL], [_finding("material_mismatch"), _finding("units")])
    assert text == (
        "2 finding(s). The simulator planted a wrong material (1.4301 in the title block, 42CrMo4 in the "
        "BOM) (found) on this sheet; 1 finding(s) match no planted error: reading errors of the OCR or "
        "false findings."
    )
    missed = demo_drawings.findings_text([MATERIAL], [])
    assert missed.startswith("no finding. The simulator planted a wrong material") and "(missed)" in missed


def test_findings_text_on_a_consistent_sheet_calls_every_finding_a_reading_error() -> None:
    assert demo_drawings.findings_text([], []) == "no finding. The simulator planted no error on this sheet."
    text = demo_drawings.findings_text([], [_finding("material_mismatch")])
    assert text.endswith("so each finding is a reading error of the OCR or a false finding of the check.")


def test_the_section_marks_the_finding_of_the_planted_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawing = _drawing(tmp_path)
    drawing.fields["issues"] = [MATERIAL]
    summary = SimpleNamespace(seconds=0.1, text=lambda: "PUMP SHAFT", title_block={"part_name": "PUMP SHAFT"})
    checked = SimpleNamespace(findings=[_finding("material_mismatch")])
    monkeypatch.setattr(demo_drawings, "summarize_drawing", lambda *args, **kwargs: summary)
    monkeypatch.setattr(demo_drawings, "check_summary", lambda *args, **kwargs: checked)
    html = "".join(demo_drawings.drawing_section([drawing]).parts)
    assert "The simulator planted a wrong material" in html and "reading error" not in html
    assert "<th>planted</th>" in html
