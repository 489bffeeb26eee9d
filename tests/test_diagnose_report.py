"""diagnose / verify / render end to end on a small simulated plant, the CLI on a knowledge base."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest
from typer.testing import CliRunner

import moesaic.cli.verify as cli_verify
import moesaic.reports.diagnose.report as report_module
from moesaic.cli.report import report as report_command
from moesaic.cli.verify import verify as verify_command
from moesaic.data.schema import MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.diagnose import (
    ChannelModel,
    EvidenceError,
    MemoryBase,
    Report,
    diagnose,
    render,
    verify_report,
)
from moesaic.reports.diagnose.claims import Quantity, Quote, RecordCitation, Sentence
from moesaic.reports.diagnose.episodes import (
    Request,
    fit_onset_shapes,
)
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier
from moesaic.reports.diagnose.recompute import WindowReader, recompute


class Fitted(NamedTuple):
    data: MaintenanceData
    classifier: FaultClassifier
    channels: ChannelModel
    shapes: dict[str, str]
    requests: list[Request]


@pytest.fixture(scope="module")
def fitted(small_diagnosed_plant: dict[str, Any]) -> Fitted:
    """The shared small plant, with onset shapes chosen on its windows (the tests check plumbing,
    not accuracy)."""
    p = small_diagnosed_plant
    shapes = fit_onset_shapes(p["windows"], p["requests"], per_type=2)
    return Fitted(p["data"], p["classifier"], p["channels"], shapes, p["requests"])


def _report(fitted: Fitted, request: Request, **kw: object) -> Report:
    return diagnose(
        MemoryBase(fitted.data),
        request.asset_id,
        request.start,
        request.end,
        classifier=fitted.classifier,
        channel_model=fitted.channels,
        onset_shapes=fitted.shapes,
        **kw,
    )  # type: ignore[arg-type]


def test_every_sentence_of_a_fault_report_is_cited_and_reverifies(fitted: Fitted) -> None:
    request = next(r for r in fitted.requests if r.label != NORMAL)
    report = _report(fitted, request)
    assert report.verified and report.sentences
    assert all(s.citations for s in report.sentences)
    assert {s.section for s in report.sentences} >= {"summary", "evidence", "actions", "history"}
    again = verify_report(
        Report.from_json(report.to_json()), MemoryBase(fitted.data), classifier=fitted.classifier
    )
    assert again.kept == again.sentences == len(report.sentences)
    assert again.rewritten == 0 and again.numbers_ok == again.numbers > 0
    for fmt in ("md", "html", "json"):
        assert report.diagnosis.asset_id in render(report, fmt)
    assert "data:image/png;base64," in render(report, "html")
    assert json.loads(render(report, "json"))["diagnosis"]["asset_id"] == request.asset_id


def test_verifier_rewrites_a_wrong_number_and_removes_an_unknown_identifier(fitted: Fitted) -> None:
    request = next(r for r in fitted.requests if r.label != NORMAL)
    report = _report(fitted, request)
    base = MemoryBase(fitted.data)
    index, sentence = next((i, s) for i, s in enumerate(report.sentences) if s.quantities)
    wrong = dataclasses.replace(sentence.quantities[0], text="123456.0")
    tampered = dataclasses.replace(sentence, quantities=(wrong, *sentence.quantities[1:]))
    fake = Sentence(
        "actions", "Replace part PN-NOPE-4242 now.", citations=(RecordCitation("assets", request.asset_id),)
    )
    uncited = Sentence("history", "It failed before.")
    sentences = list(report.sentences)
    sentences[index] = tampered
    draft = dataclasses.replace(report, sentences=(*sentences, fake, uncited), removed=())
    result = verify_report(draft, base, classifier=fitted.classifier)
    texts = [s.text for s in result.report.sentences]
    assert sentence.text in texts and tampered.text not in texts  # rewritten from the evidence
    assert fake.text not in texts and uncited.text not in texts
    reasons = " ".join(r.reason for r in result.report.removed)
    assert "PN-NOPE-4242" in reasons and "no citation" in reasons
    assert result.unknown_identifiers == ("PN-NOPE-4242",)


def _stated_onset(fitted: Fitted) -> Quantity:
    for request in fitted.requests:
        if request.label == NORMAL:
            continue
        for sentence in _report(fitted, request).sentences:
            for q in sentence.quantities:
                if q.statistic == "onset":
                    return q
    raise AssertionError("no report of the small plant states an onset")


def test_a_stated_onset_names_its_healthy_history_and_is_recomputed_from_it(fitted: Fitted) -> None:
    q = _stated_onset(fitted)
    spans = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in q.params["history"]]
    assert spans and all(a < b for a, b in spans)
    assert q.baseline is not None and spans[-1][1] <= q.source.start
    assert sum((b - a for a, b in spans), pd.Timedelta(0)) > q.baseline.end - q.baseline.start
    base = MemoryBase(fitted.data)
    assert recompute(WindowReader(base), q, fitted.classifier) == q.value
    broken = dataclasses.replace(q, params={**q.params, "history": [["not a time", "2024-01-01"]]})
    with pytest.raises(LookupError, match="history"):
        recompute(WindowReader(base), broken, fitted.classifier)


def test_normal_window_abstains_and_a_fake_note_identifier_is_not_echoed(fitted: Fitted) -> None:
    request = next(r for r in fitted.requests if r.label == NORMAL)
    report = _report(fitted, request, note="Fitted part PN-FAKE-9999 last week")
    text = " ".join(s.text for s in report.sentences)
    assert "PN-FAKE-9999" not in text
    assert "not in the base" in text
    if report.diagnosis.abstained:
        assert report.diagnosis.fault_type is None and not report.section("causes")


def test_unknown_asset_and_reversed_window_are_clear_errors(fitted: Fitted) -> None:
    base = MemoryBase(fitted.data)
    with pytest.raises(EvidenceError, match="unknown asset 'Z-999'"):
        diagnose(
            base,
            "Z-999",
            "2024-01-10",
            "2024-01-12",
            classifier=fitted.classifier,
            channel_model=fitted.channels,
            onset_shapes={},
        )
    asset = fitted.data.assets[0].asset_id
    with pytest.raises(EvidenceError, match="must be after"):
        diagnose(
            base,
            asset,
            "2024-01-12",
            "2024-01-10",
            classifier=fitted.classifier,
            channel_model=fitted.channels,
            onset_shapes={},
        )


def _window_report(fitted: Fitted, asset: str, start: str, end: str) -> Report:
    """The report of ``asset`` over ``[start, end]``, without onset shapes."""
    return diagnose(
        MemoryBase(fitted.data),
        asset,
        start,
        end,
        classifier=fitted.classifier,
        channel_model=fitted.channels,
        onset_shapes={},
    )


def test_window_without_history_says_so_instead_of_guessing(fitted: Fitted) -> None:
    asset = fitted.data.assets[0].asset_id
    report = _window_report(fitted, asset, "2024-01-01 02:00", "2024-01-02")
    assert report.diagnosis.abstained and report.diagnosis.fault_type is None
    assert "not enough history" in report.section("summary")[0].text


def test_a_window_outside_the_series_says_where_the_series_are(fitted: Fitted) -> None:
    asset = fitted.data.assets[0].asset_id
    report = _window_report(fitted, asset, "2030-01-05", "2030-01-08")
    assert report.diagnosis.abstained
    said = f"no reading of {asset} in the window, which lies after the last reading of its series"
    assert said in report.section("summary")[0].text and not report.removed  # kept: it cites the asset
    assert [c.table for c in report.section("summary")[0].citations] == ["assets"]


def test_cli_report_then_verify_on_a_knowledge_base(
    fitted: Fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "default_classifier", lambda: fitted.classifier)
    monkeypatch.setattr(report_module, "default_onset_shapes", lambda: fitted.shapes)
    monkeypatch.setattr(report_module, "default_channel_model", lambda: fitted.channels)
    monkeypatch.setattr(cli_verify, "default_classifier", lambda: fitted.classifier)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(fitted.data, source="plant")
    request = next(r for r in fitted.requests if r.label != NORMAL)
    out = tmp_path / "report.json"
    import typer

    app = typer.Typer()
    app.command(name="report")(report_command)
    app.command(name="verify")(verify_command)
    args = [
        "report",
        "--kb",
        str(tmp_path / "kb"),
        "--asset",
        request.asset_id,
        "--start",
        str(request.start),
        "--end",
        str(request.end),
        "--format",
        "json",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    checked = CliRunner().invoke(app, ["verify", str(out), "--kb", str(tmp_path / "kb")])
    assert checked.exit_code == 0, checked.output
    assert "0 removed" in checked.output
    document = json.loads(out.read_text())
    document["sentences"][0]["citations"] = [{"kind": "record", "table": "documents", "record_id": "NOPE-1"}]
    out.write_text(json.dumps(document))
    failed = CliRunner().invoke(app, ["verify", str(out), "--kb", str(tmp_path / "kb")])
    assert failed.exit_code == 1 and "does not resolve" in failed.output
    missing = CliRunner().invoke(app, [*args[:3], "--asset", "Q-404", *args[5:]])
    assert missing.exit_code == 2 and "unknown asset" in missing.output


def test_a_window_opening_during_a_known_fault_is_read_after_it(fitted: Fitted) -> None:
    first = min(pd.Timestamp(s.time[0]) for s in fitted.data.series) + pd.Timedelta(days=20)
    fault = next(
        e
        for e in fitted.data.events
        if e.kind == "fault"
        and pd.Timestamp(e.start) > first
        and pd.Timestamp(e.end) - pd.Timestamp(e.start) > pd.Timedelta(days=3)
    )
    start, end = (
        pd.Timestamp(fault.end) - pd.Timedelta(days=1),
        pd.Timestamp(fault.end) + pd.Timedelta(days=4),
    )
    report = _report(fitted, Request(fault.asset_id, start, end, NORMAL, None, (), ""))
    d = report.diagnosis
    assert d.baseline_end is not None and d.baseline_end <= pd.Timestamp(fault.start)
    said = [s.text for s in report.section("evidence") if "was still running" in s.text]
    assert said and fault.event_id in said[0]
    again = verify_report(
        Report.from_json(report.to_json()), MemoryBase(fitted.data), classifier=fitted.classifier
    )
    assert again.kept == again.sentences and again.numbers_ok == again.numbers


def test_the_assets_drawings_are_cited_with_the_part_the_fmea_points_to(fitted: Fitted) -> None:
    from moesaic.data.schema import Drawing

    request = next(r for r in fitted.requests if r.label != NORMAL)
    asset_type = next(a.asset_type for a in fitted.data.assets if a.asset_id == request.asset_id)
    components = sorted(
        {
            str(d.fields.get("component", ""))
            for d in fitted.data.documents
            if d.kind == "fmea" and d.fields.get("asset_type") == asset_type
        }
        - {""}
    )
    bom = [
        {"item": i + 1, "part_number": f"PN-{i + 1:04d}", "description": f"SPARE {c.upper()}", "qty": 1}
        for i, c in enumerate(components)
    ]
    drawing = Drawing(
        "DWG-TEST-1",
        Path("drawings/DWG-TEST-1.png"),
        asset_id=request.asset_id,
        title_block={"part_name": "PUMP CASING", "revision": "B"},
        fields={"bom": bom},
    )
    data = dataclasses.replace(fitted.data, drawings=(drawing,))
    report = _report(fitted._replace(data=data), request)
    cited = [
        s
        for s in report.sentences
        if any(isinstance(c, RecordCitation) and c.table == "drawings" for c in s.citations)
    ]
    assert len(cited) == 1 and cited[0].section == "history", report.removed
    assert '"PUMP CASING", revision "B"' in cited[0].text
    if not report.diagnosis.abstained:
        assert "its parts list names" in cited[0].text and "PN-" in cited[0].text
    base = MemoryBase(data)
    again = verify_report(Report.from_json(report.to_json()), base, classifier=fitted.classifier)
    assert again.kept == again.sentences == len(report.sentences)
    forged = dataclasses.replace(
        cited[0],
        template=cited[0].template.replace("PUMP CASING", "GEAR BOX"),
        quotes=tuple(
            dataclasses.replace(q, text=q.text.replace("PUMP CASING", "GEAR BOX")) for q in cited[0].quotes
        ),
    )
    tampered = dataclasses.replace(report, sentences=(*report.sentences, forged))
    checked = verify_report(tampered, base, classifier=fitted.classifier)
    assert checked.kept == len(report.sentences)


def test_a_one_letter_revision_quote_does_not_blank_the_drawings_other_words(fitted: Fitted) -> None:
    """Revision "A" was blanked everywhere in the sentence, breaking DWG-FA-SH-4001 into numbers."""
    from moesaic.data.schema import Drawing

    request = next(r for r in fitted.requests if r.label != NORMAL)
    asset_type = next(a.asset_type for a in fitted.data.assets if a.asset_id == request.asset_id)
    component = next(
        str(d.fields["component"])
        for d in fitted.data.documents
        if d.kind == "fmea" and d.fields.get("asset_type") == asset_type and d.fields.get("component")
    )
    bom = [{"item": 1, "part_number": "FA-BR-2210", "description": f"{component.upper()} 2210-K", "qty": 1}]
    drawing = Drawing(
        "DWG-FA-SH-4001",
        Path("drawings/DWG-FA-SH-4001.png"),
        asset_id=request.asset_id,
        title_block={"part_name": "FAN SHAFT", "revision": "A"},
        fields={"bom": bom},
    )
    report = _report(fitted._replace(data=dataclasses.replace(fitted.data, drawings=(drawing,))), request)
    cited = [s for s in report.sentences if "DWG-FA-SH-4001" in s.text]
    assert len(cited) == 1, report.removed


def test_cli_report_checks_its_arguments_before_fitting_any_model(
    fitted: Fitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    import moesaic.cli.report as cli_report

    def fit(*args: object) -> None:
        raise AssertionError("the models were asked for before the arguments were checked")

    for name in ("default_classifier", "default_onset_shapes", "default_channel_model"):
        monkeypatch.setattr(report_module, name, fit)
    monkeypatch.setattr(cli_report, "training_cache_ready", lambda: False)  # a first report
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb:
        kb.ingest(fitted.data, source="plant")
    app = typer.Typer()
    app.command(name="report")(report_command)
    app.command(name="verify")(verify_command)  # two commands: the name "report" is kept
    asset = fitted.data.assets[0].asset_id
    cases = {
        "must be after": [asset, "2024-01-12", "2024-01-10", "kb", "r.html"],
        "`start`": [asset, "yesterday-ish", "2024-01-10", "kb", "r.html"],
        "unknown asset 'Z-999'": ["Z-999", "2024-01-10", "2024-01-12", "kb", "r.html"],
        "not a knowledge base": [asset, "2024-01-10", "2024-01-12", "nokb", "r.html"],
        "is a folder": [asset, "2024-01-10", "2024-01-12", "kb", "kb"],
    }
    for said, (who, start, end, base, out) in cases.items():
        args = ["report", "--kb", str(tmp_path / base), "--asset", who, "--start", start, "--end", end]
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / out)])
        assert result.exit_code == 2 and said in " ".join(result.output.split()), (said, result.output)
        assert "first report on this machine" not in result.output


def test_a_window_inside_a_known_fault_says_the_fault_began_before_it(fitted: Fitted) -> None:
    # user report: a window ten days into a recorded bearing wear stated an onset on its first day
    fault = max(
        (e for e in fitted.data.events if e.kind == "fault"),
        key=lambda e: pd.Timestamp(e.end) - pd.Timestamp(e.start),
    )
    start, end = pd.Timestamp(fault.start) + pd.Timedelta(days=2), pd.Timestamp(fault.end)
    report = _report(fitted, Request(fault.asset_id, start, end, NORMAL, None, (), ""))
    recorded = pd.Timestamp(fault.start).strftime("%Y-%m-%d %H:%M")
    said = [s for s in report.sentences if "was still running when the window opened" in s.text]
    assert len(said) == 1 and fault.event_id in said[0].text and recorded in said[0].text
    assert RecordCitation("events", fault.event_id) in said[0].citations
    d = report.diagnosis
    assert d.fault_type == fault.label  # so the recorded start is the onset, not a time in the window
    assert said[0].section == "summary" and d.onset == pd.Timestamp(fault.start)
    base = MemoryBase(fitted.data)
    again = verify_report(Report.from_json(report.to_json()), base, classifier=fitted.classifier)
    assert again.kept == again.sentences
    # a recorded start edited in the text is a time neither cited nor stated
    i = report.sentences.index(said[0])
    wrong = (pd.Timestamp(fault.start) + pd.Timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")
    edited = dataclasses.replace(said[0], template=said[0].template.replace(recorded, wrong))
    sentences = (*report.sentences[:i], edited, *report.sentences[i + 1 :])
    checked = verify_report(
        dataclasses.replace(report, sentences=sentences), base, classifier=fitted.classifier
    )
    assert checked.kept == checked.sentences - 1
    # a running fault of another type is said in the evidence, with its type; the summary is the model's
    other = dataclasses.replace(fault, label="coupling misalignment")
    events = tuple(other if e is fault else e for e in fitted.data.events)
    data = dataclasses.replace(fitted.data, events=events)
    report = diagnose(
        MemoryBase(data),
        fault.asset_id,
        start,
        end,
        classifier=fitted.classifier,
        channel_model=fitted.channels,
        onset_shapes=fitted.shapes,
    )
    said = [s for s in report.sentences if "was still running when the window opened" in s.text]
    assert [s.section for s in said] == ["evidence"] and "(coupling misalignment)" in said[0].text
    assert "began before the window" not in " ".join(s.text for s in report.section("summary"))


def test_a_cited_work_order_whose_id_is_a_number_keeps_its_sentence(fitted: Fitted) -> None:
    from moesaic.data.schema import Document

    request = next(r for r in fitted.requests if r.label != NORMAL)
    order = Document(
        "400110", "work_order", "DE brg temp rising", request.asset_id, pd.Timestamp(request.start)
    )
    data = dataclasses.replace(fitted.data, documents=(*fitted.data.documents, order))
    report = _report(fitted, request)
    cited, quoted = (RecordCitation("documents", "400110"),), (Quote("documents", "400110", order.text),)
    kept = Sentence("history", 'Work order 400110: "DE brg temp rising".', citations=cited, quotes=quoted)
    edited = dataclasses.replace(kept, template='Work order 400111: "DE brg temp rising".')
    draft = dataclasses.replace(report, sentences=(*report.sentences, kept, edited), removed=())
    result = verify_report(draft, MemoryBase(data), classifier=fitted.classifier)
    texts = [s.text for s in result.report.sentences]
    assert kept.text in texts and edited.text not in texts  # only the cited record's own id is not a number
