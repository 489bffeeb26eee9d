"""Every anomaly detector by name: build one with config overrides, or load any saved one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moesaic.checkpoint import CheckpointError, model_kind
from moesaic.tasks.detectors import KIND_PREFIX, BaseDetector, configure
from moesaic.tasks.detectors_consensus import MEMBERS, ConsensusDetector

DETECTORS: dict[str, type[BaseDetector]] = {**MEMBERS, "consensus": ConsensusDetector}
"""The backbone detector, the classical ones and the consensus of several."""


def make_detector(name: str, **overrides: Any) -> BaseDetector:
    """A detector of kind ``name`` (a key of :data:`DETECTORS`) with config ``overrides``."""
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of {sorted(DETECTORS)}")
    cls = DETECTORS[name]
    return cls(configure(cls, **overrides))


def load_detector(folder: Path) -> BaseDetector:
    """Any detector saved with ``save``, whatever its kind.

    Raises:
        CheckpointError: not a detector checkpoint, or a damaged one.
    """
    kind = model_kind(Path(folder))
    by_kind = {KIND_PREFIX + name: cls for name, cls in DETECTORS.items()}
    if kind not in by_kind:
        raise CheckpointError(f"{folder}: unknown detector kind {kind!r}; known: {sorted(by_kind)}")
    return by_kind[kind].load(Path(folder))
