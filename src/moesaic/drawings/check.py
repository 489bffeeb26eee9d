"""Verify a drawing against house rules and a bill of materials.

Rules (:class:`CheckRules`, defaults or a YAML file): required title-block fields present,
every dimension toleranced or covered by a general tolerance, units stated, revision format.
BOM checks (a CSV with ``part_number`` and ``qty``, optionally ``item``, ``description``,
``material``, ``revision``, and a drawing number column when one BOM covers several drawings):
the BOM is for this drawing, every BOM item appears on the sheet's parts list (or elsewhere on
the sheet), quantities agree, part numbers match, the drawn part's revision matches. A finding
only ever names a part number that is on the BOM or read on the sheet: the checker invents none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from moesaic.data.readers_columns import read_sniffed_csv
from moesaic.data.tables import DataFormatError, row_line
from moesaic.drawings.score import edit_distance
from moesaic.drawings.summary import DrawingSummary, summarize_drawing
from moesaic.drawings.titleblock import FIELDS
from moesaic.knowledge.links import field_key

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class CheckRules:
    """House rules for drawings.

    Attributes:
        required_fields: title-block fields that must be stated.
        revision_pattern: a regular expression the revision must match in full.
        require_units: the sheet must state its units (title block or a note).
        require_tolerance: every dimension needs its own tolerance or fit, or a general tolerance.
        max_part_number_typo: BOM and sheet part numbers this many edits apart are the same item
            written wrongly (reported as a wrong part number, not as missing plus unknown).
    """

    required_fields: tuple[str, ...] = (
        "part_name",
        "drawing_number",
        "material",
        "scale",
        "revision",
        "drawn_by",
        "date",
        "general_tolerance",
    )
    revision_pattern: str = r"[A-Z]{1,2}|[0-9]{1,3}|[A-Z][0-9]{1,2}"
    require_units: bool = True
    require_tolerance: bool = True
    max_part_number_typo: int = 2

    def __post_init__(self) -> None:
        unknown = sorted(set(self.required_fields) - set(FIELDS))
        if unknown:
            raise ValueError(
                f"`required_fields` has unknown fields {unknown}; valid fields are {list(FIELDS)}"
            )
        try:
            re.compile(self.revision_pattern)
        except re.error as err:
            raise ValueError(f"`revision_pattern` is not a valid regular expression: {err}") from None
        if self.max_part_number_typo < 0:
            raise ValueError(f"`max_part_number_typo` must be >= 0, got {self.max_part_number_typo}")


RULE_TYPES: dict[str, type] = {
    "revision_pattern": str,
    "require_units": bool,
    "require_tolerance": bool,
    "max_part_number_typo": int,
}
"""The type of each rule of a rules file but ``required_fields`` (a list of field names)."""


def _of_type(value: Any, kind: type) -> bool:
    """``value`` as YAML gave it is of ``kind``: a quoted "no" is text, not false; true is no number."""
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def load_rules(path: Path) -> CheckRules:
    """Rules from a YAML mapping; every error names the file, and the line and column where known.

    Raises:
        DataFormatError: unreadable YAML, an unknown key (listing the valid ones) or a bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataFormatError(
            path, f"expected UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8"
        ) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise DataFormatError(path, f"{where}not valid YAML ({getattr(err, 'problem', err)})") from None
    if data is None:
        return CheckRules()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise DataFormatError(
            path, f"expected a mapping of rule names to values, found {type(data).__name__}", line=1
        )
    valid = [f for f in CheckRules.__dataclass_fields__]
    marks = {k.value: k.start_mark for k, _ in node.value}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        mark = marks.get(key)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        where = f"line {line}, column {column}: " if line else ""
        if key not in valid:
            raise DataFormatError(path, f"{where}unknown rule {key!r}; valid rules are {valid}")
        if key == "required_fields":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise DataFormatError(
                    path, f"{where}`required_fields` must be a list of field names, found {value!r}"
                )
            value = tuple(value)
        elif not _of_type(value, RULE_TYPES[key]):
            expected = {bool: "true or false", int: "a whole number", str: "a text"}[RULE_TYPES[key]]
            raise DataFormatError(path, f"{where}`{key}` must be {expected}, found {value!r}")
        kwargs[key] = value
    try:
        return CheckRules(**kwargs)
    except (TypeError, ValueError) as err:
        raise DataFormatError(path, str(err)) from None


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
        key = (_canon(drawing), _canon(number))  # what the check matches on: case and spaces do not count
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


@dataclass(frozen=True)
class Finding:
    """One problem found. ``subject`` is the field, part number or dimension it is about."""

    rule: str
    severity: str
    message: str
    subject: str = ""
    box: tuple[int, int, int, int] | None = None
    bom_line: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"`severity` must be one of {SEVERITIES}, got {self.severity!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "subject": self.subject,
            "box": list(self.box) if self.box else None,
            "bom_line": self.bom_line,
        }


@dataclass(frozen=True)
class CheckResult:
    """The findings on one drawing, with the summary they were computed from."""

    summary: DrawingSummary
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.summary.path,
            "passed": self.passed,
            "findings": [f.to_json() for f in self.findings],
            "summary": self.summary.to_json(),
        }


_WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?")
"""A word of the sheet's text that could be a part number: letters, digits and inner . _ / -."""


def _canon(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


def check_rules(summary: DrawingSummary, rules: CheckRules) -> list[Finding]:
    """The house-rule findings on a summarised sheet. Without a title block found at all, one
    ``title_block_missing`` finding stands for the fields, units and general tolerance it would
    state (a rotated or cropped scan), rather than a finding for each of them."""
    tb = summary.title_block
    if tb.region is None:  # fields read from the notes (units) are no title block
        wanted = [*rules.required_fields, *(["units"] if rules.require_units else [])]
        needed = [name for name in wanted if not tb.get(name)]
        if not needed and not rules.require_tolerance:
            return []
        return [
            Finding(
                "title_block_missing",
                "error",
                f"no title block found on the sheet, so {needed} and a general tolerance could not be read; "
                "is the page rotated or cropped?",
                "title_block",
            )
        ]
    out = []
    for name in rules.required_fields:
        if not tb.get(name):
            out.append(
                Finding(
                    "title_block_field", "error", f"title-block field {name!r} is not stated", name, tb.region
                )
            )
    revision = tb.get("revision")
    if revision and not re.fullmatch(rules.revision_pattern, revision):
        out.append(
            Finding(
                "revision_format",
                "warning",
                f"revision {revision!r} does not match {rules.revision_pattern!r}",
                "revision",
                tb.fields["revision"].box,
            )
        )
    if rules.require_units and not tb.get("units"):
        out.append(
            Finding("units", "error", "the sheet states no units (title block or notes)", "units", tb.region)
        )
    if rules.require_tolerance and not tb.get("general_tolerance"):
        for d in summary.dimensions:
            if not d.callout.toleranced and not d.callout.reference:
                out.append(
                    Finding(
                        "dimension_tolerance",
                        "error",
                        f"dimension {d.text!r} has no tolerance and the sheet states no general tolerance",
                        d.text,
                        d.box,
                    )
                )
    return out


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
    sheet_rows = [row for row in summary.bom if row.cells.get("part_number")]
    by_number = {_canon(r.cells["part_number"]): r for r in sheet_rows}
    matched: set[str] = set()
    # whole words of the notes and title block, and whole field values: "2002" inside "CO-EC-2002"
    # or "ISO" inside "ISO 2768-m" is no BOM item on the sheet
    texts = [i.text for i in summary.notes] + [v.value for v in summary.title_block.fields.values()]
    elsewhere = {_canon(w) for t in texts for w in _WORD.findall(t)} | {_canon(t) for t in texts}
    drawn = {
        _canon(summary.title_block.get("part_number")),
        _canon(summary.title_block.get("drawing_number")),
    }
    for item in bom:
        key = _canon(item.part_number)
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
        material = summary.title_block.get("material")
        if item.material and material and is_drawn and _canon(item.material) != _canon(material):
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


def _rows_of_this_drawing(summary: DrawingSummary, bom: Sequence[BomItem]) -> list[BomItem] | None:
    """The BOM rows to compare with the sheet: those naming its drawing number, and those naming
    none. A drawing number written exactly as on the sheet wins; else the only one a single edit
    away (OCR misreads a character), never a sister drawing two edits away. None when rows name
    drawings, none of them this sheet's, and no row is left without one. Every row when the sheet's
    number was not read."""
    sheet = _canon(summary.title_block.get("drawing_number"))
    named = {_canon(item.drawing) for item in bom if item.drawing}
    if not sheet or not named:
        return list(bom)
    near = [d for d in named if edit_distance(d, sheet) <= 1]
    ours = sheet if sheet in named else (near[0] if len(near) == 1 else None)
    rows = [item for item in bom if not item.drawing or _canon(item.drawing) == ours]
    return rows if rows else None


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


def bom_keys(bom: Sequence[BomItem]) -> set[str]:
    """The canonical part numbers of a BOM."""
    return {_canon(i.part_number) for i in bom}


def check_summary(
    summary: DrawingSummary, *, bom: Sequence[BomItem] | None = None, rules: CheckRules | None = None
) -> CheckResult:
    """Check an already summarised sheet."""
    rules = rules or CheckRules()
    findings = check_rules(summary, rules)
    if bom is not None:
        findings += check_bom(summary, bom, rules)
    return CheckResult(summary, tuple(findings))


def check_drawing(
    path: Path | str,
    *,
    bom: Path | Sequence[BomItem] | None = None,
    rules: Path | CheckRules | None = None,
    engine: Any = None,
) -> CheckResult:
    """Read a drawing and check it against ``rules`` (default :class:`CheckRules`) and ``bom``.

    Args:
        path: the drawing file.
        bom: a BOM CSV file or its rows; None skips the BOM checks.
        rules: a rules YAML file or a :class:`CheckRules`; None for the defaults.
        engine: the OCR engine or its name (see :func:`summarize_drawing`).
    """
    items = read_bom(bom) if isinstance(bom, str | Path) else bom
    chosen = load_rules(Path(rules)) if isinstance(rules, str | Path) else rules
    return check_summary(summarize_drawing(path, engine=engine), bom=items, rules=chosen)
