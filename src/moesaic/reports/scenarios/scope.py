"""Which FMEA rows speak of an asset: those written for its type, or, naming none, of its source.

A base may hold the FMEA of several plants: a pump's mechanical-seal row must not give an
excavator's hose leak its risk if deferred. An FMEA row is written for an asset type when its
document says so (an ``asset_type`` or ``equipment`` field, or the type of the asset it names);
a row of a sheet that names no type speaks of the assets of the source it was ingested with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.qa.table import terms

TYPE_FIELDS = ("asset_type", "equipment_type", "equipment")


class FmeaScope(NamedTuple):
    source: str  # the source the FMEA row was ingested from
    asset_type: str  # the asset type it is written for, "" when its sheet names none


def fmea_applies(scope: FmeaScope, source: str, asset_type: str) -> bool:
    """Whether an FMEA row of ``scope`` speaks of an asset of ``source`` and ``asset_type``: the
    row is written for that type (one's words within the other's: "excavator" and "Hydraulic
    excavator"), or, where either type is unknown, comes from the asset's own source."""
    if scope.asset_type and asset_type:
        row, asset = set(terms(scope.asset_type)), set(terms(asset_type))
        return row <= asset or asset <= row
    return scope.source == source


def fmea_scopes(
    kb: KnowledgeBase, sheets: tuple[Document, ...], types: Mapping[str, str]
) -> dict[str, FmeaScope]:
    """{FMEA row id: its scope} for the FMEA documents ``sheets`` of ``kb``; ``types`` maps asset
    keys to their types."""
    query = "SELECT key, source FROM documents WHERE kind = 'fmea'"
    sources = dict(kb.connection.execute(query).fetchall())
    scopes = {}
    for sheet in sheets:
        fields = {k.lower(): v for k, v in sheet.fields.items()}
        named = next((fields[f] for f in TYPE_FIELDS if fields.get(f)), None)
        asset_type = str(named or types.get(sheet.asset_id or "", "") or "")
        scopes[sheet.doc_id] = FmeaScope(str(sources.get(sheet.doc_id, "")), asset_type)
    return scopes


def asset_sources(kb: KnowledgeBase) -> dict[str, str]:
    """{asset key: the source it was ingested from}."""
    return dict(kb.connection.execute("SELECT key, source FROM assets").fetchall())
