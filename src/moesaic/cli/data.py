"""``moesaic data list|show|validate``: the dataset registry from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from moesaic.cli.console import console, fail, track
from moesaic.data.registry import DataNotFoundError, dataset_info, datasets, resolve_data_root
from moesaic.data.validate import validate_dataset

app = typer.Typer(no_args_is_help=True)

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Folder of the data sets (default: $MOESAIC_DATA, ../shared/data)."),
]


def _root(data: Path | None) -> Path:
    try:
        return resolve_data_root(data)
    except DataNotFoundError as err:
        fail(str(err))


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


@app.command("list")
def list_(data: DataOption = None) -> None:
    """List every registered data set with its modality, size and licence."""
    root = None
    try:
        root = resolve_data_root(data)
    except DataNotFoundError as err:
        console.print(f"[yellow]{escape(str(err))}[/]", markup=True)
    table = Table(title=f"data sets ({root})" if root else "data sets (no data folder)")
    for column in ("name", "modality", "MB", "licence", "description"):
        table.add_column(column, overflow="fold")
    for info in datasets().values():
        folder = info.folder(root) if root else None
        size = f"{_folder_mb(folder):.1f}" if folder and folder.is_dir() else "absent"
        table.add_row(info.name, info.modality, size, info.licence, info.description)
    console.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="A name from `moesaic data list`.")], data: DataOption = None
) -> None:
    """Show one data set: description, licence, citation, counts stated by its README, files."""
    try:
        info = dataset_info(name)
    except KeyError as err:
        fail(str(err.args[0]))
    root = _root(data)
    folder = info.folder(root)
    console.print(f"[bold]{escape(info.name)}[/] — {escape(info.description)}", markup=True)
    console.print(f"modality: {info.modality}\nlicence: {info.licence}\ncitation: {info.citation}")
    absent = "" if folder.is_dir() else " [red](absent)[/]"
    console.print(f"folder: {escape(str(folder))}{absent}", markup=True)
    if info.expected:
        console.print("expected counts: " + ", ".join(f"{k}={v}" for k, v in info.expected.items()))
    if folder.is_dir():
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        table = Table("file", "KB")
        for p in files[:40]:
            table.add_row(str(p.relative_to(folder)), f"{p.stat().st_size / 1024:.0f}")
        if len(files) > 40:
            table.add_row(f"... and {len(files) - 40} more", "")
        console.print(table)


@app.command()
def validate(
    names: Annotated[list[str] | None, typer.Argument(help="Data sets to check (default: all).")] = None,
    data: DataOption = None,
) -> None:
    """Load each data set and compare its counts with the numbers its README states."""
    root = _root(data)
    known = datasets()
    chosen = names or list(known)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        fail(f"unknown data set(s) {unknown}; known: {', '.join(sorted(known))}")
    table = Table(title=f"validation of {root}")
    for column in ("name", "status", "seconds", "README counts matched", "records", "problems"):
        table.add_column(column, overflow="fold")
    core = ("assets", "series", "series_steps", "events", "documents", "drawings")
    failed = 0
    for name in track(chosen, "validating", total=len(chosen)):
        result = validate_dataset(known[name], root)
        failed += not result.ok
        matched = len(result.expected) - len(result.mismatches) if not result.error else 0
        records = ", ".join(f"{k}={result.counts[k]:,}" for k in core if result.counts.get(k))
        status = Text("ok", style="green") if result.ok else Text("FAILED", style="red")
        if result.absent:
            status = Text("absent (kept aside)", style="yellow")
        table.add_row(
            name,
            status,
            f"{result.seconds:.2f}",
            f"{matched}/{len(result.expected)}",
            records,
            result.error or "; ".join(result.mismatches),
        )
    console.print(table)
    if failed:
        fail(f"{failed} data set(s) failed validation", code=1)
