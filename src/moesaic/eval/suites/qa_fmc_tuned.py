"""Suite ``qa``, part ``fmc_mwo2kg``: the fine-tuned MiniLM classifier and its blend.

- ``moesaic-fmc-tuned``: all-MiniLM-L6-v2 fine-tuned end to end with a linear head
  (:mod:`moesaic.text.failure_modes_tuned`). The recipe (full fine-tuning, learning rate, at most
  :data:`MAX_EPOCHS` epochs) was chosen on the dev split; the epoch count is chosen on dev in
  each run (the weights of the best dev epoch kept; setting ``fit=train``). A second row refits
  on train + dev for that many epochs (``fit=train+dev``).
- ``moesaic-fmc-blend``: the row-standardised scores of the fine-tuned model and of the linear
  ``moesaic-fmc`` classifier (both fitted on train), blended with the weight of
  :data:`~moesaic.text.failure_modes_blend.BLEND_WEIGHTS` that scores best on dev; the same weight
  is used for the train + dev refits of both. Only when the linear classifier ran (its encoders
  installed).

Off by default; ``-o fmc_tuned=1`` runs it. Needs the ``language`` extra; without it the part logs a note
and gives no rows. ``-o fmc_tuned_save=DIR`` saves the train-only fine-tuned model (safetensors
and JSON). Training times are wall seconds; the CPU seconds are logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.text.failure_modes import FailureModeClassifier, FailureModeConfig, classification_f1
from moesaic.text.failure_modes_blend import blend_scores, choose_blend_weight
from moesaic.text.failure_modes_tuned import (
    TunedFailureModeClassifier,
    TunedFmcConfig,
)

if TYPE_CHECKING:
    from moesaic.eval.suites.qa import _Splits

logger = logging.getLogger(__name__)

MAX_EPOCHS = 8
MEMBERS = 3  # fine-tuned copies averaged (seeds seed, seed + 1, seed + 2)
TASK = "failure_mode_classification"


def tuned_config(ctx: SuiteContext) -> TunedFmcConfig:
    """The fine-tuning recipe, chosen on the dev split (``--quick``: 2 epochs)."""
    if ctx.quick:
        return TunedFmcConfig(method="full", epochs=2, lr=1e-4, seed=ctx.seed)
    return TunedFmcConfig(method="full", epochs=MAX_EPOCHS, lr=1e-4, members=MEMBERS, seed=ctx.seed)


class _Fitted(NamedTuple):
    tuned: TunedFailureModeClassifier
    linear: FailureModeClassifier | None
    tuned_seconds: float
    linear_seconds: float


def tuned_rows(ctx: SuiteContext, splits: _Splits, linear: FailureModeConfig | None) -> list[BenchRow]:
    """Test rows of ``moesaic-fmc-tuned`` (and ``moesaic-fmc-blend`` given the linear config)."""
    from moesaic.knowledge.embed import minilm_available

    if not minilm_available():
        logger.warning("qa/fmc_mwo2kg: moesaic-fmc-tuned needs the `language` extra; skipped")
        return []
    (x, y), (xd, yd), (xt, yt) = splits
    config = tuned_config(ctx)
    first = _fit(config, linear, x, y, dev=(xd, yd), note="fit=train")
    if "fmc_tuned_save" in ctx.options:
        first.tuned.save(Path(ctx.options["fmc_tuned_save"]))
    refit = replace(config, epochs=first.tuned.best_epoch_)
    weight = None
    if first.linear is not None:
        choice = choose_blend_weight(
            first.tuned.predict_proba(xd), first.linear.scores(xd), yd, first.tuned.classes_
        )
        logger.info("moesaic-fmc-blend: dev micro-F1 by linear weight %s", choice.scores)
        weight = choice.weight
    second = _fit(refit, linear, x + xd, y + yd, dev=None, note="fit=train+dev")
    rows = []
    for fitted, setting in (
        (first, f"fit=train,epochs=dev,best_epoch={refit.epochs},{config.label()}"),
        (second, f"fit=train+dev,epochs_from=dev,{refit.label()}"),
    ):
        rows += _rows(fitted, None, setting, xt, yt)
        if weight is not None:
            rows += _rows(fitted, weight, f"{setting},blend_weight={weight:g}", xt, yt)
    return rows


def _fit(
    config: TunedFmcConfig,
    linear: FailureModeConfig | None,
    texts: list[str],
    labels: list[str],
    *,
    dev: tuple[list[str], list[str]] | None,
    note: str,
) -> _Fitted:
    cpu = time.process_time()
    with Stopwatch() as watch:
        dev_texts, dev_labels = dev if dev is not None else (None, None)
        tuned = TunedFailureModeClassifier(config).fit(
            texts, labels, dev_texts=dev_texts, dev_labels=dev_labels
        )
    logger.info(
        "moesaic-fmc-tuned %s: %.0f s wall, %.0f s CPU, dev micro-F1 by epoch %s",
        note,
        watch.seconds,
        time.process_time() - cpu,
        [h.dev_micro_f1 for h in tuned.history_],
    )
    if linear is None:
        return _Fitted(tuned, None, watch.seconds, 0.0)
    with Stopwatch() as linear_watch:
        fitted_linear = FailureModeClassifier(linear).fit(texts, labels)
    return _Fitted(tuned, fitted_linear, watch.seconds, linear_watch.seconds)


def _rows(
    fitted: _Fitted, weight: float | None, setting: str, texts: list[str], labels: list[str]
) -> list[BenchRow]:
    """micro_f1 and macro_f1 on the test texts, of the tuned model alone or blended."""
    with Stopwatch() as watch:
        proba = fitted.tuned.predict_proba(texts)
        if weight is None or fitted.linear is None:
            system, scores, seconds = "moesaic-fmc-tuned", proba, fitted.tuned_seconds
            params = fitted.tuned.num_parameters()
        else:
            system = "moesaic-fmc-blend"
            scores = blend_scores(proba, fitted.linear.scores(texts), weight)
            seconds = fitted.tuned_seconds + fitted.linear_seconds
            params = fitted.tuned.num_parameters() + fitted.linear.num_parameters()
    classes = fitted.tuned.classes_
    score = classification_f1(labels, [classes[int(i)] for i in np.argmax(scores, axis=1)])
    rss = peak_rss_mb()
    infer_ms = 1000.0 * watch.seconds / len(texts)
    return [
        BenchRow(
            system=system,
            dataset="fmc_mwo2kg",
            task=TASK,
            setting=setting,
            metric=metric,
            value=value,
            params_total=params,
            params_active=params,
            train_seconds=seconds,
            infer_ms_per_window=infer_ms,
            peak_rss_mb=rss,
        )
        for metric, value in (("micro_f1", score.micro), ("macro_f1", score.macro))
    ]
