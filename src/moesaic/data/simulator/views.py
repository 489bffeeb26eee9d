"""The part views of a drawing: a stepped shaft, a flanged disc (cover, hub, impeller) or a plate.

Each view draws its outline and its dimensions on a :class:`Sheet` and records every
dimension text with its box and parsed value (``dim_type``, ``nominal``, ``tol_plus``,
``tol_minus``, ``fit``, ``count``). ``drop_fit`` names one dimension drawn without its fit,
for the verification ground truth.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from moesaic.data.simulator.sheet import DIAMETER, Sheet


class Dim(NamedTuple):
    """A dimension's value and its text as printed on the drawing."""

    dim_type: str  # linear | diameter | radius | chamfer | hole_pattern | keyway
    nominal: float
    tol: float = 0.0
    fit: str = ""
    repeat: int = 1  # features sharing the dimension, as in 4x⌀14

    @property
    def text(self) -> str:
        value = f"{self.nominal:g}"
        tail = (f"±{self.tol:g}" if self.tol else "") + self.fit
        if self.dim_type == "diameter":
            return f"{DIAMETER}{value}{tail}"
        if self.dim_type == "radius":
            return f"R{value}{tail}"
        if self.dim_type == "chamfer":
            return f"{value}x45°"
        if self.dim_type == "hole_pattern":
            return f"{self.repeat}x{DIAMETER}{value}{tail}"
        return f"{value}{tail}"

    def record(self) -> dict[str, Any]:
        # no explicit tolerance (None): the general tolerance of the title block applies
        return {
            "kind": "dimension",
            "dim_type": self.dim_type,
            "nominal": self.nominal,
            "tol_plus": self.tol or None,
            "tol_minus": -self.tol if self.tol else None,
            "fit": self.fit,
            "count": self.repeat,
        }


class ViewResult(NamedTuple):
    scale_px_per_mm: float
    dropped: dict[str, str]  # {"expected": text, "found": text} when a fit was dropped, else {}


def _keyway_width(d: float) -> float:
    for limit, width in ((30, 8), (38, 10), (44, 12), (50, 14), (58, 16), (65, 18), (75, 20)):
        if d <= limit:
            return width
    return 22


def _put(sheet: Sheet, dim: Dim, drop: bool, dropped: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The text to print and its record; a dropped fit prints and records the bare value."""
    if drop and dim.fit:
        bare = dim._replace(fit="")
        dropped.update(expected=dim.text, found=bare.text)
        return bare.text, bare.record()
    return dim.text, dim.record()


def draw_shaft(sheet: Sheet, d: float, rng: np.random.Generator, *, drop_fit: int = -1) -> ViewResult:
    """A stepped shaft: coupling journal with keyway, seal journal, two bearing seats, body, end journal."""
    segments = [  # (diameter dim, length, length tolerance)
        (Dim("diameter", d - 10, fit="k6"), round(1.5 * d), 0.0),
        (Dim("diameter", d - 2, tol=0.05), round(0.8 * d), 0.0),
        (Dim("diameter", d, fit="k5"), round(0.6 * d), 0.1),
        (Dim("diameter", d + 12), round(2.2 * d), 0.0),
        (Dim("diameter", d - 5, fit="k5"), round(0.55 * d), 0.1),
        (Dim("diameter", d - 15, fit="g6"), round(1.0 * d), 0.0),
    ]
    total = sum(length for _, length, _ in segments)
    s = 1320.0 / total
    axis, x0 = 330.0, 140.0
    max_r = (d + 12) / 2 * s
    dropped: dict[str, str] = {}
    sheet.dashed((x0 - 40, axis), (x0 + total * s + 40, axis))
    chamfer = 2.0 if d >= 50 else 1.5
    c = chamfer * s
    x = x0
    edges = []
    for i, (dim, length, _) in enumerate(segments):
        r = dim.nominal / 2 * s
        x_end = x + length * s
        # the end faces are chamfered: the outline starts and stops short of them
        xa, xb = x + (c if i == 0 else 0), x_end - (c if i == len(segments) - 1 else 0)
        sheet.line([(xa, axis - r), (xb, axis - r)], width=3)
        sheet.line([(xa, axis + r), (xb, axis + r)], width=3)
        edges.append((x, x_end, r))
        x = x_end
    for (xa, _, ra), (_, _, rb) in zip(edges[1:], edges[:-1], strict=True):
        sheet.line([(xa, axis - max(ra, rb)), (xa, axis + max(ra, rb))], width=3)  # shoulders
    first, last = edges[0], edges[-1]
    sheet.line([(first[0], axis - first[2] + c), (first[0], axis + first[2] - c)], width=3)
    sheet.line([(last[1], axis - last[2] + c), (last[1], axis + last[2] - c)], width=3)
    for xe, r, sign in ((first[0], first[2], 1), (last[1], last[2], -1)):
        sheet.line([(xe, axis - r + c), (xe + sign * c, axis - r)], width=3)
        sheet.line([(xe, axis + r - c), (xe + sign * c, axis + r)], width=3)
    # keyway on the coupling journal
    b = _keyway_width(d - 10)
    k0, k1 = first[0] + 0.15 * (first[1] - first[0]), first[0] + 0.8 * (first[1] - first[0])
    sheet.rect((k0, axis - b / 2 * s, k1, axis + b / 2 * s), width=2, radius=b / 2 * s)
    # diameters: a dimension line across each segment, its text above the shaft
    for i, ((dim, _, _), (xa, xb, r)) in enumerate(zip(segments, edges, strict=True)):
        xm = xa + (0.3 if i == 0 else 0.5) * (xb - xa)
        sheet.line([(xm, axis - r), (xm, axis + r)], width=1)
        sheet.arrow((xm, axis - r), (xm, axis))
        sheet.arrow((xm, axis + r), (xm, axis))
        ty = axis - max_r - (40 if i % 2 == 0 else 78)
        sheet.line([(xm, axis - r), (xm, ty + 5)], width=1)
        text, rec = _put(sheet, dim, i == drop_fit, dropped)
        sheet.text(xm, ty, text, align="centre", record=rec)
    # lengths: a chain below, then the overall length
    chain_y, total_y = axis + max_r + 70, axis + max_r + 130
    for (_, length, tol), (xa, xb, r) in zip(segments, edges, strict=True):
        ld = Dim("linear", float(length), tol=tol)
        sheet.dim_h(xa, xb, chain_y, ld.text, from_y=axis + r, record=ld.record())
    overall = Dim("linear", float(total), tol=0.5)
    sheet.dim_h(x0, x0 + total * s, total_y, overall.text, from_y=chain_y, record=overall.record())
    # callouts: chamfers at both ends, the fillet at the body shoulder, the keyway width
    ch = Dim("chamfer", chamfer)
    sheet.leader(
        (first[0] + c / 2, axis - first[2] + c / 2),
        (first[0] - 30, axis - first[2] - 60),
        ch.text,
        record=ch.record(),
    )
    ch2 = Dim("chamfer", chamfer)
    sheet.leader(
        (last[1] - c / 2, axis - last[2] + c / 2),
        (last[1] + 30, axis - last[2] - 60),
        ch2.text,
        record=ch2.record(),
    )
    fillet = Dim("radius", 1.6 if d < 50 else 2.5)
    body = edges[3]
    sheet.leader(
        (body[0] + 2, axis - body[2] + 2),
        (body[0] + 40, axis - body[2] - 40),
        fillet.text,
        record=fillet.record(),
    )
    kw = Dim("keyway", float(b), fit="N9")
    sheet.leader((k1 - 10, axis + b / 2 * s), (k1 + 25, axis + first[2] + 35), kw.text, record=kw.record())
    return ViewResult(s, dropped)


def _round_to(x: float, step: float) -> float:
    return float(step * round(x / step))


def draw_disc(
    sheet: Sheet, D: float, rng: np.random.Generator, *, keyway: bool, drop_fit: int = -1
) -> ViewResult:
    """A flanged disc: front view with bore, hub and bolt circle; half-section side view."""
    s = 500.0 / D
    cx, cy, R = 330.0, 370.0, 250.0
    bore = _round_to(0.2 * D, 5)
    hub = _round_to(0.42 * D, 5)
    pcd = _round_to(0.78 * D, 5)
    holes = int(rng.choice([4, 6, 8]))
    hole = 9.0 if D < 180 else (13.5 if D < 260 else 17.5)
    thick = _round_to(0.08 * D, 1)
    hub_len = _round_to(0.22 * D, 1)
    dropped: dict[str, str] = {}
    sheet.dashed((cx - R - 30, cy), (cx + R + 30, cy))
    sheet.dashed((cx, cy - R - 30), (cx, cy + R + 30))
    sheet.circle(cx, cy, R)
    sheet.circle(cx, cy, hub / 2 * s)
    sheet.circle(cx, cy, bore / 2 * s)
    sheet.dashed_circle(cx, cy, pcd / 2 * s)
    angles = np.pi / 2 + 2 * np.pi * np.arange(holes) / holes + np.pi / holes
    for a in angles:
        sheet.circle(cx + np.cos(a) * pcd / 2 * s, cy - np.sin(a) * pcd / 2 * s, hole / 2 * s, width=2)
    fits = [Dim("diameter", D, fit="h8"), Dim("diameter", bore, fit="H7")]
    text, rec = _put(sheet, fits[0], drop_fit == 0, dropped)
    sheet.dim_h(cx - R, cx + R, cy - R - 40, text, from_y=cy, record=rec)
    text, rec = _put(sheet, fits[1], drop_fit == 1, dropped)
    a = np.deg2rad(135)
    br = bore / 2 * s
    sheet.leader((cx + np.cos(a) * br, cy - np.sin(a) * br), (cx - R * 0.55, cy - R * 0.95), text, record=rec)
    pc = Dim("diameter", pcd)
    a = np.deg2rad(20)
    sheet.leader(
        (cx + np.cos(a) * pcd / 2 * s, cy - np.sin(a) * pcd / 2 * s),
        (cx + R + 40, cy - R * 0.65),
        pc.text,
        record=pc.record(),
    )
    hp = Dim("hole_pattern", hole, repeat=holes)
    h0 = angles[int(np.argmin(np.abs(np.sin(angles) + 0.5) + (np.cos(angles) < 0)))]
    sheet.leader(
        (cx + np.cos(h0) * pcd / 2 * s, cy - np.sin(h0) * pcd / 2 * s),
        (cx + R + 40, cy + R * 0.75),
        hp.text,
        record=hp.record(),
    )
    if keyway:
        b = _keyway_width(bore)
        sheet.rect((cx - b / 2 * s, cy - br - b * 0.45 * s, cx + b / 2 * s, cy - br + 2), width=2)
        kw = Dim("keyway", float(b), fit="JS9")
        sheet.leader(
            (cx + b / 2 * s, cy - br - b * 0.3 * s),
            (cx + R * 0.45, cy - R * 0.95),
            kw.text,
            record=kw.record(),
        )
    # half-section side view: flange then hub, bore left white, material hatched
    sx = 800.0
    t, h, hr = thick * s, hub_len * s, hub / 2 * s
    sheet.dashed((sx - 30, cy), (sx + t + h + 40, cy))
    for sign in (-1, 1):
        flange = (sx, min(cy + sign * R, cy + sign * br), sx + t, max(cy + sign * R, cy + sign * br))
        hub_box = (
            sx + t,
            min(cy + sign * hr, cy + sign * br),
            sx + t + h,
            max(cy + sign * hr, cy + sign * br),
        )
        for box in (flange, hub_box):
            sheet.rect(box, width=3)
            sheet.hatch(box)
    td = Dim("linear", thick, tol=0.1)
    sheet.dim_h(sx, sx + t, cy - R - 40, td.text, from_y=cy - R, record=td.record())
    ld = Dim("linear", thick + hub_len)
    sheet.line([(sx, cy + R + 6), (sx, cy + R + 56)], width=1)
    sheet.line([(sx + t + h, cy + hr + 6), (sx + t + h, cy + R + 56)], width=1)
    sheet.dim_h(sx, sx + t + h, cy + R + 50, ld.text, record=ld.record())
    hd = Dim("diameter", hub)
    sheet.dim_v(cy - hr, cy + hr, sx + t + h + 60, hd.text, from_x=sx + t + h, record=hd.record())
    rd = Dim("radius", 3.0 if D < 250 else 5.0)
    sheet.leader((sx + t + 2, cy - hr - 2), (sx + t + 60, cy - hr - 70), rd.text, record=rd.record())
    cd = Dim("chamfer", 1.0)
    sheet.leader((sx + t + h - 2, cy + hr - 2), (sx + t + h + 50, cy + hr + 50), cd.text, record=cd.record())
    return ViewResult(s, dropped)


def draw_plate(sheet: Sheet, L: float, rng: np.random.Generator, *, drop_fit: int = -1) -> ViewResult:
    """A base plate: top view with corner radii, bolt holes and dowel holes; side view with thickness."""
    W = _round_to(0.62 * L, 10)
    thick = float(rng.choice([15.0, 20.0, 25.0]))
    corner = 10.0 if L < 400 else 15.0
    hole = 14.0 if L < 380 else 18.0
    edge = 30.0 if L < 400 else 35.0
    s = min(860.0 / L, 440.0 / W)
    x0, y0 = 160.0, 170.0
    lx, wy = L * s, W * s
    dropped: dict[str, str] = {}
    sheet.rect((x0, y0, x0 + lx, y0 + wy), width=3, radius=corner * s)
    sheet.dashed((x0 - 20, y0 + wy / 2), (x0 + lx + 20, y0 + wy / 2))
    sheet.dashed((x0 + lx / 2, y0 - 20), (x0 + lx / 2, y0 + wy + 20))
    xs, ys = (x0 + edge * s, x0 + lx - edge * s), (y0 + edge * s, y0 + wy - edge * s)
    for hx in xs:
        for hy in ys:
            sheet.circle(hx, hy, hole / 2 * s, width=2)
    dowel = (x0 + lx * 0.3, y0 + wy * 0.5), (x0 + lx * 0.7, y0 + wy * 0.5)
    for dx, dy in dowel:
        sheet.circle(dx, dy, 5 * s, width=2)
    ld = Dim("linear", L, tol=0.5)
    sheet.dim_h(x0, x0 + lx, y0 - 50, ld.text, from_y=y0 + corner * s, record=ld.record())
    wd = Dim("linear", W, tol=0.5)
    sheet.dim_v(y0, y0 + wy, x0 - 60, wd.text, from_x=x0 + corner * s, side="left", record=wd.record())
    pa = Dim("linear", L - 2 * edge, tol=0.2)
    sheet.dim_h(xs[0], xs[1], y0 + wy + 60, pa.text, from_y=ys[1], record=pa.record())
    pb = Dim("linear", W - 2 * edge, tol=0.2)
    sheet.dim_v(ys[0], ys[1], x0 + lx + 60, pb.text, from_x=xs[1], record=pb.record())
    hp = Dim("hole_pattern", hole, repeat=4)
    sheet.leader(
        (xs[1] - hole / 2 * s * 0.7, ys[0] - hole / 2 * s * 0.7),
        (xs[1] - 120, y0 - 110),
        hp.text,
        record=hp.record(),
    )
    dw = Dim("hole_pattern", 10.0, fit="H7", repeat=2)
    text, rec = _put(sheet, dw, drop_fit >= 0, dropped)
    sheet.leader(
        (dowel[1][0] + 4 * s, dowel[1][1] - 4 * s), (dowel[1][0] + 90, dowel[1][1] - 90), text, record=rec
    )
    rd = Dim("radius", corner)
    sheet.leader(
        (x0 + corner * s * 0.3, y0 + corner * s * 0.3), (x0 + 70, y0 - 110), rd.text, record=rd.record()
    )
    # side view: the thickness, with a chamfer on the top edge
    sx = x0 + lx + 220
    t = max(thick * s, 24.0)
    sheet.rect((sx, y0, sx + t, y0 + wy), width=3)
    sheet.hatch((sx, y0, sx + t, y0 + wy))
    td = Dim("linear", thick)
    sheet.dim_h(sx, sx + t, y0 - 50, td.text, from_y=y0, record=td.record())
    cd = Dim("chamfer", 2.0)
    sheet.leader((sx + t, y0 + wy - 4), (sx + t + 50, y0 + wy + 50), cd.text, record=cd.record())
    return ViewResult(s, dropped)


FAMILY_FITS = {"shaft": (0, 2, 4, 5), "disc": (0, 1), "plate": (0,)}
