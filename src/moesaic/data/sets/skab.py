"""SKAB: Skoltech Anomaly Benchmark, pump test-bed experiments (Katser & Kozitsin, Kaggle 2020).

One series per CSV file (35 files, 8 sensors at about 1 Hz), with the point labels ``anomaly`` and
``changepoint``; every anomalous file holds one induced fault, returned as one ``anomaly`` event
per contiguous labelled segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked
from moesaic.data.times import time_column

CHANNELS = (
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
)
LABELS = ("anomaly", "changepoint")
FOLDERS = ("anomaly-free", "valve1", "valve2", "other")
ASSET_ID = "skab_testbed"
# The upstream benchmark fits detectors on the first 400 points of each file.
FIT_ROWS = 400


class Fault(NamedTuple):
    fault: str  # the fault class, shared by several files
    detail: str  # what distinguishes this file within its class ("" when nothing does)


# From the README table: (folder, file stem) -> fault; valve folders are uniform.
_OTHER_FAULTS = {
    **{str(i): Fault("fluid leak or addition", "") for i in range(1, 5)},
    "5": Fault("rotor imbalance", "sharp"),
    "6": Fault("rotor imbalance", "linear"),
    "7": Fault("rotor imbalance", "step"),
    "8": Fault("rotor imbalance", "Dirac delta"),
    "9": Fault("rotor imbalance", "exponential"),
    "10": Fault("water amount increase", "slow"),
    "11": Fault("water amount increase", "sudden"),
    "12": Fault("cavitation", "tank drained until cavitation"),
    "13": Fault("cavitation", "two-phase flow at the pump inlet"),
    "14": Fault("water supply at increased temperature", ""),
}


class Segment(NamedTuple):
    first: int  # first row of the segment
    last: int  # last row of the segment (inclusive)


def fault_of(folder: str, stem: str) -> Fault:
    """The fault induced in file ``folder/stem.csv``, per the SKAB README table."""
    if folder == "anomaly-free":
        return Fault("none", "")
    if folder == "valve1":
        return Fault("valve inlet closing", "")
    if folder == "valve2":
        return Fault("valve outlet closing", "")
    if folder == "other" and stem in _OTHER_FAULTS:
        return _OTHER_FAULTS[stem]
    raise KeyError(f"no SKAB fault is known for {folder}/{stem}.csv; known folders: {FOLDERS}")


def flag_segments(flags: np.ndarray) -> list[Segment]:
    """Contiguous runs of non-zero values in a (T,) 0/1 array."""
    edges = np.diff(np.concatenate(([0], (flags != 0).astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [Segment(int(a), int(b) - 1) for a, b in zip(starts, stops, strict=True)]


def _flag_column(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = numeric_column(frame, column, path, allow_missing=False)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            path, f"expected 0 or 1, found {frame[column].iloc[pos]!r}", line=pos + 2, column=column
        )
    return values.astype(np.int8)


def read_skab_csv(
    path: Path,
    *,
    series_id: str | None = None,
    asset_id: str = ASSET_ID,
    meta: Mapping[str, Any] | None = None,
) -> Series:
    """One SKAB-format file as a series.

    The file is ``;``-separated with a ``datetime`` column, the eight sensor columns of
    :data:`CHANNELS` and, optionally, the 0/1 columns ``anomaly`` and ``changepoint`` (a missing
    label column becomes zeros and ``meta["labelled"]`` says which were present).

    Args:
        path: the CSV file.
        series_id: defaults to ``<parent folder>/<file stem>``, as in ``valve1/0``.
        asset_id: the asset the experiment ran on.
        meta: extra metadata merged into the series' meta.

    Raises:
        DataFormatError: a missing column, a non-number, a label other than 0/1, or a timestamp
            that is unparsable, repeated or earlier than the one before.
    """
    path = Path(path)
    frame = read_csv_checked(path, sep=";", required=("datetime", *CHANNELS), dtype=str)
    time = time_column(frame, "datetime", path)
    back = np.flatnonzero(time[1:] <= time[:-1])
    if back.size:
        pos = int(back[0]) + 1
        raise DataFormatError(
            path,
            f"timestamps must increase, found {frame['datetime'].iloc[pos]!r} after "
            f"{frame['datetime'].iloc[pos - 1]!r}",
            line=pos + 2,
            column="datetime",
        )
    values = pd.DataFrame({c: numeric_column(frame, c, path) for c in CHANNELS})
    present = tuple(c for c in LABELS if c in frame.columns)
    labels = {
        c: _flag_column(frame, c, path) if c in present else np.zeros(len(frame), np.int8) for c in LABELS
    }
    info = {"source": str(path), "freq": "s", "fit_rows": FIT_ROWS, "labelled": present, **(meta or {})}
    return Series.from_frame(
        values,
        series_id=series_id or f"{path.parent.name}/{path.stem}",
        asset_id=asset_id,
        time=time,
        labels=labels,
        meta=info,
    )


def anomaly_events(series: Series, label: str) -> list[Event]:
    """One ``anomaly`` event per contiguous segment of ``series.labels["anomaly"]``."""
    events = []
    for k, seg in enumerate(flag_segments(series.labels["anomaly"])):
        events.append(
            Event(
                event_id=f"{series.series_id}/anomaly/{k}",
                asset_id=series.asset_id,
                kind="anomaly",
                label=label,
                start=pd.Timestamp(series.time[seg.first]),
                end=pd.Timestamp(series.time[seg.last]),
                channels=series.channels,
                fields={"series_id": series.series_id, "first_row": seg.first, "last_row": seg.last},
            )
        )
    return events


def _stem_key(path: Path) -> tuple[int, str]:
    # Files are numbered: 0, 1, ..., 10 sorts after 9, not after 1.
    return (int(path.stem), "") if path.stem.isdigit() else (-1, path.stem)


def load(folder: Path) -> MaintenanceData:
    series, events = [], []
    for name in FOLDERS:
        sub = Path(folder) / name
        if not sub.is_dir():
            raise DataFormatError(sub, f"SKAB folder missing; expected the sub-folders {list(FOLDERS)}")
        for path in sorted(sub.glob("*.csv"), key=_stem_key):
            fault = fault_of(name, path.stem)
            s = read_skab_csv(
                path,
                meta={"folder": name, "file": path.name, "fault": fault.fault, "fault_detail": fault.detail},
            )
            series.append(s)
            events.extend(anomaly_events(s, fault.fault))
    return MaintenanceData(name="skab", series=tuple(series), events=tuple(events))


INFO = DatasetInfo(
    name="skab",
    modality="timeseries+labels",
    description="SKAB v0.9 pump test bed, 35 experiments × 8 sensors at 1 Hz, induced faults (anomaly "
    "and change-point labels)",
    licence="GPL-3.0 ⚠ (copyleft: keep derived data under GPL-3.0)",
    citation="Katser & Kozitsin, Skoltech Anomaly Benchmark (SKAB), Kaggle 2020, "
    "DOI 10.34740/KAGGLE/DSV/1693952",
    loader=load,
    # README: 35 files, 46,806 rows, one contiguous anomaly segment in each of the 34 faulty files.
    expected={"series": 35, "series_steps": 46806, "events": 34},
)
