"""Wordings of ``moesaic ask`` found with the fresh question set (tests/data/ask_fresh): ranges that
give the month and year once, tags typed without their hyphen, another channel's qualifier."""

from __future__ import annotations

import pandas as pd
import pytest

from moesaic.reports.ask.resolve import match_channel
from moesaic.reports.ask.series import ONSET_WORDS, TREND_WORDS
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


def test_everyday_words_for_trends_and_starts() -> None:
    assert TREND_WORDS.search("is the vibration of f-403 creeping up?")
    assert ONSET_WORDS.search("when did the overheating on f-401 kick off?")


def test_whose_channel_is_no_qualifier() -> None:
    channels = ["motor_current", "vibration_rms", "bearing_temp"]
    assert match_channel("pump vibration of M-301 last week", channels) == "vibration_rms"
    assert match_channel("inlet vibration of M-301 last week", channels) is None
