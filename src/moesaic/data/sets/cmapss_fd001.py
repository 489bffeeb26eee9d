"""NASA C-MAPSS turbofan run-to-failure, sub-set FD001 (Saxena, Goebel, Simon & Eklund, PHM08, 2008).

One series per engine and split (100 training engines run to failure, 100 test engines stopped
before it), indexed by cycle, with 3 operating settings + 21 sensors and the per-cycle remaining
useful life ``rul``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked

# Physical names of sensor_1..21, in column order (README and NASA's readme).
SENSOR_NAMES = (
    "T2",
    "T24",
    "T30",
    "T50",
    "P2",
    "P15",
    "P30",
    "Nf",
    "Nc",
    "epr",
    "Ps30",
    "phi",
    "NRf",
    "NRc",
    "BPR",
    "farB",
    "htBleed",
    "Nf_dmd",
    "PCNfR_dmd",
    "W31",
    "W32",
)
CHANNELS = (*(f"op_setting_{i}" for i in range(1, 4)), *(f"sensor_{i}" for i in range(1, 22)))
COLUMNS = ("unit", "cycle", *CHANNELS)


def _positive_integers(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = numeric_column(frame, column, path, header_lines=0, allow_missing=False)
    bad = (values != np.round(values)) | (values < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            path,
            f"expected a non-negative integer, found {frame[column].iloc[pos]!r}",
            line=pos + 1,
            column=column,
        )
    return values.astype(np.int64)


def read_cmapss_txt(path: Path, split: str, rul_at_end: np.ndarray | None = None) -> list[Series]:
    """One C-MAPSS trajectory file (space-separated, no header, 26 columns), one series per unit.

    Args:
        path: ``train_FD00x.txt`` or ``test_FD00x.txt``.
        split: "train" or "test", used in the series ids and meta.
        rul_at_end: the RUL after the last cycle of each unit, in unit order (the ``RUL_FD00x.txt``
            values of a test file); None for a run-to-failure file, where it is 0.

    Raises:
        DataFormatError: a line without 26 numbers, cycles of a unit that do not increase, or a
            ``rul_at_end`` whose length is not the number of units.
    """
    path = Path(path)
    frame = read_csv_checked(path, sep=r"\s+", header=None, names=COLUMNS)
    unit = _positive_integers(frame, "unit", path)
    cycle = _positive_integers(frame, "cycle", path)
    values = np.stack([numeric_column(frame, c, path, header_lines=0) for c in CHANNELS], axis=1)
    units = np.unique(unit)
    if rul_at_end is not None and len(rul_at_end) != len(units):
        raise DataFormatError(
            path,
            f"the file has {len(units)} units but {len(rul_at_end)} RUL values were "
            "given; expected one RUL value per unit",
        )
    series = []
    for k, u in enumerate(units):
        rows = np.flatnonzero(unit == u)
        back = np.flatnonzero(np.diff(cycle[rows]) <= 0)
        if back.size:
            raise DataFormatError(
                path,
                f"cycles of unit {u} must increase, found {cycle[rows[back[0] + 1]]} "
                f"after {cycle[rows[back[0]]]}",
                line=int(rows[back[0] + 1]) + 1,
                column="cycle",
            )
        end = 0 if rul_at_end is None else int(rul_at_end[k])
        rul = (end + cycle[rows][-1] - cycle[rows]).astype(np.float32)
        series.append(
            Series.from_frame(
                pd.DataFrame(values[rows], columns=list(CHANNELS)),
                series_id=f"{split}/{u}",
                asset_id=f"FD001-{split}-{u}",
                time=cycle[rows],
                labels={"rul": rul},
                meta={"split": split, "unit": int(u), "rul_at_end": end, "source": str(path)},
            )
        )
    return series


def read_rul_txt(path: Path) -> np.ndarray:
    """The true RUL after the last cycle of each test unit (one integer per line), as int64."""
    path = Path(path)
    frame = read_csv_checked(path, sep=r"\s+", header=None, names=("rul",))
    return _positive_integers(frame, "rul", path)


def load(folder: Path) -> MaintenanceData:
    folder = Path(folder)
    train = read_cmapss_txt(folder / "train_FD001.txt", "train")
    rul = read_rul_txt(folder / "RUL_FD001.txt")
    test = read_cmapss_txt(folder / "test_FD001.txt", "test", rul_at_end=rul)
    counts = {
        "train_steps": sum(s.length for s in train),
        "test_steps": sum(s.length for s in test),
        "rul_values": len(rul),
    }
    meta = {
        "counts": counts,
        "sensor_names": dict(zip(CHANNELS[3:], SENSOR_NAMES, strict=True)),
        "fault_modes": ("HPC degradation",),
        "operating_conditions": 1,
    }
    return MaintenanceData(name="cmapss_fd001", series=(*train, *test), meta=meta)


INFO = DatasetInfo(
    name="cmapss_fd001",
    modality="timeseries+rul",
    description="NASA C-MAPSS FD001 turbofan run-to-failure, 100 train + 100 test engines, 24 channels, RUL",
    licence="U.S. Government work (NASA), public domain in the U.S.",
    citation="Saxena, Goebel, Simon & Eklund, Damage Propagation Modeling for Aircraft Engine "
    "Run-to-Failure Simulation, PHM08, 2008",
    loader=load,
    # README: train 20,631 rows, test 13,096 rows, RUL 100 rows, 100 engines per split.
    expected={
        "series": 200,
        "series_steps": 33727,
        "train_steps": 20631,
        "test_steps": 13096,
        "rul_values": 100,
    },
)
