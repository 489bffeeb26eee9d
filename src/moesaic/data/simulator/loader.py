"""``load_plant``: a plant folder, simulated or a user's own in the same layout, as MaintenanceData."""

from __future__ import annotations

from pathlib import Path

from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator.reader import read_assets, read_ground_truth, read_manifest, read_series
from moesaic.data.simulator.records import (
    fault_events,
    read_drawings,
    read_events,
    read_fmea,
    read_work_orders,
)
from moesaic.data.tables import DataFormatError


def load_plant(folder: Path | str, *, name: str = "plant") -> MaintenanceData:
    """Read a plant folder (see :mod:`moesaic.data.simulator.writer` for the layout).

    ``assets.csv`` and ``series/`` are required; ``manifest.json``, ``ground_truth.csv``,
    ``events.csv``, ``work_orders.csv``, ``fmea.csv`` and ``drawings.csv`` (+ ``drawings.json``)
    are read when present. Each series gets per-step labels ``fault`` (int codes, names in
    ``meta["fault_type"]``) and ``anomaly`` (1 inside any fault) from the ground truth.

    Raises:
        DataFormatError: a missing required file or any malformed file, naming file, line and column.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "plant folder not found; expected a folder with assets.csv and series/")
    manifest = read_manifest(folder / "manifest.json") if (folder / "manifest.json").exists() else {}
    assets = read_assets(folder / "assets.csv")
    by_id = {a.asset_id: a for a in assets}
    truth = (
        read_ground_truth(folder / "ground_truth.csv", by_id)
        if (folder / "ground_truth.csv").exists()
        else None
    )
    series = read_series(folder / "series", by_id, truth, manifest.get("units", {}))
    if (folder / "events.csv").exists():
        events = read_events(folder / "events.csv", by_id)
    else:
        events = fault_events(truth) if truth is not None else ()
    documents = (
        read_work_orders(folder / "work_orders.csv", by_id) if (folder / "work_orders.csv").exists() else ()
    )
    if (folder / "fmea.csv").exists():
        documents += read_fmea(folder / "fmea.csv")
    drawings = read_drawings(folder, by_id) if (folder / "drawings.csv").exists() else ()
    meta = {
        "source": str(folder),
        "manifest": {k: v for k, v in manifest.items() if k != "files"},
        "fault_types": sorted(set(truth["fault_type"])) if truth is not None else [],
    }
    return MaintenanceData(
        name=name,
        assets=assets,
        series=series,
        events=events,
        documents=documents,
        drawings=drawings,
        meta=meta,
    )
