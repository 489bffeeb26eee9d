"""Reading the record files of a plant folder: events, work orders, FMEA rows and drawings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from moesaic.data.readers_fmea import check_score_range
from moesaic.data.schema import EVENT_KINDS, Asset, Document, Drawing, Event
from moesaic.data.simulator.cells import (
    check_known,
    check_unique,
    line_of,
    read_table,
    text_cells,
    times_allow_empty,
)
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked, read_text_checked
from moesaic.data.times import time_column

_EVENT_NUMERIC = ("severity", "threshold", "peak")
_WO_NUMERIC = ("priority", "cost", "labour_hours")
_FMEA_SCORES = ("severity", "occurrence", "detection")


def _stamp(value: np.datetime64) -> pd.Timestamp | None:
    return None if np.isnat(value) else pd.Timestamp(value)


def _numbers(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> dict[str, np.ndarray]:
    return {c: numeric_column(frame, c, path) for c in columns if c in frame.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_events(path: Path, assets: Mapping[str, Asset]) -> tuple[Event, ...]:
    frame = read_table(path, ("event_id", "asset_id", "kind", "label", "start"))
    check_unique(text_cells(frame, "event_id"), path, "event_id")
    check_known(text_cells(frame, "asset_id"), assets, path, "asset_id", "asset")
    kinds = text_cells(frame, "kind")
    for i, kind in enumerate(kinds):
        if kind not in EVENT_KINDS:
            raise DataFormatError(
                path, f"expected one of {list(EVENT_KINDS)}, found {kind!r}", line=line_of(i), column="kind"
            )
    start = time_column(frame, "start", path, unique=False)
    end = times_allow_empty(frame, "end", path, "start") if "end" in frame.columns else start
    numbers = _numbers(frame, _EVENT_NUMERIC, path)
    core = ("event_id", "asset_id", "kind", "label", "start", "end", "channels", *_EVENT_NUMERIC)
    extra_cells = {c: text_cells(frame, c) for c in frame.columns if c not in core}
    channels = text_cells(frame, "channels")
    end = np.where(np.isnat(end), start, end)  # an empty end: an instant event
    events = []
    for i, (event_id, asset_id, label) in enumerate(
        zip(
            text_cells(frame, "event_id"),
            text_cells(frame, "asset_id"),
            text_cells(frame, "label"),
            strict=True,
        )
    ):
        fields: dict[str, Any] = {c: v[i] for c, v in extra_cells.items()}
        fields.update({c: _plain(float(v[i])) for c, v in numbers.items() if c != "severity"})
        severity = float(numbers["severity"][i]) if "severity" in numbers else np.nan
        events.append(
            Event(
                event_id=event_id,
                asset_id=asset_id,
                kind=kinds[i],
                label=label,
                start=_stamp(start[i]),
                end=_stamp(end[i]),
                channels=tuple(c for c in channels[i].split(";") if c),
                severity=None if np.isnan(severity) else severity,
                fields=fields,
            )
        )
    return tuple(events)


def fault_events(truth: pd.DataFrame) -> tuple[Event, ...]:
    """Events of kind "fault" built from the ground truth, for folders without ``events.csv``."""
    keep = [
        c
        for c in truth.columns
        if c not in ("fault_id", "asset_id", "fault_type", "onset", "end", "channels", "severity")
    ]
    return tuple(
        Event(
            event_id=r["fault_id"],
            asset_id=r["asset_id"],
            kind="fault",
            label=r["fault_type"],
            start=pd.Timestamp(r["onset"]),
            end=pd.Timestamp(r["end"]),
            channels=r["channels"],
            severity=None if np.isnan(r["severity"]) else float(r["severity"]),
            fields={"fault_id": r["fault_id"], **{c: r[c] for c in keep}},
        )
        for r in truth.to_dict("records")
    )


def read_work_orders(path: Path, assets: Mapping[str, Asset]) -> tuple[Document, ...]:
    frame = read_table(path, ("wo_id", "asset_id", "created", "text"))
    check_unique(text_cells(frame, "wo_id"), path, "wo_id")
    check_known(text_cells(frame, "asset_id"), assets, path, "asset_id", "asset")
    created = time_column(frame, "created", path, unique=False)
    finished = times_allow_empty(frame, "finished", path, "created") if "finished" in frame.columns else None
    if finished is not None:
        early = np.flatnonzero(~np.isnat(finished) & (finished < created))
        if len(early):
            raise DataFormatError(
                path, "`finished` is before `created`", line=line_of(int(early[0])), column="finished"
            )
    numbers = _numbers(frame, _WO_NUMERIC, path)
    extra = [
        c
        for c in frame.columns
        if c not in ("wo_id", "asset_id", "created", "finished", "text", *_WO_NUMERIC)
    ]
    texts, ids, asset_ids = (
        text_cells(frame, "text"),
        text_cells(frame, "wo_id"),
        text_cells(frame, "asset_id"),
    )
    extra_cells = {c: text_cells(frame, c) for c in extra}
    docs = []
    for i in range(len(frame)):
        fields: dict[str, Any] = {c: v[i] for c, v in extra_cells.items()}
        fields.update({c: _plain(float(v[i])) for c, v in numbers.items()})
        if finished is not None:
            fields["finished"] = _stamp(finished[i])
        docs.append(
            Document(
                doc_id=ids[i],
                kind="work_order",
                text=texts[i],
                asset_id=asset_ids[i],
                time=_stamp(created[i]),
                fields=fields,
            )
        )
    return tuple(docs)


def read_fmea(path: Path) -> tuple[Document, ...]:
    frame = read_csv_checked(path, required=("asset_type", "failure_mode"), dtype=str)
    ids = (
        text_cells(frame, "fmea_id")
        if "fmea_id" in frame.columns
        else [f"FMEA-{i + 1}" for i in range(len(frame))]
    )
    check_unique(ids, path, "fmea_id")
    numbers = _numbers(frame, (*_FMEA_SCORES, "rpn"), path)
    check_score_range(frame, numbers, path)  # as for a user's FMEA sheet
    cells = {c: text_cells(frame, c) for c in frame.columns if c not in numbers}
    docs = []
    for i in range(len(frame)):
        row = {c: v[i] for c, v in cells.items()}
        parts = [f"{row['asset_type']} {row.get('component', '')}".strip() + f": {row['failure_mode']}."]
        for key, label in (
            ("effects", "Effects"),
            ("causes", "Causes"),
            ("current_controls", "Controls"),
            ("recommended_action", "Recommended action"),
        ):
            if row.get(key):
                parts.append(f"{label}: {row[key]}.")
        fields = {**row, **{c: _plain(float(v[i])) for c, v in numbers.items()}}
        docs.append(Document(doc_id=ids[i], kind="fmea", text=" ".join(parts), fields=fields))
    return tuple(docs)


def _read_truth_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(read_text_checked(path))
    except json.JSONDecodeError as err:
        raise DataFormatError(path, f"not valid JSON: {err.msg}", line=err.lineno) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DataFormatError(path, "expected an object mapping each drawing_id to its ground truth")
    return data


def read_drawings(folder: Path, assets: Mapping[str, Asset]) -> tuple[Drawing, ...]:
    """``drawings.csv`` (with ``drawings.json`` when present); each image must exist and open."""
    path = folder / "drawings.csv"
    frame = read_csv_checked(path, required=("drawing_id", "path"), dtype=str)
    ids = text_cells(frame, "drawing_id")
    check_unique(ids, path, "drawing_id")
    truth = _read_truth_json(folder / "drawings.json")
    types = text_cells(frame, "asset_type")
    drawings = []
    for i, (drawing_id, rel) in enumerate(zip(ids, text_cells(frame, "path"), strict=True)):
        image_path = folder / rel
        if not rel or not image_path.is_file():
            raise DataFormatError(
                path, f"image {rel!r} not found in {folder}", line=line_of(i), column="path"
            )
        try:
            with Image.open(image_path) as image:
                width, height = image.size
        except (UnidentifiedImageError, OSError) as err:
            raise DataFormatError(image_path, f"not a readable image ({err})") from None
        info = truth.get(drawing_id, {})
        if info and (info.get("width"), info.get("height")) != (width, height):
            raise DataFormatError(
                folder / "drawings.json",
                f"drawing {drawing_id!r} is declared "
                f"{info.get('width')}x{info.get('height')} but {rel} is {width}x{height}",
            )
        fields = {
            k: v for k, v in info.items() if k not in ("title_block", "boxes", "width", "height", "path")
        }
        fields.setdefault("asset_type", types[i])
        fields.setdefault("part_number", text_cells(frame, "part_number")[i])
        fields["asset_ids"] = sorted(
            a.asset_id for a in assets.values() if a.asset_type == fields["asset_type"]
        )
        drawings.append(
            Drawing(
                drawing_id=drawing_id,
                path=image_path,
                width=width,
                height=height,
                title_block=dict(info.get("title_block", {})),
                boxes=tuple(info.get("boxes", ())),
                fields=fields,
            )
        )
    return tuple(drawings)
