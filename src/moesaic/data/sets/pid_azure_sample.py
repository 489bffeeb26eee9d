"""A synthetic P&ID sheet with symbol detections, and a P&ID crop with symbol and text boxes.

Azure-Samples, "digitization-of-piping-and-instrument-diagrams" (Microsoft); the sheet seems
to derive from the Digitize-PID synthetic data set (Paliwal et al., 2021).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Drawing, MaintenanceData
from moesaic.data.sets._json import field_number, read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError

SHEET, CROP = "pid_sheet_full", "pid_crop"
CORNERS = ("topX", "topY", "bottomX", "bottomY")


def read_box(item: Mapping[str, Any], path: Path, where: str) -> list[float]:
    """[x1, y1, x2, y2] from ``topX/topY/bottomX/bottomY``, ordered so that x1 <= x2 and y1 <= y2.

    Some upstream boxes store the corners swapped (topX > bottomX); the box is the same.
    """
    x1, y1, x2, y2 = (field_number(item, key, path, where) for key in CORNERS)
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]


class Detections(NamedTuple):
    """Symbol detections of one sheet.

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        boxes: one mapping per detection: ``text`` ("": not transcribed), ``box`` in pixels,
            ``kind`` "symbol", ``label`` (hierarchical class), ``score`` and ``id``.
    """

    width: int
    height: int
    boxes: tuple[Mapping[str, Any], ...]


def read_symbol_detections(path: Path) -> Detections:
    """A symbol-detection result: ``image_details`` (width, height) and ``label`` boxes in 0-1 units.

    Raises:
        DataFormatError: invalid JSON, a missing image size, or a detection with a missing or
            out-of-range corner, label or score, naming the detection index.
    """
    data = require_mapping(read_json_checked(path), path, "the detection result")
    details = require_mapping(data.get("image_details"), path, "`image_details`")
    width, height = (field_number(details, key, path, "`image_details`") for key in ("width", "height"))
    boxes = []
    for i, raw in enumerate(require_list(data.get("label"), path, "the detections in `label`")):
        item = require_mapping(raw, path, f"detection {i}")
        x1, y1, x2, y2 = read_box(item, path, f"detection {i}")
        if not (min(x1, y1) >= 0.0 and max(x2, y2) <= 1.0):
            raise DataFormatError(
                path, f"detection {i}: expected normalised corners in [0, 1], found {[x1, y1, x2, y2]}"
            )
        label = item.get("label")
        if not isinstance(label, str) or not label:
            raise DataFormatError(path, f"detection {i}: expected a class name in `label`, found {label!r}")
        boxes.append(
            {
                "text": "",
                "box": [x1 * width, y1 * height, x2 * width, y2 * height],
                "kind": "symbol",
                "label": label,
                "score": field_number(item, "score", path, f"detection {i}"),
                "id": item.get("id", i),
            }
        )
    return Detections(int(width), int(height), tuple(boxes))


def read_pixel_boxes(path: Path, kind: str) -> tuple[dict[str, Any], ...]:
    """A JSON list of unlabelled pixel boxes (``topX/topY/bottomX/bottomY``), each of kind ``kind``."""
    return tuple(
        {"text": "", "box": read_box(require_mapping(raw, path, f"box {i}"), path, f"box {i}"), "kind": kind}
        for i, raw in enumerate(require_list(read_json_checked(path), path, "the boxes"))
    )


def _image(path: Path) -> Path:
    if not path.is_file():
        raise DataFormatError(path, "image file not found")
    return path


def load(folder: Path) -> MaintenanceData:
    detections_path = folder / f"{SHEET}.symbol_detection.json"
    sheet = read_symbol_detections(detections_path)
    crop_image = _image(folder / f"{CROP}.png")
    with Image.open(crop_image) as opened:  # the crop has no size in its JSON; read the header only
        crop_width, crop_height = opened.size
    symbols = read_pixel_boxes(folder / f"{CROP}.symbols.json", "symbol")
    texts = read_pixel_boxes(folder / f"{CROP}.text.json", "text")
    drawings = (
        Drawing(
            drawing_id=SHEET,
            path=_image(folder / f"{SHEET}.png"),
            width=sheet.width,
            height=sheet.height,
            boxes=sheet.boxes,
            fields={"annotation": str(detections_path), "boxes_are": "model predictions"},
        ),
        Drawing(
            drawing_id=CROP,
            path=crop_image,
            width=crop_width,
            height=crop_height,
            boxes=symbols + texts,
            fields={"annotation": str(folder / f"{CROP}.symbols.json"), "boxes_are": "unlabelled fixtures"},
        ),
    )
    counts = {
        "sheet_symbols": len(sheet.boxes),
        "crop_symbols": len(symbols),
        "crop_text_regions": len(texts),
    }
    return MaintenanceData(
        name="pid_azure_sample", drawings=drawings, meta={"counts": counts, "source": str(folder)}
    )


INFO = DatasetInfo(
    name="pid_azure_sample",
    modality="drawing",
    description="1 synthetic P&ID sheet (7168x4561) with symbol detections + 1 crop with symbol/text boxes",
    licence="MIT (image origin ⚠: Digitize-PID, licence not stated)",
    citation="Azure-Samples, digitization-of-piping-and-instrument-diagrams; Paliwal et al., 2021",
    loader=load,
    expected={"drawings": 2},
)
