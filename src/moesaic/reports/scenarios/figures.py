"""Which work orders an FMEA plan's downtime and cost are read from: those about its part.

An order is about an FMEA row when its words name the row's part, or a word of the row's failure
mode while naming no part of another row of the asset's sheet. Failure-mode words are shared
("wear" is a bearing's, a valve seat's and an impeller's): an order that replaced a homogenizer's
valve seat for "valve wear" names the valve, another row's part, and says nothing about what a
crankshaft bearing replacement costs.
"""

from __future__ import annotations

from collections.abc import Iterable

from moesaic.reports.qa.table import FmeaRow, terms


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
