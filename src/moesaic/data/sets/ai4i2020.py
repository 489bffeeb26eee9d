"""AI4I 2020 Predictive Maintenance (UCI 601): machining runs with failure modes (Matzka, AI4I 2020).

10,000 consecutive process runs of one (synthetic, milling-like) machine. The whole table is kept
in ``meta["table"]``; the five process readings also form one series indexed by ``UDI`` (tool
wear accumulates from row to row), and each of the 339 machine failures is a ``failure`` event
labelled with its failure-mode flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Asset, Event, MaintenanceData, Series
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked

READINGS = (
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
)
MODES = ("TWF", "HDF", "PWF", "OSF", "RNF")
FLAGS = ("Machine failure", *MODES)
TYPES = ("L", "M", "H")
ASSET_ID = "ai4i_machine"


def _flag_column(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = numeric_column(frame, column, path, allow_missing=False)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            path, f"expected 0 or 1, found {frame[column].iloc[pos]!r}", line=pos + 2, column=column
        )
    return values.astype(np.int8)


def read_ai4i_csv(path: Path) -> pd.DataFrame:
    """The AI4I table, checked and typed: UDI int64, readings float64, flags int8, ``Type`` in L/M/H.

    Raises:
        DataFormatError: a missing column, a non-number, a flag other than 0/1, an unknown
            ``Type``, or a ``UDI`` that does not increase.
    """
    path = Path(path)
    frame = read_csv_checked(path, required=("UDI", "Product ID", "Type", *READINGS, *FLAGS), dtype=str)
    udi = numeric_column(frame, "UDI", path, allow_missing=False)
    back = np.flatnonzero((np.diff(udi) <= 0) | (udi[1:] != np.round(udi[1:])))
    if back.size:
        pos = int(back[0]) + 1
        raise DataFormatError(
            path,
            f"`UDI` must be increasing integers, found {frame['UDI'].iloc[pos]!r} "
            f"after {frame['UDI'].iloc[pos - 1]!r}",
            line=pos + 2,
            column="UDI",
        )
    kind = frame["Type"].str.strip()
    unknown = ~kind.isin(TYPES)
    if unknown.any():
        pos = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataFormatError(
            path,
            f"expected a product type in {list(TYPES)}, found {frame['Type'].iloc[pos]!r}",
            line=pos + 2,
            column="Type",
        )
    table = pd.DataFrame(
        {"UDI": udi.astype(np.int64), "Product ID": frame["Product ID"].str.strip(), "Type": kind}
    )
    for c in READINGS:
        table[c] = numeric_column(frame, c, path)
    for c in FLAGS:
        table[c] = _flag_column(frame, c, path)
    return table


def failure_label(row: pd.Series) -> str:
    """The failure-mode flags set on a row joined by "+" (as "HDF+OSF"), or "unspecified" when none is."""
    return "+".join(m for m in MODES if row[m]) or "unspecified"


def load(folder: Path) -> MaintenanceData:
    path = Path(folder) / "ai4i2020.csv"
    table = read_ai4i_csv(path)
    udi = table["UDI"].to_numpy()
    labels = {
        "machine_failure": table["Machine failure"].to_numpy(),
        **{m: table[m].to_numpy() for m in MODES},
        "quality": table["Type"].map({t: i for i, t in enumerate(TYPES)}).to_numpy(np.int8),
    }
    series = Series.from_frame(
        table[list(READINGS)],
        series_id="ai4i2020",
        asset_id=ASSET_ID,
        time=udi,
        labels=labels,
        meta={"source": str(path), "time": "UDI (run number)", "quality_codes": dict(enumerate(TYPES))},
    )
    events = []
    for _, row in table[table["Machine failure"] == 1].iterrows():
        run = int(row["UDI"])
        events.append(
            Event(
                event_id=f"UDI{run}",
                asset_id=ASSET_ID,
                kind="failure",
                label=failure_label(row),
                start=run,
                end=run,
                fields={
                    "product_id": str(row["Product ID"]),
                    "type": str(row["Type"]),
                    **{c: float(row[c]) for c in READINGS},
                    **{m: int(row[m]) for m in MODES},
                },
            )
        )
    counts = {
        "rows": len(table),
        "failures": int(table["Machine failure"].sum()),
        **{m: int(table[m].sum()) for m in MODES},
        **{f"type_{t}": int((table["Type"] == t).sum()) for t in TYPES},
    }
    machine = Asset(ASSET_ID, "milling machine (synthetic)", {"runs": len(table)})
    return MaintenanceData(
        name="ai4i2020",
        assets=(machine,),
        series=(series,),
        events=tuple(events),
        meta={"table": table, "counts": counts},
    )


INFO = DatasetInfo(
    name="ai4i2020",
    modality="table+events",
    description="AI4I 2020 predictive maintenance, 10,000 machining runs, 339 failures in 5 modes",
    licence="CC BY 4.0",
    citation="Matzka, Explainable Artificial Intelligence for Predictive Maintenance Applications, "
    "AI4I 2020; UCI ML Repository 601, DOI 10.24432/C5HS5C",
    loader=load,
    # README: 339 machine failures; TWF 46, HDF 115, PWF 95, OSF 98, RNF 19; Type L/M/H = 6000/2997/1003.
    expected={
        "assets": 1,
        "series": 1,
        "series_steps": 10000,
        "events": 339,
        "rows": 10000,
        "failures": 339,
        "TWF": 46,
        "HDF": 115,
        "PWF": 95,
        "OSF": 98,
        "RNF": 19,
        "type_L": 6000,
        "type_M": 2997,
        "type_H": 1003,
    },
)
