"""The forecasting targets of the pretrained forecaster: the windows it adapts on and is scored on.

The forecaster is :mod:`moesaic.tasks.pretrain_forecast`'s, and no target is in its corpus.
Targets (:func:`forecast_target`):

- ``fan``: another simulation (seed + :data:`~moesaic.tasks.pretrain.TARGET_SEED_OFFSET`) of
  fans only. The windows of the first 70 % of each fan's history are the labelled pool, a
  random ``fraction`` of them is given; the last 30 % is scored, windows every ``horizon`` steps;
- ``cmapss``: the C-MAPSS FD001 engines' 14 informative sensors
  (:func:`moesaic.tasks.engines.select_sensors`), z-scored on the training engines. Every
  window of a ``fraction`` of the training engines is given (:func:`moesaic.tasks.engines.engine_shots`
  draws them); every window of the test engines is scored (an engine shorter than
  ``context_length + horizon`` cycles has none);
- a user's series file (:func:`file_target`): the first
  :data:`~moesaic.tasks.pretrain_forecast.TRAIN_SHARE` of its rows adapt, every window of them
  (stride 1) is the labelled pool; the rest is scored, windows every ``horizon`` steps whose
  context may reach back into the first part but whose future never does. Each channel is
  z-scored on the first part only.

Axes: W windows, L context length, H horizon.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np

from moesaic.data.registry import load_dataset
from moesaic.data.schema import Series
from moesaic.data.tables import DataFormatError
from moesaic.tasks.pretrain_forecast import TRAIN_SHARE, ForecastPretrainConfig, simulated_windows
from moesaic.tasks.rul_windows import series_values
from moesaic.tasks.univariate_windows import Windows, concat, cut_windows, zscore

logger = logging.getLogger(__name__)


class ForecastTarget(NamedTuple):
    name: str
    train: Windows  # the labelled pool
    test: Windows  # scored, never trained on


def forecast_target(
    config: ForecastPretrainConfig,
    name: str,
    *,
    num_assets: int = 24,
    seed: int | None = None,
    data_root: Path | None = None,
) -> ForecastTarget:
    """The ``fan`` or ``cmapss`` target of the module docstring; ``seed`` simulates the fans (see ``plant``).

    Raises:
        ValueError: an unknown target name.
    """
    L, H = config.context_length, config.horizon
    if name == "fan":
        plant = config.plant(target=True, num_assets=num_assets, seed=seed)
        train, test = simulated_windows(
            plant, context_length=L, horizon=H, stride=config.stride, later_stride=H
        )
        return ForecastTarget(name, train, test)
    if name == "cmapss":
        from moesaic.tasks.engines import DATASET, select_sensors  # engines imports the classifier side

        data = load_dataset(DATASET, data_root)
        engines = {
            split: [s for s in data.series if s.meta.get("split") == split] for split in ("train", "test")
        }
        sensors = select_sensors(engines["train"], min_distinct=3)
        reference = np.concatenate([series_values(s, sensors) for s in engines["train"]])
        windows = {}
        for split, group in engines.items():
            stride = 1 if split == "train" else H
            pieces = [cut_windows(zscore(series_values(s, sensors), reference), s.asset_id, context_length=L,
                               horizon=H, stride=stride) for s in group]  # fmt: skip
            windows[split] = concat(pieces, context_length=L, horizon=H)
        return ForecastTarget(name, windows["train"], windows["test"])
    raise ValueError(f"unknown forecasting target {name!r}; choose fan or cmapss")


def adaptation_rows(rows: int) -> int:
    """Rows in the adaptation part of a ``rows``-row file target: the first
    :data:`~moesaic.tasks.pretrain_forecast.TRAIN_SHARE`."""
    return int(TRAIN_SHARE * rows)


def file_rows_needed(config: ForecastPretrainConfig) -> int:
    """The fewest rows a file target needs: a whole window (L + H) in the adaptation part, a horizon after."""
    L, H = config.context_length, config.horizon
    rows = L + 2 * H
    while adaptation_rows(rows) < L + H or rows - adaptation_rows(rows) < H:
        rows += 1
    return rows


def file_target(config: ForecastPretrainConfig, series: Series) -> ForecastTarget:
    """A user's series file as a forecasting target, split in time (module docstring).

    The split keeps every scored value out of training: adaptation windows (every step) end inside
    the first :func:`adaptation_rows`, scored windows (every H steps) forecast only the rows after
    them. Standardising on the first part only keeps the scored part's level and spread unseen too.

    Raises:
        DataFormatError: the file (named by ``series.meta["source"]``) has fewer rows than
            :func:`file_rows_needed`, a channel has no reading in the adaptation part, or a part
            has no window with a reading in both its context and its future.
    """
    source = series.meta.get("source") or series.series_id
    L, H = config.context_length, config.horizon
    rows, needed = len(series.values), file_rows_needed(config)
    if rows < needed:
        raise DataFormatError(
            source,
            f"{rows} rows; the pretrained forecaster reads {L} steps and forecasts {H}, so adapting needs "
            f"at least {needed} rows ({L + H} in the first {TRAIN_SHARE:.0%}, {H} after them)",
        )
    cut = adaptation_rows(rows)
    values = series_values(series, series.channels)  # (T, C), NaN = unobserved
    for c, name in enumerate(series.channels):
        if not np.isfinite(values[:cut, c]).any():
            raise DataFormatError(
                source,
                f"no reading in the first {cut} rows (the adaptation part), so the channel cannot be "
                "standardised on them; leave it out",
                column=name,
            )
    constant = [name for c, name in enumerate(series.channels) if np.nanstd(values[:cut, c]) == 0]
    if len(constant) == len(series.channels):
        message = f"every channel is constant in its first {cut} rows: nothing to forecast"
        raise DataFormatError(source, message)
    if constant:  # perfectly forecast windows would flatter every score
        logger.warning("%s: channel(s) %s are constant in the first %d rows; left out", source, constant, cut)
        keep = [c for c, name in enumerate(series.channels) if name not in constant]
        values = values[:, keep]
    scaled = zscore(values, values[:cut])
    train = cut_windows(scaled[:cut], series.series_id, context_length=L, horizon=H, stride=1)
    test = cut_windows(scaled[cut - L :], series.series_id, context_length=L, horizon=H, stride=H)
    for part, windows in (("adaptation", train), ("scored", test)):
        if len(windows) == 0:
            raise DataFormatError(
                source, f"no {part} window has a reading in both its {L}-step context and its {H}-step future"
            )
    return ForecastTarget(str(source), train, test)
