"""Drawing questions from a user walkthrough: how many of a part a drawing lists was answered with
a dump of its title block, and an asset whose register row names its drawing had "no drawing"."""

from __future__ import annotations

from pathlib import Path

from moesaic.data.schema import Asset, Drawing, MaintenanceData
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer

BOM = [
    {"item": "1", "part_number": "PK-1042", "description": "DRIVE SHAFT", "qty": "1"},
    {"item": "3", "part_number": "SKF-6207-2RS", "description": "BALL BEARING", "qty": "2"},
    {"item": "4", "part_number": "DIN471-35x1.5", "description": "CIRCLIP", "qty": "2"},
]


def _base(tmp_path: Path, *assets: Asset) -> KnowledgeBase:
    drawing = Drawing(
        "DWG-PK-1042",
        tmp_path / "DWG-PK-1042.png",
        title_block={"drawing_number": "DWG-PK-1042", "part_name": "DRIVE SHAFT", "material": "42CrMo4"},
        fields={"bom": BOM},
    )
    base = KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing")
    base.ingest(MaintenanceData("plant", assets=assets, drawings=(drawing,)), source="plant")
    return base


def test_how_many_of_a_part_a_drawing_lists_is_its_bom_quantity(tmp_path: Path) -> None:
    with _base(tmp_path) as base:
        ask = KbAnswerer(base)
        for question in (
            "How many SKF-6207-2RS bearings are on drawing DWG-PK-1042?",
            "What is the quantity of SKF-6207-2RS on DWG-PK-1042?",
            "How many ball bearings are on drawing DWG-PK-1042?",
        ):
            answer = ask.answer(question)
            assert answer.text == (
                "Drawing plant:DWG-PK-1042 lists 2 of part SKF-6207-2RS (BALL BEARING): "
                "item 3 of its bill of materials."
            ), question


def test_a_quantity_of_a_part_the_bom_lacks_is_no_title_block_dump(tmp_path: Path) -> None:
    with _base(tmp_path) as base:
        answer = KbAnswerer(base).answer("How many washers are on drawing DWG-PK-1042?")
    assert answer.abstained and "has no row the question names" in answer.text
    assert "42CrMo4" not in answer.text


def test_an_asset_register_naming_a_drawing_links_it(tmp_path: Path) -> None:
    """assets.csv: ``CT-01,cartoner,...,DWG-PK-1042`` in a ``drawing`` column (any case, or two ids)."""
    assets = (
        Asset("CT-01", "cartoner", {"site": "Line 1", "Drawing": "dwg-pk-1042"}),
        Asset("CV-02", "conveyor", {"drawing_no": "DWG-PK-1043; DWG-PK-1042"}),
        Asset("GL-03", "gluer", {"drawing": "DWG-PK-2001"}),
    )
    with _base(tmp_path, *assets) as base:
        ask = KbAnswerer(base)
        for asset in ("CT-01", "CV-02"):
            answer = ask.answer(f"Which drawing is for asset {asset}?")
            assert f"cover plant:{asset}: plant:DWG-PK-1042 (DRIVE SHAFT" in answer.text, answer.text
        assert (
            ask.answer("Which drawing is for asset GL-03?").text
            == "No drawing of the base covers plant:GL-03."
        )
