"""Maintenance scenarios: candidates from history and FMEA, a ranker that learns from expert feedback."""

from moesaic.reports.scenarios.actions import ACTIONS
from moesaic.reports.scenarios.candidates import CandidateConfig, ScenarioGenerator, scenario_key
from moesaic.reports.scenarios.feedback import feedback_log, load_ranker, rebuild_ranker, record_feedback
from moesaic.reports.scenarios.planner import ScenarioPlan, plan_scenarios
from moesaic.reports.scenarios.ranker import RankerConfig, ScenarioRanker, Verdict
from moesaic.reports.scenarios.scenario import Citation, Scenario, Situation

__all__ = [
    "ACTIONS",
    "CandidateConfig",
    "Citation",
    "RankerConfig",
    "Scenario",
    "ScenarioGenerator",
    "ScenarioPlan",
    "ScenarioRanker",
    "Situation",
    "Verdict",
    "feedback_log",
    "load_ranker",
    "plan_scenarios",
    "rebuild_ranker",
    "record_feedback",
    "scenario_key",
]
