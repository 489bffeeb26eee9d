"""Which FMEA rows speak of an asset: those written for its type, or, naming none, of its source.

A base may hold the FMEA of several plants: a pump's mechanical-seal row must not give an
excavator's hose leak its risk if deferred. An FMEA row is written for an asset type when its
document says so (an ``asset_type`` or ``equipment`` field, or the type of the asset it names);
a row of a sheet that names no type speaks of the assets of the source it was ingested with.
A site sheet's row whose subsystem is written in some assets' descriptions ("Raw water pump") is
theirs only, as the reports read it (:mod:`moesaic.reports.diagnose.history`): the register may
type raw-water and high-lift pumps alike, and a dosing pump is a pump too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.qa.table import terms

TYPE_FIELDS = ("asset_type", "equipment_type", "equipment")
_WHERE = ("Subsystem", "Component", "Sub-Component")
"""A site sheet's columns that say what a row is about."""


class FmeaScope(NamedTuple):
    source: str  # the source the FMEA row was ingested from
    asset_type: str  # the asset type it is written for, "" when its sheet names none
    named: frozenset[str] = frozenset()  # without one, the base's asset types its component names
    others: frozenset[str] = frozenset()  # the assets its subsystem is not about (module docstring)


def fmea_applies(scope: FmeaScope, source: str, asset_type: str, asset_id: str = "") -> bool:
    """Whether an FMEA row of ``scope`` speaks of an asset of ``source`` and ``asset_type`` (and
    key ``asset_id``): the row is written for that type (one's words within the other's:
    "excavator" and "Hydraulic excavator"), or, where either type is unknown, comes from the
    asset's own source, unless its subsystem or component names other asset types of the base and
    not this one (a "Centrifugal pump" row is no screw compressor's), or its subsystem is written
    in other assets' descriptions and not in this one's ("High-lift pump" is no dosing pump's)."""
    if asset_id and asset_id in scope.others:
        return False
    if scope.asset_type and asset_type:
        row, asset = set(terms(scope.asset_type)), set(terms(asset_type))
        return row <= asset or asset <= row
    if asset_type and scope.named and asset_type not in scope.named:
        return False
    return scope.source == source


def fmea_scopes(
    kb: KnowledgeBase, sheets: tuple[Document, ...], types: Mapping[str, str]
) -> dict[str, FmeaScope]:
    """{FMEA row id: its scope} for the FMEA documents ``sheets`` of ``kb``; ``types`` maps asset
    keys to their types."""
    # imported here: the reports' history reads this module's types_named
    from moesaic.reports.diagnose.history import about_other_assets

    assets = list(kb.assets())
    query = "SELECT key, source FROM documents WHERE kind = 'fmea'"
    sources = dict(kb.connection.execute(query).fetchall())
    kinds = {t for t in types.values() if t}
    scopes = {}
    for sheet in sheets:
        fields = {k.lower(): v for k, v in sheet.fields.items()}
        named = next((fields[f] for f in TYPE_FIELDS if fields.get(f)), None)
        asset_type = str(named or types.get(sheet.asset_id or "", "") or "")
        scopes[sheet.doc_id] = FmeaScope(
            str(sources.get(sheet.doc_id, "")),
            asset_type,
            frozenset() if asset_type else frozenset(types_named(sheet, kinds)),
            frozenset(a.asset_id for a in assets if about_other_assets(sheet, a.asset_id, assets)),
        )
    return scopes


def types_named(row: Document, kinds: Iterable[str]) -> set[str]:
    """The asset types of ``kinds`` a site sheet's row names in its subsystem or component; none
    for a row with an ``asset_type`` field (it says its type). A type is named by all its words,
    or by its last one as the subsystem ("Pump" for ``dosing_pump``) or as a word of the component
    ("Centrifugal pump" for ``intake_pump``; "Conveyor rollers" for ``Belt Conveyor``, whose
    return-roller bearing row is no air compressor's), unless that word is all of another type the
    row names ("Fan bearing" names the fan, not the blower fan)."""
    if "asset_type" in row.fields:
        return set()

    def words_of(columns: tuple[str, ...]) -> set[str]:
        found = set(re.findall(r"[a-z]+", " ".join(str(row.fields.get(c, "")) for c in columns).lower()))
        return found | {w[:-1] for w in found if w.endswith("s")}  # "pumps" names pump

    words, subsystem = words_of(_WHERE), words_of(_WHERE[:1])
    component = re.findall(r"[a-z]+", str(row.fields.get("Component", "")).lower())
    heads = subsystem | {w[:-1] if w.endswith("s") else w for w in component}

    spelt = {kind: re.findall(r"[a-z]+", kind.lower()) for kind in kinds}
    full = {kind for kind, w in spelt.items() if w and set(w) <= words}
    # a type named by its last word only, where that word is all of another type the row names in
    # full ("Fan bearing": the fan, not the blower fan), is not named
    taken = {w for kind in full for w in spelt[kind]}
    last = {kind for kind, w in spelt.items() if w and w[-1] in heads and w[-1] not in taken}
    return full | last


def asset_sources(kb: KnowledgeBase) -> dict[str, str]:
    """{asset key: the source it was ingested from}."""
    return dict(kb.connection.execute("SELECT key, source FROM assets").fetchall())
