"""Reading a user's drawings for the knowledge base: progress is no warning (a user read
"warning: reading drawings by OCR: 3 of 5 read" as two drawings failing)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from moesaic.data.readers import read_drawing_image
from moesaic.drawings import intake
from moesaic.drawings.ocr import TextItem, box_quad


class Slow:
    """An OCR engine reading two title-block cells, while the clock runs a minute per sheet."""

    name = "fixed"

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def read(self, image: np.ndarray) -> list[TextItem]:
        self.clock[0] += 60.0
        return [
            TextItem("MATERIAL: S235JR", box_quad(600, 860, 800, 880), 0.99, 0.0),
            TextItem("REV: C", box_quad(600, 900, 680, 920), 0.99, 0.0),
        ]


def test_reading_drawings_logs_its_progress_as_info_never_as_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [0.0]
    monkeypatch.setattr("time.perf_counter", lambda: clock[0])
    drawings = []
    for name in ("A-1", "A-2", "A-3"):
        Image.new("L", (1000, 1000), 255).save(tmp_path / f"{name}.png")
        drawings.append(read_drawing_image(tmp_path / f"{name}.png"))
    with caplog.at_level(logging.INFO):
        read = intake.read_drawings(drawings, engine=Slow(clock))  # type: ignore[arg-type]
    assert [d.title_block.get("material") for d in read.drawings] == ["S235JR"] * 3
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("(2 of 3)" in r.getMessage() for r in caplog.records)
