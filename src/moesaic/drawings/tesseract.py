"""The ``tesseract`` OCR engine: Debian's ``tesseract-ocr`` on the sheet and on the sheet turned by
90°, for vertical text; word boxes are grouped into lines."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from moesaic.drawings.text import MissingEngineError, TextItem, box_quad


@dataclass(frozen=True)
class TesseractEngine:
    """Debian's ``tesseract`` (sparse text mode), on the sheet and on the sheet turned by 90°.

    Attributes:
        min_score: words below this confidence (0-1) are dropped.
        language: the tesseract language pack.
    """

    name: ClassVar[str] = "tesseract"
    min_score: float = 0.5
    language: str = "eng"

    def _run(self, image: np.ndarray) -> list[dict[str, Any]]:
        exe = shutil.which("tesseract")
        if exe is None:
            raise MissingEngineError(
                "the tesseract engine needs the Debian package tesseract-ocr (apt-get install tesseract-ocr)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "sheet.png"
            Image.fromarray(image).save(source)
            done = subprocess.run(
                [exe, str(source), "stdout", "--psm", "11", "-l", self.language, "tsv"],
                capture_output=True,
                text=True,
                check=False,
                env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
            )
        if done.returncode != 0:
            raise RuntimeError(f"tesseract failed: {done.stderr.strip()}")
        lines: dict[tuple[str, ...], dict[str, Any]] = {}
        for row in done.stdout.splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) != 12 or not cells[11].strip() or float(cells[10]) / 100 < self.min_score:
                continue
            key = tuple(cells[1:5])
            x, y, w, h = (int(c) for c in cells[6:10])
            line = lines.setdefault(key, {"words": [], "scores": [], "box": [x, y, x + w, y + h]})
            line["words"].append(cells[11])
            line["scores"].append(float(cells[10]) / 100)
            b = line["box"]
            line["box"] = [min(b[0], x), min(b[1], y), max(b[2], x + w), max(b[3], y + h)]
        return list(lines.values())

    def read(self, image: np.ndarray) -> list[TextItem]:
        height = image.shape[0]
        items = []
        for line in self._run(image):
            x1, y1, x2, y2 = line["box"]
            items.append(TextItem(" ".join(line["words"]), box_quad(x1, y1, x2, y2), min(line["scores"])))
        # turned 90° clockwise, text read bottom-to-top on the sheet becomes horizontal
        for line in self._run(np.rot90(image, -1).copy()):
            x1, y1, x2, y2 = line["box"]
            # (u, v) on the turned image is (x, y) = (v, H - 1 - u) on the sheet
            quad = (
                (y2, height - 1 - x1),
                (y1, height - 1 - x1),
                (y1, height - 1 - x2),
                (y2, height - 1 - x2),
            )
            box = box_quad(
                min(p[0] for p in quad),
                min(p[1] for p in quad),
                max(p[0] for p in quad),
                max(p[1] for p in quad),
            )
            items.append(TextItem(" ".join(line["words"]), box, min(line["scores"]), 90.0))
        return items
