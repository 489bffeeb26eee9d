"""A line of units under a CSV's header, as SCADA and historian exports write it.

::

    Date,Time,UV Intensity,UVT,Lamp Power,Flow
    ,,W/m2,%,kW,m3/h
    01/01/2024,00:00,65.4,92.0,7.78,403.0

The second line is no reading: its time cells are empty and its value cells are short words. It is
read as the channels' units (``Series.meta["units"]``, as a unit in a column's name would be) and
left out of the data, with a warning naming its line; every later row keeps its own line number
for error messages.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from moesaic.data.tables import row_line, with_row_lines

log = logging.getLogger(__name__)

MAX_UNIT_CHARS = 12
"""A unit cell is at most this long (``m3/h``, ``mg/l``, ``degC``, ``l/min``)."""
_UNIT = re.compile(r"^[^\W\d_]|^[%°µ‰]")
"""A unit starts with a letter or a unit sign, never a digit: ``W/m2``, ``%``, ``°C``."""
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?\s*$")


def split_unit_row(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` (text cells) without its first row when that row holds units, and {column: unit}.

    The first row is a unit row when none of its cells is a number and at least one is a unit
    (:data:`_UNIT`, at most :data:`MAX_UNIT_CHARS` characters, one word), every other cell is
    empty, and each column it gives a unit holds a number in the row below it. Otherwise the frame
    comes back as it was, with no units.
    """
    if len(frame) < 2:
        return frame, {}
    first, second = frame.iloc[0], frame.iloc[1]
    cells = {str(c): str(v).strip() for c, v in first.items() if isinstance(v, str) and v.strip()}
    if not cells:
        return frame, {}
    for name, cell in cells.items():
        if _NUMBER.match(cell) or len(cell) > MAX_UNIT_CHARS or " " in cell or not _UNIT.match(cell):
            return frame, {}
        below = second.get(name)
        if not (isinstance(below, str) and _NUMBER.match(below.strip())):
            return frame, {}
    lines = [row_line(frame, pos) for pos in range(1, len(frame))]
    unit_line = row_line(frame, 0)
    rest = frame.iloc[1:].reset_index(drop=True)
    rest.attrs = {}
    log.warning(
        "%s: line %d under the header holds units (%s); they are read as the channels' units, not data",
        path, unit_line, ", ".join(f"{name}: {unit}" for name, unit in cells.items()),
    )  # fmt: skip
    return with_row_lines(rest, lines), cells
