"""Series values in Parquet beside the database: one file per series, named by its content hash.

Columns: ``time`` (datetime64[ns] or int64 steps), ``v:<channel>`` (float32, NaN = not observed),
``label:<name>`` (the per-step label arrays), and ``observed:<channel>`` only for a channel whose
mask differs from "value is not NaN".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from moesaic.atomic import atomic_path
from moesaic.data.schema import Series
from moesaic.knowledge.records import load_json, store_time


def write_series(folder: Path, series: Series, relative: str) -> None:
    """Write ``series`` to ``folder / relative`` atomically (a reader sees no half-written file)."""
    columns: dict[str, Any] = {"time": series.time}
    for c, name in enumerate(series.channels):
        columns[f"v:{name}"] = series.values[:, c]
        if not np.array_equal(series.observed[:, c], ~np.isnan(series.values[:, c])):
            columns[f"observed:{name}"] = series.observed[:, c]
    for name, arr in series.labels.items():
        columns[f"label:{name}"] = arr
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    with atomic_path(folder / relative) as tmp:
        pq.write_table(table, tmp)


def read_series(
    folder: Path, row: Mapping[str, Any], start: pd.Timestamp | int | None, end: pd.Timestamp | int | None
) -> Series:
    """The series of a ``series`` table row, its values read back and cut to ``[start, end]``.

    The returned ids are keys: ``series_id`` the series key, ``asset_id`` the asset key.

    Raises:
        ValueError: a bound of the other kind of time than the series (a timestamp for a series
            indexed by steps, or the reverse).
    """
    frame = pd.read_parquet(folder / row["file"])
    channels = tuple(load_json(row["channels"]))
    time = frame["time"].to_numpy()
    keep = np.ones(len(time), dtype=bool)
    for bound, name in ((start, "start"), (end, "end")):
        if bound is None:
            continue
        stored = store_time(bound)
        if stored.kind != row["time_kind"]:
            raise ValueError(
                f"series {row['key']!r} is indexed by {row['time_kind']} but `{name}` is "
                f"{'a step' if stored.kind == 'step' else 'a timestamp'}: {bound!r}"
            )
        value = np.datetime64(stored.value, "ns") if stored.kind == "datetime" else stored.value
        keep &= (time >= value) if name == "start" else (time <= value)
    values = np.zeros((int(keep.sum()), len(channels)), dtype=np.float32)  # (T, C)
    observed = np.zeros(values.shape, dtype=bool)  # (T, C)
    for c, name in enumerate(channels):
        values[:, c] = frame[f"v:{name}"].to_numpy(np.float32)[keep]
        mask = frame.get(f"observed:{name}")
        observed[:, c] = mask.to_numpy(bool)[keep] if mask is not None else ~np.isnan(values[:, c])
    labels = {name: frame[f"label:{name}"].to_numpy()[keep] for name in load_json(row["labels"])}
    return Series(
        series_id=row["key"],
        asset_id=row["asset_key"],
        time=time[keep],
        values=values,
        channels=channels,
        observed=observed,
        labels=labels,
        meta=load_json(row["meta"]),
    )
