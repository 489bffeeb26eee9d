"""``moesaic verify``: re-check a JSON diagnostic report against a knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from moesaic.atomic import write_text_atomic
from moesaic.cli.console import console, fail
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.reports.diagnose import Report, default_classifier, render, verify_report


def verify(
    report: Annotated[Path, typer.Argument(help="A report written with `moesaic report --format json`.")],
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge-base folder the report is checked against.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the verified report (failing sentences removed) here.")
    ] = None,
) -> None:
    """Resolve every citation, recompute every number and look up every identifier; exit 1 on any failure."""
    try:
        document = json.loads(report.read_text(encoding="utf-8"))
        draft = Report.from_json(document)
    except OSError as err:
        fail(f"{report}: cannot read ({err.strerror})")
    except ValueError as err:
        fail(f"{report}: {err}")
    try:
        with KnowledgeBase.open(kb, create=False) as base, console.status("verifying"):
            result = verify_report(draft, base, classifier=default_classifier())
    except KnowledgeBaseError as err:
        fail(str(err))
    if out is not None:
        write_text_atomic(out, render(result.report, "json"))
    failed = result.sentences - result.kept + result.rewritten
    for removal in result.report.removed[len(draft.removed) :]:
        console.print(f"[red]failed:[/] {removal.text}\n  [dim]{removal.reason}[/]", highlight=False)
    console.print(
        f"{result.sentences} sentences: {result.kept - result.rewritten} verified, "
        f"{result.rewritten} rewritten, "
        f"{result.sentences - result.kept} removed; {result.numbers_ok}/{result.numbers} numbers recomputed "
        f"within tolerance; {len(result.unknown_identifiers)} unknown identifiers"
    )
    if failed:
        raise typer.Exit(1)
