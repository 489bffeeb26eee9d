"""The reference bill of materials a drawing is checked against, read from a CSV file.

A BOM has the columns ``part_number`` and ``qty``, optionally ``item``, ``description``,
``material``, ``revision``, and a drawing number column (:data:`DRAWING_COLUMNS`) when one BOM
covers several drawings. Part numbers are compared canonically: case and spaces do not count.
:func:`moesaic.drawings.check.check_bom` compares the rows with a sheet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from moesaic.data.readers_columns import read_sniffed_csv
from moesaic.data.tables import DataFormatError, row_line
from moesaic.knowledge.links import field_key

logger = logging.getLogger(__name__)


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

COLUMN_ALIASES = {
    "quantity": "qty",
    "menge": "qty",
    "anzahl": "qty",
    "stuckzahl": "qty",
    "antal": "qty",
    "quantite": "qty",
    "qte": "qty",
    "part_no": "part_number",  # "Part No.", "Part-No", "Part #"
    "part_nr": "part_number",
    "partno": "part_number",
    "part_num": "part_number",
    "p_n": "part_number",  # "P/N"; not "PN", a nominal pressure in piping BOMs
    "article_no": "part_number",
    "article_number": "part_number",
    "item_code": "part_number",
    "sachnummer": "part_number",
    "sach_nr": "part_number",
    "teilenummer": "part_number",
    "teile_nr": "part_number",
    "artikelnummer": "part_number",
    "artikel_nr": "part_number",
    "art_nr": "part_number",
    "reference": "part_number",
    "pcs": "qty",
    "benennung": "description",
    "bezeichnung": "description",
    "designation": "description",
    "werkstoff": "material",
    "matiere": "material",
    "pos": "item",
    "position": "item",
}
"""Other names of BOM columns, read as the English one: ERP exports' ("Part No.", "P/N", "Pcs") and
German, Swedish and French headers, as on the sheet's parts list (keys as
:func:`moesaic.knowledge.links.field_key` writes them, "#" read as "no")."""

_QTY = re.compile(r"(\d+)(?:[.,]0+)?\s*(?:pcs?|pieces?|stk|st|stck|ea|off|x)?\.?", re.IGNORECASE)
"""A quantity as ERP and spreadsheet exports write it: 2, 2.0, "2 pcs", "2 Stk.", "2 off"."""


def read_bom(path: Path) -> list[BomItem]:
    """The reference BOM: CSV with columns ``part_number`` and ``qty`` (others optional, among them
    a drawing number column named as in :data:`DRAWING_COLUMNS` when the BOM covers several
    drawings); the separator (``,``, ``;`` or tab) is sniffed from the header.

    Raises:
        DataFormatError: a malformed file, a missing column, an empty part number, a part number
            listed twice for one drawing or a quantity that is not a positive integer, naming the
            file, line and column.
    """
    path = Path(path)
    frame = _read_frame(path)
    frame.columns = [_column_name(str(c), frame.columns) for c in frame.columns]
    frame.columns = _item_number_as_part_number(frame)
    missing = [c for c in ("part_number", "qty") if c not in frame.columns]
    if missing:
        raise DataFormatError(
            path,
            f"missing required column(s) {missing}: {_rename_hint(missing, list(frame.columns))}; case, "
            f"spaces and dots do not count; found columns {list(frame.columns)}",
        )
    frame = frame.fillna("")
    blank = frame.apply(lambda row: all(not str(v).strip(" ,;\t") for v in row), axis=1)
    frame = frame[~blank]  # spreadsheet exports end or split tables with empty ",," rows
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
        qty = _quantity(str(row["qty"]))
        if qty is None:
            raise DataFormatError(
                path,
                f"expected a positive whole quantity (2, 2.0, 2 pcs), found {str(row['qty']).strip()!r}",
                line=line,
                column="qty",
            )
        items.append(
            BomItem(
                part_number=number,
                qty=qty,
                line=line,
                drawing=drawing,
                **{k: str(row.get(k, "")).strip() for k in ("item", "description", "material", "revision")},
            )
        )
    return items


def _quantity(cell: str) -> int | None:
    m = _QTY.fullmatch(cell.strip())
    return int(m.group(1)) if m and int(m.group(1)) >= 1 else None


def _column_name(name: str, columns: pd.Index) -> str:
    """The column's key; another spelling ("Part No.", "P/N", "Menge") names its column unless that
    is there too. "#" is read as "no" ("Part #" is part_no)."""
    key = _key(name)
    alias = COLUMN_ALIASES.get(key)
    present = {_key(str(c)) for c in columns}
    return alias if alias and alias not in present else key


def _key(name: str) -> str:
    return field_key(name.replace("#", " no "))


_ITEM_NUMBER = ("item_no", "item_number", "item_nr")


def _item_number_as_part_number(frame: pd.DataFrame) -> list[str]:
    """The column names, with an "Item No." column taken for the part numbers when no other column
    holds them and its cells are not all position numbers (1, 2, 3): ERP exports name the part
    number so, parts lists the row's position."""
    columns = [str(c) for c in frame.columns]
    candidates = [c for c in columns if c in _ITEM_NUMBER]
    if "part_number" in columns or len(candidates) != 1:
        return columns
    cells = [str(v).strip() for v in frame[candidates[0]] if str(v).strip()]
    if not cells or all(v.isdigit() for v in cells):
        return columns
    return ["part_number" if c == candidates[0] else c for c in columns]


def _rename_hint(missing: Sequence[str], columns: Sequence[str]) -> str:
    """What to rename for each missing column, and why an "Item No." column was not taken."""
    hints = [f"rename the column of {_HOLDS[c]} {c!r} (or {_EXAMPLES[c]})" for c in missing]
    if "part_number" in missing and any(c in _ITEM_NUMBER for c in columns):
        hints.append("an 'Item No.' column of only whole numbers is read as positions, not part numbers")
    return "; ".join(hints)


_HOLDS = {"part_number": "part numbers", "qty": "quantities"}
_EXAMPLES = {
    "part_number": "'Part No.', 'P/N', 'Article No.', 'Sachnummer'",
    "qty": "'Quantity', 'Pcs', 'Menge'",
}


def _read_frame(path: Path) -> pd.DataFrame:
    """The CSV as text cells (a file that is not UTF-8 is read as Windows-1252, with a warning,
    when it decodes so: how Excel saves CSV in Western Europe)."""
    return read_sniffed_csv(path)


def canon(number: str) -> str:
    """A part or drawing number without its spaces, in capitals: how numbers are compared."""
    return re.sub(r"\s+", "", number).upper()


def bom_keys(bom: Sequence[BomItem]) -> set[str]:
    """The canonical part numbers of a BOM."""
    return {canon(i.part_number) for i in bom}
