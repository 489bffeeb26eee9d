"""Read the parts list (BOM table) of a sheet: its header row, its columns and its rows.

The header is the row holding the most column names (ITEM / POS, PART NO, QTY ...); the columns
start at the header cells; the rows run on from the header, below it or above it, until a gap or a
row that is not a part. A scan skewed by a few degrees is read along the slope of its header row,
and header cells OCR read as one line ("ITEM PART NUMBER", "ITEMPART NUMBER", "ITEM|PART
NUMBER") are split into their column names. A table whose rows cannot be read still has a region:
the lines under its header, which are cells of the table and never dimensions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from moesaic.drawings.labels import fold_material, label_of
from moesaic.drawings.text import TextItem, box_quad

BOM_COLUMNS: dict[str, str] = {
    "item": r"item|pos(?:ition)?\.?|no\.?|rep(?:[èe]re)?\.?",
    "part_number": (
        r"part\s*no\.?|part\s*number|article|art\.?\s*no|sachnummer|sach-?nr\.?|teilenummer|"
        r"artikelnummer|r[ée]f[ée]rence|r[ée]f\."
    ),
    "description": r"description|name|benennung|bezeichnung|benämning|d[ée]signation",
    "qty": r"[qo0]ty|quantity|menge|anzahl|antal|st\.?|stk\.?|qt[ée]|quantit[ée]",  # OCR reads Q as O or 0
    "material": r"material|werkstof+|mati[èe]re",
}
"""Parts-list header cells (English, German, Swedish, French), as :mod:`moesaic.drawings.bom` reads
a BOM file's columns."""
_BOM_HEADER = {k: re.compile(rf"^\s*(?:{v})\s*$", re.IGNORECASE) for k, v in BOM_COLUMNS.items()}
_HEADER_WORD = {k: re.compile(rf"(?:{v})", re.IGNORECASE) for k, v in BOM_COLUMNS.items()}
# what OCR reads between two header cells it joined: a space, or the ruled line between them
_CELL_BORDER = re.compile(r"[\s|\[\]!]*")
GAP_PITCHES = 1.5  # a step of more than this many times the last row's from the row before ends the table
# tan 5°: a scan skewed by more than this is not straightened along its header's slope
MAX_SKEW = 0.09


@dataclass(frozen=True)
class BomLine:
    """One row of the parts list on the sheet: cell text by column, and the row's box."""

    cells: dict[str, str]
    box: tuple[int, int, int, int]

    def to_json(self) -> dict[str, Any]:
        return {**self.cells, "box": list(self.box)}


class PartsList(NamedTuple):
    lines: list[BomLine]
    region: tuple[int, int, int, int] | None
    # (column, left edge in pixels) of the header; with no `lines`, a header was seen but no row read
    columns: list[tuple[str, int]]


def union(boxes: Sequence[Sequence[int]]) -> tuple[int, int, int, int]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _centre_y(item: TextItem) -> float:
    return (item.box[1] + item.box[3]) / 2


def header_cells(item: TextItem) -> list[tuple[str, TextItem]]:
    """The column names in one line of text: the line itself when it is one header cell, else the
    cells OCR joined into it ("ITEM PART NO."), each with its share of the line's box by characters."""
    for name, pattern in _BOM_HEADER.items():
        if pattern.match(item.text):
            return [(name, item)]
    spans = _split_header(item.text, 0)
    if not spans or len(spans) < 2:
        return []
    x1, y1, x2, y2 = item.box
    per_char = (x2 - x1) / max(len(item.text), 1)
    return [
        (name, TextItem(item.text[a:b], box_quad(x1 + a * per_char, y1, x1 + b * per_char, y2), item.score))
        for name, a, b in spans
    ]


def _split_header(text: str, start: int) -> list[tuple[str, int, int]] | None:
    """(column, start, end) of the column names that make up ``text[start:]``, or None."""
    pos = _CELL_BORDER.match(text, start)
    at = pos.end() if pos else start
    if at == len(text):
        return []
    for name, pattern in _HEADER_WORD.items():
        m = pattern.match(text, at)
        if m is None or m.end() == at:
            continue
        rest = _split_header(text, m.end())
        if rest is not None and name not in {n for n, _, _ in rest}:
            return [(name, at, m.end()), *rest]
    return None


def _deskewed(items: Sequence[TextItem], slope: float, origin: tuple[float, float]) -> list[TextItem]:
    """The lines turned about ``origin`` so that a row of the table along ``slope`` lies flat."""
    x0, y0 = origin
    out = []
    for item in items:
        quad = tuple((x + slope * (y - y0), y - slope * (x - x0)) for x, y in item.quad)
        out.append(TextItem(item.text, quad, item.score, item.angle))  # type: ignore[arg-type]
    return out


def _slope(cells: Sequence[TextItem], h: float) -> float:
    """The slope of the header row through its cells' centres (0 for cells too close to tell)."""
    xs = np.array([(c.box[0] + c.box[2]) / 2 for c in cells])
    ys = np.array([_centre_y(c) for c in cells])
    if len(cells) < 2 or np.ptp(xs) < 4 * h:
        return 0.0
    slope = float(np.polyfit(xs, ys, 1)[0])
    return slope if abs(slope) <= MAX_SKEW else 0.0


def read_parts_list(items: Sequence[TextItem]) -> PartsList:
    """The parts list under (or over) a header row that names at least an item and a quantity column."""
    hits = [(name, cell, item) for item in items for name, cell in header_cells(item)]
    header: dict[str, TextItem] = {}
    sources: set[int] = set()
    for _, anchor, _ in hits:  # the header is the row holding the most column names, along its slope
        ay, ax = _centre_y(anchor), (anchor.box[0] + anchor.box[2]) / 2
        row = {
            n: c
            for n, c, _ in hits
            if abs(_centre_y(c) - ay) < 0.6 * anchor.height + MAX_SKEW * abs((c.box[0] + c.box[2]) / 2 - ax)
        }
        if len(row) > len(header):
            header = row
            sources = {id(i) for n, c, i in hits if row.get(n) is c}
    if not header:
        return PartsList([], None, [])
    h = float(np.median([i.height for i in header.values()]))
    first = min(header.values(), key=lambda c: c.box[0])
    origin = ((first.box[0] + first.box[2]) / 2, _centre_y(first))
    slope = _slope(list(header.values()), h)
    flat_header = dict(zip(header, _deskewed(list(header.values()), slope, origin), strict=True))
    rest = [i for i in items if id(i) not in sources]
    flat = _deskewed(rest, slope, origin)
    original = {id(f): i for f, i in zip(flat, rest, strict=True)}
    cols = sorted(flat_header.items(), key=lambda kv: kv[1].box[0])
    columns = [(name, header[name].box[0]) for name, _ in cols]
    row_y = float(np.median([_centre_y(c) for c in flat_header.values()]))
    starts = [c.box[0] for _, c in cols]
    left, right = starts[0] - h, max(c.box[2] for c in flat_header.values()) + 8 * h
    inside = [i for i in flat if left <= i.box[0] <= right]
    head_boxes = [c.box for c in header.values()]
    if not {"part_number", "qty"} <= set(header):
        # a header of which OCR missed a cell is still a parts list seen when it names a part
        # number or a quantity column: its columns say so, with no rows (a warning then says it
        # could not be read), and the lines under it are its cells
        if len(header) < 2 or not {"part_number", "qty"} & set(header):
            return PartsList([], None, [])
        body = [original[id(i)].box for i in _body(inside, row_y, h)]
        return PartsList([], union(head_boxes + body), columns)
    rows = _bom_rows(inside, cols, starts, row_y, h, below=True) or _bom_rows(
        inside, cols, starts, row_y, h, below=False
    )
    lines = [BomLine(cells, union([original[id(i)].box for i in row])) for cells, row in rows]
    if not lines:
        body = [original[id(i)].box for i in _body(inside, row_y, h)]
        return PartsList([], union(head_boxes + body), columns)
    return PartsList(lines, union(head_boxes + [line.box for line in lines]), columns)


def _rows(items: Sequence[TextItem], row_y: float, h: float, sign: int) -> list[list[TextItem]]:
    """The lines on one side of the header, in rows from the header outwards."""
    side = sorted(
        (i for i in items if sign * (_centre_y(i) - row_y) > 0.6 * h),
        key=lambda i: sign * _centre_y(i),
    )
    rows: list[list[TextItem]] = []
    for item in side:
        if rows and abs(_centre_y(item) - _centre_y(rows[-1][0])) < 0.6 * h:
            rows[-1].append(item)
        else:
            rows.append([item])
    return rows


def _body(items: Sequence[TextItem], row_y: float, h: float) -> list[TextItem]:
    """The lines of the rows under a header that could not be read as parts: up to a gap, or a row
    holding a title-block label (the block under the table)."""
    out: list[TextItem] = []
    previous = row_y
    for row in _rows(items, row_y, h, 1):
        if abs(_centre_y(row[0]) - previous) > 2.5 * h or any(label_of(i.text) for i in row):
            break
        out += row
        previous = _centre_y(row[0])
    return out


def _bom_rows(
    items: Sequence[TextItem],
    cols: Sequence[tuple[str, TextItem]],
    starts: Sequence[int],
    row_y: float,
    h: float,
    *,
    below: bool,
) -> list[tuple[dict[str, str], list[TextItem]]]:
    """(cells, lines) of the rows running on from the header, one side of it, until a gap or a row
    that is not a part."""
    lines: list[tuple[dict[str, str], list[TextItem]]] = []
    previous, pitch = row_y, 0.0
    for row in _rows(items, row_y, h, 1 if below else -1):
        yc = _centre_y(row[0])
        # a gap: the table has ended. Rows are evenly spaced, so a step up to half again the last
        # one is no gap, however tight the engine's boxes around the text are
        if abs(yc - previous) > max(2.5 * h, GAP_PITCHES * pitch):
            break
        cells: dict[str, str] = {}
        for item in sorted(row, key=lambda i: i.box[0]):
            column = max((k for k, s in enumerate(starts) if s - h <= item.box[0]), default=0)
            name = cols[column][0]
            cells[name] = f"{cells[name]} {item.text}" if name in cells else item.text
        numbered = cells.get("item", "").strip().isdigit()
        if not (numbered or "part_number" in cells) or (not numbered and _labelled(row)):
            break  # a row that is not a part (the title block under the table, a heading)
        if not numbered:
            cells.pop("item", None)  # a misread item number is no item number
        if "material" in cells:
            cells["material"] = fold_material(cells["material"])
        lines.append((cells, row))
        previous, pitch = yc, abs(yc - previous)
    return lines


def _labelled(row: Sequence[TextItem]) -> bool:
    """True when the row's first line is a title-block label alone ("PART NAME", "DRAWING NO."):
    a block of label and value rows under the parts list, not a part."""
    first = min(row, key=lambda i: i.box[0])
    hit = label_of(first.text)
    return hit is not None and bool(hit.field) and not hit.rest.strip(" :.")
