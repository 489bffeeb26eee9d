"""``moesaic pretrain`` and ``moesaic adapt``: pretrain on simulated plant types, adapt to a held-out one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from moesaic.adapt.methods import METHODS, AdaptConfig, save_adapter
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import console, fail
from moesaic.config import ConfigError, apply_overrides
from moesaic.tasks.pretrain import (
    LEARNING_RATES,
    PretrainConfig,
    adapt_classifier,
    evaluate_classifier,
    load_pretrained,
    plant_windows,
    save_pretrained,
)
from moesaic.tasks.pretrain import (
    pretrain as run_pretraining,
)
from moesaic.train import TrainConfig


def pretrain(
    out: Annotated[Path, typer.Option("--out", help="Folder for the pretrained checkpoint.")] = Path(
        "pretrained"
    ),
    held_out: Annotated[
        str, typer.Option("--held-out", help="Asset type left out of the corpus (the adaptation target).")
    ] = "fan",
    assets: Annotated[int, typer.Option("--assets", min=1, help="Assets of the simulated corpus.")] = 96,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Pretraining steps (early-stopped).")] = 600,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Corpus simulation and initialisation.")] = 0,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="PretrainConfig override KEY=VALUE, e.g. dim=32.")
    ] = None,
) -> None:
    """Pretrain the backbone as a fault classifier on simulated plant types, all but HELD_OUT."""
    try:
        config = PretrainConfig(held_out=held_out, num_assets=assets, seed=seed)
        warmup = min(config.train.warmup_steps, steps - 1)
        config = dataclasses.replace(
            config, train=dataclasses.replace(config.train, max_steps=steps, warmup_steps=warmup)
        )
        config = apply_overrides(config, overrides or [])
        types = ", ".join(config.corpus_plant().asset_types)
        with console.status(f"pretraining on simulated {types} ({assets} assets)"):
            result = run_pretraining(config)
        save_pretrained(out, result.model, config)
    except (ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    console.print(
        f"pretrained in {result.run.seconds:.0f} s ({result.run.steps} steps, "
        f"best at {result.run.best_step}); "
        f"corpus validation: accuracy {result.scores.accuracy:.3f}, macro-F1 {result.scores.macro_f1:.3f}"
    )
    console.print(f"saved to {out}")


def adapt(
    pretrained: Annotated[
        Path, typer.Option("--pretrained", exists=True, file_okay=False, help="Folder of `moesaic pretrain`.")
    ],
    method: Annotated[str, typer.Option("--method", help=f"One of {', '.join(METHODS)}.")] = "lora",
    shots: Annotated[
        str, typer.Option("--shots", help="Labelled target windows: a count (40) or a share (5%).")
    ] = "5%",
    target_assets: Annotated[
        int, typer.Option("--target-assets", min=1, help="Assets of the simulated held-out target plant.")
    ] = 24,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Adaptation steps.")] = 150,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default per method).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Target plant and the labelled draw.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the adapter checkpoint.")] = None,
) -> None:
    """Adapt a pretrained model to a simulated plant of its held-out type, with few labels."""
    try:
        model, config = load_pretrained(pretrained)
        adapt_config = AdaptConfig(method=method)
        target = plant_windows(config.target_plant(num_assets=target_assets, seed=seed), config.windows)
        fraction = _fraction(shots, len(target.train))
        train_config = TrainConfig(
            lr=LEARNING_RATES.get(method, 1e-3) if lr is None else lr,  # zero-shot does not train
            warmup_steps=min(10, steps - 1),
            max_steps=steps,
            batch_size=32,
            seed=seed,
            num_threads=1,
        )
        with console.status(f"adapting with {method} to simulated {config.held_out} assets"):
            result = adapt_classifier(
                model,
                target.train,
                adapt=adapt_config,
                train_config=train_config,
                fraction=fraction,
                seed=seed,
            )
        scores = evaluate_classifier(model, target.val)
        if out is not None and method != "zeroshot":
            save_adapter(
                out,
                model,
                adapt_config,
                extra={
                    "pretrained": str(pretrained),
                    "target": config.held_out,
                    "shots": result.shots,
                    "seed": seed,
                },
            )
    except (ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))
    a = result.adaptation
    console.print(
        f"{method}: {result.shots} labelled windows, {a.trainable_params} of {a.total_params} parameters "
        f"trained ({100 * a.trainable_params / a.total_params:.2f} %)"
    )
    console.print(
        f"target {config.held_out}, {len(target.val)} later windows: accuracy {scores.accuracy:.3f}, "
        f"macro-F1 {scores.macro_f1:.3f}"
    )
    if out is not None and method != "zeroshot":
        console.print(f"saved the adapter to {out}")


def _fraction(shots: str, available: int) -> float:
    """``"5%"`` -> 0.05; ``"40"`` -> 40 / available."""
    text = shots.strip()
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise ValueError(f"`--shots` must be a count like 40 or a share like 5%, got {shots!r}") from None
    fraction = value / 100 if text.endswith("%") else value / available
    if not 0 < fraction <= 1:
        raise ValueError(
            f"`--shots` {shots!r} is {fraction:.3g} of the {available} target training windows; "
            "it must be more than 0 and at most all of them"
        )
    return fraction
