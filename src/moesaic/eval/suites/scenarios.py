"""Suite ``scenarios``: ranked maintenance scenarios and how expert feedback improves them.

Data: ``excavator_mwo``, split in time. The past (the first 80 % of dated orders) is ingested into
a fresh knowledge base (with the mining-truck FMEA when it is available; since 2026-12-01 its rows
name no asset type and come from another source, so they give the excavators' scenarios neither
risk nor actions: :mod:`moesaic.reports.scenarios.scope`). The held-out orders with
an expert coding (action or failure mode) are the situations, in time order; the correct answer is
the scenario key of their recorded coding (``"<verb>:<failure mode>"``). The simulated expert gives
feedback on the first 10 / 50 held-out orders (:func:`moesaic.reports.scenarios.evaluation.simulate_expert`);
``hits@3`` and ``mrr`` are measured on the held-out orders after the first 50, the same set for every
feedback level (setting ``feedback=0|10|50``), and ``hits@3_gain_after_50_feedback`` is the
difference between 50 and 0.

The ranker's step size is chosen before the test: the same protocol run inside the past (its first
80 % as history, the coded orders of the rest as situations, feedback on their first 50, scored on
the others) picks ``lr`` from :data:`LR_GRID` by Hits@3 after 50 verdicts.

``--quick``: 300 evaluation (and validation) orders instead of all.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Sequence

from moesaic.data.registry import DataNotFoundError, load_dataset
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios.candidates import scenario_key
from moesaic.reports.scenarios.evaluation import Case, feedback_curve
from moesaic.reports.scenarios.planner import history_generator
from moesaic.reports.scenarios.ranker import RankerConfig, ScenarioRanker
from moesaic.reports.scenarios.scenario import Situation

logger = logging.getLogger(__name__)

LEVELS = (0, 10, 50)
PAST_FRACTION = 0.8
QUICK_EVAL = 300
LR_GRID = (0.03, 0.1, 0.3, 1.0)


def _coded(orders: Sequence[Document]) -> list[Document]:
    return [d for d in orders if d.fields["Action"] or d.fields["FM"]]


def _cases(
    ctx: SuiteContext, assets: tuple[Asset, ...], history: Sequence[Document], situations: Sequence[Document]
) -> tuple[list[Case], float, float]:
    """Candidates for each situation from a fresh base holding ``history`` (and the FMEA)."""
    with (
        tempfile.TemporaryDirectory() as folder,
        KnowledgeBase.open(folder, create=True, embedder="hashing") as kb,
    ):
        with Stopwatch() as build:
            past = MaintenanceData(name="excavator_past", assets=assets, documents=tuple(history))
            kb.ingest(past, source="exc")
            try:
                kb.ingest(load_dataset("fmea_mining_truck", ctx.data_root()), source="fmea")
            except DataNotFoundError:
                logger.warning("fmea_mining_truck not found: scenarios carry no FMEA risk")
            generator = history_generator(kb)
        with Stopwatch() as propose:
            cases = [
                Case(
                    generator.propose(Situation(asset_id=f"exc:{d.asset_id}", text=d.text)),
                    scenario_key(str(d.fields["Action"]), str(d.fields["FM"])),
                )
                for d in ctx.progress(situations, "scenarios", total=len(situations))
            ]
    return cases, build.seconds, 1000.0 * propose.seconds / max(len(cases), 1)


def _choose_lr(ctx: SuiteContext, assets: tuple[Asset, ...], past: Sequence[Document]) -> float:
    """The step size that gains most Hits@3 from 50 verdicts inside the past (ties: the smaller)."""
    cut = int(PAST_FRACTION * len(past))
    situations = _coded(past[cut:])
    n = max(LEVELS)
    situations = situations[: n + QUICK_EVAL] if ctx.quick else situations
    cases, _, _ = _cases(ctx, assets, past[:cut], situations)
    scores = {}
    for lr in LR_GRID:
        make = functools.partial(ScenarioRanker, RankerConfig(lr=lr))
        scores[lr] = feedback_curve(make, cases[:n], cases[n:], (n,))[n].hits_at_3
    logger.info("validation Hits@3 after %d verdicts by lr: %s", n, scores)
    return max(LR_GRID, key=lambda lr: (scores[lr], -lr))


@register_suite(
    "scenarios", "Ranked maintenance scenarios on excavator work orders, learning from feedback", options=()
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset("excavator_mwo", ctx.data_root())
    orders = sorted((d for d in data.documents if d.time is not None), key=lambda d: (d.time, d.doc_id))
    cut = int(PAST_FRACTION * len(orders))
    past, held = orders[:cut], _coded(orders[cut:])
    n = max(LEVELS)
    if ctx.quick:
        held = held[: n + QUICK_EVAL]
    lr = _choose_lr(ctx, data.assets, past)
    cases, build_s, ms = _cases(ctx, data.assets, past, held)
    make = functools.partial(ScenarioRanker, RankerConfig(lr=lr))
    evaluated = cases[n:]
    curve = feedback_curve(make, cases[:n], evaluated, LEVELS)
    proposed = sum(any(s.key == c.answer for s in c.candidates) for c in evaluated) / len(evaluated)
    watch = {"train_seconds": build_s, "ms": ms}
    base = f"split=time_{int(100 * PAST_FRACTION)}_20,eval={curve[0].cases},lr={lr:g}"
    rows = [
        _row(f"{base},feedback={level}", metric, value, watch)
        for level, scores in curve.items()
        for metric, value in (("hits@3", scores.hits_at_3), ("mrr", scores.mrr))
    ]
    gain = curve[max(LEVELS)].hits_at_3 - curve[0].hits_at_3
    rows.append(_row(f"{base},feedback={max(LEVELS)}", "hits@3_gain_after_50_feedback", gain, watch))
    # The ceiling of any ranking: the recorded answer is among the candidates at all.
    rows.append(_row(base, "answer_proposed", proposed, watch))
    return rows


def _row(setting: str, metric: str, value: float, watch: dict[str, float]) -> BenchRow:
    return BenchRow(
        system="moesaic-scenarios",
        dataset="excavator_mwo",
        task="scenario_ranking",
        setting=setting,
        metric=metric,
        value=value,
        train_seconds=watch["train_seconds"],
        infer_ms_per_window=watch["ms"],
        peak_rss_mb=peak_rss_mb(),
    )
