"""Wordings of ``moesaic ask`` found with the fresh question set (tests/data/ask_fresh): ranges that
give the month and year once, tags typed without their hyphen, another channel's qualifier."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer
from moesaic.reports.ask.onsets import ONSET_WORDS
from moesaic.reports.ask.resolve import match_channel
from moesaic.reports.ask.series import TREND_WORDS
from moesaic.reports.ask.timewords import complete_ranges, read_window

FEB_1_15 = (pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-15 23:59:59.999999999"))


@pytest.mark.parametrize(
    "question",
    [
        "How many alarms between 1st Feb and 15th Feb 2024?",
        "How many alarms from the 1st to the 15th of February 2024?",
        "How many alarms between Feb 1 and Feb 15, 2024?",
        "How many alarms from Feb 1 to 15, 2024?",
        "How many alarms between 2024-02-01 and 2024-02-15?",
    ],
)
def test_a_range_may_give_its_month_and_year_once(question: str) -> None:
    window = read_window(question, None)
    assert window is not None and (window.start, window.end) == FEB_1_15


def test_a_range_keeps_what_it_does_not_complete() -> None:
    assert complete_ranges("Priority 2 to 5 March 2024") == "Priority 2 to 5 March 2024"
    window = read_window("orders with priority 2 to 5 March 2024", None)
    assert window is not None and window.start == pd.Timestamp("2024-03-05")


def test_a_channel_word_after_another_qualifier_names_another_channel() -> None:
    channels = ["discharge_pressure", "vibration_rms", "bearing_temp"]
    assert match_channel("max oil pressure on F-401 in January 2024", channels) is None
    assert match_channel("max pressure on F-401 in January 2024", channels) == "discharge_pressure"
    assert match_channel("p-102 vib trending upward last month?", channels) == "vibration_rms"
    assert match_channel("average bearing temp of P-102", channels) == "bearing_temp"


def test_a_channel_named_with_its_unit_or_abbreviated_is_named_without_them() -> None:
    channels = ["Brg Temp DE (°C)", "Brg Temp NDE (°C)", "Flow [m3/h]", "Disch Press [bar]"]
    assert match_channel("trend in the bearing temperature DE of P-1", channels) == "Brg Temp DE (°C)"
    assert match_channel("when did the flow of P-1 drop", channels) == "Flow [m3/h]"
    assert match_channel("average discharge pressure of P-1", channels) == "Disch Press [bar]"
    assert match_channel("mean Disch Temp of P-1", channels) is None  # no discharge temperature


def test_a_long_channel_word_typed_with_one_typo_names_its_channel() -> None:
    channels = ["discharge_pressure", "vibration_rms", "bearing_temp", "speed", "current"]
    assert match_channel("Is vibraton on P-101 increasing since 22 Feb 2024?", channels) == "vibration_rms"
    assert match_channel("is the curent of P-101 rising", channels) == "current"
    assert match_channel("max sped of P-101", channels) is None  # short words are too alike to forgive


def test_everyday_words_for_trends_and_starts() -> None:
    assert TREND_WORDS.search("is the vibration of f-403 creeping up?")
    assert ONSET_WORDS.search("when did the overheating on f-401 kick off?")
    assert ONSET_WORDS.search("when did the cavitation on p-101 first show up?")


def test_whose_channel_is_no_qualifier() -> None:
    channels = ["motor_current", "vibration_rms", "bearing_temp"]
    assert match_channel("pump vibration of M-301 last week", channels) == "vibration_rms"
    assert match_channel("inlet vibration of M-301 last week", channels) is None


def test_a_named_field_filters_by_short_or_generic_values(tmp_path: Path) -> None:
    """ "with wo_type CM" and "with priority 1" were counted as every order: the values were too
    short or too generic to be taken for a filter, even after their field was named."""
    orders = [("W1", "CM", 1), ("W2", "PM", 4), ("W3", "CM", 4), ("W4", "PM", 4)]
    start = pd.Timestamp("2024-02-01")
    documents = tuple(
        Document(wo, "work_order", "pump inspection", "P-1", start + pd.Timedelta(days=i),
                 {"wo_type": kind, "priority": prio})
        for i, (wo, kind, prio) in enumerate(orders)
    )  # fmt: skip
    data = MaintenanceData("site", assets=(Asset("P-1", "pump"),), documents=documents)
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
    answerer = KbAnswerer(KnowledgeBase.open(tmp_path / "kb"))
    assert answerer.answer("How many work orders with wo_type CM?").text.startswith(
        "2 work orders with wo type CM"
    )
    assert answerer.answer("How many work orders with priority 1?").text.startswith(
        "1 work order with priority 1"
    )
    assert answerer.answer("How many work orders?").text.startswith("4 work orders")
