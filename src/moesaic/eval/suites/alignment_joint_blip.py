"""The BLIP rows of :mod:`moesaic.eval.suites.alignment_joint`: caption bootstrapping on real windows.

CapFilt on an unlabelled pool of TEP or SKAB windows, retraining on the accepted pairs, and the
agreement of the captions with the hidden labels before and after; the protocols are described in
:mod:`moesaic.eval.suites.alignment_joint`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from moesaic.align.bootstrap import CaptionSpace, capfilt, caption_space, caption_windows, fit_filter, retrain
from moesaic.align.bootstrap import agrees as caption_agrees
from moesaic.align.captions import CaptionedSeries, Event
from moesaic.align.joint import SeriesTextJoint
from moesaic.align.tep import FAULT_EVENTS, cut_windows
from moesaic.data.registry import load_dataset
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.eval.suites.alignment import LENGTH, Cost, TEPData, tep_settings
from moesaic.eval.suites.alignment_joint_fit import SKAB_LENGTH, Fitted, _row, _train_config

logger = logging.getLogger(__name__)

POOL_STRIDE = 16  # TEP training runs: windows of the unlabelled pool

TASK = "caption-bootstrap"
RETRAIN_LR = 1e-3  # round 1 continues from trained weights: a third of the first round's peak


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
