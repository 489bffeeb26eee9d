"""ISO 286-1 standard tolerance grades: how wide the band of a fit such as ``h6`` or ``H7`` is.

A fit's letter places its band (above or below the nominal size); its figure, the IT grade, sets
the band's width, which grows with the nominal size. :data:`IT_GRADES` holds ISO 286-1:2010,
Table 1, for grades IT5 to IT13 and sizes up to 500 mm, in micrometres; :func:`fit_band` gives a
fit's width in millimetres, comparable with a written ``±0.1`` (0.2 mm).
"""

from __future__ import annotations

import bisect
import re

SIZE_LIMITS = (3, 6, 10, 18, 30, 50, 80, 120, 180, 250, 315, 400, 500)
"""Upper ends (mm, inclusive) of the nominal size ranges: up to 3, over 3 up to 6, ... up to 500."""

IT_GRADES: dict[int, tuple[float, ...]] = {
    5: (4, 5, 6, 8, 9, 11, 13, 15, 18, 20, 23, 25, 27),
    6: (6, 8, 9, 11, 13, 16, 19, 22, 25, 29, 32, 36, 40),
    7: (10, 12, 15, 18, 21, 25, 30, 35, 40, 46, 52, 57, 63),
    8: (14, 18, 22, 27, 33, 39, 46, 54, 63, 72, 81, 89, 97),
    9: (25, 30, 36, 43, 52, 62, 74, 87, 100, 115, 130, 140, 155),
    10: (40, 48, 58, 70, 84, 100, 120, 140, 160, 185, 210, 230, 250),
    11: (60, 75, 90, 110, 130, 160, 190, 220, 250, 290, 320, 360, 400),
    12: (100, 120, 150, 180, 210, 250, 300, 350, 400, 460, 520, 570, 630),
    13: (140, 180, 220, 270, 330, 390, 460, 540, 630, 720, 810, 890, 970),
}
"""Standard tolerance (µm) by IT grade, one value per range of :data:`SIZE_LIMITS`."""

_GRADE = re.compile(r"[A-Za-z]{1,2}(\d{1,2})")


def it_width(grade: int, nominal: float) -> float | None:
    """The width (mm) of IT ``grade`` at size ``nominal`` (mm); None outside the table."""
    widths = IT_GRADES.get(grade)
    if widths is None or not 0 < nominal <= SIZE_LIMITS[-1]:
        return None
    return widths[bisect.bisect_left(SIZE_LIMITS, nominal)] / 1000


def fit_band(fit: str, nominal: float) -> float | None:
    """The band width (mm) of an ISO 286 fit at size ``nominal``: ``h6`` at 40 mm is 0.016. A fit
    of hole and shaft (``H7/g6``) gives the narrower of the two. None when no part is in the table.

    Examples:
        >>> fit_band("h6", 40.0)
        0.016
    """
    widths = [it_width(int(m.group(1)), nominal) for m in _GRADE.finditer(fit)]
    known = [w for w in widths if w is not None]
    return min(known) if known else None
