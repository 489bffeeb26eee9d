"""Sentences from evidence: fixed templates over the structured evidence, each with its citations.

Nothing here computes a finding; it phrases what :mod:`moesaic.reports.diagnose.evidence` computed and
records, for every number, the statistic and windows that give it back. Without evidence the
summary says so and no fault type is named.
"""

from __future__ import annotations

import pandas as pd

from moesaic.reports.diagnose.claims import (
    ALL_CHANNELS,
    Citation,
    Diagnosis,
    Quantity,
    Quote,
    RecordCitation,
    Sentence,
    SeriesCitation,
    format_time,
)
from moesaic.reports.diagnose.evidence import ChannelChange, Evidence
from moesaic.reports.diagnose.faults import NORMAL
from moesaic.reports.diagnose.history import DrawingOnFile
from moesaic.reports.diagnose.wording import literal_braces, number, rank_word, short_id, spoken_label

MAX_CHANNEL_SENTENCES = 4
MIN_CAUSE_CONFIDENCE = 0.05
NOISE_RATIO = 1.5  # noisier than this many times the baseline is worth a sentence


class Composer:
    """Builds the sentences of one report from one :class:`Evidence`."""

    def __init__(self, ev: Evidence) -> None:
        self.ev = ev
        self.request = SeriesCitation(ev.asset_id, ALL_CHANNELS, ev.start, ev.end)
        self.window = SeriesCitation(ev.asset_id, ALL_CHANNELS, ev.read_from, ev.end)  # the readings used
        self.baseline = SeriesCitation(ev.asset_id, ALL_CHANNELS, ev.baseline_start, ev.baseline_end)
        self.bounds = (ev.baseline_start, ev.baseline_end)
        self.sentences: list[Sentence] = []

    def quantity(
        self,
        value: float,
        statistic: str,
        *,
        channel: str = ALL_CHANNELS,
        sign: bool = False,
        integer: bool = False,
        **params: object,
    ) -> Quantity:
        text, tolerance = number(value, sign=sign, integer=integer)
        source = SeriesCitation(self.ev.asset_id, channel, self.ev.read_from, self.ev.end)
        baseline = SeriesCitation(self.ev.asset_id, channel, self.ev.baseline_start, self.ev.baseline_end)
        return Quantity(text, value, statistic, source, baseline, dict(params), tolerance)

    def add(
        self,
        section: str,
        template: str,
        quantities: tuple[Quantity, ...] = (),
        citations: tuple[Citation, ...] = (),
        quotes: tuple[Quote, ...] = (),
    ) -> None:
        template = literal_braces(template, len(quantities))
        self.sentences.append(Sentence(section, template, quantities, citations, quotes))

    # ------------------------------------------------------------------ sections

    def summary(self) -> Diagnosis:
        ev = self.ev
        span = f"{format_time(ev.start)} to {format_time(ev.end)}"
        asset = RecordCitation("assets", ev.asset_id)
        if ev.problems or ev.fault is None:
            reason = "; ".join(ev.problems) or "no evidence"
            if ev.readings:
                self.add(
                    "summary",
                    f"No diagnosis for {short_id(ev.asset_id)} over {span}: {reason}.",
                    citations=(asset, self.request),
                )
            else:  # no reading to cite, so no time either: the report's header gives the window
                self.add(
                    "summary", f"No diagnosis for {short_id(ev.asset_id)}: {reason}.", citations=(asset,)
                )
            return Diagnosis(ev.asset_id, ev.start, ev.end, None, None, (), None, True, reason, *self.bounds)
        fault = ev.fault
        conf = self.quantity(fault.confidence, "fault_confidence", fault_type=fault.label)
        moved = ev.moved
        if fault.label == NORMAL or not moved:
            alarmed = ev.detector is not None and ev.detector.alarm_hours > 0
            if fault.label != NORMAL:
                reason = "no channel moved beyond its baseline"
            elif alarmed:  # never "looks normal" beside the detector's own alarms
                reason = "it matches no known fault type, though the anomaly detector raised alarms (below)"
            else:
                reason = "the window looks normal"
            template = (
                f"No fault signature on {short_id(ev.asset_id)} over {span}: {reason} "
                "(confidence of the normal class {0})."
            )
            normal = self.quantity(dict(fault.ranked).get(NORMAL, 0.0), "fault_confidence", fault_type=NORMAL)
            self.add("summary", template, (normal,), (asset, self.request, self.window))
            return Diagnosis(
                ev.asset_id, ev.start, ev.end, None, None, moved, None, True, reason, *self.bounds
            )
        cited = tuple(SeriesCitation(ev.asset_id, c, ev.read_from, ev.end) for c in moved)
        names = ", ".join(moved)
        if ev.onset is not None:
            params: dict[str, object] = {"channels": list(moved), "shape": ev.onset_shape}
            if ev.history:  # the healthy stretches the onset's healthy model was fitted on
                params["history"] = [
                    [pd.Timestamp(a).isoformat(), pd.Timestamp(b).isoformat()] for a, b in ev.history
                ]
            onset = Quantity(
                format_time(ev.onset), ev.onset.timestamp(), "onset", self.window, self.baseline, params, 0.0
            )
            template = (
                f"{short_id(ev.asset_id)} shows a probable {spoken_label(fault.label)} starting around {{1}} "
                f"(confidence {{0}}), seen on {names}."
            )
            self.add("summary", template, (conf, onset), (asset, *cited))
        else:
            template = (
                f"{short_id(ev.asset_id)} shows a probable {spoken_label(fault.label)} (confidence {{0}}), "
                f"seen on {names}."
            )
            self.add("summary", template, (conf,), (asset, *cited))
        return Diagnosis(
            ev.asset_id,
            ev.start,
            ev.end,
            fault.label,
            fault.confidence,
            moved,
            ev.onset,
            False,
            "",
            *self.bounds,
        )

    def evidence(self) -> None:
        ev = self.ev
        if ev.after_fault:
            self.add(
                "evidence",
                f"The known fault {short_id(ev.after_fault)} of this asset was still running when the window "
                f"opened; only the readings from {format_time(ev.read_from)} on are compared.",
                citations=(RecordCitation("events", ev.after_fault), self.window),
            )
        if ev.detector is not None:
            det = ev.detector
            hours = self.quantity(det.alarm_hours, "alarm_hours")
            peak = self.quantity(det.peak_score, "peak_score")
            threshold = self.quantity(det.threshold, "threshold")
            what = (
                "was in alarm for {0} hours of the window"
                if det.alarm_hours > 0
                else "raised no alarm ({0} hours)"
            )
            template = (
                f"The {det.name} anomaly detector, fitted on the readings before the window only, {what}; "
                "peak score {1} against a threshold of {2}."
            )
            self.add("evidence", template, (hours, peak, threshold), (self.window, self.baseline))
        ranked = sorted(ev.changes, key=lambda c: (not c.moved, -c.contribution))
        for change in [c for c in ranked if c.moved][:MAX_CHANNEL_SENTENCES]:
            self._channel(change)
        still = [c.channel for c in ranked if not c.moved]
        if still and ev.changes:
            cites = tuple(SeriesCitation(ev.asset_id, c, ev.read_from, ev.end) for c in still)
            self.add("evidence", f"No marked change on {', '.join(still)}.", citations=cites)
        for alarm in ev.alarms:
            cite = (
                RecordCitation("events", alarm.event_id),
                SeriesCitation(ev.asset_id, alarm.channels[0], ev.read_from, ev.end)
                if alarm.channels and alarm.channels[0] in {c.channel for c in ev.changes}
                else self.window,
            )
            self.add(
                "evidence",
                f"The control system raised the alarm '{alarm.label}' during the window.",
                citations=cite,
            )
        if ev.outlook is not None:
            o = ev.outlook
            value = self.quantity(o.median, "outlook", channel=o.channel)
            value = Quantity(
                value.text,
                value.value,
                "outlook",
                self.window,
                self.baseline,
                {"channel": o.channel},
                value.tolerance,
            )
            unit = self._unit(o.channel)
            self.add(
                "evidence",
                f"Seasonal-naive outlook: if the last day repeats, {o.channel} ends the next day "
                f"near {{0}}{unit}.",
                (value,),
                (SeriesCitation(ev.asset_id, o.channel, ev.read_from, ev.end),),
            )

    def _unit(self, channel: str) -> str:
        unit = next((c.unit for c in self.ev.changes if c.channel == channel), "")
        return f" {unit}" if unit else ""

    def _channel(self, c: ChannelChange) -> None:
        ev, unit = self.ev, self._unit(c.channel)
        cite = (
            SeriesCitation(ev.asset_id, c.channel, ev.read_from, ev.end),
            SeriesCitation(ev.asset_id, c.channel, ev.baseline_start, ev.baseline_end),
        )
        v = c.values
        qs = (
            self.quantity(v["baseline_median"], "baseline_median", channel=c.channel),
            self.quantity(v["median"], "median", channel=c.channel),
            self.quantity(v["change_percent"], "change_percent", channel=c.channel, sign=True),
            self.quantity(v["slope_per_day"], "slope_per_day", channel=c.channel, sign=True),
        )
        self.add(
            "evidence",
            f"{c.channel} went from a median of {{0}}{unit} before the window to {{1}}{unit} in it "
            f"({{2}} %), with a trend of {{3}}{unit} per day.",
            qs,
            cite,
        )
        if v["noise_ratio"] >= NOISE_RATIO:
            q = self.quantity(v["noise_ratio"], "noise_ratio", channel=c.channel)
            self.add(
                "evidence",
                f"{c.channel} changes from reading to reading {{0}} times as much as before.",
                (q,),
                cite,
            )
        if v["spike_count"] >= 2:
            q = self.quantity(v["spike_count"], "spike_count", channel=c.channel, integer=True)
            self.add("evidence", f"{c.channel} holds {{0}} isolated spikes in the window.", (q,), cite)
        if v["flat_hours"] >= 6:
            q = self.quantity(v["flat_hours"], "flat_hours", channel=c.channel)
            self.add(
                "evidence", f"{c.channel} repeated exactly the same reading for {{0}} hours.", (q,), cite
            )

    def causes(self, diagnosis: Diagnosis) -> None:
        ev = self.ev
        if diagnosis.abstained or ev.fault is None:
            return
        causes = [(label, p) for label, p in ev.fault.ranked if label != NORMAL and p >= MIN_CAUSE_CONFIDENCE]
        for rank, (label, p) in enumerate(causes[:3], start=1):
            q = self.quantity(p, "fault_confidence", fault_type=label)
            self.add(
                "causes",
                f"Cause ranked {rank_word(rank)}: {spoken_label(label)}, confidence {{0}}.",
                (q,),
                (self.window,),
            )
        for row in ev.fmea:
            mode = str(row.fields.get("failure_mode", "")) or spoken_label(diagnosis.fault_type or "")
            quotes, parts = (
                [Quote("documents", row.doc_id, mode)],
                [f"FMEA row {short_id(row.doc_id)} ({mode})"],
            )
            for key, word in (("effects", "effects"), ("causes", "known causes")):
                value = str(row.fields.get(key, ""))
                if value:
                    quotes.append(Quote("documents", row.doc_id, value))
                    parts.append(f"{word}: {value}")
            self.add(
                "causes",
                "; ".join(parts) + ".",
                citations=(RecordCitation("documents", row.doc_id),),
                quotes=tuple(quotes),
            )
        if not ev.fmea:
            self.add(
                "causes",
                "No FMEA row of this asset type matches the probable fault.",
                citations=(RecordCitation("assets", ev.asset_id),),
            )

    def actions(self, diagnosis: Diagnosis) -> None:
        ev = self.ev
        found = False
        for row in ev.fmea if not diagnosis.abstained else ():
            action = str(row.fields.get("recommended_action", ""))
            if action:
                found = True
                self.add(
                    "actions",
                    f"FMEA row {short_id(row.doc_id)} recommends: {action}.",
                    citations=(RecordCitation("documents", row.doc_id),),
                    quotes=(Quote("documents", row.doc_id, action),),
                )
        for episode in ev.episodes if not diagnosis.abstained else ():
            if episode.label != diagnosis.fault_type:
                continue  # what fixed another kind of fault is no advice for this one
            for wo in episode.work_orders:
                found = True
                self.add(
                    "actions",
                    f"On the similar past episode {short_id(episode.event_id)} "
                    f"({spoken_label(episode.label)}), "
                    f'work order {short_id(wo.doc_id)} recorded: "{wo.text}".',
                    citations=(
                        RecordCitation("events", episode.event_id),
                        RecordCitation("documents", wo.doc_id),
                    ),
                    quotes=(Quote("documents", wo.doc_id, wo.text),),
                )
        if not found:
            self.add(
                "actions",
                "No FMEA row or past work order gives an action for this case; none is suggested.",
                citations=(RecordCitation("assets", ev.asset_id),),
            )

    def history(self) -> None:
        ev = self.ev
        for episode in ev.episodes:
            self.add(
                "history",
                f"Similar past episode {short_id(episode.event_id)} on {short_id(episode.asset_id)}: "
                f"{spoken_label(episode.label)}.",
                citations=(RecordCitation("events", episode.event_id),),
            )
        for wo in ev.work_orders:
            self.add(
                "history",
                f'Work order {short_id(wo.doc_id)}: "{wo.text}".',
                citations=(RecordCitation("documents", wo.doc_id),),
                quotes=(Quote("documents", wo.doc_id, wo.text),),
            )
        for on_file in ev.drawings:
            self._drawing(on_file)
        if not ev.episodes and not ev.work_orders:
            self.add(
                "history",
                "The base holds no similar past episode and no recent work order of this asset.",
                citations=(RecordCitation("assets", ev.asset_id),),
            )

    def _drawing(self, on_file: DrawingOnFile) -> None:
        """One sentence on a drawing of the asset: its title and revision, and the parts-list line
        naming the component the FMEA points to; every field quoted from the drawing's record."""
        drawing = on_file.drawing
        title = str(drawing.title_block.get("part_name", "")).strip()
        revision = str(drawing.title_block.get("revision", "")).strip()
        quoted = [t for t in (title, revision) if t]
        text = f"Drawing {short_id(drawing.drawing_id)} of this asset is on file"
        if title:
            text += f': "{title}"'
        if revision:
            text += f', revision "{revision}"'
        part = on_file.part or {}
        description = str(part.get("description", "")).strip()
        number = str(part.get("part_number", "")).strip()
        if description:
            text += f'; its parts list names "{description}"'
            quoted.append(description)
            if number:
                text += f' (part "{number}")'
                quoted.append(number)
        self.add(
            "history",
            text + ".",
            citations=(RecordCitation("drawings", drawing.drawing_id),),
            quotes=tuple(Quote("drawings", drawing.drawing_id, q) for q in quoted),
        )


def compose(ev: Evidence) -> tuple[Diagnosis, tuple[Sentence, ...]]:
    """The diagnosis and every sentence of the report on ``ev``, in section order."""
    composer = Composer(ev)
    diagnosis = composer.summary()
    composer.evidence()
    composer.causes(diagnosis)
    composer.actions(diagnosis)
    composer.history()
    return diagnosis, tuple(composer.sentences)
