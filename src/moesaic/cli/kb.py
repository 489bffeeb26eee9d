"""``moesaic kb ingest|stats|search``: the knowledge base from the command line."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from moesaic.cli.console import check_outputs, console, fail, working
from moesaic.data.registry import DataNotFoundError
from moesaic.data.tables import DataFormatError
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.knowledge.embed import EMBEDDERS
from moesaic.knowledge.schema import DB_FILE, RECORD_TABLES
from moesaic.knowledge.search import MODES
from moesaic.knowledge.sources import load_source

app = typer.Typer(no_args_is_help=True)

KbOption = Annotated[Path, typer.Option("--kb", help="The knowledge-base folder.")]


@app.command()
def ingest(
    source: Annotated[
        str,
        typer.Argument(
            help="A folder written by `moesaic simulate`, a folder of your CSV files, or a data set name."
        ),
    ],
    kb: KbOption,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder of the data sets (default: $MOESAIC_DATA, ../shared/data)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--source", help="Name to key the records under (default: set or folder name)."),
    ] = None,
    embedder: Annotated[
        str, typer.Option("--embedder", help=f"For a new base: {', '.join(EMBEDDERS)} or hashing-<dim>.")
    ] = "auto",
) -> None:
    """Add a source to the knowledge base, in one transaction; records already there are skipped."""
    check_outputs(folders=(kb,))
    existed = (kb / DB_FILE).is_file()
    stamps: dict[str, str | None] = {}  # the source's last ingestion time, read once the base is open
    try:
        _ingest(source, kb, data=data, name=name, embedder=embedder, stamps=stamps)
    except BaseException as stop:
        if not isinstance(stop, (Exception, SystemExit)):  # Ctrl-C: KeyboardInterrupt, or app.Interrupted
            stop.add_note(_what_is_left(kb, existed, stamps))
        raise


def _ingest(
    source: str,
    kb: Path,
    *,
    data: Path | None,
    name: str | None,
    embedder: str,
    stamps: dict[str, str | None],
) -> None:
    """Ingest and print what was done; ``stamps`` gets the source's last ingestion time once the
    base is open, for :func:`_what_is_left`."""
    try:
        start = time.perf_counter()
        loaded = load_source(source, data_root=data, source=name)
        with (
            working(f"ingesting {loaded.source}"),
            KnowledgeBase.open(kb, create=True, embedder=embedder) as base,
        ):
            stamps[loaded.source] = _ingested_at(base, loaded.source)
            report = base.ingest(loaded.data, source=loaded.source)
            size = base.size_bytes()
        seconds = time.perf_counter() - start
    except KeyError as err:
        fail(str(err.args[0]))
    except (DataFormatError, DataNotFoundError, KnowledgeBaseError, ImportError, ValueError) as err:
        fail(str(err))
    table = Table(title=f"{loaded.source} ({loaded.origin}) -> {kb}")
    for column in ("table", "added", "updated", "skipped"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for t in RECORD_TABLES:
        table.add_row(t, str(report.added[t]), str(report.updated[t]), str(report.skipped[t]))
    console.print(table)
    console.print(f"{seconds:.1f} s; base size {size / 2**20:.1f} MiB")


def _ingested_at(base: KnowledgeBase, source: str) -> str | None:
    return base.sources().get(source, {}).get("ingested_at")


def _what_is_left(kb: Path, existed: bool, stamps: Mapping[str, str | None]) -> str:
    """What an interrupted ingestion left in ``kb``, in words.

    The ingestion commits in one transaction that also stamps its source's ingestion time, so a
    stamp other than the one read when the base was opened means it committed; otherwise nothing
    was written (a base the command created stays empty).
    """
    for source, before in stamps.items():
        try:
            with KnowledgeBase.open(kb) as base:
                committed = _ingested_at(base, source) != before
        except (KnowledgeBaseError, sqlite3.Error) as err:
            return f"whether {source} was ingested could not be checked ({err})"
        if committed:
            return f"the ingestion had been committed: {kb} holds the records of {source}"
    if existed:
        return f"nothing was written: the base {kb} is unchanged"
    if (kb / DB_FILE).is_file():
        return f"nothing was written: {kb} holds a new, empty base"
    return "nothing was written"


@app.command()
def stats(kb: KbOption) -> None:
    """Rows per table and the sources ingested."""
    try:
        with KnowledgeBase.open(kb) as base:
            counts, sources, size, embedder = (
                base.stats(),
                base.sources(),
                base.size_bytes(),
                base.embedder_name,
            )
    except KnowledgeBaseError as err:
        fail(str(err))
    table = Table("table", "rows", title=f"{kb} ({size / 2**20:.1f} MiB, embedder {embedder})")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)
    if sources:
        listing = Table("source", "data set", "origin", "ingested (UTC)")
        for source, info in sources.items():
            listing.add_row(source, str(info["name"]), str(info["origin"]), str(info["ingested_at"])[:19])
        console.print(listing)


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="Free text; identifiers (PU-MS-0450, E-203) are matched exactly.")
    ],
    kb: KbOption,
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    mode: Annotated[str, typer.Option("--mode", help=f"One of {', '.join(MODES)}.")] = "hybrid",
    table: Annotated[
        list[str] | None, typer.Option("--table", help=f"Only these tables: {', '.join(RECORD_TABLES)}.")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only these kinds (work_order, fmea, ...).")
    ] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="Only records of this asset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """Search the knowledge base: exact identifiers first, then BM25 and dense similarity fused."""
    try:
        with KnowledgeBase.open(kb) as base:
            start = time.perf_counter()
            hits = base.search(query, k=k, mode=mode, tables=table, kinds=kind, asset_id=asset)
            seconds = time.perf_counter() - start
    except KeyError as err:
        fail(str(err.args[0]))
    except (KnowledgeBaseError, ImportError, ValueError) as err:
        fail(str(err))
    if as_json:
        typer.echo(json.dumps([h._asdict() for h in hits], indent=2, ensure_ascii=False))
        return
    results = Table(
        "#", "score", "table", "kind", "record", "text", title=f"{len(hits)} hits in {seconds * 1000:.0f} ms"
    )
    for rank, hit in enumerate(hits, start=1):
        text = hit.text if len(hit.text) <= 160 else hit.text[:157] + "..."
        results.add_row(str(rank), f"{hit.score:.3f}", hit.table, hit.kind, hit.record_id, text)
    console.print(results)
