"""Suite ``exam``: the TimeSeriesExam multiple-choice questions, answered by the statistical
solver of :mod:`moesaic.reports.exam`, next to the position and random baselines.

The options of every question are shuffled with a fixed seed first (upstream lists the correct
answer first more often than not), so the position baseline ``position_first`` (always the
first option) measures chance under the shuffle, and ``random`` picks a seeded random option.

Rows: ``accuracy`` with setting ``category=all`` (every question; ``overall`` until 2026-12-01) and
``category=<name>`` for each system; the solver's rows carry ``infer_ms_per_window`` (milliseconds
per question). Options (``-o KEY=VALUE``): ``shuffle_seed=N`` (default: the run's seed); ``cv=K``
(K >= 2, at most the number of question templates) adds a row ``accuracy`` with setting
``cv=template,k=K``: K-fold cross-validation over question templates of the solver's calibrated
thresholds (see :mod:`moesaic.reports.exam.calibrate`; several minutes). ``--quick`` answers
every fifth question (its rows say ``quick=1``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence

from moesaic.data.registry import dataset_info
from moesaic.data.schema import Document
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, peak_rss_mb
from moesaic.reports.exam import answer_documents, score_answers
from moesaic.reports.exam.calibrate import shuffled, template_cv

logger = logging.getLogger(__name__)

DATASET = "timeseriesexam"
TASK = "multiple_choice_qa"
SYSTEM = "moesaic-exam"
OPTIONS = ("shuffle_seed", "cv")


def _rows(system: str, scores: Mapping[str, object], **cost: float | None) -> list[BenchRow]:
    rows = []
    for key, score in scores.items():
        setting = f"category={'all' if key == 'overall' else key}"
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


def _folds(ctx: SuiteContext, documents: Sequence[Document]) -> int | None:
    """Option ``cv``: None when absent, else K in [2, number of templates] (:class:`OptionError`):
    with one fold nothing is held out, and the accuracy would be the in-sample one."""
    if "cv" not in ctx.options:
        return None
    folds = ctx.integer("cv", 5)
    if folds < 2:
        raise OptionError(
            f"option cv={folds}: K-fold cross-validation needs K >= 2; with fewer folds no question is "
            "held out, and the accuracy would be the in-sample one"
        )
    templates = len({str(d.fields.get("tid")) for d in documents if d.fields.get("answer") is not None})
    if folds > templates:
        raise OptionError(
            f"option cv={folds}: the {len(documents)} questions come from {templates} templates, so at "
            f"most cv={templates} folds hold questions out"
        )
    return folds


@register_suite(
    "exam", "TimeSeriesExam accuracy (options shuffled) vs position and random baselines", options=OPTIONS
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    info = dataset_info(DATASET)
    data = info.loader(info.folder(ctx.data_root()))
    seed = ctx.integer("shuffle_seed", ctx.seed)
    documents = shuffled(data.documents, seed)
    if ctx.quick:
        documents = documents[::5]
    folds = _folds(ctx, documents)
    with Stopwatch() as watch:
        answers = answer_documents(ctx.progress(documents, "answering questions", total=len(documents)))
    chosen = {a.question_id: a.option for a in answers}
    ms = 1000.0 * watch.seconds / max(len(documents), 1)
    logger.info("answered %d questions in %.1f s", len(documents), watch.seconds)
    rows = _rows(SYSTEM, score_answers(documents, chosen), infer_ms_per_window=ms, peak_rss_mb=peak_rss_mb())
    rows += _rows("position_first", score_answers(documents, _baseline(documents, None)))
    rows += _rows("random", score_answers(documents, _baseline(documents, seed)))
    if folds is not None:
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
