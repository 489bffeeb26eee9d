"""A linear re-ranker of scenarios that learns online from expert feedback.

The score of a scenario is ``w . f``, its named features (:attr:`Scenario.features`, each in
[0, 1]) dotted with the weights. The cold-start ranker is the neighbour vote (``vote`` weighs 1):
what was done after similar symptoms; less twice the share of that vote cast by preventive orders
(``routine``, weighing -2: the plan's greasing, not an answer to a fault), so that a scenario more
than half of whose vote comes from the calendar's rounds ranks after every FMEA plan (no vote), and
ten monthly greasings do not outvote one corrective order. Every other feature weighs 0. A verdict does
two things.

**It is obeyed on its own situation.** The scenario judged is placed where the expert put it
(first when accepted, last when rejected, at position N for ``rank N``) whenever that situation's
list is ranked again: the expert said so about this very case.

**It is evidence about the others, and weighed as such.** It becomes pairwise preferences over the
list it was given on, and every violated preference (margin below :attr:`RankerConfig.margin`)
moves the weights by a perceptron step, ``w += lr * (f_better - f_worse)``. Per-verb,
per-failure-mode and per-key indicator features let the preferences carry over to new situations.
Two things keep one surprising verdict from overturning the history:

- *its step is bounded*: the verdict's whole change of the weights is scaled down to an L1 norm
  of at most :attr:`RankerConfig.max_shift`. As every feature lies in [0, 1], no score
  difference between two scenarios moves by more than ``max_shift``. (Unbounded, one ``rank 1``
  moved the three indicators and the text features of both scenarios of each pair at once: a
  shift of about 2 where the votes of the history differ by 0.1 to 0.3.)
- *the cold start is a prior worth* :attr:`RankerConfig.prior_weight` *verdicts*: scenarios are
  ranked by the weights averaged over the cold start, counted ``prior_weight + 1`` times, and the
  weights after each verdict (the averaged perceptron, Freund & Schapire 1999). Right after the
  first verdict, no score difference has moved by more than ``max_shift / (prior_weight + 2)``
  (under 0.1 by default: one verdict reorders only scenarios whose votes were within 0.1); ``n``
  verdicts that agree move it by up to about ``n * max_shift / 2``.

The update is a pure function of the state, the list and the verdict, so replaying the stored
feedback log from the cold start gives the same state as the online ranker
(:func:`moesaic.reports.scenarios.feedback.rebuild_ranker`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from moesaic.reports.scenarios.scenario import Scenario

VERDICTS = ("accept", "reject", "rank")
COLD_START = {"vote": 1.0, "routine": -2.0}  # a vote is at most 1: routine scores below 0
# The version of the update rule a stored state was learnt with; a state of another version is
# rebuilt from the feedback log (:func:`moesaic.reports.scenarios.feedback.load_ranker`).
STATE_VERSION = 3


@dataclass(frozen=True)
class RankerConfig:
    """Step, bound, prior and margin of the online updates.

    ``max_shift`` and ``prior_weight`` were chosen on the development split of suite
    ``scenarios`` (its past only): among the pairs whose single verdict moves a score difference
    by at most 0.1 at once (``max_shift / (prior_weight + 1) = 0.1``), the one gaining most Hits@3
    from 50 verdicts, averaged over six feedback blocks.

    Attributes:
        lr: step of each perceptron update, > 0.
        margin: a preference ``a > b`` is satisfied when ``score(a) - score(b) >= margin``.
        reach: how many scenarios below an accepted one it is preferred to, and below a rejected
            one are preferred to it.
        max_shift: the most one verdict changes the weights, in L1 norm: the most it moves the
            difference of two scores; > 0.
        prior_weight: how many verdicts the cold start counts for in the averaged weights, >= 0.
    """

    lr: float = 0.3
    margin: float = 0.05
    reach: int = 1
    max_shift: float = 2.0
    prior_weight: float = 19.0

    def __post_init__(self) -> None:
        for name in ("lr", "max_shift"):
            if not getattr(self, name) > 0:
                raise ValueError(f"`{name}` must be > 0, got {getattr(self, name)}")
        if self.margin < 0:
            raise ValueError(f"`margin` must be >= 0, got {self.margin}")
        if self.reach < 1:
            raise ValueError(f"`reach` must be >= 1, got {self.reach}")
        if self.prior_weight < 0:
            raise ValueError(f"`prior_weight` must be >= 0, got {self.prior_weight}")


class Verdict(NamedTuple):
    scenario_id: str
    verdict: str  # one of VERDICTS
    rank: int | None  # the 1-based position wanted, with verdict "rank"


class ScenarioRanker:
    """Orders scenarios by ``w . f`` and the verdicts on them; :meth:`update` learns from one verdict.

    Args:
        config: see :class:`RankerConfig`.
    """

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()
        self.raw_: dict[str, float] = dict(COLD_START)  # the perceptron's current weights
        self.total_: dict[str, float] = dict(COLD_START)  # their sum over the cold start and each verdict
        self.updates_ = 0
        self.verdicts_: list[Verdict] = []  # the latest verdict on each scenario, oldest first

    @property
    def weights_(self) -> dict[str, float]:
        """The averaged weights the ranking uses, the cold start counted ``prior_weight + 1`` times."""
        prior = self.config.prior_weight
        return {
            name: (value + prior * COLD_START.get(name, 0.0)) / (self.updates_ + 1 + prior)
            for name, value in self.total_.items()
        }

    def state(self) -> dict[str, Any]:
        """Everything needed to continue learning (see :meth:`from_state`)."""
        return {
            "version": STATE_VERSION,
            "raw": self.raw_,
            "total": self.total_,
            "updates": self.updates_,
            "verdicts": [list(v) for v in self.verdicts_],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], config: RankerConfig | None = None) -> ScenarioRanker:
        """The ranker of a :meth:`state`.

        Raises:
            ValueError: a state learnt by another version of the update rule.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"ranker state of version {state.get('version')!r}, expected {STATE_VERSION}: rebuild it "
                "from the feedback log"
            )
        ranker = cls(config)
        ranker.raw_ = {str(k): float(v) for k, v in state["raw"].items()}
        ranker.total_ = {str(k): float(v) for k, v in state["total"].items()}
        ranker.updates_ = int(state["updates"])
        ranker.verdicts_ = [
            Verdict(str(s), str(v), None if r is None else int(r)) for s, v, r in state["verdicts"]
        ]
        return ranker

    def score(self, scenario: Scenario, weights: Mapping[str, float] | None = None) -> float:
        w = self.weights_ if weights is None else weights
        return sum(w.get(name, 0.0) * value for name, value in scenario.features.items())

    def rank(self, scenarios: Sequence[Scenario], *, obey_verdicts: bool = True) -> list[Scenario]:
        """``scenarios`` best first; ties keep the given order (the strongest vote first).

        Args:
            scenarios: the candidates of one situation.
            obey_verdicts: put a scenario with a verdict where the verdict put it; False: order by
                the learnt score alone.
        """
        weights = self.weights_
        order = sorted(range(len(scenarios)), key=lambda i: (-self.score(scenarios[i], weights), i))
        ranked = [scenarios[i] for i in order]
        return self._obey(ranked) if obey_verdicts else ranked

    def _obey(self, ranked: list[Scenario]) -> list[Scenario]:
        """``ranked`` with each judged scenario where its verdict put it: ``rank N`` at position N
        (the later verdict first when two want one place, the other next to it), the accepted ones
        first (the latest first), the rejected ones last (the latest last)."""
        age = {v.scenario_id: i for i, v in enumerate(self.verdicts_)}
        judged = {s.scenario_id: s for s in ranked if s.scenario_id in age}
        if not judged:
            return ranked
        said = {v.scenario_id: v for v in self.verdicts_ if v.scenario_id in judged}
        slots: list[Scenario | None] = [None] * len(ranked)
        for sid in sorted((i for i, v in said.items() if v.verdict == "rank"), key=lambda i: -age[i]):
            want = min(said[sid].rank or 1, len(ranked)) - 1
            free = min((i for i, s in enumerate(slots) if s is None), key=lambda i: (abs(i - want), i))
            slots[free] = judged[sid]
        accepted = sorted((i for i, v in said.items() if v.verdict == "accept"), key=lambda i: -age[i])
        rejected = sorted((i for i, v in said.items() if v.verdict == "reject"), key=lambda i: age[i])
        flow = iter(
            [judged[i] for i in accepted]
            + [s for s in ranked if s.scenario_id not in judged]
            + [judged[i] for i in rejected]
        )
        return [slot if slot is not None else next(flow) for slot in slots]

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
            verdict = verdict._replace(rank=want + 1)
            if want <= pos:
                pairs = [(target, other) for other in ranked[want:pos]]
            else:
                pairs = [(other, target) for other in ranked[: want + 1] if other is not target]
        moved = self._learn(pairs)
        self.verdicts_ = [v for v in self.verdicts_ if v.scenario_id != verdict.scenario_id] + [verdict]
        return moved

    def _learn(self, pairs: Sequence[tuple[Scenario, Scenario]]) -> int:
        """Perceptron steps on the violated ``pairs`` (better, worse), in turn, their sum bounded
        by ``max_shift`` in L1 norm; then the next term of the average."""
        trial = dict(self.raw_)
        moved = 0
        for better, worse in pairs:
            if self.score(better, trial) - self.score(worse, trial) < self.config.margin:
                for scenario, sign in ((better, 1.0), (worse, -1.0)):
                    for name, value in scenario.features.items():
                        trial[name] = trial.get(name, 0.0) + sign * self.config.lr * value
                moved += 1
        step = {name: value - self.raw_.get(name, 0.0) for name, value in trial.items()}
        shift = sum(abs(v) for v in step.values())
        scale = min(1.0, self.config.max_shift / shift) if shift > 0 else 0.0
        for name, value in step.items():
            self.raw_[name] = self.raw_.get(name, 0.0) + scale * value
        self.updates_ += 1
        for name, value in self.raw_.items():
            self.total_[name] = self.total_.get(name, 0.0) + value
        return moved
