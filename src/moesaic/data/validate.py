"""``moesaic data validate``: load a data set and compare its counts with its README's."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from moesaic.data.registry import DatasetInfo
from moesaic.data.tables import DataFormatError


@dataclass(frozen=True)
class Validation:
    """The outcome of loading one data set.

    Attributes:
        name: the data set.
        counts: what was loaded (``MaintenanceData.counts()`` plus ``meta["counts"]``).
        expected: what its README states.
        mismatches: ``key: expected E, found F`` for every expected count that differs.
        error: the loading error, if loading failed.
        seconds: wall time of loading.
        absent: an optional data set (kept aside) whose folder is absent: not a failure.
    """

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    mismatches: tuple[str, ...] = ()
    error: str = ""
    seconds: float = 0.0
    absent: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.mismatches


def validate_dataset(info: DatasetInfo, root: Path) -> Validation:
    """Load ``info`` from ``root`` and check every expected count; never raises for bad data."""
    folder = info.folder(root)
    if not folder.is_dir() and info.optional:
        return Validation(info.name, expected=dict(info.expected), absent=True)
    if not folder.is_dir():
        return Validation(info.name, expected=dict(info.expected), error=f"folder not found: {folder}")
    start = time.perf_counter()
    try:
        data = info.loader(folder)
    except (DataFormatError, OSError, ValueError) as err:
        return Validation(
            info.name, expected=dict(info.expected), error=str(err), seconds=time.perf_counter() - start
        )
    seconds = time.perf_counter() - start
    counts = {**data.counts(), **{k: int(v) for k, v in dict(data.meta.get("counts", {})).items()}}
    mismatches = tuple(
        f"{key}: expected {want}, found {counts.get(key, 'nothing')}"
        for key, want in info.expected.items()
        if counts.get(key) != want
    )
    return Validation(
        info.name, counts=counts, expected=dict(info.expected), mismatches=mismatches, seconds=seconds
    )
