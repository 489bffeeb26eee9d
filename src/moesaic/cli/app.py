"""The ``moesaic`` application: one typer app, a sub-command per job.

Sub-commands are registered by name and imported only when needed: ``moesaic drawing summarize``
reads a drawing without first importing torch and scikit-learn for the other commands (a few
seconds on two cores). :func:`main` builds an app holding just the command asked for; the
module's ``app`` (for ``moesaic --help`` and the tests) holds every command.
"""

from __future__ import annotations

import errno
import importlib
import inspect
import logging
import signal
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any

import typer

import moesaic
from moesaic import parallel
from moesaic.atomic import OutputPathError, os_error_reason

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
# command -> what it leaves behind when Ctrl-C stops it (see Interrupted)
INTERRUPTED = {
    "feedback": "nothing was written: a verdict is recorded in one transaction",
    "kb": "nothing was written: an ingestion is one transaction, and the other kb commands only read",
}
# group name -> (module holding a typer app named ``app``, help)
GROUPS: dict[str, tuple[str, str]] = {
    "data": ("moesaic.cli.data", "List, show and validate the registered data sets."),
    "kb": ("moesaic.cli.kb", "Ingest, inspect and search the knowledge base (SQLite + FTS5)."),
    "drawing": ("moesaic.cli.drawing", "Summarise and check technical drawings."),
}


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"moesaic {moesaic.__version__}")
        raise typer.Exit()


def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
    ),
) -> None:
    root = logging.getLogger()
    if root.handlers:  # a host program (or a test) logs already: leave its logging alone
        return
    handler = logging.StreamHandler()
    handler.setFormatter(_LowerLevelFormatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


class _LowerLevelFormatter(logging.Formatter):
    """``warning: ...``, ``info: ...``: log lines in the form of the commands' own warnings."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(
            logging.makeLogRecord({**record.__dict__, "levelname": record.levelname.lower()})
        )


def build_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The app with the commands and groups in ``names`` (every one when None), in the order of
    :data:`COMMANDS` then :data:`GROUPS`."""
    wanted = set(COMMANDS) | set(GROUPS) if names is None else set(names)
    unknown = sorted(wanted - set(COMMANDS) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown commands {unknown}; known: {sorted(set(COMMANDS) | set(GROUPS))}")
    app = typer.Typer(
        name="moesaic",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},  # every command inherits both
    )
    app.callback()(_root)
    for name, (module, function) in COMMANDS.items():
        if name in wanted:
            callback = getattr(importlib.import_module(module), function)
            app.command(name=name, help=reflow(callback.__doc__))(callback)
    for name, (module, text) in GROUPS.items():
        if name in wanted:
            group = importlib.import_module(module).app
            for info in group.registered_commands:
                info.help = reflow(info.help or (info.callback.__doc__ if info.callback else None))
            app.add_typer(group, name=name, help=text)
    return app


def reflow(doc: str | None) -> str | None:
    """A command's docstring as its ``--help`` text: paragraphs kept, the line breaks inside each
    joined (the help printer keeps them after the first paragraph, cutting sentences where the
    source wrapped them)."""
    if doc is None:
        return None
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the arguments after the program), when it is a known one."""
    for arg in argv:
        if arg in ("-v", "--verbose"):
            continue
        return arg if arg in COMMANDS or arg in GROUPS else None
    return None


class Interrupted(BaseException):
    """Ctrl-C, raised in place of KeyboardInterrupt while :func:`main` runs: typer turns a
    KeyboardInterrupt into a silent exit, this reaches :func:`main`, which says so in one line.

    A command that knows what it leaves behind adds it as a note (``add_note``); else the line
    says what :data:`INTERRUPTED` holds for the command.
    """


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


ENVIRONMENT_ERRORS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENOTDIR,
    errno.EISDIR,
}
"""OS errors that say where a command ran, not what it got wrong: reported in one line (naming
the path and the reason) wherever a command meets them, as an unwritable --out."""


def _environment_error(err: OSError) -> str | None:
    """The one-line message for an OSError a command cannot help (see :data:`ENVIRONMENT_ERRORS`);
    None for any other, which is a bug and keeps its traceback."""
    if isinstance(err, OutputPathError):
        return str(err)
    if err.errno not in ENVIRONMENT_ERRORS or err.filename is None:
        return None
    return f"{err.filename}: {os_error_reason(err)}"


def main() -> None:
    parallel.enable()  # this entry point guards its work: long loops may use worker processes
    try:
        parallel.workers()  # a bad MOESAIC_WORKERS is one line now, not a traceback minutes later
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    ours = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # not if ignored (background job)
    if ours:
        signal.signal(signal.SIGINT, _interrupt)
    command = _command_of(sys.argv[1:])
    names = None if command is None else [command]
    if command is None and "--version" in sys.argv[1:]:
        names = []  # the version alone: no command module to import
    started = False
    try:
        app = build_app(names)
        started = True
        app()
    except OSError as err:
        message = _environment_error(err)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
    except Interrupted as stop:
        notes = getattr(stop, "__notes__", [])
        if not started:  # while importing the command's modules: none of it ran yet
            notes = ["before the command started; nothing was written"]
        left = "; ".join(notes) or INTERRUPTED.get(command or "", "it stopped before it finished")
        typer.echo(f"interrupted (Ctrl-C); {left}", err=True)
        sys.exit(130)
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    main()
