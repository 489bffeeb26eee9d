"""``KbAnswerer``: answer one question over a knowledge base, with citations, or abstain.

Example:
    >>> with KnowledgeBase.open("kb") as base:
    ...     answer = KbAnswerer(base).answer("how many work orders for asset B in 2005?")
    ...     answer.text, answer.citations, answer.abstained
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import NamedTuple

import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask.answer import KbAnswer, abstain, cite_records
from moesaic.reports.ask.drawings import (
    DRAWING_WORDS,
    NO_BOM,
    answer_drawings,
    bom_parts,
    drawing_ids,
    load_drawings,
    stores_bom,
)
from moesaic.reports.ask.frame import load_records
from moesaic.reports.ask.records import answer_records
from moesaic.reports.ask.resolve import Named, channels_of, find_names
from moesaic.reports.ask.retrieve import answer_open
from moesaic.reports.ask.router import Route, choose_route
from moesaic.reports.ask.sequence import answer_sequence
from moesaic.reports.ask.series import answer_series
from moesaic.reports.qa.fmea import DEFAULT_THRESHOLD, FmeaAnswerer
from moesaic.reports.qa.table import FmeaRow, rows_from_documents

log = logging.getLogger(__name__)


# What a maintenance base rarely records (prices, people in charge, stock, suppliers, energy or fuel
# consumption, lead times): a question asking for one is answered only when some record mentions
# it, never from the closest records.
_ATTRIBUTES = re.compile(
    r"\b(prices?|purchase|supervisors?|managers?|stock|stores|inventory|suppliers?|vendors?|warranty"
    r"|budgets?|salar(?:y|ies)|phone|e-?mail|energy|kwh|consumption|lead times?)\b"
)


def unrecorded_attributes(base: KnowledgeBase, question: str) -> list[str]:
    """The words of :data:`_ATTRIBUTES` the question uses that no record of the base mentions."""
    missing = []
    for word in dict.fromkeys(m.group(1) for m in _ATTRIBUTES.finditer(question.lower())):
        hit = base.connection.execute(
            "SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", (f'"{word}"',)
        ).fetchone()
        if hit is None:
            missing.append(word)
    return missing


# Stock levels and consumption figures: a base holds them only in a field or a series channel named
# for them. An order's text "ex con stock", a functional location "POWER CONSUMPTION - DRIVE" or a
# drawing's parts list (how many per assembly) gives no stock level and no consumption.
_STOCK_COUNT = re.compile(r"\bhow (?:many|much)\b.*\b(?:in stock|in (?:the )?stores?|on hand|in inventory)\b")
_CONSUMPTION = re.compile(r"\b(?:consumption|kwh|litres? per hour|liters? per hour)\b")
_MEASURES = (
    (
        _STOCK_COUNT,
        re.compile(r"stock|inventor|on_?hand|stores|quantity_available|qty_available"),
        "stock level",
    ),
    (_CONSUMPTION, re.compile(r"consum|kwh|energy|fuel_(?:rate|used|burn)"), "consumption"),
)


def unrecorded_measures(question: str, names: Callable[[], set[str]]) -> list[str]:
    """What ``question`` asks for of :data:`_MEASURES` (a stock level, a consumption) that no field or
    channel of ``names()`` (lower-case field and channel names, read only when needed) holds."""
    text = question.lower()
    asked = [(field, what) for pattern, field, what in _MEASURES if pattern.search(text)]
    if not asked:
        return []
    held = names()
    return [what for field, what in asked if not any(field.search(n) for n in held)]


class Routed(NamedTuple):
    route: Route
    named: Named
    refusal: KbAnswer | None  # an abstention naming what the base lacks, or None


def scored_fmea_rows(base: KnowledgeBase) -> tuple[FmeaRow, ...]:
    """The base's FMEA rows that carry severity, occurrence and detection scores.

    FMEA documents without scores (AssetOpsBench's class-level table) cannot be RPN-ranked; they
    stay reachable by retrieval and are left out here, with a logged count.
    """
    rows: list[FmeaRow] = []
    skipped = 0
    for document in base.documents(kind="fmea"):
        try:
            rows.extend(rows_from_documents([document]))
        except ValueError:
            skipped += 1
    if skipped:
        log.info("%d FMEA documents without scores are left to retrieval", skipped)
    return tuple(rows)


class KbAnswerer:
    """Route questions over ``base`` to the FMEA, drawing, series, record or retrieval answerer.

    Args:
        base: an open knowledge base.
        fmea_threshold: the FMEA answerer's support threshold (see :class:`FmeaAnswerer`).
        max_rows: most FMEA rows quoted in one answer; also the most records a record list shows
            when ``list_rows`` is None and ``max_rows`` was given.
        list_rows: most records a record list shows (:data:`~moesaic.reports.ask.records.LIST_ROWS`
            when None).
        retrieval_threshold: fixed relevance threshold of open questions; None fits it on a
            validation set built from the base (:func:`moesaic.reports.ask.retrieve.calibrate`).
    """

    def __init__(
        self,
        base: KnowledgeBase,
        *,
        fmea_threshold: float = DEFAULT_THRESHOLD,
        max_rows: int = 12,
        list_rows: int | None = None,
        retrieval_threshold: float | None = None,
    ) -> None:
        self.base = base
        self.fmea_threshold = fmea_threshold
        self.max_rows = max_rows
        self.list_rows = list_rows
        self.retrieval_threshold = retrieval_threshold
        self._records: pd.DataFrame | None = None
        self._fmea: tuple[FmeaRow, ...] | None = None

    @property
    def records(self) -> pd.DataFrame:
        if self._records is None:
            self._records = load_records(self.base)
        return self._records

    @property
    def fmea_rows(self) -> tuple[FmeaRow, ...]:
        if self._fmea is None:
            self._fmea = scored_fmea_rows(self.base)
        return self._fmea

    def _names(self, channels: list[str]) -> set[str]:
        """The lower-case names of the records' fields and of the series channels."""
        fields = {str(k).lower() for f in self.records.get("fields", ()) for k in f}
        return fields | {c.lower() for c in channels}

    def route(self, question: str) -> Routed:
        """The route of ``question`` and what it names, or a refusal when it names what the base lacks."""
        channels: dict[str, tuple[str, ...]] = {}
        for row in self.base.connection.execute("SELECT DISTINCT asset_key FROM series"):
            for names in channels_of(self.base, row[0]).values():
                channels[row[0]] = tuple(dict.fromkeys((*channels.get(row[0], ()), *names)))
        every = sorted({c for names in channels.values() for c in names})
        named = find_names(self.base, question, every)
        drawings = load_drawings(self.base)
        if named.unknown:
            listed = ", ".join(repr(u) for u in named.unknown)
            # A part asked of drawings that were stored without their BOM may still be on one.
            bom = drawings and not stores_bom(drawings) and DRAWING_WORDS.search(question.lower())
            reason = f"the base holds no record of {listed}" + (f"; {NO_BOM}." if bom else ".")
            return Routed(Route("router", "unknown names"), named, abstain("router", reason))
        missing = unrecorded_attributes(self.base, question)
        if missing:
            listed = ", ".join(repr(m) for m in missing)
            reason = f"no record of the base mentions {listed}, so it holds nothing to answer from."
            return Routed(
                Route("router", "attributes the base never records"), named, abstain("router", reason)
            )
        unheld = unrecorded_measures(question, lambda: self._names(every))
        if unheld:
            reason = (
                f"no field or series channel of the base holds a {' or a '.join(unheld)}; the records "
                "that mention the words (orders, locations, parts lists) give no such figure."
            )
            return Routed(
                Route("router", "measures the base never records"), named, abstain("router", reason)
            )
        route = choose_route(
            question,
            named,
            channels=channels,
            drawing_ids={i for d in drawings for i in drawing_ids(d)},
            has_fmea=bool(self.fmea_rows),
            bom_parts=bom_parts(drawings),
        )
        return Routed(route, named, None)

    def answer(self, question: str) -> KbAnswer:
        """The answer to one question, or an explicit abstention saying what is missing."""
        if not question or not question.strip():
            raise ValueError("`question` must be a non-empty string")
        route, named, refused = self.route(question)
        if refused is not None:
            return refused
        log.info("route %s (%s)", route.name, route.reason)
        if route.name == "fmea":
            return self._fmea_answer(self._by_type(question, named))
        if route.name == "drawings":
            return answer_drawings(self.base, question, named)
        if route.name == "sequence":
            return answer_sequence(self.records, question, named)
        if route.name == "series":
            return answer_series(self.base, question, named)
        if route.name == "records":
            return answer_records(self.base, self.records, question, named, limit=self.list_rows)
        return answer_open(self.base, question, threshold=self.retrieval_threshold)

    def _by_type(self, question: str, named: Named) -> str:
        """``question`` with the assets it names written as their type ("the severity of the
        BFP-01 seal leak": "... of the boiler feed pump seal leak"): an FMEA sheet's rows are of
        types and components, never of one asset's id. As asked when the assets are of several
        types or of none."""
        if not named.assets or not named.mentions:
            return question
        marks = ", ".join("?" for _ in named.assets)
        types = {
            str(t).strip()
            for (t,) in self.base.connection.execute(
                f"SELECT asset_type FROM assets WHERE key IN ({marks})", named.assets
            )
        }
        if len(types) != 1 or not next(iter(types)):
            return question
        kind = next(iter(types)).replace("_", " ").lower()
        for mention in sorted(named.mentions, key=len, reverse=True):
            question = re.sub(
                rf"(?<![\w-]){re.escape(mention)}(?![\w-])", kind, question, flags=re.IGNORECASE
            )
        return question

    def _fmea_answer(self, question: str) -> KbAnswer:
        if not self.fmea_rows:
            (unscored,) = self.base.connection.execute(
                "SELECT COUNT(*) FROM documents WHERE kind = 'fmea'"
            ).fetchone()
            held = f"; its {unscored} FMEA documents carry no scores." if unscored else "."
            return abstain(
                "fmea",
                "the base holds no FMEA rows (failure modes scored for severity, occurrence and "
                f"detection), so it has no RPN or FMEA score to answer from{held}",
            )
        answerer = FmeaAnswerer(self.fmea_rows, threshold=self.fmea_threshold, max_rows=self.max_rows)
        found = answerer.answer(question)
        return KbAnswer(
            found.text,
            cite_records("documents", list(found.row_ids)),
            found.abstained,
            "fmea",
            rows=found.row_ids,
            support=found.support,
        )
