"""``moesaic detect``: anomaly scores, alarms and the channels behind them, for any numeric CSV."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from moesaic.atomic import write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CheckpointError, check_model_folder
from moesaic.cli.console import check_outputs, console, fail, working
from moesaic.cli.series_options import (
    ChannelsOption,
    TimeColOption,
    print_left_out,
    read_channels,
    utc_times,
    with_gaps_filled,
)
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.readers import LABEL_NAMES
from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError
from moesaic.eval.metrics import false_alarm_rate, missed_alarm_rate, point_f1
from moesaic.reports.plots import detection_figure, figure_png, mask_spans
from moesaic.tasks.anomaly import AnomalyConfig, detection_table, training_rows
from moesaic.tasks.detector_fit import Stuck, fit_on_training_rows, least_rows_held_apart, stuck_readings
from moesaic.tasks.detector_registry import DETECTORS, load_detector, make_detector
from moesaic.tasks.detector_standstill import RunningRows, running_rows, spread, spread_stuck
from moesaic.tasks.detectors import KIND_PREFIX, BaseDetector, Detection
from moesaic.tasks.detectors_pipeline import MIN_FIT_ROWS


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


FILLED = (
    "empty rows are put in the gaps, so that the detector sees the time that passed; they are not in "
    "the output"
)


def _against(truth: tuple[str, np.ndarray], alarm: np.ndarray, count: int) -> str:
    """Point F1, false- and missed-alarm rates against the label on the rows after the first ``count``."""
    name, label = truth
    known = ~np.isnan(label[count:])
    if not known.any():
        return f"column {name!r} has no value after the training rows: nothing to score against"
    y, pred = label[count:][known].astype(bool), alarm[count:][known]
    rows = f"the {int(known.sum())} rows" + (" after the training rows" if count else "")
    return (
        f"against column {name!r} on {rows} "
        f"({int(y.sum())} anomalous): point F1 {point_f1(y, pred):.3f}, "
        f"false alarms {false_alarm_rate(y, pred):.1%}, missed alarms {missed_alarm_rate(y, pred):.1%}"
    )


SPIKE = 3.0
"""The command's ``spike`` setting: a step three times as far off as any training step (in score,
a squared departure) is in alarm at once, however short; ``--set spike=0`` turns it off."""
ALARM_SHARE_WARNING = 0.5
"""A warning when more than this share of the scored rows is in alarm."""


def _short_training(time: np.ndarray, count: int) -> str:
    """A warning when ``count`` training rows of readings taken several times a day span less than
    two days, so that no daily cycle is in them; "" otherwise (or without timestamps)."""
    if count < 2 or not np.issubdtype(time.dtype, np.datetime64):
        return ""
    day = np.timedelta64(1, "D")
    span = time[count - 1] - time[0]
    if np.median(np.diff(time[:count])) >= day or span >= 2 * day:
        return ""
    hours = span / np.timedelta64(1, "h")
    return (
        f"the {count} training rows span {hours:.3g} hours, less than two days: a daily cycle is not "
        "in them, so its swings may raise alarms; give more rows with --train-until"
    )


MAX_STUCK_SHOWN = 5
"""Stuck readings named one by one; the others are counted."""


def _with_stuck(detection: Detection, stuck: Stuck) -> Detection:
    """``detection`` with the steps of ``stuck`` readings in alarm, their score raised to the
    threshold at least and the stuck channel made their largest contribution, so that the output
    names it."""
    score, contributions = detection.score.copy(), detection.contributions.copy()
    for t in np.flatnonzero(stuck.steps.any(axis=1)):
        c = int(np.flatnonzero(stuck.steps[t])[0])
        base = float(np.nan_to_num(score[t]))
        add = max(detection.threshold - base, float(contributions[t].max() - contributions[t, c]), 0.0)
        add += 1e-9 * max(detection.threshold, 1.0)  # strictly above: the channel ranks first
        score[t], contributions[t, c] = base + add, contributions[t, c] + add
    alarm = detection.alarm | stuck.steps.any(axis=1)
    return detection._replace(score=score, contributions=contributions, alarm=alarm)


def _when(series: Series, step: int) -> str:
    """Step ``step`` as its time (marked ``+00:00`` when the file's times carried offsets, as in
    the output), or as its step number when the series has no clock."""
    if np.issubdtype(series.time.dtype, np.datetime64):
        zone = "+00:00" if series.meta.get("utc") else ""
        return f"{pd.Timestamp(series.time[step]):%Y-%m-%d %H:%M}{zone}"
    return f"step {series.time[step]}"


def _without_warm_up(detection: Detection, smooth: int) -> Detection:
    """``detection`` with no score on its first ``smooth - 1`` rows: their moving average spans fewer
    steps than the threshold was fitted on (they raise no alarm either), and their scores, often
    many times the threshold, would read as anomalies in the CSV and squash the plot."""
    score = detection.score.astype(np.float64, copy=True)
    score[: max(smooth - 1, 0)] = np.nan
    return detection._replace(score=score)


SWITCHES = {
    "stuck": "1 (the stuck-reading rule, the default) or 0 (none)",
    "standstill": "1 (a machine that starts and stops is read on its running rows, the default) or 0 "
    "(every row)",
}
"""The command's own ``--set`` settings, on or off, and what each value does."""


def _switch_settings(settings: list[str] | None) -> tuple[list[str] | None, dict[str, bool]]:
    """``--set`` without the command's own :data:`SWITCHES`, and whether each is on."""
    rest, on = [], dict.fromkeys(SWITCHES, True)
    for setting in settings or ():
        key, _, value = setting.partition("=")
        key = key.strip()
        if key not in SWITCHES:
            rest.append(setting)
        elif value.strip().lower() in ("0", "false", "off", "no"):
            on[key] = False
        elif value.strip().lower() not in ("1", "true", "on", "yes"):
            fail(f"--set {setting!r}: {key} takes {SWITCHES[key]}")
    return rest or None, on


def _standstill_line(state: RunningRows, count: int, scored: np.ndarray) -> str:
    """The summary's line on a machine that starts and stops: the channel that tells the state, its
    stopped level and the share of rows stopped."""
    found = state.standstill
    later = f" and {1.0 - state.running[scored].mean():.0%} of the later rows" if scored.any() else ""
    shares = (
        f"{state.training_share:.0%} of the training rows{later}"
        if count
        else f"{state.training_share:.0%} of the rows (judged from this file: a saved detector keeps no "
        "training rows)"
    )
    return (
        f"the machine starts and stops: {found.channel!r} at or under {found.level:.3g} reads stopped, "
        f"{shares}; the detector is fitted, thresholded and scored on the running rows only, and a "
        "stopped row has no score, no alarm and state 'stopped' in the output (--set standstill=0: "
        "every row)"
    )


def _new_detector(detector: str, steps: int | None, settings: list[str] | None) -> BaseDetector:
    """An unfitted ``detector`` with ``--steps`` (the backbone's training steps) and ``--set`` applied."""
    overrides: dict[str, object] = {}
    if steps is not None and detector not in ("moesaic", "consensus"):
        raise ValueError(f"--steps: the backbone's training steps; the {detector} detector has no backbone")
    if steps is not None:
        base = AnomalyConfig()
        train = dataclasses.replace(
            base.train, max_steps=steps, warmup_steps=min(base.train.warmup_steps, steps - 1)
        )
        if detector == "moesaic":
            overrides["train"] = train
        else:
            overrides["backbone"] = dataclasses.replace(base, train=train)
    if detector != "consensus":
        overrides["spike"] = SPIKE
    fitted = make_detector(detector, **overrides)
    return type(fitted)(apply_overrides(fitted.config, settings)) if settings else fitted


def _saved_channels(series: Series, names: Sequence[str], path: Path) -> np.ndarray:
    """(T, C) readings of ``series`` in the order of a saved detector's channels ``names``."""
    missing = [n for n in names if n not in series.channels]
    if missing:
        raise DataFormatError(path, f"the saved detector reads column(s) {missing}, which the file lacks")
    values = np.where(series.observed, series.values, np.nan)
    return values[:, [series.channels.index(n) for n in names]]


def detect(
    csv: Annotated[
        Path, typer.Option("--csv", help="CSV or Parquet file: a time column and numeric channels.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output CSV: time, score, alarm, top_channels (and state, when the machine starts and "
            "stops; rule, when a stuck reading is in alarm).",
        ),
    ],
    train_until: Annotated[
        str | None,
        typer.Option(
            "--train-until",
            help="Normal rows to learn from: a row count N (the first N rows) or a time (rows up to it; "
            "UTC unless it carries an offset, when the file's times carry offsets). For moesaic and "
            "consensus, the last 20 % or more of them set the threshold when there are enough.",
        ),
    ] = None,
    load: Annotated[
        Path | None,
        typer.Option(
            "--load",
            exists=True,
            file_okay=False,
            help="A detector saved with --save: score every row with it, fitting nothing (instead of "
            "--train-until).",
        ),
    ] = None,
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
            "(date alarms from their first step), stuck (0: no stuck-reading rule), standstill (0: a machine "
            "that starts and stops is read on every row, not on its running rows), or the detector's own "
            "(consensus: members, backbone.*).",
        ),
    ] = None,
) -> None:
    """Learn normal behaviour from the first rows of a file, then score every row of it; or score it
    with a detector saved before (--load)."""
    if train_until is None and load is None:
        fail("give --train-until (learn from the file's first rows) or --load (a saved detector)")
    if train_until is not None and load is not None:
        fail("give --train-until (learn from the file's first rows) or --load (a saved detector), not both")
    if load is not None and (steps is not None or settings or save is not None or channels is not None):
        fail(
            "--load scores with a fitted detector as it is, on the channels it was fitted on: it takes no "
            "--steps, --set, --save or --channels"
        )
    if detector not in DETECTORS:
        fail(f"--detector {detector!r}: choose one of {', '.join(DETECTORS)}")
    if top < 1:
        fail(f"--top must be >= 1, got {top}")
    check_outputs(files=(out, plot), folders=(save,), png=plot)
    settings, switches = _switch_settings(settings)
    try:
        if save is not None:
            check_model_folder(save, KIND_PREFIX + detector)  # before fitting
        if load is not None:
            fitted = load_detector(load)
            detector, count = fitted.name, 0
            series = read_channels(csv, time_col=time_col, channels=",".join(fitted.channels_), gap_note=None)
            series, kept = with_gaps_filled(series, csv, FILLED)
            values = _saved_channels(series, fitted.channels_, csv)
            learnt = f"loaded from {load}"
        else:
            assert train_until is not None
            series = read_channels(csv, time_col=time_col, channels=channels, gap_note=None)
            count = training_rows(series.time, train_until, least=0)  # --train-until 400: the file's rows
            series, kept = with_gaps_filled(series, csv, FILLED)
            if count < MIN_FIT_ROWS:
                raise ValueError(
                    f"--train-until gives {count} training rows; a detector needs at least {MIN_FIT_ROWS} "
                    "normal rows"
                )
            count = int(np.flatnonzero(kept)[count - 1]) + 1  # and the empty rows among them
            fitted = _new_detector(detector, steps, settings)
            values = np.where(series.observed, series.values, np.nan)
        names = list(fitted.channels_) if load is not None else series.channels
        state = running_rows(values, count, names) if switches["standstill"] else None
        read, trained = values, count  # the rows the detector reads, and how many of them it learns
        if state is not None:
            read, trained = values[state.running], int(state.running[:count].sum())
        if load is None and state is None:
            with working(f"fitting {detector} on {count} rows"):
                learnt = fit_on_training_rows(fitted, values, count, series.channels, csv)
        elif load is None:
            assert state is not None
            if trained < MIN_FIT_ROWS:
                raise ValueError(
                    f"--train-until gives {count} training rows, of which {trained} running "
                    f"({state.standstill.channel!r} above {state.standstill.level:.3g}); a detector needs at "
                    f"least {MIN_FIT_ROWS} normal running rows (or --set standstill=0 for every row)"
                )
            at = np.flatnonzero(state.running)  # the file's row of each running row
            with working(f"fitting {detector} on the {trained} running rows of {count}"):
                learnt = fit_on_training_rows(fitted, read, trained, series.channels, csv, rows=at)
        detection = _without_warm_up(fitted.predict(read), fitted.config.smooth)
        # a loaded detector has no training rows to learn the repeats from
        stuck = stuck_readings(read, trained) if count and switches["stuck"] else None
        if state is not None:
            detection = spread(detection, state.running)
            stuck = None if stuck is None else spread_stuck(stuck, state.running)
        if stuck is not None and stuck.runs:
            detection = _with_stuck(detection, stuck)
        table = utc_times(detection_table(series.time, detection, top=top), "time", series)
        if state is not None:
            table["top_channels"] = np.where(state.running, table["top_channels"], "")
            table["state"] = np.where(state.running, "running", "stopped")
        if stuck is not None and stuck.runs:  # which alarms a rule raised, not the detector's score
            table["rule"] = np.where(stuck.steps.any(axis=1), "stuck reading", "")
        table = table[kept]
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
    scored = kept.copy()
    scored[:count] = False  # the file's rows after the training rows
    later = "later rows" if count else "rows"
    stopped = standstill = ""
    if state is not None:
        standstill = _standstill_line(state, count, scored)
        stopped = f" ({int((scored & ~state.running).sum())} stopped {later} not scored)"
        later = "later running rows" if count else "running rows"
        scored &= state.running
    alarms, rows = int(detection.alarm[scored].sum()), int(scored.sum())
    console.print(
        f"{detector}: {learnt}, threshold {detection.threshold:.4g}; "
        f"{alarms} of {rows} {later} in alarm{stopped}; wrote {out}" + (f" and {plot}" if plot else "")
    )
    if standstill:
        console.print(standstill, soft_wrap=True, highlight=False)
    short = _short_training(series.time, count)
    if short:
        console.print(f"[yellow]warning:[/] {short}", markup=True, highlight=False)
    if rows and alarms > ALARM_SHARE_WARNING * rows:
        least = least_rows_held_apart(fitted.config.smooth) if fitted.memorises else 0
        cause = (
            "the threshold was set on the rows the detector learnt, which it scores too low: give at "
            f"least {least} training rows with --train-until so that some are held apart"
            if 0 < trained < least
            else "the training rows may not cover normal operation (a daily cycle, every load); give "
            "more with --train-until, or check that the process changed"
        )
        console.print(
            f"[yellow]warning:[/] {alarms / rows:.0%} of the {later} are in alarm: {cause}",
            markup=True,
            highlight=False,
        )
    for c, first, last in stuck.runs[:MAX_STUCK_SHOWN] if stuck is not None else ():
        assert stuck is not None
        console.print(
            f"stuck reading: {series.channels[c]} stays at {float(values[first, c]):.6g} from "
            f"{_when(series, first)} to {_when(series, last)} ({int(stuck.steps[first : last + 1, c].sum())} "
            "rows), longer "
            "than any repeat in the training rows: in alarm",
            style="yellow",
            soft_wrap=True,
        )
    if stuck is not None and len(stuck.runs) > MAX_STUCK_SHOWN:
        console.print(f"... and {len(stuck.runs) - MAX_STUCK_SHOWN} more stuck readings", style="yellow")
    print_left_out(series)
    if truth:
        counted = int(kept[:count].sum())  # the file's own rows, without those put in its gaps
        console.print(_against((truth[0], truth[1][kept]), detection.alarm[kept], counted))
