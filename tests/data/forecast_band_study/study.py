"""Short files: how wide should a forecast's band be? 800-row slices of three sets (ETTh1: rows
0, 800, ..., 7,200; the SKAB anomaly-free file: rows 0, 800, ..., 7,200; the TimeGAN stocks file:
rows 0, 800, ..., 2,400), each forecast once by ``moesaic forecast --csv SLICE --horizon 48`` (its
last 20 % validates) and scored on the 48 rows after it, on the slice's standardised scale (each
channel minus its mean over the slice, over its standard deviation there).

For each slice the validation windows' quantiles and values are captured as ``fit_band`` receives
them, and the saved model's forecast is widened by each variant fitted on them: ``none`` (the band
as trained), ``channel_level`` (one factor per channel and level, the product's), ``channel`` (one
factor per channel for every level), ``level`` (one per level for every channel), ``one``. Printed:
each set's mean CRPS (the mean pinball loss over the levels, times 2) and the share of values in
the 0.1-0.9 band.

Usage: python study.py   (reads MOESAIC_DATA)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from moesaic.tasks.forecast_band import _factors, apply_band
from typer.testing import CliRunner

import moesaic.tasks.forecast as forecast_module
from moesaic.cli.app import app
from moesaic.eval.metrics import crps_from_quantiles
from moesaic.tasks.forecast import Forecaster

DATA = Path(os.environ.get("MOESAIC_DATA", "/work/shared/data"))
ROWS, HORIZON = 800, 48
SETS = {
    "etth1": (DATA / "ett" / "ETTh1.csv", ",", 10),
    "skab": (DATA / "skab" / "anomaly-free" / "anomaly-free.csv", ";", 10),
    "stocks": (DATA / "timegan_stocks" / "stock_data.csv", ",", 4),
}
GRID = np.geomspace(0.25, 8.0, 121)


def _pinball(q: np.ndarray, y: np.ndarray, levels: tuple[float, ...]) -> float:
    seen = np.isfinite(y)
    total = 0.0
    for k, tau in enumerate(levels):
        u = (y - q[..., k])[seen]
        total += float(np.mean(np.maximum(tau * u, (tau - 1) * u)))
    return total


def _shared(q: np.ndarray, y: np.ndarray, levels: tuple[float, ...], by: str) -> np.ndarray:
    """(C, Q) factors, one grid-searched factor per channel (by='channel'), per level ('level') or
    for everything ('one'), the one with the least summed pinball loss."""
    C, Q = q.shape[-2:]
    out = np.ones((C, Q))
    mid = levels.index(0.5)
    groups = {"channel": [(c, slice(None)) for c in range(C)], "one": [(slice(None), slice(None))]}
    if by == "level":
        groups["level"] = [(slice(None), k) for k in range(Q) if k != mid]
    for cs, ks in groups[by]:
        best, best_s = np.inf, 1.0
        for s in GRID:
            f = np.ones((C, Q))
            f[cs, ks] = s
            f[:, mid] = 1.0
            loss = _pinball(apply_band(q, f, levels)[..., cs, :], y[..., cs], levels)
            if loss < best:
                best, best_s = loss, s
        out[cs, ks] = best_s
    out[:, mid] = 1.0
    return out


def main() -> None:
    captured: list[tuple[np.ndarray, np.ndarray, tuple[float, ...]]] = []
    original = forecast_module.fit_band

    def capture(q, y, levels):  # type: ignore[no-untyped-def]
        captured.append((q, y, levels))
        return original(q, y, levels)

    forecast_module.fit_band = capture
    runner = CliRunner()
    variants = ("none", "channel_level", "channel", "level", "one")
    for name, (path, sep, count) in SETS.items():
        frame = pd.read_csv(path, sep=sep)
        channels = [c for c in frame.columns if c not in ("date", "datetime")]
        scores = {v: ([], []) for v in variants}
        for k in range(count):
            part = frame.iloc[ROWS * k : ROWS * (k + 1)]
            after = frame.iloc[ROWS * (k + 1) : ROWS * (k + 1) + HORIZON][channels].to_numpy(np.float64)
            with tempfile.TemporaryDirectory() as tmp:
                csv, out, save = Path(tmp) / "slice.csv", Path(tmp) / "f.csv", Path(tmp) / "model"
                part.to_csv(csv, index=False)
                captured.clear()
                result = runner.invoke(
                    app, ["forecast", "--csv", str(csv), "--horizon", str(HORIZON), "--out", str(out),
                          "--save", str(save)],
                )  # fmt: skip
                if result.exit_code:
                    raise SystemExit(result.output[-2000:])
                forecaster = Forecaster.load(save)
            vq, vy, levels = captured[-1]
            forecaster.band_ = None
            raw = forecaster.predict(part[channels].to_numpy(np.float32), horizon=HORIZON).quantiles
            mean, std = part[channels].mean().to_numpy(), part[channels].std().to_numpy()
            std = np.where(std > 0, std, 1.0)
            factors = {
                "none": np.ones(vq.shape[-2:]),
                "channel_level": _factors(vq, vy, levels),
                **{v: _shared(vq, vy, levels, v) for v in ("channel", "level", "one")},
            }
            # the factors act on the model's standardised scale; widening commutes with the
            # per-channel affine map, so apply them on the data's scale
            y = (after - mean) / std
            for v in variants:
                q = (apply_band(raw, factors[v], levels) - mean[:, None]) / std[:, None]
                scores[v][0].append(crps_from_quantiles(y[None], q[None], levels))
                inside = (y >= q[..., 0]) & (y <= q[..., -1])
                scores[v][1].append(float(inside[np.isfinite(y)].mean()))
            print(name, k, {v: (round(scores[v][0][-1], 4), round(scores[v][1][-1], 3)) for v in variants},
                  flush=True)  # fmt: skip
        for v in variants:
            crps, coverage = np.mean(scores[v][0]), np.mean(scores[v][1])
            print(f"{name} {v}: crps {crps:.4f} coverage {coverage:.3f}", flush=True)


if __name__ == "__main__":
    main()
