"""A maintenance scenario and the situation it answers: what candidates, ranker and feedback pass on.

A :class:`Situation` is an asset and a description of its state; a :class:`Scenario` is one
proposed course of action for it: its steps, its downtime and cost, its FMEA risk, the records
it cites (:class:`Citation`) and the named features the ranker reads. A scenario goes to and
from JSON (:meth:`Scenario.to_json`, :meth:`Scenario.from_json`) for the feedback log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from moesaic.data.schema import Document


class Citation(NamedTuple):
    table: str  # documents (work orders, FMEA rows), events, or series (an asset's readings)
    record_id: str
    why: str


@dataclass(frozen=True)
class Situation:
    """What the scenarios answer: an asset (a key of the base) and a description of its state.

    ``orders`` are the work orders the description was read from (a window's), if any: what the
    work they did cost counts for the plans doing it. ``readings`` cites the asset's series when
    the description was read from them (a window with no order or event). Neither is part of its
    identity.
    """

    asset_id: str
    text: str
    orders: tuple[Document, ...] = field(default=(), compare=False, repr=False)
    readings: Citation | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("`text` of a situation must not be empty")

    @property
    def situation_id(self) -> str:
        return hashlib.sha256(f"{self.asset_id}\n{self.text}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Scenario:
    """One proposed course of action.

    Attributes:
        scenario_id: stable id (situation and key), used by feedback.
        key: ``"<verb>:<failure mode>"``, the identity the ranker and the feedback learn.
        failure_mode: the failure mode addressed.
        steps: the ordered actions, each starting with a verb of
            :data:`~moesaic.reports.scenarios.actions.ACTIONS`.
        reason: why it is proposed, in one sentence.
        downtime_h: median ``downtime_hours`` (else ``labour_hours``) of the supporting orders (a
            user's file; the reason names the field), None when unknown (the excavator set records
            no downtime).
        cost: median recorded cost (``Cost`` or ``cost``) of the supporting orders, None when unknown.
        downtime_range, cost_range: ``(least, most)`` of the supporting orders' figures when they
            did unlike jobs, whose median stands for none of them (``downtime_h``, ``cost`` are
            then None: :func:`~moesaic.reports.scenarios.coding.median_figure`).
        severity: FMEA severity of the failure mode (1-10), None when no FMEA row matches.
        occurrence: FMEA occurrence (1-10), None when no FMEA row matches.
        citations: the supporting records, at least two.
        features: named signals read by the ranker.
        title: what the plan does, in words ("replace DE bearing (Bearing wear / spalling)"); ""
            in proposals stored before titles were (show the key then).
    """

    scenario_id: str
    key: str
    failure_mode: str
    steps: tuple[str, ...]
    reason: str
    downtime_h: float | None
    cost: float | None
    severity: float | None
    occurrence: float | None
    citations: tuple[Citation, ...]
    features: Mapping[str, float] = field(default_factory=dict)
    title: str = ""
    downtime_range: tuple[float, float] | None = None
    cost_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if len(self.citations) < 2:
            raise ValueError(f"scenario {self.key!r}: needs at least 2 citations, got {len(self.citations)}")

    def risk(self) -> str:
        if self.severity is None or self.occurrence is None:
            return "unknown (no matching FMEA row)"
        return f"severity {self.severity:g}, occurrence {self.occurrence:g} (FMEA)"

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "key": self.key,
            "failure_mode": self.failure_mode,
            "steps": list(self.steps),
            "reason": self.reason,
            "downtime_h": self.downtime_h,
            "cost": self.cost,
            "severity": self.severity,
            "occurrence": self.occurrence,
            "citations": [c._asdict() for c in self.citations],
            "features": dict(self.features),
            "title": self.title,
            "downtime_range": None if self.downtime_range is None else list(self.downtime_range),
            "cost_range": None if self.cost_range is None else list(self.cost_range),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scenario:
        return cls(
            scenario_id=data["scenario_id"],
            key=data["key"],
            failure_mode=data["failure_mode"],
            steps=tuple(data["steps"]),
            reason=data["reason"],
            downtime_h=data["downtime_h"],
            cost=data["cost"],
            severity=data["severity"],
            occurrence=data["occurrence"],
            citations=tuple(Citation(**c) for c in data["citations"]),
            features=dict(data["features"]),
            title=str(data.get("title", "")),
            downtime_range=_pair(data.get("downtime_range")),
            cost_range=_pair(data.get("cost_range")),
        )


def _pair(value: Any) -> tuple[float, float] | None:
    """A stored ``[least, most]`` (absent in proposals stored before ranges were)."""
    return None if value is None else (float(value[0]), float(value[1]))
