"""``moesaic exam``: answer TimeSeriesExam-style multiple-choice questions about series."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from moesaic.atomic import write_text_atomic
from moesaic.cli.console import check_outputs, console, fail, track
from moesaic.data.sets.timeseriesexam import read_exam_json
from moesaic.data.tables import DataFormatError
from moesaic.eval.meters import Stopwatch
from moesaic.reports.exam import MIN_STEPS, answer_documents, score_answers


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
) -> None:
    """Answer every question of FILE and write the chosen option texts; print the accuracy per
    category when the file has answers. A question whose series is too short to test is listed
    and left unanswered (counted wrong in the accuracy)."""
    check_outputs(files=(out, details))
    try:
        documents = read_exam_json(json)
    except DataFormatError as err:
        fail(str(err))
    short = [d for d in documents if min(len(v) for v in d.fields["series"].values()) < MIN_STEPS]
    if short:
        listed = ", ".join(d.doc_id for d in short[:10]) + (" ..." if len(short) > 10 else "")
        console.print(
            f"{len(short)} of {len(documents)} questions have a series shorter than {MIN_STEPS} steps, "
            f"too short to test: no answer written for them (ids {listed})"
        )
    skipped = {d.doc_id for d in short}
    answerable = [d for d in documents if d.doc_id not in skipped]
    with Stopwatch() as watch:
        answers = answer_documents(track(answerable, "answering", total=len(answerable)))
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
        for name, score in sorted(scores.items(), key=lambda kv: (kv[0] != "overall", kv[0])):
            table.add_row(name, f"{score.accuracy:.3f}", str(score.correct), str(score.total))
        console.print(table)
