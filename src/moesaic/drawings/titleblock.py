"""Find the title block of a sheet and read its fields by their printed labels.

A title block is a grid of cells, each with a small label ("MATERIAL", "Scale/skala", "DRAWN")
and its value below it or to its right. :func:`read_title_block` finds the label lines by the
patterns of :data:`FIELD_LABELS` (English, German and Swedish spellings), takes the block as
the region around them, and gives each field the nearest unlabelled line below or beside its
label. Fields a sheet states elsewhere (``ISO 2768-m`` in a note, "ALL DIMENSIONS IN mm") are
taken from the whole sheet when the block lacks them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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

FIELD_LABELS: dict[str, str] = {
    "part_name": r"title|part name|description|benämning|benennung|bezeichnung|designation",
    "drawing_number": (
        r"drawing (?:no|number|nr)|dwg\.? ?(?:no|number)|ritningsnummer|zeichnungs?-?(?:nr|nummer)"
    ),
    "part_number": r"part (?:no|number|nr)|article (?:no|number)|artikelnummer",
    "revision": r"rev(?:ision)?\b\.?|änderungsindex",
    "material": r"material|werkstoff|matl",
    "scale": r"(?:drawing )?scale|skala|maßstab|massstab",
    "sheet": r"sheet(?! ?size)|blatt|sida",
    "units": r"units?\b",
    "drawn_by": r"drawn|created by|ritad|gezeichnet|author",
    "date": r"date|datum",
    "general_tolerance": r"general tol|tolerance|allgemeintol|gen\. ?tol",
}
# OCR often drops the space between label words ("DRAWINGNO"): a space in a pattern is optional
_OPTIONAL_SPACE = r"\s*"
_LABELS = {
    k: re.compile(r"^\s*(?:" + v.replace(" ", _OPTIONAL_SPACE) + r")\.?", re.IGNORECASE)
    for k, v in FIELD_LABELS.items()
}
# a label line may carry translations and punctuation: "Scale/skala", "Date/datum", "DRAWN:"
_LABEL_TAIL = re.compile(r"^[\s:.·\-]*(?:/\s*[a-zäöüß .]+)?[\s:.·\-]*", re.IGNORECASE)
_SHORT_FIELDS = ("scale", "sheet", "revision", "date", "units", "part_number", "drawing_number")
_ISO_TOLERANCE = re.compile(
    r"\bISO\s*2768\s*-?\s*[fmcv][HKL]?\b|\bISO\s*286[\w\s-]*|\bDIN\s*ISO\s*2768\S*", re.IGNORECASE
)
_UNITS = re.compile(r"\bDIMENSIONS? (?:ARE )?IN\s*[\"'*]?(mm|inch(?:es)?|in)\b", re.IGNORECASE)
_MIN_LABELS = 2  # fewer label hits than this is not a title block


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

    def get(self, name: str) -> str:
        """The value of ``name``, or "" when the sheet does not state it."""
        found = self.fields.get(name)
        return found.value if found else ""

    def to_json(self) -> dict[str, Any]:
        return {k: {"value": v.value, "box": list(v.box)} for k, v in self.fields.items()}


# the printed label words, for labels OCR got one letter wrong ("DRAN" for "DRAWN")
_LABEL_WORDS = {
    "TITLE": "part_name",
    "DRAWINGNO": "drawing_number",
    "PARTNO": "part_number",
    "MATERIAL": "material",
    "SCALE": "scale",
    "SHEET": "sheet",
    "UNITS": "units",
    "DRAWN": "drawn_by",
    "DATE": "date",
    "GENERALTOL": "general_tolerance",
    "REVISION": "revision",
}


def _near_label(text: str) -> str | None:
    from moesaic.drawings.score import edit_distance

    word = re.sub(r"[^A-Z]", "", text.upper())
    if len(word) < 4:
        return None
    for label, name in _LABEL_WORDS.items():
        allowed = 2 if len(label) >= 5 else 1  # "DRAINN" for "DRAWN": W read as IN
        if abs(len(label) - len(word)) <= allowed and edit_distance(word, label) <= allowed:
            return name
    return None


def _label_of(item: TextItem) -> tuple[str, str] | None:
    """(field, the text after the label) when ``item`` starts with a field label."""
    for name, pattern in _LABELS.items():
        m = pattern.match(item.text)
        if m:
            rest = item.text[m.end() :]
            return name, rest
    near = _near_label(item.text)
    return (near, "") if near else None


def _inside(box: Sequence[int], region: Sequence[int]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def _value_below(label: TextItem, candidates: Sequence[TextItem]) -> TextItem | None:
    x1, y1, x2, y2 = label.box
    h = max(y2 - y1, 8)
    best, best_gap = None, float("inf")
    for c in candidates:
        cx1, cy1, cx2, _ = c.box
        gap = cy1 - y1 - 0.5 * h
        overlaps = min(cx2, x2 + 2 * h) - max(cx1, x1 - h) > 0
        if overlaps and 0 <= gap < 4 * h and gap < best_gap:
            best, best_gap = c, gap
    return best


def _with_words_after(
    first: TextItem, candidates: Sequence[TextItem]
) -> tuple[str, tuple[int, int, int, int], float]:
    """``first`` joined with its neighbouring words on its line (a value read as several words)."""
    h = max(first.box[3] - first.box[1], 8)
    while True:  # walk back to the first word of the value
        before = [
            c
            for c in candidates
            if 0 <= first.box[0] - c.box[2] < 1.5 * h
            and abs((c.box[1] + c.box[3]) / 2 - (first.box[1] + first.box[3]) / 2) < 0.4 * h
            and _label_of(c) is None
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
            and _label_of(c) is None
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


def _value_beside(label: TextItem, candidates: Sequence[TextItem]) -> TextItem | None:
    _, y1, x2, y2 = label.box
    h = max(y2 - y1, 8)
    best, best_gap = None, float("inf")
    for c in candidates:
        cx1, cy1, _, cy2 = c.box
        gap = cx1 - x2
        if abs((cy1 + cy2) / 2 - (y1 + y2) / 2) < 0.6 * h and -h / 2 <= gap < 6 * h and gap < best_gap:
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
    if name in _SHORT_FIELDS and (any(ch.isdigit() for ch in value) or len(value) <= 2):
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
    labels: list[tuple[str, str, TextItem]] = []
    for item in items:
        hit = _label_of(item)
        # title blocks sit in the lower half of the sheet; a revision table at the top does not count
        if hit and (item.box[1] + item.box[3]) / 2 > 0.5 * height:
            labels.append((hit[0], hit[1], item))
    fields: dict[str, FieldValue] = {}
    used: list[tuple[int, int, int, int]] = []
    if len(labels) >= _MIN_LABELS:
        label_items = {id(item) for _, _, item in labels}
        candidates = [i for i in items if id(i) not in label_items]
        for name, rest, item in labels:
            if name in fields:
                continue
            inline = _inline_value(name, rest)
            if inline:
                value, box, score = inline, item.box, item.score
            else:
                found = _value_below(item, candidates) or _value_beside(item, candidates)
                if found is None:
                    continue
                text, box, score = _with_words_after(found, candidates)
                value = _clean(text)
                candidates = [c for c in candidates if not _inside(c.box, box)]
            if value:
                fields[name] = FieldValue(value, box, score)
                used += [item.box, box]
    region = None
    if used:
        # title blocks sit in the lower right corner: the block runs on to the sheet's edges
        region = (min(b[0] for b in used), min(b[1] for b in used), width, height)
    for item in items:  # fields a sheet may state outside its title block
        if "general_tolerance" not in fields:
            m = _ISO_TOLERANCE.search(item.text)
            if m:
                fields["general_tolerance"] = FieldValue(m.group(0).strip(), item.box, item.score)
        if "units" not in fields:
            m = _UNITS.search(item.text)
            if m:
                fields["units"] = FieldValue(m.group(1).lower(), item.box, item.score)
    return TitleBlock(fields, region)


def in_region(item: TextItem, region: tuple[int, int, int, int] | None) -> bool:
    """True when the centre of ``item`` lies in ``region``."""
    return region is not None and _inside(item.box, region)
