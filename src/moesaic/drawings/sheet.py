"""Sheets with small or large print, resized to the usual print before their text is read.

A drawing scanned or exported at a low resolution reaches the text detector and recogniser with
figures a dozen pixels tall and strokes a pixel wide, and its dimensions are missed or misread;
one at a high resolution is shrunk so far for the detector (at most ``det_side`` pixels, see
:class:`~moesaic.drawings.ocr.RapidOCREngine`) that its vertical dimensions are lost, and its
stacked tolerances are cut from crops larger than the recogniser was built for. The detector's
first pass tells how tall the text lines are: when the shorter quarter of them is under
:data:`SMALL_TEXT` or over :data:`LARGE_TEXT` pixels, the sheet is resized so that this quarter is
:data:`TEXT_TARGET` pixels tall and read again, and :meth:`Resized.to_sheet` puts every position
back on the sheet as given. A sheet of usual print costs nothing more: its first detector pass is
the one its reading uses.

The three numbers were chosen on the tuning drawings (``split=dev``; a quarter of their detected
lines under 21.5 and 23.4 pixels as given, 13 and 14 at 0.6 of their size, 32 and 35 at 1.5, and
read best as given) and the simulated sheets (17 to 18, crisp print read well as it is); each
bound lies midway between the sizes read well and badly. The eDOCr2 test drawings played no part.

Tried and not kept: resizing by the sheet's size in pixels (the 1,600 x 1,100 simulated sheets
lost title-block accuracy, 0.966 to 0.938), and straightening a skewed scan before reading (the
skew found from the ruled lines; on the drawings turned by 0.7 to 2.5 degrees it lowered precision
as often as it lowered the character error rate): sheets are read as they lie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moesaic.drawings.text import TextItem

# print whose shorter quarter of detected lines is under this many pixels tall is small
SMALL_TEXT = 15.5
# and over this many, large
LARGE_TEXT = 28.0
# a sheet with small or large print is resized until that quarter is this tall
TEXT_TARGET = 22.0
# but enlarged at most this many times (a sheet of specks is not worth a huge copy)
MAX_FACTOR = 3.0
# fewer detected lines than this tell nothing about the print
_MIN_LINES = 5


def reading_scale(heights: Sequence[float]) -> float:
    """How much to resize a sheet whose detected text lines are ``heights`` pixels tall (1.0: not)."""
    if len(heights) < _MIN_LINES:
        return 1.0
    short = float(np.percentile(heights, 25))
    if short <= 0 or SMALL_TEXT <= short <= LARGE_TEXT:
        return 1.0
    return min(TEXT_TARGET / short, MAX_FACTOR)


@dataclass(frozen=True)
class Resized:
    """A sheet resized for reading, and the way back to the sheet as given.

    Attributes:
        image: the resized sheet (H', W') uint8.
        scale_x: resized pixels per sheet pixel across; ``scale_y`` the same down the sheet (each
            side is rounded to a whole pixel, so the two may differ in the third decimal).
    """

    image: np.ndarray
    scale_x: float
    scale_y: float

    def to_sheet(self, items: list[TextItem]) -> list[TextItem]:
        """``items`` read on the resized sheet, with their corners on the sheet as given."""
        return [
            TextItem(
                item.text,
                tuple((x / self.scale_x, y / self.scale_y) for x, y in item.quad),  # type: ignore[arg-type]
                item.score,
                item.angle,
            )
            for item in items
        ]


def resize(image: np.ndarray, factor: float) -> Resized:
    """``image`` (H, W) uint8 resized ``factor`` times (cubic interpolation up, area averaging down)."""
    import cv2

    if factor <= 0:
        raise ValueError(f"`factor` must be positive, got {factor}")
    height, width = image.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA)
    return Resized(resized, size[0] / width, size[1] / height)
