"""Find the title block of a sheet and read its fields by their printed labels.

A title block is a grid of cells, each with a small label ("MATERIAL", "Scale/skala", "DRAWN")
and its value below it or to its right. :func:`read_title_block` finds the label lines by the
patterns of :data:`~moesaic.drawings.labels.FIELD_LABELS` (English, German, Swedish and French
spellings; a label of a cell no field is read from, such as CHECKED, is never a value), takes the block as
the region around them, and gives each field the nearest unlabelled line below or beside its
label. Fields a sheet states elsewhere (``ISO 2768-m`` in a note, "ALL DIMENSIONS IN mm") are
taken from the whole sheet when the block lacks them. A date is never part of another field's
value (the date cell beside the general tolerance), and a value in the place of a field but not of
its form (a scale read as "2", its colon lost) is kept apart in :attr:`TitleBlock.refused`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from moesaic.drawings.labels import NOT_TO_SCALE, Label, fits_field, fold_material, label_of
from moesaic.drawings.ocr import TextItem

FIELDS = (
    "part_name",
    "drawing_number",
    "part_number",
    "revision",
    "material",
    "scale",
    "sheet",
    "units",
    "drawn_by",
    "date",
    "general_tolerance",
)

# a label line may carry translations and punctuation: "Scale/skala", "Date/datum", "DRAWN:"
_LABEL_TAIL = re.compile(r"^[\s:.·\-]*(?:/\s*[a-zäöüß .]+)?[\s:.·\-]*", re.IGNORECASE)
_SHORT_FIELDS = ("scale", "sheet", "revision", "date", "units", "part_number", "drawing_number")
_ISO_TOLERANCE = re.compile(
    r"\bISO\s*2768\s*-?\s*[fmcv][HKL]?\b|\bISO\s*286[\w\s-]*|\bDIN\s*ISO\s*2768\S*", re.IGNORECASE
)
# "DIMENSIONS ARE IN MILLIMETERS", "BEMASSUNGEN SIND IN MILLIMETER", "ALLE MASSE IN mm",
# "MÅTT I mm", "COTES EN mm"; OCR drops the spaces ("DIMENSIONSAREINMILLIMETERS") and may cut the
# head ("SAREIN*mm*")
_UNITS = re.compile(
    r"(?:\bDIMENSIONS?\s*(?:ARE\s*)?|ARE\s*|BEMA(?:SS|ß)UNGEN\s*(?:SIND\s*)?|\bCOTES\s*"
    r"|\bMA(?:SS|ß)(?:E|ANGABEN)\s*(?:SIND\s*)?|\bABMESSUNGEN\s*(?:SIND\s*)?|\bM[ÅA]TT\s*)"
    r"(?:IN|EN|I)\s*[\"'*]?(mm|millim[eè]t(?:er|re)s?|inch(?:es)?|in)\b",
    re.IGNORECASE,
)
# a line saying the sheet is drawn to no scale, in words (an "NTS" alone may be something else)
_NOT_TO_SCALE_NOTE = re.compile(r"(?:DRAWING\s+|DRAWN\s+)?NOT\s+TO\s+SCALE\.?", re.IGNORECASE)
_UNIT_ALONE = re.compile(r"[\"'*]?(mm|inch(?:es)?)[\"'*]?", re.IGNORECASE)
# the linear general tolerance as CAD templates state it: "LINEAR: ±0.1", "LINEAR: +0.1/-0.1"
# (OCR reads LINEAR as UNEAR or LNEAR)
_LINEAR_TOLERANCE = re.compile(
    r"\b[LU]I?NEAR\s*[:=]?\s*(?:±\s*\d+(?:[.,]\d+)?|\+\s*\d+(?:[.,]\d+)?\s*/\s*-\s*\d+(?:[.,]\d+)?)",
    re.IGNORECASE,
)
# "IVON1", "I OF 1": OCR reads the sheet's first figure 1 as I
_SHEET_ONE = re.compile(r"^[Il|](?=\s*(?:von|of|de|/)\s*\d)", re.IGNORECASE)
_MIN_LABELS = 2  # fewer label hits than this is not a title block
# a date as title blocks write it: 12.05.2021, 2021-05-12, 12/05/21
DATE = re.compile(r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})\b")
_MAY_HOLD_DATES = ("date", "drawing_number", "part_number")  # "10-05-21" may be a drawing number
REFUSED: dict[str, tuple[re.Pattern[str], str]] = {
    "scale": (re.compile(r"^\d+(?:[.,]\d+)?$"), "a ratio such as 1:2 or 2:1"),
}
"""Values found in the place of a field but not of its form, kept apart from the fields (a scale
read as "2": OCR lost the "1:"), with what the field should have held."""


@dataclass(frozen=True)
class FieldValue:
    """One field: its value and the pixel box [x1, y1, x2, y2] it was read from."""

    value: str
    box: tuple[int, int, int, int]
    score: float = 1.0


@dataclass(frozen=True)
class TitleBlock:
    """The fields found (name -> value) and the block's region, None when no block was found."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    region: tuple[int, int, int, int] | None = None
    refused: dict[str, FieldValue] = field(default_factory=dict)
    """Values read in the place of a field but not of its form (see :data:`REFUSED`)."""

    def get(self, name: str) -> str:
        """The value of ``name``, or "" when the sheet does not state it."""
        found = self.fields.get(name)
        return found.value if found else ""

    def to_json(self) -> dict[str, Any]:
        """Every field of :data:`FIELDS`: its value and box, or None when the sheet does not state it."""
        found = {k: {"value": v.value, "box": list(v.box)} for k, v in self.fields.items()}
        return {name: found.get(name) for name in FIELDS}


def _label_of(item: TextItem) -> Label | None:
    """(field, the text after the label) when ``item`` starts with a label; field "" for a label of
    a cell no field is read from ("CHECKED BY", "GEWICHT")."""
    return label_of(item.text)


def _inside(box: Sequence[int], region: Sequence[int]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def _value_below(label: TextItem, candidates: Sequence[TextItem]) -> TextItem | None:
    """The nearest line under the label, in its cell: starting under the label or right of it
    (a line starting further left is the value of the cell to the left)."""
    x1, y1, x2, y2 = label.box
    h = max(y2 - y1, 8)
    best, best_gap = None, float("inf")
    for c in candidates:
        cx1, cy1, cx2, _ = c.box
        gap = cy1 - y1 - 0.5 * h
        overlaps = min(cx2, x2 + 2 * h) - max(cx1, x1 - h) > 0
        if overlaps and cx1 >= x1 - 1.5 * h and 0 <= gap < 4 * h and gap < best_gap:
            best, best_gap = c, gap
    return best


def _with_words_after(
    first: TextItem, candidates: Sequence[TextItem], name: str = ""
) -> tuple[str, tuple[int, int, int, int], float]:
    """``first`` joined with its neighbouring words on its line (a value read as several words);
    a date is no word of another field's value (it stands in the next cell), but for an id's."""
    h = max(first.box[3] - first.box[1], 8)

    def joins(c: TextItem) -> bool:
        return label_of(c.text) is None and (name in _MAY_HOLD_DATES or not DATE.fullmatch(c.text.strip()))

    while True:  # walk back to the first word of the value
        before = [
            c
            for c in candidates
            if 0 <= first.box[0] - c.box[2] < 1.5 * h
            and abs((c.box[1] + c.box[3]) / 2 - (first.box[1] + first.box[3]) / 2) < 0.4 * h
            and joins(c)
        ]
        if not before:
            break
        first = max(before, key=lambda c: c.box[2])
    words, box, score = [first], list(first.box), first.score
    while True:
        last = words[-1].box
        following = [
            c
            for c in candidates
            if c not in words
            and 0 <= c.box[0] - last[2] < 1.5 * h
            and abs((c.box[1] + c.box[3]) / 2 - (last[1] + last[3]) / 2) < 0.4 * h
            and joins(c)
        ]
        if not following:
            break
        nxt = min(following, key=lambda c: c.box[0])
        words.append(nxt)
        box = [
            min(box[0], nxt.box[0]),
            min(box[1], nxt.box[1]),
            max(box[2], nxt.box[2]),
            max(box[3], nxt.box[3]),
        ]
        score = min(score, nxt.score)
    return " ".join(w.text for w in words), (box[0], box[1], box[2], box[3]), score


def _value_beside(label: TextItem, candidates: Sequence[TextItem], column_end: int = 0) -> TextItem | None:
    """The nearest line right of the label on its row; a value written larger than its label
    (a drawing number) may stand further off, in proportion to its own height. ``column_end``: the
    right end of the widest label of a column of labels the label heads (values of such a block
    start in one column after it, so a short label's value stands further off)."""
    _, y1, x2, y2 = label.box
    h = max(y2 - y1, 8)
    x2 = max(x2, column_end)
    best, best_gap = None, float("inf")
    for c in candidates:
        cx1, cy1, _, cy2 = c.box
        gap = cx1 - x2
        reach = 6 * max(h, cy2 - cy1)
        if abs((cy1 + cy2) / 2 - (y1 + y2) / 2) < 0.6 * h and -h / 2 <= gap < reach and gap < best_gap:
            best, best_gap = c, gap
    return best


def _inline_value(name: str, rest: str) -> str:
    """The value written on the label's own line ("SCALE 1:2", "MATERIAL: C45"), or ""."""
    value = _clean(_LABEL_TAIL.sub("", rest, count=1))
    if not value:
        return ""
    if rest.lstrip().startswith(":"):
        return value
    # without a colon, only short coded values are trusted: prose after a label is not a value
    if name in _SHORT_FIELDS and (
        any(ch.isdigit() for ch in value)
        or len(value) <= 2
        or (name == "scale" and NOT_TO_SCALE.fullmatch(value))
    ):
        return value
    return ""


def _clean(value: str) -> str:
    return value.strip(" :;|").strip()


def read_title_block(items: Sequence[TextItem], *, width: int, height: int) -> TitleBlock:
    """Find the title block among the text lines of a sheet and read its fields.

    Args:
        items: every text line of the sheet.
        width: sheet width in pixels.
        height: sheet height in pixels.
    Returns:
        The fields found; ``region`` spans the labels and values used (None: no block found).
    """
    labels = _find_labels(items, height)
    fields: dict[str, FieldValue] = {}
    refused: dict[str, FieldValue] = {}
    used: list[tuple[int, int, int, int]] = []
    if sum(1 for name, _, _ in labels if name) >= _MIN_LABELS:
        label_items = {id(item) for _, _, item in labels}
        candidates = [i for i in items if id(i) not in label_items]
        for name, rest, item in labels:
            if not name or name in fields:
                continue
            column_end = _column_end(item, labels)
            found = _read_field(name, rest, item, candidates, column_end)
            if found is not None:
                fields[name] = found
                used += [item.box, found.box]
            elif name in REFUSED and name not in refused:
                found = _read_field(name, rest, item, candidates, column_end, _of_refused_form)
                if found is not None:
                    refused[name] = found
            if found is not None:
                candidates = [c for c in candidates if not _inside(c.box, found.box)]
    region = None
    if used:
        # title blocks sit in the lower right corner: the block runs on to the sheet's edges, and
        # takes in its cells no value was read from ("CHECKED BY") on the rows it spans
        top = min(b[1] for b in used)
        used += [item.box for _, _, item in labels if item.box[1] >= top]
        region = (min(b[0] for b in used), top, width, height)
    _read_stated_elsewhere(items, fields, region)
    if "sheet" in fields:
        sheet = fields["sheet"]
        fields["sheet"] = FieldValue(_SHEET_ONE.sub("1", sheet.value), sheet.box, sheet.score)
    if "material" in fields:
        material = fields["material"]
        fields["material"] = FieldValue(fold_material(material.value), material.box, material.score)
    return TitleBlock(fields, region, {k: v for k, v in refused.items() if k not in fields})


def _of_refused_form(name: str, text: str) -> bool:
    """True when ``text`` has the form :data:`REFUSED` keeps apart for field ``name``."""
    return bool(REFUSED[name][0].match(text))


def _find_labels(items: Sequence[TextItem], height: int) -> list[tuple[str, str, TextItem]]:
    """(field, text after the label, line) of each label line in the lower half of the sheet (title
    blocks sit there; a revision table at the top does not count). A line holding two labels
    ("SHEET REV": OCR joined two cells) stands for both."""
    labels = []
    for item in items:
        hit = _label_of(item)
        if hit is None or (item.box[1] + item.box[3]) / 2 <= 0.5 * height:
            continue
        labels.append((hit.field, hit.rest, item))
        second = label_of(hit.rest) if hit.rest.strip() else None
        if second is not None and second.field and not _inline_value(hit.field, hit.rest):
            labels.append((second.field, second.rest, item))
    return labels


def _column_end(label: TextItem, labels: Sequence[tuple[str, str, TextItem]]) -> int:
    """The right end of the widest label starting where ``label`` starts (a left-aligned column)."""
    h = max(label.box[3] - label.box[1], 8)
    return max(i.box[2] for _, _, i in labels if abs(i.box[0] - label.box[0]) < h)


def _read_field(
    name: str,
    rest: str,
    label: TextItem,
    candidates: Sequence[TextItem],
    column_end: int = 0,
    fits: Callable[[str, str], bool] = fits_field,
) -> FieldValue | None:
    """The value of the field labelled by ``label``: on its own line, else below it, else beside it;
    beside it when the line below lines up with the one beside (rows of label and value cells).
    ``fits(name, text)``: whether a line can be the value."""
    inline = _inline_value(name, rest)
    if inline and fits(name, inline):
        return FieldValue(inline, label.box, label.score)
    fitting = [c for c in candidates if fits(name, c.text)]
    below, beside = _value_below(label, fitting), _value_beside(label, fitting, column_end)
    found = below or beside
    if below is not None and beside is not None:
        # a block of "LABEL | value" rows: the line below the label is the next row's value, in
        # the column of this row's value beside the label
        h = max(label.box[3] - label.box[1], 8)
        if abs(below.box[0] - beside.box[0]) < 2 * h:
            found = beside
    if found is None:
        return None
    text, box, score = _with_words_after(found, candidates, name)
    if name not in _MAY_HOLD_DATES:  # OCR may read the date cell and the next as one line
        text = " ".join(DATE.sub(" ", text).split())
    value = _clean(text)
    return FieldValue(value, box, score) if value else None


def _read_stated_elsewhere(
    items: Sequence[TextItem], fields: dict[str, FieldValue], region: tuple[int, int, int, int] | None
) -> None:
    """Fill the general tolerance, the scale and the units from lines outside the labelled cells: an
    ISO 2768 note, "LINEAR: ±0.1" (the tolerance cell of ISO and CAD templates), a "NOT TO SCALE"
    line (schematics), "ALL DIMENSIONS IN mm", or a title-block cell holding only the unit."""
    for item in items:
        if "general_tolerance" not in fields:
            m = _ISO_TOLERANCE.search(item.text) or _LINEAR_TOLERANCE.search(item.text)
            if m:
                fields["general_tolerance"] = FieldValue(m.group(0).strip(), item.box, item.score)
        if "scale" not in fields and _NOT_TO_SCALE_NOTE.fullmatch(item.text.strip()):
            fields["scale"] = FieldValue(item.text.strip(), item.box, item.score)
        if "units" not in fields:
            m = _UNITS.search(item.text)
            alone = _UNIT_ALONE.fullmatch(item.text.strip()) if in_region(item, region) else None
            if m or alone:
                unit = (m or alone).group(1).lower()  # type: ignore[union-attr]
                fields["units"] = FieldValue(
                    "mm" if unit.startswith("millim") else unit, item.box, item.score
                )


def in_region(item: TextItem, region: tuple[int, int, int, int] | None) -> bool:
    """True when the centre of ``item`` lies in ``region``."""
    return region is not None and _inside(item.box, region)
