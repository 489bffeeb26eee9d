"""Every sentence form a report may hold, and the check that a sentence is one of them.

A form is a template with named slots (``{channel}``, ``{unit}``, ``{asset}``, ...) beside the
numbered placeholders of its quantities (``{0}``, ``{1}``, ...), and the statistic each placeholder
states. The composer writes its sentences through :func:`fill` only. The verifier reads a
sentence's template back into its form and slot values (:meth:`FormChecker.check`) and checks the
slots against the sentence's own quantities and citations: the channels a sentence names are the
channels its numbers and citations are about, in their units; a fault type it names is the one
whose confidence it states; the records it names are the ones it cites. So a sentence whose text
and template were edited together (another channel's name, a negation dropped, numbers swapped)
fails, and so does any sentence the composer cannot write. A sentence reworded by the language
model passes when the report's phrasing record gives the template sentence it rewords, that
sentence is of a form and passes these checks, and the rewording passes the pre-check.

Example:
    >>> fill("channel_spikes", channel="vibration")
    'vibration holds {0} isolated spikes in the window.'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from moesaic.reports.diagnose.claims import ALL_CHANNELS, RecordCitation, Sentence, SeriesCitation
from moesaic.reports.diagnose.rewording import phrased_sentence, precheck
from moesaic.reports.diagnose.wording import short_id, spoken_label

# Why a window shows no fault signature (the summary's reason, one of these).
NO_MOVED_CHANNEL = "no channel moved beyond its baseline"
NO_MOVED_BUT_DEPARTS = (
    "no channel matches a fault's signature, though some readings depart from their baseline level (below)"
)
UNKNOWN_BUT_ALARMED = "it matches no known fault type, though the anomaly detector raised alarms (below)"
UNKNOWN_BUT_DEPARTS = (
    "it matches no known fault type, though some readings depart from their baseline level (below)"
)
LOOKS_NORMAL = "the window looks normal"
NORMAL_REASONS = (
    NO_MOVED_CHANNEL,
    NO_MOVED_BUT_DEPARTS,
    UNKNOWN_BUT_ALARMED,
    UNKNOWN_BUT_DEPARTS,
    LOOKS_NORMAL,
)

_CHANGE = ("baseline_median", "median", "change_percent", "slope_per_day")
_DETECTOR = ("alarm_hours", "peak_score", "threshold")
_EXCURSION = ("excursion_start", "excursion_end", "excursion_mean", "baseline_median", "baseline_spread")
_DETECTOR_HEAD = "The {detector} anomaly detector, fitted on the readings before the window only, "
_NOTE_KNOWN = "The request note names {ids}, found in the base"
_NOTE_UNKNOWN = "request note names identifiers that are not in the base; they were not used."


class Form(NamedTuple):
    """A sentence form: its template and the statistic of each numbered placeholder."""

    template: str
    statistics: tuple[str, ...] = ()


FORMS: dict[str, Form] = {
    # summary
    "no_diagnosis": Form("No diagnosis for {asset} over {span}: {problem}."),
    "no_diagnosis_blind": Form("No diagnosis for {asset}: {problem}."),
    "no_fault": Form(
        "No fault signature on {asset} over {span}: {normal_reason} (confidence of the normal class {0}).",
        ("fault_confidence",),
    ),
    "fault_onset": Form(
        "{asset} shows a probable {label} starting around {1} (confidence {0}), seen on {channels}.",
        ("fault_confidence", "onset"),
    ),
    "fault_onset_earlier": Form(
        "{asset} shows a probable {label} that began before the window, around {1} (confidence {0}), "
        "seen on {channels}.",
        ("fault_confidence", "onset"),
    ),
    "fault": Form(
        "{asset} shows a probable {label} (confidence {0}), seen on {channels}.", ("fault_confidence",)
    ),
    "fault_before": Form(
        "{asset} shows a probable {label} (confidence {0}), seen on {channels}; it began before the "
        "window: the known fault {event} of this asset, recorded from {time}, was still running when "
        "the window opened.",
        ("fault_confidence",),
    ),
    "named_other": Form(
        "Work {orders} of the window {verb} another failure, FMEA row {doc} ({mode}); the fault model "
        "names only the fault types it was trained on, so the {order_word} {weigh} the firmer evidence."
    ),
    "named_unknown": Form(
        "Work {orders} of the window {verb} FMEA row {doc} ({mode}), a failure the fault model may not "
        "know: it names only the fault types it was trained on."
    ),
    "named_unseen": Form(
        "Work {orders} of the window {verb} FMEA row {doc} ({mode}), a failure the readings do not show "
        "clearly."
    ),
    "baseline_drift": Form(
        "{channel} was already moving within the baseline: a median of {0}{unit} over its second half "
        "against {1}{unit} over its first, so the fault may have begun before the window and the "
        "changes above understate it.",
        ("median", "baseline_median"),
    ),
    "note_known": Form(_NOTE_KNOWN + "."),
    "note_unknown": Form("The " + _NOTE_UNKNOWN),
    "note_both": Form(_NOTE_KNOWN + "; the " + _NOTE_UNKNOWN),
    "no_summary": Form("No verified summary could be given for {asset}; see the evidence below."),
    # evidence
    "after_fault": Form(
        "The known fault {event} of this asset was still running when the window opened; only the "
        "readings from {time} on are compared."
    ),
    "baseline_orders": Form(
        "The base labels no fault, so the readings are compared with {span}, clear of the fortnight "
        "either side of corrective work {orders} {docs}, when a fault may already have been running."
    ),
    "open_fault": Form(
        "The known fault {event} of this asset ({fault_record}), recorded from {time}, was still "
        "running when the window opened."
    ),
    "standstill": Form(
        "{asset} stands still part of the time: {channel} at or under {0}{unit} in {1} % of the "
        "baseline's readings and {2} % of the window's. Those readings are left out of every figure "
        "below, which compares running readings only.",
        ("standstill_level", "baseline_stopped_percent", "stopped_percent"),
    ),
    "detector_alarm": Form(
        _DETECTOR_HEAD
        + "was in alarm for {0} hours of the window; peak score {1} against a threshold of {2}.",
        _DETECTOR,
    ),
    "detector_quiet": Form(
        _DETECTOR_HEAD + "raised no alarm ({0} hours); peak score {1} against a threshold of {2}.", _DETECTOR
    ),
    "detector_brief": Form(
        _DETECTOR_HEAD + "raised no alarm ({0} hours): its score passed the threshold of {2} (peak {1}) "
        "for fewer steps in a row than an alarm needs.",
        _DETECTOR,
    ),
    "channel_change": Form(
        "{channel} went from a median of {0}{unit} before the window to {1}{unit} in it ({2} %), "
        "with a trend of {3}{unit} per day.",
        _CHANGE,
    ),
    "channel_excursion": Form(
        "{channel} left its baseline level from {0} to {1}: a mean of {2}{unit} there against a "
        "baseline median of {3}{unit} (spread {4}{unit}).",
        _EXCURSION,
    ),
    "channel_noise": Form(
        "{channel} changes from reading to reading {0} times as much as before.", ("noise_ratio",)
    ),
    "channel_spikes": Form("{channel} holds {0} isolated spikes in the window.", ("spike_count",)),
    "channel_flat": Form("{channel} repeated exactly the same reading for {0} hours.", ("flat_hours",)),
    "no_change": Form("No marked change on {channels}."),
    "no_change_alarmed": Form(
        "No marked change in the level of {channels}, each taken alone; the detector's alarms above "
        "come from smaller or joint departures."
    ),
    "control_alarm": Form("The control system raised the alarm '{text}' during the window."),
    "outlook": Form(
        "Seasonal-naive outlook: if the last day repeats, {channel} ends the next day near {0}{unit}.",
        ("outlook",),
    ),
    "outlook_running": Form(
        "Seasonal-naive outlook: if the last day repeats, {channel} runs the next day near {0}{unit}, "
        "the median of its last day's running readings.",
        ("outlook_running",),
    ),
    # causes
    "cause": Form("Cause ranked {rank}: {label}, confidence {0}.", ("fault_confidence",)),
    "fmea_row": Form("FMEA row {doc} ({mode}){fmea_details}."),
    "no_fmea": Form("No FMEA row of this asset type matches the probable fault."),
    "named_fmea": Form("Work {orders} of the window {verb} FMEA row {doc} ({mode})."),
    # actions
    "fmea_action": Form("FMEA row {doc} recommends: {text}."),
    "episode_action": Form(
        'On the similar past episode {event} ({episode_label}), work order {doc} recorded: "{text}".'
    ),
    "no_action": Form("No FMEA row or past work order gives an action for this case; none is suggested."),
    # history
    "episode": Form("Similar past episode {event} on {other_asset}: {episode_label}."),
    "work_order": Form('Work order {doc}: "{text}".'),
    "no_history": Form("The base holds no similar past episode and no recent work order of this asset."),
    "drawing": Form("Drawing {doc} of this asset is on file{drawing_details}."),
}
"""Form name -> form: every sentence a report may hold."""
STILL_FORMS = ("no_change", "no_change_alarmed")  # forms that say the channels they cite did not move

_SLOT = re.compile(r"\{(\d+|[a-z_]+)\}")
_STORED = re.compile(r"\{\{|\}\}|\{(\d+)\}")  # in a stored template: a doubled brace or a placeholder
_FIXED = {  # slot -> pattern, where a slot is narrower than any text
    "time": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    "detector": r"\w+",
    "rank": "first|second|third|next",
    "normal_reason": "|".join(re.escape(r) for r in NORMAL_REASONS),
    "fmea_details": r"(?:; effects: .+?)?(?:; known causes: .+?)?",
    "drawing_details": (
        r'(?:: ".*?")?(?:, revision ".*?")?(?:; its parts list names ".*?"(?: \(part ".*?"\))?)?'
    ),
}


def fill(name: str, **slots: str) -> str:
    """The template of form ``name`` with its named slots filled and its placeholders kept.

    Raises:
        KeyError: an unknown form or a slot not given (our own invariant: forms are ours).
    """
    return _SLOT.sub(
        lambda m: m.group(0) if m.group(1).isdigit() else slots[m.group(1)], FORMS[name].template
    )


def _placeholder(index: str) -> str:
    return f"\x00{index}\x00"


def _skeleton(template: str) -> str:
    """A stored template with its placeholders marked and its doubled braces single again."""
    return _STORED.sub(lambda m: _placeholder(m.group(1)) if m.group(1) else m.group(0)[0], template)


def _either(names: list[str]) -> str:
    """A pattern for any of ``names`` (longest first, so that no name stops inside another)."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) or "(?!)"


class FormCheck(NamedTuple):
    """Which form a sentence is of (None when of none) and what its slots contradict."""

    form: str | None
    problems: tuple[str, ...]


class FormChecker:
    """Reads sentences back into the forms of one asset's report.

    Args:
        channel_units: the asset's channels, each with its unit ("" when it has none).
        rewordings: reworded sentence text -> the template sentence text it rewords, for the
            rewordings the report's phrasing record says passed.
    """

    def __init__(self, channel_units: Mapping[str, str], rewordings: Mapping[str, str] | None = None) -> None:
        self.units = dict(channel_units)
        self.rewordings = dict(rewordings or {})
        self.protected = set(self.units) | {u for u in self.units.values() if u}
        channel = _either(list(self.units))
        unit = _either(sorted({u for u in self.units.values() if u}))
        fragments = {
            **_FIXED,
            "channel": channel,
            "channels": f"(?:{channel})(?:, (?:{channel}))*",
            "unit": f"(?: (?:{unit}))?",
        }
        self.patterns = {name: _pattern(form.template, fragments) for name, form in FORMS.items()}

    def match(self, template: str) -> tuple[str, dict[str, str]] | None:
        """The form of ``template`` and its slot values; None when it is of no form."""
        skeleton = _skeleton(template)
        for name, pattern in self.patterns.items():
            found = pattern.fullmatch(skeleton)
            if found is not None:
                return name, found.groupdict()
        return None

    def check(self, sentence: Sentence) -> FormCheck:
        """The form of ``sentence`` (or of the template sentence it rewords) and what contradicts it."""
        direct = self._check_form(sentence)
        original = self.rewordings.get(_text(sentence))
        if (direct.form is not None and not direct.problems) or original is None:
            return direct
        source = phrased_sentence(sentence, original)
        if source is None:
            return direct
        why = precheck(original, sentence.text, protected=self.protected)
        if why:
            return FormCheck(None, (f"it rewords {original!r} but fails the pre-check: {why}",))
        reworded = self._check_form(source)
        if reworded.form is None:
            return FormCheck(None, (f"it rewords {original!r}, which is not a sentence a report writes",))
        return reworded

    def _check_form(self, sentence: Sentence) -> FormCheck:
        found = self.match(sentence.template)
        if found is None:
            return FormCheck(None, (f"its template is not one a report writes: {sentence.template!r}",))
        name, slots = found
        return FormCheck(name, tuple(self._contradictions(FORMS[name], slots, sentence)))

    def _contradictions(self, form: Form, slots: dict[str, str], sentence: Sentence) -> list[str]:
        stated = tuple(q.statistic for q in sentence.quantities)
        problems = []
        if stated != form.statistics:
            problems.append(
                f"its numbers are {list(stated)} where this sentence states {list(form.statistics)}"
            )
        named = [slots["channel"]] if "channel" in slots else slots.get("channels", "").split(", ")
        if "channel" in slots or "channels" in slots:
            about = channels_about(sentence)
            if set(named) != about:
                problems.append(
                    f"it names {', '.join(named)} but its numbers and citations are about "
                    f"{', '.join(sorted(about)) or 'no single channel'}"
                )
        if slots.get("unit") is not None and slots["unit"].strip() != self.units.get(named[0], ""):
            problems.append(
                f"it gives {named[0]} the unit {slots['unit'].strip()!r}; its series says "
                f"{self.units.get(named[0], '')!r}"
            )
        labels = {
            spoken_label(str(q.params["fault_type"])) for q in sentence.quantities if "fault_type" in q.params
        }
        if "label" in slots and labels != {slots["label"]}:
            problems.append(
                f"it names the fault type {slots['label']!r} but states the confidence of {sorted(labels)}"
            )
        for slot, tables in (
            ("asset", ("assets",)),
            ("event", ("events",)),
            ("doc", ("documents", "drawings")),
        ):
            cited = _cited_ids(sentence, tables)
            if slot in slots and (cited or slot != "asset") and slots[slot] not in cited:
                problems.append(f"it names {slots[slot]!r} but cites {sorted(cited) or 'no such record'}")
        return problems


def _pattern(template: str, fragments: Mapping[str, str]) -> re.Pattern[str]:
    parts, seen, last = [], set(), 0
    for m in _SLOT.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        key = m.group(1)
        if key.isdigit():
            parts.append(re.escape(_placeholder(key)))
        elif key in seen:  # the same slot again (a unit): the same text again
            parts.append(f"(?P={key})")
        else:
            seen.add(key)
            parts.append(f"(?P<{key}>{fragments.get(key, '.+?')})")
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _text(sentence: Sentence) -> str:
    """The sentence's text ("" when its template cannot be filled: another check says so)."""
    try:
        return sentence.text
    except (IndexError, KeyError, ValueError):
        return ""


def channels_about(sentence: Sentence) -> set[str]:
    """The channels the quantities and series citations of ``sentence`` are about (``*`` aside)."""
    about = {c.channel for c in sentence.citations if isinstance(c, SeriesCitation)}
    for q in sentence.quantities:
        about.add(q.source.channel)
        if "channel" in q.params:
            about.add(str(q.params["channel"]))
        channels = q.params.get("channels", ())
        about.update(str(c) for c in (channels if isinstance(channels, list | tuple) else [channels]))
    return about - {ALL_CHANNELS}


def _cited_ids(sentence: Sentence, tables: tuple[str, ...]) -> set[str]:
    """Ids (full and short) of the records of ``tables`` that ``sentence`` cites; for assets, also
    the assets of its series citations."""
    ids = {c.record_id for c in sentence.citations if isinstance(c, RecordCitation) and c.table in tables}
    if "assets" in tables:
        ids |= {c.asset_id for c in sentence.citations if isinstance(c, SeriesCitation)}
    return ids | {short_id(i) for i in ids}
