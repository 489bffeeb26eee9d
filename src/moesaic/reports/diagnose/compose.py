"""Sentences from evidence: the forms of :mod:`moesaic.reports.diagnose.forms` filled from the
structured evidence, each with its citations.

Nothing here computes a finding; it phrases what :mod:`moesaic.reports.diagnose.evidence` computed and
records, for every number, the statistic and windows that give it back. Without evidence the
summary says so and no fault type is named.
"""

from __future__ import annotations

import pandas as pd

from moesaic.data.standstill import Standstill
from moesaic.reports.diagnose.claims import (
    ALL_CHANNELS,
    TIME_TOLERANCE,
    Citation,
    Diagnosis,
    Quantity,
    Quote,
    RecordCitation,
    Sentence,
    SeriesCitation,
    as_time,
    format_time,
)
from moesaic.reports.diagnose.compose_records import history, named_in_summary, named_rows
from moesaic.reports.diagnose.drift import BaselineDrift
from moesaic.reports.diagnose.evidence import ChannelChange, Evidence, same_fault
from moesaic.reports.diagnose.faults import NORMAL
from moesaic.reports.diagnose.forms import (
    LOOKS_NORMAL,
    NO_MOVED_BUT_DEPARTS,
    NO_MOVED_CHANNEL,
    UNKNOWN_BUT_ALARMED,
    UNKNOWN_BUT_DEPARTS,
    fill,
)
from moesaic.reports.diagnose.history import fmea_field
from moesaic.reports.diagnose.stats import level_held
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
        name = short_id(ev.asset_id)
        if ev.problems or ev.fault is None:
            reason = "; ".join(ev.problems) or "no evidence"
            if ev.readings:
                self.add(
                    "summary",
                    fill("no_diagnosis", asset=name, span=span, problem=reason),
                    citations=(asset, self.request),
                )
            else:  # no reading to cite, so no time either: the report's header gives the window
                self.add(
                    "summary", fill("no_diagnosis_blind", asset=name, problem=reason), citations=(asset,)
                )
            return Diagnosis(ev.asset_id, ev.start, ev.end, None, None, (), None, True, reason, *self.bounds)
        fault = ev.fault
        conf = self.quantity(fault.confidence, "fault_confidence", fault_type=fault.label)
        moved = ev.moved
        if fault.label == NORMAL or not moved:
            alarmed = ev.detector is not None and ev.detector.alarm_hours > 0
            departs = any(c.excursion is not None for c in ev.changes)
            # never "looks normal" beside the detector's own alarms or a channel's excursion
            if fault.label != NORMAL:
                reason = NO_MOVED_BUT_DEPARTS if departs else NO_MOVED_CHANNEL
            elif alarmed:
                reason = UNKNOWN_BUT_ALARMED
            else:
                reason = UNKNOWN_BUT_DEPARTS if departs else LOOKS_NORMAL
            template = fill("no_fault", asset=name, span=span, normal_reason=reason)
            normal = self.quantity(dict(fault.ranked).get(NORMAL, 0.0), "fault_confidence", fault_type=NORMAL)
            self.add("summary", template, (normal,), (asset, self.request, self.window))
            named_in_summary(self, fault=False)
            return Diagnosis(
                ev.asset_id, ev.start, ev.end, None, None, moved, None, True, reason, *self.bounds
            )
        cited = tuple(SeriesCitation(ev.asset_id, c, ev.read_from, ev.end) for c in moved)
        names = ", ".join(moved)
        onset_at = ev.onset
        if ev.open_fault is not None and same_fault(ev.open_fault, fault.label):
            known = ev.open_fault
            onset_at = as_time(known.start)
            template = fill(
                "fault_before",
                asset=name,
                label=spoken_label(fault.label),
                channels=names,
                event=short_id(known.event_id),
                time=format_time(onset_at),
            )
            self.add("summary", template, (conf,), (asset, *cited, RecordCitation("events", known.event_id)))
        elif ev.onset is not None:
            params: dict[str, object] = {"channels": list(moved), "shape": ev.onset_shape}
            if ev.history:  # the healthy stretches the onset's healthy model was fitted on
                params["history"] = [
                    [pd.Timestamp(a).isoformat(), pd.Timestamp(b).isoformat()] for a, b in ev.history
                ]
            searched = self.window
            if ev.onset_from is not None:  # looked for from the baseline's end on
                searched = SeriesCitation(ev.asset_id, ALL_CHANNELS, ev.onset_from, ev.end)
            onset = Quantity(
                format_time(ev.onset), ev.onset.timestamp(), "onset", searched, self.baseline, params, 0.0
            )
            form = "fault_onset_earlier" if ev.onset < ev.start else "fault_onset"
            template = fill(form, asset=name, label=spoken_label(fault.label), channels=names)
            self.add("summary", template, (conf, onset), (asset, *cited))
        else:
            template = fill("fault", asset=name, label=spoken_label(fault.label), channels=names)
            self.add("summary", template, (conf,), (asset, *cited))
        named_in_summary(self, fault=True)
        return Diagnosis(
            ev.asset_id,
            ev.start,
            ev.end,
            fault.label,
            fault.confidence,
            moved,
            onset_at,
            False,
            "",
            *self.bounds,
        )

    def evidence(self) -> None:
        ev = self.ev
        if ev.after_fault:
            self.add(
                "evidence",
                fill("after_fault", event=short_id(ev.after_fault), time=format_time(ev.read_from)),
                citations=(RecordCitation("events", ev.after_fault), self.window),
            )
        if ev.baseline_orders:
            latest = ev.baseline_orders[0]
            self.add(
                "evidence",
                fill(
                    "baseline_orders",
                    span=f"{format_time(ev.baseline_start)} to {format_time(ev.baseline_end)}",
                    orders="orders" if len(ev.baseline_orders) > 1 else "order",
                    docs=", ".join(
                        [f'{short_id(latest.doc_id)} ("{latest.text}")']
                        + [short_id(o.doc_id) for o in ev.baseline_orders[1:]]
                    ),
                ),
                citations=(
                    self.baseline,
                    *(RecordCitation("documents", o.doc_id) for o in ev.baseline_orders),
                ),
                quotes=(Quote("documents", latest.doc_id, latest.text),),
            )
        if ev.standstill is not None:
            self._standstill(ev.standstill)
        known = ev.open_fault
        if known is not None and not (ev.fault is not None and same_fault(known, ev.fault.label)):
            self.add(
                "evidence",
                fill(
                    "open_fault",
                    event=short_id(known.event_id),
                    fault_record=spoken_label(known.label),
                    time=format_time(as_time(known.start)),
                ),
                citations=(RecordCitation("events", known.event_id), self.window),
            )
        if ev.detector is not None:
            det = ev.detector
            hours = self.quantity(det.alarm_hours, "alarm_hours")
            peak = self.quantity(det.peak_score, "peak_score")
            threshold = self.quantity(det.threshold, "threshold")
            brief = det.peak_score > det.threshold  # above it, but never for a whole run
            form = (
                "detector_alarm" if det.alarm_hours > 0 else "detector_brief" if brief else "detector_quiet"
            )
            self.add(
                "evidence",
                fill(form, detector=det.name),
                (hours, peak, threshold),
                (self.window, self.baseline),
            )
        ranked = sorted(ev.changes, key=lambda c: (not c.moved, -c.contribution))
        for change in [c for c in ranked if c.moved][:MAX_CHANNEL_SENTENCES]:
            self._channel(change)
        for change in ranked:
            if not change.moved and change.excursion is not None:
                self._excursion(change)
        # a channel whose level left its baseline's spread, though no fault model reads it as moved,
        # is not said unchanged, nor left out: its medians are stated
        shifted = [c for c in ranked if not c.moved and c.excursion is None and not _held(c)]
        for change in shifted[:MAX_CHANNEL_SENTENCES]:
            self._channel(change)
        still = [c.channel for c in ranked if not c.moved and c.excursion is None and _held(c)]
        if still:
            cites = tuple(SeriesCitation(ev.asset_id, c, ev.read_from, ev.end) for c in still)
            # every channel still, yet the detector in alarm: say where its alarms can come from
            alarmed = len(still) == len(ranked) and ev.detector is not None and ev.detector.alarm_hours > 0
            form = "no_change_alarmed" if alarmed else "no_change"
            self.add("evidence", fill(form, channels=", ".join(still)), citations=cites)
        for alarm in ev.alarms:
            cite = (
                RecordCitation("events", alarm.event_id),
                SeriesCitation(ev.asset_id, alarm.channels[0], ev.read_from, ev.end)
                if alarm.channels and alarm.channels[0] in {c.channel for c in ev.changes}
                else self.window,
            )
            self.add("evidence", fill("control_alarm", text=alarm.label), citations=cite)
        if ev.outlook is not None:
            o = ev.outlook
            statistic = "outlook_running" if o.running else "outlook"
            value = self.quantity(o.median, statistic, channel=o.channel)
            value = Quantity(
                value.text,
                value.value,
                statistic,
                self.window,
                self.baseline,
                {"channel": o.channel},
                value.tolerance,
            )
            self.add(
                "evidence",
                fill(statistic, channel=o.channel, unit=self._unit(o.channel)),
                (value,),
                (SeriesCitation(ev.asset_id, o.channel, ev.read_from, ev.end),),
            )

    def _standstill(self, gate: Standstill) -> None:
        """Which readings were left out as the machine's standstill, and how many."""
        qs = (
            self.quantity(gate.level, "standstill_level", channel=gate.channel),
            self.quantity(100.0 * gate.baseline_share, "baseline_stopped_percent", channel=gate.channel),
            self.quantity(100.0 * gate.window_share, "stopped_percent", channel=gate.channel),
        )
        template = fill(
            "standstill",
            asset=short_id(self.ev.asset_id),
            channel=gate.channel,
            unit=self._unit(gate.channel),
        )
        cites = (RecordCitation("assets", self.ev.asset_id), *self._cites(gate.channel))
        self.add("evidence", template, qs, cites)

    def _unit(self, channel: str) -> str:
        unit = next((c.unit for c in self.ev.changes if c.channel == channel), "")
        return f" {unit}" if unit else ""

    def _cites(self, channel: str) -> tuple[SeriesCitation, SeriesCitation]:
        """The window and the baseline readings of ``channel``."""
        ev = self.ev
        return (
            SeriesCitation(ev.asset_id, channel, ev.read_from, ev.end),
            SeriesCitation(ev.asset_id, channel, ev.baseline_start, ev.baseline_end),
        )

    def _channel(self, c: ChannelChange) -> None:
        slots = {"channel": c.channel, "unit": self._unit(c.channel)}
        cite, v = self._cites(c.channel), c.values
        qs = (
            self.quantity(v["baseline_median"], "baseline_median", channel=c.channel),
            self.quantity(v["median"], "median", channel=c.channel),
            self.quantity(v["change_percent"], "change_percent", channel=c.channel, sign=True),
            self.quantity(v["slope_per_day"], "slope_per_day", channel=c.channel, sign=True),
        )
        self.add("evidence", fill("channel_change", **slots), qs, cite)
        for drift in (d for d in self.ev.drift if d.channel == c.channel):
            self._drift(drift, slots)
        if c.excursion is not None:  # a median over the window hides a short stretch
            self._excursion(c)
        if v["noise_ratio"] >= NOISE_RATIO:
            q = self.quantity(v["noise_ratio"], "noise_ratio", channel=c.channel)
            self.add("evidence", fill("channel_noise", **slots), (q,), cite)
        # spikes and a held reading only where the baseline had fewer and shorter ones: a pump's
        # starts and stops, its stopped hours at 0, are its own states, not a sensor's fault
        if v["spike_count"] >= 2 and v["spike_count"] > 2 * v["baseline_spike_count"]:
            q = self.quantity(v["spike_count"], "spike_count", channel=c.channel, integer=True)
            self.add("evidence", fill("channel_spikes", **slots), (q,), cite)
        if v["flat_hours"] >= 6 and v["flat_hours"] > v["baseline_flat_hours"]:
            q = self.quantity(v["flat_hours"], "flat_hours", channel=c.channel)
            self.add("evidence", fill("channel_flat", **slots), (q,), cite)

    def _drift(self, d: BaselineDrift, slots: dict[str, str]) -> None:
        """``d``'s channel moving inside the baseline: its halves' medians, cited as the verifier
        reads them (the second half as a window, the first as its baseline)."""
        ev = self.ev
        late = SeriesCitation(ev.asset_id, d.channel, d.split, d.last)
        early = SeriesCitation(ev.asset_id, d.channel, d.start, d.split)
        qs = []
        for value, statistic in ((d.second, "median"), (d.first, "baseline_median")):
            text, tolerance = number(value)
            qs.append(Quantity(text, value, statistic, late, early, {}, tolerance))
        self.add("evidence", fill("baseline_drift", **slots), tuple(qs), (late, early))

    def _excursion(self, c: ChannelChange) -> None:
        """Where ``c`` left its baseline level, and how far: the stretch's bounds and mean against
        the baseline's median and spread."""
        assert c.excursion is not None
        first, last = c.excursion
        source, baseline = self._cites(c.channel)
        times = tuple(  # written to the minute: a minute's tolerance for readings between minutes
            Quantity(format_time(t), t.timestamp(), statistic, source, baseline, {}, TIME_TOLERANCE)
            for t, statistic in ((first, "excursion_start"), (last, "excursion_end"))
        )
        v = c.values
        qs = (
            *times,
            self.quantity(v["excursion_mean"], "excursion_mean", channel=c.channel),
            self.quantity(v["baseline_median"], "baseline_median", channel=c.channel),
            self.quantity(v["baseline_spread"], "baseline_spread", channel=c.channel),
        )
        template = fill("channel_excursion", channel=c.channel, unit=self._unit(c.channel))
        self.add("evidence", template, qs, (source, baseline))

    def causes(self, diagnosis: Diagnosis) -> None:
        ev = self.ev
        if diagnosis.abstained or ev.fault is None:
            named_rows(self)
            return
        causes = [(label, p) for label, p in ev.fault.ranked if label != NORMAL and p >= MIN_CAUSE_CONFIDENCE]
        for rank, (label, p) in enumerate(causes[:3], start=1):
            q = self.quantity(p, "fault_confidence", fault_type=label)
            self.add(
                "causes", fill("cause", rank=rank_word(rank), label=spoken_label(label)), (q,), (self.window,)
            )
        for row in ev.fmea:
            mode = fmea_field(row, "failure_mode") or spoken_label(diagnosis.fault_type or "")
            quotes, details = [Quote("documents", row.doc_id, mode)], ""
            for key, word in (("effects", "effects"), ("causes", "known causes")):
                value = fmea_field(row, key)
                if value:
                    quotes.append(Quote("documents", row.doc_id, value))
                    details += f"; {word}: {value}"
            self.add(
                "causes",
                fill("fmea_row", doc=short_id(row.doc_id), mode=mode, fmea_details=details),
                citations=(RecordCitation("documents", row.doc_id),),
                quotes=tuple(quotes),
            )
        if not ev.fmea:
            self.add("causes", fill("no_fmea"), citations=(RecordCitation("assets", ev.asset_id),))
        named_rows(self)

    def actions(self, diagnosis: Diagnosis) -> None:
        ev = self.ev
        found = False
        rows = [*(ev.fmea if not diagnosis.abstained else ()), *(n.row for n in ev.named)]
        for row in rows:
            action = fmea_field(row, "recommended_action")
            if action:
                found = True
                self.add(
                    "actions",
                    fill("fmea_action", doc=short_id(row.doc_id), text=action),
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
                    fill(
                        "episode_action",
                        event=short_id(episode.event_id),
                        episode_label=spoken_label(episode.label),
                        doc=short_id(wo.doc_id),
                        text=wo.text,
                    ),
                    citations=(
                        RecordCitation("events", episode.event_id),
                        RecordCitation("documents", wo.doc_id),
                    ),
                    quotes=(Quote("documents", wo.doc_id, wo.text),),
                )
        if not found:
            self.add("actions", fill("no_action"), citations=(RecordCitation("assets", ev.asset_id),))


def compose(ev: Evidence) -> tuple[Diagnosis, tuple[Sentence, ...]]:
    """The diagnosis and every sentence of the report on ``ev``, in section order."""
    composer = Composer(ev)
    diagnosis = composer.summary()
    composer.evidence()
    composer.causes(diagnosis)
    composer.actions(diagnosis)
    history(composer)
    return diagnosis, tuple(composer.sentences)


def _held(change: ChannelChange) -> bool:
    """Whether ``change``'s channel kept its baseline level (:func:`stats.level_held`)."""
    v = change.values
    return level_held(v["median"], v["baseline_median"], v["baseline_spread"], v["baseline_day_spread"])
