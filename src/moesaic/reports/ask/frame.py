"""The dated records of a base as one table: work orders and other documents, events, with facets.

A *facet* is a column a question can count, filter or group by: ``component``, ``failure_code``,
``failure_mode``, ``action``, ``part_number``. Sources name them differently (``Part`` and
``MajorSystem`` in the excavator work orders, ``primary_code`` and ``collection`` in
AssetOpsBench, ``component`` in the simulator), so each facet is the first non-empty field of a
priority list (:data:`FACET_FIELDS`, names compared lower-cased with other characters as ``_``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.links import field_key
from moesaic.knowledge.records import load_json, revive_time

FACET_FIELDS: dict[str, tuple[str, ...]] = {
    "component": (
        "component",
        "components",
        "part",
        "sub_component",
        "majorsystem",
        "collection",
        "subsystem",
    ),
    "failure_code": ("failure_code", "failure_codes", "primary_code", "error_code"),
    "failure_mode": ("failure_mode", "fm", "fault_type", "failure_modes"),
    "action": ("action", "actions", "action_taken"),
    "part_number": ("part_number", "part_numbers"),
    # The system a part belongs to, where the records give both ("MajorSystem" beside "Part"); a
    # question about "systems" falls back on the component where they give none.
    "system": ("majorsystem", "major_system", "subsystem", "system"),
}
FACETS = tuple(FACET_FIELDS)
INSTALL_YEAR = "install year"
NUMERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "cost": ("cost", "total_cost", "costs"),
    "labour hours": ("labour_hours", "labor_hours", "actual_labor_hours"),
    "duration": ("downtime_hours", "downtime", "duration_hours", "duration", "runningtime"),
}
DURATION_IN_HOURS = "_duration_in_hours"
"""The records frame's column saying a record's duration came from a field in hours."""
DURATION_FROM_DATES = "_duration_from_dates"
"""The records frame's column saying a record's duration is the time from its date to its
``completed`` field (a work order that records no downtime)."""
# Record kinds a question may count: the patterns that name them -> (table, kinds). "Failure
# mode", "failure code" and "fault type" name facets, not records.
RECORD_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "work order": ("documents", ("work_order",)),
    r"job(?!\s*(?:types?|codes?))": ("documents", ("work_order",)),
    "maintenance record": ("documents", ("work_order",)),
    "alarm": ("events", ("alarm",)),
    "alert": ("events", ("alarm",)),
    r"(?:fault|failure) types?": (
        "events",
        ("fault", "failure"),
    ),  # "the most common fault type": of the faults
    r"fault(?!\s*(?:types?|codes?))": ("events", ("fault",)),
    r"failure(?!\s*(?:modes?|codes?|types?))": ("events", ("failure", "fault")),
    "anomal": ("events", ("anomaly",)),
    "event": ("events", ("fault", "alarm", "anomaly", "work_order", "failure", "maintenance", "other")),
}
_DATED_DOCUMENTS = ("work_order", "text", "annotation")
# Fields read as facets or numbers already, or that identify rather than describe a record.
_KNOWN_FIELDS = frozenset(
    [n for names in (*FACET_FIELDS.values(), *NUMERIC_FIELDS.values()) for n in names]
    + ["wo_id", "id", "asset_id", "asset", "text", "date", "time", "start", "end", "description"]
)


def _first(fields: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    by_name = {field_key(k): v for k, v in fields.items()}
    for name in names:
        value = by_name.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value if str(v).strip())
        if value is not None and str(value).strip() and value == value:
            return value
    return None


def _row(
    table: str, key: str, asset: str, kind: str, time: Any, text: str, fields: Mapping[str, Any]
) -> dict:
    row: dict[str, Any] = {
        "table": table,
        "key": key,
        "asset": asset,
        "kind": kind,
        "time": time,
        "text": text,
    }
    for facet, names in FACET_FIELDS.items():
        value = _first(fields, names)
        row[facet] = "" if value is None else " ".join(str(value).split())
    for name, names in NUMERIC_FIELDS.items():
        value = _first(fields, names)
        row[name] = pd.to_numeric(value, errors="coerce") if value is not None else float("nan")
    # a duration read from a field named in hours (downtime_hours) is stated with its unit
    row[DURATION_IN_HOURS] = any(field_key(k) in ("downtime_hours", "duration_hours") for k in fields)
    row["end"] = _completed(fields)
    row[DURATION_FROM_DATES] = False
    end = row["end"]
    # a completion before the report is a slip in the file, not a duration
    if (
        row["duration"] != row["duration"]
        and isinstance(time, pd.Timestamp)
        and end is not None
        and end >= time
    ):
        row["duration"] = (end - time).total_seconds() / 3600.0
        row[DURATION_IN_HOURS] = row[DURATION_FROM_DATES] = True
    row["fields"] = {
        str(k).strip(): " ".join(str(v).split())
        for k, v in fields.items()
        if field_key(k) not in _KNOWN_FIELDS and _plain(v)
    }
    return row


def _completed(fields: Mapping[str, Any]) -> pd.Timestamp | None:
    """When the record's work was finished: its ``completed`` field as the work-order reader writes
    it (``YYYY-MM-DD hh:mm:ss``); None without one."""
    value = next((v for k, v in fields.items() if field_key(k) == "completed"), None)
    if not isinstance(value, str):
        return None
    stamp = pd.to_datetime(value, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return None if pd.isna(stamp) else stamp


def _plain(value: Any) -> bool:
    """True for a non-empty text or a number (not NaN, not a list or a mapping)."""
    return isinstance(value, str | int | float) and value == value and bool(str(value).strip())


def _word_fields(asset_type: str, attributes: Mapping[str, Any]) -> dict[str, str]:
    """An asset's type as ``asset_type`` and its attributes that are words ("site",
    "manufacturer", "criticality"). Numbers (an install year, a count the source keeps such as
    the excavators' "work_orders") and lists ("flow;pressure") are left out: a question about them
    is not about the records."""
    fields = {"asset_type": asset_type, **attributes}
    return {
        str(k).strip(): " ".join(v.split())
        for k, v in fields.items()
        if isinstance(v, str) and v.strip() and ";" not in v
    }


INSTALL_FIELDS = (
    "install_year", "installation_year", "year_installed", "installed", "installation_date", "install_date",
    "commissioning_year", "commissioned", "commissioning_date", "year_built", "build_year", "built",
)  # fmt: skip
"""Asset attributes (names compared as :func:`field_key` writes them) that give the year an asset
was installed: a year, or a date whose year is taken."""


def _install_year(attributes: Mapping[str, Any]) -> float:
    """The year an asset was installed, from the first of :data:`INSTALL_FIELDS` it has; NaN
    when it has none."""
    fields = {field_key(k): v for k, v in attributes.items()}
    value = next((fields[n] for n in INSTALL_FIELDS if n in fields and _plain(fields[n])), None)
    found = None if value is None else re.search(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)", str(value))
    return float(found.group(0)) if found else float("nan")


def load_records(base: KnowledgeBase) -> pd.DataFrame:
    """One row per work order (and other dated document) and per event, ordered by time.

    Columns: ``table``, ``key``, ``asset`` (asset key or ""), ``kind``, ``time`` (Timestamp, NaT
    when undated or stepped), ``end`` (when the work was completed, NaT when not recorded),
    ``text``, the :data:`FACETS` (text, "" when absent), the :data:`NUMERIC_FIELDS` (float, NaN
    when absent; a record that gives no duration but an ``end`` after its ``time``: the hours
    between them, marked in :data:`DURATION_FROM_DATES`), ``install year`` (the year the record's asset
    was installed, from its attributes :data:`INSTALL_FIELDS`; NaN when unknown) and ``fields``:
    the record's other fields ({name as written: text}, such as a plant's own "Priorität" or
    "Techniker" columns), then its asset's words ("asset_type", "site", "manufacturer", ...; not
    its numbers) where the record has no field of that name, so a question may count or group
    records by them ("work orders at the Geleen site", "which manufacturer's machines fail most").
    Event labels fill ``failure_mode`` of faults, failures and anomalies that name none.
    """
    rows = []
    c = base.connection
    marks = ", ".join("?" for _ in _DATED_DOCUMENTS)
    query = (
        f"SELECT key, asset_key, kind, time_kind, t_time, text, fields FROM documents WHERE kind IN ({marks})"
    )
    for key, asset, kind, time_kind, t_time, text, fields in c.execute(query, _DATED_DOCUMENTS):
        time = revive_time(time_kind, t_time)
        rows.append(_row("documents", key, asset, kind, time, text, load_json(fields) or {}))
    query = "SELECT key, asset_key, kind, label, time_kind, t_start, fields FROM events"
    for key, asset, kind, label, time_kind, t_start, fields in c.execute(query):
        row = _row(
            "events", key, asset, kind, revive_time(time_kind, t_start), label, load_json(fields) or {}
        )
        if kind in ("fault", "failure", "anomaly") and not row["failure_mode"]:
            row["failure_mode"] = label
        rows.append(row)
    assets = {}
    for key, asset_type, attributes in c.execute("SELECT key, asset_type, attributes FROM assets"):
        held = load_json(attributes) or {}
        assets[key] = (_word_fields(asset_type, held), _install_year(held))
    for row in rows:  # the asset's own fields, where the record has no field of that name
        described, row[INSTALL_YEAR] = assets.get(row["asset"], ({}, float("nan")))
        own = {field_key(k) for k in row["fields"]}
        row["fields"].update({k: v for k, v in described.items() if field_key(k) not in own})
    columns = [
        "table",
        "key",
        "asset",
        "kind",
        "time",
        "text",
        *FACETS,
        *NUMERIC_FIELDS,
        DURATION_IN_HOURS,
        DURATION_FROM_DATES,
        "end",
        INSTALL_YEAR,
        "fields",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("time", "end"):
        stamps = [t if isinstance(t, pd.Timestamp) else pd.NaT for t in frame[name]]
        frame[name] = pd.to_datetime(pd.Series(stamps, index=frame.index, dtype="object"))
    return frame.sort_values(["time", "key"], kind="stable", na_position="last").reset_index(drop=True)
