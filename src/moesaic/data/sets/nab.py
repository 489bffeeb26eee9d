"""NAB: the Numenta Anomaly Benchmark (Lavin & Ahmad 2015; Ahmad et al., Neurocomputing 2017).

Kept aside from this project's data folder for independent evaluation, so the reader takes any
folder laid out as the upstream repository (numenta/NAB) or as a part of it:

- data files: every ``*.csv`` under ``data/`` when the folder has one, else under the folder
  itself (leaving out ``results/``, where NAB keeps detectors' outputs); each with a
  ``timestamp`` and a ``value`` column (or a ``time`` / ``datetime`` / ``date`` column and one other
  column beside a label); rows are read in file order (a repeated or earlier
  timestamp is kept, with a warning);
- labels: ``combined_windows.json`` anywhere in the folder (``labels/`` upstream): for each file,
  by its path under the data folder ("realKnownCause/nyc_taxi.csv"), its anomaly windows as
  ``[[start, end], ...]`` timestamps. Without it, ``combined_labels.json`` (anomaly timestamps)
  is widened into windows by NAB's rule: 10 % of the file's rows shared by its anomalies, one
  window centred on each, overlapping windows merged. Without either, a 0/1 column ``label``,
  ``is_anomaly`` or ``anomaly`` gives the windows as its runs of 1. A key that matches no path
  is matched by file name when that name is unique.

One series per file: channel ``value``, label ``anomaly`` (1 inside a window), and in ``meta`` the
``file`` (its path under the data folder), ``category`` (its folder) and ``labelled`` (False for a
file no label source mentions). ``meta["counts"]`` has ``files``, ``labelled_files`` and
``windows`` (runs of 1 in the labels, after merging).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.sets._json import read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked
from moesaic.data.times import time_column

logger = logging.getLogger(__name__)

WINDOWS_FILE, LABELS_FILE = "combined_windows.json", "combined_labels.json"
LABEL_COLUMNS = ("label", "is_anomaly", "anomaly")
TIME_COLUMNS = ("timestamp", "time", "datetime", "date")
WINDOW_SHARE = 0.10  # NAB's labeller: the share of a file's rows its windows cover together


def load(folder: Path) -> MaintenanceData:
    folder = Path(folder)
    data_dir = folder / "data" if (folder / "data").is_dir() else folder
    files = sorted(p for p in data_dir.rglob("*.csv") if "results" not in p.relative_to(data_dir).parts[:-1])
    if not files:
        raise DataFormatError(
            data_dir, "expected NAB data files (*.csv with timestamp and value columns), found none"
        )
    keys = [p.relative_to(data_dir).as_posix() for p in files]
    windows_path, labels_path = _find(folder, WINDOWS_FILE), _find(folder, LABELS_FILE)
    source = windows_path or labels_path
    entries = _label_entries(source, keys) if source is not None else {}
    series = []
    for path, key in zip(files, keys, strict=True):
        series.append(_read_file(path, key, entries.get(key), source, windowed=source is windows_path))
    labelled = [s for s in series if s.meta["labelled"]]
    if source is not None and len(labelled) < len(series):
        logger.warning(
            "NAB: %d of %d data files have no entry in %s; they are read but not scored",
            len(series) - len(labelled), len(series), source,
        )  # fmt: skip
    runs = sum(int((np.diff(s.labels["anomaly"], prepend=0) > 0).sum()) for s in labelled)
    counts = {"files": len(series), "labelled_files": len(labelled), "windows": runs}
    meta = {"counts": counts, "labels": str(source) if source else "label columns"}
    return MaintenanceData(name="nab", series=tuple(series), meta=meta)


def _find(folder: Path, name: str) -> Path | None:
    """The shallowest file called ``name`` under ``folder``, or None."""
    found = sorted(folder.rglob(name), key=lambda p: (len(p.parts), str(p)))
    return found[0] if found else None


def _label_entries(source: Path, keys: Sequence[str]) -> dict[str, list[Any]]:
    """The label file's entries by data-file key; a key unknown by path is matched by file name."""
    content = require_mapping(read_json_checked(source), source, "the label file")
    by_name: dict[str, list[str]] = {}
    for key in keys:
        by_name.setdefault(key.rsplit("/", 1)[-1], []).append(key)
    entries: dict[str, list[Any]] = {}
    for name, value in content.items():
        items = require_list(value, source, f"the entry of {name!r}")
        if name in keys:
            entries[name] = items
            continue
        same = by_name.get(str(name).rsplit("/", 1)[-1], [])
        if len(same) == 1:
            entries[same[0]] = items
    return entries


def _read_file(
    path: Path, key: str, entry: list[Any] | None, source: Path | None, *, windowed: bool
) -> Series:
    frame = read_csv_checked(path)
    time_name, value_name = _columns(frame, path)
    time = time_column(frame, time_name, path, ordered=True, unique=False)
    backwards = np.flatnonzero(np.diff(time.astype(np.int64)) <= 0)
    if backwards.size:  # a stream is scored in file order, as NAB scores it; windows match by time
        logger.warning(
            "NAB: %s has %d timestamps not after the one before (first on line %d); rows kept in file order",
            path, backwards.size, int(backwards[0]) + 3,
        )  # fmt: skip
    values = numeric_column(frame, value_name, path)
    mask = np.zeros(len(frame), dtype=bool)
    labelled = entry is not None
    if entry is not None:
        assert source is not None
        spans = _windows(entry, source, key) if windowed else _label_windows(entry, source, key, time)
        for first, last in spans:
            inside = (time >= first) & (time <= last)
            if not inside.any():
                logger.warning("NAB: window %s..%s of %s holds no row of the file", first, last, key)
            mask |= inside
    else:
        column = next((c for c in frame.columns if str(c).strip().lower() in LABEL_COLUMNS), None)
        if column is not None:
            flags = numeric_column(frame, column, path, allow_missing=False)
            if not np.isin(flags, (0, 1)).all():
                raise DataFormatError(path, "expected 0 or 1 in the label column", column=str(column))
            mask, labelled = flags == 1, True
    category = key.rsplit("/", 1)[0] if "/" in key else ""
    meta = {"source": str(path), "file": key, "category": category, "labelled": labelled}
    return Series.from_frame(
        pd.DataFrame({"value": values}),
        series_id=key,
        asset_id=category or "nab",
        time=time,
        labels={"anomaly": mask.astype(np.float32)},
        meta=meta,
    )


def _columns(frame: pd.DataFrame, path: Path) -> tuple[str, str]:
    """The time and value columns: ``timestamp`` and ``value`` as NAB writes them, else a column
    named time, datetime or date and the one other column that is not a label.

    Raises:
        DataFormatError: no time column, or no single value column, naming what was found.
    """
    names = {str(c).strip().lower(): str(c) for c in frame.columns}
    time_name = next((names[n] for n in TIME_COLUMNS if n in names), None)
    if time_name is None:
        raise DataFormatError(
            path, f"expected a timestamp column ({', '.join(TIME_COLUMNS)}), found {list(names.values())}"
        )
    if "value" in names:
        return time_name, names["value"]
    others = [c for n, c in names.items() if c != time_name and n not in LABEL_COLUMNS]
    if len(others) != 1:
        raise DataFormatError(
            path,
            f"expected a value column (value, or one column beside the time and a label), found {others}",
        )
    return time_name, others[0]


def _timestamp(value: Any, source: Path, key: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError:
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise DataFormatError(source, f"entry of {key!r}: expected a timestamp, found {value!r}")
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _windows(entry: list[Any], source: Path, key: str) -> list[tuple[np.datetime64, np.datetime64]]:
    spans = []
    for item in entry:
        if not isinstance(item, list) or len(item) != 2:
            raise DataFormatError(source, f"entry of {key!r}: expected [start, end] windows, found {item!r}")
        first, last = (_timestamp(v, source, key) for v in item)
        if first > last:
            raise DataFormatError(source, f"entry of {key!r}: window {item!r} ends before it starts")
        spans.append((first.to_datetime64(), last.to_datetime64()))
    return spans


def _label_windows(
    entry: list[Any], source: Path, key: str, time: np.ndarray
) -> list[tuple[np.datetime64, np.datetime64]]:
    """NAB's labeller: windows of 10 % of the rows over the anomalies, one centred on each."""
    if not entry:
        return []
    half = int(WINDOW_SHARE * len(time) / len(entry)) // 2
    spans = []
    for value in entry:
        row = int(np.searchsorted(time, _timestamp(value, source, key).to_datetime64()))
        row = min(row, len(time) - 1)
        spans.append((time[max(row - half, 0)], time[min(row + half, len(time) - 1)]))
    return spans


INFO = DatasetInfo(
    name="nab",
    modality="timeseries+labels",
    description="Numenta Anomaly Benchmark: univariate streams with anomaly windows (kept aside here)",
    licence="AGPL-3.0 (numenta/NAB repository) ⚠",
    citation="Lavin & Ahmad, Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly "
    "Benchmark, ICMLA 2015; Ahmad, Lavin, Purdy & Agha, Neurocomputing 2017",
    loader=load,
    optional=True,
)
