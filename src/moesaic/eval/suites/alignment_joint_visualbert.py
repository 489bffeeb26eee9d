"""The VisualBERT rows of :mod:`moesaic.eval.suites.alignment_joint`: retrieval and zero-shot TEP.

Text-to-series recall by matching score and event-kind accuracy on the CLIP rows' synthetic test
pairs, and zero-shot TEP fault classification by the best-matching fault description; the
protocols are described in :mod:`moesaic.eval.suites.alignment_joint`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from moesaic.align.captions import EVENT_KINDS, CaptionedSeries, Event, describe
from moesaic.align.joint import match_scores, query_recall_at_k, score_matrix
from moesaic.align.tep import VARIABLES, fault_descriptions
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch
from moesaic.eval.suites.alignment import TEPData, tep_rows
from moesaic.eval.suites.alignment import plan as clip_plan
from moesaic.eval.suites.alignment_joint_fit import TEP_CORPUS, Fitted, JointPlan, _row

logger = logging.getLogger(__name__)


class Retrieval(NamedTuple):
    recall: dict[int, float]  # k -> recall@k
    pairs: int  # windows ranked for every query (distinct captions)
    queries: int
    ms_per_pass: float  # one (caption, window) forward pass


def retrieval(fitted: Fitted, test: CaptionedSeries, queries: int | None, seed: int) -> Retrieval:
    """Text-to-series recall@1/5: each query caption ranks all windows of distinct captions."""
    first = {c: i for i, c in reversed(list(enumerate(test.captions)))}
    keep = sorted(first.values())  # one pair per distinct caption, as the CLIP rows
    n = len(keep)
    chosen = np.arange(n)
    if queries is not None and queries < n:
        chosen = np.sort(np.random.default_rng(seed).choice(n, size=queries, replace=False))
    windows = torch.from_numpy(test.series[keep])
    with Stopwatch() as watch:
        scores = score_matrix(fitted.model, windows, fitted.encode([test.captions[keep[i]] for i in chosen]))
    recall = {k: query_recall_at_k(scores.numpy(), chosen, k) for k in (1, 5)}
    return Retrieval(recall, n, len(chosen), 1000 * watch.seconds / (len(chosen) * n))


def kind_accuracy(fitted: Fitted, test: CaptionedSeries) -> tuple[float, int]:
    """Accuracy on single-event windows of the best-matching "<kind> in <true channel>", and their count."""
    single = [i for i, events in enumerate(test.events) if len(events) == 1]
    kinds = len(EVENT_KINDS)
    prompts = [
        describe([Event(k, test.events[i][0].channel)], VARIABLES) for i in single for k in EVENT_KINDS
    ]
    windows = torch.from_numpy(test.series[single]).repeat_interleave(kinds, dim=0)
    scores = match_scores(fitted.model, windows, fitted.encode(prompts)).reshape(len(single), kinds)
    truth = np.asarray([EVENT_KINDS.index(test.events[i][0].kind) for i in single])
    return float((scores.argmax(dim=1).numpy() == truth).mean()), len(single)


def synthetic_rows(fitted: Fitted, ctx: SuiteContext, p: JointPlan) -> list[BenchRow]:
    """Retrieval by matching score and event-kind accuracy on the CLIP rows' test pairs."""
    test = TEP_CORPUS.pairs(clip_plan(ctx.quick).test_pairs, ctx.seed + 2)
    queries = ctx.integer("queries", 0) if "queries" in ctx.options else p.queries
    found = retrieval(fitted, test, queries, ctx.seed)
    setting = f"pairs={found.pairs}"
    if found.queries < found.pairs:
        setting += f",queries={found.queries}"
    per_pass = fitted.cost._replace(infer_ms_per_window=found.ms_per_pass)
    rows = [
        _row("moesaic-visualbert", "synthetic-captions", "alignment", setting, f"recall@{k}", value, per_pass)
        for k, value in found.recall.items()
    ]
    accuracy, windows = kind_accuracy(fitted, test)
    rows.append(
        _row(
            "moesaic-visualbert",
            "synthetic-captions",
            "alignment",
            f"windows={windows},kinds={len(EVENT_KINDS)}",
            "kind_accuracy",
            accuracy,
            fitted.cost,
        )
    )
    logger.info("visualbert synthetic: recall %s, kind accuracy %.3f", found.recall, accuracy)
    return rows


def _classify(fitted: Fitted) -> Callable[[np.ndarray], np.ndarray]:
    """Each window -> the described fault whose description it matches best (17 passes per window)."""
    descriptions = fault_descriptions()
    faults = np.asarray(sorted(descriptions))
    ids = fitted.encode([descriptions[int(f)] for f in faults])

    def predict(windows: np.ndarray) -> np.ndarray:
        scores = score_matrix(fitted.model, torch.from_numpy(windows), ids)  # (faults, W)
        return faults[scores.argmax(dim=0).numpy()]

    return predict


def visualbert_rows(fitted: Fitted, data: TEPData, ctx: SuiteContext, p: JointPlan) -> list[BenchRow]:
    """The synthetic rows and the zero-shot TEP rows (chance rows come from the CLIP rows)."""
    rows = synthetic_rows(fitted, ctx, p)
    tep = tep_rows({"moesaic-visualbert": (_classify(fitted), fitted.cost)}, data)
    return rows + [row for row in tep if row.system != "chance"]
