"""Verification test sheets: simulated drawings with one injected fault each, in varied styles.

Each :class:`CheckCase` is a rendered sheet, the reference bill of materials it is checked
against (what the ERP says), and the findings a perfect checker reports on it. The faults are
those :func:`moesaic.drawings.check.check_drawing` looks for: a missing title-block field, no
tolerance (neither on the dimensions nor a general one), a BOM item missing from the sheet, a
quantity that differs, a wrong part number, an unknown part number, and a revision that differs
from the BOM. One case in eight is clean. Sheets vary in font (the TrueType fonts found on the
machine, else Pillow's own), a small rotation, and scanner noise, all drawn from the seed.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from moesaic.data.simulator.assets import stream
from moesaic.data.simulator.catalogue import CATALOGUE
from moesaic.data.simulator.config import SimulatorConfig
from moesaic.data.simulator.drawings import render_drawing

FAULTS = (
    "none",
    "missing_field",
    "missing_tolerance",
    "bom_item_missing",
    "quantity_mismatch",
    "wrong_part_number",
    "unknown_part_number",
    "revision_mismatch",
)
# fields a missing_field fault may blank (all required by the default rules)
BLANKABLE = ("part_name", "drawing_number", "material", "scale", "revision", "drawn_by", "date")
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"))
FONT_NAMES = (
    "DejaVuSans.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "LiberationSans-Regular.ttf",
)
_STREAM_CASES = 9  # a random stream of its own, apart from the plant's


class CheckCase(NamedTuple):
    """One test sheet: PNG bytes, its ground truth, the reference BOM and the expected findings.

    ``expected`` holds (rule, subject) pairs; subject "*" stands for any dimension.
    """

    case_id: str
    fault: str
    png: bytes
    truth: dict[str, Any]
    reference_bom: list[dict[str, Any]]
    expected: list[tuple[str, str]]


def available_fonts() -> list[str]:
    """The TrueType files of :data:`FONT_NAMES` present on this machine, in that order."""
    found = []
    for name in FONT_NAMES:
        for folder in FONT_DIRS:
            hits = sorted(folder.rglob(name)) if folder.is_dir() else []
            if hits:
                found.append(str(hits[0]))
                break
    return found


def _swap_digits(number: str) -> str:
    """A plausible typo: two neighbouring digits swapped, or the last digit changed."""
    digits = [i for i, c in enumerate(number) if c.isdigit()]
    for a, b in itertools.pairwise(digits):
        if b == a + 1 and number[a] != number[b]:
            return number[:a] + number[b] + number[a] + number[b + 1 :]
    last = digits[-1]
    return number[:last] + str((int(number[last]) + 1) % 10) + number[last + 1 :]


def _degrade(png: bytes, truth: dict[str, Any], rng: np.random.Generator) -> tuple[bytes, dict[str, Any]]:
    """Turn the sheet by up to ±1°, add scanner noise and blur; move every box with it."""
    image = Image.open(io.BytesIO(png)).convert("L")
    angle = float(rng.uniform(-1.0, 1.0))
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    pixels = np.asarray(turned, dtype=np.float64)
    pixels = pixels + rng.normal(0.0, float(rng.uniform(4, 14)), pixels.shape)
    specks = rng.random(pixels.shape) < 2e-4
    pixels[specks] = 0.0
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=6)
    w, h = image.size
    cx, cy = w / 2, h / 2
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))

    def move(box: list[float]) -> list[int]:
        # PIL turns counter-clockwise on screen: (x, y) -> centre + R(-angle) (x - centre)
        xs, ys = [box[0], box[2], box[2], box[0]], [box[1], box[1], box[3], box[3]]
        nx = [cx + c * (x - cx) + s * (y - cy) for x, y in zip(xs, ys, strict=True)]
        ny = [cy - s * (x - cx) + c * (y - cy) for x, y in zip(xs, ys, strict=True)]
        return [int(min(nx)), int(min(ny)), round(max(nx)), round(max(ny))]

    moved = dict(truth)
    moved["boxes"] = [{**b, "box": move(b["box"])} for b in truth["boxes"]]
    moved["dimensions"] = [b for b in moved["boxes"] if b["kind"] == "dimension"]
    moved["rotation_deg"] = round(angle, 4)
    return buffer.getvalue(), moved


def make_check_case(index: int, *, seed: int = 0, fonts: list[str] | None = None) -> CheckCase:
    """The test sheet number ``index``: fault ``FAULTS[index % 8]`` on a part chosen by ``index``."""
    rng = stream(seed, _STREAM_CASES, index)
    fault = FAULTS[index % len(FAULTS)]
    drawn = [(kind, part) for kind in CATALOGUE.values() for part in kind.parts if part.drawing]
    kind, part = drawn[(index * 5) % len(drawn)]
    fonts = available_fonts() if fonts is None else fonts
    choice = int(rng.integers(len(fonts) + 1))
    font_path = fonts[choice - 1] if choice else None  # 0: Pillow's bundled font
    fields_patch: dict[str, str] = {}
    expected: list[tuple[str, str]] = []
    state: dict[str, Any] = {}

    def patch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        row = int(rng.integers(1, len(rows)))  # never the drawn part itself
        target = rows[row]["part_number"]
        if fault == "bom_item_missing":
            del rows[row]
            for i, r in enumerate(rows, 1):
                r["item"] = i
            expected.append(("bom_item_missing", target))
        elif fault == "quantity_mismatch":
            rows[row]["qty"] = int(rows[row]["qty"]) + int(rng.integers(1, 4))
            expected.append(("bom_quantity", target))
        elif fault == "wrong_part_number":
            rows[row]["part_number"] = _swap_digits(target)
            expected.append(("bom_part_number", target))
        elif fault == "unknown_part_number":
            extra = f"STD-WSH-{int(rng.integers(10, 40))}"
            rows.append(
                {
                    "item": len(rows) + 1,
                    "part_number": extra,
                    "description": "WASHER ISO 7089",
                    "qty": int(rng.integers(2, 9)),
                    "material": "St",
                }
            )
            expected.append(("bom_unknown_item", extra))
        state["rows"] = rows
        return rows

    if fault == "missing_field":
        blank = BLANKABLE[int(rng.integers(len(BLANKABLE)))]
        fields_patch[blank] = ""
        expected.append(("title_block_field", blank))
    elif fault == "missing_tolerance":
        fields_patch["general_tolerance"] = ""
        expected += [("title_block_field", "general_tolerance"), ("dimension_tolerance", "*")]
    config = SimulatorConfig(seed=seed)
    rendered = render_drawing(
        kind,
        part,
        index=1000 + index,
        config=config,
        issue="none",
        fields_patch=fields_patch,
        bom_patch=patch,
        font_path=font_path,
    )
    truth = rendered.truth
    reference = [dict(r, revision="") for r in truth["bom_reference"]]
    reference[0]["revision"] = truth["title_block"]["revision"] or "A"
    if fault == "revision_mismatch":
        revision = truth["title_block"]["revision"]
        reference[0]["revision"] = "B" if revision != "B" else "C"
        expected.append(("revision_mismatch", reference[0]["part_number"]))
    png, truth = _degrade(rendered.png, truth, rng)
    truth = {**truth, "font": Path(font_path).name if font_path else "pillow-default", "fault": fault}
    return CheckCase(f"CASE-{index:03d}-{rendered.drawing_id}", fault, png, truth, reference, expected)


def make_check_cases(count: int, *, seed: int = 0) -> list[CheckCase]:
    """``count`` test sheets, faults in turn (see :data:`FAULTS`)."""
    if count < 1:
        raise ValueError(f"`count` must be >= 1, got {count}")
    fonts = available_fonts()
    return [make_check_case(i, seed=seed, fonts=fonts) for i in range(count)]
