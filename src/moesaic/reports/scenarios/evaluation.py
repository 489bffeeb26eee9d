"""Scoring ranked scenarios against what was actually done, and a simulated expert.

The protocol of suite ``scenarios``: held-out work orders in time order; the expert, simulated
by each order's recorded coding, gives feedback on the first ones (accept the correct scenario
when it was proposed, reject the top one when it is wrong); Hits@K and MRR are measured on the
later ones, the same evaluation orders for every amount of feedback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from moesaic.reports.scenarios.ranker import ScenarioRanker, Verdict
from moesaic.reports.scenarios.scenario import Scenario


class Case(NamedTuple):
    candidates: list[Scenario]  # unranked, as proposed
    answer: str  # the scenario key actually recorded


class RankScores(NamedTuple):
    hits_at_3: float
    mrr: float
    cases: int


def reciprocal_rank(ranked: Sequence[Scenario], answer: str) -> float:
    """1 / (1-based position of ``answer``'s key), 0 when it is not proposed."""
    for position, scenario in enumerate(ranked, start=1):
        if scenario.key == answer:
            return 1.0 / position
    return 0.0


def score_ranking(ranker: ScenarioRanker, cases: Sequence[Case], *, k: int = 3) -> RankScores:
    """Hits@k and MRR of ``ranker`` on ``cases`` (a case with no candidate is a miss)."""
    if not cases:
        raise ValueError("no cases to score")
    hits = mrr = 0.0
    for case in cases:
        rr = reciprocal_rank(ranker.rank(case.candidates), case.answer)
        hits += rr >= 1.0 / k
        mrr += rr
    return RankScores(hits / len(cases), mrr / len(cases), len(cases))


def simulate_expert(ranker: ScenarioRanker, cases: Sequence[Case]) -> int:
    """Give the ranker the feedback the recorded coding implies, case by case, in order.

    For each case: accept the correct scenario when it is among the candidates, then reject the
    top-ranked scenario by the learnt score when it is not the correct one (the accepted scenario
    itself now leads its own list: :meth:`ScenarioRanker.rank` obeys the verdicts).

    Returns:
        The number of verdicts given.
    """
    given = 0
    for case in cases:
        if not case.candidates:
            continue
        correct = [s for s in case.candidates if s.key == case.answer]
        if correct:
            ranker.update(case.candidates, Verdict(correct[0].scenario_id, "accept", None))
            given += 1
        top = ranker.rank(case.candidates, obey_verdicts=False)[0]
        if top.key != case.answer:
            ranker.update(case.candidates, Verdict(top.scenario_id, "reject", None))
            given += 1
    return given


def feedback_curve(
    make_ranker: Callable[[], ScenarioRanker],
    feedback_cases: Sequence[Case],
    eval_cases: Sequence[Case],
    levels: Sequence[int],
) -> dict[int, RankScores]:
    """Scores on ``eval_cases`` after feedback on the first ``n`` feedback cases, for each ``n``."""
    curve = {}
    for n in levels:
        if n > len(feedback_cases):
            raise ValueError(f"feedback level {n} exceeds the {len(feedback_cases)} feedback cases")
        ranker = make_ranker()
        simulate_expert(ranker, feedback_cases[:n])
        curve[n] = score_ranking(ranker, eval_cases)
    return curve
