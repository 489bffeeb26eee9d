"""Series questions: a trend in a channel, when an anomaly started, a channel's current/mean/max value.

The asset and channel come from the question (:mod:`moesaic.reports.ask.resolve`), the window
from its time phrase counted back from the series' last reading. Trends are the Mann-Kendall
test with a Theil-Sen slope (:mod:`moesaic.reports.ask.trendtest`); an anomaly's start is the
start of the base's latest fault, anomaly or failure event of the asset (else its first alarm of
that episode), else the start of the latest stretch its own files label as anomalous, else the
computed change of the series (a mean shift, or an excursion that came back), stated as
computed. Every answer cites the series stretch it read.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.readers_columns import LABEL_NAMES
from moesaic.data.schema import Series
from moesaic.data.standstill import find_standstill, stopped_in
from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.records import load_json, revive_time
from moesaic.reports.ask.answer import (
    Citation,
    KbAnswer,
    SeriesCitation,
    abstain,
    cite_records,
    fmt_number,
    fmt_time,
)
from moesaic.reports.ask.resolve import Named, channels_of, match_channel
from moesaic.reports.ask.running import RUNNING_WORDS, answer_running
from moesaic.reports.ask.stuck import STUCK_WORDS, answer_stuck
from moesaic.reports.ask.timewords import TimePhraseError, Window, read_window
from moesaic.reports.ask.trendtest import ALPHA, MONOTONE_WEIGHT, Change, change_point, trend_test

MIN_CHANGE_GAIN = 0.3
"""A computed change point is reported when a mean shift explains at least this share of the
window's variance; below it the answer abstains (no event, no clear change)."""
_JUMP_WORDS = (
    r"jump|step(?:ped)? (?:up|down)|spike|shoot up|shot up|drop(?:ped)?|dip(?:ped)?|f[ae]ll|rise|rose"
    r"|change[ds]?|shift(?:ed)?|go(?:es)? (?:up|down)|went (?:up|down)"
)
ONSET_WORDS = re.compile(
    r"\bwhen did\b.*\b(?:start|begin|began|appear|occur|happen|kick(?:ed)? off|set in|show up|develop"
    rf"|{_JUMP_WORDS})"
    r"|\bsince when\b|\bonset\b"
    r"|\bstart(?:ed)? of the\b"
)
_JUMP = re.compile(rf"\b(?:{_JUMP_WORDS})")
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
EVENT_KINDS = ("fault", "anomaly", "failure")


class Reading(NamedTuple):
    asset: str
    channel: str
    time: np.ndarray  # (T,)
    values: np.ndarray  # (T,)
    unit: str
    window: Window | None
    stopped: np.ndarray | None = None  # (T,) bool: the machine stands still (None: it always runs)
    gate: str = ""  # how a standstill is told, e.g. "Flow at or under 1.2"

    def running(self) -> Reading:
        """The reading with its standstill rows missing: a change, a trend or a mean of a
        machine that starts and stops compares its runs, not its runs with its stops."""
        if self.stopped is None:
            return self
        return self._replace(values=np.where(self.stopped, np.nan, self.values))

    def stands_still(self) -> str:
        """The clause saying which readings a running figure leaves out, "site:P-1 stands still in
        29% of the rows: Flow at or under 1.2" ("" for a machine that runs throughout)."""
        if self.stopped is None:
            return ""
        share = float(self.stopped.mean()) if self.stopped.size else 0.0
        return f"{self.asset} stands still in {share:.0%} of the rows: {self.gate}"


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


def _read(base: KnowledgeBase, asset: str, channel: str, window: Window | None) -> Reading:
    start = window.start if window else None
    end = window.end if window else None
    parts: list[Series] = [
        s for s in base.series(asset_id=asset, start=start, end=end) if channel in s.channels
    ]
    times = [s.time for s in parts]
    values = [s.values[:, s.channels.index(channel)].astype(np.float64) for s in parts]
    unit = next(
        (
            str(s.meta.get("units", {}).get(channel, ""))
            for s in parts
            if isinstance(s.meta.get("units"), dict)
        ),
        "",
    )
    if not parts:
        return Reading(asset, channel, np.array([], "datetime64[ns]"), np.array([]), unit, window)
    time, x = np.concatenate(times), np.concatenate(values)
    order = np.argsort(time, kind="stable")
    gates = [_standstill(s) for s in parts]
    if not any(g is not None for g in gates):
        return Reading(asset, channel, time[order], x[order], unit, window)
    stopped = np.concatenate(
        [np.zeros(s.length, bool) if g is None else g[0] for s, g in zip(parts, gates, strict=True)]
    )
    gate = "; ".join(dict.fromkeys(g[1] for g in gates if g is not None))
    return Reading(asset, channel, time[order], x[order], unit, window, stopped[order], gate)


def _standstill(s: Series) -> tuple[np.ndarray, str] | None:
    """(T,) bool rows where the machine of ``s`` stands still, and how that is told, when one of its
    channels holds a stopped and a running state over the readings read
    (:func:`moesaic.data.standstill.find_standstill`, the series its own baseline); None
    when it runs throughout."""
    values = np.where(s.observed, s.values, np.nan).astype(np.float64)
    gate = find_standstill(values, values, s.channels)
    if gate is None:
        return None
    return stopped_in(
        values, s.channels, gate
    ), f"{gate.channel} at or under {fmt_number(round(gate.level, 4))}"


def _cite(reading: Reading, lo: int = 0, hi: int | None = None) -> SeriesCitation:
    t = reading.time
    hi = t.size - 1 if hi is None else hi

    def at(i: int) -> pd.Timestamp | int:
        return pd.Timestamp(t[i]) if np.issubdtype(t.dtype, np.datetime64) else int(t[i])

    return SeriesCitation(reading.asset, reading.channel, at(lo), at(hi))


def _span(reading: Reading) -> str:
    return f"{fmt_time(_cite(reading).start)} to {fmt_time(_cite(reading).end)}"


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
        held = _read(base, asset, channel, window).running()  # a standstill's zeros are no stuck sensor
        where = window.describe() if window else "in the base"
        return answer_stuck(asset, channel, held.time, held.values, where, running=held.stopped is not None)
    if onset:
        return answer_onset(base, asset, channel, channels, window, question)
    if channel is None and len(channels) == 1:
        channel = channels[0]  # an asset with one channel: its readings are asked about
    if channel is None and [name for name, pattern in STAT_WORDS if pattern.search(text)] == ["missing"]:
        # "how many missing readings does UV-501 have": each channel's
        answers = [_stat_answer(_read(base, asset, c, window), text) for c in channels]
        cited = tuple(c for a in answers for c in a.citations)
        return KbAnswer(" ".join(a.text for a in answers), cited, False, "series")
    if channel is None:
        return abstain("series", f"the question names no channel of {asset}; its channels are {channels}.")
    reading = _read(base, asset, channel, window)
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
    where = f"{reading.channel} of {reading.asset}, {_span(reading)}{note}"
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
    return KbAnswer(text, (_cite(reading),), False, "series")


def _stat_answer(reading: Reading, text: str) -> KbAnswer:
    finite = np.isfinite(reading.values)
    x, unit = reading.values, f" {reading.unit}" if reading.unit else ""
    where = f"{reading.channel} of {reading.asset}"
    # "M-301's average current": the channel's own name ("Current") asks for no statistic
    said = re.sub(rf"(?<!\w){re.escape(reading.channel.lower())}(?!\w)", "channel", text)
    asked = [name for name, pattern in STAT_WORDS if pattern.search(said)] or ["last", "mean", "max"]
    parts = []
    cites: list[Citation] = [_cite(reading)]
    for name in asked:
        if name == "last":
            i = int(np.flatnonzero(finite)[-1])
            parts.append(
                f"last reading {fmt_number(round(x[i], 4))}{unit} at {fmt_time(_cite(reading, i, i).start)}"
            )
        elif name in ("max", "min"):
            i = int(np.nanargmax(x) if name == "max" else np.nanargmin(x))
            word = "maximum" if name == "max" else "minimum"
            parts.append(
                f"{word} {fmt_number(round(x[i], 4))}{unit} at {fmt_time(_cite(reading, i, i).start)}"
            )
        elif name == "missing":  # the file's empty cells; rows the file lacks are not counted
            empty = np.flatnonzero(~finite)
            first = (
                f", the first at {fmt_time(_cite(reading, empty[0], empty[0]).start)}" if len(empty) else ""
            )
            parts.append(f"{len(empty)} of {len(x)} readings missing (empty cells){first}")
        else:
            parts.append(f"mean {fmt_number(round(float(np.nanmean(x)), 4))}{unit}" + _running_mean(reading))
    count = int(finite.sum())
    return KbAnswer(
        f"{where[0].upper() + where[1:]}, {_span(reading)} ({count} readings): " + "; ".join(parts) + ".",
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


def _events(base: KnowledgeBase, asset: str, window: Window | None, kinds: tuple[str, ...]) -> list[dict]:
    marks = ", ".join("?" for _ in kinds)
    rows = base.connection.execute(
        f"SELECT key, kind, label, time_kind, t_start, t_end, channels FROM events "
        f"WHERE asset_key = ? AND kind IN ({marks}) AND t_start IS NOT NULL ORDER BY t_start",
        (asset, *kinds),
    ).fetchall()
    found = []
    for key, kind, label, time_kind, t0, t1, channels in rows:
        start, end = revive_time(time_kind, t0), revive_time(time_kind, t1 if t1 is not None else t0)
        if _outside(window, start, end):
            continue
        found.append(
            {"key": key, "kind": kind, "label": label, "start": start, "end": end, "channels": channels}
        )
    return found


def _outside(window: Window | None, start: object, end: object) -> bool:
    """True when a timestamped event lies wholly before or after ``window``."""
    if window is None or not isinstance(start, pd.Timestamp) or not isinstance(end, pd.Timestamp):
        return False
    return (window.end is not None and start > window.end) or (
        window.start is not None and end < window.start
    )


def answer_onset(
    base: KnowledgeBase,
    asset: str,
    channel: str | None,
    channels: list[str],
    window: Window | None,
    question: str = "",
) -> KbAnswer:
    """When the latest fault/anomaly of ``asset`` started (the first one when the question says
    "first"; of the kind it names, "the overheating", when its events hold that label): from the
    base's events, else computed."""
    elsewhere: list[dict] = []  # events of the asset on other channels than the one asked about
    text = " ".join(question.lower().replace("_", " ").split())
    first_asked = re.search(r"\bfirst\b", text) is not None
    for kinds in (EVENT_KINDS, ("alarm",)):
        events = _events(base, asset, window, kinds)
        if channel is not None:
            elsewhere += [e for e in events if not _concerns(e, channel)]
            events = [e for e in events if _concerns(e, channel)]
        named = [e for e in events if e["label"] and _says(text, str(e["label"]))] or _hinted(text, events)
        events = named or events
        if events and first_asked:  # "when did the cavitation first show up": the earliest
            events = [e for e in events if e["start"] <= events[0]["end"]] if events[0]["end"] else events[:1]
        if events:
            latest = events[-1]
            episode = [
                e
                for e in events
                if e["end"] is not None and latest["start"] is not None and e["end"] >= latest["start"]
            ]
            first = min(episode or [latest], key=lambda e: e["start"])
            what = f"{first['kind']} {first['label']!r}"
            order = "first" if first_asked else "latest"
            text = (
                f"The {order} {'/'.join(kinds)} episode of {asset} started at {fmt_time(first['start'])} "
                f"({what}, record {first['key']}); it "
                + (
                    f"ended at {fmt_time(latest['end'])}."
                    if latest["end"] is not None
                    else "has no end recorded."
                )
                + f" {len(events)} such {'event' if len(events) == 1 else 'events'} of {asset} in the base"
                + (f" {window.describe()}" if window else "")
                + "."
            )
            return KbAnswer(text, cite_records("events", [first["key"], latest["key"]]), False, "series")
    labelled = _labelled_onset(base, asset, channel, window)
    if labelled is not None:
        return labelled
    lead = f"no fault, anomaly or alarm event of {asset}" + (f" {window.describe()}" if window else "")
    cited: tuple[Citation, ...] = ()
    if elsewhere:
        latest = max(elsewhere, key=lambda e: e["start"])
        lead = (
            f"no event of {asset} concerns {channel}: its {len(elsewhere)} "
            f"{'event concerns' if len(elsewhere) == 1 else 'events concern'} other channels (the latest, "
            f"{latest['kind']} {latest['label']!r}, record {latest['key']}, started at "
            f"{fmt_time(latest['start'])})"
        )
        cited = cite_records("events", [latest["key"]])
    candidates = [channel] if channel else channels
    jump = _JUMP.search(text) is not None
    return _computed_onset(base, asset, channel, candidates, window, (lead, cited), jump)


def _says(text: str, label: str) -> bool:
    """Whether the lower-cased ``text`` names the event label as words ("bearing_wear": "bearing wear")."""
    phrase = " ".join(label.lower().replace("_", " ").split())
    return bool(phrase) and re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


_TROUBLE = re.compile(r"\b(?:problems?|issues?|troubles?|faults?)\b")


def _hinted(text: str, events: list[dict]) -> list[dict]:
    """The events of the one label the question hints at with a word of it and a word of trouble
    ("the bearing problem" for ``bearing_wear``); none when it hints at no label or at several."""
    if not _TROUBLE.search(text):
        return []
    labels = {
        str(e["label"])
        for e in events
        if e["label"]
        and any(len(w) >= 4 and _says(text, w) for w in str(e["label"]).lower().replace("_", " ").split())
    }
    return [e for e in events if e["label"] in labels] if len(labels) == 1 else []


def _labelled_onset(
    base: KnowledgeBase, asset: str, channel: str | None, window: Window | None
) -> KbAnswer | None:
    """The start of the latest stretch of non-zero anomaly or fault labels (:data:`LABEL_NAMES`
    columns of the asset's own files) in the window, or None when no series of it has one."""
    start = window.start if window else None
    end = window.end if window else None
    stretches = []  # (start time, end time, label name, series)
    for s in base.series(asset_id=asset, start=start, end=end):
        for name, values in s.labels.items():
            if name.lower() not in LABEL_NAMES:
                continue
            flagged = np.nan_to_num(np.asarray(values, dtype=np.float64)) != 0
            edges = np.flatnonzero(np.diff(np.r_[0, flagged.astype(np.int8), 0]))
            stretches += [
                (s.time[a], s.time[b - 1], name, s) for a, b in zip(edges[::2], edges[1::2], strict=True)
            ]
    if not stretches:
        return None
    first, last, name, s = max(stretches, key=lambda x: x[0])
    at = (lambda t: pd.Timestamp(t)) if np.issubdtype(s.time.dtype, np.datetime64) else int
    cited = SeriesCitation(asset, channel if channel in s.channels else s.channels[0], at(first), at(last))
    text = (
        f"The latest stretch labelled {name!r} in the series of {asset} starts at {fmt_time(cited.start)} "
        f"and ends at {fmt_time(cited.end)}; {len(stretches)} labelled "
        f"{'stretch' if len(stretches) == 1 else 'stretches'} in the base"
        + (f" {window.describe()}" if window else "")
        + " (the file's own labels; no fault, anomaly or alarm event records it)."
    )
    return KbAnswer(text, (cited,), False, "series")


def _concerns(event: dict, channel: str) -> bool:
    """True when ``event`` names ``channel`` among its channels, or names none (the whole asset)."""
    named = load_json(event["channels"]) if event["channels"] else []
    return not named or channel in named


DAILY_SHARE = 0.25
"""A series' daily cycle is taken out before a change is looked for when the median of each hour
of the day explains at least this share of its variance: a dosing pump's flow that follows the
day's demand from 12 to 16 l/h hid a 20-hour drop to 4 l/h (it explained 1% of the variance as a
mean shift, 26% as an excursion; 93% once each hour's median was taken out)."""
MIN_CYCLE_DAYS = 3
"""Fewer days of readings tell no daily cycle."""


def without_daily_cycle(time: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """``x`` (T,) with the median of its hour of the day taken out (and its overall median put
    back, so levels read as before), NaN where ``x`` is; None when ``time`` holds no timestamps,
    the readings span under :data:`MIN_CYCLE_DAYS` days or are a day or more apart, or the hours'
    medians explain under :data:`DAILY_SHARE` of the variance."""
    seen = np.isfinite(x)
    if not np.issubdtype(time.dtype, np.datetime64) or seen.sum() < 2:
        return None
    stamps = pd.DatetimeIndex(time[seen])
    if stamps.max() - stamps.min() < pd.Timedelta(days=MIN_CYCLE_DAYS):
        return None
    if pd.Series(stamps).diff().median() >= pd.Timedelta(days=1):
        return None
    values = x[seen]
    hours = stamps.hour.to_numpy()
    profile = pd.Series(values).groupby(hours).transform("median").to_numpy()
    rest = values - profile
    total = float(np.var(values))
    if total <= 0 or 1.0 - float(np.var(rest)) / total < DAILY_SHARE:
        return None
    out = np.full(x.shape, np.nan)
    out[seen] = rest + float(np.median(values))
    return out


def _raw_means(change: Change, x: np.ndarray) -> Change:
    """``change`` found on a series with its daily cycle taken out, its means read from the
    readings ``x`` themselves (indices count the observed readings)."""
    values = x[np.isfinite(x)]
    if change.end is not None:
        inside = values[change.onset : change.end]
        outside = np.concatenate([values[: change.onset], values[change.end :]])
        return change._replace(before=float(outside.mean()), after=float(inside.mean()))
    return change._replace(before=float(values[: change.at].mean()), after=float(values[change.at :].mean()))


def _computed_onset(
    base: KnowledgeBase,
    asset: str,
    channel: str | None,
    candidates: list[str],
    window: Window | None,
    why: tuple[str, tuple[Citation, ...]],
    jump: bool = False,
) -> KbAnswer:
    """The start of the clearest change of the candidate channels, computed from the readings;
    ``why`` says (and cites) why the base's events do not answer. ``jump``: the question asks when
    the readings jumped, so the largest mean shift leads the answer, before where the change
    starts."""
    lead, cited = why
    best: tuple[Change, Reading, bool] | None = None
    for name in candidates:
        reading = _read(base, asset, name, window).running()
        level = without_daily_cycle(reading.time, reading.values)
        change = change_point(reading.values if level is None else level)
        if change is not None and level is not None:
            change = _raw_means(change, reading.values)
        if change is not None and (best is None or change.gain > best[0].gain):
            best = (change, reading, level is not None)
    if best is None:
        what = "too few readings" if candidates else "no series"
        return abstain("series", f"{lead}, and {what} to compute a change from.")
    change, reading, daily = best
    if change.gain < MIN_CHANGE_GAIN:
        return abstain(
            "series",
            f"{lead}, and no clear change in {'its ' + reading.channel if channel else 'any channel'} "
            f"(the best mean shift or excursion explains {change.gain:.0%} of the variance, under "
            f"{MIN_CHANGE_GAIN:.0%}).",
        )
    seen = np.flatnonzero(np.isfinite(reading.values))

    def when(index: int) -> str:
        return fmt_time(_cite(reading, int(seen[index]), int(seen[index])).start)

    before, after = fmt_number(round(change.before, 4)), fmt_number(round(change.after, 4))
    source = "computed from the series" + (
        f"' running readings ({reading.stands_still()})" if reading.stopped is not None else ""
    )
    if daily:
        source += " with its daily cycle taken out (each reading less the median of its hour of the day)"
    variance = "the variance left" if daily else "the variance"
    computed = (
        f"{lead[0].upper()}{lead[1:]}; {source}: the change in {reading.channel} starts at "
        f"{when(change.onset)}"
    )
    if change.end is not None:
        text = (
            f"{computed} and ends at {when(change.end - 1)}, then the readings come back: an excursion "
            f"(mean {after} inside, {before} before and after; it explains {change.gain:.0%} of "
            f"{variance} over {_span(reading)})."
        )
    elif jump or change.onset == change.at:  # asked when it jumped, or an abrupt step
        ramp = (
            ""
            if change.onset == change.at
            else (f"; the change starts at {when(change.onset)} (best level-then-ramp fit)")
        )
        kind = "jump (mean shift)" if jump else "change, a step (it fits better than a ramp),"
        text = (
            f"{lead[0].upper()}{lead[1:]}; {source}: the largest {kind} in "
            f"{reading.channel} is at {when(change.at)} (mean {before} before, {after} after; it explains "
            f"{change.gain:.0%} of {variance} over {_span(reading)}){ramp}."
        )
    else:
        text = (
            f"{computed} (best level-then-ramp fit); its largest mean shift is at {when(change.at)} "
            f"(mean {before} before, {after} after; it explains {change.gain:.0%} of {variance} over "
            f"{_span(reading)})."
        )
    return KbAnswer(text, (_cite(reading), *cited), False, "series")
