"""One series per asset from several files of that asset.

Historians and condition-monitoring systems often export an asset's readings in more than one
file: one per month (the same channels, later times) or one per system (process values in one
file, vibration in another, sampled at another rate). :func:`merge_asset_series` joins such
parts into the single series the rest of moesaic expects for an asset:

- parts with the same channels are placed end to end in time; a timestamp two files both hold
  is read once when their readings agree, and refused when they differ;
- parts with different channels are joined on the times of the part with the most rows; each
  other part gives, at each of those times, its latest reading at most one of its own sampling
  steps old (a 10-minute vibration reading holds for the ten 1-minute rows after it); a warning
  counts the readings this leaves unused (outside the joined span, or finer than its rows).

A channel two parts with different channel sets both hold is refused: which file's reading
should win is not ours to guess.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError

__all__ = ["merge_asset_series"]

log = logging.getLogger(__name__)


def merge_asset_series(asset_id: str, parts: Sequence[Series], folder: Path) -> Series:
    """Join the series read from several files of one asset (rules in the module docstring).

    Args:
        asset_id: the asset, also the merged series' id.
        parts: the files' series, each with ``meta["source"]`` naming its file.
        folder: named in error messages.

    Raises:
        DataFormatError: parts mixing timestamps and step numbers, a timestamp held by two files
            with different readings, or a channel held by two parts with different channels.
    """
    if len(parts) == 1:
        return dataclasses.replace(parts[0], series_id=asset_id, asset_id=asset_id)
    kinds = {
        _source(p): "timestamps" if np.issubdtype(p.time.dtype, np.datetime64) else "step numbers"
        for p in parts
    }
    if len(set(kinds.values())) > 1:
        raise DataFormatError(folder, f"files of asset {asset_id!r} mix timestamps and step numbers: {kinds}")
    groups: dict[tuple[str, ...], list[Series]] = {}
    for part in parts:
        groups.setdefault(part.channels, []).append(part)
    runs = [_end_to_end(asset_id, same, folder) for same in groups.values()]
    _refuse_shared_channels(asset_id, list(groups), folder)
    base = max(runs, key=len)
    frame = base.copy()
    for other in (r for r in runs if r is not base):
        frame = _hold_onto(frame, other.drop(columns=[c for c in other.columns if c in frame]), asset_id)
    sources = [_source(p) for p in parts]
    channels = [c for names in groups for c in names]
    labels = {
        name: _filled(frame[name].to_numpy()) for name in dict.fromkeys(n for p in parts for n in p.labels)
    }
    meta = {
        **dict(parts[0].meta),
        "source": ", ".join(sources),
        "files": sources,
        "index_columns": sorted({c for p in parts for c in p.meta.get("index_columns", ())}),
        "utc": any(p.meta.get("utc") for p in parts),
    }
    text = sorted({c for p in parts for c in p.meta.get("text_columns", ())})
    meta.pop("text_columns", None)
    if text:
        meta["text_columns"] = text
    log.info("%s: asset %s read from %d files: %s", folder, asset_id, len(parts), ", ".join(sources))
    return Series.from_frame(
        frame[channels],
        series_id=asset_id,
        asset_id=asset_id,
        time=frame.index.to_numpy(),
        labels=labels,
        meta=meta,
    )


def _source(part: Series) -> str:
    return Path(str(part.meta.get("source") or part.series_id)).name


def _frame(part: Series) -> pd.DataFrame:
    frame = pd.DataFrame(part.values, columns=list(part.channels), index=pd.Index(part.time, name="time"))
    for name, label in part.labels.items():
        frame[name] = label
    frame["_file"] = _source(part)
    return frame


def _end_to_end(asset_id: str, same: Sequence[Series], folder: Path) -> pd.DataFrame:
    """Parts with one channel set, in time order; a timestamp held twice is kept once when both
    readings agree."""
    frame = pd.concat([_frame(p) for p in same]).sort_index(kind="stable")
    twice = frame.index.duplicated(keep="first")
    if twice.any():
        values = frame.drop(columns="_file")
        first = values[~twice]
        again = values[twice]
        differs = ~(first.loc[again.index].to_numpy() == again.to_numpy()) & ~(
            pd.isna(first.loc[again.index].to_numpy()) & pd.isna(again.to_numpy())
        )
        if differs.any():
            row = int(np.flatnonzero(differs.any(axis=1))[0])
            when = again.index[row]
            files = sorted(set(frame.loc[[when], "_file"]))
            raise DataFormatError(
                folder,
                f"files {files} of asset {asset_id!r} both hold time {when} with different readings; "
                "expected one reading per time",
            )
        frame = frame[~twice]
    return frame.drop(columns="_file")


def _refuse_shared_channels(asset_id: str, channel_sets: Sequence[tuple[str, ...]], folder: Path) -> None:
    seen: set[str] = set()
    for names in channel_sets:
        shared = seen.intersection(names)
        if shared:
            raise DataFormatError(
                folder,
                f"column {sorted(shared)[0]!r} of asset {asset_id!r} is in files with different columns; "
                "expected each column in one set of files (the same columns, other times)",
            )
        seen.update(names)


def _step(index: pd.Index) -> int | pd.Timedelta:
    """The part's typical sampling step: its median step (0 for a single row)."""
    steps = pd.Series(np.diff(index.to_numpy()))
    if isinstance(index, pd.DatetimeIndex):
        return pd.Timedelta(steps.median()) if len(steps) else pd.Timedelta(0)
    return int(steps.median()) if len(steps) else 0


def _hold_onto(frame: pd.DataFrame, other: pd.DataFrame, asset_id: str) -> pd.DataFrame:
    """``frame`` with ``other``'s columns: at each of its times, other's latest reading at most one of
    other's steps old."""
    tolerance = _step(other.index)
    left = frame.reset_index()
    right = other.reset_index().assign(_row=np.arange(len(other)))
    joined = pd.merge_asof(left, right, on="time", direction="backward", tolerance=tolerance)
    used = joined["_row"].dropna().nunique()
    if used < len(other):
        log.warning(
            "asset %s: %d of %d rows of the file(s) holding %s fall outside the times of its longest file "
            "or between them and are not read",
            asset_id,
            len(other) - used,
            len(other),
            list(other.columns)[:5],
        )
    return joined.drop(columns="_row").set_index("time")


def _filled(label: np.ndarray) -> np.ndarray:
    """A label column with the rows no file labelled set to 0 (numbers) or "" (text)."""
    if label.dtype == object:
        return np.array(["" if pd.isna(v) else v for v in label], dtype=object)
    return np.nan_to_num(label.astype(np.float64), nan=0.0)
