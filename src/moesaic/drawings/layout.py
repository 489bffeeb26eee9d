"""Sort the text lines of a sheet into dimensions, notes and the parts list (BOM table).

The parts list is found first (:mod:`moesaic.drawings.partslist`), then the title block
(:mod:`moesaic.drawings.titleblock`); then notes by a "NOTES" heading or numbered lines of
prose; what remains is a dimension when it parses as a callout. Text in the outer margin (the
zone letters and numbers of the frame) is never a dimension.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from moesaic.drawings.dimensions import Callout, parse_callout
from moesaic.drawings.ocr import TextItem
from moesaic.drawings.partslist import BOM_COLUMNS, BomLine, read_parts_list, union
from moesaic.drawings.titleblock import TitleBlock, in_region, read_title_block

__all__ = ["BOM_COLUMNS", "BomLine", "Dimension", "SheetLayout", "read_layout"]

MARGIN = 0.03  # share of the shorter sheet side treated as the frame margin
MARK_SHARE = 0.6  # a lone figure less tall than this share of the usual callout text is a mark
_DEVIATION_ONLY = re.compile(r"^(?:[+±-]\s?\d+(?:[.,]\d+)?|0)(?:\s+(?:[+-]\s?\d+(?:[.,]\d+)?|0))?$")
_NOTES_HEAD = re.compile(r"^\s*(?:general\s+)?notes?\b\s*:?", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S")


@dataclass(frozen=True)
class Dimension:
    """A dimension callout found on the sheet: its text, box and parsed value."""

    text: str
    box: tuple[int, int, int, int]
    callout: Callout
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "box": list(self.box),
            "score": round(self.score, 3),
            **self.callout.to_json(),
        }


class SheetLayout(NamedTuple):
    title_block: TitleBlock
    dimensions: list[Dimension]
    notes: list[TextItem]
    bom: list[BomLine]
    bom_region: tuple[int, int, int, int] | None
    # (column, left edge in pixels) of the parts list header; with no rows in `bom`, a header was
    # seen but no row of it read
    bom_columns: list[tuple[str, int]]
    other: list[TextItem]


def _margin(item: TextItem, width: int, height: int) -> bool:
    """True for text in the frame margin. A zone label (one or two characters between the sheet's
    edge and its frame, ISO 5457) counts when its centre is in the margin: it may overhang."""
    m = MARGIN * min(width, height)
    x1, y1, x2, y2 = item.box
    if len(item.text.strip()) <= 2:
        x1 = x2 = (x1 + x2) // 2
        y1 = y2 = (y1 + y2) // 2
    return x2 < m or y2 < m or x1 > width - m or y1 > height - m


def _merge_deviations(items: list[TextItem]) -> list[TextItem]:
    """Join a stacked deviation ("+0,1" over "0") read apart to the size it follows."""
    out: list[TextItem] = []
    devs = [i for i in items if _DEVIATION_ONLY.match(i.text)]
    rest = [i for i in items if not _DEVIATION_ONLY.match(i.text)]
    taken: set[int] = set()
    for item in rest:
        near = [d for d in _deviations_after(item, devs) if id(d) not in taken]
        if near and parse_callout(item.text) is not None:
            text = item.text + " " + " ".join(d.text for d in near)
            box = union([item.box] + [d.box for d in near])
            quad = ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))
            taken |= {id(d) for d in near}
            out.append(TextItem(text, quad, min([item.score] + [d.score for d in near]), item.angle))  # type: ignore[arg-type]
        else:
            out.append(item)
    return out + [d for d in devs if id(d) not in taken]


def _deviations_after(item: TextItem, devs: Sequence[TextItem]) -> list[TextItem]:
    """The deviations written right after ``item`` in its reading direction, upper one first.

    Upright text is followed on its right, the upper deviation above the lower. Text reading
    bottom to top (90°) is followed above it, the upper deviation on the left; top to bottom
    (270°) below it, the upper one on the right. A figure or two is read upright whatever its
    direction, so a short size or a lone "0" takes the direction of the deviations around it.
    """
    x1, y1, x2, y2 = item.box
    h = max(item.height, 8)
    short = len(item.text.strip()) <= 2
    right = [
        d
        for d in devs
        if d.angle == item.angle == 0
        and 0 <= d.box[0] - x2 < 1.5 * h
        and min(d.box[3], y2) - max(d.box[1], y1) > 0.3 * h
    ]
    if right:
        return sorted(right, key=lambda d: d.box[1])
    for angle, gap in ((90.0, lambda d: y1 - d.box[3]), (270.0, lambda d: d.box[1] - y2)):
        if item.angle != angle and not (short and item.angle == 0):
            continue
        along = [
            d
            for d in devs
            if (d.angle == angle or len(d.text.strip()) == 1)
            and -0.3 * h <= gap(d) < 1.5 * h
            and min(d.box[2], x2) - max(d.box[0], x1) > 0.3 * h
        ]
        if any(d.angle == angle for d in along):  # a turned deviation shows the direction
            return sorted(along, key=lambda d: d.box[0], reverse=angle == 270.0)
    return []


def _value_box(item: TextItem, callout: Callout) -> tuple[int, int, int, int]:
    """The box of the value alone when its reference marking was read with it.

    A trailing "REF" word or the parentheses around a reference dimension lie beside the value;
    the value's box is its share of the line, measured in characters along the reading direction.
    """
    text = item.text.strip()
    start, stop = 0, len(text)
    if callout.reference and text.upper().endswith("REF"):
        stop = len(text[:-3].rstrip())
    if callout.reference and text.startswith("(") and text[:stop].endswith(")"):
        start, stop = start + 1, stop - 1
    if (start, stop) == (0, len(text)):
        return item.box
    a, b = start / len(text), stop / len(text)
    x1, y1, x2, y2 = item.box
    if item.angle == 0.0:
        return int(x1 + a * (x2 - x1)), y1, int(x1 + b * (x2 - x1)), y2
    if item.angle == 90.0:  # read bottom to top: the text starts at the bottom
        return x1, int(y2 - b * (y2 - y1)), x2, int(y2 - a * (y2 - y1))
    return x1, int(y1 + a * (y2 - y1)), x2, int(y1 + b * (y2 - y1))


def read_layout(items: Sequence[TextItem], *, width: int, height: int) -> SheetLayout:
    """Sort the text lines of one sheet (see the module docstring)."""
    bom, bom_region, bom_columns = read_parts_list(items)
    # the parts list header ("PART NO", "MATERIAL") must not pass for title-block labels
    title = read_title_block([i for i in items if not in_region(i, bom_region)], width=width, height=height)
    notes: list[TextItem] = []
    dimensions: list[Dimension] = []
    other: list[TextItem] = []
    heads = [i for i in items if _NOTES_HEAD.match(i.text)]
    free = [
        i
        for i in items
        if not in_region(i, title.region) and not in_region(i, bom_region) and not _margin(i, width, height)
    ]
    for item in _merge_deviations(free):
        below_head = any(
            abs(item.box[0] - h.box[0]) < 3 * h.height and 0 <= item.box[1] - h.box[1] < 12 * h.height
            for h in heads
        )
        if _NOTES_HEAD.match(item.text) or _NUMBERED.match(item.text) or (below_head and len(item.text) > 12):
            notes.append(item)
            continue
        callout = parse_callout(item.text)
        if callout is not None and callout.nominal > 0:
            dimensions.append(Dimension(callout.value_text, _value_box(item, callout), callout, item.score))
        else:
            other.append(item)
    notes.sort(key=lambda i: (i.box[1], i.box[0]))
    return SheetLayout(title, _without_marks(dimensions), notes, bom, bom_region, bom_columns, other)


def _without_marks(dimensions: list[Dimension]) -> list[Dimension]:
    """The dimensions less the lone figures far smaller than the sheet's dimension text: an
    arrowhead or a speck read as "1" or "7" (callouts on one sheet share one text height, ISO 3098)."""
    heights = [min(d.box[2] - d.box[0], d.box[3] - d.box[1]) for d in dimensions if len(d.text.strip()) > 1]
    if len(heights) < 3:
        return dimensions
    least = MARK_SHARE * float(np.median(heights))
    return [
        d
        for d in dimensions
        if len(d.text.strip()) > 1 or max(d.box[2] - d.box[0], d.box[3] - d.box[1]) >= least
    ]
