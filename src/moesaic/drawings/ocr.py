"""Read the text of a sheet: a grayscale page in, positioned text lines out.

Two engines sit behind one small protocol, :class:`OCREngine`:

- ``rapidocr``: the PP-OCRv4 detector and recogniser bundled in ``rapidocr-onnxruntime``
  (pip extra ``drawings``). Detection runs on a reduced copy of the sheet; every detected
  line is then cut from the full-resolution sheet, straightened by its own quadrilateral and
  recognised upright, one line per onnxruntime call. Lines taller than wide (vertical
  dimensions) are read bottom-up (90°) and, unless that reading is sure, top-down (270°) too;
  the reading the recogniser is surer of is kept. Where the time goes, on a simulated sheet:
  about a third in the two detector passes, most of the rest in recognition.
- ``tesseract``: Debian's ``tesseract-ocr`` on the sheet and on the sheet turned by 90°, for
  vertical text; word boxes are grouped into lines.

Neither engine is imported until used: without it, :class:`MissingEngineError` says what to install.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from moesaic.drawings.glyphs import read_parts, restore_diameter
from moesaic.drawings.onnxruntime_sessions import detect_gray, quiet_sessions
from moesaic.drawings.sheet import reading_scale, resize
from moesaic.drawings.tesseract import TesseractEngine
from moesaic.drawings.text import MissingEngineError, OCREngine, Quad, TextItem, box_quad

__all__ = [
    "ENGINES",
    "MissingEngineError",
    "OCREngine",
    "Quad",
    "RapidOCREngine",
    "TesseractEngine",
    "TextItem",
    "box_quad",
    "make_engine",
    "restore_diameter",
    "straighten",
]

logger = logging.getLogger(__name__)


# a line found turned covering less than this share of an upright line's box is a piece of it
PIECE = 0.5

T = TypeVar("T")
R = TypeVar("R")


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners clockwise from the top-left one (image y grows downwards)."""
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    quad = quad[np.argsort(angles)]  # clockwise on screen, starting anywhere
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0)


def _is_tall(quad: np.ndarray) -> bool:
    """True when an ordered quadrilateral is clearly taller than wide."""
    return bool(np.linalg.norm(quad[3] - quad[0]) > 1.3 * np.linalg.norm(quad[1] - quad[0]))


def _is_wide(quad: np.ndarray) -> bool:
    """True when an ordered quadrilateral is clearly wider than tall."""
    return bool(np.linalg.norm(quad[1] - quad[0]) > 1.5 * np.linalg.norm(quad[3] - quad[0]))


def _line_height(quad: np.ndarray) -> float:
    """The height of a text line: the shorter side of its ordered quadrilateral."""
    return float(min(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[3] - quad[0])))


def _quad_box(quad: np.ndarray) -> tuple[float, float, float, float]:
    return float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()), float(quad[:, 1].max())


def _area(quad: np.ndarray) -> float:
    x1, y1, x2, y2 = _quad_box(quad)
    return (x2 - x1) * (y2 - y1)


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


def straighten(image: np.ndarray, quad: np.ndarray, *, pad: float = 0.15) -> np.ndarray:
    """Cut ``quad`` (4, 2) out of ``image`` as an upright rectangle, padded by ``pad`` x height."""
    import cv2

    q = _order(np.asarray(quad, dtype=np.float32))
    width = float(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3])))
    height = float(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1])))
    p = pad * min(width, height)
    w, h = round(width + 2 * p), round(height + 2 * p)
    target = np.array([[p, p], [p + width, p], [p + width, p + height], [p, p + height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(q, target)
    return cv2.warpPerspective(
        image, matrix, (max(w, 2), max(h, 2)), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


@dataclass(frozen=True)
class RapidOCREngine:
    """PP-OCRv4 through ``rapidocr-onnxruntime``.

    Attributes:
        det_side: the longer side, in pixels, of the copy the detector sees.
        threads: how many detector passes or text lines run at once, on as many Python
            threads; each onnxruntime session runs on one thread
            (:func:`~moesaic.drawings.onnxruntime_sessions.session`). 1 costs the least CPU
            time and, on cores busy with other jobs, the least wall time too; 2 halves the wall
            time on two free cores.
        min_score: recognitions below this confidence are dropped.
        vertical: also detect on the sheet turned by 90°, for vertical dimensions.
        box_threshold: the detector's minimum mean text probability inside a box (lower finds
            fainter, thinner text).
        thicken: the side of the square that darkens strokes before the sheet is shrunk for
            the detector (1: not at all).
        sure_score: a line read at least this surely in its usual direction is not read in the
            other directions too (1: always read every direction). Chosen on the tuning sheets
            (simulated seed 1, eDOCr2 ``split=dev``): at 0.9 no kept reading changed.
        rescale: read a sheet with small or large print on a copy resized to the usual print
            (:mod:`moesaic.drawings.sheet`: a quarter of its lines under 15.5 or over 28 pixels
            tall).
        rec_batch: lines recognised per onnxruntime call. One at a time is the fastest on a
            CPU (a third less time than ``rapidocr``'s 6, whose batches are padded to their
            widest line), and a line's reading then no longer depends on which lines share its
            batch.
    """

    name: ClassVar[str] = "rapidocr"
    det_side: int = 2000
    threads: int = 1
    min_score: float = 0.5
    vertical: bool = True
    box_threshold: float = 0.3
    thicken: int = 3
    sure_score: float = 0.9
    rec_batch: int = 1
    rescale: bool = True

    def __post_init__(self) -> None:
        if self.det_side < 320:
            raise ValueError(f"`det_side` must be >= 320 pixels, got {self.det_side}")
        if self.thicken < 1 or self.thicken % 2 == 0:
            raise ValueError(f"`thicken` must be a positive odd number of pixels, got {self.thicken}")
        if self.threads < 1:
            raise ValueError(f"`threads` must be >= 1, got {self.threads}")
        if self.rec_batch < 1:
            raise ValueError(f"`rec_batch` must be >= 1, got {self.rec_batch}")
        if not 0.0 <= self.sure_score <= 1.0:
            raise ValueError(f"`sure_score` must be in [0, 1], got {self.sure_score}")

    def _model(self) -> Any:
        return _rapidocr(1)

    def _map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on up to ``threads`` threads (onnxruntime frees the GIL as it runs)."""
        if self.threads == 1 or len(items) < 2:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.threads, len(items))) as pool:
            return list(pool.map(fn, items))

    def _detect_upright(self, image: np.ndarray) -> list[np.ndarray]:
        import cv2

        scale = min(1.0, self.det_side / max(image.shape))
        if scale < 1.0:
            # shrinking greys out thin strokes until the detector misses them: thicken them first
            bold = (
                cv2.erode(image, np.ones((self.thicken, self.thicken), np.uint8))
                if self.thicken > 1
                else image
            )
            small = cv2.resize(bold, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        else:
            small = image
        detector = self._model().text_det
        detector.postprocess_op.box_thresh = self.box_threshold
        return [_order(np.asarray(b, dtype=np.float32) / scale) for b in detect_gray(detector, small)]

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text quadrilaterals (4, 2) in full-resolution pixels, clockwise from top-left.

        The detector splits vertical lines into pieces, so it also sees the sheet turned by
        90°: there vertical lines lie flat and come out whole. That pass adds the lines that
        are tall on the sheet and do not overlap a line of the first pass.
        """
        sheets = [image, np.rot90(image, -1).copy()] if self.vertical else [image]
        passes = self._map(self._detect_upright, sheets)
        found = [q for q in passes[0] if not _is_tall(q)]
        if self.vertical:
            height = image.shape[0]
            vertical = []
            for q in passes[1]:
                # (u, v) on the turned image is (x, y) = (v, H - 1 - u) on the sheet
                sheet = _order(np.stack([q[:, 1], height - 1 - q[:, 0]], axis=1))
                box = _quad_box(sheet)
                if _is_wide(sheet) or any(_is_wide(f) and _overlap(box, _quad_box(f)) > 0.3 for f in found):
                    continue
                vertical.append(sheet)
            # a squarish piece of a vertical line found upright gives way to the whole line, and a
            # piece of a line found turned (the "6" of "16") to the upright line
            pieces = [
                (f, v)
                for f in found
                if not _is_wide(f)
                for v in vertical
                if _overlap(_quad_box(f), _quad_box(v)) > 0.5
            ]
            found = [f for f in found if not any(f is a and _area(v) >= PIECE * _area(f) for a, v in pieces)]
            found += [
                v for v in vertical if not any(v is b and _area(v) < PIECE * _area(f) for f, b in pieces)
            ]
        return found

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """The text and confidence of upright grayscale line crops."""
        import cv2

        if not crops:
            return []
        recogniser = self._model().text_rec
        recogniser.rec_batch_num = self.rec_batch
        coloured = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops]
        shards = [range(k, len(crops), self.threads) for k in range(min(self.threads, len(crops)))]
        read = self._map(lambda shard: recogniser([coloured[i] for i in shard])[0], shards)
        result: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for shard, texts in zip(shards, read, strict=True):
            for i, (text, score) in zip(shard, texts, strict=True):
                result[i] = (str(text), float(score))
        return result

    def read(self, image: np.ndarray) -> list[TextItem]:
        quads = self.detect(image)
        factor = reading_scale([_line_height(q) for q in quads]) if self.rescale else 1.0
        if factor != 1.0:
            # small or large print: read on a copy resized to the usual print (moesaic.drawings.sheet)
            width, height = image.shape[1], image.shape[0]
            logger.info(
                "%s print on a %d x %d sheet: read resized %.2f times",
                "small" if factor > 1 else "large",
                width,
                height,
                factor,
            )
            resized = resize(image, factor)
            return resized.to_sheet(self._read_lines(resized.image, self.detect(resized.image)))
        return self._read_lines(image, quads)

    def _read_lines(self, image: np.ndarray, quads: Sequence[np.ndarray]) -> list[TextItem]:
        """The text of each detected line quadrilateral of ``image``, low-confidence ones left out."""
        crops = [straighten(image, quad) for quad in quads]
        plans = [_reading_angles(quad) for quad in quads]
        best: dict[int, tuple[str, float, float]] = {}
        # the usual direction first; the others only for the lines it reads unsurely
        self._read_at(crops, [(i, plan[0]) for i, plan in enumerate(plans)], best)
        doubtful = [(i, a) for i, plan in enumerate(plans) if best[i][1] < self.sure_score for a in plan[1:]]
        self._read_at(crops, doubtful, best)
        for i, (text, score, angle) in best.items():
            if score >= self.min_score:
                best[i] = (read_parts(_turn(crops[i], angle), text, self.recognise), score, angle)
        items = []
        for i, (text, score, angle) in sorted(best.items()):
            if score < self.min_score or not text.strip():
                continue
            corners = tuple((float(x), float(y)) for x, y in quads[i])
            items.append(TextItem(text.strip(), corners, score, angle))  # type: ignore[arg-type]
        return items

    def _read_at(
        self,
        crops: Sequence[np.ndarray],
        wanted: Sequence[tuple[int, float]],
        best: dict[int, tuple[str, float, float]],
    ) -> None:
        """Recognise crop ``i`` turned by ``angle`` for each (i, angle); keep the surest reading per crop."""
        turned = [_turn(crops[i], a) for i, a in wanted]
        for (i, angle), (text, score) in zip(wanted, self.recognise(turned), strict=True):
            if i not in best or score > best[i][1]:
                best[i] = (text.strip(), score, angle)


def _turn(crop: np.ndarray, angle: float) -> np.ndarray:
    """An upright line crop turned so that text reading at ``angle`` reads left to right."""
    return np.rot90(crop, -int(angle // 90)).copy() if angle else crop


def _reading_angles(quad: np.ndarray) -> tuple[float, ...]:
    """The directions a line may read in, the usual one first.

    A wide line reads left to right; a tall one bottom-up (as vertical dimensions are written)
    or top-down; a short squarish one ("50" written vertically) any of the three.
    """
    if _is_wide(quad):
        return (0.0,)
    if _is_tall(quad):
        return (90.0, 270.0)
    return (0.0, 90.0, 270.0)


_MODELS: dict[int, Any] = {}


def _rapidocr(threads: int) -> Any:
    """One loaded RapidOCR per intra-op thread count: loading the models takes about a second."""
    if threads not in _MODELS:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise MissingEngineError(
                "the rapidocr engine needs the `drawings` extra: pip install 'moesaic[drawings]' "
                "(it installs rapidocr-onnxruntime)"
            ) from None
        model = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        _MODELS[threads] = quiet_sessions(model, threads)
    return _MODELS[threads]


ENGINES: dict[str, type[RapidOCREngine] | type[TesseractEngine]] = {
    "rapidocr": RapidOCREngine,
    "tesseract": TesseractEngine,
}


def make_engine(name: str, **settings: Any) -> OCREngine:
    """The engine registered as ``name``, with its default settings but for ``settings``."""
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of {sorted(ENGINES)}")
    return ENGINES[name](**settings)
