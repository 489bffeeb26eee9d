"""The demo's drawings section: one simulated drawing read by OCR, summarised and checked.

The simulator knows each drawing's true title block and BOM, so the page shows what was read
beside what is true, field by field, and the findings of the check against the plant's BOM (a
clean simulated sheet should give none; a finding here is a reading error, shown as such).
Reading needs an OCR engine (the ``drawings`` extra, or Debian's tesseract); without one the
section says how to install it and shows the sheet only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from moesaic.data.schema import Drawing
from moesaic.drawings.bom import BomItem
from moesaic.drawings.check import check_summary
from moesaic.drawings.ocr import MissingEngineError
from moesaic.drawings.score import field_accuracy
from moesaic.drawings.summary import summarize_drawing
from moesaic.reports.html import Section

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "torch==2.13.0" -e ".[drawings]" (or apt-get install tesseract-ocr)'


def reference_bom(drawing: Drawing) -> list[BomItem]:
    """The drawing's BOM as the simulator wrote it (``fields["bom"]``), as check items."""
    rows = drawing.fields.get("bom", [])
    return [
        BomItem(
            part_number=str(r["part_number"]),
            qty=int(r["qty"]),
            line=i + 2,  # as in a CSV file with its header on line 1
            item=str(r.get("item", "")),
            description=str(r.get("description", "")),
            material=str(r.get("material", "")),
            revision=str(r.get("revision", "")),
        )
        for i, r in enumerate(rows)
    ]


def drawing_section(drawings: Sequence[Drawing], *, engine: str | None = None) -> Section:
    """Summarise and check the first drawing; the section holds the sheet, the reading and the findings."""
    drawing = drawings[0]
    section = Section("Drawings").text(
        f"{len(drawings)} drawings in the plant, each stored in the knowledge base with links to its "
        f"asset type and part numbers. The first one, {drawing.drawing_id}, read by OCR:"
    )
    section.image(Path(drawing.path).read_bytes(), alt=f"drawing {drawing.drawing_id}")
    try:
        summary = summarize_drawing(drawing.path, engine=engine)
    except MissingEngineError as err:
        log.info("drawing section without OCR: %s", err)
        return section.text(f"No OCR engine is installed, so the sheet is not read here: {INSTALL_HINT}.")
    section.text(f"Summary (read in {summary.seconds:.1f} s): " + " ".join(summary.text().splitlines()))
    rows = []
    for name, value in drawing.title_block.items():
        read = summary.title_block.get(name) or ""
        same = field_accuracy({name: read}, {name: str(value)})[0] == 1  # the bench's comparison
        rows.append({"field": name, "read": read, "true": str(value), "match": "yes" if same else "no"})
    table = pd.DataFrame(rows, columns=["field", "read", "true", "match"])
    matched = int((table["match"] == "yes").sum())
    section.text(f"Title block: {matched} of {len(table)} fields read as the simulator wrote them.")
    section.table(table, max_rows=len(table))
    result = check_summary(summary, bom=reference_bom(drawing))
    if not result.findings:
        return section.text("Check against the plant's BOM and the default rules: no finding.")
    findings = pd.DataFrame(
        [
            {"severity": f.severity, "rule": f.rule, "message": f.message, "box": list(f.box or [])}
            for f in result.findings
        ]
    )
    return section.text(
        f"Check against the plant's BOM and the default rules: {len(findings)} finding(s). The "
        "simulated sheet is clean, so each one is a reading error of the OCR, not of the drawing."
    ).table(findings, max_rows=20)
