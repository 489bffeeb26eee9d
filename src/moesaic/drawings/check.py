"""Verify a drawing against house rules and a bill of materials.

Rules (:class:`~moesaic.drawings.rules.CheckRules`, defaults or a YAML file): required
title-block fields present, every dimension toleranced or covered by a general tolerance, units
stated, revision format. BOM checks (:mod:`moesaic.drawings.bomcheck`, a CSV read by
:func:`~moesaic.drawings.bom.read_bom`, with ``part_number`` and ``qty``, optionally ``item``,
``description``, ``material``, ``revision``, and a drawing number column when one BOM covers
several drawings): the BOM is for this drawing, every BOM item appears on the sheet's parts list
(or elsewhere on the sheet), quantities agree, part numbers match, the drawn part's revision
matches. A finding (:mod:`moesaic.drawings.findings`) only ever names a part number that is on the
BOM or read on the sheet: the checker invents none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moesaic.drawings.bom import BomItem, read_bom
from moesaic.drawings.bomcheck import check_bom
from moesaic.drawings.findings import SEVERITIES, CheckResult, Finding
from moesaic.drawings.labels import NO_GENERAL_TOLERANCE
from moesaic.drawings.rules import CheckRules, load_rules
from moesaic.drawings.summary import DrawingSummary, summarize_drawing
from moesaic.drawings.titleblock import REFUSED

__all__ = [
    "SEVERITIES",
    "CheckResult",
    "Finding",
    "check_bom",
    "check_drawing",
    "check_rules",
    "check_summary",
]


def check_rules(summary: DrawingSummary, rules: CheckRules) -> list[Finding]:
    """The house-rule findings on a summarised sheet. Without a title block found at all, one
    ``title_block_missing`` finding stands for the fields, units and general tolerance it would
    state (a rotated or cropped scan), rather than a finding for each of them."""
    tb = summary.title_block
    if tb.region is None:  # fields read from the notes (units) are no title block
        wanted = [*rules.required_fields, *(["units"] if rules.require_units else [])]
        needed = [name for name in wanted if not tb.get(name)]
        if not needed and not rules.require_tolerance:
            return []
        return [
            Finding(
                "title_block_missing",
                "error",
                f"no title block found on the sheet, so {needed} and a general tolerance could not be read; "
                "is the page rotated or cropped?",
                "title_block",
            )
        ]
    out = []
    for name in rules.required_fields:
        if name in tb.refused:  # stated on the sheet, but not read in the field's form
            bare = tb.refused[name]
            message = (
                f"title-block field {name!r} read as {bare.value!r}, not {REFUSED[name][1]}; check the sheet"
            )
            out.append(Finding("title_block_field", "warning", message, name, bare.box))
        elif not tb.get(name):
            out.append(
                Finding(
                    "title_block_field", "error", f"title-block field {name!r} is not stated", name, tb.region
                )
            )
    revision = tb.get("revision")
    if revision and not re.fullmatch(rules.revision_pattern, revision):
        out.append(
            Finding(
                "revision_format",
                "warning",
                f"revision {revision!r} does not match {rules.revision_pattern!r}",
                "revision",
                tb.fields["revision"].box,
            )
        )
    if rules.require_units and not tb.get("units"):
        out.append(
            Finding("units", "error", "the sheet states no units (title block or notes)", "units", tb.region)
        )
    general = tb.get("general_tolerance")
    if rules.require_tolerance and (not general or NO_GENERAL_TOLERANCE.fullmatch(general)):
        # "N/A" states that no general tolerance applies: every size then needs its own tolerance
        # or fit, as an office that checks drawings for manufacture requires (ISO 22081)
        why = (
            f"the title block states that no general tolerance applies ({general!r}): give it a "
            "tolerance or fit, or state one (ISO 2768-m)"
            if general
            else "the sheet states no general tolerance"
        )
        for d in summary.dimensions:
            if not d.callout.toleranced and not d.callout.reference:
                message = f"dimension {d.text!r} has no tolerance and {why}"
                out.append(Finding("dimension_tolerance", "error", message, d.text, d.box))
    return out


def check_summary(
    summary: DrawingSummary, *, bom: Sequence[BomItem] | None = None, rules: CheckRules | None = None
) -> CheckResult:
    """Check an already summarised sheet: house rules, and ``bom`` when given. Without a BOM, a
    parts list seen but not read is a ``parts_list_unread`` warning."""
    rules = rules or CheckRules()
    findings = check_rules(summary, rules)
    if bom is not None:
        findings += check_bom(summary, bom, rules)  # an unread parts list is its bom_not_compared
    elif summary.parts_list_unread:
        message = (
            "a parts-list header was found but none of its rows could be read (a skewed or coarse "
            "scan?): the parts list is not checked; check it on the sheet"
        )
        findings.append(Finding("parts_list_unread", "warning", message, "parts_list"))
    return CheckResult(summary, tuple(findings))


def check_drawing(
    path: Path | str,
    *,
    bom: Path | Sequence[BomItem] | None = None,
    rules: Path | CheckRules | None = None,
    engine: Any = None,
) -> CheckResult:
    """Read a drawing and check it against ``rules`` and ``bom``.

    Args:
        path: the drawing file.
        bom: a BOM CSV file or its rows; None skips the BOM checks.
        rules: a rules YAML file or a :class:`~moesaic.drawings.rules.CheckRules`; None for the
            defaults.
        engine: the OCR engine or its name (see :func:`summarize_drawing`).
    """
    items = read_bom(bom) if isinstance(bom, str | Path) else bom
    chosen = load_rules(Path(rules)) if isinstance(rules, str | Path) else rules
    return check_summary(summarize_drawing(path, engine=engine), bom=items, rules=chosen)
