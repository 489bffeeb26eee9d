"""The verifier: every report is checked against the base before it is written.

For each sentence: it has a citation and every citation resolves (series windows hold readings of
the cited channel and overlap the report's window or its baseline; records exist; alarms cited as
evidence fall in the window); every quote appears verbatim in its record; every number in the
text is a stated quantity and every quantity, recomputed from the base, lies within its
tolerance; every time printed is a cited bound or a stated time quantity; every identifier exists
in the base; the text a report file shows (``Sentence.file_text``) is the template filled with the
stated numbers, word for word, so that what a reader sees is what was checked (and the numbers are
judged by the tolerance their writing allows, not the one the file states); the template is one
of the forms the composer writes, naming the channels, fault type and records its quantities and
citations are about (:mod:`moesaic.reports.diagnose.forms`; a reworded sentence, through the
template sentence it rewords); and a sentence saying a channel did not change markedly cites no
channel whose level, recomputed against the baseline, leaves it (an excursion). A sentence whose
only fault is a number off its tolerance is rewritten with the recomputed numbers; any other
failure removes it. What was removed or rewritten is recorded in the report. The diagnosis block
must say what the kept summary says (:mod:`moesaic.reports.diagnose.verify_diagnosis`); the
verified report carries the block they support.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from typing import Any, NamedTuple

import pandas as pd

from moesaic.knowledge.links import identifiers_in
from moesaic.reports.diagnose.claims import (
    ALL_CHANNELS,
    Diagnosis,
    Quantity,
    RecordCitation,
    Removal,
    Report,
    Sentence,
    SeriesCitation,
    format_time,
)
from moesaic.reports.diagnose.episodes import BASELINE_DAYS
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.reports.diagnose.forms import STILL_FORMS, FormChecker, fill
from moesaic.reports.diagnose.recompute import WindowReader, recompute
from moesaic.reports.diagnose.source import EvidenceBase, record_strings
from moesaic.reports.diagnose.stats import level_held
from moesaic.reports.diagnose.verify_caveats import missing_caveats
from moesaic.reports.diagnose.verify_diagnosis import diagnosis_problems, supported_diagnosis
from moesaic.reports.diagnose.wording import DATETIME, NUMBER, literal_braces, number

_WORD_OR_MARK = re.compile(r"\d+(?:\.\d+)?|\w+|[^\w\s]")  # what a text difference is counted in


class SentenceCheck(NamedTuple):
    """The verdict on one sentence."""

    problems: tuple[str, ...]  # failures that remove the sentence
    corrected: tuple[Quantity, ...] | None  # recomputed quantities when only numbers were off
    numbers: int  # quantities checked
    numbers_ok: int  # quantities within tolerance
    unknown: tuple[str, ...]  # identifiers absent from the base


class Verification(NamedTuple):
    """The verified report and what the verifier counted."""

    report: Report
    sentences: int  # sentences checked
    kept: int  # of them, kept (verified or rewritten); a fallback summary is not counted
    rewritten: int
    numbers: int
    numbers_ok: int
    unknown_identifiers: tuple[str, ...]
    failed: tuple[int, ...] = ()  # positions (from 0) of the sentences removed or rewritten, in order
    diagnosis_problems: tuple[str, ...] = ()  # how the file's diagnosis block differs from its sentences'
    missing: tuple[str, ...] = ()  # caveats the kept figures need and no sentence gives (verify_caveats)


def number_text(value: float, like: str, tolerance: float = 0.0) -> str:
    """``value`` written with the decimals its ``tolerance`` implies (half a last digit), else as
    many as ``like`` has, and with the explicit sign of ``like``, if any."""
    if tolerance > 0:
        decimals = max(0, round(-math.log10(2 * tolerance)))
    else:
        decimals = len(like.split(".")[1]) if "." in like else 0
    text = f"{value:.{decimals}f}"
    return f"+{text}" if like.startswith("+") and value >= 0 else text


def shown_text(sentence: Sentence) -> str:
    """The text a reader of the report sees for ``sentence``: the text its file gave it, else the
    template filled with its quantities (the template itself when they do not fit it)."""
    if sentence.file_text is not None:
        return sentence.file_text
    try:
        return sentence.text
    except (IndexError, KeyError, ValueError):
        return sentence.template


def text_difference(shown: str, verified: str) -> str:
    """How ``shown`` departs from ``verified``, word by word ("" when they are equal).

    Example:
        >>> text_difference("peak score 17.1.", "peak score 1.71.")
        "it says '17.1' where the verified sentence says '1.71'"
    """
    if shown == verified:
        return ""
    a = [m.span() for m in _WORD_OR_MARK.finditer(shown)]
    b = [m.span() for m in _WORD_OR_MARK.finditer(verified)]
    matcher = difflib.SequenceMatcher(
        None, [shown[i:j] for i, j in a], [verified[i:j] for i, j in b], autojunk=False
    )
    parts = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        said = shown[a[i1][0] : a[i2 - 1][1]] if i2 > i1 else ""
        meant = verified[b[j1][0] : b[j2 - 1][1]] if j2 > j1 else ""
        if not said:
            parts.append(f"it leaves out {meant!r}")
        elif not meant:
            parts.append(f"it adds {said!r}")
        else:
            parts.append(f"it says {said!r} where the verified sentence says {meant!r}")
    return "; ".join(parts) or "it differs in spacing"


def _stated(q: Quantity) -> float:
    if q.is_time:
        return pd.Timestamp(q.text).timestamp()
    return float(q.text)


def channel_units(base: EvidenceBase, asset_id: str) -> dict[str, str]:
    """The channels of the asset's series, each with its unit ("" when none; empty for an unknown asset)."""
    try:
        data = base.asset_data(asset_id, start=pd.Timestamp.max - pd.Timedelta(days=1))
    except (KeyError, ValueError):
        return {}
    out: dict[str, str] = {}
    for s in data.series:
        units = dict(s.meta.get("units", {}))
        out.update({c: str(units.get(c, "") or "") for c in s.channels})
    return out


def channel_and_unit_names(base: EvidenceBase, asset_id: str) -> set[str]:
    """The channel names and units of the asset's series, as written (empty for an unknown asset)."""
    return _names(channel_units(base, asset_id))


def _names(units: dict[str, str]) -> set[str]:
    return set(units) | {u for u in units.values() if u}


EVENT_TIME_KEYS = ("start", "end", "t_start", "t_end")  # an event's times, in memory and in the base


def allowed_tokens(base: EvidenceBase, asset_id: str) -> set[str]:
    """Units and channel names of the asset's series: tokens that are not identifiers of records."""
    return {t.casefold() for t in channel_and_unit_names(base, asset_id)}


def _check_citation(
    base: EvidenceBase, reader: WindowReader, c: Any, lo: pd.Timestamp, hi: pd.Timestamp, section: str
) -> str:
    if isinstance(c, SeriesCitation):
        if c.end < lo or c.start > hi:
            return (
                f"series citation {c.asset_id}/{c.channel} [{c.start}, {c.end}] is outside the report window"
            )
        try:
            cited = reader.window(c, None)
        except LookupError as err:
            return f"series citation does not resolve: {err}"
        if c.channel != ALL_CHANNELS and c.channel not in cited.window.channels:
            return f"series citation: {c.asset_id} has no channel {c.channel!r}"
        return ""
    assert isinstance(c, RecordCitation)
    try:
        record = base.record(c.table, c.record_id)
    except (KeyError, ValueError) as err:
        return f"record citation {c.table}/{c.record_id} does not resolve ({err})"
    if record is None:
        return f"record citation {c.table}/{c.record_id} does not resolve"
    if section == "evidence" and c.table == "events":
        bounds = [v for k, v in record.items() if k in EVENT_TIME_KEYS]
        times = [pd.Timestamp(v) for v in bounds if v is not None and not isinstance(v, int) and pd.notna(v)]
        if times and (max(times) < lo or min(times) > hi):
            return f"event {c.record_id} cited as evidence lies outside the report window"
    return ""


def check_sentence(
    base: EvidenceBase,
    sentence: Sentence,
    *,
    window: tuple[pd.Timestamp, pd.Timestamp],
    classifier: FaultClassifier,
    allowed: set[str],
    reader: WindowReader | None = None,
) -> SentenceCheck:
    """Every check of the module docstring on one sentence; ``window`` bounds what it may cite."""
    reader = reader if reader is not None else WindowReader(base, span=window)
    problems: list[str] = []
    try:
        text = sentence.text
    except (IndexError, KeyError, ValueError) as err:
        problem = (
            f"template {sentence.template!r} cannot be filled with its {len(sentence.quantities)} "
            f"quantities ({type(err).__name__}: {err})"
        )
        return SentenceCheck((problem,), None, len(sentence.quantities), 0, ())
    if not sentence.citations:
        problems.append("no citation")
    lo, hi = window
    for c in sentence.citations:
        problem = _check_citation(base, reader, c, lo, hi, sentence.section)
        if problem:
            problems.append(problem)
    bare = text
    for quote in sentence.quotes:
        record = base.record(quote.table, quote.record_id)
        if record is None or not any(quote.text in s for s in record_strings(record)):
            problems.append(f"quote not found in {quote.table}/{quote.record_id}: {quote.text!r}")
        quoted = f'"{quote.text}"'  # the quote as written: a short one ("A") must not blank other words
        bare = bare.replace(quoted, " ") if quoted in bare else bare.replace(quote.text, " ")
    unknown = tuple(
        t for t in identifiers_in(text) if t.casefold() not in allowed and not base.identifier_exists(t)
    )
    problems += [f"identifier {t!r} is not in the base" for t in unknown]
    times = {
        format_time(b) for c in sentence.citations if isinstance(c, SeriesCitation) for b in (c.start, c.end)
    }
    times |= {q.text for q in sentence.quantities if q.is_time}
    times |= _event_times(base, sentence)
    for stamp in DATETIME.findall(bare):
        if stamp not in times:
            problems.append(f"time {stamp} is neither a cited bound nor a stated time quantity")
    bare = DATETIME.sub(" ", bare)
    cited_ids = {c.record_id.rpartition(":")[2] for c in sentence.citations if isinstance(c, RecordCitation)}
    for token in [*identifiers_in(bare), *cited_ids]:  # "Work order 400110": a cited record's own id
        bare = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", " ", bare)
    stated = {float(q.text) for q in sentence.quantities if not q.is_time}
    for token in NUMBER.findall(bare):
        if float(token) not in stated and abs(float(token)) not in {abs(v) for v in stated}:
            problems.append(f"number {token} is not a stated quantity")
    corrected, ok = [], 0
    for q in sentence.quantities:
        try:
            value = recompute(reader, q, classifier)
        except (LookupError, ValueError) as err:
            problems.append(f"quantity {q.text} ({q.statistic}) cannot be recomputed: {err}")
            corrected.append(q)
            continue
        tolerance = q.written_tolerance + 1e-9 * max(1.0, abs(value))
        # the stored full-precision value is what a program reading the file takes: it too must hold
        if (
            math.isfinite(value)
            and abs(value - _stated(q)) <= tolerance
            and abs(value - q.value) <= 2 * tolerance
        ):
            ok += 1
            corrected.append(q)
        elif math.isfinite(value):
            rewritten = (
                format_time(pd.Timestamp(value, unit="s"))
                if q.is_time
                else number_text(value, q.text, min(q.tolerance, q.written_tolerance))
            )
            corrected.append(dataclasses.replace(q, text=rewritten, value=value))
        else:
            problems.append(f"quantity {q.text} ({q.statistic}) has no value in the cited window")
            corrected.append(q)
    if sentence.file_text is not None and sentence.file_text != text:
        verified = sentence.template.format(*(q.text for q in corrected))
        problems.append(
            f"the text does not match its verified form: {text_difference(sentence.file_text, verified)} "
            f"(the verified sentence, its numbers recomputed from the base: {verified!r})"
        )
    changed = any(
        (a.text, a.value) != (b.text, b.value) for a, b in zip(corrected, sentence.quantities, strict=True)
    )
    return SentenceCheck(
        tuple(problems), tuple(corrected) if changed else None, len(sentence.quantities), ok, unknown
    )


def _event_times(base: EvidenceBase, sentence: Sentence) -> set[str]:
    """The start and end, as a sentence writes them, of the events ``sentence`` cites."""
    out = set()
    for c in sentence.citations:
        if not isinstance(c, RecordCitation) or c.table != "events":
            continue
        record = base.record(c.table, c.record_id) or {}
        for value in (record.get(k) for k in EVENT_TIME_KEYS):
            if value is not None and not isinstance(value, int) and pd.notna(value):
                out.add(format_time(pd.Timestamp(value)))
    return out


def _departing(
    reader: WindowReader, sentence: Sentence, d: Diagnosis, classifier: FaultClassifier
) -> list[str]:
    """Why ``sentence``, which says no marked change on the channels it cites, is wrong: the
    cited channels the diagnosis reads as moved, and those whose level, recomputed against the
    report's baseline, has an excursion."""
    cited = [c for c in sentence.citations if isinstance(c, SeriesCitation) and c.channel != ALL_CHANNELS]
    problems = [
        f"it says no marked change on {c.channel}, but the diagnosis reads {c.channel} as moved"
        for c in cited
        if c.channel in d.channels
    ]
    if d.baseline_start is None or d.baseline_end is None:
        return problems  # a report written before baselines were recorded: nothing to compare with
    for c in cited:
        baseline = SeriesCitation(c.asset_id, c.channel, d.baseline_start, d.baseline_end)
        try:
            mean, now, before, spread, days = (
                recompute(reader, Quantity("", math.nan, stat, c, baseline), classifier)
                for stat in (
                    "excursion_mean",
                    "median",
                    "baseline_median",
                    "baseline_spread",
                    "baseline_day_spread",
                )
            )
        except (LookupError, ValueError):
            continue  # the citation check says why it does not resolve
        if math.isfinite(mean):
            problems.append(
                f"it says no marked change on {c.channel}, but {c.channel} leaves its baseline level "
                f"(an excursion averaging {number(mean)[0]})"
            )
        elif not level_held(now, before, spread, days):
            least = min((x for x in (spread, days) if math.isfinite(x)), default=spread)
            problems.append(
                f"it says no marked change on {c.channel}, but its median moved from {number(before)[0]} "
                f"to {number(now)[0]}, more than the baseline's spread of {number(least)[0]}"
            )
    return problems


def verify_report(report: Report, base: EvidenceBase, *, classifier: FaultClassifier) -> Verification:
    """Check every sentence of ``report``; keep, rewrite or remove each, and record what changed."""
    d = report.diagnosis
    first = d.baseline_start if d.baseline_start is not None else d.start - pd.Timedelta(days=BASELINE_DAYS)
    window = (min(first, d.start), d.end)
    units = channel_units(base, d.asset_id)
    allowed = {t.casefold() for t in _names(units)}  # as allowed_tokens, from one read
    rewordings = {} if report.phrasing is None else report.phrasing.passed_rewordings()
    forms = FormChecker(units, rewordings)
    kept: list[Sentence] = []
    kept_forms: list[str | None] = []
    removed = list(report.removed)
    numbers = numbers_ok = rewritten = 0
    unknown: list[str] = []
    failed: list[int] = []
    reader = WindowReader(base, span=window)
    for position, sentence in enumerate(report.sentences):
        check = check_sentence(
            base, sentence, window=window, classifier=classifier, allowed=allowed, reader=reader
        )
        form = forms.check(sentence)
        still = _departing(reader, sentence, d, classifier) if form.form in STILL_FORMS else []
        if form.problems or still:
            check = check._replace(problems=(*check.problems, *form.problems, *still))
        numbers += check.numbers
        numbers_ok += check.numbers_ok
        if check.problems:
            unknown += check.unknown
            removed.append(Removal(shown_text(sentence), "; ".join(check.problems)))
            failed.append(position)
        elif check.corrected is not None:
            fixed = dataclasses.replace(sentence, quantities=check.corrected, file_text=None)
            removed.append(
                Removal(shown_text(sentence), "numbers differ from the recomputed evidence", fixed.text)
            )
            kept.append(fixed)
            kept_forms.append(form.form)
            rewritten += 1
            failed.append(position)
        else:
            kept.append(sentence)
            kept_forms.append(form.form)
    verified = len(kept)
    missing = missing_caveats(kept, kept_forms, reader)
    supported = supported_diagnosis(d, kept, written=report.sentences)
    stated = (q for s in kept if s.section == "summary" for q in s.quantities)
    confidence = next((q for q in stated if q.statistic == "fault_confidence"), None)
    tolerance = 2 * confidence.written_tolerance if confidence is not None else 0.0
    if not any(s.section == "summary" for s in kept):
        kept.insert(
            0,
            Sentence(
                "summary",
                literal_braces(fill("no_summary", asset=d.asset_id), 0),
                citations=(RecordCitation("assets", d.asset_id),),
            ),
        )
    out = dataclasses.replace(
        report, diagnosis=supported, sentences=tuple(kept), removed=tuple(removed), verified=True
    )
    return Verification(
        out,
        len(report.sentences),
        verified,
        rewritten,
        numbers,
        numbers_ok,
        tuple(unknown),
        tuple(failed),
        diagnosis_problems(d, supported, tolerance=tolerance),
        missing,
    )
