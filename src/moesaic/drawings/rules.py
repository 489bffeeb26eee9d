"""House rules for drawings and the YAML file that states them.

:class:`CheckRules` holds what :func:`moesaic.drawings.check.check_rules` checks a sheet for:
required title-block fields, the revision format, stated units, toleranced dimensions, and how
many edits apart a BOM and a sheet part number may be to count as one item written wrongly.
:func:`load_rules` reads them from a YAML mapping of rule names to values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from moesaic.data.tables import DataFormatError, check_file
from moesaic.drawings.titleblock import FIELDS


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
    check_file(path, "a YAML file of rules")
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
