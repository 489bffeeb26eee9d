"""Mechanical drawings with hand-annotated dimension and text boxes (the eDOCr2 test samples).

Villena Toro, Wiberg & Tarkian, "eDOCr2" (preprint, SSRN 5045921, 2024); earlier eDOCr:
Frontiers in Manufacturing Technology 2023 (Linköping University).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Drawing, MaintenanceData
from moesaic.data.sets._json import is_number, read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError

OTHER = "other_info"  # the label of annotated regions that are not dimensions


class LabelMe(NamedTuple):
    """The content of one LabelMe annotation file.

    Attributes:
        image_path: ``imagePath`` as written (relative to the JSON file).
        width: ``imageWidth`` in pixels, or None when absent.
        height: ``imageHeight`` in pixels, or None when absent.
        boxes: one mapping per shape: ``text`` (the label), ``box`` [x1, y1, x2, y2], the
            axis-aligned pixel box around its points, and ``kind`` ("dimension" or "other_info").
    """

    image_path: str
    width: int | None
    height: int | None
    boxes: tuple[Mapping[str, Any], ...]


def _shape_box(shape: Mapping[str, Any], path: Path, where: str) -> dict[str, Any]:
    label, points = shape.get("label"), shape.get("points")
    if not isinstance(label, str):
        raise DataFormatError(path, f"{where}: expected a string `label`, found {label!r}")
    if not (
        isinstance(points, list)
        and len(points) >= 2
        and all(isinstance(p, list) and len(p) == 2 and is_number(p[0]) and is_number(p[1]) for p in points)
    ):
        found = "no `points`" if points is None else f"`points` = {points!r}"
        raise DataFormatError(
            path, f"{where}: expected `points` as at least 2 [x, y] number pairs, found {found}"
        )
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return {
        "text": label,
        "box": [min(xs), min(ys), max(xs), max(ys)],
        "kind": OTHER if label == OTHER else "dimension",
    }


def _size(data: Mapping[str, Any], key: str, path: Path) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not (is_number(value) and float(value).is_integer() and value > 0):
        raise DataFormatError(path, f"`{key}` must be a positive integer, found {value!r}")
    return int(value)


def read_labelme(path: Path) -> LabelMe:
    """A LabelMe JSON file: ``shapes`` with ``label`` and ``points``, plus ``imagePath``.

    Rectangles (2 corners) and polygons (rotated text, 4 corners) both become the axis-aligned
    box around their points.

    Raises:
        DataFormatError: invalid JSON, no ``shapes`` list, no ``imagePath``, or a shape without
            a label or valid points, naming the shape index.
    """
    data = require_mapping(read_json_checked(path), path, "the annotation")
    if "shapes" not in data:
        raise DataFormatError(path, f"missing field 'shapes'; found fields {sorted(data)}")
    shapes = require_list(data["shapes"], path, "`shapes`")
    boxes = tuple(
        _shape_box(
            require_mapping(s, path, f"shape {i}"),
            path,
            f"shape {i} ({s.get('label')!r})" if isinstance(s, Mapping) else f"shape {i}",
        )
        for i, s in enumerate(shapes)
    )
    image_path = data.get("imagePath")
    if not isinstance(image_path, str) or not image_path:
        raise DataFormatError(path, f"expected the image file name in `imagePath`, found {image_path!r}")
    return LabelMe(image_path, _size(data, "imageWidth", path), _size(data, "imageHeight", path), boxes)


def read_labelme_drawing(path: Path) -> Drawing:
    """The drawing annotated by the LabelMe file ``path``; the image must sit beside it.

    The image is not decoded: its size comes from the JSON, or else from the image header.
    """
    annotation = read_labelme(path)
    image = path.parent / annotation.image_path
    if not image.is_file():
        raise DataFormatError(
            path, f"`imagePath` names {annotation.image_path!r}, but {image} does not exist"
        )
    width, height = annotation.width, annotation.height
    if width is None or height is None:
        with Image.open(image) as opened:  # reads the header only
            width, height = opened.size
    dimensions = sum(1 for b in annotation.boxes if b["kind"] == "dimension")
    return Drawing(
        drawing_id=path.stem,
        path=image,
        width=width,
        height=height,
        boxes=annotation.boxes,
        fields={"annotation": str(path), "regions": len(annotation.boxes), "dimensions": dimensions},
    )


def load(folder: Path) -> MaintenanceData:
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise DataFormatError(folder, "no LabelMe .json annotation files found")
    drawings = tuple(read_labelme_drawing(p) for p in paths)
    counts = {
        "regions": sum(len(d.boxes) for d in drawings),
        "dimensions": sum(int(d.fields["dimensions"]) for d in drawings),
        **{f"drawing={d.drawing_id}": len(d.boxes) for d in drawings},
    }
    return MaintenanceData(
        name="mech_drawings_edocr2", drawings=drawings, meta={"counts": counts, "source": str(folder)}
    )


INFO = DatasetInfo(
    name="mech_drawings_edocr2",
    modality="drawing",
    description="5 mechanical drawings with hand-annotated dimension/tolerance and text boxes (eDOCr2 tests)",
    licence="MIT (who drew the drawings is not stated ⚠)",
    citation="Villena Toro, Wiberg & Tarkian, eDOCr2, 2024",
    loader=load,
    expected={
        "drawings": 5,
        "regions": 79,
        "drawing=Adapterplatte": 15,
        "drawing=BM_part": 28,
        "drawing=Candle_holder": 13,
        "drawing=LIU0010": 17,
        "drawing=example_dwg": 6,
    },
)
