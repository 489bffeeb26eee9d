"""``moesaic demo``: the main job on embedded default data (a simulated plant)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from moesaic.cli.console import check_outputs, console, fail, progress
from moesaic.demo import FIRST_RUN, check_demo_size, run_demo
from moesaic.demo_folder import DemoFolderError, check_demo_folder


def demo(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The demo's own folder: new, empty, or one an earlier demo wrote and nobody changed "
            "since (anything else is refused, never overwritten).",
        ),
    ] = Path("moesaic-demo"),
    assets: Annotated[int, typer.Option("--assets", help="Assets in the simulated plant.")] = 12,
    days: Annotated[float, typer.Option("--days", help="Days of history.")] = 60,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    models: Annotated[
        bool,
        typer.Option(
            "--models/--no-models",
            help="Train the detector, forecaster and synthesizer, write a diagnostic report and read "
            f"a drawing: about a minute on 2 cores; the first run on a machine takes {FIRST_RUN} (it "
            "fits the diagnosis models once). --no-models: seconds.",
        ),
    ] = True,
) -> None:
    """Simulate a small plant, load it, summarise it and write an HTML page with plots.

    Writes plant/, kb/, the two pages and moesaic-demo.json (what it wrote) into --out, only there.
    """
    check_outputs(folders=(out,))
    try:
        check_demo_size(assets, days, models=models)
        check_demo_folder(out)
    except (ValueError, DemoFolderError) as err:
        fail(str(err))
    start = time.perf_counter()
    with progress("demo") as step:
        result = run_demo(out, assets=assets, days=days, seed=seed, models=models, step=step)
    table = Table("what", "count", title="simulated plant")
    for key, value in result.counts.items():
        table.add_row(key, f"{value:,}")
    for fault, count in sorted(result.faults_by_type.items()):
        table.add_row(f"fault: {fault}", str(count))
    console.print(table)
    console.print(f"plant data: {result.plant}")
    seconds = time.perf_counter() - start
    console.print(f"page: [bold]{escape(str(result.page))}[/] (written in {seconds:.1f} s)", markup=True)
