"""Suite ``reports``: grounded diagnostic reports on simulated faults with known ground truth.

Protocol. The fault classifier and the onset estimator per fault type are fitted on the training
plant (seed ``TRAIN_SEED``) only. Evaluation plants use other seeds; each is ingested into a fresh
knowledge base and every report is produced through it (``diagnose``: evidence, sentences,
verifier), then rendered to HTML. Fault requests open one to seven days (uniformly, in whole hours)
before the onset and close at the fault's end
(:func:`moesaic.reports.diagnose.episodes.sample_requests`): wide enough that a guess that reads no
data places the onset within a day of the truth only about a third of the time. Each report compares
its window with the latest healthy stretch before it, as the base's fault history tells it
(:func:`moesaic.reports.diagnose.episodes.healthy_baseline`; the fault asked about is never part of
that history); the onset's healthy model is fitted on the healthy stretches of the nine weeks
before (:func:`moesaic.reports.diagnose.episodes.healthy_history`).

Metrics (rows ``overall``, ``fault=<type>`` and ``adversarial``):

- ``fault_type_accuracy``: the report names the true fault type; ``stated_confidence_mean``: the
  mean confidence the reports state for the type they name, 0 for a report that names none (as
  the accuracy counts it wrong), so that calibrated it is close to the accuracy;
  ``true_cause_listed``: share of reports whose ranked probable causes include the true fault type;
- ``onset_accuracy``: the stated onset lies within one detection window (the detector's smoothing
  window: one day) of the true onset; a missing onset counts as wrong;
- ``onset_error_hours_median``: median distance of the stated onset from the true one (reports
  that state one); system ``start_plus_median_lead`` is a reference that reads no data and states
  the onset in the middle of the lead range (four days after the window opens): it lands within a
  day only when the lead happens to lie between three and five days (about a third of requests);
- ``channel_recall``: share of the fault's channels among the channels the report says moved;
  ``channel_precision``: share of those that the fault touches;
- ``cited_sentence_share``, ``recomputed_number_share``, ``unknown_identifiers``: an independent
  second verification of the final report, read back from its JSON (every sentence with a
  resolving citation and no failure; numbers within tolerance; identifiers absent from the base,
  units and channel names of the asset excepted);
- ``abstention_recall``: share of fault-free windows on which no fault type is claimed;
  ``fake_asset_rejected``: share of requests for an asset not in the base that end in a clear
  error; ``fake_identifier_echoed``: requests whose note names a made-up part or work order, and
  whose report repeats it;
- ``latency_p95_ms`` (wall time of diagnose + verify + HTML rendering of one report) and
  ``latency_cpu_p95_ms`` (the CPU time of this process for the same work: on a shared machine the
  wall time also counts waiting for a core), ``peak_rss_mb``.

Options (``-o KEY=VALUE``): ``per_type=N`` fault requests per type (quick 8, full 200),
``normal=N`` fault-free windows (quick 12, full 150), ``fakes=N`` fake-asset and fake-note
requests each (quick 4, full 30), ``assets=N`` assets per plant (quick 16, full 32),
``first_seed=N`` the seed of the first evaluation plant (default 1), ``classifier=forest`` the
random-forest fault classifier instead of the boosted one (system ``moesaic-forest``; both
fitted on the training plant, each with its own channel model). ``first_seed`` is a
*validation* setting: the recorded results use the default seeds 1..40; designs and thresholds of
the onset estimator are chosen on the training plant and on validation plants (``first_seed=2000``
and above), never on those.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import peak_rss_mb
from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.links import identifiers_in
from moesaic.reports.diagnose import (
    ChannelModel,
    EvidenceError,
    FaultClassifier,
    Report,
    default_onset_shapes,
    diagnose,
    render,
)
from moesaic.reports.diagnose.episodes import (
    LEAD_HOURS,
    TRAIN_SEED,
    Request,
    default_models,
    sample_requests,
    simulated_plant,
)
from moesaic.reports.diagnose.faults import MODELS, NORMAL
from moesaic.reports.diagnose.verify import allowed_tokens, verify_report

logger = logging.getLogger(__name__)

DATASET = "simulated_plant"
TASK = "diagnosis"
FIRST_TEST_SEED = 1
MAX_PLANTS = 40
NAIVE_LEAD = pd.Timedelta(hours=sum(LEAD_HOURS) / 2)  # the middle of the lead of a fault request
NAIVE_SYSTEM = "start_plus_median_lead"
Models = tuple[FaultClassifier, ChannelModel]


class Outcome(NamedTuple):
    request: Request
    report: Report | None
    seconds: float
    cpu_seconds: float
    sentences: int
    cited: int
    numbers: int
    numbers_ok: int
    unknown: int
    rejected: bool  # the request ended in a clear error
    echoed: bool  # a made-up identifier of the note appears in the report


def _option(ctx: SuiteContext, name: str, quick: int, full: int) -> int:
    value = ctx.options.get(name)
    return int(value) if value is not None else (quick if ctx.quick else full)


def _audit(kb: KnowledgeBase, report: Report, models: Models) -> tuple[int, int, int, int, int]:
    """Second, independent verification of a report read back from its JSON form."""
    classifier = models[0]
    again = verify_report(Report.from_json(report.to_json()), kb, classifier=classifier)
    allowed = allowed_tokens(kb, report.diagnosis.asset_id)
    unknown = sum(
        1
        for s in report.sentences
        for t in identifiers_in(s.text)
        if t.casefold() not in allowed and not kb.identifier_exists(t)
    )
    cited = sum(1 for s in again.report.sentences if s.citations) - (len(report.sentences) - again.kept)
    return len(report.sentences), max(cited, 0), again.numbers, again.numbers_ok, unknown


def _run(kb: KnowledgeBase, request: Request, models: Models, note: str = "", fake: str = "") -> Outcome:
    start, cpu = time.perf_counter(), time.process_time()
    try:
        report = diagnose(
            kb,
            request.asset_id,
            request.start,
            request.end,
            note=note,
            classifier=models[0],
            channel_model=models[1],
        )
        render(report, "html")
    except EvidenceError:
        return Outcome(request, None, time.perf_counter() - start, 0.0, 0, 0, 0, 0, 0, True, False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    sentences, cited, numbers, ok, unknown = _audit(kb, report, models)
    echoed = bool(fake) and fake.casefold() in " ".join(s.text for s in report.sentences).casefold()
    return Outcome(request, report, seconds, cpu, sentences, cited, numbers, ok, unknown, False, echoed)


def _rows(setting: str, outcomes: list[Outcome], *, faults: bool, system: str) -> list[BenchRow]:
    done = [o for o in outcomes if o.report is not None]
    values: dict[str, float] = {}
    if faults and done:
        hits = [o.report.diagnosis.fault_type == o.request.label for o in done if o.report]
        values["fault_type_accuracy"] = float(np.mean(hits))
        # A report that names no type states no confidence: 0, as the accuracy counts it wrong.
        stated = [o.report.diagnosis.confidence or 0.0 for o in done if o.report]
        values["stated_confidence_mean"] = float(np.mean(stated))
        values["true_cause_listed"] = float(
            np.mean([o.request.label in _causes(o.report) for o in done if o.report])
        )
        onset_ok, errors, recall, precision = [], [], [], []
        for o in done:
            assert o.report is not None and o.request.onset is not None
            d = o.report.diagnosis
            tolerance = pd.Timedelta(days=1)  # one detection window: the detector smooths over a day
            onset_ok.append(d.onset is not None and abs(pd.Timestamp(d.onset) - o.request.onset) <= tolerance)
            if d.onset is not None:
                errors.append(abs(pd.Timestamp(d.onset) - o.request.onset) / pd.Timedelta(hours=1))
            truth = set(o.request.channels)
            said = set(d.channels)
            recall.append(len(truth & said) / max(len(truth), 1))
            if said:
                precision.append(len(truth & said) / len(said))
        values["onset_accuracy"] = float(np.mean(onset_ok))
        if errors:
            values["onset_error_hours_median"] = float(np.median(errors))
        values["channel_recall"] = float(np.mean(recall))
        values["channel_precision"] = float(np.mean(precision)) if precision else 0.0
    if done:
        sentences = sum(o.sentences for o in done)
        numbers = sum(o.numbers for o in done)
        values["cited_sentence_share"] = sum(o.cited for o in done) / max(sentences, 1)
        values["recomputed_number_share"] = sum(o.numbers_ok for o in done) / numbers if numbers else 1.0
        values["unknown_identifiers"] = float(sum(o.unknown for o in done))
        values["latency_p95_ms"] = float(np.percentile([o.seconds * 1000 for o in done], 95))
        values["latency_cpu_p95_ms"] = float(np.percentile([o.cpu_seconds * 1000 for o in done], 95))
    if not faults:
        normal = [o for o in done if o.request.label == NORMAL and o.request.event_id == ""]
        if normal:
            values["abstention_recall"] = float(
                np.mean([o.report.diagnosis.abstained for o in normal if o.report])
            )
        fakes = [o for o in outcomes if o.request.event_id == "fake-asset"]
        if fakes:
            values["fake_asset_rejected"] = float(np.mean([o.rejected for o in fakes]))
        notes = [o for o in outcomes if o.request.event_id == "fake-note"]
        if notes:
            values["fake_identifier_echoed"] = float(sum(o.echoed for o in notes))
    values["requests"] = float(len(outcomes))
    rss = peak_rss_mb()
    naive = _naive_rows(setting, outcomes) if faults else []
    return (
        naive
        + [
            BenchRow(
                system=system,
                dataset=DATASET,
                task=TASK,
                setting=setting,
                metric=name,
                value=value,
                peak_rss_mb=rss,
            )
            for name, value in values.items()
        ]
        + [
            BenchRow(
                system=system, dataset=DATASET, task=TASK, setting=setting, metric="peak_rss_mb", value=rss
            )
        ]
    )


def _causes(report: Report) -> set[str]:
    """The fault types the report's ranked probable causes name."""
    return {
        str(q.params.get("fault_type"))
        for s in report.sentences
        if s.section == "causes"
        for q in s.quantities
        if q.statistic == "fault_confidence"
    }


def _naive_rows(setting: str, outcomes: list[Outcome]) -> list[BenchRow]:
    """A reference that reads no data: the onset stated at :data:`NAIVE_LEAD` after the window opens.

    Fault requests open :data:`LEAD_HOURS` (one to seven days) before the onset, so this guess
    lands within a day only when the lead lies within a day of the middle of that range.
    """
    if not outcomes:
        return []
    errors = [
        abs(o.request.start + NAIVE_LEAD - o.request.onset) / pd.Timedelta(hours=1)
        for o in outcomes
        if o.request.onset is not None
    ]
    values = {
        "onset_accuracy": float(np.mean([e <= 24.0 for e in errors])),
        "onset_error_hours_median": float(np.median(errors)),
    }
    return [
        BenchRow(system=NAIVE_SYSTEM, dataset=DATASET, task=TASK, setting=setting, metric=k, value=v)
        for k, v in values.items()
    ]


def _adversarial(
    requests: list[Request], rng: np.random.Generator, fakes: int
) -> list[tuple[Request, str, str]]:
    out: list[tuple[Request, str, str]] = []
    normals = [r for r in requests if r.label == NORMAL]
    for i in range(min(fakes, len(normals))):
        r = normals[i]
        out.append((r._replace(asset_id=f"X-{int(rng.integers(900, 999))}", event_id="fake-asset"), "", ""))
        fake = (
            f"PN-ZZ-{int(rng.integers(1000, 9999))}"
            if i % 2 == 0
            else f"WO9{int(rng.integers(10**5, 10**6))}"
        )
        note = f"Technician says {fake} was fitted on this machine last week."
        out.append((r._replace(event_id="fake-note"), note, fake))
    return out


@register_suite(
    "reports",
    "Grounded diagnostic reports on simulated faults: fault type, onset, citations, verifier",
    options=("per_type", "normal", "fakes", "assets", "first_seed", "classifier"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    per_type = _option(ctx, "per_type", 8, 200)
    normal_wanted = _option(ctx, "normal", 12, 150)
    fakes = _option(ctx, "fakes", 4, 30)
    assets = _option(ctx, "assets", 16, 32)
    first_seed = _option(ctx, "first_seed", FIRST_TEST_SEED, FIRST_TEST_SEED)
    kind = str(ctx.options.get("classifier", "boosting"))
    if kind not in MODELS:
        raise OptionError(f"option `classifier` must be one of {', '.join(MODELS)}, got {kind!r}")
    system = "moesaic" if kind == "boosting" else f"moesaic-{kind}"
    # Fitted once, on the training plant only, before any test request.
    models = default_models(TRAIN_SEED, kind)
    default_onset_shapes(TRAIN_SEED)
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    adversarial: list[Outcome] = []
    seed = first_seed
    with tempfile.TemporaryDirectory(prefix="moesaic-bench-reports-") as folder:
        while seed < first_seed + MAX_PLANTS:
            types_done = by_type and all(len(v) >= per_type for v in by_type.values()) and len(by_type) >= 8
            if types_done and sum(o.request.label == NORMAL for o in adversarial) >= normal_wanted:
                break
            data = simulated_plant(seed, num_assets=assets, days=365.0)
            rng = np.random.default_rng(seed)
            requests = sample_requests(data, rng, normal_per_fault=0.5)
            with KnowledgeBase.open(Path(folder) / f"kb-{seed}", create=True, embedder="hashing") as kb:
                kb.ingest(data, source="plant")
                todo = [r for r in requests if r.label != NORMAL and len(by_type[r.label]) < per_type]
                for r in ctx.progress(todo, f"fault requests, plant seed {seed}", total=len(todo)):
                    if len(by_type[r.label]) < per_type:
                        by_type[r.label].append(_run(kb, r, models))
                have = sum(o.request.label == NORMAL and o.request.event_id == "" for o in adversarial)
                normals = [r for r in requests if r.label == NORMAL][: max(0, normal_wanted - have)]
                extra = _adversarial(requests, rng, fakes) if seed == first_seed else []
                for r, note, fake in ctx.progress(
                    [(r, "", "") for r in normals] + extra, "adversarial requests"
                ):
                    adversarial.append(_run(kb, r, models, note, fake))
            seed += 1
    rows: list[BenchRow] = []
    every = [o for v in by_type.values() for o in v]
    rows += _rows("overall", every, faults=True, system=system)
    for label in sorted(by_type):
        rows += _rows(f"fault={label}", by_type[label], faults=True, system=system)
    rows += _rows("adversarial", adversarial, faults=False, system=system)
    logger.info(
        "reports suite: %d fault requests, %d adversarial, plants %d..%d",
        len(every),
        len(adversarial),
        first_seed,
        seed - 1,
    )
    return rows
