"""Topic matching of FMEA questions: asked columns, filter clauses, rows found by words and meaning."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from moesaic.knowledge.embed import minilm_available
from moesaic.reports.qa.fmea import FmeaAnswerer, analyse
from moesaic.reports.qa.table import FmeaRow, normal_terms
from moesaic.reports.qa.topic import (
    MIN_SIMILARITY,
    TopicMatcher,
    asked_columns,
    clause_positions,
    phrases,
    resolve_semantic,
)

# Development questions for the similarity threshold of the topic matcher, written from the
# mining-truck FMEA sheet (never from the benchmark questions or their answers), each with the
# rows (fmea-N) that a reader of the sheet judges to be about its topic.
DEV_TOPICS = (
    ("Which failure modes in the Lubrication System have effects related to fire?",
     (67, 68, 69, 71, 72, 74, 75, 77, 78, 79)),
    ("Which failure modes of the Wheelends are caused by ageing?", (135, 136, 137, 138)),
    ("What failure modes in the Cooling System are caused by poor installation?", (52, 53)),
    ("Which failure modes in the Exhaust System lead to pollution?", (81, 82, 83, 84, 85)),
    ("What recommended actions for the Axles involve tightening?", (121, 125)),
    ("Which failure modes of the Chassis lead to shaking?", (303, 305, 306, 307, 308)),
    ("Which failure modes in the Cabin Controls are caused by electrical shorts?", (192, 196)),
    ("Which failure modes of the Greasing System are caused by electrical faults?", (311, 312)),
    ("Which failure modes of the Axles lead to overheating?", (122, 123, 124)),
    ("Which failure modes in the Transmission lead to loss of oil?", (110, 111, 119)),
    ("Which current controls in the Cooling System involve fluid sampling?", (48, 55)),
    ("Which failure modes of the Fire Extinguisher are caused by poor record keeping?", (320,)),
)  # fmt: skip


def _row(n: int, sub: str, mode: str, **text: str) -> FmeaRow:
    return FmeaRow(
        row_id=f"r{n}", subsystem="Power Unit", component="Fuel System", sub_component=sub,
        failure_mode=mode, effect=text.get("effect", ""), cause=text.get("cause", ""),
        control=text.get("control", ""), action=text.get("action", ""),
        severity=2, occurrence=2, detection=2, rpn=8,
    )  # fmt: skip


ROWS = (
    _row(1, "Fuel Tank", "Cracked", effect="Fuel loss, fire", cause="General wear and tear",
         action="Drain and flush fuel tank"),
    _row(2, "Fuel Cooler", "Leaking", effect="Engine overheating", cause="Blocked fins",
         action="Clean fins"),
    _row(3, "Fuel Pump", "Corrosion", effect="Loss of power", cause="Exposure to contaminants",
         control="Visual inspection daily"),
)  # fmt: skip


class KeywordEmbedder:
    """A toy sentence encoder: one axis per keyword group, so similarities are hand-computable."""

    name = "keywords"
    groups = (
        ("heat", "overheating", "fire", "temperature"),
        ("wear", "ageing", "tear"),
        ("dirt", "contaminants"),
    )
    dim = len(groups) + 1

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = text.lower().replace(",", " ").split()
            for g, group in enumerate(self.groups):
                out[i, g] = sum(w in group for w in words)
            out[i, -1] = 0.1  # every text shares a little, as real encoders do
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_asked_columns_and_filter_clauses() -> None:
    assert asked_columns("Which failure modes lead to overheating?") == ("effect",)
    assert asked_columns("What failure modes are caused by ageing?") == ("cause",)
    assert asked_columns("What current controls are a check?") == ("control",)
    assert asked_columns("Which recommended actions involve grease?") == ("action",)
    assert asked_columns("What is the RPN of the fuel tank?") == ()
    question = "What are the failure modes in the Cylinders, that may be caused by natural wear in the pump?"
    words = normal_terms(question)
    inside = {words[i] for i in clause_positions(question)}
    assert {"natural", "wear"} <= inside and "cylinder" not in inside and "pump" not in inside
    assert clause_positions("Which subcomponent of the pump has an RPN of 27?") == frozenset()


def test_phrases_split_listed_items() -> None:
    assert phrases("General wear and tear, physical impacts") == [
        "General wear and tear, physical impacts",
        "General wear and tear",
        "physical impacts",
    ]
    assert phrases("Heating of power unit.") == ["Heating of power unit."]


def test_words_only_matcher_looks_in_the_asked_column_first() -> None:
    matcher = TopicMatcher(None)
    hits = matcher.match(ROWS, normal_terms("fins"), "fins", ("action",))
    assert [r.row_id for r in hits.lexical] == ["r2"] and hits.semantic == []
    # "fire" is in no cause: the words are then looked for in every text column.
    hits = matcher.match(ROWS, normal_terms("fire"), "fire", ("cause",))
    assert [r.row_id for r in hits.lexical] == ["r1"]
    with pytest.raises(ValueError, match="need an embedder"):
        matcher.similarities("fire", ROWS, ("effect",))


def test_matcher_finds_rows_close_in_meaning() -> None:
    matcher = TopicMatcher(KeywordEmbedder(), min_similarity=0.5)
    sims = matcher.similarities("temperature", ROWS, ("effect",))
    assert sims[0] > 0.5 and sims[1] > 0.5 and sims[2] < 0.5  # "fire" and "overheating", not "power"
    hits = matcher.match(ROWS, ["temperature"], "temperature", ("effect",))
    assert hits.lexical == [] and {r.row_id for r, _ in hits.semantic} == {"r1", "r2"}
    # A listed item counts on its own: "General wear and tear" out of a longer cell.
    assert matcher.similarities("ageing", ROWS, ("cause",))[0] > 0.9
    with pytest.raises(ValueError, match="min_similarity"):
        TopicMatcher(None, min_similarity=0.0)


def test_clause_words_do_not_force_an_abstention_but_unknown_parts_do() -> None:
    answerer = FmeaAnswerer(ROWS, threshold=0.75, semantic="none")
    bugs = "What failure modes in the Fuel System are caused by software bugs?"
    assert analyse(bugs, ROWS).narrowing == frozenset(normal_terms("software bug"))
    answer = answerer.answer(bugs)
    assert not answer.abstained and "no row mentions software bugs;" in answer.text
    assert answerer.answer("What failure modes in the pantograph are caused by software bugs?").abstained


def test_answer_lists_the_level_asked_for() -> None:
    answer = FmeaAnswerer(ROWS, semantic="none").answer("What are the sub-components of the fuel system?")
    assert "3 sub-components, called Fuel Tank (1), Fuel Cooler (1), Fuel Pump (1)." in answer.text
    with pytest.raises(ValueError, match="semantic"):
        FmeaAnswerer(ROWS, semantic="bert")
    assert resolve_semantic("none") == "none"


@pytest.mark.slow  # about 45 s on 2 shared cores: MiniLM over a few hundred cells
@pytest.mark.skipif(not minilm_available(), reason="MiniLM (the `language` extra) is not installed")
def test_dev_topics_are_found_at_the_chosen_similarity(shared_data: Path) -> None:
    """The development set behind MIN_SIMILARITY: rows found vs rows judged about each topic."""
    from moesaic.data.sets.fmea_mining_truck import read_fmea
    from moesaic.reports.qa.table import rows_from_documents

    rows = rows_from_documents(
        read_fmea(shared_data / "fmea_mining_truck" / "fmea_dataset_filled.csv").documents
    )
    answerer = FmeaAnswerer(
        rows, threshold=0.0, semantic="minilm", min_similarity=MIN_SIMILARITY, max_rows=100
    )
    found = relevant = right = 0
    for question, gold in DEV_TOPICS:
        got = set(answerer.answer(question).row_ids)
        wanted = {f"fmea-{n}" for n in gold}
        found, relevant, right = found + len(got), relevant + len(wanted), right + len(got & wanted)
    precision, recall = right / found, right / relevant
    assert 2 * precision * recall / (precision + recall) > 0.8  # 0.826 when chosen


def test_words_of_one_mechanism_match_each_other_without_an_encoder() -> None:
    from moesaic.reports.qa.topic import lexical_hits, with_concepts

    assert {"wear", "tear", "age"} <= with_concepts(normal_terms("natural degradation"))
    assert with_concepts(["pump"]) == {"pump"}
    ageing = lexical_hits(ROWS, normal_terms("ageing"), ("cause",))
    assert [r.row_id for r in ageing] == ["r1"]  # "General wear and tear"
    answer = FmeaAnswerer(ROWS, threshold=0.5, semantic="none").answer(
        "Which failure modes in the Fuel System are caused by natural degradation over time?"
    )
    assert answer.row_ids == ("r1",)
