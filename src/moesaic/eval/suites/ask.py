"""Suite ``ask``: questions over a knowledge base (``moesaic ask --kb``), answered or abstained.

Protocol. A plant is simulated (seed ``-o seed=N``, default 33; 10 assets, 90 days, 12 faults per
asset and year) and ingested, with the mining-truck FMEA when it is available, into a fresh base
(dataset ``simulated_plant``); a second base holds the same plant without events and without the
series' ground-truth labels, for onsets the answerer must compute from the series. AssetOpsBench
is ingested into a third base (dataset ``assetopsbench``; skipped with a warning when absent).
Questions come from fixed templates filled with names drawn (seeded) from the data, and their gold
answers are computed from the plant's raw files or the dataset's records, never through the
answerer (:mod:`moesaic.eval.suites.ask_questions`). Seeds 3, 4 and 21 were used to develop the
answerer and must not be used to report it; seed 33 was first used for its held-out evaluation.

Question kinds (setting ``kind=<kind>``): ``count`` (work orders per asset, month, failure code;
alarms), ``most_frequent`` (failure code, component), ``sequence`` (component replaced most often
within 30 days after a fault type), ``drawings`` (material, revision, drawings of an asset),
``fmea`` (RPN of a component), ``series_stat`` (maximum over the last week, mean over a month),
``trend`` (progressive faults yes, fault-free windows no), ``onset_events`` (the latest fault's
onset, from the events), ``onset_computed`` (the onset of each fault but sensor spikes, asked
of its first channel in a window from 10 days before the onset to the fault's end, on the base
without events; correct within 24 hours), ``retrieval`` (half the words of a work order; correct
when a work order holding every word asked is cited), ``unknown_names`` and ``off_topic`` (correct when the
answerer abstains).

Metrics: ``accuracy`` per kind and ``kind=overall`` (all questions, micro-averaged);
``abstention_recall`` (``kind=unanswerable``: unknown names and off-topic questions abstained);
``false_abstention`` (``kind=answerable``: answerable questions abstained); ``onset_within_24h``
and ``onset_error_hours_median`` (``kind=onset_computed``; the median over answers that state an
onset); ``latency_p95_ms`` per question (``kind=overall``). Every row carries the base's build
(ingest) seconds as ``train_seconds``, the mean milliseconds per question as ``infer_ms_per_window``
and ``peak_rss_mb``.

Options (``-o KEY=VALUE``): ``seed=N`` (plant and question draws, default 33),
``embedder=hashing|auto`` (retrieval embeddings; ``auto``, the default of ``moesaic kb ingest``, is
MiniLM when its extra is installed; default auto, quick hashing), ``per_kind=N`` (most questions
per kind: quick 6, full 40), ``assets=N`` and ``days=D`` (plant size: quick 4 and 45, full 10 and
90), ``aob=no`` (skip AssetOpsBench). The answers, question by question, go to
``OUT/ask_answers_<dataset>.jsonl``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.atomic import write_text_atomic
from moesaic.data.registry import DataNotFoundError, load_dataset
from moesaic.data.schema import MaintenanceData
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.loader import load_plant
from moesaic.data.simulator.writer import simulate_to
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.eval.suites.ask_checks import (
    abstains,
    close_to,
    counts_to,
    names_top,
    states_time,
    time_after,
    top_set,
)
from moesaic.eval.suites.ask_questions import (
    MONTHS,
    Question,
    capped,
    off_topic_questions,
    plant_questions,
    retrieval_questions,
)
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer

logger = logging.getLogger(__name__)

DEFAULT_SEED = 33
DEVELOPMENT_SEEDS = (3, 4, 21)
FAULT_RATE = 12.0
PLANT_SOURCE = "plant"
AOB_SOURCE = "assetopsbench"


class Outcome(NamedTuple):
    kind: str
    question: str
    answer: str
    answerable: bool
    correct: bool
    abstained: bool
    error_hours: float | None  # onset_computed only: hours between stated and true onset
    ms: float


class Built(NamedTuple):
    outcomes: list[Outcome]
    build_seconds: float


def _ask(
    ctx: SuiteContext, bases: dict[bool, KnowledgeBase], questions: list[Question], label: str
) -> list[Outcome]:
    """Ask every question (``blind`` ones of the base without events) and score the answers."""
    answerers = {blind: KbAnswerer(base) for blind, base in bases.items()}
    out = []
    for q in ctx.progress(questions, label, total=len(questions)):
        start = time.perf_counter()
        answer = answerers[q.blind].answer(q.text)
        ms = 1000.0 * (time.perf_counter() - start)
        error = None
        if q.onset is not None and (stated := time_after(answer.text, "starts at")) is not None:
            error = abs((stated - q.onset).total_seconds()) / 3600.0
        out.append(
            Outcome(
                q.kind,
                q.text,
                answer.text[:400],
                q.answerable,
                bool(q.check(answer)),
                answer.abstained,
                error,
                ms,
            )
        )
    return out


def _plant(ctx: SuiteContext, seed: int, embedder: str, cap: int) -> Built:
    """Simulate the plant, build its two bases and answer its questions."""
    assets = ctx.integer("assets", 4 if ctx.quick else 10)
    days = ctx.number("days", 45 if ctx.quick else 90)
    if seed in DEVELOPMENT_SEEDS:
        logger.warning("seed %d was used to develop the answerer: its results are not held out", seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plant"
        simulate_to(SimulatorConfig(num_assets=assets, days=days, seed=seed, fault_rate=FAULT_RATE), folder)
        questions = plant_questions(folder, source=PLANT_SOURCE, seed=seed, cap=cap)
        data = load_plant(folder)
        blind = dataclasses.replace(
            data, events=(), series=tuple(dataclasses.replace(s, labels={}) for s in data.series)
        )
        with (
            KnowledgeBase.open(Path(tmp) / "kb", create=True, embedder=embedder) as base,
            KnowledgeBase.open(Path(tmp) / "kb_blind", create=True, embedder=embedder) as blind_base,
        ):
            with Stopwatch() as build:
                base.ingest(data, source=PLANT_SOURCE)
                try:
                    base.ingest(load_dataset("fmea_mining_truck", ctx.data_root()), source="fmea")
                except DataNotFoundError:
                    logger.warning("fmea_mining_truck not found: the plant base holds the plant's FMEA only")
                blind_base.ingest(blind, source=PLANT_SOURCE)
            outcomes = _ask(ctx, {False: base, True: blind_base}, questions, "ask simulated_plant")
    return Built(outcomes, build.seconds)


def aob_questions(data: MaintenanceData, *, seed: int, cap: int) -> list[Question]:
    """Questions over AssetOpsBench, gold answers from its records (see ``ask_questions``)."""
    rng = np.random.default_rng(seed)
    wos = [d for d in data.documents if d.kind == "work_order"]
    by_asset = Counter(d.asset_id for d in wos)
    names = {a.asset_id: str(a.attributes.get("name", "")) for a in data.assets}
    out = [
        Question("count", f"How many work orders for {a}?", counts_to(n, "work orders"))
        for a, n in by_asset.items()
    ]
    out += [
        Question("count", f"How many work orders for {names[a]}?", counts_to(n, "work orders"))
        for a, n in by_asset.items()
        if names.get(a)
    ]
    years = sorted({d.time.year for d in wos if d.time is not None})
    for a in by_asset:
        year = years[int(rng.integers(len(years)))]
        n = sum(d.asset_id == a and d.time is not None and d.time.year == year for d in wos)
        out.append(Question("count", f"How many work orders for {a} in {year}?", counts_to(n, "work orders")))
    for kind, noun in (("alarm", "alarms"), ("anomaly", "anomalies")):
        for a, n in Counter(e.asset_id for e in data.events if e.kind == kind).items():
            out.append(Question("count", f"How many {noun} for {a}?", counts_to(n, noun)))
    for a in by_asset:
        codes = Counter(
            str(d.fields["primary_code"]) for d in wos if d.asset_id == a and d.fields.get("primary_code")
        )
        q = f"What is the most common failure code in work orders of {a}?"
        out.append(Question("most_frequent", q, names_top(top_set(codes), "failure code")))
    out += _aob_series(data)
    starts: dict[str, list] = defaultdict(list)
    for e in data.events:
        if e.kind == "anomaly" and e.start is not None:
            starts[e.asset_id].append(e.start)
    for a, times in starts.items():
        latest = max(times).floor("min")
        q = f"When did the anomaly start on {a}?"
        out.append(Question("onset_events", q, states_time("started at", latest)))
    taken = set(by_asset) | set(names.values()) | {str(d.fields.get("primary_code")) for d in wos}
    out += _aob_unknown(rng, taken, data.series[0].asset_id if data.series else "CWC04006")
    out += off_topic_questions(rng, cap)
    texts = {f"{AOB_SOURCE}:{d.doc_id}": d.text for d in wos}
    freq = Counter(texts.values())
    rare = {k: t for k, t in texts.items() if freq[t] <= 3}
    out += retrieval_questions(rng, texts, cap, "Any work order about", pool=sorted(rare))
    return capped(rng, out, cap)


def _aob_series(data: MaintenanceData) -> list[Question]:
    """Maximum over the last 7 days and mean over each month, per channel of the series."""
    out = []
    for s in data.series:
        frame = s.to_frame()
        last = frame.index.max()
        name = next((a.attributes.get("name") for a in data.assets if a.asset_id == s.asset_id), None)
        for ch in s.channels:
            week = frame.loc[frame.index >= last - np.timedelta64(7, "D"), ch]
            if week.notna().any():
                q = f"What is the maximum {ch} of {s.asset_id} in the last 7 days?"
                out.append(Question("series_stat", q, close_to(float(week.max()), "maximum")))
            months = pd.DatetimeIndex(frame.index).to_period("M")
            for month in sorted(set(months)):
                values = frame.loc[months == month, ch]
                if values.notna().any():
                    when = f"{MONTHS[month.month - 1]} {month.year}"
                    q = f"What is the mean {ch} of {name or s.asset_id} in {when}?"
                    out.append(Question("series_stat", q, close_to(float(values.mean()), "mean")))
    return out


def _aob_unknown(rng: np.random.Generator, taken: set[str], asset: str) -> list[Question]:
    """Made-up chiller ids, chiller names, channels and failure codes (each absent from ``taken``)."""
    numbers = [int(x) for x in rng.choice(np.arange(90, 100), size=2, replace=False)]
    fakes = {
        f"CWC0{9000 + numbers[0]}": "How many work orders for {}?",
        f"Chiller {numbers[1]}": "How many work orders for {}?",
        f"Widget Speed {int(rng.integers(10, 100))}": f"Is there a trend in channel {{}} of {asset}?",
        f"QQ{int(rng.integers(900, 1000))}": "How many work orders with failure code {}?",
    }
    return [
        Question("unknown_names", template.format(name), abstains, answerable=False)
        for name, template in fakes.items()
        if name not in taken
    ]


def _aob(ctx: SuiteContext, seed: int, embedder: str, cap: int) -> Built | None:
    """AssetOpsBench in a fresh base and its questions; None when the data set is absent."""
    try:
        data = load_dataset("assetopsbench", ctx.data_root())
    except DataNotFoundError:
        logger.warning("assetopsbench not found: its rows are skipped")
        return None
    questions = aob_questions(data, seed=seed, cap=cap)
    with (
        tempfile.TemporaryDirectory() as tmp,
        KnowledgeBase.open(tmp, create=True, embedder=embedder) as base,
    ):
        with Stopwatch() as build:
            base.ingest(data, source=AOB_SOURCE)
        outcomes = _ask(ctx, {False: base}, questions, "ask assetopsbench")
    return Built(outcomes, build.seconds)


def summarize(dataset: str, tags: str, built: Built) -> list[BenchRow]:
    """The contract's rows of one data set's outcomes; ``tags`` ends every setting."""
    outcomes = built.outcomes
    mean_ms = float(np.mean([o.ms for o in outcomes])) if outcomes else None
    rss = peak_rss_mb()

    def row(kind: str, members: list[Outcome], metric: str, value: float) -> BenchRow:
        return BenchRow(
            "moesaic-ask",
            dataset,
            "question_answering",
            f"kind={kind},n={len(members)},{tags}",
            metric,
            value,
            train_seconds=built.build_seconds,
            infer_ms_per_window=mean_ms,
            peak_rss_mb=rss,
        )

    def share(members: list[Outcome], field: str) -> float:
        return float(np.mean([getattr(o, field) for o in members]))

    rows = []
    for kind in dict.fromkeys(o.kind for o in outcomes):
        members = [o for o in outcomes if o.kind == kind]
        rows.append(row(kind, members, "accuracy", share(members, "correct")))
    if outcomes:
        rows.append(row("overall", outcomes, "accuracy", share(outcomes, "correct")))
        p95 = float(np.percentile([o.ms for o in outcomes], 95))
        rows.append(row("overall", outcomes, "latency_p95_ms", p95))
    if unanswerable := [o for o in outcomes if not o.answerable]:
        rows.append(row("unanswerable", unanswerable, "abstention_recall", share(unanswerable, "abstained")))
    if answerable := [o for o in outcomes if o.answerable]:
        rows.append(row("answerable", answerable, "false_abstention", share(answerable, "abstained")))
    if onsets := [o for o in outcomes if o.kind == "onset_computed"]:
        rows.append(row("onset_computed", onsets, "onset_within_24h", share(onsets, "correct")))
        if errors := [o.error_hours for o in onsets if o.error_hours is not None]:
            rows.append(row("onset_computed", onsets, "onset_error_hours_median", float(np.median(errors))))
    return rows


def _write_answers(ctx: SuiteContext, dataset: str, built: Built) -> None:
    """Every question, answer and verdict to ``OUT/ask_answers_<dataset>.jsonl`` (for inspection)."""
    if ctx.out is None:
        return
    lines = [json.dumps(o._asdict(), ensure_ascii=False) for o in built.outcomes]
    write_text_atomic(Path(ctx.out) / f"ask_answers_{dataset}.jsonl", "\n".join(lines) + "\n")


@register_suite(
    "ask",
    "Questions over a knowledge base (simulated plant, AssetOpsBench): answers, abstentions",
    options=("seed", "embedder", "per_kind", "assets", "days", "aob"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    seed = ctx.integer("seed", DEFAULT_SEED)
    embedder = ctx.options.get("embedder", "hashing" if ctx.quick else "auto")
    if embedder not in ("hashing", "auto") and not embedder.startswith(("hashing-", "minilm")):
        raise ValueError(f"-o embedder= must be hashing or auto, got {embedder!r}")
    cap = ctx.integer("per_kind", 6 if ctx.quick else 40)
    tags = f"seed={seed},embedder={embedder}"
    plant = _plant(ctx, seed, embedder, cap)
    _write_answers(ctx, "simulated_plant", plant)
    rows = summarize("simulated_plant", tags, plant)
    if ctx.options.get("aob", "yes") not in ("no", "0", "false"):
        aob = _aob(ctx, seed, embedder, cap)
        if aob is not None:
            _write_answers(ctx, "assetopsbench", aob)
            rows += summarize("assetopsbench", tags, aob)
    return rows
