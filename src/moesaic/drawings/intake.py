"""A user's drawings read for the knowledge base: title block, dimensions, notes and parts list.

A simulated plant's drawing comes with what the simulator wrote in ``drawings.json``: its title
block (field -> value), the boxes of its dimensions, notes and title-block values, and its bill of
materials (``fields["bom"]``). A drawing of a user's folder
(:func:`~moesaic.data.readers.read_drawing_image`) comes as an image and its size only.
:func:`read_drawings` reads each drawing that has neither title block nor boxes with
:func:`~moesaic.drawings.summary.summarize_drawing`, the reader of ``moesaic drawing summarize``,
into that same form (:func:`drawing_record`), so the base answers "what material is drawing X?"
alike for both. Without an OCR engine the drawings stay as they came, and one warning names them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from moesaic.data.schema import Drawing
from moesaic.drawings.ocr import MissingEngineError, OCREngine, make_engine
from moesaic.drawings.summary import DEFAULT_ENGINE, DrawingSummary, summarize_drawing
from moesaic.drawings.titleblock import FIELDS

log = logging.getLogger(__name__)


class ReadDrawings(NamedTuple):
    """The drawings, those that needed it read; ``unread``: ids of those left unread (no OCR engine)."""

    drawings: tuple[Drawing, ...]
    unread: tuple[str, ...]


def needs_reading(drawing: Drawing) -> bool:
    """True for a drawing nothing has been read from: no title block and no annotated boxes."""
    return not drawing.title_block and not drawing.boxes


def drawing_record(drawing: Drawing, summary: DrawingSummary) -> Drawing:
    """``drawing`` with what ``summary`` read, in the form the simulator writes: title-block values
    by field, boxes of kind ``title_block``, ``dimension`` and ``note``, and ``fields["bom"]``."""
    block = summary.title_block
    title = {name: block.get(name) for name in FIELDS if block.get(name)}
    boxes: list[dict[str, Any]] = [
        {"kind": "title_block", "field": name, "text": value.value, "box": list(value.box)}
        for name, value in block.fields.items()
    ]
    for d in summary.dimensions:
        callout = d.callout.to_json()
        boxes.append(
            {"kind": "dimension", "text": d.text, "box": list(d.box), "score": round(d.score, 3)}
            | {"dim_type": callout.pop("kind"), **callout}
        )
    boxes += [{"kind": "note", "text": n.text, "box": list(n.box)} for n in summary.notes]
    fields: dict[str, Any] = {**drawing.fields, "read_by": summary.engine}
    if summary.bom:
        fields["bom"] = [_bom_row(line.cells) for line in summary.bom]
    if summary.warnings:
        fields["reading_warnings"] = list(summary.warnings)
    return dataclasses.replace(
        drawing,
        width=drawing.width or summary.width,
        height=drawing.height or summary.height,
        title_block=title,
        boxes=tuple(boxes),
        fields=fields,
    )


def _bom_row(cells: dict[str, str]) -> dict[str, Any]:
    """A parts-list row; item and quantity as numbers when they read as one, as the simulator's."""
    return {k: int(v) if k in ("item", "qty") and v.isdigit() else v for k, v in cells.items()}


def read_drawings(drawings: Sequence[Drawing], *, engine: OCREngine | str | None = None) -> ReadDrawings:
    """Read each drawing that :func:`needs_reading` by OCR (see the module docstring).

    Args:
        drawings: the drawings to store.
        engine: an OCR engine, its name, or None for the one ``moesaic drawing summarize`` uses.
    Returns:
        The drawings in their order, those read by OCR with their title block, boxes and parts list.
    Raises:
        DataFormatError: a drawing file is not a readable image.
    """
    todo = [i for i, d in enumerate(drawings) if needs_reading(d)]
    out = list(drawings)
    if not todo:
        return ReadDrawings(tuple(out), ())
    chosen = make_engine(engine or DEFAULT_ENGINE) if engine is None or isinstance(engine, str) else engine
    if len(todo) > 1:
        log.info("reading %d drawings by OCR for their title blocks (a few seconds each)", len(todo))
    # progress is logged at info level (--verbose), never as a warning: "3 of 5 read" is no fault
    for done, i in enumerate(todo):
        try:
            summary = summarize_drawing(drawings[i].path, engine=chosen)
        except MissingEngineError as err:
            unread = tuple(drawings[j].drawing_id for j in todo[done:])
            log.warning(
                "%d drawing(s) stored without their title block, dimensions or parts list, as no OCR "
                "engine could read them (%s): %s",
                len(unread), err, ", ".join(unread),
            )  # fmt: skip
            return ReadDrawings(tuple(out), unread)
        out[i] = drawing_record(drawings[i], summary)
        log.info(
            "read drawing %s (%d of %d) in %.1f s",
            drawings[i].drawing_id,
            done + 1,
            len(todo),
            summary.seconds,
        )
    return ReadDrawings(tuple(out), ())
