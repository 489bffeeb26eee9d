"""``moesaic forecast``: fit a forecaster on a CSV or Parquet file of sensor readings (or use a
pretrained one as it is) and write the forecast after its end.

The file is read like ``moesaic detect``'s (:func:`moesaic.data.readers.read_series_file`): the time
column is detected (or named with ``--time-col``), every other column is a channel unless
``--channels`` chooses them, the separator is sniffed; an ETT file works as it is. With
``--pretrained`` the pretrained forecaster forecasts as it is, or with ``--adapter`` after loading
an adapter of ``moesaic adapt`` that was adapted from that same checkpoint.

The season (the seasonal naive model's and the check's period, and the moesaic head's periodic
path) is a day of rows at the file's time step (:func:`moesaic.eval.season.daily_season`), a week
when the training rows repeat one (:func:`moesaic.eval.season.weekly_season`), or the config's 24
steps when the file has no timestamps; ``--set seasonal_period=N`` (and ``--set moesaic.period=N``)
set it. A default context shorter than the season grows to hold two. ``--set train.max_steps=N``
bounds every training stage, the moesaic model's first two (``moesaic.stage_steps``) included
unless that is set too. A channel without any reading in the context the forecast reads is
refused, not forecast as its mean. The output's time column keeps the file's name for it
(``step`` when the rows were only numbered)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from moesaic.atomic import write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CheckpointError, check_model_folder
from moesaic.cli.console import check_outputs, console, every_few_seconds, fail, progress
from moesaic.cli.series_options import (
    ChannelsOption,
    TimeColOption,
    print_left_out,
    read_channels,
    utc_times,
    with_gaps_filled,
)
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.bounds import floored, never_negative
from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError
from moesaic.eval.season import season_of_times, weekly_season
from moesaic.reports.plots import figure_png, forecast_figure
from moesaic.tasks.few_shot import load_forecaster_adapter, pretrained_digest
from moesaic.tasks.forecast import FORECAST_MODELS, POINT_FORECAST_MODELS, ForecastConfig, Forecaster
from moesaic.tasks.forecast_check import HoldoutCheck, check_origins, holdout_check
from moesaic.tasks.forecast_config import QuantileForecast
from moesaic.tasks.forecast_pretrained import pretrained_forecast
from moesaic.tasks.pretrain_forecast import load_pretrained_forecaster


def forecast(
    csv: Annotated[
        Path,
        typer.Option(
            "--csv", exists=True, dir_okay=False, help="CSV or Parquet file: a time column and channels."
        ),
    ],
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, help="Steps to forecast after the last row.")
    ] = 96,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="CSV of the forecast: median and quantiles (a point forecaster's: its forecast)."
        ),
    ] = Path("forecast.csv"),
    model: Annotated[str, typer.Option("--model", help=f"System: {', '.join(FORECAST_MODELS)}.")] = "moesaic",
    context: Annotated[
        int | None,
        typer.Option("--context", min=1, help="Context length L (default: 512, less for a short file)."),
    ] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Folder to save the fitted model in.")] = None,
    load: Annotated[
        Path | None, typer.Option("--load", help="Use a saved model (from --save) instead of fitting one.")
    ] = None,
    pretrained: Annotated[
        Path | None,
        typer.Option(
            "--pretrained",
            help="Forecast zero-shot with `moesaic pretrain --task forecasting`'s model: no fitting.",
        ),
    ] = None,
    adapter: Annotated[
        Path | None,
        typer.Option(
            "--adapter",
            exists=True,
            file_okay=False,
            help="With --pretrained: first load this adapter of `moesaic adapt`, adapted from it.",
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Config override KEY=VALUE: train.max_steps=500 (bounds every stage), seasonal_period=96.",
        ),
    ] = None,
    time_col: TimeColOption = None,
    channels: ChannelsOption = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="PNG file: the recent past and the forecast with its 10-90 % band."),
    ] = None,
) -> None:
    """Fit on FILE (its last 20 % validates) and forecast the next HORIZON steps of every channel; with
    --pretrained, forecast them with the pretrained forecaster as it is, or with --adapter adapted.

    A file too short to fit and check is refused, naming the rows it needs. seasonal_naive, dlinear and
    patchtst forecast one value per step: their forecast has no quantile band."""
    check_outputs(files=(out, plot), folders=(save,), png=plot)
    try:
        if adapter is not None and pretrained is None:
            raise ValueError(
                "--adapter holds only the adapted tensors: give --pretrained FOLDER, the pretrained "
                "forecaster it was adapted from"
            )
        if save is not None and pretrained is None:
            check_model_folder(save, None)  # before fitting; a Forecaster's config has no kind
        series = read_channels(csv, time_col=time_col, channels=channels, gap_note=None)
        series, _ = with_gaps_filled(series, csv, GAPS_READ_AS_MISSING)
        if pretrained is not None:
            if load is not None or save is not None:
                raise ValueError("--pretrained forecasts without fitting: it takes neither --load nor --save")
            network, learned = load_pretrained_forecaster(pretrained)
            if len(series.values) < learned.context_length:
                raise DataFormatError(
                    csv,
                    f"{len(series.values)} rows; the pretrained forecaster reads the last "
                    f"{learned.context_length} rows as its context",
                )
            if adapter is None:
                how = "zero-shot: the pretrained forecaster"
            else:
                loaded = load_forecaster_adapter(adapter, network, digest=pretrained_digest(pretrained))
                how = (
                    f"adapted: the pretrained forecaster with the {loaded.adaptation.method} adapter of "
                    f"{adapter} (adapted to {loaded.config.get('target')})"
                )
                seen = loaded.config.get("channels")
                unseen = [c for c in series.channels if seen is not None and c not in seen]
                if unseen:  # an adapter learns the sensors it was given; these it never saw
                    console.print(
                        f"warning: the adapter never saw column(s) {unseen} of {csv} (it was adapted on "
                        f"{seen}); their forecasts rest on what it learnt from other sensors",
                        style="yellow",
                        soft_wrap=True,
                    )
            console.print(f"{how} reads the last {learned.context_length} rows")
            _refuse_blind_channels(series, learned.context_length, csv)
            result = pretrained_forecast(network, series.values, horizon)
        else:
            if load is not None:
                forecaster = Forecaster.load(load)
                fitted = forecaster.spec_.num_channels
                if fitted != len(series.channels):
                    raise ValueError(
                        f"the model in {load} forecasts {fitted} channels; {csv} gives "
                        f"{len(series.channels)} ({', '.join(series.channels)}): choose its channels with "
                        "--channels, in the order the model was fitted on"
                    )
                _refuse_blind_channels(series, forecaster.spec_.context_length, csv)
            else:
                config = _fit_config(
                    series, model=model, context=context, horizon=horizon, overrides=overrides or [], path=csv
                )
                _refuse_blind_channels(series, config.context_length, csv)
                with progress(f"fitting {model} on {csv.name} ({len(series.values)} rows)") as step:
                    forecaster = Forecaster(config).fit(series.values, progress=every_few_seconds(step))
                check = holdout_check(
                    forecaster, series.values, fraction=config.val_fraction, period=config.seasonal_period
                )
                if check is not None:
                    console.print(_check_line(check, config.val_fraction, trained=bool(forecaster.stages_)))
                    if check.mae > check.naive_mae and model != "seasonal_naive":
                        console.print(_worse_line(check), markup=True, highlight=False)
                    elif model != "seasonal_naive" and (channels_line := _worse_channels(check, series)):
                        console.print(channels_line, highlight=False)
                else:
                    console.print(_unchecked_line(config.val_fraction), markup=True, highlight=False)
            result = forecaster.predict(series.values, horizon=horizon)
    except (DataFormatError, ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    result = _floored(result, series)
    point = pretrained is None and forecaster.config.model in POINT_FORECAST_MODELS
    future = _future_times(series.time, horizon)
    time_name = _time_name(series)
    frame = result.to_frame(series.channels, future, quantiles=not point).rename(columns={"date": time_name})
    if np.issubdtype(future.dtype, np.datetime64):
        frame = utc_times(frame, time_name, series)
    write_text_atomic(out, frame.to_csv(index=False))
    if save is not None:
        try:
            forecaster.save(save)
        except CheckpointError as err:  # a file put into the folder while fitting
            fail(str(err))
        console.print(f"saved the model to {save}")
    if plot is not None:
        _plot(plot, csv.name, series, future, result, point=point)
    what = (
        f"a point forecast ({forecaster.config.model} gives no quantiles)"
        if point
        else f"quantiles {list(result.levels)}"
    )
    console.print(f"wrote {out}: {horizon} steps x {len(series.channels)} channels, {what}")
    if plot is not None:
        console.print(f"wrote {plot}")
    print_left_out(series)


def _floored(result: QuantileForecast, series: Series) -> QuantileForecast:
    """``result`` with the channels never negative in the file (:mod:`moesaic.data.bounds`) raised
    to 0 where their median or band went below it, said when it did."""
    bounded = never_negative(series.values)
    below = [n for c, n in enumerate(series.channels) if bounded[c] and (result.quantiles[:, c] < 0).any()]
    if below:
        console.print(f"never negative in the file, floored at 0: {', '.join(below)}", highlight=False)
    return result._replace(
        median=floored(result.median, bounded), quantiles=floored(result.quantiles, bounded[:, None])
    )


def _time_name(series: Series) -> str:
    """The output's time column: named as the file's (``cycle`` stays ``cycle``), ``step`` when the
    file had none and its rows were numbered."""
    name = series.meta.get("time_column") or "step"
    return str(name) if name not in series.channels else "time"


def _future_times(time: np.ndarray, horizon: int) -> np.ndarray:
    """The ``horizon`` times after the last one, at the median step (timestamps, or whole step numbers)."""
    step = np.median(np.diff(time))  # a series has at least 2 rows
    if np.issubdtype(time.dtype, np.datetime64):
        return time[-1] + np.asarray(step).astype(np.diff(time).dtype) * np.arange(1, horizon + 1)
    return time[-1] + max(1, round(float(step))) * np.arange(1, horizon + 1, dtype=np.int64)


def _check_line(check: HoldoutCheck, fraction: float, *, trained: bool = True) -> str:
    """The hold-out check in words; an untrained model (seasonal naive) chose no stopping point,
    and one that is the naive forecast itself is not compared with itself."""
    low, high = check.levels
    band = (
        ""
        if check.coverage is None
        else f"; {check.coverage:.0%} of the values inside the {low:g}-{high:g} band"
    )
    chose = "; they also chose when training stopped" if trained else ""
    against = (
        ""
        if not trained and check.mae == check.naive_mae
        else f", against {check.naive_mae:.3f} for the {check.naive} forecast"
    )
    return (
        f"check on the last {fraction:.0%} of the rows ({check.origins} forecasts{chose}): mean absolute "
        f"error {check.mae:.3f} standardised{against}{band}"
    )


GAPS_READ_AS_MISSING = (
    "empty rows are put in the gaps, so that the forecaster sees the time that passed and the "
    "forecast steps follow the usual one"
)


def _worse_line(check: HoldoutCheck) -> str:
    """The warning when the model forecasts the checked rows worse than the naive forecast does."""
    return (
        f"[yellow]warning:[/] on the checked rows the model is worse than the {check.naive} forecast "
        f"({check.mae:.3f} against {check.naive_mae:.3f}): the series may have changed late in the file "
        "(a level shift, a new regime), which the model reads as a passing departure. Plot the last "
        "rows (--plot), and compare with --model seasonal_naive or a shorter --context"
    )


def _worse_channels(check: HoldoutCheck, series: Series) -> str:
    """The channels the model forecast worse than the naive forecast on the checked rows, when it
    did better overall: one average can hide a channel it gets wrong; "" when there is none."""
    worse = [
        f"{name} ({mae:.3f} against {naive:.3f})"
        for name, (mae, naive) in zip(series.channels, check.channel_maes, strict=False)
        if mae > naive
    ]
    return f"worse than the {check.naive} forecast on: {', '.join(worse)}" if worse else ""


def _plot(
    path: Path, name: str, series: Series, future: np.ndarray, result: QuantileForecast, *, point: bool
) -> None:
    """The last rows (three horizons, at least 100) and the forecast of the first channels, as a PNG;
    a ``point`` forecast without a band."""
    shown = max(3 * len(future), 100)
    values = series.values[-shown:]  # NaN where not observed
    lower, upper, levels = result.band()
    band = f"median (blue) and {levels[0]:g}-{levels[1]:g} quantile band"
    if point:
        lower = upper = result.median
        band = "point forecast (blue; no quantile band)"
    title = f"{name}: next {len(future)} steps, {band}, after the last rows (black)"
    figure = forecast_figure(
        series.time[-shown:],
        values,
        future,
        result.median,
        (lower, upper),
        names=series.channels,
        title=title,
    )
    write_bytes_atomic(path, figure_png(figure))


DEFAULT_CONTEXT = 512


def _override_keys(overrides: list[str]) -> set[str]:
    return {item.partition("=")[0].strip() for item in overrides}


def _fit_config(
    series: Series, *, model: str, context: int | None, horizon: int, overrides: list[str], path: Path
) -> ForecastConfig:
    """The config ``moesaic forecast`` fits ``model`` on ``series`` with: the command line's
    settings, the season of the series (:func:`_seasonal`), ``--set train.max_steps`` bounding every
    stage, and a context the file can hold; says what it chose and why."""
    length = context if context is not None else DEFAULT_CONTEXT
    config = apply_overrides(ForecastConfig(model=model, context_length=length, horizon=horizon), overrides)
    config = _seasonal(config, series, overrides, chosen=context is not None)
    config = _bounded_stages(config, overrides)
    config = _fitting_context(config, len(series.values), path, chosen=context is not None)
    if config.seasonal_period > config.context_length:
        console.print(
            f"[yellow]warning:[/] the season of {config.seasonal_period} steps is longer than the context "
            f"of {config.context_length}: the forecast cannot repeat it (no periodic path; the check "
            "compares with the last value). Give a longer file or --context",
            markup=True,
            highlight=False,
        )
    return config


def _seasonal(
    config: ForecastConfig, series: Series, overrides: list[str], *, chosen: bool
) -> ForecastConfig:
    """``config`` with the season of ``series`` (module docstring), unless ``--set`` gives it; prints
    the period used and why.

    A week of rows is the season when the training rows (those before the last ``val_fraction``,
    which check the fit) show a clear weekly cycle (:func:`~moesaic.eval.season.weekly_season`) and
    the context can hold a week (a default one grows to :data:`SEASONS_IN_CONTEXT` weeks when
    shorter, and :func:`_fitting_context` may shorten it again, to a week at least); else a day."""
    given = _override_keys(overrides)
    if "seasonal_period" in given:
        console.print(f"season: {config.seasonal_period} steps (--set seasonal_period)")
        return _with_season(config, config.seasonal_period, given, chosen=chosen)
    train_rows = int(len(series.values) * (1 - config.val_fraction))
    weekly = weekly_season(series.time[:train_rows], series.values[:train_rows])
    if weekly is not None:
        week = weekly.period
        usable = train_rows - config.horizon  # the rows _fitting_context shares out, halved
        fits = config.context_length >= week if chosen else usable // 2 >= week
        if fits:
            console.print(f"{weekly.why} (--set seasonal_period=N sets it)", highlight=False)
            return _with_season(config, week, given, chosen=chosen)
    season = season_of_times(series.time, config.context_length)
    if season is None:
        console.print(
            f"season: {config.seasonal_period} steps, the default: the file has no timestamps to read "
            "a day from (--set seasonal_period=N sets it)"
        )
        return config
    console.print(f"{season.why} (--set seasonal_period=N sets it)")
    return _with_season(config, season.period, given, chosen=chosen)


SEASONS_IN_CONTEXT = 2
"""A default context shorter than the season grows to this many seasons, so that the moesaic
model's periodic path reads each phase in more than one past season."""


def _with_season(config: ForecastConfig, period: int, given: set[str], *, chosen: bool) -> ForecastConfig:
    """``config`` with the season ``period`` for the seasonal naive model, the check and the moesaic
    model's periodic path (unless ``--set moesaic.period`` gives it, or 0 leaves the path out), and,
    unless the context was ``chosen``, a context that holds :data:`SEASONS_IN_CONTEXT` seasons."""
    moesaic = config.moesaic
    if "moesaic.period" not in given and moesaic.period:
        moesaic = dataclasses.replace(moesaic, period=period)
    length = config.context_length
    if not chosen and length < period:
        length = SEASONS_IN_CONTEXT * period
        console.print(f"context {length} steps: {SEASONS_IN_CONTEXT} seasons (--context sets it)")
    return dataclasses.replace(config, seasonal_period=period, moesaic=moesaic, context_length=length)


def _bounded_stages(config: ForecastConfig, overrides: list[str]) -> ForecastConfig:
    """``config`` with ``--set train.max_steps=N`` bounding the moesaic model's first stages too
    (``moesaic.stage_steps``, unless set as well), saying so."""
    given = _override_keys(overrides)
    steps, stage = config.train.max_steps, config.moesaic.stage_steps
    if config.model != "moesaic" or "train.max_steps" not in given or "moesaic.stage_steps" in given:
        return config
    if steps < stage:
        console.print(
            f"train.max_steps={steps} bounds every training stage: moesaic.stage_steps {stage} -> {steps} "
            "(--set moesaic.stage_steps=N sets the stages before the blocks apart)"
        )
        config = dataclasses.replace(config, moesaic=dataclasses.replace(config.moesaic, stage_steps=steps))
    return config


def _refuse_blind_channels(series: Series, context_length: int, path: Path) -> None:
    """Raise ValueError naming the channels without any reading in the last ``context_length`` rows,
    the context the forecast reads: their forecast would only repeat the training mean."""
    recent = np.isfinite(series.values[-context_length:]).any(axis=0)
    if recent.all():
        return
    blind = []
    for c in np.flatnonzero(~recent):
        seen = np.flatnonzero(np.isfinite(series.values[:, c]))
        empty = len(series.values) - 1 - int(seen[-1]) if len(seen) else len(series.values)
        blind.append(f"{series.channels[c]} (its last {empty} rows are empty)")
    raise ValueError(
        f"{path}: no reading in the last {context_length} rows, the context the forecast reads, for "
        f"{', '.join(blind)}: its forecast would only be the training mean; leave it out with "
        "--channels, or give a file with recent readings"
    )


def _unchecked_line(fraction: float) -> str:
    why = (
        "val_fraction=0 holds no rows out"
        if fraction == 0
        else f"the last {fraction:.0%} of the rows hold no observed value to score it on"
    )
    return f"[yellow]warning:[/] the forecast is not checked ({why}): its error and its band are unknown"


def _least_context(config: ForecastConfig, horizon: int, chosen: bool) -> tuple[int, str]:
    """The shortest context a fit for ``horizon`` steps may use, and why: a chosen one as it is;
    else one horizon (a shorter one forecasts further than it looks back), for seasonal naive at
    least one season (it repeats the last one)."""
    if chosen:
        return config.context_length, "the chosen --context"
    if config.model == "seasonal_naive" and config.seasonal_period > horizon:
        return config.seasonal_period, "one seasonal period"
    return horizon, "one horizon"


def _room(config: ForecastConfig, rows: int, horizon: int, chosen: bool) -> bool:
    """True when ``rows`` rows can be fitted and checked with a forecast of ``horizon`` steps.

    The check (:func:`~moesaic.tasks.forecast_check.holdout_check`) needs one whole horizon in the
    last ``val_fraction`` of the rows; the rows before that cut train: one window of a chosen
    context plus the horizon, or, for a context :func:`_fitting_context` shortens, room for the
    least context twice over plus the horizon.
    """
    fraction = config.val_fraction
    if fraction > 0 and not len(check_origins(rows, horizon=horizon, fraction=fraction)):
        return False
    least, _ = _least_context(config, horizon, chosen)
    train = int(rows * (1 - fraction))
    return train >= least + horizon if chosen else (train - horizon) // 2 >= least


def _fitting_context(config: ForecastConfig, rows: int, path: Path, *, chosen: bool) -> ForecastConfig:
    """``config``, with its context shortened (unless ``chosen`` on the command line) when the
    training part of a ``rows``-row file cannot hold twice the context plus one horizon.

    ``fit`` trains on the first ``1 - val_fraction`` of the rows (the rest validates and checks), and
    a window needs its context plus the horizon, so a short file gets a context that still cuts
    many windows.

    Raises:
        ValueError: the file is too short to fit and check (see :func:`_room`), naming it, its
            rows, the rows needed and the longest horizon that fits.
    """
    H = config.horizon
    if not _room(config, rows, H, chosen):
        need = next(n for n in itertools.count(rows + 1) if _room(config, n, H, chosen))
        least, why = _least_context(config, H, chosen)
        fraction = config.val_fraction
        check = (
            f"the last {fraction:.0%} of the rows must hold one whole horizon to check the fitted model "
            "on, and the rows before them "
            if fraction > 0
            else "the rows must hold "
        )
        fits = next((h for h in range(H - 1, 0, -1) if _room(config, rows, h, chosen)), None)
        instead = "" if fits is None else f", or --horizon {fits} or less"
        instead += ", or a shorter --context" if chosen else ""
        twice = "" if chosen else " twice over"
        raise ValueError(
            f"{path} has {rows} rows; a forecast of {H} steps needs at least {need}: {check}a context "
            f"of {least} steps ({why}){twice} plus one horizon to train on; give a longer file{instead}"
        )
    usable = int(rows * (1 - config.val_fraction)) - H
    if chosen or usable >= 2 * config.context_length:
        return config
    shorter = usable // 2
    room = f"{rows} rows leave no room for {config.context_length} with a horizon of {H}"
    console.print(f"context {shorter} steps: {room} (--context sets it)")
    return dataclasses.replace(config, context_length=shorter)
