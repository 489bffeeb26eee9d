"""Compare the parts list (and title block) of a summarised sheet with a reference BOM.

When BOM rows name their drawing, only this sheet's rows are compared (a BOM of another drawing gives
one ``bom_other_drawing`` finding); every BOM item must appear on the parts list (or elsewhere on
the sheet), quantities and materials must agree, part numbers match, and the drawn part's revision
and material match the title block's. A finding only ever names a part number that is on the BOM
or read on the sheet: the checker invents none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from moesaic.drawings.bom import BomItem, bom_keys, canon
from moesaic.drawings.findings import Finding
from moesaic.drawings.partslist import BomLine
from moesaic.drawings.rules import CheckRules
from moesaic.drawings.score import edit_distance
from moesaic.drawings.summary import DrawingSummary

_WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?")
"""A word of the sheet's text that could be a part number: letters, digits and inner . _ / -."""


def check_bom(summary: DrawingSummary, bom: Sequence[BomItem], rules: CheckRules) -> list[Finding]:
    """The findings of comparing the sheet's parts list (and title block) with a reference BOM.

    When BOM rows name their drawing, only the rows of this sheet's drawing number (and rows naming
    none) are compared; a BOM none of whose rows is for this sheet gives one ``bom_other_drawing``
    finding instead of a missing item per row. The drawn part's revision and material are compared
    with the title block's.
    """
    mine = _rows_of_this_drawing(summary, bom)
    if mine is None:
        return [_other_drawing(summary, bom)]
    bom = mine
    out: list[Finding] = []
    unread = _why_unread(summary)
    if unread and bom:
        out.append(
            Finding(
                "bom_not_compared",
                "error",
                f"{unread}, so the BOM's {len(bom)} row(s) were not compared: check them on the sheet",
                "parts_list",
                summary.title_block.region,
                min(item.line for item in bom),
            )
        )
    sheet_rows = [row for row in summary.bom if row.cells.get("part_number")]
    by_number = {canon(r.cells["part_number"]): r for r in sheet_rows}
    matched: set[str] = set()
    # whole words of the notes and title block, and whole field values: "2002" inside "CO-EC-2002"
    # or "ISO" inside "ISO 2768-m" is no BOM item on the sheet
    texts = [i.text for i in summary.notes] + [v.value for v in summary.title_block.fields.values()]
    elsewhere = {canon(w) for t in texts for w in _WORD.findall(t)} | {canon(t) for t in texts}
    drawn = {
        canon(summary.title_block.get("part_number")),
        canon(summary.title_block.get("drawing_number")),
    }
    for item in bom:
        key = canon(item.part_number)
        row = by_number.get(key)
        if row is None:
            near = [
                (edit_distance(key, k), k)
                for k in by_number
                if k not in bom_keys(bom)
                and k not in matched
                and edit_distance(key, k) <= rules.max_part_number_typo
            ]
            if near:
                _, k = min(near)
                matched.add(k)
                row = by_number[k]
                out.append(
                    Finding(
                        "bom_part_number",
                        "error",
                        f"BOM item {item.part_number!r} is written "
                        f"{row.cells['part_number']!r} on the parts list",
                        item.part_number,
                        row.box,
                        item.line,
                    )
                )
            elif key in elsewhere:
                pass  # on the sheet, not on its parts list: only the revision can be compared
            else:
                if not unread:  # else the parts list it may be on was not read
                    out.append(
                        Finding(
                            "bom_item_missing",
                            "error",
                            f"BOM item {item.part_number!r} is not on the drawing",
                            item.part_number,
                            summary.title_block.region,
                            item.line,
                        )
                    )
                continue
        else:
            matched.add(key)
        qty = "" if row is None else row.cells.get("qty", "").strip().rstrip(".")
        if row is not None and qty and qty.isdigit() and int(qty) != item.qty:
            out.append(
                Finding(
                    "bom_quantity",
                    "error",
                    f"{item.part_number}: quantity {qty} on the drawing, {item.qty} in the BOM",
                    item.part_number,
                    row.box,
                    item.line,
                )
            )
        revision = summary.title_block.get("revision")
        # the drawn part: its number is the title block's, or part of the drawing number (DWG-<part>)
        is_drawn = key in drawn or any(key in d for d in drawn if d)
        if item.revision and revision and is_drawn and item.revision.upper() != revision.upper():
            out.append(
                Finding(
                    "revision_mismatch",
                    "error",
                    f"{item.part_number}: revision {revision!r} on the drawing, {item.revision!r} in the BOM",
                    item.part_number,
                    summary.title_block.fields["revision"].box,
                    item.line,
                )
            )
        out += _material_findings(summary, item, row, is_drawn=is_drawn)
    out += check_drawn_part(summary, bom)
    for k, row in by_number.items():
        if k not in matched:
            out.append(
                Finding(
                    "bom_unknown_item",
                    "warning",
                    f"parts-list item {row.cells['part_number']!r} is not in the BOM",
                    row.cells["part_number"],
                    row.box,
                )
            )
    return out


def _why_unread(summary: DrawingSummary) -> str:
    """Why the sheet's parts list could not be compared with a BOM, or "" when it could (read, or
    a sheet with no parts list: its items may stand elsewhere on it)."""
    if summary.bom:
        return ""
    if summary.parts_list_unread:
        return "the parts list could not be read (its header was found, none of its rows)"
    if summary.title_block.region is None:
        return "neither a title block nor a parts list was read on the sheet"
    return ""


def _material_findings(
    summary: DrawingSummary, item: BomItem, row: BomLine | None, *, is_drawn: bool
) -> list[Finding]:
    """A BOM row's material compared with the sheet's: the title block's for the drawn part, the
    parts-list row's for every part (once when both say the same). Characters OCR confuses
    (S355J2 read 5355J2) and punctuation (EN AW-6082, ENAW6082) do not count on the parts list."""
    out = []
    material = summary.title_block.get("material")
    if item.material and material and is_drawn and canon(item.material) != canon(material):
        out.append(
            Finding(
                "material_mismatch",
                "error",
                f"{item.part_number}: material {material!r} on the drawing, {item.material!r} in the BOM",
                item.part_number,
                summary.title_block.fields["material"].box,
                item.line,
            )
        )
    listed = "" if row is None else row.cells.get("material", "").strip()
    told = is_drawn and canon(listed) == canon(material)
    if row is None or not listed or not item.material or told or _folded(listed) == _folded(item.material):
        return out
    return [
        *out,
        Finding(
            "material_mismatch",
            "error",
            f"{item.part_number}: material {listed!r} on the parts list, {item.material!r} in the BOM",
            item.part_number,
            row.box,
            item.line,
        ),
    ]


# characters OCR confuses in part numbers: a title block read "CO-RT-20O1" is no mismatch
_CONFUSABLE = str.maketrans("OQDILZSB", "00011258")


def check_drawn_part(summary: DrawingSummary, bom: Sequence[BomItem]) -> list[Finding]:
    """The title block's part number compared with the BOM and the sheet's parts list.

    Drawing convention: a drawing number embeds the number of the part it draws (drawing
    DWG-CO-RT-2001 draws part CO-RT-2001). When a BOM or parts-list number stands inside the
    drawing number, the title block's part number must be that number; otherwise it must at least
    be listed in the BOM or on the parts list (a warning: an assembly's BOM may list only its
    components). Only numbers read on the sheet or written in the BOM are named.
    """
    number = summary.title_block.get("part_number")
    if not number or not bom:
        return []
    listed = {canon(i.part_number): i for i in bom}
    on_list = {canon(r.cells["part_number"]) for r in summary.bom if r.cells.get("part_number")}
    known = set(listed) | on_list
    folded = canon(number).translate(_CONFUSABLE)
    box = summary.title_block.fields["part_number"].box
    drawing = canon(summary.title_block.get("drawing_number"))
    named = sorted((k for k in known if _names_part(drawing, k)), key=len, reverse=True)
    if named and folded not in {k.translate(_CONFUSABLE) for k in named}:
        expected = next((k for k in named if k in listed), named[0])
        shown = listed[expected].part_number if expected in listed else expected
        where = (
            "the BOM and the parts list"
            if expected in listed and expected in on_list
            else ("the BOM" if expected in listed else "the parts list")
        )
        line = listed[expected].line if expected in listed else None
        return [
            Finding(
                "title_block_part_number",
                "error",
                f"title-block part number {number!r} differs from {shown!r} named by the drawing number "
                f"{summary.title_block.get('drawing_number')!r} and {where}",
                number,
                box,
                line,
            )
        ]
    if not named and folded not in {k.translate(_CONFUSABLE) for k in known}:
        return [
            Finding(
                "title_block_part_number",
                "warning",
                f"title-block part number {number!r} is neither in the BOM nor on the parts list",
                number,
                box,
            )
        ]
    return []


def _names_part(drawing: str, key: str) -> bool:
    """True when the drawing number embeds the part number ``key`` whole (DWG-<part>, <part>-Z)."""
    if len(key) < 4 or not any(c.isdigit() for c in key):
        return False
    return re.search(rf"(?:^|[^A-Z0-9]){re.escape(key)}(?:$|[^A-Z0-9])", drawing) is not None


def _rows_of_this_drawing(summary: DrawingSummary, bom: Sequence[BomItem]) -> list[BomItem] | None:
    """The BOM rows to compare with the sheet: those naming its drawing number, and those naming
    none. A drawing number written exactly as on the sheet wins; else those that differ from it
    only in characters OCR confuses (O for 0, S for 5) or in punctuation, never a sister drawing
    (DWG-PK-1043 for DWG-PK-1042: sister drawings are numbered one figure apart). None when rows
    name drawings, none of them this sheet's, and no row is left without one. Every row when the
    sheet's number was not read."""
    sheet = canon(summary.title_block.get("drawing_number"))
    named = {canon(item.drawing) for item in bom if item.drawing}
    if not sheet or not named:
        return list(bom)
    key = canon if sheet in named else _folded
    rows = [item for item in bom if not item.drawing or key(item.drawing) == key(sheet)]
    return rows if rows else None


def _folded(number: str) -> str:
    """A number as OCR may have misread it: letters it confuses with figures as those figures,
    without spaces or punctuation."""
    return re.sub(r"[^A-Z0-9]", "", canon(number)).translate(_CONFUSABLE)


def _other_drawing(summary: DrawingSummary, bom: Sequence[BomItem]) -> Finding:
    named = sorted({item.drawing for item in bom if item.drawing})
    shown = ", ".join(repr(n) for n in named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
    number = summary.title_block.get("drawing_number")
    field_box = summary.title_block.fields["drawing_number"].box
    return Finding(
        "bom_other_drawing",
        "error",
        f"the BOM is for drawing {shown}, not for this sheet's {number!r}: no row to compare",
        number,
        field_box,
        min(item.line for item in bom if item.drawing),
    )
