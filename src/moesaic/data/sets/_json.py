"""Validated reading of JSON files for the data-set readers: one clear error per bad input.

The JSON counterpart of :mod:`moesaic.data.tables`: a malformed file ends in a
:class:`~moesaic.data.tables.DataFormatError` naming the file and the line, and the small
checkers below name the item and the field at fault.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moesaic.data.tables import DataFormatError, read_text_checked


def read_json_checked(path: Path) -> Any:
    """The parsed content of ``path``, or a DataFormatError naming the line of a syntax error."""
    text = read_text_checked(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFormatError(
            path, f"not valid JSON: {err.msg} (column {err.colno})", line=err.lineno
        ) from None


def require_list(value: Any, path: Path, what: str) -> list[Any]:
    """``value`` if it is a JSON list, else an error saying what was expected."""
    if not isinstance(value, list):
        raise DataFormatError(path, f"expected {what} as a JSON list, found {type(value).__name__}")
    return value


def require_mapping(value: Any, path: Path, where: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object; ``where`` names it in the error (for example "item 3")."""
    if not isinstance(value, Mapping):
        raise DataFormatError(path, f"{where}: expected a JSON object, found {type(value).__name__}")
    return value


def is_number(value: Any) -> bool:
    """True for a finite JSON number (bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def field_number(item: Mapping[str, Any], key: str, path: Path, where: str) -> float:
    """``item[key]`` as a float; a missing key or a non-number is an error naming ``where`` and ``key``."""
    if key not in item:
        raise DataFormatError(path, f"{where}: missing field {key!r}; found fields {sorted(item)}")
    value = item[key]
    if not is_number(value):
        raise DataFormatError(path, f"{where}: field {key!r} must be a finite number, found {value!r}")
    return float(value)
