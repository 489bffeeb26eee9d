"""``moesaic forecast``: fit a forecaster on an ETT-format CSV (or use a pretrained one as it is) and
write the forecast after its end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from moesaic.atomic import write_text_atomic
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import console, fail
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.forecast_windows import read_dated_csv
from moesaic.data.tables import DataFormatError
from moesaic.tasks.forecast import FORECAST_MODELS, ForecastConfig, Forecaster
from moesaic.tasks.forecast_pretrained import pretrained_forecast
from moesaic.tasks.pretrain_forecast import load_pretrained_forecaster


def forecast(
    csv: Annotated[
        Path,
        typer.Option("--csv", exists=True, dir_okay=False, help="ETT-format file: `date`, then channels."),
    ],
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, help="Steps to forecast after the last row.")
    ] = 96,
    out: Annotated[Path, typer.Option("--out", help="CSV of the forecast: median and quantiles.")] = Path(
        "forecast.csv"
    ),
    model: Annotated[str, typer.Option("--model", help=f"System: {', '.join(FORECAST_MODELS)}.")] = "moesaic",
    context: Annotated[int, typer.Option("--context", min=1, help="Context length L.")] = 512,
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
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Config override KEY=VALUE, e.g. train.max_steps=500.")
    ] = None,
) -> None:
    """Fit on FILE (its last 20 % validates) and forecast the next HORIZON steps of every channel; with
    --pretrained, forecast them with the pretrained forecaster as it is."""
    try:
        series = read_dated_csv(csv)
        if pretrained is not None:
            if load is not None or save is not None:
                raise ValueError("--pretrained forecasts without fitting: it takes neither --load nor --save")
            network, learned = load_pretrained_forecaster(pretrained)
            console.print(
                f"zero-shot: the pretrained forecaster reads the last {learned.context_length} rows"
            )
            result = pretrained_forecast(network, series.values, horizon)
        else:
            if load is not None:
                forecaster = Forecaster.load(load)
            else:
                config = ForecastConfig(model=model, context_length=context, horizon=horizon)
                config = apply_overrides(config, overrides or [])
                with console.status(f"fitting {model} on {csv.name} ({len(series.values)} rows)"):
                    forecaster = Forecaster(config).fit(series.values)
            result = forecaster.predict(series.values, horizon=horizon)
    except (DataFormatError, ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    step = np.median(np.diff(series.time)) if len(series.time) > 1 else np.timedelta64(1, "h")
    future = series.time[-1] + step * np.arange(1, horizon + 1)
    frame = result.to_frame(series.channels, future)
    write_text_atomic(out, frame.to_csv(index=False))
    if save is not None:
        forecaster.save(save)
        console.print(f"saved the model to {save}")
    console.print(
        f"wrote {out}: {horizon} steps x {len(series.channels)} channels, quantiles {list(result.levels)}"
    )
