"""The options every command that reads a series file shares: its time column and its channels."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from moesaic.cli.console import console, fail
from moesaic.data.readers import read_series_file
from moesaic.data.schema import GAP_FACTOR, Series, fill_gaps, time_gaps
from moesaic.data.tables import DataFormatError

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


NEIGHBOURS = "rows either side of a gap are read as neighbours"
"""What a command that reads rows, not clock time, does with a gap in time."""


def read_channels(
    path: Path, *, time_col: str | None, channels: str | None, gap_note: str | None = NEIGHBOURS
) -> Series:
    """The series of ``path`` for a command: ``--time-col`` and ``--channels`` applied, a column of
    text only (a RUN / STOP status) left out with a warning unless ``--channels`` names it, and a
    channel with no reading at all left out with a notice (refused when ``--channels`` named it).

    Raises:
        DataFormatError: as :func:`~moesaic.data.readers.read_series_file`, or a named channel
            without a reading.
    """
    series = read_series_file(path, time_col=time_col, channels=channel_names(channels), skip_text=True)
    if gap_note is not None:  # None: the caller warns, once it knows what it does with the gaps
        warn_gaps(series, path, gap_note)
    empty = [name for c, name in enumerate(series.channels) if not series.observed[:, c].any()]
    if not empty:
        return series
    if channels is not None:
        raise DataFormatError(
            path, "no reading at all in this column; leave it out of --channels", column=empty[0]
        )
    if len(empty) == len(series.channels):
        raise DataFormatError(path, f"no reading at all in any value column ({', '.join(empty)})")
    keep = [c for c, name in enumerate(series.channels) if name not in empty]
    console.print(f"columns with no reading at all, left out: {', '.join(empty)}")
    return dataclasses.replace(
        series,
        values=series.values[:, keep],
        observed=series.observed[:, keep],
        channels=tuple(series.channels[c] for c in keep),
    )


GAP_STEPS = GAP_FACTOR
"""A step between rows this many times the usual one (the median) is a gap worth a warning."""


def warn_gaps(series: Series, path: Path, note: str = NEIGHBOURS) -> None:
    """Say so when the rows are not evenly spaced in time (:func:`moesaic.data.schema.time_gaps`),
    and what the command does about it (``note``)."""
    gaps = time_gaps(series.time, GAP_STEPS)
    if gaps is not None:
        console.print(
            f"warning: {path}: {gaps.number} gap(s) in time, the widest "
            f"{pd.Timedelta(seconds=gaps.widest_seconds)} between data rows {gaps.widest + 1} and "
            f"{gaps.widest + 2} (usually {pd.Timedelta(seconds=gaps.usual_seconds)} apart); {note}",
            style="yellow",
            soft_wrap=True,
        )


def with_gaps_filled(series: Series, path: Path, note: str) -> tuple[Series, np.ndarray]:
    """``series`` with its gaps in time filled with empty rows (:func:`fill_gaps`), and the mask of
    the file's own rows; the gap warning ends with ``note`` (what the command does with the empty
    rows) when they were filled, else with :data:`NEIGHBOURS`."""
    filled, kept = fill_gaps(series, GAP_STEPS)
    warn_gaps(series, path, note if not kept.all() else NEIGHBOURS)
    return filled, kept


def print_left_out(series: Series) -> None:
    """Say which columns were read as labels or row numbers rather than channels, if any."""
    left_out = {"label": tuple(series.labels), "row-number": tuple(series.meta.get("index_columns") or ())}
    for kind, names in left_out.items():
        if names:
            console.print(
                f"{kind} columns, not read as channels: {', '.join(names)} (--channels to use them)"
            )


def utc_times(frame: pd.DataFrame, column: str, series: Series) -> pd.DataFrame:
    """``frame`` with its ``column`` of times marked UTC (``+00:00``) when the file's times carried
    UTC offsets and were converted: an unmarked time would read as local."""
    if not series.meta.get("utc"):
        return frame
    return frame.assign(**{column: pd.to_datetime(frame[column]).dt.tz_localize("UTC")})
