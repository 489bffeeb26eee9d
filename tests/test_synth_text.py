"""Conditions asked for in words: matched against the synthesizer's known values and their names."""

from __future__ import annotations

import pytest

from moesaic.tasks.synth.conditions import ConditionSpec
from moesaic.tasks.synth.text_condition import parse_text_condition

SPEC = ConditionSpec(
    categorical=(
        ("asset", ("P-3", "P-4")),
        ("fault", ("bearing_wear", "none", "seal_leak", "sensor_spike", "sensor_stuck")),
        ("regime", ("high", "low", "normal")),
    ),
    numeric=(("severity", 0.5, 0.2),),
)


def test_a_request_in_words_names_every_factor_it_mentions() -> None:
    read = parse_text_condition("Slow seal leak on pump P-3 at high load, severity 0.7", SPEC)
    assert read.condition == {"fault": "seal_leak", "asset": "P-3", "regime": "high", "severity": 0.7}
    assert read.matched["fault"] == "seal leak" and read.matched["severity"] == "severity 0.7"
    assert read.unused == ("slow", "on", "pump", "at", "load")


def test_a_word_of_one_value_only_names_it_and_a_shared_word_names_nothing() -> None:
    assert parse_text_condition("a leak at low load", SPEC).condition == {
        "fault": "seal_leak",
        "regime": "low",
    }
    read = parse_text_condition("some sensor trouble at high load", SPEC)  # sensor_spike or sensor_stuck
    assert read.condition == {"regime": "high"} and "sensor" in read.unused


def test_two_values_of_one_factor_or_none_at_all_are_refused() -> None:
    with pytest.raises(ValueError, match="two values of 'regime'"):
        parse_text_condition("from high to low load", SPEC)
    with pytest.raises(ValueError, match="no known condition in 'a quiet day'; the model knows"):
        parse_text_condition("a quiet day", SPEC)


def test_coded_values_are_found_by_their_names() -> None:
    spec = ConditionSpec(categorical=(("fault", ("0", "3", "5")),))
    names = {"fault": {"3": "seal_leak", "5": "sensor_spike"}}
    assert parse_text_condition("seal leak please", spec, names).condition == {"fault": "3"}
    read = parse_text_condition("IDV fault 5", spec, names)
    assert (
        read.condition == {"fault": "5"} and read.matched == {"fault": "fault 5"} and read.unused == ("idv",)
    )
