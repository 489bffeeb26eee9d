"""The ``moesaic`` application: one typer app, a sub-command per job."""

from __future__ import annotations

import logging

import typer

from moesaic.cli import adapt as adapt_cli
from moesaic.cli import ask, bench, data, demo, detect, drawing, exam, forecast, kb, simulate
from moesaic.cli import scenarios as scenarios_cli
from moesaic.cli.inspect import inspect
from moesaic.cli.report import report
from moesaic.cli.synth import synth
from moesaic.cli.verify import verify

app = typer.Typer(
    name="moesaic",
    help="Frugal multimodal sparse Mixture-of-Experts for industrial maintenance data, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(name="demo")(demo.demo)
app.command(name="simulate")(simulate.simulate)
app.command(name="bench")(bench.bench)
app.command(name="inspect")(inspect)
app.command(name="exam")(exam.exam)
app.command(name="forecast")(forecast.forecast)
app.command(name="detect")(detect.detect)
app.command(name="ask")(ask.ask)
app.command(name="report")(report)
app.command(name="verify")(verify)
app.command(name="synth")(synth)
app.command(name="scenarios")(scenarios_cli.scenarios)
app.command(name="feedback")(scenarios_cli.feedback)
app.command(name="pretrain")(adapt_cli.pretrain)
app.command(name="adapt")(adapt_cli.adapt)
app.add_typer(data.app, name="data", help="List, show and validate the registered data sets.")
app.add_typer(kb.app, name="kb", help="Ingest, inspect and search the knowledge base (SQLite + FTS5).")
app.add_typer(drawing.app, name="drawing", help="Summarise and check technical drawings.")


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
