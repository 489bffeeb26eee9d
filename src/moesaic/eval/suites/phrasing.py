"""Suite ``report_phrasing``: how often SmolLM2's rewording of report sentences survives the checks.

Protocol. Plants, knowledge bases and the fault classifier are those of suite ``reports`` (test
plants from seed ``FIRST_TEST_SEED`` on; the classifier fitted on the training plant only). Each
plant's requests are shuffled with the plant's seed; fault and fault-free windows alternate until
``reports`` requests are taken. Every request is diagnosed twice on the same base: with the
template sentences only (system ``moesaic``, latency only) and with ``phrase=True`` (system
``moesaic-smollm2-phrasing``): SmolLM2-135M-Instruct, greedy decoding, rewords the summary and
evidence sentences; a rewrite that fails the pre-check or the verifier leaves the template
sentence in place. Nothing is tuned here: the prompt and the pre-check were written before any
test plant was run.

Metrics (rows ``overall``, ``window=fault``, ``window=normal``):

- ``phrasing_pass_rate``: rewrites that passed the pre-check and the verifier / rewrites offered
  (sentences the model changed);
- ``phrasing_yield``: the same passes / sentences offered to the model (the model may give a
  sentence back unchanged: ``phrasing_unchanged_share``);
- ``precheck_reject_share`` (of rewrites) and ``verifier_reject_share`` (of rewrites that passed
  the pre-check);
- ``phrased_sentence_share``: share of the final reports' sentences that are model rewrites;
- ``cited_sentence_share``, ``recomputed_number_share``, ``unknown_identifiers``: the final
  reports verified a second time from their JSON, as suite ``reports`` does;
- ``latency_p95_ms`` / ``latency_cpu_p95_ms``: diagnose + verify + HTML of one report, language
  model included (the model is loaded once, before the first request).

Options (``-o KEY=VALUE``): ``reports=N`` (quick 10, full 100), ``assets=N`` per plant (16),
``threads=N`` torch threads (1). With ``--out DIR`` each report's costs, audit and rewordings (with
their outcomes) are appended to ``DIR/report_phrasing_rewordings.jsonl`` as the run goes.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import peak_rss_mb
from moesaic.eval.suites.reports import DATASET, FIRST_TEST_SEED, MAX_PLANTS, _audit, _option
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.diagnose import (
    Report,
    default_channel_model,
    default_classifier,
    default_onset_shapes,
    diagnose,
    render,
)
from moesaic.reports.diagnose.episodes import (
    TRAIN_SEED,
    Request,
    default_models,
    sample_requests,
    simulated_plant,
)
from moesaic.reports.diagnose.faults import NORMAL
from moesaic.reports.diagnose.phrasing import Phraser, default_phraser

logger = logging.getLogger(__name__)

SYSTEM = "moesaic-smollm2-phrasing"
TASK = "report_phrasing"


class Outcome(NamedTuple):
    request: Request
    report: Report
    seconds: float
    cpu_seconds: float
    template_seconds: float
    sentences: int
    cited: int
    numbers: int
    numbers_ok: int
    unknown: int


def _timed_report(
    kb: KnowledgeBase, request: Request, phraser: Phraser | None
) -> tuple[Report, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    report = diagnose(
        kb, request.asset_id, request.start, request.end, phrase=phraser is not None, phraser=phraser
    )
    render(report, "html")
    return report, time.perf_counter() - start, time.process_time() - cpu


def _run(kb: KnowledgeBase, request: Request, phraser: Phraser) -> Outcome:
    _, template_seconds, _ = _timed_report(kb, request, None)
    report, seconds, cpu = _timed_report(kb, request, phraser)
    sentences, cited, numbers, ok, unknown = _audit(kb, report, default_models())
    return Outcome(request, report, seconds, cpu, template_seconds, sentences, cited, numbers, ok, unknown)


def _interleaved(requests: list[Request], rng: np.random.Generator) -> list[Request]:
    """Fault and fault-free requests alternating, each kind in a seeded random order."""
    order = [requests[i] for i in rng.permutation(len(requests))]
    faults = [r for r in order if r.label != NORMAL]
    normals = [r for r in order if r.label == NORMAL]
    mixed = [r for pair in zip(faults, normals, strict=False) for r in pair]
    n = min(len(faults), len(normals))
    return mixed + faults[n:] + normals[n:]


def _phrased(report: Report) -> int:
    """Sentences of the final report that are model rewrites."""
    if report.phrasing is None:
        return 0
    rewrites = {w.rewrite for w in report.phrasing.rewordings if w.outcome == "passed"}
    return sum(s.text in rewrites for s in report.sentences)


def _values(outcomes: list[Outcome]) -> dict[str, float]:
    kinds = Counter(
        w.outcome.split(":")[0] for o in outcomes if o.report.phrasing for w in o.report.phrasing.rewordings
    )
    offered = sum(kinds.values())
    rephrased = offered - kinds["unchanged"]
    passed, precheck, verifier = kinds["passed"], kinds["precheck"], kinds["verifier"]
    sentences = sum(o.sentences for o in outcomes)
    numbers = sum(o.numbers for o in outcomes)
    return {
        "phrasing_pass_rate": passed / rephrased if rephrased else 0.0,
        "phrasing_yield": passed / offered if offered else 0.0,
        "phrasing_unchanged_share": kinds["unchanged"] / offered if offered else 0.0,
        "precheck_reject_share": precheck / rephrased if rephrased else 0.0,
        "verifier_reject_share": verifier / (rephrased - precheck) if rephrased > precheck else 0.0,
        "phrased_sentence_share": sum(_phrased(o.report) for o in outcomes) / max(sentences, 1),
        "cited_sentence_share": sum(o.cited for o in outcomes) / max(sentences, 1),
        "recomputed_number_share": sum(o.numbers_ok for o in outcomes) / numbers if numbers else 1.0,
        "unknown_identifiers": float(sum(o.unknown for o in outcomes)),
        "latency_p95_ms": float(np.percentile([o.seconds * 1000 for o in outcomes], 95)),
        "latency_cpu_p95_ms": float(np.percentile([o.cpu_seconds * 1000 for o in outcomes], 95)),
        "sentences_offered": float(offered),
        "reports": float(len(outcomes)),
    }


def _rows(setting: str, outcomes: list[Outcome], params: int) -> list[BenchRow]:
    if not outcomes:
        return []
    rss = peak_rss_mb()
    rows = [
        BenchRow(
            system=SYSTEM,
            dataset=DATASET,
            task=TASK,
            setting=setting,
            metric=name,
            value=value,
            params_total=params,
            params_active=params,
            peak_rss_mb=rss,
        )
        for name, value in _values(outcomes).items()
    ]
    template = float(np.percentile([o.template_seconds * 1000 for o in outcomes], 95))
    rows.append(
        BenchRow(
            system="moesaic",
            dataset=DATASET,
            task=TASK,
            setting=setting,
            metric="latency_p95_ms",
            value=template,
            peak_rss_mb=rss,
        )
    )
    return rows


def _record(ctx: SuiteContext, outcome: Outcome) -> None:
    """Append one report's request, costs, audit and rewordings to ``OUT/report_phrasing_rewordings.jsonl``
    (written as the run goes, so a stopped run still shows what it measured)."""
    if ctx.out is None:
        return
    o = outcome
    record = {
        "asset_id": o.request.asset_id,
        "label": o.request.label,
        "start": o.request.start.isoformat(),
        "seconds": o.seconds,
        "cpu_seconds": o.cpu_seconds,
        "template_seconds": o.template_seconds,
        "audit": {
            "sentences": o.sentences,
            "cited": o.cited,
            "numbers": o.numbers,
            "numbers_ok": o.numbers_ok,
        },
        "phrased_in_report": _phrased(o.report),
        "phrasing": o.report.phrasing.to_json() if o.report.phrasing else None,
    }
    path = Path(ctx.out) / f"{TASK}_rewordings.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


@register_suite(
    TASK,
    "SmolLM2 rewording of report sentences: share that passes the pre-check and the verifier",
    options=("reports", "assets", "threads"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    import torch

    wanted = _option(ctx, "reports", 10, 100)
    assets = _option(ctx, "assets", 16, 16)
    torch.set_num_threads(_option(ctx, "threads", 1, 1))
    default_classifier(TRAIN_SEED)  # fitted once, on the training plant only
    default_onset_shapes(TRAIN_SEED)
    default_channel_model(TRAIN_SEED)
    phraser = default_phraser()  # loads the model now, so no request pays for it
    params = sum(p.numel() for p in phraser.lm.model.parameters())
    outcomes: list[Outcome] = []
    seed = FIRST_TEST_SEED
    with tempfile.TemporaryDirectory(prefix="moesaic-bench-phrasing-") as folder:
        while len(outcomes) < wanted and seed < FIRST_TEST_SEED + MAX_PLANTS:
            data = simulated_plant(seed, num_assets=assets, days=365.0)
            rng = np.random.default_rng(seed)
            requests = _interleaved(sample_requests(data, rng, normal_per_fault=0.5), rng)
            todo = requests[: wanted - len(outcomes)]
            with KnowledgeBase.open(Path(folder) / f"kb-{seed}", create=True, embedder="hashing") as kb:
                kb.ingest(data, source="plant")
                for r in ctx.progress(todo, f"phrased reports, plant seed {seed}", total=len(todo)):
                    outcomes.append(_run(kb, r, phraser))
                    _record(ctx, outcomes[-1])
            seed += 1
    logger.info("report_phrasing: %d reports on plants %d..%d", len(outcomes), FIRST_TEST_SEED, seed - 1)
    return (
        _rows("overall", outcomes, params)
        + _rows("window=fault", [o for o in outcomes if o.request.label != NORMAL], params)
        + _rows("window=normal", [o for o in outcomes if o.request.label == NORMAL], params)
    )
