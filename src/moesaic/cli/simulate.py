"""``moesaic simulate``: write a linked multimodal plant with known ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moesaic.cli.console import check_outputs, console, fail, progress
from moesaic.data.simulator import SimulatorConfig, simulate_to
from moesaic.data.simulator.config import MIN_STEPS
from moesaic.data.simulator.writer import check_replaceable

OPTIONS = {
    "num_assets": "--assets",
    "days": "--days",
    "seed": "--seed",
    "freq_minutes": "--freq-minutes",
    "fault_rate": "--fault-rate",
}
"""The simulator's config fields and the options that set them, for its messages."""


def simulate(
    assets: Annotated[int, typer.Option("--assets", help="Number of assets.")] = 20,
    days: Annotated[float, typer.Option("--days", help="Days of sensor history.")] = 90,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives identical files.")
    ] = 0,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output folder: new, empty, or an earlier plant with nothing added or changed "
            "(replaced atomically; anything else is refused, never deleted).",
        ),
    ] = Path("plant"),
    freq_minutes: Annotated[int, typer.Option("--freq-minutes", help="Sampling period in minutes.")] = 60,
    fault_rate: Annotated[float, typer.Option("--fault-rate", help="Faults per asset-year.")] = 2.0,
    drawings: Annotated[bool, typer.Option("--drawings/--no-drawings", help="Render drawings.")] = True,
) -> None:
    """Simulate a plant: asset table, sensors with faults, work orders, FMEA, drawings, ground truth."""
    try:
        config = SimulatorConfig(
            num_assets=assets,
            days=days,
            seed=seed,
            freq_minutes=freq_minutes,
            fault_rate=fault_rate,
            drawings=drawings,
        )
    except ValueError as err:
        message = str(err)
        for field, option in OPTIONS.items():
            message = message.replace(f"`{field}`", option)
        fail(message)
    check_outputs(folders=(out,))
    try:
        check_replaceable(out)  # before simulating: a large plant takes a while
    except FileExistsError as err:
        fail(str(err))
    steps = days * 24 * 60 / freq_minutes
    if steps < MIN_STEPS:
        fail(
            f"--days {days:g} at --freq-minutes {freq_minutes} gives {steps:.3g} readings per asset; "
            f"a plant needs at least {MIN_STEPS} to hold a healthy stretch and a fault"
        )
    with progress(f"simulating {assets} assets over {days:g} days"):
        try:
            summary = simulate_to(config, out)
        except FileExistsError as err:
            fail(str(err))
    console.print(f"wrote {out}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
