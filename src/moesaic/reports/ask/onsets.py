"""When a fault or an anomaly of an asset started: from the base's events, else from the stretches
its own files label, else computed from its series (a mean shift or an excursion that came back,
a series' daily cycle taken out first when it explains a quarter of the variance). Split from
:mod:`moesaic.reports.ask.series`, which routes onset questions here.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from moesaic.data.readers_columns import LABEL_NAMES
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
from moesaic.reports.ask.reading import Reading, cite, read_channel, span
from moesaic.reports.ask.timewords import Window
from moesaic.reports.ask.trendtest import Change, change_point

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
EVENT_KINDS = ("fault", "anomaly", "failure")


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
        reading = read_channel(base, asset, name, window).running()
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
        return fmt_time(cite(reading, int(seen[index]), int(seen[index])).start)

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
            f"{variance} over {span(reading)})."
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
            f"{change.gain:.0%} of {variance} over {span(reading)}){ramp}."
        )
    else:
        text = (
            f"{computed} (best level-then-ramp fit); its largest mean shift is at {when(change.at)} "
            f"(mean {before} before, {after} after; it explains {change.gain:.0%} of {variance} over "
            f"{span(reading)})."
        )
    return KbAnswer(text, (cite(reading), *cited), False, "series")
