"""Look at the glyphs of one upright text line: a leading diameter sign, a stacked tolerance.

Prose-trained recognisers know neither the diameter sign ``⌀`` nor deviations written one
above the other (``16,5`` followed by ``+0,1`` over ``0``). Both are plain to see in the ink:
:func:`diameter_glyph` finds a slashed ring at the start of a line and :func:`stacked_split`
finds two rows of small figures after the last full-height one. Both take an upright grayscale
crop (H, W) uint8, dark text on light paper, as cut by :func:`moesaic.drawings.ocr.straighten`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import cv2
import numpy as np
from scipy import ndimage

MIN_TALL = 0.55  # a glyph at least this share of the tallest one is full height, not a mark
RING_HEIGHT = 0.7  # a diameter sign is about as tall as the figures after it, or taller
SMALL = 0.75  # a stacked deviation's figures are at most this share of the main figures' height
ROW_HEIGHT = 0.35  # and each row's figures at least this share: smaller ink is specks or strokes
# figures less tall than this (pixels) break apart at the ink threshold: the top of a "6" of a
# coarse scan is a glyph of its own, and its loop passes for a slashed ring
SMALL_GLYPH = 12


def ink_mask(crop: np.ndarray) -> np.ndarray:
    """The ink of a crop, without the long horizontal strokes of dimension and leader lines.

    The threshold sits halfway between paper and the darkest ink, so thin anti-aliased strokes
    count; a horizontal run longer than the crop is high is a line, not a glyph (a line slanted
    by the straightening steps a row now and then: a row either side joins its pieces).
    """
    paper, dark = float(np.percentile(crop, 90)), float(crop.min())
    if paper - dark < 40:
        return np.zeros(crop.shape, dtype=bool)
    ink = crop < (paper + dark) / 2
    run = crop.shape[0] + 1
    if crop.shape[1] > run:
        thick = ndimage.binary_dilation(ink, structure=np.ones((3, 1), dtype=bool))
        ink &= ~ndimage.binary_opening(thick, structure=np.ones((1, run), dtype=bool))
    return ink


class Glyph(NamedTuple):
    """One connected blob of ink: its rows and columns as [start, stop), and its label."""

    y0: int
    y1: int
    x0: int
    x1: int
    label: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0


def _glyphs(ink: np.ndarray) -> tuple[np.ndarray, list[Glyph]]:
    labels, _ = ndimage.label(ink)
    glyphs = [
        Glyph(s[0].start, s[0].stop, s[1].start, s[1].stop, k + 1)
        for k, s in enumerate(ndimage.find_objects(labels))
        if s is not None
    ]
    return labels, sorted(glyphs, key=lambda g: g.x0)


def is_slashed_ring(glyph: np.ndarray) -> bool:
    """True when a glyph's ink (h, w) bool is a circle with a slash through it.

    Two shapes pass: a round glyph whose slash leaves a much smaller hole than an ``O`` or a
    ``0`` (bold fonts), and a glyph whose slash cuts its ring into two holes side by side (thin
    fonts; an ``8`` or a ``B`` has its two holes one above the other).
    """
    h, w = glyph.shape
    holes, count = ndimage.label(ndimage.binary_fill_holes(glyph) & ~glyph)
    areas = np.bincount(holes.ravel())[1:]
    if 0.85 <= w / h <= 1.6 and 0.04 * h * w < areas.sum() < 0.3 * h * w:
        return True
    big = [k + 1 for k in range(count) if areas[k] > 0.03 * h * w]
    if len(big) != 2:
        return False
    (ya, xa), (yb, xb) = ndimage.center_of_mass(holes > 0, holes, big)
    rows = [np.flatnonzero((holes == k).any(axis=1)) for k in big]
    overlap = min(rows[0][-1], rows[1][-1]) - max(rows[0][0], rows[1][0])
    # the halves of the ring sit side by side: apart across, overlapping down the glyph
    return abs(xa - xb) > 0.2 * w and overlap > 0.2 * h and abs(ya - yb) < 0.5 * h


def diameter_glyph(crop: np.ndarray, *, after: int = 0) -> int | None:
    """The column where a diameter sign ends, or None when none is there. The sign is the first
    full-height glyph, or with ``after`` > 0 the first one after that many others (the count and
    the x of "4x⌀13.5"). Figures under :data:`SMALL_GLYPH` pixels tall are looked at enlarged."""
    labels, glyphs = _glyphs(ink_mask(crop))
    if not glyphs:
        return None
    tallest = max(g.height for g in glyphs)
    if tallest < SMALL_GLYPH:
        factor = math.ceil(1.5 * SMALL_GLYPH / tallest)
        big = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        end = diameter_glyph(big, after=after) if max(big.shape) > max(crop.shape) else None
        return None if end is None else round(end / factor)
    tall = [g for g in glyphs if g.height >= MIN_TALL * tallest]
    for first in tall[: after + 1] if after else tall[:1]:
        if first.width < 0.4 * first.height or first.height < RING_HEIGHT * tallest:
            continue  # a "1" or a bar is too narrow for a ring, the lower loop of an "8" too low
        glyph = labels[first.y0 : first.y1, first.x0 : first.x1] == first.label
        if is_slashed_ring(glyph) and (not after or first is not tall[0]):
            return first.x1
    return None


class StackedSplit(NamedTuple):
    """Where a line divides into its main text and a stacked deviation (upper over lower).

    ``upper_zero`` and ``lower_zero`` say that a row is a lone ring: a bare ``0``, the one
    deviation written with a single glyph (ISO 129-1 gives every other one its sign).
    """

    x: int  # the main text lies left of this column, the deviations right of it
    y: int  # the upper deviation lies above this row, the lower one below it
    upper_zero: bool
    lower_zero: bool


def stacked_split(crop: np.ndarray) -> StackedSplit | None:
    """Find a stacked tolerance at the end of a line, or None.

    After the last full-height glyph there must be only small glyphs, in two rows one above the
    other with a gap between them: ``+0,1`` over ``0``, as written after ``⌀16,5``.
    """
    labels, glyphs = _glyphs(ink_mask(crop))
    marks = [g for g in glyphs if g.height * g.width > 4]  # specks and commas' tails aside
    if len(marks) < 3:
        return None
    tallest = max(g.height for g in marks)
    # the main figures' height: the median of the tall glyphs (a ⌀ overshoots the figures)
    size = float(np.median([g.height for g in marks if g.height > 0.5 * tallest]))
    main = [g for g in marks if g.height > SMALL * size]
    end = max(g.x1 for g in main)
    top, bottom = min(g.y0 for g in main), max(g.y1 for g in main)
    # what lies above or below the main text is left of a leader or dimension line
    slack = 0.15 * size
    tail = [g for g in marks if g.x0 >= end - 1 and g.y0 >= top - slack and g.y1 <= bottom + slack]
    if len(tail) < 2 or any(g.height > SMALL * size for g in tail):
        return None
    middle = (top + bottom) / 2
    upper = [g for g in tail if (g.y0 + g.y1) / 2 < middle]
    lower = [g for g in tail if (g.y0 + g.y1) / 2 >= middle]
    if not upper or not lower:
        return None
    after = [g for g in marks if g.x0 >= end - 1]
    rows = (
        [g.height for g in after if (g.y0 + g.y1) / 2 < middle],
        [g.height for g in after if (g.y0 + g.y1) / 2 >= middle],
    )
    if min(max(rows[0]), max(rows[1])) < ROW_HEIGHT * size:
        return None  # a row of specks: the pieces of one thin figure (a "2" its diagonal broke up)
    gap_top, gap_bottom = max(g.y1 for g in upper), min(g.y0 for g in lower)
    if gap_bottom <= gap_top:
        return None  # the two rows touch: one line of figures, not two
    first = min(g.x0 for g in tail)

    def lone_ring(row: list[Glyph]) -> bool:
        if len(row) != 1:
            return False
        g = row[0]
        ink = labels[g.y0 : g.y1, g.x0 : g.x1] == g.label
        return bool((ndimage.binary_fill_holes(ink) & ~ink).sum() > 0.1 * ink.size)

    return StackedSplit((end + first) // 2, (gap_top + gap_bottom) // 2, lone_ring(upper), lone_ring(lower))


Recognise = Callable[[Sequence[np.ndarray]], list[tuple[str, float]]]
_DIAMETER_MISREADS = "0OoQ@PpØøΦφ#"
_DEVIATION = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


_COUNT = re.compile(r"^(\d{1,3})\s*[xX×]\s*")
"""The count before a repeated feature: "4x" of "4x⌀13.5"."""


def restore_diameter(crop: np.ndarray, text: str, recognise: Recognise | None = None) -> str:
    """Put back a diameter sign that the recogniser dropped or misread.

    Prose-trained recognisers have no ``⌀``: they skip it or read ``0``, ``O``, ``@``, ``8``.
    When the first glyph of the crop is a slashed ring (:func:`diameter_glyph`), the sign is
    put in front; with ``recognise``, the figures after the ring are read again on their own,
    so a sign read as a figure ("860" for ⌀60) drops out. Without it, or when that reading
    does not start with a figure, a leading look-alike of the sign is replaced. A ring after a
    count ("4x13.5" read from 4x⌀13.5) is looked for after the count. A value in degrees is an
    angle or a chamfer ("2x45°"), never a diameter.

    Args:
        crop: the upright grayscale line (H, W) uint8, dark text on light paper.
        text: what the recogniser read.
        recognise: reads upright crops, as :meth:`RapidOCREngine.recognise` does.
    """
    if not text or "°" in text or not (text[0].isdigit() or text[0] in _DIAMETER_MISREADS):
        return text
    count = _COUNT.match(text)
    after = text[count.end() :] if count else ""
    if count and after[:1] in _DIAMETER_MISREADS and after[1:].lstrip()[:1].isdigit():
        return text  # the sign is there, read as a look-alike ("2x @ 19,9"): the symbol rules mend it
    if count and recognise is not None and after[:1] != "⌀":
        end = diameter_glyph(crop, after=len(count.group(1)) + 1)
        rest = _reread(crop, end, recognise) if end is not None else ""
        if rest[:1].isdigit():
            return f"{count.group(1)}x⌀{rest}"
    end = diameter_glyph(crop)
    if end is None:
        return text
    rest = _reread(crop, end, recognise) if recognise is not None else ""
    read = text[1:] if text[0] in _DIAMETER_MISREADS else text
    if rest[:1].isdigit() and not (len(rest) > len(read) and rest.endswith(read)):
        return "⌀" + rest  # a longer re-reading ending with the first one took the ring's slash for a 1
    if text[0] in _DIAMETER_MISREADS and len(text) > 1 and text[1].isdigit():
        return "⌀" + text[1:]
    return "⌀" + text


def _reread(crop: np.ndarray, end: int, recognise: Recognise) -> str:
    """The text right of column ``end``, read on its own ("" when nothing is left there)."""
    if end >= crop.shape[1] - 2:
        return ""
    return recognise([_pad(crop[:, end:])])[0][0].strip()


def _pad(crop: np.ndarray) -> np.ndarray:
    """A crop with a margin of paper around it: the recogniser misreads figures cut at the edge."""
    margin = max(2, crop.shape[0] // 6)
    return np.pad(crop, margin, mode="constant", constant_values=int(np.percentile(crop, 90)))


def _enlarge(crop: np.ndarray) -> np.ndarray:
    """Small figures twice as large: the recogniser reads a stacked deviation better so."""
    return cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)


def _deviation(text: str, *, upper: bool, decimal: str) -> str | None:
    """One stacked deviation as written, its sign put back; None when it is not a number.

    A zero is written bare; any other deviation carries its sign (ISO 129-1). A sign the
    recogniser lost is put back as the usual one: plus above, minus below. A callout writes
    all its numbers with one decimal separator, ``decimal`` (small figures lose the comma's tail).
    """
    s = text.strip().replace(" ", "").replace("O", "0").replace("o", "0").rstrip(".")
    if not _DEVIATION.fullmatch(s):
        return None
    if decimal:
        s = s.replace("," if decimal == "." else ".", decimal)
    if s[0] in "+-" or float(s.replace(",", ".")) == 0:
        return s
    return ("+" if upper else "-") + s


def _decimal(text: str) -> str:
    """The decimal separator a number in ``text`` is written with, or "" when none is."""
    m = re.search(r"\d([.,])\d", text)
    return m.group(1) if m else ""


def read_parts(crop: np.ndarray, text: str, recognise: Recognise) -> str:
    """Read a line again in parts where its ink calls for it: a stacked deviation, a leading ⌀.

    A stacked deviation read as part of the line comes out as one jumble ("16,5 *01"); read
    apart, the main text, the upper and the lower deviation give "16,5 +0,1 0". The line is
    kept as read when a part does not read as it should.
    """
    if not any(c.isdigit() for c in text):
        return text
    split = stacked_split(crop)
    if split is not None:
        main_crop = crop[:, : split.x]
        rows = [
            (crop[: split.y, split.x :], split.upper_zero),
            (crop[split.y :, split.x :], split.lower_zero),
        ]
        read = recognise([main_crop] + [_enlarge(row) for row, zero in rows if not zero])
        main = read[0][0].strip()
        texts = iter(t for t, _ in read[1:])
        decimal = _decimal(main)
        upper, lower = (
            "0" if zero else _deviation(next(texts), upper=k == 0, decimal=decimal)
            for k, (_, zero) in enumerate(rows)
        )
        # a deviation follows a size: "16,5" or "⌀40", not a part number such as "CO-EC-200"
        size = any(c.isdigit() for c in main) and sum(c.isalpha() for c in main) < 2
        if upper is not None and lower is not None and size:
            return f"{restore_diameter(main_crop, main, recognise)} {upper} {lower}"
    return restore_diameter(crop, text, recognise)
