"""Record questions of a water works' walk-through: a named asset's part that is another asset
type's last word ("the inlet filter" of a blower beside "Sand Filter" assets), a ranking by an
asset attribute, a priority said by its word alone, and two assets' totals compared."""

from __future__ import annotations

import pandas as pd
import pytest

from ask_support import answerer_over, cited
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.reports.ask import KbAnswerer

ASSETS = (
    Asset("BW-1", "Backwash Blower", {"Location": "Blower Room"}),
    Asset("SF-1", "Sand Filter", {"Location": "Filter Hall"}),
    Asset("SF-2", "Sand Filter", {"Location": "Filter Hall"}),
)
# (id, asset, date, priority, cost, text)
ORDERS = (
    ("W1", "BW-1", "2024-03-02", "3-Medium", 300.0, "inlet filter dp hi. replaced inlet filter element"),
    ("W2", "BW-1", "2024-05-09", "2-High", 900.0, "brg noisy. replaced bearings"),
    ("W3", "SF-1", "2024-06-01", "1-Urgent", 2000.0, "head loss hi. filter media replaced"),
    ("W4", "SF-2", "2024-07-01", "1-Urgent", 150.0, "air scour valve stuck"),
    (
        "W5",
        "BW-1",
        "2024-09-12",
        "1-Urgent",
        450.0,
        "hi temp trip, inlet filter choked. replaced inlet filter",
    ),
)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> KbAnswerer:
    documents = tuple(
        Document(wo, "work_order", text, asset, pd.Timestamp(day), {"Priority": priority, "cost": cost})
        for wo, asset, day, priority, cost, text in ORDERS
    )
    return answerer_over(
        tmp_path_factory.mktemp("kb"), MaintenanceData("site", assets=ASSETS, documents=documents)
    )


def test_a_named_assets_part_is_no_asset_type_of_other_assets(answerer: KbAnswerer) -> None:
    answer = answerer.answer("When did BW-1 last have its inlet filter replaced?")
    assert cited(answer.citations) == {"W5"} and "Sand Filter" not in answer.text, answer.text
    # without an asset of another type named, "filter" still reads as the type
    assert cited(answerer.answer("How many work orders on the sand filters?").citations) == {"W3", "W4"}


def test_which_location_cost_the_most_ranks_the_asset_attribute(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which location had the highest total cost?")
    assert "the Location with the highest total cost is Filter Hall (2150)" in answer.text, answer.text
    assert "next: Blower Room (1650)" in answer.text


def test_a_priority_written_as_a_ranked_word_is_read_by_its_word(answerer: KbAnswerer) -> None:
    answer = answerer.answer("How many urgent work orders are there?")
    assert answer.text.startswith("3 work orders with Priority 1-Urgent"), answer.text
    high = answerer.answer("How many high priority work orders?")
    assert high.text.startswith("1 work order with Priority 2-High"), high.text


def test_two_assets_compared_give_each_ones_total(answerer: KbAnswerer) -> None:
    answer = answerer.answer("What was the total cost of SF-1 compared with SF-2?")
    each = "(site:SF-1: 2000, site:SF-2: 150)"
    assert answer.text == f"The total cost over 2 work orders of site:SF-1, site:SF-2 is 2150 {each}.", (
        answer.text
    )


def test_mtbf_is_the_mean_gap_between_an_assets_failure_orders_and_mttr_needs_a_downtime(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # walk-through: "what is the MTBF of the intake pumps" listed the closest records
    orders = (  # P-1 fails on days 0, 10, 40; P-2 on days 5 and 25; a PM order is no failure
        ("F1", "P-1", "2024-01-01", "BRG"), ("F2", "P-1", "2024-01-11", "SEAL"),
        ("F3", "P-1", "2024-02-10", "BRG"), ("F4", "P-2", "2024-01-06", "BRG"),
        ("F5", "P-2", "2024-01-26", "BRG"), ("PM1", "P-2", "2024-01-15", ""),
    )  # fmt: skip
    documents = tuple(
        Document(wo, "work_order", f"order {wo}", asset, pd.Timestamp(day), {"failure_code": code})
        for wo, asset, day, code in orders
    )
    pumps = (Asset("P-1", "Intake Pump", {}), Asset("P-2", "Intake Pump", {}))
    answerer = answerer_over(
        tmp_path_factory.mktemp("kb"), MaintenanceData("site", assets=pumps, documents=documents)
    )
    answer = answerer.answer("What is the MTBF of the intake pumps?")
    # gaps 10, 30 and 20 days: a mean of 20
    assert answer.text.startswith(
        "The mean time between failures over 5 failure work orders with asset type"
    ), answer.text
    assert "is 20 days: the mean of 3 gaps" in answer.text and "on 2 assets" in answer.text
    assert "PM1" not in cited(answer.citations)
    mttr = answerer.answer("What is the MTTR of P-1?")
    assert mttr.abstained and "records a repair duration (downtime)" in mttr.text, mttr.text


def test_an_order_without_downtime_lasts_from_its_date_to_its_completion(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # walk-through: "what was the downtime of WO-022441" found none, though Reported 18/11 14:00 and
    # Completed 21/11 04:00 said 62 h; "completed in December" counted the orders reported then
    orders = (  # (id, reported, completed, failure code)
        ("C1", "2024-11-18 14:00", "2024-11-21 04:00:00", "LEAK"),  # 62 h
        ("C2", "2024-11-30 08:00", "2024-12-02 08:00:00", "BRG"),  # 48 h, reported in November
        ("C3", "2024-12-05 10:00", "2024-12-05 12:00:00", "SEAL"),  # 2 h
        ("C4", "2024-12-30 10:00", "2025-01-02 10:00:00", ""),  # completed in January
    )
    documents = tuple(
        Document(
            wo,
            "work_order",
            f"order {wo}",
            "P-1",
            pd.Timestamp(day),
            {"completed": end, "failure_code": code},
        )
        for wo, day, end, code in orders
    )
    answerer = answerer_over(
        tmp_path_factory.mktemp("kb"),
        MaintenanceData("site", assets=(Asset("P-1", "Pump", {}),), documents=documents),
    )
    answer = answerer.answer("What was the downtime of C1?")
    assert "is 62 hours (from the order's date to its completion date" in answer.text, answer.text
    completed = answerer.answer("How many work orders were completed in December 2024?")
    assert completed.text.startswith("2 work orders completed in december 2024"), completed.text
    assert cited(completed.citations) == {"C2", "C3"}
    reported = answerer.answer("How many work orders were reported in December 2024?")
    assert cited(reported.citations) == {"C3", "C4"}, reported.text
    mttr = answerer.answer("What is the MTTR of P-1?")  # (62 + 48 + 2) / 3
    assert "is 37.33 hours (from the order's date to its completion date" in mttr.text, mttr.text


def test_the_latest_part_replacement_is_also_one_not_coded_with_the_part(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # walk-through: "lamp" read as the code LAMP left out the later preventive lamp replacement
    orders = (
        ("U1", "2024-01-10", "LAMP", "lamp out. replcd 2 lamps"),
        ("U2", "2024-10-30", "", "PM: annual lamp replacement"),
        ("U3", "2024-11-05", "", "PM: wiper check"),
    )
    documents = tuple(
        Document(wo, "work_order", text, "UV-2", pd.Timestamp(day), {"failure_code": code})
        for wo, day, code, text in orders
    )
    data = MaintenanceData("site", assets=(Asset("UV-2", "UV Reactor", {}),), documents=documents)
    answer = answerer_over(tmp_path_factory.mktemp("kb"), data).answer(
        "When did UV-2 last have a lamp replaced?"
    )
    assert cited(answer.citations) == {"U2"}, answer.text


def test_who_did_the_work_is_a_topic_and_fixing_is_corrective_work(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # walk-through: "how many work orders did the night shift do" counted every order, and "which
    # technician fixed the most bearings" counted the greasing rounds that mention bearings
    orders = (  # (id, type, technician, text)
        ("B1", "CM", "A. Vos", "NDE brg noisy. replaced bearing"),
        ("B2", "CM", "A. Vos", "bearing hot. replaced brg"),
        ("B3", "PM", "T. Maes", "greasing brgs, PM round ok"),
        ("B4", "PM", "T. Maes", "greasing bearings, round ok"),
        ("B5", "PM", "T. Maes", "bearing grease top-up"),
        ("B6", "CM", "T. Maes", "seal leak. replaced seal"),
    )
    documents = tuple(
        Document(
            wo,
            "work_order",
            text,
            "P-1",
            pd.Timestamp("2024-01-01") + pd.Timedelta(days=i),
            {"wo_type": kind, "Technician": who},
        )
        for i, (wo, kind, who, text) in enumerate(orders)
    )
    answerer = answerer_over(
        tmp_path_factory.mktemp("kb"),
        MaintenanceData("site", assets=(Asset("P-1", "Pump", {}),), documents=documents),
    )
    shift = answerer.answer("How many work orders did the night shift do?")
    assert shift.text.startswith("No work orders mention 'night' or 'shift'"), shift.text
    fixed = answerer.answer("Which technician fixed the most bearings?")
    assert "the most frequent Technician is A. Vos with 2 records" in fixed.text, fixed.text
    assert answerer.answer("How many work orders does the database hold?").text.startswith("6 work orders")
