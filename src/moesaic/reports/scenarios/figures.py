"""Which work orders an FMEA plan's downtime and cost are read from, and which record it cites
beside its row: those about its part.

An order is about an FMEA row when its words name the row's part, or a word of the row's failure
mode while naming no part of another row of the asset's sheet. Failure-mode words are shared
("wear" is a bearing's, a valve seat's and an impeller's): an order that replaced a homogenizer's
valve seat for "valve wear" names the valve, another row's part, and says nothing about what a
crankshaft bearing replacement costs.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.knowledge.links import fold
from moesaic.reports.qa.table import FmeaRow, terms
from moesaic.reports.scenarios.actions import PLANNED, installs_monitoring
from moesaic.reports.scenarios.coding import (
    COST_FIELDS,
    DURATION_FIELDS,
    MedianFigure,
    OrderCoding,
    median_figure,
    read_coding,
    read_figure,
)
from moesaic.reports.scenarios.scenario import Citation


def part_words(row: FmeaRow) -> set[str]:
    """The words of an FMEA row's part: its sub-component, else its component (which is often the
    machine itself when a sub-component is given)."""
    return set(terms(row.sub_component or row.component))


def named_by(row: FmeaRow) -> set[str]:
    """The words of an FMEA row's part and failure mode ("bearing" for "Bearing wear / spalling")."""
    return part_words(row) | set(terms(row.failure_mode))


def is_about(words: set[str], row: FmeaRow, others: Iterable[FmeaRow]) -> bool:
    """True when an order of (stemmed) ``words`` is about ``row``: it names the row's part, or a
    word of its failure mode and no part of the ``others`` (the other rows of the asset's sheet)."""
    if words & part_words(row):
        return True
    if not words & named_by(row):
        return False
    elsewhere = set().union(*(part_words(o) for o in others if o.row_id != row.row_id)) - named_by(row)
    return not words & elsewhere


def fmea_support(
    row: FmeaRow,
    others: Sequence[FmeaRow],
    *,
    similar: Sequence[Document],
    own: Sequence[Document],
    readings: Citation | None,
    nearest: tuple[Document, float],
) -> Citation:
    """The record an FMEA row's plan cites beside the row, the first there is of: a ``similar``
    past order about the row (best first), an order of the situation (``own``, a window's) about
    it, the situation's ``readings``, any order of the situation; else the ``nearest`` past order
    (and the share of the situation's word weight it shares), labelled as what it is: one that
    names neither the row's part nor its failure, shown for context, not as support (a noisy DE
    bearing's plan cited another compressor's temperature sensor as its "nearest past order")."""
    for order in similar:
        if is_about(set(terms(order.text)), row, others):
            return Citation("documents", order.doc_id, f"similar past order: {order.text!r}")
    about = [d for d in own if is_about(set(terms(d.text)), row, others)]
    if about or (own and readings is None):
        order = (about or list(own))[0]
        return Citation("documents", order.doc_id, f"the window's order: {order.text!r}")
    if readings is not None:
        return readings
    order, shares = nearest
    part = (row.sub_component or row.component).lower()
    return Citation(
        "documents",
        order.doc_id,
        f"nearest past order, not support: it names neither {part} nor {row.failure_mode.lower()} "
        f"(shares {shares:.0%} of the situation's word weight): {order.text!r}",
    )


def records_work(order: Document) -> bool:
    """True when ``order`` recorded what its work took: a cost or a downtime above zero. A
    window's order that did not is still open, not yet costed, or cost nothing because it only
    looked ("inspected, monitor, brg ordered": 0 h, 0): it says nothing of what a plan will take."""
    figures = (read_figure(order, COST_FIELDS).value, read_figure(order, DURATION_FIELDS).value)
    return any(isinstance(v, int | float) and math.isfinite(float(v)) and v > 0 for v in figures)


def does_the_work(order: Document, verb: str, action: str, coding: OrderCoding | None = None) -> bool:
    """True when ``order`` did the kind of work of an FMEA plan of ``verb`` (its recommended
    ``action``): its coding's verb is ``verb``; but a plan that installs monitoring ("Install online
    vibration monitoring", coded monitor) is done by an order that installed monitoring, not by one
    that kept watching ("vib high on DE, monitor": 0 h, 0)."""
    if installs_monitoring(action):
        return installs_monitoring(PLANNED.sub(" ", fold(order.text)))
    return (coding or read_coding(order)).verb == verb


class FigureOrders(NamedTuple):
    done: list[Document]  # the orders an FMEA plan's figures are read from, the window's first
    unused: list[Document]  # the window's orders about its row that did other work or recorded none


def done_before(
    verb: str,
    row: FmeaRow,
    others: Sequence[FmeaRow],
    *,
    own: Iterable[Document],
    past: Iterable[Document],
    codings: Mapping[str, OrderCoding],
) -> FigureOrders:
    """The orders of the situation (``own``, a window's) that did the work of ``row``'s plan of
    ``verb`` (:func:`does_the_work`) and recorded it (:func:`records_work`), then the ``past``
    orders (of its asset and its peers) that did it, all about ``row`` among the rows ``others``
    (:func:`is_about`): what the row's action takes. ``codings`` are the past orders' codings."""
    mine = [d for d in own if is_about(set(terms(d.text)), row, others)]
    used = [d for d in mine if does_the_work(d, verb, row.action) and records_work(d)]
    done = used + [
        d
        for d in past
        if does_the_work(d, verb, row.action, codings.get(d.doc_id))
        and is_about(set(terms(d.text)), row, others)
    ]
    return FigureOrders(done, [d for d in mine if d not in used])


class PlanFigures(NamedTuple):
    downtime: MedianFigure
    cost: MedianFigure
    said: str  # the reason's clause naming the orders read, "" when no figure was read
    citations: tuple[Citation, ...]  # the orders read, after the two records the plan rests on


def plan_figures(
    done: Sequence[Document],
    verb: str,
    *,
    history: Collection[str],
    cited: str,
    unused: Sequence[Document] = (),
) -> PlanFigures:
    """The downtime and cost of an FMEA plan, the medians (for unlike jobs, the ranges) over the
    orders ``done`` (of :func:`done_before`), and the clause and citations naming them (those in
    ``history`` are past orders, the others the window's; ``cited`` is already cited beside the
    row). With no figure, the clause names the window's orders about the row left ``unused`` (they
    did other work or recorded none), so that no one reads the plan's cost from them."""
    downtime = median_figure(done, DURATION_FIELDS)
    cost = median_figure(done, COST_FIELDS)
    when = {d.doc_id: "past" if d.doc_id in history else "window's" for d in done}
    listed = ", ".join(
        d.doc_id if when[d.doc_id] == "past" else f"{d.doc_id} in the window" for d in done[:3]
    )
    past = "past " if set(when.values()) == {"past"} else ""
    if not done or not (cost.fields or downtime.fields):
        ids = ", ".join(d.doc_id for d in unused[:3])
        said = (
            f"; downtime and cost unknown: no past order of its asset or its peers did its work on its "
            f"part, and the window's {ids} did other work or recorded no cost or downtime"
            if unused
            else ""
        )
        return PlanFigures(MedianFigure(None, ""), MedianFigure(None, ""), said, ())
    said = (
        f"; downtime and cost from {len(done)} {past}{verb} order(s) naming its part or failure "
        f"({listed}{', ...' if len(done) > 3 else ''})"
    )
    citations = tuple(
        Citation("documents", d.doc_id, f"{when[d.doc_id]} {verb} order: {d.text!r}")
        for d in done[:3]
        if d.doc_id != cited
    )
    return PlanFigures(downtime, cost, said, citations)
