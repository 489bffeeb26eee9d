"""Sequence questions: "which component is replaced most often after a hydraulic leak?".

Records are ordered in time per asset. An *anchor* is a record matching what follows "after"
(a failure mode, failure code, event label or component named there, else the words of the
phrase in the record's text); the records that follow it on the same asset within a window
(``within N days``, default :data:`DEFAULT_DAYS`) are counted by the asked facet. When the
question says "replaced" (or "changed", "renewed"), only records whose action or text says a
replacement count.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from moesaic.knowledge.links import WORD, fold
from moesaic.reports.ask.answer import KbAnswer, abstain, shortened
from moesaic.reports.ask.frame import FACETS, RECORD_KINDS
from moesaic.reports.ask.records import cite_records_frame, group_facet, named_values, same_word
from moesaic.reports.ask.resolve import Named
from moesaic.reports.ask.timewords import TimePhraseError, blank_times, read_window

DEFAULT_DAYS = 30
MAX_EPISODE = 5
"""At most this many anchors on one asset, the question naming no asset, are read as one episode
whose following records are listed."""
_AFTER = re.compile(
    r"\b(?:after|following|follows?)\s+(?:an?\s+|the\s+|each\s+)?"
    r"(.+?)(?:\s+(?:most|within|in the next)\b.*|\s*[,;?]|\s+-\s.*|$)"
)
_WITHIN = re.compile(r"\bwithin\s+(\d+)\s+(day|week|month)s?\b|\bnext\s+(\d+)\s+(day|week|month)s?\b")
_REPLACE_Q = re.compile(r"\b(?:repl\w*|chang\w*|renew\w*|swapp?\w*|exchang\w*)\b")
_REPLACE_R = re.compile(r"repl|replac|chang|renew|exchang|swap|new\b", re.IGNORECASE)
_STOP_WORDS = "a an the of on in for to with and or is was are failure failures event events"
_STOP = frozenset(_STOP_WORDS.split())


class SequenceQuery(NamedTuple):
    anchor_phrase: str
    days: int
    facet: str
    replaced: bool
    facet_named: bool = True  # False: no facet in the question, "component" by default


# "What was done to fix the overheating on F-401?", "p-102 overheating in jan 2024 - what did
# maintenance do about it?": what follows the named fault, as "after" asks.
_TO_FIX = re.compile(
    r"\bwhat (?:was|were|has been|have been) done (?:to (?:fix|repair|resolve|address)|about)\s+"
    r"(?:an?\s+|the\s+)?(.+?)(?:\s*[,;?]|$)"
)
_ABOUT_IT = re.compile(
    r"^(.+?)\s+[-:,;]\s+what (?:did|was|were|has|have)\b.*\b(?:about|with|for) (?:it|that|this)\b"
)


def _anchor_match(text: str) -> re.Match[str] | None:
    return _AFTER.search(text) or _TO_FIX.search(text) or _ABOUT_IT.search(text)


def is_sequence(question: str) -> bool:
    """True for "which X ... most often after Y" questions, and "what was done to fix Y"."""
    text = " ".join(question.lower().split())
    if _TO_FIX.search(text) or _ABOUT_IT.search(text):
        return True
    return (
        bool(_AFTER.search(text))
        and bool(re.search(r"\bmost\b|\boften\b|\bfrequent|\bwhich\b|\bwhat\b", text))
        and not re.search(r"\bafter\s+\d{4}-\d{2}-\d{2}", text)
    )


def parse_sequence(question: str) -> SequenceQuery | None:
    text = " ".join(question.lower().replace("_", " ").split())
    found = _anchor_match(text)
    if found is None:
        return None
    within = _WITHIN.search(text)
    days = DEFAULT_DAYS
    if within:
        count = int(within.group(1) or within.group(3))
        unit = within.group(2) or within.group(4)
        days = count * {"day": 1, "week": 7, "month": 30}[unit]
    head = text[: found.start()] if found.re is _AFTER else ""  # "what was done": no facet asked
    named = group_facet(head)
    facet = named or "component"
    return SequenceQuery(
        found.group(1).strip(" ."),
        days,
        facet if facet != "asset" else "component",
        bool(_REPLACE_Q.search(head)),
        named is not None,
    )


def _anchors(frame: pd.DataFrame, phrase: str) -> tuple[pd.DataFrame, str]:
    """Records matching the anchor phrase: a facet value or event label named in it, else its words
    (a record kind in it, "alarm", "fault", "work order", keeps only records of that kind); a
    record named by its key (``plant:ALM-000001``) or by the id after the source's prefix is the
    anchor itself."""
    named = phrase.strip().lower()
    keys = frame["key"].str.lower()
    by_key = frame[(keys == named) | (keys.str.split(":").str[-1] == named)]
    if not by_key.empty:
        return by_key, "records " + ", ".join(by_key["key"]) if len(
            by_key
        ) > 1 else f"record {by_key['key'].iloc[0]}"
    kind_noun = None
    for pattern, (table, kinds) in RECORD_KINDS.items():
        found = re.search(rf"\b{pattern}\w*", phrase)
        if found:
            of_kind = frame[(frame["table"] == table) & frame["kind"].isin(kinds)]
            if not of_kind.empty:  # a base of work orders alone: "a leak failure" names no event
                kind_noun = re.sub(r"s$", "", found.group(0))
                frame = of_kind
            phrase = phrase[: found.start()] + " " + phrase[found.end() :]
            break
    folded = fold(phrase)
    values = named_values(folded, frame)
    for facet in ("failure_mode", "failure_code", "component", "action"):
        if facet in values:
            hit = frame[frame[facet].map(fold) == fold(values[facet])]
            noun = f"{kind_noun}s" if kind_noun else "records"
            return hit, f"{noun} with {facet.replace('_', ' ')} {values[facet]}"
    labels = frame.loc[frame["table"] == "events", "text"].map(fold)
    exact = labels[labels == folded.strip()]
    if not exact.empty:
        return frame.loc[exact.index], f"events {phrase.strip()!r}"
    words = [w for w in WORD.findall(folded) if w not in _STOP and len(w) > 2]
    noun = f"{kind_noun}s" if kind_noun else "records"
    if not words:
        return (frame, noun) if kind_noun else (frame.iloc[0:0], phrase)
    keep = pd.Series(True, index=frame.index)
    texts = frame["text"].map(fold)
    for word in words:  # "bearing replacement" also finds "replcd NDE brg", and "BRG_TEMP_HIGH"
        either = "|".join(map(re.escape, same_word(word).split("|")))
        keep &= texts.str.contains(rf"(?<![^\W_])(?:{either})", regex=True)
    return frame[keep], f"{noun} mentioning " + " ".join(words)


QUOTED_CHARS = 60
"""The most characters of a record's text quoted in a list of what follows."""


def _next_records(dated: pd.DataFrame, anchor: pd.DataFrame, described: str, days: int) -> KbAnswer:
    """What follows one record, or the records of one asset: its next records from the first of
    them to ``days`` after the last, in time order, the anchors left out, work orders first. Records
    more than ``days`` apart are separate episodes: the latest one is followed."""
    anchor = anchor.sort_values("time")
    episode = (anchor["time"].diff() > pd.Timedelta(days=days)).cumsum()
    if episode.iloc[-1] > 0:
        described += f", the latest of {int(episode.iloc[-1]) + 1} episodes more than {days} days apart"
        anchor = anchor[episode == episode.iloc[-1]]
    asset, start = anchor["asset"].iloc[0], anchor["time"].min()
    mine = dated[(dated["asset"] == asset) & (dated["time"] > start) & ~dated["key"].isin(anchor["key"])]
    nxt = mine[mine["time"] <= anchor["time"].max() + pd.Timedelta(days=days)].sort_values("time")
    if (nxt["table"] == "documents").any():  # "what was done": the work orders, not the next alarms
        nxt = nxt[nxt["table"] == "documents"]
    end = anchor["time"].max()
    when = f"{start:%Y-%m-%d %H:%M}" + (
        f" to {end:%Y-%m-%d %H:%M}, {len(anchor)} records" if end > start else ""
    )
    if nxt.empty:
        text = f"Nothing is recorded on {asset} within {days} days after {described} ({when})."
        return KbAnswer(text, cite_records_frame(anchor), False, "records")
    shown = nxt.head(5)
    listed = "; ".join(
        f"{t:%Y-%m-%d %H:%M} {k}: {shortened(x, QUOTED_CHARS)}"
        for t, k, x in zip(shown["time"], shown["key"], shown["text"], strict=True)
    )
    more = f" ({len(nxt) - len(shown)} more)" if len(nxt) > len(shown) else ""
    text = (
        f"Within {days} days after {described} ({when}), {len(nxt)} "
        + ("record follows " if len(nxt) == 1 else "records follow ")
        + f"on {asset}: {listed}{more}."
    )
    return KbAnswer(text, cite_records_frame(pd.concat([anchor, shown])), False, "records")


def answer_sequence(frame: pd.DataFrame, question: str, named: Named | None = None) -> KbAnswer:
    """Count the asked facet in the records following each anchor on the same asset; list what
    follows when the anchors are one episode of one asset (the question names the asset, or one
    record), since a count over one episode says less than its records."""
    query = parse_sequence(question)
    if query is None or query.facet not in FACETS:
        return abstain("records", "the question has no 'after ...' event to count from.")
    dated = frame[frame["time"].notna() & (frame["asset"] != "")]
    phrase = query.anchor_phrase
    for mention in named.mentions if named else ():  # "the cavitation fault on P-101": P-101 says where
        phrase = re.sub(rf"\b(?:on|of|at|for)?\s*{re.escape(mention)}\b", " ", phrase)
    try:
        period = read_window(phrase, None)
    except TimePhraseError as error:
        return abstain("records", f"the question's time cannot be read: {error}")
    anchors, described = _anchors(dated, " ".join(blank_times(phrase).split()))
    if named and named.assets and anchors["asset"].isin(named.assets).any():
        anchors = anchors[anchors["asset"].isin(named.assets)]
        described += " on " + ", ".join(a for a in named.assets if a in set(anchors["asset"]))
    if period is not None:
        anchors = anchors[
            anchors["time"].between(period.start or pd.Timestamp.min, period.end or pd.Timestamp.max)
        ]
        described += f" {period.describe()}"
    if anchors.empty:
        return abstain("records", f"no dated record matches {query.anchor_phrase!r}.")
    window = pd.Timedelta(days=query.days)
    one_asset = anchors["asset"].nunique() == 1
    asked_of_asset = named is not None and bool(named.assets)
    counting = re.search(r"\bmost\b|\boften\b|\bfrequent", question.lower()) is not None
    if (
        one_asset
        and not counting
        and (asked_of_asset or (not query.facet_named and len(anchors) <= MAX_EPISODE))
    ):
        return _next_records(dated, anchors, described, query.days)
    candidates = dated[dated[query.facet] != ""]
    label = query.facet.replace("_", " ")
    if candidates.empty:  # "which component ... after a leak" over orders that record no component
        return abstain(
            "records",
            f"no dated record of the base gives a {label} (a field of that name), so none can be "
            f"counted after the {len(anchors)} {described}.",
        )
    picked: list[int] = []
    for asset, starts in anchors.groupby("asset")["time"]:
        mine = candidates[candidates["asset"] == asset]
        times = mine["time"].to_numpy()
        lo = np.searchsorted(times, starts.to_numpy(), side="right")  # strictly after the anchor
        hi = np.searchsorted(times, (starts + window).to_numpy(), side="right")
        for a, b in zip(lo, hi, strict=True):
            picked.extend(mine.index[a:b])
    pool = candidates.loc[sorted(set(picked))]
    if query.replaced:
        said = pool["action"].str.contains(_REPLACE_R) | pool["text"].str.contains(_REPLACE_R)
        pool = pool[said]
    verb = "replaced" if query.replaced else "recorded"
    if pool.empty:
        return KbAnswer(
            f"After the {len(anchors)} {described}, no {label} is {verb} on the same asset "
            f"within {query.days} days.",
            cite_records_frame(anchors),
            False,
            "records",
        )
    counts = pool[query.facet].value_counts()
    top, n = counts.index[0], int(counts.iloc[0])
    runners = ", ".join(f"{v} ({c})" for v, c in list(counts.items())[1:4])
    text = (
        f"Within {query.days} days after the {len(anchors)} {described} "
        f"({anchors['asset'].nunique()} assets), the {label} {verb} most often is {top}: {n} of "
        f"{len(pool)} following records" + (f"; next: {runners}" if runners else "") + "."
    )
    cited = pd.concat([anchors.head(5), pool[pool[query.facet] == top]])
    return KbAnswer(text, cite_records_frame(cited), False, "records")
