"""The steps of a scenario read as words: a failure code is written by its name."""

from __future__ import annotations

from moesaic.data.schema import Document
from moesaic.reports.scenarios.candidates import ScenarioGenerator
from moesaic.reports.scenarios.scenario import Situation
from moesaic.reports.scenarios.steps import history_steps


def _order(doc_id: str, text: str, code: str) -> Document:
    return Document(doc_id, "work_order", text, asset_id="C-1", fields={"failure_code": code, "cost": 100.0})


def test_a_plan_from_past_orders_names_their_failure_code_in_words() -> None:
    # walkthrough: "inspect asset for ohe" (a raw ISO 14224 code)
    orders = [
        _order("1", "condenser fouled, discharge temp high, cleaned condenser", "OHE"),
        _order("2", "discharge temp high again, condenser cleaned", "OHE"),
    ]
    generator = ScenarioGenerator(
        work_orders=orders, fmea=[], search=lambda text, k: [(d.doc_id, 1.0) for d in orders][:k]
    )
    (plan,) = generator.propose(Situation("C-1", "discharge temp high, condenser fouled"))
    assert plan.key == "clean:OHE"
    assert plan.steps == (
        "inspect asset for overheating",
        "clean the affected asset part",
        "monitor asset for a return of the symptom",
    )


def test_an_unknown_code_is_called_a_failure_code_and_a_failure_mode_is_written_in_lower_case() -> None:
    assert history_steps("inspect", "pump", "X12")[0] == "inspect pump for failure code X12"
    assert history_steps("inspect", "pump", "Seal Leak")[0] == "inspect pump for seal leak"
