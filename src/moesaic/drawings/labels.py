"""The printed labels of title-block cells, in English, German, Swedish and French.

:func:`label_of` tells whether a text line is a label: of a field :mod:`~moesaic.drawings.titleblock`
reads ("MATERIAL", "Maßstab", "Échelle"), or of a cell it does not read ("CHECKED", "GEWICHT",
"Vérifié"), which is never a value either. :func:`fits_field` says whether a value can be a
field's at all (a scale is a ratio such as 1:2; "A3" is a sheet size, not a drawing number).
"""

from __future__ import annotations

import re
from typing import NamedTuple

FIELD_LABELS: dict[str, str] = {
    "part_name": (
        r"title|titre|part name|description|d[ée]signation|benämning|benennung|bezeichnung|"
        r"nom de (?:la )?pi[èe]ce"
    ),
    "drawing_number": (
        r"drawing (?:no|number|nr)|dwg\.? ?(?:no|number)|drg\.? ?no|ritningsnummer|"
        r"zeichnungs?-?(?:nr|nummer)|n(?:[°o]|um[ée]ro)\.? ?de plan|plan n[°o]"
    ),
    "part_number": r"part (?:no|number|nr)|article (?:no|number)|artikelnummer|sachnummer|teilenummer",
    # German sheets head the revision cell "Index" or "Ausgabe" as often as "Änderungsindex"
    "revision": (
        r"rev(?:ision)?\b\.?|[äa]nderungs(?:index|stand)|index\b|ausgabe\b|version\b|indice|utg[åa]va"
    ),
    "material": r"material|werkstoff|matl|mati[èe]re",
    # OCR reads ß as B or ss ("MaBstab", "MASSTAB")
    "scale": r"(?:drawing )?scale|skala|ma(?:ß|ss?|b)s?tab|[ée]chelle",
    "sheet": r"sheet(?! ?size)|blatt|sida|feuille|folio",
    "units": r"units?\b|einheit|unit[ée]s?",
    "drawn_by": r"drawn|created by|ritad|gezeichnet|author|dessin[ée] par|dessinateur|auteur",
    "date": r"date|datum",
    "general_tolerance": r"general tol|tol[ée]rance|allgemeintol|gen\. ?tol",
}
"""Patterns of each field's label; a line starting with one is that field's label."""

OTHER_LABELS = (
    r"checked|approved|appr\.|weight|gepr[üu]e?ft|genehmigt|gewicht|freigabe|freigegeben|kontrolliert|"
    r"v[ée]rifi[ée]|approuv[ée]|contr[ôo]l[ée]|poids|masse\b|size\b|format\b|finish|signature?|name\b|nom\b|"
    r"rev\.? ?by|reviewed|first issued|projection|chk'?d|appv'?d|mfg\b|q\.a\.|produktion|qual(?:it)?[äa]e?t"
)
"""Labels of title-block cells no field is read from (ISO 7200 and common templates): a line
starting with one is a label, never a field's value."""

# OCR often drops the space between label words ("DRAWINGNO"): a space in a pattern is optional
_OPTIONAL_SPACE = r"\s*"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"^\s*(?:" + pattern.replace(" ", _OPTIONAL_SPACE) + r")\.?", re.IGNORECASE)


_LABELS = {k: _compile(v) for k, v in FIELD_LABELS.items()}
_OTHER = _compile(OTHER_LABELS)
# the label words left before a colon: the end of a word the pattern cut ("TOLERANCE" after "general
# tol") and up to three more words of letters ("DRAWN BY:", "DATE DRAWN:", "Scale/skala:")
_WORDS_TO_COLON = re.compile(r"^([^\W\d_]*(?:[\s/.]+[^\W\d_]+){0,3})[\s.]*(?=:)")
# a word closing a label as a colon would: "DRAWN BY J. NOVAK", "Gezeichnet von", "Ritad av"
_BY = re.compile(r"^\s*(?:by|von|av|par)\b\.?", re.IGNORECASE)
# a bilingual label whose first half OCR cut ("ale/skala" for "Scale/skala"): the second half names it
_SECOND_HALF = re.compile(r"^\s*[a-zäöüß.]{1,12}\s*/\s*", re.IGNORECASE)

# the printed label words, for labels OCR got one letter wrong ("DRAN" for "DRAWN"); "" for a
# cell no field is read from ("VEIGHT" for "WEIGHT", "GEPROFT" for "GEPRÜFT")
LABEL_WORDS = {
    "TITLE": "part_name",
    "BENENNUNG": "part_name",
    "DRAWINGNO": "drawing_number",
    "PARTNO": "part_number",
    "MATERIAL": "material",
    "SCALE": "scale",
    "SHEET": "sheet",
    "UNITS": "units",
    "DRAWN": "drawn_by",
    "DATE": "date",
    "GENERALTOL": "general_tolerance",
    "REVISION": "revision",
    "CHECKED": "",
    "APPROVED": "",
    "WEIGHT": "",
    "GEPRUFT": "",
    "GENEHMIGT": "",
    "GEWICHT": "",
}

NOT_TO_SCALE = re.compile(
    r"N\.?\s?T\.?\s?S\.?|(?:DRAWING\s+|DRAWN\s+)?NOT\s+TO\s+SCALE|NONE|ohne\s+Ma(?:ß|ss?|b)stab|o\.\s?M\.?",
    re.IGNORECASE,
)
"""A scale stating the sheet is drawn to none (schematics, P&IDs): "NTS", "N.T.S.", "NOT TO SCALE",
"NONE", German "ohne Maßstab" / "o.M." (never "DO NOT SCALE", a note not to measure the print)."""

NO_GENERAL_TOLERANCE = re.compile(r"N\s?/\s?A|N\.\s?A\.?|NONE|NIL|-+", re.IGNORECASE)
"""A general tolerance stating that none applies ("N/A", "NONE", "-"): every dimension must then
carry its own tolerance or fit."""

# a structural steel of EN 10025 (S235JR, S355J2, S355K2): OCR reads its J as "]" or ")", its S as
# "$", "§" or "5"
_STEEL_MISREAD = re.compile(r"(?<![\w.])[S$§5](\d{3})\s?[\])J]\s?([R02])(?![\w.])")


def fold_material(value: str) -> str:
    """A material name with the characters OCR confuses in a steel grade put back: "S355]2" and
    "$355)2" are S355J2 (the grade's letters are fixed by EN 10027-1)."""
    return _STEEL_MISREAD.sub(r"S\1J\2", value)


# values a field can hold: coded fields carry a figure; a drawing number has three or more
# characters and is no sheet size (A0 to A4 stand in the SIZE cell beside it)
_VALUE_CHECKS = {
    "drawing_number": re.compile(r"^(?!A[0-4]$)(?=.*\d).{3,}$", re.IGNORECASE),
    "part_number": re.compile(r"^(?!A[0-4]$)(?=.*\d).{3,}$", re.IGNORECASE),
    # a scale is a ratio ("1:2", "2 : 1"), or says there is none: a bare figure is a ratio whose
    # colon and one side OCR lost
    "scale": re.compile(rf"\d\s*:\s*\d|^(?:{NOT_TO_SCALE.pattern})$", re.IGNORECASE),
    "sheet": re.compile(r"\d"),
    "date": re.compile(r"\d"),
    "general_tolerance": re.compile(rf"\d|±|^(?:{NO_GENERAL_TOLERANCE.pattern})$", re.IGNORECASE),
}


class Label(NamedTuple):
    """A label line: its field ("" for a cell no field is read from) and the text after the label.

    A label of several words is taken whole: "GENERAL TOLERANCE: ISO 2768-m" leaves ": ISO 2768-m",
    and a label closed by "BY" ("DRAWN BY J. NOVAK") leaves ": J. NOVAK", the colon it stands for.
    """

    field: str
    rest: str


def label_of(text: str) -> Label | None:
    """The label ``text`` starts with, or None when it is no label (a value, a note)."""
    other = _OTHER.match(text)
    if other:  # "SIZE DRG NO.": OCR joined two label cells; the field's label counts
        return _field_label(text[other.end() :]) or Label("", text[other.end() :])
    found = _field_label(text)
    if found:
        return found
    half = _SECOND_HALF.match(text)
    return _field_label(text[half.end() :]) if half else None


def _field_label(text: str) -> Label | None:
    for name, pattern in _LABELS.items():
        m = pattern.match(text)
        if m:
            return Label(name, _after_label(text[m.end() :]))
    near = _near_label(text)
    return Label(near, "") if near is not None else None


def _after_label(rest: str) -> str:
    """The text after a label whose pattern matched only its first words: the words up to a colon
    ("DRAWN BY: J. NOVAK", "GENERAL TOLERANCE: ...", "DATE DRAWN: ...") belong to the label unless
    one is a label itself (OCR joined two cells: "SHEET REV: C"); "BY" after a label ("DRAWN BY J.
    NOVAK", "Gezeichnet von") closes it as a colon would."""
    words = _WORDS_TO_COLON.match(rest)
    if words and not any(label_of(w) for w in re.split(r"[\s/.]+", words.group(1)) if w):
        return rest[words.end(1) :]
    by = _BY.match(rest)
    if by:
        after = rest[by.end() :]
        return after if not after.strip() or after.lstrip().startswith(":") else ": " + after.lstrip()
    return rest


def _near_label(text: str) -> str | None:
    from moesaic.drawings.score import edit_distance

    word = re.sub(r"[^A-Z]", "", text.upper())
    if len(word) < 4:
        return None
    for label, name in LABEL_WORDS.items():
        allowed = 2 if len(label) >= 5 else 1  # "DRAINN" for "DRAWN": W read as IN
        if abs(len(label) - len(word)) <= allowed and edit_distance(word, label) <= allowed:
            return name
    return None


def fits_field(name: str, value: str) -> bool:
    """True when ``value`` can be the value of field ``name``."""
    check = _VALUE_CHECKS.get(name)
    return check is None or check.search(value.strip()) is not None
