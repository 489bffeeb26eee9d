"""Which FMEA rows a situation's words name: the row behind a plan's failure mode, and the rows
that propose their own action.

A row is named by the words of its part and failure mode (component, sub-component, failure
mode), stemmed; a technician's shorthand ("brg") counts for a word of the row written in full
(:func:`~moesaic.reports.scenarios.similarity.sheet_overlap`), and a failure code by the words it
abbreviates ("BRG": bearing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from moesaic.reports.qa.table import FmeaRow, terms
from moesaic.reports.scenarios.coding import failure_code_words
from moesaic.reports.scenarios.similarity import sheet_overlap
from moesaic.reports.shorthand import writes


class SheetWords:
    """The words of each row of an FMEA sheet, to match a situation's against.

    Args:
        rows: the sheet's rows; a row is named by its index in them.
    """

    def __init__(self, rows: Sequence[FmeaRow]) -> None:
        self.rows = tuple(rows)
        self._terms = [set(terms(f"{r.component} {r.sub_component} {r.failure_mode}")) for r in rows]
        where = [f"{r.component} {r.sub_component} {r.failure_mode}".lower() for r in rows]
        self._words = [set(re.findall(r"[a-z]{4,}", text)) for text in where]  # for shorthand

    def matching(self, fm: str, words: set[str], indices: Sequence[int]) -> FmeaRow | None:
        """The row (of ``indices``) of failure mode ``fm`` sharing most other words with the
        stemmed ``words`` (a situation's and its orders'), or None. A code names a row's failure
        mode by a word of it, the words it abbreviates, or shorthand ("BLOCK" writes "blockage",
        "FOUL" "fouling": :func:`moesaic.reports.shorthand.writes`)."""
        fm_words, code_words = set(terms(failure_code_words(fm))), set(terms(fm))  # "BRG": "Bearing wear"
        codes = re.findall(r"[a-z]+", fm.lower())
        words = words | {t for w in words for t in terms(failure_code_words(w))}  # "brg noisy": bearing
        best, best_overlap = None, 0
        for row, row_terms in ((self.rows[i], self._terms[i]) for i in indices):
            mode = re.findall(r"[a-z]+", row.failure_mode.lower())
            if not (
                fm_words & set(terms(row.failure_mode)) or any(writes(c, w) for c in codes for w in mode)
            ):
                continue
            # The row must also name the part: a "leak" of another system is not this risk.
            overlap = len((row_terms - code_words) & words)
            if overlap > best_overlap:
                best, best_overlap = row, overlap
        return best

    def overlaps(self, words: set[str], tokens: set[str], indices: Sequence[int]) -> list[tuple[int, int]]:
        """``(shared words, index)`` of the rows (of ``indices``) sharing two words or more with a
        situation (its stemmed ``words``, its shorthand ``tokens``), most shared first."""
        shared = [(sheet_overlap(self._terms[i], self._words[i], words, tokens), i) for i in indices]
        return sorted((p for p in shared if p[0] >= 2), key=lambda p: (-p[0], p[1]))
