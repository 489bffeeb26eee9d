"""Scenarios for an asset of a knowledge base: the situation, the candidates, the ranking, the record.

Example:
    >>> with KnowledgeBase.open("kb") as kb:
    ...     plan = plan_scenarios(kb, asset_id="A", text="HYD OIL LEAK ON BOOM CYL")
    ...     for s in plan.scenarios: print(s.scenario_id, s.key, s.steps)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import pandas as pd

from moesaic.data.schema import Document
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.qa.table import rows_from_documents
from moesaic.reports.scenarios.candidates import CandidateConfig, ScenarioGenerator
from moesaic.reports.scenarios.coding import is_preventive, is_routine_check, read_coding
from moesaic.reports.scenarios.feedback import load_ranker, store_proposals
from moesaic.reports.scenarios.ranker import RankerConfig
from moesaic.reports.scenarios.scenario import Citation, Scenario, Situation
from moesaic.reports.scenarios.scope import asset_sources, fmea_scopes


class NoScenario(ValueError):
    """An abstention: nothing in the history supports a scenario for the situation; says why."""

    def __init__(self, situation: Situation, reason: str) -> None:
        super().__init__(reason)
        self.situation = situation


class ScenarioPlan(NamedTuple):
    situation: Situation
    scenarios: list[Scenario]  # best first


class SeriesReading(NamedTuple):
    """What an asset's readings show over a window (a diagnosis of its series).

    ``finding`` is what they show, in words ("readings ...: probable bearing wear on Vib DE"), ""
    when they show no fault; ``calm`` is True when they look normal (no fault and nothing out of
    line), False when they cannot tell (no series, too few readings); ``reason`` says which, and
    ``source`` names what read them ("the diagnosis of its series").
    """

    finding: str
    calm: bool
    reason: str
    source: str


ReadSeries = Callable[[str, pd.Timestamp, pd.Timestamp], SeriesReading]
"""``read(asset key, start, end)``: what the asset's readings show over the window."""


def window_situation(
    kb: KnowledgeBase,
    asset_id: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    read_series: ReadSeries | None = None,
) -> Situation:
    """The situation of an asset over ``[start, end]``: its events and work orders in the window.

    A window with no event and no corrective order (nothing or only the maintenance plan's
    preventive orders) is read from the asset's series when ``read_series`` is given: a fault
    they show is the situation (the wear began before anyone wrote an order); readings that look
    normal leave nothing to plan (:class:`NoScenario`, saying so); readings that cannot tell leave
    the window to its preventive orders, as without ``read_series``.

    Raises:
        NoScenario: the window is calm: no event, no corrective order, readings that look normal.
        ValueError: ``start`` after ``end``, or nothing recorded for the asset in the window.
    """
    if start > end:
        raise ValueError(f"window start {start} is after its end {end}")
    key = kb.resolve_asset(asset_id)
    parts = [f"{e.kind} {e.label}" for e in kb.events(asset_id=key, start=start, end=end)]
    orders = [
        d
        for d in kb.documents(asset_id=key)
        if d.kind == "work_order" and d.time is not None and start <= d.time <= end
    ]
    reading = None
    if read_series is not None and not parts and all(is_preventive(d) for d in orders):
        reading = read_series(key, start, end)
        if reading.finding:
            cited = Citation("series", key, f"{reading.source}: {reading.finding}")
            return Situation(asset_id=key, text=reading.finding, readings=cited)
        if reading.calm:
            raise NoScenario(
                Situation(asset_id=key, text=f"{reading.source}: {reading.reason}"),
                _calm(key, start, end, orders, reading),
            )
    # preventive orders in the window (a round, a greasing) are the maintenance plan's calendar,
    # not the situation's, unless they are all it holds: then those that did something, else all
    tiers = (
        [d for d in orders if not is_preventive(d)],
        [d for d in orders if not is_routine_check(d)],
        orders,
    )
    told = tiers[0] if parts else next((t for t in tiers if t), [])
    parts += [d.text for d in told]
    if not parts:
        series = (
            f", and {reading.source} says nothing of it ({reading.reason})" if reading is not None else ""
        )
        raise ValueError(
            f"asset {key!r} has no events or work orders between {start} and {end}{series}, so the "
            "window names no situation; describe it with --work-order TEXT (what was seen, e.g. "
            "'vibration high on pump'), or see what its series show with `moesaic report` over the window"
        )
    return Situation(asset_id=key, text=" ; ".join(parts), orders=tuple(told))


def _calm(
    key: str, start: pd.Timestamp, end: pd.Timestamp, orders: Sequence[Document], reading: SeriesReading
) -> str:
    """Why a calm window has nothing to plan."""
    span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}".replace(" 00:00", "")
    if orders:
        listed = "; ".join(f"{d.doc_id} {d.text!r}" for d in orders[:3])
        held = f"only preventive work orders ({listed}{'; ...' if len(orders) > 3 else ''})"
    else:
        held = "no work orders"
    return (
        f"nothing to plan for {key} from {span}: the window holds no events and {held}, and "
        f"{reading.source} finds no fault ({reading.reason}); describe what was seen with "
        "--work-order TEXT to plan for it"
    )


def history_generator(
    kb: KnowledgeBase, *, before: pd.Timestamp | None = None, config: CandidateConfig | None = None
) -> ScenarioGenerator:
    """A generator over the base's work orders (those before ``before`` when given) and FMEA rows,
    each asset learning from the assets of its type in the base's asset register, and taking its
    risks from the FMEA rows written for its type or, naming none, from its own source."""
    every: Sequence[Document] = kb.documents(kind="work_order")
    orders = every if before is None else [d for d in every if d.time is not None and d.time < before]
    history = {d.doc_id for d in orders}
    sheets = kb.documents(kind="fmea")
    fmea = rows_from_documents(sheets)
    cfg = config or CandidateConfig()

    def search(text: str, k: int) -> list[tuple[str, float]]:
        # Ask for more than k: hits outside the history (later orders, other kinds) are dropped.
        hits = kb.search(text, k=4 * k, kinds=["work_order"], mode="hybrid")
        if before is not None and len(hits) == 4 * k and sum(h.record_id in history for h in hits) < k:
            # A short history before an early window: the later orders can crowd it out of the
            # nearest 4 k, and "no similar past order" would then be false. Rank every order.
            hits = kb.search(text, k=max(len(every), 4 * k), kinds=["work_order"], mode="hybrid")
        return [(h.record_id, h.score) for h in hits]

    types = {a.asset_id: a.asset_type for a in kb.assets()}
    return ScenarioGenerator(
        work_orders=orders, fmea=fmea, search=search, config=cfg, asset_types=types,
        fmea_scopes=fmea_scopes(kb, sheets, types), asset_sources=asset_sources(kb),
    )  # fmt: skip


def plan_scenarios(
    kb: KnowledgeBase,
    *,
    asset_id: str,
    text: str | None = None,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    top: int = 5,
    config: CandidateConfig | None = None,
    ranker_config: RankerConfig | None = None,
    read_series: ReadSeries | None = None,
) -> ScenarioPlan:
    """Ranked scenarios for an asset, from a work-order ``text`` or a time ``window``; stored for feedback.

    ``read_series`` reads a window's series when it holds no event or corrective order
    (:func:`window_situation`).

    Raises:
        NoScenario: a calm window, or no scenario for the situation (a ``ValueError``: the reason).
        ValueError: neither or both of ``text`` and ``window``, an empty situation, no past order
            to learn from (none before the window, none of the asset or its type), no similar
            past order (none shares ``min_similarity`` of the situation's word weight: the nearest
            is named), or no scenario with two supporting records (the similar orders are named).
    """
    if (text is None) == (window is None):
        raise ValueError("give exactly one of `text` (a work order) and `window` (start, end)")
    if top < 1:
        raise ValueError(f"`top` must be >= 1, got {top}")
    if window is not None:
        situation = window_situation(kb, asset_id, *window, read_series=read_series)
        before = window[0]
    else:
        situation = Situation(asset_id=kb.resolve_asset(asset_id), text=str(text))
        before = None
    generator = history_generator(kb, before=before, config=config)
    if not generator.peer_orders(situation.asset_id):
        # In window mode the history stops at the window's start: say so rather than blame words.
        when = "" if before is None else f" before {before:%Y-%m-%d}"
        later = "" if before is None else "; choose a later window"
        raise NoScenario(
            situation,
            f"no scenario for asset {situation.asset_id!r}: no work orders{when} to learn from "
            f"(the history of {generator.describe_peers(situation.asset_id)}){later}",
        )
    candidates = generator.propose(situation)
    if not candidates:
        raise NoScenario(situation, _why_none(generator, situation))
    ranked = load_ranker(kb.connection, ranker_config).rank(candidates)[:top]
    # The whole candidate list is stored: a verdict is learnt against every alternative.
    store_proposals(kb.connection, situation, candidates)
    return ScenarioPlan(situation, ranked)


def _why_none(generator: ScenarioGenerator, situation: Situation) -> str:
    """Why ``situation`` gets no scenario, naming the orders nearest to it."""
    about = f"no scenario for {situation.text!r}"
    similar = generator.similar_orders(situation.text, asset_id=situation.asset_id)
    if not similar:
        nearest = generator.nearest_orders(situation.text, asset_id=situation.asset_id)
        closest = max(nearest, key=lambda n: n.similarity, default=None)
        shares = (
            ""
            if closest is None or closest.similarity == 0
            else f"; the closest, {_describe(closest.document)}, shares {closest.similarity:.0%}"
        )
        return (
            f"{about}: no similar past work orders (none of those of "
            f"{generator.describe_peers(situation.asset_id)} shares "
            f"{generator.config.min_similarity:.0%} of the weight of its words{shares}): abstaining "
            "rather than proposing what unrelated orders record"
        )
    listed = "; ".join(_describe(n.document) for n in similar[:3])
    checks = sum(is_routine_check(n.document) for n in similar)
    routine = (
        f", {checks} of them routine checks that did nothing but inspect, test or monitor (these vote "
        "for no plan)"
        if checks
        else ""
    )
    more = "; ..." if len(similar) > 3 else ""
    found = (
        f"only one similar past work order, {listed}{routine}"
        if len(similar) == 1
        else f"{len(similar)} similar past work orders ({listed}{more}){routine}, but no two with the "
        "same coding"
    )
    return f"{about}: {found}; a scenario rests on two similar orders sharing a coding: ingest more history"


def _describe(order: Document) -> str:
    return f"{order.doc_id} ({read_coding(order).key}: {order.text!r})"
