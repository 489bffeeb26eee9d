"""Drawing input and the optional OCR engines: files, PDF pages, engines, test sheets, the CLI."""

from __future__ import annotations

import builtins
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from moesaic.cli.drawing import app
from moesaic.data.tables import DataFormatError
from moesaic.drawings import ocr, pages
from moesaic.drawings.cases import FAULTS, make_check_case
from moesaic.drawings.ocr import (
    MissingEngineError,
    RapidOCREngine,
    TesseractEngine,
    restore_diameter,
)
from moesaic.drawings.pages import load_pages


def _text_image(text: str, size: tuple[int, int] = (240, 70)) -> np.ndarray:
    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((12, 14), text, fill=0, font=ImageFont.load_default(size=34))
    return np.asarray(image)


def test_load_pages_reads_images_and_rejects_other_files(tmp_path: Path) -> None:
    Image.fromarray(_text_image("25")).convert("RGB").save(tmp_path / "a.jpg")
    pages = load_pages(tmp_path / "a.jpg")
    assert len(pages) == 1 and pages[0].shape == (70, 240) and pages[0].dtype == np.uint8
    (tmp_path / "b.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"b\.txt: expected a drawing as one of"):
        load_pages(tmp_path / "b.txt")
    (tmp_path / "c.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match=r"c\.png: not a readable image"):
        load_pages(tmp_path / "c.png")
    with pytest.raises(DataFormatError, match="file not found"):
        load_pages(tmp_path / "missing.png")
    with pytest.raises(
        DataFormatError, match=r"is a folder; expected a drawing file \(\.png, .*one sheet at a time"
    ):
        load_pages(tmp_path)


def test_pdf_pages_are_rasterised_by_pdftoppm(tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    Image.fromarray(_text_image("25")).save(tmp_path / "d.pdf", resolution=72)
    pages = load_pages(tmp_path / "d.pdf", dpi=72)
    assert len(pages) == 1 and abs(pages[0].shape[1] - 240) <= 2


def test_pdf_without_pdftoppm_says_which_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "e.pdf").write_bytes(b"%PDF-1.4")
    monkeypatch.setattr(pages.shutil, "which", lambda name: None)
    with pytest.raises(MissingEngineError, match="poppler-utils"):
        load_pages(tmp_path / "e.pdf")
    with pytest.raises(MissingEngineError, match="tesseract-ocr"):
        TesseractEngine().read(_text_image("25"))


def test_rapidocr_missing_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_rapidocr(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("rapidocr_onnxruntime"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(ocr, "_MODELS", {})
    monkeypatch.setattr(builtins, "__import__", no_rapidocr)
    with pytest.raises(MissingEngineError, match=r"moesaic\[drawings\]"):
        RapidOCREngine(threads=1).read(_text_image("25"))


def test_restore_diameter_needs_a_round_slashed_glyph_in_front() -> None:
    image = Image.new("L", (160, 50), 255)
    draw = ImageDraw.Draw(image)
    draw.ellipse([8, 12, 34, 38], outline=0, width=3)
    draw.line([6, 40, 36, 10], fill=0, width=3)
    draw.text((42, 8), "40", fill=0, font=ImageFont.load_default(size=34))
    assert restore_diameter(np.asarray(image), "40") == "⌀40"
    assert restore_diameter(np.asarray(image), "040") == "⌀40"
    assert restore_diameter(_text_image("40"), "40") == "40"


def test_rapidocr_reads_a_callout() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    items = RapidOCREngine(threads=1).read(_text_image("25±0.1"))
    assert [i.text.replace(" ", "") for i in items] == ["25±0.1"]


def test_tesseract_reads_a_number() -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")
    items = TesseractEngine().read(_text_image("4025", size=(300, 80)))
    assert "4025" in [i.text for i in items]


def test_check_cases_are_deterministic_and_carry_their_fault() -> None:
    case = make_check_case(3, seed=1, fonts=[])
    again = make_check_case(3, seed=1, fonts=[])
    assert case.png == again.png and case.expected == again.expected
    assert case.fault == FAULTS[3] == "bom_item_missing"
    ((rule, subject),) = case.expected
    assert rule == "bom_item_missing"
    assert subject in {r["part_number"] for r in case.reference_bom}
    assert subject not in {r["part_number"] for r in case.truth["bom"]}
    width, height = Image.open(io.BytesIO(case.png)).size
    assert all(
        0 <= b["box"][0] < b["box"][2] <= width and 0 <= b["box"][1] < b["box"][3] <= height
        for b in case.truth["boxes"]
    )


def test_cli_check_reports_a_bad_bom_before_reading_the_sheet(tmp_path: Path) -> None:
    Image.fromarray(_text_image("25")).save(tmp_path / "s.png")
    (tmp_path / "bom.csv").write_text("part_number,qty\nA-1,0\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "s.png"), "--bom", str(tmp_path / "bom.csv")])
    assert result.exit_code == 2
    assert "line 2" in result.output and "qty" in result.output


def test_cli_rejects_an_unknown_engine(tmp_path: Path) -> None:
    Image.fromarray(_text_image("25")).save(tmp_path / "s.png")
    result = CliRunner().invoke(app, ["summarize", str(tmp_path / "s.png"), "--engine", "magic"])
    assert result.exit_code == 2 and "unknown OCR engine 'magic'" in result.output


def test_cli_check_prints_how_the_sheet_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet read turned a quarter says so in `check` as in `summarize`."""
    from moesaic.cli import drawing
    from moesaic.drawings.summary import DrawingSummary
    from moesaic.drawings.titleblock import TitleBlock

    warning = "no title block upright: the sheet was read turned a quarter"
    turned = DrawingSummary("s.png", 100, 80, "test", TitleBlock(), (), (), (), (warning,), 0.1)
    monkeypatch.setattr(drawing, "summarize_drawing", lambda *a, **k: turned)
    result = CliRunner().invoke(app, ["check", str(tmp_path / "s.png")])
    assert "warning: no title block upright: the sheet was read turned a quarter" in result.output


def test_transparent_and_16_bit_images_read_as_the_8_bit_sheet(tmp_path: Path) -> None:
    sheet = _text_image("25")
    ink = 255 - sheet
    # a CAD export: black lines on a transparent black background
    rgba = np.stack([np.zeros_like(sheet)] * 3 + [ink], axis=-1)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "alpha.png")
    Image.fromarray(sheet.astype(np.uint16) * 257).save(tmp_path / "deep.png")  # 16-bit grey
    for name in ("alpha.png", "deep.png"):
        (page,) = load_pages(tmp_path / name)
        assert page.dtype == np.uint8 and np.abs(page.astype(int) - sheet).max() <= 1, name


def test_a_blank_page_says_so(tmp_path: Path) -> None:
    from moesaic.drawings.summary import summarize_image

    class NoText:
        name = "none"

        def read(self, image: np.ndarray) -> list[Any]:
            return []

    summary = summarize_image(np.full((80, 120), 250, dtype=np.uint8), engine=NoText())  # type: ignore[arg-type]
    assert summary.warnings[0] == "the sheet is blank: one even tone, no ink to read"


def test_cli_reads_the_page_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moesaic.cli import drawing
    from moesaic.drawings.summary import DrawingSummary
    from moesaic.drawings.titleblock import TitleBlock

    asked: list[int] = []

    def summarize(*args: Any, page: int = 0, **kwargs: Any) -> DrawingSummary:
        asked.append(page)
        return DrawingSummary("s.pdf", 100, 80, "test", TitleBlock(), (), (), (), (), 0.1)

    monkeypatch.setattr(drawing, "summarize_drawing", summarize)
    for command in ("summarize", "check"):
        CliRunner().invoke(app, [command, str(tmp_path / "s.pdf"), "--page", "2"])
    assert asked == [1, 1]
    result = CliRunner().invoke(app, ["summarize", str(tmp_path / "s.pdf"), "--page", "0"])
    assert result.exit_code == 2


def test_cli_check_says_where_on_the_sheet_a_finding_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # user report: "... in the BOM at [120, 40, 380, 62]" read as a place in the BOM
    from moesaic.cli import drawing
    from moesaic.drawings.check import CheckResult, Finding
    from moesaic.drawings.summary import DrawingSummary
    from moesaic.drawings.titleblock import TitleBlock

    sheet = DrawingSummary("s.png", 400, 300, "test", TitleBlock(), (), (), (), (), 0.1)
    message = "A-1: quantity 2 on the drawing, 3 in the BOM"
    wrong = Finding("bom_qty", "error", message, "A-1", (120, 40, 380, 62), 2)
    monkeypatch.setattr(drawing, "summarize_drawing", lambda *a, **k: sheet)
    monkeypatch.setattr(drawing, "check_summary", lambda *a, **k: CheckResult(sheet, (wrong,)))
    result = CliRunner().invoke(app, ["check", str(tmp_path / "s.png")])
    assert result.exit_code == 1
    assert "3 in the BOM (sheet box [120, 40, 380, 62]) (BOM line 2)" in " ".join(result.output.split())
