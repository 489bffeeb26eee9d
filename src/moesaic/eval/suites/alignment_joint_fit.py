"""The joint models of the VisualBERT and BLIP rows of :mod:`moesaic.eval.suites.alignment_joint`.

The run plan, the synthetic caption corpora (TEP and SKAB channel names), the training of a
tokenizer and :class:`~moesaic.align.joint.SeriesTextJoint` on them with its cost, and the bench
row builder both row modules share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from moesaic.align.captions import CaptionedSeries, make_pairs
from moesaic.align.joint import JointConfig, PairSet, SeriesTextJoint, joint_batches, make_pair_set
from moesaic.align.tep import VARIABLES
from moesaic.data.batch import Batch
from moesaic.data.sets.skab import CHANNELS as SKAB_CHANNELS
from moesaic.data.tokenizer import TextTokenizer
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, count_parameters, peak_rss_mb
from moesaic.eval.suites.alignment import LENGTH, TEXT_LENGTH, Cost
from moesaic.eval.suites.alignment import plan as clip_plan
from moesaic.train import TrainConfig, train

SKAB_LENGTH = 64
SKAB_PATCH = 16

BATCH = 32


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
    steps = ctx.integer("joint_steps", p.steps)
    count = clip_plan(ctx.quick).train_pairs
    return fit_joint(TEP_CORPUS, count, patch_len=LENGTH, steps=steps, seed=ctx.seed, threads=threads)


def fit_skab_joint(ctx: SuiteContext, p: JointPlan, threads: int) -> Fitted:
    """The joint model over the 8 SKAB channel names, on synthetic pairs of 64 steps (4 patches)."""
    steps = ctx.integer("skab_steps", p.skab_steps)
    return fit_joint(
        SKAB_CORPUS, p.skab_pairs, patch_len=SKAB_PATCH, steps=steps, seed=ctx.seed, threads=threads
    )


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
