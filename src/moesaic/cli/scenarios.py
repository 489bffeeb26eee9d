"""``moesaic scenarios`` and ``moesaic feedback``: ranked maintenance scenarios and the expert's verdicts."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from moesaic.cli.console import console, errors, fail
from moesaic.data.times import parse_time_argument
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.reports.diagnose.episodes import cache_dir, training_cache_ready
from moesaic.reports.scenarios.feedback import record_feedback
from moesaic.reports.scenarios.planner import NoScenario, ReadSeries, SeriesReading, plan_scenarios
from moesaic.reports.scenarios.ranker import VERDICTS, Verdict
from moesaic.reports.scenarios.readings import read_diagnosis

KbOption = Annotated[Path, typer.Option("--kb", help="The knowledge-base folder.")]


def _window(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    if ".." not in text:
        fail(f"--window must be T0..T1 (e.g. 2010-01-01..2010-03-31), got {text!r}")
    start, end = text.split("..", 1)
    try:
        return parse_time_argument(start, "--window start"), parse_time_argument(end, "--window end")
    except ValueError as err:
        fail(str(err))


# A plan's figures are the median over the orders its "why" names: the similar past orders that
# voted for it, or, for an FMEA plan, the orders that did its action on its part.
_MEDIAN = "median of the orders in 'why'"


_RANGE = "range of the orders in 'why': unlike jobs, no median"


def _figure(value: float | None, spread: tuple[float, float] | None, form: str, unit: str = "") -> str:
    """A plan's downtime or cost in words: its median, the range of unlike jobs, or unknown."""
    if spread is not None:
        return f"{format(spread[0], form)} to {format(spread[1], form)}{unit} ({_RANGE})"
    return "unknown (not in the history)" if value is None else f"{format(value, form)}{unit} ({_MEDIAN})"


def warned(read: ReadSeries) -> ReadSeries:
    """``read``, saying first (on stderr: --json keeps stdout) that the diagnosis models are fitted
    when they are not cached yet: only a window without an event or corrective order reads its
    series, and a first reading fits them for many minutes, as a first `moesaic report` does."""

    def reading(asset_id: str, start: pd.Timestamp, end: pd.Timestamp) -> SeriesReading:
        if not training_cache_ready():
            errors.print(
                "the window holds no event or corrective order, so its series are read by the "
                "diagnosis of `moesaic report`, whose fault models are not cached on this machine: "
                "fitting them on a simulated training plant (about 15 minutes of CPU spread over the "
                f"cores, 8 on 2; once; cached under {cache_dir()})",
                highlight=False,
                soft_wrap=True,
            )
        return read(asset_id, start, end)

    return reading


def scenarios(
    kb: KbOption,
    asset: Annotated[str, typer.Option("--asset", help="The asset (its key or original id).")],
    window: Annotated[
        str | None, typer.Option("--window", help="The situation is what happened in T0..T1.")
    ] = None,
    work_order: Annotated[
        str | None, typer.Option("--work-order", help="The situation is this work-order text.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Scenarios shown.")] = 5,
    json: Annotated[bool, typer.Option("--json", help="Print the scenarios as JSON.")] = False,
) -> None:
    """Ranked maintenance scenarios for ASSET: actions, the failure mode addressed, why, expected
    downtime and cost from history, the risk if deferred (FMEA), and the records they rest on. A
    window with no event or corrective order is read from the asset's series (the diagnosis of
    `moesaic report`): a fault they show is planned for, a calm window has nothing to plan."""
    if (window is None) == (work_order is None):
        fail("give exactly one of --window T0..T1 and --work-order TEXT")
    try:
        with KnowledgeBase.open(kb) as base:
            plan = plan_scenarios(
                base,
                asset_id=asset,
                text=work_order,
                window=None if window is None else _window(window),
                top=top,
                read_series=warned(read_diagnosis(base)),
            )
    except KeyError as err:
        fail(str(err.args[0]))
    except NoScenario as none:
        if not json:  # an abstention is an answer, as with `ask`: said on stdout, exit 0
            situation = f"[bold]{escape(none.situation.asset_id)}[/]: {escape(none.situation.text)}"
            console.print(situation, markup=True, highlight=False)
            reason = str(none)
            console.print(reason[:1].upper() + reason[1:], highlight=False, soft_wrap=True, markup=False)
            return
        print(jsonlib.dumps({"asset": none.situation.asset_id, "situation": none.situation.text,
                             "scenarios": [], "abstained": True, "reason": str(none)}))  # fmt: skip
        return
    except (KnowledgeBaseError, ValueError) as err:
        fail(str(err))
    if json:
        payload = {"asset": plan.situation.asset_id, "situation": plan.situation.text, "abstained": False}
        payload["scenarios"] = [s.to_json() for s in plan.scenarios]  # type: ignore[assignment]
        console.print_json(jsonlib.dumps(payload))
        return
    situation = f"[bold]{escape(plan.situation.asset_id)}[/]: {escape(plan.situation.text)}"
    console.print(situation, markup=True, highlight=False)
    for position, s in enumerate(plan.scenarios, start=1):
        heading = f"\n[bold]{position}. {escape(s.title or s.key)}[/]  id {s.scenario_id}"
        console.print(heading, markup=True, highlight=False)
        for step in s.steps:
            console.print(f"   - {step}", highlight=False)
        console.print(f"   why: {s.reason}", highlight=False, soft_wrap=True)
        downtime = _figure(s.downtime_h, s.downtime_range, "g", " h")
        cost = _figure(s.cost, s.cost_range, ",.0f")
        console.print(f"   downtime: {downtime}; cost: {cost}", highlight=False)
        console.print(f"   risk if deferred: {s.risk()}", highlight=False)
        for c in s.citations:
            console.print(f"   [{c.table}:{c.record_id}] {c.why}", highlight=False, soft_wrap=True)


def feedback(
    kb: KbOption,
    scenario: Annotated[
        str, typer.Option("--scenario", help="The scenario id printed by `moesaic scenarios`.")
    ],
    verdict: Annotated[str, typer.Argument(help=f"One of {', '.join(VERDICTS)}.")],
    position: Annotated[
        int | None, typer.Argument(help="With `rank`: the position wanted (1 = first).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Why, in the expert's words.")] = "",
    who: Annotated[str, typer.Option("--who", help="Who gives the feedback.")] = "expert",
) -> None:
    """Record an expert VERDICT on a proposed scenario (accept, reject, or rank N); the ranking learns
    from it at once, and the verdict is kept in the base to rebuild the ranker."""
    if verdict not in VERDICTS:
        fail(f"VERDICT must be one of {list(VERDICTS)}, got {verdict!r}")
    if (verdict == "rank") != (position is not None):
        fail("give a position N with `rank N`, and only with `rank`")
    try:
        with KnowledgeBase.open(kb) as base:
            record = record_feedback(
                base.connection, Verdict(scenario, verdict, position), who=who, note=note
            )
    except KeyError as err:
        fail(str(err.args[0]))
    except (KnowledgeBaseError, ValueError) as err:
        fail(str(err))
    placed = "" if record.rank is None else f" at position {record.rank}"
    console.print(
        f"feedback {record.feedback_id}: {record.verdict} {record.scenario_id}{placed} "
        f"by {record.who} at {record.at}",
        highlight=False,
    )
