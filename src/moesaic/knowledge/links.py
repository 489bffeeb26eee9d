"""What links a record to others, which tokens are identifiers, and the text a record is searched by.

Links. A record's structured fields name failure codes, failure modes, components, part numbers
and faults. :data:`LINK_FIELDS` maps field names (compared lower-cased, with any run of other
characters read as ``_``) to a link kind; every non-empty value (or each item of a list) becomes
a row of the ``links`` table. Asset links are asset keys (``asset`` for a drawing's
``asset_ids``); identifiers found in the text are links of kind ``token``.

Identifiers. A token is an identifier when it is letters and digits joined by ``- _ . / :``,
holds at least one digit and at least one letter or ``-`` (``PN-4471``, ``E-203``, ``P-3``,
``WO100001``, ``6309-2Z``), and is not a date (``2024-01-04``) or a plain number.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from moesaic.data.schema import Asset, Document, Drawing, Event, Series

# field name (normalised) -> link kind
LINK_FIELDS: dict[str, str] = {
    "failure_code": "failure_code",
    "failure_codes": "failure_code",
    "primary_code": "failure_code",
    "secondary_code": "failure_code",
    "secondary_codes": "failure_code",
    "error_code": "failure_code",
    "fm": "failure_mode",
    "failure_mode": "failure_mode",
    "potential_failure_mode": "failure_mode",
    "fault_type": "failure_mode",
    "component": "component",
    "components": "component",
    "sub_component": "component",
    "part": "component",
    "majorsystem": "component",
    "subsystem": "component",
    "part_number": "part_number",
    "drawing_number": "part_number",
    "fault_id": "fault_id",
    "rule_id": "rule",
    "meters": "meter",
    "kpi": "meter",
}
LINK_KINDS = (
    "asset",
    "failure_code",
    "failure_mode",
    "component",
    "part_number",
    "fault_id",
    "rule",
    "meter",
)

_TOKEN = re.compile(r"[^\W_]+(?:[-_./:][^\W_]+)*")  # letters of any script: "Gebläse-7" is one id
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$|^\d{1,2}/\d{1,2}/\d{2,4}$")
_NUMBER = re.compile(r"^[0-9.:/]+$")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # as FTS5's unicode61 tokenizer splits: "_" separates
MAX_TEXT = 4000  # characters of a record's text kept for the index; records are short


class Link(NamedTuple):
    kind: str
    value: str


def is_identifier(token: str) -> bool:
    """True for identifier-like tokens (see the module docstring)."""
    if not _TOKEN.fullmatch(token) or not any(c.isdigit() for c in token):
        return False
    if _DATE.match(token) or _NUMBER.match(token):
        return False
    return any(c.isalpha() for c in token) or "-" in token


def identifiers_in(text: str) -> list[str]:
    """The identifier tokens of ``text``, in order, without repeats."""
    # Most tokens are plain words: the cheap isalpha() test spares them the full check.
    return list(dict.fromkeys(t for t in _TOKEN.findall(text) if not t.isalpha() and is_identifier(t)))


def query_identifiers(query: str) -> list[str]:
    """Tokens of a query to match exactly: identifiers, and codes written in capitals (``VIB``)."""
    tokens = _TOKEN.findall(query)
    codes = [t for t in tokens if len(t) >= 2 and t.isalpha() and t.isupper()]
    return list(dict.fromkeys([*identifiers_in(query), *codes]))


def words(text: str) -> list[str]:
    """The words of ``text`` (runs of letters and digits; ``bearing_temp`` is two), for full-text queries."""
    return _WORD.findall(text)


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})  # casefold spells "ß" as "ss" itself


def fold(text: str) -> str:
    """``text`` lower-cased without accents, as words and names are compared: "Überhitzung" ->
    "uberhitzung", "température" -> "temperature", "heiß" -> "heiss", "cœur" -> "coeur"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


WORD = re.compile(r"[^\W_]+")
"""A word: a run of letters (of any script) and digits."""


@functools.lru_cache(maxsize=4096)  # field names repeat across thousands of records
def field_key(name: str) -> str:
    """A field or column name as it is looked up: folded (:func:`fold`), every run of other
    characters one underscore ("Part Number" -> part_number, "Drawing No." -> drawing_no,
    "Priorität" -> prioritat)."""
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")


def _values(value: Any) -> Iterator[str]:
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _values(item)
    elif value is not None and not isinstance(value, Mapping | float):
        text = str(value).strip()
        if text:
            yield text


def field_links(fields: Mapping[str, Any]) -> list[Link]:
    """Links named by the structured fields of a record."""
    links: list[Link] = []
    for name, value in fields.items():
        kind = LINK_FIELDS.get(field_key(name))
        if kind is not None:
            links.extend(Link(kind, v) for v in _values(value))
    return links


def _scalar_text(fields: Mapping[str, Any]) -> str:
    """``name: value`` for the text-like fields of a record, lists joined by commas."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, str) and value.strip():
            parts.append(f"{name}: {value.strip()}")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            parts.append(f"{name}: {value}")
        elif isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{name}: {', '.join(value)}")
    return "; ".join(parts)


def _join(*parts: str) -> str:
    return " | ".join(p for p in parts if p)[:MAX_TEXT]


def asset_text(asset: Asset) -> str:
    return _join(f"asset {asset.asset_id}", asset.asset_type, _scalar_text(asset.attributes))


def series_text(series: Series) -> str:
    units = series.meta.get("units", {})
    names = [f"{c} [{units[c]}]" if isinstance(units, Mapping) and c in units else c for c in series.channels]
    return _join(f"series {series.series_id}", f"asset {series.asset_id}", "channels: " + ", ".join(names))


def event_text(event: Event) -> str:
    return _join(
        f"{event.kind} {event.event_id}",
        event.label,
        f"asset {event.asset_id}" if event.asset_id else "",
        "channels: " + ", ".join(event.channels) if event.channels else "",
        _scalar_text(event.fields),
    )


def document_text(document: Document) -> str:
    scalar = {k: v for k, v in document.fields.items() if not (isinstance(v, str) and v in document.text)}
    return _join(
        f"{document.kind.replace('_', ' ')} {document.doc_id}",
        document.text,
        f"asset {document.asset_id}" if document.asset_id else "",
        _scalar_text(scalar),
    )


def drawing_text(drawing: Drawing) -> str:
    bom = drawing.fields.get("bom", [])
    items = [
        " ".join(str(item.get(c, "")) for c in ("part_number", "description", "material"))
        for item in bom
        if isinstance(item, Mapping)
    ]
    notes = [str(b.get("text", "")) for b in drawing.boxes if b.get("kind") == "note"]
    return _join(
        f"drawing {drawing.drawing_id}",
        "; ".join(f"{k}: {v}" for k, v in drawing.title_block.items()),
        "bom: " + "; ".join(items) if items else "",
        " ".join(notes),
    )


def drawing_links(drawing: Drawing) -> list[Link]:
    """Part numbers of the title block and BOM, plus the part numbers of the drawing's fields."""
    links = field_links(drawing.title_block) + field_links(
        {k: v for k, v in drawing.fields.items() if k != "bom"}
    )
    for item in drawing.fields.get("bom", []):
        if isinstance(item, Mapping):
            links.extend(field_links({"part_number": item.get("part_number")}))
    return links


DRAWING_COLUMNS = ("drawing", "drawings", "drawing_number", "drawing_no", "drawing_nr", "dwg", "dwg_no")
"""Columns of an asset register that name the asset's drawings (assets.csv ``drawing``)."""


def assets_of_drawing(drawing: Drawing, assets: Sequence[Asset]) -> list[str]:
    """The ids of ``assets`` whose register names ``drawing`` (its id or title-block drawing number,
    in any case) in a column of :data:`DRAWING_COLUMNS`; a cell may name several, split by ``;``,
    ``,`` or ``|``."""
    names = {fold(drawing.drawing_id), fold(str(drawing.title_block.get("drawing_number") or ""))} - {""}
    return [
        a.asset_id
        for a in assets
        if any(
            fold(part.strip()) in names
            for key, value in a.attributes.items()
            if field_key(key) in DRAWING_COLUMNS
            for part in re.split(r"[;,|]", str(value))
        )
    ]
