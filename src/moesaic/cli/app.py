"""The ``moesaic`` application: one typer app, a sub-command per job.

Sub-commands are registered by name and imported only when needed: ``moesaic drawing summarize``
reads a drawing without first importing torch and scikit-learn for the other commands (a few
seconds on two cores). :func:`main` builds an app holding just the command asked for; the
module's ``app`` (for ``moesaic --help`` and the tests) holds every command.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable
from typing import Any

import typer

HELP = "Frugal multimodal sparse Mixture-of-Experts for industrial maintenance data, on a CPU."

# command name -> (module, function)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("moesaic.cli.demo", "demo"),
    "simulate": ("moesaic.cli.simulate", "simulate"),
    "bench": ("moesaic.cli.bench", "bench"),
    "inspect": ("moesaic.cli.inspect", "inspect"),
    "exam": ("moesaic.cli.exam", "exam"),
    "forecast": ("moesaic.cli.forecast", "forecast"),
    "detect": ("moesaic.cli.detect", "detect"),
    "ask": ("moesaic.cli.ask", "ask"),
    "report": ("moesaic.cli.report", "report"),
    "verify": ("moesaic.cli.verify", "verify"),
    "synth": ("moesaic.cli.synth", "synth"),
    "scenarios": ("moesaic.cli.scenarios", "scenarios"),
    "feedback": ("moesaic.cli.scenarios", "feedback"),
    "pretrain": ("moesaic.cli.adapt", "pretrain"),
    "adapt": ("moesaic.cli.adapt", "adapt"),
}
# group name -> (module holding a typer app named ``app``, help)
GROUPS: dict[str, tuple[str, str]] = {
    "data": ("moesaic.cli.data", "List, show and validate the registered data sets."),
    "kb": ("moesaic.cli.kb", "Ingest, inspect and search the knowledge base (SQLite + FTS5)."),
    "drawing": ("moesaic.cli.drawing", "Summarise and check technical drawings."),
}


def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


def build_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The app with the commands and groups in ``names`` (every one when None), in the order of
    :data:`COMMANDS` then :data:`GROUPS`."""
    wanted = set(COMMANDS) | set(GROUPS) if names is None else set(names)
    unknown = sorted(wanted - set(COMMANDS) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown commands {unknown}; known: {sorted(set(COMMANDS) | set(GROUPS))}")
    app = typer.Typer(
        name="moesaic", help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
    app.callback()(_root)
    for name, (module, function) in COMMANDS.items():
        if name in wanted:
            app.command(name=name)(getattr(importlib.import_module(module), function))
    for name, (module, text) in GROUPS.items():
        if name in wanted:
            app.add_typer(importlib.import_module(module).app, name=name, help=text)
    return app


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the arguments after the program), when it is a known one."""
    for arg in argv:
        if arg in ("-v", "--verbose"):
            continue
        return arg if arg in COMMANDS or arg in GROUPS else None
    return None


def main() -> None:
    command = _command_of(sys.argv[1:])
    build_app(None if command is None else [command])()


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    main()
