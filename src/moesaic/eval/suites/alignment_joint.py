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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from moesaic.align.bootstrap import CaptionSpace, capfilt, caption_space, caption_windows, fit_filter, retrain
from moesaic.align.bootstrap import agrees as caption_agrees
from moesaic.align.captions import EVENT_KINDS, CaptionedSeries, Event, describe, make_pairs
from moesaic.align.joint import (
    JointConfig,
    PairSet,
    SeriesTextJoint,
    joint_batches,
    make_pair_set,
    match_scores,
    query_recall_at_k,
    score_matrix,
)
from moesaic.align.tep import FAULT_EVENTS, VARIABLES, cut_windows, fault_descriptions
from moesaic.data.batch import Batch
from moesaic.data.registry import load_dataset
from moesaic.data.sets.skab import CHANNELS as SKAB_CHANNELS
from moesaic.data.tokenizer import TextTokenizer
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb, torch_threads
from moesaic.eval.suites.alignment import LENGTH, TEXT_LENGTH, Cost, TEPData, load_tep, tep_rows, tep_settings
from moesaic.eval.suites.alignment import plan as clip_plan
from moesaic.train import TrainConfig, train

logger = logging.getLogger(__name__)

SYSTEMS = ("visualbert", "blip")
SKAB_LENGTH = 64
SKAB_PATCH = 16
POOL_STRIDE = 16  # TEP training runs: windows of the unlabelled pool
BATCH = 32
TASK = "caption-bootstrap"
RETRAIN_LR = 1e-3  # round 1 continues from trained weights: a third of the first round's peak


class JointPlan(NamedTuple):
    """Steps of one run and how many captions the retrieval ranks (None: all)."""

    steps: int
    queries: int | None
    blip_steps: int
    skab_pairs: int
    skab_steps: int


def plan(quick: bool) -> JointPlan:
    """Quick: 500 steps, 100 ranked captions; full: 4,000 steps (as CLIP's), every caption."""
    return JointPlan(500, 100, 150, 3000, 400) if quick else JointPlan(4000, None, 1000, 12000, 2000)


class Corpus(NamedTuple):
    """A synthetic caption corpus: window length, channel names and the share of normal windows."""

    length: int
    channel_names: tuple[str, ...]
    normal_share: float

    def pairs(self, count: int, seed: int) -> CaptionedSeries:
        return make_pairs(count, length=self.length, channel_names=self.channel_names, seed=seed,
                          normal_share=self.normal_share)  # fmt: skip


TEP_CORPUS = Corpus(LENGTH, VARIABLES, 0.1)  # the CLIP rows' corpus (make_pairs' default share)
# Balanced: the captioner's "normal or not" decision inherits the corpus prior, and SKAB's real
# windows are neither 90 % abnormal (TEP's corpus) nor known in advance.
SKAB_CORPUS = Corpus(SKAB_LENGTH, SKAB_CHANNELS, 0.5)


class Fitted(NamedTuple):
    model: SeriesTextJoint
    encode: Callable[[list[str]], torch.Tensor]
    corpus: Corpus
    pairs: PairSet  # the synthetic training pairs
    cost: Cost


def _train_config(steps: int, seed: int, threads: int, lr: float = 3e-3) -> TrainConfig:
    return TrainConfig(
        lr=lr,
        warmup_steps=min(50, steps // 10),
        max_steps=steps,
        batch_size=BATCH,
        eval_every=max(1, min(50, steps)),
        patience=5,
        seed=seed,
        num_threads=threads,
        log_every=25,
        checkpoint_every=steps,
    )


def fit_joint(corpus: Corpus, count: int, *, patch_len: int, steps: int, seed: int, threads: int) -> Fitted:
    """A tokenizer and joint model trained on ``count`` pairs of ``corpus`` (256 more for validation)."""
    channel_names = corpus.channel_names
    with Stopwatch() as watch:
        train_pairs, val_pairs = corpus.pairs(count, seed), corpus.pairs(256, seed + 1)
        tokenizer = TextTokenizer(num_buckets=64).fit(train_pairs.captions)

        def encode(texts: list[str]) -> torch.Tensor:
            return tokenizer.encode(texts, TEXT_LENGTH)

        config = JointConfig(length=corpus.length, channels=len(channel_names), patch_len=patch_len,
                             vocab_size=tokenizer.vocab_size, max_text_length=TEXT_LENGTH)  # fmt: skip
        torch.manual_seed(seed)
        model = SeriesTextJoint(config)
        model.set_channel_names(tokenizer.encode(list(channel_names), config.name_words))
        pairs, val = (
            make_pair_set(
                p.series, p.captions, p.events, channel_names=channel_names, encode_text=encode, seed=s
            )
            for p, s in ((train_pairs, seed), (val_pairs, seed + 1))
        )
        tc = _train_config(steps, seed, threads)
        kw: dict[str, Any] = {"mask_id": config.mask_id, "hard_share": config.hard_share}
        val_batches = joint_batches(val, BATCH, generator=torch.Generator().manual_seed(seed), **kw)

        def source(epoch: int, generator: torch.Generator) -> list[Batch]:
            return joint_batches(pairs, tc.batch_size, generator=generator, **kw)

        train(model, source, config=tc, val_batches=val_batches)
    model.eval()
    params = count_parameters(model)
    return Fitted(
        model, encode, corpus, pairs, Cost(params.total, params.active, watch.seconds, None, peak_rss_mb())
    )


def fit_tep_joint(ctx: SuiteContext, p: JointPlan, threads: int) -> Fitted:
    """The joint model on the CLIP rows' synthetic pairs (52 TEP channel names, same seeds and sizes)."""
    steps = int(ctx.options.get("joint_steps", p.steps))
    count = clip_plan(ctx.quick).train_pairs
    return fit_joint(TEP_CORPUS, count, patch_len=LENGTH, steps=steps, seed=ctx.seed, threads=threads)


def _row(
    system: str, dataset: str, task: str, setting: str, metric: str, value: float, cost: Cost | None = None
) -> BenchRow:
    fields = cost.fields() if cost is not None else {}
    return BenchRow(
        system=system,
        dataset=dataset,
        task=task,
        setting=setting,
        metric=metric,
        value=round(float(value), 4),
        **fields,
    )


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
    queries = int(ctx.options["queries"]) if "queries" in ctx.options else p.queries
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


def _agreement(captions: Sequence[tuple[Event, ...]], truths: Sequence[Any], binary: bool) -> np.ndarray:
    """(W,) bool: caption i agrees with truth i (events, or for ``binary`` a 0/1 anomaly flag)."""
    if binary:
        return np.array([bool(c) == bool(t) for c, t in zip(captions, truths, strict=True)])
    return np.array([caption_agrees(c, t) for c, t in zip(captions, truths, strict=True)])


class RealSet(NamedTuple):
    """Unlabelled pool and held-out windows of one real data set, with the truth used only to score."""

    name: str
    pool: np.ndarray  # (W, T, C)
    pool_truth: list[Any]
    held_out: dict[str, tuple[np.ndarray, list[Any]]]  # setting -> windows, truth
    binary: bool  # truth is an anomaly flag (SKAB), else the true fault's events (TEP)


def tep_real(data: TEPData) -> RealSet:
    """Pool: windows of the training runs; held out: the test windows of the zero-shot settings."""
    length = min(s.length for s in data.train)
    pool = cut_windows(data.train, length=LENGTH, starts=range(0, length - LENGTH + 1, POOL_STRIDE))
    held = {}
    for setting, starts in tep_settings(data.test).items():
        windows = cut_windows(data.test, length=LENGTH, starts=starts)
        held[f"{setting},length={LENGTH}"] = (windows.series, [FAULT_EVENTS[int(f)] for f in windows.labels])
    return RealSet("tep", pool.series, [FAULT_EVENTS[int(f)] for f in pool.labels], held, binary=False)


def skab_real(ctx: SuiteContext) -> RealSet:
    """Every third experiment held out (windows of 64 steps, no overlap), the others pooled (stride 32).

    A window is anomalous when any of its points is labelled ``anomaly``.
    """
    series = load_dataset("skab", ctx.data_root()).series
    pool: list[np.ndarray] = []
    pool_truth: list[Any] = []
    held: list[np.ndarray] = []
    held_truth: list[Any] = []
    for i, s in enumerate(series):
        stride = SKAB_LENGTH if i % 3 == 2 else SKAB_LENGTH // 2
        for start in range(0, s.length - SKAB_LENGTH + 1, stride):
            window = s.values[start : start + SKAB_LENGTH]
            anomalous = bool(s.labels["anomaly"][start : start + SKAB_LENGTH].any())
            (held if i % 3 == 2 else pool).append(window)
            (held_truth if i % 3 == 2 else pool_truth).append(anomalous)
    setting = f"files=every-third,length={SKAB_LENGTH}"
    return RealSet("skab", np.stack(pool), pool_truth, {setting: (np.stack(held), held_truth)}, binary=True)


class Round(NamedTuple):
    """A model of one bootstrapping round and its cost fields."""

    model: SeriesTextJoint
    cost: Cost


def bootstrap_rows(
    fitted: Fitted,
    real: RealSet,
    ctx: SuiteContext,
    steps: int,
    threads: int,
    synthetic_test: CaptionedSeries | None = None,
) -> list[BenchRow]:
    """CapFilt on ``real.pool``, retraining, and agreement on held-out windows before and after.

    ``synthetic_test`` adds the agreement with the known events of synthetic test pairs.
    """
    channel_names = fitted.corpus.channel_names
    space = caption_space(channel_names, fitted.encode)
    validation = fitted.corpus.pairs(256, ctx.seed + 3)  # filter threshold: never real labels
    with Stopwatch() as watch:
        caption_filter = fit_filter(fitted.model, validation, space, fitted.encode)
        kept = capfilt(fitted.model, real.pool, space, caption_filter, fitted.encode)
        accepted = np.flatnonzero(kept.accepted)
        events = [space.events[int(k)] for k in kept.captions.choice[accepted]]
        config = _train_config(steps, ctx.seed, threads, lr=RETRAIN_LR)
        tuned = retrain(
            fitted.model,
            fitted.pairs,
            real.pool[accepted],
            events,
            channel_names=channel_names,
            encode_text=fitted.encode,
            config=config,
        )
    logger.info("blip %s: %s, accepted %d of %d", real.name, caption_filter, len(accepted), len(real.pool))
    chosen = [space.events[int(k)] for k in kept.captions.choice]
    right = _agreement(chosen, real.pool_truth, real.binary)
    rounds = (
        Round(fitted.model, fitted.cost),
        Round(tuned, fitted.cost._replace(train_seconds=(fitted.cost.train_seconds or 0.0) + watch.seconds)),
    )
    setting = f"pool={len(real.pool)}"
    rows = [
        _row(
            "moesaic-blip", real.name, TASK, setting, "accepted_share", kept.accepted.mean(), rounds[1].cost
        ),
        _row(
            "moesaic-blip",
            real.name,
            TASK,
            setting,
            "accepted_precision",
            right[accepted].mean() if len(accepted) else 0.0,
            rounds[1].cost,
        ),
        _row(
            "moesaic-blip",
            real.name,
            TASK,
            setting,
            "filter_threshold",
            caption_filter.threshold,
            rounds[0].cost,
        ),
    ]
    for held_setting, (windows, truth) in real.held_out.items():
        rows += _agreement_rows(real.name, held_setting, windows, truth, real.binary, space, fitted, rounds)
    if synthetic_test is not None:
        rows += _agreement_rows(
            "synthetic-captions",
            f"pairs={len(synthetic_test.captions)}",
            synthetic_test.series,
            synthetic_test.events,
            False,
            space,
            fitted,
            rounds,
        )
    return rows


def _agreement_rows(
    dataset: str,
    setting: str,
    windows: np.ndarray,
    truth: Sequence[Any],
    binary: bool,
    space: CaptionSpace,
    fitted: Fitted,
    rounds: Sequence[Round],
) -> list[BenchRow]:
    """``caption_label_agreement`` of every round and of constant-normal captions on held-out windows."""
    rows = []
    for number, (model, cost) in enumerate(rounds):
        with Stopwatch() as watch:
            captions = caption_windows(model, windows, space, fitted.encode)
        agreement = _agreement([space.events[int(k)] for k in captions.choice], truth, binary).mean()
        fields = cost._replace(
            infer_ms_per_window=1000 * watch.seconds / len(windows), peak_rss_mb=peak_rss_mb()
        )
        rows.append(
            _row(
                "moesaic-blip",
                dataset,
                TASK,
                f"{setting},round={number}",
                "caption_label_agreement",
                agreement,
                fields,
            )
        )
        logger.info("blip %s %s round %d: agreement %.3f", dataset, setting, number, agreement)
    normal = _agreement([()] * len(windows), truth, binary).mean()
    rows.append(_row("constant-normal", dataset, TASK, setting, "caption_label_agreement", normal))
    return rows


def fit_skab_joint(ctx: SuiteContext, p: JointPlan, threads: int) -> Fitted:
    """The joint model over the 8 SKAB channel names, on synthetic pairs of 64 steps (4 patches)."""
    steps = int(ctx.options.get("skab_steps", p.skab_steps))
    return fit_joint(
        SKAB_CORPUS, p.skab_pairs, patch_len=SKAB_PATCH, steps=steps, seed=ctx.seed, threads=threads
    )


def rows(ctx: SuiteContext, systems: Sequence[str]) -> list[BenchRow]:
    """The rows of the chosen ``systems`` (a subset of :data:`SYSTEMS`); one TEP joint model serves both."""
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"unknown alignment systems {unknown}; choose among {list(SYSTEMS)}")
    if not systems:
        return []
    p = plan(ctx.quick)
    threads = int(ctx.options.get("threads", 1))
    out: list[BenchRow] = []
    with torch_threads(threads):
        data = load_tep(ctx)
        fitted = fit_tep_joint(ctx, p, threads)
        if "visualbert" in systems:
            out += visualbert_rows(fitted, data, ctx, p)
        if "blip" in systems:
            blip_steps = int(ctx.options.get("blip_steps", p.blip_steps))
            test = TEP_CORPUS.pairs(clip_plan(ctx.quick).test_pairs, ctx.seed + 2)
            out += bootstrap_rows(fitted, tep_real(data), ctx, blip_steps, threads, test)
            skab = fit_skab_joint(ctx, p, threads)
            out += bootstrap_rows(skab, skab_real(ctx), ctx, blip_steps, threads)
    return out
