"""The ``tesseract`` OCR engine: Debian's ``tesseract-ocr`` on the sheet and on the sheet turned by
90°, for vertical text; word boxes are grouped into lines.

Tesseract's page layout takes text boxed in by ruled lines (title-block cells, parts-list rows) for
part of a picture and reads none of it, so the sheet's long straight lines are erased first
(:func:`erase_rules`): a clean title block was otherwise not found at all.
"""

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

RULE_SHARE = 1 / 30
"""A straight horizontal or vertical run of ink longer than this share of the sheet's shorter side
is a ruled line (frame, cell border, dimension line), not a stroke of a glyph."""


def erase_rules(image: np.ndarray) -> np.ndarray:
    """``image`` (H, W) uint8 with its ruled lines painted paper-white (see :data:`RULE_SHARE`)."""
    import cv2

    paper, dark = float(np.percentile(image, 90)), float(image.min())
    if paper - dark < 40:
        return image
    ink = (image < (paper + dark) / 2).astype(np.uint8)
    length = max(25, round(min(image.shape) * RULE_SHARE))
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    rules = cv2.dilate(np.maximum(across, down), np.ones((3, 3), np.uint8))
    out = image.copy()
    out[rules > 0] = int(paper)
    return out


CELL_GAP = 1.5
"""Words of one tesseract line further apart than this many text heights stand in different cells
("TITLE: ...   DRAWING NO: ..." of one title-block row)."""


def _cells(words: list[tuple[str, float, tuple[int, int, int, int]]]) -> list[dict[str, Any]]:
    """The words of one tesseract line (text, score, box), split where a gap wider than
    :data:`CELL_GAP` text heights parts two cells; each piece with its words, scores and box."""
    pieces: list[list[tuple[str, float, tuple[int, int, int, int]]]] = []
    for word in sorted(words, key=lambda w: w[2][0]):
        if pieces:
            last = pieces[-1][-1][2]
            height = max(last[3] - last[1], word[2][3] - word[2][1])
            if word[2][0] - last[2] <= CELL_GAP * height:
                pieces[-1].append(word)
                continue
        pieces.append([word])
    return [
        {
            "words": [w for w, _, _ in piece],
            "scores": [s for _, s, _ in piece],
            "box": [
                min(b[0] for _, _, b in piece),
                min(b[1] for _, _, b in piece),
                max(b[2] for _, _, b in piece),
                max(b[3] for _, _, b in piece),
            ],
        }
        for piece in pieces
    ]


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
        lines: dict[tuple[str, ...], list[tuple[str, float, tuple[int, int, int, int]]]] = {}
        for row in done.stdout.splitlines()[1:]:
            cells = row.split("\t")
            if len(cells) != 12 or not cells[11].strip() or float(cells[10]) / 100 < self.min_score:
                continue
            x, y, w, h = (int(c) for c in cells[6:10])
            lines.setdefault(tuple(cells[1:5]), []).append(
                (cells[11], float(cells[10]) / 100, (x, y, x + w, y + h))
            )
        return [piece for words in lines.values() for piece in _cells(words)]

    def read(self, image: np.ndarray) -> list[TextItem]:
        height = image.shape[0]
        image = erase_rules(image)
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
