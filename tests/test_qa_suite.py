"""The ``qa`` suite's FMEA part on a tiny FMEA folder: rows in the bench contract, real metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from moesaic.data.sets.fmea_mining_truck import COLUMNS
from moesaic.data.tables import DataFormatError
from moesaic.eval.bench import SuiteContext, suites
from moesaic.eval.suites.qa import _fmc_encoders, run, run_fmea

ROWS = [
    ["Power Unit", "Cooling System", "Radiator", "Leaks", "Loss of coolant", 3, "Broken pipes", 4,
     "Daily visual inspection", 2, 24, "Inspect hoses at 250 hour service"],
    ["Power Unit", "Cooling System", "Water Pump", "Mechanical Failure", "Engine shutdown", 4,
     "Collapsed bearing", 3, "Inspected every 125 hour service", 3, 36, ""],
    ["Power Train", "Transmission", "Torque converter", "Wearing", "Loss of drive", 3,
     "Wearing over time", 2, "Oil sample", 2, 12, ""],
    ["Power Train", "Axles", "Differential", "Wearing", "Heating of components", 2,
     "Servicing error", 2, "Oil sample wear test", 5, 20, ""],
]  # fmt: skip
QUESTIONS = [
    [1, "What is the RPN for the water pump?", "The water pump has RPN 36.", "Name matching",
     json.dumps([{"nugget": "The RPN of the Water Pump is 36.", "status": "ESSENTIAL"}])],
    [2, "What is the RPN of the pantograph?", "There is no pantograph.", "Name matching",
     json.dumps([{"nugget": "Leaks is a failure mode of the Radiator.", "status": "ESSENTIAL"}])],
]  # fmt: skip


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "fmea_mining_truck"
    folder.mkdir()
    frame = pd.DataFrame(ROWS, columns=list(COLUMNS))
    frame.to_csv(folder / "fmea_dataset_filled.csv", index=False)
    frame.to_csv(folder / "fmea_dataset_combined.csv", index=False)
    qa = pd.DataFrame(QUESTIONS, columns=["ID", "Question", "Answer", "Categories", "Nuggets"])
    qa.to_csv(folder / "fmea_qa_model.csv", index=False)
    return tmp_path


def test_fmea_part_scores_nuggets_and_abstention(tmp_path: Path) -> None:
    rows = run_fmea(SuiteContext(quick=False, data=_folder(tmp_path)))
    values = {(r.system, r.metric): r.value for r in rows}
    # Question 1 is answered with its nugget, question 2 abstains and so misses its nugget.
    assert values[("moesaic-qa", "nugget_recall")] == 0.5
    assert values[("moesaic-qa", "complete_answers")] == 0.5
    assert 0.0 <= values[("moesaic-qa", "false_abstention")] <= 1.0
    assert values[("moesaic-qa", "abstention_recall")] == 1.0
    # The lenient matcher forgives the phrasing of nugget 1 no more than needed: it is present.
    assert values[("moesaic-qa", "complete_answers_lenient")] == 0.5
    assert all(r.dataset == "fmea_qa" and r.source == "measured" for r in rows)
    assert any("threshold=" in r.setting for r in rows)


def test_fmea_questions_option_asks_another_question_file(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    own = tmp_path / "my_questions.csv"
    qa = pd.DataFrame([QUESTIONS[0]], columns=["ID", "Question", "Answer", "Categories", "Nuggets"])
    qa.to_csv(own, index=False)
    rows = run_fmea(SuiteContext(data=data, options={"fmea_questions": str(own)}))
    values = {(r.system, r.metric): r.value for r in rows}
    assert values[("moesaic-qa", "complete_answers")] == 1.0  # the data set's question 2 is not asked
    assert all(r.dataset == "fmea_qa:my_questions" for r in rows)
    assert any("questions=1," in r.setting for r in rows)
    with pytest.raises(DataFormatError, match=r"none\.csv: file not found"):
        run_fmea(SuiteContext(data=data, options={"fmea_questions": str(tmp_path / "none.csv")}))


def test_questions_marked_unanswerable_are_scored_by_abstention_not_paired(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    own = tmp_path / "with_unanswerable.csv"
    absent = "The FMEA does not contain this information."
    none = json.dumps([{"nugget": absent, "status": "ESSENTIAL"}])
    marked = [
        QUESTIONS[0],
        [2, "Who supplies the Water Pump?", absent, "Unanswerable", none],
        [3, "What is the RPN of the Radiator?", absent, "unanswerable", none],
    ]  # fmt: skip
    pd.DataFrame(marked, columns=["ID", "Question", "Answer", "Categories", "Nuggets"]).to_csv(
        own, index=False
    )
    rows = run_fmea(SuiteContext(data=data, options={"fmea_questions": str(own)}))
    values = {(r.system, r.metric): r.value for r in rows}
    assert (
        values[("moesaic-qa", "unanswerable_abstained")] == 0.5
    )  # "supplies" abstains, the radiator's RPN is there
    plain = tmp_path / "plain.csv"
    unmarked = [[*row[:3], "Name matching", *row[4:]] for row in marked]
    pd.DataFrame(unmarked, columns=["ID", "Question", "Answer", "Categories", "Nuggets"]).to_csv(
        plain, index=False
    )
    plain_rows = run_fmea(SuiteContext(data=data, options={"fmea_questions": str(plain)}))
    assert not [r for r in plain_rows if r.metric == "unanswerable_abstained"]
    # both marked questions name a part of the sheet: unmarked, each would be an answerable half of a pair
    assert _pairs(plain_rows) - _pairs(rows) == 2


def _pairs(rows: list) -> int:
    setting = next(r.setting for r in rows if r.metric == "false_abstention")
    return sum(int(n) for n in re.findall(r"pairs_(?:eval|dev)=(\d+)", setting))


def test_qa_suite_is_registered_when_imported() -> None:
    import moesaic.eval.suites.qa  # noqa: F401

    assert "qa" in suites()


def test_suite_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown parts"):
        run(SuiteContext(options={"parts": "fmea_qa,poetry"}))
    assert _fmc_encoders(SuiteContext(options={"fmc_encoders": "none"})) == ()
    with pytest.raises(ValueError, match="unknown encoders"):
        _fmc_encoders(SuiteContext(options={"fmc_encoders": "bert"}))
