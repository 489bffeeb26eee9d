"""Tennessee Eastman faults in words, windows to classify, and window statistics for a supervised baseline.

Each fault description is written from the documented definitions only: the IDV list of the data
README (what is disturbed, and how: step, random variation, slow drift, sticking, fixed valve) and
the variable list of Downs & Vogel (1993), naming the measured or manipulated variable that the
disturbed quantity acts on directly. No data was looked at to write them. IDV 16-20 are
"unknown" in the documentation, so they have no description and stay out of the zero-shot
protocol. The descriptions use the captions' own phrases (:func:`moesaic.align.captions.describe`),
so a model trained on synthetic captions over these channel names reads them without any TEP data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.align.captions import Event, describe
from moesaic.data.schema import Series

_COMPONENTS = "ABCDEFGH"
VARIABLES: tuple[str, ...] = (
    "A feed", "D feed", "E feed", "A and C feed", "recycle flow", "reactor feed rate",
    "reactor pressure", "reactor level", "reactor temperature", "purge rate",
    "product separator temperature", "product separator level", "product separator pressure",
    "product separator underflow", "stripper level", "stripper pressure", "stripper underflow",
    "stripper temperature", "stripper steam flow", "compressor work",
    "reactor cooling water outlet temperature", "separator cooling water outlet temperature",
    *(f"reactor feed component {c}" for c in _COMPONENTS[:6]),
    *(f"purge gas component {c}" for c in _COMPONENTS),
    *(f"product component {c}" for c in _COMPONENTS[3:]),
    "D feed flow valve", "E feed flow valve", "A feed flow valve", "A and C feed flow valve",
    "compressor recycle valve", "purge valve", "separator pot liquid flow valve",
    "stripper liquid product flow valve", "stripper steam valve", "reactor cooling water flow",
    "condenser cooling water flow",
)  # fmt: skip
"""Names of xmeas_1..41 and xmv_1..11 (Downs & Vogel 1993, tables 3-5), in the data's column order."""

assert len(VARIABLES) == 52 and len(set(VARIABLES)) == 52


def _e(kind: str, *names: str) -> tuple[Event, ...]:
    """Events of one kind in the named variables."""
    return tuple(Event(kind, VARIABLES.index(name)) for name in names)


_REACTOR_CW = ("reactor cooling water flow", "reactor cooling water outlet temperature")
_CONDENSER_CW = ("condenser cooling water flow", "separator cooling water outlet temperature")

FAULT_EVENTS: dict[int, tuple[Event, ...]] = {
    0: (),
    1: _e("step", "A feed", "A and C feed"),  # A/C feed ratio
    2: _e("step", "purge gas component B"),  # B composition
    3: _e("step", "reactor temperature"),  # D feed temperature: the D feed enters the reactor
    4: _e("step", *_REACTOR_CW),  # reactor cooling-water inlet temperature
    5: _e("step", *_CONDENSER_CW),  # condenser cooling-water inlet temperature
    6: _e("step", "A feed", "A feed flow valve"),  # A feed loss
    7: _e("step", "A and C feed", "A and C feed flow valve"),  # C header pressure loss
    8: _e("random", "reactor feed component A", "reactor feed component B"),  # A, B, C feed composition
    9: _e("random", "reactor temperature"),  # D feed temperature
    10: _e("random", "stripper temperature"),  # C feed temperature: stream 4 enters the stripper
    11: _e("random", *_REACTOR_CW),
    12: _e("random", *_CONDENSER_CW),
    13: _e("drift", "reactor pressure", "reactor temperature"),  # reaction kinetics
    14: _e("sticking", "reactor cooling water flow") + _e("oscillation", "reactor temperature"),
    15: _e("sticking", "condenser cooling water flow"),
    21: _e("stuck", "A and C feed flow valve"),  # stream 4 valve fixed at steady state
}
"""Documented faults (IDV id, 0 = normal) -> the events their definition implies."""

DESCRIBED_FAULTS = tuple(sorted(FAULT_EVENTS))


def fault_descriptions() -> dict[int, str]:
    """One sentence per described fault, in the captions' first template."""
    return {fault: describe(events, VARIABLES) for fault, events in FAULT_EVENTS.items()}


class TEPWindows(NamedTuple):
    """Windows of TEP runs: series (W, T, 52) float32 and the fault id of each, labels (W,) int64."""

    series: np.ndarray
    labels: np.ndarray


def cut_windows(runs: Sequence[Series], *, length: int, starts: Sequence[int]) -> TEPWindows:
    """Windows of ``length`` steps starting at each 0-based index of ``starts``, from every run.

    Raises:
        ValueError: a run without a fault id in its meta, or a window past the end of a run.
    """
    series, labels = [], []
    for run in runs:
        if "fault" not in run.meta:
            raise ValueError(f"run {run.series_id!r} has no `fault` in its meta")
        for start in starts:
            if not 0 <= start <= run.length - length:
                raise ValueError(
                    f"run {run.series_id!r} has {run.length} steps: no window of {length} starts at {start}"
                )
            series.append(run.values[start : start + length])
            labels.append(int(run.meta["fault"]))
    return TEPWindows(np.stack(series).astype(np.float32), np.asarray(labels, dtype=np.int64))


class NormalScale(NamedTuple):
    """Per-channel mean and std of normal operation, (C,) each."""

    mean: np.ndarray
    std: np.ndarray


def window_features(windows: np.ndarray, scale: NormalScale) -> np.ndarray:
    """(W, T, C) windows -> (W, 3 C) statistics on the normal-operation scale.

    Per channel: the mean, the standard deviation and the change (mean of the last quarter minus
    mean of the first), each after standardising by ``scale`` so that a level away from normal
    operation shows, which the per-window scaling of the series encoder hides.
    """
    z = (windows - scale.mean) / scale.std  # (W, T, C)
    quarter = max(1, windows.shape[1] // 4)
    change = z[:, -quarter:].mean(axis=1) - z[:, :quarter].mean(axis=1)
    return np.concatenate([z.mean(axis=1), z.std(axis=1), change], axis=1)
