"""Rows of suite ``alignment`` for joint encoding (VisualBERT) and caption bootstrapping (BLIP).

Called by the alignment suite as ``rows(ctx, systems)`` with ``systems`` among :data:`SYSTEMS`.

``visualbert`` (system ``moesaic-visualbert``, :mod:`moesaic.align.joint`): one transformer over
series and caption tokens, trained with matching (hard negatives) and masked LM on the synthetic
pairs of the CLIP rows (same seeds, sizes and channel names). Same protocols as the CLIP rows:

- ``synthetic-captions``: text-to-series ``recall@1`` / ``recall@5`` over the test pairs with
  distinct captions, every window ranked by its matching score with the caption; in quick mode
  only ``queries`` captions (drawn with the seed) are ranked, each against all windows, because
  every (caption, window) pair is a forward pass; ``kind_accuracy`` on single-event windows.
- ``tep`` zero-shot: each test window goes to the fault description it matches best (17 forward
  passes per window); settings of :func:`moesaic.eval.suites.alignment.tep_settings`.

``blip`` (system ``moesaic-blip``, :mod:`moesaic.align.bootstrap`): the captioner (masked LM) and
filter (matching head, threshold from synthetic validation pairs) of a joint model trained on
synthetic pairs caption unlabelled real windows; accepted pairs join the synthetic ones and the
model trains further. ``caption_label_agreement`` on held-out labelled windows before (``round=0``)
and after (``round=1``), ``accepted_share`` and ``accepted_precision`` (accepted captions that agree
with the hidden labels) on the unlabelled pool; ``constant-normal`` captions every window "normal".

- ``tep``: pool = windows of the training runs (labels hidden); held out = the test windows of the
  zero-shot settings. A caption agrees when it names an event of the true fault's description
  (:data:`moesaic.align.tep.FAULT_EVENTS`), or says normal for fault 0.
- ``skab``: a second joint model over the 8 SKAB channels (synthetic pairs on those names, windows
  of 64 steps, half of them normal: the captioner's "normal or not" inherits the corpus prior);
  pool = windows of two thirds of the experiments, held out = the others (every third file). A
  caption agrees when it says normal exactly for windows without a labelled point.
- ``synthetic-captions``: agreement with the known events of the synthetic test pairs.

``filter_threshold`` reports the threshold chosen on the synthetic validation pairs.

Costs: ``train_seconds`` is the synthetic training (round 0) or that plus captioning, filtering and
retraining (round 1); ``infer_ms_per_window`` is the time of one (caption, window) forward pass
for the recall rows, else the time to classify (median of 3, as the CLIP rows) or caption one
window. Options (``-o KEY=VALUE``): ``joint_steps``, ``queries``, ``blip_steps``, ``skab_steps``,
``threads`` (default 1).

The joint models are fitted in :mod:`moesaic.eval.suites.alignment_joint_fit`, the VisualBERT rows
measured in :mod:`moesaic.eval.suites.alignment_joint_visualbert` and the BLIP rows in
:mod:`moesaic.eval.suites.alignment_joint_blip`; their public names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import torch_threads
from moesaic.eval.suites.alignment import load_tep
from moesaic.eval.suites.alignment import plan as clip_plan
from moesaic.eval.suites.alignment_joint_blip import (
    POOL_STRIDE,
    RETRAIN_LR,
    TASK,
    RealSet,
    Round,
    bootstrap_rows,
    skab_real,
    tep_real,
)
from moesaic.eval.suites.alignment_joint_fit import (
    BATCH,
    SKAB_CORPUS,
    SKAB_LENGTH,
    SKAB_PATCH,
    TEP_CORPUS,
    Corpus,
    Fitted,
    JointPlan,
    fit_joint,
    fit_skab_joint,
    fit_tep_joint,
    plan,
)
from moesaic.eval.suites.alignment_joint_visualbert import (
    Retrieval,
    kind_accuracy,
    retrieval,
    synthetic_rows,
    visualbert_rows,
)

__all__ = [
    "BATCH",
    "POOL_STRIDE",
    "RETRAIN_LR",
    "SKAB_CORPUS",
    "SKAB_LENGTH",
    "SKAB_PATCH",
    "SYSTEMS",
    "TASK",
    "TEP_CORPUS",
    "Corpus",
    "Fitted",
    "JointPlan",
    "RealSet",
    "Retrieval",
    "Round",
    "bootstrap_rows",
    "fit_joint",
    "fit_skab_joint",
    "fit_tep_joint",
    "kind_accuracy",
    "plan",
    "retrieval",
    "rows",
    "skab_real",
    "synthetic_rows",
    "tep_real",
    "visualbert_rows",
]

SYSTEMS = ("visualbert", "blip")


def rows(ctx: SuiteContext, systems: Sequence[str]) -> list[BenchRow]:
    """The rows of the chosen ``systems`` (a subset of :data:`SYSTEMS`); one TEP joint model serves both."""
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"unknown alignment systems {unknown}; choose among {list(SYSTEMS)}")
    if not systems:
        return []
    p = plan(ctx.quick)
    threads = ctx.integer("threads", 1)
    out: list[BenchRow] = []
    with torch_threads(threads):
        data = load_tep(ctx)
        fitted = fit_tep_joint(ctx, p, threads)
        if "visualbert" in systems:
            out += visualbert_rows(fitted, data, ctx, p)
        if "blip" in systems:
            blip_steps = ctx.integer("blip_steps", p.blip_steps)
            test = TEP_CORPUS.pairs(clip_plan(ctx.quick).test_pairs, ctx.seed + 2)
            out += bootstrap_rows(fitted, tep_real(data), ctx, blip_steps, threads, test)
            skab = fit_skab_joint(ctx, p, threads)
            out += bootstrap_rows(skab, skab_real(ctx), ctx, blip_steps, threads)
    return out
