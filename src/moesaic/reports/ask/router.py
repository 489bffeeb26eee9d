"""Which answerer a question goes to: FMEA look-up, drawing, sequence, series, records, or retrieval.

The route is decided from cue words and from what the question names in the base (assets with
series, channels, drawing ids). Names the question gives that the base does not hold make the
whole question unanswerable: :class:`KbAnswerer` abstains naming them before any routing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from moesaic.reports.ask.drawings import DRAWING_WORDS
from moesaic.reports.ask.onsets import ONSET_WORDS
from moesaic.reports.ask.records import AMOUNT_WORDS, LATEST_WORDS, RELIABILITY, group_facet
from moesaic.reports.ask.resolve import Named, match_channel
from moesaic.reports.ask.running import RUNNING_WORDS
from moesaic.reports.ask.sequence import is_sequence
from moesaic.reports.ask.series import STAT_WORDS, TREND_WORDS
from moesaic.reports.ask.stuck import STUCK_WORDS

ROUTES = ("fmea", "drawings", "sequence", "series", "records", "retrieval")
FMEA_WORDS = re.compile(
    r"\brpn\b|\bseverity\b|\boccurrence\b|\bdetection (?:score|rating|value)|\bfmea\b"
    r"|\bfailure modes? (?:of|for|in)\b|\beffects?\b|\bcauses? of\b|\bwhat causes\b"
    r"|\brecommended actions?\b|\bcurrent controls?\b|\bdetection\b"
    r"|\bsev\b|\bocc\b"  # shorthand the FMEA answerer reads ("avg sev of the feed pump")
)
# Words only an FMEA answers: an RPN, or a score of failure modes. A base without scored FMEA rows
# abstains on them instead of answering from its work orders.
FMEA_ONLY = re.compile(
    r"\brpns?\b|\bfmea\b|\brisk priority\b|\b(?:severity|occurrence|detection) (?:scores?|ratings?)\b"
    r"|\bfailure modes?\b.*\b(?:severity|occurrence|detection)\b"
    r"|\b(?:severity|occurrence|detection)\b.*\bfailure modes?\b"
)
RECORD_NOUNS = re.compile(
    r"\bwork ?orders?\b|\borders\b|\bwos?\b|\bjobs?\b|\balarms?\b|\balerts?\b"
    r"|\bfaults?\b(?!\s*(?:types?|codes?))"
    r"|\banomal|\bevents?\b|\bfailures?\b(?!\s*(?:modes?|codes?|types?))|\brecords?\b|\bmaintenance\b"
    r"|\b(?:replacement|repair|inspection|overhaul|intervention|breakdown|call[- ]?out)s\b"  # work done
)
RECORD_OPS = re.compile(
    r"\bhow many\b|\bnumber of\b|\bno\. of\b|\bcount\b|\blist\b|\bshow\b|\bwhich\b|\bmost\b|\btop\b|\btotal\b"
    r"|\baverage\b|\bavg\b|\baverge\b|^(?:did|does|do|were|was|has|have|are|is) .*\bany\b"
    r"|\bper asset\b|\bhow much\b|\bfrequent|\blatest\b|\bmost recent\b|\blast\b(?!\s+\d)"
    r"|^who\b(?! (?:is|was|are|were) (?:the|its) )"
    r"|^what (?:is|was|were) the (?:total )?(?:costs?|labou?r hours|downtime)\b|^what did\b.*\bcost\b"
)
_ASKING = re.compile(
    r"^(?:what|which|why|how|when|where|who|whose|whom|is|are|does|do|did|can|could|should|would|will"
    r"|has|have|was|were|tell|give|show|list)\b"
)
"""How a question opens; a phrase opening otherwise ("work orders that cost more than 500",
"failures on the pumps") that names records asks for those records."""


_READINGS = re.compile(r"\b(?:readings?|values?|samples?|data(?: points?)?|measurements?|sensor data)\b")
"""Words for a series' readings."""
_VALUE = re.compile(r"(?:what|how high|how low) (?:is|was|were|are) (?:the )?")
"""A question asking a value: "what is the UV intensity of UV-501"."""


_WHO_DID = re.compile(r"who (?:did|has|had|last|\w+ed)\b")
"""A question asking who did a piece of work ("who fixed the glue pump"): the records' people
answer it, also when it names a part rather than an asset or a record kind."""


class Route(NamedTuple):
    name: str  # one of ROUTES
    reason: str  # the cue that decided it, for logs and tests


def choose_route(
    question: str,
    named: Named,
    *,
    channels: dict[str, tuple[str, ...]],
    drawing_ids: set[str],
    has_fmea: bool,
    bom_parts: set[str] | None = None,
) -> Route:
    """The answerer for ``question``.

    Args:
        question: the question as asked.
        named: what it names in the base (:func:`~moesaic.reports.ask.resolve.find_names`).
        channels: {asset key: its channel names}, for the assets with series.
        drawing_ids: lower-cased ids, drawing numbers and part numbers of the base's drawings.
        has_fmea: whether the base holds scored FMEA rows.
        bom_parts: lower-cased part numbers of the drawings' bills of materials; a question naming
            one and no record kind ("where is part X used?") is a drawing question.
    """
    text = " ".join(question.lower().split())
    records_noun = bool(RECORD_NOUNS.search(text))
    if has_fmea and FMEA_WORDS.search(text) and not named.assets and not records_noun:
        return Route("fmea", "FMEA words, no asset or record kind named")
    if FMEA_ONLY.search(text) and not records_noun:
        # "the RPN of the AC-01 bearing wear": a score only the FMEA holds, not a bearing channel's
        # reading; a base without scored rows says it has none
        return Route(
            "fmea", "an RPN or FMEA score" + ("" if has_fmea else ", in a base without scored FMEA rows")
        )
    if DRAWING_WORDS.search(text) or any(t.lower() in drawing_ids for t in named.identifiers):
        return Route("drawings", "drawing words or a drawing/part id")
    if not records_noun and any(t.lower() in (bom_parts or set()) for t in named.identifiers):
        return Route("drawings", "a part number of a drawing's bill of materials")
    if is_sequence(question):
        return Route("sequence", "'which ... after ...'")
    asset_channels = [c for a in named.assets for c in channels.get(a, ())]
    # "when did C-201 last have its filter changed": the latest work order, unless a channel is named
    latest_record = LATEST_WORDS.search(text) and match_channel(question, asset_channels) is None
    if asset_channels and RUNNING_WORDS.search(text):
        return Route("series", "how long an asset ran")
    if STUCK_WORDS.search(text) and match_channel(question, asset_channels) is not None:
        return Route("series", "when a channel's readings got stuck")
    if named.assets and ONSET_WORDS.search(text) and not latest_record:
        return Route("series", "when did ... start")
    if asset_channels:
        channel = match_channel(question, asset_channels)
        stats = [name for name, p in STAT_WORDS if p.search(text)]
        asks = TREND_WORDS.search(text) or stats
        # "missing" alone asks about a channel only when one is named ("the missing guard bolt") or
        # its readings are ("how many missing readings does UV-501 have")
        readings = stats != ["missing"] or _READINGS.search(text) is not None
        if asks and (channel is not None or (not records_noun and readings)):
            return Route("series", f"a statistic of channel {channel}")
        if channel is not None and not records_noun and _VALUE.match(text):
            return Route("series", f"the value of channel {channel}")
    if named.assets and not asset_channels and channels and not records_noun:
        # A channel question about an asset without series: the series answerer says it has none.
        every = sorted({c for names in channels.values() for c in names})
        stat = any(p.search(text) for _, p in STAT_WORDS) and match_channel(question, every) is not None
        value = _VALUE.match(text)
        named_channel = value is not None and match_channel(question, every) is not None
        if TREND_WORDS.search(text) or stat or named_channel:
            return Route("series", "a series question about an asset without series")
    if (
        channels
        and not named.assets
        and not records_noun
        and (ONSET_WORDS.search(text) or TREND_WORDS.search(text))
    ):
        return Route("series", "a series question without an asset: the answer asks for one")
    amount = any(re.search(words, text) for words in AMOUNT_WORDS.values())  # "total labour hrs"
    person = re.match(
        r"(?:which|what) (?:\w+ ){0,2}?(?:technician|tech|mechanic|fitter|crew|engineer)s?\b", text
    ) or _WHO_DID.match(text)
    if RELIABILITY.search(text):
        return Route("records", "a reliability figure of the records (MTBF, MTTR)")
    if RECORD_OPS.search(text) and (
        records_noun or named.assets or group_facet(text) or named.identifiers or amount or person
    ):
        return Route("records", "a count, list or aggregate of records")
    if has_fmea and FMEA_WORDS.search(text):
        return Route("fmea", "FMEA words")
    if records_noun and not _ASKING.match(text):
        return Route("records", "a phrase naming records: a list of them")
    return Route("retrieval", "no structured reading")
