"""Scenarios: candidates from a tiny synthetic history, the online ranker, stored feedback, the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.scenarios import (
    Citation,
    Scenario,
    ScenarioRanker,
    Verdict,
    feedback_log,
    load_ranker,
    plan_scenarios,
    rebuild_ranker,
    record_feedback,
    scenario_key,
)
from moesaic.reports.scenarios.candidates import action_verb, failure_mode, text_verbs
from moesaic.reports.scenarios.evaluation import Case, feedback_curve, score_ranking, simulate_expert
from moesaic.reports.scenarios.planner import window_situation

ORDERS = [
    # (id, asset, date, text, Action, FM, Cost, RunningTime)
    ("1", "A", "2020-01-05", "HYD OIL LEAK ON BOOM CYLINDER", "", "Leak", 100.0, 10.0),
    ("2", "B", "2020-01-20", "OIL LEAK BOOM CYLINDER HOSE", "", "Leak", 300.0, 30.0),
    ("3", "A", "2020-02-02", "REPAIR OIL LEAK ON STICK CYLINDER", "Repair", "Leak", 50.0, 4.0),
    ("4", "B", "2020-02-10", "REPAIR HYD LEAK BOOM CYLINDER", "Repair", "Leak", 70.0, 6.0),
    ("5", "A", "2020-03-01", "REPLACE BUCKET TEETH", "Replace", "", 900.0, float("nan")),
    ("6", "B", "2020-03-09", "REPLACE 2 BUCKET TEETH", "Replace", "", 1100.0, float("nan")),
    ("7", "A", "2020-04-01", "ENGINE OVERHEATING", "", "Over Temp", 500.0, 8.0),
    ("8", "B", "2020-04-15", "RH ENGINE OVERHEATING", "", "Over Temp", 700.0, 12.0),
]
FMEA = {
    "Subsystem": "Hydraulics",
    "Component": "Boom cylinder",
    "Sub-Component": "Seal",
    "Potential Failure Mode": "Leak",
    "Potential Effect(s) of Failure": "Loss of oil",
    "Potential Cause(s) of Failure": "Worn seal",
    "Current Controls": "Daily walk-around",
    "Recommended Action": "Replace seal kit",
    "Severity": 6,
    "Occurrence": 4,
    "Detection": 3,
    "RPN": 72,
}


def _data() -> MaintenanceData:
    documents = [
        Document(
            doc_id=i,
            kind="work_order",
            text=text,
            asset_id=asset,
            time=pd.Timestamp(day),
            fields={"Action": action, "FM": fm, "Cost": cost, "RunningTime": hours, "MajorSystem": "Hyd"},
        )
        for i, asset, day, text, action, fm, cost, hours in ORDERS
    ]
    documents.append(Document(doc_id="F1", kind="fmea", text="Boom cylinder seal leak", fields=FMEA))
    assets = (Asset(asset_id="A", asset_type="excavator"), Asset(asset_id="B", asset_type="excavator"))
    return MaintenanceData(name="tiny", assets=assets, documents=tuple(documents))


@pytest.fixture()
def kb_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    with KnowledgeBase.open(folder, create=True, embedder="hashing") as kb:
        kb.ingest(_data(), source="t")
    return folder


def _scenario(sid: str, key: str, **features: float) -> Scenario:
    cites = (Citation("documents", "a", "x"), Citation("documents", "b", "y"))
    return Scenario(
        scenario_id=sid,
        key=key,
        failure_mode=key.split(":")[1],
        steps=("inspect",),
        reason="test",
        downtime_h=None,
        cost=None,
        severity=None,
        occurrence=None,
        citations=cites,
        features=features,
    )


def test_codes_map_to_verbs_and_failure_modes() -> None:
    assert action_verb("Minor Maint_Replace") == "replace"
    assert action_verb("CM") == "monitor"
    assert action_verb("") == "inspect"
    assert failure_mode("Fail to Start_Unspecified") == "Fail to Start"
    assert scenario_key("Repair", "") == "repair:uncoded"
    assert text_verbs("please REPLACE the hose and check it") == {"replace", "inspect"}


def test_scenario_needs_two_citations() -> None:
    with pytest.raises(ValueError, match="at least 2 citations"):
        Scenario("s", "k:x", "x", (), "", None, None, None, None, (Citation("documents", "a", "x"),))


def test_plan_cites_history_and_fmea(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        plan = plan_scenarios(kb, asset_id="A", text="oil leak on boom cylinder", top=5)
    keys = [s.key for s in plan.scenarios]
    assert set(keys[:2]) == {"inspect:Leak", "repair:Leak"}
    leak = next(s for s in plan.scenarios if s.key == "inspect:Leak")
    assert {c.record_id for c in leak.citations} >= {"t:1", "t:2", "t:F1"}
    assert leak.cost == pytest.approx(200.0) and leak.downtime_h is None  # RunningTime is no downtime
    assert (leak.severity, leak.occurrence) == (6.0, 4.0)
    assert "replace:uncoded" not in keys  # the bucket-teeth orders share no word with a leak
    assert all(s.steps[0].startswith("inspect") for s in plan.scenarios)
    with KnowledgeBase.open(kb_folder) as kb:
        (teeth,) = plan_scenarios(kb, asset_id="A", text="bucket teeth worn").scenarios
    assert teeth.key == "replace:uncoded"
    assert teeth.downtime_h is None and teeth.risk().startswith("unknown")


def test_window_situation_uses_history_before_it(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        april = (pd.Timestamp("2020-04-01"), pd.Timestamp("2020-04-30"))
        assert "ENGINE OVERHEATING" in window_situation(kb, "A", *april).text
        # Only orders 1-6 are before the window: the overheating orders cannot vote, and none of
        # the earlier ones (leaks, bucket teeth) shares a word with it, so nothing is claimed.
        with pytest.raises(ValueError, match="no similar past work orders"):
            plan_scenarios(kb, asset_id="A", window=april)
        with pytest.raises(ValueError, match="no events or work orders"):
            plan_scenarios(kb, asset_id="A", window=(pd.Timestamp("2019-01-01"), pd.Timestamp("2019-02-01")))
        with pytest.raises(ValueError, match="exactly one"):
            plan_scenarios(kb, asset_id="A")


def test_ranker_accept_reject_and_rank() -> None:
    # Each scenario has its own indicator feature, so any order is reachable.
    a, b, c = (
        _scenario(n, f"{n}:m", **{"vote": v, f"key={n}": 1.0})
        for n, v in zip("abc", (0.6, 0.3, 0.1), strict=True)
    )
    ranker = ScenarioRanker()
    assert [s.scenario_id for s in ranker.rank([c, b, a])] == ["a", "b", "c"]
    for _ in range(20):
        ranker.update([a, b, c], Verdict("c", "accept", None))
    assert ranker.rank([a, b, c])[0].scenario_id == "c"
    ranker = ScenarioRanker()
    for _ in range(20):
        ranker.update([a, b, c], Verdict("a", "reject", None))
    assert ranker.rank([a, b, c])[-1].scenario_id == "a"
    ranker = ScenarioRanker()
    for _ in range(20):
        ranker.update([a, b, c], Verdict("c", "rank", 2))
    assert [s.scenario_id for s in ranker.rank([a, b, c])][1] == "c"
    with pytest.raises(ValueError, match="verdict must be one of"):
        ranker.update([a], Verdict("a", "maybe", None))
    with pytest.raises(ValueError, match="not among"):
        ranker.update([a], Verdict("zz", "accept", None))


def test_feedback_is_stored_and_replay_rebuilds_the_ranker(kb_folder: Path) -> None:
    with KnowledgeBase.open(kb_folder) as kb:
        first = plan_scenarios(kb, asset_id="A", text="oil leak on boom cylinder").scenarios
        second = plan_scenarios(kb, asset_id="B", text="engine overheating again").scenarios
        verdicts = [
            Verdict(first[1].scenario_id, "accept", None),
            Verdict(second[0].scenario_id, "reject", None),
            Verdict(first[0].scenario_id, "rank", 3),
        ]
        for v in verdicts:
            record_feedback(kb.connection, v, who="alice", note="n")
        with pytest.raises(KeyError, match="no proposed scenario"):
            record_feedback(kb.connection, Verdict("missing", "accept", None), who="bob")
        with pytest.raises(ValueError, match="needs a position"):  # rolled back: nothing is stored
            record_feedback(kb.connection, Verdict(first[0].scenario_id, "rank", None), who="bob")
        log = feedback_log(kb.connection)
        assert [(r.scenario_id, r.verdict, r.who) for r in log] == [
            (v.scenario_id, v.verdict, "alice") for v in verdicts
        ]
        assert all(r.at for r in log)
    with KnowledgeBase.open(kb_folder) as kb:  # reopened: nothing was lost
        online, replayed = load_ranker(kb.connection), rebuild_ranker(kb.connection)
        assert online.weights_ == pytest.approx(replayed.weights_)
        assert online.weights_ != {"vote": 1.0}  # the feedback did move the ranker
        again = plan_scenarios(kb, asset_id="A", text="oil leak on boom cylinder").scenarios
        assert again[0].scenario_id == first[1].scenario_id  # the accepted one now leads
        assert [s.scenario_id for s in online.rank(again)] == [s.scenario_id for s in replayed.rank(again)]


def test_simulated_expert_improves_a_systematically_wrong_ranker() -> None:
    def case(i: int) -> Case:
        # The vote prefers "x", but the answer is always the "y" key: a per-key prior to learn.
        x = _scenario(f"x{i}", "x:1", **{"vote": 0.6, "key=x:1": 1.0})
        return Case([x, _scenario(f"y{i}", "y:2", **{"vote": 0.4, "key=y:2": 1.0})], "y:2")

    feedback, held = [case(i) for i in range(10)], [case(100 + i) for i in range(5)]
    cold = score_ranking(ScenarioRanker(), held, k=1)
    assert (cold.hits_at_3, cold.mrr, cold.cases) == (0.0, 0.5, 5)
    # One case (accept y, then reject x, still first) narrows the gap of 0.2 without closing it:
    # a verdict moves a score difference by at most max_shift / (prior_weight + 1) = 0.1 at once.
    ranker = ScenarioRanker()
    assert simulate_expert(ranker, feedback[:1]) == 2
    x, y = held[0].candidates
    assert 0.0 < ranker.score(x) - ranker.score(y) < 0.2
    curve = feedback_curve(ScenarioRanker, feedback, held, (0, 1, 5, 10))
    assert curve[0].mrr == curve[1].mrr == 0.5 and curve[5].mrr == curve[10].mrr == 1.0


def test_cli_scenarios_and_feedback(kb_folder: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(
        app, ["scenarios", "--kb", str(kb_folder), "--asset", "A", "--work-order", "boom leak"]
    )
    assert shown.exit_code == 0, shown.output
    assert "inspect:Leak" in shown.output and "risk if deferred" in shown.output
    with KnowledgeBase.open(kb_folder) as kb:
        sid = plan_scenarios(kb, asset_id="A", text="boom leak").scenarios[0].scenario_id
    given = runner.invoke(
        app, ["feedback", "--kb", str(kb_folder), "--scenario", sid, "accept", "--who", "eve"]
    )
    assert given.exit_code == 0 and "by eve" in given.output
    bad = runner.invoke(app, ["feedback", "--kb", str(kb_folder), "--scenario", sid, "rank"])
    assert bad.exit_code == 2 and "position" in bad.output
