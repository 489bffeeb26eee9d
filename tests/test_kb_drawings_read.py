"""Drawings of a user's folder are read by OCR when ingested, as ``moesaic drawing summarize``
reads them, and ``ask`` answers from their title block (a fake engine: no OCR model runs)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from moesaic.data.readers import read_drawing_image
from moesaic.data.schema import Drawing, MaintenanceData
from moesaic.drawings import intake
from moesaic.drawings.ocr import MissingEngineError, TextItem, box_quad
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer
from moesaic.reports.ask.drawings import load_drawings


def _item(text: str, x1: int, y1: int, x2: int, y2: int) -> TextItem:
    return TextItem(text, box_quad(x1, y1, x2, y2), 0.99, 0.0)


class Sheet:
    """An OCR engine that reads a German title block and one dimension from any image."""

    name = "fixed"

    def __init__(self) -> None:
        self.calls = 0

    def read(self, image: np.ndarray) -> list[TextItem]:
        self.calls += 1
        return [
            _item("BENENNUNG", 600, 800, 700, 815),
            _item("LAGERDECKEL", 605, 820, 760, 840),
            _item("WERKSTOFF", 600, 860, 700, 875),
            _item("S235JR", 605, 880, 690, 900),
            _item("GEZEICHNET", 800, 860, 900, 875),
            _item("M. Keller", 805, 880, 900, 900),
            _item("⌀400 h7", 128, 440, 226, 467),
        ]


class NoEngine:
    name = "missing"

    def read(self, image: np.ndarray) -> list[TextItem]:
        raise MissingEngineError("rapidocr is not installed: pip install 'moesaic[drawings]'")


def _user_drawing(folder: Path, name: str = "Z-4711-03") -> Drawing:
    path = folder / f"{name}.png"
    Image.new("L", (1000, 1000), 255).save(path)
    return read_drawing_image(path)  # as `read_user_folder` describes a user's drawing: no title block


def _ingest(folder: Path, *drawings: Drawing) -> KnowledgeBase:
    base = KnowledgeBase.open(folder / "kb", create=True, embedder="hashing")
    base.ingest(MaintenanceData("myplant", drawings=drawings), source="myplant")
    return base


def test_ingest_reads_a_user_drawings_title_block_and_ask_answers_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Sheet()
    monkeypatch.setattr(intake, "make_engine", lambda name: engine)
    simulated = Drawing("DWG-1", tmp_path / "DWG-1.png", title_block={"material": "C45"})
    with _ingest(tmp_path, _user_drawing(tmp_path), simulated) as base:
        stored = {d.key: d for d in load_drawings(base)}
        assert engine.calls == 1  # a drawing with its title block is not read again
        mine = stored["myplant:Z-4711-03"]
        assert mine.title_block == {"part_name": "LAGERDECKEL", "material": "S235JR", "drawn_by": "M. Keller"}
        assert mine.fields["read_by"] == "fixed" and mine.fields["format"] == "PNG"
        boxes = base.connection.execute(
            "SELECT boxes FROM drawings WHERE key = 'myplant:Z-4711-03'"
        ).fetchone()
        assert '"dim_type":"diameter"' in boxes[0] and '"kind":"dimension"' in boxes[0]
        assert stored["myplant:DWG-1"].title_block == {"material": "C45"}
        ask = KbAnswerer(base)
        material = ask.answer("What material is drawing Z-4711-03?")
        assert material.text == "Drawing myplant:Z-4711-03 (LAGERDECKEL): material S235JR."
        drawer = ask.answer("Who drew drawing Z-4711-03?")
        assert drawer.text == "Drawing myplant:Z-4711-03 (LAGERDECKEL) was drawn by M. Keller."


def test_without_an_ocr_engine_ingest_stores_the_drawings_and_warns_once_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(intake, "make_engine", lambda name: NoEngine())
    drawings = (_user_drawing(tmp_path, "A-1"), _user_drawing(tmp_path, "A-2"))
    with caplog.at_level(logging.WARNING), _ingest(tmp_path, *drawings) as base:
        assert [d.title_block for d in load_drawings(base)] == [{}, {}]
        answer = KbAnswerer(base).answer("Who drew drawing A-1?")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("2 drawing(s) stored without their title block")
    assert warnings[0].endswith("A-1, A-2") and "pip install" in warnings[0]
    assert answer.text.startswith(
        "Drawing myplant:A-1 gives no drawer (drawn by): the base stores no title-block"
    )
    assert ": ." not in answer.text


def test_a_title_block_without_the_asked_field_says_so() -> None:
    from moesaic.reports.ask.drawings import DrawingRow, _field_answer

    row = DrawingRow("my:Z-1", "", {"part_name": "COVER", "material": "S235JR"}, {})
    answer = _field_answer([row], ("drawn_by", "author"))
    assert answer.text == "Drawing my:Z-1 (COVER) gives no drawer (drawn by) in its title block."
