"""Record questions of a water works' walk-through: a named asset's part that is another asset
type's last word ("the inlet filter" of a blower beside "Sand Filter" assets)."""

from __future__ import annotations

import pandas as pd
import pytest

from ask_support import answerer_over, cited
from moesaic.data.schema import Asset, Document, MaintenanceData
from moesaic.reports.ask import KbAnswerer

ASSETS = (
    Asset("BW-1", "Backwash Blower", {}),
    Asset("SF-1", "Sand Filter", {}),
    Asset("SF-2", "Sand Filter", {}),
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
