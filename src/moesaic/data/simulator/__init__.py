"""The linked plant simulator: the embedded default data of moesaic, with known ground truth.

A fleet of pumps, compressors, motors and fans (asset table), their hourly sensors with
injected faults of known type, onset and severity (series + ground truth + alarms), the
work orders technicians write about them (CMMS text), an FMEA sheet per asset type, and
part drawings with title block, dimensions and BOM (PNG + ground truth).

Example:
    >>> plant = simulate(SimulatorConfig(num_assets=12, days=60, seed=0))
    >>> write_plant(plant, Path("plant"))          # or simulate_to(config, Path("plant"))
    >>> data = load_plant(Path("plant"))           # MaintenanceData in the project schema
"""

from moesaic.data.simulator.config import ASSET_TYPES, SimulatorConfig
from moesaic.data.simulator.faults import FAULT_CODES, FAULT_TYPES
from moesaic.data.simulator.loader import load_plant
from moesaic.data.simulator.plant import AssetSeries, Plant, simulate
from moesaic.data.simulator.writer import simulate_to, write_plant

__all__ = [
    "ASSET_TYPES",
    "FAULT_CODES",
    "FAULT_TYPES",
    "AssetSeries",
    "Plant",
    "SimulatorConfig",
    "load_plant",
    "simulate",
    "simulate_to",
    "write_plant",
]
