"""A linear re-ranker of scenarios that learns online from expert feedback.

The score of a scenario is ``w . f``, its named features (:attr:`Scenario.features`) dotted with
the weights. The cold-start ranker is the neighbour vote alone (``vote`` weighs 1, every other
feature 0): what was done after similar symptoms. Each piece of feedback becomes pairwise
preferences over the list it was given on, and every violated preference (margin below
:attr:`RankerConfig.margin`) moves the weights by a perceptron step, ``w += lr * (f_better -
f_worse)``. Per-verb, per-failure-mode and per-key indicator features let the expert's
preferences carry over to new situations. Scenarios are ranked by the *averaged* weights (the mean
of the weights after each verdict, the cold start included; Freund & Schapire 1999): one surprising
verdict moves the ranking a little, a consistent stream of them moves it far.

The update is a pure function of the weights, the list and the verdict, so replaying the stored
feedback log from the cold start gives the same weights as the online ranker
(:func:`moesaic.reports.scenarios.feedback.rebuild_ranker`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from moesaic.reports.scenarios.scenario import Scenario

VERDICTS = ("accept", "reject", "rank")
COLD_START = {"vote": 1.0}


@dataclass(frozen=True)
class RankerConfig:
    """Step size and margin of the online updates.

    Attributes:
        lr: step of each perceptron update, > 0.
        margin: a preference ``a > b`` is satisfied when ``score(a) - score(b) >= margin``.
        reach: how many scenarios below an accepted one it is preferred to, and below a rejected
            one are preferred to it.
    """

    lr: float = 0.3
    margin: float = 0.05
    reach: int = 1

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")
        if self.margin < 0:
            raise ValueError(f"`margin` must be >= 0, got {self.margin}")
        if self.reach < 1:
            raise ValueError(f"`reach` must be >= 1, got {self.reach}")


class Verdict(NamedTuple):
    scenario_id: str
    verdict: str  # one of VERDICTS
    rank: int | None  # the 1-based position wanted, with verdict "rank"


class ScenarioRanker:
    """Orders scenarios by ``w . f``; :meth:`update` learns from one verdict.

    Args:
        config: see :class:`RankerConfig`.
    """

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()
        self.raw_: dict[str, float] = dict(COLD_START)  # the perceptron's current weights
        self.total_: dict[str, float] = dict(COLD_START)  # their sum over the cold start and each verdict
        self.updates_ = 0

    @property
    def weights_(self) -> dict[str, float]:
        """The averaged weights the ranking uses."""
        return {name: value / (self.updates_ + 1) for name, value in self.total_.items()}

    def state(self) -> dict[str, Any]:
        """Everything needed to continue learning (see :meth:`from_state`)."""
        return {"raw": self.raw_, "total": self.total_, "updates": self.updates_}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], config: RankerConfig | None = None) -> ScenarioRanker:
        ranker = cls(config)
        ranker.raw_ = {str(k): float(v) for k, v in state["raw"].items()}
        ranker.total_ = {str(k): float(v) for k, v in state["total"].items()}
        ranker.updates_ = int(state["updates"])
        return ranker

    def score(self, scenario: Scenario, weights: Mapping[str, float] | None = None) -> float:
        w = self.weights_ if weights is None else weights
        return sum(w.get(name, 0.0) * value for name, value in scenario.features.items())

    def rank(self, scenarios: Sequence[Scenario]) -> list[Scenario]:
        """``scenarios`` best first; ties keep the given order (the strongest vote first)."""
        order = sorted(range(len(scenarios)), key=lambda i: (-self.score(scenarios[i]), i))
        return [scenarios[i] for i in order]

    def update(self, scenarios: Sequence[Scenario], verdict: Verdict) -> int:
        """Learn from ``verdict`` on one of ``scenarios`` (the list it was given on).

        Accepting a scenario prefers it to every scenario ranked above it and to the next
        ``reach`` below; rejecting prefers the next ``reach`` below it (and all above) to it;
        ``rank N`` prefers it to those between position N and its own, or those up to N to it.

        Returns:
            The number of violated preferences that moved the weights.

        Raises:
            ValueError: an unknown verdict, a missing rank, or a scenario not in the list.
        """
        if verdict.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict.verdict!r}")
        ranked = self.rank(scenarios)
        ids = [s.scenario_id for s in ranked]
        if verdict.scenario_id not in ids:
            raise ValueError(f"scenario {verdict.scenario_id!r} is not among the {len(ids)} scenarios given")
        pos = ids.index(verdict.scenario_id)
        target = ranked[pos]
        reach = self.config.reach
        if verdict.verdict == "accept":
            pairs = [(target, other) for other in ranked[:pos] + ranked[pos + 1 : pos + 1 + reach]]
        elif verdict.verdict == "reject":
            pairs = [(other, target) for other in ranked[:pos] + ranked[pos + 1 : pos + 1 + reach]]
        else:
            if verdict.rank is None or verdict.rank < 1:
                raise ValueError(f"verdict 'rank' needs a position >= 1, got {verdict.rank!r}")
            want = min(verdict.rank, len(ranked)) - 1
            if want <= pos:
                pairs = [(target, other) for other in ranked[want:pos]]
            else:
                pairs = [(other, target) for other in ranked[: want + 1] if other is not target]
        moved = 0
        for better, worse in pairs:
            if self.score(better, self.raw_) - self.score(worse, self.raw_) < self.config.margin:
                self._step(better, worse)
                moved += 1
        self.updates_ += 1
        for name, value in self.raw_.items():
            self.total_[name] = self.total_.get(name, 0.0) + value
        return moved

    def _step(self, better: Scenario, worse: Scenario) -> None:
        lr = self.config.lr
        for name, value in better.features.items():
            self.raw_[name] = self.raw_.get(name, 0.0) + lr * value
        for name, value in worse.features.items():
            self.raw_[name] = self.raw_.get(name, 0.0) - lr * value
