"""Writing a plant folder: deterministic bytes, all or nothing.

Layout under the output folder::

    manifest.json          config, seed, version, counts, units, every file with size and sha256
    assets.csv             the asset register
    series/<asset>.parquet column ``time`` then one float32 column per channel (NaN = lost reading)
    events.csv             faults (kind "fault") and DCS alarms (kind "alarm")
    ground_truth.csv       the injected faults
    work_orders.csv        PM and CM work orders
    fmea.csv               the FMEA sheet per asset type
    drawings.csv           drawing_id, asset_type, part_number, path
    drawings.json          the ground truth of every drawing, by drawing id
    drawings/<id>.png      the rendered sheets
    bom.csv                the reference bill of materials of every drawing (``drawing_number``
                           column), as ``moesaic drawing check --bom`` reads it

The same seed gives the same bytes: no "now" anywhere, sorted JSON keys, floats and times
formatted by us, Parquet and PNG written with fixed settings.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import moesaic
from moesaic import manifest
from moesaic.atomic import atomic_directory
from moesaic.config import to_dict
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.faults import FAULT_CODES
from moesaic.data.simulator.plant import Plant, simulate

log = logging.getLogger(__name__)

FORMAT = "moesaic-plant"
FORMAT_VERSION = 1
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _text_column(values: pd.Series, fmt: str | None = None) -> pd.Series:
    """A column as text: timestamps and floats with a fixed format, missing values as empty cells."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime(TIME_FORMAT).fillna("")
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "true", False: "false"})
    if fmt is not None:
        return values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt % v)
    return values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def frame_to_csv(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> bytes:
    """CSV bytes of ``frame`` with every cell formatted by us, so the bytes only depend on the values."""
    formats = formats or {}
    text = pd.DataFrame(
        {c: _text_column(frame[c], formats.get(c)) for c in frame.columns}, columns=frame.columns
    )
    return text.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _write_series(time: np.ndarray, channels: tuple[str, ...], values: np.ndarray, path: Path) -> None:
    arrays = [pa.array(time.astype("datetime64[s]"), type=pa.timestamp("s"))]
    arrays += [pa.array(values[:, c], type=pa.float32(), from_pandas=True) for c in range(len(channels))]
    table = pa.Table.from_arrays(arrays, names=["time", *channels])
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=False,
        write_statistics=True,
        use_byte_stream_split=list(channels),
    )


def foreign_files(out: Path) -> list[str]:
    """What in the plant folder ``out`` the simulator did not write (see
    :func:`moesaic.manifest.foreign_files`); without a readable manifest, every entry of ``out``."""
    out = Path(out)
    try:
        listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
        if not isinstance(listed, dict):
            raise TypeError("files is not a mapping")
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.info("%s: no readable manifest (%s)", out, err)
        return sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    return manifest.foreign_files(out, listed, keep=("manifest.json",))


def check_replaceable(out: Path) -> None:
    """Raise FileExistsError unless writing a plant to ``out`` deletes only what the simulator wrote:
    ``out`` must be new, empty, or an earlier plant holding its manifest's files unchanged and
    nothing else."""
    out = Path(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not (out / "manifest.json").is_file():
        raise FileExistsError(
            f"{out} exists, is not empty and holds no manifest.json of a simulated plant; "
            "refusing to replace it. Choose a new or empty folder."
        )
    foreign = foreign_files(out)
    if foreign:
        raise FileExistsError(
            f"{out} holds files the simulator did not write (or changed since): "
            f"{manifest.shown(foreign)}; refusing to replace it, which "
            "would delete them. Move them out of the folder, or choose a new or empty one."
        )


def write_plant(plant: Plant, out: Path) -> dict[str, int]:
    """Write ``plant`` to the folder ``out``, replacing an earlier plant there atomically.

    Returns:
        The record counts written to the manifest.

    Raises:
        FileExistsError: ``out`` is a file, a non-empty folder that is not a plant, or a plant
            folder holding files the simulator did not write (see :func:`check_replaceable`).
    """
    out = Path(out)
    check_replaceable(out)
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "series").mkdir()
        (tmp / "assets.csv").write_bytes(frame_to_csv(plant.assets, {"rated_power_kw": "%.1f"}))
        for s in plant.series:
            _write_series(plant.time, s.channels, s.values, tmp / "series" / f"{s.asset_id}.parquet")
        (tmp / "ground_truth.csv").write_bytes(frame_to_csv(plant.ground_truth, {"severity": "%.2f"}))
        (tmp / "events.csv").write_bytes(
            frame_to_csv(plant.events, {"severity": "%.2f", "threshold": "%.4g", "peak": "%.4g"})
        )
        (tmp / "work_orders.csv").write_bytes(
            frame_to_csv(plant.work_orders, {"cost": "%.2f", "labour_hours": "%.1f"})
        )
        (tmp / "fmea.csv").write_bytes(frame_to_csv(plant.fmea))
        if plant.drawings:
            (tmp / "drawings").mkdir()
            index = pd.DataFrame(
                [
                    {
                        "drawing_id": d.drawing_id,
                        "asset_type": d.asset_type,
                        "part_number": d.part_number,
                        "path": d.truth["path"],
                    }
                    for d in plant.drawings
                ]
            )
            (tmp / "drawings.csv").write_bytes(frame_to_csv(index))
            truth = {d.drawing_id: d.truth for d in plant.drawings}
            (tmp / "drawings.json").write_text(
                json.dumps(truth, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            for d in plant.drawings:
                (tmp / d.truth["path"]).write_bytes(d.png)
            (tmp / "bom.csv").write_bytes(frame_to_csv(reference_bom(plant)))
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        counts = plant.counts()
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "moesaic_version": moesaic.__version__,
            "config": to_dict(plant.config),
            "seed": plant.config.seed,
            "counts": counts,
            "fault_codes": FAULT_CODES,
            "units": plant.units,
            "time": {
                "start": str(pd.Timestamp(plant.time[0])),
                "freq_minutes": plant.config.freq_minutes,
                "steps": len(plant.time),
            },
            "files": manifest.file_entries(tmp, files),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(document, sort_keys=True, indent=2) + "\n", encoding="utf-8"
        )
    log.info("wrote plant to %s: %s", out, counts)
    return counts


def reference_bom(plant: Plant) -> pd.DataFrame:
    """The true bill of materials of every drawing, one row per item; the drawn part's row carries
    its revision. A planted fault (a wrong material or part number on the sheet) is not in it, so
    ``moesaic drawing check --bom bom.csv`` can find it."""
    rows = []
    for d in plant.drawings:
        revision = d.truth["title_block"].get("revision", "")
        for item in d.truth["bom"]:
            drawn = item["part_number"] == d.part_number
            rows.append({"drawing_number": d.drawing_id, **item, "revision": revision if drawn else ""})
    columns = ["drawing_number", "item", "part_number", "description", "qty", "material", "revision"]
    return pd.DataFrame(rows, columns=columns)


def simulate_to(config: SimulatorConfig, out: Path) -> dict[str, int]:
    """Simulate the plant of ``config`` and write it to ``out``; returns the record counts."""
    return write_plant(simulate(config), out)
