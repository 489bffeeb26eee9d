"""Simulated drawings: images on disk, boxes inside them, title blocks, BOMs and planted issues."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from PIL import Image

from moesaic.data.schema import Drawing
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.data.simulator.catalogue import CATALOGUE
from moesaic.data.simulator.drawings import GENERAL_TOLERANCE, make_drawings, render_drawing

TITLE_FIELDS = {
    "part_name",
    "drawing_number",
    "part_number",
    "material",
    "scale",
    "revision",
    "date",
    "drawn_by",
    "sheet",
    "general_tolerance",
    "units",
}


@pytest.fixture(scope="module")
def drawings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Drawing, ...]:
    out = tmp_path_factory.mktemp("plant") / "plant"
    simulate_to(SimulatorConfig(num_assets=4, days=2, seed=4), out)
    return load_plant(out).drawings


def test_each_asset_type_has_three_drawings_on_disk_with_the_declared_size(
    drawings: tuple[Drawing, ...],
) -> None:
    assert len(drawings) == 12
    assert {d.fields["asset_type"] for d in drawings} == set(CATALOGUE)
    for d in drawings:
        with Image.open(d.path) as image:
            assert image.size == (d.width, d.height) == (1600, 1100)
        assert d.fields["asset_ids"], f"{d.drawing_id} is linked to no asset"


def test_every_box_lies_inside_the_image_and_covers_ink(drawings: tuple[Drawing, ...]) -> None:
    for d in drawings:
        pixels = np.asarray(Image.open(d.path))
        assert d.boxes
        for box in d.boxes:
            x1, y1, x2, y2 = box["box"]
            assert 0 <= x1 < x2 < d.width and 0 <= y1 < y2 < d.height, (d.drawing_id, box)
            assert pixels[y1 : y2 + 1, x1 : x2 + 1].min() < 128, f"{d.drawing_id}: nothing drawn in {box}"


def test_annotation_boxes_never_overlap(drawings: tuple[Drawing, ...]) -> None:
    for d in drawings:
        for a, b in itertools.combinations(d.boxes, 2):
            (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a["box"], b["box"]
            assert ax2 <= bx1 or bx2 <= ax1 or ay2 <= by1 or by2 <= ay1, (d.drawing_id, a["text"], b["text"])


def test_title_block_holds_every_field_with_a_box(drawings: tuple[Drawing, ...]) -> None:
    for d in drawings:
        assert set(d.title_block) == TITLE_FIELDS
        boxed = {b["field"]: b["text"] for b in d.boxes if b["kind"] == "title_block"}
        assert boxed == {k: v for k, v in d.title_block.items() if v}
        assert d.title_block["drawing_number"] == d.drawing_id


def test_bom_rows_come_from_the_asset_type_bom(drawings: tuple[Drawing, ...]) -> None:
    for d in drawings:
        catalogue = {p.part_number: p for p in CATALOGUE[d.fields["asset_type"]].parts}
        bom = d.fields["bom"]
        assert bom[0]["part_number"] == d.fields["part_number"] and bom[0]["item"] == 1
        for row in bom:
            assert row["part_number"] in catalogue or row["part_number"].startswith("STD-")
            if row["part_number"] in catalogue:
                assert row["material"] == catalogue[row["part_number"]].material
        cells = {(b["item"], b["column"]): b["text"] for b in d.boxes if b["kind"] == "bom"}
        assert all(cells[(row["item"], "part_number")] == row["part_number"] for row in bom)


def test_planted_issues_are_the_only_inconsistencies(drawings: tuple[Drawing, ...]) -> None:
    kinds = set()
    for d in drawings:
        part = next(
            p for p in CATALOGUE[d.fields["asset_type"]].parts if p.part_number == d.fields["part_number"]
        )
        found = set()
        if d.title_block["material"] != part.material:
            found.add("material_mismatch")
        if d.title_block["part_number"] != part.part_number:
            found.add("part_number_mismatch")
        if d.title_block["general_tolerance"] != GENERAL_TOLERANCE:
            found.add("missing_general_tolerance")
        texts = {b["text"] for b in d.boxes if b["kind"] == "dimension"}
        for issue in d.fields["issues"]:
            if issue["kind"] == "missing_fit":
                assert issue["found"] in texts and issue["expected"] not in texts
                found.add("missing_fit")
        assert found == {i["kind"] for i in d.fields["issues"]}, d.drawing_id
        kinds |= found
    assert kinds, "no drawing of this plant carries a planted issue"


def test_dimension_texts_agree_with_their_parsed_values(drawings: tuple[Drawing, ...]) -> None:
    pattern = re.compile(r"^(?:(\d+)x)?(⌀|R)?([\d.]+)(?:±([\d.]+))?([A-Za-z]+\d+)?(x45°)?$")
    seen = set()
    for d in drawings:
        for dim in d.fields["dimensions"]:
            match = pattern.match(dim["text"])
            assert match, dim["text"]
            count, sign, value, tol, fit, chamfer = match.groups()
            assert float(value) == dim["nominal"]
            assert (float(tol) if tol else None) == dim["tol_plus"]
            assert (fit or "") == dim["fit"]
            assert int(count or 1) == dim["count"]
            assert (sign == "⌀") == (dim["dim_type"] in ("diameter", "hole_pattern"))
            assert bool(chamfer) == (dim["dim_type"] == "chamfer")
            seen.add(dim["dim_type"])
    assert seen == {"linear", "diameter", "radius", "chamfer", "hole_pattern", "keyway"}


def test_rendering_is_deterministic() -> None:
    config = SimulatorConfig(seed=9)
    kind = CATALOGUE["fan"]
    part = next(p for p in kind.parts if p.drawing == "disc")
    first = render_drawing(kind, part, index=7, config=config)
    again = render_drawing(kind, part, index=7, config=config)
    assert first.png == again.png and first.truth == again.truth
    assert len(make_drawings(config, ["pump"])) == 3
