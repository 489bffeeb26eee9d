"""FMEA of a mining haul truck (330 spreadsheet rows) and its FMEA question-answer benchmark.

The sheet is read by :mod:`moesaic.data.readers_fmea` (re-exported here), the reader of any FMEA
sheet in the 12-column layout.

Leow, Hodkiewicz & Woods, "Impact of Table to Graph Translation on Hybrid Graph-Based RAG of
FMEA Spreadsheets" (UWA NLP-TLP).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from moesaic.data.readers_fmea import (
    COLUMNS,
    HIERARCHY,
    SCORES,
    FmeaRows,
    fill_hierarchy,
    fmea_text,
    read_fmea,
    read_scores,
)
from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Document, MaintenanceData
from moesaic.data.tables import DataFormatError, numeric_column, read_csv_checked

__all__ = ["COLUMNS", "HIERARCHY", "SCORES", "FmeaRows", "fill_hierarchy", "fmea_text", "load", "read_fmea"]

QA_COLUMNS = ("ID", "Question", "Answer", "Categories", "Nuggets")
# A backslash that starts no JSON escape; spreadsheet text such as "125\ hour" holds one.
_STRAY_BACKSLASH = re.compile(r'\\(?!["\\/bfnrtu])')


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
    rows = read_fmea(folder / "fmea_dataset_filled.csv", warn_rpn=False)  # fmea-288: RPN 0 upstream
    qa = read_fmea_qa(folder / "fmea_qa_model.csv")
    combined_path = folder / "fmea_dataset_combined.csv"
    combined = read_csv_checked(combined_path, required=COLUMNS, dtype=str)  # the BOM is dropped on reading
    combined = combined.assign(**read_scores(combined, combined_path))
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
