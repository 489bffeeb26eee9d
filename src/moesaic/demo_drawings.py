"""The demo's drawings section: one simulated drawing read by OCR, summarised and checked.

The simulator knows each drawing's true title block and BOM, so the page shows what was read
beside what is true, field by field, and the findings of the check against the plant's BOM beside
the errors the simulator planted on the sheet (most sheets have none, some a wrong material or
part number): each planted error found or missed, and the findings no planted error explains,
which are the OCR's reading errors or false findings of the check.
Reading needs an OCR engine (the ``drawings`` extra, or Debian's tesseract); without one the
section says how to install it and shows the sheet only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from moesaic.data.schema import Drawing
from moesaic.drawings.bom import BomItem
from moesaic.drawings.check import Finding, check_summary
from moesaic.drawings.ocr import MissingEngineError
from moesaic.drawings.score import field_accuracy
from moesaic.drawings.summary import summarize_drawing
from moesaic.reports.html import Section

log = logging.getLogger(__name__)

PLANTED_RULES: dict[str, tuple[str, ...]] = {
    "material_mismatch": ("material_mismatch",),
    "part_number_mismatch": ("title_block_part_number",),
    "missing_general_tolerance": ("title_block_field", "dimension_tolerance"),
    "missing_fit": (),  # a sheet stating a general tolerance needs no fit under the default rules
}
"""The check rules that report each kind of error the simulator plants on a sheet."""
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
    planted = list(drawing.fields.get("issues", []))
    section.text(
        "Check against the plant's BOM and the default rules: " + findings_text(planted, result.findings)
    )
    if not result.findings:
        return section
    explained = _explained(planted)
    findings = pd.DataFrame(
        [
            {
                "severity": f.severity,
                "rule": f.rule,
                "message": f.message,
                "planted": "yes" if f.rule in explained else "no",
                "box": list(f.box or []),
            }
            for f in result.findings
        ]
    )
    return section.table(findings, max_rows=20)


def findings_text(planted: Sequence[Mapping[str, Any]], findings: Sequence[Finding]) -> str:
    """What the check found, against the errors the simulator planted on the sheet (its ``issues``):
    each planted error found or missed, and how many findings no planted error explains (those
    are the OCR's reading errors, or false findings of the check)."""
    said = []
    for issue in planted:
        rules = PLANTED_RULES.get(str(issue.get("kind")), ())
        found = any(f.rule in rules for f in findings)
        verdict = "found" if found else "missed" if rules else "not checked by the default rules"
        said.append(f"{_planted(issue)} ({verdict})")
    others = sum(f.rule not in _explained(planted) for f in findings)
    text = f"{len(findings)} finding(s)." if findings else "no finding."
    if said:
        text += f" The simulator planted {'; '.join(said)} on this sheet"
    else:
        text += " The simulator planted no error on this sheet"
    if not others:
        return text + "."
    if not said:
        return text + ", so each finding is a reading error of the OCR or a false finding of the check."
    return f"{text}; {others} finding(s) match no planted error: reading errors of the OCR or false findings."


def _explained(planted: Sequence[Mapping[str, Any]]) -> set[str]:
    """The rules whose findings the planted errors explain."""
    return {rule for issue in planted for rule in PLANTED_RULES.get(str(issue.get("kind")), ())}


def _planted(issue: Mapping[str, Any]) -> str:
    kind, expected, found = (str(issue.get(k, "")) for k in ("kind", "expected", "found"))
    if kind == "material_mismatch":
        return f"a wrong material ({found} in the title block, {expected} in the BOM)"
    if kind == "part_number_mismatch":
        return f"a wrong title-block part number ({found} for {expected})"
    if kind == "missing_general_tolerance":
        return "no general tolerance"
    if kind == "missing_fit":
        return "a dimension without its fit"
    return f"an error of kind {kind}"
