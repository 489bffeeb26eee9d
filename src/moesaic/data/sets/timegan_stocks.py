"""TimeGAN "Stocks": daily Google share prices (Yoon, Jarrett & van der Schaar, TimeGAN, NeurIPS 2019).

One series of 3,685 trading days × 6 channels, the "Stocks" set of the standard synthetic
time-series protocol (min-max scaling, stride-1 windows of 24, discriminative/predictive scores).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.tables import numeric_column, read_csv_checked

CHANNELS = ("Open", "High", "Low", "Close", "Adj_Close", "Volume")


def load(folder: Path) -> MaintenanceData:
    path = Path(folder) / "stock_data.csv"
    frame = read_csv_checked(path, required=CHANNELS)
    values = pd.DataFrame({c: numeric_column(frame, c, path, allow_missing=False) for c in CHANNELS})
    # The rows stay in file order (oldest first). The reference loader flips them
    # (`ori_data[::-1]`) before scaling and windowing, so a faithful reproduction of the
    # published scores must do the same: the flag tells the protocol code to.
    series = Series.from_frame(
        values,
        series_id="stock_data",
        asset_id="GOOG",
        meta={
            "source": str(path),
            "freq": "B",
            "reverse_for_protocol": True,
            "protocol": {"window": 24, "stride": 1, "scaling": "minmax"},
        },
    )
    return MaintenanceData(name="timegan_stocks", series=(series,))


INFO = DatasetInfo(
    name="timegan_stocks",
    modality="timeseries",
    description="TimeGAN 'Stocks': Google daily prices, 3,685 days × 6 (synthetic-series protocol)",
    licence="Apache-2.0",
    citation="Yoon, Jarrett & van der Schaar, Time-series Generative Adversarial Networks, NeurIPS 2019",
    loader=load,
    expected={"series": 1, "series_steps": 3685},
)
