"""What a diagnostic report is made of: sentences, the numbers they state, their citations, and the JSON form.

A :class:`Sentence` is a template filled with :class:`Quantity` texts. Each quantity keeps how it
was computed (a statistic, the cited window, its baseline, parameters), so the verifier recomputes
it from the base rather than trusting the report. A :class:`Quote` is text copied verbatim from a
cited record (an FMEA action, a work order), checked against that record. Citations are series
windows (asset, channel, start, end; channel ``*`` for every channel of the asset) or records
(table, id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SECTIONS = ("summary", "evidence", "causes", "actions", "history")
ALL_CHANNELS = "*"
TIME_STATISTICS = frozenset({"onset", "excursion_start", "excursion_end"})  # quantities that are times
TIME_TOLERANCE = 60.0  # seconds: an excursion's bounds are stated to the minute, between readings


def _time(value: Any) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _text_time(value: pd.Timestamp | None) -> str | None:
    return None if value is None else pd.Timestamp(value).isoformat()


def as_time(value: Any) -> pd.Timestamp:
    """``value`` (a time stamp, a string or a datetime64) as a Timestamp; None is an error."""
    if value is None:
        raise ValueError("expected a time, got None")
    return pd.Timestamp(value)


def format_time(value: pd.Timestamp) -> str:
    """A time as reports print it: ``2024-02-15 18:00``."""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class SeriesCitation:
    """Readings of one channel (or ``*``: every channel) of an asset over ``[start, end]``."""

    asset_id: str
    channel: str
    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if pd.Timestamp(self.end) < pd.Timestamp(self.start):
            raise ValueError(f"series citation of {self.asset_id}/{self.channel}: end before start")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "series",
            "asset_id": self.asset_id,
            "channel": self.channel,
            "start": _text_time(self.start),
            "end": _text_time(self.end),
        }


@dataclass(frozen=True)
class RecordCitation:
    """One record of a table of the base (``assets``, ``events``, ``documents``, ...)."""

    table: str
    record_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": "record", "table": self.table, "record_id": self.record_id}


Citation = SeriesCitation | RecordCitation


def citation_from_json(data: Mapping[str, Any]) -> Citation:
    kind = data.get("kind")
    if kind == "series":
        return SeriesCitation(
            str(data["asset_id"]),
            str(data["channel"]),
            pd.Timestamp(data["start"]),
            pd.Timestamp(data["end"]),
        )
    if kind == "record":
        return RecordCitation(str(data["table"]), str(data["record_id"]))
    raise ValueError(f"citation kind must be 'series' or 'record', got {kind!r}")


@dataclass(frozen=True)
class Quantity:
    """A number a sentence states, with its provenance.

    Attributes:
        text: the number as written (a time for the statistics of :data:`TIME_STATISTICS`).
        value: its full-precision value (seconds since the epoch for a time).
        statistic: how it is recomputed: a key of ``stats.STATISTICS`` or of ``recompute.DERIVED``.
        source: the window it is computed on.
        baseline: the baseline window it is compared with, when the statistic compares.
        params: the statistic's other inputs (channels, shape, fault type, ...).
        tolerance: largest accepted absolute difference between ``text`` and the recomputed value.
    """

    text: str
    value: float
    statistic: str
    source: SeriesCitation
    baseline: SeriesCitation | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    tolerance: float = 0.0

    @property
    def is_time(self) -> bool:
        """Whether the quantity is a time (its text a :func:`format_time`), not a number."""
        return self.statistic in TIME_STATISTICS

    @property
    def written_tolerance(self) -> float:
        """The tolerance the way ``text`` is written allows, whatever ``tolerance`` says: half its
        last digit for a number, a minute for an excursion's bound, none for an onset. The
        verifier judges by it, so that editing a number and its tolerance together is caught."""
        if self.is_time:
            return TIME_TOLERANCE if self.statistic != "onset" else 0.0
        _, dot, decimals = self.text.partition(".")
        return 0.5 * 10.0 ** -(len(decimals) if dot else 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "value": self.value,
            "statistic": self.statistic,
            "source": self.source.to_json(),
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "params": dict(self.params),
            "tolerance": self.tolerance,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quantity:
        source = citation_from_json(data["source"])
        baseline = None if data.get("baseline") is None else citation_from_json(data["baseline"])
        if not isinstance(source, SeriesCitation) or not (
            baseline is None or isinstance(baseline, SeriesCitation)
        ):
            raise ValueError("a quantity's source and baseline must be series citations")
        return cls(
            str(data["text"]),
            float(data["value"]),
            str(data["statistic"]),
            source,
            baseline,
            dict(data.get("params", {})),
            float(data.get("tolerance", 0.0)),
        )


@dataclass(frozen=True)
class Quote:
    """Text copied verbatim from a field of a cited record."""

    table: str
    record_id: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "record_id": self.record_id, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``template`` with ``{0}``, ``{1}``, ... filled by the quantity texts.

    ``file_text`` is the text a JSON report gave the sentence when it was read back (None for a
    sentence built here): a reader sees that text, so the verifier checks it equals :attr:`text`.
    """

    section: str
    template: str
    quantities: tuple[Quantity, ...] = ()
    citations: tuple[Citation, ...] = ()
    quotes: tuple[Quote, ...] = ()
    file_text: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise ValueError(f"`section` must be one of {SECTIONS}, got {self.section!r}")

    @property
    def text(self) -> str:
        return self.template.format(*(q.text for q in self.quantities))

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "text": self.text,
            "template": self.template,
            "quantities": [q.to_json() for q in self.quantities],
            "citations": [c.to_json() for c in self.citations],
            "quotes": [q.to_json() for q in self.quotes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sentence:
        """The sentence of :meth:`to_json`; its ``text`` is kept as ``file_text`` for the verifier."""
        return cls(
            section=str(data["section"]),
            template=str(data["template"]),
            quantities=tuple(Quantity.from_json(q) for q in data.get("quantities", ())),
            citations=tuple(citation_from_json(c) for c in data.get("citations", ())),
            quotes=tuple(
                Quote(str(q["table"]), str(q["record_id"]), str(q["text"])) for q in data.get("quotes", ())
            ),
            file_text=None if data.get("text") is None else str(data["text"]),
        )


@dataclass(frozen=True)
class Diagnosis:
    """The structured answer: fault type (None when abstaining), its confidence, channels and onset.

    ``baseline_start`` and ``baseline_end`` bound the healthy stretch the window was compared with
    (None in reports written before they were recorded: the verifier then assumes the default).
    """

    asset_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    fault_type: str | None
    confidence: float | None
    channels: tuple[str, ...]
    onset: pd.Timestamp | None
    abstained: bool
    reason: str = ""
    baseline_start: pd.Timestamp | None = None
    baseline_end: pd.Timestamp | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "start": _text_time(self.start),
            "end": _text_time(self.end),
            "fault_type": self.fault_type,
            "confidence": self.confidence,
            "channels": list(self.channels),
            "onset": _text_time(self.onset),
            "abstained": self.abstained,
            "reason": self.reason,
            "baseline_start": _text_time(self.baseline_start),
            "baseline_end": _text_time(self.baseline_end),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnosis:
        return cls(
            str(data["asset_id"]),
            pd.Timestamp(data["start"]),
            pd.Timestamp(data["end"]),
            data.get("fault_type"),
            data.get("confidence"),
            tuple(data.get("channels", ())),
            _time(data.get("onset")),
            bool(data["abstained"]),
            str(data.get("reason", "")),
            _time(data.get("baseline_start")),
            _time(data.get("baseline_end")),
        )


@dataclass(frozen=True)
class Removal:
    """A sentence the verifier took out or rewrote, and why."""

    text: str
    reason: str
    replacement: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "reason": self.reason, "replacement": self.replacement}


@dataclass(frozen=True)
class Rewording:
    """A sentence offered to the language model, its rewrite, and what became of it.

    ``outcome`` is ``passed`` (the rewrite replaced the template sentence), ``unchanged`` (the model
    gave the template back), or why the template sentence was kept (``precheck: ...``,
    ``verifier: ...``).
    """

    original: str
    rewrite: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {"original": self.original, "rewrite": self.rewrite, "outcome": self.outcome}


@dataclass(frozen=True)
class Phrasing:
    """What the optional language-model phrasing did to a report."""

    model: str
    rewordings: tuple[Rewording, ...] = ()

    @property
    def offered(self) -> int:
        """Sentences offered to the model."""
        return len(self.rewordings)

    @property
    def rephrased(self) -> int:
        """Offered sentences the model changed."""
        return sum(r.outcome != "unchanged" for r in self.rewordings)

    @property
    def passed(self) -> int:
        """Rewrites that passed the pre-check and the verifier and replaced their template sentence."""
        return sum(r.outcome == "passed" for r in self.rewordings)

    def passed_rewordings(self) -> dict[str, str]:
        """Rewrite -> the template sentence it rewords, for the rewrites that replaced theirs."""
        return {r.rewrite: r.original for r in self.rewordings if r.outcome == "passed"}

    @property
    def fell_back(self) -> int:
        """Offered sentences whose template sentence was kept."""
        return self.offered - self.passed

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "offered": self.offered,
            "rephrased": self.rephrased,
            "passed": self.passed,
            "fell_back": self.fell_back,
            "sentences": [r.to_json() for r in self.rewordings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Phrasing:
        return cls(
            str(data["model"]),
            tuple(
                Rewording(str(r["original"]), str(r["rewrite"]), str(r["outcome"]))
                for r in data.get("sentences", ())
            ),
        )


@dataclass(frozen=True, eq=False)
class Panel:
    """A cited window to plot: one channel's readings, with the window and the onset marked."""

    asset_id: str
    channel: str
    unit: str
    time: Any  # (T,) datetime64[ns], baseline and window
    values: Any  # (T,) float, NaN where missing
    start: pd.Timestamp
    end: pd.Timestamp
    onset: pd.Timestamp | None


@dataclass(frozen=True, eq=False)
class Report:
    """A verified diagnostic report.

    Attributes:
        diagnosis: the structured answer.
        sentences: the sentences kept (each verified), in section order.
        removed: sentences the verifier removed or rewrote.
        verified: whether the verifier ran on these sentences.
        panels: the cited windows to plot (not part of the JSON form; HTML embeds them).
        phrasing: what the optional language-model phrasing did (None when it was off).
    """

    diagnosis: Diagnosis
    sentences: tuple[Sentence, ...]
    removed: tuple[Removal, ...] = ()
    verified: bool = False
    panels: tuple[Panel, ...] = ()
    phrasing: Phrasing | None = None

    def section(self, name: str) -> tuple[Sentence, ...]:
        return tuple(s for s in self.sentences if s.section == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "moesaic.report/1",
            "diagnosis": self.diagnosis.to_json(),
            "sentences": [s.to_json() for s in self.sentences],
            "removed": [r.to_json() for r in self.removed],
            "verified": self.verified,
            "phrasing": None if self.phrasing is None else self.phrasing.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """The report of :meth:`to_json`.

        Raises:
            ValueError: not a report document, naming what is wrong.
        """
        if not isinstance(data, Mapping) or data.get("format") != "moesaic.report/1":
            raise ValueError("not a moesaic report: expected a JSON object with format 'moesaic.report/1'")
        try:
            return cls(
                diagnosis=Diagnosis.from_json(data["diagnosis"]),
                sentences=tuple(Sentence.from_json(s) for s in data["sentences"]),
                removed=tuple(
                    Removal(str(r["text"]), str(r["reason"]), str(r.get("replacement", "")))
                    for r in data.get("removed", ())
                ),
                verified=bool(data.get("verified", False)),
                phrasing=None if data.get("phrasing") is None else Phrasing.from_json(data["phrasing"]),
            )
        except (KeyError, TypeError, IndexError) as err:
            raise ValueError(f"malformed report: {type(err).__name__} {err}") from None
