"""Part drawings with ground truth: a view with dimensions, a title block, a BOM table and notes.

One drawing per drawn part of each asset type (three per type), not one per asset, so a
plant of any size renders a dozen sheets. Each drawing comes with its ground truth: the
title-block fields, every dimension (text, pixel box, parsed value), the BOM rows, and the
deliberate inconsistencies planted for drawing verification (``issues``; most sheets have none).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.simulator.assets import STREAM_DRAWINGS, stream
from moesaic.data.simulator.catalogue import CATALOGUE, AssetType, Part
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.sheet import Sheet
from moesaic.data.simulator.views import FAMILY_FITS, draw_disc, draw_plate, draw_shaft

WIDTH, HEIGHT = 1600, 1100
GENERAL_TOLERANCE = "ISO 2768-m"
PAPER_PX_PER_MM = WIDTH / 420.0  # the sheet stands for an A3 page
_SCALES = (
    ("5:1", 5.0),
    ("2:1", 2.0),
    ("1:1", 1.0),
    ("1:2", 0.5),
    ("1:2.5", 0.4),
    ("1:5", 0.2),
    ("1:10", 0.1),
)
_DRAFTERS = ("J.K.", "M.L.", "S.O.", "A.R.", "P.V.", "H.T.")
_RELATED = {
    "shaft": ("bearing", "mechanical seal", "shaft seal", "coupling"),
    "disc": ("casing", "mechanical seal", "shaft seal", "bearing", "fan wheel"),
    "plate": ("coupling",),
}
_OTHER_MATERIALS = ("S235JR", "C45E", "1.4301", "EN-GJL-250", "AlMgSi1", "42CrMo4")
_BOM_X = (1000, 1050, 1180, 1430, 1475, 1580)  # column edges: item, part no, description, qty, material
_BOM_HEADER = ("ITEM", "PART NO", "DESCRIPTION", "QTY", "MATERIAL")


class RenderedDrawing(NamedTuple):
    """One rendered sheet: PNG bytes and its ground truth (what ``drawings.json`` holds for it)."""

    drawing_id: str
    asset_type: str
    part_number: str
    png: bytes
    truth: dict[str, Any]


def _scale_name(px_per_mm: float) -> str:
    ratio = px_per_mm / PAPER_PX_PER_MM
    return min(_SCALES, key=lambda item: abs(math.log(ratio / item[1])))[0]


def _bom(kind: AssetType, part: Part, rng: np.random.Generator) -> list[dict[str, Any]]:
    rows = [
        {
            "item": 1,
            "part_number": part.part_number,
            "description": part.description,
            "qty": 1,
            "material": part.material,
        }
    ]
    related = [p for p in kind.parts if p.component in _RELATED[part.drawing] and not p.drawing]
    for p in related[:3]:
        rows.append(
            {
                "item": len(rows) + 1,
                "part_number": p.part_number,
                "description": p.description,
                "qty": p.qty,
                "material": p.material,
            }
        )
    if part.drawing == "shaft":
        rows.append(
            {
                "item": len(rows) + 1,
                "part_number": f"STD-KEY-{int(part.size)}",
                "description": "PARALLEL KEY DIN 6885 A",
                "qty": 1,
                "material": "C45+C",
            }
        )
    else:
        bolt = "M12x40" if part.size < 300 else "M16x60"
        rows.append(
            {
                "item": len(rows) + 1,
                "part_number": f"STD-BLT-{bolt.replace('x', '-')}",
                "description": f"HEX BOLT ISO 4017 {bolt}",
                "qty": int(rng.choice([4, 6, 8])),
                "material": "8.8",
            }
        )
    return rows


def _fit_text(sheet: Sheet, text: str, width: float, size: int) -> str:
    while text and sheet.measure(text, size) > width:
        text = text[:-1]
    return text


def _draw_bom(sheet: Sheet, rows: list[dict[str, Any]], bottom: float) -> None:
    height = 26
    top = bottom - height * (len(rows) + 1)
    sheet.rect((_BOM_X[0], top, _BOM_X[-1], bottom), width=2)
    for i in range(1, len(rows) + 1):
        sheet.line([(_BOM_X[0], top + i * height), (_BOM_X[-1], top + i * height)], width=1)
    for x in _BOM_X[1:-1]:
        sheet.line([(x, top), (x, bottom)], width=1)
    for c, name in enumerate(_BOM_HEADER):
        sheet.text(_BOM_X[c] + 5, top + height - 8, name, size=12)
    keys = ("item", "part_number", "description", "qty", "material")
    for r, row in enumerate(rows):
        y = top + height * (r + 2) - 8
        for c, key in enumerate(keys):
            text = _fit_text(sheet, str(row[key]), _BOM_X[c + 1] - _BOM_X[c] - 10, 13)
            sheet.text(
                _BOM_X[c] + 5, y, text, size=13, record={"kind": "bom", "item": row["item"], "column": key}
            )


def _draw_title_block(sheet: Sheet, fields: dict[str, str]) -> None:
    x0, x1, y0, y1 = 1000, 1580, 890, 1080
    sheet.rect((x0, y0, x1, y1), width=3)
    rows = (  # (top, bottom, [(field, label, x_from, x_to)])
        (890, 950, [("part_name", "TITLE", x0, x1)]),
        (
            950,
            1000,
            [
                ("drawing_number", "DRAWING NO", x0, 1220),
                ("part_number", "PART NO", 1220, 1440),
                ("revision", "REV", 1440, x1),
            ],
        ),
        (
            1000,
            1040,
            [
                ("material", "MATERIAL", x0, 1220),
                ("scale", "SCALE", 1220, 1330),
                ("sheet", "SHEET", 1330, 1440),
                ("units", "UNITS", 1440, x1),
            ],
        ),
        (
            1040,
            1080,
            [
                ("drawn_by", "DRAWN", x0, 1110),
                ("date", "DATE", 1110, 1260),
                ("general_tolerance", "GENERAL TOL.", 1260, x1),
            ],
        ),
    )
    for top, bottom, cells in rows:
        sheet.line([(x0, top), (x1, top)], width=2)
        for field, label, xa, _ in cells:
            if xa > x0:
                sheet.line([(xa, top), (xa, bottom)], width=2)
            sheet.text(xa + 5, top + 13, label, size=10)
            if fields[field]:
                size = 22 if field == "part_name" else 15
                sheet.text(
                    xa + 6,
                    bottom - 8,
                    fields[field],
                    size=size,
                    record={"kind": "title_block", "field": field},
                )
    sheet.text(x1 - 8, 890 + 13, "MOESAIC SIMULATED PLANT", size=10, align="right")


def _draw_notes(sheet: Sheet, tolerance: str) -> None:
    lines = [
        "NOTES:",
        f"1. UNTOLERANCED DIMENSIONS TO {tolerance or '(NOT STATED)'}",
        "2. REMOVE BURRS AND SHARP EDGES",
        "3. ALL DIMENSIONS IN mm",
        "4. DO NOT SCALE DRAWING",
    ]
    for i, line in enumerate(lines):
        sheet.text(50, 930 + 26 * i, line, size=15, record={"kind": "note", "line": i})


def render_drawing(
    kind: AssetType,
    part: Part,
    *,
    index: int,
    config: SimulatorConfig,
    issue: str | None = None,
    fields_patch: Mapping[str, str] | None = None,
    bom_patch: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    font_path: str | None = None,
) -> RenderedDrawing:
    """Render the sheet of ``part`` (a drawn part of ``kind``) with its ground truth.

    The keyword options make verification test sheets; left at their defaults, the sheet is
    the plant's own. ``issue`` forces the planted issue ("none" for a consistent sheet);
    ``fields_patch`` overwrites title-block fields; ``bom_patch`` maps the true parts list to
    the one printed (the truth then keeps the true one as ``bom_reference``); ``font_path``
    names a TrueType font for all text.
    """
    rng = stream(config.seed, STREAM_DRAWINGS, index)
    drawing_id = f"DWG-{part.part_number}"
    sheet = Sheet(WIDTH, HEIGHT, font_path=font_path)
    sheet.rect((20, 20, WIDTH - 20, HEIGHT - 20), width=3)
    # Plant verification cases: most sheets are consistent, some carry one planted error.
    issue_kind = str(
        rng.choice(
            ["none", "material_mismatch", "part_number_mismatch", "missing_fit", "missing_general_tolerance"],
            p=[0.6, 0.1, 0.1, 0.1, 0.1],
        )
    )
    issue_kind = issue_kind if issue is None else issue  # drawn anyway: the stream stays the same
    fits = FAMILY_FITS[part.drawing]
    drop = int(fits[int(rng.integers(len(fits)))]) if issue_kind == "missing_fit" else -1
    if part.drawing == "shaft":
        view = draw_shaft(sheet, part.size, rng, drop_fit=drop)
    elif part.drawing == "disc":
        view = draw_disc(
            sheet, part.size, rng, keyway=part.component in ("impeller", "fan wheel"), drop_fit=drop
        )
    else:
        view = draw_plate(sheet, part.size, rng, drop_fit=drop)
    drawn = pd.Timestamp(config.start) - pd.Timedelta(days=int(rng.integers(200, 3000)))
    fields = {
        "part_name": part.description,
        "drawing_number": drawing_id,
        "part_number": part.part_number,
        "revision": str(rng.choice(list("ABCD"))),
        "material": part.material,
        "scale": _scale_name(view.scale_px_per_mm),
        "sheet": "1/1",
        "units": "mm",
        "drawn_by": str(rng.choice(_DRAFTERS)),
        "date": drawn.strftime("%Y-%m-%d"),
        "general_tolerance": GENERAL_TOLERANCE,
    }
    issues: list[dict[str, str]] = []
    if issue_kind == "material_mismatch":
        wrong = str(rng.choice([m for m in _OTHER_MATERIALS if m != part.material]))
        issues.append({"kind": issue_kind, "field": "material", "expected": part.material, "found": wrong})
        fields["material"] = wrong
    elif issue_kind == "part_number_mismatch":
        digits = part.part_number[-4:]
        wrong = part.part_number[:-4] + digits[0] + digits[2] + digits[1] + digits[3]
        if wrong == part.part_number:
            wrong = part.part_number[:-1] + str((int(part.part_number[-1]) + 1) % 10)
        issues.append(
            {"kind": issue_kind, "field": "part_number", "expected": part.part_number, "found": wrong}
        )
        fields["part_number"] = wrong
    elif issue_kind == "missing_general_tolerance":
        issues.append(
            {"kind": issue_kind, "field": "general_tolerance", "expected": GENERAL_TOLERANCE, "found": ""}
        )
        fields["general_tolerance"] = ""
    elif view.dropped:
        issues.append({"kind": "missing_fit", "field": "dimension", **view.dropped})
    fields.update(fields_patch or {})
    bom = _bom(kind, part, rng)
    reference = bom
    if bom_patch is not None:
        bom = bom_patch([dict(row) for row in bom])
    _draw_bom(sheet, bom, bottom=880)
    _draw_title_block(sheet, fields)
    _draw_notes(sheet, fields["general_tolerance"])
    boxes = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in b.items()} for b in sheet.boxes]
    truth = {
        "drawing_id": drawing_id,
        "asset_type": kind.name,
        "part_number": part.part_number,
        "family": part.drawing,
        "path": f"drawings/{drawing_id}.png",
        "width": WIDTH,
        "height": HEIGHT,
        "title_block": fields,
        "bom": bom,
        "issues": issues,
        "boxes": boxes,
        "dimensions": [b for b in boxes if b["kind"] == "dimension"],
    }
    if bom_patch is not None:
        truth["bom_reference"] = reference
    return RenderedDrawing(drawing_id, kind.name, part.part_number, sheet.png(), truth)


def make_drawings(config: SimulatorConfig, asset_types: Sequence[str] | None = None) -> list[RenderedDrawing]:
    """The sheets of every drawn part of ``asset_types`` (default: those of the config)."""
    out = []
    for name in asset_types or config.asset_types:
        kind = CATALOGUE[name]
        for k, part in enumerate(p for p in kind.parts if p.drawing):
            out.append(render_drawing(kind, part, index=kind.digit * 100 + k, config=config))
    return out
