"""``moesaic demo``: the main job on embedded default data (a simulated plant)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from moesaic.cli.console import check_outputs, console
from moesaic.demo import run_demo


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the page and the simulated plant.")] = Path(
        "."
    ),
    assets: Annotated[int, typer.Option("--assets", help="Assets in the simulated plant.")] = 12,
    days: Annotated[float, typer.Option("--days", help="Days of history.")] = 60,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    models: Annotated[
        bool, typer.Option("--models/--no-models", help="Train the detector and forecaster (about a minute).")
    ] = True,
) -> None:
    """Simulate a small plant, load it, summarise it and write an HTML page with plots."""
    check_outputs(folders=(out,))
    start = time.perf_counter()
    with console.status("demo") as status:
        result = run_demo(
            out, assets=assets, days=days, seed=seed, models=models, step=lambda m: status.update(m)
        )
    table = Table("what", "count", title="simulated plant")
    for key, value in result.counts.items():
        table.add_row(key, f"{value:,}")
    for fault, count in sorted(result.faults_by_type.items()):
        table.add_row(f"fault: {fault}", str(count))
    console.print(table)
    console.print(f"plant data: {result.plant}")
    seconds = time.perf_counter() - start
    console.print(f"page: [bold]{escape(str(result.page))}[/] (written in {seconds:.1f} s)", markup=True)
