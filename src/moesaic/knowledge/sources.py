"""What ``moesaic kb ingest SOURCE`` reads: a plant folder, a registered data set, or a user's CSV folder.

Everything arrives as one :class:`~moesaic.data.schema.MaintenanceData`, so any future source
that produces one can be ingested the same way. ``SOURCE`` is resolved in this order:

1. an existing folder with ``assets.csv`` and ``series/`` plus ``manifest.json`` or
   ``ground_truth.csv`` (what ``moesaic simulate`` writes): read by ``load_plant``;
2. any other existing folder: a user's own files, read by ``read_user_folder``;
3. the name of a registered data set, read from the data root (``--data`` > ``MOESAIC_DATA`` >
   ``../shared/data``).

The source name under which records are keyed is the data set name, or the folder name with
characters other than letters, digits, ``_ . -`` replaced by ``_``, unless one is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from moesaic.data.readers import read_user_folder
from moesaic.data.registry import datasets, load_dataset
from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator import load_plant
from moesaic.data.tables import DataFormatError
from moesaic.knowledge.records import check_source, clean_source


class LoadedSource(NamedTuple):
    data: MaintenanceData
    source: str  # the name records are keyed under
    origin: str  # "plant", "user" or "dataset"


def is_plant_folder(folder: Path) -> bool:
    """True for a folder in the layout ``moesaic simulate`` writes."""
    return (
        (folder / "assets.csv").is_file()
        and (folder / "series").is_dir()
        and ((folder / "manifest.json").is_file() or (folder / "ground_truth.csv").is_file())
    )


def load_source(spec: str, *, data_root: Path | str | None = None, source: str | None = None) -> LoadedSource:
    """Read ``spec`` (a folder or a data set name) as MaintenanceData and name its source.

    Raises:
        DataFormatError: a malformed file in the folder (naming file, line and column).
        KeyError: ``spec`` is neither a folder nor a registered data set; the message lists both options.
        DataNotFoundError: the data set's folder is missing under the data root.
        ValueError: an invalid explicit ``source`` name.
    """
    if source is not None:
        check_source(source)
    path = Path(spec).expanduser()
    if path.is_dir():
        name = source or clean_source(path.resolve().name)
        if is_plant_folder(path):
            return LoadedSource(load_plant(path, name=name), name, "plant")
        return LoadedSource(read_user_folder(path), name, "user")
    if path.exists():
        raise DataFormatError(
            path, "expected a folder (a simulated plant or a user's CSV files), found a file"
        )
    if spec not in datasets():
        raise KeyError(
            f"{spec!r} is neither a folder nor a registered data set; registered data sets: "
            f"{', '.join(sorted(datasets()))}"
        )
    return LoadedSource(load_dataset(spec, data_root), source or spec, "dataset")
