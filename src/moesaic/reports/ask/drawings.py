"""Drawing questions: "what material is part PU-SH-1001?", "which drawings cover asset P-101?",
"revision of drawing DWG-PU-SH-1001", "bill of materials of DWG-PU-SH-1001", "which drawings list
part PU-BR-6309?", "how many PU-BR-6309 are on drawing DWG-PU-SH-1001?".

A drawing is found by its id, its drawing number or a part number of its title block or bill of
materials (the ``bom`` rows the base stores with it); an asset's drawings are its own and those
linked to it (``asset_ids``). The answer quotes the title-block (or BOM) values and cites the
drawings table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.records import load_json
from moesaic.reports.ask.answer import KbAnswer, RecordCitation, abstain, cite_records
from moesaic.reports.ask.resolve import Named

# question words -> title-block keys they ask for ("who drew drawing X": its drawn_by)
TITLE_FIELDS = (
    ("material", ("material",)),
    ("revision|rev\\b", ("revision", "rev")),
    ("scale", ("scale",)),
    (
        "drawn by|author|draft(?:er|sman)|draughtsman|drew|drafted|who (?:made|created)",
        ("drawn_by", "author"),
    ),
    ("tolerance", ("general_tolerance", "tolerance")),
    ("date|when was", ("date",)),
    ("unit", ("units",)),
    ("sheet", ("sheet",)),
    ("part name|name of|called|what part", ("part_name", "title")),
    ("part number", ("part_number",)),
)
DRAWING_WORDS = re.compile(
    r"\bdrawings?\b|\bdwg\b|\bmaterial\b|\brevision\b|\btitle block\b|\bbom\b|\bbill of materials\b"
)
# Asking for a drawing's bill of materials ("BOM of", "what parts are in", "parts list").
BOM_WORDS = re.compile(
    r"\bboms?\b|\bbills? of materials?\b|\bparts? lists?\b|\b(?:which|what) parts\b"
    r"|\bparts (?:are |does |do )?(?:in|on|of)\b"
)
# Asking where a part is used ("which drawings list part X", "drawings that contain X").
WHERE_USED = re.compile(
    r"\b(?:which|what) (?:drawings?|boms?|sheets?)\b|\bwhere\b.*\bused\b"
    r"|\b(?:drawings?|boms?) (?:that |which )?(?:list|show|contain|include|use)s?\b"
)


class DrawingRow(NamedTuple):
    key: str
    asset: str
    title_block: Mapping[str, Any]
    fields: Mapping[str, Any]


def load_drawings(base: KnowledgeBase) -> list[DrawingRow]:
    """Every drawing of the base (read-only SQL)."""
    rows = base.connection.execute("SELECT key, asset_key, title_block, fields FROM drawings ORDER BY rowid")
    return [DrawingRow(k, a, load_json(t) or {}, load_json(f) or {}) for k, a, t, f in rows]


def drawing_ids(row: DrawingRow) -> set[str]:
    """Lower-cased key, original id, drawing number and part number of a drawing."""
    ids = {row.key.lower(), row.key.partition(":")[2].lower()}
    for name in ("drawing_number", "part_number"):
        for source in (row.title_block, row.fields):
            if source.get(name):
                ids.add(str(source[name]).lower())
    return ids


def _bom_item(row: DrawingRow, part: str) -> Mapping[str, Any] | None:
    for item in row.fields.get("bom", []) or []:
        if isinstance(item, Mapping) and str(item.get("part_number", "")).lower() == part.lower():
            return item
    return None


def _asked(text: str) -> tuple[str, ...] | None:
    text = re.sub(r"\bbills? of materials?\b", "bom", text)  # "materials" asks for no material
    for pattern, keys in TITLE_FIELDS:
        if re.search(rf"\b(?:{pattern})", text):
            return keys
    return None


def bom_parts(drawings: list[DrawingRow]) -> set[str]:
    """Lower-cased part numbers of the bill-of-materials rows of ``drawings``."""
    return {
        str(i.get("part_number")).lower()
        for d in drawings
        for i in d.fields.get("bom", []) or []
        if isinstance(i, Mapping) and i.get("part_number")
    }


def stores_bom(drawings: list[DrawingRow]) -> bool:
    """Whether any of ``drawings`` carries bill-of-materials rows."""
    return any(d.fields.get("bom") for d in drawings)


NO_TITLE_BLOCK = (
    "the base stores no title-block field for it (none was read when it was ingested; a user's "
    "drawing is read by OCR when an OCR engine is installed)"
)
# how an answer names a title-block field
FIELD_WORDS = {"drawn_by": "drawer (drawn by)", "general_tolerance": "general tolerance"}

NO_BOM = (
    "the base's drawings store no bill of materials (no BOM rows were ingested with them), "
    "so a part listed only in a BOM cannot be found"
)


def answer_drawings(base: KnowledgeBase, question: str, named: Named) -> KbAnswer:
    """Answer a drawing question from title blocks and BOMs, citing the drawings."""
    drawings = load_drawings(base)
    if not drawings:
        return abstain("drawings", "the base holds no drawings.")
    text = " ".join(question.lower().split())
    tokens = [t.lower() for t in named.identifiers]
    matched = [d for d in drawings if drawing_ids(d) & set(tokens)] or _named_by_part(drawings, text)
    bom_hits = [(d, _bom_item(d, t)) for d in drawings for t in tokens if _bom_item(d, t) is not None]
    wants_bom = BOM_WORDS.search(text) is not None
    if matched and wants_bom and not WHERE_USED.search(text):
        return _bom_answer(matched)
    asked = None if wants_bom else _asked(text)
    if asked is None and _QUANTITY.search(text) and not _HOW_MANY.search(text):
        # "how many SKF-6207-2RS are on drawing X", "the quantity of the washers on X"
        quantities = [(d, i) for d, i in bom_hits if i is not None and (not matched or d in matched)]
        quantities = quantities or (_described_items(matched, text, tokens) if matched else [])
        if quantities:
            return _quantity_answer(quantities)
        if matched:
            listed = ", ".join(d.key for d in matched)
            return abstain(
                "drawings",
                f"the bill of materials the base stores for {listed} has no row the question names "
                "(by part number or words of its description), so it gives no quantity.",
            )
    described = [
        (d, i)
        for d, i in (_described_items(matched, text, tokens) if matched and asked is not None else [])
        if str(i.get("part_number", "")).lower() != str(d.title_block.get("part_number", "")).lower()
    ]  # the row of the drawn part itself is answered from the title block
    if len(described) == 1 and asked is not None:  # "the part number of the DE bearing on drawing X"
        owner, row = described[0]  # a BOM row, not the title block
        value = next((row[k] for k in asked if row.get(k)), "not given")
        where = f"Item {row.get('item', '?')} of the BOM of drawing {owner.key}"
        text_out = f"{where}, {row.get('description', '')}: {asked[0].replace('_', ' ')} {value}."
        return KbAnswer(text_out, cite_records("drawings", [owner.key]), False, "drawings")
    if matched and asked is not None:
        return _field_answer(matched, asked)
    parts = [t for t in tokens if not any(t in (d.key.lower(), _number(d)) for d in drawings)]
    if parts and (bom_hits or matched) and (WHERE_USED.search(text) or (asked is None and not matched)):
        return _where_used(drawings, parts)
    if bom_hits and asked is not None:
        lines = []
        for drawing, item in bom_hits:
            assert item is not None
            value = next((item[k] for k in asked if item.get(k)), None)
            what = asked[0].replace("_", " ")
            shown = value if value is not None else "not given"
            lines.append(
                f"Part {item.get('part_number')} ({item.get('description', '')}) is item "
                f"{item.get('item')} of the BOM of drawing {drawing.key}: {what} {shown}."
            )
        return KbAnswer(
            " ".join(lines), cite_records("drawings", [d.key for d, _ in bom_hits]), False, "drawings"
        )
    if named.assets:
        keys = set(named.assets)
        marks = ", ".join("?" for _ in keys)
        query = f"SELECT key FROM links WHERE tbl = 'drawings' AND link = 'asset' AND value IN ({marks})"
        linked = {k for (k,) in base.connection.execute(query, tuple(keys))}
        covering = [d for d in drawings if d.asset in keys or d.key in linked]
        if not covering:
            return KbAnswer(
                f"No drawing of the base covers {', '.join(named.assets)}.", (), False, "drawings"
            )
        listing = "; ".join(
            f"{d.key} ({d.title_block.get('part_name', '')} {d.title_block.get('part_number', '')}, "
            f"rev {d.title_block.get('revision', '?')})" for d in covering
        )  # fmt: skip
        text_out = f"{len(covering)} drawings cover {', '.join(named.assets)}: {listing}."
        return KbAnswer(text_out, cite_records("drawings", [d.key for d in covering]), False, "drawings")
    if matched:
        d = matched[0]
        block = "; ".join(f"{k}: {v}" for k, v in d.title_block.items() if v)
        said = f"Drawing {d.key}: {block}." if block else f"Drawing {d.key}: {NO_TITLE_BLOCK}."
        return KbAnswer(said, cite_records("drawings", [d.key]), False, "drawings")
    found = _by_value(drawings, text, asked)
    if found:
        field, value, rows = found
        listing = "; ".join(_line(d) for d in rows)
        what = FIELD_WORDS.get(field, field.replace("_", " "))
        said = f"{len(rows)} drawing{'s' if len(rows) > 1 else ''} with {what} {value}: {listing}."
        return KbAnswer(said, cite_records("drawings", [d.key for d in rows]), False, "drawings")
    if _HOW_MANY.search(text):
        listing = "; ".join(_line(d) for d in drawings[:10]) + ("; ..." if len(drawings) > 10 else "")
        said = f"The base holds {len(drawings)} drawing{'s' if len(drawings) > 1 else ''}: {listing}."
        return KbAnswer(said, cite_records("drawings", [d.key for d in drawings]), False, "drawings")
    if (wants_bom or WHERE_USED.search(text)) and not stores_bom(drawings):
        return abstain("drawings", NO_BOM + ".")
    return abstain(
        "drawings",
        "the question names no drawing, part number, asset or title-block value (a material, a drawer, "
        "a part name) the base holds.",
    )


# asking how many of a part a drawing lists (its BOM row's quantity)
_QUANTITY = re.compile(r"\bhow many\b|\bquantit(?:y|ies)\b|\bqty\b|\bnumber of\b|\bcount of\b")
_HOW_MANY = re.compile(r"\b(?:how many|number of|count)\b.*\b(?:drawings|dwgs|sheets)\b")
_SEARCHED = ("material", "drawn_by", "author", "part_name", "title")
"""Title-block fields whose value a question may name to find drawings ("which drawings use
S235JR", "which drawings did K. LINDQVIST draw")."""


def _by_value(
    drawings: list[DrawingRow], text: str, asked: tuple[str, ...] | None
) -> tuple[str, str, list[DrawingRow]] | None:
    """(field, value as stored, the drawings holding it) for the title-block value of
    :data:`_SEARCHED` (the asked field's only, when one is asked) that the lower-cased question
    ``text`` writes out whole, the longest value winning; None when it writes none."""
    fields = [f for f in _SEARCHED if asked is None or f in asked]
    best: tuple[str, str, list[DrawingRow]] | None = None
    for field in fields:
        for d in drawings:
            value = str(d.title_block.get(field) or "").strip()
            if len(value) < 3 or not re.search(rf"(?<![\w.]){re.escape(value.lower())}(?![\w])", text):
                continue
            if best is None or len(value) > len(best[1]):
                same = [
                    e
                    for e in drawings
                    if str(e.title_block.get(field) or "").strip().lower() == value.lower()
                ]
                best = (field, value, same)
    return best


def _line(d: DrawingRow) -> str:
    """A drawing as a list shows it: its key, part name and revision."""
    name = str(d.title_block.get("part_name", "") or "").strip()
    return f"{d.key} ({name + ', ' if name else ''}rev {d.title_block.get('revision', '?')})"


def _named_by_part(drawings: list[DrawingRow], text: str) -> list[DrawingRow]:
    """The drawings whose title-block part name the question writes out, whole or up to its first
    comma ("the motor end shield drawing" for "END SHIELD, DE"), the longest name found winning;
    none when no name of three letters or more is in it."""
    named = []
    for d in drawings:
        name = " ".join(str(d.title_block.get("part_name", "")).lower().split())
        for form in dict.fromkeys((name, name.split(",")[0].strip())):
            if len(form) >= 3 and re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text):
                named.append((len(form), d))
                break
    longest = max((n for n, _ in named), default=0)
    return [d for n, d in named if n == longest]


_ITEM_WORD = re.compile(r"[a-z0-9]+")
_NOT_ITEM_WORDS = frozenset({"part", "number", "drawing", "dwg", "item", "material", "the", "of", "on", "in"})


def _described_items(
    drawings: list[DrawingRow], text: str, tokens: list[str]
) -> list[tuple[DrawingRow, Mapping[str, Any]]]:
    """The BOM rows of ``drawings`` that the question describes: it uses words of their
    descriptions ("the DE bearing"), and a row is kept when its description holds every such word
    (the NDE bearing lacks "de"). Empty when the question uses none."""
    items = [(d, i) for d in drawings for i in d.fields.get("bom", []) or [] if isinstance(i, Mapping)]
    vocabulary = {w for _, i in items for w in _ITEM_WORD.findall(str(i.get("description", "")).lower())}
    ids = {w for t in tokens for w in _ITEM_WORD.findall(t)}
    asked = {w for w in _ITEM_WORD.findall(text) if w in vocabulary and w not in _NOT_ITEM_WORDS | ids}
    if not asked:
        return []
    return [
        (d, i) for d, i in items if asked <= set(_ITEM_WORD.findall(str(i.get("description", "")).lower()))
    ]


def _number(drawing: DrawingRow) -> str:
    number = drawing.title_block.get("drawing_number") or drawing.fields.get("drawing_number")
    return str(number or "").lower()


def _bom_answer(matched: list[DrawingRow]) -> KbAnswer:
    """The bill of materials of each matched drawing, item by item, or that it stores none."""
    if not stores_bom(matched):
        listed = ", ".join(d.key for d in matched)
        return abstain("drawings", f"the base stores {listed} without a bill of materials (BOM rows).")
    lines = []
    for d in matched:
        items = [i for i in d.fields.get("bom", []) or [] if isinstance(i, Mapping)]
        if not items:
            lines.append(f"Drawing {d.key} stores no bill of materials in the base.")
            continue
        listed = "; ".join(
            f"item {i.get('item', '?')}: {i.get('part_number', '?')} {i.get('description', '')}".rstrip()
            + f", qty {i.get('qty', '?')}" + (f", {i['material']}" if i.get("material") else "")
            for i in items
        )  # fmt: skip
        count = f"{len(items)} item" + ("s" if len(items) != 1 else "")
        lines.append(f"Bill of materials of drawing {d.key} ({count}): {listed}.")
    return KbAnswer(" ".join(lines), cite_records("drawings", [d.key for d in matched]), False, "drawings")


def _quantity_answer(rows: list[tuple[DrawingRow, Mapping[str, Any]]]) -> KbAnswer:
    """The quantity each drawing's bill of materials gives for the asked part."""
    lines = []
    for d, i in rows:
        what = f"part {i.get('part_number', '?')}" + (
            f" ({i['description']})" if i.get("description") else ""
        )
        qty = i.get("qty")
        lines.append(
            f"Drawing {d.key} lists {qty} of {what}: item {i.get('item', '?')} of its bill of materials."
            if qty not in (None, "")
            else f"Item {i.get('item', '?')} ({what}) of the bill of materials of {d.key} gives no quantity."
        )
    return KbAnswer(" ".join(lines), cite_records("drawings", [d.key for d, _ in rows]), False, "drawings")


def _where_used(drawings: list[DrawingRow], parts: list[str]) -> KbAnswer:
    """The drawings that draw each part (title block) or list it in their bill of materials."""
    lines = []
    cited: list[str] = []
    for part in parts:
        drawn = [d for d in drawings if part in drawing_ids(d)]
        listing = [(d, item) for d in drawings if (item := _bom_item(d, part)) is not None]
        name = next((str(i.get("description")) for _, i in listing if i.get("description")), "")
        if not drawn and not listing:
            lines.append(f"No drawing of the base lists part {part.upper()}.")
            continue
        said = []
        if drawn:
            said.append("drawn on " + ", ".join(d.key for d in drawn))
        if listing:
            where = ", ".join(
                f"{d.key} (item {i.get('item', '?')}, qty {i.get('qty', '?')})" for d, i in listing
            )
            plural = "s" if len(listing) != 1 else ""
            said.append(f"listed in the bill of materials of {len(listing)} drawing{plural}: {where}")
        label = str(listing[0][1].get("part_number")) if listing else part.upper()
        lines.append(f"Part {label}" + (f" ({name})" if name else "") + " is " + "; ".join(said) + ".")
        cited += [d.key for d in drawn] + [d.key for d, _ in listing]
    return KbAnswer(" ".join(lines), cite_records("drawings", cited), False, "drawings")


def _field_answer(matched: list[DrawingRow], asked: tuple[str, ...]) -> KbAnswer:
    """The asked title-block field of each matched drawing, or that the drawing gives none."""
    lines = []
    cited: list[RecordCitation] = []
    for d in matched:
        value = next((d.title_block[k] for k in asked if d.title_block.get(k)), None)
        part = d.title_block.get("part_name") or d.title_block.get("part_number") or ""
        name = f"Drawing {d.key}" + (f" ({part})" if part else "")
        what = FIELD_WORDS.get(asked[0], asked[0].replace("_", " "))
        if value is None and not any(d.title_block.values()):
            lines.append(f"{name} gives no {what}: {NO_TITLE_BLOCK}.")
        elif value is None:
            lines.append(f"{name} gives no {what} in its title block.")
        elif asked[0] == "drawn_by":
            lines.append(f"{name} was drawn by {value}.")
        else:
            lines.append(f"{name}: {what} {value}.")
        cited.extend(cite_records("drawings", [d.key]))
    return KbAnswer(" ".join(lines), tuple(cited), False, "drawings")
