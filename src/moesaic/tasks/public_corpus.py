"""Public sensor sets in the pretraining corpus: their training data as more fault classification.

:mod:`moesaic.tasks.pretrain` pretrains the backbone as a fault classifier on simulated plant
types; with ``PretrainConfig.public`` the corpus also holds the training data of public sensor
sets, each a classification task of its own (its classes are not the simulator's faults):

- ``tep``: the Tennessee Eastman training runs (normal operation and IDV 1-21, 52 variables);
  a window's class is the run's fault when the run is faulty at the window's last sample, else
  normal operation (:data:`moesaic.data.sets.tep.FAULTS`, 22 classes). The test runs are never
  read.
- ``skab``: the SKAB test-bed files. SKAB has no official split, so each stretch of a file with
  one anomaly flag is split in time and only its first :data:`SKAB_TRAIN_SHARE` is read; a
  window inside a flagged stretch has the file's fault class, else normal operation (the
  normal class and the fault classes of the SKAB README).

Each set's channels are z-scored with the mean and standard deviation of its normal training
data and get channel embedding rows of their own, named ``<set>.<channel>``
(:func:`public_channels`): a Tennessee Eastman temperature is not a simulated pump's. Windows
have no table: the per-asset baseline features of the simulator windows need an asset's normal
history, which a 480-sample faulty run does not have; their table cells are unobserved.

Axes: W windows, T steps, C channels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from moesaic.data.registry import load_dataset
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.sets import skab, tep
from moesaic.data.windows import WindowConfig, WindowSet

PUBLIC_SETS: tuple[str, ...] = ("skab", "tep")
SKAB_TRAIN_SHARE = 0.6  # the first 60 % of each SKAB stretch is training data
NORMAL = "normal operation"


class PublicSource(NamedTuple):
    name: str  # the registry name
    channels: tuple[str, ...]  # its vocabulary rows, "<set>.<channel>"
    classes: tuple[str, ...]  # class names by local id; 0 is normal operation
    windows: WindowSet  # training windows on its own channels, local class ids, no table


def public_channels(name: str) -> tuple[str, ...]:
    """The vocabulary rows set ``name`` adds: ``<set>.<channel>`` for each of its channels.

    Raises:
        ValueError: ``name`` is not one of :data:`PUBLIC_SETS`.
    """
    return tuple(f"{name}.{c}" for c in _set_channels(name))


def load_source(
    name: str, windows: WindowConfig, *, num_numeric: int, data_root: Path | None = None
) -> PublicSource:
    """The training windows of public set ``name``, ``windows.context_length`` steps every ``windows.stride``.

    ``num_numeric`` is the width of the corpus table (all cells unobserved here), so that every
    batch of the corpus has the same table shape.

    Raises:
        ValueError: ``name`` is not one of :data:`PUBLIC_SETS`, or the set yields no window.
        DataNotFoundError, DataFormatError: as :func:`moesaic.data.registry.load_dataset`.
    """
    channels = _set_channels(name)
    classes, parts = training_parts(name, data_root)
    normal = np.concatenate(
        [p.series.values[p.start : p.stop][p.class_at[p.start : p.stop] == 0] for p in parts]
    )
    mean = np.nanmean(normal, axis=0)
    spread = np.nanstd(normal, axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    series, labels = [], []
    for p in parts:
        values = (p.series.values[p.start : p.stop] - mean) / spread
        for end in range(windows.context_length, p.stop - p.start + 1, windows.stride):
            series.append(values[end - windows.context_length : end])
            labels.append(int(p.class_at[p.start + end - 1]))
    if not series:
        raise ValueError(
            f"{name}: no training window of {windows.context_length} steps; shorten context_length"
        )
    return PublicSource(
        name,
        tuple(f"{name}.{c}" for c in channels),
        classes,
        _window_set(np.stack(series), labels, name, num_numeric),
    )


def placed_windows(
    sources: Sequence[PublicSource], *, first_column: int, first_label: int
) -> list[WindowSet]:
    """Each source's windows on the vocabulary columns up to its last row, its labels offset.

    The sources' rows follow each other from ``first_column`` on, their classes from
    ``first_label`` on. The columns before a source's own rows are unobserved (masked tokens):
    the patch encoder gives column c the channel embedding row c.
    """
    placed = []
    column, label = first_column, first_label
    for s in sources:
        W, T, C = s.windows.series.shape
        series = torch.zeros(W, T, column + C)
        observed = torch.zeros(W, T, column + C, dtype=torch.bool)
        series[:, :, column:] = s.windows.series
        observed[:, :, column:] = s.windows.observed
        labels = s.windows.labels + label
        placed.append(dataclasses.replace(s.windows, series=series, observed=observed, labels=labels))
        column, label = column + C, label + len(s.classes)
    return placed


def flag_stretches(flags: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, stop) of each maximal stretch of equal values of a (T,) flag array."""
    edges = np.flatnonzero(np.diff(flags)) + 1
    yield from zip(np.r_[0, edges].tolist(), np.r_[edges, len(flags)].tolist(), strict=True)


class TrainingPart(NamedTuple):
    """A contiguous stretch of training rows of one series, and the class of every row."""

    series: Series
    start: int  # first training row
    stop: int  # one past the last training row
    class_at: np.ndarray  # (T,) local class id of each row of the series


def training_parts(name: str, data_root: Path | None = None) -> tuple[tuple[str, ...], list[TrainingPart]]:
    """The classes and the training stretches of public set ``name`` (the module docstring).

    Raises:
        ValueError: ``name`` is not one of :data:`PUBLIC_SETS`.
        DataNotFoundError, DataFormatError: as :func:`moesaic.data.registry.load_dataset`.
    """
    _set_channels(name)  # rejects an unknown name before reading anything
    data = load_dataset(name, data_root)
    return _tep_parts(data) if name == "tep" else _skab_parts(data)


def _tep_parts(data: MaintenanceData) -> tuple[tuple[str, ...], list[TrainingPart]]:
    """The classes and the training runs: all of each run, its fault where ``faulty``, else normal."""
    runs = [s for s in data.series if s.meta["split"] == "train"]
    return (NORMAL, *tep.FAULTS[1:]), [
        TrainingPart(s, 0, s.length, s.labels["faulty"] * int(s.meta["fault"])) for s in runs
    ]


def _skab_parts(data: MaintenanceData) -> tuple[tuple[str, ...], list[TrainingPart]]:
    """The classes and the first :data:`SKAB_TRAIN_SHARE` of each stretch of one anomaly flag."""
    classes = (NORMAL, *sorted({str(s.meta["fault"]) for s in data.series} - {"none"}))
    parts = []
    for s in data.series:
        fault = classes.index(str(s.meta["fault"])) if s.meta["fault"] != "none" else 0
        for start, stop in flag_stretches(s.labels["anomaly"]):
            cut = start + int(SKAB_TRAIN_SHARE * (stop - start))
            parts.append(TrainingPart(s, start, cut, s.labels["anomaly"] * fault))
    return classes, parts


def _set_channels(name: str) -> tuple[str, ...]:
    if name == "tep":
        return tep.CHANNELS
    if name == "skab":
        return skab.CHANNELS
    raise ValueError(f"unknown public sensor set {name!r}; choose from {list(PUBLIC_SETS)}")


def _window_set(values: np.ndarray, labels: list[int], name: str, num_numeric: int) -> WindowSet:
    """A WindowSet of (W, T, C) ``values`` (NaN = unobserved) with an unobserved table."""
    W = len(values)
    observed = torch.from_numpy(np.isfinite(values))
    series = torch.from_numpy(np.nan_to_num(values).astype(np.float32))
    return WindowSet(
        series=series,
        observed=observed,
        numeric=torch.zeros(W, num_numeric),
        numeric_observed=torch.zeros(W, num_numeric, dtype=torch.bool),
        categorical=torch.zeros(W, 0, dtype=torch.long),
        text_ids=torch.zeros(W, 1, dtype=torch.long),
        texts=("",) * W,
        drawing_index=torch.full((W,), -1, dtype=torch.long),
        images=torch.zeros(0, 1, 1, 1),
        labels=torch.tensor(labels, dtype=torch.long),
        asset_ids=(name,) * W,
        end_times=np.arange(W),
    )
