"""Suite ``exam``: the TimeSeriesExam multiple-choice questions, answered by the statistical
solver of :mod:`moesaic.reports.exam`, next to the position and random baselines.

The options of every question are shuffled with a fixed seed first (upstream lists the correct
answer first more often than not), so the position baseline ``position_first`` (always the
first option) measures chance under the shuffle, and ``random`` picks a seeded random option.

Rows: ``accuracy`` with setting ``overall`` and ``category=<name>`` for each system; the solver's
rows carry ``infer_ms_per_window`` (milliseconds per question). Options (``-o KEY=VALUE``):
``shuffle_seed=N`` (default: the run's seed); ``cv=K`` adds a row ``accuracy`` with setting
``cv=template,k=K``: K-fold cross-validation over question templates of the solver's calibrated
thresholds (see :mod:`moesaic.reports.exam.calibrate`; several minutes). ``--quick`` answers
every fifth question.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence

from moesaic.data.registry import dataset_info
from moesaic.data.schema import Document
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.reports.exam import answer_documents, score_answers
from moesaic.reports.exam.calibrate import shuffled, template_cv

logger = logging.getLogger(__name__)

DATASET = "timeseriesexam"
TASK = "multiple_choice_qa"
SYSTEM = "moesaic-exam"


def _rows(system: str, scores: Mapping[str, object], **cost: float | None) -> list[BenchRow]:
    rows = []
    for key, score in scores.items():
        setting = "overall" if key == "overall" else f"category={key}"
        rows.append(
            BenchRow(
                system=system,
                dataset=DATASET,
                task=TASK,
                setting=setting,
                metric="accuracy",
                value=float(score.accuracy),  # type: ignore[attr-defined]
                **cost,  # type: ignore[arg-type]
            )
        )
    return rows


def _baseline(documents: Sequence[Document], seed: int | None) -> dict[str, str]:
    rng = random.Random(seed)
    if seed is None:
        return {d.doc_id: d.fields["options"][0] for d in documents}
    return {d.doc_id: rng.choice(list(d.fields["options"])) for d in documents}


@register_suite("exam", "TimeSeriesExam accuracy (options shuffled) vs position and random baselines")
def run(ctx: SuiteContext) -> list[BenchRow]:
    info = dataset_info(DATASET)
    data = info.loader(info.folder(ctx.data_root()))
    seed = ctx.integer("shuffle_seed", ctx.seed)
    documents = shuffled(data.documents, seed)
    if ctx.quick:
        documents = documents[::5]
    with Stopwatch() as watch:
        answers = answer_documents(ctx.progress(documents, "answering questions", total=len(documents)))
    chosen = {a.question_id: a.option for a in answers}
    ms = 1000.0 * watch.seconds / max(len(documents), 1)
    logger.info("answered %d questions in %.1f s", len(documents), watch.seconds)
    rows = _rows(SYSTEM, score_answers(documents, chosen), infer_ms_per_window=ms, peak_rss_mb=peak_rss_mb())
    rows += _rows("position_first", score_answers(documents, _baseline(documents, None)))
    rows += _rows("random", score_answers(documents, _baseline(documents, seed)))
    if "cv" in ctx.options:
        folds = ctx.integer("cv", 0)
        result = template_cv(documents, folds=folds, seed=seed)
        logger.info(
            "template CV: %.3f (shipped thresholds %.3f); moved: %s",
            result.accuracy,
            result.default_accuracy,
            result.chosen,
        )
        rows.append(
            BenchRow(
                system=SYSTEM,
                dataset=DATASET,
                task=TASK,
                setting=f"cv=template,k={folds}",
                metric="accuracy",
                value=result.accuracy,
            )
        )
    return rows
