"""``moesaic drawing``: summarise a technical drawing, or check it against rules and a BOM."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from moesaic.cli.console import console, fail
from moesaic.data.tables import DataFormatError
from moesaic.drawings.bom import read_bom
from moesaic.drawings.check import check_summary
from moesaic.drawings.ocr import ENGINES, MissingEngineError
from moesaic.drawings.pages import PageRangeError
from moesaic.drawings.rules import load_rules
from moesaic.drawings.summary import DEFAULT_ENGINE, summarize_drawing

app = typer.Typer(no_args_is_help=True, help="Summarise and check technical drawings (PNG, JPG, PDF).")

EngineOption = Annotated[str, typer.Option("--engine", help=f"OCR engine: {', '.join(sorted(ENGINES))}.")]
PageOption = Annotated[
    int, typer.Option("--page", min=1, help="Which page of a PDF to read (1 is the first).")
]


def _engine(name: str) -> str:
    if name not in ENGINES:
        fail(f"unknown OCR engine {name!r}; choose one of {sorted(ENGINES)}")
    return name


@app.command()
def summarize(
    file: Annotated[Path, typer.Argument(help="The drawing: PNG, JPG, TIFF or PDF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the structured summary as JSON.")] = False,
    engine: EngineOption = DEFAULT_ENGINE,
    page: PageOption = 1,
) -> None:
    """Read a drawing: part, material, overall size, dimensions, tightest tolerances, features."""
    try:
        summary = summarize_drawing(file, engine=_engine(engine), page=page - 1)
    except PageRangeError as err:
        fail(err.in_words("--page"))
    except (DataFormatError, MissingEngineError, ValueError) as err:
        fail(str(err))
    if as_json:
        typer.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(summary.text(), highlight=False)
    _print_warnings(summary.warnings)


def _print_warnings(warnings: Sequence[str]) -> None:
    """How the sheet was read, when it matters (turned a quarter, an engine missing, ...)."""
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", markup=True, highlight=False)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The drawing: PNG, JPG, TIFF or PDF.")],
    bom: Annotated[
        Path | None, typer.Option("--bom", help="Bill of materials CSV (part_number, qty[, revision, ...]).")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules YAML (keys: see the README's Drawings section).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    engine: EngineOption = DEFAULT_ENGINE,
    page: PageOption = 1,
) -> None:
    """Check a drawing against house rules and, with --bom, a bill of materials. Exit 1 on errors."""
    try:
        # the inputs are checked before the slow reading of the sheet
        items = read_bom(bom) if bom is not None else None
        chosen = load_rules(rules) if rules is not None else None
        summary = summarize_drawing(file, engine=_engine(engine), page=page - 1)
        result = check_summary(summary, bom=items, rules=chosen)
    except PageRangeError as err:
        fail(err.in_words("--page"))
    except (DataFormatError, MissingEngineError, ValueError) as err:
        fail(str(err))
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_warnings(result.summary.warnings)
        for f in result.findings:
            colour = {"error": "red", "warning": "yellow"}.get(f.severity, "blue")
            where = f" (sheet box {list(f.box)})" if f.box else ""  # pixels: x0, y0, x1, y1
            row = f" (BOM line {f.bom_line})" if f.bom_line else ""
            console.print(
                f"[{colour}]{f.severity}[/] {escape(f.rule)}: {escape(f.message)}{where}{row}",
                markup=True,
                highlight=False,
            )
        console.print("passed" if result.passed else f"failed: {len(result.findings)} finding(s)")
    if not result.passed:
        raise typer.Exit(1)
