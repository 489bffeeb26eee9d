"""The reference bill of materials a drawing is checked against, read from a CSV file.

A BOM has the columns ``part_number`` and ``qty``, optionally ``item``, ``description``,
``material``, ``revision``, and a drawing number column (:data:`DRAWING_COLUMNS`) when one BOM
covers several drawings. Part numbers are compared canonically: case and spaces do not count.
:func:`moesaic.drawings.check.check_bom` compares the rows with a sheet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from moesaic.data.readers_columns import read_sniffed_csv
from moesaic.data.tables import DataFormatError, row_line
from moesaic.knowledge.links import field_key


@dataclass(frozen=True)
class BomItem:
    """One row of the reference bill of materials; ``line`` is its line in the CSV file."""

    part_number: str
    qty: int
    line: int
    item: str = ""
    description: str = ""
    material: str = ""
    revision: str = ""
    drawing: str = ""  # the drawing the row belongs to, in a BOM covering several drawings


DRAWING_COLUMNS = ("drawing_number", "drawing", "drawing_no", "drawing_nr", "dwg", "dwg_no", "dwg_number")
"""Names of a BOM column saying which drawing each row belongs to (as
:func:`moesaic.knowledge.links.field_key` writes them: "Drawing No." is drawing_no)."""


def read_bom(path: Path) -> list[BomItem]:
    """The reference BOM: CSV with columns ``part_number`` and ``qty`` (others optional, among them
    a drawing number column named as in :data:`DRAWING_COLUMNS` when the BOM covers several
    drawings); the separator (``,``, ``;`` or tab) is sniffed from the header.

    Raises:
        DataFormatError: a malformed file, a missing column, an empty part number, a part number
            listed twice for one drawing or a quantity that is not a positive integer, naming the
            file, line and column.
    """
    frame = read_sniffed_csv(Path(path))
    frame.columns = [field_key(str(c)) for c in frame.columns]
    missing = [c for c in ("part_number", "qty") if c not in frame.columns]
    if missing:
        raise DataFormatError(
            path,
            f"missing required column(s) {missing} (case, spaces and dots do not count: 'Part No.' is "
            f"part_no, not part_number); found columns {list(frame.columns)}",
        )
    frame = frame.fillna("")
    drawing_column = next((c for c in frame.columns if c in DRAWING_COLUMNS), None)
    items = []
    seen: dict[tuple[str, str], int] = {}
    for position, row in enumerate(frame.to_dict("records")):
        line = row_line(frame, position)
        number = str(row["part_number"]).strip()
        if not number:
            raise DataFormatError(
                path, "expected a part number, found an empty cell", line=line, column="part_number"
            )
        drawing = str(row[drawing_column]).strip() if drawing_column is not None else ""
        key = (canon(drawing), canon(number))  # what the check matches on: case and spaces do not count
        if key in seen:
            where = f" for drawing {drawing!r}" if drawing else ""
            raise DataFormatError(
                path,
                f"part number {number!r} is listed twice{where} (first on line {seen[key]}; case and "
                "spaces do not count)",
                line=line,
                column="part_number",
            )
        seen[key] = line
        qty = str(row["qty"]).strip()
        if not qty.isdigit() or int(qty) < 1:
            raise DataFormatError(
                path, f"expected a positive whole quantity, found {qty!r}", line=line, column="qty"
            )
        items.append(
            BomItem(
                part_number=number,
                qty=int(qty),
                line=line,
                drawing=drawing,
                **{k: str(row.get(k, "")).strip() for k in ("item", "description", "material", "revision")},
            )
        )
    return items


def canon(number: str) -> str:
    """A part or drawing number without its spaces, in capitals: how numbers are compared."""
    return re.sub(r"\s+", "", number).upper()


def bom_keys(bom: Sequence[BomItem]) -> set[str]:
    """The canonical part numbers of a BOM."""
    return {canon(i.part_number) for i in bom}
