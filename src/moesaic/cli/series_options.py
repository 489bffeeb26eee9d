"""The options every command that reads a series file shares: its time column and its channels."""

from __future__ import annotations

from typing import Annotated

import typer

from moesaic.cli.console import fail

TimeColOption = Annotated[str | None, typer.Option("--time-col", help="The time column (default: detected).")]
ChannelsOption = Annotated[
    str | None, typer.Option("--channels", help="Comma-separated channels (default: every other column).")
]


def channel_names(channels: str | None) -> list[str] | None:
    """The names of ``--channels`` (None: every column but the time); exits on an empty or repeated name."""
    if channels is None:
        return None
    names = [c.strip() for c in channels.split(",")]
    if not all(names) or len(set(names)) != len(names):
        fail(f"--channels {channels!r}: expected distinct comma-separated column names")
    return names
