"""Readers of the text, QA and drawing data sets: README counts, field types, malformed input."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import MaintenanceData
from moesaic.data.sets import (
    excavator_mwo,
    fmc_mwo2kg,
    fmea_mining_truck,
    maintie,
    maintnorm,
    mech_drawings_edocr2,
    pid_azure_sample,
    timeseriesexam,
)
from moesaic.data.sets.fmc_mwo2kg import read_fmc_file
from moesaic.data.sets.maintnorm import read_norm_file
from moesaic.data.sets.mech_drawings_edocr2 import read_labelme
from moesaic.data.sets.pid_azure_sample import read_pixel_boxes, read_symbol_detections
from moesaic.data.sets.timeseriesexam import read_exam_json
from moesaic.data.tables import DataFormatError

MODULES = (
    excavator_mwo,
    maintie,
    maintnorm,
    fmea_mining_truck,
    fmc_mwo2kg,
    timeseriesexam,
    mech_drawings_edocr2,
    pid_azure_sample,
)


@functools.cache
def _read(name: str, root: Path) -> MaintenanceData:
    info = next(m.INFO for m in MODULES if m.INFO.name == name)
    return info.loader(info.folder(root))


def _load(info: DatasetInfo, root: Path) -> MaintenanceData:
    # Each set is read once per session; the tests below only inspect it.
    return _read(info.name, root)


@pytest.mark.parametrize("info", [m.INFO for m in MODULES], ids=lambda i: i.name)
def test_counts_match_readme(info: DatasetInfo, shared_data: Path) -> None:
    data = _load(info, shared_data)
    found = {**data.counts(), **data.meta.get("counts", {})}
    assert data.name == info.name
    assert {k: found.get(k) for k in info.expected} == dict(info.expected)


def test_excavator_work_orders(shared_data: Path) -> None:
    data = _load(excavator_mwo.INFO, shared_data)
    assert [a.asset_id for a in data.assets] == ["A", "B", "C", "D", "E"]
    assert {a.asset_type for a in data.assets} == {"Hydraulic excavator"}
    doc = data.documents[1]
    assert (doc.doc_id, doc.kind, doc.asset_id) == ("1", "work_order", "A")
    assert doc.text == "L/H BUCKET CYL LEAKING."
    assert doc.time == pd.Timestamp("2005-03-20")
    assert doc.fields["Cost"] == pytest.approx(407.4) and doc.fields["RunningTime"] == 262.0
    assert doc.fields["FM"] == "Leak" and doc.fields["PMType"] == "PM01"
    assert data.documents[0].fields["FM"] == "" and np.isnan(data.documents[0].fields["RunningTime"])
    times = [d.time for d in data.documents if d.time is not None]
    assert len(times) == 5485
    assert min(times) == pd.Timestamp("2001-07-05") and max(times) == pd.Timestamp("2012-12-13")


def test_maintie_spans_and_scheme(shared_data: Path) -> None:
    data = _load(maintie.INFO, shared_data)
    doc = data.documents[0]
    assert doc.kind == "annotation" and doc.fields["tokens"][0] == "<id>"
    for d in data.documents:
        n = len(d.fields["tokens"])
        assert all(0 <= e["start"] < e["end"] <= n for e in d.fields["entities"])
    assert set(data.meta["scheme"]) == {"entity", "relation"}


def test_maintnorm_tokens_align(shared_data: Path) -> None:
    data = _load(maintnorm.INFO, shared_data)
    first = data.documents[0]
    assert first.text == "PH639 RECTIFY STEERING FAULT"
    assert first.fields["normalised"] == ("<id>", "rectify", "steering", "fault")
    assert all(len(d.fields["tokens"]) == len(d.fields["normalised"]) for d in data.documents)
    assert any("" in d.fields["normalised"] for d in data.documents)  # deleted tokens are kept as ""


def test_fmea_rows_and_qa(shared_data: Path) -> None:
    data = _load(fmea_mining_truck.INFO, shared_data)
    rows = [d for d in data.documents if d.kind == "fmea"]
    qa = [d for d in data.documents if d.kind == "qa"]
    assert all(isinstance(d.fields[c], int) for d in rows for c in fmea_mining_truck.SCORES)
    assert rows[0].text.startswith("Power Unit > Fuel System > Fuel Tank: failure mode Cracked or leaking")
    assert qa[0].fields["ID"] == 1 and qa[0].fields["Nuggets"][0]["status"] == "ESSENTIAL"
    assert all(isinstance(d.fields["Categories"], tuple) and d.fields["Nuggets"] for d in qa)
    assert data.meta["rpn_mismatches"] == ("fmea-288",)  # RPN 0 upstream where S x O x D = 12
    assert len(data.meta["repairs"]) == 1  # ID 35: "125\\ hour" is not a JSON escape
    combined = data.meta["combined"]
    assert combined.columns[0] == "Subsystem"  # the BOM is not part of the first name
    assert combined["Subsystem"].isna().sum() == 323  # merged cells stay blank in this version


def test_a_user_fmea_sheet_with_semicolons_reads_as_with_commas(tmp_path: Path) -> None:
    header = ",".join(fmea_mining_truck.COLUMNS)
    row = 'Power Unit,Fuel System,Fuel Tank,Cracked,"Fuel loss, fire",4,Wear,1,Visual check,2,8,Flush tank'
    comma = tmp_path / "comma.csv"
    comma.write_text(f"{header}\n{row}\n")
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_text(f"{header}\n{row}\n".replace(",", ";").replace("Fuel loss; fire", "Fuel loss, fire"))
    read = [fmea_mining_truck.read_fmea(p).documents[0].fields for p in (comma, semicolon)]
    assert read[0] == read[1] and read[0]["Potential Effect(s) of Failure"] == "Fuel loss, fire"
    assert read[0]["RPN"] == 8


def test_fmc_labels(shared_data: Path) -> None:
    data = _load(fmc_mwo2kg.INFO, shared_data)
    assert (data.documents[0].text, data.documents[0].fields["label"]) == ("falure", "Breakdown")
    assert {d.fields["split"] for d in data.documents} == {"train", "dev", "test"}


def test_timeseriesexam_questions(shared_data: Path) -> None:
    data = _load(timeseriesexam.INFO, shared_data)
    for d in data.documents:
        assert d.fields["answer"] == d.fields["options"][d.fields["answer_index"]]
        assert set(d.fields["series"]) in ({"ts"}, {"ts1", "ts2"})
        assert all(s.dtype == np.float64 and s.ndim == 1 for s in d.fields["series"].values())
    numeric = next(d for d in data.documents if d.doc_id == "42")
    assert numeric.fields["options"] == ("3.8", "6.88", "1.91")  # numbers upstream, text here


def test_drawings_sizes_and_boxes(shared_data: Path) -> None:
    data = _load(mech_drawings_edocr2.INFO, shared_data)
    sizes = {d.drawing_id: (d.path.name, d.width, d.height) for d in data.drawings}
    assert sizes["Adapterplatte"] == ("Adapterplatte.jpg", 5778, 3250)
    assert sizes["example_dwg"] == ("example_dwg.png", 3308, 2339)
    for drawing in data.drawings:
        for box in drawing.boxes:
            x1, y1, x2, y2 = box["box"]
            assert 0 <= x1 < x2 <= drawing.width and 0 <= y1 < y2 <= drawing.height
            assert box["kind"] == ("other_info" if box["text"] == "other_info" else "dimension")


def test_pid_boxes_in_pixels(shared_data: Path) -> None:
    sheet, crop = _load(pid_azure_sample.INFO, shared_data).drawings
    assert (sheet.width, sheet.height, crop.width, crop.height) == (7168, 4561, 1388, 781)
    assert sheet.boxes[0]["label"] == "Instrument/Indicator/shared control logic"
    assert sheet.boxes[0]["box"][0] == pytest.approx(0.1607218879 * 7168)
    for drawing in (sheet, crop):
        assert all(b["box"][0] <= b["box"][2] and b["box"][1] <= b["box"][3] for b in drawing.boxes)
    assert {b["kind"] for b in crop.boxes} == {"symbol", "text"}


# Malformed input: every reusable reader names the file and the line or item at fault.


def test_work_orders_duplicated_id(tmp_path: Path) -> None:
    path = tmp_path / "mwo.csv"
    header = ",".join((*excavator_mwo.REQUIRED, "id"))
    row = "2004-07-01,A,BUCKET WON'T OPEN,183.05,,0.0" + "," * (len(excavator_mwo.CODE_COLUMNS) + 1)
    path.write_text(f"{header}\n{row}7\n{row}7\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"mwo\.csv, line 3, column 'id': expected unique ids"):
        excavator_mwo.read_work_orders(path)


def test_norm_line_without_tab(tmp_path: Path) -> None:
    path = tmp_path / "bad.norm"
    path.write_text("PUMP\tpump\nLEAK\tleak\n\nREPL replace\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.norm, line 4: .*found no tab in 'REPL replace'"):
        read_norm_file(path)


def test_norm_reads_deleted_tokens(tmp_path: Path) -> None:
    path = tmp_path / "ok.norm"
    path.write_text("PUMP\tpump\n622\t\n\r\nP/BRAKE\tpark brake\n", encoding="utf-8")
    texts = read_norm_file(path)
    assert [(t.tokens, t.normalised, t.line) for t in texts] == [
        (("PUMP", "622"), ("pump", ""), 1),
        (("P/BRAKE",), ("park brake",), 4),
    ]


def test_fmc_line_without_label(tmp_path: Path) -> None:
    path = tmp_path / "train.txt"
    path.write_text("bogged,Plugged / choked\nleak, oil,Leaking\nsmoking up\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"train\.txt, line 3: .*no comma in 'smoking up'"):
        read_fmc_file(path)
    path.write_text("bogged,Plugged / choked\nleak, oil,Leaking\n", encoding="utf-8")
    assert [(i.text, i.label) for i in read_fmc_file(path)][1] == ("leak, oil", "Leaking")


def _exam_item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": 7,
        "question": "Is there a trend?",
        "options": ["yes", "no"],
        "ts": [1, 2.5],
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


def test_exam_item_missing_options(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([_exam_item(), _exam_item(id=8, options=None)]), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"exam\.json: item 1 \(id 8\): missing field 'options'"):
        read_exam_json(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"options": ["only one"]}, r"`options` must be a list of at least 2"),
        ({"ts": None}, r"expected a series `ts`, or two series `ts1` and `ts2`"),
        ({"ts": [1.0, "x"]}, r"`ts`\[1\] must be a finite number or null \(missing\), found 'x'"),
        ({"answer": "maybe"}, r"`answer` must be one of `options`"),
    ],
)
def test_exam_item_errors(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([_exam_item(**changes)]), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"exam\.json: item 0 \(id 7\): " + message):
        read_exam_json(path)


def test_exam_unlabelled_two_series(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps([_exam_item(ts=None, ts1=[1, 2], ts2=[3, 4])]), encoding="utf-8")
    (doc,) = read_exam_json(path)
    assert doc.fields["answer"] is None and doc.fields["answer_index"] is None
    np.testing.assert_array_equal(doc.fields["series"]["ts2"], np.array([3.0, 4.0]))


def test_exam_invalid_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text('[\n{"id": 1,\n "question": }\n]', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"exam\.json, line 3: not valid JSON"):
        read_exam_json(path)


def test_labelme_shape_without_points(tmp_path: Path) -> None:
    path = tmp_path / "part.json"
    shapes = [
        {"label": "⌀38H12", "points": [[10, 20], [40, 35]], "shape_type": "rectangle"},
        {"label": "other_info", "shape_type": "rectangle"},
    ]
    path.write_text(json.dumps({"shapes": shapes, "imagePath": "part.png"}), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"part\.json: shape 1 \('other_info'\): .*found no `points`"):
        read_labelme(path)


def test_labelme_polygon_becomes_axis_aligned_box(tmp_path: Path) -> None:
    path = tmp_path / "part.json"
    points = [[405, 602], [452, 602], [453, 488], [405, 489]]
    path.write_text(json.dumps({"shapes": [{"label": "6.144", "points": points}], "imagePath": "p.png"}))
    annotation = read_labelme(path)
    assert annotation.width is None
    assert annotation.boxes == ({"text": "6.144", "box": [405.0, 488.0, 453.0, 602.0], "kind": "dimension"},)


def test_pid_boxes_reordered_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "text.json"
    path.write_text(json.dumps([{"topX": 230.0, "topY": 8.0, "bottomX": 222.0, "bottomY": 16.0}]))
    assert read_pixel_boxes(path, "text")[0]["box"] == [222.0, 8.0, 230.0, 16.0]
    detections = {
        "image_details": {"width": 100, "height": 50},
        "label": [{"topX": 0.1, "topY": 0.2, "bottomX": 1.5, "bottomY": 0.4, "label": "Valve", "score": 0.9}],
    }
    path.write_text(json.dumps(detections))
    with pytest.raises(
        DataFormatError, match=r"text\.json: detection 0: expected normalised corners in \[0, 1\]"
    ):
        read_symbol_detections(path)
