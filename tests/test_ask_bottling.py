"""Findings of a user's walk through a bottling plant with ``moesaic ask --kb``.

"Who fixed the glue pump" went to retrieval (a part, not an asset, was named) and listed an order
still open among the fixes; "avg sev of the boiler feed pump" went to retrieval; an FMEA question
naming an asset id ("the severity of the BFP-01 seal leak") looked for 'bfp' in the sheet's words;
"the RPN of the AC-01 bearing wear" read a bearing temperature channel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, MaintenanceData, Series
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer, RecordCitation

START = pd.Timestamp("2024-03-01")


def _fmea(doc_id: str, component: str, part: str, mode: str, s: int, o: int, d: int) -> Document:
    fields = {
        "Subsystem": "Plant", "Component": component, "Sub-Component": part,
        "Potential Failure Mode": mode, "Potential Effect(s) of Failure": "stop",
        "Severity": s, "Potential Cause(s) of Failure": "wear", "Occurrence": o,
        "Current Controls": "round", "Detection": d, "RPN": s * o * d, "Recommended Action": "check",
    }  # fmt: skip
    return Document(doc_id, "fmea", f"{component} {part} {mode}", fields=fields)


def _order(doc_id: str, asset: str, day: int, text: str, who: str, *, done: bool = True) -> Document:
    opened = START + pd.Timedelta(days=day)
    fields: dict[str, object] = {"wo_type": "CM", "Technician": who}
    if done:
        fields["completed"] = str(opened + pd.Timedelta(hours=4))
    return Document(doc_id, "work_order", text, asset, opened, fields)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    hours = 24 * 20
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Brg Temp DE": rng.normal(50.0, 1.0, hours),
            "Vib DE": rng.normal(2.0, 0.1, hours),
            "Current": rng.normal(60.0, 2.0, hours),
        }
    )
    series = Series.from_frame(
        frame,
        series_id="AC-01/s",
        asset_id="AC-01",
        time=pd.date_range(START, periods=hours, freq="h").to_numpy(),
    )
    assets = (
        Asset("AC-01", "Air Compressor"),
        Asset("BFP-01", "Boiler Feed Pump"),
        Asset("BFP-02", "Boiler Feed Pump"),
        Asset("LAB-01", "Labeller"),
    )
    documents = (
        _order("WO-1", "LAB-01", 2, "LAB-01 glue pump blocked. cleaned glue pump", "P. Silva"),
        _order("WO-2", "LAB-01", 9, "glue pump blocked again, stripped and cleaned", "K. Novak"),
        _order("WO-3", "LAB-01", 15, "LAB-01 glue pump blocked", "P. Silva", done=False),
        _order("WO-4", "BFP-01", 5, "BFP-01 seal leaking, replaced mech seal", "T. Brandt"),
        _order("WO-5", "AC-01", 12, "AC-01 DE brg noisy, replcd brg", "J. Meyer"),
        _fmea("fmea-1", "Boiler feed pump", "Mechanical seal", "Seal leak", 9, 4, 5),
        _fmea("fmea-2", "Boiler feed pump", "Impeller", "Cavitation", 7, 3, 6),
        _fmea("fmea-3", "Filler", "Valve seal", "Seal leak", 6, 6, 4),
        _fmea("fmea-4", "Air compressor", "DE bearing", "Bearing wear", 8, 4, 5),
        _fmea("fmea-5", "Labeller", "Glue pump", "Blockage", 5, 7, 3),
    )
    data = MaintenanceData("site", assets=assets, series=(series,), documents=documents)
    path = tmp_path_factory.mktemp("kb") / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
    return KbAnswerer(KnowledgeBase.open(path))


def test_who_fixed_a_part_lists_the_people_of_its_orders_and_marks_an_open_one(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Who fixed the glue pump?")
    assert answer.kind == "records" and not answer.abstained, answer.text
    lines = answer.text.splitlines()
    assert lines[0].startswith("The technician of 3 work orders")
    assert lines[1].startswith("P. Silva: [site:WO-1]") and lines[1].endswith("cleaned glue pump")
    assert lines[2].startswith("K. Novak: [site:WO-2]")
    assert lines[3].startswith("P. Silva: [site:WO-3]") and lines[3].endswith(
        "(still open: no completion date)"
    )
    assert RecordCitation("documents", "site:WO-3") in answer.citations


def test_fmea_shorthand_and_an_asset_id_are_read_as_the_sheet_writes_them(answerer: KbAnswerer) -> None:
    severity = answerer.answer("avg sev of the boiler feed pump")
    assert severity.kind == "fmea" and "over 2 failure modes" in severity.text and "8.00" in severity.text
    seal = answerer.answer("what is the severity of the BFP-01 seal leak?")
    assert seal.kind == "fmea" and not seal.abstained, seal.text
    assert seal.rows == ("site:fmea-1",) and "severity 9" in seal.text
    # two assets of one type are that type; of two types, the question stays as asked
    assert answerer.answer("rpn of BFP-02 cavitation").rows == ("site:fmea-2",)
    assert answerer._by_type("RPN of BFP-01 and AC-01", answerer.route("RPN of BFP-01 and AC-01").named) == (
        "RPN of BFP-01 and AC-01"
    )


def test_an_rpn_question_about_an_asset_with_a_bearing_channel_asks_the_fmea(answerer: KbAnswerer) -> None:
    answer = answerer.answer("what is the RPN of the AC-01 bearing wear?")
    assert answer.kind == "fmea" and answer.rows[:1] == ("site:fmea-4",), answer.text
    assert "RPN 160" in answer.text
    # a reading of the same channel is still a series question
    assert answerer.answer("what is the mean Brg Temp DE of AC-01?").kind == "series"


def test_the_sheets_own_path_is_untouched(tmp_path: Path) -> None:
    """A base without FMEA rows still says it has no RPN to answer from."""
    data = MaintenanceData(
        "s", assets=(Asset("P-1", "pump"),), documents=(_order("W", "P-1", 1, "seal", "A. B"),)
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="s")
        answer = KbAnswerer(base).answer("what is the RPN of the P-1 seal?")
    assert answer.abstained and answer.kind == "fmea" and "holds no FMEA rows" in answer.text


def test_an_open_question_about_what_no_record_mentions_abstains(answerer: KbAnswerer) -> None:
    """ask_fresh2 q37 and ask_user2 u2_29 were answered with a dump of the closest records."""
    effluent = answerer.answer("final effluent ammonia at Marsh Lane in June 2024?")
    assert effluent.abstained and effluent.kind == "retrieval", effluent.text
    assert "mentions 'final', 'effluent', 'ammonia', 'marsh', 'lane':" in effluent.text  # not 'june'
    lab = answerer.answer("what did the lab report say for the BFP-01 oil sample?")
    assert lab.abstained and "'report', 'sample'" in lab.text, lab.text
    found = answerer.answer("glue pump blocked again")  # every topic word in some record
    assert not found.abstained and RecordCitation("documents", "site:WO-2") in found.citations


def test_a_channel_called_current_asks_for_no_last_reading(answerer: KbAnswerer) -> None:
    """ask_fresh q19, "What was M-301's average current in January?", also gave the last reading."""
    answer = answerer.answer("What was AC-01's average current in March?")
    assert answer.kind == "series" and "; mean " not in answer.text and "last reading" not in answer.text
    assert ": mean " in answer.text, answer.text
    assert "last reading" in answerer.answer("what is the current Vib DE of AC-01?").text


def test_orders_mentioning_a_part_count_its_shorthand(answerer: KbAnswerer) -> None:
    """Water-station walkthrough: "how many work orders mention bearings" gave 1 of 14; the
    technicians wrote "brg"."""
    answer = answerer.answer("How many work orders mention bearings?")
    assert answer.text.startswith("1 work order mentioning bearings"), answer.text
    assert RecordCitation("documents", "site:WO-5") in answer.citations
    # "orders" alone names the work orders too (it went to retrieval)
    assert answerer.answer("how many orders mention bearings?").text == answer.text


def test_the_retrieval_calibration_is_kept_in_the_base_until_its_records_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Water-station walkthrough: every open question took 14 s, 4 of them re-embedding the
    calibration questions of an unchanged base."""
    from moesaic.reports.ask import retrieve

    calls = []
    real = retrieve.relevance

    def counted(base: KnowledgeBase, questions: list[str]) -> np.ndarray:
        calls.append(len(questions))
        return real(base, questions)

    monkeypatch.setattr(retrieve, "relevance", counted)
    data = MaintenanceData(
        "s", assets=(Asset("P-1", "pump"),), documents=(_order("W", "P-1", 1, "seal leak fixed", "A. B"),)
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="s")
        first = retrieve.calibrate(base)
    retrieve._CALIBRATIONS.clear()  # a new process
    with KnowledgeBase.open(tmp_path / "kb") as base:
        assert retrieve.calibrate(base) == first
        assert len(calls) == 1  # read from the base, not fitted again
        more = (_order("W2", "P-1", 2, "bearing noisy, greased the bearing housing", "C. D"),)
        base.ingest(MaintenanceData("s", documents=more), source="s")
        retrieve.calibrate(base)
    assert len(calls) == 2  # the records changed: fitted again


def test_assets_numbered_in_their_descriptions_are_named_as_a_group(tmp_path: Path) -> None:
    """Water-station walkthrough: "which work orders cost more than 1,000 on the raw water pumps"
    gave "No work orders with cost > 1000 mention 'raw'"; the register describes them "Raw water
    pump 1" to "3", typed centrifugal_pump like the high-lift pumps."""
    assets = (
        Asset("RWP-01", "centrifugal_pump", {"Description": "Raw water pump 1"}),
        Asset("RWP-02", "centrifugal_pump", {"Description": "Raw water pump 2"}),
        Asset("HLP-01", "centrifugal_pump", {"Description": "High-lift pump 1"}),
        Asset("DP-01", "dosing_pump", {"Description": "Hypochlorite dosing pump duty"}),
    )
    costs = (
        ("W1", "RWP-01", 1450.0),
        ("W2", "RWP-02", 300.0),
        ("W3", "HLP-01", 2000.0),
        ("W4", "DP-01", 1200.0),
    )
    orders = tuple(
        Document(
            i, "work_order", f"repair on {a}", a, START + pd.Timedelta(days=n), {"cost": c, "wo_type": "CM"}
        )
        for n, (i, a, c) in enumerate(costs)
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(MaintenanceData("s", assets=assets, documents=orders), source="s")
        answerer = KbAnswerer(base)
        costly = answerer.answer("Which work orders cost more than 1,000 on the raw water pumps?")
        one = answerer.answer("how many work orders on raw water pump 2?")
    assert costly.text.startswith("1 work order of s:RWP-01, s:RWP-02 with cost > 1000"), costly.text
    assert [c.record_id for c in costly.citations] == ["s:W1"]  # type: ignore[union-attr]
    assert one.text.startswith("1 work order of s:RWP-02"), one.text
