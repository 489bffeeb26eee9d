"""The drawings suite scores every annotated drawing of the folder, named in a split or not."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from moesaic.eval.bench import SuiteContext
from moesaic.eval.suites import drawings
from moesaic.eval.suites.drawings import Timed, drawing_splits


def test_splits_keep_named_drawings_and_put_the_others_in_new(caplog: pytest.LogCaptureFixture) -> None:
    present = ["Adapterplatte", "BM_part", "Candle_holder", "LIU0010", "Valve_body", "example_dwg", "Zahnrad"]
    splits = drawing_splits(present)
    assert splits == {
        "dev": ("BM_part", "LIU0010"),
        "test": ("Adapterplatte", "Candle_holder", "example_dwg"),
        "new": ("Valve_body", "Zahnrad"),
    }
    assert not caplog.records  # nothing named is missing


def test_splits_of_a_folder_without_the_named_drawings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        splits = drawing_splits(["LIU0010", "Valve_body"])
    assert splits == {"dev": ("LIU0010",), "new": ("Valve_body",)}  # an empty split is left out
    assert "BM_part" in caplog.text and "example_dwg" in caplog.text


def _annotated(folder: Path, name: str, box: list[float], text: str) -> None:
    Image.new("L", (200, 100), 255).save(folder / f"{name}.png")
    shapes = [{"label": text, "points": [box[:2], box[2:]], "shape_type": "rectangle"}]
    labelme = {"shapes": shapes, "imagePath": f"{name}.png", "imageWidth": 200, "imageHeight": 100}
    (folder / f"{name}.json").write_text(json.dumps(labelme), encoding="utf-8")


def test_a_drawing_no_split_names_is_scored_as_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "mech_drawings_edocr2"
    folder.mkdir()
    _annotated(folder, "Valve_body", [10, 10, 60, 30], "⌀20H7")
    _annotated(folder, "LIU0010", [100, 50, 150, 70], "45°")

    def read(image: np.ndarray, engine: object, path: str) -> Timed:
        found = SimpleNamespace(dimensions=[SimpleNamespace(text="⌀20H7", box=(12, 11, 58, 29))])
        return Timed(found, 0.5, 0.25)  # type: ignore[arg-type]  # what run_edocr2 reads of a summary

    monkeypatch.setattr(drawings, "_read", read)
    engine = SimpleNamespace(name="stub")  # read() above never calls it
    rows = drawings.run_edocr2(SuiteContext(data=tmp_path), engine)  # type: ignore[arg-type]
    measured = {(r.setting.split(",")[0], r.metric): r.value for r in rows if r.source == "measured"}
    assert measured[("split=new", "dimension_precision")] == 1.0
    assert measured[("split=new", "dimension_recall")] == 1.0
    assert measured[("split=dev", "dimension_recall")] == 0.0  # its only dimension is elsewhere
    assert not any(key[0] == "split=test" for key in measured)


def test_scale_reads_the_drawings_resized_and_their_boxes_with_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mech_drawings_edocr2"
    folder.mkdir()
    _annotated(folder, "Valve_body", [10, 10, 60, 30], "⌀20H7")
    shapes = []

    def read(image: np.ndarray, engine: object, path: str) -> Timed:
        shapes.append(image.shape)
        found = SimpleNamespace(dimensions=[SimpleNamespace(text="⌀20H7", box=(6, 6, 36, 18))])
        return Timed(found, 0.5, 0.25)  # type: ignore[arg-type]

    monkeypatch.setattr(drawings, "_read", read)
    engine = SimpleNamespace(name="stub")
    rows = drawings.run_edocr2(SuiteContext(data=tmp_path, options={"scale": "0.6"}), engine)  # type: ignore[arg-type]
    assert shapes == [(60, 120)]  # the 200 x 100 sheet at 0.6
    measured = {(r.setting, r.metric): r.value for r in rows}
    # the box (6, 6, 36, 18) matches the annotated box scaled with the sheet, (6, 6, 36, 18)
    assert measured[("split=new,iou=0.2,engine=stub,scale=0.6", "dimension_recall")] == 1.0
    assert all(r.source == "measured" for r in rows)  # no published rows beside a resized reading


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scale": "3"}, "between 0.25 and 2"),
        ({"scale": "big"}, "expected a number"),
        ({"rescale": "yes"}, "expected 0 or 1"),
        ({"engine": "tesseract", "rescale": "0"}, "only the rapidocr engine"),
    ],
)
def test_bad_scale_or_rescale_options_are_refused_by_name(options: dict[str, str], message: str) -> None:
    with pytest.raises(drawings.OptionError, match=message):
        drawings._engine(options) if "scale" not in options else drawings._scale_option(options)


def test_rescale_0_is_named_in_the_setting() -> None:
    assert drawings._engine_setting(drawings._engine({"rescale": "0"})) == "engine=rapidocr,rescale=0"
    assert drawings._engine_setting(drawings._engine({})) == "engine=rapidocr"
