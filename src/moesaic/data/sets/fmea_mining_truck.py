"""FMEA of a mining haul truck (330 spreadsheet rows) and its FMEA question-answer benchmark.

Leow, Hodkiewicz & Woods, "Impact of Table to Graph Translation on Hybrid Graph-Based RAG of
FMEA Spreadsheets" (UWA NLP-TLP).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from moesaic.data.readers_columns import read_sniffed_csv
from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked, row_line

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
SCORES = ("Severity", "Occurrence", "Detection", "RPN")
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
QA_COLUMNS = ("ID", "Question", "Answer", "Categories", "Nuggets")
# A backslash that starts no JSON escape; spreadsheet text such as "125\ hour" holds one.
_STRAY_BACKSLASH = re.compile(r'\\(?!["\\/bfnrtu])')


def _scores(frame: pd.DataFrame, path: Path) -> dict[str, np.ndarray]:
    # Line numbers assume one line per row; cells with line breaks shift them.
    return {c: numeric_column(frame, c, path, allow_missing=False) for c in SCORES}


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


def fill_hierarchy(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` with blank :data:`HIERARCHY` cells filled down from the row above.

    A blank level continues the group of the row above only while every outer level of the
    row is blank too: ``,Pumps,,Leaking`` starts a new component, so its blank sub-component
    stays blank (the component has none) rather than taking the previous component's.
    Other columns, the scores above all, are never filled.

    Raises:
        DataFormatError: a blank ``Subsystem`` in the first data row, which has no row above.
    """
    cells = frame[list(HIERARCHY)].fillna("").astype(str)
    blank = np.stack([cells[c].str.strip().eq("").to_numpy() for c in HIERARCHY], axis=1)  # (rows, levels)
    continues = np.logical_and.accumulate(blank, axis=1)
    if not continues.any():
        return frame
    if continues[0, 0]:
        raise DataFormatError(
            path,
            f"expected a `{HIERARCHY[0]}` in the first data row, found a blank cell: blank "
            f"hierarchy cells ({', '.join(HIERARCHY)}) are read as merged with the row above, "
            "and the first row has none",
            line=row_line(frame, 0),
            column=HIERARCHY[0],
        )
    filled = cells.mask(continues).ffill()
    counts = {
        c: int((continues[:, i] & filled[c].str.strip().ne("").to_numpy()).sum())
        for i, c in enumerate(HIERARCHY)
    }
    logger.info(
        "%s: filled %d blank hierarchy cells from the row above (merged spreadsheet cells): %s",
        path,
        sum(counts.values()),
        ", ".join(f"{c} {n}" for c, n in counts.items() if n),
    )
    return frame.assign(**{c: filled[c] for c in HIERARCHY})


class FmeaRows(NamedTuple):
    documents: tuple[Document, ...]
    rpn_mismatches: tuple[str, ...]  # doc ids whose RPN is not Severity x Occurrence x Detection


def read_fmea(path: Path) -> FmeaRows:
    """An FMEA sheet with the 12 columns of :data:`COLUMNS`, one Document(kind="fmea") per row.

    The separator (``,``, ``;`` or tab) is sniffed from the header, as for a user's other files.
    Blank hierarchy cells (merged cells of a spreadsheet export) are filled down from the row
    above by :func:`fill_hierarchy`; the scores never are.

    ``fields`` holds every column (text "" when empty) with the four scores as ints.
    Rows whose RPN differs from S x O x D are kept as written and listed in ``rpn_mismatches``.

    Raises:
        DataFormatError: missing columns, a missing or non-numeric score, or a blank
            ``Subsystem`` in the first row, naming the column.
    """
    frame = read_sniffed_csv(Path(path), required=COLUMNS)
    scores = _scores(frame, path)
    text = fill_hierarchy(frame, path).fillna("")
    documents, mismatches = [], []
    for pos, row in enumerate(text.to_dict("records")):
        fields: dict[str, Any] = {c: str(row[c]).strip() for c in COLUMNS if c not in SCORES}
        fields.update(
            {
                c: int(scores[c][pos]) if float(scores[c][pos]).is_integer() else float(scores[c][pos])
                for c in SCORES
            }
        )
        doc_id = f"fmea-{pos + 1}"
        if fields["RPN"] != fields["Severity"] * fields["Occurrence"] * fields["Detection"]:
            mismatches.append(doc_id)
        documents.append(Document(doc_id=doc_id, kind="fmea", text=fmea_text(fields), fields=fields))
    if mismatches:
        logger.info(
            "%s: RPN differs from Severity x Occurrence x Detection in %s", path, ", ".join(mismatches)
        )
    return FmeaRows(tuple(documents), tuple(mismatches))


def _nuggets(raw: str, path: Path, qa_id: str, repairs: list[str]) -> list[dict[str, str]]:
    try:
        nuggets = json.loads(raw)
    except json.JSONDecodeError as err:
        if "Invalid \\escape" not in err.msg:
            raise DataFormatError(
                path, f"ID {qa_id}: `Nuggets` is not valid JSON: {err.msg}", column="Nuggets"
            ) from None
        # Kept as a literal backslash: the spreadsheet text had one, not an intended escape.
        nuggets = json.loads(_STRAY_BACKSLASH.sub(r"\\\\", raw))
        repairs.append(f"{path.name} ID {qa_id}: a stray backslash in `Nuggets` was read literally")
    if not (
        isinstance(nuggets, list)
        and all(isinstance(n, dict) and isinstance(n.get("nugget"), str) for n in nuggets)
    ):
        raise DataFormatError(
            path,
            f'ID {qa_id}: expected `Nuggets` as a JSON list of {{"nugget", "status"}}, found {raw[:80]!r}',
            column="Nuggets",
        )
    return [{"nugget": n["nugget"], "status": str(n.get("status", ""))} for n in nuggets]


class QaItems(NamedTuple):
    documents: tuple[Document, ...]
    repairs: tuple[str, ...]  # what was read leniently, one line each


def read_fmea_qa(path: Path) -> QaItems:
    """FMEA questions with model answers, one Document(kind="qa") per row.

    ``fields``: ``ID`` (int), ``Question``, ``Answer``, ``Categories`` (tuple of str, split at
    commas) and ``Nuggets`` (list of {"nugget", "status"} parsed from JSON).

    Raises:
        DataFormatError: missing columns, a non-integer or duplicated ID, or unparsable nuggets,
            naming the ID.
    """
    frame = read_csv_checked(path, required=QA_COLUMNS, dtype=str).fillna("")
    ids = numeric_column(frame, "ID", path, allow_missing=False)
    documents: list[Document] = []
    repairs: list[str] = []
    seen: set[str] = set()
    for pos, row in enumerate(frame.to_dict("records")):
        qa_id = str(row["ID"]).strip()
        if not ids[pos].is_integer() or qa_id in seen:
            raise DataFormatError(path, f"expected a unique integer ID, found {qa_id!r}", column="ID")
        seen.add(qa_id)
        fields = {
            "ID": int(ids[pos]),
            "Question": str(row["Question"]).strip(),
            "Answer": str(row["Answer"]).strip(),
            "Categories": tuple(c.strip() for c in str(row["Categories"]).split(",") if c.strip()),
            "Nuggets": _nuggets(str(row["Nuggets"]), path, qa_id, repairs),
        }
        documents.append(
            Document(doc_id=f"qa-{qa_id}", kind="qa", text=str(fields["Question"]), fields=fields)
        )
    return QaItems(tuple(documents), tuple(repairs))


def load(folder: Path) -> MaintenanceData:
    rows = read_fmea(folder / "fmea_dataset_filled.csv")
    qa = read_fmea_qa(folder / "fmea_qa_model.csv")
    combined_path = folder / "fmea_dataset_combined.csv"
    combined = read_csv_checked(combined_path, required=COLUMNS, dtype=str)  # the BOM is dropped on reading
    combined = combined.assign(**_scores(combined, combined_path))
    subsystems = Counter(str(d.fields["Subsystem"]) for d in rows.documents)
    counts = {
        "rows": len(rows.documents),
        "qa": len(qa.documents),
        "combined_rows": len(combined),
        "rpn_mismatches": len(rows.rpn_mismatches),
        **{f"Subsystem={name}": n for name, n in subsystems.most_common()},
    }
    return MaintenanceData(
        name="fmea_mining_truck",
        documents=rows.documents + qa.documents,
        meta={
            "counts": counts,
            "combined": combined,
            "rpn_mismatches": rows.rpn_mismatches,
            "repairs": qa.repairs,
            "source": str(folder),
        },
    )


INFO = DatasetInfo(
    name="fmea_mining_truck",
    modality="text+table",
    description="FMEA of a mining haul truck: 330 rows (S/O/D/RPN, causes, actions) + 25 QA items",
    licence="MIT",
    citation="Leow, Hodkiewicz & Woods, Table to Graph Translation for Hybrid Graph RAG of FMEA (UWA)",
    loader=load,
    expected={
        "documents": 355,
        "rows": 330,
        "combined_rows": 330,
        "qa": 25,
        "Subsystem=Electrical System": 127,
        "Subsystem=Power Unit": 85,
        "Subsystem=Power Train": 53,
        "Subsystem=Hydraulic System": 28,
        "Subsystem=Power Frame": 20,
        "Subsystem=Fire Suppression System": 13,
        "Subsystem=Load Frame": 4,
    },
)
