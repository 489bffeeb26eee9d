"""The verifier accepts only sentences the composer can write, naming what their numbers are about.

User test item 5: a report whose sentence text AND template were both edited ("vibration went
from ..." made "pressure went from ...", "No marked change" made "A marked change") passed
``moesaic verify`` with every number recomputed from the original citation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import moesaic.cli.verify as cli_verify
from moesaic.cli.verify import verify as verify_command
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.diagnose import MemoryBase, Report, diagnose, verify_report
from moesaic.reports.diagnose.faults import NORMAL
from moesaic.reports.diagnose.forms import FORMS, FormChecker, fill

UNITS = {"vibration": "mm/s", "pressure": "bar", "oil{x}": ""}


def _slots(template: str) -> dict[str, str]:
    """Plausible slot values for every named slot of ``template``."""
    values = {
        "channel": "vibration",
        "channels": "vibration, pressure",
        "unit": " mm/s",
        "time": "2024-02-20 06:00",
        "detector": "pca",
        "rank": "second",
        "normal_reason": "the window looks normal",
        "fmea_details": "; effects: noise; known causes: wear",
        "drawing_details": ': "CASING", revision "B"',
    }
    names = re.findall(r"\{([a-z_]+)\}", template)
    return {n: values.get(n, "X-1") for n in names}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_form_the_composer_fills_is_read_back_as_that_form(name: str) -> None:
    slots = _slots(FORMS[name].template)
    match = FormChecker(UNITS).match(fill(name, **slots))
    assert match is not None and match[0] == name
    assert match[1] == slots


def test_a_channel_name_with_braces_is_read_back_from_its_doubled_braces() -> None:
    template = fill("channel_spikes", channel="oil{x}").replace("{x}", "{{x}}")  # as Composer.add stores it
    assert FormChecker(UNITS).match(template) == ("channel_spikes", {"channel": "oil{x}"})


def test_an_edited_connective_or_a_channel_of_another_asset_is_no_form() -> None:
    checker = FormChecker(UNITS)
    assert checker.match("A marked change on vibration.") is None
    assert checker.match("No marked change on gearbox_temp.") is None
    assert checker.match("vibration holds {0} isolated spikes in the window, all harmless.") is None


# ------------------------------------------------------------------ edited reports


@pytest.fixture(scope="module")
def genuine(small_diagnosed_plant: dict[str, Any]) -> dict[str, Any]:
    """A fault report of the small plant in its JSON form, with a channel-change sentence and a
    'No marked change' sentence."""
    p = small_diagnosed_plant
    base = MemoryBase(p["data"])
    kw = {"classifier": p["classifier"], "channel_model": p["channels"], "onset_shapes": {}, "panels": False}
    for request in (r for r in p["requests"] if r.label != NORMAL):
        report = diagnose(base, request.asset_id, request.start, request.end, **kw)
        texts = [s.text for s in report.sentences]
        if any(" went from a median of " in t for t in texts) and any(
            t.startswith("No marked") for t in texts
        ):
            return {
                "document": json.loads(json.dumps(report.to_json())),
                "plant": p,
                "request": request,
                "kw": kw,
            }
    raise AssertionError("no fault report of the small plant has both sentences")


def _index(document: dict[str, Any], pattern: str) -> int:
    return next(i for i, s in enumerate(document["sentences"]) if re.search(pattern, s["text"]))


def _edit(document: dict[str, Any], index: int, old: str, new: str) -> dict[str, Any]:
    """``document`` with ``old`` replaced by ``new`` in both the text and the template of a sentence."""
    edited = json.loads(json.dumps(document))
    sentence = edited["sentences"][index]
    for key in ("text", "template"):
        assert old in sentence[key], (old, sentence[key])
        sentence[key] = sentence[key].replace(old, new, 1)
    return edited


def _verify(genuine: dict[str, Any], document: dict[str, Any]) -> Any:
    p = genuine["plant"]
    return verify_report(Report.from_json(document), MemoryBase(p["data"]), classifier=p["classifier"])


def _other_channel(genuine: dict[str, Any], channel: str) -> str:
    asset = genuine["request"].asset_id
    series = next(s for s in genuine["plant"]["data"].series if s.asset_id == asset)
    return next(c for c in series.channels if c != channel)


def test_the_genuine_report_verifies(genuine: dict[str, Any]) -> None:
    result = _verify(genuine, genuine["document"])
    assert result.kept == result.sentences and not result.failed


def test_another_channel_named_in_text_and_template_fails_naming_both(genuine: dict[str, Any]) -> None:
    document = genuine["document"]
    i = _index(document, " went from a median of ")
    channel = document["sentences"][i]["text"].split(" went from")[0]
    other = _other_channel(genuine, channel)
    result = _verify(genuine, _edit(document, i, channel, other))
    assert result.failed == (i,) and result.numbers_ok == result.numbers  # the numbers still recompute
    assert (
        f"it names {other} but its numbers and citations are about {channel}"
        in result.report.removed[-1].reason
    )


def test_a_negation_turned_into_a_claim_is_not_a_sentence_a_report_writes(genuine: dict[str, Any]) -> None:
    document = genuine["document"]
    i = _index(document, "^No marked change")
    result = _verify(genuine, _edit(document, i, "No marked change", "A marked change"))
    assert result.failed == (i,)
    assert "its template is not one a report writes: 'A marked change on " in result.report.removed[-1].reason


def test_numbers_swapped_in_the_quantities_fail_even_when_text_and_template_agree(
    genuine: dict[str, Any],
) -> None:
    document = json.loads(json.dumps(genuine["document"]))
    i = _index(document, " went from a median of ")
    sentence = document["sentences"][i]
    sentence["quantities"][0], sentence["quantities"][1] = (
        sentence["quantities"][1],
        sentence["quantities"][0],
    )
    sentence["text"] = sentence["template"].format(*(q["text"] for q in sentence["quantities"]))
    result = _verify(genuine, document)
    assert result.failed == (i,)
    assert "its numbers are ['median', 'baseline_median'," in result.report.removed[-1].reason


def test_another_fault_type_or_unit_named_in_text_and_template_fails(genuine: dict[str, Any]) -> None:
    document = genuine["document"]
    label = document["diagnosis"]["fault_type"].replace("_", " ")
    i = _index(document, f"shows a probable {label}")
    result = _verify(genuine, _edit(document, i, f"probable {label}", "probable impeller damage"))
    assert result.failed == (i,)
    assert "it names the fault type 'impeller damage' but states the confidence of" in (
        result.report.removed[-1].reason
    )


def test_another_unit_in_text_and_template_fails(genuine: dict[str, Any]) -> None:
    document = json.loads(json.dumps(genuine["document"]))
    i = _index(document, " went from a median of ")
    sentence = document["sentences"][i]
    channel = sentence["text"].split(" went from")[0]
    series = next(s for s in genuine["plant"]["data"].series if s.asset_id == genuine["request"].asset_id)
    units = dict(series.meta["units"])
    other = next(u for u in units.values() if u and u != units[channel])
    for key in ("text", "template"):
        sentence[key] = sentence[key].replace(f" {units[channel]}", f" {other}")
    result = _verify(genuine, document)
    assert result.failed == (i,)
    assert f"it gives {channel} the unit {other!r}; its series says {units[channel]!r}" in (
        result.report.removed[-1].reason
    )


def test_a_reworded_sentence_verifies_through_its_template_sentence_and_an_edit_of_both_fails(
    genuine: dict[str, Any],
) -> None:
    r, kw = genuine["request"], genuine["kw"]
    base = MemoryBase(genuine["plant"]["data"])
    report = diagnose(base, r.asset_id, r.start, r.end, phrase=True, phraser=_lead_in, **kw)
    document = json.loads(json.dumps(report.to_json()))
    assert _verify(genuine, document).failed == ()
    i = _index(document, "^In short: .* went from a median of ")
    text = document["sentences"][i]["text"]
    channel = text.removeprefix("In short: ").split(" went from")[0]
    other = _other_channel(genuine, channel)
    forged = _edit(document, i, channel, other)
    for w in forged["phrasing"]["sentences"]:
        if w["rewrite"] == text:
            w["rewrite"] = forged["sentences"][i]["text"]
    result = _verify(genuine, forged)
    assert result.failed == (i,)
    assert "fails the pre-check: channel names or units lost" in result.report.removed[-1].reason


def _lead_in(texts: Any) -> list[str]:
    return [f"In short: {t}" for t in texts]


def test_cli_verify_fails_an_edited_channel_with_a_message_naming_the_sentence(
    genuine: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = genuine["plant"]
    monkeypatch.setattr(cli_verify, "default_classifier", lambda: p["classifier"])
    kb, r = tmp_path / "kb", genuine["request"]
    with KnowledgeBase.open(kb, create=True, embedder="hashing") as base:
        base.ingest(p["data"], source="plant")
        document = json.loads(
            json.dumps(diagnose(base, r.asset_id, r.start, r.end, **genuine["kw"]).to_json())
        )
    i = _index(document, " went from a median of ")
    channel = document["sentences"][i]["text"].split(" went from")[0]
    other = _other_channel(genuine, channel)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(_edit(document, i, channel, other)))
    app = typer.Typer()
    app.command(name="verify")(verify_command)
    app.command(name="noop")(lambda: None)
    result = CliRunner().invoke(app, ["verify", str(forged), "--kb", str(kb)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert f"failed: sentence {i + 1} of {len(document['sentences'])} (evidence): {other} went from" in output
    assert f"it names {other} but its numbers and citations are about {channel}" in output
