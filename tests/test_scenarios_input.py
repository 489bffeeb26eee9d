"""Scenarios and feedback on odd input: a rank outside the proposed list, a situation like no past order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import Verdict, feedback_log, plan_scenarios, record_feedback
from moesaic.reports.scenarios.candidates import content_words
from moesaic.reports.scenarios.feedback import proposals

# Two codings with two orders each: every situation about them gets exactly 2 scenarios.
ORDERS = [
    ("1", "A", "2020-01-05", "HYD OIL LEAK ON BOOM CYLINDER", "", "Leak"),
    ("2", "B", "2020-01-20", "OIL LEAK BOOM CYLINDER HOSE", "", "Leak"),
    ("3", "A", "2020-02-02", "REPAIR OIL LEAK ON STICK CYLINDER", "Repair", "Leak"),
    ("4", "B", "2020-02-10", "REPAIR HYD LEAK BOOM CYLINDER", "Repair", "Leak"),
]


@pytest.fixture()
def kb_folder(tmp_path: Path) -> Path:
    documents = tuple(
        Document(
            doc_id=i,
            kind="work_order",
            text=text,
            asset_id=asset,
            time=pd.Timestamp(day),
            fields={"Action": action, "FM": fm, "Cost": 10.0, "RunningTime": 1.0, "MajorSystem": "Hyd"},
        )
        for i, asset, day, text, action, fm in ORDERS
    )
    assets = (Asset(asset_id="A", asset_type="excavator"), Asset(asset_id="B", asset_type="excavator"))
    folder = tmp_path / "kb"
    with KnowledgeBase.open(folder, create=True, embedder="hashing") as kb:
        kb.ingest(MaintenanceData(name="tiny", assets=assets, documents=documents), source="t")
    return folder


def test_content_words_drop_function_words_numbers_and_single_letters() -> None:
    assert content_words("Replace the 2 L/H bucket teeth on A") == {"replace", "bucket", "teeth"}


@pytest.mark.parametrize("rank", ["0", "3", "99", "1000000000000"])
def test_a_rank_outside_the_proposed_list_is_refused(kb_folder: Path, rank: str) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        plan = plan_scenarios(kb, asset_id="A", text="oil leak on boom cylinder")
        assert len(proposals(kb.connection, plan.situation.situation_id)) == 2
    sid = plan.scenarios[0].scenario_id
    result = CliRunner().invoke(app, ["feedback", "--kb", str(kb_folder), "--scenario", sid, "rank", rank])
    assert result.exit_code == 2
    assert f"rank {rank} for scenario {sid!r}: expected a position from 1 to 2" in result.output
    with KnowledgeBase.open(kb_folder) as kb:
        assert feedback_log(kb.connection) == []  # nothing stored


def test_a_rank_inside_the_list_is_recorded(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        sid = plan_scenarios(kb, asset_id="A", text="oil leak on boom cylinder").scenarios[0].scenario_id
        record = record_feedback(kb.connection, Verdict(sid, "rank", 2), who="eve")
        assert (record.verdict, record.rank) == ("rank", 2)
        with pytest.raises(ValueError, match="expected a position from 1 to 2"):
            record_feedback(kb.connection, Verdict(sid, "rank", -1), who="eve")
        assert len(feedback_log(kb.connection)) == 1


@pytest.mark.parametrize("text", ["zzzz qqqq", "the and of 2"])
def test_a_situation_like_no_past_order_gets_no_scenario(kb_folder: Path, text: str) -> None:
    result = CliRunner().invoke(
        app, ["scenarios", "--kb", str(kb_folder), "--asset", "A", "--work-order", text]
    )
    assert result.exit_code == 0
    assert "no similar past work orders" in result.output
    assert "similar past orders (" not in result.output


def test_one_shared_word_is_enough_to_propose(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        plan = plan_scenarios(kb, asset_id="A", text="zzzz cylinder")
    assert {s.key for s in plan.scenarios} == {"inspect:Leak", "repair:Leak"}
