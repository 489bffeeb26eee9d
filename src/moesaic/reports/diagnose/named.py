"""FMEA rows that the window's own work orders name, in a technician's words.

A plant the fault model never saw still writes down what it found: "replcd impeller, imp was
rubbing", "Replaced crankshaft brg DE (spalling on outer race)", "suspect fouled evap condensr".
When the series alone match no known fault, or the wrong one, these orders point at the sheet's
row for the failure, and at its recommended action. An order names a row when it writes at least
:data:`MIN_WORDS` of the row's words (its component, sub-component and failure mode), each in
full, by its stem ("fouled" for "fouling"), by a prefix ("imp", "evap", "mech") or by a
shorthand that keeps the word's first letter and letters in order ("brg", "condensr"): see
:func:`moesaic.reports.shorthand.writes`. A word
every row of the asset's sheet writes, or a word of the asset's type ("pump" on a pump's rows),
names none of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.reports.diagnose.history import fmea_field
from moesaic.reports.shorthand import writes

MIN_WORDS = 2  # an order names a row with at least this many of its words
MAX_NAMED = 2  # a report gives at most this many rows the orders name
MIN_ROW_WORD = 4  # shorter words of a row ("of", "DE") name nothing
_LETTERS = re.compile(r"[a-z]+")


class NamedRow(NamedTuple):
    """An FMEA row and the window's work orders that name it (oldest first)."""

    row: Document
    orders: tuple[Document, ...]


def row_words(row: Document) -> set[str]:
    """The words of an FMEA row's component, sub-component and failure mode (lower case)."""
    where = " ".join(str(row.fields.get(c, "") or "") for c in ("Component", "Sub-Component", "component"))
    text = f"{where} {fmea_field(row, 'failure_mode')}".lower()
    return {w for w in _LETTERS.findall(text) if len(w) >= MIN_ROW_WORD}


def named_rows(
    rows: Sequence[Document], orders: Sequence[Document], asset_type: str = ""
) -> tuple[NamedRow, ...]:
    """The ``rows`` (FMEA rows of the asset's sheet) that ``orders`` (work orders) name, the row
    named by most orders first (then the row named by the most words), each with its orders. The
    words of ``asset_type`` name no row: every order of the asset is about it ("homog valve wear"
    is no homogenizer bearing's wear)."""
    words = {row.doc_id: row_words(row) for row in rows}
    shared = set.intersection(*words.values()) if len(words) > 1 else set()
    shared |= set(_LETTERS.findall(asset_type.lower()))
    tokens = [set(_LETTERS.findall(order.text.lower())) for order in orders]
    out = []
    for row in rows:
        own = words[row.doc_id] - shared
        naming, strength = [], 0
        for order, written in zip(orders, tokens, strict=True):
            hits = {w for w in own if any(writes(t, w) for t in written)}
            if len(hits) >= MIN_WORDS:
                naming.append(order)
                strength += len(hits)
        if naming:
            out.append((len(naming), strength, row.doc_id, NamedRow(row, tuple(naming))))
    out.sort(key=lambda x: (-x[0], -x[1], x[2]))
    return tuple(named for *_, named in out)
