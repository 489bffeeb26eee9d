"""When a sensor got stuck: the longest run of one exactly repeated reading of a channel.

"When did the Brg Temp DE of RWP-03 get stuck?" asks for no mean shift (a frozen transmitter reads
its last value, often the level it had) but for where the readings stop changing. The answer is
the longest run of exactly equal observed readings (missing ones between them skipped), with its
value, first and last reading; a run of fewer than :data:`MIN_RUN` readings, or one that does not
stand out from the series' other runs (:data:`STANDS_OUT`), is no stuck sensor and the answer says
so.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from moesaic.reports.ask.answer import KbAnswer, SeriesCitation, abstain, fmt_number, fmt_time

STUCK_WORDS = re.compile(
    r"\b(?:stuck|frozen|froze|freeze|freezes|flat ?lined?|flatlin\w*|stopped changing|stop changing"
    r"|(?:same|constant) (?:value|reading)s?)\b"
)
"""A question asking when a channel's readings stopped changing."""
MIN_RUN = 6
"""A stuck stretch holds at least this many equal readings ..."""
STANDS_OUT = 3
"""... and this many times as many as the next longest run: a coarse reading (a UV transmittance
logged in whole percent) repeats for hours as a matter of course."""


def answer_stuck(
    asset: str, channel: str, time: np.ndarray, values: np.ndarray, where: str, *, running: bool = False
) -> KbAnswer:
    """The longest run of one repeated reading of ``channel`` (``time``, ``values`` (T,), NaN where
    missing); ``where`` says over which period they were read; ``running``: the readings are a
    machine's running ones, its stopped rows missing."""
    readings = "running readings" if running else "readings"
    seen = np.flatnonzero(np.isfinite(values))
    if seen.size < MIN_RUN:
        return abstain("series", f"too few readings of {channel} on {asset} {where} to find a stuck stretch.")
    v = values[seen]
    # runs of equal consecutive observed readings: [a, b) in positions of ``seen``
    edges = np.flatnonzero(np.diff(v) != 0.0) + 1
    bounds = np.concatenate([[0], edges, [v.size]])
    lengths = np.diff(bounds)
    best = int(np.argmax(lengths))
    a, b = int(bounds[best]), int(bounds[best + 1])
    runner_up = int(np.sort(lengths)[-2]) if lengths.size > 1 else 0
    first, last = int(seen[a]), int(seen[b - 1])
    cited = SeriesCitation(asset, channel, pd.Timestamp(time[first]), pd.Timestamp(time[last]))
    if b - a < MIN_RUN or b - a < STANDS_OUT * runner_up:
        return KbAnswer(
            f"No stuck stretch in {channel} of {asset} {where}: its longest run of one repeated reading "
            f"is {b - a} readings ({fmt_number(round(float(v[a]), 4))} from {fmt_time(cited.start)}), "
            f"the next longest {runner_up}: none stands out.",
            (SeriesCitation(asset, channel, pd.Timestamp(time[seen[0]]), pd.Timestamp(time[seen[-1]])),),
            False,
            "series",
        )
    still = " and is still stuck at the last reading" if b == v.size else ""
    return KbAnswer(
        f"{channel} of {asset} got stuck at {fmt_time(cited.start)}: it reads exactly "
        f"{fmt_number(round(float(v[a]), 4))} for {b - a} {readings} in a row, to "
        f"{fmt_time(cited.end)}{still} "
        f"(the longest such run {where}; the next longest held {runner_up}).",
        (cited,),
        False,
        "series",
    )
