"""The asset register of the simulated fleet: tags, types, models, age, site, duty, criticality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from moesaic.data.simulator.catalogue import CATALOGUE, CRITICALITY, DUTIES, SITES, AssetType
from moesaic.data.simulator.config import SimulatorConfig

# Independent random streams: the same (stream, index) always gives the same numbers, whatever
# else the plant holds, so asset 7 does not change when a twentieth asset is added.
STREAM_ASSETS, STREAM_SENSORS, STREAM_TEXT, STREAM_DRAWINGS, STREAM_FMEA = range(5)


def stream(seed: int, kind: int, index: int = 0) -> np.random.Generator:
    """The random generator of one (kind, index) stream of the plant seeded by ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(kind, index)))


@dataclass(frozen=True)
class AssetSpec:
    """One simulated asset with everything the sensors, faults and text need to know."""

    index: int
    asset_id: str
    kind: AssetType
    model: str
    manufacturer: str
    serial_number: str
    install_year: int
    site: str
    area: str
    duty: str
    criticality: str
    power_kw: float

    @property
    def size(self) -> float:
        """Rated power relative to the type's middle size; scales flows, currents and powers."""
        return self.power_kw / float(np.median(self.kind.power_kw))


def _tag(kind: AssetType, number: int) -> str:
    return f"{kind.prefix}-{kind.digit}{number:02d}"


def make_assets(config: SimulatorConfig) -> list[AssetSpec]:
    """The fleet: the first assets cycle through every requested type, the rest follow type shares."""
    types = [CATALOGUE[name] for name in config.asset_types]
    shares = np.array([t.share for t in types])
    shares /= shares.sum()
    start_year = pd.Timestamp(config.start).year
    counters = {t.name: 0 for t in types}
    assets = []
    for i in range(config.num_assets):
        rng = stream(config.seed, STREAM_ASSETS, i)
        kind = types[i] if i < len(types) else types[int(rng.choice(len(types), p=shares))]
        counters[kind.name] += 1
        age = int(rng.integers(0, 26))
        model_index = int(rng.integers(len(kind.models)))
        duty = str(rng.choice(DUTIES, p=[0.5, 0.3, 0.2]))
        assets.append(
            AssetSpec(
                index=i,
                asset_id=_tag(kind, counters[kind.name]),
                kind=kind,
                model=kind.models[model_index],
                manufacturer=kind.manufacturers[model_index % len(kind.manufacturers)],
                serial_number=f"{kind.prefix}{start_year - age:04d}{int(rng.integers(10000, 99999)):05d}",
                install_year=start_year - age,
                site=SITES[int(rng.integers(len(SITES)))],
                area=kind.areas[int(rng.integers(len(kind.areas)))],
                duty=duty,
                criticality=str(rng.choice(CRITICALITY, p=[0.2, 0.5, 0.3])),
                power_kw=float(kind.power_kw[int(rng.integers(len(kind.power_kw)))]),
            )
        )
    return assets


def assets_frame(assets: list[AssetSpec], config: SimulatorConfig) -> pd.DataFrame:
    """The asset register as written to ``assets.csv``."""
    start_year = pd.Timestamp(config.start).year
    rows = [
        {
            "asset_id": a.asset_id,
            "asset_type": a.kind.name,
            "model": a.model,
            "manufacturer": a.manufacturer,
            "serial_number": a.serial_number,
            "install_year": a.install_year,
            "age_years": start_year - a.install_year,
            "site": a.site,
            "area": a.area,
            "duty": a.duty,
            "criticality": a.criticality,
            "rated_power_kw": a.power_kw,
            "channels": ";".join(a.kind.channel_names),
        }
        for a in assets
    ]
    return pd.DataFrame(rows)
