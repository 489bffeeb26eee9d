"""Tennessee Eastman Process, Braatz benchmark runs (Chiang, Russell & Braatz 2001; Downs & Vogel 1993).

One series per (split, fault) run: 22 training runs (normal + IDV 1-21, 480 or 500 samples) and
22 test runs (960 samples, fault introduced after sample 160), 52 variables sampled every 3 min,
with the per-sample ``faulty`` label and one ``fault`` event per faulty run from its onset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Event, MaintenanceData, Series
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked

CHANNELS = tuple(f"xmeas_{i}" for i in range(1, 42)) + tuple(f"xmv_{i}" for i in range(1, 12))
SPLITS = {"train": "tep_train.csv", "test": "tep_test.csv"}
ASSET_ID = "tep_plant"

# The IDV table of the README; index = fault id, 0 = normal operation.
FAULTS = (
    "normal operation",
    "A/C feed ratio, B composition constant (step)",
    "B composition, A/C ratio constant (step)",
    "D feed temperature (step)",
    "reactor cooling-water inlet temperature (step)",
    "condenser cooling-water inlet temperature (step)",
    "A feed loss (step)",
    "C header pressure loss (step)",
    "A, B, C feed composition (random variation)",
    "D feed temperature (random)",
    "C feed temperature (random)",
    "reactor cooling-water inlet temperature (random)",
    "condenser cooling-water inlet temperature (random)",
    "reaction kinetics (slow drift)",
    "reactor cooling-water valve (sticking)",
    "condenser cooling-water valve (sticking)",
    "unknown (IDV 16)",
    "unknown (IDV 17)",
    "unknown (IDV 18)",
    "unknown (IDV 19)",
    "unknown (IDV 20)",
    "valve for stream 4 fixed at steady-state position",
)


def _integer_column(frame: pd.DataFrame, column: str, path: Path, low: int, high: int) -> np.ndarray:
    values = numeric_column(frame, column, path, allow_missing=False)
    bad = (values != np.round(values)) | (values < low) | (values > high)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            path,
            f"expected an integer in [{low}, {high}], found {frame[column].iloc[pos]!r}",
            line=pos + 2,
            column=column,
        )
    return values.astype(np.int64)


def read_tep_csv(path: Path, split: str) -> list[Series]:
    """The runs of one TEP CSV (``fault``, ``sample``, ``faulty`` + 52 variables), one series per fault.

    Raises:
        DataFormatError: a missing column, a non-number, a fault id outside 0-21, a label other
            than 0/1, or samples of a run that do not increase.
    """
    path = Path(path)
    frame = read_csv_checked(path, required=("fault", "sample", "faulty", *CHANNELS))
    fault = _integer_column(frame, "fault", path, 0, len(FAULTS) - 1)
    sample = _integer_column(frame, "sample", path, 1, 10**9)
    faulty = _integer_column(frame, "faulty", path, 0, 1).astype(np.int8)
    values = np.stack([numeric_column(frame, c, path) for c in CHANNELS], axis=1)  # (rows, 52)
    runs = []
    for f in np.unique(fault):
        rows = np.flatnonzero(fault == f)
        back = np.flatnonzero(np.diff(sample[rows]) <= 0)
        if back.size:
            line = int(rows[back[0] + 1]) + 2
            raise DataFormatError(
                path,
                f"samples of fault {f} must increase, found {sample[rows[back[0] + 1]]} "
                f"after {sample[rows[back[0]]]}",
                line=line,
                column="sample",
            )
        onset = sample[rows][faulty[rows] == 1]
        runs.append(
            Series.from_frame(
                pd.DataFrame(values[rows], columns=list(CHANNELS)),
                series_id=f"{split}/fault{f:02d}",
                asset_id=ASSET_ID,
                time=sample[rows],
                labels={"faulty": faulty[rows], "fault": np.full(rows.size, f, dtype=np.int16)},
                meta={
                    "split": split,
                    "fault": int(f),
                    "fault_description": FAULTS[f],
                    "freq": "3min",
                    "onset_sample": int(onset[0]) if onset.size else None,
                    "source": str(path),
                },
            )
        )
    return runs


def fault_events(series: Series) -> list[Event]:
    """One ``fault`` event from the first faulty sample of a run to its end (none for a normal run)."""
    onset = series.meta["onset_sample"]
    if onset is None:
        return []
    return [
        Event(
            event_id=f"{series.series_id}/onset",
            asset_id=series.asset_id,
            kind="fault",
            label=series.meta["fault_description"],
            start=int(onset),
            end=int(series.time[-1]),
            fields={
                "series_id": series.series_id,
                "split": series.meta["split"],
                "fault": series.meta["fault"],
            },
        )
    ]


def load(folder: Path) -> MaintenanceData:
    series: list[Series] = []
    steps = {}
    for split, name in SPLITS.items():
        runs = read_tep_csv(Path(folder) / name, split)
        steps[f"{split}_steps"] = sum(s.length for s in runs)
        series.extend(runs)
    events = [e for s in series for e in fault_events(s)]
    return MaintenanceData(name="tep", series=tuple(series), events=tuple(events), meta={"counts": steps})


INFO = DatasetInfo(
    name="tep",
    modality="timeseries+labels",
    description="Tennessee Eastman Process (Braatz), normal + 21 faults, 52 variables every 3 min, "
    "22 train + 22 test runs",
    licence="University of Illinois / NCSA (BSD-like)",
    citation="Chiang, Russell & Braatz, Fault Detection and Diagnosis in Industrial Systems, Springer 2001; "
    "Downs & Vogel, Comput. Chem. Eng. 17:245-255, 1993",
    loader=load,
    # README: train 10,580 rows (500 + 21 × 480), test 21,120 rows (22 × 960); 21 faulty runs per split.
    expected={"series": 44, "series_steps": 31700, "events": 42, "train_steps": 10580, "test_steps": 21120},
)
