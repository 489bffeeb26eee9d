"""Reading a plant folder (simulated, or a user's in the same layout) into the one schema.

Only ``assets.csv`` and ``series/`` are required; every other file is optional, so a user's
folder with an asset register, sensor files and a CMMS export loads too. Every file goes
through :mod:`moesaic.data.tables`, so a damaged file ends in one :class:`DataFormatError`
naming the file, the line and the column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from moesaic.data.schema import Asset, Series
from moesaic.data.simulator.cells import (
    check_known,
    check_unique,
    line_of,
    read_table,
    text_cells,
    typed_column,
)
from moesaic.data.simulator.faults import FAULT_CODES
from moesaic.data.simulator.writer import FORMAT, FORMAT_VERSION
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked, read_text_checked
from moesaic.data.times import time_column


def read_manifest(path: Path) -> dict[str, Any]:
    text = read_text_checked(path)
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, f"not valid JSON: {err.msg}", line=err.lineno) from None
    if not isinstance(manifest, dict):
        raise DataFormatError(path, f"expected a JSON object, found {type(manifest).__name__}")
    if manifest.get("format", FORMAT) != FORMAT or int(manifest.get("format_version", 1)) > FORMAT_VERSION:
        raise DataFormatError(
            path,
            f"expected format {FORMAT!r} version <= {FORMAT_VERSION}, found "
            f"{manifest.get('format')!r} version {manifest.get('format_version')!r}",
        )
    return manifest


def read_assets(path: Path) -> tuple[Asset, ...]:
    frame = read_csv_checked(path, required=("asset_id", "asset_type"), dtype=str)
    ids = text_cells(frame, "asset_id")
    check_unique(ids, path, "asset_id")
    types = text_cells(frame, "asset_type")
    extra = {c: typed_column(frame, c) for c in frame.columns if c not in ("asset_id", "asset_type")}
    return tuple(
        Asset(asset_id=a, asset_type=t, attributes={c: v[i] for c, v in extra.items()})
        for i, (a, t) in enumerate(zip(ids, types, strict=True))
    )


def read_ground_truth(path: Path, assets: Mapping[str, Asset]) -> pd.DataFrame:
    """The faults, with ``onset``/``end`` as timestamps and ``channels`` as tuples."""
    frame = read_table(path, ("fault_id", "asset_id", "fault_type", "onset", "end"))
    check_unique(text_cells(frame, "fault_id"), path, "fault_id")
    check_known(text_cells(frame, "asset_id"), assets, path, "asset_id", "asset")
    onset = time_column(frame, "onset", path, unique=False)
    end = time_column(frame, "end", path, unique=False)
    bad = np.flatnonzero(end < onset)
    if len(bad):
        raise DataFormatError(path, "`end` is before `onset`", line=line_of(int(bad[0])), column="end")
    severity = (
        numeric_column(frame, "severity", path)
        if "severity" in frame.columns
        else np.full(len(frame), np.nan)
    )
    out = pd.DataFrame({c: text_cells(frame, c) for c in frame.columns})
    out["onset"], out["end"], out["severity"] = onset, end, severity
    out["channels"] = [tuple(c for c in cell.split(";") if c) for cell in text_cells(frame, "channels")]
    flags = [c.lower() for c in text_cells(frame, "detected_by_wo")]
    for i, flag in enumerate(flags):
        if flag not in ("true", "false", ""):
            raise DataFormatError(
                path, f"expected true or false, found {flag!r}", line=line_of(i), column="detected_by_wo"
            )
    out["detected_by_wo"] = [f == "true" for f in flags]
    return out


def _read_series_table(path: Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(T,) times, channel names and (T, C) float32 values of one series file (Parquet or CSV)."""
    if path.suffix == ".csv":
        frame = read_csv_checked(path, required=("time",), dtype=str)
        names = [c for c in frame.columns if c != "time"]
        values = (
            np.column_stack([numeric_column(frame, c, path) for c in names])
            if names
            else np.zeros((len(frame), 0))
        )
        return time_column(frame, "time", path), names, values.astype(np.float32)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise DataFormatError(path, f"not a readable Parquet file ({err})") from None
    names = list(table.column_names)
    if "time" not in names:
        raise DataFormatError(path, f"missing column 'time'; found columns {names}", column="time")
    time_type = table.schema.field("time").type
    if pa.types.is_timestamp(time_type) or pa.types.is_date(time_type):
        times = table.column("time").to_numpy().astype("datetime64[ns]")
        if np.isnat(times).any():
            raise DataFormatError(
                path,
                f"expected a timestamp, found an empty cell in row "
                f"{int(np.flatnonzero(np.isnat(times))[0]) + 1}",
                column="time",
            )
    elif pa.types.is_string(time_type) or pa.types.is_large_string(time_type):
        frame = pd.DataFrame({"time": table.column("time").to_pylist()})
        times = time_column(frame, "time", path, header_lines=0)
    else:
        raise DataFormatError(path, f"expected timestamps, found {time_type}", column="time")
    channels = [n for n in names if n != "time"]
    columns = []
    for name in channels:
        field_type = table.schema.field(name).type
        if not (pa.types.is_floating(field_type) or pa.types.is_integer(field_type)):
            raise DataFormatError(path, f"expected numbers, found {field_type}", column=name)
        column = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        if np.isinf(column).any():
            raise DataFormatError(
                path,
                f"expected finite numbers, found infinity in row "
                f"{int(np.flatnonzero(np.isinf(column))[0]) + 1}",
                column=name,
            )
        columns.append(column)
    values = np.column_stack(columns) if columns else np.zeros((len(times), 0))
    back = np.flatnonzero(np.diff(times.astype(np.int64)) <= 0) if len(times) > 1 else np.array([], dtype=int)
    if len(back):
        raise DataFormatError(
            path, f"times must increase; row {int(back[0]) + 2} is not after the one before", column="time"
        )
    return times, channels, values.astype(np.float32)


def fault_codes(truth: pd.DataFrame | None) -> dict[str, int]:
    """Codes of the fault types: the built-in ones, then any others found in ``truth``, sorted."""
    codes = dict(FAULT_CODES)
    if truth is not None:
        for name in sorted(set(truth["fault_type"]) - set(codes)):
            codes[name] = len(codes) + 1
    return codes


def read_series(
    folder: Path,
    assets: Mapping[str, Asset],
    truth: pd.DataFrame | None,
    units: Mapping[str, Mapping[str, str]],
) -> tuple[Series, ...]:
    """Every series file of ``folder`` with per-step ``fault`` codes and ``anomaly`` flags from ``truth``."""
    if not folder.is_dir():
        raise DataFormatError(folder, "expected a folder `series` with one Parquet or CSV file per asset")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".parquet", ".csv"))
    if not files:
        raise DataFormatError(folder, "no series files (<asset_id>.parquet or .csv) found")
    codes = fault_codes(truth)
    names = {code: name for name, code in codes.items()} | {0: "normal"}
    truth_rows = truth.to_dict("records") if truth is not None else []
    out = []
    for path in files:
        if path.stem not in assets:
            raise DataFormatError(
                path,
                f"no asset {path.stem!r} in assets.csv; name each series file after "
                "the asset_id it belongs to",
            )
        times, channels, values = _read_series_table(path)
        fault = np.zeros(len(times), dtype=np.int16)
        for position, row in enumerate(truth_rows):
            if row["asset_id"] != path.stem:
                continue
            unknown = [c for c in row["channels"] if c not in channels]
            if unknown:
                raise DataFormatError(
                    path.parent.parent / "ground_truth.csv",
                    f"channel(s) {unknown} are not in {path.name}, whose channels are {channels}",
                    line=line_of(position),
                    column="channels",
                )
            fault[(times >= row["onset"]) & (times <= row["end"])] = codes[str(row["fault_type"])]
        asset = assets[path.stem]
        out.append(
            Series(
                series_id=path.stem,
                asset_id=path.stem,
                time=times,
                values=values,
                channels=tuple(channels),
                observed=~np.isnan(values),
                labels={"fault": fault, "anomaly": (fault > 0).astype(np.int8)},
                meta={
                    "source": str(path),
                    "asset_type": asset.asset_type,
                    "fault_type": names,
                    "units": dict(units.get(asset.asset_type, {})),
                },
            )
        )
    return tuple(out)
