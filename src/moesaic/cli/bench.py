"""``moesaic bench SUITE``: run a benchmark suite and write its JSON and Markdown."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from moesaic.cli.console import check_outputs, console, errors, fail, track
from moesaic.data.registry import DataNotFoundError
from moesaic.data.tables import DataFormatError
from moesaic.eval.bench import OptionError, SuiteContext, SuiteOutputError, run_suite, suites


def bench(
    suite: Annotated[str, typer.Argument(help="Suite name; `moesaic bench list` shows them.")],
    quick: Annotated[bool, typer.Option("--quick", help="Small, fast version of the suite.")] = False,
    data: Annotated[Path | None, typer.Option("--data", help="Folder of the data sets.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for SUITE.json and SUITE.md.")] = Path(
        "bench/results"
    ),
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Suite option KEY=VALUE.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="A data file for a suite that takes one, the same as -o csv=FILE "
            "(forecast: any ETT-format file instead of ETTh1, under the same protocol).",
        ),
    ] = None,
) -> None:
    """Run a benchmark suite; rows follow shared/bench-contract.md."""
    known = suites()
    if suite == "list":
        table = Table("suite", "what it measures", "options (-o KEY=VALUE)")
        for s in known.values():
            table.add_row(s.name, s.description, "" if s.options is None else ", ".join(s.options))
        console.print(table)
        return
    if suite not in known:
        fail(f"unknown suite {suite!r}; available: {', '.join(sorted(known))}")
    options: dict[str, str] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--option {item!r}: expected KEY=VALUE")
        if key in options:
            fail(f"--option {key} given twice ({options[key]!r} and {value!r}); give it once")
        options[key] = value
    if csv is not None:
        if "csv" in options:
            fail(f"--csv {csv} and --option csv={options['csv']} both given; give one")
        options["csv"] = str(csv)
    check_outputs(folders=(out,))  # before the suite runs, not after
    command = "moesaic " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    ctx = SuiteContext(quick=quick, data=data, options=options, progress=track, seed=seed, out=out)
    try:
        result = run_suite(suite, ctx, out=out, command=command)
    except (DataNotFoundError, DataFormatError, OptionError, SuiteOutputError) as err:
        fail(str(err))
    table = Table("system", "dataset", "setting", "metric", "value", title=f"bench {suite}")
    for row in result.rows:
        table.add_row(row.system, row.dataset, row.setting, row.metric, f"{row.value:.4g}")
    console.print(table)
    console.print(f"wrote {result.json_path} and {result.markdown_path}")
    if result.unread_options:  # a warning, not a failure: a key may only matter with other options
        errors.print(
            f"warning: suite {suite} never read option(s) {list(result.unread_options)}: misspelt, options "
            "of another suite, or ones that do not apply with the others given (its module docstring "
            "lists its own); the rows above ran without them",
            style="yellow",
            soft_wrap=True,
        )
