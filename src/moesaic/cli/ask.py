"""``moesaic ask``: answer a question over FMEA rows, citing the rows, or abstain explicitly."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from moesaic.cli.console import console, fail
from moesaic.data.registry import DataNotFoundError, load_dataset
from moesaic.data.tables import DataFormatError
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.reports.qa.fmea import DEFAULT_THRESHOLD, FmeaAnswerer
from moesaic.reports.qa.table import FmeaRow, rows_from_documents


def _rows(kb: Path | None, fmea: Path | None, data: Path | None) -> tuple[FmeaRow, ...]:
    if kb is not None and fmea is not None:
        fail("give either --kb or --fmea, not both")
    if kb is not None:
        with KnowledgeBase.open(kb) as base:
            documents = base.documents(kind="fmea")
        if not documents:
            fail(f"the knowledge base {kb} holds no FMEA rows; add some with `moesaic kb ingest`")
        return rows_from_documents(documents)
    if fmea is not None:
        from moesaic.data.sets.fmea_mining_truck import read_fmea

        return rows_from_documents(read_fmea(fmea).documents)
    return rows_from_documents(load_dataset("fmea_mining_truck", data).documents)


def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    kb: Annotated[
        Path | None, typer.Option("--kb", help="Answer over the FMEA rows of this knowledge-base folder.")
    ] = None,
    fmea: Annotated[
        Path | None,
        typer.Option(
            "--fmea", exists=True, dir_okay=False, help="Answer over this FMEA sheet (CSV, 12 columns)."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder of the data sets, for the default mining-truck FMEA."),
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.0, max=1.0, help="Abstain when the support is below this.")
    ] = DEFAULT_THRESHOLD,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Most rows quoted in the answer.")] = 12,
    json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer QUESTION from FMEA rows (default: the mining-truck FMEA data set): a computed lead
    sentence and the rows it rests on, each with its id, or an explicit abstention."""
    if not question.strip():
        fail("QUESTION must not be empty")
    try:
        rows = _rows(kb, fmea, data)
    except (DataNotFoundError, DataFormatError, KnowledgeBaseError, ValueError) as err:
        fail(str(err))
    if not rows:
        fail("no FMEA rows to answer from")
    answer = FmeaAnswerer(rows, threshold=threshold, max_rows=max_rows).answer(question)
    if json:
        payload = {
            "answer": answer.text,
            "rows": list(answer.row_ids),
            "support": round(answer.support, 4),
            "abstained": answer.abstained,
        }
        console.print_json(jsonlib.dumps(payload))
        return
    console.print(answer.text, highlight=False, soft_wrap=True, markup=False)
