"""What every OCR engine gives back: positioned text lines, and the error for a missing engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


class MissingEngineError(RuntimeError):
    """An optional OCR engine or tool is not installed; the message says how to install it."""


@dataclass(frozen=True)
class TextItem:
    """One line of text on a sheet.

    Attributes:
        text: the text as read (symbols not yet normalised).
        quad: the four corners in pixels, clockwise from the start of the text's top edge.
        score: the engine's confidence in [0, 1].
        angle: the reading direction in degrees, counter-clockwise from left-to-right (90: read
            bottom to top, as vertical dimensions are).
    """

    text: str
    quad: Quad
    score: float
    angle: float = 0.0

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The axis-aligned pixel box [x1, y1, x2, y2] around the quadrilateral."""
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        return int(min(xs)), int(min(ys)), round(max(xs)), round(max(ys))

    @property
    def height(self) -> float:
        """The text height: the shorter side of the quadrilateral."""
        (x0, y0), (x1, y1), _, (x3, y3) = self.quad
        return float(min(np.hypot(x1 - x0, y1 - y0), np.hypot(x3 - x0, y3 - y0)))


def box_quad(x1: float, y1: float, x2: float, y2: float) -> Quad:
    """The quadrilateral of an axis-aligned box."""
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


class OCREngine(Protocol):
    name: ClassVar[str]

    def read(self, image: np.ndarray) -> list[TextItem]:
        """The text lines of a grayscale sheet, ``image``: (H, W) uint8."""
        ...
