"""The dataset registry: every known data set with its modality, licence, citation and loader.

Data never lives in this repository. Its location is, in order: an explicit ``--data PATH``,
the ``MOESAIC_DATA`` environment variable, or ``../shared/data`` next to the current folder
or to the installed source tree, when one of them exists.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from moesaic.data.schema import MaintenanceData

ENV_VAR = "MOESAIC_DATA"

# One module per data set under moesaic.data.sets; each defines INFO: DatasetInfo.
SET_MODULES = (
    "skab",
    "tep",
    "cmapss_fd001",
    "ett",
    "ai4i2020",
    "excavator_mwo",
    "maintie",
    "maintnorm",
    "fmea_mining_truck",
    "fmc_mwo2kg",
    "mech_drawings_edocr2",
    "pid_azure_sample",
    "assetopsbench",
    "timeseriesexam",
    "timegan_stocks",
    "nab",
)


class DataNotFoundError(FileNotFoundError):
    """No data folder could be found, or a data set is missing from it."""


@dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one data set.

    Attributes:
        name: registry name, also the folder name under the data root.
        modality: the modalities it holds, for example "timeseries+labels".
        description: one line for listings.
        licence: the licence, with a warning sign where redistribution is restricted.
        citation: who to cite.
        loader: reads the data set from its folder.
        expected: record counts stated by the data set's README (keys of ``MaintenanceData.counts``
            or loader-specific keys in ``MaintenanceData.meta["counts"]``), checked by ``data validate``.
        optional: kept aside from the shared data folder for independent evaluation, so usually
            absent: ``data validate`` reports it absent rather than failed.
    """

    name: str
    modality: str
    description: str
    licence: str
    citation: str
    loader: Callable[[Path], MaintenanceData]
    expected: Mapping[str, int] = field(default_factory=dict)
    optional: bool = False

    def folder(self, root: Path) -> Path:
        return Path(root) / self.name


def _candidates() -> list[Path]:
    here = Path.cwd()
    source = Path(__file__).resolve()
    found = [here / ".." / "shared" / "data", here / "shared" / "data"]
    # src/moesaic/data/registry.py -> repository root is parents[3]
    if len(source.parents) > 3:
        found.append(source.parents[3] / ".." / "shared" / "data")
    return found


def resolve_data_root(explicit: Path | str | None = None) -> Path:
    """The folder that holds the data sets.

    Raises:
        DataNotFoundError: none of ``--data``, ``MOESAIC_DATA`` or ``../shared/data`` exists,
            with a message saying how to point at the data.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"--data {path}: no such folder")
        return path.resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"{ENV_VAR}={env}: no such folder")
        return path.resolve()
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate.resolve()
    raise DataNotFoundError(
        "no data folder found: pass --data PATH, or set MOESAIC_DATA=PATH, or place the data sets "
        "in ../shared/data beside this repository"
    )


def _load_registry() -> dict[str, DatasetInfo]:
    registry: dict[str, DatasetInfo] = {}
    for module_name in SET_MODULES:
        module = importlib.import_module(f"moesaic.data.sets.{module_name}")
        info: DatasetInfo = module.INFO
        assert info.name == module_name, f"{module_name}.INFO.name is {info.name!r}"
        registry[info.name] = info
    return registry


_REGISTRY: dict[str, DatasetInfo] | None = None


def datasets() -> dict[str, DatasetInfo]:
    """All registered data sets by name."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _load_registry()
    return dict(_REGISTRY)


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry of ``name``; an unknown name lists the known ones."""
    known = datasets()
    if name not in known:
        raise KeyError(f"unknown data set {name!r}; known data sets: {', '.join(sorted(known))}")
    return known[name]


def load_dataset(name: str, root: Path | str | None = None) -> MaintenanceData:
    """Load the registered data set ``name`` from the data root (see :func:`resolve_data_root`)."""
    info = dataset_info(name)
    folder = info.folder(resolve_data_root(root))
    if not folder.is_dir():
        raise DataNotFoundError(f"data set {name!r} not found: expected a folder {folder}")
    return info.loader(folder)
