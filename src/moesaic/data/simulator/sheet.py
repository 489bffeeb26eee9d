"""Drawing primitives for technical sheets: text with exact boxes, dimension lines, leaders, hatching.

Text uses Pillow's bundled default font (``ImageFont.load_default(size=...)``, Pillow >= 10.1
with FreeType), so rendering depends on no system font and repeats byte for byte; a sheet
may name a TrueType file instead (``font_path``), for test sheets in varied fonts. That font
has no diameter sign, so ``⌀`` is drawn as a small slashed circle; the recorded text keeps
the Unicode sign, as real drawing annotations do.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

DIAMETER = "⌀"
INK = 0
PAPER = 255


@functools.lru_cache(maxsize=32)
def font(size: int, path: str | None = None) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels, or the TrueType font at ``path``."""
    if path is not None:
        return ImageFont.truetype(path, size=size)
    loaded = ImageFont.load_default(size=size)
    if not isinstance(loaded, ImageFont.FreeTypeFont):
        raise RuntimeError(
            "rendering drawings needs Pillow >= 10.1 built with FreeType "
            "(ImageFont.load_default(size=...) returned a bitmap font)"
        )
    return loaded


Box = tuple[int, int, int, int]


class Sheet:
    """A white grayscale sheet that remembers the box of every annotation written on it.

    Attributes:
        image: the PIL image (mode "L").
        boxes: one mapping per recorded annotation: ``text``, ``box`` [x1, y1, x2, y2] and extras.
    """

    def __init__(self, width: int, height: int, *, font_path: str | None = None) -> None:
        self.width, self.height = width, height
        self.font_path = font_path  # None: Pillow's bundled font, byte-identical across machines
        self.image = Image.new("L", (width, height), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.boxes: list[dict[str, Any]] = []

    # --- text ---------------------------------------------------------------------------------

    def _parts(self, text: str) -> list[str]:
        parts: list[str] = []
        for i, piece in enumerate(text.split(DIAMETER)):
            if i:
                parts.append(DIAMETER)
            if piece:
                parts.append(piece)
        return parts

    def measure(self, text: str, size: int) -> float:
        """Advance width of ``text`` in pixels."""
        f = font(size, self.font_path)
        return sum(0.8 * size if p == DIAMETER else f.getlength(p) for p in self._parts(text))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: int = 16,
        align: str = "left",
        record: dict[str, Any] | None = None,
    ) -> Box:
        """Write ``text`` with its baseline at ``y``; ``align`` is left, centre or right of ``x``.

        Returns the tight pixel box; when ``record`` is given, the box is stored with it.
        """
        f = font(size, self.font_path)
        width = self.measure(text, size)
        if align == "centre":
            x -= width / 2
        elif align == "right":
            x -= width
        cap = -f.getbbox("H", anchor="ls")[1]
        boxes = []
        cursor = x
        for part in self._parts(text):
            if part == DIAMETER:
                d = 0.62 * cap + 2
                cx, cy = cursor + 0.4 * size, y - cap / 2
                self.draw.ellipse([cx - d / 2, cy - d / 2, cx + d / 2, cy + d / 2], outline=INK, width=2)
                self.draw.line(
                    [cx - 0.55 * d, cy + 0.55 * d, cx + 0.55 * d, cy - 0.55 * d], fill=INK, width=2
                )
                boxes.append((cx - 0.55 * d - 1, cy - 0.55 * d - 1, cx + 0.55 * d + 1, cy + 0.55 * d + 1))
                cursor += 0.8 * size
            else:
                self.draw.text((cursor, y), part, font=f, fill=INK, anchor="ls")
                boxes.append(self.draw.textbbox((cursor, y), part, font=f, anchor="ls"))
                cursor += f.getlength(part)
        box = (
            int(min(b[0] for b in boxes)) - 2,
            int(min(b[1] for b in boxes)) - 2,
            int(max(b[2] for b in boxes)) + 3,
            int(max(b[3] for b in boxes)) + 3,
        )
        box = (max(0, box[0]), max(0, box[1]), min(self.width - 1, box[2]), min(self.height - 1, box[3]))
        if record is not None:
            self.boxes.append({"text": text, "box": list(box), **record})
        return box

    # --- lines --------------------------------------------------------------------------------

    def line(self, points: list[tuple[float, float]], width: int = 2) -> None:
        self.draw.line(points, fill=INK, width=width)

    def rect(self, box: tuple[float, float, float, float], width: int = 3, radius: float = 0) -> None:
        if radius:
            self.draw.rounded_rectangle(box, radius=radius, outline=INK, width=width)
        else:
            self.draw.rectangle(box, outline=INK, width=width)

    def circle(self, cx: float, cy: float, r: float, width: int = 3) -> None:
        self.draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=INK, width=width)

    def dashed(
        self,
        a: tuple[float, float],
        b: tuple[float, float],
        *,
        dash: float = 24,
        gap: float = 6,
        dot: bool = True,
    ) -> None:
        """A centre line (long dash, dot) from ``a`` to ``b``."""
        (x1, y1), (x2, y2) = a, b
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        if length == 0:
            return
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        t = 0.0
        while t < length:
            end = min(t + dash, length)
            self.line([(x1 + ux * t, y1 + uy * t), (x1 + ux * end, y1 + uy * end)], width=1)
            t = end + gap
            if dot and t < length:
                self.line([(x1 + ux * t, y1 + uy * t), (x1 + ux * (t + 2), y1 + uy * (t + 2))], width=1)
                t += 2 + gap

    def dashed_circle(self, cx: float, cy: float, r: float) -> None:
        """A pitch circle drawn as a dash-dot arc."""
        self.draw.arc([cx - r, cy - r, cx + r, cy + r], 0, 360, fill=INK, width=1)
        for start in range(0, 360, 15):  # paper gaps make the line read as a pitch circle
            self.draw.arc([cx - r, cy - r, cx + r, cy + r], start + 11, start + 13, fill=PAPER, width=3)

    def arrow(self, tip: tuple[float, float], towards: tuple[float, float], size: float = 13) -> None:
        """A filled arrowhead at ``tip`` pointing away from ``towards``."""
        (x, y), (tx, ty) = tip, towards
        length = max(((tx - x) ** 2 + (ty - y) ** 2) ** 0.5, 1e-9)
        ux, uy = (x - tx) / length, (y - ty) / length
        bx, by = x - ux * size, y - uy * size
        self.draw.polygon(
            [
                (x, y),
                (bx - uy * size / 3.5, by + ux * size / 3.5),
                (bx + uy * size / 3.5, by - ux * size / 3.5),
            ],
            fill=INK,
        )

    def hatch(self, box: tuple[float, float, float, float], spacing: float = 12) -> None:
        """45-degree section hatching inside an axis-aligned rectangle."""
        x1, y1, x2, y2 = box
        c = x1 - (y2 - y1)
        while c < x2:
            # the line y = y2 - (x - c) clipped to the rectangle
            xa, xb = max(x1, c), min(x2, c + (y2 - y1))
            if xb > xa:
                self.line([(xa, y2 - (xa - c)), (xb, y2 - (xb - c))], width=1)
            c += spacing

    # --- dimensions ---------------------------------------------------------------------------

    def dim_h(
        self,
        x1: float,
        x2: float,
        y: float,
        text: str,
        *,
        from_y: float | None = None,
        size: int = 16,
        record: dict[str, Any] | None = None,
    ) -> Box:
        """A horizontal dimension between ``x1`` and ``x2`` at height ``y``, text above the line."""
        if from_y is not None:
            step = 6 if y > from_y else -6
            for x in (x1, x2):
                self.line([(x, from_y + step / 2), (x, y + step)], width=1)
        self.line([(x1, y), (x2, y)], width=1)
        self.arrow((x1, y), (x2, y))
        self.arrow((x2, y), (x1, y))
        return self.text((x1 + x2) / 2, y - 6, text, size=size, align="centre", record=record)

    def dim_v(
        self,
        y1: float,
        y2: float,
        x: float,
        text: str,
        *,
        from_x: float | None = None,
        size: int = 16,
        side: str = "right",
        record: dict[str, Any] | None = None,
    ) -> Box:
        """A vertical dimension between ``y1`` and ``y2`` at ``x``, text beside the line."""
        if from_x is not None:
            step = 6 if x > from_x else -6
            for y in (y1, y2):
                self.line([(from_x + step / 2, y), (x + step, y)], width=1)
        self.line([(x, y1), (x, y2)], width=1)
        self.arrow((x, y1), (x, y2))
        self.arrow((x, y2), (x, y1))
        mid = (y1 + y2) / 2 + size / 3
        if side == "right":
            return self.text(x + 8, mid, text, size=size, record=record)
        return self.text(x - 8, mid, text, size=size, align="right", record=record)

    def leader(
        self,
        tip: tuple[float, float],
        at: tuple[float, float],
        text: str,
        *,
        size: int = 16,
        record: dict[str, Any] | None = None,
    ) -> Box:
        """A callout: an arrow at ``tip``, a line to ``at`` and the text beyond it."""
        x, y = at
        right = x >= tip[0]
        width = self.measure(text, size)
        shelf = x + (width + 8 if right else -(width + 8))
        self.line([tip, (x, y), (shelf, y)], width=1)
        self.arrow(tip, (x, y))
        start = x + 4 if right else shelf + 4
        return self.text(start, y - 5, text, size=size, record=record)

    def png(self) -> bytes:
        """The sheet as PNG bytes; no metadata, fixed compression, so the bytes repeat."""
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG", compress_level=6)
        return buffer.getvalue()
