"""Series questions: a trend in a channel, when an anomaly started, a channel's current/mean/max value.

The asset and channel come from the question (:mod:`moesaic.reports.ask.resolve`), the window
from its time phrase counted back from the series' last reading. Trends are the Mann-Kendall
test with a Theil-Sen slope (:mod:`moesaic.reports.ask.trendtest`); an anomaly's start is the
start of the base's latest fault, anomaly or failure event of the asset (else its first alarm of
that episode), else the start of the latest stretch its own files label as anomalous, else the
computed change of the series (a mean shift, or an excursion that came back), stated as
computed (:mod:`moesaic.reports.ask.onsets`). Every answer cites the series stretch it read
(:mod:`moesaic.reports.ask.reading`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.records import revive_time
from moesaic.reports.ask.answer import Citation, KbAnswer, abstain, fmt_number, fmt_time
from moesaic.reports.ask.onsets import ONSET_WORDS, answer_onset
from moesaic.reports.ask.reading import Reading, cite, read_channel, span
from moesaic.reports.ask.resolve import Named, channels_of, match_channel
from moesaic.reports.ask.running import RUNNING_WORDS, answer_running
from moesaic.reports.ask.stuck import STUCK_WORDS, answer_stuck
from moesaic.reports.ask.timewords import TimePhraseError, read_window
from moesaic.reports.ask.trendtest import ALPHA, MONOTONE_WEIGHT, trend_test

TREND_WORDS = re.compile(
    r"\btrend|\bdrift|\bincreas|\bdecreas|\brising\b|\bfalling\b|\bgoing up\b|\bgoing down\b"
    r"|\bcreep(?:ing|s)? (?:up|down)\b|\bclimbing\b|\bdeclining\b"
)
STAT_WORDS = (
    (
        "last",
        re.compile(r"\bcurrent|\blatest\b|\b(?:last|most recent)(?: [\w-]+){0,2} (?:value|reading)|\bnow\b"),
    ),
    ("max", re.compile(r"\bmax|\bhighest\b|\bpeak\b")),
    ("min", re.compile(r"\bmin(?:imum)?\b|\blowest\b")),
    ("mean", re.compile(r"\bmean\b|\baverage\b|\bavg\b|\btypical\b")),
    ("missing", re.compile(r"\bmissing\b|\bgaps?\b|\bempty (?:cells?|readings?|values?)\b|\bnan\b")),
)


def asks_series(question: str) -> bool:
    """True when the question asks for a trend, an onset or a statistic of a series."""
    text = question.lower()
    return bool(TREND_WORDS.search(text) or ONSET_WORDS.search(text)) or any(
        p.search(text) for _, p in STAT_WORDS
    )


def _anchor(base: KnowledgeBase, asset: str) -> pd.Timestamp | None:
    row = base.connection.execute(
        "SELECT time_kind, MAX(t_end) FROM series WHERE asset_key = ? GROUP BY time_kind", (asset,)
    ).fetchone()
    if row is None:
        return None
    value = revive_time(row[0], row[1])
    return value if isinstance(value, pd.Timestamp) else None


def answer_series(base: KnowledgeBase, question: str, named: Named) -> KbAnswer:
    """Answer a trend, onset or statistic question about one asset's series."""
    text = question.lower()
    if not named.assets:
        return abstain("series", "the question names no asset of the base; name one (for example its id).")
    # A name several sources share ("A-1" of u1 and u2) is answered only when one of them has series.
    with_series = [a for a in named.assets if channels_of(base, a)]
    if len(with_series) > 1:
        listed = ", ".join(with_series)
        return abstain(
            "series", f"the question names several assets with series ({listed}); name one by its key."
        )
    asset = with_series[0] if with_series else named.assets[0]
    channels = sorted({c for cs in channels_of(base, asset).values() for c in cs})
    onset = bool(ONSET_WORDS.search(text))
    if not channels and not onset:
        return abstain("series", f"{asset} has no series in the base.")
    channel = match_channel(question, channels) if channels else None
    try:
        window = read_window(question, _anchor(base, asset))
    except TimePhraseError as error:
        return abstain("series", f"the question's time cannot be read: {error}")
    stepped = base.connection.execute(
        "SELECT 1 FROM series WHERE asset_key = ? AND time_kind = 'step' LIMIT 1", (asset,)
    ).fetchone()
    if window is not None and stepped:
        return abstain(
            "series",
            f"the series of {asset} are indexed by steps, so {window.phrase!r} names no part of them.",
        )
    if RUNNING_WORDS.search(text):  # "how many hours was RWP-02 running in March"
        return answer_running(base, asset, window)
    if STUCK_WORDS.search(text) and channel is not None:  # "when did the Brg Temp DE get stuck"
        held = read_channel(
            base, asset, channel, window
        ).running()  # a standstill's zeros are no stuck sensor
        where = window.describe() if window else "in the base"
        return answer_stuck(asset, channel, held.time, held.values, where, running=held.stopped is not None)
    if onset:
        return answer_onset(base, asset, channel, channels, window, question)
    if channel is None and len(channels) == 1:
        channel = channels[0]  # an asset with one channel: its readings are asked about
    if channel is None and [name for name, pattern in STAT_WORDS if pattern.search(text)] == ["missing"]:
        # "how many missing readings does UV-501 have": each channel's
        answers = [_stat_answer(read_channel(base, asset, c, window), text) for c in channels]
        cited = tuple(c for a in answers for c in a.citations)
        return KbAnswer(" ".join(a.text for a in answers), cited, False, "series")
    if channel is None:
        return abstain("series", f"the question names no channel of {asset}; its channels are {channels}.")
    reading = read_channel(base, asset, channel, window)
    if np.isfinite(reading.values).sum() == 0:
        where = window.describe() if window else "in the base"
        return abstain("series", f"no reading of {channel} on {asset} {where}.")
    if TREND_WORDS.search(text):
        return _trend_answer(reading)
    return _stat_answer(reading, text)


def _trend_answer(reading: Reading) -> KbAnswer:
    note = f" (running readings only; {reading.stands_still()})" if reading.stopped is not None else ""
    reading = reading.running()
    trend = trend_test(reading.time, reading.values)
    where = f"{reading.channel} of {reading.asset}, {span(reading)}{note}"
    if trend is None:
        return abstain("series", f"too few readings of {where} to test for a trend.")
    unit = f" {reading.unit}" if reading.unit else ""
    stats = (
        f"Theil-Sen slope {trend.slope:+.4g}{unit} per {trend.per} ({trend.change:+.4g}{unit} over the "
        "window), "
        f"Mann-Kendall z = {trend.z:.2f}, p = {trend.p_value:.3g} on {trend.points} {trend.block}, "
        f"lag-1 autocorrelation {trend.rho:.2f} around the {trend.around}"
        + (f", p weighted x{MONOTONE_WEIGHT:g}" if trend.around == "monotone fit" else "")
    )
    if trend.significant:
        direction = "rising" if trend.slope > 0 else "falling"
        text = f"Yes: {where} has a {direction} trend ({stats}; significant at {ALPHA})."
    else:
        text = f"No significant trend in {where} ({stats}; not significant at {ALPHA})."
    return KbAnswer(text, (cite(reading),), False, "series")


def _stat_answer(reading: Reading, text: str) -> KbAnswer:
    finite = np.isfinite(reading.values)
    x, unit = reading.values, f" {reading.unit}" if reading.unit else ""
    where = f"{reading.channel} of {reading.asset}"
    # "M-301's average current": the channel's own name ("Current") asks for no statistic
    said = re.sub(rf"(?<!\w){re.escape(reading.channel.lower())}(?!\w)", "channel", text)
    asked = [name for name, pattern in STAT_WORDS if pattern.search(said)] or ["last", "mean", "max"]
    parts = []
    cites: list[Citation] = [cite(reading)]
    for name in asked:
        if name == "last":
            i = int(np.flatnonzero(finite)[-1])
            parts.append(
                f"last reading {fmt_number(round(x[i], 4))}{unit} at {fmt_time(cite(reading, i, i).start)}"
            )
        elif name in ("max", "min"):
            i = int(np.nanargmax(x) if name == "max" else np.nanargmin(x))
            word = "maximum" if name == "max" else "minimum"
            parts.append(
                f"{word} {fmt_number(round(x[i], 4))}{unit} at {fmt_time(cite(reading, i, i).start)}"
            )
        elif name == "missing":  # the file's empty cells; rows the file lacks are not counted
            empty = np.flatnonzero(~finite)
            first = (
                f", the first at {fmt_time(cite(reading, empty[0], empty[0]).start)}" if len(empty) else ""
            )
            parts.append(f"{len(empty)} of {len(x)} readings missing (empty cells){first}")
        else:
            parts.append(f"mean {fmt_number(round(float(np.nanmean(x)), 4))}{unit}" + _running_mean(reading))
    count = int(finite.sum())
    return KbAnswer(
        f"{where[0].upper() + where[1:]}, {span(reading)} ({count} readings): " + "; ".join(parts) + ".",
        tuple(cites),
        False,
        "series",
    )


def _running_mean(reading: Reading) -> str:
    """ " (8.62 bar over its 102 running readings; ...)" for a machine that starts and stops, whose mean over
    all readings mixes its runs with its stops; "" otherwise."""
    running = reading.running().values
    if reading.stopped is None or not np.isfinite(running).any():
        return ""
    unit = f" {reading.unit}" if reading.unit else ""
    count = int(np.isfinite(running).sum())
    return (
        f" ({fmt_number(round(float(np.nanmean(running)), 4))}{unit} over its {count} running readings; "
        f"{reading.stands_still()})"
    )
