"""``moesaic simulate``: write a linked multimodal plant with known ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moesaic.cli.console import console, fail
from moesaic.data.simulator import SimulatorConfig, simulate_to


def simulate(
    assets: Annotated[int, typer.Option("--assets", help="Number of assets.")] = 20,
    days: Annotated[float, typer.Option("--days", help="Days of sensor history.")] = 90,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives identical files.")
    ] = 0,
    out: Annotated[Path, typer.Option("--out", help="Output folder (replaced atomically).")] = Path("plant"),
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
        fail(str(err))
    with console.status(f"simulating {assets} assets over {days:g} days"):
        try:
            summary = simulate_to(config, out)
        except FileExistsError as err:
            fail(str(err))
    console.print(f"wrote {out}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
