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

# Markup off: file names, values and messages print as written (`alarms[v2].csv`, `[a, b]`);
# the few styled lines ask for markup and escape what they interpolate.
console = Console(markup=False)
errors = Console(stderr=True, markup=False)


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


@contextlib.contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """Show where a long job is, on stderr; yields ``step(message)`` to call at each step.

    On a terminal: a spinner whose text is the latest step. Elsewhere (output redirected to a
    file, a CI log), where a spinner shows nothing: one plain line per step, with the seconds
    since the start, so that a silent wait never looks like a hang.
    """
    if errors.is_terminal:
        with errors.status(title) as spinner:
            yield spinner.update
        return
    start = time.perf_counter()

    def step(message: str) -> None:
        errors.print(
            f"{title}: {message} ({time.perf_counter() - start:.0f} s)", highlight=False, soft_wrap=True
        )

    errors.print(f"{title}: started", highlight=False, soft_wrap=True)
    yield step


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A progress bar over ``items`` (hidden when output is not a terminal)."""
    what = TextColumn("{task.description}", markup=False)
    columns = (what, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)
