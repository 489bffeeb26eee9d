"""``moesaic ask``: answer a question, citing its evidence, or abstain explicitly.

With ``--kb`` the question goes to :class:`~moesaic.reports.ask.KbAnswerer` over the whole base
(FMEA look-ups, counts and aggregates over records, drawings, series computations, retrieval);
without it, to the FMEA answerer over an FMEA sheet (``--fmea``, default the mining-truck set).
"""

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


def _rows(fmea: Path | None, data: Path | None) -> tuple[FmeaRow, ...]:
    if fmea is not None:
        from moesaic.data.sets.fmea_mining_truck import read_fmea

        return rows_from_documents(read_fmea(fmea).documents)
    return rows_from_documents(load_dataset("fmea_mining_truck", data).documents)


def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    kb: Annotated[
        Path | None,
        typer.Option(
            "--kb", help="Answer over this knowledge-base folder (records, series, drawings, FMEA)."
        ),
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
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help=f"Abstain when the support is below this (FMEA answers: default {DEFAULT_THRESHOLD}; "
            "with --kb also open questions' relevance, else fitted on the base).",
        ),
    ] = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            min=1,
            help="Most rows quoted in the answer (FMEA rows: 12; with --kb record lists: 10).",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer QUESTION over a knowledge base (--kb) or FMEA rows (default: the mining-truck FMEA
    data set): a computed answer and the records it rests on, each with its id, or an explicit
    abstention. With --json, one JSON object: answer, citations, abstained (and kind with --kb)."""
    if not question.strip():
        fail("QUESTION must not be empty")
    if kb is not None and fmea is not None:
        fail("give either --kb or --fmea, not both")
    if kb is not None:
        _ask_base(kb, question, threshold=threshold, max_rows=max_rows, json=json)
        return
    try:
        rows = _rows(fmea, data)
    except (DataNotFoundError, DataFormatError, KnowledgeBaseError, ValueError) as err:
        fail(str(err))
    if not rows:
        fail("no FMEA rows to answer from")
    answer = FmeaAnswerer(
        rows, threshold=DEFAULT_THRESHOLD if threshold is None else threshold, max_rows=max_rows or 12
    ).answer(question)
    if json:
        payload = {
            "answer": answer.text,
            "citations": [{"table": "documents", "id": r} for r in answer.row_ids],
            "rows": list(answer.row_ids),
            "support": round(answer.support, 4),
            "abstained": answer.abstained,
        }
        console.print_json(jsonlib.dumps(payload))
        return
    console.print(answer.text, highlight=False, soft_wrap=True, markup=False)


def _ask_base(kb: Path, question: str, *, threshold: float | None, max_rows: int | None, json: bool) -> None:
    """Answer over the whole knowledge base in ``kb`` and print the answer (or its JSON object)."""
    from moesaic.reports.ask import KbAnswerer  # pandas and scipy: loaded only when asked

    try:
        with KnowledgeBase.open(kb) as base:
            answerer = KbAnswerer(
                base,
                fmea_threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                max_rows=max_rows or 12,
                list_rows=max_rows,
                retrieval_threshold=threshold,
            )
            answer = answerer.answer(question)
    except (KnowledgeBaseError, ValueError, KeyError) as err:
        fail(str(err))
    if json:
        # One JSON object on stdout, nothing else: logs go to stderr.
        typer.echo(jsonlib.dumps(answer.to_json(), ensure_ascii=False))
        return
    console.print(answer.text, highlight=False, soft_wrap=True, markup=False)
    for citation in answer.citations:
        console.print("  cites " + jsonlib.dumps(citation.to_json()), highlight=False, markup=False)
