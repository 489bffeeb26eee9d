"""Technician-text normaliser: lexicon, context, unseen-token back-off, and the MaintNorm scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from moesaic.text.normalise import (
    NormaliserConfig,
    NotFittedError,
    TechTextNormaliser,
    score_normalisation,
    token_shape,
)

TRAIN = [
    (["BF079", "REPL", "FRONT", "LIGHT"], ["<id>", "replace", "front", "light"]),
    (["CR871", "REP", "FRONT", "TYRE"], ["<id>", "replace", "front", "tyre"]),
    (["CR871", "REP", "FRONT", "HOSE"], ["<id>", "replace", "front", "hose"]),
    (["XH531", "WEEKLY", "REP", "CHECK"], ["<id>", "weekly", "repair", "check"]),
    (["XH531", "WEEKLY", "REP", "VALVE"], ["<id>", "weekly", "repair", "valve"]),
    (["AN426", "REP", "PUMP"], ["<id>", "repair", "pump"]),
    (["AN426", "250H", "SERVICE", "&", "CHECK"], ["<id>", "<num> hour", "service", "and", "check"]),
    (["PH639", "C/O", "HOSE"], ["<id>", "change out", "hose"]),
    (["MB119", "SERVICE", "PUMP"], ["<id>", "service", "pump"]),
]


@pytest.fixture
def model() -> TechTextNormaliser:
    return TechTextNormaliser().fit([t for t, _ in TRAIN], [n for _, n in TRAIN])


def test_token_shape_collapses_runs() -> None:
    assert token_shape("BF079") == "XXdd"
    assert token_shape("Replace") == "Xxx"
    assert token_shape("c/o") == "x/x"


def test_known_tokens_and_context(model: TechTextNormaliser) -> None:
    assert model.normalise_tokens(["REP", "FRONT"]) == ["replace", "front"]
    assert model.normalise_tokens(["WEEKLY", "REP"]) == ["weekly", "repair"]
    assert model.normalise_tokens(["c/o"]) == ["change out"]  # lower-cased spelling of a known token


def test_unseen_tokens_back_off_to_shape_units_and_spelling(model: TechTextNormaliser) -> None:
    out = model.normalise_tokens(["ZZ123", "1000H", "SERVCE", "HOSE&PUMP"])
    assert out[0] == "<id>"  # first-position letters+digits, like the ids seen once
    assert out[1] == "<num> hour"  # number glued to a known unit
    assert out[2] == "service"  # one edit from a normalised word
    assert out[3] == "hose and pump"  # compound of known parts
    assert model.normalise("AN426 REP PUMP") == "<id> repair pump"


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        TechTextNormaliser().normalise_tokens(["A"])
    with pytest.raises(ValueError, match="2 tokens but 1 normalised"):
        TechTextNormaliser().fit([["A", "B"]], [["a"]])
    with pytest.raises(ValueError, match="min_context_share"):
        NormaliserConfig(min_context_share=0.0)


def test_scores_by_hand() -> None:
    raw = [["REPL", "hose", "BF079", "oil"]]
    gold = [["replace", "hose", "<id>", "oil"]]
    pred = [["replace", "hoses", "BF079", "oil"]]  # 1 TP, 1 FP, 1 FN
    s = score_normalisation(raw, gold, pred)
    assert (s.tokens, s.to_normalise) == (4, 2)
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)
    assert s.error_reduction_rate == pytest.approx(0.0)
    assert score_normalisation(raw, gold, raw).error_reduction_rate == 0.0  # leave-as-is
    assert score_normalisation(raw, gold, gold).error_reduction_rate == 1.0
    with pytest.raises(ValueError, match="text 0"):
        score_normalisation(raw, gold, [["x"]])


def test_maintnorm_val_error_reduction(shared_data: Path) -> None:
    from moesaic.data.sets.maintnorm import read_norm_file

    train = read_norm_file(shared_data / "maintnorm" / "combined_train.norm")[:3000]
    val = read_norm_file(shared_data / "maintnorm" / "combined_val.norm")[:300]
    model = TechTextNormaliser().fit([t.tokens for t in train], [t.normalised for t in train])
    pred = [model.normalise_tokens(t.tokens) for t in val]
    score = score_normalisation([t.tokens for t in val], [t.normalised for t in val], pred)
    assert score.error_reduction_rate > 0.85  # leave-as-is is 0; the full-data run reaches ~0.94
