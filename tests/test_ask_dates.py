"""``moesaic ask`` over times and names it cannot take for granted: numbers-only dates, month names,
quarters, ranges, seconds, trend units, names two sources share. Every count is checked against
a direct count of the records made here; every unreadable time must abstain, naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from moesaic.data.schema import Asset, Document, MaintenanceData, Series
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer
from moesaic.reports.ask.timewords import TimePhraseError, read_window
from moesaic.reports.ask.trendtest import trend_test

T0 = pd.Timestamp("2020-03-09 10:14:33")
SECONDS = 300
ORDERS = {  # work orders of "one" by day; "two" holds one more A-1 order
    "W1": ("A-1", "2004-12-31"),
    "W2": ("A-1", "2005-01-05"),
    "W3": ("A-1", "2005-01-20"),
    "W4": ("A-2", "2005-02-01"),
    "W5": ("A-2", "2005-02-15"),
    "W6": ("A-1", "2005-03-01"),
    "W7": ("A-2", "2005-03-31"),
    "W8": ("A-1", "2005-04-02"),
}


def _pressure() -> np.ndarray:
    """One reading a second; its largest value (9.0) at 10:14:35, outside the 10:15-10:16 window,
    whose own largest (5.0) is at 10:15:23."""
    values = np.random.default_rng(0).uniform(0.0, 1.0, SECONDS)
    values[2], values[50] = 9.0, 5.0
    return values


def _source_one() -> MaintenanceData:
    time = pd.date_range(T0, periods=SECONDS, freq="s").to_numpy()
    current = 1.0 + 0.01 * np.arange(SECONDS) / 60 + np.random.default_rng(1).normal(0, 0.001, SECONDS)
    frame = pd.DataFrame({"Pressure": _pressure(), "Current": current})
    series = Series.from_frame(frame, series_id="A-1/s", asset_id="A-1", time=time)
    orders = tuple(
        Document(key, "work_order", f"order {key} on {asset}", asset, pd.Timestamp(day), {"cost": 10.0})
        for key, (asset, day) in ORDERS.items()
    )
    return MaintenanceData(
        "one", assets=(Asset("A-1", "pump", {}), Asset("A-2", "compressor", {})), series=(series,),
        documents=orders,
    )  # fmt: skip


def _source_two() -> MaintenanceData:
    order = Document("V1", "work_order", "order V1 on A-1", "A-1", pd.Timestamp("2005-03-10"), {})
    return MaintenanceData("two", assets=(Asset("A-1", "fan", {}),), documents=(order,))


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    path: Path = tmp_path_factory.mktemp("kb") / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(_source_one(), source="one")
        base.ingest(_source_two(), source="two")
    return KbAnswerer(KnowledgeBase.open(path))


def _count(lo: str, hi: str) -> int:
    """Orders of both sources from day ``lo`` to day ``hi``, both included."""
    days = [pd.Timestamp(d) for _, d in ORDERS.values()] + [pd.Timestamp("2005-03-10")]
    return sum(pd.Timestamp(lo) <= d <= pd.Timestamp(hi) for d in days)


def test_periods_are_read_from_their_start_to_their_end() -> None:
    def span(question: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        window = read_window(question, None)
        assert window is not None, question
        return window.start, window.end

    day_end = pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    jan1, feb1 = pd.Timestamp("2005-01-01"), pd.Timestamp("2005-02-01")
    assert span("from Jan 1 2005 to Feb 1 2005") == (jan1, feb1 + day_end)
    assert span("between 1 January 2005 and 1 February 2005") == (jan1, feb1 + day_end)
    assert span("between January 2005 and February 2005") == (jan1, pd.Timestamp("2005-02-28") + day_end)
    assert span("in 03/2005") == span("in March 2005") == span("in 2005-03") == span("during Mar. 2005")
    assert span("in Q1 2005") == (jan1, pd.Timestamp("2005-03-31") + day_end)
    assert span("on 13/01/2005") == span("on 01/13/2005") == span("on 2005-01-13")
    assert span("between 2020-03-09 10:15:00 and 2020-03-09T10:16:30") == (
        pd.Timestamp("2020-03-09 10:15"),
        pd.Timestamp("2020-03-09 10:16:30"),
    )
    assert span("after 2005-01-01")[0] == pd.Timestamp("2005-01-02")
    assert span("until 2005-01-31")[1] == pd.Timestamp("2005-01-31") + day_end
    # Amounts and part numbers are no times.
    for question in ("cost above 2000", "for 2000 hours", "part PN-4401", "a 3.5 bar valve"):
        assert read_window(question, None) is None


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("between 01/01/2005 and 01/02/2005", "ambiguous"),
        ("in 13/2005", "'13/2005' is not a month"),
        ("on 2005-02-30", "'2005-02-30' is not a date"),
        ("in March", "names no year"),
        ("on Jan 5", "names no year"),
        ("in Q5 2005", "not a quarter"),
        ("at 10:15", "without a date"),
        ("between 2005-02-01 and 2005-01-01", "ends before it starts"),
        ("in 2005-03 and 2005-04", "several times"),
        (
            "in the middle of February 2024",
            "'middle of february 2024' names a part of 'february 2024'",
        ),
        ("during the week of 2024-02-20", "'week of 2024-02-20' names a part"),
        ("at the end of March 2024", "'end of march 2024' names a part"),
        ("in the early part of March 2024", "'early part of march 2024' names a part"),
        ("in the fifth week of March 2024", "'fifth week of march 2024' names a part"),
    ],
)
def test_unreadable_times_raise_naming_them(question: str, named: str) -> None:
    with pytest.raises(TimePhraseError, match=named):
        read_window(question, None)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("in the first week of February 2024", "2024-02-01", "2024-02-07"),
        ("in the second week in March 2024", "2024-03-08", "2024-03-14"),
        ("in the 4th week of March 2024", "2024-03-22", "2024-03-28"),
        ("in the last week of February 2024", "2024-02-23", "2024-02-29"),
        ("in the first half of February 2024", "2024-02-01", "2024-02-15"),
        ("in the second half of 2024", "2024-07-01", "2024-12-31"),
    ],
)
def test_an_exact_part_of_a_month_or_year_is_read(question: str, start: str, end: str) -> None:
    window = read_window(question, pd.Timestamp("2024-06-30"))  # "last week" is no relative time here
    assert window is not None and window.start == pd.Timestamp(start)
    assert window.end == pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    assert "(" + start in window.describe()


@pytest.mark.parametrize(
    ("question", "start", "end", "phrase"),
    [
        ("how many orders in January?", "2024-01-01", "2024-01-31", "in january 2024"),
        ("alarms during the June", "2023-06-01", "2023-06-30", "during june 2023"),  # after May 2024
        ("orders between Nov and Feb", "2023-11-01", "2024-02-29", "between nov 2023 and feb 2024"),
        ("jobs from Jan to March", "2024-01-01", "2024-03-31", "from jan 2024 to march 2024"),
        ("the mean current of M-3 in May", "2024-05-01", "2024-05-31", "in may 2024"),
    ],
)
def test_a_month_without_a_year_is_its_latest_in_the_data(
    question: str, start: str, end: str, phrase: str
) -> None:
    """ask_fresh q05 and q19: "in January" of a plant holding 2024 only was refused."""
    window = read_window(question, pd.Timestamp("2024-05-31 23:00"))
    assert window is not None and window.start == pd.Timestamp(start) and window.phrase == phrase
    assert window.end == pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    since = read_window("orders since March", pd.Timestamp("2024-02-10"))
    assert since is not None and since.start == pd.Timestamp("2023-03-01") and since.end is None
    # "before June" asked in May: this June or last? still refused; so is a day without a year
    for unread in ("orders before June", "orders on Jan 5"):
        with pytest.raises(TimePhraseError, match="names no year"):
            read_window(unread, pd.Timestamp("2024-05-31"))
    assert read_window("in May 2023", pd.Timestamp("2024-05-31")).start == pd.Timestamp("2023-05-01")  # type: ignore[union-attr]


def test_start_and_end_in_a_month_are_verbs() -> None:
    window = read_window("when did the anomaly start in February 2024?", None)
    assert window is not None and window.start == pd.Timestamp("2024-02-01")
    assert read_window("did it end in March 2024?", None) is not None


def test_counts_over_dates_match_a_direct_count(answerer: KbAnswerer) -> None:
    cases = {
        "how many work orders from Jan 1 2005 to Feb 1 2005": ("2005-01-01", "2005-02-01"),
        "how many work orders between 1 January 2005 and 1 February 2005": ("2005-01-01", "2005-02-01"),
        "how many work orders between January 2005 and February 2005": ("2005-01-01", "2005-02-28"),
        "how many work orders between 2005-01-01 and 2005-02-01": ("2005-01-01", "2005-02-01"),
        "how many work orders in 03/2005": ("2005-03-01", "2005-03-31"),
        "how many work orders in Q1 2005": ("2005-01-01", "2005-03-31"),
        "how many work orders on 20/01/2005": ("2005-01-20", "2005-01-20"),
    }
    for question, (lo, hi) in cases.items():
        answer = answerer.answer(question)
        assert not answer.abstained and answer.kind == "records", question
        n = _count(lo, hi)
        assert answer.text.startswith(f"{n} work order{'' if n == 1 else 's'}"), (question, answer.text)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("how many work orders between 01/01/2005 and 01/02/2005", "YYYY-MM-DD"),
        ("how many work orders in 13/2005", "13/2005"),
        ("how many work orders between 2005-02-01 and 2005-01-01", "ends before it starts"),
        ("how many work orders for 7", "'7'"),
        ("what is the maximum Pressure of A-1 on 03/09/2020", "ambiguous"),
    ],
)
def test_what_cannot_be_read_abstains_instead_of_counting_everything(
    answerer: KbAnswerer, question: str, named: str
) -> None:
    answer = answerer.answer(question)
    assert answer.abstained and named in answer.text, answer.text
    assert not answer.citations


def test_series_windows_read_seconds(answerer: KbAnswerer) -> None:
    for question in (
        "what is the maximum Pressure of A-1 between 2020-03-09 10:15:00 and 2020-03-09 10:16:00",
        "what is the maximum Pressure of A-1 between 2020-03-09T10:15:00 and 2020-03-09T10:16:00",
    ):
        answer = answerer.answer(question)
        assert answer.kind == "series" and not answer.abstained
        assert "(61 readings): maximum 5 at 2020-03-09 10:15:23" in answer.text, answer.text


def test_trend_slope_is_stated_in_the_unit_it_is_computed_in(answerer: KbAnswerer) -> None:
    answer = answerer.answer("is there a trend in Current of A-1")
    assert "per minute" in answer.text and "per step" not in answer.text, answer.text
    slope = float(answer.text.split("Theil-Sen slope ")[1].split()[0])
    # Recomputed: Theil-Sen slope of the 60 means of 5 readings against their mean minute.
    minutes = np.arange(SECONDS) / 60.0
    current = answerer.base.series(asset_id="one:A-1")[0].values[:, 1]
    expected = sps.theilslopes(current.reshape(60, 5).mean(1), minutes.reshape(60, 5).mean(1))[0]
    assert slope == pytest.approx(expected, rel=1e-3) and slope == pytest.approx(0.01, rel=0.05)
    hours = pd.date_range("2024-01-01", periods=600, freq="min").to_numpy()
    hourly = trend_test(hours, np.arange(600) / 60.0)  # +1 per hour over 10 hours
    assert hourly is not None and hourly.per == "hour" and hourly.slope == pytest.approx(1.0)
    assert hourly.change == pytest.approx(hourly.slope * 10, rel=0.02)


def test_an_asset_without_series_and_a_name_two_sources_share(answerer: KbAnswerer) -> None:
    trend = answerer.answer("is there a trend in Current of A-2")
    assert trend.abstained and trend.kind == "series" and "one:A-2 has no series" in trend.text
    both = answerer.answer("how many work orders for A-1")
    assert both.text.startswith("6 work orders of one:A-1, two:A-1 (one:A-1: 5, two:A-1: 1)."), both.text
    # A series question goes to the one A-1 that has series.
    assert "Pressure of one:A-1" in answerer.answer("what is the maximum Pressure of A-1").text
