"""Parse dimension callouts (``⌀12H7``, ``2x M6``, ``R5``, ``45°``, ``1,5x45°``, ``40 +0.2/-0.1``,
a tube ``⌀89x3``).

:func:`parse_callout` turns one callout string into a :class:`Callout` with its kind, nominal
value, deviations or fit, count and unit, or None when the text is not a dimension. Decimal
commas and points are both accepted; the text is first put in canonical form by
:func:`moesaic.drawings.symbols.normalize_callout`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from moesaic.drawings.iso286 import fit_band
from moesaic.drawings.symbols import DEGREE, DIAMETER, PLUS_MINUS, normalize_callout

MAX_DEVIATION = 2.0  # mm; larger written deviations are dates, ranges or misreads
KINDS = ("linear", "diameter", "radius", "angle", "chamfer", "thread")

_NUM = r"\d+(?:[.,]\d+)?"
_DEV = rf"(?:[+-]{_NUM}|0)"  # a stacked deviation carries its sign, or is a bare zero
# ISO 286 fit: one or two letters (I, L, O, Q, W are not used), capitals for a hole and small
# letters for a shaft, never mixed ("100Cr6" is a steel, not 100 with a fit), and a grade 01..18
_FIT = (
    r"(?:[A-HJKMNPR-Z]{1,2}|[acdefghjkmnprstuvxyz]{1,2}|JS|js|CD|cd|EF|ef|FG|fg|ZA|ZB|ZC|za|zb|zc)"
    r"(?:1[0-8]|0?[1-9])"
)

_CALLOUT = re.compile(
    rf"""^
    (?P<ref_open>\()?
    (?:(?P<count>\d{{1,3}})x\s?)?
    (?P<prefix>{DIAMETER}|S{DIAMETER}|SR|R|M|CH)?
    (?P<nominal>{_NUM})
    (?:(?P<deg>{DEGREE})
      |x(?P<pitch>{_NUM})(?=$|[\s-])
      |x(?P<chamfer_angle>{_NUM}){DEGREE})?
    (?:[-\s]?(?P<thread_class>\d[gGhH]))?
    (?P<fit>{_FIT}(?:/{_FIT})?)?
    \s?(?:{PLUS_MINUS}(?P<pm>{_NUM})
        |(?P<upper>{_DEV})(?:\s|\s?/\s?)(?P<lower>{_DEV})
        |(?P<single>[+-]{_NUM}))?
    (?P<ref_close>\))?
    \s?(?P<ref>REF)?
    \s?(?P<unit>mm|in|")?
    $""",
    re.VERBOSE,
)
# a space inside a number is a thousands separator ("1 000"); a lone figure after its decimals
# ("200.00 1") is a stray mark read as a figure, no part of the number
_AFTER_DECIMALS = re.compile(r"([.,]\d+)\s+\d$")
_LEADING_DEVIATION = re.compile(rf"^(?P<dev>[+-]{_NUM})\s+(?P<rest>.+)$")


def to_float(text: str) -> float:
    """A number written with a decimal comma or point."""
    return float(text.replace(",", "."))


@dataclass(frozen=True)
class Callout:
    """One parsed dimension callout.

    Attributes:
        text: the canonical text (symbols restored, decimal separator as written).
        kind: one of :data:`KINDS`.
        nominal: the nominal value (for a chamfer its leg length, for a thread its diameter).
        upper: the upper deviation (signed), or None when no deviation is written.
        lower: the lower deviation (signed), or None.
        fit: an ISO 286 fit such as ``H7`` (thread tolerance classes such as ``6H`` too), or "".
        count: how many features share the callout (``4x⌀6``).
        unit: "mm" unless the text says otherwise; angles are in degrees.
        angle: the chamfer angle in degrees, or None.
        pitch: the thread pitch, or None.
        reference: a reference (auxiliary) dimension, written ``(25)`` or ``70 REF``.
        wall: the wall thickness of a tube called out by its outer diameter (``⌀89x3``), or None.
        lone_deviation: one deviation was written alone (``240 +0.1``, taken as +0.1/0): ISO 129-1
            writes both, a zero one as ``0``, so OCR may have read a ``±`` as ``+``.
    """

    text: str
    kind: str
    nominal: float
    upper: float | None = None
    lower: float | None = None
    fit: str = ""
    count: int = 1
    unit: str = "mm"
    angle: float | None = None
    pitch: float | None = None
    reference: bool = False
    wall: float | None = None
    lone_deviation: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}, got {self.kind!r}")
        if self.count < 1:
            raise ValueError(f"`count` must be >= 1, got {self.count}")

    @property
    def value_text(self) -> str:
        """The value without its reference marking: a trailing "REF" word, or the parentheses
        around it (``(12,5)`` -> ``12,5``); :attr:`reference` keeps what they said."""
        text = re.sub(r"\s*REF$", "", self.text)
        if self.reference and text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        return text

    @property
    def toleranced(self) -> bool:
        """True when the callout carries its own deviations or fit."""
        return self.upper is not None or bool(self.fit)

    @property
    def tolerance_width(self) -> float | None:
        """upper - lower, when both deviations are written."""
        if self.upper is None or self.lower is None:
            return None
        return round(self.upper - self.lower, 6)

    @property
    def band(self) -> float | None:
        """The tolerance band (mm): the written deviations' width, else the ISO 286 width of the
        fit at the nominal size (``⌀40h6``: 0.016); None for neither, or a thread's class."""
        if self.tolerance_width is not None:
            return self.tolerance_width
        if not self.fit or self.kind == "thread" or self.unit != "mm":
            return None
        return fit_band(self.fit, self.nominal)

    def to_json(self) -> dict[str, Any]:
        return {
            "value_text": self.value_text,
            "kind": self.kind,
            "nominal": self.nominal,
            "upper": self.upper,
            "lower": self.lower,
            "fit": self.fit,
            "count": self.count,
            "unit": self.unit,
            "angle": self.angle,
            "pitch": self.pitch,
            "reference": self.reference,
            "wall": self.wall,
        }


def _kind(prefix: str, degree: bool, chamfer: bool) -> str:
    if chamfer or prefix == "CH":
        return "chamfer"
    if degree:
        return "angle"
    return {
        DIAMETER: "diameter",
        f"S{DIAMETER}": "diameter",
        "R": "radius",
        "SR": "radius",
        "M": "thread",
    }.get(prefix, "linear")


def _deviations(g: dict[str, str | None]) -> tuple[float | None, float | None]:
    if g["pm"]:
        t = to_float(g["pm"])
        return t, -t
    if g["upper"] is not None and g["lower"] is not None:
        a, b = to_float(g["upper"]), to_float(g["lower"])
        return max(a, b), min(a, b)
    if g["single"]:
        d = to_float(g["single"])
        return (d, 0.0) if d > 0 else (0.0, d)
    return None, None


def parse_callout(text: str) -> Callout | None:
    """Parse one callout; None when ``text`` is not a dimension.

    Examples:
        >>> parse_callout("⌀12 H7").fit
        'H7'
        >>> parse_callout("40 +0.2/-0.1").lower
        -0.1
    """
    canonical = normalize_callout(text)
    body = canonical
    # eDOCr-style reading order puts a stacked upper deviation first: "+0.40 4x⌀6.60-0.10"
    lead = _LEADING_DEVIATION.match(body)
    if lead and not _CALLOUT.match(body):
        body = f"{lead['rest']} {lead['dev']}"
    m = _CALLOUT.match(body) or _CALLOUT.match(_AFTER_DECIMALS.sub(r"\1", body).replace(" ", ""))
    if m is None:
        return None
    g = m.groupdict()
    prefix = g["prefix"] or ""
    chamfer = g["chamfer_angle"] is not None
    kind = _kind(prefix, bool(g["deg"]), chamfer)
    wall = None
    if g["pitch"] is not None and kind == "diameter" and to_float(g["pitch"]) < to_float(g["nominal"]) / 2:
        wall = to_float(g["pitch"])  # a tube by its outer diameter and wall: "⌀89x3" (ISO 1127, EN 10220)
    elif g["pitch"] is not None and kind != "thread":
        return None  # "12x5" is not a callout we can read
    upper, lower = _deviations(g)
    if max(abs(upper or 0.0), abs(lower or 0.0)) > MAX_DEVIATION:
        return None  # "2021-10-15" is a date, not 2021 with a deviation of -10
    if kind == "angle" and g["count"]:
        # "1x45°" is a chamfer (leg x angle), not one angle counted once
        return Callout(
            text=canonical, kind="chamfer", nominal=float(g["count"]), angle=to_float(g["nominal"])
        )
    unit = "deg" if kind == "angle" else {'"': "in", "in": "in"}.get(g["unit"] or "", "mm")
    fit = g["fit"] or ""
    if g["thread_class"]:
        if kind != "thread":
            return None  # "18.19 g" is a weight, not a size with a thread class
        fit = g["thread_class"]
    return Callout(
        text=canonical,
        kind=kind,
        nominal=to_float(g["nominal"]),
        upper=upper,
        lower=lower,
        fit=fit,
        count=int(g["count"] or 1),
        unit=unit,
        angle=to_float(g["chamfer_angle"]) if chamfer else (45.0 if prefix == "CH" else None),
        pitch=to_float(g["pitch"]) if g["pitch"] and wall is None else None,
        reference=bool(g["ref"]) or bool(g["ref_open"] and g["ref_close"]),
        wall=wall,
        lone_deviation=bool(g["single"]),
    )
