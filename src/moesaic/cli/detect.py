"""``moesaic detect``: anomaly scores, alarms and the channels behind them, for any numeric CSV."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from moesaic.atomic import write_text_atomic
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import console, fail
from moesaic.cli.series_options import ChannelsOption, TimeColOption, channel_names
from moesaic.config import ConfigError
from moesaic.data.readers import read_series_file
from moesaic.data.tables import DataFormatError
from moesaic.tasks.anomaly import DETECTORS, AnomalyConfig, detection_table, make_detector, training_rows


def detect(
    csv: Annotated[
        Path, typer.Option("--csv", help="CSV or Parquet file: a time column and numeric channels.")
    ],
    train_until: Annotated[
        str,
        typer.Option(
            "--train-until",
            help="Normal rows to learn from: a row count N (the first N rows) or a time (rows up to it).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output CSV: time, score, alarm, top_channels.")],
    time_col: TimeColOption = None,
    channels: ChannelsOption = None,
    detector: Annotated[str, typer.Option("--detector", help=f"One of {', '.join(DETECTORS)}.")] = "moesaic",
    top: Annotated[int, typer.Option("--top", help="Contributing channels listed per step.")] = 3,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps of the moesaic model.")] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Folder to save the fitted detector in.")
    ] = None,
) -> None:
    """Learn normal behaviour from the first rows of a file, then score every row of it."""
    if detector not in DETECTORS:
        fail(f"--detector {detector!r}: choose one of {', '.join(DETECTORS)}")
    if top < 1:
        fail(f"--top must be >= 1, got {top}")
    names = channel_names(channels)
    try:
        series = read_series_file(csv, time_col=time_col, channels=names)
        count = training_rows(series.time, train_until)
        overrides = {}
        if steps is not None and detector == "moesaic":
            base = AnomalyConfig().train
            overrides["train"] = dataclasses.replace(
                base, max_steps=steps, warmup_steps=min(base.warmup_steps, steps - 1)
            )
        fitted = make_detector(detector, **overrides)
        values = np.where(series.observed, series.values, np.nan)
        with console.status(f"fitting {detector} on {count} rows"):
            fitted.fit(values[:count], channels=series.channels)
        detection = fitted.predict(values)
        write_text_atomic(out, detection_table(series.time, detection, top=top).to_csv(index=False))
        if save is not None:
            fitted.save(save)
    except (DataFormatError, ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    alarms = int(detection.alarm[count:].sum())
    console.print(
        f"{detector}: trained on {count} rows, threshold {detection.threshold:.4g}; "
        f"{alarms} of {len(values) - count} later rows in alarm; wrote {out}"
    )
