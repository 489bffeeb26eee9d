"""The same export ingested from a renamed folder is stored twice, and says so (user report item 12)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moesaic.data.readers import read_user_folder
from moesaic.knowledge import KnowledgeBase

ASSETS = "asset_id,asset_type\nP-101,pump\nP-102,pump\n"
ORDERS = """wo_id,asset_id,created,text,cost
WO-1,P-101,2024-02-03,seal leak,1250.5
WO-2,P-101,2024-02-13 14:05,bearing noise,320
WO-3,P-102,2024-02-20,coupling worn,180
"""
SERIES = "time,temp\n2024-01-01 00:00,20\n2024-01-01 01:00,21\n"


def _folder(root: Path, name: str, orders: str = ORDERS) -> Path:
    folder = root / name
    (folder / "series").mkdir(parents=True)
    (folder / "assets.csv").write_text(ASSETS, encoding="utf-8")
    (folder / "work_orders.csv").write_text(orders, encoding="utf-8")
    (folder / "series" / "P-101.csv").write_text(SERIES, encoding="utf-8")
    return folder


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_renamed_copy_of_an_export_is_stored_twice_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb,
        caplog.at_level(logging.WARNING, logger="moesaic.knowledge.ingest"),
    ):
        first = kb.ingest(read_user_folder(_folder(tmp_path, "plantA")), source="plantA")
        assert first.same_elsewhere == {} and _warnings(caplog) == []
        again = kb.ingest(read_user_folder(_folder(tmp_path, "export_2024_03")), source="export_2024_03")
        # The documented <source>:<id> keys are kept: every record is added again ...
        assert again.added == {"assets": 2, "series": 1, "events": 0, "documents": 3, "drawings": 0}
        assert kb.stats()["documents"] == 6
    # ... and identical content is counted: 2 assets + 3 orders (the series' meta names its file).
    assert again.same_elsewhere == {"plantA": 5}
    (message,) = _warnings(caplog)
    assert "5 of the 6 new records of source 'export_2024_03'" in message
    assert "under source 'plantA'" in message and "count them twice" in message


def test_a_new_export_with_other_content_gives_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    march = ORDERS.replace("seal leak", "seal leak again").replace("bearing noise", "bearing replaced")
    march = march.replace("coupling worn", "coupling aligned")
    with (
        KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb,
        caplog.at_level(logging.WARNING, logger="moesaic.knowledge.ingest"),
    ):
        kb.ingest(read_user_folder(_folder(tmp_path, "plantA")), source="plantA")
        report = kb.ingest(read_user_folder(_folder(tmp_path, "march", march)), source="march")
    # the asset register is the same (2 of 6 records): not most of them
    assert report.same_elsewhere == {"plantA": 2}
    assert _warnings(caplog) == []


def test_re_ingesting_one_source_is_idempotent_and_silent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder(tmp_path, "plantA")
    with (
        KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as kb,
        caplog.at_level(logging.WARNING, logger="moesaic.knowledge.ingest"),
    ):
        kb.ingest(read_user_folder(folder), source="plantA")
        report = kb.ingest(read_user_folder(folder), source="plantA")
    assert report.changed == 0 and report.same_elsewhere == {}
    assert _warnings(caplog) == []
