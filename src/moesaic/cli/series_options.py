"""The options every command that reads a series file shares: its time column and its channels."""

from __future__ import annotations

from typing import Annotated

import typer

from moesaic.cli.console import console, fail
from moesaic.data.schema import Series

TimeColOption = Annotated[str | None, typer.Option("--time-col", help="The time column (default: detected).")]
ChannelsOption = Annotated[
    str | None,
    typer.Option(
        "--channels",
        help="Comma-separated channels (default: every other column but labels such as 'anomaly').",
    ),
]


def channel_names(channels: str | None) -> list[str] | None:
    """The names of ``--channels`` (None: every column but the time); exits on an empty or repeated name."""
    if channels is None:
        return None
    names = [c.strip() for c in channels.split(",")]
    if not all(names) or len(set(names)) != len(names):
        fail(f"--channels {channels!r}: expected distinct comma-separated column names")
    return names


def print_labels(series: Series) -> None:
    """Say which columns were read as labels or row numbers rather than channels, if any."""
    left_out = {"label": tuple(series.labels), "row-number": tuple(series.meta.get("index_columns") or ())}
    for kind, names in left_out.items():
        if names:
            console.print(
                f"{kind} columns, not read as channels: {', '.join(names)} (--channels to use them)"
            )
