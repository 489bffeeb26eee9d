"""Short files: ten 800-row slices of ETTh1's training months (rows 0, 800, ..., 7,200), each
forecast once by ``moesaic forecast --csv SLICE --horizon 48`` (its last 20 % validates) and scored
on the 48 rows after it: the MSE of the median on the slice's standardised scale (each channel
divided by its standard deviation over the slice), then the mean over the slices.

Usage: python slices.py TAG   (reads MOESAIC_DATA; runs the ``moesaic`` beside this interpreter)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("MOESAIC_DATA", "/work/shared/data"))
ROWS, HORIZON, SLICES = 800, 48, 10


def main() -> None:
    frame = pd.read_csv(DATA / "ett" / "ETTh1.csv")
    channels = [c for c in frame.columns if c != "date"]
    moesaic = Path(sys.executable).parent / "moesaic"
    errors = []
    for k in range(SLICES):
        part = frame.iloc[ROWS * k : ROWS * (k + 1)]
        after = frame.iloc[ROWS * (k + 1) : ROWS * (k + 1) + HORIZON]
        with tempfile.TemporaryDirectory() as tmp:
            csv, out = Path(tmp) / "slice.csv", Path(tmp) / "forecast.csv"
            part.to_csv(csv, index=False)
            command = [
                str(moesaic),
                "forecast",
                "--csv",
                str(csv),
                "--horizon",
                str(HORIZON),
                "--out",
                str(out),
            ]
            run = subprocess.run(command, capture_output=True, text=True)
            if run.returncode:
                sys.exit(run.stderr[-2000:])
            median = pd.read_csv(out)[channels].to_numpy()  # a channel's own column is its median
        scale = part[channels].std().to_numpy()
        errors.append(float((((median - after[channels].to_numpy()) / scale) ** 2).mean()))
        print(k, round(errors[-1], 4), flush=True)
    print(sys.argv[1] if len(sys.argv) > 1 else "", "mean", round(float(np.mean(errors)), 4))


if __name__ == "__main__":
    main()
