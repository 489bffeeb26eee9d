"""The records around a window: matching FMEA rows, similar past episodes and their work orders,
alarms, and the asset's drawings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd

from moesaic.data.schema import Asset, Document, Drawing, Event
from moesaic.reports.diagnose.claims import as_time
from moesaic.reports.diagnose.faults import NORMAL
from moesaic.reports.diagnose.source import EvidenceBase
from moesaic.reports.scenarios.coding import FAILURE_MODE_FIELDS, ORDER_TYPE_FIELDS, PREVENTIVE_TYPES
from moesaic.reports.scenarios.scope import types_named

WORK_ORDER_DAYS = 60.0  # work orders this long before the window still count as its history
MAX_WORK_ORDERS = 5
MAX_DRAWINGS = 3


class DrawingOnFile(NamedTuple):
    """A drawing of the asset, and the line of its parts list naming a component the FMEA points to."""

    drawing: Drawing
    part: dict[str, Any] | None  # the parts-list line (``description``, ``part_number``), or None


class PastEpisode(NamedTuple):
    """A labelled past fault like this window, and the work orders booked against it."""

    event_id: str
    asset_id: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    distance: float
    work_orders: tuple[Document, ...]


def _original(key: str) -> str:
    return key.partition(":")[2] or key


SHEET_FIELDS = {
    "failure_mode": "Potential Failure Mode",
    "effects": "Potential Effect(s) of Failure",
    "causes": "Potential Cause(s) of Failure",
    "recommended_action": "Recommended Action",
}
"""The simulator's FMEA fields and the columns of a site's 12-column sheet that hold the same."""
_FAULT_WORDS = {"imbalance": ("imbal", "unbal"), "overheating": ("overh", "over-t", "overt")}
"""Word stems that name a fault type's words in a sheet, besides the words' own first letters."""


def fmea_field(row: Document, key: str) -> str:
    """Field ``key`` of :data:`SHEET_FIELDS` of an FMEA row, from the simulator's or a site's layout."""
    value = row.fields.get(key) or row.fields.get(SHEET_FIELDS.get(key, ""), "")
    return str(value or "").strip()


def fmea_of_type(base: EvidenceBase, asset_type: str, asset_id: str = "") -> tuple[Document, ...]:
    """FMEA rows of the asset's type: their ``asset_type`` field, or a site's sheet row that names
    no other asset type of the base and, with ``asset_id``, describes no other assets only
    (:func:`about_other_assets`)."""
    assets = list(base.assets())
    others = {a.asset_type for a in assets if a.asset_type and a.asset_type != asset_type}
    return tuple(
        d
        for d in base.documents(kind="fmea")
        if str(d.fields.get("asset_type", asset_type)) in ("", asset_type)
        and not _of_another_type(d, asset_type, others)
        and not (asset_id and about_other_assets(d, asset_id, assets))
    )


def about_other_assets(row: Document, asset_id: str, assets: Sequence[Asset]) -> bool:
    """True for a site sheet's row whose subsystem (two words or more) is written, word for word,
    in the register's description of some assets but not of ``asset_id``: "Raw water pump" is the
    raw-water pumps' row, not the dosing pump's, though both types end in "pump" and the register
    types the raw-water and high-lift pumps alike (centrifugal_pump)."""
    if "asset_type" in row.fields:
        return False
    words = set(_WORDS.findall(str(row.fields.get("Subsystem", "")).lower()))
    if len(words) < 2:
        return False
    described = {a.asset_id for a in assets if words <= _described_words(a)}
    return bool(described) and asset_id not in described


_WORDS = re.compile(r"[a-z]+")


def _described_words(asset: Asset) -> set[str]:
    """The words of an asset's id, type and text attributes (its description, name, area, ...)."""
    text = " ".join(
        [asset.asset_id, asset.asset_type, *(v for v in asset.attributes.values() if isinstance(v, str))]
    )
    return set(_WORDS.findall(text.lower().replace("_", " ")))


def matching_fmea(
    base: EvidenceBase, asset_type: str, label: str, asset_id: str = ""
) -> tuple[Document, ...]:
    """FMEA rows of the asset's type whose failure mode is ``label``: their ``fault_type`` field, or,
    for a site's sheet that has none, a failure mode (with its component) that names every word of
    the label (``bearing_wear`` in "Bearing wear / spalling")."""
    return tuple(
        d
        for d in fmea_of_type(base, asset_type, asset_id)
        if (
            str(d.fields.get("fault_type", "")) == label
            if "fault_type" in d.fields
            else names_fault(d, label)
        )
    )


def window_orders(
    base: EvidenceBase, asset_id: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[Document, ...]:
    """The asset's work orders dated inside ``[start, end]`` that are not typed preventive, oldest first."""
    orders = [
        d
        for d in base.documents(kind="work_order", asset_id=asset_id)
        if d.time is not None
        and not isinstance(d.time, int)
        and start <= as_time(d.time) <= end
        and not _preventive(d)
    ]
    return tuple(sorted(orders, key=lambda d: (as_time(d.time), d.doc_id)))


def _preventive(order: Document) -> bool:
    kind = next((order.fields[f] for f in ORDER_TYPE_FIELDS if f in order.fields), None)
    return isinstance(kind, str) and kind.strip().casefold() in PREVENTIVE_TYPES


def _of_another_type(row: Document, asset_type: str, others: set[str]) -> bool:
    """True for a site sheet's row (no ``asset_type`` field) that names another asset type of the
    base (:func:`types_named`, or the type's last word anywhere in its component) and not
    ``asset_type``: a pump's seal row is no fan's, a conveyor roller's bearing no compressor's."""
    if "asset_type" in row.fields:
        return False  # the row says its type
    named = types_named(row, {asset_type, *others})
    if asset_type in named:
        return False
    if named & others:
        return True
    # "Conveyor rollers" is a belt conveyor's part though "conveyor" is not its last word
    component = set(re.findall(r"[a-z]+", str(row.fields.get("Component", "")).lower()))
    return any(_head(t) in component for t in others) and _head(asset_type) not in component


def _head(asset_type: str) -> str:
    """The last word of an asset type, lower case ("conveyor" for "Belt Conveyor")."""
    return (re.findall(r"[a-z]+", asset_type.lower()) or [""])[-1]


def names_fault(row: Document, label: str) -> bool:
    """Whether an FMEA row's component and failure mode write every word of the fault ``label``
    (``bearing_wear`` in "DE bearing: Bearing wear / spalling")."""
    where = (row.fields.get(c, "") for c in ("Component", "Sub-Component"))
    words = " ".join([*map(str, where), fmea_field(row, "failure_mode")]).lower().replace("/", " ").split()
    if not label or not fmea_field(row, "failure_mode"):
        return False
    return all(
        any(w.startswith(stem) for w in words for stem in _FAULT_WORDS.get(part, (part[:5],)))
        for part in label.lower().split("_")
    )


def _linked_work_orders(base: EvidenceBase, event: Any) -> tuple[Document, ...]:
    wanted = {event.event_id, _original(event.event_id)}
    orders = base.documents(kind="work_order", asset_id=event.asset_id)
    linked = [d for d in orders if str(d.fields.get("fault_id", "")) in wanted and d.fields.get("fault_id")]
    return tuple(sorted(linked, key=lambda d: (d.time is None, d.time, d.doc_id)))


def past_episodes(
    base: EvidenceBase, asset_id: str, start: pd.Timestamp, end: pd.Timestamp, *, label: str, k: int = 3
) -> tuple[PastEpisode, ...]:
    """The ``k`` past labelled episodes most like this one, with the work orders booked against them.

    Candidates are the fault events labelled ``label`` that ended before ``start``. They are ranked
    by kinship, not by re-reading every episode's sensors (the cost of that grows with the
    history, and the fault type already summarises the sensor signature): the same asset first,
    then assets of the same type, then the episode whose length is closest to the window's, then
    the most recent. ``distance`` is that rank (0 for the first).
    """
    if label in ("", NORMAL):
        return ()
    types = {a.asset_id: a.asset_type for a in base.assets()}
    length = (end - start) / pd.Timedelta(hours=1)
    candidates = []
    for e in base.events(kind="fault"):
        if e.label != label or e.start is None:
            continue
        e_start, e_end = as_time(e.start), as_time(e.end if e.end is not None else e.start)
        if e_end >= start:
            continue
        kin = (e.asset_id != asset_id, types.get(e.asset_id) != types.get(asset_id))
        gap = abs((e_end - e_start) / pd.Timedelta(hours=1) - length)
        candidates.append((kin, gap, -e_end.value, e.event_id, e, e_start, e_end))
    candidates.sort(key=lambda c: c[:4])
    return tuple(
        PastEpisode(
            e.event_id, e.asset_id, e.label, e_start, e_end, float(rank), _linked_work_orders(base, e)
        )
        for rank, (*_, e, e_start, e_end) in enumerate(candidates[:k])
    )


def related_work_orders(
    base: EvidenceBase, asset_id: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[Document, ...]:
    """The asset's latest work orders from ``WORK_ORDER_DAYS`` before the window to its end."""
    since = start - pd.Timedelta(days=WORK_ORDER_DAYS)
    orders = [
        d
        for d in base.documents(kind="work_order", asset_id=asset_id)
        if d.time is not None and since <= pd.Timestamp(d.time) <= end
    ]
    orders.sort(key=lambda d: (as_time(d.time), d.doc_id), reverse=True)
    return tuple(orders[:MAX_WORK_ORDERS])


def is_corrective(order: Document) -> bool:
    """True when ``order`` reports a fault: a type other than preventive (``CM``, ``breakdown``),
    or, without a type, a failure code. Without either, nothing says so."""
    kind = next((order.fields[f] for f in ORDER_TYPE_FIELDS if f in order.fields), None)
    if isinstance(kind, str) and kind.strip():
        return kind.strip().casefold() not in PREVENTIVE_TYPES
    return any(str(order.fields.get(f) or "").strip() for f in FAILURE_MODE_FIELDS)


def corrective_orders(base: EvidenceBase, asset_id: str, before: pd.Timestamp) -> tuple[Document, ...]:
    """The asset's corrective work orders (:func:`is_corrective`) created before ``before``, oldest first."""
    orders = [
        d
        for d in base.documents(kind="work_order", asset_id=asset_id)
        if d.time is not None
        and not isinstance(d.time, int)
        and as_time(d.time) < before
        and is_corrective(d)
    ]
    return tuple(sorted(orders, key=lambda d: (as_time(d.time), d.doc_id)))


def related_alarms(
    base: EvidenceBase, asset_id: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[Event, ...]:
    """The asset's alarms overlapping the window."""
    alarms = [
        e
        for e in base.events(asset_id=asset_id, kind="alarm")
        if e.start is not None
        and pd.Timestamp(e.start) <= end
        and pd.Timestamp(e.end if e.end is not None else e.start) >= start
    ]
    return tuple(sorted(alarms, key=lambda e: (as_time(e.start), e.event_id)))


def asset_drawings(
    base: EvidenceBase, asset_id: str, fmea: tuple[Document, ...]
) -> tuple[DrawingOnFile, ...]:
    """The asset's drawings (at most :data:`MAX_DRAWINGS`, those whose parts list names a component
    of the matching ``fmea`` rows first, then by id), each with the first such parts-list line.

    A line names a component when every word of the component is a word of its description
    ("bearing" in "DEEP GROOVE BALL BEARING 6310"), in any case.
    """
    components = [set(str(d.fields.get("component", "")).casefold().split()) for d in fmea]
    components = [c for c in components if c]
    found = []
    for drawing in base.drawings(asset_id=asset_id):
        part = None
        for line in drawing.fields.get("bom", []) or []:
            if not isinstance(line, dict):
                continue
            words = set(str(line.get("description", "")).casefold().split())
            if words and any(c <= words for c in components):
                part = dict(line)
                break
        found.append(DrawingOnFile(drawing, part))
    found.sort(key=lambda d: (d.part is None, d.drawing.drawing_id))
    return tuple(found[:MAX_DRAWINGS])
