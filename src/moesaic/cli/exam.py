"""``moesaic exam``: answer TimeSeriesExam-style multiple-choice questions about series."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from moesaic.atomic import write_text_atomic
from moesaic.cli.console import check_outputs, console, fail, track
from moesaic.data.schema import Document
from moesaic.data.tables import DataFormatError
from moesaic.eval.meters import Stopwatch
from moesaic.reports.exam import MAX_ABS, MIN_STEPS, answer_documents, score_answers
from moesaic.reports.exam.parse import CONVENTIONS
from moesaic.reports.exam.questions import read_questions
from moesaic.reports.exam.solve import Score, answerable_values


def exam(
    json: Annotated[
        Path,
        typer.Option(
            "--json", exists=True, dir_okay=False, help="Questions in the TimeSeriesExam JSON format."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write {question id: chosen option text} (JSON).")
    ] = Path("answers.json"),
    details: Annotated[
        Path | None,
        typer.Option(
            "--details", help="Also write each question's topic, option scores and rationale (JSON)."
        ),
    ] = None,
    convention: Annotated[
        str,
        typer.Option(
            "--convention",
            help="Sense of lead-lag and Granger wording: auto (textbook, except the "
            "TimeSeriesExam's own reversed phrasings), textbook, or exam.",
        ),
    ] = "auto",
) -> None:
    """Answer every question of FILE and write the chosen option texts; print the accuracy per
    category when the file has answers. Missing values (null or NaN) are interpolated and the
    questions with them listed; a question whose series has too few observed steps to test is
    listed and left unanswered (counted wrong in the accuracy)."""
    check_outputs(files=(out, details))
    if convention not in CONVENTIONS:
        fail(f"--convention must be one of {', '.join(CONVENTIONS)}, found {convention!r}")
    try:
        documents, gaps = read_questions(json)
    except DataFormatError as err:
        fail(str(err))
    if gaps:
        console.print(
            f"{len(gaps)} of {len(documents)} questions have missing values, filled by linear "
            f"interpolation before answering (ids {_listed(list(gaps))})"
        )
    short = [d for d in documents if _observed(d) < MIN_STEPS]
    if short:
        console.print(
            f"{len(short)} of {len(documents)} questions have a series with fewer than {MIN_STEPS} "
            f"observed steps, too short to test: no answer written for them "
            f"(ids {_listed([d.doc_id for d in short])})"
        )
    huge = [d for d in documents if not all(answerable_values(v) for v in d.fields["series"].values())]
    if huge:
        console.print(
            f"{len(huge)} of {len(documents)} questions have values beyond ±{MAX_ABS:g}, too large to "
            f"test in float64: no answer written for them (ids {_listed([d.doc_id for d in huge])})"
        )
    skipped = {d.doc_id for d in (*short, *huge)}
    answerable = [d for d in documents if d.doc_id not in skipped]
    with Stopwatch() as watch:
        answers = answer_documents(
            track(answerable, "answering", total=len(answerable)), convention=convention
        )
    chosen = {a.question_id: a.option for a in answers}
    write_text_atomic(out, jsonlib.dumps(chosen, indent=2, ensure_ascii=False) + "\n")
    if details is not None:
        rows = {
            a.question_id: {
                "option": a.option,
                "topic": a.topic,
                "scores": list(a.scores),
                "rationale": a.rationale,
            }
            for a in answers
        }
        write_text_atomic(details, jsonlib.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    console.print(f"answered {len(answers)} questions in {watch.seconds:.1f} s; wrote {out}")
    scores = score_answers(documents, chosen)
    if scores:
        table = Table("category", "accuracy", "correct", "questions", title="accuracy")
        for name, score in _category_rows(scores):
            table.add_row(name, f"{score.accuracy:.3f}", str(score.correct), str(score.total))
        console.print(table)


def _category_rows(scores: dict[str, Score]) -> list[tuple[str, Score]]:
    """The accuracy table's rows: overall first, then each category by name; questions without a
    category form a row "(no category)", left out when no question has one (it would repeat
    the overall row)."""
    uncategorised = scores.get("")
    rows = [(name, score) for name, score in scores.items() if name not in ("overall", "")]
    rows.sort()
    if uncategorised is not None and rows:
        rows.append(("(no category)", uncategorised))
    return [("overall", scores["overall"]), *rows]


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")


def _observed(document: Document) -> int:
    """Observed (non-missing) steps of the question's shortest series."""
    return min(int(np.isfinite(v).sum()) for v in document.fields["series"].values())
