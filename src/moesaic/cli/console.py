"""Rich rendering shared by the commands: one console, progress bars, error exits."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from moesaic.atomic import OutputPathError, check_file_target, check_folder_target, check_writable

T = TypeVar("T")

# Markup and emoji codes off: file names, values and messages print as written (`alarms[v2].csv`,
# `[a, b]`, a record `excavator_mwo:A: ...` whose ":A:" would print as an emoji); the few styled
# lines ask for markup and escape what they interpolate.
console = Console(markup=False, emoji=False)
errors = Console(stderr=True, markup=False, emoji=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear error line and exit with ``code``."""
    errors.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def check_outputs(
    *, files: Iterable[Path | None] = (), folders: Iterable[Path | None] = (), png: Path | None = None
) -> None:
    """Exit with one clear error now, before any long work, when an output file would land on a
    folder (or a folder on a file), cannot be written there (permission denied, read-only file
    system), or the ``png`` image (``--plot``, also among ``files``) is named for another format;
    None entries (options not given) are skipped."""
    if png is not None and png.suffix.lower() != ".png":
        fail(f"--plot {png}: the figure is written as a PNG image; give a file name ending in .png")
    try:
        for file in files:
            if file is not None:
                check_file_target(file)
                check_writable(file)
        for folder in folders:
            if folder is not None:
                check_folder_target(folder)
                check_writable(folder)
    except OutputPathError as err:
        fail(str(err))


STEP_EVERY_S = 5.0
"""Seconds between two reports of :func:`every_few_seconds`."""


def every_few_seconds(step: Callable[[str], None]) -> Callable[[int, dict[str, float]], None]:
    """A training loop's ``progress(step, record)`` that tells ``step`` (of :func:`progress`) the
    training step and its loss at most every :data:`STEP_EVERY_S` seconds; also the run of several
    and the steps it may take, when the record says (``stage``, ``stages``, ``steps``)."""
    last = time.perf_counter()

    def report(number: int, record: dict[str, float]) -> None:
        nonlocal last
        if time.perf_counter() - last >= STEP_EVERY_S:
            last = time.perf_counter()
            loss, stages, steps = record.get("loss"), record.get("stages", 1), record.get("steps")
            run = f"run {record.get('stage', 1):.0f} of {stages:.0f}: " if stages > 1 else ""
            step(
                f"{run}training step {number}"
                + (f" of at most {steps:.0f}" if steps else "")
                + (f", loss {loss:.4g}" if loss is not None else "")
            )

    return report


@contextlib.contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """Show where a long job is, on stderr; yields ``step(message)`` to call at each step.

    On a terminal: a spinner whose text is the latest step. Elsewhere (output redirected to a
    file, a CI log), where a spinner shows nothing: one plain line per step, with the seconds
    since the start, so that a silent wait never looks like a hang, and one when the job ends
    (none when it fails: the error says why).
    """
    if errors.is_terminal:
        with errors.status(title) as spinner:
            yield spinner.update
        return
    start = time.perf_counter()

    def step(message: str) -> None:
        _plain(f"{title}: {message} ({time.perf_counter() - start:.0f} s)")

    _plain(f"{title}: started")
    yield step
    _plain(f"{title}: done ({time.perf_counter() - start:.0f} s)")


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """Show, on stderr, that one long step runs: a spinner with ``message`` on a terminal;
    elsewhere a line when it starts and one with its seconds when it ends (none when it fails:
    the error says why)."""
    if errors.is_terminal:
        with errors.status(message):
            yield
        return
    start = time.perf_counter()
    _plain(f"{message} ...")
    yield
    _plain(f"{message}: done ({time.perf_counter() - start:.0f} s)")


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A progress bar over ``items`` on a terminal; elsewhere a plain line of the count done at
    most every :data:`PLAIN_EVERY_S` seconds, and one at the end."""
    if not errors.is_terminal:
        yield from _plain_track(items, description, total)
        return
    what = TextColumn("{task.description}", markup=False)
    columns = (what, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


PLAIN_EVERY_S = 10.0
"""Seconds between two progress lines of :func:`track` off a terminal."""


def _plain_track(items: Iterable[T], description: str, total: int | None) -> Iterator[T]:
    start = last = time.perf_counter()
    of = "" if total is None else f"/{total}"
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.perf_counter()
        if now - last >= PLAIN_EVERY_S:
            _plain(f"{description}: {done}{of} ({now - start:.0f} s)")
            last = now
    _plain(f"{description}: {done}{of} done ({time.perf_counter() - start:.0f} s)")


def _plain(line: str) -> None:
    errors.print(line, highlight=False, soft_wrap=True)
