"""The published ETTh1 results the forecast suite shows next to its own, and how it recognises
ETTh1's data (by their values, never by the file's name).

Each anchor keeps the paper's own context length: its rows carry the setting
``L=<the paper's L>,H=<horizon>,eval=paper`` (scored by the paper's code, which may drop the last
incomplete batch of test windows), so that they never share a key with a row measured here.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np

from moesaic.data.forecast_windows import ETTH1_SIZES
from moesaic.data.schema import Series


class Anchor(NamedTuple):
    """A published ETTh1 result: where it is quoted from, the paper's context, MSE per horizon."""

    source: str
    context: str  # the paper's L, as its setting shows it
    mse: dict[int, float]


PUBLISHED: dict[str, Anchor] = {
    "patchtst": Anchor(
        "published: Nie et al. 2023 ICLR, Table 3 (PatchTST/64, L=512), as quoted in issue 4",
        "512",
        {96: 0.385, 192: 0.413, 336: 0.440, 720: 0.456},
    ),
    "dlinear": Anchor(
        "published: Zeng et al. AAAI 2023 (L=336), as quoted in issue 4",
        "336",
        {96: 0.384, 192: 0.443, 336: 0.446, 720: 0.504},
    ),
    "fits": Anchor(  # issue 4 does not quote FITS's L; its scripts grid-search it
        "published: Xu et al. ICLR 2024 (about 10k parameters, L tuned per data set), as quoted in issue 4",
        "tuned",
        {96: 0.372, 192: 0.404, 336: 0.427, 720: 0.424},
    ),
}
"""ETTh1 MSE of the anchors, as their papers report them (possibly with the dropped last batch)."""

ETTH1_FINGERPRINT = "e18ec93fd041210c"
"""sha256 (first 16 hex digits) of ETTh1's first 20 months, rounded as :func:`fingerprint` does."""
ETTH1_CHANNELS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")


def fingerprint(values: np.ndarray) -> str:
    """First 16 hex digits of the sha256 of ``values`` (T, C) rounded to 3 decimals: the same for
    a file saved with fewer digits, different for any other data."""
    rounded = np.round(np.asarray(values, dtype=np.float64), 3) + 0.0  # + 0.0: no negative zeros
    return hashlib.sha256(np.ascontiguousarray(rounded).tobytes()).hexdigest()[:16]


def is_etth1(series: Series) -> bool:
    """True when ``series`` holds ETTh1's first 20 months (the rows the Informer split uses)."""
    rows = ETTH1_SIZES.total
    if series.channels != ETTH1_CHANNELS or len(series.values) < rows:
        return False
    return fingerprint(series.values[:rows]) == ETTH1_FINGERPRINT
