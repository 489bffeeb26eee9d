"""``moesaic verify``: re-check a JSON diagnostic report against a knowledge base.

Exit status: 0 when every sentence verifies, 1 when one was removed or rewritten or the diagnosis
block says other than the sentences, 2 when the report or the base cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from moesaic.atomic import write_text_atomic
from moesaic.cli.console import check_outputs, console, fail, working
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.reports.diagnose import Report, default_classifier, render, verify_report

JSON_HINT = (
    "verify reads the JSON form: write it with `moesaic report ... --format json` or an --out ending in .json"
)


def read_report(path: Path) -> Report:
    """The report a ``moesaic report --format json`` file holds.

    Exits with a clear message (naming ``path``) when the file cannot be read, is an HTML or
    Markdown report, is not JSON, or is JSON but not a moesaic report.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no reason to refuse
    except OSError as err:
        fail(f"{path}: cannot read ({err.strerror})")
    except UnicodeDecodeError:
        fail(f"{path}: not a moesaic JSON report (not UTF-8 text); {JSON_HINT}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        head = text.lstrip()[:200].casefold()
        if head.startswith(("<!doctype html", "<html")):
            fail(f"{path}: this is an HTML report; {JSON_HINT}")
        if head.startswith("# diagnostic report"):
            fail(f"{path}: this is a Markdown report; {JSON_HINT}")
        where = f"line {err.lineno}, column {err.colno}: {err.msg}"
        if head.startswith(("{", "[")):  # JSON that breaks off or was edited by hand
            fail(f"{path}: not a moesaic JSON report: invalid JSON ({where}); is it cut short or edited?")
        fail(f"{path}: not a moesaic JSON report (not JSON: {where}); {JSON_HINT}")
    try:
        return Report.from_json(document)
    except ValueError as err:
        fail(f"{path}: {err}")


def verify(
    report: Annotated[Path, typer.Argument(help="A report written with `moesaic report --format json`.")],
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge-base folder the report is checked against.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the verified report (failing sentences removed) here.")
    ] = None,
) -> None:
    """Resolve every citation, recompute every number, look up every identifier and check that each
    sentence's text is its verified form, and a sentence the report writer produces naming the
    channels, fault type and records its numbers and citations are about; exit 1 on any failure."""
    check_outputs(files=(out,))
    draft = read_report(report)
    try:
        with KnowledgeBase.open(kb, create=False) as base, working("verifying"):
            asset = draft.diagnosis.asset_id
            if base.record("assets", asset) is None:  # one line, not every citation failing alike
                fail(
                    f"{kb} holds no asset {asset!r}, the asset of {report}: verify a report against the "
                    f"base it was written from (sources here: {sorted(base.sources())})"
                )
            result = verify_report(draft, base, classifier=default_classifier())
    except KnowledgeBaseError as err:
        fail(str(err))
    if out is not None:
        write_text_atomic(out, render(result.report, "json"))
    failed = result.sentences - result.kept + result.rewritten
    removals = result.report.removed[len(draft.removed) :]
    for position, removal in zip(result.failed, removals, strict=True):
        where = f"sentence {position + 1} of {result.sentences} ({draft.sentences[position].section})"
        console.print(
            f"[red]failed:[/] {where}: {escape(removal.text)}\n  [dim]{escape(removal.reason)}[/]",
            markup=True,
            highlight=False,
        )
    for problem in result.diagnosis_problems:
        console.print(f"[red]failed:[/] the diagnosis block: {escape(problem)}", markup=True, highlight=False)
    for problem in result.missing:
        console.print(f"[red]failed:[/] a missing sentence: {escape(problem)}", markup=True, highlight=False)
    console.print(
        f"{result.sentences} sentences: {result.kept - result.rewritten} verified, "
        f"{result.rewritten} rewritten, "
        f"{result.sentences - result.kept} removed; {result.numbers_ok}/{result.numbers} numbers recomputed "
        f"within tolerance; {len(result.unknown_identifiers)} unknown identifiers"
    )
    if failed or result.diagnosis_problems or result.missing:
        raise typer.Exit(1)
