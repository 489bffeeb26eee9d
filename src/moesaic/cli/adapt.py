"""``moesaic pretrain`` and ``moesaic adapt``: pretrain on simulated plant types and public sensor
sets, adapt to a held-out type, to the C-MAPSS engines or (a forecaster) to a user's series file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import torch
import typer
from torch import nn

from moesaic.adapt.methods import ADAPTER_KIND, METHODS, AdaptConfig, few_shot_indices, save_adapter
from moesaic.checkpoint import CheckpointError, check_model_folder, model_kind
from moesaic.cli.console import check_outputs, console, fail, working
from moesaic.cli.series_options import ChannelsOption, TimeColOption, print_left_out, read_channels
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.registry import DataNotFoundError
from moesaic.heads import FaultClassifier
from moesaic.heads.forecast import MoesaicForecastModel
from moesaic.tasks.engines import (
    EngineConfig,
    check_window,
    engine_adapt_config,
    engine_model,
    engine_shots,
    load_engine_target,
)
from moesaic.tasks.few_shot import (
    BASE_DIGEST,
    AdaptResult,
    adapt_classifier,
    adapt_forecaster,
    pretrained_digest,
    window_shots,
)
from moesaic.tasks.forecast_targets import ForecastTarget, adaptation_rows, file_target, forecast_target
from moesaic.tasks.pretrain import CHECKPOINT_KIND as CLASSIFIER_KIND
from moesaic.tasks.pretrain import (
    LEARNING_RATES,
    PretrainConfig,
    evaluate_classifier,
    load_pretrained,
    plant_windows,
    save_pretrained,
)
from moesaic.tasks.pretrain import (
    pretrain as run_pretraining,
)
from moesaic.tasks.pretrain_forecast import CHECKPOINT_KIND as FORECASTER_KIND
from moesaic.tasks.pretrain_forecast import (
    FORECAST_PUBLIC_SETS,
    TRAIN_SHARE,
    ForecastPretrainConfig,
    evaluate_forecaster,
    load_pretrained_forecaster,
    naive_scores,
    pretrain_forecaster,
    save_pretrained_forecaster,
)
from moesaic.tasks.public_corpus import PUBLIC_SETS
from moesaic.train import TrainConfig


def pretrain(
    out: Annotated[Path, typer.Option("--out", help="Folder for the pretrained checkpoint.")] = Path(
        "pretrained"
    ),
    held_out: Annotated[
        str, typer.Option("--held-out", help="Asset type left out of the corpus (the adaptation target).")
    ] = "fan",
    assets: Annotated[int, typer.Option("--assets", min=1, help="Assets of the simulated corpus.")] = 96,
    task: Annotated[
        str, typer.Option("--task", help="classification (fault types) or forecasting (every sensor).")
    ] = "classification",
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", min=1, help="Pretraining steps, early-stopped (default 600; forecasting 1500)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Corpus simulation and initialisation.")] = 0,
    public: Annotated[
        str | None,
        typer.Option(
            "--public",
            help="Public sensor sets whose training data join the corpus, comma-separated, or none "
            "(default: all the task can use: skab,tep; forecasting ett,skab,tep).",
        ),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Folder of the data sets (default: $MOESAIC_DATA).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Config override KEY=VALUE, e.g. dim=32 "
            "(PretrainConfig; ForecastPretrainConfig for forecasting).",
        ),
    ] = None,
) -> None:
    """Pretrain the backbone on simulated plant types (all but HELD_OUT) and the training data of
    public sensor sets: as a fault classifier, or as a forecaster of every sensor."""
    check_outputs(folders=(out,))
    try:
        if task not in PRETRAIN_TASKS:
            raise ValueError(f"`--task` must be one of {list(PRETRAIN_TASKS)}, got {task!r}")
        forecasting = task == "forecasting"
        check_model_folder(out, FORECASTER_KIND if forecasting else CLASSIFIER_KIND)  # before training
        default = FORECAST_PUBLIC_SETS if forecasting else PUBLIC_SETS
        sets = default if public is None else () if public == "none" else tuple(public.split(","))
        kind = ForecastPretrainConfig if forecasting else PretrainConfig
        config: Any = kind(
            held_out=held_out, num_assets=assets, seed=seed, public=tuple(s.strip() for s in sets)
        )
        if steps is not None:
            warmup = min(config.train.warmup_steps, steps - 1)
            schedule = dataclasses.replace(config.train, max_steps=steps, warmup_steps=warmup)
            config = dataclasses.replace(config, train=schedule)
        config = apply_overrides(config, overrides or [])
        with_public = "".join(f" + {name}" for name in config.public)
        with working(
            f"pretraining ({task}) on a simulated plant without {held_out} ({assets} assets){with_public}"
        ):
            if forecasting:
                forecast = pretrain_forecaster(config, data_root=data)
                save_pretrained_forecaster(out, forecast.model, config)
                run, scores = forecast.run, forecast.scores._asdict()
            else:
                classify = run_pretraining(config, data_root=data)
                save_pretrained(out, classify.model, config)
                run, scores = classify.run, classify.scores._asdict()
    except (ConfigError, CheckpointError, DataNotFoundError, ValueError) as err:  # DataFormatError too
        fail(str(err))
    shown = ", ".join(f"{_SCORE_NAMES.get(name, name)} {value:.3f}" for name, value in scores.items())
    console.print(
        f"pretrained in {run.seconds:.0f} s ({run.steps} steps, best at {run.best_step}); "
        f"corpus validation: {shown}"
    )
    console.print(f"saved to {out}")


TARGETS = ("fan", "cmapss")
PRETRAIN_TASKS = ("classification", "forecasting")


class _Adapted(NamedTuple):
    """What the CLI reports of an adaptation."""

    result: AdaptResult
    adapt_config: AdaptConfig
    scores: dict[str, float]  # metric -> value on the scored windows
    model: nn.Module
    described: str  # the target, for the summary line
    extra: dict[str, Any]  # saved with the adapter: what rebuilds its base
    before: dict[str, float] | None = None  # the untouched pretrained model's scores, where measured


def adapt(
    pretrained: Annotated[
        Path, typer.Option("--pretrained", exists=True, file_okay=False, help="Folder of `moesaic pretrain`.")
    ],
    method: Annotated[str, typer.Option("--method", help=f"One of {', '.join(METHODS)}.")] = "lora",
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="fan: a simulated plant of the held-out type; cmapss: C-MAPSS FD001 engines (health stage, "
            "or their sensors for a pretrained forecaster); or a CSV/Parquet series file (pretrained "
            "forecaster only): its first 70 % of rows adapt, the last 30 % are scored.",
        ),
    ] = "fan",
    shots: Annotated[
        str,
        typer.Option(
            "--shots",
            help="Labels: a count (40) or a share (5%) of the training windows (fan, a file) or engines "
            "(cmapss).",
        ),
    ] = "5%",
    target_assets: Annotated[
        int, typer.Option("--target-assets", min=1, help="fan: assets of the simulated target plant.")
    ] = 24,
    data: Annotated[
        Path | None, typer.Option("--data", help="cmapss: folder of the data sets (default: $MOESAIC_DATA).")
    ] = None,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Adaptation steps.")] = 150,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default per method).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Target plant and the labelled draw.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the adapter checkpoint.")] = None,
    time_col: TimeColOption = None,
    channels: ChannelsOption = None,
) -> None:
    """Adapt a pretrained classifier or forecaster with few labels to its held-out plant type or to
    C-MAPSS engines; adapt a pretrained forecaster to the sensors of a series file."""
    if method == "zeroshot" and out is not None:
        fail("--out: --method zeroshot trains nothing, so there is no adapter to save; forecast or classify "
             "with the pretrained checkpoint itself")  # fmt: skip
    check_outputs(folders=(out,))
    try:
        if out is not None:
            check_model_folder(out, ADAPTER_KIND)  # before adapting: it may be the pretrained folder
        kind = model_kind(pretrained)
        forecaster = kind == FORECASTER_KIND
        if target not in TARGETS:
            _check_file_target(target, pretrained, kind)
        elif time_col is not None or channels is not None:
            raise ValueError(f"--time-col and --channels read a series file; --target {target} takes neither")
        adapt_config = AdaptConfig(method=method)
        train_config = TrainConfig(
            lr=LEARNING_RATES.get(method, 1e-3) if lr is None else lr,  # zero-shot does not train
            warmup_steps=min(10, steps - 1),
            max_steps=steps,
            batch_size=32,
            seed=seed,
            num_threads=1,
        )
        torch.manual_seed(seed)  # adapter weights (LoRA, prefix) start from the global generator
        with working(f"adapting with {method} to {target}"):
            if forecaster:
                network, learned = load_pretrained_forecaster(pretrained)
                if target in TARGETS:
                    windows = forecast_target(
                        learned, target, num_assets=target_assets, seed=seed, data_root=data
                    )
                    adapted = _adapt_forecaster(
                        network, learned, adapt_config, train_config, windows, shots=shots, seed=seed
                    )
                else:
                    adapted = _adapt_file(
                        network, learned, adapt_config, train_config, Path(target),
                        shots=shots, seed=seed, time_col=time_col, channels=channels,
                    )  # fmt: skip
            elif target == "fan":
                model, config = load_pretrained(pretrained)
                adapted = _adapt_fan(model, config, adapt_config, train_config, shots, target_assets, seed)
            else:
                model, config = load_pretrained(pretrained)
                adapted = _adapt_engines(model, config, method, train_config, shots, data, seed)
        if out is not None and method != "zeroshot":
            extra = {
                "pretrained": str(pretrained),
                "shots": adapted.result.shots,
                "seed": seed,
                **adapted.extra,
            }
            if forecaster:  # what `moesaic forecast --adapter` checks the base against
                extra[BASE_DIGEST] = pretrained_digest(pretrained)
            save_adapter(out, adapted.model, adapted.adapt_config, extra=extra)
    except (ConfigError, CheckpointError, DataNotFoundError, ValueError) as err:  # DataFormatError too
        fail(str(err))
    a = adapted.result.adaptation
    if method == "zeroshot":
        console.print(f"zeroshot: the pretrained model as it is, {a.total_params} parameters, none trained")
    else:
        given = "windows given" if adapted.extra.get("task") == "forecasting" else "labelled windows"
        console.print(
            f"{method}: {adapted.result.shots} {given}, {a.trainable_params} of {a.total_params} "
            f"parameters trained ({100 * a.trainable_params / a.total_params:.2f} %)"
        )
    scores = ", ".join(
        f"{_SCORE_NAMES.get(name, name)} {value:.3f}" for name, value in adapted.scores.items()
    )
    console.print(f"{adapted.described}: {scores}")
    if out is not None and method != "zeroshot":
        console.print(f"saved the adapter to {out}")
    if adapted.before is not None and adapted.scores["mse"] > adapted.before["mse"]:
        console.print(
            f"[yellow]warning: adapting made the forecasts worse on the scored rows (MSE "
            f"{adapted.scores['mse']:.3f} against {adapted.before['mse']:.3f} untouched); forecast with "
            "the pretrained model as it is, or adapt on more rows, with more --shots or another --method"
            + (f"; the adapter in {out} is the worse one" if out is not None else "")
            + "[/]",
            markup=True,
            highlight=False,
        )


def _adapt_fan(
    model: FaultClassifier, config: PretrainConfig, adapt_config: AdaptConfig, train_config: TrainConfig,
    shots: str, target_assets: int, seed: int,
) -> _Adapted:  # fmt: skip
    """A simulated plant of the held-out type; a stratified share of its earlier windows is labelled."""
    windows = plant_windows(config.target_plant(num_assets=target_assets, seed=seed), config.windows)
    fraction = _fraction(shots, len(windows.train), "target training windows")
    labelled = few_shot_indices(windows.train.labels, fraction=fraction, seed=seed)
    result = adapt_classifier(
        model, windows.train, adapt=adapt_config, train_config=train_config, labelled=labelled
    )
    described = f"target {config.held_out}, {len(windows.val)} later windows"
    extra = {"target": config.held_out}
    scores = evaluate_classifier(model, windows.val)._asdict()
    return _Adapted(result, adapt_config, scores, model, described, extra)


def _adapt_engines(
    pretrained: FaultClassifier, config: PretrainConfig, method: str, train_config: TrainConfig,
    shots: str, data: Path | None, seed: int,
) -> _Adapted:  # fmt: skip
    """FD001: every window of a share of the training engines is labelled; the test engines are scored."""
    if method == "zeroshot":
        raise ValueError(
            "--method zeroshot does not apply to --target cmapss: the pretrained head knows fault types, "
            "not health stages, and the engines' sensors have no pretrained input rows"
        )
    engines = EngineConfig()
    check_window(config, engines)
    windows = load_engine_target(engines, data)
    fraction = _fraction(shots, len(set(windows.train.asset_ids)), "training engines")
    labelled = engine_shots(windows.train.asset_ids, fraction=fraction, seed=seed)
    model = engine_model(pretrained, config, windows.sensors, seed=config.seed)
    adapt_config = engine_adapt_config(method)
    result = adapt_classifier(
        model, windows.train, adapt=adapt_config, train_config=train_config, labelled=labelled
    )
    test_engines = len(set(windows.test.asset_ids))
    described = f"target cmapss (health stage), {len(windows.test)} windows of {test_engines} test engines"
    extra = {"target": "cmapss", "sensors": list(windows.sensors)}
    scores = evaluate_classifier(model, windows.test)._asdict()
    return _Adapted(result, adapt_config, scores, model, described, extra)


def _adapt_forecaster(
    model: MoesaicForecastModel, config: ForecastPretrainConfig, adapt_config: AdaptConfig,
    train_config: TrainConfig, windows: ForecastTarget, *, shots: str, seed: int,
) -> _Adapted:  # fmt: skip
    """Forecasting: a share of the target's training windows (fan) or engines (cmapss) is given."""
    target = windows.name
    if target == "cmapss":
        fraction = _fraction(shots, len(set(windows.train.groups)), "training engines")
        labelled = engine_shots(windows.train.groups, fraction=fraction, seed=seed)
    else:
        fraction = _fraction(shots, len(windows.train), "target training windows")
        labelled = window_shots(windows.train, fraction=fraction, seed=seed)
    result = adapt_forecaster(
        model, windows.train, adapt=adapt_config, train_config=train_config, labelled=labelled
    )
    naive = naive_scores(windows.test)
    console.print(
        f"target {target}: {len(windows.test)} scored windows; last-value forecast MSE {naive.mse:.3f}"
    )
    described = f"{config.horizon}-step forecasts"
    scores = evaluate_forecaster(model, windows.test)._asdict()
    return _Adapted(result, adapt_config, scores, model, described, {"target": target, "task": "forecasting"})


def _check_file_target(target: str, pretrained: Path, kind: str | None) -> None:
    """Raise ValueError unless ``target`` is an existing file and ``pretrained`` holds a forecaster."""
    path = Path(target)
    if not path.is_file():
        found = "a folder" if path.is_dir() else "no such file"
        raise ValueError(
            f"`--target` must be one of {list(TARGETS)} or a CSV/Parquet series file; {target!r} is {found}"
        )
    if kind != FORECASTER_KIND:
        raise ValueError(
            f"--target {target}: {pretrained} does not hold a pretrained forecaster (kind {kind!r}). "
            "Adapting to a file is built for forecasting only: a forecaster learns from the file's own "
            "future, while a pretrained classifier's classes are the corpus's fault types, which a "
            "file's own labels (even a `fault` column) do not name. Pretrain one with "
            "`moesaic pretrain --task forecasting`"
        )


def _adapt_file(
    model: MoesaicForecastModel, config: ForecastPretrainConfig, adapt_config: AdaptConfig,
    train_config: TrainConfig, path: Path, *, shots: str, seed: int, time_col: str | None,
    channels: str | None,
) -> _Adapted:  # fmt: skip
    """A series file: a share of the windows of its first rows is given, its last rows are scored, and
    the untouched pretrained forecaster is scored on them first, so that the gain of adapting shows."""
    series = read_channels(path, time_col=time_col, channels=channels)
    windows = file_target(config, series)
    rows, cut = len(series.values), adaptation_rows(len(series.values))
    fraction = _fraction(shots, len(windows.train), "adaptation windows")
    labelled = window_shots(windows.train, fraction=fraction, seed=seed)
    zero_shot = evaluate_forecaster(model, windows.test)  # before adapt_forecaster changes the model
    result = adapt_forecaster(
        model, windows.train, adapt=adapt_config, train_config=train_config, labelled=labelled
    )
    naive = naive_scores(windows.test)
    console.print(
        f"target {path}: {len(series.channels)} channels, {rows} rows; the first {cut} adapt "
        f"({len(windows.train)} windows), the last {rows - cut} are scored ({len(windows.test)} windows); "
        f"last-value forecast MSE {naive.mse:.3f}"
    )
    if adapt_config.method != "zeroshot":
        console.print(
            f"zero-shot (the pretrained forecaster untouched): MSE {zero_shot.mse:.3f}, "
            f"MAE {zero_shot.mae:.3f}"
        )
    print_left_out(series)
    split = {"rows": rows, "adaptation_rows": cut, "scored_rows": rows - cut, "train_share": TRAIN_SHARE}
    extra = {"target": str(path), "task": "forecasting", "channels": list(series.channels), "split": split}
    scores = evaluate_forecaster(model, windows.test)._asdict()
    described = f"{config.horizon}-step forecasts of the scored rows"
    before = zero_shot._asdict() if adapt_config.method != "zeroshot" else None
    return _Adapted(result, adapt_config, scores, model, described, extra, before)


_SCORE_NAMES = {"macro_f1": "macro-F1", "mse": "MSE", "mae": "MAE"}


def _fraction(shots: str, available: int, what: str) -> float:
    """``"5%"`` -> 0.05; ``"40"`` -> 40 / available (``what`` names them in errors)."""
    text = shots.strip()
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise ValueError(f"`--shots` must be a count like 40 or a share like 5%, got {shots!r}") from None
    fraction = value / 100 if text.endswith("%") else value / available
    if not 0 < fraction <= 1:
        raise ValueError(
            f"`--shots` {shots!r} asks for {fraction * available:.3g} of the {available} {what} "
            f"({fraction:.0%}); it must be more than 0 and at most all of them"
        )
    return fraction
