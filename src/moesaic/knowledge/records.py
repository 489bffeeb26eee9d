"""How records are written into the knowledge base and read back: keys, JSON values and times.

Keys. Two sources can both hold an asset "1", so every stored id is namespaced by its source:
``key = "<source>:<original id>"`` (for example ``excavator_mwo:A`` or ``plant:WO100001``). A
source name never holds ``:``, so the first ``:`` splits a key; the original id is kept in its
own column too. Links to assets are stored as asset keys in the same scheme.

Values. Free fields (``attributes``, ``fields``, ``meta``, title blocks, boxes) are stored as JSON
with sorted keys, so equal content gives equal text and equal content hashes. Timestamps inside
them travel as ``{"$time": "<ISO 8601>"}`` and come back as ``pd.Timestamp``; tuples come back
as lists, numpy scalars as Python numbers, and a value of any other type as its text.

Times. Record times are stored as integers with a ``time_kind``: ``"datetime"`` for nanoseconds
since 1970 (UTC; time-zone-aware times come back naive in UTC) or ``"step"`` for step indices
(cycles, run numbers), so windows are plain integer comparisons in SQL.

Reading back, ``row_asset`` / ``row_event`` / ``row_document`` / ``row_drawing`` turn a stored row
into the schema record with its key as id and its asset key as ``asset_id``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.schema import Asset, Document, Drawing, Event

SOURCE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
TIME_TAG = "$time"


class KeyParts(NamedTuple):
    source: str
    original_id: str


def make_key(source: str, original_id: str) -> str:
    """The stored key of ``original_id`` from ``source``; "" stays "" (no link)."""
    return f"{source}:{original_id}" if original_id else ""


def split_key(key: str) -> KeyParts:
    """The source and original id of a stored key.

    Raises:
        ValueError: ``key`` has no ``:``, so it is not a stored key.
    """
    source, sep, original = key.partition(":")
    if not sep:
        raise ValueError(f"{key!r} is not a knowledge-base key; expected '<source>:<original id>'")
    return KeyParts(source, original)


def check_source(source: str) -> str:
    """``source`` when it is a valid source name (letters, digits, ``_ . -``), else ValueError."""
    if not isinstance(source, str) or not SOURCE_PATTERN.match(source):
        raise ValueError(f"`source` must be a name of letters, digits, '_', '.' or '-', got {source!r}")
    return source


def clean_source(name: str) -> str:
    """A valid source name made from any text (a folder name): other characters become ``_``."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")
    return cleaned or "source"


def _plain(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (see the module docstring for what each type becomes)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        return None if pd.isna(stamp) else {TIME_TAG: stamp.isoformat()}
    if isinstance(value, date):
        return {TIME_TAG: pd.Timestamp(value).isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return [_plain(v) for v in items]
    if isinstance(value, Path):
        return str(value)
    if value is pd.NaT:
        return None
    return str(value)


def dump_json(value: Any) -> str:
    """Canonical JSON text of ``value``: sorted keys, no spaces, NaN kept as ``NaN``."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and TIME_TAG in value:
            return pd.Timestamp(value[TIME_TAG])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def load_json(text: str | None) -> Any:
    """The value of a JSON column, timestamps revived."""
    return None if text is None else _revive(json.loads(text))


def content_hash(*parts: str | bytes) -> str:
    """sha256 of the parts, each length-prefixed so that ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class StoredTime(NamedTuple):
    kind: str | None  # "datetime", "step" or None when there is no time
    value: int | None


def store_time(value: Any) -> StoredTime:
    """A record time as (kind, integer): nanoseconds for datetimes, the index for steps."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return StoredTime(None, None)
    if isinstance(value, bool):
        raise TypeError(f"expected a timestamp or an integer step, got {value!r}")
    if isinstance(value, int | np.integer):
        return StoredTime("step", int(value))
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return StoredTime(None, None)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return StoredTime("datetime", int(stamp.value))


def revive_time(kind: str | None, value: int | None) -> pd.Timestamp | int | None:
    """The inverse of :func:`store_time`."""
    if kind is None or value is None:
        return None
    return pd.Timestamp(int(value)) if kind == "datetime" else int(value)


def window_bound(value: pd.Timestamp | int | str | None, name: str) -> int | None:
    """A window bound given by a caller (``start`` / ``end``) as a stored integer, or None."""
    if value is None:
        return None
    try:
        return store_time(value if isinstance(value, int) else pd.Timestamp(value)).value
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{name}` must be a timestamp or an integer step, got {value!r}") from err


# ----------------------------------------------------------------- rows back to the schema


def row_asset(r: Mapping[str, Any]) -> Asset:
    return Asset(asset_id=r["key"], asset_type=r["asset_type"], attributes=load_json(r["attributes"]))


def row_document(r: Mapping[str, Any]) -> Document:
    time = revive_time(r["time_kind"], r["t_time"])
    return Document(
        doc_id=r["key"],
        kind=r["kind"],
        text=r["text"],
        asset_id=r["asset_key"],
        time=time if isinstance(time, pd.Timestamp) else None,
        fields=load_json(r["fields"]),
    )


def row_event(r: Mapping[str, Any]) -> Event:
    return Event(
        event_id=r["key"],
        asset_id=r["asset_key"],
        kind=r["kind"],
        label=r["label"],
        start=revive_time(r["time_kind"], r["t_start"]),
        end=revive_time(r["time_kind"], r["t_end"]),
        channels=tuple(load_json(r["channels"])),
        severity=r["severity"],
        fields=load_json(r["fields"]),
    )


def row_drawing(r: Mapping[str, Any]) -> Drawing:
    return Drawing(
        drawing_id=r["key"],
        path=Path(r["path"]),
        asset_id=r["asset_key"],
        width=r["width"],
        height=r["height"],
        title_block=load_json(r["title_block"]),
        boxes=tuple(load_json(r["boxes"])),
        fields=load_json(r["fields"]),
    )
