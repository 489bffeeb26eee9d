"""The verifier checks the text a report file shows, and the CLI picks and reads report formats.

A JSON report stores each sentence's text next to its template and quantities; the verifier must
fail a sentence whose text was edited even when its quantities are still right.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import typer
from typer.testing import CliRunner

import moesaic.cli.report as cli_report
import moesaic.cli.verify as cli_verify
import moesaic.reports.diagnose.report as report_module
from moesaic.cli.report import report as report_command
from moesaic.cli.report import report_format
from moesaic.cli.verify import verify as verify_command
from moesaic.data.schema import MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.diagnose import MemoryBase, Report, Sentence, diagnose, verify_report
from moesaic.reports.diagnose.claims import RecordCitation
from moesaic.reports.diagnose.episodes import Request
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier
from moesaic.reports.diagnose.verify import text_difference


class Plant(NamedTuple):
    data: MaintenanceData
    classifier: FaultClassifier
    fault: Request  # a window with a fault


@pytest.fixture(scope="module")
def plant(small_diagnosed_plant: dict[str, Any]) -> Plant:
    p = small_diagnosed_plant
    fault = next(r for r in p["requests"] if r.label != NORMAL)
    return Plant(p["data"], p["classifier"], fault)


@pytest.fixture(scope="module")
def document(plant: Plant, small_diagnosed_plant: dict[str, Any]) -> dict[str, Any]:
    """A genuine report on the fault window, in its JSON form."""
    report = diagnose(
        MemoryBase(plant.data),
        plant.fault.asset_id,
        plant.fault.start,
        plant.fault.end,
        classifier=plant.classifier,
        channel_model=small_diagnosed_plant["channels"],
        onset_shapes={},
        panels=False,
    )
    return json.loads(json.dumps(report.to_json()))


def _verify(plant: Plant, document: dict[str, Any]) -> Any:
    return verify_report(Report.from_json(document), MemoryBase(plant.data), classifier=plant.classifier)


def _edited(document: dict[str, Any], index: int, old: str, new: str) -> dict[str, Any]:
    """``document`` with ``old`` replaced by ``new`` in the text (only) of sentence ``index``."""
    edited = json.loads(json.dumps(document))
    text = edited["sentences"][index]["text"]
    assert old in text, (old, text)
    edited["sentences"][index]["text"] = text.replace(old, new, 1)
    return edited


def test_a_genuine_report_read_back_from_json_verifies(plant: Plant, document: dict[str, Any]) -> None:
    result = _verify(plant, document)
    assert result.kept == result.sentences == len(document["sentences"]) > 0
    assert result.rewritten == 0 and result.failed == ()
    assert [s.text for s in result.report.sentences] == [s["text"] for s in document["sentences"]]


def test_a_number_edited_in_the_text_only_fails_its_sentence(plant: Plant, document: dict[str, Any]) -> None:
    index = next(i for i, s in enumerate(document["sentences"]) if s["quantities"])
    stated = document["sentences"][index]["quantities"][0]["text"]
    forged = "9" + stated.lstrip("+-")
    edited = _edited(document, index, stated, forged)
    result = _verify(plant, edited)
    assert result.failed == (index,) and result.rewritten == 0
    assert result.kept == result.sentences - 1
    assert result.numbers_ok == result.numbers  # the quantities were not touched, only the text
    removal = result.report.removed[-1]
    assert removal.text == edited["sentences"][index]["text"]  # what the file showed
    assert "the text does not match its verified form" in removal.reason
    assert f"where the verified sentence says {stated!r}" in removal.reason
    assert document["sentences"][index]["text"] in removal.reason  # the sentence as recomputed


def test_a_number_edited_with_its_tolerance_or_its_stored_value_alone_fails(
    plant: Plant, document: dict[str, Any]
) -> None:
    # walk-through: a median changed in the text and the quantity, every tolerance set to 10,
    # verified; so did a quantity's stored value changed without its text
    index = next(i for i, s in enumerate(document["sentences"]) if s["quantities"])
    q = document["sentences"][index]["quantities"][0]
    forged = f"{float(q['text']) + 3:.{len(q['text'].partition('.')[2])}f}"
    widened = _edited(document, index, q["text"], forged)
    for quantity in widened["sentences"][index]["quantities"]:
        quantity["tolerance"] = 10.0
    widened["sentences"][index]["quantities"][0].update(text=forged, value=float(forged))
    assert _verify(plant, widened).failed == (index,)
    stored = json.loads(json.dumps(document))
    stored["sentences"][index]["quantities"][0]["value"] = q["value"] + 3.0
    result = _verify(plant, stored)
    assert result.failed == (index,) and result.rewritten == 1
    fixed = result.report.sentences[index].quantities[0]
    assert abs(fixed.value - q["value"]) < 1e-6  # the verified report carries the recomputed value


def test_a_diagnosis_block_that_says_other_than_the_summary_fails(
    plant: Plant, document: dict[str, Any]
) -> None:
    # walk-through: fault type, confidence, onset and asset of the diagnosis block edited, verified
    assert _verify(plant, document).diagnosis_problems == ()
    edits = {"fault_type": "seal_leak_nowhere", "confidence": 0.99, "onset": "2001-01-01T00:00:00"}
    for field, value in edits.items():
        edited = json.loads(json.dumps(document))
        edited["diagnosis"][field] = value
        result = _verify(plant, edited)
        assert result.failed == () and len(result.diagnosis_problems) == 1, (field, result.diagnosis_problems)
        assert result.report.diagnosis.to_json() == document["diagnosis"]  # the block the sentences support
    moved = json.loads(json.dumps(document))
    moved["diagnosis"]["asset_id"] = "another:asset"  # its sentences then fail too: they cite the other
    problems = _verify(plant, moved).diagnosis_problems
    assert (
        f"it names asset 'another:asset'; its sentences cite {document['diagnosis']['asset_id']!r}"
        in problems
    )


def test_a_fault_or_channel_name_edited_in_the_text_fails(plant: Plant, document: dict[str, Any]) -> None:
    fault_type = document["diagnosis"]["fault_type"]
    sentences = document["sentences"]
    named = [(i, s["text"]) for i, s in enumerate(sentences)]
    assert fault_type is not None, "the small plant's fault window should name a probable fault"
    label = fault_type.replace("_", " ")
    i = next(i for i, text in named if label in text)  # the summary
    result = _verify(plant, _edited(document, i, label, "impeller damage"))
    assert result.failed == (i,)
    assert f"it says 'impeller damage' where the verified sentence says {label!r}" in (
        result.report.removed[-1].reason
    )
    channels = [c for s in sentences for c in s["citations"] if c["kind"] == "series" and c["channel"] != "*"]
    assert channels, "the fault report cites no single channel"
    channel = channels[0]["channel"]
    i = next(i for i, text in named if channel in text)
    result = _verify(plant, _edited(document, i, channel, "gearbox_temp"))
    assert result.failed == (i,) and "gearbox_temp" in result.report.removed[-1].reason


def test_a_template_its_quantities_cannot_fill_is_removed_not_a_crash(
    plant: Plant, document: dict[str, Any]
) -> None:
    report = Report.from_json(document)
    broken = Sentence(
        "history", "Seen {3} times.", citations=(RecordCitation("assets", plant.fault.asset_id),)
    )
    draft = Report(report.diagnosis, (*report.sentences, broken))
    result = verify_report(draft, MemoryBase(plant.data), classifier=plant.classifier)
    assert result.failed == (len(report.sentences),)
    assert "cannot be filled with its 0 quantities" in result.report.removed[-1].reason


def test_text_difference_names_each_edit() -> None:
    assert text_difference("peak 1.71.", "peak 1.71.") == ""
    assert text_difference("peak score 17.1.", "peak score 1.71.") == (
        "it says '17.1' where the verified sentence says '1.71'"
    )
    assert text_difference("raised no alarm.", "raised no alarm at all.") == "it leaves out 'at all'"
    assert text_difference("a very big b.", "a b.") == "it adds 'very big'"


@pytest.mark.parametrize(
    ("fmt", "out", "expected"),
    [
        (None, "r.json", "json"),
        (None, "r.JSON", "json"),
        (None, "r.html", "html"),
        (None, "r.htm", "html"),
        (None, "r.md", "md"),
        (None, "r.txt", "html"),
        (None, "report", "html"),
        ("json", "r.json", "json"),
        ("md", "r.txt", "md"),
    ],
)
def test_the_format_follows_the_out_extension_unless_given(fmt: str | None, out: str, expected: str) -> None:
    assert report_format(fmt, Path(out)) == expected


def test_a_format_that_contradicts_the_extension_is_refused() -> None:
    with pytest.raises(ValueError, match=r"--format html contradicts --out r.json, whose extension .json"):
        report_format("html", Path("r.json"))
    with pytest.raises(ValueError, match="choose one of md, html, json"):
        report_format("yaml", Path("r.yaml"))


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command(name="report")(report_command)
    app.command(name="verify")(verify_command)
    return app


def test_cli_writes_json_for_a_json_out_and_verify_fails_an_edited_text(
    plant: Plant,
    small_diagnosed_plant: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_module, "default_classifier", lambda: plant.classifier)
    monkeypatch.setattr(report_module, "default_onset_shapes", lambda: {})
    monkeypatch.setattr(report_module, "default_channel_model", lambda: small_diagnosed_plant["channels"])
    monkeypatch.setattr(cli_verify, "default_classifier", lambda: plant.classifier)
    kb = tmp_path / "kb"
    with KnowledgeBase.open(kb, create=True, embedder="hashing") as base:
        base.ingest(plant.data, source="plant")
    out = tmp_path / "report.json"
    window = [
        "--asset",
        plant.fault.asset_id,
        "--start",
        str(plant.fault.start),
        "--end",
        str(plant.fault.end),
    ]
    app, runner = _app(), CliRunner()
    written = runner.invoke(app, ["report", "--kb", str(kb), *window, "--out", str(out)])
    assert written.exit_code == 0, written.output
    document = json.loads(out.read_text())  # JSON, though no --format was given
    checked = runner.invoke(app, ["verify", str(out), "--kb", str(kb)])
    assert checked.exit_code == 0 and "0 removed" in checked.output, checked.output
    index = next(i for i, s in enumerate(document["sentences"]) if s["quantities"])
    stated = document["sentences"][index]["quantities"][0]["text"]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(_edited(document, index, stated, "9" + stated.lstrip("+-"))))
    failed = runner.invoke(app, ["verify", str(forged), "--kb", str(kb)])
    assert failed.exit_code == 1, failed.output
    output = " ".join(failed.output.split())
    assert f"failed: sentence {index + 1} of {len(document['sentences'])}" in output
    assert "the text does not match its verified form" in output and "1 removed" in output
    with KnowledgeBase.open(tmp_path / "other", create=True, embedder="hashing"):
        pass  # a base without the report's asset
    wrong = runner.invoke(app, ["verify", str(out), "--kb", str(tmp_path / "other")])
    message = " ".join(wrong.output.split())
    assert wrong.exit_code == 2 and f"holds no asset 'plant:{plant.fault.asset_id}'" in message
    assert message.count("error") == 1


def test_cli_refuses_a_format_that_contradicts_out_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report was computed")

    monkeypatch.setattr(cli_report, "diagnose", no_work)
    monkeypatch.setattr(cli_report, "training_cache_ready", no_work)
    out = tmp_path / "r.json"
    args = ["report", "--kb", str(tmp_path), "--asset", "A", "--start", "2024-01-01", "--end", "2024-01-02"]
    result = CliRunner().invoke(_app(), [*args, "--format", "html", "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "--format html contradicts --out" in " ".join(result.output.split())


def test_cli_verify_says_what_a_non_json_file_is(tmp_path: Path) -> None:
    html = tmp_path / "r.json"
    html.write_text("<!doctype html>\n<html lang='en'><head></head></html>\n")
    junk = tmp_path / "j.json"
    junk.write_text("hello\n")
    other = tmp_path / "o.json"
    other.write_text('{"a": 1}\n')
    cut = tmp_path / "c.json"
    cut.write_text('{"format": "moesaic.report/1", "diag')
    app = _app()
    seen = {}
    for path in (html, junk, other, cut):
        result = CliRunner().invoke(app, ["verify", str(path), "--kb", str(tmp_path)])
        assert result.exit_code == 2, result.output
        seen[path.name] = " ".join(result.output.split())
    assert "this is an HTML report; verify reads the JSON form" in seen["r.json"]
    assert "--format json" in seen["r.json"] and "Expecting value" not in seen["r.json"]
    assert "j.json: not a moesaic JSON report" in seen["j.json"]
    assert "o.json: not a moesaic report" in seen["o.json"]
    assert "c.json: not a moesaic JSON report: invalid JSON (line 1" in seen["c.json"]
    assert "cut short" in seen["c.json"]
