"""ETTh1: hourly transformer load and oil temperature (Zhou et al., Informer, AAAI 2021)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.tables import numeric_column, read_csv_checked
from moesaic.data.times import time_column

CHANNELS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")


def read_ett_csv(path: Path, *, series_id: str | None = None) -> Series:
    """One ETT-format file (``date`` + the seven channels) as a series; used for ETTh1 and its kin."""
    frame = read_csv_checked(path, required=("date", *CHANNELS), dtype=str)
    time = time_column(frame, "date", path)
    values = pd.DataFrame({c: numeric_column(frame, c, path) for c in CHANNELS})
    return Series.from_frame(
        values,
        series_id=series_id or Path(path).stem,
        asset_id=Path(path).stem,
        time=time,
        meta={"source": str(path), "target": "OT", "freq": "h"},
    )


def load(folder: Path) -> MaintenanceData:
    series = read_ett_csv(folder / "ETTh1.csv", series_id="ETTh1")
    return MaintenanceData(name="ett", series=(series,))


INFO = DatasetInfo(
    name="ett",
    modality="timeseries",
    description="ETTh1 transformer load + oil temperature, hourly, 2016-07 to 2018-06 (forecasting)",
    licence="CC BY-ND 4.0 ⚠ (no modified redistribution)",
    citation="Zhou et al., Informer, AAAI 2021",
    loader=load,
    expected={"series": 1, "series_steps": 17420},
)
