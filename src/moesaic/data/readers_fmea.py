"""Reader of an FMEA sheet in the common 12-column layout, one ``Document(kind="fmea")`` per row.

The same reader serves ``moesaic ask --fmea FILE``, an ``fmea.csv`` in a user's folder
(:func:`moesaic.data.readers.read_user_folder`) and the mining-truck data set, so a sheet is
accepted or refused the same way wherever it comes from. Column names are matched without case
and surrounding spaces; the separator is sniffed as for a user's other files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.readers_columns import read_sniffed_csv
from moesaic.data.schema import Document
from moesaic.data.tables import DataFormatError, numeric_column, row_line

logger = logging.getLogger(__name__)

COLUMNS = (
    "Subsystem",
    "Component",
    "Sub-Component",
    "Potential Failure Mode",
    "Potential Effect(s) of Failure",
    "Severity",
    "Potential Cause(s) of Failure",
    "Occurrence",
    "Current Controls",
    "Detection",
    "RPN",
    "Recommended Action",
)
REQUIRED = ("Component", "Potential Failure Mode", "Severity", "Occurrence", "Detection")
"""The columns a sheet must have; a missing text column of :data:`COLUMNS` is read as empty cells and
a missing RPN as Severity x Occurrence x Detection."""
ALIASES: dict[str, tuple[str, ...]] = {
    "Subsystem": ("system", "sub system", "area", "assembly"),
    "Component": ("item", "item function", "equipment", "component name"),
    "Sub-Component": ("subcomponent", "sub component", "part", "sub item"),
    "Potential Failure Mode": ("failure mode", "failure modes", "mode of failure", "potential failure modes"),
    "Potential Effect(s) of Failure": (
        "effect", "effects", "failure effect", "failure effects", "effect of failure", "effects of failure",
        "potential effect", "potential effects", "potential effects of failure",
    ),
    "Severity": ("s", "sev"),
    "Potential Cause(s) of Failure": (
        "cause", "causes", "failure cause", "failure causes", "cause of failure", "causes of failure",
        "potential cause", "potential causes", "potential causes of failure",
    ),
    "Occurrence": ("o", "occ", "occurence", "likelihood"),
    "Current Controls": ("controls", "control", "current control", "current controls detection",
                         "detection method", "current detection"),
    "Detection": ("d", "det", "detectability"),
    "RPN": ("risk priority number",),
    "Recommended Action": (
        "recommended actions", "action", "actions", "recommendation", "recommendations",
        "mitigation", "mitigating action",
    ),
}  # fmt: skip
"""Other names of the :data:`COLUMNS` that sheets use (matched as in
:func:`~moesaic.data.tables.column_key`: case, spaces and punctuation do not count)."""
SCORES = ("Severity", "Occurrence", "Detection", "RPN")
SCORE_RANGE = (1, 10)
"""The scale of severity, occurrence and detection (a sheet on a 1-5 scale fits in it)."""
# The levels a row belongs to, outermost first: the item hierarchy, then the failure mode and its
# effects, which an FMEA sheet merges over the rows of the mode's causes. A spreadsheet export
# leaves a merged cell blank below its first row, so a blank level means "as in the row above".
HIERARCHY = (
    "Subsystem",
    "Component",
    "Sub-Component",
    "Potential Failure Mode",
    "Potential Effect(s) of Failure",
)


def read_scores(frame: pd.DataFrame, path: Path) -> dict[str, np.ndarray]:
    """The four :data:`SCORES` columns of a sheet as numbers; an empty or non-numeric cell is an error."""
    return {c: numeric_column(frame, c, path, allow_missing=False) for c in SCORES}


def check_score_range(frame: pd.DataFrame, scores: Mapping[str, np.ndarray], path: Path) -> None:
    """Fail on the first severity, occurrence or detection score (the columns of ``scores`` other
    than the RPN) outside :data:`SCORE_RANGE`; NaN (an empty cell) passes.

    Raises:
        DataFormatError: naming the line, the column and the score found.
    """
    low, high = SCORE_RANGE
    for column, values in scores.items():
        if column.lower() == "rpn":
            continue
        bad = np.flatnonzero(~np.isnan(values) & ((values < low) | (values > high)))
        if len(bad):
            raise DataFormatError(
                path,
                f"expected a score from {low} to {high}, found {values[bad[0]]:g}",
                line=row_line(frame, int(bad[0])),
                column=column,
            )


def fmea_text(row: dict[str, Any]) -> str:
    """One readable line: where it fails, how, with what effect, why, and what to do."""
    where = " > ".join(str(row[c]) for c in ("Subsystem", "Component", "Sub-Component") if row[c])
    parts = [f"{where}: failure mode {row['Potential Failure Mode']}"]
    for label, column in (
        ("effects", "Potential Effect(s) of Failure"),
        ("causes", "Potential Cause(s) of Failure"),
        ("controls", "Current Controls"),
        ("action", "Recommended Action"),
    ):
        if row[column]:
            parts.append(f"{label}: {row[column]}")
    return "; ".join(" ".join(p.split()) for p in parts)


def fill_hierarchy(frame: pd.DataFrame, path: Path, levels: tuple[str, ...] = HIERARCHY) -> pd.DataFrame:
    """``frame`` with blank ``levels`` cells (:data:`HIERARCHY`, or those of it the sheet has)
    filled down from the row above.

    A blank level continues the group of the row above only while every outer level of the
    row is blank too: ``,Pumps,,Leaking`` starts a new component, so its blank sub-component
    stays blank (the component has none) rather than taking the previous component's.
    Other columns, the scores above all, are never filled.

    Raises:
        DataFormatError: a blank outermost level in the first data row, which has no row above.
    """
    cells = frame[list(levels)].fillna("").astype(str)
    blank = np.stack([cells[c].str.strip().eq("").to_numpy() for c in levels], axis=1)  # (rows, levels)
    continues = np.logical_and.accumulate(blank, axis=1)
    if not continues.any():
        return frame
    if continues[0, 0]:
        raise DataFormatError(
            path,
            f"expected a `{levels[0]}` in the first data row, found a blank cell: blank "
            f"hierarchy cells ({', '.join(levels)}) are read as merged with the row above, "
            "and the first row has none",
            line=row_line(frame, 0),
            column=levels[0],
        )
    filled = cells.mask(continues).ffill()
    counts = {
        c: int((continues[:, i] & filled[c].str.strip().ne("").to_numpy()).sum())
        for i, c in enumerate(levels)
    }
    logger.info(
        "%s: filled %d blank hierarchy cells from the row above (merged spreadsheet cells): %s",
        path,
        sum(counts.values()),
        ", ".join(f"{c} {n}" for c, n in counts.items() if n),
    )
    return frame.assign(**{c: filled[c] for c in levels})


class FmeaRows(NamedTuple):
    documents: tuple[Document, ...]
    rpn_mismatches: tuple[str, ...]  # doc ids whose RPN is not Severity x Occurrence x Detection


def read_fmea(path: Path | str, *, warn_rpn: bool = True) -> FmeaRows:
    """An FMEA sheet in the layout of :data:`COLUMNS`, one Document(kind="fmea") per row.

    Only the :data:`REQUIRED` columns must be there, under their names or one of :data:`ALIASES`
    (``Failure Mode``, ``S``, ``Cause``, ...); a missing text column reads as empty cells and a
    missing RPN as Severity x Occurrence x Detection. The separator (``,``, ``;`` or tab) is
    sniffed from the header, as for a user's other files. Blank hierarchy cells (merged cells of a
    spreadsheet export) are filled down from the row
    above by :func:`fill_hierarchy`; the scores never are.

    ``fields`` holds every column (text "" when empty) with the four scores as ints.
    Rows whose RPN differs from S x O x D are kept as written and listed in ``rpn_mismatches``,
    with a warning naming their lines (``warn_rpn``; else an INFO log, for a published set whose
    mismatches are known).

    Raises:
        DataFormatError: missing columns, a missing or non-numeric score (saying what the cell
            holds: ``'n/a'``), a severity, occurrence or detection outside 1-10, or a blank
            ``Subsystem`` in the first row, naming the line and column.
    """
    path = Path(path)
    frame = read_sniffed_csv(
        path,
        required=REQUIRED,
        optional=[c for c in COLUMNS if c not in REQUIRED],
        aliases=ALIASES,
        keep_default_na=False,
    )
    levels = tuple(c for c in HIERARCHY if c in frame.columns)
    frame = frame.assign(**{c: "" for c in COLUMNS if c not in frame.columns and c not in SCORES})
    if "RPN" not in frame.columns:
        product = np.prod([numeric_column(frame, c, path, allow_missing=False) for c in SCORES[:3]], axis=0)
        frame = frame.assign(RPN=[f"{v:g}" for v in product])
        logger.info("%s: no RPN column; read as Severity x Occurrence x Detection", path)
    scores = read_scores(frame, path)
    check_score_range(frame, scores, path)
    text = fill_hierarchy(frame, path, levels).fillna("")
    documents, mismatches, lines = [], [], []
    for pos, row in enumerate(text.to_dict("records")):
        fields: dict[str, Any] = {c: str(row[c]).strip() for c in COLUMNS if c not in SCORES}
        fields.update(
            {
                c: int(scores[c][pos]) if float(scores[c][pos]).is_integer() else float(scores[c][pos])
                for c in SCORES
            }
        )
        doc_id = f"fmea-{pos + 1}"
        product = fields["Severity"] * fields["Occurrence"] * fields["Detection"]
        if fields["RPN"] != product:
            mismatches.append(doc_id)
            lines.append(f"line {row_line(frame, pos)} (RPN {fields['RPN']}, S x O x D = {product:g})")
        documents.append(Document(doc_id=doc_id, kind="fmea", text=fmea_text(fields), fields=fields))
    if mismatches:
        logger.log(
            logging.WARNING if warn_rpn else logging.INFO,
            "%s: the RPN differs from Severity x Occurrence x Detection on %s; it is kept as written",
            path,
            ", ".join(lines),
        )
    return FmeaRows(tuple(documents), tuple(mismatches))
