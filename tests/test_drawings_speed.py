"""The drawing reader's shortcuts: each must save time without changing what is read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from moesaic.drawings import ocr
from moesaic.drawings.layout import BomLine, SheetLayout
from moesaic.drawings.ocr import RapidOCREngine
from moesaic.drawings.onnxruntime_sessions import detect_gray
from moesaic.drawings.summary import CELL_BLURS, CELL_SURE_SCORE, _reread_bom_cells


def _sheet() -> np.ndarray:
    """A small sheet: a wide line, a short horizontal number and a vertical dimension."""
    image = Image.new("L", (520, 360), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    draw.text((20, 20), "SHAFT 25x120", fill=0, font=font)
    draw.text((40, 200), "50", fill=0, font=font)
    turned = Image.new("L", (120, 44), 255)
    ImageDraw.Draw(turned).text((6, 4), "80±0.2", fill=0, font=font)
    image.paste(turned.rotate(90, expand=True), (420, 120))
    return np.asarray(image)


def test_engine_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="sure_score"):
        RapidOCREngine(sure_score=1.5)
    with pytest.raises(ValueError, match="rec_batch"):
        RapidOCREngine(rec_batch=0)


def test_reading_angles_put_the_usual_direction_first() -> None:
    wide = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], dtype=np.float32)
    tall = np.array([[0, 0], [20, 0], [20, 100], [0, 100]], dtype=np.float32)
    square = np.array([[0, 0], [24, 0], [24, 20], [0, 20]], dtype=np.float32)
    assert ocr._reading_angles(wide) == (0.0,)
    assert ocr._reading_angles(tall) == (90.0, 270.0)
    assert ocr._reading_angles(square) == (0.0, 90.0, 270.0)


def test_sessions_sleep_instead_of_spinning() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    model = ocr._rapidocr(1)
    for wrapper in (model.text_det.infer, model.text_rec.session):
        options = wrapper.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert options.enable_cpu_mem_arena


def test_grayscale_detection_matches_rapidocr_on_a_colour_copy() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    import cv2

    detector = ocr._rapidocr(1).text_det
    sheet = _sheet()
    expected, _ = detector(cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR))
    found = detect_gray(detector, sheet)
    assert len(found) == len(expected) > 0
    assert all(np.array_equal(a, b) for a, b in zip(found, expected, strict=True))


def test_a_sure_first_reading_skips_the_other_directions(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    seen: list[int] = []
    recognise = RapidOCREngine.recognise

    def counting(self: RapidOCREngine, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        seen.append(len(crops))
        return recognise(self, crops)

    monkeypatch.setattr(RapidOCREngine, "recognise", counting)
    sheet = _sheet()
    every = RapidOCREngine(threads=1, sure_score=1.0).read(sheet)
    every_crops = sum(seen)
    seen.clear()
    quick = RapidOCREngine(threads=1).read(sheet)
    assert sum(seen) < every_crops
    assert [(i.text, i.angle) for i in quick] == [(i.text, i.angle) for i in every]
    assert any(i.angle == 90.0 and "80" in i.text for i in quick)


class _Cells:
    """A fake engine: the first blur reads ``first`` for every cell, the second ``second``."""

    def __init__(self, first: tuple[str, float], second: tuple[str, float]) -> None:
        self.answers = [first, second]
        self.calls: list[int] = []

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        answer = self.answers[len(self.calls)]
        self.calls.append(len(crops))
        return [answer] * len(crops)


def _layout() -> SheetLayout:
    rows = [BomLine({"item": "", "qty": "", "part_number": "P-1"}, (10, 40, 300, 60))]
    columns = [("item", 10), ("qty", 60), ("part_number", 110)]
    return SheetLayout(None, [], [], rows, None, columns, [])  # type: ignore[arg-type]


def test_a_surely_read_cell_is_not_read_under_the_next_blur() -> None:
    assert len(CELL_BLURS) == 2
    image = np.full((100, 320), 255, dtype=np.uint8)
    sure = _Cells(("3", CELL_SURE_SCORE), ("8", 0.99))
    assert _reread_bom_cells(image, _layout(), sure)[0].cells["qty"] == "3"
    assert sure.calls == [2]
    unsure = _Cells(("3", 0.5), ("8", 0.6))
    assert _reread_bom_cells(image, _layout(), unsure)[0].cells["qty"] == "8"
    assert unsure.calls == [2, 2]


def test_lines_read_on_two_threads_come_back_in_order() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    crops = [_sheet()[10:60, 10:260], _sheet()[190:240, 30:110], _sheet()[10:60, 10:140]]
    one = RapidOCREngine(threads=1).recognise(crops)
    two = RapidOCREngine(threads=2).recognise(crops)
    assert two == one
    assert "SHAFT" in one[0][0]


def test_suite_threads_option_is_for_rapidocr_only() -> None:
    from moesaic.eval.suites.drawings import _engine, _engine_setting

    engine = _engine({"threads": "2"})
    assert isinstance(engine, RapidOCREngine) and engine.threads == 2
    assert _engine_setting(engine) == "engine=rapidocr,threads=2"
    assert _engine_setting(_engine({})) == "engine=rapidocr"
    with pytest.raises(ValueError, match="only the rapidocr engine"):
        _engine({"engine": "tesseract", "threads": "2"})
