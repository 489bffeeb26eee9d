"""Summarise a drawing: title block, dimensions, notes, parts list, in words and as JSON.

:func:`summarize_drawing` is the entry point the CLI, the demo and the knowledge base use:
it reads the sheet (:mod:`moesaic.drawings.ocr`), sorts its text (:mod:`moesaic.drawings.layout`)
and returns a :class:`DrawingSummary`, whose :meth:`~DrawingSummary.text` is the short readable
summary and :meth:`~DrawingSummary.to_json` the structured form.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from moesaic.drawings.layout import BomLine, Dimension, SheetLayout, read_layout
from moesaic.drawings.ocr import OCREngine, TextItem, make_engine, straighten
from moesaic.drawings.pages import PageRangeError, load_pages
from moesaic.drawings.titleblock import FIELDS, REFUSED, TitleBlock

logger = logging.getLogger(__name__)

DEFAULT_ENGINE = "rapidocr"
LOW_CONFIDENCE = 0.8  # dimensions read with less confidence are named in the warnings
_IT_GRADE = re.compile(r"(\d+)$")
_CELL_NUMBER = re.compile(r"\d{1,4}")
# item and quantity cells hold a number and nothing else: that constraint allows a lower score
CELL_MIN_SCORE = 0.3
CELL_BLURS = (0.8, 1.3)  # Gaussian sigmas tried on each re-read cell; the surest number wins
# a cell read as a number at least this surely under one blur is not read under the next
# (chosen on simulated seed-1 sheets: from 0.8 up, no cell's reading changed)
CELL_SURE_SCORE = 0.9
BLANK_CONTRAST = 16  # a sheet whose ink and paper differ by fewer grey levels is blank


@dataclass(frozen=True)
class DrawingSummary:
    """What a drawing says, as read from its first sheet.

    Attributes:
        path: the drawing file.
        width: sheet width in pixels.
        height: sheet height in pixels.
        engine: the OCR engine used.
        title_block: the title-block fields with their boxes.
        dimensions: every dimension callout found, parsed.
        notes: the note lines, top to bottom.
        bom: the rows of the parts list on the sheet.
        warnings: what could not be read or looks doubtful.
        seconds: the wall time of reading the sheet.
        parts_list_unread: a parts-list header was seen but none of its rows read (a skewed or
            coarse scan), so :attr:`bom` is empty although the sheet has a parts list.
    """

    path: str
    width: int
    height: int
    engine: str
    title_block: TitleBlock
    dimensions: tuple[Dimension, ...]
    notes: tuple[TextItem, ...]
    bom: tuple[BomLine, ...]
    warnings: tuple[str, ...]
    seconds: float
    parts_list_unread: bool = False

    def tightest(self, n: int = 3) -> list[Dimension]:
        """The ``n`` dimensions with the narrowest tolerance band, written (``±0.1``: 0.2 mm) or of
        their ISO 286 fit at their size (``⌀40h6``: 0.016 mm), then fits of no known width by
        grade (thread classes); a callout written alike twice counts once."""
        banded = sorted(
            (d for d in self.dimensions if d.callout.band is not None),
            key=lambda d: d.callout.band or 0.0,
        )
        fits = sorted(
            (d for d in self.dimensions if d.callout.fit and d.callout.band is None),
            key=lambda d: int(m.group(1)) if (m := _IT_GRADE.search(d.callout.fit)) else 99,
        )
        first: dict[str, Dimension] = {}
        for d in banded + fits:
            first.setdefault(d.text, d)
        return list(first.values())[:n]

    def overall_size(self) -> str:
        """The largest length and the largest diameter called out, in words."""
        lengths = [d.callout.nominal for d in self.dimensions if d.callout.kind == "linear"]
        diameters = [d.callout.nominal for d in self.dimensions if d.callout.kind == "diameter"]
        parts = []
        if lengths:
            parts.append(f"{max(lengths):g} mm largest length")
        if diameters:
            parts.append(f"⌀{max(diameters):g} mm largest diameter")
        return ", ".join(parts) or "not stated"

    def features(self) -> list[str]:
        """Special features: fits, threads, hole patterns, tubes, chamfers."""
        out = []
        fits = sorted(
            {d.callout.fit for d in self.dimensions if d.callout.fit and d.callout.kind != "thread"}
        )
        if fits:
            out.append("fits " + ", ".join(fits))
        threads = [d.text for d in self.dimensions if d.callout.kind == "thread"]
        if threads:
            out.append("threads " + ", ".join(threads))
        patterns = [d.text for d in self.dimensions if d.callout.count > 1]
        if patterns:
            out.append("repeated features " + ", ".join(patterns))
        tubes = [d.text for d in self.dimensions if d.callout.wall is not None]
        if tubes:
            out.append("tubes (outer diameter x wall) " + ", ".join(tubes))
        chamfers = sum(1 for d in self.dimensions if d.callout.kind == "chamfer")
        if chamfers:
            out.append(f"{chamfers} chamfer(s)")
        return out

    def text(self) -> str:
        """A short readable summary."""
        tb = self.title_block
        name = tb.get("part_name") or "unnamed part"
        number = tb.get("drawing_number") or tb.get("part_number") or "no number"
        lines = [
            f"{name} ({number}, rev {tb.get('revision') or '?'})",
            f"material: {tb.get('material') or 'not stated'}; scale {tb.get('scale') or '?'}; "
            f"general tolerance {tb.get('general_tolerance') or 'not stated'}",
            f"overall size: {self.overall_size()}",
            f"{len(self.dimensions)} dimensions, "
            f"{sum(1 for d in self.dimensions if d.callout.toleranced)} with their own tolerance or fit",
        ]
        tight = self.tightest()
        if tight:
            lines.append("tightest: " + ", ".join(d.text for d in tight))
        features = self.features()
        if features:
            lines.append("features: " + "; ".join(features))
        if self.bom:
            lines.append(f"parts list: {len(self.bom)} rows")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "width": self.width,
            "height": self.height,
            "engine": self.engine,
            "summary": self.text(),
            "title_block": self.title_block.to_json(),
            "dimensions": [d.to_json() for d in self.dimensions],
            "notes": [{"text": n.text, "box": list(n.box)} for n in self.notes],
            "bom": [line.to_json() for line in self.bom],
            "parts_list_unread": self.parts_list_unread,
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


def _reread_bom_cells(image: np.ndarray, layout: SheetLayout, engine: OCREngine) -> list[BomLine]:
    """Read again the parts-list cells the line detector missed (single digits such as a quantity)."""
    recognise = getattr(engine, "recognise", None)
    if recognise is None or not layout.bom_columns:
        return layout.bom
    cells = _missed_cells(image, layout)
    if not cells:
        return layout.bom
    lines = [dict(line.cells) for line in layout.bom]
    best: dict[tuple[int, str], float] = {}
    # a light blur joins scanner noise into the paper; lone digits then read far more surely.
    # Each blur in turn, on the cells no blur has read surely yet: the surest number wins.
    for sigma in CELL_BLURS:
        todo = [(key, crop) for key, crop in cells if best.get(key, 0.0) < CELL_SURE_SCORE]
        if not todo:
            break
        smooth = [_blur(crop, sigma) for _, crop in todo]
        for ((r, name), _), (text, score) in zip(todo, recognise(smooth), strict=True):
            number = text.strip().rstrip(".")
            if _CELL_NUMBER.fullmatch(number) and score >= max(CELL_MIN_SCORE, best.get((r, name), 0.0)):
                lines[r][name] = number
                best[(r, name)] = score
    return [BomLine(cells, line.box) for cells, line in zip(lines, layout.bom, strict=True)]


def _missed_cells(image: np.ndarray, layout: SheetLayout) -> list[tuple[tuple[int, str], np.ndarray]]:
    """((row, column), upright crop) of each item or quantity cell not read as a number."""
    edges = [x for _, x in layout.bom_columns]
    right = max(line.box[2] for line in layout.bom) if layout.bom else edges[-1]
    cells = []
    for r, line in enumerate(layout.bom):
        y1, y2 = line.box[1], line.box[3]
        for c, (name, x) in enumerate(layout.bom_columns):
            if name not in ("item", "qty") or _CELL_NUMBER.fullmatch(line.cells.get(name, "").rstrip(".")):
                continue  # read already, and a number as it should be
            x2 = edges[c + 1] if c + 1 < len(edges) else right
            quad = np.array(
                [[x - 2, y1 - 2], [x2 - 4, y1 - 2], [x2 - 4, y2 + 2], [x - 2, y2 + 2]], dtype=np.float32
            )
            cells.append(((r, name), straighten(image, quad, pad=0.0)))
    return cells


def _blur(crop: np.ndarray, sigma: float) -> np.ndarray:
    smooth = ndimage.gaussian_filter(crop.astype(np.float32), sigma=sigma)
    return np.clip(smooth, 0, 255).astype(np.uint8)


def summarize_image(image: np.ndarray, *, engine: OCREngine, path: str = "") -> DrawingSummary:
    """Summarise one sheet given as a grayscale array (H, W) uint8."""
    if image.ndim != 2:
        raise ValueError(f"`image` must be grayscale with shape (height, width), got {image.shape}")
    start = time.perf_counter()
    engine_name = getattr(engine, "name", type(engine).__name__)
    items = engine.read(image)
    height, width = image.shape
    layout = read_layout(items, width=width, height=height)
    bom = _reread_bom_cells(image, layout, engine)
    warnings = []
    if _blank(image):
        warnings.append("the sheet is blank: one even tone, no ink to read")
    elif layout.title_block.region is None:
        warnings.append(
            f"no title block found: {engine_name} read no field label (TITLE, MATERIAL, SCALE ...) in the "
            "lower half of the sheet; another engine may read them (--engine)"
        )
    refused = layout.title_block.refused
    missing = [f for f in FIELDS if f not in layout.title_block.fields and f not in refused]
    if missing and layout.title_block.region is not None:
        warnings.append("title-block fields not found: " + ", ".join(missing))
    for name, bare in refused.items():
        warnings.append(
            f"title-block {name.replace('_', ' ')} read as {bare.value!r}, not {REFUSED[name][1]} "
            "(part of it lost in reading?): not taken; check it on the sheet"
        )
    doubtful = [d.text for d in layout.dimensions if d.score < LOW_CONFIDENCE]
    if doubtful:
        warnings.append("dimensions read with low confidence: " + ", ".join(doubtful))
    lone = [d.text for d in layout.dimensions if d.callout.lone_deviation]
    if lone:
        warnings.append(
            "one deviation read alone (taken as the other being 0): " + ", ".join(lone) + "; a ± may "
            "have been read as + or - (ISO 129-1 writes both deviations): check it on the sheet"
        )
    if not layout.dimensions:
        warnings.append("no dimension callouts found")
    unread = bool(layout.bom_columns) and not bom
    if unread:
        heads = ", ".join(name for name, _ in layout.bom_columns)
        warnings.append(
            f"a parts-list header was found ({heads}) but none of its rows could be read "
            "(a skewed or coarse scan?); its cells may be counted as dimensions"
        )
    return DrawingSummary(
        path=path,
        width=width,
        height=height,
        engine=engine_name,
        title_block=layout.title_block,
        dimensions=tuple(layout.dimensions),
        notes=tuple(layout.notes),
        bom=tuple(bom),
        warnings=tuple(warnings),
        seconds=time.perf_counter() - start,
        parts_list_unread=unread,
    )


def _blank(image: np.ndarray) -> bool:
    """True for a sheet of one even tone: an empty page."""
    return int(image.max()) - int(image.min()) < BLANK_CONTRAST


def _read_on_its_side(
    image: np.ndarray, upright: DrawingSummary, engine: OCREngine, path: str
) -> DrawingSummary:
    """A sheet whose title block was not found upright, read turned a quarter each way: the first
    turn that finds a title block wins (a scan lying on its side), else the upright reading.
    Boxes are then on the turned sheet, and a warning says so."""
    seconds = upright.seconds
    for turns, how in ((1, "a quarter turn counter-clockwise"), (3, "a quarter turn clockwise")):
        turned = summarize_image(np.ascontiguousarray(np.rot90(image, turns)), engine=engine, path=path)
        seconds += turned.seconds
        if turned.title_block.region is not None:
            note = f"no title block upright: the sheet was read turned {how}; boxes are on the turned sheet"
            return dataclasses.replace(turned, warnings=(note, *turned.warnings), seconds=seconds)
    return dataclasses.replace(upright, seconds=seconds)


def summarize_drawing(
    path: Path | str, *, engine: OCREngine | str | None = None, page: int = 0
) -> DrawingSummary:
    """Read and summarise a drawing file (PNG, JPG, TIFF, or one page of a PDF).

    Args:
        path: the drawing.
        engine: an OCR engine, its name ("rapidocr", "tesseract"), or None for rapidocr.
        page: which page of a multi-page PDF (0-based).

    Raises:
        DataFormatError: the file is missing or not a drawing.
        MissingEngineError: the OCR engine (or ``pdftoppm`` for a PDF) is not installed.
        PageRangeError: ``page`` is out of range (a ValueError).
    """
    pages = load_pages(Path(path))
    if not 0 <= page < len(pages):
        raise PageRangeError(path, page, len(pages))
    chosen = make_engine(engine or DEFAULT_ENGINE) if engine is None or isinstance(engine, str) else engine
    summary = summarize_image(pages[page], engine=chosen, path=str(path))
    if summary.title_block.region is None and not _blank(pages[page]):
        summary = _read_on_its_side(pages[page], summary, chosen, str(path))
    if len(pages) > 1:
        note = f"the file has {len(pages)} pages; page {page + 1} was read"
        summary = DrawingSummary(**{**summary.__dict__, "warnings": (*summary.warnings, note)})
    logger.info("read %s in %.1f s: %d dimensions", path, summary.seconds, len(summary.dimensions))
    return summary
