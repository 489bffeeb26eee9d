"""``moesaic detect``: anomaly scores, alarms and the channels behind them, for any numeric CSV."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from moesaic.atomic import write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import check_outputs, console, fail
from moesaic.cli.series_options import (
    ChannelsOption,
    TimeColOption,
    print_left_out,
    read_channels,
    utc_times,
)
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.readers import LABEL_NAMES
from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError
from moesaic.eval.metrics import false_alarm_rate, missed_alarm_rate, point_f1
from moesaic.reports.plots import detection_figure, figure_png, mask_spans
from moesaic.tasks.anomaly import AnomalyConfig, detection_table, training_rows
from moesaic.tasks.detector_registry import DETECTORS, make_detector


def anomaly_labels(series: Series) -> tuple[str, np.ndarray] | None:
    """The first 0/1 label of ``series`` (in :data:`LABEL_NAMES` order, change points excepted) and
    its values, NaN where the cell was empty; None when there is none."""
    for name in LABEL_NAMES:
        found = next((key for key in series.labels if key.strip().lower() == name), None)
        if found is None or "change" in name:
            continue
        label = series.labels[found]
        if np.isin(label[~np.isnan(label)], (0, 1)).all():
            return found, label
    return None


def _against(truth: tuple[str, np.ndarray], alarm: np.ndarray, count: int) -> str:
    """Point F1, false- and missed-alarm rates against the label on the rows after the first ``count``."""
    name, label = truth
    known = ~np.isnan(label[count:])
    if not known.any():
        return f"column {name!r} has no value after the training rows: nothing to score against"
    y, pred = label[count:][known].astype(bool), alarm[count:][known]
    return (
        f"against column {name!r} on the {int(known.sum())} rows after the training rows "
        f"({int(y.sum())} anomalous): point F1 {point_f1(y, pred):.3f}, "
        f"false alarms {false_alarm_rate(y, pred):.1%}, missed alarms {missed_alarm_rate(y, pred):.1%}"
    )


def detect(
    csv: Annotated[
        Path, typer.Option("--csv", help="CSV or Parquet file: a time column and numeric channels.")
    ],
    train_until: Annotated[
        str,
        typer.Option(
            "--train-until",
            help="Normal rows to learn from: a row count N (the first N rows) or a time (rows up to it; "
            "UTC unless it carries an offset, when the file's times carry offsets).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output CSV: time, score, alarm, top_channels.")],
    time_col: TimeColOption = None,
    channels: ChannelsOption = None,
    detector: Annotated[str, typer.Option("--detector", help=f"One of {', '.join(DETECTORS)}.")] = "moesaic",
    top: Annotated[int, typer.Option("--top", help="Contributing channels listed per step.")] = 3,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Training steps of the moesaic model (also in consensus).")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Folder to save the fitted detector in.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="PNG file: score, threshold, alarms and the channels behind them."),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Detector setting KEY=VALUE, repeatable: smooth, quantile, factor, min_run, backdate "
            "(date alarms from their first step), or the detector's own (consensus: members, backbone.*).",
        ),
    ] = None,
) -> None:
    """Learn normal behaviour from the first rows of a file, then score every row of it."""
    if detector not in DETECTORS:
        fail(f"--detector {detector!r}: choose one of {', '.join(DETECTORS)}")
    if top < 1:
        fail(f"--top must be >= 1, got {top}")
    check_outputs(files=(out, plot), folders=(save,))
    try:
        series = read_channels(csv, time_col=time_col, channels=channels)
        count = training_rows(series.time, train_until)
        overrides: dict[str, object] = {}
        if steps is not None and detector in ("moesaic", "consensus"):
            base = AnomalyConfig()
            train = dataclasses.replace(
                base.train, max_steps=steps, warmup_steps=min(base.train.warmup_steps, steps - 1)
            )
            if detector == "moesaic":
                overrides["train"] = train
            else:
                overrides["backbone"] = dataclasses.replace(base, train=train)
        fitted = make_detector(detector, **overrides)
        if settings:
            fitted = type(fitted)(apply_overrides(fitted.config, settings))
        values = np.where(series.observed, series.values, np.nan)
        with console.status(f"fitting {detector} on {count} rows"):
            fitted.fit(values[:count], channels=series.channels)
        detection = fitted.predict(values)
        table = utc_times(detection_table(series.time, detection, top=top), "time", series)
        write_text_atomic(out, table.to_csv(index=False))
        if save is not None:
            fitted.save(save)
        truth = anomaly_labels(series)
        if plot is not None:
            title = (
                f"{csv.name}: {detector} anomaly score (dashed: threshold), alarms orange"
                + (f", column {truth[0]!r} red" if truth else "")
                + "; learnt from the rows left of the green line"
            )
            spans = mask_spans(series.time, truth[1] == 1) if truth else []
            figure = detection_figure(
                series.time, values, detection, calibrated_rows=count, title=title, spans=spans, channels=top
            )
            write_bytes_atomic(plot, figure_png(figure))
    except (DataFormatError, ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    alarms = int(detection.alarm[count:].sum())
    console.print(
        f"{detector}: trained on {count} rows, threshold {detection.threshold:.4g}; "
        f"{alarms} of {len(values) - count} later rows in alarm; wrote {out}"
        + (f" and {plot}" if plot else "")
    )
    print_left_out(series)
    if truth:
        console.print(_against(truth, detection.alarm, count))
