"""The anomaly and exam suites against the user report's items 4, 6, 12, 13 and 15: options refused
in one line before any training, reduced runs stated in the setting, ``category=all`` instead of
``overall``, and no one-fold "cross-validation"."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from moesaic.data.schema import Document
from moesaic.eval.bench import OptionError, SuiteContext, run_suite
from moesaic.eval.suites import anomaly, qa_exam


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"datasets": "tep", "steps": "60"},
            r"option steps=60: TEP trains .* 40 steps, .* 50 warm-up .* steps=77",
        ),
        ({"datasets": "skab", "steps": "50"}, r"option steps=50: SKAB trains .* give steps=51 or more"),
        ({"datasets": "tep", "threads": "-1"}, r"option threads='-1': expected an integer >= 1"),
        ({"datasets": "tep", "threads": "0"}, r"option threads='0': expected an integer >= 1"),
        ({"datasets": "tep,tep"}, r"\['tep'\] given more than once"),
        ({"datasets": "skab", "finetune": "-2"}, r"option finetune='-2': expected an integer >= 0"),
    ],
)
def test_anomaly_options_are_refused_before_any_data_is_read(
    tmp_path: Path, options: dict, message: str
) -> None:
    with pytest.raises(OptionError, match=message):  # tmp_path holds no data: nothing was loaded
        run_suite("anomaly", SuiteContext(data=tmp_path, options=options), out=tmp_path / "out", command="x")
    assert not (tmp_path / "out").exists()


def test_anomaly_settings_state_the_cuts_of_the_protocol() -> None:
    cut = anomaly._cut(SuiteContext(options={"steps": "60", "finetune": "5"}), "skab")
    assert cut == {"steps": 60, "finetune": 5}
    assert anomaly._cut(SuiteContext(options={"steps": "60", "finetune": "5"}), "tep") == {
        "steps": 60,
        "finetune": None,
    }
    assert anomaly._cut(SuiteContext(quick=True), "skab") == {
        "steps": None,
        "finetune": None,
    }  # quick=1 says it
    labels = np.array([False, True, True, False])
    run = anomaly.Run(labels, np.array([0.1, 2.0, 3.0, 0.2]), labels.copy(), 1.0)
    rows = anomaly._skab_metrics("zscore", [run, run], anomaly.Cost(1, 1, 1.0, 1.0, 9.0), cut)
    assert {r.setting for r in rows} == {
        "protocol=strict,train=first400,eval=after400,files=all,steps=60,finetune=5",
        "protocol=strict,train=first400,eval=after400,files=heldout,steps=60,finetune=5",
    }
    assert {r.peak_rss_mb for r in rows} == {9.0}


def _question(i: int, tid: str) -> Document:
    return Document(
        doc_id=f"q{i}", kind="qa", text="?", fields={"tid": tid, "answer": "a", "options": ["a", "b"]}
    )


@pytest.mark.parametrize(
    ("cv", "message"),
    [
        ("0", r"option cv=0: K-fold cross-validation needs K >= 2"),
        ("1", r"option cv=1: .* the accuracy would be the in-sample one"),
        ("-1", r"option cv=-1: K-fold"),
        ("4", r"option cv=4: the 6 questions come from 3 templates, so at most cv=3"),
        ("x", r"option cv='x': expected an integer"),
    ],
)
def test_exam_cross_validation_needs_two_folds_and_enough_templates(cv: str, message: str) -> None:
    documents = [_question(i, f"t{i % 3}") for i in range(6)]
    with pytest.raises(OptionError, match=message):
        qa_exam._folds(SuiteContext(options={"cv": cv}), documents)
    assert qa_exam._folds(SuiteContext(options={"cv": "3"}), documents) == 3
    assert qa_exam._folds(SuiteContext(), documents) is None


def test_exam_rows_say_category_all_instead_of_overall() -> None:
    scores = {"overall": SimpleNamespace(accuracy=0.5), "trend": SimpleNamespace(accuracy=1.0)}
    rows = qa_exam._rows("random", scores)
    assert [r.setting for r in rows] == ["category=all", "category=trend"]
